"""Shared by the writer tests: small input graphs, an independent HALO reference and
"what DGL sees" translated back to original IDs.

Everything here is deliberately naive (Python sets, loops over small graphs) so it
checks the vectorised writer independently.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gpf.sdk.write.graph import Graph
from tests.oracle.runner import load_dump

HOMO_N = "_N"
HOMO_E = ("_N", "_E", "_N")


def make_homo(seed: int = 0, n: int = 160, m: int = 700) -> Graph:
    """Homogeneous graph with isolated nodes, self-loops, duplicate edges and mixed-dtype features."""
    rng = np.random.default_rng(seed)
    live = n - 10  # nodes live..n-1 are isolated
    src = rng.integers(0, live, m)
    dst = rng.integers(0, live, m)
    src[:15] = dst[:15]  # self-loops
    src[15:30], dst[15:30] = src[30:45], dst[30:45]  # duplicate edges
    ndata = {
        "feat": rng.standard_normal((n, 5)).astype(np.float32),
        "label": rng.integers(0, 7, n).astype(np.int64),
        "train_mask": rng.random(n) < 0.3,
        "half": rng.standard_normal((n, 2)).astype(np.float16),
    }
    edata = {"w": rng.random(m), "tag": rng.integers(-50, 50, (m, 3)).astype(np.int32)}
    return Graph.homogeneous(src, dst, n, ndata, edata)


def make_hetero(seed: int = 0) -> Graph:
    """3+ node types (one with 2 nodes: fewer than the partitions), 5 canonical edge types,
    two sharing the relation name ``has``, one with no edges."""
    rng = np.random.default_rng(seed)
    counts = {"user": 70, "item": 50, "tag": 2, "shop": 9}
    rels = [("user", "follows", "user", 220), ("user", "buys", "item", 260), ("item", "has", "tag", 40),
            ("tag", "has", "item", 30), ("shop", "sells", "item", 60), ("item", "bought_by", "user", 0)]
    edges = {(s, r, d): (rng.integers(0, counts[s], m), rng.integers(0, counts[d], m)) for s, r, d, m in rels}
    ndata = {
        "user": {"feat": rng.standard_normal((70, 4)).astype(np.float32), "label": rng.integers(0, 3, 70)},
        "item": {"feat": rng.standard_normal((50, 6)), "price": rng.integers(0, 999, 50).astype(np.int32)},
        "tag": {"code": rng.integers(0, 9, (2, 2)).astype(np.int16)},
    }
    edata = {
        ("user", "buys", "item"): {"qty": rng.integers(1, 9, 260)},
        ("item", "has", "tag"): {"score": rng.random((40, 2))},
        ("tag", "has", "item"): {"score": rng.random(30).astype(np.float32)},
        ("item", "bought_by", "user"): {"empty": np.zeros((0, 3), np.float32)},
    }
    return Graph(counts, edges, ndata, edata)


def graph_from_dgl_input(path: Path, drop: tuple[str, ...] = ("trainer_id",)) -> tuple[Graph, dict, dict]:
    """The input graph dumped by dgl_make_partitions.py, plus its return_mapping output."""
    a = load_dump(path)
    counts = {k.split(":", 1)[1]: int(v) for k, v in a.items() if k.startswith("num_nodes:")}
    edges, ndata, edata, orig_n, orig_e = {}, defaultdict(dict), defaultdict(dict), {}, {}
    for k, v in a.items():
        kind, _, rest = k.partition(":")
        if kind == "src":
            edges[rest] = (v, a[f"dst:{rest}"])
        elif kind in ("ndata", "edata"):
            t, name = rest.split("/")
            if name not in drop and name not in ("_ID", "_TYPE"):
                (ndata if kind == "ndata" else edata)[t][name] = v
        elif kind == "orig_nids":
            orig_n[rest] = v
        elif kind == "orig_eids":
            orig_e[rest] = v
    return Graph(counts, edges, dict(ndata), dict(edata)), orig_n, orig_e


# -- independent HALO reference ------------------------------------------------------------------
def halo_reference(graph: Graph, owner: dict[str, np.ndarray], num_parts: int, hops: int):
    """Per partition: (inner node set, all node set, all edge set, inner edge set) in original IDs.

    Nodes are ``(ntype, id)``, edges ``(etype_key, eid)``; implements DGL's rule with sets.
    """
    in_edges, out_edges = defaultdict(list), defaultdict(list)
    for et, (src, dst) in graph.edges_dict.items():
        key = ":".join(et)
        for e, (u, v) in enumerate(zip(src.tolist(), dst.tolist())):
            in_edges[(et[2], v)].append((key, e, (et[0], u)))
            out_edges[(et[0], u)].append((key, e, (et[2], v)))
    out = []
    for p in range(num_parts):
        inner = {(nt, i) for nt in graph.ntypes for i in np.flatnonzero(owner[nt] == p).tolist()}
        nodes, edges, frontier = set(inner), set(), set()
        for v in inner:
            for key, e, u in in_edges[v]:
                edges.add((key, e))
                if u not in nodes:
                    nodes.add(u)
                    frontier.add(u)
        for _ in range(1, hops):
            nxt = set()
            for v in frontier:
                for key, e, u in in_edges[v]:
                    if u not in inner:
                        edges.add((key, e))
                        if u not in nodes:
                            nodes.add(u)
                            nxt.add(u)
            frontier = nxt
        for v in inner:
            for key, e, w in out_edges[v]:
                if w not in inner:
                    edges.add((key, e))
                    nodes.add(w)
        inner_edges = {(key, e) for v in inner for key, e, _ in in_edges[v]}
        out.append((inner, nodes, edges, inner_edges))
    return out


# -- what DGL's load_partition returned, in original IDs --------------------------------------------
@dataclass
class PartView:
    inner_nodes: list            # (ntype, orig id) of inner nodes, local order
    halo_nodes: set
    edges: set                   # (etype_key, orig eid, inner flag)
    inner_edge_order: list       # (etype_key, orig eid) of inner edges, local order
    ndata_dtypes: dict
    edata_dtypes: dict
    nfeat: dict = field(default_factory=dict)
    efeat: dict = field(default_factory=dict)
    node_ids: np.ndarray | None = None   # _ID of local nodes
    edge_ids: np.ndarray | None = None


def dgl_views(folder: Path, config: dict, graph: Graph, orig_nids: dict | None = None,
              orig_eids: dict | None = None) -> list[PartView]:
    """Translate DGL's dumps (``folder/part<p>.npz``) of a set back to original IDs and check,
    on the way, that every local edge joins the endpoints the input graph gives it.

    The original-ID maps come from the set's orig_nids/orig_eids files (in the dumps) unless given.
    """
    P = config["num_parts"]
    parts = [load_dump(folder / f"part{p}.npz") for p in range(P)]
    ntypes = sorted(config["ntypes"], key=config["ntypes"].get)
    etypes = sorted(config["etypes"], key=config["etypes"].get)
    if orig_nids is None:
        orig_nids = {nt: np.concatenate([a[f"orig_nids:{nt}"] for a in parts]) for nt in ntypes}
        orig_eids = {et: np.concatenate([a[f"orig_eids:{et}"] for a in parts]) for et in etypes}
    b = parts[0]
    nt_of, per_n = b["book:ntype_ids"], b["book:per_ntype_ids"]
    et_of, per_e = b["book:etype_ids"], b["book:per_etype_ids"]
    views = []
    for p, a in enumerate(parts):
        nid = a["ndata:_ID"]
        nodes = [(ntypes[t], int(orig_nids[ntypes[t]][i])) for t, i in zip(nt_of[nid].tolist(), per_n[nid].tolist())]
        inner = a["ndata:inner_node"].astype(bool)
        n_inner = int(inner.sum())
        assert inner[:n_inner].all() and not inner[n_inner:].any(), "inner nodes must come first"
        eid = a["edata:_ID"]
        ie = a["edata:inner_edge"].astype(bool)
        edges, order = set(), []
        for i, (t, j) in enumerate(zip(et_of[eid].tolist(), per_e[eid].tolist())):
            key = etypes[t]
            oe = int(orig_eids[key][j])
            s_t, _, d_t = key.split(":")
            src, dst = graph.edges_dict[(s_t, key.split(":")[1], d_t)]
            assert nodes[int(a["src"][i])] == (s_t, int(src[oe])), f"part {p} edge {i}: wrong src"
            assert nodes[int(a["dst"][i])] == (d_t, int(dst[oe])), f"part {p} edge {i}: wrong dst"
            assert bool(ie[i]) == bool(inner[int(a["dst"][i])]), f"part {p} edge {i}: inner_edge != dst inner"
            edges.add((key, oe, bool(ie[i])))
            if ie[i]:
                order.append((key, oe))
        v = PartView(nodes[:n_inner], set(nodes[n_inner:]), edges, order,
                     {k[6:]: a[k].dtype.name for k in a if k.startswith("ndata:")},
                     {k[6:]: a[k].dtype.name for k in a if k.startswith("edata:")},
                     node_ids=nid, edge_ids=eid)
        for k in a:
            if k.startswith("nfeat:"):
                nt, name = k[6:].split("/")
                owned = [i for t, i in v.inner_nodes if t == nt]
                v.nfeat[(nt, name)] = dict(zip(owned, a[k]))
                assert len(owned) == a[k].shape[0], f"part {p}: {k} has {a[k].shape[0]} rows for {len(owned)} nodes"
            elif k.startswith("efeat:"):
                et, name = k[6:].split("/")
                owned = [e for t, e in order if t == et]
                v.efeat[(et, name)] = dict(zip(owned, a[k]))
                assert len(owned) == a[k].shape[0], f"part {p}: {k} has {a[k].shape[0]} rows for {len(owned)} edges"
        views.append(v)
    return views


def read_config(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def write_chunked(root: Path, g: Graph, fmt: str = "csv", *, zarr_format: int = 3, compressor: str | None = None) -> Path:
    """``g`` as a chunked graph (metadata.json) with ``fmt`` chunks; ``zarr``: Zarr v``zarr_format`` arrays
    compressed with ``compressor`` (zarr-python's default when None; "none", "zstd", "gzip", "blosc", and
    for v2 also "zlib", "lz4")."""
    meta = {"graph_name": "chunky", "node_type": list(g.ntypes[::-1]),
            "num_nodes_per_chunk": [[g.num_nodes(nt) // 2, g.num_nodes(nt) - g.num_nodes(nt) // 2] for nt in g.ntypes[::-1]],
            "edge_type": [], "num_edges_per_chunk": [], "edges": {}, "node_data": {}, "edge_data": {}}
    (root / "e").mkdir(parents=True)
    for i, et in enumerate(g.canonical_etypes):
        key = ":".join(et)
        src, dst = g.edges_dict[et]
        half = len(src) // 2
        files = []
        for c, sl in enumerate((slice(0, half), slice(half, None))):
            if fmt == "csv":
                f = f"e/{i}-{c}.csv"
                np.savetxt(root / f, np.stack([src[sl], dst[sl]], 1), fmt="%d", delimiter=" ")
            elif fmt == "parquet":
                f = f"e/{i}-{c}.parquet"
                save_parquet(root / f, np.stack([src[sl], dst[sl]], 1), shape=False)
            elif fmt == "zarr":
                f = f"e/{i}-{c}.zarr"
                save_zarr(root / f, np.stack([src[sl], dst[sl]], 1), zarr_format, compressor)
            else:
                f = f"e/{i}-{c}.npy"
                np.save(root / f, np.stack([src[sl], dst[sl]], 1))
            files.append(f)
        meta["edge_type"].append(key)
        meta["num_edges_per_chunk"].append([half, len(src) - half])
        meta["edges"][key] = {"format": {"name": fmt, "delimiter": " "}, "data": files}
    def data(stem: str, arr: np.ndarray) -> dict:
        if fmt == "zarr":  # two chunks, each its own Zarr array
            half = len(arr) // 2
            for c, part in enumerate((arr[:half], arr[half:])):
                save_zarr(root / f"{stem}-{c}.zarr", part, zarr_format, compressor)
            return {"format": {"name": "zarr"}, "data": [f"{stem}-0.zarr", f"{stem}-1.zarr"]}
        if fmt != "parquet":
            np.save(root / f"{stem}.npy", arr)
            return {"format": {"name": "numpy"}, "data": [f"{stem}.npy"]}
        half = len(arr) // 2  # two chunks, each with its own shape metadata, as DGL's pipeline writes them
        for c, part in enumerate((arr[:half], arr[half:])):
            save_parquet(root / f"{stem}-{c}.parquet", part)
        return {"format": {"name": "parquet"}, "data": [f"{stem}-0.parquet", f"{stem}-1.parquet"]}

    for nt, frame in g.ndata.items():
        for name, arr in frame.items():
            meta["node_data"].setdefault(nt, {})[name] = data(f"{nt}-{name}", arr)
    for et, frame in g.edata.items():
        for name, arr in frame.items():
            meta["edge_data"].setdefault(":".join(et), {})[name] = data(f"{'-'.join(et)}-{name}", arr)
    (root / "metadata.json").write_text(json.dumps(meta))
    return root


def save_parquet(path: Path, arr: np.ndarray, shape: bool = True, vector_rows: bool = False) -> None:
    """An array chunk in the layout of DGL's pipeline parquet writer: one column per array column and the
    array's shape as ``str(shape)`` schema metadata (or one list column per row, Spark-style)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    flat = arr.reshape(len(arr), int(np.prod(arr.shape[1:])))
    if vector_rows:
        table = pa.table([pa.array(list(flat))], names=["vector"])
    else:
        table = pa.table([pa.array(flat[:, j]) for j in range(flat.shape[1])], names=[str(j) for j in range(flat.shape[1])])
        if shape:
            table = table.replace_schema_metadata({"shape": str(arr.shape)})
    pq.write_table(table, path)


def save_zarr(path, arr: np.ndarray, zarr_format: int = 3, compressor: str | None = None) -> None:
    """One chunk of a chunked graph as a Zarr array (small inner chunks, so reads span several)."""
    import zarr

    extra: dict = {}
    if compressor == "none":
        extra["compressors"] = None
    elif compressor is not None and zarr_format == 2:
        import numcodecs

        extra["compressors"] = {"zstd": numcodecs.Zstd, "gzip": numcodecs.GZip, "zlib": numcodecs.Zlib,
                                "blosc": numcodecs.Blosc, "lz4": numcodecs.LZ4}[compressor]()
    elif compressor is not None:
        from zarr.codecs import BloscCodec, GzipCodec, ZstdCodec

        extra["compressors"] = {"zstd": ZstdCodec, "gzip": GzipCodec, "blosc": BloscCodec}[compressor]()
    z = zarr.create_array(str(path), shape=arr.shape, dtype=arr.dtype,
                          chunks=(max(1, min(len(arr), 16)), *arr.shape[1:]) if arr.ndim else (),
                          zarr_format=zarr_format, **extra)
    if arr.size:
        z[...] = arr

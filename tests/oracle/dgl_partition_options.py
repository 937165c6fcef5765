"""Oracle for DGL ``partition_graph``'s file options (graph_formats, use_graphbolt, store_*).

Runs in a real-DGL side venv (DGL 2.1.0 in ``.venv-dgl2``, or DGL 1.1.3 in ``.venv-dgl``
for sets without GraphBolt files); never imports gpf.  One process handles a whole
manifest (a JSON list of cases), so the matrix costs one interpreter start.

``python dgl_partition_options.py check MANIFEST``
    Each case names a partition config written by gpf, the options it was written with and
    the input graph (``graph.npz`` + ``graph.json``, see :func:`load_input`).  For every
    partition, real ``load_partition`` must load it and see the input graph:

    * ``use_graphbolt=False`` (when graph.dgl is written): ``formats()["created"]`` is
      exactly the formats asked for; reserved fields have ``RESERVED_FIELD_DTYPE``'s dtypes;
      the inner edges, mapped through ``_ID``, the partition book and the set's orig-ID maps,
      are the input's edges (all of them over all partitions, each once); node and edge
      features are the input's rows; the partition book says which partition owns each
      inner node;
    * ``use_graphbolt=True`` (DGL 2.x, when asked): a real ``FusedCSCSamplingGraph`` whose
      optional attributes are present exactly when asked for, with DGL's dtypes (indptr and
      indices int32, ``_ID`` int64, masks uint8, ``type_per_edge`` int8); its CSC equals
      ``graph.dgl``'s ``adj().csc()`` and its attributes ``graph.dgl``'s fields in CSC order
      (what DGL's own tests/distributed/test_partition.py asserts); type maps match the
      input's type IDs; ``node_type_offset`` is None; the edges through ``_ID`` are the
      input's edges (as a multiset when edge IDs are not stored).

    Prints ``OK <config>`` per case and ``FAIL <config>: why`` for failures (exit 1 if any).

``python dgl_partition_options.py make MANIFEST``
    DGL 2.1 only: for each case, ``partition_graph(input, ..., graph_formats=...,
    use_graphbolt=..., store_*=...)`` into the case's ``out`` directory.  Prints ``MADE <dir>``.
"""

import json
import os
import sys
import traceback

import dgl
import numpy as np
import torch
from dgl.data.utils import load_tensors
from dgl.distributed import load_partition, partition_graph

DGL2 = int(dgl.__version__.split(".")[0]) >= 2
if DGL2:
    import dgl.graphbolt as gb


def _read_json(path):
    with open(path) as fh:
        return json.load(fh)


def load_input(path):
    """``graph.json``: {"ntypes": {name: count}, "etypes": [[s, r, d], ...]}; ``graph.npz``:
    ``src/<k>``, ``dst/<k>`` per canonical etype key ``s:r:d``, ``nfeat/<nt>/<name>``, ``efeat/<k>/<name>``."""
    meta = _read_json(path + ".json")
    z = np.load(path + ".npz")
    ets = [tuple(e) for e in meta["etypes"]]
    data = {et: (torch.from_numpy(z[f"src/{':'.join(et)}"]), torch.from_numpy(z[f"dst/{':'.join(et)}"]))
            for et in ets}
    homo = len(meta["ntypes"]) == 1 and len(ets) == 1
    if homo:
        et = ets[0]
        g = dgl.graph(data[et], num_nodes=meta["ntypes"][et[0]])
    else:
        g = dgl.heterograph(data, num_nodes_dict=meta["ntypes"])
    for key in z.files:
        kind, *rest = key.split("/")
        if kind == "nfeat":
            nt, name = rest
            (g.ndata if homo else g.nodes[nt].data)[name] = torch.from_numpy(z[key])
        elif kind == "efeat":
            ek, name = rest
            (g.edata if homo else g.edges[tuple(ek.split(":"))].data)[name] = torch.from_numpy(z[key])
    return g, homo


def _eq(a, b, what):
    a = a.numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = b.numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    if a.shape != b.shape or not np.array_equal(a, b):
        raise AssertionError(f"{what}: {a.shape} {a[:6]} != {b.shape} {b[:6]}")


def _etype_key(c):
    return ":".join(c)


def check_case(case):
    cfg_path = case["config"]
    g, homo = load_input(case["input"])
    cfg = _read_json(cfg_path)
    asked_formats = case["graph_formats"] or ["coo"]
    gb_asked = case["graphbolt"]
    debug = "DGL_DIST_DEBUG" in os.environ
    canon = g.canonical_etypes
    seen = {_etype_key(c): [] for c in canon}  # per-type (orig src, orig dst, orig eid or -1)
    feats_seen = {}
    for p in range(cfg["num_parts"]):
        entry = cfg[f"part-{p}"]
        orig_n = orig_e = None
        if case["dgl_graph"]:
            part, nfeat, efeat, gpb, name, nts, ets = load_partition(cfg_path, p)
            if set(part.formats()["created"]) != set(asked_formats):
                raise AssertionError(f"part {p}: created formats {part.formats()['created']} != {asked_formats}")
            from dgl.distributed.partition import RESERVED_FIELD_DTYPE
            for k, dt in RESERVED_FIELD_DTYPE.items():
                for frame in (part.ndata, part.edata):
                    if k in frame and frame[k].dtype != dt:
                        raise AssertionError(f"part {p}: reserved field {k} is {frame[k].dtype}, DGL writes {dt}")
            _check_dgl_part(g, homo, part, gpb, p, orig_n, orig_e, seen)
            _check_feats(g, homo, nfeat, efeat, orig_n, orig_e, feats_seen, p)
        elif "part_graph" in entry:
            raise AssertionError(f"part {p}: graph.dgl written though dgl_graph=False")
        if not gb_asked:
            if "part_graph_graphbolt" in entry:
                raise AssertionError(f"part {p}: GraphBolt file written though not asked for")
            continue
        if not DGL2:
            continue
        if cfg.get("node_map_dtype") != "int64" or cfg.get("edge_map_dtype") != "int64":
            raise AssertionError("config lacks node_map_dtype/edge_map_dtype int64 (DGL 2.1 writes them)")
        gg, nfeat2, efeat2, gpb2, *_ = load_partition(cfg_path, p, use_graphbolt=True)
        if not isinstance(gg, gb.FusedCSCSamplingGraph):
            raise AssertionError(f"part {p}: use_graphbolt=True gave {type(gg)}")
        _check_gb_part(case, g, homo, gg, gpb2, p, cfg_path, debug, orig_n, orig_e,
                       None if case["dgl_graph"] else seen)
        if not case["dgl_graph"]:
            _check_feats(g, homo, nfeat2, efeat2, orig_n, orig_e, feats_seen, p)
    # every input edge exactly once (per type, as a multiset of original endpoints; by ID when known)
    for c in canon:
        k = _etype_key(c)
        rows = np.concatenate(seen[k]) if seen[k] else np.zeros((0, 3), np.int64)
        es, ed = (t.numpy() for t in g.edges(etype=c))
        want = np.stack([es, ed, np.arange(es.shape[0])], 1)
        if rows.shape[0] != want.shape[0]:
            raise AssertionError(f"{k}: {rows.shape[0]} inner edges over all partitions, input has {want.shape[0]}")
        if (rows[:, 2] >= 0).all():
            rows = rows[np.argsort(rows[:, 2])]
            _eq(rows, want, f"{k}: edges by original edge ID")
        else:
            a = rows[np.lexsort((rows[:, 1], rows[:, 0]))][:, :2]
            b = want[np.lexsort((want[:, 1], want[:, 0]))][:, :2]
            _eq(a, b, f"{k}: edges as a multiset")
    for key, rows in feats_seen.items():
        kind, t, name = key
        if kind == "n":
            ref = (g.ndata if homo else g.nodes[t].data)[name]
        else:
            ref = (g.edata if homo else g.edges[tuple(t.split(":"))].data)[name]
        got = np.zeros(ref.shape, ref.numpy().dtype)
        cnt = np.zeros(ref.shape[0], np.int64)
        for ids, vals in rows:
            got[ids] = vals
            cnt[ids] += 1
        if not (cnt == 1).all():
            raise AssertionError(f"feature {key}: rows covered {cnt.min()}..{cnt.max()} times")
        _eq(got, ref, f"feature {key}")


def _check_dgl_part(g, homo, part, gpb, p, orig_n, orig_e, seen):
    nid = part.ndata[dgl.NID]
    inner = part.ndata["inner_node"].bool()
    if not (gpb.nid2partid(nid[inner]) == p).all():
        raise AssertionError(f"part {p}: partition book does not own every inner node")
    if (gpb.nid2partid(nid[~inner]) == p).any():
        raise AssertionError(f"part {p}: a HALO node is owned by this partition")
    ie = part.edata["inner_edge"].bool()
    src, dst = part.edges()
    gs, gd, ge = nid[src[ie]], nid[dst[ie]], part.edata[dgl.EID][ie]
    _collect(g, homo, gpb, gs, gd, ge, orig_n, orig_e, seen)


_ORIG = {}  # (kind, type key, partition) -> original per-type IDs of the owned items, new-ID order


def _orig(gpb, kind, key, ids):
    """Original per-type IDs of new per-type IDs ``ids`` of type ``key`` (through the orig-ID maps)."""
    typed = tuple(key.split(":")) if kind == "edge" else key
    rng = (gpb._typed_nid_range if kind == "node" else gpb._typed_eid_range)[typed]
    owner = gpb.nid2partid(ids, typed) if kind == "node" else gpb.eid2partid(ids, typed)
    out = torch.empty_like(ids)
    for q in torch.unique(owner).tolist():
        sel = owner == q
        start = int((np.asarray(rng)[:q, 1] - np.asarray(rng)[:q, 0]).sum())  # rng: homogeneous-ID ranges
        out[sel] = _ORIG[(kind, key, q)][ids[sel] - start]
    return out


def _collect(g, homo, gpb, gs, gd, ge, orig_n, orig_e, seen):
    ntid_s, per_s = gpb.map_to_per_ntype(gs)
    ntid_d, per_d = gpb.map_to_per_ntype(gd)
    if ge is not None:
        etid, per_e = gpb.map_to_per_etype(ge)
    for r, c in enumerate(g.canonical_etypes):
        k = _etype_key(c)
        if ge is not None:
            sel = etid == r
        else:
            sel = r == _CURRENT_ETYPES
        if not sel.any():
            continue
        st, dt = g.ntypes.index(c[0]), g.ntypes.index(c[2])
        if not ((ntid_s[sel] == st).all() and (ntid_d[sel] == dt).all()):
            raise AssertionError(f"{k}: endpoints of another node type")
        os_ = _orig(gpb, "node", c[0], per_s[sel])
        od_ = _orig(gpb, "node", c[2], per_d[sel])
        oe = _orig(gpb, "edge", k, per_e[sel]) if ge is not None \
            else torch.full((int(sel.sum()),), -1, dtype=torch.int64)
        seen[k].append(np.stack([os_.numpy(), od_.numpy(), oe.numpy()], 1))


_CURRENT_ETYPES = None


def _check_feats(g, homo, nfeat, efeat, orig_n, orig_e, feats_seen, p):
    for key, val in nfeat.items():
        t, name = key.split("/", 1)
        ids = _ORIG[("node", t, p)]
        feats_seen.setdefault(("n", t, name), []).append((ids.numpy(), val.numpy()))
    for key, val in efeat.items():
        t, name = key.split("/", 1)
        ids = _ORIG[("edge", t, p)]
        feats_seen.setdefault(("e", t, name), []).append((ids.numpy(), val.numpy()))


def _load_orig_tables(cfg_path, cfg):
    root = os.path.dirname(cfg_path)
    _ORIG.clear()
    for q in range(cfg["num_parts"]):
        entry = cfg[f"part-{q}"]
        for kind, role in (("node", "orig_nids"), ("edge", "orig_eids")):
            for key, t in load_tensors(os.path.join(root, entry[role])).items():
                _ORIG[(kind, key, q)] = t.long()


def _check_gb_part(case, g, homo, gg, gpb, p, cfg_path, debug, orig_n, orig_e, seen):
    global _CURRENT_ETYPES
    na, ea = gg.node_attributes or {}, gg.edge_attributes or {}
    want_n = {"_ID"} | ({"inner_node"} if case["store_inner_node"] else set())
    want_e = ({"_ID"} if case["store_eids"] else set()) | ({"inner_edge"} if case["store_inner_edge"] else set())
    if not debug and (set(na) != want_n or set(ea) != want_e):
        raise AssertionError(f"part {p}: GraphBolt attributes {sorted(na)}/{sorted(ea)} != asked "
                             f"{sorted(want_n)}/{sorted(want_e)}")
    if debug:  # DGL_DIST_DEBUG: every field of graph.dgl, _TYPE (and part_id) narrowed to int8
        root = os.path.dirname(cfg_path)
        og = dgl.load_graphs(os.path.join(root, f"part{p}", "graph.dgl"))[0][0]
        _, _, eids = og.adj().csc()
        if set(na) != set(og.ndata) or set(ea) != set(og.edata):
            raise AssertionError(f"part {p}: debug mode stores {sorted(na)}/{sorted(ea)}, graph.dgl has "
                                 f"{sorted(og.ndata)}/{sorted(og.edata)}")
        for k in na:
            if not torch.equal(og.ndata[k], na[k]):
                raise AssertionError(f"part {p}: debug node attribute {k} differs from graph.dgl")
        for k in ea:
            if not torch.equal(og.edata[k][eids], ea[k]):
                raise AssertionError(f"part {p}: debug edge attribute {k} differs from graph.dgl")
        for frame, k in ((na, dgl.NTYPE), (ea, dgl.ETYPE), (na, "part_id")):
            if k in frame and frame[k].dtype != torch.int8:
                raise AssertionError(f"part {p}: debug {k} is {frame[k].dtype}, DGL 2.1 writes int8")
    dtypes = {"indptr": (gg.csc_indptr, torch.int32), "indices": (gg.indices, torch.int32),
              "node _ID": (na["_ID"], torch.int64)}
    if "inner_node" in na:
        dtypes["inner_node"] = (na["inner_node"], torch.uint8)
    if "_ID" in ea:
        dtypes["edge _ID"] = (ea["_ID"], torch.int64)
    if "inner_edge" in ea:
        dtypes["inner_edge"] = (ea["inner_edge"], torch.uint8)
    if gg.type_per_edge is not None:
        dtypes["type_per_edge"] = (gg.type_per_edge, torch.int8)
    for what, (t, dt) in dtypes.items():
        if t.dtype != dt:
            raise AssertionError(f"part {p}: {what} is {t.dtype}, DGL 2.1 writes {dt}")
    if gg.node_type_offset is not None:
        raise AssertionError(f"part {p}: node_type_offset is set (DGL 2.1 leaves it None)")
    if homo:
        if gg.type_per_edge is not None or gg.node_type_to_id is not None or gg.edge_type_to_id is not None:
            raise AssertionError(f"part {p}: homogeneous graph has type information")
    else:
        for nt, i in gg.node_type_to_id.items():
            if g.get_ntype_id(nt) != i:
                raise AssertionError(f"node type {nt}: id {i} != input's {g.get_ntype_id(nt)}")
        for et, i in gg.edge_type_to_id.items():
            if g.get_etype_id(tuple(et.split(":"))) != i:
                raise AssertionError(f"edge type {et}: id {i} != input's")
    if case["dgl_graph"]:  # what DGL's test_partition.py asserts between graph.dgl and the GraphBolt file
        root = os.path.dirname(cfg_path)
        orig_g = dgl.load_graphs(os.path.join(root, f"part{p}", "graph.dgl"))[0][0]
        indptr, indices, eids = orig_g.adj().csc()
        _eq(indptr, gg.csc_indptr.long(), f"part {p}: indptr vs graph.dgl adj().csc()")
        _eq(indices, gg.indices.long(), f"part {p}: indices vs graph.dgl adj().csc()")
        _eq(orig_g.ndata[dgl.NID], na["_ID"], f"part {p}: node _ID")
        if "inner_node" in na:
            _eq(orig_g.ndata["inner_node"], na["inner_node"], f"part {p}: inner_node")
        if "_ID" in ea:
            _eq(orig_g.edata[dgl.EID][eids], ea["_ID"], f"part {p}: edge _ID")
        if "inner_edge" in ea:
            _eq(orig_g.edata["inner_edge"][eids], ea["inner_edge"], f"part {p}: inner_edge")
        if not homo:
            _eq(orig_g.edata[dgl.ETYPE][eids], gg.type_per_edge.long(), f"part {p}: type_per_edge")
    # the edges through _ID are the input's (inner edges: destination owned here)
    nid = na["_ID"]
    dst = torch.repeat_interleave(torch.arange(gg.total_num_nodes), torch.diff(gg.csc_indptr.long()))
    src = gg.indices.long()
    inner_e = gpb.nid2partid(nid[dst]) == p
    if "inner_edge" in ea:
        _eq(ea["inner_edge"].bool(), inner_e, f"part {p}: inner_edge vs node map")
    if "inner_node" in na:
        _eq(na["inner_node"].bool(), gpb.nid2partid(nid) == p, f"part {p}: inner_node vs node map")
    if seen is not None:
        _CURRENT_ETYPES = (gg.type_per_edge.long() if gg.type_per_edge is not None
                           else torch.zeros(src.shape[0], dtype=torch.int64))[inner_e]
        ge = ea["_ID"][inner_e] if "_ID" in ea else None
        _collect(g, homo, gpb, nid[src[inner_e]], nid[dst[inner_e]], ge, None, None, seen)
    if DGL2 and "_ID" in ea and "DGL_DIST_DEBUG" not in os.environ:
        from dgl.distributed.partition import _verify_graphbolt_partition, load_partition_book

        _, _, nts, ets = load_partition_book(cfg_path, p)
        _verify_graphbolt_partition(gg, p, gpb, nts, ets)


def check(manifest):
    cases = _read_json(manifest)
    bad = 0
    for case in cases:
        try:
            cfg = _read_json(case["config"])
            _load_orig_tables(case["config"], cfg)
            check_case(case)
            print("OK", case["config"], flush=True)
        except Exception as exc:  # noqa: BLE001 - report every case
            bad += 1
            print(f"FAIL {case['config']}: {type(exc).__name__}: {exc}", flush=True)
            traceback.print_exc(file=sys.stderr)
    if bad:
        sys.exit(1)


def make(manifest):
    cases = _read_json(manifest)
    for case in cases:
        g, homo = load_input(case["input"])
        dgl.seed(0)
        kwargs = {}
        if case["graphbolt"]:
            kwargs = {"use_graphbolt": True, "store_eids": case["store_eids"],
                      "store_inner_node": case["store_inner_node"], "store_inner_edge": case["store_inner_edge"]}
        partition_graph(g, case["name"], case["num_parts"], case["out"], part_method=case["method"],
                        graph_formats=case["graph_formats"], return_mapping=False, **kwargs)
        print("MADE", case["out"], flush=True)


if __name__ == "__main__":
    {"check": check, "make": make}[sys.argv[1]](sys.argv[2])

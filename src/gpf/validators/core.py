"""``gpf.validate(path) -> Report``: run every check of SPEC.md section 10 on a partition set.

Order: read the config JSON (unreadable: exit status 2), normalise legacy forms, config checks
(all of them, reporting every defect), then — unless ``quick`` or the config is too broken to
interpret the files — each partition's graph, features and ID maps (:func:`check_partition`, one
task per partition: a loop in this process, or Dask tasks with ``workers``/``scheduler``/``client``;
a partition that does not decode is reported and skipped), then, on the merged results in
partition order (so the report is the same either way), the checks across partitions, the
warnings and, with ``against``, the comparison with the original graph.

Boundary between "invalid" (1) and "unreadable" (2): the set is unreadable only when the config
itself cannot be read as a JSON object (missing file, a directory, over 64 MiB, not UTF-8, not
JSON, nested deeper than 64, not an object) or the ``against`` graph cannot be read.  Everything
else — a config that is valid JSON but breaks the spec, files that are missing or corrupt — is
an invalid set with problem codes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gpf.errors import FormatError, GpfError, UnsupportedError, problem_code
from gpf.sdk import paths
from gpf.sdk.storage.base import PartGraph
from gpf.sdk.storage.registry import ReadOptions, graph_role, locate_config, open_store
from gpf.validators import against as against_checks
from gpf.validators.config_checks import ConfigContext, run_config_checks
from gpf.validators.feature_checks import (
    check_feature_consistency,
    check_feature_keys,
    check_orig_map,
    check_orig_permutation,
    check_orig_presence,
)
from gpf.validators.guard import guarded
from gpf.validators.partition_checks import (
    PARTITION_CHECKS,
    PartData,
    SetFacts,
    check_graph_files_agree,
    load_part,
)
from gpf.validators.report import Report
from gpf.validators.set_checks import (
    HaloCopy,
    build_set_edges,
    check_balance,
    run_set_checks,
)

__all__ = ["validate"]


def validate(path: str | os.PathLike[str], *, quick: bool = False, against: Any = None, max_examples: int = 5,
             prefer: str = "dgl", workers: int | None = None, scheduler: str | None = None,
             client: Any = None, progress: bool = False) -> Report:
    """Check the partition set whose config is at ``path``; return a :class:`Report` (never raises on bad input).

    ``quick``: config-level checks only (no array is read).  ``against``: the original graph (a
    :class:`gpf.Graph` or any input ``gpf partition`` accepts) to check the set is a faithful
    partitioning of it.  ``max_examples``: example IDs kept per problem.  ``prefer``: which graph
    file to check when a partition names both a DGL and a GraphBolt one.  ``workers`` /
    ``scheduler`` / ``client``: check the partitions in parallel on Dask (:mod:`gpf.parallel`);
    the report is the same as in-process.  ``progress``: progress bars on stderr when it is a terminal
    (the partitions, then the pass across them).
    """
    path = os.fspath(path)
    rep = Report(path, max_examples)
    from gpf.parallel import runner

    with runner(workers, scheduler, client) as run:  # no cluster: a GpfError (the CLI's exit 2)
        guarded(rep, "validate", _validate, rep, path, quick, against, prefer, run, progress)  # the last net
    return rep


def _validate(rep: Report, path: str, quick: bool, against: Any, prefer: str, runner=None,
              progress: bool = False) -> None:
    from gpf.errors import ConfigError
    from gpf.sdk.read.locate import locate_set

    try:
        path = locate_set(path).config  # a config file, a directory holding one, a Zarr store, a URL
    except ConfigError as e:
        rep.error("config.unreadable", e.message, path=e.path)
        return
    raw = _read_config(rep, path)
    if raw is None:
        return
    path = config_location(path)
    cfg_obj = _check_config(rep, raw, path)
    if cfg_obj is None or quick:
        return
    config, ctx = cfg_obj
    graph = _load_against(rep, against)
    if against is not None and graph is None:
        return
    from gpf.sdk.memory import reuse_freed_memory

    try:
        run = _Run(rep, config, path, prefer, graph, ctx.bad_files)
    except GpfError as e:  # e.g. an unknown gpf_backend: already reported as a config problem
        if not rep.errors:
            rep.error("config.schema", str(e), path=path)
        rep.warn("check.skipped", f"partition files not checked: {' '.join(str(e).split())}", path=path)
        return
    with reuse_freed_memory():  # big temporaries reuse freed pages instead of faulting fresh ones
        run.run(runner, progress)


def _load_against(rep: Report, against: Any):
    from gpf.sdk.write.graph import Graph
    from gpf.sdk.write.inputs import load_graph

    if against is None or isinstance(against, Graph):
        return against
    try:
        return load_graph(against)
    except (GpfError, OSError, ValueError) as e:
        rep.error("against.unreadable", f"cannot read the original graph: {' '.join(str(e).split())}",
                  path=os.fspath(against))
        return None


# -- config ----------------------------------------------------------------------------------------
def _read_config(rep: Report, path: str) -> dict | None:
    from gpf.errors import ConfigError
    from gpf.spec import decode_config_json, read_config_json

    try:
        found = locate_config(path)
        if found is not None:  # a backend that keeps the config inside its store (a Zarr set's root attributes)
            backend, where = found
            assert backend.read_config is not None
            raw = backend.read_config(where)
        elif paths.is_url(path):
            from gpf.sdk.codecs.buffer import open_buffer

            raw = decode_config_json(bytes(open_buffer(path).data), source=path)
        else:
            raw = read_config_json(path)
    except (ConfigError, FormatError) as e:
        rep.error("config.unreadable", e.message if hasattr(e, "message") else str(e), path=path)
        return None
    except (OSError, ValueError) as e:  # e.g. a path the OS cannot encode, a broken Zarr store
        rep.error("config.unreadable", f"{type(e).__name__}: {' '.join(str(e).split())[:300]}", path=path)
        return None
    from gpf.spec.normalize import not_a_config_reason

    reason = not_a_config_reason(raw)
    if reason is not None:
        rep.error("config.not_config", reason, path=path)
        return None
    return raw


def config_location(path: str) -> str:
    """The path the dataset root is taken from: the config file, or where a backend that keeps
    the config inside its store has it (a Zarr store's ``zarr.json``)."""
    found = locate_config(path)
    return path if found is None else found[1]


def _check_config(rep: Report, raw: dict, path: str):
    from gpf.sdk.read.reader import PlainEtypeResolver
    from gpf.spec import normalize_config, parse_config

    ctx = ConfigContext(path, paths.dataset_root(path))
    resolver = _SafeResolver(PlainEtypeResolver(path), path)
    try:
        norm, _notes = normalize_config(raw, etype_resolver=resolver, source=path)
    except UnsupportedError as e:
        rep.error("config.unsupported", str(e), path=path)
        return None
    except GpfError as e:
        rep.error("config.schema", getattr(e, "message", str(e)), path=path, examples=_error_key(e))
        return None
    run_config_checks(rep, norm, ctx, raw_keys=len(raw))
    had_errors = bool(rep.errors)
    try:
        config = parse_config(raw, source=path, etype_resolver=resolver)
    except GpfError as e:
        if not had_errors:  # a defect the named checks above do not know: the model's message says it
            rep.error("config.schema", getattr(e, "message", str(e)), path=path, examples=_error_key(e))
        return None
    if not ctx.sound:
        rep.warn("check.skipped", "partition files not checked: the config's types or ranges are broken", path=path)
        return None
    f = guarded(rep, "partition book", SetFacts.from_config, config)
    if f is None:
        return None
    guarded(rep, "check_balance", check_balance, rep, f)
    rep.count("partitions", config.num_parts)
    return config, ctx


class _SafeResolver:
    """The reader's pre-1.0 etype resolver, with any failure on a malformed config turned into a ConfigError."""

    def __init__(self, resolver, path: str) -> None:
        self.resolver = resolver
        self.path = path

    def __call__(self, names):
        from gpf.errors import ConfigError

        try:
            return self.resolver(names)
        except GpfError:
            raise
        except Exception as e:  # noqa: BLE001 - e.g. a non-object etypes: the config is malformed
            raise ConfigError(self.path, f"plain edge-type keys {list(names)[:5]} cannot be resolved: "
                              f"{type(e).__name__}: {' '.join(str(e).split())[:200]}", key="etypes") from None


# -- partitions ------------------------------------------------------------------------------------
@dataclass
class PartResult:
    """What checking one partition found: its problems and counts, and the little the checks across
    partitions need (inner-edge endpoints, HALO copies, feature and ID-map summaries)."""

    p: int
    problems: list
    checked: dict[str, int]
    inner_ok: bool = True
    eids_stored: bool = True  # False: a GraphBolt partition without edge IDs (checks across partitions cannot run)
    endpoints: _InnerEndpoints | None = None
    halo: HaloCopy | None = None
    feats: dict[str, dict | None] = field(default_factory=lambda: {"node": None, "edge": None})
    feat_keys: dict[str, set | None] = field(default_factory=lambda: {"node": None, "edge": None})
    orig: dict[str, dict | None] = field(default_factory=lambda: {"node": None, "edge": None})
    orig_present: dict[str, bool | None] = field(default_factory=lambda: {"node": None, "edge": None})
    files: dict[str, str | None] = field(default_factory=dict)  # role -> the file read (for messages)


@dataclass
class _InnerEndpoints:
    """A partition's inner edges' global endpoints, what :func:`build_set_edges` asks for: computed on
    demand from the partition's (memory-mapped) arrays in-process, stored for a Dask task's result."""

    p: int
    src: np.ndarray | None = None
    dst: np.ndarray | None = None
    part: PartData | None = None
    m_inner: int = 0
    node_lo: int = 0

    def inner_endpoints(self, m_inner: int, node_lo: int) -> tuple[np.ndarray, np.ndarray]:
        if self.part is not None:
            return self.part.inner_endpoints(self.m_inner, self.node_lo)
        assert self.src is not None and self.dst is not None
        return self.src, self.dst

    def materialized(self) -> _InnerEndpoints:
        return _InnerEndpoints(self.p, *self.inner_endpoints(self.m_inner, self.node_lo))


@dataclass
class _FeatureShape:
    """dtype and shape of a feature, for the checks across partitions (F4) when values are not needed."""

    dtype: np.dtype
    shape: tuple


def check_partition(config, path: str, prefer: str, bad_files: set, max_examples: int, keep_values: bool,
                    detach: bool, p: int) -> PartResult:
    """Every per-partition check of partition ``p`` (a Dask task, or a step of the in-process loop).

    ``detach``: copy the kept arrays out of the partition's memory-mapped files (for a task whose
    result waits on a worker; in-process the views are cheaper)."""
    rep = Report(path, max_examples)
    res = PartResult(p, rep.problems, rep.checked)
    guarded(rep, "partition checks", _PartitionCheck(rep, config, path, prefer, bad_files, keep_values).run, p, res,
            partition=p)
    if detach:
        _own_arrays(res)
    return res


def _own_arrays(res: PartResult) -> None:
    """Copy what the result keeps out of the partition's memory-mapped files, so the files are unmapped
    when the task ends (a worker holding many results would otherwise hold many partitions)."""
    own = lambda a: a if isinstance(a, np.ndarray) and a.base is None else np.array(a)  # noqa: E731
    if res.halo is not None:
        res.halo = res.halo.materialized()
    if res.endpoints is not None:
        res.endpoints = res.endpoints.materialized()
    for kind in ("node", "edge"):
        orig, feats = res.orig[kind], res.feats[kind]
        if orig is not None:
            res.orig[kind] = {k: own(v) for k, v in orig.items()}
        if feats is not None:
            res.feats[kind] = {k: v if isinstance(v, _FeatureShape) else own(v) for k, v in feats.items()}


class _Run:
    """The partitions (one task each, in this process or on Dask), then the checks across them."""

    def __init__(self, rep: Report, config, path: str, prefer: str, against: Any,
                 bad_files: set[tuple[int, str]]) -> None:
        from gpf.sdk.read.reader import PartitionSet

        PartitionSet(config, path, prefer=prefer, mmap=True)  # an unknown backend fails here, before any task
        self.rep = rep
        self.config = config
        self.path = path
        self.prefer = prefer
        self.f = SetFacts.from_config(config)
        self.against = against
        self.bad_files = bad_files  # (partition, role) whose path checks failed: not read again

    def run(self, runner=None, progress: bool = False) -> None:
        rep, f = self.rep, self.f
        todo = [p for p in range(f.num_parts) if (p, "*") not in self.bad_files and p < len(self.config.parts)]
        inner_ok = len(todo) == f.num_parts  # a missing partition: part.missing says why
        distributed = runner is not None and runner.distributed
        args = [(self.config, self.path, self.prefer, self.bad_files, rep.max_examples, self.against is not None,
                 distributed, p) for p in todo]
        if distributed:
            results = runner.map(check_partition, args, description="validating partitions", progress=progress)
        else:
            from gpf.progress import track

            steps = track(args, total=len(args), description="validating partitions") if progress else args
            results = [check_partition(*a) for a in steps]
        feats: dict[str, dict[int, Any]] = {"node": {}, "edge": {}}
        feat_keys: dict[str, dict[int, Any]] = {"node": {}, "edge": {}}
        self.files: dict[str, dict[int, str]] = {}
        self.orig: dict[str, dict[int, dict[str, np.ndarray]]] = {"node": {}, "edge": {}}
        self.orig_present: dict[str, dict[int, bool]] = {"node": {}, "edge": {}}
        ends, halos = [], []
        no_eids = [r.p for r in results if not r.eids_stored]
        for r in results:  # in partition order: the report reads as the in-process loop's
            rep.problems.extend(r.problems)
            for role, file in r.files.items():
                if file:
                    self.files.setdefault(role, {})[r.p] = file
            for what, n in r.checked.items():
                rep.count(what, n)
            inner_ok = inner_ok and r.inner_ok
            if r.endpoints is not None:
                ends.append(r.endpoints)
                halos.append(r.halo)
            for kind in ("node", "edge"):
                if r.feats[kind] is not None:
                    feats[kind][r.p], feat_keys[kind][r.p] = r.feats[kind], r.feat_keys[kind]
                if r.orig[kind] is not None:
                    self.orig[kind][r.p] = r.orig[kind]
                if r.orig_present[kind] is not None:
                    self.orig_present[kind][r.p] = r.orig_present[kind]
        del results
        self.feats = feats
        for kind in ("node", "edge"):
            guarded(rep, "check_feature_consistency", check_feature_consistency, rep, f, kind, feats[kind],
                    feat_keys[kind], self.files.get(f"{kind}_feats"))
        orig = {kind: guarded(rep, "original-ID maps", self._orig_maps, kind) for kind in ("node", "edge")}
        ge = None
        if inner_ok and len(ends) == f.num_parts:
            ge = guarded(rep, "set edges", build_set_edges, f, ends)
        ends.clear()
        if ge is not None:
            guarded(rep, "checks across partitions", run_set_checks, rep, f, ge, halos, progress)
        elif no_eids and not rep.errors:
            rep.add("check.not_stored", "checks across partitions (HALO copies, k-hop HALO, self-loops, parallel "
                    f"edges, isolated nodes) not run: partition(s) {no_eids[:8]} store no edge IDs (GraphBolt "
                    "files written without store_eids / --store-eids)", examples=no_eids)
        elif f.num_parts:
            rep.warn("check.skipped", "checks across partitions (HALO copies, k-hop HALO, self-loops, parallel "
                     "edges, isolated nodes) skipped: some partition's inner edges are broken")
        if self.against is not None:
            guarded(rep, "against", self._against, ge, orig)

    def _orig_maps(self, kind: str) -> dict[str, list[np.ndarray]] | None:
        if not check_orig_presence(self.rep, kind, self.orig_present[kind]):
            return None
        return check_orig_permutation(self.rep, self.f, kind, self.orig[kind], self.files.get(f"orig_{kind[0]}ids"))

    def _against(self, ge, orig) -> None:
        rep, f = self.rep, self.f
        g = self.against
        if not against_checks.check_types_and_counts(rep, f, g):
            return
        if orig["node"] is None or orig["edge"] is None:
            if not any(self.orig_present[k].values() for k in ("node", "edge")):
                rep.error("against.no_orig_ids", "the set stores no original-ID maps (orig_nids/orig_eids), so it "
                          "cannot be compared with the original graph")
            return
        maps = {kind: {t: np.concatenate(chunks) for t, chunks in orig[kind].items()} for kind in ("node", "edge")}
        if ge is not None:
            against_checks.check_edges_against(rep, f, g, ge, maps["node"], maps["edge"])
        against_checks.check_features_against(rep, f, g, "node", self.feats["node"], maps["node"])
        against_checks.check_features_against(rep, f, g, "edge", self.feats["edge"], maps["edge"])



class _PartitionCheck:
    """The checks of one partition: its graph, features and original-ID maps."""

    def __init__(self, rep: Report, config, path: str, prefer: str, bad_files: set, keep_values: bool) -> None:
        from gpf.sdk.read.reader import PartitionSet

        self.rep = rep
        self.config = config
        # G1 range-checks the local IDs itself, in passes later checks reuse: the codec need not
        self.pset = PartitionSet(config, path, prefer=prefer, mmap=True, check_indices=False)
        self.f = SetFacts.from_config(config)
        self.bad_files = bad_files
        self.keep_values = keep_values  # --against compares feature values; otherwise dtype and shape suffice

    def run(self, p: int, res: PartResult) -> None:
        rep = self.rep
        guarded(rep, "partition graph checks", self._graph, p, res, partition=p)
        guarded(rep, "feature checks", self._features, p, res, partition=p)
        guarded(rep, "original-ID checks", self._orig_ids, p, res, partition=p)

    def _graph(self, p: int, res: PartResult) -> None:
        rep, f = self.rep, self.f
        res.inner_ok = False
        if (p, "graph") in self.bad_files:
            return
        role = self._graph_role(p)
        if (p, role) in self.bad_files:
            return
        path = self._entry_value(p, role) or f"part-{p}"
        store = self.pset.store
        d = load_part(rep, p, lambda: store.read_graph(p), path, graphbolt=role == "part_graph_graphbolt")
        if d is None:
            return
        res.eids_stored = d.eids_stored
        rep.count("nodes read", d.num_nodes)
        rep.count("edges read", d.num_edges)
        for check in PARTITION_CHECKS:
            guarded(rep, check.__name__, check, rep, f, d, partition=p)
        if role == "part_graph" and self._entry_value(p, "part_graph_graphbolt") is not None or \
                role == "part_graph_graphbolt" and self._entry_value(p, "part_graph") is not None:
            guarded(rep, "check_graph_files_agree", self._both_graphs, p, role, d, partition=p)
        if not (d.inner_edges_ok and d.nodes_ok and d.local_ok):
            return
        if f.node_range(p)[1] - f.node_range(p)[0] > d.num_nodes:
            return  # the config claims more nodes than the file stores: nothing is sized by the claim
        lo, hi = f.edge_range(p)
        n_lo, n_hi = f.node_range(p)
        res.halo = d.halo_copy(hi - lo, n_lo, n_hi - n_lo)
        res.endpoints = _InnerEndpoints(p, part=d, m_inner=hi - lo, node_lo=n_lo)
        res.inner_ok = True

    def _both_graphs(self, p: int, role: str, d: PartData) -> None:
        """B2: read the partition's other graph file (DGL <-> GraphBolt) and compare."""
        other_role = "part_graph_graphbolt" if role == "part_graph" else "part_graph"
        if (p, other_role) in self.bad_files:
            return
        store = open_store(self.config, self.pset.path, self.pset.root,
                           ReadOptions(prefer="graphbolt" if role == "part_graph" else "dgl",
                                       owner_of=self.pset.book.nid2partid))
        other = load_part(self.rep, p, lambda: store.read_graph(p), self._entry_value(p, other_role),
                          graphbolt=other_role == "part_graph_graphbolt")
        if other is not None:
            check_graph_files_agree(self.rep, self.f, d, PartGraph(other.num_nodes, other.src, other.dst,
                                                                   other.ndata, other.edata, other.path))

    def _file(self, p: int, role: str) -> str:
        """The resolved path of a partition's file (or array tree) for messages."""
        try:
            files = self.pset.store.files(p)
        except (GpfError, OSError, ValueError):
            files = {}
        return files.get(role) or files.get("gpf_path") or self._entry_value(p, "gpf_path") or f"part-{p}.{role}"

    def _entry_value(self, p: int, key: str):
        entry = self.config.parts[p]
        return getattr(entry, key, None) if key in type(entry).model_fields else (entry.model_extra or {}).get(key)

    def _graph_role(self, p: int) -> str:
        """The part-<i> key naming the graph that is read: DGL's choice of file, or gpf_path."""
        return graph_role(self.pset.store, p)

    def _features(self, p: int, res: PartResult) -> None:
        rep, f = self.rep, self.f
        store = self.pset.store
        for kind, role, read in (("node", "node_feats", store.read_node_feats),
                                 ("edge", "edge_feats", store.read_edge_feats)):
            if (p, role) in self.bad_files:
                continue
            path = self._file(p, role)
            try:
                stored = read(p)
                feats = {k: stored[k] for k in stored}  # a lazy mapping reads here, inside the net
            except FormatError as e:
                rep.error(problem_code(e, "feature.format"), f"cannot decode: {e}", partition=p, path=e.path,
                          examples=[] if e.offset is None else [e.offset])
                continue
            except GpfError as e:
                rep.error("feature.format", str(e), partition=p, path=path)
                continue
            res.files[role] = path
            good, named = check_feature_keys(rep, f, p, kind, feats, path)
            res.feats[kind] = {k: np.asarray(a) for k, a in good.items()} if self.keep_values else \
                {k: _FeatureShape(a.dtype, tuple(a.shape)) for k, a in good.items()}
            res.feat_keys[kind] = named
            rep.count(f"{kind} feature tensors", len(feats))

    def _orig_ids(self, p: int, res: PartResult) -> None:
        rep, f = self.rep, self.f
        for kind, what in (("node", "nodes"), ("edge", "edges")):
            if (p, f"orig_{kind[0]}ids") in self.bad_files:
                continue  # a path problem says why; presence unknown
            try:
                maps = self.pset.store.read_orig_ids(p, what)
                maps = None if maps is None else {k: maps[k] for k in maps}  # a lazy mapping reads here
            except FormatError as e:
                rep.error(problem_code(e, "orig_ids.format"), f"cannot decode: {e}", partition=p, path=e.path,
                          examples=[] if e.offset is None else [e.offset])
                res.orig_present[kind] = True
                continue
            except GpfError as e:
                rep.error("orig_ids.format", str(e), partition=p)
                res.orig_present[kind] = True
                continue
            res.orig_present[kind] = maps is not None
            if maps is not None:
                res.files[f"orig_{kind[0]}ids"] = where = self._file(p, f"orig_{kind[0]}ids")
                res.orig[kind] = check_orig_map(rep, f, p, kind, maps, where)


def _error_key(e: GpfError) -> list:
    """The offending config key an error names, as report examples (none when it names none)."""
    key = getattr(e, "key", None)
    return [key] if key else []

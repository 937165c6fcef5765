"""The package's shape: data flows one way, no import cycles, no library module imports the CLI.

Every module under ``src/gpf`` is parsed with :mod:`ast` (nothing is imported), every ``import``
in it (at module level *and* inside functions: a deferred import still is a dependency, it only
hides a cycle from the reader) becomes an edge of the module graph, and three rules are checked:

* no cycle among gpf modules;
* only ``gpf.cli`` imports ``gpf.cli``;
* a module imports only from its own layer or earlier ones (:data:`LAYERS`);
* no module uses a deprecated module path (``gpf.sdk.reader``, ... :data:`gpf._moved.MOVED`).

Imports under ``if TYPE_CHECKING:`` never run and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Earlier layers never import later ones. Packages within one layer do not import each other
# either, except where SAME_LAYER_OK says so.
LAYERS: list[tuple[str, ...]] = [
    ("gpf.errors", "gpf.extras", "gpf.progress", "gpf.parallel", "gpf.files", "gpf.limits"),  # shared by everyone
    ("gpf.native",),  # ctypes calls into native libraries (METIS) and the capture of their output
    ("gpf.spec",),  # the format: models, normalisation, schema
    ("gpf.sdk.paths", "gpf.sdk.arrays", "gpf.sdk.aligned", "gpf.sdk.memory"),  # path safety, array kernels
    ("gpf.sdk.codecs",),  # DGL's binary files, GraphBolt's .pt: bytes <-> arrays
    ("gpf.sdk.storage",),  # the backends behind PartitionStore / PartitionWriter
    ("gpf.sdk.read",),  # PartitionSet, Partition, the partition book
    ("gpf.sdk.write",),  # graph input, partitioners, reshuffle, HALO, the two pipelines
    ("gpf.sdk.ops",),  # convert, upgrade, summary
    ("gpf.converters", "gpf.validators", "gpf.loader", "gpf.datasets", "gpf.data"),
    ("gpf",),  # the package's public names (gpf/__init__.py)
    ("gpf.cli",),  # the `gpf` command
]
SAME_LAYER_OK: set[tuple[str, str]] = {
    ("gpf.parallel", "gpf.errors"), ("gpf.parallel", "gpf.progress"), ("gpf.progress", "gpf.errors"),
    ("gpf.extras", "gpf.errors"),
    ("gpf.files", "gpf.errors"),
    ("gpf.sdk.aligned", "gpf.sdk.arrays"), ("gpf.sdk.paths", "gpf.sdk.arrays"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, tuple[Path, ast.Module]]:
    out = {}
    for path in sorted((SRC / "gpf").rglob("*.py")):
        out[_module_name(path)] = (path, ast.parse(path.read_text(), filename=str(path)))
    return out


MODULES = _modules()


def _moved() -> dict[str, str]:
    """gpf._moved.MOVED, read from the source (nothing is imported)."""
    for node in MODULES["gpf._moved"][1].body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "MOVED":
            return ast.literal_eval(node.value)
    raise AssertionError("gpf/_moved.py has no MOVED table")


MOVED = _moved()


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(name: str, tree: ast.Module, raw: bool = False) -> list[tuple[str, int]]:
    """(imported gpf module, line) for every runtime import in the module; with ``raw``, the dotted
    names as written (``from a.b import c``: ``a.b`` and ``a.b.c``)."""
    is_pkg = MODULES[name][0].name == "__init__.py"
    found: list[tuple[str, int]] = []

    def resolve(target: str) -> str | None:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        return target or None

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "gpf" or a.name.startswith("gpf."):
                    found.append((a.name if raw else resolve(a.name), node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = name if is_pkg else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    pkg = pkg.rpartition(".")[0]
                base = f"{pkg}.{base}" if base else pkg
            if base == "gpf" or base.startswith("gpf."):
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    if raw:
                        found.extend([(base, node.lineno), (sub, node.lineno)])
                    else:
                        found.append((sub if sub in MODULES else resolve(base), node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return [(t, line) for t, line in found if t is not None and t != name]


GRAPH: dict[str, list[tuple[str, int]]] = {m: _imports(m, tree) for m, (_, tree) in MODULES.items()}


def _where(mod: str, line: int) -> str:
    return f"{MODULES[mod][0].relative_to(SRC.parent)}:{line}"


def _layer(mod: str) -> tuple[int, str]:
    """(index in LAYERS, the matching prefix) of the longest prefix that names ``mod``."""
    best = (-1, "")
    for i, group in enumerate(LAYERS):
        for prefix in group:
            if (mod == prefix or mod.startswith(prefix + ".")) and len(prefix) > len(best[1]):
                best = (i, prefix)
    return best


def test_every_module_has_a_layer():
    assert [m for m in MODULES if _layer(m)[0] < 0] == []


def test_no_module_uses_a_deprecated_path():
    bad = [f"{_where(m, line)} imports {t} (now {MOVED[t]})" for m, (_, tree) in MODULES.items()
           for t, line in _imports(m, tree, raw=True) if t in MOVED]
    assert bad == []
    assert not [old for old in MOVED if old in MODULES], "a deprecated path is a real module again"
    assert not [new for new in MOVED.values() if new not in MODULES], "an alias points nowhere"


def test_no_library_module_imports_the_cli():
    bad = [f"{_where(m, line)} imports {t}" for m in MODULES if not _in(m, "gpf.cli")
           for t, line in GRAPH[m] if _in(t, "gpf.cli")]
    assert bad == []


def test_layers_only_import_earlier_layers():
    bad = []
    for m in MODULES:
        (mi, mp) = _layer(m)
        for t, line in GRAPH[m]:
            (ti, tp) = _layer(t)
            if ti > mi or (ti == mi and tp != mp and (mp, tp) not in SAME_LAYER_OK):
                bad.append(f"{_where(m, line)}: {m} ({mp}) imports {t} ({tp})")
    assert bad == []


def test_no_import_cycles():
    edges = {m: sorted({t for t, _ in GRAPH[m]}) for m in MODULES}
    cycles = [c for c in _strongly_connected(edges) if len(c) > 1]
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(sorted(c)) for c in cycles)


def test_the_checker_sees_cycles_and_cli_imports():
    """The rules above are not vacuous: the parser finds the edges they forbid when they exist."""
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}
    assert sorted(map(sorted, _strongly_connected(graph))) == [["a", "b", "c"], ["d"]]
    assert any(t == "gpf.sdk.read.reader" for t, _ in GRAPH["gpf.sdk.ops.convert"])
    assert any(t == "gpf.cli.flags" for t, _ in GRAPH["gpf.cli.convert"])  # a module-level import
    assert any(t == "gpf.validators.core" for t, _ in GRAPH["gpf.cli.validate"])  # one inside a function


def _in(mod: str, pkg: str) -> bool:
    return mod == pkg or mod.startswith(pkg + ".")


def _strongly_connected(edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(edges.get(nxt, ()))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    out.append(comp)
    return out


@pytest.mark.parametrize("old", sorted(MOVED))
def test_deprecated_path_is_the_new_module(old):
    import importlib
    import sys

    import gpf  # noqa: F401  (installs the aliases)

    new = MOVED[old]
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
        alias = importlib.import_module(old)
    assert alias is importlib.import_module(new)
    assert alias.__name__ == new


def test_deprecated_from_import_works():
    import sys
    import warnings

    sys.modules.pop("gpf.sdk.writer", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from gpf.sdk.writer import _balance, partition  # a private name too: the same module
    from gpf.sdk.write.writer import _balance as b2
    from gpf.sdk.write.writer import partition as p2

    assert (_balance, partition) == (b2, p2)

"""The package's shape: data flows one way, no import cycles, no library module imports the CLI.

Every module under ``src/gpf`` is parsed with :mod:`ast` (nothing is imported), every ``import``
in it (at module level *and* inside functions: a deferred import still is a dependency, it only
hides a cycle from the reader) becomes an edge of the module graph, and three rules are checked:

* no cycle among gpf modules;
* only ``gpf.cli`` imports ``gpf.cli``;
* a module imports only from its own layer or earlier ones (:data:`LAYERS`).

Imports under ``if TYPE_CHECKING:`` never run and are left out.  The deprecated aliases at the
old module paths (``gpf.sdk.reader``, ...) are not part of the layout: no gpf module may import
them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Earlier layers never import later ones. Packages within one layer do not import each other
# either, except where SAME_LAYER_OK says so.
LAYERS: list[tuple[str, ...]] = [
    ("gpf.errors", "gpf.progress", "gpf.parallel"),  # shared by everyone, import nothing of gpf's
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
    ("gpf.sdk.aligned", "gpf.sdk.arrays"), ("gpf.sdk.paths", "gpf.sdk.arrays"),
}
ALIAS_MARK = "Deprecated alias of"


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
ALIASES = {m for m, (_, tree) in MODULES.items() if (ast.get_docstring(tree) or "").startswith(ALIAS_MARK)}


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(name: str, tree: ast.Module) -> list[tuple[str, int]]:
    """(imported gpf module, line) for every runtime import in the module."""
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
                    found.append((resolve(a.name), node.lineno))
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
    assert [m for m in MODULES if m not in ALIASES and _layer(m)[0] < 0] == []


def test_no_module_imports_a_deprecated_alias():
    assert ALIASES, "the deprecated aliases are gone: drop this test's alias handling"
    bad = [f"{_where(m, line)} imports {t}" for m in MODULES if m not in ALIASES
           for t, line in GRAPH[m] if t in ALIASES]
    assert bad == []


def test_no_library_module_imports_the_cli():
    bad = [f"{_where(m, line)} imports {t}" for m in MODULES if m not in ALIASES and not _in(m, "gpf.cli")
           for t, line in GRAPH[m] if _in(t, "gpf.cli")]
    assert bad == []


def test_layers_only_import_earlier_layers():
    bad = []
    for m in MODULES:
        if m in ALIASES:
            continue
        (mi, mp) = _layer(m)
        for t, line in GRAPH[m]:
            (ti, tp) = _layer(t)
            if ti > mi or (ti == mi and tp != mp and (mp, tp) not in SAME_LAYER_OK):
                bad.append(f"{_where(m, line)}: {m} ({mp}) imports {t} ({tp})")
    assert bad == []


def test_no_import_cycles():
    edges = {m: sorted({t for t, _ in GRAPH[m] if t not in ALIASES}) for m in MODULES if m not in ALIASES}
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


@pytest.mark.parametrize("old,new", [
    ("gpf.sdk.reader", "gpf.sdk.read.reader"), ("gpf.sdk.streaming", "gpf.sdk.write.streaming"),
    ("gpf.sdk.storage.graphbolt", "gpf.sdk.codecs.graphbolt"), ("gpf.plot", "gpf.cli.info_plot"),
])
def test_deprecated_alias_is_the_new_module(old, new):
    import importlib
    import sys

    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
        alias = importlib.import_module(old)
    assert alias is importlib.import_module(new)

"""The package's import graph: no circle (module-level imports, a package counting as imported
with each of its modules), the leaves import no plugin, and the family packages import none of
their modules (``nasrepro.plugins`` is the one place that does)."""

import ast
from pathlib import Path

import pytest

from nasrepro import plugins

SRC = Path(__file__).resolve().parents[2] / "src"
MODULES = {".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__"): p
           for p in sorted((SRC / "nasrepro").rglob("*.py"))}


def _imported(name: str) -> set[str]:
    """The project modules executed by importing ``name``: it and its packages."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(2, len(parts) + 1)} & set(MODULES)


def _module_level_imports(module: str) -> set[str]:
    found: set[str] = set()
    tree = ast.parse(MODULES[module].read_text())
    for node in tree.body:  # imports inside functions run later, on call: not part of the graph
        for inner in ast.walk(node) if isinstance(node, (ast.If, ast.Try)) else [node]:
            if isinstance(inner, ast.Import):
                for alias in inner.names:
                    found |= _imported(alias.name)
            elif isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0:
                found |= _imported(inner.module)
                for alias in inner.names:
                    found |= _imported(f"{inner.module}.{alias.name}")
    return found - {module}


GRAPH = {module: _module_level_imports(module) for module in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_circle():
    assert len(GRAPH) > 100 and sum(map(len, GRAPH.values())) > 300, "the graph was read"
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_circle():
    graph = {**GRAPH, "nasrepro.registry": GRAPH["nasrepro.registry"] | {"nasrepro.methods.darts"}}
    assert any("nasrepro.registry" in c and "nasrepro.methods.darts" in c for c in _cycles(graph))


@pytest.mark.parametrize("leaf", ["nasrepro.registry", "nasrepro.params", "nasrepro.jobs",
                                  "nasrepro.layout"])
def test_leaves_import_no_plugin(leaf):
    families = {m for modules in plugins.FAMILIES.values() for m in modules}
    reachable, todo = set(), [leaf]
    while todo:
        for module in GRAPH[todo.pop()] - reachable:
            reachable.add(module)
            todo.append(module)
    assert not reachable & families
    assert not any(m.startswith(("nasrepro.methods", "nasrepro.spaces", "nasrepro.data"))
                   for m in reachable)


def test_family_packages_import_none_of_their_modules():
    for modules in plugins.FAMILIES.values():
        for module in modules:
            for package in _imported(module) - {module, "nasrepro"}:
                assert GRAPH[package] == set(), f"{package} imports {GRAPH[package]}"


# Commands that check a profile on the driver's side and run no job: ``protocols`` resolves the
# thesis profile as the Snakefile does and compares it with the recorded protocols (issue #30);
# ``diff-results`` names a ``select:`` build's files as the Snakefile does (issue #29).
DRIVER_COMMANDS = {"nasrepro.commands.protocols", "nasrepro.commands.gate"}


def test_only_the_driver_imports_the_profile_package():
    """Workers and report jobs get resolved job messages (``nasrepro.jobs``), never the profile."""
    importers = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):  # function-level imports too
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n.startswith("nasrepro.profile") for n in names) \
                    and not module.startswith("nasrepro.profile") and module not in DRIVER_COMMANDS:
                importers.append(module)
    assert importers == []

"""The layers of src/accident_online, read from its import statements.

kit is plumbing and knows nothing of accidents; models (the tables) and settings build only
on kit; the domain packages may depend on one another in one direction only, so that a
package can be read, tested and changed from the bottom up. Every import counts, including
those inside functions and under ``TYPE_CHECKING``: a cycle hidden in a function is still
a cycle for whoever changes either side.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "accident_online"
# Not domain packages: the plumbing, the tables, the settings, and the entry points that
# assemble everything (app, cli).
GROUND = frozenset({"kit", "models", "settings"})
ENTRY_POINTS = frozenset({"__init__", "__main__", "app", "cli"})
LONGEST_MODULE = 400


def _part_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imported_parts(path: Path) -> Iterator[str]:
    """The top-level parts of accident_online that the module at ``path`` imports."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
            if node.module == "accident_online":
                modules = [f"accident_online.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] == "accident_online" and len(parts) > 1:
                yield parts[1]


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        part = _part_of(path)
        for other in _imported_parts(path):
            if other != part:
                edges.setdefault(part, set()).add(other)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one package (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {"cases": {"intake"}, "intake": {"decisions"}, "decisions": {"cases"}, "a": {"b"}}
    assert _cycles(edges) == [["cases", "decisions", "intake"]]
    assert _cycles({"a": {"b"}, "b": {"c"}}) == []


def test_no_import_cycles_between_domain_packages() -> None:
    domain = {
        part: {other for other in others if other not in GROUND | ENTRY_POINTS}
        for part, others in _edges().items()
        if part not in GROUND | ENTRY_POINTS
    }
    assert _cycles(domain) == []


def test_kit_knows_nothing_of_the_domain() -> None:
    assert _edges().get("kit", set()) == set()


def test_models_and_settings_build_on_kit_only() -> None:
    edges = _edges()
    for part in ("models", "settings"):
        assert edges.get(part, set()) <= {"kit", "models"}, part


def test_the_domain_never_imports_the_entry_points() -> None:
    edges = _edges()
    leaks = {
        part: others & ENTRY_POINTS
        for part, others in edges.items()
        if others & ENTRY_POINTS and part not in ENTRY_POINTS
    }
    assert leaks == {}


def test_no_module_is_longer_than_a_reader_holds() -> None:
    long = {
        str(path.relative_to(PACKAGE)): length
        for path in PACKAGE.rglob("*.py")
        if (length := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST_MODULE
    }
    assert long == {}

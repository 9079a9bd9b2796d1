"""The rooms of the code and the way imports run between them, read from the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("app", "agents", "tables", "views", "domain", "localkafka", "bench", "tests")
SLICES = ("agents", "tables", "views")
# below the slices: what every slice may use and which may use no slice
BELOW = ("app.runtime", "app.observability", "app.adapters", "app.settings", "app.topics")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module(path): path for package in PROJECT for path in sorted((ROOT / package).rglob("*.py"))
}


def imports(name: str) -> set[str]:
    """Every module ``name`` imports when it runs (not for type checking only), a ``from package
    import module`` as that module."""
    tree = ast.parse(MODULES[name].read_text())
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If)
        and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            subs = {f"{node.module}.{a.name}" for a in node.names} & MODULES.keys()
            found |= subs or {node.module}
    return found


def _within(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_domain_imports_nothing_of_the_project_nor_kafka_nor_http() -> None:
    banned = (*(p for p in PROJECT if p != "domain"), "faust", "aiokafka", "aiohttp", "mode")
    wrong = {
        name: sorted(i for i in imports(name) if _within(i, *banned))
        for name in MODULES
        if _within(name, "domain")
    }
    assert {name: found for name, found in wrong.items() if found} == {}


def test_the_runtime_and_what_it_leans_on_import_no_slice() -> None:
    wrong = {
        name: sorted(i for i in imports(name) if _within(i, *SLICES))
        for name in MODULES
        if _within(name, *BELOW)
    }
    assert {name: found for name, found in wrong.items() if found} == {}


def test_the_composition_imports_of_the_views_only_their_error_middleware() -> None:
    assert {i for i in imports("app.application") if _within(i, *SLICES)} == {"views.http.errors"}


@pytest.mark.parametrize("name", [n for n in MODULES if _within(n, "agents") and n != "agents"])
def test_agents_holds_only_slices(name: str) -> None:
    # the saga runs on follow-order-events' records and on a timer of its own (its deadlines)
    text = MODULES[name].read_text()
    assert "@app.agent(" in text or "@app.timer(" in text, f"{name} runs no agent and no timer"


def test_no_import_circle() -> None:
    graph = {name: imports(name) & MODULES.keys() for name in MODULES}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            raise AssertionError(" -> ".join([*path[path.index(name) :], name]))
        if name not in done:
            for other in sorted(graph[name]):
                visit(other, [*path, name])
            done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_no_module_over_250_lines() -> None:
    checked = dict(MODULES)
    sizes = {name: len(path.read_text().splitlines()) for name, path in checked.items()}
    assert {name: n for name, n in sizes.items() if n > 250} == {}

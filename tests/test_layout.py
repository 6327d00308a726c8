"""Architecture rules, read statically from the source (AST), so a new violation fails here and names itself.

- No import cycles among the package's modules: none through module-level imports, and function-level
  (deferred) imports that close a cycle only where listed in ``DEFERRED_CYCLES`` with a reason.
- No module imports another module's private names (``_x`` defined in it) across a package boundary.
- The analysis core never imports the HTTP client (nor httpx), directly or through other modules.
- Module-level imports go down the ``LAYERS``; the top level holds packages and the public surface only.
- No module is over ``MAX_LINES`` lines, except those in ``OVERSIZED`` (modules being split right now).

The allowlists name modules owned by other work in progress (issue #10); they must shrink, never grow: an
entry that no longer applies fails too, so it is removed as soon as its module is fixed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = "ddsjobs_analytics"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE
MAX_LINES = 450
# The analysis core: everything that turns a frame into numbers and pictures; it never reaches the client.
CORE_PACKAGES = ("_core", "_frame", "_reasons", "_stats", "_compare", "_analysis", "_render")
# The layers, lowest first. A module-level import goes to the same package or to a lower layer, never up or
# sideways; a function-level (deferred) import may reach up, for a convenience that needs a higher layer only
# when called (``PostMortem.plot``, ``load_jobs(api=...)``). A new top-level entry must be placed here.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_core",),  # time, calendar, names, formats, the column contract, the DDS wire format
    ("_frame", "notify"),  # records -> typed frames; chat delivery (no analysis)
    ("client", "archive", "simulator", "_reasons", "_stats"),  # where jobs come from; estimates
    ("_compare",),  # periods, tests, what changed, incidents
    ("_analysis",),  # Analysis, PostMortem
    ("_rules",),  # findings from an analysis
    ("_render", "metrics"),  # charts, tables, report folder; metric families
    ("config",),  # the TOML file -> frozen settings
    ("__init__", "_accessor", "_pandas_hook", "_load"),  # the public surface; _load knows every origin
    ("_cli",),  # the only place that wires everything together
    ("__main__",),  # python -m ddsjobs_analytics
)
FORBIDDEN_IN_CORE = (f"{PACKAGE}.client", "httpx")

# module → why it may still be over MAX_LINES. Only modules being split right now (issue #10).
OVERSIZED: dict[str, str] = {}
# (importer, imported) deferred import that closes a cycle → why it is allowed for now.
DEFERRED_CYCLES: dict[tuple[str, str], str] = {}
# (importer, "module.name") private name imported across a package boundary → why it is allowed for now.
PRIVATE_IMPORTS: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    importer: str
    module: str  # the imported module (a module of the package, or a third-party top-level name)
    names: tuple[str, ...]  # names taken from it (``from module import a, b``); empty for ``import module``
    deferred: bool  # inside a function or method: runs only when called
    type_only: bool  # under ``if TYPE_CHECKING:``: never runs
    line: int


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _sources() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _package_of(module: str) -> str:
    return module if _sources()[module].name == "__init__.py" else module.rpartition(".")[0]


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = _package_of(importer).split(".")
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, *, deferred: bool, type_only: bool) -> Iterator[tuple[ast.AST, bool, bool]]:
    for child in ast.iter_child_nodes(node):
        yield child, deferred, type_only
        inner_deferred = deferred or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        inner_type_only = type_only or (isinstance(child, ast.If) and _is_type_checking(child))
        yield from _walk(child, deferred=inner_deferred, type_only=inner_type_only)


@cache
def _imports() -> tuple[Import, ...]:
    """Every import statement of the package, with the package's own modules resolved to module names."""
    found: list[Import] = []
    modules = _sources()
    for importer, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, deferred, type_only in _walk(tree, deferred=False, type_only=False):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.append(Import(importer, alias.name, (), deferred, type_only, node.lineno))
            elif isinstance(node, ast.ImportFrom):
                module = _resolve(importer, node)
                names: list[str] = []
                for alias in node.names:
                    submodule = f"{module}.{alias.name}"
                    if submodule in modules:  # ``from . import _errors``: an import of that module
                        found.append(Import(importer, submodule, (), deferred, type_only, node.lineno))
                    else:
                        names.append(alias.name)
                if names or module not in modules:
                    found.append(Import(importer, module, tuple(names), deferred, type_only, node.lineno))
    return tuple(found)


def _edges(*, deferred: bool) -> dict[str, set[str]]:
    """Run-time import graph between the package's modules (module-level only, or with deferred imports)."""
    modules = _sources()
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for imp in _imports():
        if imp.module in modules and not imp.type_only and (deferred or not imp.deferred):
            graph[imp.importer].add(imp.module)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (or a self-import), Tarjan's algorithm."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_scanner_sees_the_package() -> None:
    modules = _sources()
    assert f"{PACKAGE}._frame" in modules and f"{PACKAGE}.archive._store" in modules
    assert f"{PACKAGE}.client" in modules
    # A known edge of each kind, so the rules below cannot pass by seeing nothing.
    imports = _imports()
    wiring = (f"{PACKAGE}._cli._main", f"{PACKAGE}._cli._commands")  # the CLI: parsing, the bodies
    assert any(i.importer in wiring and i.module.startswith(f"{PACKAGE}.client") for i in imports)
    assert any(i.deferred for i in imports)
    assert any(i.type_only for i in imports)


def test_no_import_cycles_through_module_level_imports() -> None:
    assert _cycles(_edges(deferred=False)) == []


def _deferred_cycle_edges() -> set[tuple[str, str]]:
    """Deferred-only imports between modules of one cycle of the run-time graph: the imports closing it."""
    graph, module_level = _edges(deferred=True), _edges(deferred=False)
    return {
        (importer, target)
        for component in _cycles(graph)
        for importer in component
        for target in graph[importer] & set(component)
        if target not in module_level[importer]
    }


def test_deferred_imports_close_no_cycle_unless_listed() -> None:
    closing = _deferred_cycle_edges()
    assert sorted(closing - set(DEFERRED_CYCLES)) == [], "function-level imports that close an import cycle"
    stale = sorted(set(DEFERRED_CYCLES) - closing)
    assert stale == [], f"DEFERRED_CYCLES entries that no longer close a cycle (remove them): {stale}"


def _private_imports() -> Iterator[tuple[str, str, int]]:
    modules = _sources()
    for imp in _imports():
        if imp.module not in modules or _package_of(imp.module) == _package_of(imp.importer):
            continue
        for name in imp.names:
            if name.startswith("_") and not name.startswith("__"):
                yield imp.importer, f"{imp.module}.{name}", imp.line


def test_no_private_names_imported_across_packages() -> None:
    found = {(importer, target): line for importer, target, line in _private_imports()}
    unlisted = sorted(
        f"{importer}:{line} imports {target}"
        for (importer, target), line in found.items()
        if (importer, target) not in PRIVATE_IMPORTS
    )
    assert unlisted == []
    stale = sorted(set(PRIVATE_IMPORTS) - set(found))
    assert stale == [], f"PRIVATE_IMPORTS entries no longer needed (remove them): {stale}"


def _top(module: str) -> str:
    """The top-level entry a module belongs to (``__init__`` for the package itself)."""
    return "__init__" if module == PACKAGE else module.removeprefix(f"{PACKAGE}.").split(".")[0]


def _is_core(module: str) -> bool:
    return _top(module) in CORE_PACKAGES


def _layer(module: str) -> int:
    return next(i for i, entries in enumerate(LAYERS) if _top(module) in entries)


def test_every_top_level_entry_has_a_layer() -> None:
    placed = {entry for entries in LAYERS for entry in entries}
    assert sorted({_top(module) for module in _sources()} - placed) == []


def test_module_level_imports_go_down_the_layers() -> None:
    modules = _sources()
    surface = _layer(PACKAGE)  # the top-level package's own modules import each other freely
    upward = sorted(
        f"{imp.importer}:{imp.line} imports {imp.module} ({_layer(imp.importer)} -> {_layer(imp.module)})"
        for imp in _imports()
        if imp.module in modules
        and not (imp.deferred or imp.type_only)
        and _top(imp.importer) != _top(imp.module)
        and _layer(imp.module) >= _layer(imp.importer)
        and not _layer(imp.module) == _layer(imp.importer) == surface
    )
    assert upward == []


def test_the_top_level_shows_the_flow() -> None:
    """``ls ddsjobs_analytics``: packages, the public surface and nothing else flat."""
    flat = sorted(p.name for p in ROOT.glob("*.py"))
    assert flat == ["__init__.py", "__main__.py", "_accessor.py", "_load.py", "_pandas_hook.py", "config.py"]


def _reachable(start: str, graph: dict[str, set[str]]) -> dict[str, str]:
    """Modules reachable from ``start`` → the module that imports each first (breadth first)."""
    parent: dict[str, str] = {}
    queue = [start]
    while queue:
        module = queue.pop(0)
        for target in sorted(graph[module]):
            if target not in parent and target != start:
                parent[target] = module
                queue.append(target)
    return parent


def test_the_analysis_core_never_imports_the_client() -> None:
    core = [module for module in _sources() if _is_core(module)]
    assert f"{PACKAGE}._stats._durations" in core and f"{PACKAGE}._core._schema" in core
    graph = _edges(deferred=True)
    third_party = {(imp.importer, imp.module.split(".")[0]) for imp in _imports() if not imp.type_only}
    problems = []
    for module in core:
        reached = _reachable(module, graph)
        for target, via in reached.items():
            if target.startswith(FORBIDDEN_IN_CORE):
                problems.append(f"{module} reaches {target} (imported by {via})")
        for importer in [module, *reached]:
            if (importer, "httpx") in third_party:
                problems.append(f"{module} reaches httpx (imported by {importer})")
    assert problems == []


def _line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_over_the_line_limit() -> None:
    sizes = {module: _line_count(path) for module, path in _sources().items()}
    over = sorted(
        f"{module}: {lines}"
        for module, lines in sizes.items()
        if lines > MAX_LINES and module not in OVERSIZED
    )
    assert over == [], f"modules over {MAX_LINES} lines (split them by concept)"
    stale = sorted(module for module in OVERSIZED if sizes.get(module, 0) <= MAX_LINES)
    assert stale == [], f"OVERSIZED entries now within the limit or gone (remove them): {stale}"


def test_allowlists_give_a_reason_for_every_entry() -> None:
    for allowlist in (OVERSIZED, DEFERRED_CYCLES, PRIVATE_IMPORTS):
        assert all(isinstance(reason, str) and len(reason) > 10 for reason in allowlist.values())


# --- the checkers themselves, on small known cases ----------------------------------------------------


def test_cycle_finder_on_known_graphs() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"a"}}) == [["a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize(
    ("module", "core"),
    [
        (f"{PACKAGE}._frame", True),
        (f"{PACKAGE}._frame._read", True),
        (f"{PACKAGE}._render._plots._timeline", True),
        (f"{PACKAGE}._core._schema", True),
        (f"{PACKAGE}._core_extras", False),  # a package's name, not a prefix of it
        (f"{PACKAGE}.simulator._sample", False),
        (f"{PACKAGE}._cli._main", False),
        (f"{PACKAGE}.archive._store", False),
    ],
)
def test_what_counts_as_the_core(module: str, core: bool) -> None:
    assert _is_core(module) is core


def test_old_sample_import_paths_still_work() -> None:
    from ddsjobs_analytics.simulator import _fleet, _sample

    assert _sample.Fleet is _fleet.Fleet and _sample.generate_fleet is _fleet.generate_fleet
    assert _sample.SAMPLE_END == _fleet.DEFAULT_END
    for name in (
        "JOB_PROFILES",
        "JobProfile",
        "v3_job_name",
        "format_api_time",
        "region_utc_offset",
        "DEFAULT_REGIONS",
    ):
        assert hasattr(_sample, name), name

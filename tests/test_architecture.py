"""The layout's rules, checked on the code itself (no database): no import cycles, not even through
imports inside functions; the apps import each other in one direction only; no app-code
module over 400 lines; no function of radon grade E or F. Each test prints every offender it finds."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import grimp
import pytest
from radon.complexity import add_inner_blocks, cc_rank, cc_visit

BASE_DIR = Path(__file__).resolve().parents[1]
PACKAGES = ("agreements", "catalog", "marketplace", "audit", "common", "config")
MAX_MODULE_LINES = 400
FORBIDDEN_RANKS = {"E", "F"}

# importer package -> the project packages it must not import, directly or through another package.
FORBIDDEN_IMPORTS = {
    "audit": ("agreements", "catalog", "marketplace", "config"),
    "common": ("agreements", "catalog", "marketplace", "audit", "config"),
    "agreements": ("catalog", "marketplace", "config"),
    "catalog": ("marketplace", "config"),
    "marketplace": ("config",),
}


@pytest.fixture(scope="module")
def graph():
    """Every import between the project's modules, including those inside functions (grimp reads them all)."""
    return grimp.build_graph(*PACKAGES, include_external_packages=False, cache_dir=None)


@pytest.fixture(scope="module")
def runtime_graph():
    """The same without `if TYPE_CHECKING:` imports, which never run and so cannot make a cycle."""
    return grimp.build_graph(*PACKAGES, include_external_packages=False, exclude_type_checking_imports=True,
                             cache_dir=None)


def _package_of(module: str) -> str:
    return module.split(".", 1)[0]


def _line(graph, importer: str, imported: str) -> str:
    details = graph.get_import_details(importer=importer, imported=imported)
    return ", ".join(f"line {detail['line_number']}: {detail['line_contents']}" for detail in details) or "?"


def strongly_connected_components(graph) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that import each other round in a circle."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index_of:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index_of[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index_of:
                    index_of[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index_of[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index_of[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.find_modules_directly_imported_by(node):
                    components.append(sorted(component))
    return sorted(components)


def shortest_cycle_through(graph, start: str, members: set[str]) -> list[str]:
    """The shortest import path from ``start`` back to itself inside one strongly connected component."""
    previous: dict[str, str] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        for child in sorted(graph.find_modules_directly_imported_by(node)):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child in members and child not in seen:
                seen.add(child)
                previous[child] = node
                queue.append(child)
    return [start, start]


def describe_cycle(graph, cycle: list[str]) -> str:
    steps = [f"    {importer} -> {imported}  ({_line(graph, importer, imported)})"
             for importer, imported in zip(cycle, cycle[1:], strict=False)]
    return "\n".join(steps)


def test_no_import_cycles_not_even_through_imports_inside_functions(runtime_graph):
    reports = []
    for component in strongly_connected_components(runtime_graph):
        cycle = shortest_cycle_through(runtime_graph, component[0], set(component))
        reports.append(f"cycle among {len(component)} modules ({', '.join(component)}), for example:\n"
                       + describe_cycle(runtime_graph, cycle))
    print("\n\n".join(reports))

    assert reports == [], f"{len(reports)} import cycle(s):\n" + "\n\n".join(reports)


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import():
    planted = grimp.ImportGraph()
    for module in ("shop", "shop.services", "shop.tasks", "shop.models"):
        planted.add_module(module)
    planted.add_import(importer="shop.services", imported="shop.tasks", line_number=3, line_contents="import shop.tasks")
    planted.add_import(importer="shop.tasks", imported="shop.services", line_number=9,
                       line_contents="from shop import services")
    planted.add_import(importer="shop.services", imported="shop.models", line_number=2, line_contents="import x")

    components = strongly_connected_components(planted)

    assert components == [["shop.services", "shop.tasks"]]
    assert shortest_cycle_through(planted, "shop.services", set(components[0])) == [
        "shop.services", "shop.tasks", "shop.services"]


def forbidden_imports(graph) -> list[str]:
    offenders = []
    for importer_package, forbidden in FORBIDDEN_IMPORTS.items():
        for target in forbidden:
            direct = sorted(
                (importer, imported)
                for importer in graph.find_descendants(importer_package) | {importer_package}
                for imported in graph.find_modules_directly_imported_by(importer)
                if _package_of(imported) == target
            )
            offenders += [f"{importer_package} must not import {target}: {importer} -> {imported} "
                          f"({_line(graph, importer, imported)})" for importer, imported in direct]
            if not direct:
                chain = graph.find_shortest_chain(importer=importer_package, imported=target, as_packages=True)
                if chain:
                    offenders.append(f"{importer_package} must not import {target}, but does through "
                                     + " -> ".join(chain))
    return offenders


def test_apps_import_each_other_in_one_direction_only_and_no_app_imports_config(graph):
    """audit and common know no app; agreements <- catalog <- marketplace; only config (and
    manage.py, wsgi/asgi inside it) imports config: apps reach settings and template tags through Django."""
    offenders = forbidden_imports(graph)
    print("\n".join(offenders))

    assert offenders == [], f"{len(offenders)} import(s) against the direction:\n" + "\n".join(offenders)


def test_the_direction_check_reports_direct_imports_and_chains_through_another_app():
    planted = grimp.ImportGraph()
    for module in ("audit", "audit.models", "agreements", "agreements.models", "catalog", "catalog.search",
                   "marketplace", "marketplace.orders", "common", "config", "config.api"):
        planted.add_module(module)
    planted.add_import(importer="audit.models", imported="marketplace.orders", line_number=4,
                       line_contents="from marketplace import orders")
    planted.add_import(importer="catalog.search", imported="agreements.models", line_number=2,
                       line_contents="from agreements import models")
    planted.add_import(importer="agreements.models", imported="marketplace.orders", line_number=7,
                       line_contents="import marketplace.orders")
    planted.add_import(importer="marketplace.orders", imported="config.api", line_number=1,
                       line_contents="import config.api")

    assert forbidden_imports(planted) == [
        "audit must not import marketplace: audit.models -> marketplace.orders "
        "(line 4: from marketplace import orders)",
        "audit must not import config, but does through audit.models -> marketplace.orders -> config.api",
        "agreements must not import marketplace: agreements.models -> marketplace.orders "
        "(line 7: import marketplace.orders)",
        "agreements must not import config, but does through agreements.models -> marketplace.orders -> config.api",
        "catalog must not import marketplace, but does through catalog.search -> agreements.models -> marketplace.orders",
        "catalog must not import config, but does through catalog.search -> agreements.models -> marketplace.orders "
        "-> config.api",
        "marketplace must not import config: marketplace.orders -> config.api (line 1: import config.api)",
    ]


def app_modules() -> list[Path]:
    return sorted(
        path for package in PACKAGES for path in (BASE_DIR / package).rglob("*.py")
        if "migrations" not in path.relative_to(BASE_DIR).parts
    )


def test_no_app_module_is_over_400_lines():
    offenders = []
    for path in app_modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            offenders.append(f"{path.relative_to(BASE_DIR)}: {lines} lines")
    print("\n".join(offenders))

    assert offenders == [], f"{len(offenders)} module(s) over {MAX_MODULE_LINES} lines:\n" + "\n".join(offenders)


def complex_blocks(source: str) -> list[tuple[str, int, int, str]]:
    """(name, line, complexity, rank) of each function, method, closure or class of radon grade E or F."""
    blocks = add_inner_blocks(cc_visit(source))
    return [(block.fullname, block.lineno, block.complexity, cc_rank(block.complexity))
            for block in blocks if cc_rank(block.complexity) in FORBIDDEN_RANKS]


def test_no_function_of_radon_grade_e_or_f():
    offenders = [
        f"{path.relative_to(BASE_DIR)}:{line} {name}: complexity {complexity}, grade {rank}"
        for path in app_modules() for name, line, complexity, rank in complex_blocks(path.read_text(encoding="utf-8"))
    ]
    print("\n".join(offenders))

    assert offenders == [], f"{len(offenders)} function(s) of grade E or F:\n" + "\n".join(offenders)


def test_the_complexity_check_grades_a_31_way_branch_e_and_a_plain_function_a():
    branches = "".join(f"    if x == {number}:\n        return {number}\n" for number in range(30))

    assert complex_blocks(f"def tangled(x):\n{branches}    return -1\n") == [("tangled", 1, 31, "E")]
    assert complex_blocks("def plain(x):\n    return x\n") == []

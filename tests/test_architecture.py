"""The shape of the generator: the core names no product, and packages import each other without loops.

Read from the source with `ast` (imports under TYPE_CHECKING and inside functions count too):
a product is reachable from the core only through `flowlogs.registry`.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from conftest import ROOT
from flowlogs.registry import PRODUCTS

PACKAGE = ROOT / "generator" / "flowlogs"
PRODUCT_PACKAGES = {f"flowlogs.{product.key}" for product in PRODUCTS}
REGISTRY = "flowlogs.registry"
# What a product may use of the core: neutral building blocks, never the core's own work.
CORE_ONLY = {
    "flowlogs.registry",
    "flowlogs.compiler",
    "flowlogs.generate",
    "flowlogs.diff",
    "flowlogs.cli",
    "flowlogs.rendering",
    "flowlogs.init_profile",
    "flowlogs.fleet_validation",
}
CORE_ONLY_PACKAGES = {"flowlogs.gitops", "flowlogs.validate", "flowlogs.commands"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every flowlogs module a source file imports, relative imports resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("flowlogs"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("flowlogs"):
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def module_files() -> list[Path]:
    # scripts the chart ships (calico-l7-patch.py) are not modules
    return sorted(path for path in PACKAGE.rglob("*.py") if "-" not in path.stem)


@functools.cache
def python_modules() -> dict[str, set[str]]:
    modules = {module_name(path): imports_of(path) for path in module_files()}
    # Imports of names (`from .x import y`) only count where they are modules.
    return {
        name: {i for i in imported if i in modules or i.rsplit(".", 1)[0] in modules}
        for name, imported in modules.items()
    }


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def product_of(module: str) -> str | None:
    return next((p for p in PRODUCT_PACKAGES if in_package(module, p)), None)


# The names, for the parameters; what each imports is parsed when a test first asks (python_modules).
MODULE_NAMES = [module_name(path) for path in module_files()]


def test_the_graph_sees_the_generator():
    assert {"flowlogs.cli", "flowlogs.compiler", "flowlogs.cilium.compile", "flowlogs.calico.compile"} <= set(
        MODULE_NAMES
    )
    assert "flowlogs.cilium.compile" in python_modules()["flowlogs.cilium.product"]


@pytest.mark.parametrize("module", sorted(m for m in MODULE_NAMES if product_of(m) is None and m != REGISTRY))
def test_the_core_imports_no_product(module: str):
    named = sorted(i for i in python_modules()[module] if product_of(i))
    assert named == [], f"{module} imports product modules {named}: go through flowlogs.registry"


@pytest.mark.parametrize("module", sorted(m for m in MODULE_NAMES if product_of(m)))
def test_a_product_uses_only_neutral_core_modules(module: str):
    own = product_of(module)
    wrong = sorted(
        i
        for i in python_modules()[module]
        if (product_of(i) not in (None, own)) or i in CORE_ONLY or any(in_package(i, p) for p in CORE_ONLY_PACKAGES)
    )
    assert wrong == [], f"{module} imports {wrong}"


def test_packages_import_each_other_without_loops():
    """Between subpackages (chart, gitops, validate, each product) the imports form no cycle."""
    packages = sorted(
        {m.split(".")[1] for m in MODULE_NAMES if m.count(".") >= 2 and (PACKAGE / m.split(".")[1]).is_dir()}
    )

    def package_of(module: str) -> str | None:
        parts = module.split(".")
        return parts[1] if len(parts) >= 2 and parts[1] in packages else None

    edges: dict[str, set[str]] = {p: set() for p in packages}
    for module, imported in python_modules().items():
        source = package_of(module)
        for target in map(package_of, imported):
            if source and target and target != source:
                edges[source].add(target)
    # Root modules (flowlogs.x) sit between packages: follow them, so chart -> registry -> cilium counts.
    root_edges = {
        m: {package_of(i) or i for i in imported} for m, imported in python_modules().items() if m.count(".") == 1
    }
    for package in packages:
        for module, imported in python_modules().items():
            if package_of(module) != package:
                continue
            for target in imported:
                if target in root_edges:
                    edges[package] |= {t for t in _closure(target, root_edges) if t in packages and t != package}

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in edges[node]:
                if nxt == start:
                    return path + [start]
                if nxt not in path:
                    stack.append((nxt, path + [nxt]))
        return None

    cycles = [cycle for p in packages if (cycle := cycle_from(p))]
    assert cycles == [], cycles


def _closure(start: str, graph: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(graph.get(node, ()))
    return seen


def test_each_product_is_one_folder_with_its_chart_files():
    for product in PRODUCTS:
        folder = PACKAGE / product.key
        assert (folder / "product.py").is_file(), product.key
        assert product.chart_files().is_dir() and product.fragments().is_dir(), product.key
        assert product.key in product.section_schema()["title"], product.key


# ------------------------------------------------------------------ the walk of generate and validate

# Shared helpers every stage calls: not steps of the walk.
_NOT_A_STEP = ("flowlogs.errors", "flowlogs.names", "flowlogs.gitops.progress", "flowlogs.output_stream")


def _documented_walk(command: str) -> list[str]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split(f"<!-- walk: {command} -->\n```text\n", 1)[1].split("```", 1)[0]
    return block.splitlines()


def _walk(caller: str, args: list[str], cwd: Path, *, first_only: bool) -> list[str]:
    """The calls `caller` (a module) makes into other flowlogs modules while the CLI runs `args`
    (on every thread: validate checks profiles on one thread per core)."""
    import sys
    import threading

    from conftest import run_cli_in

    calls: list[str] = []

    def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
        if event != "call" or frame.f_back is None or frame.f_back.f_globals.get("__name__") != caller:
            return
        module, name = frame.f_globals.get("__name__", ""), frame.f_code.co_qualname
        if (
            module.startswith("flowlogs.")
            and module != caller
            and "<" not in name
            and not module.startswith(_NOT_A_STEP)
        ):
            entry = f"{module}:{name}"
            if (entry not in calls) if first_only else (not calls or calls[-1] != entry):
                calls.append(entry)

    sys.setprofile(tracer)
    threading.setprofile(tracer)
    try:
        code = run_cli_in(cwd, *args)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    assert code == 0
    return calls


def test_the_walks_of_generate_and_validate_are_the_documented_ones(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(ROOT / "values", tmp_path / "values")
    assert _walk("flowlogs.generate", ["generate"], tmp_path, first_only=False) == _documented_walk("generate")
    assert _walk(
        "flowlogs.validate.run", ["validate", "--embedded-only"], tmp_path, first_only=True
    ) == _documented_walk("validate")


def test_gitops_imports_nothing_of_the_chart_package() -> None:
    """gitops/ works from the compiled profiles and the values table (chart_values.py), never from
    the chart package's internals (issue 25)."""
    import ast as python_ast

    for path in sorted((ROOT / "generator" / "flowlogs" / "gitops").glob("*.py")):
        for node in python_ast.walk(python_ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, python_ast.ImportFrom):
                module = node.module or ""
                assert not (node.level == 2 and (module == "chart" or module.startswith("chart."))), (path.name, module)

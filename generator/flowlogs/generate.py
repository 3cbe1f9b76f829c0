"""Profiles in, chart and Argo CD manifests out: the `generate`, `check` and `diff` operations.

Everything is built in memory first (`plan`): the chart from the profiles, gitops/ from the
fleet file and the profiles. Nothing is written when any profile or the fleet file has an
error; then each tree is synced file by file (atomic renames, stale files removed).
"""

from __future__ import annotations

import difflib
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from .chart.writer import PROFILES_DIR, SyncReport, build_chart, diff_tree, sync_tree
from .compiler import CompiledProfile, compile_directory
from .errors import Diagnostic, HelmError, UserError
from .gitops.fleet import Fleet, Progress
from .gitops.settings import SettingsOverrides
from .profile import find_profiles

if TYPE_CHECKING:
    from .helm import HelmEngine


@dataclass(frozen=True)
class Plan:
    """Everything a generation would write, built in memory."""

    profiles: list[CompiledProfile]
    chart_files: dict[str, str]
    diagnostics: list[Diagnostic]
    gitops_dir: Path | None = None
    gitops_files: dict[str, str] = field(default_factory=dict)
    fleet: Fleet | None = None


def default_gitops_dir(chart_dir: Path) -> Path:
    """gitops/ sits next to chart/."""
    return chart_dir.parent / "gitops"


def plan(
    values_dir: Path,
    chart_dir: Path,
    gitops_dir: Path | None = None,
    *,
    settings: SettingsOverrides | None = None,
    progress: Progress | None = None,
) -> Plan:
    """Compile every profile, read the fleet file, build chart/ and gitops/ in memory; raise on any error."""
    from .gitops.build import plan_gitops

    if not values_dir.is_dir():
        raise UserError(f"profile directory not found: {values_dir}")
    gitops_dir = gitops_dir or default_gitops_dir(chart_dir)
    _check_separate(values_dir, chart_dir, gitops_dir)
    paths = find_profiles(values_dir)
    if not paths:
        raise UserError(f"no profiles in {values_dir} (expected *.yaml files)")
    result = compile_directory(values_dir)
    if progress:
        progress("profiles", len(paths), len(paths))
    gitops = plan_gitops(
        result.profiles,
        {p.stem for p in paths},
        values_dir,
        chart_dir,
        gitops_dir,
        result.diagnostics,
        settings,
        progress,
    )
    result.diagnostics.raise_if_errors()
    if not result.profiles:
        raise UserError(f"no profiles in {values_dir} (expected *.yaml files)")
    files = build_chart(result.profiles, chart_dir)
    return Plan(result.profiles, files, result.diagnostics.items, gitops_dir, gitops.files, gitops.fleet)


def _check_separate(values_dir: Path, chart_dir: Path, gitops_dir: Path) -> None:
    """A generated tree is synced exactly (other files removed): it must not hold another tree or the profiles."""
    values, chart, gitops = values_dir.resolve(), chart_dir.resolve(), gitops_dir.resolve()
    for outer, inner in (("chart", "gitops"), ("gitops", "chart"), ("chart", "values"), ("gitops", "values")):
        paths = {"values": values, "chart": chart, "gitops": gitops}
        if paths[inner].is_relative_to(paths[outer]):
            raise UserError(f"the {inner} directory ({paths[inner]}) must not be inside the generated {outer} directory ({paths[outer]})")


def _merge(reports: Sequence[tuple[str, SyncReport]]) -> SyncReport:
    merged = SyncReport()
    for label, report in reports:
        merged.written.extend(f"{label}/{p}" for p in report.written)
        merged.removed.extend(f"{label}/{p}" for p in report.removed)
        merged.unchanged.extend(f"{label}/{p}" for p in report.unchanged)
    return merged


def generate(
    values_dir: Path,
    chart_dir: Path,
    gitops_dir: Path | None = None,
    *,
    settings: SettingsOverrides | None = None,
    progress: Progress | None = None,
) -> tuple[Plan, SyncReport]:
    """Write chart/ and gitops/ for the profiles and fleet of `values_dir`; nothing is written on error.

    The report's paths are prefixed with the directory names ("chart/Chart.yaml").
    """
    built = plan(values_dir, chart_dir, gitops_dir, settings=settings, progress=progress)
    assert built.gitops_dir is not None
    chart_report = sync_tree(chart_dir, built.chart_files)
    gitops_report = sync_tree(built.gitops_dir, built.gitops_files)
    return built, _merge([(chart_dir.name, chart_report), (built.gitops_dir.name, gitops_report)])


def check(
    values_dir: Path,
    chart_dir: Path,
    gitops_dir: Path | None = None,
    *,
    settings: SettingsOverrides | None = None,
) -> tuple[Plan, str]:
    """The diff between the committed chart/ and gitops/ and what `generate` would write ("" when fresh)."""
    built = plan(values_dir, chart_dir, gitops_dir, settings=settings)
    assert built.gitops_dir is not None
    return built, diff_tree(chart_dir, built.chart_files, chart_dir.name) + diff_tree(
        built.gitops_dir, built.gitops_files, built.gitops_dir.name
    )


# ---------------------------------------------------------------- flowlogs diff: rendered manifests


@dataclass(frozen=True)
class RenderedDiff:
    """What regenerating would change in one profile's rendered manifests."""

    profile: str
    status: str  # "added" | "removed" | "changed" | "version-only" | "unchanged"
    diff: str
    old_version: str = ""
    new_version: str = ""


_VERSION_LINE_RE = re.compile(r"^(\s*(?:helm\.sh/chart:\s*\S+?-|app\.kubernetes\.io/version:\s*\"?))[0-9][^\s\"]*", re.MULTILINE)


def _chart_version(chart_yaml: str) -> str:
    try:
        return str((yaml.safe_load(chart_yaml) or {}).get("version", ""))
    except yaml.YAMLError:
        return ""


def _render(engine: HelmEngine, chart_dir: Path, values_file: Path, release_name: str, namespace: str, kube_version: str) -> str:
    values = yaml.safe_load(values_file.read_text(encoding="utf-8")) or {}
    manifests = engine.template(chart_dir, values, release_name=release_name, namespace=namespace, kube_version=kube_version)
    return "".join(f"---\n# Source: {m.template}\n{m.text}" for m in manifests)


def rendered_diff(
    values_dir: Path,
    chart_dir: Path,
    profiles: Sequence[str] = (),
    *,
    release_name: str | None = None,
    namespace: str | None = None,
    kube_version: str = "1.31.0",
    engine: HelmEngine | None = None,
    warnings: list[str] | None = None,
) -> list[RenderedDiff]:
    """Per profile, the diff of `helm template` output: the committed chart vs. the one `generate` would write.

    Both charts are rendered with the same engine, release name and namespace (by default the
    fleet file's, as Argo CD renders them). A committed chart that no longer renders counts as
    empty (the problem is added to `warnings`).
    """
    from .helm import EmbeddedHelm

    built = plan(values_dir, chart_dir)
    settings = built.fleet.settings if built.fleet else None
    release_name = release_name or (settings.release_name if settings else "flowlogs")
    namespace = namespace or (settings.destination_namespace if settings else "flowlogs-system")
    renderer: HelmEngine = engine or EmbeddedHelm()
    new_names = {p.name for p in built.profiles}
    old_root = chart_dir / PROFILES_DIR
    old_names = {p.name for p in old_root.iterdir() if (p / "values.yaml").is_file()} if old_root.is_dir() else set()
    available = sorted(new_names | old_names)
    unknown = [name for name in profiles if name not in available]
    if unknown:
        raise UserError(f"unknown profile(s) {', '.join(unknown)}; profiles: {', '.join(available)}")
    old_version = _chart_version((chart_dir / "Chart.yaml").read_text(encoding="utf-8")) if (chart_dir / "Chart.yaml").is_file() else ""
    new_version = _chart_version(built.chart_files["Chart.yaml"])
    results: list[RenderedDiff] = []
    with tempfile.TemporaryDirectory(prefix="flowlogs-diff-") as temporary:
        new_chart = Path(temporary) / chart_dir.name
        sync_tree(new_chart, built.chart_files)
        for name in list(profiles) or available:
            old = new = ""
            if name in old_names:
                try:
                    old = _render(renderer, chart_dir, old_root / name / "values.yaml", release_name, namespace, kube_version)
                except HelmError as error:
                    if warnings is not None:
                        warnings.append(f"the committed chart does not render profile '{name}': {error}")
            if name in new_names:
                new = _render(renderer, new_chart, new_chart / PROFILES_DIR / name / "values.yaml", release_name, namespace, kube_version)
            text = "".join(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    fromfile=f"{name}: rendered from {chart_dir.name}/ (committed)" if name in old_names else "/dev/null",
                    tofile=f"{name}: rendered after `flowlogs generate`" if name in new_names else "/dev/null",
                )
            )
            if name not in old_names:
                status = "added"
            elif name not in new_names:
                status = "removed"
            elif not text:
                status = "unchanged"
            elif _VERSION_LINE_RE.sub(r"\1<version>", old) == _VERSION_LINE_RE.sub(r"\1<version>", new):
                status = "version-only"
            else:
                status = "changed"
            results.append(RenderedDiff(name, status, text, old_version, new_version))
    return results

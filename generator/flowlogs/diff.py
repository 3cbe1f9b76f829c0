"""`flowlogs diff`: per profile, how the rendered manifests would change on regeneration.

Both charts, the committed one and the one `generate` would write, are rendered with the
same Helm engine, release name and namespace, and compared document by document text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import yaml

from .chart.build import compiled_profile_names
from .current import chart_on_disk
from .errors import HelmError, UserError
from .generate import plan
from .helm import select_engine
from .names import DEFAULT_KUBERNETES_VERSION, tree_name, values_file
from .rendering import render_profile


class DiffStatus(str, Enum):
    """What regenerating does to one profile's rendered manifests."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    VERSION_ONLY = "version-only"  # only the chart version labels change
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class RenderedDiff:
    """What regenerating would change in one profile's rendered manifests."""

    profile: str
    status: DiffStatus
    diff: str
    old_version: str = ""
    new_version: str = ""

    @property
    def changes_manifests(self) -> bool:
        """What `diff --exit-code` fails on: a change beyond the chart version labels."""
        return self.status not in (DiffStatus.UNCHANGED, DiffStatus.VERSION_ONLY)


# Without the embedded engine, diff renders with a helm binary on PATH (it takes no --helm).
DIFF_ALTERNATIVE = "or a helm binary on PATH"
_VERSION_LINE_RE = re.compile(
    r"^(\s*(?:helm\.sh/chart:\s*\S+?-|app\.kubernetes\.io/version:\s*\"?))[0-9][^\s\"]*", re.MULTILINE
)


def _chart_version(chart_yaml: str) -> str:
    try:
        return str((yaml.safe_load(chart_yaml) or {}).get("version", ""))
    except yaml.YAMLError:
        return ""


def rendered_diff(
    values_dir: Path,
    chart_dir: Path,
    profiles: Sequence[str] = (),
    *,
    gitops_dir: Path | None = None,
    release_name: str | None = None,
    namespace: str | None = None,
    kube_version: str = DEFAULT_KUBERNETES_VERSION,
    warnings: list[str] | None = None,
) -> list[RenderedDiff]:
    """Per profile, the diff of `helm template` output: the committed chart vs. the one `generate` would write.

    Both charts are rendered with the same engine, release name and namespace (by default the
    fleet file's, as Argo CD renders them). A committed chart that no longer renders counts as
    empty (the problem is added to `warnings`).
    """
    built = plan(values_dir, chart_dir, gitops_dir)
    release_name = release_name or built.fleet.settings.release_name
    namespace = namespace or built.fleet.settings.destination_namespace
    renderer = select_engine(prefer_binary=False, alternative=DIFF_ALTERNATIVE)
    new_names = {p.name for p in built.profiles}
    old_names = set(compiled_profile_names(chart_dir))
    available = sorted(new_names | old_names)
    unknown = [name for name in profiles if name not in available]
    if unknown:
        raise UserError(f"unknown profile(s) {', '.join(unknown)}; profiles: {', '.join(available)}")
    chart_yaml = chart_dir / "Chart.yaml"
    old_version = _chart_version(chart_yaml.read_text(encoding="utf-8")) if chart_yaml.is_file() else ""
    chart_files = built.chart_files
    new_version = _chart_version(chart_files["Chart.yaml"])
    results: list[RenderedDiff] = []
    with chart_on_disk(chart_files, chart_dir) as new_chart:
        for name in list(profiles) or available:
            old = new = ""
            if name in old_names:
                try:
                    old = render_profile(
                        renderer, chart_dir, chart_dir / values_file(name), release_name, namespace, kube_version
                    )
                except HelmError as error:
                    if warnings is not None:
                        warnings.append(f"the committed chart does not render profile '{name}': {error}")
            if name in new_names:
                new = render_profile(
                    renderer, new_chart, new_chart / values_file(name), release_name, namespace, kube_version
                )
            text = "".join(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    fromfile=f"{name}: rendered from {tree_name(chart_dir)}/ (committed)"
                    if name in old_names
                    else "/dev/null",
                    tofile=f"{name}: rendered after `flowlogs generate`" if name in new_names else "/dev/null",
                )
            )
            status = _status(name in old_names, name in new_names, old, new)
            results.append(RenderedDiff(name, status, text, old_version, new_version))
    return results


def _status(was: bool, will_be: bool, old: str, new: str) -> DiffStatus:
    if not was:
        return DiffStatus.ADDED
    if not will_be:
        return DiffStatus.REMOVED
    if old == new:
        return DiffStatus.UNCHANGED
    if _VERSION_LINE_RE.sub(r"\1<version>", old) == _VERSION_LINE_RE.sub(r"\1<version>", new):
        return DiffStatus.VERSION_ONLY
    return DiffStatus.CHANGED

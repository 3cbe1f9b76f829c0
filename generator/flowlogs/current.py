"""The chart as the current profiles make it, in memory: what `render` and `validate` work on.

`render` and `validate` never read a stale chart/: they compile the profiles they are given
(by name in the profile directory, or by path) exactly as `generate` does, fail on the same
errors, and build the chart in memory. Helm reads a chart from a directory, so the in-memory
chart is written to a temporary directory for the time of the command; chart/ is not touched.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .chart.build import PROFILES_DIR, build_chart, repository_source
from .chart.tree import tree_name
from .compiler import CompiledProfile, compile_paths, profile_path
from .errors import Diagnostic, UserError
from .profile import find_profiles


@dataclass(frozen=True)
class CurrentChart:
    """The chart files (relative path -> text) and the compiled profiles they hold, in the order asked."""

    files: dict[str, str]
    profiles: list[CompiledProfile]
    diagnostics: list[Diagnostic]

    @property
    def names(self) -> list[str]:
        return [profile.name for profile in self.profiles]


def selected_paths(values_dir: Path, selected: Sequence[str]) -> list[Path]:
    """Each profile given by name (in the profile directory) or path; none given: every profile of the directory."""
    if selected:
        paths = [profile_path(profile, values_dir) for profile in selected]
    else:
        if not values_dir.is_dir():
            raise UserError(f"profile directory not found: {values_dir} (name profiles by path, or pass --values-dir)")
        paths = find_profiles(values_dir)
        if not paths:
            raise UserError(f"no profiles in {values_dir} (expected *.yaml files)")
    by_name: dict[str, Path] = {}
    for path in paths:
        other = by_name.setdefault(path.stem, path)
        if other.resolve() != path.resolve():
            raise UserError(f"two profiles named '{path.stem}': {other} and {path} (a profile's file name is its name)")
    return list(dict.fromkeys(paths))


def compile_current(values_dir: Path, chart_dir: Path, selected: Sequence[str] = ()) -> CurrentChart:
    """Compile the selected profiles now and build their chart in memory; a broken profile raises ProfileError."""
    paths = selected_paths(values_dir, selected)
    result = compile_paths(paths)
    result.diagnostics.raise_if_errors()
    shown = [dataclasses.replace(p, source=repository_source(values_dir, p.source)) for p in result.profiles]
    return CurrentChart(build_chart(shown, chart_dir), result.profiles, result.diagnostics.items)


@contextmanager
def chart_on_disk(current: CurrentChart, chart_dir: Path) -> Iterator[Path]:
    """The chart in a temporary directory named like `chart_dir` (Helm reads charts from disk), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="flowlogs-chart-") as scratch:
        root = Path(scratch) / tree_name(chart_dir)
        for name, text in current.files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        yield root


def values_file(chart_root: Path, profile: str) -> Path:
    """A profile's compiled values file inside a chart directory."""
    return chart_root / PROFILES_DIR / profile / "values.yaml"

"""The chart as the current profiles make it, in memory: what `render` and `validate` work on.

`render` and `validate` never read a stale chart/: they compile the profiles they are given
(by name in the profile directory, or by path) exactly as `generate` does, fail on the same
errors, and build the chart in memory. Helm reads a chart from a directory, so the in-memory
chart is written to a temporary directory for the time of the command; chart/ is not touched.

The build is kept in the cache (`caches.py`): `generate` leaves the one `validate` needs next,
and a repeated `render` finds its own. Its key holds the content of every profile file of the
directories the profiles are in (a profile composes profiles of its own directory), so any edit,
new file, retargeted link or unreadable file there is another key; the chart version is decided
anew each time from the chart on disk, as `generate` decides it. The compiler is imported only
when there is something to compile, so a command that finds its build starts fast.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from . import caches
from .chart.versioning import BuiltChart, ChartProfile
from .errors import Diagnostic, Location, Severity, UserError
from .inputs import FLEET_LIMITS, PROFILE_LIMITS
from .names import tree_name
from .profile import PROFILE_SUFFIXES, directory_profiles, profile_path
from .writing import existing_files, holds

if TYPE_CHECKING:
    from .compiler import CompiledProfile

_BUILD_KIND = "build"


def selected_paths(values_dir: Path, selected: Sequence[str]) -> list[Path]:
    """Each profile given by name (in the profile directory) or path; none given: every profile of the directory."""
    paths = [profile_path(profile, values_dir) for profile in selected] if selected else directory_profiles(values_dir)
    by_name: dict[str, Path] = {}
    for path in paths:
        other = by_name.setdefault(path.stem, path)
        if other.resolve() != path.resolve():
            raise UserError(f"two profiles named '{path.stem}': {other} and {path} (a profile's file name is its name)")
    return list(dict.fromkeys(paths))


def compile_chart(values_dir: Path, chart_dir: Path, paths: list[Path]) -> tuple[list[CompiledProfile], BuiltChart]:
    """Compile these profile files and build their chart in memory; a broken profile raises ProfileError."""
    from .chart.build import build_chart
    from .compiler import compile_paths

    result = compile_paths(paths)
    result.diagnostics.raise_if_errors()
    return result.profiles, build_chart(result.profiles, values_dir, chart_dir, result.diagnostics.items)


def current_chart(values_dir: Path, chart_dir: Path, selected: Sequence[str] = ()) -> BuiltChart:
    """The chart of the selected profiles as they are now: from the cache, else compiled now."""
    paths = selected_paths(values_dir, selected)
    key = build_key(values_dir, chart_dir, paths)
    kept = _kept_build(caches.load(_BUILD_KIND, key)) if key is not None else None
    if kept is None:
        kept = compile_chart(values_dir, chart_dir, paths)[1]
        keep_build(key, values_dir, chart_dir, paths, kept)
    return kept


def keep_build(
    key: dict[str, object] | None, values_dir: Path, chart_dir: Path, paths: list[Path], built: BuiltChart
) -> None:
    """Keep a build under the key taken before it compiled (`generate` leaves the one the
    `validate` after it needs), unless a profile file changed meanwhile: then the key would not
    name what was compiled."""
    if key is not None and key == build_key(values_dir, chart_dir, paths):
        diagnostics = [
            [d.severity.value, d.location.file, d.location.line, d.location.column, d.message, d.hint]
            for d in built.diagnostics
        ]
        profiles = [[p.name, p.source] for p in built.profiles]
        value = {"files": built.files, "digests": built.digests, "profiles": profiles, "diagnostics": diagnostics}
        caches.save(_BUILD_KIND, key, value)


def _kept_build(value: object) -> BuiltChart | None:
    """A build as `keep_build` stores it, or None for anything else."""
    if not (
        isinstance(value, dict)
        and isinstance(files := value.get("files"), dict)
        and isinstance(digests := value.get("digests"), dict)
    ):
        return None
    if not all(isinstance(text, str) for text in (*files.values(), *digests.values())) or "Chart.yaml" not in digests:
        return None
    try:
        profiles = [ChartProfile(str(name), str(source)) for name, source in value["profiles"]]
        diagnostics = [
            Diagnostic(Severity(severity), Location(str(file), int(line), int(column)), str(message), str(hint))
            for severity, file, line, column, message, hint in value["diagnostics"]
        ]
    except (KeyError, TypeError, ValueError):
        return None
    return BuiltChart(files, digests, profiles, diagnostics)


def build_key(values_dir: Path, chart_dir: Path, paths: list[Path]) -> dict[str, object] | None:
    """What a build depends on, None when a directory cannot be listed. Paths as given (they show
    in messages and generated headers) and resolved (a link moved elsewhere is another profile)."""
    limit = max(PROFILE_LIMITS.byte_limit(), FLEET_LIMITS.byte_limit())  # the fleet file is in the directory too
    contents = {}
    try:
        for directory in dict.fromkeys(path.parent for path in paths):
            for name in sorted(os.listdir(directory)):
                if name.endswith(tuple(PROFILE_SUFFIXES)):
                    contents[str(directory / name)] = caches.file_digest(directory / name, limit)
    except OSError:
        return None
    return {
        "cwd": os.getcwd(),
        "values_dir": (str(values_dir), str(values_dir.resolve())),
        "chart_dir": (str(chart_dir), str(chart_dir.resolve())),
        "profiles": [(str(path), str(path.resolve())) for path in paths],
        "contents": contents,
    }


@contextmanager
def chart_on_disk(files: Mapping[str, str], chart_dir: Path, *, helm_reads_only: bool = False) -> Iterator[Path]:
    """The chart as a directory for Helm (which reads charts from disk), for reading only:
    `chart_dir` itself when it holds exactly these files (as after `generate`), else a temporary
    directory named like it, removed afterwards (writing and removing the tree costs 30x more
    than comparing it). `helm_reads_only`: compare only the files Helm loads (not profiles/ and
    ci/, which the chart's .helmignore names), for a caller that passes the values itself."""
    from .chart.profile_chart import NOT_PACKAGED

    ignored = NOT_PACKAGED if helm_reads_only else ()
    if _holds_exactly(chart_dir, files, ignored):
        yield chart_dir
        return
    with tempfile.TemporaryDirectory(prefix="flowlogs-chart-") as scratch:
        root = Path(scratch) / tree_name(chart_dir)
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        yield root


def _holds_exactly(directory: Path, files: Mapping[str, str], ignored: tuple[str, ...]) -> bool:
    """Whether `directory` has these files with this text, and no other file (outside `ignored` directories)."""
    wanted = {name: text for name, text in files.items() if not name.startswith(ignored)}
    try:
        found = {name for name in existing_files(directory) if not name.startswith(ignored)}
        return found == set(wanted) and all(holds(directory / name, text) for name, text in wanted.items())
    except OSError:
        return False

"""The built chart and its version: a patch bump when the generated content changes, the same version otherwise."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import Diagnostic, Location, UserError, display_path

BASE_VERSION = "0.1.0"
CONTENT_HASH_ANNOTATION = "flowlogs.dev/content-hash"
# MAJOR.MINOR[.PATCH] with an optional pre-release/build suffix, as Helm accepts chart versions.
_CHART_VERSION_RE = re.compile(r"^(v?[0-9]+)\.([0-9]+)(?:\.([0-9]+))?(?:[-+][0-9A-Za-z.+-]*)?\Z")
_CHART_YAML_VERSION_RE = re.compile(r"^version:[ \t]*['\"]?([^\s'\"#]+)", re.MULTILINE)


# Stands for the version in a chart built before its version is known (see BuiltChart).
VERSION_PLACEHOLDER = "0.0.0-flowlogs-unversioned"


@dataclass(frozen=True)
class ChartProfile:
    """A profile of a built chart: its name and the file it was compiled from, as shown to users."""

    name: str
    source: str


@dataclass(frozen=True)
class BuiltChart:
    """The chart the profiles make, as `generate`, `render`, `validate` and the build cache all
    use it: its files, the profiles it holds (in the order asked) and their diagnostics. Its
    Chart.yaml files wait for their versions: the chart's own, and the one of each profile's
    packaged chart (`profiles/<profile>/Chart.yaml`). A version depends on the Chart.yaml already
    on disk (next_version), everything else only on the profiles, so the rest can be built once
    and kept while the versions are decided each time (`versioned`)."""

    files: dict[str, str]  # each Chart.yaml of `digests` holds VERSION_PLACEHOLDER
    digests: dict[str, str]  # relative path of each Chart.yaml -> content_hash of what it versions
    profiles: list[ChartProfile]
    diagnostics: list[Diagnostic]

    def versioned(self, chart_dir: Path) -> dict[str, str]:
        """The files, each Chart.yaml with the version that follows the one in `chart_dir`; a
        profile's chart new to `chart_dir` starts at the chart's version (what `flowlogs package`
        gave every profile's chart before they had versions of their own: never a lower one)."""
        chart_yaml = self._chart_yaml(chart_dir, "Chart.yaml", BASE_VERSION)
        found = _CHART_YAML_VERSION_RE.search(chart_yaml)
        start = found[1] if found else BASE_VERSION
        versioned = {path: self._chart_yaml(chart_dir, path, start) for path in self.digests if path != "Chart.yaml"}
        return {**self.files, "Chart.yaml": chart_yaml, **versioned}

    def _chart_yaml(self, chart_dir: Path, path: str, start: str) -> str:
        template, previous = self.files[path], chart_dir / path
        try:
            text: str | None = previous.read_text(encoding="utf-8", errors="replace")
        except (FileNotFoundError, NotADirectoryError):
            text = None
        # The Chart.yaml on disk is this very build's (after `generate`): its version stays, as
        # next_version would decide after parsing it (its annotation is this digest).
        found = _CHART_YAML_VERSION_RE.search(text) if text is not None else None
        if found and template.replace(VERSION_PLACEHOLDER, found[1], 1) == text:
            return text
        return template.replace(VERSION_PLACEHOLDER, next_version(previous, text, self.digests[path], start), 1)


def content_hash(files: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path].encode() + b"\0")
    return "sha256:" + digest.hexdigest()


def next_version(previous_chart_yaml: Path, text: str | None, new_hash: str, start: str = BASE_VERSION) -> str:
    """The chart version after the Chart.yaml at `previous_chart_yaml` (its `text`, None when
    there is none): the previous one when the content is the same, else a patch bump.

    Helm and Argo CD see a new chart version whenever generated content changes, while
    regenerating unchanged profiles keeps every byte (the version included) the same.
    Versions never go back: a Chart.yaml that is not YAML (a merge conflict between two
    bumps) continues from the highest version it mentions.
    """
    import yaml  # here: a build that finds its own Chart.yaml on disk needs no YAML parser

    if text is None:
        return start
    try:
        previous = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        previous = None
    if isinstance(previous, dict):
        version = str(previous.get("version") or BASE_VERSION)
        annotations = previous.get("annotations")
        if isinstance(annotations, dict) and annotations.get(CONTENT_HASH_ANNOTATION) == new_hash:
            return version
        return _bump_patch(version, previous_chart_yaml, text)
    mentioned = [v for v in _CHART_YAML_VERSION_RE.findall(text) if _CHART_VERSION_RE.match(v)]
    if not mentioned:
        return BASE_VERSION
    return _bump_patch(max(mentioned, key=_version_key), previous_chart_yaml, text)


def _version_key(version: str) -> tuple[int, int, int]:
    match = _CHART_VERSION_RE.match(version)
    assert match is not None
    major, minor, patch = match.groups()
    return int(major.lstrip("v")), int(minor), int(patch or 0)


def _bump_patch(version: str, chart_yaml: Path, text: str) -> str:
    match = _CHART_VERSION_RE.match(version)
    if match is None:
        line = next((i for i, row in enumerate(text.splitlines(), 1) if row.startswith("version:")), 0)
        where = Location(display_path(chart_yaml), line, len("version: ") + 1 if line else 0)
        raise UserError(
            f"{where}: chart version '{version}' is not MAJOR.MINOR.PATCH, so it cannot be raised for the changed "
            f"content; set it to e.g. {BASE_VERSION} (or delete Chart.yaml to start over at {BASE_VERSION})"
        )
    major, minor, patch = match.groups()
    return f"{major}.{minor}.{int(patch or 0) + 1}"

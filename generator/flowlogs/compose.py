"""Profiles made of profiles: `compose: [base, team-a]` merges other profiles into one.

A cluster runs one profile; a fleet keeps one base profile and team profiles, and a composed
profile joins them into one exporter configuration and one Calico selection:

    # values/prod-eu.yaml
    compose: [base, team-a, team-b]
    cilium:
      version: "1.19"

The named profiles (files of the same directory, themselves possibly composed) and the
profile's own sections are merged in that order: mappings key by key, lists one after the
other, and a value set in two files must be the same there. Items of a list a product marks
as identified (Cilium's flow logs by `name` and by `file`) must not repeat. Every conflict is
an error naming both files, line and column; the merged profile is then compiled as any
other, and every error points into the file the value came from.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Diagnostics, Location, did_you_mean
from .profile import PROFILE_SUFFIXES, PathKey, Positions, find_profiles, load_yaml_document
from .registry import PRODUCTS

COMPOSE_KEY = "compose"
# Files one profile may compose, itself and every file its composed profiles compose counted once:
# the shipped fleets compose 2 or 3; a chain of hundreds is a mistake or an attack.
MAX_COMPOSED_FILES = 64
# Keys of a profile that describe the file itself, never merged from another profile.
_OWN_KEYS = (COMPOSE_KEY, "description")


@dataclass(frozen=True)
class SourcedPositions(Positions):
    """Positions of a merged document: each value's line and column in the file it came from."""

    files: dict[PathKey, str] = field(default_factory=dict)

    def _file(self, path: PathKey) -> str:
        while path and path not in self.files:
            path = path[:-1]
        return self.files.get(path, self.file)


class _Merger:
    def __init__(self, file: str, diagnostics: Diagnostics) -> None:
        self.data: dict[str, Any] = {}
        self.values: dict[PathKey, tuple[int, int]] = {}
        self.keys: dict[PathKey, tuple[int, int]] = {}
        self.files: dict[PathKey, str] = {}
        self.file = file
        self.diagnostics = diagnostics
        # Lists whose items must not repeat, by the fields that identify an item, from each product.
        self.identities: dict[PathKey, tuple[str, ...]] = {
            (product.key, *path): fields for product in PRODUCTS for path, fields in product.compose_identities.items()
        }

    def location(self, path: PathKey) -> Location:
        return self.positions().of_value(path)

    def positions(self) -> SourcedPositions:
        return SourcedPositions(self.file, self.values, self.keys, self.files)

    def copy_positions(self, source: Positions, source_path: PathKey, path: PathKey) -> None:
        """Positions of the subtree at `source_path` of `source`, now at `path`."""
        depth = len(source_path)
        for table, target in ((source.values, self.values), (source.keys, self.keys)):
            for at, position in table.items():
                if at[:depth] == source_path:
                    target[path + at[depth:]] = position
                    self.files[path + at[depth:]] = source._file(at)

    def merge(
        self, target: dict[str, Any], value: Mapping[str, Any], source: Positions, source_path: PathKey, path: PathKey
    ) -> None:
        for key, child in value.items():
            if not path and key in _OWN_KEYS:
                continue
            here, there = (*path, key), (*source_path, key)
            if key not in target:
                target[key] = copy.deepcopy(child)
                self.copy_positions(source, there, here)
            elif isinstance(target[key], dict) and isinstance(child, dict):
                self.merge(target[key], child, source, there, here)
            elif isinstance(target[key], list) and isinstance(child, list):
                self.extend(target[key], child, source, there, here)
            elif target[key] != child:
                dotted = ".".join(str(part) for part in here)
                self.diagnostics.error(
                    source.of_value(there),
                    f"'{dotted}' is {child!r} here but {target[key]!r} in {self.location(here)} (composed into "
                    f"{self.file})",
                    "a composed profile takes each value from one file: set it the same in both, or in one of them "
                    "only",
                )

    def extend(
        self, target: list[Any], items: list[Any], source: Positions, source_path: PathKey, path: PathKey
    ) -> None:
        fields = self.identities.get(tuple(part for part in path if not isinstance(part, int)), ())
        for index, item in enumerate(items):
            clash = next(
                (
                    (name, existing)
                    for existing, kept in enumerate(target)
                    for name in fields
                    if isinstance(item, dict)
                    and isinstance(kept, dict)
                    and name in item
                    and item.get(name) == kept.get(name)
                ),
                None,
            )
            if clash is not None:
                name, existing = clash
                self.diagnostics.error(
                    source.of_value((*source_path, index, name)),
                    f"{name} '{item[name]}' is used by two profiles composed into {self.file}: here and in "
                    f"{self.location((*path, existing, name))}",
                    f"a composed profile merges the lists of its profiles: give each entry its own {name}",
                )
                continue
            target.append(copy.deepcopy(item))
            self.copy_positions(source, (*source_path, index), (*path, len(target) - 1))


_Loaded = tuple[dict[str, Any], Positions] | None


class _TooMany(Exception):
    """More than MAX_COMPOSED_FILES files: reported once, at the profile being compiled."""


def compose(
    path: Path,
    data: dict[str, Any],
    positions: Positions,
    diagnostics: Diagnostics,
    loading: tuple[Path, ...] = (),
    resolved: dict[Path, _Loaded] | None = None,
) -> tuple[dict[str, Any], Positions] | None:
    """The profile with the profiles it composes merged in; None when one of them cannot be read.

    `resolved` holds each composed file's result, so a file composed along many paths (a
    diamond: A composes B and C, both compose D) is read and merged once, not once per path.
    """
    if resolved is None:
        try:
            return compose(path, data, positions, diagnostics, loading, {})
        except _TooMany:
            diagnostics.error(
                positions.of_value((COMPOSE_KEY,)),
                f"{positions.file} composes more than {MAX_COMPOSED_FILES} profiles (counting the profiles they "
                "compose)",
                "compose fewer profiles: no fleet needs this many",
            )
            return None
    names = data.get(COMPOSE_KEY) or []
    merger = _Merger(positions.file, diagnostics)
    loading = (*loading, path.resolve())
    for index, name in enumerate(names):
        at = positions.of_value((COMPOSE_KEY, index))
        found = [file for file in (path.parent / f"{name}{suffix}" for suffix in PROFILE_SUFFIXES) if file.is_file()]
        if not found:
            choices = [p.stem for p in find_profiles(path.parent) if p.resolve() != path.resolve()]
            diagnostics.error(
                at,
                f"unknown profile '{name}' to compose{did_you_mean(str(name), choices)}",
                "compose names profiles of the same directory, without .yaml",
            )
            return None
        key = found[0].resolve()
        if key in loading:
            diagnostics.error(
                at, f"profile '{name}' composes itself (through {' -> '.join(p.stem for p in (*loading, found[0]))})"
            )
            return None
        if key not in resolved:
            if len(resolved) >= MAX_COMPOSED_FILES:
                raise _TooMany
            resolved[key] = None  # counted before it is read: the files it composes count too
            resolved[key] = _load(found[0], diagnostics, loading, resolved)
        loaded = resolved[key]
        if loaded is None:
            diagnostics.error(
                at,
                f"profile '{name}' cannot be composed: it has errors of its own (`flowlogs explain {name}` lists them)",
            )
            return None
        merger.merge(merger.data, loaded[0], loaded[1], (), ())
    merger.merge(merger.data, data, positions, (), ())
    if "description" in data:
        merger.data = {"description": data["description"], **merger.data}
        merger.copy_positions(positions, ("description",), ("description",))
    return merger.data, merger.positions()


def _load(path: Path, diagnostics: Diagnostics, loading: tuple[Path, ...], resolved: dict[Path, _Loaded]) -> _Loaded:
    """A profile to compose, checked quietly: its own errors are reported when it is compiled itself."""
    from .compiler import PROFILE_SCHEMA

    quiet = Diagnostics()
    loaded = load_yaml_document(path, quiet)
    if loaded is None or not isinstance(loaded[0], dict):
        return None
    data, positions, _ = loaded
    PROFILE_SCHEMA.check(data, positions, quiet)
    if quiet.has_errors:
        return None
    if COMPOSE_KEY in data:
        return compose(path, data, positions, diagnostics, loading, resolved)
    return data, positions

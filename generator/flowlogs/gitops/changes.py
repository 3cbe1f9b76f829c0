"""What a `generate` changed in gitops/, said once: `repoURL a -> b in 6 files`, not the notes
of every profile whose Application carries the new URL.

A fleet setting (`repo-url`, `revision`, `project`...) lands in every Application and the
ApplicationSet; the files are compared as YAML data, and each changed value is one line however
many files carry it. Only values at the same place in both versions count (a cluster added to
a list is in the summary's file counts, not here).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_SHOWN = 5  # changes listed; more are counted


@dataclass(frozen=True)
class ValueChange:
    key: str  # the field's own name (`repoURL`), wherever it sits
    old: Any
    new: Any
    files: tuple[str, ...]  # relative to the gitops directory, sorted
    kinds: tuple[str, ...]  # the kind of each file's document ("" for a file without one)


def read_texts(directory: Path) -> dict[str, str]:
    """The YAML files of a generated directory as they are before a run (relative paths)."""
    if not directory.is_dir():
        return {}
    return {p.relative_to(directory).as_posix(): p.read_text(encoding="utf-8", errors="replace") for p in sorted(directory.rglob("*.yaml")) if p.is_file()}


def value_changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[ValueChange]:
    """Each value that differs at the same place in a file of both versions, once, with its files."""
    import yaml

    found: dict[tuple[str, str, str], list[str]] = {}
    values: dict[tuple[str, str, str], tuple[Any, Any]] = {}
    kinds: dict[str, str] = {}
    for name in sorted(before.keys() & after.keys()):
        if before[name] == after[name]:
            continue
        try:
            old = yaml.load(before[name], Loader=yaml.CSafeLoader)
            new = yaml.load(after[name], Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            continue  # a hand-broken file: the summary counts it as written
        kinds[name] = str(new.get("kind", "")) if isinstance(new, dict) else ""
        for key, old_value, new_value in _differences(old, new, ""):
            identity = (key, repr(old_value), repr(new_value))
            values[identity] = (old_value, new_value)
            if name not in found.setdefault(identity, []):
                found[identity].append(name)
    return [ValueChange(identity[0], *values[identity], tuple(files), tuple(kinds[f] for f in files)) for identity, files in found.items()]


def _differences(old: Any, new: Any, key: str) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(old, dict) and isinstance(new, dict):
        for child in [k for k in old if k in new]:  # in the document's order
            yield from _differences(old[child], new[child], str(child))
    elif isinstance(old, list) and isinstance(new, list):
        if len(old) == len(new):
            for old_item, new_item in zip(old, new, strict=True):
                yield from _differences(old_item, new_item, key)
    elif old != new and not isinstance(old, dict | list) and not isinstance(new, dict | list):
        yield key, old, new


def describe(changes: list[ValueChange], gitops_name: str) -> list[str]:
    """One line per changed value, the first MAX_SHOWN of them."""
    lines = []
    for change in changes[:MAX_SHOWN]:
        if len(change.files) == 1:
            where = f"{gitops_name}/{change.files[0]}"
        else:
            counts = {kind: change.kinds.count(kind) for kind in sorted(set(change.kinds), key=lambda k: (k == "", k))}
            where = ", ".join(f"{count} {kind or 'other file'}{'s' if count > 1 else ''}" for kind, count in counts.items())
        lines.append(f"{gitops_name}/: {change.key} {_shown(change.old)} -> {_shown(change.new)} in {where}")
    if len(changes) > MAX_SHOWN:
        lines.append(f"{gitops_name}/: and {len(changes) - MAX_SHOWN} more changed value(s)")
    return lines


def _shown(value: Any) -> str:
    return value if isinstance(value, str) and value and value.strip() == value else repr(value)

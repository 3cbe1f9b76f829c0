"""What a `generate` changed in gitops/, said once: `repoURL a -> b in 5 Applications, 1
ApplicationSet`, not the notes of every profile whose Application carries the new URL.

A fleet setting (`repo-url`, `revision`, `project`...) lands in every Application and the
ApplicationSet; each changed value is one line however many files carry it. Only values at the
same place in both versions count (a cluster added to a list is in the summary's file counts,
not here).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

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
    return {
        p.relative_to(directory).as_posix(): p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(directory.rglob("*.yaml"))
        if p.is_file()
    }


def value_changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[ValueChange]:
    """Each value that differs at the same place in a file of both versions, once, with its files.

    Generated files are block-style YAML, a `key: value` per line: changed lines are paired
    (difflib, when lines were also added or removed) and read one by one, not both documents whole.
    """
    found: dict[tuple[str, str, str], list[str]] = {}
    values: dict[tuple[str, str, str], tuple[Any, Any]] = {}
    kinds: dict[str, str] = {}
    for name in sorted(before.keys() & after.keys()):
        if before[name] == after[name]:
            continue
        old_lines, new_lines = before[name].splitlines(), after[name].splitlines()
        kinds[name] = next((line[len("kind: ") :] for line in new_lines if line.startswith("kind: ")), "")
        for key, old_value, new_value in _differences(old_lines, new_lines):
            identity = (key, repr(old_value), repr(new_value))
            values[identity] = (old_value, new_value)
            if name not in found.setdefault(identity, []):
                found[identity].append(name)
    return [
        ValueChange(identity[0], *values[identity], tuple(files), tuple(kinds[f] for f in files))
        for identity, files in found.items()
    ]


def _differences(old: list[str], new: list[str]) -> Iterator[tuple[str, Any, Any]]:
    if len(old) == len(new):
        pairs: Iterator[tuple[int, int]] = iter([(i, i) for i in range(len(old)) if old[i] != new[i]])
    else:
        import difflib

        opcodes = difflib.SequenceMatcher(None, old, new).get_opcodes()
        pairs = (
            (i1 + offset, j1 + offset)
            for tag, i1, i2, j1, j2 in opcodes
            if tag == "replace" and i2 - i1 == j2 - j1
            for offset in range(i2 - i1)
        )
    for old_index, new_index in pairs:
        old_entry, new_entry = _entry(old, old_index), _entry(new, new_index)
        if old_entry and new_entry and old_entry[0] == new_entry[0] and old_entry[1] != new_entry[1]:
            yield old_entry[0], old_entry[1], new_entry[1]


def _entry(lines: list[str], index: int) -> tuple[str, Any] | None:
    """(key, value) of a `key: scalar` line, or of a `- scalar` item under `key:`; None otherwise."""
    line = lines[index]
    text = line.lstrip()
    if not text or text.startswith("#"):
        return None
    item = text.startswith("- ")
    text = text.removeprefix("- ")
    try:
        data = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None  # a line of a multi-line value
    if isinstance(data, dict) and len(data) == 1:
        ((key, value),) = data.items()
        return (str(key), value) if not isinstance(value, dict | list) else None
    if item and not isinstance(data, dict | list):
        indent = len(line) - len(line.lstrip())
        for above in reversed(lines[:index]):  # the list's key: the nearest line indented less
            if above.strip() and len(above) - len(above.lstrip()) < indent:
                key = above.strip().removeprefix("- ")
                return (key.removesuffix(":"), data) if key.endswith(":") else None
    return None


def describe(changes: list[ValueChange], gitops_name: str) -> list[str]:
    """One line per changed value, the first MAX_SHOWN of them."""
    lines = []
    for change in changes[:MAX_SHOWN]:
        if len(change.files) == 1:
            where = f"{gitops_name}/{change.files[0]}"
        else:
            counts = {kind: change.kinds.count(kind) for kind in sorted(set(change.kinds), key=lambda k: (k == "", k))}
            where = ", ".join(
                f"{count} {kind or 'other file'}{'s' if count > 1 else ''}" for kind, count in counts.items()
            )
        lines.append(f"{gitops_name}/: {change.key} {_shown(change.old)} -> {_shown(change.new)} in {where}")
    if len(changes) > MAX_SHOWN:
        lines.append(f"{gitops_name}/: and {len(changes) - MAX_SHOWN} more changed value(s)")
    return lines


def _shown(value: Any) -> str:
    return value if isinstance(value, str) and value and value.strip() == value else repr(value)

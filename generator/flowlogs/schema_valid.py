"""The schema-valid part of a profile, so one run reports every error a profile has.

A profile that fails its schema is still compiled, without the parts the schema errors are
about: the innermost list item holding each error (a flow log, a filter, a service), or the
whole product section when the error is not inside a list. The product compilers then report
their own (semantic) errors on what is left, and the user sees schema and semantic errors of
the whole file in one run, sorted by position. Positions follow the pruned values, so every
error still points at its line and column in the file.
"""

from __future__ import annotations

from typing import Any

from .profile import Node, PathKey, Positions
from .schema_errors import DocumentSchema

# Pruning can break a constraint of the container (an emptied list): a few rounds, then give up.
_ROUNDS = 4


def _cut_point(path: PathKey, sections: set[str]) -> PathKey | None:
    """What to drop for a schema error at `path`: the innermost list item on it, else its product section
    (or the other top-level key it is in)."""
    if not path:
        return None
    if path[0] not in sections:
        return path[:1]
    for depth in range(len(path), 1, -1):
        if isinstance(path[depth - 1], int):
            return path[:depth]
    return path[:1]


def _without(value: Any, cuts: set[PathKey], old: PathKey, new: PathKey, moved: dict[PathKey, PathKey]) -> Any:
    """`value` without the cut paths; `moved` maps each kept old path to its new one."""
    moved[old] = new
    if isinstance(value, dict):
        return {k: _without(v, cuts, (*old, k), (*new, k), moved) for k, v in value.items() if (*old, k) not in cuts}
    if isinstance(value, list):
        kept = [i for i in range(len(value)) if (*old, i) not in cuts]
        return [_without(value[i], cuts, (*old, i), (*new, j), moved) for j, i in enumerate(kept)]
    return value


def schema_valid_part(
    data: dict[str, Any], positions: Positions, schema: DocumentSchema, sections: set[str]
) -> Node | None:
    """The profile without what fails the schema, with positions remapped; None when nothing valid is left."""
    current, current_positions = data, positions
    for _ in range(_ROUNDS):
        paths = schema.error_paths(current)
        if not paths:
            return Node(current, (), current_positions)
        cuts = {cut for path in paths if (cut := _cut_point(path, sections)) is not None}
        if any(not path for path in paths):
            # An error about the whole document (an unknown top-level key): keep what the schema knows.
            known = set(schema.top_level_keys())
            cuts |= {(key,) for key in current if key not in known}
        if not cuts:
            return None
        moved: dict[PathKey, PathKey] = {}
        current = _without(current, cuts, (), (), moved)
        current_positions = Positions(
            current_positions.file,
            {moved[p]: at for p, at in current_positions.values.items() if p in moved},
            {moved[p]: at for p, at in current_positions.keys.items() if p in moved},
        )
    return None

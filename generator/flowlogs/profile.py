"""Reading profile files: YAML with the position of every key and value.

A profile is read once with ruamel.yaml (round trip, so every key and value keeps its line
and column) and turned into plain data; the compilers then walk it through `Node`s, which
carry those positions along, so every error names file:line:col. Checking a profile against
the profile schema is the compiler's first step (`compiler.load_profile`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Diagnostics, Location, UserError, display_path
from .inputs import PROFILE_LIMITS, InputRefused, check_yaml_events, read_input

if TYPE_CHECKING:
    from ruamel.yaml import YAML

PROFILE_SUFFIXES = (".yaml", ".yml")
PROFILE_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Positions:
    """Where each key and value of a profile stands in its file."""

    file: str
    values: dict[PathKey, tuple[int, int]]
    keys: dict[PathKey, tuple[int, int]]

    def of_value(self, path: PathKey) -> Location:
        while path and path not in self.values:
            path = path[:-1]
        line, column = self.values.get(path, (1, 1))
        return Location(self.file, line, column)

    def of_key(self, path: PathKey) -> Location:
        if path in self.keys:
            line, column = self.keys[path]
            return Location(self.file, line, column)
        return self.of_value(path)


@dataclass(frozen=True)
class Node:
    """A value of a profile with its path, so every error can point at it."""

    value: Any
    path: PathKey
    positions: Positions

    @property
    def location(self) -> Location:
        return self.positions.of_value(self.path)

    @property
    def key_location(self) -> Location:
        return self.positions.of_key(self.path)

    def __contains__(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def get(self, key: str, default: Any = None) -> Node:
        value = self.value.get(key, default) if isinstance(self.value, dict) else default
        return Node(value, (*self.path, key), self.positions)

    def items(self) -> Iterator[tuple[str, Node]]:
        if isinstance(self.value, dict):
            for key, value in self.value.items():
                yield key, Node(value, (*self.path, key), self.positions)

    def elements(self) -> Iterator[Node]:
        """The items of a list; a single value counts as a list of one."""
        if isinstance(self.value, list):
            for index, value in enumerate(self.value):
                yield Node(value, (*self.path, index), self.positions)
        elif self.value is not None:
            yield self


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    root: Node
    text: str

    @property
    def display_path(self) -> str:
        return self.root.positions.file


def _yaml() -> YAML:
    from ruamel.yaml import YAML  # imported when a file is read: commands that read none start faster

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False

    # Timestamps stay the strings the user wrote (an RFC 3339 `end` is passed on as is).
    def keep_string(constructor: Any, node: Any) -> Any:
        return constructor.construct_scalar(node)

    yaml.constructor.add_constructor("tag:yaml.org,2002:timestamp", keep_string)
    return yaml


def _plain(value: Any, path: PathKey, values: dict[PathKey, tuple[int, int]], keys: dict[PathKey, tuple[int, int]]) -> Any:
    """Convert ruamel's round-trip containers to plain data, recording positions (1-based)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

    if isinstance(value, CommentedMap):
        result: dict[str, Any] = {}
        for key in value:
            child = (*path, str(key))
            key_line, key_col, value_line, value_col = value.lc.data[key]
            keys[child] = (key_line + 1, key_col + 1)
            values[child] = (value_line + 1, value_col + 1)
            result[str(key)] = _plain(value[key], child, values, keys)
        return result
    if isinstance(value, CommentedSeq):
        items = []
        for index, item in enumerate(value):
            child = (*path, index)
            line, col = value.lc.data[index]
            values[child] = (line + 1, col + 1)
            items.append(_plain(item, child, values, keys))
        return items
    if isinstance(value, str):
        return str(value)  # drop ruamel's scalar string subclasses
    if isinstance(value, TaggedScalar):  # `!!str 12`: round-trip mode keeps the tag, the text is the value
        return str(value.value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def minor_version(value: Any, default: str) -> str:
    """A minor version as written ("1.17"), or read as a YAML number (1.17).

    Numbers keep two decimals, so 1.2 means 1.20, as upstream numbers its minors.
    """
    if value is None:
        return default
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def load_yaml_document(path: Path, diagnostics: Diagnostics, what: str = "profile") -> tuple[Any, Positions, str] | None:
    """Read a YAML file as plain data with the position of every key and value.

    The file must pass `inputs` (regular, inside its directory, within the limits) first.
    Syntax errors and duplicate keys become diagnostics at their line and column.
    """
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError

    shown = display_path(path)
    limits = dataclasses.replace(PROFILE_LIMITS, what=what)
    try:
        text = read_input(path, limits, shown=shown, inside=path.parent)
        check_yaml_events(_yaml().parse(text), limits, shown)
        document = _yaml().load(text)
    except InputRefused as refused:
        diagnostics.error(refused.location, refused.message, refused.hint)
        return None
    except DuplicateKeyError as error:
        mark = error.problem_mark
        diagnostics.error(
            Location(shown, mark.line + 1, mark.column + 1),
            f"duplicate key {error.problem.split('duplicate key')[-1].strip()}".rstrip(),
            "each key may appear once in a mapping; YAML would silently keep only one of them",
        )
        return None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        location = Location(shown, mark.line + 1, mark.column + 1) if mark else Location(shown)
        diagnostics.error(location, f"invalid YAML: {error.problem or error.context}")
        return None
    values: dict[PathKey, tuple[int, int]] = {}
    keys: dict[PathKey, tuple[int, int]] = {}
    data = _plain(document, (), values, keys)
    return ({} if data is None else data), Positions(shown, values, keys), text


def find_profiles(values_dir: Path) -> list[Path]:
    """Profile files of a directory, in a stable order. `fleet.yaml` is not a profile.

    Anything but a directory counts, so a FIFO or a device named `x.yaml` is refused by the
    loader with a message rather than skipped in silence.
    """
    return sorted(
        p
        for p in values_dir.iterdir()
        if not p.is_dir() and p.suffix in PROFILE_SUFFIXES and p.stem != "fleet"
    )


def same_stem(paths: list[Path]) -> list[tuple[Path, Path]]:
    """Pairs of profile files that would both be the profile of one name (`x.yaml`, `x.yml`)."""
    first: dict[str, Path] = {}
    pairs = []
    for path in paths:
        if path.stem in first:
            pairs.append((first[path.stem], path))
        else:
            first[path.stem] = path
    return pairs


def profile_path(profile: str, values_dir: Path) -> Path:
    """A profile given by path, or by name in the profile directory."""
    given = Path(profile)
    if given.suffix in PROFILE_SUFFIXES and given.is_file():
        return given
    candidates = [values_dir / f"{profile}{suffix}" for suffix in PROFILE_SUFFIXES]
    found = [path for path in candidates if path.is_file()]
    if not found:
        names = ", ".join(path.stem for path in find_profiles(values_dir)) if values_dir.is_dir() else "none"
        raise UserError(f"no profile '{profile}': not a file, and not in {values_dir}/ (profiles there: {names or 'none'})")
    return found[0]

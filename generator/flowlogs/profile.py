"""Reading profile files: YAML with the position of every key and value.

A profile is read once with ruamel.yaml (round trip, so every key and value keeps its line
and column) and turned into plain data; the compilers then walk it through `Node`s, which
carry those positions along, so every error names file:line:col. Checking a profile against
the profile schema is the compiler's first step (`compiler.load_profile`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Diagnostics, Location, UserError, display_path
from .inputs import PROFILE_LIMITS, InputLimits, InputRefused, check_yaml_events, read_input

if TYPE_CHECKING:
    from ruamel.yaml import YAML

PROFILE_SUFFIXES = (".yaml", ".yml")
PROFILE_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
# A profile names Helm releases and Argo CD Applications (`flowlogs-<profile>-<cluster>`).
MAX_PROFILE_NAME = 53
PROFILE_NAME_HINT = f"use lower-case letters, digits and '-', at most {MAX_PROFILE_NAME} characters (it names Helm releases and Argo CD Applications)"
# File stems in the profile directory that are not profiles.
RESERVED_PROFILE_NAMES = frozenset({"fleet"})


def is_profile_name(name: str) -> bool:
    """Whether `name` can name a profile (a file `values/<name>.yaml`)."""
    return len(name) <= MAX_PROFILE_NAME and PROFILE_NAME_RE.match(name) is not None and name not in RESERVED_PROFILE_NAMES

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



# The YAML parser's problems (PyYAML yaml/parser.py, yaml/scanner.py) that a hand-written profile
# meets most, in plain words: each starts the parser's own text, which the hint keeps.
YAML_PROBLEMS = {
    "expected <block end>, but found '<block mapping start>'": "this line is not lined up with the keys above it; indent it exactly as far as the other keys of its mapping",
    "mapping values are not allowed here": "a ':' where a value goes; quote a value that holds ': ', or indent this key under the one it belongs to (not deeper)",
    "found character '\\t' that cannot start any token": "a tab; YAML indents with spaces only",
    "could not find expected ':'": "a line with no 'key: value' where a key was expected",
}


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


# How ruamel.yaml 0.19.1 (pinned) reads a plain scalar under YAML 1.2 (ruamel/yaml/resolver.py,
# `implicit_resolvers`, the (1, 2) rows): booleans, nulls, and the numbers, timestamps, merge
# and value keys below. The fast reading converts the simple decimal numbers itself and leaves
# every other typed form to ruamel.yaml; any other plain scalar is a string.
_BOOLEANS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = frozenset({"~", "null", "Null", "NULL"})
_OTHER_LINE_BREAKS = ("\x85", "\u2028", "\u2029")
_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_DECIMAL_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]+")
_TYPED_1_2 = re.compile(
    r"""(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN)
    |[-+]?0b[0-1_]+
    |[-+]?0o?[0-7_]+
    |[-+]?[0-9_]+
    |[-+]?0x[0-9a-fA-F_]+
    |<<
    |=
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?.*  # every timestamp form (and more: reading more here is only slower)
    )""",
    re.X,
)


class _Unusual(Exception):
    """Something the fast reading leaves to ruamel.yaml: a tag, an anchor, a duplicate key, an error."""


def _load_plain_document(text: str, limits: InputLimits, shown: str) -> tuple[Any, dict[PathKey, tuple[int, int]], dict[PathKey, tuple[int, int]]] | None:
    """The common profile read by libyaml (PyYAML's C parser), 30x faster than ruamel.yaml: one
    document of plain mappings, lists and scalars, without tags, anchors, directives or duplicate
    keys. Anything else, and every error, returns None, and ruamel.yaml reads the file as before
    (its data, positions and messages are the reference; tests/test_profile_loading.py compares).
    A file libyaml parsed whole but the limits refuse is InputRefused: ruamel.yaml, pure Python,
    would only walk the same events again (a refused 10,000-cluster fleet: 20 s more)."""
    import yaml

    if "%" in text and any(line.startswith("%") for line in text.splitlines()):
        return None  # a directive (%YAML 1.1 changes how scalars read)
    if any(separator in text for separator in _OTHER_LINE_BREAKS):
        return None  # the two parsers count lines differently after these
    try:
        events = list(yaml.parse(text, Loader=yaml.CSafeLoader))
        check_yaml_events(events, limits, shown)
        if any(getattr(event, "anchor", None) is not None or getattr(event, "tag", None) is not None for event in events):
            return None  # anchors, aliases (their events carry the anchor) and tags
        node = yaml.compose(text, Loader=_strings_loader())
        values: dict[PathKey, tuple[int, int]] = {}
        keys: dict[PathKey, tuple[int, int]] = {}
        return (None if node is None else _plain_node(node, (), values, keys)), values, keys
    except (yaml.YAMLError, _Unusual):
        return None


@functools.cache
def _strings_loader() -> type:
    import yaml

    class StringsLoader(yaml.CSafeLoader):
        """Every plain scalar tagged a string: `_scalar` reads it by YAML 1.2's rules."""

        yaml_implicit_resolvers: dict[Any, Any] = {}

    return StringsLoader


def _scalar(node: Any) -> Any:
    value = node.value
    if node.style:  # quoted, literal or folded: a string
        return value
    if not value:
        raise _Unusual("an empty value: libyaml places it after the colon, ruamel.yaml at the next token")
    if value in _NULLS:
        return None
    if value in _BOOLEANS:
        return _BOOLEANS[value]
    if _DECIMAL_INT.fullmatch(value):
        return int(value)
    if _DECIMAL_FLOAT.fullmatch(value):
        return float(value)
    if _TYPED_1_2.fullmatch(value):
        raise _Unusual(value)
    return value


def _plain_node(node: Any, path: PathKey, values: dict[PathKey, tuple[int, int]], keys: dict[PathKey, tuple[int, int]]) -> Any:
    kind = node.id
    if kind == "scalar":
        return _scalar(node)
    if kind == "sequence":
        items = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            values[child] = (item.start_mark.line + 1, item.start_mark.column + 1)
            items.append(_plain_node(item, child, values, keys))
        return items
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if key_node.id != "scalar":
            raise _Unusual("a collection as a key")
        key = _scalar(key_node)
        if not isinstance(key, str) or key in result:
            raise _Unusual("a key that is not a string, or a duplicate")
        child = (*path, key)
        keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        values[child] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
        result[key] = _plain_node(value_node, child, values, keys)
    return result


def minor_version(value: Any, default: str) -> str:
    """A minor version as written ("1.17"), or read as a YAML number (1.17).

    Numbers keep two decimals, so 1.2 means 1.20, as upstream numbers its minors.
    """
    if value is None:
        return default
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def load_yaml_document(path: Path, diagnostics: Diagnostics, limits: InputLimits = PROFILE_LIMITS) -> tuple[Any, Positions, str] | None:
    """Read a YAML file as plain data with the position of every key and value.

    The file must pass `inputs` (regular, inside its directory, within the limits) first.
    Syntax errors and duplicate keys become diagnostics at their line and column.
    """
    shown = display_path(path)
    try:
        text = read_input(path, limits, shown=shown, inside=path.parent)
    except InputRefused as refused:
        diagnostics.error(refused.location, refused.message, refused.hint)
        return None
    try:
        fast = _load_plain_document(text, limits, shown)
    except InputRefused as refused:
        diagnostics.error(refused.location, refused.message, refused.hint)
        return None
    if fast is not None:
        data, values, keys = fast
        loaded: tuple[Any, Positions, str] | None = ({} if data is None else data), Positions(shown, values, keys), text
    else:
        loaded = _load_round_trip(text, limits, shown, diagnostics)
    if loaded is not None and not _encodable(loaded[0], (), loaded[1], diagnostics):
        return None
    return loaded


# A lone surrogate, which a double-quoted escape ("\ud800") can make but no UTF-8 file can hold:
# every file written from it would fail half-way.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(value: Any, path: PathKey, positions: Positions, diagnostics: Diagnostics) -> bool:
    """False (with an error at its position) when a key or string holds a lone surrogate."""
    ok = True
    if isinstance(value, str):
        if _SURROGATE.search(value):
            diagnostics.error(positions.of_value(path), "a lone surrogate escape (\\ud800-\\udfff) is not a character", "write the character itself, or a \\U escape of a valid code point")
            return False
    elif isinstance(value, dict):
        for key, child in value.items():
            if _SURROGATE.search(key):
                diagnostics.error(positions.of_key((*path, key)), "a lone surrogate escape (\\ud800-\\udfff) is not a character in a key")
                ok = False
            ok = _encodable(child, (*path, key), positions, diagnostics) and ok
    elif isinstance(value, list):
        for index, child in enumerate(value):
            ok = _encodable(child, (*path, index), positions, diagnostics) and ok
    return ok


def _load_round_trip(text: str, limits: InputLimits, shown: str, diagnostics: Diagnostics) -> tuple[Any, Positions, str] | None:
    """ruamel.yaml's reading: every document, and the messages for every problem."""
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError

    try:
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
        problem = str(error.problem or error.context)
        plain = next((words for start, words in YAML_PROBLEMS.items() if problem.startswith(start)), None)
        if plain is None:
            diagnostics.error(location, f"invalid YAML: {problem}")
        else:
            diagnostics.error(location, f"invalid YAML: {plain}", f"the YAML parser says: {problem}")
        return None
    values: dict[PathKey, tuple[int, int]] = {}
    keys: dict[PathKey, tuple[int, int]] = {}
    data = _plain(document, (), values, keys)
    return ({} if data is None else data), Positions(shown, values, keys), text


def directory_profiles(values_dir: Path) -> list[Path]:
    """The profiles of the profile directory; a missing or empty directory is an error that says how
    to start one (a fresh checkout or an empty folder is where a new user runs a first command)."""
    start = f"write a first profile with `flowlogs init NAME` ({values_dir}/NAME.yaml), or pass --values-dir"
    if not values_dir.is_dir():
        raise UserError(f"profile directory not found: {values_dir}: {start}")
    paths = find_profiles(values_dir)
    if not paths:
        raise UserError(f"no profiles in {values_dir} (expected *.yaml files): {start}")
    return paths


def find_profiles(values_dir: Path) -> list[Path]:
    """Profile files of a directory, in a stable order. `fleet.yaml` is not a profile.

    Anything but a directory counts, so a FIFO or a device named `x.yaml` is refused by the
    loader with a message rather than skipped in silence.
    """
    return sorted(
        p
        for p in values_dir.iterdir()
        if not p.is_dir() and p.suffix in PROFILE_SUFFIXES and p.stem not in RESERVED_PROFILE_NAMES
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

"""Reading profile files: YAML with the position of every key and value.

A profile is read once, by libyaml (PyYAML's C parser): its events become plain data and the
line:col of every key and value, scalars read by YAML 1.2's rules; the compilers then walk it
through `Node`s, which carry those positions along, so every error names file:line:col.
Checking a profile against the profile schema is the compiler's first step (`compiler.load_profile`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Diagnostics, Location, UserError, display_path
from .inputs import PROFILE_LIMITS, InputLimits, InputRefused, check_yaml_events, mark_location, read_input
from .names import LABEL_WORDS

PROFILE_SUFFIXES = (".yaml", ".yml")
PROFILE_NAME_RE = re.compile(rf"^{LABEL_WORDS}\Z")
# A profile names Helm releases and Argo CD Applications (`flowlogs-<profile>-<cluster>`).
MAX_PROFILE_NAME = 53
PROFILE_NAME_HINT = (
    f"use lower-case letters, digits and '-', at most {MAX_PROFILE_NAME} characters (it names Helm releases and Argo "
    "CD Applications)"
)
# File stems in the profile directory that are not profiles.
RESERVED_PROFILE_NAMES = frozenset({"fleet"})


def is_profile_name(name: str) -> bool:
    return (
        len(name) <= MAX_PROFILE_NAME and PROFILE_NAME_RE.match(name) is not None and name not in RESERVED_PROFILE_NAMES
    )


PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Positions:
    """Where each key and value of a profile stands in its file."""

    file: str
    values: dict[PathKey, tuple[int, int]]
    keys: dict[PathKey, tuple[int, int]]

    def _file(self, path: PathKey) -> str:
        """The file the value at `path` stands in (a composed profile's positions name several)."""
        return self.file

    def of_value(self, path: PathKey) -> Location:
        while path and path not in self.values:
            path = path[:-1]
        line, column = self.values.get(path, (1, 1))
        return Location(self._file(path), line, column)

    def of_key(self, path: PathKey) -> Location:
        if path in self.keys:
            line, column = self.keys[path]
            return Location(self._file(path), line, column)
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


# The YAML parser's problems that a hand-written profile meets most, in plain words: each starts
# the parser's own text (PyYAML's yaml/parser.py, yaml/scanner.py; libyaml's where only it
# refuses), which the hint keeps.
YAML_PROBLEMS = {
    "expected <block end>, but found '<block mapping start>'": (
        "this line is not lined up with the keys above it; indent it exactly as far as the other keys of its mapping"
    ),
    "mapping values are not allowed here": (
        "a ':' where a value goes; quote a value that holds ': ', or indent this key under the one it belongs to (not "
        "deeper)"
    ),
    "found character '\\t' that cannot start any token": "a tab; YAML indents with spaces only",
    "could not find expected ':'": "a line with no 'key: value' where a key was expected",
    "found invalid Unicode character escape code": (
        "an escape that is no character: \\ud800-\\udfff are halves of a surrogate pair, and nothing is past "
        "\\U0010ffff; write the character itself"
    ),
    "expected alphabetic or numeric character": (
        "a value that starts with '*' or '&' is read as an alias or anchor; quote it, e.g. '*/web'"
    ),
}


# How a plain scalar reads, by YAML 1.2 as ruamel.yaml 0.19.1 reads it (ruamel/yaml/resolver.py
# `implicit_resolvers`, the (1, 2) rows, tried in that order, each only for its first characters;
# constructor.py `construct_yaml_int` / `construct_yaml_float`): profiles were read by ruamel.yaml,
# and tests/test_profile_loading.py still compares with it. Timestamps, `<<` and `=` stay strings.
_BOOLEANS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_FLOAT = re.compile(
    r"""[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN)""",
    re.X,
)
_INT = re.compile(r"[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+")
_NUMBER_START = frozenset("-+0123456789.")
# Characters YAML 1.1 (libyaml) ends a line at and YAML 1.2 does not: the two would read other data.
_OTHER_LINE_BREAKS = {
    "\x85": "U+0085 NEXT LINE",
    "\u2028": "U+2028 LINE SEPARATOR",
    "\u2029": "U+2029 PARAGRAPH SEPARATOR",
}
_TAG = "tag:yaml.org,2002:"


def _int(text: str) -> int:
    digits = text.replace("_", "")
    sign = -1 if digits[0] == "-" else 1
    digits = digits.lstrip("+-")
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits)  # a leading zero is decimal in YAML 1.2 (007 is 7)


def _float(text: str) -> float:
    digits = text.replace("_", "").lower()
    if digits.endswith((".inf", ".nan")):
        return float(digits.replace(".", ""))
    return float(digits)


def _resolved(text: str) -> str:
    """The tag YAML 1.2 gives a plain scalar."""
    if text in _BOOLEANS:
        return "bool"
    if text[:1] in _NUMBER_START and _FLOAT.fullmatch(text):
        return "float"
    if text[:1] in _NUMBER_START and text[:1] != "." and _INT.fullmatch(text):
        return "int"
    return "null" if text in _NULLS else "str"


# A core tag's value from the scalar's text; any other tag (!!str among them) keeps the text.
_CONSTRUCT: dict[str, Any] = {"bool": _BOOLEANS.__getitem__, "int": _int, "float": _float, "null": lambda text: None}


def _scalar(event: Any, shown: str) -> Any:
    """A scalar's value: its explicit core tag, else YAML 1.2's reading of a plain scalar."""
    text, tag = event.value, event.tag
    if tag is None or tag == "!":
        if event.style or tag == "!":  # quoted, literal, folded, or the non-specific tag: a string
            return text
        tag = _TAG + _resolved(text)
    try:  # check_yaml_events refused every tag but the core ones
        return _CONSTRUCT.get(tag.removeprefix(_TAG), str)(text)
    except (KeyError, ValueError, IndexError):
        short = tag.replace(_TAG, "!!")
        raise InputRefused(
            mark_location(shown, event.start_mark),
            f"'{text}' is not a {short} value",
            f"remove the tag {short}, or write a value of that type",
        ) from None


def _build(events: list[Any], shown: str) -> tuple[Any, dict[PathKey, tuple[int, int]], dict[PathKey, tuple[int, int]]]:
    """Plain data, and the line:col of every key and value, from one document's events."""
    values: dict[PathKey, tuple[int, int]] = {}
    keys: dict[PathKey, tuple[int, int]] = {}
    anchors: dict[str, tuple[Any, PathKey | None]] = {}  # value, and the path of a collection
    # One frame per open collection: [container, its path, its anchor, its key waiting for a value].
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0

    def where(mark: Any) -> tuple[int, int]:
        return mark.line + 1, mark.column + 1

    def attach(value: Any, event: Any) -> PathKey | None:
        """Put a value into the open collection (a collection when it opens); its path, None for a key."""
        nonlocal root
        if not stack:
            root = value
            return ()
        container, path, _, key = stack[-1]
        if isinstance(container, list):
            child: PathKey = (*path, len(container))
            container.append(value)
        elif key is None:
            if isinstance(value, (dict, list)):
                raise InputRefused(
                    mark_location(shown, event.start_mark),
                    "a list or mapping as a key",
                    "a key is a word: write it plainly, e.g. 'name:'",
                )
            stack[-1][3] = (str(value), event.start_mark)
            return None
        else:
            text, key_mark = key
            if text in container:  # ruamel.yaml's words (constructor.py check_mapping_key), at the key
                scalars = not isinstance(value, (dict, list)) and not isinstance(container[text], (dict, list))
                said = f' with value "{value}" (original value: "{container[text]}")' if scalars else ""
                raise InputRefused(
                    mark_location(shown, key_mark),
                    f'duplicate key "{text}"{said}',
                    "each key may appear once in a mapping; YAML would silently keep only one of them",
                )
            child = (*path, text)
            keys[child] = where(key_mark)
            container[text] = value
            stack[-1][3] = None
        values[child] = where(event.start_mark)
        return child

    for event in events:
        kind = type(event).__name__
        if kind == "DocumentStartEvent":
            documents += 1
            if documents > 1:
                raise InputRefused(
                    mark_location(shown, event.start_mark),
                    "a second document (---) in the file",
                    "a profile is one YAML document: remove the second '---' and what follows it",
                )
        elif kind == "ScalarEvent":
            value = _scalar(event, shown)
            attach(value, event)
            if event.anchor is not None:
                anchors[event.anchor] = (value, None)
        elif kind in ("MappingStartEvent", "SequenceStartEvent"):
            container: Any = {} if kind == "MappingStartEvent" else []
            stack.append([container, attach(container, event), event.anchor, None])
        elif kind in ("MappingEndEvent", "SequenceEndEvent"):
            container, path, anchor, _ = stack.pop()
            if anchor is not None:
                anchors[anchor] = (container, path)
        elif kind == "AliasEvent":
            if event.anchor not in anchors:  # PyYAML's and ruamel.yaml's words (composer.py)
                raise InputRefused(
                    mark_location(shown, event.start_mark),
                    f"invalid YAML: found undefined alias '{event.anchor}'",
                    "an alias (*name) needs its anchor (&name) before it; quote a value that starts with '*'",
                )
            value, anchor_path = anchors[event.anchor]
            child = attach(copy.deepcopy(value), event)
            if (
                child is not None and anchor_path is not None
            ):  # the anchored values' own positions, under the alias's path
                for table in (values, keys):
                    for path, position in list(table.items()):
                        if len(path) > len(anchor_path) and path[: len(anchor_path)] == anchor_path:
                            table[(*child, *path[len(anchor_path) :])] = position
    return root, values, keys


def _parser_error(text: str, error: Any) -> tuple[Any, str]:
    """Where and what a syntax error is, in the words of PyYAML's Python parser (yaml/scanner.py,
    yaml/parser.py; libyaml found it, and its own words are kept if the Python parser does not)."""
    import yaml

    try:
        for _ in yaml.parse(text, Loader=yaml.SafeLoader):
            pass
    except yaml.MarkedYAMLError as worded:
        error = worded
    mark = error.problem_mark or error.context_mark
    return mark, str(error.problem or error.context)


def minor_version(value: Any, default: str) -> str:
    """A minor version as written ("1.17"), or read as a YAML number (1.17).

    Numbers keep two decimals, so 1.2 means 1.20, as upstream numbers its minors.
    """
    if value is None:
        return default
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def load_yaml_document(
    path: Path, diagnostics: Diagnostics, limits: InputLimits = PROFILE_LIMITS
) -> tuple[Any, Positions, str] | None:
    """Read a YAML file with libyaml (PyYAML's C parser) as plain data with the position of every key and value.

    The file must pass `inputs` (regular, inside its directory, within the limits) first. Every
    problem (syntax errors, duplicate keys) becomes a diagnostic at its line and column.
    """
    import yaml

    shown = display_path(path)
    text = ""
    events: list[Any] = []

    def recorded() -> Iterator[Any]:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            events.append(event)
            yield event

    try:
        text = read_input(path, limits, shown=shown, inside=path.parent)
        for character, name in _OTHER_LINE_BREAKS.items():
            if character in text:
                before = text[: text.index(character)]
                raise InputRefused(
                    Location(shown, before.count("\n") + 1, len(before) - before.rfind("\n")),
                    f"a {name} character: YAML readers disagree on whether it ends a line",
                    f"write it as the escape \\u{ord(character):04x} inside a double-quoted string",
                )
        check_yaml_events(recorded(), limits, shown)
        data, values, keys = _build(events, shown)
    except InputRefused as refused:
        diagnostics.error(refused.location, refused.message, refused.hint)
    except yaml.MarkedYAMLError as error:
        mark, problem = _parser_error(text, error)
        location = mark_location(shown, mark)
        plain = next((words for start, words in YAML_PROBLEMS.items() if problem.startswith(start)), None)
        if plain is None:
            diagnostics.error(location, f"invalid YAML: {problem}")
        else:
            diagnostics.error(location, f"invalid YAML: {plain}", f"the YAML parser says: {problem}")
    else:
        return ({} if data is None else data), Positions(shown, values, keys), text
    return None


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
        raise UserError(
            f"no profile '{profile}': not a file, and not in {values_dir}/ (profiles there: {names or 'none'})"
        )
    return found[0]

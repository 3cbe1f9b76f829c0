"""Loading profile files: YAML with positions, checked against the profile schema.

A profile is read once with ruamel.yaml (round trip, so every key and value keeps its line
and column), turned into plain data, and checked against the profile JSON Schema
(`flowlogs schema`). Schema errors become diagnostics in plain words at the exact position;
the compilers then walk the data through `Node`s, which carry those positions along.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError

from .errors import Diagnostics, Location, did_you_mean
from .profile_schema import profile_schema

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
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False

    # Timestamps stay the strings the user wrote (an RFC 3339 `end` is passed on as is).
    def keep_string(constructor: Any, node: Any) -> Any:
        return constructor.construct_scalar(node)

    yaml.constructor.add_constructor("tag:yaml.org,2002:timestamp", keep_string)
    return yaml


def _plain(value: Any, path: PathKey, values: dict[PathKey, tuple[int, int]], keys: dict[PathKey, tuple[int, int]]) -> Any:
    """Convert ruamel's round-trip containers to plain data, recording positions (1-based)."""
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


def display_path(path: Path) -> str:
    """A path as users typed it: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_yaml_document(path: Path, diagnostics: Diagnostics, what: str = "profile") -> tuple[Any, Positions, str] | None:
    """Read a YAML file as plain data with the position of every key and value.

    Syntax errors and duplicate keys become diagnostics at their line and column.
    """
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        diagnostics.error(Location(shown), f"cannot read {what}: {error}")
        return None
    try:
        document = _yaml().load(text)
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


def load_profile(path: Path, diagnostics: Diagnostics) -> Profile | None:
    """Read and schema-check one profile; problems go to `diagnostics`."""
    name = path.stem
    if not PROFILE_NAME_RE.match(name) or len(name) > 53:
        diagnostics.error(
            Location(display_path(path)),
            f"profile file name '{path.name}' is not a valid profile name",
            "use lower-case letters, digits and '-', at most 53 characters (it names Helm releases and Argo CD Applications)",
        )
        return None
    loaded = load_yaml_document(path, diagnostics)
    if loaded is None:
        return None
    data, positions, text = loaded
    if not isinstance(data, dict):
        diagnostics.error(Location(positions.file, 1, 1), "a profile must be a mapping with 'cilium:' and/or 'calico:' sections")
        return None
    before = len(diagnostics.errors)
    check_against_schema(_profile_validator(), data, positions, diagnostics)
    if len(diagnostics.errors) > before:
        return None
    return Profile(name, path, Node(data, (), positions), text)


def find_profiles(values_dir: Path) -> list[Path]:
    """Profile files of a directory, in a stable order. `fleet.yaml` is not a profile."""
    return sorted(
        p
        for p in values_dir.iterdir()
        if p.is_file() and p.suffix in PROFILE_SUFFIXES and p.stem != "fleet"
    )


# ---------------------------------------------------------------- schema errors in plain words

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if value is None:
        return "nothing"
    return f"'{value}'"


def _subschema_title(error: ValidationError) -> str:
    return str(error.schema.get("title") or error.schema.get("x-noun") or "value")


def _expected_types(schema: dict[str, Any]) -> str:
    types = schema.get("type")
    if isinstance(types, str):
        types = [types]
    if not types and "oneOf" in schema:
        types = [t for s in schema["oneOf"] for t in ([s["type"]] if isinstance(s.get("type"), str) else s.get("type", []))]
    words = [_TYPE_WORDS.get(t, t) for t in types or []]
    return " or ".join(dict.fromkeys(words)) or "another kind of value"


@functools.cache
def _profile_validator() -> Draft202012Validator:
    return Draft202012Validator(profile_schema())


def check_against_schema(
    validator: Draft202012Validator, data: Any, positions: Positions, diagnostics: Diagnostics, noun: str = "the profile"
) -> None:
    """Schema errors in plain words at their positions; the document root is called `noun`."""
    found = Diagnostics()
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        _report_schema_error(error, positions, found, noun)
    diagnostics.extend(found)


def _best_branch(error: ValidationError) -> list[ValidationError]:
    """For oneOf/anyOf, the errors of the alternative meant for this kind of value.

    A scalar given where "a value or a list" is allowed is judged as a scalar: branches that
    fail on the instance's own type are dropped, and of the rest the one whose errors go
    deepest wins. All of its errors are reported, so one run shows every mistake.
    """
    depth = len(error.absolute_path)
    branches: dict[int, list[ValidationError]] = {}
    for child in error.context or []:
        branches.setdefault(int(child.relative_schema_path[0]), []).append(child)

    def wrong_type(errors: list[ValidationError]) -> bool:
        return any(e.validator == "type" and len(e.absolute_path) == depth for e in errors)

    candidates = [errors for errors in branches.values() if not wrong_type(errors)] or list(branches.values())
    if not candidates:
        return [error]
    return max(candidates, key=lambda errors: max(len(e.absolute_path) for e in errors))


def _report_schema_error(error: ValidationError, positions: Positions, diagnostics: Diagnostics, noun: str) -> None:
    if error.validator in ("oneOf", "anyOf") and error.context:
        branch = _best_branch(error)
        if branch != [error] and not (len(branch) == 1 and branch[0].validator == "type"):
            for child in branch:
                _report_schema_error(child, positions, diagnostics, noun)
            return
    path: PathKey = tuple(error.absolute_path)
    where = ".".join(str(p) for p in path) or noun
    location = positions.of_value(path)
    schema = error.schema
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        aliases: dict[str, str] = schema.get("x-upstream-aliases", {})
        patterns = [re.compile(pattern) for pattern in schema.get("patternProperties", {})]
        extras = [
            key
            for key in error.instance
            if key not in schema.get("properties", {}) and not any(p.search(key) for p in patterns)
        ]
        for key in extras:
            hint = ""
            if key in aliases:
                hint = f"'{key}' is the upstream name; flowlogs profiles write it as '{aliases[key]}'"
                message = f"unknown key '{key}' in {where}; did you mean '{aliases[key]}'?"
            else:
                message = f"unknown key '{key}' in {where}{did_you_mean(key, allowed + list(aliases))}"
                hint = "allowed keys: " + ", ".join(allowed)
            diagnostics.error(positions.of_key((*path, key)), message, hint)
        return
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        for key in missing:
            diagnostics.error(location, f"missing required key '{key}' in {where}")
        return
    if error.validator == "enum":
        choices = list(dict.fromkeys(str(c) for c in schema["enum"]))
        noun = _subschema_title(error)
        suggestion = did_you_mean(str(error.instance), choices)
        hint = "" if len(choices) > 40 else "one of: " + ", ".join(choices)
        diagnostics.error(location, f"unknown {noun} {_describe(error.instance)}{suggestion}", hint)
        return
    if error.validator == "type" or error.validator in ("oneOf", "anyOf"):
        diagnostics.error(
            location,
            f"{where}: expected {_expected_types(schema)}, got {_describe(error.instance)}",
        )
        return
    if error.validator == "pattern":
        diagnostics.error(
            location,
            f"{where}: {_describe(error.instance)} is not a valid {_subschema_title(error)}",
            str(schema.get("x-pattern-hint", f"must match {schema['pattern']}")),
        )
        return
    if error.validator in ("minimum", "maximum", "exclusiveMinimum", "minLength", "maxLength", "minItems"):
        diagnostics.error(location, f"{where}: {_describe(error.instance)} is out of range ({error.message})")
        return
    diagnostics.error(location, f"{where}: {error.message}")

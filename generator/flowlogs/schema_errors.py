"""JSON Schema errors in plain words, at the position of the value they are about.

The loader checks profiles and the fleet file against their schemas; each error becomes a
diagnostic that names the key or value, says what was expected, and suggests the right word
(upstream spellings such as `includeFilters` map to the profile's words through the
schema's `x-upstream-aliases`).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from .errors import Diagnostics, Location, did_you_mean
from .names import python_pattern

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

    from .profile import PathKey, Positions

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
    if isinstance(value, str) and not value.isprintable():
        return repr(value)  # a newline or control character shown as its escape, on one line
    return f"'{value}'"


def _expected_types(schema: dict[str, Any]) -> str:
    types = schema.get("type")
    if isinstance(types, str):
        types = [types]
    if not types and "oneOf" in schema:
        types = [
            t for s in schema["oneOf"] for t in ([s["type"]] if isinstance(s.get("type"), str) else s.get("type", []))
        ]
    words = [_TYPE_WORDS.get(t, t) for t in types or []]
    return " or ".join(dict.fromkeys(words)) or "another kind of value"


# Where a keyword holds subschemas (JSON Schema 2020-12 core and applicator vocabularies, and draft 4's
# additionalItems): as the value, as each value of a mapping, or as each item of a list. Nothing else is a
# schema (a `properties` mapping, an `enum` list, an `x-` annotation).
SUBSCHEMA_VALUES = frozenset(
    {
        "items",
        "additionalItems",
        "additionalProperties",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
SUBSCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
SUBSCHEMA_LISTS = frozenset({"oneOf", "anyOf", "allOf", "prefixItems"})


def _subschemas(schema: dict[str, Any]) -> list[tuple[Callable[[Any], None], Any]]:
    """Each subschema of `schema` with the setter that replaces it there."""
    found: list[tuple[Callable[[Any], None], Any]] = []
    for keyword, value in schema.items():
        if keyword in SUBSCHEMA_VALUES and isinstance(value, dict):
            found.append((functools.partial(schema.__setitem__, keyword), value))
        elif keyword in SUBSCHEMA_MAPS and isinstance(value, dict):
            found += [
                (functools.partial(value.__setitem__, name), sub)
                for name, sub in value.items()
                if isinstance(sub, dict)
            ]
        elif keyword in SUBSCHEMA_LISTS and isinstance(value, list):
            found += [
                (functools.partial(value.__setitem__, index), sub)
                for index, sub in enumerate(value)
                if isinstance(sub, dict)
            ]
    return found


def referenced_once(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` in which each subschema that occurs in several places (the same
    object, as the schema builders share them) is written once under `$defs` and referred to."""
    uses: dict[int, int] = {}

    def count(node: dict[str, Any]) -> None:
        uses[id(node)] = uses.get(id(node), 0) + 1
        if uses[id(node)] == 1:
            for _, sub in _subschemas(node):
                count(sub)

    count(schema)
    shared: dict[int, str] = {}
    definitions: dict[str, Any] = {}

    def copy(node: dict[str, Any]) -> dict[str, Any]:
        # The node and its mappings and lists of subschemas are copied; the subschemas in them
        # are still the originals, replaced below by their copies or references.
        copied = {
            key: (
                value.copy() if key in SUBSCHEMA_MAPS | SUBSCHEMA_LISTS and isinstance(value, (dict, list)) else value
            )
            for key, value in node.items()
        }
        for replace, sub in _subschemas(copied):
            if uses[id(sub)] == 1:
                replace(copy(sub))
                continue
            if id(sub) not in shared:
                shared[id(sub)] = name = f"shared-{len(shared) + 1}"
                definitions[name] = copy(sub)
            replace({"$ref": f"#/$defs/{shared[id(sub)]}"})
        return copied

    result = copy(schema)
    if definitions:
        result["$defs"] = {**result.get("$defs", {}), **definitions}
    return result


class DocumentSchema:
    """A document's JSON Schema. jsonschema-rs alone decides whether a document passes; a document
    that fails is explained error by error with the `jsonschema` package, whose errors carry the
    schema, path and alternatives the plain-word messages need. Where `jsonschema` finds no reason
    for one of jsonschema-rs's errors, that error is reported in jsonschema-rs's own words: a
    document is never refused without a reason, nor accepted because the explanation is missing.
    Valid documents, the common case, never import or run the slower engine, nor build `schema`
    when `shape` is given: `shape(document)` is a schema that decides that document exactly as
    `schema` does and costs less to build (e.g. without descriptions, or without the parts of
    keys the document lacks); the same object each time it decides alike (it is compiled once)."""

    def __init__(
        self, schema: Callable[[], dict[str, Any]], noun: str, shape: Callable[[Any], dict[str, Any]] | None = None
    ) -> None:
        self._schema, self.noun, self._shape = schema, noun, shape or (lambda document: schema())
        self._compiled: dict[int, tuple[dict[str, Any], jsonschema_rs.Validator]] = {}

    def _fast(self, document: Any) -> jsonschema_rs.Validator:
        shape = self._shape(document)
        if id(shape) not in self._compiled:  # the shape is kept with its validator: its id stays its own
            # Each shared subschema compiled once: the profile schema holds the Cilium filter schema
            # four times (benchmarks/README.md).
            self._compiled[id(shape)] = (shape, jsonschema_rs.validator_for(referenced_once(shape)))
        return self._compiled[id(shape)][1]

    @functools.cached_property
    def _detailed(self) -> Draft202012Validator:
        return detailed_validator(self._schema())

    def check(self, data: Any, positions: Positions, diagnostics: Diagnostics, noun: str | None = None) -> None:
        """Schema errors of `data` in plain words at their positions; the root is called `noun`."""
        if self._fast(data).is_valid(data):
            return
        noun = noun or self.noun
        errors = sorted(self._detailed.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
        for error in errors:
            _report_schema_error(error, positions, diagnostics, noun)
        for path, message in self._unexplained(data, [tuple(error.absolute_path) for error in errors]):
            diagnostics.error(positions.of_value(path), f"{'.'.join(str(p) for p in path) or noun}: {message}")

    def _unexplained(self, data: Any, explained: list[PathKey]) -> list[tuple[PathKey, str]]:
        """jsonschema-rs's errors about values no explained error is about (or inside, or around).

        NaN and infinity, which JSON cannot hold, jsonschema-rs reads as null: `jsonschema`, which
        reads them as numbers (and refuses them against a bound, `_ecma_validator_class`), decides them."""
        found = []
        for error in self._fast(data).iter_errors(data):
            path = tuple(error.instance_path)
            if _non_finite(data, path):
                continue
            if not any(path[: len(other)] == other or other[: len(path)] == path for other in explained):
                found.append((path, error.message))
        return found

    def top_level_keys(self) -> list[str]:
        return list(self._schema().get("properties", {}))

    def is_valid(self, data: Any) -> bool:
        return bool(self._fast(data).is_valid(data))

    def error_paths(self, data: Any) -> list[PathKey]:
        """Where `data` fails the schema: the path of the value each error is about."""
        if self._fast(data).is_valid(data):
            return []
        explained: list[PathKey] = [tuple(error.absolute_path) for error in self._detailed.iter_errors(data)]
        return explained + [path for path, _ in self._unexplained(data, explained)]


def _non_finite(data: Any, path: PathKey) -> bool:
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(data, float) and not math.isfinite(data)


def detailed_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """The `jsonschema` package's validator, reading `pattern` as ECMA-262 does (as jsonschema-rs
    and Helm's Go engine do): Python's `re.search` alone lets `$` match before a final newline;
    and a bound refuses NaN and infinity."""
    validator: Draft202012Validator = _ecma_validator_class()(schema)
    return validator


@functools.cache
def _ecma_validator_class() -> Any:
    from jsonschema import Draft202012Validator, ValidationError, validators

    def pattern(validator: Any, expected: str, instance: Any, schema: Any) -> Any:
        if validator.is_type(instance, "string") and not re.search(python_pattern(expected), instance):
            yield ValidationError(f"{instance!r} does not match {expected!r}")

    def bounded(keyword: str) -> Any:
        """A bound refuses NaN and infinity, which every comparison would let through."""
        check = Draft202012Validator.VALIDATORS[keyword]

        def bound(validator: Any, expected: Any, instance: Any, schema: Any) -> Any:
            types = schema.get("type", "number")
            typed = any(validator.is_type(instance, kind) for kind in ([types] if isinstance(types, str) else types))
            if isinstance(instance, float) and not math.isfinite(instance):
                if typed:  # else the type is the error, said once
                    yield ValidationError(f"{instance} is not a finite number")
            else:
                yield from check(validator, expected, instance, schema)

        return bound

    bounds = {keyword: bounded(keyword) for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")}
    return validators.extend(Draft202012Validator, {"pattern": pattern, **bounds})  # type: ignore[no-untyped-call]


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
    return max(candidates, key=lambda errors: max(len(e.absolute_path) for e in errors))


@dataclass(frozen=True)
class _Found:
    """One schema error, with where it is and how to name that place."""

    error: ValidationError
    positions: Positions
    path: PathKey
    where: str  # the dotted path, or the document's noun at the root
    schema: dict[str, Any]  # the subschema the error is about

    @property
    def location(self) -> Location:
        return self.positions.of_value(self.path)

    @property
    def title(self) -> str:
        return str(self.schema.get("title") or self.schema.get("x-noun") or "value")


def _report_schema_error(error: ValidationError, positions: Positions, diagnostics: Diagnostics, noun: str) -> None:
    if error.validator in ("oneOf", "anyOf") and error.context:  # (with a context, every branch has errors)
        branch = _best_branch(error)
        # One wrong type of the value itself is said as "expected X or Y"; a wrong type deeper (an item) where it is.
        if not (len(branch) == 1 and branch[0].validator == "type" and branch[0].absolute_path == error.absolute_path):
            for child in branch:
                _report_schema_error(child, positions, diagnostics, noun)
            return
    path: PathKey = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}  # a mapping in every schema flowlogs writes
    found = _Found(error, positions, path, ".".join(str(p) for p in path) or noun, schema)
    _REPORTERS.get(str(error.validator), _other)(found, diagnostics)


def _unknown_keys(found: _Found, diagnostics: Diagnostics) -> None:
    schema, where = found.schema, found.where
    allowed = sorted(schema.get("properties", {}))
    aliases: dict[str, str] = schema.get("x-upstream-aliases", {})
    patterns = [re.compile(pattern) for pattern in schema.get("patternProperties", {})]
    instance = found.error.instance if isinstance(found.error.instance, dict) else {}
    extras = [
        key for key in instance if key not in schema.get("properties", {}) and not any(p.search(key) for p in patterns)
    ]
    for key in extras:
        if key in aliases:
            hint = f"'{key}' is the upstream name; flowlogs profiles write it as '{aliases[key]}'"
            message = f"unknown key '{key}' in {where}; did you mean '{aliases[key]}'?"
        else:
            message = f"unknown key '{key}' in {where}{did_you_mean(key, allowed + list(aliases))}"
            hint = "allowed keys: " + ", ".join(allowed)
        diagnostics.error(found.positions.of_key((*found.path, key)), message, hint)


def _missing_keys(found: _Found, diagnostics: Diagnostics) -> None:
    for key in re.findall(r"'([^']+)' is a required property", found.error.message):
        diagnostics.error(found.location, f"missing required key '{key}' in {found.where}")


def _unknown_word(found: _Found, diagnostics: Diagnostics) -> None:
    choices = list(dict.fromkeys(str(c) for c in found.schema["enum"]))
    instance = found.error.instance
    hint = "" if len(choices) > 40 else "one of: " + ", ".join(choices)
    if (
        isinstance(instance, float)
        and math.isfinite(instance)
        and any(isinstance(choice, str) for choice in found.schema["enum"])
    ):
        # An unquoted 1.20 is the number 1.2 to YAML (and 3.20 is 3.2): name what happened.
        hint = (
            f'YAML reads an unquoted {instance}0 as the number {instance}: write it in quotes, e.g. "{choices[-1]}"; '
            + hint
        )
    diagnostics.error(
        found.location,
        f"unknown {found.title} {_describe(instance)}{did_you_mean(str(instance), choices)}",
        hint,
    )


def _wrong_type(found: _Found, diagnostics: Diagnostics) -> None:
    diagnostics.error(
        found.location,
        f"{found.where}: expected {_expected_types(found.schema)}, got {_describe(found.error.instance)}",
    )


def _no_match(found: _Found, diagnostics: Diagnostics) -> None:
    diagnostics.error(
        found.location,
        f"{found.where}: {_describe(found.error.instance)} is not a valid {found.title}",
        str(found.schema.get("x-pattern-hint", f"must match {found.schema['pattern']}")),
    )


def _out_of_range(found: _Found, diagnostics: Diagnostics) -> None:
    diagnostics.error(
        found.location, f"{found.where}: {_describe(found.error.instance)} is out of range ({found.error.message})"
    )


def _other(found: _Found, diagnostics: Diagnostics) -> None:
    diagnostics.error(found.location, f"{found.where}: {found.error.message}")


# JSON Schema keyword that failed -> how it is said in plain words.
_REPORTERS: dict[str, Callable[[_Found, Diagnostics], None]] = {
    "additionalProperties": _unknown_keys,
    "required": _missing_keys,
    "enum": _unknown_word,
    "type": _wrong_type,
    "oneOf": _wrong_type,
    "anyOf": _wrong_type,
    "pattern": _no_match,
    **dict.fromkeys(("minimum", "maximum", "exclusiveMinimum", "minLength", "maxLength", "minItems"), _out_of_range),
}

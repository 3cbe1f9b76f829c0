"""JSON Schema errors in plain words, at the position of the value they are about.

The loader checks profiles and the fleet file against their schemas; each error becomes a
diagnostic that names the key or value, says what was expected, and suggests the right word
(upstream spellings such as `includeFilters` map to the profile's words through the
schema's `x-upstream-aliases`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from jsonschema.exceptions import ValidationError

from .errors import Diagnostics, did_you_mean

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

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
    return f"'{value}'"


def _subschema_title(error: ValidationError) -> str:
    schema = _schema(error)
    return str(schema.get("title") or schema.get("x-noun") or "value")


def _schema(error: ValidationError) -> dict[str, Any]:
    """The subschema an error is about (a mapping in every schema flowlogs writes)."""
    return error.schema if isinstance(error.schema, dict) else {}


def _expected_types(schema: dict[str, Any]) -> str:
    types = schema.get("type")
    if isinstance(types, str):
        types = [types]
    if not types and "oneOf" in schema:
        types = [t for s in schema["oneOf"] for t in ([s["type"]] if isinstance(s.get("type"), str) else s.get("type", []))]
    words = [_TYPE_WORDS.get(t, t) for t in types or []]
    return " or ".join(dict.fromkeys(words)) or "another kind of value"


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
    schema = _schema(error)
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        aliases: dict[str, str] = schema.get("x-upstream-aliases", {})
        patterns = [re.compile(pattern) for pattern in schema.get("patternProperties", {})]
        extras = [
            key
            for key in (error.instance if isinstance(error.instance, dict) else {})
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

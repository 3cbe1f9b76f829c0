"""The fast schema check compiles the profile and fleet schemas with each shared subschema written
once (`schema_errors.referenced_once`): it must accept exactly what the schemas as written accept,
judged by the `jsonschema` package (the reference implementation the detailed errors use)."""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

import jsonschema_rs
import pytest
import yaml
from hypothesis import HealthCheck, find, given, settings

from conftest import ROOT, VALUES
from flowlogs.gitops.schema import fleet_schema
from flowlogs.profile_schema import profile_schema
from flowlogs.schema_errors import referenced_once

sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
from harness import fleet_data, profile_data  # noqa: E402 - the fuzz strategies sit in tests/fuzz

SCHEMAS = {"profile": profile_schema, "fleet": fleet_schema}


def _reference(schema: dict[str, Any]) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema)


def test_a_shared_subschema_is_written_once_and_nothing_else_moves():
    shared = {"type": "string", "minLength": 1}
    names = {"a": shared, "b": {"type": "integer"}}  # a `properties` mapping used twice: no schema
    schema = {
        "type": "object",
        "properties": {
            "x": shared,
            "y": {"type": "array", "items": shared},
            "z": {"type": "object", "properties": names},
            "w": {"type": "object", "properties": names},
        },
        "x-words": {"shared": shared},  # an annotation holds no subschema
        "enum": [shared],
    }
    before = copy.deepcopy(schema)
    result = referenced_once(schema)
    assert schema == before, "the schema given is not changed"
    assert result["$defs"] == {"shared-1": shared, "shared-2": {"type": "integer"}}
    assert result["properties"]["x"] == result["properties"]["y"]["items"] == {"$ref": "#/$defs/shared-1"}
    # the mapping stays a mapping of names; the subschemas in it are each used twice
    assert (
        result["properties"]["z"]["properties"]
        == result["properties"]["w"]["properties"]
        == {"a": {"$ref": "#/$defs/shared-1"}, "b": {"$ref": "#/$defs/shared-2"}}
    )
    assert result["x-words"] == {"shared": shared} and result["enum"] == [shared]


def test_a_schema_without_shared_subschemas_is_copied_as_it_is():
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"oneOf": [{"type": "string"}, {"type": "integer"}]}},
    }
    assert referenced_once(schema) == schema


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_shipped_schemas_share_subschemas_and_stay_valid_schemas(name):
    schema = SCHEMAS[name]()
    result = referenced_once(schema)
    jsonschema_rs.validator_for(result)  # compiles: every reference resolves
    _reference(result).check_schema(result)
    if name == "profile":  # the Cilium filter schema, used four times, is written once
        assert len(json.dumps(result)) < len(json.dumps(schema)) / 2


def test_the_shipped_profiles_are_judged_alike():
    fast = jsonschema_rs.validator_for(referenced_once(profile_schema()))
    reference = _reference(profile_schema())
    for path in sorted(VALUES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if path.name.startswith("fleet"):
            continue
        assert fast.is_valid(data) == reference.is_valid(data) is True, path


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile_data())
def test_generated_profiles_are_judged_alike(data):
    assert FAST["profile"].is_valid(data) == REFERENCE["profile"].is_valid(data)


@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet_data())
def test_generated_fleet_files_are_judged_alike(data):
    assert FAST["fleet"].is_valid(data) == REFERENCE["fleet"].is_valid(data)


FAST = {name: jsonschema_rs.validator_for(referenced_once(schema())) for name, schema in SCHEMAS.items()}
REFERENCE = {name: _reference(schema()) for name, schema in SCHEMAS.items()}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@pytest.mark.parametrize("verdict", [True, False])
def test_the_generated_documents_reach_both_verdicts(name, verdict):
    # The property tests above mean something only if the strategies make valid and invalid documents.
    strategy = profile_data() if name == "profile" else fleet_data()
    found = find(
        strategy,
        lambda data: REFERENCE[name].is_valid(data) is verdict,
        settings=settings(derandomize=True, database=None),
    )
    assert FAST[name].is_valid(found) is verdict

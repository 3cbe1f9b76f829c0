"""The fast schema check compiles the profile and fleet schemas with each shared subschema written
once (`schema_errors.referenced_once`): it must accept exactly what the schemas as written accept,
judged by the `jsonschema` package (the reference implementation the detailed errors use)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from typing import Any

import jsonschema_rs
import pytest
import yaml
from hypothesis import HealthCheck, find, given, settings

from conftest import ROOT, VALUES
from flowlogs.compiler import PROFILE_SCHEMA
from flowlogs.gitops.fleet import FLEET_SCHEMA
from flowlogs.gitops.schema import fleet_schema
from flowlogs.profile_schema import checked_schema, profile_schema
from flowlogs.schema_errors import referenced_once

sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
from harness import fleet_data, profile_data  # noqa: E402 - the fuzz strategies sit in tests/fuzz

SCHEMAS = {"profile": profile_schema, "fleet": fleet_schema}
# What the loader decides with: per profile, the profile schema without what only the version
# tables say in its descriptions, with the sections the profile has alone (`checked_schema`).
DECIDES = {"profile": PROFILE_SCHEMA, "fleet": FLEET_SCHEMA}


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


def _differences(checked: Any, described: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(checked, dict) and isinstance(described, dict) and checked.keys() == described.keys():
        return [d for key in checked for d in _differences(checked[key], described[key], (*path, key))]
    if isinstance(checked, list) and isinstance(described, list) and len(checked) == len(described):
        return [
            d for i, pair in enumerate(zip(checked, described, strict=True)) for d in _differences(*pair, (*path, i))
        ]
    return [] if checked == described else [(path, checked, described)]


def test_profiles_are_checked_with_the_printed_schema_but_for_what_the_tables_say_in_descriptions():
    differences = _differences(profile_schema(described=False), profile_schema())
    found = {}
    for path, checked, described in differences:
        assert path[-1] == "description" and path[-2] != "properties", path  # an annotation, never a keyword
        pattern = re.escape(checked).replace(re.escape("{tables}"), "(.+)")
        found[checked] = re.fullmatch(pattern, described).groups()  # type: ignore[union-attr]
    # each from cilium/data/cilium-1.1x.yaml: the first supported version with the field, key or protocol
    assert sorted({text for texts in found.values() for text in texts}) == [
        "; vrrp, igmp from Cilium 1.19+",
        "Cilium 1.17+",
        "Cilium 1.18+",
        "Cilium 1.19+",
    ]
    assert len(differences) == 30  # the sided words' descriptions are written once per side


def test_a_profile_is_checked_against_the_sections_it_has():
    both = profile_schema(described=False)["properties"]
    assert checked_schema({"cilium": {}})["properties"] == {**both, "calico": True}
    assert checked_schema({"calico": {}})["properties"] == {**both, "cilium": True}
    assert checked_schema({"cilium": {}, "calico": None})["properties"] == both
    assert checked_schema({"description": "x"})["properties"] == {**both, "cilium": True, "calico": True}
    assert checked_schema([]) is checked_schema({})


def test_compiling_a_profile_reads_the_tables_of_its_version_and_of_the_default_alone():
    # The default version's tables hold the words the schema lists (verdicts, directions).
    code = """
from pathlib import Path
from flowlogs import datafiles
from flowlogs.compiler import compile_paths
read = []
load = datafiles.load_data_file
datafiles.load_data_file = lambda path: read.append(path.name) or load(path)
compiled = compile_paths([Path("values/cilium-exporter.yaml")]).profiles[0].parts["cilium"]
print(compiled.version, *sorted(read))
"""
    printed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert printed.stdout.split() == ["1.17", "cilium-1.17.yaml", "cilium-1.19.yaml"]


def test_the_shipped_profiles_are_judged_alike():
    reference = _reference(profile_schema())
    for path in sorted(VALUES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if path.name.startswith("fleet"):
            continue
        assert PROFILE_SCHEMA.is_valid(data) == reference.is_valid(data) is True, path


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile_data())
def test_generated_profiles_are_judged_alike(data):
    assert DECIDES["profile"].is_valid(data) == REFERENCE["profile"].is_valid(data)


@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet_data())
def test_generated_fleet_files_are_judged_alike(data):
    assert DECIDES["fleet"].is_valid(data) == REFERENCE["fleet"].is_valid(data)


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
    assert DECIDES[name].is_valid(found) is verdict

"""The per-version Calico Enterprise tables (flowlogs.calico.tables) and the profile words.

Key facts are asserted directly; every table is cross-checked against the verbatim upstream
copies in ../shared (the CRDs and upstream/calico/felix_l7_fields.yaml), skipped with a reason
when that directory is absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

import flowlogs.calico.tables
from conftest import load_yaml
from flowlogs.calico.defaults import DEFAULT_VERSION, POLICY_SYNC_PATH_PREFIX, SUPPORTED_VERSIONS, WORKLOAD_KINDS
from flowlogs.calico.kinds import Choice
from flowlogs.calico.tables import load_tables
from flowlogs.calico.words import COLLECTOR_CONTAINERS, ENVOY_FIELDS, FELIX_KNOBS

KNOBS_BY_WORD = {knob.word: knob for knob in FELIX_KNOBS}
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CRDS = SHARED / "crds"
FELIX_TABLE = SHARED / "upstream" / "calico" / "felix_l7_fields.yaml"
needs_crds = pytest.mark.skipif(
    not CRDS.is_dir(), reason=f"upstream CRDs not found at {CRDS} (../shared is only on dev machines)"
)
needs_felix_table = pytest.mark.skipif(
    not FELIX_TABLE.is_file(), reason=f"upstream Felix L7 table not found at {FELIX_TABLE}"
)

APPLICATION_LAYER_CRDS = {
    "3.19": "operator.tigera.io_applicationlayers_ce3.19.yaml",
    "3.20": "operator.tigera.io_applicationlayers.yaml",
}
FELIX_CRDS = {
    "3.19": "crd.projectcalico.org_felixconfigurations_enterprise_ce3.19.yaml",
    "3.20": "crd.projectcalico.org_felixconfigurations_enterprise.yaml",
}


def crd_spec(file_name: str) -> dict[str, Any]:
    crd = load_yaml((CRDS / file_name).read_text(encoding="utf-8"))
    (version,) = crd["spec"]["versions"]
    return dict(version["schema"]["openAPIV3Schema"]["properties"]["spec"])


def test_each_supported_version_has_its_table_and_the_default_is_the_newest() -> None:
    data = Path(flowlogs.calico.tables.__file__).parent / "data"
    assert {p.stem.removeprefix("calico-enterprise-") for p in data.glob("calico-enterprise-*.yaml")} == set(
        SUPPORTED_VERSIONS
    )
    assert DEFAULT_VERSION == max(SUPPORTED_VERSIONS, key=lambda v: tuple(int(n) for n in v.split(".")))


@needs_felix_table
def test_the_policy_sync_path_is_the_one_the_operator_sets() -> None:
    operator = load_yaml(FELIX_TABLE.read_text(encoding="utf-8"))["related_applicationlayer_operator_behaviour"]
    assert operator["policySyncPathPrefix"].startswith(f"operator sets {POLICY_SYNC_PATH_PREFIX} when")


def _enums_with(value: Any, word: str) -> list[list[Any]]:
    if isinstance(value, dict):
        found = [value["enum"]] if word in value.get("enum", []) else []
        return found + [e for child in value.values() for e in _enums_with(child, word)]
    return [e for child in value for e in _enums_with(child, word)] if isinstance(value, list) else []


@needs_crds
@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_the_collector_containers_are_the_crds(version: str) -> None:
    """The L7LogCollector DaemonSet's container names (the ApplicationLayer CRD's enum) less dikastes,
    which is for WAF and ALP; the 3.19 guide names the two ("`l7-collector` and `envoy-proxy` containers")."""
    (names,) = _enums_with(crd_spec(APPLICATION_LAYER_CRDS[version]), "l7-collector")
    assert [*COLLECTOR_CONTAINERS, "dikastes"] == names


def test_key_facts() -> None:
    old, new = load_tables("3.19"), load_tables("3.20")
    assert not old.has_sidecar_injection and "sidecarInjection" not in old.application_layer_fields
    assert new.has_sidecar_injection and "sidecarInjection" in new.application_layer_fields
    assert new.sidecar is not None
    assert new.sidecar.label == ("applicationlayer.projectcalico.org/sidecar", "true")
    assert new.sidecar.annotation == ("applicationlayer.projectcalico.org/logging", "Enabled")
    assert new.sidecar.min_kubernetes == (1, 29)
    for tables in (old, new):
        assert tables.application_layer_name == "tigera-secure"
        assert tables.service_annotation == ("projectcalico.org/l7-logging", "true")
        assert dict(tables.log_collection_defaults) == {
            "collectLogs": "Disabled",
            "logIntervalSeconds": 5,
            "logRequestsPerInterval": -1,
        }
        assert dict(tables.operator_sets) == {"tproxyMode": "Enabled", "policySyncPathPrefix": "/var/run/nodeagent"}
        assert "tproxyMode" not in tables.felix_fields
        assert "gke" in tables.unsupported_platforms
        assert tables.gb_per_node_per_day == 1 and tables.l7_retention_days == 1
        assert tables.felix_fields["l7LogsFlushInterval"].default == "300s"
        assert tables.felix_fields["l7LogsFileAggregationSourceInfo"].default == "IncludeL7SourceInfoNoPort"
        assert tables.felix_fields["l7LogsFilePerNodeLimit"].default == 1500
    assert old.service_annotation_documented and not new.service_annotation_documented


def test_unsupported_version() -> None:
    with pytest.raises(ValueError, match="unsupported Calico Enterprise version '3.18'"):
        load_tables("3.18")


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_every_word_compiles_to_an_allowed_value(version: str) -> None:
    tables = load_tables(version)
    assert {k.field for k in FELIX_KNOBS} == set(tables.felix_fields)  # every field has a word
    for knob in FELIX_KNOBS:
        felix_field = tables.felix_fields[knob.field]
        if isinstance(knob.kind, Choice):
            assert set(knob.kind.choices.values()) == set(felix_field.values), knob.word
        assert isinstance(knob.kind, Choice) == (felix_field.type == "enum"), knob.word


def _choices(word: str) -> Mapping[str, str]:
    kind = KNOBS_BY_WORD[word].kind
    assert isinstance(kind, Choice)
    return kind.choices


def test_words() -> None:
    assert dict(_choices("source-info")) == {
        "include": "IncludeL7SourceInfo",
        "include-no-port": "IncludeL7SourceInfoNoPort",
        "exclude": "ExcludeL7SourceInfo",
    }
    assert dict(_choices("url")) == {
        "full": "IncludeL7FullURL",
        "trim-query": "TrimURLQuery",
        "trim-query-and-path": "TrimURLQueryAndPath",
        "exclude": "ExcludeL7URL",
    }
    assert list(WORKLOAD_KINDS) == ["Deployment", "StatefulSet", "DaemonSet"]


# --------------------------------------------------------------------- against upstream


@needs_crds
@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_application_layer_fields_match_the_crd(version: str) -> None:
    tables = load_tables(version)
    spec = crd_spec(APPLICATION_LAYER_CRDS[version])
    assert set(spec["properties"]) == set(tables.application_layer_fields)
    log_collection = spec["properties"]["logCollection"]["properties"]
    assert set(log_collection) == set(tables.log_collection_defaults)
    assert set(spec["properties"]["envoy"]["properties"]) == set(ENVOY_FIELDS.values())
    containers = spec["properties"]["l7LogCollectorDaemonSet"]["properties"]["spec"]["properties"]["template"][
        "properties"
    ]["spec"]["properties"]["containers"]
    assert containers["items"]["properties"]["name"]["enum"] == list(tables.collector_containers)
    assert set(COLLECTOR_CONTAINERS) <= set(tables.collector_containers)


@needs_crds
@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_felix_fields_match_the_crd(version: str) -> None:
    tables = load_tables(version)
    properties = crd_spec(FELIX_CRDS[version])["properties"]
    for name, felix_field in tables.felix_fields.items():
        upstream = properties[name]
        description = " ".join(upstream["description"].split())
        if felix_field.type == "enum":
            assert upstream["pattern"] == "^(?i)(" + "|".join(felix_field.values) + ")?$", name
        elif felix_field.type == "duration":
            assert upstream["type"] == "string" and "(ms|s|m|h)" in upstream["pattern"], name
        else:
            assert upstream["type"] == felix_field.type, name
        if name != "policySyncPathPrefix":  # its description says [Default: Empty]
            shown = (
                str(felix_field.default).lower() if isinstance(felix_field.default, bool) else str(felix_field.default)
            )
            assert f"[Default: {shown}" in description, name
    # the fields the operator owns exist, and flowlogs never sets tproxyMode
    assert "tproxyMode" in properties and "tproxyMode" not in tables.felix_fields


@needs_crds
def test_the_open_source_felix_crd_has_no_l7_fields() -> None:
    properties = crd_spec("crd.projectcalico.org_felixconfigurations.yaml")["properties"]
    assert "policySyncPathPrefix" in properties
    assert not [name for name in properties if name.startswith("l7")]


@needs_felix_table
@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_felix_fields_match_the_upstream_table(version: str) -> None:
    upstream = {f["name"]: f for f in yaml.safe_load(FELIX_TABLE.read_text(encoding="utf-8"))["fields"]}
    for name, felix_field in load_tables(version).felix_fields.items():
        entry = upstream[name]
        assert entry["default"] == felix_field.default, name
        if felix_field.type == "enum":
            assert entry["enum"] == list(felix_field.values), name
        else:
            assert entry["type"] == ("string" if felix_field.type == "duration" else felix_field.type), name
    l7_upstream = {name for name in upstream if name.startswith("l7")}
    assert l7_upstream == {name for name in load_tables(version).felix_fields if name.startswith("l7")}

"""Tests of the per-version Cilium lookup tables (flowlogs.cilium.tables).

Two kinds: key facts asserted directly, and cross-checks of every table against independent
readings of the upstream sources in /work/shared/upstream/cilium (skipped when absent).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import load_yaml, upstream_tools, write_profile
from flowlogs.cilium import tables
from flowlogs.cilium.defaults import DEFAULT_CONFIGMAP_NAME, DEFAULT_FILE_PATH, DEFAULT_VERSION, SUPPORTED_VERSIONS
from flowlogs.cilium.tables import CiliumTables, DropReason, FilterField, load_tables
from flowlogs.compiler import compile_paths

UPSTREAM = Path(__file__).resolve().parents[1].parent / "shared" / "upstream" / "cilium"
DATA_DIR = Path(tables.__file__).resolve().parent / "data"


# --------------------------------------------------------------------------------------------
# loading


def test_each_supported_version_has_its_tables_and_the_default_is_the_newest() -> None:
    """(The default file path and ConfigMap name are the chart's: test_helm_export_keys_match_upstream.)"""
    assert {p.stem.removeprefix("cilium-") for p in DATA_DIR.glob("cilium-*.yaml")} == set(SUPPORTED_VERSIONS)
    assert {p.stem.removeprefix("flow-") for p in DATA_DIR.glob("flow-*.yaml")} == set(SUPPORTED_VERSIONS)
    # The newest stable minor: charts vendored in cilium/cilium-cli (HEAD e694be34) stop at 1.19.5, 1.20 is -pre only.
    assert DEFAULT_VERSION == max(SUPPORTED_VERSIONS, key=lambda v: tuple(int(n) for n in v.split(".")))


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_each_version_loads(version: str) -> None:
    t = load_tables(version)
    assert isinstance(t, CiliumTables)
    assert t.version == version
    assert t.sources and all(isinstance(s, str) and s for s in t.sources)
    assert load_tables(version) is t  # cached


@pytest.mark.parametrize("bad", ["1.15", "1.20", "v1.17", "1.17.5", "", "latest"])
def test_unsupported_version_is_a_value_error(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        load_tables(bad)
    assert str(info.value) == f"unsupported Cilium version '{bad}'; supported: 1.16, 1.17, 1.18, 1.19"


def test_non_string_version_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"unsupported Cilium version '1\.17'"):
        load_tables(1.17)  # type: ignore[arg-type]


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_tables_are_read_only(version: str) -> None:
    t = load_tables(version)
    mappings = [
        t.event_types,
        t.trace_observation_points,
        t.agent_notifications,
        t.drop_reasons,
        t.drop_reasons_by_code,
        t.drop_reasons_by_enum,
        t.verdicts,
        t.traffic_directions,
        t.ip_versions,
        t.reserved_identities,
        t.filter_fields,
        t.nested_fields,
        t.rotation_defaults,
    ]
    for m in mappings:
        with pytest.raises(TypeError):
            m["x"] = 1  # type: ignore[index]
    assert isinstance(t.fieldmask_paths, frozenset)
    assert isinstance(t.helm_export_keys, frozenset)
    assert isinstance(t.flowlog_keys, tuple)
    assert isinstance(t.sources, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.version = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.drop_reasons["policy-deny"].code = 1  # type: ignore[misc]


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_data_file_header_names_upstream_sources(version: str) -> None:
    text = (DATA_DIR / f"cilium-{version}.yaml").read_text(encoding="utf-8")
    header = text.split("\n\n", 1)[0]
    assert all(line.startswith("#") for line in header.splitlines())
    patch = {"1.16": "v1.16.6", "1.17": "v1.17.5", "1.18": "v1.18.6", "1.19": "v1.19.4"}[version]
    for needle in [
        "pkg/monitor/api/types.go",
        "pkg/monitor/api/drop.go",
        "api/v1/flow/flow.proto",
        f"cilium/hubble\n#   tag {patch}",
        "pkg/identity/numericidentity.go",
        "values.yaml",
    ]:
        assert needle in header, needle


# --------------------------------------------------------------------------------------------
# key facts


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_key_facts_every_version(version: str) -> None:
    t = load_tables(version)
    event_types = {
        "drop": 1,
        "debug": 2,
        "capture": 3,
        "trace": 4,
        "policy-verdict": 5,
        "recorder": 6,
        "trace-sock": 7,
        "l7": 129,
        "agent": 130,
    }
    if version == "1.19":  # types.go v1.19.4: MessageTypeRecCapture removed, MessageTypeTraceSock = 7
        del event_types["recorder"]
    assert dict(t.event_types) == event_types
    deny = t.drop_reasons["policy-deny"]
    assert deny == DropReason("policy-deny", 181, "POLICY_DENY", "Policy denied by denylist", False)
    assert t.drop_reasons_by_code[181] is deny
    assert t.drop_reasons_by_enum["POLICY_DENY"] is deny
    denied = t.drop_reasons["policy-denied"]
    assert (denied.code, denied.enum, denied.description) == (133, "POLICY_DENIED", "Policy denied")
    assert t.drop_reasons["invalid-source-mac"].deprecated is True
    assert t.drop_reasons["auth-required"].code == 189
    assert 0 not in t.drop_reasons_by_code and 159 not in t.drop_reasons_by_code
    assert min(t.drop_reasons_by_code) == 130
    assert dict(t.verdicts) == {
        "forwarded": "FORWARDED",
        "dropped": "DROPPED",
        "error": "ERROR",
        "audit": "AUDIT",
        "redirected": "REDIRECTED",
        "traced": "TRACED",
        "translated": "TRANSLATED",
    }
    assert dict(t.traffic_directions) == {
        "ingress": "INGRESS",
        "egress": "EGRESS",
        "unknown": "TRAFFIC_DIRECTION_UNKNOWN",
    }
    assert dict(t.ip_versions) == {"ipv4": "IPv4", "ipv6": "IPv6"}
    assert dict(t.reserved_identities) == {
        "host": 1,
        "world": 2,
        "unmanaged": 3,
        "health": 4,
        "init": 5,
        "remote-node": 6,
        "kube-apiserver": 7,
        "ingress": 8,
        "world-ipv4": 9,
        "world-ipv6": 10,
        "overlay-to-encrypt": 11,
    }
    assert t.trace_observation_points["to-endpoint"] == 0
    assert t.trace_observation_points["to-network"] == 11
    assert t.agent_notifications["endpoint-regenerate-success"] == 3
    assert t.filter_fields["source_pod"] == FilterField("source_pod", "sourcePod", "repeated string")
    assert t.filter_fields["experimental"] == FilterField("experimental", "experimental", "Experimental")
    assert t.filter_fields["event_type"].type == "repeated EventTypeFilter"
    assert tuple(t.nested_fields["EventTypeFilter"]) == ("type", "match_sub_type", "sub_type")
    assert tuple(t.nested_fields["Experimental"]) == ("cel_expression",)
    assert tuple(t.nested_fields["TCPFlags"]) == ("FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS")
    assert {"source.namespace", "source.pod_name", "IP", "l4.TCP.source_port", "drop_reason_desc"} <= t.fieldmask_paths
    assert "source.workloads" in t.fieldmask_paths
    # protobuf-go fieldmaskpb: a repeated field may only be the last element of a path
    assert "source.workloads.name" not in t.fieldmask_paths
    assert "egress_allowed_by.name" not in t.fieldmask_paths
    assert "sourcePod" not in t.fieldmask_paths and "ip" not in t.fieldmask_paths
    assert {"dynamic.enabled", "dynamic.config.configMapName", "dynamic.config.createConfigMap"} <= t.helm_export_keys
    assert "dynamic.config.enabled" not in t.helm_export_keys


def test_drop_reason_punt_proxy_only_in_1_18() -> None:
    punt = load_tables("1.18").drop_reasons["drop-punt-proxy"]
    assert (punt.code, punt.enum, punt.description, punt.deprecated) == (205, "DROP_PUNT_PROXY", "Punt to proxy", False)
    for version in ("1.16", "1.17"):
        t = load_tables(version)
        assert 205 not in t.drop_reasons_by_code
        assert "drop-punt-proxy" not in t.drop_reasons
        assert max(t.drop_reasons_by_code) == 204


def test_cluster_name_filters_from_1_17() -> None:
    old = load_tables("1.16").filter_fields
    assert "source_cluster_name" not in old and "destination_cluster_name" not in old
    assert len(old) == 37
    for version in ("1.17", "1.18"):
        f = load_tables(version).filter_fields
        assert f["source_cluster_name"] == FilterField("source_cluster_name", "sourceClusterName", "repeated string")
        assert f["destination_cluster_name"].json_name == "destinationClusterName"
        assert len(f) == 39


def test_crypto_trace_points_from_1_17() -> None:
    assert "from-crypto" not in load_tables("1.16").trace_observation_points
    assert max(load_tables("1.16").trace_observation_points.values()) == 11
    for version in ("1.17", "1.18"):
        points = load_tables(version).trace_observation_points
        assert (points["from-crypto"], points["to-crypto"]) == (12, 13)


def test_service_agent_notifications_removed_in_1_18() -> None:
    for version in ("1.16", "1.17"):
        a = load_tables(version).agent_notifications
        assert (a["service-upserted"], a["service-deleted"]) == (11, 12)
    a18 = load_tables("1.18").agent_notifications
    assert "service-upserted" not in a18 and "service-deleted" not in a18
    assert max(a18.values()) == 10


def _deprecated_export_keys(version: str) -> set[str]:
    """hubble.export keys the chart still honours but deprecates (never emitted: not in helm_export_keys)."""
    return set(load_yaml((DATA_DIR / f"cilium-{version}.yaml").read_text())["helm"]["deprecated_export_keys"])


def test_per_flowlog_rotation_from_1_18() -> None:
    t18 = load_tables("1.18")
    assert t18.per_flowlog_rotation is True
    assert dict(t18.rotation_defaults) == {"fileMaxSizeMb": 10, "fileMaxBackups": 5, "fileCompress": False}
    assert t18.flowlog_keys == (
        "name",
        "filePath",
        "fieldMask",
        "includeFilters",
        "excludeFilters",
        "fileMaxSizeMb",
        "fileMaxBackups",
        "fileCompress",
        "end",
    )
    assert {"static.fileMaxSizeMb", "static.fileMaxBackups", "static.fileCompress"} <= t18.helm_export_keys
    assert "fileMaxSizeMb" not in t18.helm_export_keys
    # chart 1.18.11 templates/warnings.txt and cilium-flowlog-configmap.yaml: hasKey on all three
    assert _deprecated_export_keys("1.18") == {"fileMaxSizeMb", "fileMaxBackups", "fileCompress"}
    assert not _deprecated_export_keys("1.18") & t18.helm_export_keys
    t19 = load_tables("1.19")
    assert t19.per_flowlog_rotation is True
    assert t19.rotation_defaults == t18.rotation_defaults
    # pkg/hubble/exporter/config.go FlowLogConfig (1.19): fieldAggregate and aggregationInterval after fieldMask
    assert t19.flowlog_keys == t18.flowlog_keys[:3] + ("fieldAggregate", "aggregationInterval") + t18.flowlog_keys[3:]
    assert t19.helm_export_keys == t18.helm_export_keys | {"static.fieldAggregate", "static.aggregationInterval"}
    # chart 1.19.5 cilium-configmap.yaml still reads .Values.hubble.export.aggregationInterval (static)
    assert _deprecated_export_keys("1.19") == _deprecated_export_keys("1.18") | {"aggregationInterval"}
    assert not _deprecated_export_keys("1.19") & t19.helm_export_keys
    for version in ("1.16", "1.17"):
        t = load_tables(version)
        assert t.per_flowlog_rotation is False
        assert t.flowlog_keys == ("name", "filePath", "fieldMask", "includeFilters", "excludeFilters", "end")
        assert dict(t.rotation_defaults) == {"fileMaxSizeMb": 10, "fileMaxBackups": 5}
        assert {"fileMaxSizeMb", "fileMaxBackups"} <= t.helm_export_keys
        assert "static.fileCompress" not in t.helm_export_keys
        assert _deprecated_export_keys(version) == set()


def test_new_flow_fields_per_version() -> None:
    """Differences of flow.Flow between the flow.proto of v1.16.6, v1.17.5, v1.18.6 and v1.19.4
    (cilium/hubble tags, vendor/github.com/cilium/cilium/api/v1/flow/flow.proto)."""
    paths = {v: load_tables(v).fieldmask_paths for v in SUPPORTED_VERSIONS}
    # Flow.file (FileInfo) arrived in 1.17: a 1.16 agent drops a flow log whose mask names it
    assert paths["1.17"] - paths["1.16"] == {"file", "file.name", "file.line"}
    assert {"tunnel", "policy_log"} <= paths["1.18"]
    assert not {"tunnel", "policy_log"} & paths["1.17"]
    assert {p for p in paths["1.18"] - paths["1.17"] if not p.startswith("tunnel.")} == {"tunnel", "policy_log"}
    assert {"tunnel.protocol", "tunnel.IP.source", "tunnel.l4.TCP.flags.SYN"} <= paths["1.18"]
    assert paths["1.19"] - paths["1.18"] == {
        "aggregate",
        "aggregate.ingress_flow_count",
        "aggregate.egress_flow_count",
        "aggregate.unknown_direction_flow_count",
        "emitter",
        "emitter.name",
        "emitter.version",
        "ip_trace_id",
        "ip_trace_id.trace_id",
        "ip_trace_id.ip_option_type",
        "tunnel.vni",
        *(
            f"{parent}.{leaf}"
            for parent in ("l4", "tunnel.l4")
            for leaf in ("IGMP", "IGMP.type", "IGMP.group_address", "VRRP", "VRRP.type", "VRRP.vrid", "VRRP.priority")
        ),
    }
    assert all(paths[a] < paths[b] for a, b in zip(SUPPORTED_VERSIONS, SUPPORTED_VERSIONS[1:], strict=False))


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_fieldmask_full_depth_per_protobuf_go(version: str) -> None:
    """protobuf-go fieldmaskpb numValidPaths: any depth through singular messages, well-known types
    included; a repeated field ends a path; names are the proto field names, case-sensitive."""
    t = load_tables(version)
    assert {"l4.TCP.flags.SYN", "l4.TCP.flags.NS", "time.seconds", "time.nanos", "is_reply.value"} <= t.fieldmask_paths
    assert {
        "extensions.type_url",
        "trace_context.parent.trace_id",
        "l7.dns.rcode",
        "source.labels",
    } <= t.fieldmask_paths
    assert not {"l4.TCP.flags.syn", "source.labels.x", "l7.http.headers.key", "Time", ""} & t.fieldmask_paths
    # every path's parent is a path too (a path is a chain of fields)
    assert all(p.rpartition(".")[0] in t.fieldmask_paths for p in t.fieldmask_paths if "." in p)
    assert dict(t.fieldmask_oneofs)["l7"] == ("dns", "http", "kafka")
    l4 = ("TCP", "UDP", "ICMPv4", "ICMPv6", "SCTP") + (("VRRP", "IGMP") if version == "1.19" else ())
    assert dict(t.fieldmask_oneofs)["l4"] == l4
    assert ("tunnel.l4" in t.fieldmask_oneofs) == (version in ("1.18", "1.19"))


def test_oneof_copy_bug_status() -> None:
    # cilium/cilium#43924 (merged 2026-01-22): 1.16-1.18 FieldMask.Copy has no oneof check;
    # for 1.19 the backport could not be read, so it stays a warning
    assert [load_tables(v).fieldmask_oneof_copy_bug for v in SUPPORTED_VERSIONS] == [
        "affected",
        "affected",
        "affected",
        "unverified",
    ]


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_stdout_and_aggregation_facts(version: str) -> None:
    t = load_tables(version)
    assert t.literal_stdout is True
    assert t.dev_stdout_hint.startswith(
        "/dev/stdout goes through the rotating file writer: after {size} MB it renames /dev/stdout"
    )
    assert t.aggregation is (version == "1.19")
    assert t.aggregation_default_interval == ("0s" if version == "1.19" else None)  # chart 1.19.x values.yaml


def test_filter_fields_new_in_1_19() -> None:
    f18, f19 = load_tables("1.18").filter_fields, load_tables("1.19").filter_fields
    assert [n for n in f19 if n not in f18] == ["ip_trace_id", "encrypted"]
    assert f19["ip_trace_id"] == FilterField("ip_trace_id", "ipTraceId", "repeated uint64")
    assert f19["encrypted"] == FilterField("encrypted", "encrypted", "repeated bool")
    assert list(f19)[-1] == "experimental"


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_drop_reason_names_and_order(version: str) -> None:
    t = load_tables(version)
    codes = [r.code for r in t.drop_reasons.values()]
    assert codes == sorted(codes)
    assert list(t.drop_reasons_by_code) == codes
    for name, r in t.drop_reasons.items():
        assert name == r.name == r.enum.lower().replace("_", "-")
        assert t.drop_reasons_by_enum[r.enum] is r is t.drop_reasons_by_code[r.code]


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_sub_types_for(version: str) -> None:
    t = load_tables(version)
    drops = t.sub_types_for(t.event_types["drop"])
    assert drops["policy-deny"] == 181 and drops["policy-denied"] == 133
    assert list(drops) == list(t.drop_reasons)
    assert t.sub_types_for(4) == t.trace_observation_points
    assert t.sub_types_for(130) == t.agent_notifications
    for other in (2, 3, 5, 6, 7, 129, 999):
        assert dict(t.sub_types_for(other)) == {}
    with pytest.raises(TypeError):
        t.sub_types_for(1)["x"] = 1  # type: ignore[index]


# --------------------------------------------------------------------------------------------
# cross-checks against the independent readings of upstream


@pytest.fixture(scope="module")
def upstream() -> dict[str, Any]:
    if not UPSTREAM.is_dir():
        pytest.skip(f"upstream readings not available: {UPSTREAM} is missing")
    return {p.stem: load_yaml(p.read_text(encoding="utf-8")) for p in sorted(UPSTREAM.glob("*.yaml"))}


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_event_types_match_upstream(upstream: dict[str, Any], version: str) -> None:
    ev = upstream["event_types"]
    t = load_tables(version)
    names = dict(ev["message_type_names"])
    consts = {k: v for k, v in ev["message_types"].items() if k != "MessageTypeUnspec"}
    if version == "1.19":  # v1.19.4 types.go removed MessageTypeRecCapture / "recorder"
        del names["recorder"], consts["MessageTypeRecCapture"]
    assert dict(t.event_types) == names
    assert sorted(t.event_types.values()) == sorted(consts.values())


def _kebab(go_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", go_name).lower()


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_trace_points_match_upstream(upstream: dict[str, Any], version: str) -> None:
    expected = {}
    for const, code in upstream["event_types"]["trace_sub_types"].items():
        if version == "1.16" and const in ("TraceFromCrypto", "TraceToCrypto"):
            continue  # added in 1.17
        # TraceToLxc -> to-endpoint, TraceFromNetwork -> from-network
        expected[_kebab(const.removeprefix("Trace")).replace("lxc", "endpoint")] = code
    assert dict(load_tables(version).trace_observation_points) == expected


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_agent_notifications_match_upstream(upstream: dict[str, Any], version: str) -> None:
    consts = dict(upstream["event_types"]["agent_notification_sub_types"])
    del consts["AgentNotifyUnspec"]
    if version in ("1.18", "1.19"):
        del consts["AgentNotifyServiceUpserted"], consts["AgentNotifyServiceDeleted"]
    # hubble CLI words (cmd/observe flows_filter.go agentEventSubtypes) that differ from the Go names
    cli_words = {"AgentNotifyGeneric": "message", "AgentNotifyStart": "agent-started"}
    expected = {}
    for const, code in consts.items():
        word = cli_words.get(const) or _kebab(const.removeprefix("AgentNotify"))
        expected[word.replace("i-p-cache", "ipcache").replace("-fail", "-failure")] = code
    assert dict(load_tables(version).agent_notifications) == expected


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_drop_reasons_match_upstream(upstream: dict[str, Any], version: str) -> None:
    readings = upstream["drop_reasons"]
    assert readings["drop_min"] == 130
    messages = {code: e["message"] for code, e in readings["monitor_drop_go_errors"].items()}
    expected = {}
    for enum, e in readings["flow_proto_DropReason"].items():
        code = e["number"]
        if code < readings["drop_min"]:
            continue
        if e.get("added_in") == "1.18" and version in ("1.16", "1.17"):
            continue
        assert e["monitor_message"] == messages[code]
        expected[code] = (enum, messages[code], bool(e.get("deprecated", False)))
    t = load_tables(version)
    actual = {r.code: (r.enum, r.description, r.deprecated) for r in t.drop_reasons.values()}
    assert actual == expected
    # every drop.go code >= DropMin has an entry (no drop without a proto name)
    go_codes = {c for c, e in readings["monitor_drop_go_errors"].items() if c >= 130}
    if version in ("1.16", "1.17"):
        go_codes -= {c for c, e in readings["monitor_drop_go_errors"].items() if e.get("added_in") == "1.18"}
    assert set(t.drop_reasons_by_code) == go_codes


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_filter_fields_match_upstream(upstream: dict[str, Any], version: str) -> None:
    readings = upstream["flowfilter_fields"]
    expected = [
        (f["name"], f["json_name"], f["type"])
        for f in readings["fields"]
        if not (version == "1.16" and f.get("added_in") == "1.17")
    ]
    if version == "1.19":  # v1.19.4 flow.proto FlowFilter adds fields 39 and 40 before experimental
        expected[-1:-1] = [("ip_trace_id", "ipTraceId", "repeated uint64"), ("encrypted", "encrypted", "repeated bool")]
    t = load_tables(version)
    assert [(f.name, f.json_name, f.type) for f in t.filter_fields.values()] == expected
    assert list(t.filter_fields) == [name for name, _, _ in expected]


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_nested_fields_match_upstream(upstream: dict[str, Any], version: str) -> None:
    readings = upstream["flowfilter_fields"]
    expected = {
        msg: tuple(f["name"] for f in readings[msg])
        for msg in ("EventTypeFilter", "Workload", "NetworkInterface", "HTTPHeader", "TCPFlags")
    }
    expected["Experimental"] = tuple(f["name"] for f in readings["experimental_message"])
    assert {msg: tuple(fields) for msg, fields in load_tables(version).nested_fields.items()} == expected


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_enums_match_upstream(upstream: dict[str, Any], version: str) -> None:
    readings = upstream["flowfilter_fields"]
    t = load_tables(version)
    assert list(t.verdicts.values()) == [n for n in readings["enum_Verdict"] if n != "VERDICT_UNKNOWN"]
    assert set(t.traffic_directions.values()) == set(readings["enum_TrafficDirection"])
    assert list(t.ip_versions.values()) == [n for n in readings["enum_IPVersion"] if n != "IP_NOT_USED"]
    assert all(word == name.lower() for word, name in t.verdicts.items())
    assert all(word == name.lower() for word, name in t.ip_versions.items())


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_fieldmask_paths_match_upstream(upstream: dict[str, Any], version: str) -> None:
    paths = upstream["fieldmask_paths"]["paths"]
    types = {p["path"]: p["type"] for p in paths}

    def below_repeated(path: str) -> bool:
        parts = path.split(".")
        return any(types[".".join(parts[:i])].startswith("repeated ") for i in range(1, len(parts)))

    expected = {
        p["path"]
        for p in paths
        if not (p.get("added_in") == "1.18" and version in ("1.16", "1.17")) and not below_repeated(p["path"])
    }
    if version == "1.16":  # the reading is of v1.17.5; Flow.file is absent from v1.16.6 flow.proto
        expected -= {"file", "file.name", "file.line"}
    t = load_tables(version)
    # the reading lists depth <= 3 and no sub-fields of well-known types or of tunnel; ours is complete
    shallow = {
        p
        for p in t.fieldmask_paths
        if p.count(".") < 3 and not p.startswith(("time.", "is_reply.", "extensions.", "tunnel."))
    }
    if version == "1.19":
        shallow = {
            p
            for p in shallow
            if p.split(".")[0] not in ("aggregate", "emitter", "ip_trace_id")
            and not p.startswith(("l4.IGMP", "l4.VRRP"))
        }
    assert shallow == expected
    dropped = {p["path"] for p in paths if below_repeated(p["path"])}
    assert len(dropped) == 24  # workloads.{name,kind} x2, {egress,ingress}_{allowed,denied}_by.* x4
    assert "source.workloads.kind" in dropped and "ingress_denied_by.revision" in dropped


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_flowlog_keys_match_upstream(upstream: dict[str, Any], version: str) -> None:
    fields = upstream["exporter_config"]["flowlog_fields"]
    entries = fields["1.16-1.17" if version in ("1.16", "1.17") else "1.18"]
    t = load_tables(version)
    keys = [e["key"] for e in entries]
    if version == "1.19":  # the reading's note: main/1.19+ adds fieldAggregate, aggregationInterval
        keys[3:3] = ["fieldAggregate", "aggregationInterval"]
    assert t.flowlog_keys == tuple(keys)
    if version != "1.16" and version != "1.17":
        defaults = {e["key"]: e["default"] for e in entries if "default" in e}
        assert dict(t.rotation_defaults) == defaults
    assert upstream["exporter_config"]["top_level_key"] == "flowLogs"


def _key_paths(tree: dict[str, Any], prefix: str = "") -> set[str]:
    out = set()
    for key, value in tree.items():
        path = f"{prefix}{key}"
        out.add(path)
        if isinstance(value, dict):
            out |= _key_paths(value, path + ".")
    return out


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_helm_export_keys_match_upstream(upstream: dict[str, Any], version: str) -> None:
    # chart 1.16.19 == 1.17.x (see the reading's findings)
    values = upstream["values_hubble_export"]["v1_17" if version in ("1.16", "1.17") else "v1_18"]
    export = values["hubble"]["export"]
    t = load_tables(version)
    added_1_19 = {"static.fieldAggregate", "static.aggregationInterval"}  # chart 1.19.0 == 1.19.5 values.yaml
    assert t.helm_export_keys == _key_paths(export) | (added_1_19 if version == "1.19" else set())
    assert export["static"]["filePath"] == DEFAULT_FILE_PATH
    assert export["dynamic"]["config"]["configMapName"] == DEFAULT_CONFIGMAP_NAME
    entry_keys = set(export["dynamic"]["config"]["content"][0])
    if version == "1.19":  # chart 1.19 sample entry adds fieldAggregate: [] and aggregationInterval: "0s"
        entry_keys |= {"fieldAggregate", "aggregationInterval"}
    assert entry_keys <= set(t.flowlog_keys)
    assert entry_keys == set(t.flowlog_keys) - {"end"}  # the chart's sample entry sets all but end
    if version not in ("1.16", "1.17"):
        for key, default in t.rotation_defaults.items():
            assert export["static"][key] == default
            assert export["dynamic"]["config"]["content"][0][key] == default
    else:
        for key, default in t.rotation_defaults.items():
            assert export[key] == default


# --------------------------------------------------------------------------------------------
# docs/cilium-versions.md states the per-version facts of these tables


def _doc_row(label: str) -> list[str]:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "cilium-versions.md").read_text(encoding="utf-8")
    for line in doc.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == label:
            return cells[1:]
    raise AssertionError(f"no row {label!r} in docs/cilium-versions.md")


def test_doc_table_matches_the_tables() -> None:
    assert _doc_row("") == list(SUPPORTED_VERSIONS)
    assert _doc_row("fieldMask paths the agent accepts") == [
        str(len(load_tables(v).fieldmask_paths)) for v in SUPPORTED_VERSIONS
    ]
    bug = {"affected": "affected", "fixed": "fixed", "unverified": "unverified (warn)"}
    assert _doc_row("cilium/cilium#43924 (oneof copy bug)") == [
        bug[load_tables(v).fieldmask_oneof_copy_bug] for v in SUPPORTED_VERSIONS
    ]
    assert _doc_row("filePath `stdout` writes to the container log") == [
        "yes" if load_tables(v).literal_stdout else "no" for v in SUPPORTED_VERSIONS
    ]
    assert _doc_row("per-flow-log rotation keys") == [
        "yes" if load_tables(v).per_flowlog_rotation else "no" for v in SUPPORTED_VERSIONS
    ]
    assert _doc_row("`fieldAggregate`, `aggregationInterval`") == [
        "yes" if load_tables(v).aggregation else "no" for v in SUPPORTED_VERSIONS
    ]
    assert ["yes" if "file.name" in load_tables(v).fieldmask_paths else "no" for v in SUPPORTED_VERSIONS] == _doc_row(
        "`file`, `file.name`, `file.line` in fieldMask"
    )


@pytest.mark.skipif(bool(upstream_tools.skip_reason("hubble")), reason=upstream_tools.skip_reason("hubble"))
@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_deprecated_flow_fields_are_those_of_flow_proto(version: str) -> None:
    """fieldmask_deprecated lists exactly the Flow fields marked [deprecated=true] in the vendored
    flow.proto of the version's hubble release, each with the field its comment names."""
    proto = upstream_tools.cilium_source(version, "api/v1/flow/flow.proto")
    flow = proto.split("\nmessage Flow {", 1)[1].split("\n}", 1)[0]
    deprecated = re.findall(r"^\s+\S+ (\w+) = \d+ \[deprecated=true\];", flow, flags=re.MULTILINE)
    assert (
        sorted(load_tables(version).fieldmask_deprecated) == sorted(deprecated) == ["Summary", "drop_reason", "reply"]
    )
    assert "deprecated in favor of drop_reason_desc." in flow and "Please use is_reply instead." in flow
    assert dict(load_tables(version).fieldmask_deprecated) == {
        "drop_reason": "drop_reason_desc",
        "reply": "is_reply",
        "Summary": None,
    }


def _dotted(tree: dict[str, Any], prefix: str = "") -> set[str]:
    """hubble.export's keys as the tables name them (`dynamic.config.configMapName`); `content` is one value."""
    keys = set()
    for key, value in tree.items():
        nested = isinstance(value, dict) and key != "content"
        keys |= _dotted(value, f"{prefix}{key}.") if nested else {f"{prefix}{key}"}
    return keys


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_compiled_export_values_are_keys_of_the_versions_chart(tmp_path: Path, version: str) -> None:
    """A table bug, not a user mistake: every hubble.export key compiled for Cilium's chart, handed over or
    carrying the flow logs, with the agent-wide rotation where the version has it, is one the chart has."""
    compress = ", compress: true" if load_tables(version).per_flowlog_rotation else ""
    text = f'cilium:\n  version: "{version}"\n  rotation: {{max-size-mb: 20, max-backups: 3{compress}}}\n'
    result = compile_paths([write_profile(tmp_path, "p", text + "  flow-logs:\n    - name: a\n")])
    assert [str(d) for d in result.diagnostics.errors] == []
    part = result.profiles[0].parts["cilium"]
    for values in (part.overlay, part.release_values):
        keys = _dotted(values["hubble"]["export"])
        assert "dynamic.config.configMapName" in keys
        assert keys <= load_tables(version).helm_export_keys
    if not compress:
        assert "fileMaxSizeMb" in _dotted(part.overlay["hubble"]["export"])

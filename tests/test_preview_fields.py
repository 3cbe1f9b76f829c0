"""`flowlogs preview`: every FlowFilter field, flows that match and flows that must not.

The flows are tests/data/preview/flows.jsonl (described line by line in tests/data/preview/README.md).
Each case's expected lines are hubble's: `test_case_is_what_hubble_exports` runs the same
FlowFilter through `hubble observe --input-file` of the case's Cilium version (Cilium's own
filters.Apply; ../shared/tools/hubble) on the flow lines, so the lists below are checked against
upstream wherever ../shared is present, and the preview is checked against the lists everywhere.
Line 17, a lost-events record, is not a flow: preview counts it apart and no flow log decides
on it (test_preview_captures.py), so it is in no expectation. The upstream file of each rule is
named per case. The CLI is driven on a real flowlogs.yaml with one flow log whose only
include filter is the case's FlowFilter, and the JSON output's matched_lines are compared.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import upstream_tools
import yaml

from flowlogs.cli import main

FLOWS = Path(__file__).parent / "data" / "preview" / "flows.jsonl"
ALL = [n for n in range(1, 19) if n != 17]  # every flow: line 17 is a lost_events record, not a flow


def preview_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flow_logs: list[dict[str, Any]], version: str = "1.18"
) -> dict[str, Any]:
    config = tmp_path / "flowlogs.yaml"
    config.write_text(yaml.safe_dump({"flowLogs": flow_logs}), encoding="utf-8")
    code = main(["preview", "--config", str(config), "--cilium", version, "--flows", str(FLOWS), "-o", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document: dict[str, Any] = json.loads(captured.out)
    return document


def matched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flow_filter: dict[str, Any], version: str = "1.18"
) -> list[int]:
    document = preview_json(
        tmp_path, capsys, [{"name": "case", "filePath": "/tmp/case.log", "includeFilters": [flow_filter]}], version
    )
    (entry,) = document["flowLogs"]
    assert "error" not in entry, entry["error"]
    assert entry["seen"] == 17
    lines: list[int] = entry["matched_lines"]
    return lines


# (case id, FlowFilter, expected matched lines, why: upstream file and rule)
CASES: list[tuple[str, dict[str, Any], list[int]]] = [
    # uuid.go: exact flow.uuid
    ("uuid", {"uuid": ["00000000-0000-4000-8000-000000000002", "62b81705-ed79-4e5b-8f10-70a06970104d"]}, [1, 2]),
    ("uuid-none", {"uuid": ["62b81705"]}, []),
    # ip.go: exact address or CIDR (netip.Prefix.Contains)
    ("source_ip-exact", {"source_ip": ["10.0.1.5"]}, [2, 4, 5, 10, 15, 18]),
    ("source_ip-cidr", {"source_ip": ["10.0.5.0/24", "fd00::/64"]}, [8, 11, 16]),
    ("destination_ip", {"destination_ip": ["8.8.8.8", "140.82.0.0/16"]}, [7, 10]),
    ("source_ip_xlated", {"source_ip_xlated": ["192.168.0.0/16"]}, [10]),
    ("source_ip_xlated-not-source", {"source_ip": ["192.168.100.1"]}, []),
    # k8s.go + pkg/hubble/k8s/utils.go ParseNamespaceName: "ns/prefix"; "prefix" = namespace default
    ("source_pod-ns-prefix", {"source_pod": ["shop/frontend"]}, [2, 4, 5, 10, 13, 15, 18]),
    ("source_pod-bare-is-default-ns", {"source_pod": ["bash"]}, [1, 6, 7]),
    ("source_pod-bare-not-other-ns", {"source_pod": ["frontend"]}, []),
    ("source_pod-any-ns", {"source_pod": ["/checkout"]}, [3]),
    ("destination_pod-namespace", {"destination_pod": ["kube-system/"]}, [6]),
    ("destination_pod-shop", {"destination_pod": ["shop/"]}, [2, 3, 4, 5, 8, 9, 11, 13, 14, 15, 16]),
    ("source_service", {"source_service": ["shop/frontend"]}, [2]),
    ("destination_service", {"destination_service": ["kube-system/kube-dns"]}, [6]),
    ("destination_service-bare-is-default-ns", {"destination_service": ["kube-dns"]}, []),
    # fqdn.go + patterns.go: anchored, case-folded, one trailing dot dropped, * = [-.0-9a-z]*
    ("destination_fqdn-wildcard", {"destination_fqdn": ["*.github.com"]}, [7]),
    ("destination_fqdn-canonical", {"destination_fqdn": ["API.GitHub.com."]}, [7]),
    ("destination_fqdn-anchored", {"destination_fqdn": ["github.com"]}, []),
    ("source_fqdn-no-names", {"source_fqdn": ["*"]}, []),
    # labels.go + labelparser.go + pkg/labels: Kubernetes selectors; no source = any source
    ("source_label-k8s", {"source_label": ["k8s:app=frontend"]}, [2, 4, 5, 10, 13, 15, 18]),
    ("source_label-in-any-source", {"source_label": ["app in (checkout, db)"]}, [3, 8]),
    ("source_label-reserved", {"source_label": ["reserved:host"]}, [9, 14]),
    # "!k8s:app" holds for labels without it
    ("source_label-not-exists", {"source_label": ["!k8s:app"]}, [9, 14]),
    ("destination_label-not-equals", {"destination_label": ["k8s:tier!=web"]}, [n for n in ALL if n not in (3, 16)]),
    ("destination_label-greater", {"destination_label": ["k8s:version>1"]}, [2, 4, 5, 9, 11, 13, 15]),
    ("destination_label-and", {"destination_label": ["k8s:app=checkout,k8s:tier=web"]}, []),
    ("node_labels", {"node_labels": ["topology.kubernetes.io/zone=eu-1b"]}, [8, 12]),
    ("node_labels-os", {"node_labels": ["kubernetes.io/os=linux"]}, [1, 2, 3, 4, 5, 6, 8, 11, 12, 18]),
    # workload.go: empty name or kind matches any
    ("source_workload-kind", {"source_workload": [{"kind": "StatefulSet"}]}, [8]),
    ("destination_workload-name", {"destination_workload": [{"name": "kafka"}]}, [12]),
    (
        "destination_workload-both",
        {"destination_workload": [{"name": "checkout", "kind": "Deployment"}]},
        [2, 4, 5, 9, 11, 13, 15],
    ),
    ("destination_workload-kind-mismatch", {"destination_workload": [{"name": "checkout", "kind": "StatefulSet"}]}, []),
    # cluster_name.go (1.17+): exact endpoint cluster_name
    ("source_cluster_name", {"source_cluster_name": ["c2"]}, [8, 12]),
    ("destination_cluster_name", {"destination_cluster_name": ["c1"]}, [2, 3, 4, 5, 6, 9, 11, 13, 15, 16]),
    # traffic_direction.go: absent = TRAFFIC_DIRECTION_UNKNOWN (proto3 zero value); non-flows never
    ("traffic_direction", {"traffic_direction": ["INGRESS"]}, [4, 5, 8, 9, 11, 14, 15]),
    ("traffic_direction-unknown", {"traffic_direction": ["TRAFFIC_DIRECTION_UNKNOWN"]}, [16]),
    # verdict.go; protojson reads enum names or numbers
    ("verdict", {"verdict": ["DROPPED"]}, [1, 11, 18]),
    ("verdict-number", {"verdict": [2]}, [1, 11, 18]),
    ("verdict-several", {"verdict": ["AUDIT", "TRANSLATED"]}, [10, 16]),
    # drop_reason_desc.go: only DROPPED flows, by DropReason name
    ("drop_reason_desc-denied", {"drop_reason_desc": ["POLICY_DENIED"]}, [11]),
    ("drop_reason_desc-deny", {"drop_reason_desc": ["POLICY_DENY"]}, [1, 18]),
    # network_interface.go: index 0 / empty name match any
    ("interface-name", {"interface": [{"name": "eth0"}]}, [2]),
    ("interface-index", {"interface": [{"index": 7}]}, [3]),
    ("interface-both-must-hold", {"interface": [{"index": 5, "name": "lxc12ab"}]}, []),
    # event_type.go: type 0 = any; sub_type only with match_sub_type
    ("event_type-drop", {"event_type": [{"type": 1}]}, [1, 11, 18]),
    ("event_type-sub-type-ignored", {"event_type": [{"type": 1, "sub_type": 133}]}, [1, 11, 18]),
    ("event_type-match-sub-type", {"event_type": [{"type": 1, "sub_type": 133, "match_sub_type": True}]}, [11]),
    ("event_type-trace-to-stack", {"event_type": [{"type": 4, "sub_type": 3, "match_sub_type": True}]}, [3]),
    ("event_type-l7", {"event_type": [{"type": 129}]}, [4, 5, 6, 12, 15]),
    # http.go: full codes or "N+" prefixes; no code = not a response
    ("http_status_code-prefix", {"http_status_code": ["5+"]}, [4]),
    ("http_status_code-full", {"http_status_code": ["200"]}, [5]),
    ("http_status_code-several", {"http_status_code": ["2+", "503"]}, [4, 5]),
    ("http_status_code-with-l7-type", {"http_status_code": ["5+"], "event_type": [{"type": 129}]}, [4]),
    # protocol.go: l4 oneof or l7 record present
    ("protocol-tcp", {"protocol": ["tcp"]}, [1, 2, 3, 4, 5, 7, 11, 12, 14, 15, 16]),
    ("protocol-udp-case", {"protocol": ["UDP"]}, [6, 8, 10, 18]),
    ("protocol-icmp", {"protocol": ["icmp"]}, [9]),
    ("protocol-sctp", {"protocol": ["sctp"]}, [13]),
    ("protocol-dns", {"protocol": ["dns"]}, [6]),
    ("protocol-http", {"protocol": ["http"]}, [4, 5, 15]),
    ("protocol-kafka", {"protocol": ["kafka"]}, [12]),
    # port.go: TCP, UDP or SCTP ports
    ("source_port", {"source_port": ["8080"]}, [3]),
    ("destination_port", {"destination_port": ["53"]}, [6, 10, 18]),
    ("destination_port-sctp", {"destination_port": ["3868"]}, [13]),
    # reply.go: unknown is_reply counts as false for DROPPED flows only
    ("reply-true", {"reply": [True]}, [3, 4, 5]),
    ("reply-false", {"reply": [False]}, [1, 2, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 18]),
    # fqdn.go filterByDNSQueries: RE2 MatchString (unanchored) on l7.dns.query
    ("dns_query-substring", {"dns_query": ["github"]}, [6]),
    ("dns_query-anchored", {"dns_query": [r"^api\.github\.com\.$"]}, [6]),
    ("dns_query-none", {"dns_query": ["example"]}, []),
    # identity.go: endpoint security identity
    ("source_identity", {"source_identity": [1]}, [9, 14]),
    ("destination_identity", {"destination_identity": [2, 16777218]}, [1, 7, 10, 18]),
    # http.go: method case-insensitive; path = url.ParseRequestURI(url).Path; url unanchored regexp
    ("http_method", {"http_method": ["POST"]}, [5]),
    ("http_method-get", {"http_method": ["get"]}, [4, 15]),
    ("http_path", {"http_path": ["^/api/"]}, [4]),
    ("http_path-needs-request-uri", {"http_path": ["cart"]}, [5]),
    ("http_url", {"http_url": ["cart"]}, [5, 15]),
    ("http_header", {"http_header": [{"key": "x-request-id", "value": "abc"}]}, [4]),
    # tcp.go: a flag set matches when all its flags are set in the flow
    ("tcp_flags-syn", {"tcp_flags": [{"SYN": True}]}, [1, 2, 3, 11, 16]),
    ("tcp_flags-synack", {"tcp_flags": [{"SYN": True, "ACK": True}]}, [3]),
    ("tcp_flags-or", {"tcp_flags": [{"ACK": True}, {"FIN": True}]}, [3, 7]),
    # nodename.go + patterns.go: "cluster/node" patterns; a name without cluster is default/<name>
    ("node_name-cluster", {"node_name": ["c1/*"]}, [2, 3, 4, 5, 6, 7, 10, 11, 15, 16, 18]),
    ("node_name-node-only", {"node_name": ["node-c"]}, [9]),
    ("node_name-default-cluster", {"node_name": ["default/node-*"]}, [9]),
    ("node_name-empty-node-part", {"node_name": ["aks-*/"]}, [1]),
    ("node_name-any-cluster", {"node_name": ["*/node-b"]}, [8, 12, 13, 14]),
    # ip.go filterByIPVersion
    ("ip_version", {"ip_version": ["IPv6"]}, [8, 14]),
    # tracing.go: trace_context.parent.trace_id
    ("trace_id", {"trace_id": ["4bf92f3577b34da6a3ce929d0e0e4736"]}, [2]),
    # JSON names are accepted as well (protojson): the same filter spelled lowerCamelCase
    ("json-names", {"sourcePod": ["shop/frontend"], "destinationPort": ["8080"]}, [2, 4, 5, 15]),
    # filters.go: an empty FlowFilter builds no function: MatchAll is true for every event
    ("empty-filter", {}, ALL),
]


@pytest.mark.parametrize(("flow_filter", "expected"), [pytest.param(f, e, id=i) for i, f, e in CASES])
def test_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flow_filter: dict[str, Any], expected: list[int]
) -> None:
    assert matched(tmp_path, capsys, flow_filter) == expected


# Cilium 1.19 fields (cilium/hubble v1.19.4, same folder). No sample flow is encrypted or carries an
# IP trace id: encrypted.go matches flows whose IP.encrypted is in the list (absent = false, and
# never an event that is not a flow); ip_tracing.go compares GetFlow().GetIpTraceId().GetTraceId(),
# which is 0 for every flow without one.
CASES_1_19: list[tuple[str, dict[str, Any], list[int]]] = [
    ("encrypted-true", {"encrypted": [True]}, []),
    ("encrypted-false", {"encrypted": [False]}, ALL),
    ("ip_trace_id", {"ip_trace_id": [7]}, []),
    ("ip_trace_id-zero", {"ip_trace_id": [0]}, ALL),
]


@pytest.mark.parametrize(("flow_filter", "expected"), [pytest.param(f, e, id=i) for i, f, e in CASES_1_19])
def test_field_1_19(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flow_filter: dict[str, Any], expected: list[int]
) -> None:
    assert matched(tmp_path, capsys, flow_filter, "1.19") == expected


def _hubble_flows(directory: Path) -> Path:
    """The flow lines of FLOWS as hubble reads them (a bare Flow wrapped), each numbered in its
    Summary (no filter reads it), the lost-events record left out."""
    lines = []
    for number, line in enumerate(FLOWS.read_text(encoding="utf-8").splitlines(), 1):
        event = json.loads(line)
        if "lost_events" in event:
            continue
        if "flow" not in event:
            event = {"flow": event}
        event["flow"]["Summary"] = f"line {number}"
        lines.append(json.dumps(event) + "\n")
    path = directory / "flows-for-hubble.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.skipif(bool(upstream_tools.skip_reason("hubble")), reason=upstream_tools.skip_reason("hubble"))
@pytest.mark.parametrize(
    ("flow_filter", "expected", "version"),
    [pytest.param(f, e, "1.18", id=i) for i, f, e in CASES]
    + [pytest.param(f, e, "1.19", id=i) for i, f, e in CASES_1_19],
)
def test_case_is_what_hubble_exports(
    tmp_path: Path, flow_filter: dict[str, Any], expected: list[int], version: str
) -> None:
    from preview_oracle import hubble_lines

    assert hubble_lines(upstream_tools.hubble(version), _hubble_flows(tmp_path), [flow_filter], []) == expected


def test_every_compiled_field_has_a_case() -> None:
    from flowlogs.cilium.defaults import SUPPORTED_VERSIONS
    from flowlogs.cilium.tables import load_tables

    covered = {key for _, flow_filter, _ in CASES + CASES_1_19 for key in flow_filter}
    for version in SUPPORTED_VERSIONS:
        missing = set(load_tables(version).filter_fields) - covered - {"experimental"}
        assert not missing, f"Cilium {version}: no preview case for {sorted(missing)}"


MAPPED_BY_VERSION = {"1.16": [14], "1.17": [], "1.18": [], "1.19": []}


def test_ipv4_mapped_address_against_ipv4_cidr_depends_on_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ip.go v1.16.6: net.ParseIP + IPNet.Contains (To4() of ::ffff:a.b.c.d is a.b.c.d) -> matches;
    # ip.go v1.17.5+: netip.Prefix.Contains, an IPv4-mapped IPv6 address never matches an IPv4 prefix.
    for version, expected in MAPPED_BY_VERSION.items():
        assert matched(tmp_path, capsys, {"source_ip": ["10.0.9.0/24"]}, version) == expected


@pytest.mark.skipif(bool(upstream_tools.skip_reason("hubble")), reason=upstream_tools.skip_reason("hubble"))
def test_ipv4_mapped_address_by_version_is_hubbles(tmp_path: Path) -> None:
    from preview_oracle import hubble_lines

    flows = _hubble_flows(tmp_path)
    # unknown_fields: the sample's newer fields (`file`), which 1.16's Flow lacks and no filter here reads
    assert {
        version: hubble_lines(
            upstream_tools.hubble(version), flows, [{"source_ip": ["10.0.9.0/24"]}], [], unknown_fields=True
        )
        for version in MAPPED_BY_VERSION
    } == MAPPED_BY_VERSION


# filters.go Apply: include.MatchOne && exclude.MatchNone; fields of one filter are AND-ed.
APPLY_CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]], list[int]]] = {
    "mixed": ([{"verdict": ["DROPPED"]}, {"protocol": ["sctp"]}], [{"destination_port": ["53"]}], [1, 11, 13]),
    "everything": ([], [], ALL),
    "and": ([{"verdict": ["DROPPED"], "traffic_direction": ["EGRESS"]}], [], [1, 18]),
    "exclude-only": ([], [{"event_type": [{"type": 4}]}], [1, 4, 5, 6, 10, 11, 12, 15, 16, 18]),
}


def test_apply_includes_or_excludes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow_logs = [
        {
            "name": name,
            "filePath": f"/tmp/{name}.log",
            **({"includeFilters": include} if include else {}),
            **({"excludeFilters": exclude} if exclude else {}),
        }
        for name, (include, exclude, _) in APPLY_CASES.items()
    ]
    document = preview_json(tmp_path, capsys, flow_logs)
    assert {entry["name"]: entry["matched_lines"] for entry in document["flowLogs"]} == {
        name: lines for name, (_, _, lines) in APPLY_CASES.items()
    }


@pytest.mark.skipif(bool(upstream_tools.skip_reason("hubble")), reason=upstream_tools.skip_reason("hubble"))
def test_apply_cases_are_what_hubble_exports(tmp_path: Path) -> None:
    from preview_oracle import hubble_lines

    flows = _hubble_flows(tmp_path)
    for name, (include, exclude, lines) in APPLY_CASES.items():
        assert hubble_lines(upstream_tools.hubble("1.18"), flows, include, exclude) == lines, name


def test_flow_names_to_rename_are_the_flows_multiword_fields() -> None:
    """flow_proto.yaml renames JSON names of exactly the multi-word fields of every message a
    flow holds (cilium/data/flow-<version>.yaml, from each version's flow.proto), and no JSON
    name it renames is the proto name of one (IP.ipVersion: issue 21)."""
    from flowlogs.cilium.defaults import SUPPORTED_VERSIONS
    from flowlogs.cilium.flow_schema import json_name, load_flow_schema
    from flowlogs.cilium.preview.flows import proto_facts

    renamed = proto_facts().json_to_proto
    for version in SUPPORTED_VERSIONS:
        fields = {field.name for message in load_flow_schema(version).messages.values() for field in message}
        assert {json_name(name) for name in fields if "_" in name} <= set(renamed), version
        assert not set(renamed) & fields, version


@pytest.mark.parametrize(
    ("flow_filter", "message"),
    [
        ({"http_status_code": ["600"]}, "invalid status code prefix: '600'"),
        (
            {"http_status_code": ["5+"], "event_type": [{"type": 1}]},
            "requires the event type filter to only match 'l7' events",
        ),
        ({"source_ip": ["10.0.0.300"]}, "invalid IP address '10.0.0.300'"),
        ({"destination_port": ["http"]}, "invalid port 'http'"),
        ({"destination_fqdn": ["a/b"]}, "'/': invalid rune in pattern"),
        ({"node_name": ["a/b/c"]}, "too many slashes in pattern"),
        ({"source_pod": [""]}, "name must not be empty"),
        ({"protocol": ["quic"]}, "unknown protocol: 'quic'"),
        ({"dns_query": ["(unclosed"]}, "DNS query filter '(unclosed'"),
        ({"source_label": ["app in (a"]}, "invalid label selector"),
    ],
)
def test_values_the_agent_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flow_filter: dict[str, Any], message: str
) -> None:
    document = preview_json(
        tmp_path,
        capsys,
        [
            {"name": "bad", "filePath": "/tmp/bad.log", "includeFilters": [flow_filter]},
            {"name": "good", "filePath": "/tmp/good.log"},
        ],
    )
    bad, good = document["flowLogs"]
    assert message in bad["error"]
    assert bad["matched"] == 0 and bad["matched_lines"] == []
    assert good["matched"] == 17  # the agent still runs the other flow logs


def test_cluster_name_is_unknown_to_cilium_1_16(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "flowlogs.yaml"
    config.write_text(
        yaml.safe_dump(
            {"flowLogs": [{"name": "c", "filePath": "/tmp/c.log", "includeFilters": [{"source_cluster_name": ["c2"]}]}]}
        )
    )
    code = main(["preview", "--config", str(config), "--cilium", "1.16", "--flows", str(FLOWS)])
    err = capsys.readouterr().err
    assert code == 1
    assert "unknown FlowFilter field 'source_cluster_name' in Cilium 1.16 (the agent rejects the whole file)" in err


def test_unknown_enum_name_rejects_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "flowlogs.yaml"
    config.write_text(
        yaml.safe_dump(
            {"flowLogs": [{"name": "v", "filePath": "/tmp/v.log", "includeFilters": [{"verdict": ["DROP"]}]}]}
        )
    )
    assert main(["preview", "--config", str(config), "--flows", str(FLOWS)]) == 1
    assert "invalid value for enum Verdict: 'DROP'" in capsys.readouterr().err


def test_cel_is_reported_not_previewable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = preview_json(
        tmp_path,
        capsys,
        [
            {
                "name": "cel",
                "filePath": "/tmp/cel.log",
                "includeFilters": [
                    {"verdict": ["DROPPED"], "experimental": {"cel_expression": ["_flow.verdict == Verdict.DROPPED"]}}
                ],
            }
        ],
    )
    (entry,) = document["flowLogs"]
    assert entry["not_previewable"] == [
        f"{tmp_path / 'flowlogs.yaml'}: flowLogs[0].includeFilters[0].experimental.cel_expression"
    ]
    assert entry["matched_lines"] == [1, 11, 18]


def test_a_field_predicate_follows_the_versions_fields() -> None:
    from tools.preview_flows import build_predicate, read_flows

    events = list(read_flows(str(FLOWS)))
    predicate = build_predicate("destination_pod", ["kube-system/"], "1.18")
    assert [ev.line for ev in events if predicate(ev)] == [6]
    with pytest.raises(KeyError, match="source_cluster_name cannot be previewed for Cilium 1.16"):
        build_predicate("source_cluster_name", ["c1"], "1.16")
    with pytest.raises(KeyError, match="experimental cannot be previewed"):
        build_predicate("experimental", [{"cel_expression": ["true"]}], "1.18")

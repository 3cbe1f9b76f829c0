"""Generated flows and profiles for the preview oracle tier (tests/test_preview_oracle.py), and
hubble as the oracle: `hubble observe --input-file FLOWS --allowlist JSON --denylist JSON`
runs Cilium's own filters.BuildFilterList + filters.Apply (../shared/tools/hubble/README.md).

Flows are written as `hubble observe -o jsonpb` (protojson JSON names) or as the exporter
(protojson proto names) writes them, one `{"flow": {...}}` per line; their fields and enum
values come from the shipped Flow tables (cilium/data/flow-<version>.yaml, from each
version's flow.proto): a field a version's Flow lacks is never written for it. Values come
from small pools shared with the profiles, so that filters match some flows and not others.
Each flow carries its line number in `Summary` (a string no filter reads) so that hubble's
output can be mapped back to lines.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import answers
import upstream_tools
from hypothesis import strategies as st

from flowlogs.cilium import kinds
from flowlogs.cilium.filters import FILTER_WORDS
from flowlogs.cilium.flow_schema import json_name, load_flow_schema
from flowlogs.cilium.tables import load_tables

# --- the pools flows and profiles share ------------------------------------------------------

NAMESPACES = ["default", "shop", "kube-system"]
PODS = ["web-1", "web-2", "db-0", "coredns-5d"]
SERVICES = ["web", "db", "kube-dns"]
IPV4 = ["10.0.0.1", "10.0.0.2", "192.168.1.5", "1.1.1.1"]
IPV6 = ["fd00::1", "fd00::2", "2001:db8::5", "::ffff:10.0.0.1"]  # the last: IPv4-mapped
LABELS = ["k8s:app=web", "k8s:app=db", "k8s:tier=front", "reserved:world", "k8s:io.kubernetes.pod.namespace=shop"]
NAMES = [
    "api.example.com",
    "www.example.com",
    "kube-dns.kube-system.svc.cluster.local.",
    "example.com",
    "API.Example.com",
]
IDENTITIES = [1, 2, 6, 9, 11, 12345, 16777217]
PORTS = [53, 80, 443, 8080]
WORKLOADS = [
    {"name": "web", "kind": "Deployment"},
    {"name": "db", "kind": "StatefulSet"},
    {"name": "web"},
    {"kind": "DaemonSet"},
]
CLUSTERS = ["c1", "c2"]
NODES = ["node-a", "node-b", "c1/node-b", "c2/node-a", "k8s-1"]
NODE_LABELS = ["kubernetes.io/os=linux", "zone=a", "zone=b", "node-role.kubernetes.io/control-plane="]
DROP_REASONS = ["POLICY_DENIED", "POLICY_DENY", "STALE_OR_UNROUTABLE_IP", "CT_MAP_INSERTION_FAILED"]
EVENT_TYPES = [1, 2, 3, 4, 5, 7, 9, 129, 130]  # pkg/monitor/api/types.go message types, and one unknown
SUB_TYPES = [0, 3, 10, 133, 181]
URLS = ["http://shop/api/v1/cart", "/api/items?x=1", "https://example.com/", "cart", "http://web:8080/healthz"]
HEADERS = [
    {"key": "x-user", "value": "alice"},
    {"key": "content-type", "value": "application/json"},
    {"key": "x-user", "value": "bob"},
]
QUERIES = ["api.example.com.", "kube-dns.kube-system.svc.cluster.local.", "example.org."]
UUIDS = ["u-1", "u-2", "u-3"]
TRACE_IDS = ["t-1", "t-2"]
IP_TRACE_IDS = [1, 42, 18446744073709551615]
INTERFACES = [{"index": 7, "name": "eth0"}, {"index": 3, "name": "lxc123"}, {"name": "eth0"}, {"index": 7}]
TCP_FLAG_NAMES = ["SYN", "ACK", "FIN", "RST", "PSH"]

# --- flows -----------------------------------------------------------------------------------


def _enum(values: Sequence[str], numbers: dict[str, int]) -> st.SearchStrategy[Any]:
    """An enum field as protojson reads it: its name, mostly, or its number."""
    return st.one_of(st.sampled_from(list(values)), st.sampled_from(list(values)).map(lambda name: numbers[name]))


def endpoints() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "identity": st.sampled_from(IDENTITIES),
            "namespace": st.sampled_from(NAMESPACES),
            "pod_name": st.sampled_from(PODS),
            "labels": st.lists(st.sampled_from(LABELS), max_size=3, unique=True),
            "workloads": st.lists(st.sampled_from(WORKLOADS), max_size=2),
            "cluster_name": st.sampled_from(CLUSTERS),
        },
    )


def _ports() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {}, optional={"source_port": st.sampled_from(PORTS), "destination_port": st.sampled_from(PORTS)}
    )


def _l4() -> st.SearchStrategy[dict[str, Any]]:
    tcp = st.fixed_dictionaries(
        {},
        optional={
            "source_port": st.sampled_from(PORTS),
            "destination_port": st.sampled_from(PORTS),
            "flags": st.dictionaries(st.sampled_from(TCP_FLAG_NAMES), st.just(True), max_size=3),
        },
    )
    icmp = st.fixed_dictionaries({}, optional={"type": st.sampled_from([0, 8]), "code": st.just(0)})
    return st.one_of(
        tcp.map(lambda v: {"TCP": v}),
        _ports().map(lambda v: {"UDP": v}),
        _ports().map(lambda v: {"SCTP": v}),
        icmp.map(lambda v: {"ICMPv4": v}),
        icmp.map(lambda v: {"ICMPv6": v}),
        st.just({"VRRP": {"vrid": 1}}),  # 1.19's Flow only: pruned from the others
        st.just({"IGMP": {"type": 17}}),
    )


def _l7() -> st.SearchStrategy[dict[str, Any]]:
    http = st.fixed_dictionaries(
        {},
        optional={
            "code": st.sampled_from([200, 404, 503, 500, 302]),
            "method": st.sampled_from(["GET", "POST", "get", "DELETE"]),
            "url": st.sampled_from(URLS),
            "headers": st.lists(st.sampled_from(HEADERS), max_size=2),
        },
    )
    dns = st.fixed_dictionaries({}, optional={"query": st.sampled_from(QUERIES), "rcode": st.just(0)})
    kafka = st.fixed_dictionaries({}, optional={"topic": st.just("orders"), "api_key": st.just("produce")})
    record = st.one_of(
        http.map(lambda v: {"http": v}), dns.map(lambda v: {"dns": v}), kafka.map(lambda v: {"kafka": v}), st.just({})
    )
    return st.tuples(record, st.sampled_from([None, "REQUEST", "RESPONSE"])).map(
        lambda pair: {**pair[0], **({"type": pair[1]} if pair[1] else {})}
    )


def _ip(enums: dict[str, dict[str, int]]) -> st.SearchStrategy[dict[str, Any]]:
    """Both IP versions; the version field sometimes absent or not the addresses' own."""
    return st.sampled_from([IPV4, IPV6]).flatmap(
        lambda pool: st.fixed_dictionaries(
            {},
            optional={
                "source": st.sampled_from(pool),
                "destination": st.sampled_from(pool),
                "source_xlated": st.sampled_from(pool),
                "ipVersion": st.one_of(
                    st.just("IPv4" if pool is IPV4 else "IPv6"), _enum(list(enums["IPVersion"]), enums["IPVersion"])
                ),
                "encrypted": st.booleans(),
            },
        )
    )


def raw_flows(version: str) -> st.SearchStrategy[dict[str, Any]]:
    """A Flow with proto names, before pruning to the version's Flow."""
    enums = {name: dict(values) for name, values in load_flow_schema(version).enums.items()}
    verdicts = list(enums["Verdict"])
    directions = list(enums["TrafficDirection"])
    return st.fixed_dictionaries(
        {},
        optional={
            "uuid": st.sampled_from(UUIDS),
            "verdict": _enum(verdicts, enums["Verdict"]),
            "drop_reason_desc": _enum(DROP_REASONS, enums["DropReason"]),
            "IP": _ip(enums),
            "l4": _l4(),
            "source": endpoints(),
            "destination": endpoints(),
            "node_name": st.sampled_from(NODES),
            "node_labels": st.lists(st.sampled_from(NODE_LABELS), max_size=2, unique=True),
            "source_names": st.lists(st.sampled_from(NAMES), max_size=2),
            "destination_names": st.lists(st.sampled_from(NAMES), max_size=2),
            "l7": _l7(),
            "reply": st.booleans(),  # deprecated; filters read is_reply
            "is_reply": st.booleans(),
            "event_type": st.fixed_dictionaries(
                {}, optional={"type": st.sampled_from(EVENT_TYPES), "sub_type": st.sampled_from(SUB_TYPES)}
            ),
            "source_service": st.fixed_dictionaries(
                {}, optional={"name": st.sampled_from(SERVICES), "namespace": st.sampled_from(NAMESPACES)}
            ),
            "destination_service": st.fixed_dictionaries(
                {}, optional={"name": st.sampled_from(SERVICES), "namespace": st.sampled_from(NAMESPACES)}
            ),
            "traffic_direction": _enum(directions, enums["TrafficDirection"]),
            "interface": st.sampled_from(INTERFACES),
            "trace_context": st.sampled_from(TRACE_IDS).map(lambda t: {"parent": {"trace_id": t}}),
            "ip_trace_id": st.sampled_from(IP_TRACE_IDS).flatmap(
                lambda t: st.sampled_from([{"trace_id": t}, {"trace_id": str(t)}])
            ),
        },
    )


def prune(value: dict[str, Any], message: str, version: str) -> dict[str, Any]:
    """The fields of `value` that message `message` of the version's Flow has (proto names)."""
    schema = load_flow_schema(version)
    fields = {f.name: f for f in schema.messages[message]}
    out: dict[str, Any] = {}
    for key, item in value.items():
        field = fields.get(key)
        if field is None:
            continue
        if field.type in schema.messages:
            item = [prune(x, field.type, version) for x in item] if field.repeated else prune(item, field.type, version)
        out[key] = item
    return out


def json_names(value: Any) -> Any:
    """protojson's JSON names (hubble observe -o jsonpb): `source_port` -> `sourcePort`."""
    if isinstance(value, dict):
        return {json_name(key): json_names(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_names(item) for item in value]
    return value


@dataclass(frozen=True)
class FlowLine:
    flow: dict[str, Any]  # proto names, pruned to the version's Flow
    proto_names: bool  # written as the exporter writes (else as hubble observe -o jsonpb)

    def line(self, number: int) -> str:
        flow = {
            **self.flow,
            "Summary": f"line {number}",
            "time": f"2026-12-01T10:{number // 60 % 60:02d}:{number % 60:02d}Z",
        }
        event: dict[str, Any] = {"flow": flow if self.proto_names else json_names(flow)}
        if "node_name" in flow:
            event["node_name" if self.proto_names else "nodeName"] = flow["node_name"]
        return json.dumps(event, separators=(",", ":"))


def flow_lines(version: str) -> st.SearchStrategy[FlowLine]:
    return st.builds(FlowLine, raw_flows(version).map(lambda flow: prune(flow, "Flow", version)), st.booleans())


def write_flows(path: Path, flows: Sequence[FlowLine]) -> None:
    path.write_text("".join(flow.line(number) + "\n" for number, flow in enumerate(flows, 1)), encoding="utf-8")


# --- profiles --------------------------------------------------------------------------------

_POD = ["web", "shop/web-", "*/db", "kube-system/", "default/", "shop/db", "*/coredns"]
_SERVICE = ["web", "shop/web", "*/kube-", "kube-system/", "default/db"]
_IP = [
    "10.0.0.1",
    "10.0.0.0/24",
    "fd00::/64",
    "2001:db8::5",
    "1.1.1.1",
    "0.0.0.0/0",
    "10.0.0.0/8",
    "::ffff:10.0.0.1",
    "::/0",
]
_LABEL = [
    "app=web",
    "k8s:app=db",
    "app in (web, db)",
    "!tier",
    "tier!=front",
    "reserved:world",
    "k8s:tier",
    "app notin (web)",
]
_FQDN = ["api.example.com", "*.example.com", "example.com", "*.svc.cluster.local"]
_IDENTITY = ["world", "host", 16777217, "reserved:remote-node", 12345, "world-ipv4", 0]
_WORKLOAD: list[Any] = ["Deployment/web", "web", {"kind": "StatefulSet"}, {"name": "db", "kind": "Deployment"}]
_EVENT_TYPE: list[Any] = [
    "drop", "trace", "l7", "policy-verdict", "capture", "debug", "agent", "trace-sock",
    {"type": "drop", "sub-type": "policy-denied"}, {"type": "trace", "sub-type": "to-endpoint"},
    {"type": "drop", "sub-type": 133, "match-sub-type": False}, {"type": "trace", "sub-type": "from-network"},
]  # fmt: skip
_NODE_NAME = ["node-a", "node-*", "c1/node-b", "*/node-a", "c2/", "k8s*"]
_NODE_LABEL = ["kubernetes.io/os=linux", "!zone", "zone in (a, b)", "zone=b"]

# profile word -> the values it is given (the version's tables give enum words theirs)
WORD_VALUES: dict[str, list[Any]] = {
    "pod": _POD,
    "namespace": NAMESPACES,
    "ip": _IP,
    "label": _LABEL,
    "fqdn": _FQDN,
    "service": _SERVICE,
    "identity": _IDENTITY,
    "port": [53, "443", 8080],
    "workload": _WORKLOAD,
    "cluster": CLUSTERS,
    "drop-reason": ["policy-denied", "policy-deny", 151, "CT_MAP_INSERTION_FAILED"],
    "event-type": _EVENT_TYPE,
    "source-ip-xlated": _IP,
    "http-status": ["200", "404", "5+", "40+", 503, "2+"],
    "http-method": ["GET", "POST", "delete"],
    "http-path": ["^/api", "cart$", "/v[0-9]+/"],
    "http-url": ["^http://", "cart", "example"],
    "http-header": ["x-user:alice", {"key": "content-type", "value": "application/json"}],
    "dns-query": ["example\\.com", "^kube", "svc\\.cluster\\.local\\.$"],
    "tcp-flags": ["SYN", "SYN,ACK", "FIN", "RST|ACK"],
    "node-name": _NODE_NAME,
    "node-label": _NODE_LABEL,
    "uuid": UUIDS,
    "trace-id": TRACE_IDS,
    "ip-trace-id": IP_TRACE_IDS,
    "interface": ["eth0", {"name": "eth0", "index": 7}, {"index": 3}, "lxc123"],
    "raw": [
        {"source_pod": ["shop/"]},
        {"verdict": ["DROPPED"], "reply": [False]},
        {"destination_port": ["53"]},
        {"ip_version": ["IPv6"]},
    ],
}
_FLAGS = {"reply", "encrypted"}
_TABLE_WORDS = {
    "verdict": "verdicts",
    "direction": "traffic_directions",
    "ip-version": "ip_versions",
    "protocol": "filter_protocols",
}
_HTTP_WORDS = {"http-status", "http-method", "http-path", "http-url", "http-header"}
# CEL expressions are not previewed (docs/preview.md): the one word left out.
NOT_PREVIEWED = {"cel"}


def words(version: str) -> list[str]:
    """Every filter word the version has (FILTER_WORDS), but cel."""
    tables = load_tables(version)
    out = []
    for word, spec in FILTER_WORDS.items():
        if word in NOT_PREVIEWED:
            continue
        fields = (
            [spec.field.replace("*", side) for side in ("source", "destination")]
            if spec.field.startswith("*")
            else [spec.field]
        )
        if all(field in tables.filter_fields for field in fields if field):
            out.append(word)
    return out


def word_values(word: str, version: str) -> st.SearchStrategy[Any]:
    if word in _FLAGS:
        return st.booleans()
    if word in _TABLE_WORDS:
        names = list(getattr(load_tables(version), _TABLE_WORDS[word]))
        return st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True)
    stem = word.removeprefix("source-").removeprefix("destination-")
    pool = WORD_VALUES.get(word) or WORD_VALUES[stem]
    if word == "raw":
        return st.sampled_from(pool)
    return st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique_by=json.dumps)


def flow_filters(chosen: Sequence[str], version: str) -> st.SearchStrategy[dict[str, Any]]:
    """One profile filter with these words, as a profile that compiles must be: an event type
    beside HTTP fields lists l7 (the agent refuses others there: http.go), pods and services
    beside a namespace name none (hubble observe refuses that as a namespace conflict)."""

    def fix(filter_: dict[str, Any]) -> dict[str, Any]:
        if "event-type" in filter_ and _HTTP_WORDS & set(filter_):
            filter_["event-type"] = ["l7"]
        if any(FILTER_WORDS[word].kind is kinds.NAMESPACE for word in filter_):
            # a namespace word qualifies the pods and services beside it: they name none
            for word in filter_:
                if FILTER_WORDS[word].kind is kinds.NAME_PREFIX:
                    filter_[word] = sorted({value.rsplit("/", 1)[-1] or "web" for value in filter_[word]})
        return filter_

    return st.fixed_dictionaries({word: word_values(word, version) for word in chosen}).map(fix)


WORDS_PER_FLOW_LOG = 5


@dataclass(frozen=True)
class FlowLogSpec:
    include: list[dict[str, Any]]
    exclude: list[dict[str, Any]]


def flow_log_specs(version: str) -> st.SearchStrategy[list[FlowLogSpec]]:
    """Flow logs that together use every word of the version in an include filter and in an
    exclude filter: per flow log include filters of five words (one alone, two pairs ANDed) and
    exclude filters of five more, the words taken in two drawn orders."""
    all_words = words(version)

    def build(order_in: list[str], order_out: list[str]) -> st.SearchStrategy[list[FlowLogSpec]]:
        specs = []
        for index in range(0, len(order_in), WORDS_PER_FLOW_LOG):
            filters = [*_groups(order_in[index : index + WORDS_PER_FLOW_LOG])]
            split = len(filters)
            filters += _groups(order_out[index : index + WORDS_PER_FLOW_LOG])
            include, exclude = (
                st.tuples(*(flow_filters(group, version) for group in part))
                for part in (filters[:split], filters[split:])
            )
            specs.append(st.builds(lambda inc, exc: FlowLogSpec(list(inc), list(exc)), include, exclude))
        return st.tuples(*specs).map(list)

    return st.tuples(st.permutations(all_words), st.permutations(all_words)).flatmap(
        lambda orders: build(list(orders[0]), list(orders[1]))
    )


def _fields(word: str) -> set[str]:
    """The FlowFilter fields a word may set (raw: those of its pool)."""
    if word == "raw":
        return {field for value in WORD_VALUES["raw"] for field in value}
    field = FILTER_WORDS[word].field
    return {field.replace("*", side) for side in ("source", "destination")}


def _conflict(a: str, b: str) -> bool:
    """Two words one filter cannot hold together: a side-less word and a word of the same field
    (pod with destination-pod, namespace with source-pod: ambiguous, the profile says), or raw
    fields another word sets too (a field set twice)."""
    if "raw" in (a, b):
        return bool(_fields(a) & _fields(b))
    wa, wb = FILTER_WORDS[a], FILTER_WORDS[b]
    stem = lambda w: w.field.split("_", 1)[1] if w.side else w.field  # noqa: E731
    return "either" in (wa.side, wb.side) and bool(wa.side) and bool(wb.side) and stem(wa) == stem(wb)


def _groups(chosen: Sequence[str]) -> list[list[str]]:
    """The first word alone, the others ANDed in pairs (apart, when they conflict)."""
    groups = [list(chosen[:1])]
    for index in range(1, len(chosen), 2):
        pair = list(chosen[index : index + 2])
        groups += [[word] for word in pair] if len(pair) == 2 and _conflict(*pair) else [pair]
    return groups


def profile_text(version: str, specs: Sequence[FlowLogSpec]) -> str:
    flow_logs = [
        {
            "name": f"f{index}",
            "file": f"/var/run/cilium/hubble/f{index}.log",
            **({"include": spec.include} if spec.include else {}),
            **({"exclude": spec.exclude} if spec.exclude else {}),
        }
        for index, spec in enumerate(specs)
    ]
    return json.dumps({"cilium": {"version": version, "flow-logs": flow_logs}}, indent=1)  # JSON is YAML


# --- hubble ----------------------------------------------------------------------------------


class HubbleRefused(Exception):
    """hubble exited non-zero: the filters do not build (filters.BuildFilterList's error)."""


def hubble_lines(
    binary: Path,
    flows: Path,
    include: Sequence[dict[str, Any]],
    exclude: Sequence[dict[str, Any]],
    unknown_fields: bool = False,
) -> list[int]:
    """The line numbers (from `Summary`) of the flows hubble exports with these FlowFilters.
    `unknown_fields`: flows may hold fields this version's Flow lacks (hubble drops them, warned)."""
    command: list[answers.Argument] = [binary, "observe", "--input-file", flows, "-o", "jsonpb"]
    for flow_filter in include:
        command += ["--allowlist", json.dumps(flow_filter)]
    for flow_filter in exclude:
        command += ["--denylist", json.dumps(flow_filter)]
    completed = answers.run(command, env=upstream_tools.SHORT_GO_ENV, steady=answers.hubble_steady)
    if completed.returncode != 0:
        raise HubbleRefused(completed.stderr.strip())
    warnings = [
        line
        for line in completed.stderr.splitlines()
        if "level=" in line and not (unknown_fields and "unknown field detected" in line)
    ]
    if warnings:
        raise AssertionError(f"hubble could not read some flows of {flows}: {completed.stderr[:2000]}")
    return [
        int(json.loads(line)["flow"]["Summary"].removeprefix("line "))
        for line in completed.stdout.splitlines()
        if line.strip()
    ]

"""FlowFilter field -> predicate over a flow, with Hubble's semantics, one entry per upstream field.

Each entry of FIELD_MATCHERS builds, from the values of one FlowFilter field, a predicate that says
whether an event matches that field (values of a field are OR-ed, as upstream). The semantics are
those of Hubble's filter package, read from the copy vendored in cilium/hubble at tags v1.16.6,
v1.17.5 and v1.18.6 (`vendor/github.com/cilium/cilium/pkg/hubble/filters/<file>.go`, named per
section below). Where releases differ, the entry takes the Cilium version (`MatchContext.tables`).

The table is keyed by the proto field name (`source_pod`); which fields a version has comes from
that version's data file (`cilium/data/cilium-<version>.yaml`, `filter_fields`), so a new Cilium
version needs a data file, and code only for a field or a semantic change it brings.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ...errors import FlowlogsError
from ..tables import TCP_FLAGS, CiliumTables
from .combine import Inline
from .flows import FlowEvent, proto_facts
from .labels import LabelSelectorError, compile_selectors

Predicate = Callable[[FlowEvent], bool]


class FilterValueError(ValueError):
    """A FlowFilter value the agent rejects when it builds the filter (the flow log is not applied)."""


class FlowFilterDecodeError(FlowlogsError):
    """A FlowFilter protojson cannot decode (unknown field, unknown enum name): the agent rejects
    the whole configuration file and keeps the previous one."""


@dataclass(frozen=True)
class MatchContext:
    tables: CiliumTables  # of the Cilium version whose semantics decide
    event_types: Sequence[dict[str, Any]]  # the filter's event_type entries (HTTP fields check them)


Build = Callable[[list[Any], MatchContext], Predicate]  # a field's values -> its predicate


_EMPTY: dict[str, Any] = {}


def _bools(values: list[Any], what: str) -> set[bool]:
    """The values of a repeated bool field (protojson takes only true and false)."""
    for value in values:
        if not isinstance(value, bool):
            raise FilterValueError(f"{what} {value!r} is not true or false")
    return set(values)


def _strings(values: list[Any], what: str) -> list[str]:
    for value in values:
        if not isinstance(value, str):
            raise FilterValueError(f"{what}: {value!r} is not a string")
    return list(values)


# --- k8s.go: pods and services, "namespace/prefix" -------------------------------------------


def parse_namespace_name(text: str) -> tuple[str, str]:
    """pkg/hubble/k8s/utils.go ParseNamespaceName: "ns/prefix" -> (ns, prefix); "prefix" alone
    means namespace "default"; "/prefix" any namespace; "ns/" every name in ns."""
    parts = text.split("/")
    if len(parts) > 1:
        return parts[0], parts[1]
    if parts[0] == "":
        return "", ""
    return "default", parts[0]


def _namespaced(message: str, name_key: str) -> Build:
    """Filters over flow[message] = {namespace, <name_key>}: source/destination (pod_name) or
    source_service/destination_service (name)."""

    def build(values: list[Any], _: MatchContext) -> Predicate:
        filters = []
        for name in _strings(values, "name"):
            if name == "":
                raise FilterValueError("invalid filter, name must not be empty")
            filters.append(parse_namespace_name(name))
        if all(not prefix for _, prefix in filters):
            # an endpoint with a namespace or a name, in one of the namespaces ("" any)
            namespaces = {fns for fns, _ in filters}
            return Inline(
                "({p} := flow.get({message})) and (({ns} := {p}.get('namespace', '')) or {p}.get({name_key}))"
                " and ({any} or {ns} in {namespaces})",
                message=message,
                name_key=name_key,
                any="" in namespaces,
                namespaces=namespaces,
            )

        def match(ev: FlowEvent) -> bool:
            endpoint = ev.flow.get(message) or _EMPTY
            ns, name = endpoint.get("namespace", ""), endpoint.get(name_key, "")
            if not ns and not name:
                return False
            for fns, prefix in filters:
                if (not prefix or name.startswith(prefix)) and (not fns or fns == ns):
                    return True
            return False

        return match

    return build


# --- ip.go -----------------------------------------------------------------------------------


def _ip_getter(key: str) -> Build:
    def build(values: list[Any], context: MatchContext) -> Predicate:
        addresses: set[str] = set()
        networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for text in _strings(values, "IP"):
            try:
                if "/" in text:
                    networks.append(ipaddress.ip_network(text, strict=False))
                else:
                    ipaddress.ip_address(text)
                    addresses.add(text)
            except ValueError as error:
                raise FilterValueError(
                    f"invalid IP {'prefix' if '/' in text else 'address'} {text!r} in filter"
                ) from error
        # 1.16 parses flow IPs with net.ParseIP, whose IPNet.Contains matches an IPv4-mapped IPv6
        # address "::ffff:10.0.0.1" against an IPv4 CIDR; 1.17+ use net/netip, where it does not
        # (ip.go at v1.16.6 vs v1.17.5).
        mapped_matches_v4 = context.tables.version == "1.16"

        def match(ev: FlowEvent) -> bool:
            ip = (ev.flow.get("IP") or _EMPTY).get(key, "")
            if not ip:
                return False
            if ip in addresses:
                return True
            if not networks:
                return False
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                return False
            if mapped_matches_v4 and isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                address = address.ipv4_mapped
            return any(address.version == network.version and address in network for network in networks)

        return match

    return build


def _ip_version(values: list[Any], context: MatchContext) -> Predicate:
    facts = proto_facts()
    wanted = {facts.enum_name("IPVersion", v) for v in values}

    def match(ev: FlowEvent) -> bool:
        if ev.kind != "flow":
            return False
        ip = ev.flow.get("IP") or _EMPTY
        return facts.enum_name("IPVersion", ip.get("ipVersion", "IP_NOT_USED")) in wanted

    return match


# --- fqdn.go / patterns.go -------------------------------------------------------------------


def _fqdn_pattern_regexp(pattern: str) -> str:
    """patterns.go appendFQDNPatternRegexp: trim, drop one trailing dot, lower-case; `*` matches
    [-.0-9a-z]*; only [-0-9_a-z.] allowed."""
    pattern = pattern.strip().removesuffix(".").lower()
    if pattern == "":
        raise FilterValueError("empty pattern")
    if pattern.endswith("."):
        raise FilterValueError("multiple trailing dots in pattern")
    if invalid := re.search(r"[^-_0-9a-z.*]", pattern):
        raise FilterValueError(f"{invalid[0]!r}: invalid rune in pattern")
    return pattern.replace(".", r"\.").replace("*", "[-.0-9a-z]*")


_FQDN_ELEMENT = r"(?:[-0-9_a-z]+(?:\.[-0-9_a-z]+)*)"


def compile_node_name_patterns(patterns: list[str]) -> re.Pattern[str]:
    """patterns.go appendNodeNamePatternRegexp: "cluster/node", each an FQDN pattern, empty
    matching everything; without a slash the pattern is the node part, in any cluster."""
    parts = []
    for pattern in patterns:
        if pattern == "":
            raise FilterValueError("empty pattern")
        elements = pattern.split("/")
        if len(elements) > 2:
            raise FilterValueError("too many slashes in pattern")
        cluster, node = ("", elements[0]) if len(elements) == 1 else (elements[0], elements[1])
        cluster_re = _fqdn_pattern_regexp(cluster) if cluster else _FQDN_ELEMENT
        node_re = _fqdn_pattern_regexp(node) if node else _FQDN_ELEMENT
        parts.append(f"{cluster_re}/{node_re}")
    return re.compile(r"\A(?:" + "|".join(parts) + r")\Z")


def _fqdn(key: str) -> Build:
    def build(values: list[Any], _: MatchContext) -> Predicate:
        regexp = re.compile(r"\A(?:" + "|".join(_fqdn_pattern_regexp(p) for p in _strings(values, "FQDN")) + r")\Z")
        return lambda ev: any(regexp.match(name) for name in ev.flow.get(key, ()))

    return build


def _regexps(values: list[Any], what: str) -> list[re.Pattern[str]]:
    compiled = []
    for text in _strings(values, what):
        try:
            compiled.append(re.compile(text))
        except re.error as error:
            raise FilterValueError(f"{what} {text!r}: {error}") from error
    return compiled


def _dns_query(values: list[Any], _: MatchContext) -> Predicate:
    regexps = _regexps(values, "DNS query filter")

    def match(ev: FlowEvent) -> bool:
        dns = (ev.flow.get("l7") or _EMPTY).get("dns")
        return dns is not None and any(r.search(dns.get("query", "")) for r in regexps)

    return match


# --- nodename.go -----------------------------------------------------------------------------

DEFAULT_CLUSTER_NAME = "default"  # pkg/defaults/cluster.go ClusterName


def _node_name(values: list[Any], _: MatchContext) -> Predicate:
    regexp = compile_node_name_patterns(_strings(values, "node name"))

    def match(ev: FlowEvent) -> bool:
        name = ev.flow.get("node_name", "")
        if not name:
            return False
        if "/" not in name:
            name = f"{DEFAULT_CLUSTER_NAME}/{name}"
        return regexp.match(name) is not None

    return match


# --- labels.go -------------------------------------------------------------------------------


def _labels(side: str | None) -> Build:
    """The labels of the flow's `side` (source, destination), or with None its node_labels."""

    def build(values: list[Any], _: MatchContext) -> Predicate:
        try:
            selector = compile_selectors(_strings(values, "label selector"))
        except LabelSelectorError as error:
            raise FilterValueError(str(error)) from error
        if side is None:
            return lambda ev: selector(ev.flow.get("node_labels", []))
        return lambda ev: selector((ev.flow.get(side) or _EMPTY).get("labels", []))

    return build


# --- identity.go, workload.go, cluster_name.go -------------------------------------------------


def _identity(side: str) -> Build:
    def build(values: list[Any], _: MatchContext) -> Predicate:
        wanted = set()
        for value in values:
            try:
                number = int(value)  # protojson reads uint32 as a number or a numeric string
            except (TypeError, ValueError) as error:
                raise FilterValueError(f"identity {value!r} is not a number") from error
            if isinstance(value, bool) or number < 0 or number > 2**32 - 1:
                raise FilterValueError(f"identity {value!r} is not a uint32")
            wanted.add(number)

        def match(ev: FlowEvent) -> bool:
            endpoint = ev.flow.get(side)
            return endpoint is not None and int(endpoint.get("identity", 0)) in wanted

        return match

    return build


def _workload(side: str) -> Build:
    def build(values: list[Any], _: MatchContext) -> Predicate:
        wanted = []
        for value in values:
            if not isinstance(value, dict) or set(value) - {"name", "kind"}:
                raise FilterValueError(f"workload {value!r} is not {{name, kind}}")
            wanted.append((str(value.get("name", "")), str(value.get("kind", ""))))

        def match(ev: FlowEvent) -> bool:
            for workload in (ev.flow.get(side) or _EMPTY).get("workloads", ()):
                name, kind = workload.get("name", ""), workload.get("kind", "")
                if any((not n or n == name) and (not k or k == kind) for n, k in wanted):
                    return True
            return False

        return match

    return build


def _cluster_name(side: str) -> Build:
    def build(values: list[Any], _: MatchContext) -> Predicate:
        names = set(_strings(values, "cluster name"))
        if "" in names:
            raise FilterValueError("invalid filter, name must not be empty")
        return lambda ev: (ev.flow.get(side) or _EMPTY).get("cluster_name", "") in names

    return build


# --- verdict.go, drop_reason_desc.go, traffic_direction.go, uuid.go, reply.go -------------------


def _enum_values(values: list[Any], enum: str) -> set[str]:
    facts = proto_facts()
    names = set()
    for value in values:
        name = facts.enum_name(enum, value)
        if name not in facts.enums[enum]:
            raise FlowFilterDecodeError(f"invalid value for enum {enum}: {value!r} (the agent rejects the whole file)")
        names.add(name)
    return names


def _enum_field(field: str, enum: str, unset: str) -> Build:
    """A flow's enum field (protojson writes the name, or the number) is one of the values (names);
    a flow without the field has the enum's zero value `unset`. The same decision as
    ProtoFacts.enum_name, without a call per flow: the hot path of a preview."""

    def build(values: list[Any], _: MatchContext) -> Predicate:
        wanted = _enum_values(values, enum)
        numbers = {number for name, number in proto_facts().enums[enum].items() if name in wanted}
        # protojson writes names: the usual case first
        return Inline(
            "is_flow and ({v} in {wanted} if type({v} := flow.get({field})) is str else {unset} if {v} is None"
            " else {v} in {numbers} if type({v}) is int else str({v}) in {wanted})",
            field=field,
            wanted=wanted,
            unset=unset in wanted,
            numbers=numbers,
        )

    return build


def _drop_reason_name(context: MatchContext, value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        reason = context.tables.drop_reasons_by_code.get(value)
        return reason.enum if reason else ("DROP_REASON_UNKNOWN" if value == 0 else str(value))
    return str(value)


def _drop_reason_desc(values: list[Any], context: MatchContext) -> Predicate:
    known = {*context.tables.drop_reasons_by_enum, "DROP_REASON_UNKNOWN"}
    wanted = set()
    for value in values:
        name = _drop_reason_name(context, value)
        if name not in known:
            raise FlowFilterDecodeError(
                f"invalid value for enum DropReason: {value!r} (the agent rejects the whole file)"
            )
        wanted.add(name)
    return Inline(
        "is_flow and ({v} if type({v} := flow.get('verdict', '')) is str else {verdict}({v})) == 'DROPPED'"
        " and {reason}(flow.get('drop_reason_desc', 'DROP_REASON_UNKNOWN')) in {wanted}",
        verdict=functools.partial(proto_facts().enum_name, "Verdict"),
        reason=functools.partial(_drop_reason_name, context),
        wanted=wanted,
    )


def _uuid(values: list[Any], _: MatchContext) -> Predicate:
    wanted = set(_strings(values, "uuid"))
    return lambda ev: ev.kind == "flow" and ev.flow.get("uuid", "") in wanted


def _reply(values: list[Any], _: MatchContext) -> Predicate:
    wanted = _bools(values, "reply")

    def match(ev: FlowEvent) -> bool:
        if ev.kind != "flow":
            return False
        is_reply = ev.flow.get("is_reply")
        # reply.go: an unknown is_reply is "false" for dropped flows only.
        if is_reply is None and proto_facts().enum_name("Verdict", ev.flow.get("verdict", "")) != "DROPPED":
            return False
        return bool(is_reply) in wanted

    return match


# --- event_type.go ---------------------------------------------------------------------------

MESSAGE_TYPE_AGENT, MESSAGE_TYPE_DEBUG, MESSAGE_TYPE_ACCESS_LOG = 130, 2, 129  # pkg/monitor/api/types.go
_EVENT_TYPE_KEYS = {"type", "sub_type", "subType", "match_sub_type", "matchSubType"}  # EventTypeFilter, both spellings


def _event_type(values: list[Any], context: MatchContext) -> Predicate:
    filters = []
    for value in values:
        if not isinstance(value, dict) or set(value) - _EVENT_TYPE_KEYS:
            raise FilterValueError(f"event type {value!r} is not {{type, sub_type, match_sub_type}}")
        filters.append(
            (
                int(value.get("type") or 0),
                bool(value.get("match_sub_type", value.get("matchSubType", False))),
                int(value.get("sub_type", value.get("subType")) or 0),
            )
        )

    # the filters without match_sub_type decide by type alone (0: any): one set lookup per flow
    types = {t for t, m, _ in filters if not m}
    any_type = 0 in types
    with_sub_type = [(t, s) for t, m, s in filters if m]

    def match(ev: FlowEvent) -> bool:
        if ev.kind == "flow":
            event = ev.flow.get("event_type")
            if event is None:
                return False
            etype = event.get("type", 0)
            if any_type or etype in types:
                return True
            esub = event.get("sub_type", 0)
            return any((not t or t == etype) and s == esub for t, s in with_sub_type)
        if ev.kind in ("agent_event", "debug_event"):
            own = MESSAGE_TYPE_AGENT if ev.kind == "agent_event" else MESSAGE_TYPE_DEBUG
            # An enum name we hold no table for matches only match_sub_type: false.
            sub = number if isinstance(number := ev.payload.get("type", 0), int) else -1
            return any((not t or t == own) and (not m or s == sub) for t, m, s in filters)
        # LostEvent: always included (no way to filter them upstream); node status: never.
        return ev.kind == "lost_events"

    if any_type or with_sub_type:
        return match
    return Inline(
        "({e} := flow.get('event_type')) is not None and {e}.get('type', 0) in {types} if is_flow else {match}(ev)",
        types=types,
        match=match,
    )


# --- port.go, protocol.go, tcp.go, network_interface.go, tracing.go ---------------------------

_L4_PORTS = ("TCP", "UDP", "SCTP")


def _port(key: str) -> Build:
    def build(values: list[Any], _: MatchContext) -> Predicate:
        wanted = set()
        for value in values:
            text = str(value)
            if not text.isdigit() or int(text) > 65535:
                raise FilterValueError(f"invalid port {value!r}")
            wanted.add(int(text))

        def match(ev: FlowEvent) -> bool:
            l4 = ev.flow.get("l4") or _EMPTY
            for protocol in _L4_PORTS:
                header = l4.get(protocol)
                if header is not None:
                    return int(header.get(key, 0)) in wanted
            return False

        return match

    return build


# protocol.go: which Layer4 / Layer7 member each name reads; the names a version accepts are its
# table's filter_protocols (vrrp and igmp: 1.19).
_L4_PROTOCOLS = {
    "icmp": ("ICMPv4", "ICMPv6"),
    "icmpv4": ("ICMPv4",),
    "icmpv6": ("ICMPv6",),
    "tcp": ("TCP",),
    "udp": ("UDP",),
    "sctp": ("SCTP",),
    "vrrp": ("VRRP",),
    "igmp": ("IGMP",),
}
_L7_PROTOCOLS = ("dns", "http", "kafka")


def _protocol(values: list[Any], context: MatchContext) -> Predicate:
    l4_keys: list[str] = []
    l7_keys: list[str] = []
    known = set(context.tables.filter_protocols)
    for value in _strings(values, "protocol"):
        name = value.lower()
        if name not in known:
            raise FilterValueError(f"unknown protocol: {value!r}")
        if name in _L4_PROTOCOLS:
            l4_keys.extend(_L4_PROTOCOLS[name])
        elif name in _L7_PROTOCOLS:
            l7_keys.append(name)
        else:
            raise FilterValueError(f"unknown protocol: {value!r}")

    def match(ev: FlowEvent) -> bool:
        l4 = ev.flow.get("l4")
        if l4:
            for key in l4_keys:
                if key in l4:
                    return True
        l7 = ev.flow.get("l7")
        if l7:
            for key in l7_keys:
                if key in l7:
                    return True
        return False

    return match


def _tcp_flags(values: list[Any], _: MatchContext) -> Predicate:
    sets = []
    for value in values:
        if not isinstance(value, dict) or set(value) - set(TCP_FLAGS):
            raise FilterValueError(f"TCP flags {value!r} are not a set of {', '.join(TCP_FLAGS)}")
        sets.append([flag for flag in TCP_FLAGS if value.get(flag)])

    def match(ev: FlowEvent) -> bool:
        flags = ((ev.flow.get("l4") or _EMPTY).get("TCP") or _EMPTY).get("flags")
        # tcp.go: a filter set matches when every flag it sets is set in the flow.
        return flags is not None and any(all(flags.get(flag) for flag in wanted) for wanted in sets)

    return match


def _interface(values: list[Any], _: MatchContext) -> Predicate:
    wanted = []
    for value in values:
        if not isinstance(value, dict) or set(value) - {"index", "name"}:
            raise FilterValueError(f"interface {value!r} is not {{index, name}}")
        wanted.append((int(value.get("index", 0)), str(value.get("name", ""))))

    def match(ev: FlowEvent) -> bool:
        iface = ev.flow.get("interface")
        if iface is None:
            return False
        index, name = int(iface.get("index", 0)), iface.get("name", "")
        return any((idx <= 0 or idx == index) and (not n or n == name) for idx, n in wanted)

    return match


def _trace_id(values: list[Any], _: MatchContext) -> Predicate:
    wanted = set(_strings(values, "trace id"))
    return lambda ev: ((ev.flow.get("trace_context") or _EMPTY).get("parent") or _EMPTY).get("trace_id", "") in wanted


# --- encrypted.go, ip_tracing.go (Cilium 1.19) ---------------------------------------------------


def _encrypted(values: list[Any], _: MatchContext) -> Predicate:
    """encrypted.go (cilium/hubble v1.19.4): `IP.encrypted` is one of the values; not a flow: no match."""
    wanted = _bools(values, "encrypted")
    return lambda ev: ev.kind == "flow" and bool((ev.flow.get("IP") or _EMPTY).get("encrypted", False)) in wanted


def _ip_trace_id(values: list[Any], _: MatchContext) -> Predicate:
    """ip_tracing.go (cilium/hubble v1.19.4): `ip_trace_id.trace_id` (a uint64: a string in JSON) is one of the
    values."""
    wanted = set()
    for value in values:
        try:
            wanted.add(int(value))
        except (TypeError, ValueError):
            raise FilterValueError(f"ip_trace_id {value!r} is not a number") from None

    def match(ev: FlowEvent) -> bool:
        trace = (ev.flow.get("ip_trace_id") or _EMPTY).get("trace_id", 0)
        try:
            return int(trace) in wanted
        except (TypeError, ValueError):
            return False

    return match


# --- http.go ---------------------------------------------------------------------------------

_STATUS_FULL = re.compile(r"^[1-5][0-9]{2}\Z")
_STATUS_PREFIX = re.compile(r"^[1-5][0-9]?\+\Z")


def _require_l7_event_type(what: str, context: MatchContext) -> None:
    types = context.event_types
    if types and not any(isinstance(t, dict) and int(t.get("type") or 0) == MESSAGE_TYPE_ACCESS_LOG for t in types):
        raise FilterValueError(f"filtering by {what} requires the event type filter to only match 'l7' events")


def _http(flow: dict[str, Any]) -> dict[str, Any] | None:
    http: dict[str, Any] | None = (flow.get("l7") or _EMPTY).get("http")
    return http


def _http_status(values: list[Any], context: MatchContext) -> Predicate:
    _require_l7_event_type("http status code", context)
    full, prefixes = set(), []
    for text in _strings(values, "status code"):
        if _STATUS_FULL.match(text):
            full.add(text)
        elif _STATUS_PREFIX.match(text):
            prefixes.append(text[:-1])
        else:
            raise FilterValueError(f"invalid status code prefix: {text!r}")
    starts = tuple(prefixes)

    def code_matches(value: Any) -> bool:
        code = f"{int(value):03d}"
        return code in full or code.startswith(starts)

    # most flows have no HTTP code: that is decided in place
    return Inline(
        "({l7} := flow.get('l7')) and ({h} := {l7}.get('http')) is not None and {h}.get('code')"
        " and {matches}({h}['code'])",
        matches=code_matches,
    )


def _http_method(values: list[Any], context: MatchContext) -> Predicate:
    _require_l7_event_type("http method", context)
    wanted = {m.casefold() for m in _strings(values, "method")}

    def match(ev: FlowEvent) -> bool:
        method = (_http(ev.flow) or _EMPTY).get("method", "")
        return bool(method) and method.casefold() in wanted

    return match


def _http_url(values: list[Any], context: MatchContext) -> Predicate:
    _require_l7_event_type("http url", context)
    regexps = _regexps(values, "http url")

    def match(ev: FlowEvent) -> bool:
        url = (_http(ev.flow) or _EMPTY).get("url", "")
        return bool(url) and any(r.search(url) for r in regexps)

    return match


def _request_uri_path(url: str) -> str | None:
    """Go url.ParseRequestURI(url).Path: an absolute URL or an absolute path, else invalid (None; also for "")."""
    if not url.startswith("/") and "://" not in url:
        return None
    try:
        return urlsplit(url).path
    except ValueError:
        return None


def _http_path(values: list[Any], context: MatchContext) -> Predicate:
    _require_l7_event_type("http path", context)
    regexps = _regexps(values, "http path")

    def match(ev: FlowEvent) -> bool:
        path = _request_uri_path((_http(ev.flow) or _EMPTY).get("url", ""))
        return path is not None and any(r.search(path) for r in regexps)

    return match


def _http_header(values: list[Any], context: MatchContext) -> Predicate:
    _require_l7_event_type("http headers", context)
    wanted = set()
    for value in values:
        if not isinstance(value, dict) or set(value) - {"key", "value"}:
            raise FilterValueError(f"HTTP header {value!r} is not {{key, value}}")
        wanted.add((str(value.get("key", "")), str(value.get("value", ""))))

    def match(ev: FlowEvent) -> bool:
        headers = (_http(ev.flow) or _EMPTY).get("headers") or ()
        return any((h.get("key", ""), h.get("value", "")) in wanted for h in headers)

    return match


# FlowFilter field (proto name) -> its matcher; `experimental` (CEL) is not previewed (apply.field_predicates).
FIELD_MATCHERS: dict[str, Build] = {
    "uuid": _uuid,
    "source_ip": _ip_getter("source"),
    "source_ip_xlated": _ip_getter("source_xlated"),
    "source_pod": _namespaced("source", "pod_name"),
    "source_fqdn": _fqdn("source_names"),
    "source_label": _labels("source"),
    "source_service": _namespaced("source_service", "name"),
    "source_workload": _workload("source"),
    "source_cluster_name": _cluster_name("source"),
    "destination_ip": _ip_getter("destination"),
    "destination_pod": _namespaced("destination", "pod_name"),
    "destination_fqdn": _fqdn("destination_names"),
    "destination_label": _labels("destination"),
    "destination_service": _namespaced("destination_service", "name"),
    "destination_workload": _workload("destination"),
    "destination_cluster_name": _cluster_name("destination"),
    "traffic_direction": _enum_field("traffic_direction", "TrafficDirection", "TRAFFIC_DIRECTION_UNKNOWN"),
    "verdict": _enum_field("verdict", "Verdict", "VERDICT_UNKNOWN"),
    "drop_reason_desc": _drop_reason_desc,
    "interface": _interface,
    "event_type": _event_type,
    "http_status_code": _http_status,
    "protocol": _protocol,
    "source_port": _port("source_port"),
    "destination_port": _port("destination_port"),
    "reply": _reply,
    "dns_query": _dns_query,
    "source_identity": _identity("source"),
    "destination_identity": _identity("destination"),
    "http_method": _http_method,
    "http_path": _http_path,
    "http_url": _http_url,
    "http_header": _http_header,
    "tcp_flags": _tcp_flags,
    "node_name": _node_name,
    "node_labels": _labels(None),
    "ip_version": _ip_version,
    "trace_id": _trace_id,
    "encrypted": _encrypted,
    "ip_trace_id": _ip_trace_id,
}

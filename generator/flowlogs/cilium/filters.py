"""The filter words of a profile and the Hubble FlowFilter fields they compile to.

Words follow `hubble observe` flags and the Flow API: `verdict`, `drop-reason`,
`event-type`, `direction`, and for each side of a flow `source-*` / `destination-*`
(`pod`, `namespace`, `ip`, `label`, `fqdn`, `service`, `identity`, `port`, `workload`,
`cluster`). The side-less word (`pod: x`) matches either side, as `hubble observe --pod x`
does: the filter is split in two, one per side (a list of filters is an OR).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import kinds
from .defaults import SUPPORTED_VERSIONS
from .kinds import FilterKind
from .tables import has_filter_field, load_tables, since

# Words that exist for both sides of a flow: word -> (FlowFilter field stem, value kind).
SIDED_WORDS: dict[str, tuple[str, FilterKind]] = {
    "pod": ("pod", kinds.NAME_PREFIX),
    "namespace": ("pod", kinds.NAMESPACE),
    "ip": ("ip", kinds.IP),
    "label": ("label", kinds.LABEL),
    "fqdn": ("fqdn", kinds.FQDN),
    "service": ("service", kinds.NAME_PREFIX),
    "identity": ("identity", kinds.IDENTITY),
    "port": ("port", kinds.PORT),
    "workload": ("workload", kinds.WORKLOAD),
    "cluster": ("cluster_name", kinds.TEXT),
}

SIDES = ("source", "destination")


@dataclass(frozen=True)
class FilterWord:
    word: str  # the profile key, e.g. "source-pod"
    field: str  # the FlowFilter field, e.g. "source_pod"
    kind: FilterKind  # how the value is read, checked, compiled, decompiled and explained
    text: str  # the description; "{tables}" stands for what `from_tables` says
    side: str = ""  # "source" | "destination" | "either" | ""
    # The part of the description only the version tables know ("Cilium 1.17+"). It is read where
    # the description is shown: compiling a profile loads the tables of its own version alone.
    from_tables: Callable[[], str] | None = None

    @property
    def description(self) -> str:
        return self.text.replace("{tables}", self.from_tables()) if self.from_tables else self.text


def _sided_description(stem: str, side: str) -> str:
    prefixes = f"{stem} name prefixes, as `namespace/prefix`, `prefix` (namespace default, as in hubble) or `*/prefix`"
    what = {
        "pod": f"{prefixes} (any namespace)",
        "namespace": (
            "namespaces: qualify the filter's pods and services, or alone compile to the pod prefix `namespace/` "
            "(FlowFilter has no namespace field)"
        ),
        "ip": "IP addresses or CIDR ranges",
        "label": "Kubernetes label selectors, e.g. `app=web` or `k8s:app in (a, b)`",
        "fqdn": "fully qualified domain names (`*` wildcards allowed)",
        "service": f"{prefixes} (any namespace)",
        "identity": "security identities: numbers or reserved names such as `world`, `host`",
        "port": "L4 port numbers",
        "workload": "workloads as `Kind/name` (e.g. `Deployment/web`) or `{kind, name}`",
        "cluster": "cluster names ({tables})",
    }[stem]
    if side == "either":
        return (
            f"Either side of the flow: {what}. Splits the filter into a source filter OR a destination filter, like "
            f"`hubble observe --{stem}`."
        )
    return f"The {side} of the flow: {what}."


def _newer_protocols() -> str:
    """ "; vrrp, igmp from Cilium 1.19+" for protocols the oldest supported version lacks (from the tables)."""
    oldest = set(load_tables(SUPPORTED_VERSIONS[0]).filter_protocols)
    newer = [p for p in load_tables(SUPPORTED_VERSIONS[-1]).filter_protocols if p not in oldest]
    return f"; {', '.join(newer)} from {since(lambda tables: newer[0] in tables.filter_protocols)}" if newer else ""


# Word (or sided stem) -> the part of its description that comes from the version tables ("{tables}").
_FROM_TABLES: dict[str, Callable[[], str]] = {
    "cluster": lambda: since(has_filter_field("source_cluster_name")),
    "protocol": _newer_protocols,
    "ip-trace-id": lambda: since(has_filter_field("ip_trace_id")),
    "encrypted": lambda: since(has_filter_field("encrypted")),
}


def _build_words() -> dict[str, FilterWord]:
    words: dict[str, FilterWord] = {}
    for stem, (field_stem, kind) in SIDED_WORDS.items():
        for side in SIDES:
            words[f"{side}-{stem}"] = FilterWord(
                f"{side}-{stem}",
                f"{side}_{field_stem}",
                kind,
                _sided_description(stem, side),
                side,
                _FROM_TABLES.get(stem),
            )
        words[stem] = FilterWord(
            stem, f"*_{field_stem}", kind, _sided_description(stem, "either"), "either", _FROM_TABLES.get(stem)
        )
    plain: list[tuple[str, str, FilterKind, str]] = [
        (
            "verdict",
            "verdict",
            kinds.VERDICT,
            "Verdicts: forwarded, dropped, error, audit, redirected, traced, translated.",
        ),
        (
            "drop-reason",
            "drop_reason_desc",
            kinds.DROP_REASON,
            "Drop reasons by name, e.g. `policy-denied` (133, ordinary policy drop) or `policy-deny` (181, explicit "
            "deny rule).",
        ),
        (
            "event-type",
            "event_type",
            kinds.EVENT_TYPE,
            "Event types by name (drop, trace, policy-verdict, l7, ...), or `{type, sub-type, match-sub-type}`.",
        ),
        ("direction", "traffic_direction", kinds.DIRECTION, "Traffic direction: ingress, egress or unknown."),
        ("source-ip-xlated", "source_ip_xlated", kinds.IP, "The translated (SNAT) source IP addresses or CIDR ranges."),
        (
            "protocol",
            "protocol",
            kinds.PROTOCOL,
            "L4 or L7 protocols, e.g. tcp, udp, icmpv4, icmpv6, sctp, http, dns, kafka{tables}.",
        ),
        ("http-status", "http_status_code", kinds.HTTP_STATUS, "HTTP status codes or prefixes: `404`, `5+`."),
        ("http-method", "http_method", kinds.HTTP_METHOD, "HTTP methods: GET, POST, ..."),
        ("http-path", "http_path", kinds.REGEXP, "HTTP path regular expressions (RE2)."),
        ("http-url", "http_url", kinds.REGEXP, "HTTP URL regular expressions (RE2)."),
        ("http-header", "http_header", kinds.HTTP_HEADER, "HTTP headers as `key:value` or `{key, value}`."),
        (
            "dns-query",
            "dns_query",
            kinds.REGEXP,
            "DNS query regular expressions (RE2), e.g. `.*\\.svc\\.cluster\\.local`.",
        ),
        (
            "tcp-flags",
            "tcp_flags",
            kinds.TCP_FLAG_SETS,
            "TCP flag sets, e.g. `SYN` or `SYN,ACK` (a set matches when all its flags are set).",
        ),
        ("node-name", "node_name", kinds.NODE_NAME, "Node name patterns, e.g. `k8s*` or `cluster/node-1`."),
        ("node-label", "node_labels", kinds.LABEL, "Node label selectors."),
        ("ip-version", "ip_version", kinds.IP_VERSION, "IP version: ipv4 or ipv6."),
        ("reply", "reply", kinds.FLAG, "true for reply packets only, false for requests only."),
        ("interface", "interface", kinds.INTERFACE, "Network interfaces by name, or `{name, index}`."),
        ("uuid", "uuid", kinds.TEXT, "Flow UUIDs."),
        ("trace-id", "trace_id", kinds.TEXT, "Trace IDs."),
        (
            "ip-trace-id",
            "ip_trace_id",
            kinds.UINT64,
            "IP trace IDs (numbers; {tables}).",
        ),
        (
            "encrypted",
            "encrypted",
            kinds.FLAG,
            "true for flows whose IP.encrypted is set, false for the others ({tables}).",
        ),
        (
            "cel",
            "experimental",
            kinds.CEL,
            "CEL expressions over the flow (`_flow.verdict == ...`); slower than other filters.",
        ),
        (
            "raw",
            "",
            kinds.RAW,
            "Upstream FlowFilter fields as Cilium spells them (snake_case), merged into this filter: the escape hatch.",
        ),
    ]
    for word, field, kind, description in plain:
        words[word] = FilterWord(word, field, kind, description, from_tables=_FROM_TABLES.get(word))
    return words


FILTER_WORDS: dict[str, FilterWord] = _build_words()


# FlowFilter field -> the word that names it in explain's sentences and import (source_pod is `source-pod`, not
# `source-namespace`).
FIELD_WORDS: dict[str, FilterWord] = {
    word.field: word
    for word in FILTER_WORDS.values()
    if word.field and not word.field.startswith("*_") and not word.word.endswith("-namespace")
}

# Upstream FlowFilter spellings people paste into profiles, mapped to the profile word.
UPSTREAM_FILTER_ALIASES: dict[str, str] = {
    **{
        f"{side}_{field_stem}": f"{side}-{stem}"
        for stem, (field_stem, _) in SIDED_WORDS.items()
        if stem != "namespace"
        for side in SIDES
    },
    "traffic_direction": "direction",
    "drop_reason_desc": "drop-reason",
    "event_type": "event-type",
    "http_status_code": "http-status",
    "http_method": "http-method",
    "http_path": "http-path",
    "http_url": "http-url",
    "http_header": "http-header",
    "dns_query": "dns-query",
    "tcp_flags": "tcp-flags",
    "node_name": "node-name",
    "node_labels": "node-label",
    "ip_version": "ip-version",
    "source_ip_xlated": "source-ip-xlated",
    "trace_id": "trace-id",
    "ip_trace_id": "ip-trace-id",
    "experimental": "cel",
    "type": "event-type",
}

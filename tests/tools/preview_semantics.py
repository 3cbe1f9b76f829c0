"""docs/preview.md's table of FlowFilter fields: what each matches, in words, and the file of Hubble's filter
package that defines it (cilium/hubble vendor/github.com/cilium/cilium/pkg/hubble/filters/, v1.18.6; v1.19.4
for encrypted.go and ip_tracing.go), as flowlogs/cilium/preview/matchers.py implements it."""

from __future__ import annotations

from collections.abc import Sequence

from flowlogs.cilium.tables import load_tables

# FlowFilter field -> (Hubble source file, what it matches), in the table's order.
FIELDS: dict[str, tuple[str, str]] = {
    "uuid": ("uuid.go", "the flow's `uuid`, exactly"),
    "source_ip": (
        "ip.go",
        "`IP.source` equal to an address, or inside a CIDR (1.16: an IPv4-mapped IPv6 address also matches an IPv4 "
        "CIDR; 1.17+: never)",
    ),
    "source_ip_xlated": ("ip.go", "`IP.source_xlated` (the SNAT address), as `source_ip`"),
    "source_pod": (
        "k8s.go",
        "`namespace/prefix`: the pod name starts with prefix in that namespace; `prefix` alone means namespace "
        "`default`; `/prefix` any namespace; `namespace/` every pod of it",
    ),
    "source_fqdn": (
        "fqdn.go",
        "one of `source_names` matches the pattern: whole name, case-folded, one trailing dot ignored, `*` = "
        "`[-.0-9a-z]*`",
    ),
    "source_label": (
        "labels.go",
        "Kubernetes label selectors over `source.labels` (`k8s:app=web`, `app in (a,b)`, `!k`, `k!=v`, `k>1`); a key "
        "without source matches every source; any selector may match",
    ),
    "source_service": ("k8s.go", "`source_service` as `source_pod` (`namespace/prefix`)"),
    "source_workload": ("workload.go", "one of `source.workloads` has that name and kind (an empty one matches any)"),
    "source_cluster_name": ("cluster_name.go", "`source.cluster_name`, exactly (Cilium 1.17+)"),
    "destination_ip": ("ip.go", "`IP.destination`, as `source_ip`"),
    "destination_pod": ("k8s.go", "the destination, as `source_pod`"),
    "destination_fqdn": ("fqdn.go", "`destination_names`, as `source_fqdn`"),
    "destination_label": ("labels.go", "`destination.labels`, as `source_label`"),
    "destination_service": ("k8s.go", "`destination_service`, as `source_pod`"),
    "destination_workload": ("workload.go", "`destination.workloads`, as `source_workload`"),
    "destination_cluster_name": ("cluster_name.go", "`destination.cluster_name`, exactly (Cilium 1.17+)"),
    "traffic_direction": (
        "traffic_direction.go",
        "`traffic_direction`; an absent one is `TRAFFIC_DIRECTION_UNKNOWN`; never a non-flow event",
    ),
    "verdict": ("verdict.go", "`verdict` (names or numbers); never a non-flow event"),
    "drop_reason_desc": ("drop_reason_desc.go", "`drop_reason_desc` of DROPPED flows only"),
    "interface": ("network_interface.go", "`interface`: index (0 = any) and name (empty = any) must both hold"),
    "event_type": (
        "event_type.go",
        "`event_type.type` (0 = any); `sub_type` only with `match_sub_type: true`; agent and debug events by their own "
        "type; lost events always match",
    ),
    "http_status_code": (
        "http.go",
        "`l7.http.code`: full codes (`404`) or prefixes (`5+`, `40+`); needs a response code; with `event_type` only "
        "if it lists type 129 (l7)",
    ),
    "protocol": (
        "protocol.go",
        "`l4` holds TCP, UDP, SCTP, ICMPv4/ICMPv6 (`icmp` = both), VRRP, IGMP (1.19), or `l7` holds dns, http, kafka; "
        "case-insensitive",
    ),
    "source_port": ("port.go", "the TCP, UDP or SCTP source port"),
    "destination_port": ("port.go", "the TCP, UDP or SCTP destination port"),
    "reply": ("reply.go", "`is_reply`; an absent one counts as false for DROPPED flows, and never matches otherwise"),
    "dns_query": ("fqdn.go", "`l7.dns.query` matches a regular expression (unanchored)"),
    "source_identity": ("identity.go", "`source.identity` (security identity number)"),
    "destination_identity": ("identity.go", "`destination.identity`"),
    "http_method": ("http.go", "`l7.http.method`, case-insensitive"),
    "http_path": (
        "http.go",
        "the path of `l7.http.url` (a request URI: absolute URL or absolute path) matches a regular expression",
    ),
    "http_url": ("http.go", "`l7.http.url` matches a regular expression (unanchored)"),
    "http_header": ("http.go", "one of `l7.http.headers` has that key and value, exactly"),
    "tcp_flags": ("tcp.go", "every flag of one set is set in `l4.TCP.flags`"),
    "node_name": (
        "nodename.go",
        "`cluster/node` patterns (FQDN patterns, empty part = any); a node name without cluster is `default/<name>`",
    ),
    "node_labels": ("labels.go", "`node_labels`, as `source_label`"),
    "ip_version": ("ip.go", "`IP.ipVersion`; never a non-flow event"),
    "trace_id": ("tracing.go", "`trace_context.parent.trace_id`, exactly"),
    "encrypted": ("encrypted.go", "`IP.encrypted` is one of the values (1.19)"),
    "ip_trace_id": ("ip_tracing.go", "`ip_trace_id.trace_id` (a uint64) is one of the values (1.19)"),
    "experimental": (
        "cel_expression.go",
        "CEL expressions over the flow.Flow protobuf type: not previewable (no maintained Python CEL library offers "
        "that type environment); reported, and left out of the decision",
    ),
}


def semantics_table(versions: Sequence[str]) -> str:
    """The Markdown table of docs/preview.md: field, versions that have it, what it matches, upstream file."""
    fields_by_version = {v: set(load_tables(v).filter_fields) for v in versions}
    rows = ["| FlowFilter field | Cilium | matches | Hubble source |", "|---|---|---|---|"]
    for name, (source, words) in FIELDS.items():
        have = [v for v in versions if name in fields_by_version[v]]
        since = f"{have[0]}+" if have and have[0] != versions[0] else "all"
        rows.append(f"| `{name}` | {since} | {words} | `{source}` |")
    return "\n".join(rows) + "\n"

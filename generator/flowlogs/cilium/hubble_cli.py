"""The `hubble observe` command line that builds exactly a flow log's FlowFilters.

How hubble reads its filter flags (cilium/cilium hubble/cmd/observe/flows_filter.go and flows.go,
as vendored in cilium/hubble v1.16.6, v1.17.5, v1.18.6 and v1.19.4): each flag appends its value
to one FlowFilter field; the flags build one allowlist filter, and a side-less flag (`--pod`)
splits it into two, source OR destination (`left`/`right`). `--not` sends the one flag after it
to the denylist, built the same way. Some flags cannot be combined (`newFlowFilter`'s conflict
groups; `checkInconsistentNamespaces`). `--allowlist '{json}'` and `--denylist '{json}'` add
FlowFilters as they are (protojson), OR-ed with the others.

So a list of filters (a flow log's include or exclude list) is given with flags when it is one
filter, or a source/destination pair, whose every value a flag can say; otherwise every filter of
the list is given as JSON, so that the line always builds exactly the compiled filters.
`tests/test_explain_oracle.py` runs each line with `--print-raw-filters` by the hubble of the
flow log's Cilium version.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .kinds import whole_namespaces
from .tables import CiliumTables

# FlowFilter field -> the flag that appends a value to it in every filter (flows_filter.go `apply`).
# A flag exists in the versions whose FlowFilter has its field: cluster flags from 1.17 (1.16's
# `--cluster` is a node-name prefix), --ip-trace-id, --encrypted and --unencrypted from 1.19.
FLAGS: dict[str, str] = {
    "uuid": "uuid",
    "source_ip": "from-ip",
    "source_ip_xlated": "snat-ip",
    "source_pod": "from-pod",
    "source_fqdn": "from-fqdn",
    "source_label": "from-label",
    "source_service": "from-service",
    "source_workload": "from-workload",
    "source_cluster_name": "from-cluster",
    "destination_ip": "to-ip",
    "destination_pod": "to-pod",
    "destination_fqdn": "to-fqdn",
    "destination_label": "to-label",
    "destination_service": "to-service",
    "destination_workload": "to-workload",
    "destination_cluster_name": "to-cluster",
    "traffic_direction": "traffic-direction",
    "verdict": "verdict",
    "drop_reason_desc": "drop-reason-desc",
    "interface": "interface",
    "event_type": "type",
    "http_status_code": "http-status",
    "protocol": "protocol",
    "source_port": "from-port",
    "destination_port": "to-port",
    "source_identity": "from-identity",
    "destination_identity": "to-identity",
    "http_method": "http-method",
    "http_path": "http-path",
    "http_url": "http-url",
    "http_header": "http-header",
    "tcp_flags": "tcp-flags",
    "node_name": "node-name",
    "node_labels": "node-label",
    "ip_version": "ip-version",
    "trace_id": "trace-id",
    "ip_trace_id": "ip-trace-id",
    "encrypted": "encrypted",  # true; false is --unencrypted (both take no value)
    "experimental": "cel-expression",
}
# The side-less flags: source_<stem> in the left filter and destination_<stem> in the right one.
EITHER_FLAGS = {stem: stem for stem in ("ip", "pod", "fqdn", "label", "service", "port", "identity", "workload")}
EITHER_FLAGS["cluster_name"] = "cluster"
# A pod filter of whole namespaces (`shop/`) is said with the namespace flags: flowFilters() gives
# `--from-namespace shop` the source_pod `shop/` when the filter has no source pod or service
# (namespaceModifier.applySrc), and `--namespace shop` splits like `--pod shop/`.
NAMESPACE_FLAGS = {"source_pod": "from-namespace", "destination_pod": "to-namespace", "pod": "namespace"}
# newFlowFilter's conflict groups, for the flags above (1.16 also has {node-name, cluster}, with
# its own --cluster, which is never printed; 1.19 adds {encrypted, unencrypted}).
CONFLICTS: tuple[frozenset[str], ...] = tuple(
    frozenset(group)
    for group in (
        {"from-fqdn", "from-ip", "ip", "fqdn", "from-namespace", "namespace"},
        {"from-fqdn", "from-ip", "ip", "fqdn", "from-pod", "pod"},
        {"to-fqdn", "to-ip", "ip", "fqdn", "to-namespace", "namespace"},
        {"to-fqdn", "to-ip", "ip", "fqdn", "to-pod", "pod"},
        {"to-pod", "namespace"},
        {"from-pod", "namespace"},
        {"to-service", "namespace"},
        {"from-service", "namespace"},
        {"label", "from-label"},
        {"label", "to-label"},
        {"service", "from-service"},
        {"service", "to-service"},
        {"port", "to-port"},
        {"port", "from-port"},
        {"identity", "to-identity"},
        {"identity", "from-identity"},
        {"workload", "to-workload"},
        {"workload", "from-workload"},
        {"encrypted", "unencrypted"},
    )
)


@dataclass
class Command:
    """A `hubble observe` line and why some filters had to be given as JSON."""

    words: list[str] = field(default_factory=lambda: ["hubble", "observe"])
    as_json: list[str] = field(default_factory=list)  # reasons, e.g. "no flag for dns_query"

    @property
    def line(self) -> str:
        return shlex.join(self.words)


def hubble_observe(includes: list[dict[str, Any]], excludes: list[dict[str, Any]], tables: CiliumTables) -> Command:
    """The line whose allowlist is `includes` and whose denylist is `excludes`."""
    command = Command()
    for filters, negate, raw_flag in ((includes, False, "--allowlist"), (excludes, True, "--denylist")):
        if not filters:
            continue
        flags, reason = _flags_for(filters, tables)
        if flags is None:
            command.as_json.append(reason)
            for flow_filter in filters:
                command.words += [raw_flag, json.dumps(flow_filter, separators=(",", ":"), ensure_ascii=False)]
            continue
        for flag in flags:
            command.words += ["--not", *flag] if negate else flag
    return command


def _flags_for(filters: list[dict[str, Any]], tables: CiliumTables) -> tuple[list[list[str]] | None, str]:
    """The flags (each `[--flag, value]` or `[--flag]`) that build exactly `filters`, or None and why not."""
    if len(filters) == 1:
        flags, reason = _filter_flags(filters[0], {}, tables, namespaces=True)
        return (flags, reason) if flags is not None else _filter_flags(filters[0], {}, tables, namespaces=False)
    if len(filters) == 2:
        for left, right in ((filters[0], filters[1]), (filters[1], filters[0])):
            stems = _mirrored(left, right)
            if stems:
                flags, reason = _filter_flags(left, stems, tables, namespaces=True)
                if flags is None:
                    flags, reason = _filter_flags(left, stems, tables, namespaces=False)
                if flags is not None:
                    problem = _namespace_problem(right)
                    return (None, problem) if problem else (flags, "")
                return None, reason
    return None, f"flags build one filter or a source/destination pair, not {len(filters)}"


def _mirrored(left: dict[str, Any], right: dict[str, Any]) -> dict[str, str]:
    """The stems a side-less flag gives (`source_<stem>` in left = `destination_<stem>` in right, the
    rest equal), as field -> flag; {} when the two filters are not such a pair."""
    stems: dict[str, str] = {}
    for stem, flag in EITHER_FLAGS.items():
        source, destination = f"source_{stem}", f"destination_{stem}"
        if (
            source in left
            and left.get(source) == right.get(destination)
            and destination not in left
            and source not in right
        ):
            stems[source] = flag
    if not stems:
        return {}
    rest_left = {k: v for k, v in left.items() if k not in stems}
    rest_right = {
        k: v for k, v in right.items() if k not in {f"destination_{s.removeprefix('source_')}" for s in stems}
    }
    return stems if rest_left == rest_right else {}


def _filter_flags(
    flow_filter: dict[str, Any], either: dict[str, str], tables: CiliumTables, namespaces: bool
) -> tuple[list[list[str]] | None, str]:
    flags: list[list[str]] = []
    order = list(tables.filter_fields)  # flow.proto order, as explain's sentence reads
    for name in sorted(flow_filter, key=lambda field: order.index(field) if field in order else len(order)):
        value = flow_filter[name]
        flag = either.get(name) or FLAGS.get(name)
        if flag is None or name not in tables.filter_fields:
            return None, f"no flag for {name}"
        if (
            namespaces
            and name in ("source_pod", "destination_pod")
            and whole_namespaces(value)
            and not ({"source_service", "destination_service"} & set(flow_filter))
        ):
            namespace_flag = NAMESPACE_FLAGS[flag if flag == "pod" else name]
            flags += [[f"--{namespace_flag}", str(item)[:-1]] for item in value]
            continue
        if name == "experimental":
            items = list(value.get("cel_expression", [])) if isinstance(value, dict) else [value]
        else:
            items = value if isinstance(value, list) else [value]
        for item in items:
            if name == "encrypted":
                flags.append(["--encrypted" if item is True else "--unencrypted"])
                continue
            argument = _ARGUMENTS.get(name, _text)(item, tables)
            if argument is None:
                return None, f"no flag for {name} {json.dumps(item, separators=(',', ':'))}"
            # pflag reads `--flag -x` as the value -x, but `--flag=-x` says it plainly
            flags.append([f"--{flag}={argument}"] if argument.startswith("-") else [f"--{flag}", argument])
    used = {words[0].removeprefix("--").split("=")[0] for words in flags}
    for group in CONFLICTS:
        clash = sorted(used & group)
        if len(clash) > 1:
            return None, f"--{clash[0]} and --{clash[1]} cannot be combined"
    problem = _namespace_problem(flow_filter)
    return (None, problem) if problem else (flags, "")


def _namespace_problem(flow_filter: dict[str, Any]) -> str:
    """flows_filter.go checkInconsistentNamespaces: a pod filter with a namespace and a service filter
    on the same side must name the same namespace."""
    for side in ("source", "destination"):
        for pod in flow_filter.get(f"{side}_pod", []):
            namespace = str(pod).split("/")[0] if "/" in str(pod) else ""
            if namespace and any(
                str(service).split("/")[0] != namespace or "/" not in str(service)
                for service in flow_filter.get(f"{side}_service", [])
            ):
                return (
                    f"hubble refuses a {side} pod in namespace {namespace} with a {side} service in another namespace"
                )
    return ""


def _text(item: Any, tables: CiliumTables) -> str | None:
    return item if isinstance(item, str) else None


def _drop_reason(item: Any, tables: CiliumTables) -> str | None:
    return item if isinstance(item, str) and item in tables.drop_reasons_by_enum else None


def _mapped(words: Mapping[str, str]) -> Callable[[Any, CiliumTables], str | None]:
    """An enum value by the flag's word for it; a value without a word has no flag value."""
    return lambda item, tables: words.get(item) if isinstance(item, str) else None


def _event_type(item: Any, tables: CiliumTables) -> str | None:
    """`TYPE[:SUB]`: a type name of MessageTypeNames (or a number); a sub-type sets match_sub_type,
    by name for trace observation points and agent notifications after a type name, else a number."""
    if not isinstance(item, dict):
        return None
    code, sub = item.get("type", 0), item.get("sub_type", 0)
    if not isinstance(code, int) or not isinstance(sub, int) or code < 0:
        return None
    type_word = {c: n for n, c in tables.event_types.items()}.get(code, str(code))
    if not item.get("match_sub_type"):
        return type_word  # without match_sub_type the agent ignores the sub-type (filters/event_type.go)
    if sub < 0:
        return None
    names = {"trace": tables.trace_observation_points, "agent": tables.agent_notifications}.get(type_word, {})
    sub_word = {c: n for n, c in names.items()}.get(sub, str(sub))
    return f"{type_word}:{sub_word}"


def _identity(item: Any, tables: CiliumTables) -> str | None:
    # parseIdentity: a reserved identity's name (pkg/identity GetReservedID) or a number.
    if isinstance(item, bool) or not isinstance(item, int):
        return None
    return {c: n for n, c in tables.reserved_identities.items()}.get(item, str(item))


def _workload(item: Any, tables: CiliumTables) -> str | None:
    # parseWorkload splits at the first '/': `Kind/name`, `Kind/` (any name) or `name` (any kind).
    if not isinstance(item, dict):
        return None
    kind, name = str(item.get("kind", "")), str(item.get("name", ""))
    if "/" in kind or (not kind and "/" in name):
        return None
    return f"{kind}/{name}" if kind else name


def _interface(item: Any, tables: CiliumTables) -> str | None:
    # --interface sets only the name: an index needs JSON.
    if not isinstance(item, dict) or item.get("index"):
        return None
    return str(item.get("name", ""))


def _http_header(item: Any, tables: CiliumTables) -> str | None:
    # `key:value`, cut at the first ':'.
    if not isinstance(item, dict) or ":" in str(item.get("key", "")):
        return None
    return f"{item.get('key', '')}:{item.get('value', '')}"


def _tcp_flags(item: Any, tables: CiliumTables) -> str | None:
    names = [flag for flag, on in item.items() if on] if isinstance(item, dict) else []
    return ",".join(names) if names else None


def _ip_trace_id(item: Any, tables: CiliumTables) -> str | None:
    # --ip-trace-id refuses 0 "must be greater than 0".
    return str(item) if isinstance(item, int) and not isinstance(item, bool) and item > 0 else None


_ARGUMENTS: dict[str, Callable[[Any, CiliumTables], str | None]] = {
    "verdict": lambda item, tables: item if isinstance(item, str) and item in tables.verdicts.values() else None,
    "drop_reason_desc": _drop_reason,
    # --traffic-direction takes only ingress and egress: TRAFFIC_DIRECTION_UNKNOWN has no flag value.
    "traffic_direction": _mapped({"INGRESS": "ingress", "EGRESS": "egress"}),
    "ip_version": _mapped({"IPv4": "v4", "IPv6": "v6"}),
    "event_type": _event_type,
    "source_identity": _identity,
    "destination_identity": _identity,
    "source_workload": _workload,
    "destination_workload": _workload,
    "interface": _interface,
    "http_header": _http_header,
    "tcp_flags": _tcp_flags,
    "ip_trace_id": _ip_trace_id,
}

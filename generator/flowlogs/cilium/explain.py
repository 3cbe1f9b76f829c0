"""`flowlogs explain` for the `cilium:` section: each flow log in one sentence, the `hubble observe`
command that shows the same flows live, and the exact compiled entry.

The command line is built from the compiled FlowFilter, field by field, with the flags of the
hubble CLI (cilium/cilium hubble/cmd/observe/flows.go and flows_filter.go, as vendored in
cilium/hubble v1.18.6): every flag there appends its value to one FlowFilter field, so each
include filter becomes one command whose flags give back exactly that filter.
"""

from __future__ import annotations

import shlex
from typing import Any

from ..profile import Node
from ..yamlio import dump_yaml
from .compile import CiliumCompiled
from .defaults import DEFAULT_CONFIGMAP_NAME, DEFAULT_FILE_PATH, DEFAULT_NAMESPACE
from .filters import FILTER_WORDS

# FlowFilter field -> `hubble observe` flag whose value is appended to that field as given.
HUBBLE_FLAGS: dict[str, str] = {
    "uuid": "--uuid",
    "source_fqdn": "--from-fqdn",
    "destination_fqdn": "--to-fqdn",
    "source_pod": "--from-pod",
    "destination_pod": "--to-pod",
    "source_ip": "--from-ip",
    "source_ip_xlated": "--snat-ip",
    "destination_ip": "--to-ip",
    "source_label": "--from-label",
    "destination_label": "--to-label",
    "source_service": "--from-service",
    "destination_service": "--to-service",
    "source_port": "--from-port",
    "destination_port": "--to-port",
    "source_identity": "--from-identity",
    "destination_identity": "--to-identity",
    "source_workload": "--from-workload",
    "destination_workload": "--to-workload",
    "source_cluster_name": "--from-cluster",
    "destination_cluster_name": "--to-cluster",
    "trace_id": "--trace-id",
    "verdict": "--verdict",  # flowpb.Verdict_value: the enum name
    "drop_reason_desc": "--drop-reason-desc",  # flowpb.DropReason_value: the enum name
    "http_status_code": "--http-status",
    "http_method": "--http-method",
    "http_path": "--http-path",
    "http_url": "--http-url",
    "http_header": "--http-header",  # key:value
    "event_type": "--type",  # type[:sub-type], numbers accepted
    "protocol": "--protocol",
    "node_name": "--node-name",
    "node_labels": "--node-label",
    "tcp_flags": "--tcp-flags",  # comma-separated flag names
    "traffic_direction": "--traffic-direction",  # ingress | egress
    "ip_version": "--ip-version",  # v4 | v6
    "experimental": "--cel-expression",
    "interface": "--interface",  # the interface name
}


def _flag_values(field: str, value: Any) -> list[str]:
    """The flag arguments that give back one FlowFilter field value."""
    if field == "experimental":
        return [str(v) for v in value.get("cel_expression", [])]
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if field == "event_type":
            # hubble sets match_sub_type whenever a sub-type is given; without it the sub-type is ignored anyway.
            out.append(f"{item['type']}:{item['sub_type']}" if item.get("match_sub_type") else str(item["type"]))
        elif field == "traffic_direction":
            out.append(str(item).lower())
        elif field == "ip_version":
            out.append({"IPv4": "v4", "IPv6": "v6"}.get(str(item), str(item)))
        elif field == "http_header":
            out.append(f"{item['key']}:{item.get('value', '')}")
        elif field == "tcp_flags":
            out.append(",".join(flag for flag, on in item.items() if on))
        elif field in ("source_workload", "destination_workload"):
            out.append("/".join(str(item[k]) for k in ("kind", "name") if k in item))
        elif field == "interface":
            out.append(str(item.get("name", item.get("index", ""))))
        else:
            out.append(str(item))
    return out


def hubble_observe(include: dict[str, Any] | None, exclude: dict[str, Any] | None) -> tuple[str, list[str]]:
    """`hubble observe ...` for one include filter and at most one exclude filter (`--not` flags),
    and the fields the CLI has no flag for."""
    words = ["hubble", "observe"]
    missing: list[str] = []
    for negate, flow_filter in ((False, include or {}), (True, exclude or {})):
        for field, value in flow_filter.items():
            flag = HUBBLE_FLAGS.get(field)
            if flag is None:
                missing.append(field)
                continue
            for argument in _flag_values(field, value):
                words += ["--not", flag, argument] if negate else [flag, argument]
    return shlex.join(words), missing


def _filter_phrase(flow_filter: dict[str, Any]) -> str:
    parts = []
    for key, value in flow_filter.items():
        word = FILTER_WORDS[key]
        parts.append(f"{key.replace('-', ' ')} is {word.kind.explain(value)}")
    return " and ".join(parts)


def _filters_phrase(node: Node) -> list[str]:
    return [_filter_phrase(f.value) for f in node.elements() if isinstance(f.value, dict)]


def explain_flow_log(node: Node, entry: dict[str, Any]) -> str:
    """One flow log: a sentence, the hubble commands, the compiled entry."""
    include, exclude = _filters_phrase(node.get("include")), _filters_phrase(node.get("exclude"))
    what = "every flow" if not include else "flows where " + " or where ".join(f"({p})" if len(include) > 1 else p for p in include)
    if exclude:
        what += ", except flows where " + " or where ".join(f"({p})" if len(exclude) > 1 else p for p in exclude)
    target = entry["filePath"]
    where = "the agent's standard output (its container log)" if target in ("/dev/stdout", "stdout") else target
    if target == DEFAULT_FILE_PATH and "file" not in node:
        where += " (the default)"
    fields = "with the fields " + ", ".join(entry["fieldMask"]) if entry.get("fieldMask") else "with all fields"
    if entry.get("fieldAggregate") and "aggregationInterval" in entry:
        # Cilium 1.19 aggregator.go: flows equal in these fields are counted together, one record per group and interval
        fields += f", counted together when {', '.join(entry['fieldAggregate'])} are equal (one record per group every {entry['aggregationInterval']})"
    lines = [f"{entry['name']}: exports {what}, to {where}, {fields}" + (f", until {entry['end']}" if "end" in entry else "") + "."]
    includes = entry["includeFilters"] or [None]
    excludes = entry["excludeFilters"]
    lines.append("  Try it live first:" if len(includes) == 1 else f"  Try it live first (one command per include filter, {len(includes)} in all):")
    for flow_filter in includes:
        command, missing = hubble_observe(flow_filter, excludes[0] if len(excludes) == 1 else None)
        lines.append(f"    {command}")
        if missing:
            lines.append(f"    (hubble observe has no flag for {', '.join(sorted(set(missing)))}: it shows more flows than the exporter writes)")
    if len(excludes) > 1:
        lines.append(f"    (the {len(excludes)} exclude filters cannot be given at once: hubble observe takes one --not filter)")
    lines.append("  Compiled (flowlogs.yaml):")
    lines.extend(f"    {line}" for line in dump_yaml([entry]).splitlines())
    return "\n".join(lines)


def explain_cilium(section: Node, part: CiliumCompiled) -> str:
    entries = part.values["flowLogs"]
    config_map = part.values.get("configMap", {"name": DEFAULT_CONFIGMAP_NAME, "namespace": DEFAULT_NAMESPACE})
    head = (
        f"Cilium {part.version} Hubble exporter (dynamic mode): {len(entries)} flow log(s) in ConfigMap "
        f"{config_map['namespace']}/{config_map['name']} (flowlogs.yaml), re-read by every agent without a restart."
    )
    blocks = [explain_flow_log(node, entry) for node, entry in zip(section.get("flow-logs").elements(), entries, strict=True)]
    return "\n\n".join([head, *blocks])

"""Compile the `cilium:` section of a profile to Hubble's dynamic exporter configuration.

The output is exactly what the agent reads from `flowlogs.yaml` (`flowLogs:` entries with
`includeFilters`/`excludeFilters` of FlowFilter fields in snake_case), compiled for one
Cilium version, plus the values overlay for Cilium's own chart. The agent rejects the whole
file on one unknown filter key and keeps the old config silently, so everything is checked
here, against the tables of the targeted version.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import Diagnostics, did_you_mean
from ..profile import Node, minor_version
from .filters import FILTER_WORDS, SIDED_WORDS, SIDES, FilterWord
from .tables import (
    DEFAULT_CONFIGMAP_NAME,
    DEFAULT_FILE_PATH,
    DEFAULT_VERSION,
    CiliumTables,
    DropReason,
    load_tables,
)

DEFAULT_NAMESPACE = "kube-system"
PROTOCOLS = ("tcp", "udp", "sctp", "icmp", "icmpv4", "icmpv6", "http", "dns", "kafka")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
TCP_FLAGS = ("FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS")
DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
GLOB_CHARS = set("*?[]")
ENUM_KINDS = {"Verdict": "verdicts", "TrafficDirection": "traffic_directions", "IPVersion": "ip_versions"}
ROTATION_KEYS = {"max-size-mb": "fileMaxSizeMb", "max-backups": "fileMaxBackups", "compress": "fileCompress"}


@dataclass
class CiliumCompiled:
    version: str
    values: dict[str, Any]  # the `cilium:` values of our chart
    overlay: dict[str, Any]  # values for Cilium's own chart
    flow_log_names: list[str] = field(default_factory=list)


def compile_cilium(section: Node, diagnostics: Diagnostics) -> CiliumCompiled:
    version = minor_version(section.get("version").value, DEFAULT_VERSION)
    tables = load_tables(version)
    config_map = section.get("config-map")
    name = config_map.get("name").value or DEFAULT_CONFIGMAP_NAME
    namespace = config_map.get("namespace").value or DEFAULT_NAMESPACE
    section_rotation = section.get("rotation")
    if section_rotation.value and not tables.per_flowlog_rotation:
        if "compress" in section_rotation:
            diagnostics.error(
                section_rotation.get("compress").key_location,
                f"Cilium {version} cannot compress rotated flow-log files",
                "file compression arrived with Cilium 1.18 (fileCompress); remove 'compress' or target version 1.18",
            )

    flow_logs: list[dict[str, Any]] = []
    names: dict[str, Node] = {}
    paths: dict[str, Node] = {}
    for flow_log in section.get("flow-logs").elements():
        entry = _compile_flow_log(flow_log, section_rotation, tables, diagnostics)
        log_name = entry["name"]
        if log_name in names:
            diagnostics.error(
                flow_log.get("name").location,
                f"flow log name '{log_name}' is used twice",
                f"first used at {names[log_name].location}; the agent rejects the whole file on a duplicated flowlog name",
            )
        names.setdefault(log_name, flow_log.get("name"))
        file_node = flow_log.get("file") if "file" in flow_log else flow_log.get("name")
        if entry["filePath"] in paths:
            diagnostics.error(
                file_node.location,
                f"flow logs '{_name_at(paths[entry['filePath']])}' and '{log_name}' both write to {entry['filePath']}",
                "give each flow log its own 'file': the agent rejects the whole file on a duplicated flowlog path",
            )
        paths.setdefault(entry["filePath"], flow_log)
        flow_logs.append(entry)

    values: dict[str, Any] = {"enabled": section.get("enabled", True).value is not False}
    if (name, namespace) != (DEFAULT_CONFIGMAP_NAME, DEFAULT_NAMESPACE):
        values["configMap"] = {"name": name, "namespace": namespace}
    values["flowLogs"] = flow_logs
    return CiliumCompiled(
        version=version,
        values=values,
        overlay=_overlay(name, section_rotation, tables),
        flow_log_names=[entry["name"] for entry in flow_logs],
    )


def _name_at(flow_log: Node) -> str:
    return str(flow_log.get("name").value)


def _overlay(config_map_name: str, rotation: Node, tables: CiliumTables) -> dict[str, Any]:
    """Values for Cilium's chart: hand the ConfigMap to flowlogs' chart."""
    export: dict[str, Any] = {}
    if rotation.value and not tables.per_flowlog_rotation:
        # 1.16/1.17: dynamic flow logs share the agent-wide rotation settings.
        for word, key in (("max-size-mb", "fileMaxSizeMb"), ("max-backups", "fileMaxBackups")):
            if word in rotation:
                export[key] = rotation.get(word).value
    export["dynamic"] = {
        "enabled": True,
        "config": {"configMapName": config_map_name, "createConfigMap": False},
    }
    missing = sorted(k for k in _dotted(export) if k not in tables.helm_export_keys)
    if missing:  # a table bug, not a user mistake: never emit keys Cilium's chart lacks
        raise AssertionError(f"Cilium {tables.version} chart has no hubble.export keys {missing}")
    return {"hubble": {"export": export}}


def _dotted(tree: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and key != "content":
            keys.extend(_dotted(value, dotted + "."))
        else:
            keys.append(dotted)
    return keys


def _compile_flow_log(node: Node, section_rotation: Node, tables: CiliumTables, diagnostics: Diagnostics) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": node.get("name").value}
    file_path = node.get("file").value or DEFAULT_FILE_PATH
    if file_path.endswith("/"):
        diagnostics.error(node.get("file").location, f"file '{file_path}' is a directory; name the file, e.g. {file_path}flows.log")
    entry["filePath"] = file_path
    entry["fieldMask"] = _compile_field_mask(node.get("fields"), tables, diagnostics)
    entry["includeFilters"] = _compile_filters(node.get("include"), tables, diagnostics)
    entry["excludeFilters"] = _compile_filters(node.get("exclude"), tables, diagnostics)
    rotation = node.get("rotation")
    if rotation.value and not tables.per_flowlog_rotation:
        diagnostics.error(
            rotation.key_location,
            f"Cilium {tables.version} has no per-flow-log rotation",
            "dynamic flow logs of 1.16/1.17 share the agent-wide setting: move 'rotation' to the cilium section (hubble.export.fileMaxSizeMb/fileMaxBackups), or target version 1.18",
        )
    elif tables.per_flowlog_rotation:
        for source in (section_rotation, rotation):
            for word, key in ROTATION_KEYS.items():
                if word in source:
                    entry[key] = source.get(word).value
    end = node.get("end")
    if end.value is not None:
        entry["end"] = _compile_end(end, diagnostics)
    return entry


def _compile_end(node: Node, diagnostics: Diagnostics) -> str:
    text = str(node.value)
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or "T" not in text.upper():
        diagnostics.error(node.location, f"end '{text}' is not an RFC 3339 time", "write it like 2026-12-31T23:59:59Z or 2026-12-31T23:59:59+01:00")
    elif moment.tzinfo is None:
        diagnostics.error(node.location, f"end '{text}' has no time zone", f"add one, e.g. {text}Z (UTC)")
    return text


def _compile_field_mask(node: Node, tables: CiliumTables, diagnostics: Diagnostics) -> list[str]:
    paths: list[str] = []
    for item in node.elements():
        path = str(item.value)
        if path not in tables.fieldmask_paths:
            snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", path).lower()
            suggestion = f"; did you mean '{snake}'?" if snake in tables.fieldmask_paths else did_you_mean(path, tables.fieldmask_paths)
            diagnostics.error(
                item.location,
                f"'{path}' is not a field of Hubble's Flow message in Cilium {tables.version}{suggestion}",
                "fieldMask paths are the Flow proto field names, case-sensitive: time, verdict, IP, l4.TCP.source_port, source.namespace",
            )
        elif path in paths:
            diagnostics.warning(item.location, f"field '{path}' is listed twice")
        else:
            paths.append(path)
    return paths


def _compile_filters(node: Node, tables: CiliumTables, diagnostics: Diagnostics) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    for filter_node in node.elements():
        for compiled in _compile_filter(filter_node, tables, diagnostics):
            if compiled not in filters:
                filters.append(compiled)
    return filters


def _compile_filter(node: Node, tables: CiliumTables, diagnostics: Diagnostics) -> list[dict[str, Any]]:
    """One profile filter -> one FlowFilter, or two when a side-less word is used."""
    common: dict[str, Any] = {}
    sided: dict[str, dict[str, list[Any]]] = {side: {} for side in (*SIDES, "either")}
    sided_nodes: dict[tuple[str, str], Node] = {}
    for key, value_node in node.items():
        word = FILTER_WORDS[key]
        if word.kind == "raw":
            _merge(common, _compile_raw(value_node, tables, diagnostics), value_node, diagnostics)
            continue
        if word.side:
            stem = key.split("-", 1)[1] if word.side != "either" else key
            sided[word.side][stem] = [_compile_value(word, v, tables, diagnostics) for v in value_node.elements()]
            sided_nodes[(word.side, stem)] = value_node
            continue
        _merge(common, {word.field: _compile_plain(word, value_node, tables, diagnostics)}, value_node, diagnostics)

    for stem in sided["either"]:
        for side in SIDES:
            if stem in sided[side]:
                diagnostics.error(
                    sided_nodes[("either", stem)].key_location,
                    f"'{stem}' (either side) and '{side}-{stem}' in one filter are ambiguous",
                    f"use two filters, or only '{side}-{stem}'",
                )
    if not sided["either"]:
        result = dict(common)
        for side in SIDES:
            _merge(result, _side_fields(side, sided[side], sided_nodes, tables, diagnostics), node, diagnostics)
        return [_ordered(result)]
    results = []
    for side in SIDES:
        result = dict(common)
        merged = {**sided[side], **sided["either"]}
        nodes = {**sided_nodes, **{(side, stem): n for (s, stem), n in sided_nodes.items() if s == "either"}}
        other = SIDES[1] if side == SIDES[0] else SIDES[0]
        _merge(result, _side_fields(side, merged, nodes, tables, diagnostics), node, diagnostics)
        _merge(result, _side_fields(other, sided[other], sided_nodes, tables, diagnostics), node, diagnostics)
        results.append(_ordered(result))
    return results


def _ordered(flow_filter: dict[str, Any]) -> dict[str, Any]:
    return {key: flow_filter[key] for key in sorted(flow_filter)}


def _merge(target: dict[str, Any], fields: dict[str, Any], node: Node, diagnostics: Diagnostics) -> None:
    for key, value in fields.items():
        if key in target and target[key] != value:
            diagnostics.error(node.key_location, f"FlowFilter field '{key}' is set twice in one filter", "a filter is an AND of its fields: merge the values into one list, or use two filters")
            continue
        target[key] = value


def _side_fields(
    side: str,
    words: dict[str, list[Any]],
    nodes: dict[tuple[str, str], Node],
    tables: CiliumTables,
    diagnostics: Diagnostics,
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    namespaces = words.get("namespace", [])
    pods = words.get("pod", [])
    if namespaces or pods:
        fields[f"{side}_pod"] = _pod_prefixes(namespaces, pods, nodes.get((side, "pod")), diagnostics)
    for stem, values in words.items():
        if stem in ("namespace", "pod"):
            continue
        field_name = f"{side}_{SIDED_WORDS[stem][0]}"
        if field_name not in tables.filter_fields:
            node = nodes[(side, stem)]
            diagnostics.error(node.key_location, f"'{stem}' filters ({field_name}) need a newer Cilium than {tables.version}", "cluster names arrived in FlowFilter with Cilium 1.17")
            continue
        fields[field_name] = values
    return fields


def _pod_prefixes(namespaces: list[str], pods: list[str], pod_node: Node | None, diagnostics: Diagnostics) -> list[str]:
    if not pods:
        return [f"{namespace}/" for namespace in namespaces]
    if not namespaces:
        # "/prefix" is Hubble's spelling for "this pod name prefix in any namespace".
        return [pod if "/" in pod else f"/{pod}" for pod in pods]
    prefixes = []
    for namespace in namespaces:
        for pod in pods:
            if "/" in pod and pod_node is not None:
                diagnostics.error(pod_node.location, f"pod '{pod}' already names a namespace, and the filter has 'namespace' too", "write the pod without 'namespace/' or drop the 'namespace' key")
            prefixes.append(f"{namespace}/{pod.split('/')[-1]}")
    return prefixes


def _no_glob(value: str, node: Node, what: str, diagnostics: Diagnostics) -> None:
    if GLOB_CHARS & set(value):
        fixed = value.split("*")[0].split("?")[0].split("[")[0]
        diagnostics.error(
            node.location,
            f"{what} '{value}' contains a glob character; Hubble matches {what}s by prefix, not by glob",
            f"write '{fixed}' to match every {what} that starts with it",
        )


def _compile_value(word: FilterWord, node: Node, tables: CiliumTables, diagnostics: Diagnostics) -> Any:
    value = node.value
    kind = word.kind
    if kind == "pod":
        text = str(value)
        _no_glob(text, node, "service" if "service" in word.word else "pod", diagnostics)
        if text.count("/") > 1 or text == "/":
            diagnostics.error(node.location, f"'{text}' is not [namespace/]name-prefix")
        return text
    if kind == "namespace":
        text = str(value)
        _no_glob(text, node, "namespace", diagnostics)
        if not GLOB_CHARS & set(text) and not DNS_LABEL_RE.match(text.rstrip("/")):
            diagnostics.error(node.location, f"'{text}' is not a namespace name")
        return text.rstrip("/")
    if kind == "ip":
        text = str(value)
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            diagnostics.error(node.location, f"'{text}' is not an IP address or CIDR range", "e.g. 10.0.0.1, 10.0.0.0/8 or fd00::/64")
        return text
    if kind == "port":
        try:
            port = int(str(value))
        except ValueError:
            port = -1
        if not 0 <= port <= 65535:
            diagnostics.error(node.location, f"'{value}' is not a port number (0-65535)")
        return str(value)
    if kind == "identity":
        if isinstance(value, int):
            if value < 0:
                diagnostics.error(node.location, f"identity {value} is negative")
            return value
        text = str(value).removeprefix("reserved:")
        if text.isdigit():
            return int(text)
        if text not in tables.reserved_identities:
            diagnostics.error(node.location, f"unknown reserved identity '{value}'{did_you_mean(text, tables.reserved_identities)}", "use a number, or one of: " + ", ".join(tables.reserved_identities))
            return 0
        return tables.reserved_identities[text]
    if kind == "workload":
        if isinstance(value, dict):
            return {k: value[k] for k in ("kind", "name") if k in value}
        text = str(value)
        if "/" in text:
            workload_kind, name = text.split("/", 1)
            return {"kind": workload_kind, "name": name}
        return {"name": text}
    if kind == "label":
        text = str(value)
        if text.count("(") != text.count(")"):
            diagnostics.error(node.location, f"label selector '{text}' has unbalanced parentheses")
        return text
    return str(value)


def _compile_plain(word: FilterWord, node: Node, tables: CiliumTables, diagnostics: Diagnostics) -> Any:
    kind = word.kind
    items = list(node.elements())
    if word.field not in tables.filter_fields:
        diagnostics.error(node.key_location, f"'{word.word}' ({word.field}) is not a FlowFilter field in Cilium {tables.version}")
    if kind == "verdict":
        return [tables.verdicts[str(i.value)] for i in items]
    if kind == "direction":
        return [tables.traffic_directions[str(i.value)] for i in items]
    if kind == "ip-version":
        return [tables.ip_versions[str(i.value)] for i in items]
    if kind == "bool":
        return [bool(node.value)]
    if kind == "drop-reason":
        reasons = [_drop_reason(i, tables, diagnostics) for i in items]
        return [reason.enum for reason in reasons if reason is not None]
    if kind == "event-type":
        return [_event_type(i, tables, diagnostics) for i in items]
    if kind == "protocol":
        result = []
        for item in items:
            text = str(item.value).lower()
            if text not in PROTOCOLS:
                diagnostics.error(item.location, f"unknown protocol '{item.value}'{did_you_mean(text, PROTOCOLS)}", "one of: " + ", ".join(PROTOCOLS))
            result.append(text)
        return result
    if kind == "http-status":
        return [str(i.value) for i in items]
    if kind == "http-method":
        result = []
        for item in items:
            text = str(item.value).upper()
            if text not in HTTP_METHODS:
                diagnostics.error(item.location, f"unknown HTTP method '{item.value}'{did_you_mean(text, HTTP_METHODS)}")
            result.append(text)
        return result
    if kind == "http-header":
        headers = []
        for item in items:
            if isinstance(item.value, dict):
                headers.append({"key": item.value["key"], "value": item.value.get("value", "")})
                continue
            key, sep, value = str(item.value).partition(":")
            if not sep or not key.strip():
                diagnostics.error(item.location, f"HTTP header '{item.value}' is not key:value")
            headers.append({"key": key.strip(), "value": value.strip()})
        return headers
    if kind == "tcp-flags":
        flag_sets = []
        for item in items:
            flags = [f.strip().upper() for f in str(item.value).replace("|", ",").split(",") if f.strip()]
            for flag in flags:
                if flag not in TCP_FLAGS:
                    diagnostics.error(item.location, f"unknown TCP flag '{flag}'{did_you_mean(flag, TCP_FLAGS)}", "flags: " + ", ".join(TCP_FLAGS))
            flag_sets.append({flag: True for flag in flags})
        return flag_sets
    if kind == "interface":
        return [item.value if isinstance(item.value, dict) else {"name": str(item.value)} for item in items]
    if word.word == "cel":
        return {"cel_expression": [str(i.value) for i in items]}
    return [str(i.value) for i in items]


def _drop_reason(node: Node, tables: CiliumTables, diagnostics: Diagnostics) -> DropReason | None:
    value = node.value
    reason: DropReason | None
    if isinstance(value, int):
        reason = tables.drop_reasons_by_code.get(value)
    else:
        text = str(value)
        reason = tables.drop_reasons.get(text.lower()) or tables.drop_reasons_by_enum.get(text.upper().replace("-", "_"))
    if reason is None:
        diagnostics.error(
            node.location,
            f"unknown drop reason {value!r} for Cilium {tables.version}{did_you_mean(str(value), tables.drop_reasons)}",
            "names are Cilium's DropReason names in lower case with '-', e.g. policy-denied, policy-deny, unsupported-l3-protocol",
        )
        return None
    if reason.deprecated:
        diagnostics.warning(node.location, f"drop reason '{reason.name}' ({reason.code}) is no longer produced by Cilium {tables.version}")
    _explain_policy_drop(node, reason.code, tables, diagnostics)
    return reason


def _explain_policy_drop(node: Node, code: int, tables: CiliumTables, diagnostics: Diagnostics) -> None:
    """policy-deny (181) and policy-denied (133) are easy to mix up: say which one this is."""
    deny, denied = tables.drop_reasons_by_code.get(181), tables.drop_reasons_by_code.get(133)
    if not deny or not denied:
        return
    if code == deny.code:
        diagnostics.note(
            node.location,
            f"'{deny.name}' ({deny.code}, {deny.enum}) matches drops by an explicit deny rule (\"{deny.description}\")",
            f"traffic dropped because no policy allows it is '{denied.name}' ({denied.code}, {denied.enum})",
        )
    elif code == denied.code:
        diagnostics.note(
            node.location,
            f"'{denied.name}' ({denied.code}, {denied.enum}) matches drops because no policy allows the traffic",
            f"drops by an explicit deny rule (ingressDeny/egressDeny) are '{deny.name}' ({deny.code}, {deny.enum})",
        )


def _event_type(node: Node, tables: CiliumTables, diagnostics: Diagnostics) -> dict[str, Any]:
    value = node.value
    spec = value if isinstance(value, dict) else {"type": value}
    type_node = node.get("type") if isinstance(value, dict) else node
    type_value = spec["type"]
    if isinstance(type_value, int):
        code = type_value
        if code not in tables.event_types.values():
            diagnostics.error(type_node.location, f"unknown event type code {code}", "one of: " + ", ".join(f"{n} ({c})" for n, c in tables.event_types.items()))
    else:
        code = tables.event_types.get(str(type_value).lower(), -1)
        if code < 0:
            diagnostics.error(
                type_node.location,
                f"unknown event type '{type_value}'{did_you_mean(str(type_value), tables.event_types)}",
                "one of: " + ", ".join(tables.event_types),
            )
    result: dict[str, Any] = {"type": code}
    if "sub-type" in spec:
        sub_node = node.get("sub-type")
        sub_value = spec["sub-type"]
        names = tables.sub_types_for(code)
        if isinstance(sub_value, int):
            sub_code = sub_value
        elif str(sub_value).lower() in names:
            sub_code = names[str(sub_value).lower()]
            if code == tables.event_types.get("drop"):
                _explain_policy_drop(sub_node, sub_code, tables, diagnostics)
        else:
            sub_code = 0
            diagnostics.error(
                sub_node.location,
                f"unknown sub-type '{sub_value}' for event type '{type_value}'{did_you_mean(str(sub_value), names)}",
                "sub-types are drop reasons for drop events, observation points (to-endpoint, from-network, ...) for trace events" if names else "this event type has no named sub-types: use a number",
            )
        if "match-sub-type" not in spec:
            diagnostics.warning(
                sub_node.key_location,
                "Hubble ignores 'sub-type' unless 'match-sub-type' is true: this filter matches every "
                + (f"'{type_value}' event" if not isinstance(type_value, int) else f"type {type_value} event"),
                "add 'match-sub-type: true' to match only this sub-type (or use 'drop-reason' for drops); write 'match-sub-type: false' to keep it as is and silence this warning",
            )
        if spec.get("match-sub-type"):
            result["match_sub_type"] = True
        result["sub_type"] = sub_code
    elif spec.get("match-sub-type"):
        diagnostics.error(node.get("match-sub-type").location, "'match-sub-type: true' needs a 'sub-type'")
    return result


def _compile_raw(node: Node, tables: CiliumTables, diagnostics: Diagnostics) -> dict[str, Any]:
    """Upstream FlowFilter fields, checked like the agent's protojson parser would."""
    by_json = {f.json_name: f.name for f in tables.filter_fields.values()}
    result: dict[str, Any] = {}
    for key, value_node in node.items():
        name = key if key in tables.filter_fields else by_json.get(key)
        if name is None:
            hint = "FlowFilter has no namespace field: use source_pod/destination_pod with a 'namespace/' prefix" if "namespace" in key else "the agent rejects the whole flowlogs.yaml on one unknown filter key"
            diagnostics.error(
                value_node.key_location,
                f"unknown FlowFilter field '{key}' for Cilium {tables.version}{did_you_mean(key, tables.filter_fields)}",
                hint,
            )
            continue
        result[name] = _check_raw_value(tables.filter_fields[name].type, value_node, tables, diagnostics)
    return result


def _check_raw_value(type_name: str, node: Node, tables: CiliumTables, diagnostics: Diagnostics) -> Any:
    repeated = type_name.startswith("repeated ")
    element = type_name.removeprefix("repeated ")
    value = node.value
    if repeated and not isinstance(value, list):
        diagnostics.error(node.location, f"expected a list ({type_name}), got {value!r}")
        return value
    items = list(node.elements()) if repeated else [node]
    for item in items:
        v = item.value
        if element in ("string",) and not isinstance(v, str):
            diagnostics.error(item.location, f"expected a string, got {v!r}", "quote numbers, e.g. \"443\"")
        elif element in ("uint32", "int32") and (not isinstance(v, int) or isinstance(v, bool)):
            diagnostics.error(item.location, f"expected a number, got {v!r}")
        elif element == "bool" and not isinstance(v, bool):
            diagnostics.error(item.location, f"expected true or false, got {v!r}")
        elif element in ENUM_KINDS:
            names = set(getattr(tables, ENUM_KINDS[element]).values())
            if v not in names and not isinstance(v, int):
                diagnostics.error(item.location, f"unknown {element} '{v}'{did_you_mean(str(v), names)}", "one of: " + ", ".join(sorted(names)))
        elif element == "DropReason":
            if v not in tables.drop_reasons_by_enum and not isinstance(v, int):
                diagnostics.error(item.location, f"unknown DropReason '{v}'{did_you_mean(str(v), tables.drop_reasons_by_enum)}")
        elif element in tables.nested_fields:
            if not isinstance(v, dict):
                diagnostics.error(item.location, f"expected a mapping ({element}), got {v!r}")
                continue
            for key in v:
                if key not in tables.nested_fields[element]:
                    diagnostics.error(item.get(key).key_location, f"unknown {element} field '{key}'{did_you_mean(key, tables.nested_fields[element])}")
    return value

"""A model of how Cilium's agent reads a dynamic-exporter file (flowlogs.yaml), per version.

What the agent does (cilium/cilium pkg/hubble/exporter, config.go Parse / dynamic_exporter.go,
1.16-1.19; sigs.k8s.io/yaml v1.6.0 and go.yaml.in/yaml/v2 v2.4.3 as vendored in cilium/hubble
v1.19.4; Go encoding/json; google.golang.org/protobuf encoding/protojson):

1. The whole file: ``yaml.Unmarshal`` turns YAML into JSON (a timestamp-looking scalar stays the
   original string; numbers and booleans become strings only where the Go field is a string) and
   encoding/json decodes it into ``DynamicExportersConfig``: keys match the Go json tags
   case-insensitively, unknown keys are ignored, a value of the wrong JSON type fails. Each
   FlowFilter has its own UnmarshalJSON (api/v1/flow/flow.pb.json.go): protojson, which is strict
   (unknown or duplicate field, wrong value type, unknown enum name all fail); a null item never
   reaches it (encoding/json stores nil), and is loaded as a filter that matches every flow.
   ``end`` goes through Time.UnmarshalJSON, 1.19's ``aggregationInterval`` through
   Duration.UnmarshalJSON.
   Then ``Validate``: every entry non-null with a unique, non-empty name and filePath.
   Any failure here rejects the file: the agent keeps running its previous flow logs.
2. Each flow log: fieldMask (and 1.19 fieldAggregate) through fieldmaskpb.New / fieldmask.New,
   include/excludeFilters through filters.BuildFilterList (pkg/hubble/filters). A failure here
   is logged ("Failed to apply flowlog") and that one flow log is not (re)created.

``agent_parse_errors`` reports both kinds, each message saying which.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from flowlogs.cilium.agent_cel import check_cel
from flowlogs.cilium.agent_fieldmask import check_fieldmask
from flowlogs.cilium.agent_labels import check_label_selector
from flowlogs.cilium.agent_patterns import check_fqdn_pattern, check_node_name_pattern, check_regexp
from flowlogs.cilium.agent_problem import AgentProblem
from flowlogs.cilium.agent_time import check_end
from flowlogs.cilium.flow_schema import load_flow_schema
from flowlogs.cilium.preview.config import GoYAMLLoader
from flowlogs.cilium.tables import CiliumTables, load_tables
from flowlogs.go_duration import parse_duration

_FILE = "the agent rejects the whole file and keeps its previous flow logs"
_ONE = "the agent does not apply this flow log"
_L7 = 129  # MessageTypeAccessLog


def _go_key(mapping: Mapping[Any, Any], tag: str) -> tuple[bool, Any]:
    """encoding/json field lookup: the exact json tag, else a case-insensitive match."""
    if tag in mapping:
        return True, mapping[tag]
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() == tag.lower():
            return True, value
    return False, None


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _go_string(value: Any) -> str | None:
    """A Go string field: sigs.k8s.io/yaml turns numbers and booleans into strings first."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return None


class _Errors:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, what: str, scope: str) -> None:
        self.items.append(f"{where}: {what} ({scope})")


# ---------------------------------------------------------------- protojson FlowFilter decoding

_INT_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}


def _proto_int(value: Any, kind: str) -> str | None:
    """protojson accepts a JSON number with an integral value, or a string holding one."""
    low, high = _INT_RANGES[kind]
    if isinstance(value, bool) or value is None:
        return f"invalid value for {kind} type: {value!r}"
    if isinstance(value, str):
        try:
            number = float(value) if re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", value.strip()) else math.nan
        except ValueError:
            number = math.nan
        if value != value.strip() or math.isnan(number):
            return f"invalid value for {kind} type: {value!r}"
        value = number
    if not isinstance(value, (int, float)) or (isinstance(value, float) and not value.is_integer()):
        return f"invalid value for {kind} type: {value!r}"
    if not low <= int(value) <= high:
        return f"invalid value for {kind} type: {value!r} (out of range)"
    return None


def _proto_value(
    value: Any, kind: str, enums: Mapping[str, Mapping[str, int]], nested: Callable[[Any, str], list[str]]
) -> list[str]:
    if kind == "string":
        return [] if isinstance(value, str) else [f"invalid value for string type: {value!r} (quote it)"]
    if kind == "bool":
        return [] if isinstance(value, bool) else [f"invalid value for bool type: {value!r}"]
    if kind in _INT_RANGES:
        problem = _proto_int(value, kind)
        return [problem] if problem else []
    if kind in enums:
        if isinstance(value, str):
            return (
                []
                if value in enums[kind]
                else [f"invalid value for enum field {kind}: {value!r} (one of {', '.join(enums[kind])})"]
            )
        return [] if _proto_int(value, "int32") is None else [f"invalid value for enum field {kind}: {value!r}"]
    return nested(value, kind)


def _proto_message(
    value: Any,
    fields: Mapping[str, str],
    message: str,
    enums: Mapping[str, Mapping[str, int]],
    nested_types: Mapping[str, Mapping[str, str]],
) -> list[str]:
    if not isinstance(value, dict):
        return [f"{message} must be a mapping, not {_json_kind(value)}"]
    problems: list[str] = []
    by_name = {name: name for name in fields} | {_json_name(name): name for name in fields}
    seen: dict[str, str] = {}
    for key, item in value.items():
        name = by_name.get(key) if isinstance(key, str) else None
        if name is None:
            problems.append(f"unknown field {key!r} in {message}")
            continue
        if name in seen:
            problems.append(f"duplicate field {key!r} (also written as {seen[name]!r})")
            continue
        seen[name] = str(key)
        if item is None:
            continue
        kind = fields[name]

        def nested(v: Any, k: str) -> list[str]:
            return (
                _proto_message(v, nested_types[k], k, enums, nested_types)
                if k in nested_types
                else [f"unsupported type {k}"]
            )

        if kind.startswith("repeated "):
            element = kind.removeprefix("repeated ")
            if not isinstance(item, list):
                problems.append(f"{key}: must be a list, not {_json_kind(item)}")
                continue
            for index, element_value in enumerate(item):
                problems += [f"{key}[{index}]: {p}" for p in _proto_value(element_value, element, enums, nested)]
        else:
            problems += [f"{key}: {p}" for p in _proto_value(item, kind, enums, nested)]
    return problems


def _json_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# ---------------------------------------------------------------- filter building (stage 2)


def _build_filter_problems(flow_filter: Mapping[str, Any], tables: CiliumTables) -> list[str]:
    """What filters.BuildFilterList would fail on for one decoded FlowFilter."""

    def values(field: str) -> list[Any]:
        json_name = _json_name(field)
        found = flow_filter.get(field, flow_filter.get(json_name))
        return list(found) if isinstance(found, list) else []

    problems: list[str] = []

    def add(problem: AgentProblem | None, field: str, index: int) -> None:
        if problem is not None:
            problems.append(f"{field}[{index}]: {problem}")

    for field in ("source_ip", "destination_ip", "source_ip_xlated"):
        for i, text in enumerate(values(field)):
            try:
                if "/" in text:
                    bits = text.partition("/")[2]
                    # netip.ParsePrefix: no zone, decimal bits without a leading zero (not a netmask)
                    if "%" in text or not (bits.isascii() and bits.isdigit() and (bits == "0" or bits[0] != "0")):
                        raise ValueError("not a prefix netip.ParsePrefix reads")
                    ipaddress.ip_network(text, strict=False)
                else:
                    ipaddress.ip_address(text)
            except ValueError:
                add(
                    AgentProblem(
                        f"'{text}' is not an IP address or CIDR prefix",
                        "write an address like 10.0.0.1 or a prefix like 10.0.0.0/8",
                    ),
                    field,
                    i,
                )
    for field in (
        "source_pod",
        "destination_pod",
        "source_service",
        "destination_service",
        "source_cluster_name",
        "destination_cluster_name",
    ):
        for i, text in enumerate(values(field)):
            if text == "":
                add(
                    AgentProblem(
                        "an empty name (the agent: 'invalid filter, name must not be empty')",
                        "remove it or write a name",
                    ),
                    field,
                    i,
                )
    for field in ("source_fqdn", "destination_fqdn"):
        for i, text in enumerate(values(field)):
            add(check_fqdn_pattern(text, field), field, i)
    for i, text in enumerate(values("node_name")):
        add(check_node_name_pattern(text), "node_name", i)
    for field in ("source_label", "destination_label", "node_labels"):
        for i, text in enumerate(values(field)):
            add(check_label_selector(text, field), field, i)
    for field in ("source_port", "destination_port"):
        for i, text in enumerate(values(field)):
            if not (re.fullmatch(r"[0-9]+", text) and int(text) <= 65535):
                add(
                    AgentProblem(
                        f"'{text}' is not a port (strconv.ParseUint(p, 10, 16))", "write a number from 0 to 65535"
                    ),
                    field,
                    i,
                )
    for i, text in enumerate(values("protocol")):
        if text.lower() not in tables.filter_protocols:
            add(
                AgentProblem(
                    f"unknown protocol '{text}' for Cilium {tables.version}",
                    f"write one of {', '.join(tables.filter_protocols)}",
                ),
                "protocol",
                i,
            )
    event_types = [e for e in values("event_type") if isinstance(e, dict)]
    l7_ok = not event_types or any(e.get("type") == _L7 for e in event_types)
    for field in ("http_status_code", "http_method", "http_path", "http_url", "http_header"):
        if values(field) and not l7_ok:
            problems.append(
                f"{field}: filtering by {field.replace('_', ' ')} requires the event type filter to match 'l7' events "
                "(type 129)"
            )
    for i, text in enumerate(values("http_status_code")):
        if not (re.fullmatch(r"[1-5][0-9]{2}", text) or re.fullmatch(r"[1-5][0-9]?\+", text)):
            add(
                AgentProblem(
                    f"invalid status code prefix '{text}'", "write a code like 404 or a prefix like 5+ or 40+"
                ),
                "http_status_code",
                i,
            )
    for field in ("http_path", "http_url", "dns_query"):
        for i, text in enumerate(values(field)):
            add(check_regexp(text, field), field, i)
    experimental = flow_filter.get("experimental")
    if isinstance(experimental, dict):
        expressions = experimental.get("cel_expression", experimental.get("celExpression"))
        for i, text in enumerate(expressions if isinstance(expressions, list) else []):
            add(check_cel(text, tables.version), "experimental.cel_expression", i)
    return problems


# ---------------------------------------------------------------- the whole file


def agent_parse_errors(flowlogs_yaml: str, version: str) -> list[str]:
    """Everything Cilium ``version``'s agent would reject in ``flowlogs_yaml`` (the text of the
    dynamic exporter's flowlogs.yaml); [] when it applies every flow log."""
    tables = load_tables(version)
    schema = load_flow_schema(version)
    errors = _Errors()
    try:
        document = yaml.load(flowlogs_yaml, Loader=GoYAMLLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        errors.add("flowlogs.yaml", f"not YAML: {exc}".replace("\n", " "), _FILE)
        return errors.items
    if document is None:
        return []
    if not isinstance(document, dict):
        errors.add("flowlogs.yaml", f"must be a mapping with flowLogs:, not {_json_kind(document)}", _FILE)
        return errors.items
    _, entries = _go_key(document, "flowLogs")
    if entries is None:
        return []
    if not isinstance(entries, list):
        errors.add("flowLogs", f"must be a list, not {_json_kind(entries)}", _FILE)
        return errors.items

    filter_fields = {name: f.type for name, f in tables.filter_fields.items()}
    nested_types = dict(tables.nested_fields)
    enums = {name: dict(values) for name, values in schema.enums.items()}
    decoded: list[dict[str, Any] | None] = []
    for index, entry in enumerate(entries):
        where = f"flowLogs[{index}]"
        if entry is None:
            decoded.append(None)
            continue
        if not isinstance(entry, dict):
            errors.add(where, f"must be a mapping, not {_json_kind(entry)}", _FILE)
            decoded.append(None)
            continue
        values: dict[str, Any] = {}
        for key in tables.flowlog_keys:
            present, value = _go_key(entry, key)
            if not present:
                continue
            values[key] = value
            if key in ("name", "filePath"):
                if _go_string(value) is None:
                    errors.add(f"{where}.{key}", f"must be a string, not {_json_kind(value)}", _FILE)
            elif key in ("fieldMask", "fieldAggregate"):
                if value is not None and not isinstance(value, list):
                    errors.add(f"{where}.{key}", f"must be a list of field paths, not {_json_kind(value)}", _FILE)
                elif value:
                    for i, item in enumerate(value):
                        if _go_string(item) is None:
                            errors.add(f"{where}.{key}[{i}]", f"must be a string, not {_json_kind(item)}", _FILE)
            elif key in ("includeFilters", "excludeFilters"):
                if value is not None and not isinstance(value, list):
                    errors.add(f"{where}.{key}", f"must be a list of filters, not {_json_kind(value)}", _FILE)
                elif value:
                    for i, flow_filter in enumerate(value):
                        if flow_filter is None:
                            continue
                        for problem in _proto_message(flow_filter, filter_fields, "FlowFilter", enums, nested_types):
                            errors.add(f"{where}.{key}[{i}]", problem, _FILE)
            elif key in ("fileMaxSizeMb", "fileMaxBackups"):
                if value is not None and (
                    isinstance(value, bool)
                    or not isinstance(value, (int, float))
                    or (isinstance(value, float) and not value.is_integer())
                ):
                    errors.add(f"{where}.{key}", f"must be a whole number, not {value!r}", _FILE)
            elif key == "fileCompress":
                if value is not None and not isinstance(value, bool):
                    errors.add(f"{where}.{key}", f"must be true or false, not {value!r}", _FILE)
            elif key == "end":
                if value is not None:
                    if not isinstance(value, str):
                        errors.add(
                            f"{where}.end",
                            f"must be a time written as a string, not {_json_kind(value)} (Time.UnmarshalJSON: input "
                            "is not a JSON string)",
                            _FILE,
                        )
                    elif (end_problem := check_end(value)) is not None:
                        errors.add(f"{where}.end", str(end_problem), _FILE)
            elif key == "aggregationInterval":
                text = "null" if value is None else _go_string(value) if not isinstance(value, (list, dict)) else None
                try:
                    if text is None:
                        raise ValueError(f"not a duration: {_json_kind(value)}")
                    parse_duration(text)
                except ValueError as exc:
                    errors.add(f"{where}.aggregationInterval", f"{exc}; write a Go duration like 30s or 1m", _FILE)
        decoded.append(values)

    # DynamicExportersConfig.Validate
    names: set[str] = set()
    paths: set[str] = set()
    for index, entry_values in enumerate(decoded):
        if entry_values is None:
            if entries[index] is None:
                errors.add(f"flowLogs[{index}]", f"invalid flowlog at index {index}", _FILE)
            continue
        name = _go_string(entry_values.get("name")) or ""
        path = _go_string(entry_values.get("filePath")) or ""
        if name == "":
            errors.add(f"flowLogs[{index}]", "name is required", _FILE)
        elif name in names:
            errors.add(f"flowLogs[{index}]", f"duplicated flowlog name {name}", _FILE)
        names.add(name)
        if path == "":
            errors.add(f"flowLogs[{index}]", "filePath is required", _FILE)
        elif path in paths:
            errors.add(f"flowLogs[{index}]", f"duplicated flowlog path {path}", _FILE)
        paths.add(path)
    if errors.items:
        return errors.items

    # Building each flow log
    for index, built in enumerate(decoded):
        assert built is not None
        where = f"flowLogs[{index}] '{_go_string(built.get('name'))}'"
        for key in ("fieldMask", "fieldAggregate"):
            mask = [_go_string(p) or "" for p in built.get(key) or []]
            for finding in check_fieldmask(mask, version, key):
                if finding.severity == "error":
                    errors.add(
                        f"{where}.{key}[{finding.index}]",
                        finding.problem.message.replace(", so the agent drops this flow log", ""),
                        _ONE,
                    )
        for key in ("includeFilters", "excludeFilters"):
            for i, flow_filter in enumerate(built.get(key) or []):
                if isinstance(flow_filter, dict):
                    for problem in _build_filter_problems(flow_filter, tables):
                        errors.add(f"{where}.{key}[{i}]", problem, _ONE)
    return errors.items

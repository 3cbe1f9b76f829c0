"""The `cilium.*` values of the chart, and the JSON Schema of a compiled `flowLogs` entry.

The schema of a flow-log entry is built from the version tables (the union over supported
versions), so a hand-edited values file with a filter key the agent would reject fails
`helm install` and `helm template` instead of silently breaking the exporter.
"""

from __future__ import annotations

from typing import Any

from ..names import DNS_LABEL_PATTERN
from ..values_model import ChartValue, Section, shared_schema, string_pattern
from .defaults import DEFAULT_CONFIGMAP_NAME, DEFAULT_NAMESPACE, DEFAULT_VERSION, SUPPORTED_VERSIONS
from .tables import load_tables

_SCALARS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "uint32": {"type": "integer", "minimum": 0},
    "uint64": {"type": "integer", "minimum": 0},  # 1.19 ip_trace_id
    "int32": {"type": "integer"},
    "bool": {"type": "boolean"},
}
DNS_LABEL_SCHEMA = {"type": "string", **string_pattern(DNS_LABEL_PATTERN)}


def _element_schema(element: str) -> dict[str, Any]:
    if element in _SCALARS:
        return _SCALARS[element]
    enums: dict[str, set[str]] = {"Verdict": set(), "TrafficDirection": set(), "IPVersion": set(), "DropReason": set()}
    nested: dict[str, dict[str, str]] = {}
    for version in SUPPORTED_VERSIONS:
        tables = load_tables(version)
        enums["Verdict"] |= set(tables.verdicts.values()) | {"VERDICT_UNKNOWN"}
        enums["TrafficDirection"] |= set(tables.traffic_directions.values())
        enums["IPVersion"] |= set(tables.ip_versions.values()) | {"IP_NOT_USED"}
        enums["DropReason"] |= set(tables.drop_reasons_by_enum) | {"DROP_REASON_UNKNOWN"}
        for message, fields in tables.nested_fields.items():
            nested.setdefault(message, {}).update(fields)
    if element in enums:
        return {"anyOf": [{"type": "string", "enum": sorted(enums[element])}, {"type": "integer", "minimum": 0}]}
    if element in nested:
        properties = {name: _field_schema(nested[element][name]) for name in sorted(nested[element])}
        return {"type": "object", "additionalProperties": False, "properties": properties}
    raise KeyError(f"no JSON Schema for FlowFilter element type {element!r}")


def _field_schema(type_name: str) -> dict[str, Any]:
    if type_name.startswith("repeated "):
        return {"type": "array", "items": _element_schema(type_name.removeprefix("repeated "))}
    return _element_schema(type_name)


def flow_filter_schema() -> dict[str, Any]:
    fields: dict[str, str] = {}
    for version in SUPPORTED_VERSIONS:
        for name, filter_field in load_tables(version).filter_fields.items():
            fields[name] = filter_field.type
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: _field_schema(fields[name]) for name in sorted(fields)},
    }


def flow_log_entry_schema() -> dict[str, Any]:
    filters = {"type": "array", "items": shared_schema("flowFilter", flow_filter_schema())}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "filePath"],
        "properties": {
            "name": DNS_LABEL_SCHEMA,
            # an absolute path, or the literal `stdout` (the agent's own standard output, every supported version)
            "filePath": {"type": "string", "pattern": "^(/|stdout$)"},
            "fieldMask": {"type": "array", "items": {"type": "string"}},
            # 1.19 flow aggregation (pkg/hubble/exporter config.go); aggregationInterval is a Go duration string
            "fieldAggregate": {"type": "array", "items": {"type": "string"}},
            "aggregationInterval": {"type": "string"},
            "includeFilters": filters,
            "excludeFilters": filters,
            "fileMaxSizeMb": {"type": "integer", "minimum": 0},
            "fileMaxBackups": {"type": "integer", "minimum": 0},
            "fileCompress": {"type": "boolean"},
            "end": {"type": "string", "format": "date-time"},
        },
    }


CILIUM_SECTIONS = [
    Section(
        "cilium", "Cilium Hubble exporter (dynamic mode). Compiled from a profile's `cilium:` section by flowlogs."
    ),
    Section(
        "cilium.configMap",
        "The ConfigMap Cilium's agent reads its flow logs from. Point Cilium's chart at it "
        "with\n`hubble.export.dynamic.config.configMapName` and `createConfigMap: false` (see the profile's "
        "cilium-values.yaml).",
    ),
]


def cilium_values() -> list[ChartValue]:
    return [
        ChartValue("cilium.enabled", False, "Render the Cilium flow-log ConfigMap.", {"type": "boolean"}),
        ChartValue(
            "cilium.version",
            DEFAULT_VERSION,
            "The Cilium minor version the flow logs were compiled for; NOTES pins Cilium's chart to it (`--version "
            "~<minor>.0`).",
            {"type": "string", "enum": list(SUPPORTED_VERSIONS)},
        ),
        ChartValue(
            "cilium.configMap.name",
            DEFAULT_CONFIGMAP_NAME,
            "Name of the ConfigMap (Cilium's default).",
            DNS_LABEL_SCHEMA,
        ),
        ChartValue(
            "cilium.configMap.namespace",
            DEFAULT_NAMESPACE,
            "Namespace of the ConfigMap: Cilium's namespace, where the agent mounts it from.",
            DNS_LABEL_SCHEMA,
        ),
        ChartValue(
            "cilium.flowLogs",
            [],
            "Dynamic flow logs, exactly as Cilium's exporter reads them (`flowLogs:` of `flowlogs.yaml`).\nWrite a "
            "profile and let flowlogs compile it rather than editing this by hand.",
            {"type": "array", "items": flow_log_entry_schema()},
        ),
    ]

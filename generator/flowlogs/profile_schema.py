"""The JSON Schema of profile files (what `flowlogs schema` prints).

It is the single description of the profile format: the loader checks profiles against it,
editors complete and check profiles with it, and the docs list its keys. Value checks that
depend on a Cilium or Calico version (drop reason names, field paths) live in the
compilers, which know the version; the schema only has the shape and the fixed words.
"""

from __future__ import annotations

import functools
from typing import Any

from .calico.schema import calico_section_schema
from .cilium.filters import FILTER_WORDS, UPSTREAM_FILTER_ALIASES
from .cilium.tables import DEFAULT_FILE_PATH, DEFAULT_VERSION, SUPPORTED_VERSIONS, load_tables

SCHEMA_ID = "https://flowlogs.dev/schemas/profile.schema.json"

DNS_LABEL = {
    "type": "string",
    "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    "title": "name",
    "x-pattern-hint": "use lower-case letters, digits and '-' (a DNS label, at most 63 characters)",
}


def one_or_many(item: dict[str, Any]) -> dict[str, Any]:
    """A value or a list of such values (a list means OR)."""
    return {"oneOf": [item, {"type": "array", "items": item}]}


def _strings(title: str) -> dict[str, Any]:
    return one_or_many({"type": "string", "minLength": 1, "title": title})


def _text_or_mapping(title: str, properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """A value written as text (`Deployment/web`) or as the mapping it stands for."""
    mapping: dict[str, Any] = {"type": "object", "additionalProperties": False}
    if required:
        mapping["required"] = required
    mapping["properties"] = properties
    return {"oneOf": [{"type": "string", "minLength": 1, "title": title}, mapping]}


def _filter_value_schema(kind: str) -> dict[str, Any]:
    newest = load_tables(DEFAULT_VERSION)
    if kind == "verdict":
        return one_or_many({"enum": list(newest.verdicts), "title": "verdict"})
    if kind == "direction":
        return one_or_many({"enum": list(newest.traffic_directions), "title": "traffic direction"})
    if kind == "ip-version":
        return one_or_many({"enum": list(newest.ip_versions), "title": "IP version"})
    if kind == "drop-reason":
        return one_or_many({"type": ["string", "integer"], "title": "drop reason"})
    if kind == "event-type":
        event = {
            "type": "object",
            "additionalProperties": False,
            "required": ["type"],
            "properties": {
                "type": {"type": ["string", "integer"], "title": "event type"},
                "sub-type": {"type": ["string", "integer"], "title": "event sub-type"},
                "match-sub-type": {"type": "boolean"},
            },
            "x-upstream-aliases": {"sub_type": "sub-type", "match_sub_type": "match-sub-type", "subType": "sub-type"},
        }
        return one_or_many({"oneOf": [{"type": ["string", "integer"], "title": "event type"}, event]})
    if kind == "port":
        return one_or_many({"type": ["integer", "string"], "title": "port"})
    if kind == "identity":
        return one_or_many({"type": ["integer", "string"], "title": "identity"})
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "workload":
        return one_or_many(_text_or_mapping("workload", {"kind": {"type": "string"}, "name": {"type": "string"}}))
    if kind == "http-header":
        properties = {"key": {"type": "string"}, "value": {"type": "string"}}
        return one_or_many(_text_or_mapping("HTTP header", properties, required=["key"]))
    if kind == "interface":
        properties = {"name": {"type": "string"}, "index": {"type": "integer", "minimum": 0}}
        return one_or_many(_text_or_mapping("interface", properties))
    if kind == "http-status":
        return one_or_many(
            {
                "type": ["string", "integer"],
                "pattern": "^[1-5][0-9]{0,2}\\+?$",
                "title": "HTTP status",
                "x-pattern-hint": "a status code (404) or a prefix followed by '+' (5+, 40+)",
            }
        )
    if kind == "raw":
        return {"type": "object"}
    return _strings(kind)


def filter_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "title": "flow filter",
        "description": "One filter: every key must match (AND). A list of filters matches when any filter matches (OR).",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            word.word: {**_filter_value_schema(word.kind), "description": word.description}
            for word in FILTER_WORDS.values()
        },
        "x-upstream-aliases": UPSTREAM_FILTER_ALIASES,
    }


def rotation_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "description": "Rotation of the output file. Per flow log from Cilium 1.18; for 1.16 and 1.17 only on the cilium section (the agent-wide setting).",
        "properties": {
            "max-size-mb": {"type": "integer", "minimum": 1, "description": "Rotate the file at this size (MB). Cilium's default: 10."},
            "max-backups": {"type": "integer", "minimum": 0, "description": "Rotated files to keep. Cilium's default: 5."},
            "compress": {"type": "boolean", "description": "Compress rotated files (Cilium 1.18+). Default: false."},
        },
        "x-upstream-aliases": {"fileMaxSizeMb": "max-size-mb", "fileMaxBackups": "max-backups", "fileCompress": "compress"},
    }


def flow_log_schema() -> dict[str, Any]:
    filters = one_or_many(filter_schema())
    return {
        "type": "object",
        "title": "flow log",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {
            "name": {**DNS_LABEL, "description": "Unique name of the flow log (the agent logs it as flowLogName)."},
            "file": {
                "type": "string",
                "title": "file path",
                "pattern": "^/",
                "x-pattern-hint": "an absolute path such as /var/run/cilium/hubble/drops.log, or /dev/stdout",
                "description": f"Where the agent writes the flows: an absolute path or /dev/stdout. Default: {DEFAULT_FILE_PATH}.",
            },
            "fields": {
                "type": "array",
                "items": {"type": "string", "title": "field path"},
                "description": "Flow fields to keep (fieldMask), as Hubble's Flow field paths: `time`, `verdict`, `source.namespace`, `IP`, `l4.TCP.source_port`. Empty keeps every field.",
            },
            "include": {**filters, "description": "Export only flows that match one of these filters (includeFilters). Empty exports every flow."},
            "exclude": {**filters, "description": "Never export flows that match one of these filters (excludeFilters)."},
            "end": {
                "type": "string",
                "title": "end time",
                "description": "Stop exporting at this time (RFC 3339 with a time zone, e.g. 2026-12-31T23:59:59Z).",
            },
            "rotation": rotation_schema(),
        },
        "x-upstream-aliases": {
            "filePath": "file",
            "fieldMask": "fields",
            "includeFilters": "include",
            "excludeFilters": "exclude",
            "IncludeFilters": "include",
            "ExcludeFilters": "exclude",
            "FilePath": "file",
            "FieldMask": "fields",
            "fileMaxSizeMb": "rotation",
            "fileMaxBackups": "rotation",
            "fileCompress": "rotation",
        },
    }


def cilium_section_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "title": "cilium section",
        "description": "Cilium Hubble exporter (dynamic mode): the flow logs to write.",
        "additionalProperties": False,
        "required": ["flow-logs"],
        "properties": {
            "enabled": {"type": "boolean", "description": "Render this part (default true). Fleets switch it per cluster."},
            "version": {
                "enum": list(SUPPORTED_VERSIONS) + [float(v) for v in SUPPORTED_VERSIONS],
                "title": "Cilium version",
                "description": f"The Cilium minor version the codes are compiled for. Default: {DEFAULT_VERSION}.",
            },
            "config-map": {
                "type": "object",
                "additionalProperties": False,
                "description": "The ConfigMap the agent reads (hubble.export.dynamic.config.configMapName). It must be in Cilium's namespace.",
                "properties": {
                    "name": {**DNS_LABEL, "description": "Default: cilium-flowlog-config."},
                    "namespace": {**DNS_LABEL, "description": "Cilium's namespace. Default: kube-system."},
                },
            },
            "rotation": rotation_schema(),
            "flow-logs": {
                "type": "array",
                "items": flow_log_schema(),
                "description": "The flow logs, each written to its own file.",
            },
        },
        "x-upstream-aliases": {"flowLogs": "flow-logs", "configMapName": "config-map", "content": "flow-logs"},
    }


@functools.cache
def profile_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "flowlogs profile",
        "description": "A flowlogs profile: which network flow logs a cluster writes, in plain words. `flowlogs generate` compiles it into the Helm chart.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "description": {"type": "string", "description": "What this profile is for (shown in the chart README)."},
            "cilium": cilium_section_schema(),
            "calico": calico_section_schema(),
        },
        "x-upstream-aliases": {"hubble": "cilium", "applicationLayer": "calico"},
    }

"""The JSON Schema of a profile's `cilium:` section (Hubble's dynamic flow-log exporter).

Filter words take their value schemas from their kinds (`kinds.py`); value checks that
depend on the Cilium version (drop reason names, field paths) live in the compiler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..kinds import one_or_many
from ..names import DNS_LABEL_SCHEMA as DNS_LABEL
from .defaults import DEFAULT_FILE_PATH, DEFAULT_VERSION, ROTATION_KEYS, SUPPORTED_VERSIONS
from .filters import FILTER_WORDS, UPSTREAM_FILTER_ALIASES
from .tables import CiliumTables, since


def _since(has: Callable[[CiliumTables], bool], described: bool) -> str:
    """ "Cilium 1.17+" from the version tables; "{tables}" in a schema that only checks profiles
    (`described=False`), whose descriptions are never shown: compiling loads one version's tables."""
    return since(has) if described else "{tables}"


def filter_schema(described: bool = True) -> dict[str, Any]:
    return {
        "type": "object",
        "title": "flow filter",
        "description": (
            "One filter: every key must match (AND). A list of filters matches when any filter matches (OR)."
        ),
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            word.word: {**word.kind.schema(), "description": word.description if described else word.text}
            for word in FILTER_WORDS.values()
        },
        "x-upstream-aliases": UPSTREAM_FILTER_ALIASES,
    }


def rotation_schema(described: bool = True) -> dict[str, Any]:
    per_flow_log = _since(lambda t: t.per_flowlog_rotation, described)
    compress = _since(lambda t: "fileCompress" in t.flowlog_keys, described)
    return {
        "type": "object",
        "additionalProperties": False,
        "description": (
            f"Rotation of the output file. Per flow log from {per_flow_log}; before that "
            "only on the cilium section (the agent-wide setting)."
        ),
        "properties": {
            "max-size-mb": {
                "type": "integer",
                "minimum": 1,
                "description": "Rotate the file at this size (MB). Cilium's default: 10.",
            },
            "max-backups": {
                "type": "integer",
                "minimum": 0,
                "description": "Rotated files to keep. Cilium's default: 5.",
            },
            "compress": {
                "type": "boolean",
                "description": f"Compress rotated files ({compress}). Default: false.",
            },
        },
        "x-upstream-aliases": {key: word for word, key in ROTATION_KEYS.items()},
    }


def flow_log_schema(described: bool = True) -> dict[str, Any]:
    filters = one_or_many(filter_schema(described))
    aggregation = _since(lambda t: t.aggregation, described)
    paths = {"type": "array", "items": {"type": "string", "title": "field path"}}
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
                "pattern": "^(/|stdout$)",
                "x-pattern-hint": "an absolute path such as /var/run/cilium/hubble/drops.log, or stdout",
                "description": (
                    "Where the agent writes the flows: an absolute path, or `stdout` (the agent's container log, "
                    f"never rotated; `/dev/stdout` stops working at the first rotation). Default: {DEFAULT_FILE_PATH}."
                ),
            },
            "allow-any-path": {
                "type": "boolean",
                "description": (
                    "Let 'file' be outside /var/run/cilium/hubble/ (never in /proc, /sys or /dev): the agent writes it "
                    "as root on every node. Default: false."
                ),
            },
            "fields": {
                **paths,
                "description": (
                    "Flow fields to keep (fieldMask), as Hubble's Flow field paths: `time`, `verdict`, "
                    "`source.namespace`, `IP`, `l4.TCP.source_port`. Empty keeps every field."
                ),
            },
            "aggregate-fields": {
                **paths,
                "description": (
                    f"{aggregation}: count flows whose listed Flow fields are equal together (fieldAggregate), "
                    "one record per group every `aggregation-interval`. Same paths as `fields`."
                ),
            },
            "aggregation-interval": {
                "type": ["string", "integer"],
                "title": "Go duration",
                "description": (
                    f"{aggregation}: how often aggregated records are written (aggregationInterval), a Go "
                    "duration such as `30s` or `1m`. Without it (0s) nothing is aggregated."
                ),
            },
            "include": {
                **filters,
                "description": (
                    "Export only flows that match one of these filters (includeFilters). Empty exports every flow."
                ),
            },
            "exclude": {
                **filters,
                "description": "Never export flows that match one of these filters (excludeFilters).",
            },
            "end": {
                "type": "string",
                "title": "end time",
                "description": (
                    "Stop exporting at this time: RFC 3339 as Go reads it, `YYYY-MM-DDTHH:MM:SS[.fraction]` then `Z` "
                    "or `±HH:MM` (e.g. 2026-12-31T23:59:59Z); compiled to UTC."
                ),
            },
            "rotation": rotation_schema(described),
        },
        "x-upstream-aliases": {
            "filePath": "file",
            "fieldMask": "fields",
            "fieldAggregate": "aggregate-fields",
            "aggregationInterval": "aggregation-interval",
            "includeFilters": "include",
            "excludeFilters": "exclude",
            "IncludeFilters": "include",
            "ExcludeFilters": "exclude",
            "FilePath": "file",
            "FieldMask": "fields",
            **dict.fromkeys(ROTATION_KEYS.values(), "rotation"),
        },
    }


def cilium_section_schema(described: bool = True) -> dict[str, Any]:
    return {
        "type": "object",
        "title": "cilium section",
        "description": "Cilium Hubble exporter (dynamic mode): the flow logs to write.",
        "additionalProperties": False,
        "required": ["flow-logs"],
        "properties": {
            "enabled": {
                "type": "boolean",
                "description": "Render this part (default true). Fleets switch it per cluster.",
            },
            "version": {
                "enum": list(SUPPORTED_VERSIONS) + [float(v) for v in SUPPORTED_VERSIONS],
                "title": "Cilium version",
                "description": f"The Cilium minor version the codes are compiled for. Default: {DEFAULT_VERSION}.",
            },
            "chart-version": {
                "type": "string",
                "pattern": "^(" + "|".join(v.replace(".", "\\.") for v in SUPPORTED_VERSIONS) + ")\\.(0|[1-9][0-9]*)$",
                "title": "Cilium chart version",
                "description": (
                    "The exact version of Cilium's chart the clusters run (`helm get metadata cilium -n kube-system`: "
                    "VERSION), of the minor in 'version'. The printed `helm upgrade` of Cilium's release then pins it; "
                    "without it, the command asks for it. Never a range: a newer patch release would upgrade the CNI."
                ),
                "examples": ["1.19.4"],
            },
            "config-map": {
                "type": "object",
                "additionalProperties": False,
                "description": (
                    "The ConfigMap the agent reads (hubble.export.dynamic.config.configMapName). It must be in "
                    "Cilium's namespace."
                ),
                "properties": {
                    "name": {**DNS_LABEL, "description": "Default: cilium-flowlog-config."},
                    "namespace": {**DNS_LABEL, "description": "Cilium's namespace. Default: kube-system."},
                },
            },
            "rotation": rotation_schema(described),
            "flow-logs": {
                "type": "array",
                "items": flow_log_schema(described),
                "description": "The flow logs, each written to its own file.",
            },
        },
        "x-upstream-aliases": {"flowLogs": "flow-logs", "configMapName": "config-map", "content": "flow-logs"},
    }

"""The chart's values: one model gives values.yaml, values.schema.json and the README table.

Each value has a path, a default, a description (written as helm-docs `# --` comments) and
a JSON Schema. Sections (mappings) are implied by the paths; every mapping rejects unknown
keys, so a typo in a values file fails `helm install` instead of being ignored.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from .names import CHART_NAME_PATTERNS
from .yamlio import dump_yaml


@dataclass(frozen=True)
class ChartValue:
    path: str  # dotted, e.g. "cilium.configMap.name"
    default: Any
    description: str
    schema: dict[str, Any] = field(default_factory=dict)

    @property
    def type_name(self) -> str:
        kind = self.schema.get("type", "object")
        return "/".join(kind) if isinstance(kind, list) else str(kind)


@dataclass(frozen=True)
class Section:
    path: str
    description: str


# A subschema that applies in several places is written once, under values.schema.json's
# `definitions`, and referred to (`$ref`): Helm compiles the whole schema for every render and
# lint, and the time grows with its size (the FlowFilter schema, 6 kB, is both include- and
# exclude-filters). `shared_schema` marks such a subschema; `values_schema` moves it there.
_SHARED = "x-flowlogs-shared"


def string_pattern(pattern: str) -> dict[str, Any]:
    """A profile's pattern for a string, as values.schema.json checks it: a name pattern with its
    length apart (`names.CHART_NAME_PATTERNS`), any other as it is."""
    if pattern in CHART_NAME_PATTERNS:
        unbounded, max_length = CHART_NAME_PATTERNS[pattern]
        return {"maxLength": max_length, "pattern": unbounded}
    return {"pattern": pattern}


def shared_schema(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """`schema`, written once in values.schema.json as `definitions.<name>` and referred to here."""
    return {"$ref": f"#/definitions/{name}", _SHARED: schema}


def _move_shared(node: Any, definitions: dict[str, Any]) -> Any:
    """The schema with every shared subschema replaced by its reference, collected in `definitions`."""
    if isinstance(node, list):
        return [_move_shared(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if _SHARED in node:
        name = node["$ref"].rsplit("/", 1)[1]
        schema = _move_shared(node[_SHARED], definitions)
        if definitions.setdefault(name, schema) != schema:
            raise ValueError(f"two different schemas share the name {name!r}")
        return {"$ref": node["$ref"]}
    return {key: _move_shared(value, definitions) for key, value in node.items()}


def _tree(values: list[ChartValue]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for value in values:
        *parents, leaf = value.path.split(".")
        node = root
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return root


def default_values(values: list[ChartValue]) -> dict[str, Any]:
    """The chart's default values as one mapping (what values.yaml holds)."""

    def defaults(node: dict[str, Any]) -> dict[str, Any]:
        return {key: child.default if isinstance(child, ChartValue) else defaults(child) for key, child in node.items()}

    return defaults(_tree(values))


def merge_values(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` over `base` as Helm merges values: mappings key by key, anything else replaced."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def values_schema(values: list[ChartValue], sections: list[Section]) -> dict[str, Any]:
    """values.schema.json (draft-07, the dialect Helm reads best), strict on every mapping."""
    descriptions = {s.path: s.description for s in sections}

    def build(node: dict[str, Any], path: str) -> dict[str, Any]:
        properties = {
            key: {"description": child.description, **child.schema}
            if isinstance(child, ChartValue)
            else build(child, f"{path}.{key}" if path else key)
            for key, child in node.items()
        }
        described = {"description": descriptions[path]} if path in descriptions else {}
        return {"type": "object", **described, "additionalProperties": False, "properties": properties}

    root = build(_tree(values), "")
    # Helm adds `global` to the values of every chart used as a subchart (and to a parent's
    # values when set): a strict root must still accept it (helm/helm pkg/chart/v2/util/coalesce.go).
    root["properties"]["global"] = {"description": "Helm's global values, shared with subcharts.", "type": "object"}
    # An umbrella chart switches a dependency with `condition: <name>.enabled`, which Helm reads from
    # the subchart's own values: they must accept it (helm/helm pkg/chart/v2/util/dependencies.go).
    root["properties"]["enabled"] = {
        "description": "Not read by this chart: the switch of an umbrella chart's `condition: <name>.enabled`.",
        "type": "boolean",
    }
    definitions: dict[str, Any] = {}
    root = _move_shared(root, definitions)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        **root,
        **({"definitions": dict(sorted(definitions.items()))} if definitions else {}),
    }


def _dump_default(key: str, default: Any, indent: str) -> list[str]:
    if isinstance(default, (dict, list)) and default:
        body = dump_yaml({key: default})
        return [indent + line for line in body.rstrip("\n").split("\n")]
    if isinstance(default, str):
        return [f"{indent}{key}: {json.dumps(default)}"]
    return [f"{indent}{key}: {yaml.safe_dump(default, default_flow_style=True).strip().removesuffix('...').strip()}"]


def values_yaml(values: list[ChartValue], sections: list[Section], header: str) -> str:
    """values.yaml with helm-docs comments: `# -- text` above each documented key."""
    descriptions = {s.path: s.description for s in sections}
    lines = [f"# {line}".rstrip() for line in header.splitlines()]

    def emit(node: dict[str, Any], path: str, depth: int) -> None:
        indent = "  " * depth
        for key, child in node.items():
            child_path = f"{path}.{key}" if path else key
            if depth == 0:
                lines.append("")
            if isinstance(child, ChartValue):
                lines.extend(_comment(indent, child.description, child))
                lines.extend(_dump_default(key, child.default, indent))
            else:
                if child_path in descriptions:
                    lines.extend(_comment(indent, descriptions[child_path], None))
                lines.append(f"{indent}{key}:")
                emit(child, child_path, depth + 1)

    emit(_tree(values), "", 0)
    return "\n".join(lines).lstrip("\n") + "\n"


def _comment(indent: str, description: str, value: ChartValue | None) -> list[str]:
    first, *rest = description.splitlines() or [""]
    type_hint = ""
    if value is not None and value.default in (None, "", [], {}):
        type_hint = f"({value.type_name}) "
    return [f"{indent}# -- {type_hint}{first}"] + [f"{indent}# {line}".rstrip() for line in rest]


def values_table(values: list[ChartValue]) -> list[tuple[str, str, str, str]]:
    """(key, type, default, description) rows for the README, helm-docs style."""
    return [
        (value.path, value.type_name, json.dumps(value.default, sort_keys=True), " ".join(value.description.split()))
        for value in values
    ]

"""CustomResourceDefinitions -> strict JSON Schemas, with kubeconform's openapi2jsonschema rules.

Per served version, `spec.versions[].schema.openAPIV3Schema` becomes a JSON Schema where:
- every object that lists `properties` gets `additionalProperties: false` (what `-strict`
  means for CRDs), except objects marked `x-kubernetes-preserve-unknown-fields: true`;
- `format: int-or-string` / `x-kubernetes-int-or-string: true` accept a string or an integer;
- `nullable: true` also accepts null (whatever its `type`, `enum`, `anyOf` or `oneOf` say, as
  the API server does);
- OpenAPI's boolean `exclusiveMinimum`/`exclusiveMaximum` become draft 2020-12's numbers;
- the root accepts exactly the CRD's `apiVersion` and `kind`, and any `metadata` (like the
  schemas kubeconform users convert: the API server, not the CRD, validates ObjectMeta); it is
  closed too, as with openapi2jsonschema's `DENY_ROOT_ADDITIONAL_PROPERTIES`.
Unlike openapi2jsonschema the walk follows schema keywords only, so a field that happens to
be named `properties` or `default` is never mistaken for a keyword.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..schema_errors import SUBSCHEMA_LISTS, SUBSCHEMA_MAPS, SUBSCHEMA_VALUES

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# Annotations we drop: they only make the converted schemas bigger (ApplicationSet: 1.4 MB).
_DROPPED = frozenset({"description", "example", "examples"})
_INT_OR_STRING = ({"type": "string"}, {"type": "integer"})


@dataclass(frozen=True)
class CrdVersionSchema:
    group: str
    version: str
    kind: str
    schema: dict[str, Any]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def field_count(self) -> int:
        """How many fields the schema declares, nested ones included."""
        counts: list[int] = []
        _walk(
            self.schema,
            lambda node: counts.append(len(fields) if isinstance(fields := node.get("properties"), dict) else 0),
        )
        return sum(counts)


class MalformedCrd(ValueError):
    """A CRD whose fields have the wrong shape (`versions: 5`, `properties: [...]`)."""


def _field(parent: Mapping[str, Any], name: str, expected: type, where: str) -> Any:
    """`parent[name]` when it has the expected type, the type's empty value when absent or null."""
    value = parent.get(name)
    if value is None:
        return expected()
    if not isinstance(value, expected):
        shown = type(value).__name__
        raise MalformedCrd(
            f"{where}.{name} must be {'a mapping' if expected is dict else 'a list'}, not {shown} {str(value)[:40]!r}"
        )
    return value


def crd_version_schemas(crd: Mapping[str, Any]) -> list[CrdVersionSchema]:
    """A strict JSON Schema for every served version of a CRD that carries a schema."""
    spec = _field(crd, "spec", dict, "CRD")
    group = str(spec.get("group", ""))
    kind = str(_field(spec, "names", dict, "spec").get("kind", ""))
    if not group or not kind:
        return []
    legacy = _field(spec, "validation", dict, "spec").get("openAPIV3Schema")  # apiextensions v1beta1
    schemas = []
    for index, version in enumerate(
        _field(spec, "versions", list, "spec") or [{"name": spec.get("version"), "served": True}]
    ):
        if not isinstance(version, dict):
            raise MalformedCrd(f"spec.versions[{index}] must be a mapping, not {type(version).__name__}")
        if not version.get("name") or version.get("served") is False:
            continue
        openapi = _field(version, "schema", dict, f"spec.versions[{index}]").get("openAPIV3Schema") or legacy
        if isinstance(openapi, dict):
            schema = to_json_schema(openapi, f"{group}/{version['name']}", kind)
            schemas.append(CrdVersionSchema(group, str(version["name"]), kind, schema))
    return schemas


def crd_schemas_from_documents(documents: Iterable[Any]) -> list[CrdVersionSchema]:
    """CRDs found in parsed YAML documents (including `kind: List` wrappers)."""
    schemas: list[CrdVersionSchema] = []
    for document in documents:
        items = (
            _field(document, "items", list, "List")
            if isinstance(document, dict) and "items" in document
            else [document]
        )
        for item in items:
            if isinstance(item, dict) and item.get("kind") == "CustomResourceDefinition":
                schemas.extend(crd_version_schemas(item))
    return schemas


def to_json_schema(openapi: Mapping[str, Any], api_version: str, kind: str) -> dict[str, Any]:
    """Convert one openAPIV3Schema (the root of a custom resource) into a strict JSON Schema."""
    properties = {
        name: (_convert(sub, strict=False) if name == "metadata" else _convert(sub, strict=True))
        for name, sub in _field(openapi, "properties", dict, "openAPIV3Schema").items()
    }
    properties["apiVersion"] = {"type": "string", "enum": [api_version]}
    properties["kind"] = {"type": "string", "enum": [kind]}
    properties.setdefault("metadata", {"type": "object"})
    root: dict[str, Any] = _convert({key: value for key, value in openapi.items() if key != "properties"}, strict=True)
    root.update({"$schema": DRAFT_2020_12, "type": "object", "properties": properties})
    root["required"] = sorted({*root.get("required", []), "apiVersion", "kind"})
    if not openapi.get("x-kubernetes-preserve-unknown-fields"):
        root["additionalProperties"] = False
    return root


def _walk(node: Any, fix: Callable[[dict[str, Any]], None], drop: frozenset[str] = frozenset()) -> Any:
    """A copy of a schema with `fix` applied to every schema in it, inner ones first (schema keywords only)."""
    if isinstance(node, list):
        return [_walk(item, fix, drop) for item in node]
    if not isinstance(node, dict):
        return node
    converted: dict[str, Any] = {}
    for key, value in node.items():
        if key in SUBSCHEMA_MAPS and isinstance(value, dict):
            converted[key] = {name: _walk(sub, fix, drop) for name, sub in value.items()}
        elif key in SUBSCHEMA_VALUES or key in SUBSCHEMA_LISTS:
            converted[key] = _walk(value, fix, drop)
        elif key not in drop:
            converted[key] = value  # literal data (enum, default, required, x-kubernetes-*)
    fix(converted)
    return converted


def _convert(node: Any, *, strict: bool) -> Any:
    def fix(converted: dict[str, Any]) -> None:
        _apply_int_or_string(converted)
        _apply_nullable(converted)
        _apply_exclusive_bounds(converted)
        if strict and "properties" in converted and not converted.get("x-kubernetes-preserve-unknown-fields"):
            converted.setdefault("additionalProperties", False)

    return _walk(node, fix, _DROPPED)


def _apply_int_or_string(node: dict[str, Any]) -> None:
    if node.get("format") == "int-or-string":
        node.pop("format")
    elif node.get("x-kubernetes-int-or-string") is not True or "anyOf" in node or "oneOf" in node:
        return
    node.pop("type", None)
    node.setdefault("anyOf", [dict(option) for option in _INT_OR_STRING])


def _apply_nullable(node: dict[str, Any]) -> None:
    if node.get("nullable") is not True:
        return
    if isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    if isinstance(node.get("enum"), list) and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]
    for keyword in ("anyOf", "oneOf"):  # e.g. int-or-string: `anyOf: [string, integer]`
        if isinstance(node.get(keyword), list):
            node[keyword] = [*node[keyword], {"type": "null"}]


def with_numeric_exclusive_bounds(node: Any) -> Any:
    """A draft 4 schema (boolean `exclusiveMinimum`) made readable as draft 2020-12: used for
    JSON schema files without `$schema`, which kubeconform compiles as draft 4."""
    return _walk(node, _apply_exclusive_bounds)


def _apply_exclusive_bounds(node: dict[str, Any]) -> None:
    # OpenAPI 3.0 (CRDs) writes `minimum: 0, exclusiveMinimum: true`, as draft 4 does (the draft
    # kubeconform compiles converted CRDs with); draft 2020-12 wants `exclusiveMinimum: 0`.
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if isinstance(node.get(exclusive), bool):
            if node.pop(exclusive) and bound in node:
                node[exclusive] = node.pop(bound)

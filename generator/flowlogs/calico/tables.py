"""Per-version Calico Enterprise facts for the flowlogs compiler (L7 logs).

One data file per version (``data/calico-enterprise-<version>.yaml``, each naming its upstream
sources): which ApplicationLayer fields the version's CRD has, the Felix L7 fields with their
defaults and allowed values, how traffic is selected, and the documented limits. This module
loads them into read-only, typed tables.

    >>> t = load_tables("3.20")
    >>> t.felix_fields["l7LogsFlushInterval"].default, t.has_sidecar_injection
    ('300s', True)
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..datafiles import load_version_file, supported_version
from ..go_duration import parse_duration
from .defaults import SUPPORTED_VERSIONS

_DATA_DIR = Path(__file__).resolve().parent / "data"
_FIELD_TYPES = ("string", "duration", "boolean", "integer", "enum")


@dataclass(frozen=True)
class FelixField:
    """One FelixConfiguration spec field flowlogs may set."""

    name: str  # "l7LogsFileAggregationTrimURL"
    type: str  # string | duration | boolean | integer | enum
    default: Any  # Felix's default when the field is unset
    values: tuple[str, ...] = ()  # allowed values of an enum, canonical spelling

    def is_default(self, value: Any) -> bool:
        """Whether Felix reads `value` as its default: a duration by its length ("5m" is 300s)."""
        if self.type == "duration":
            return parse_duration(str(value)) == parse_duration(str(self.default))
        return bool(value == self.default)


@dataclass(frozen=True)
class Rollout:
    """A workload whose rollout the guide waits for (`kubectl rollout status`)."""

    kind: str  # Deployment | DaemonSet
    namespace: str
    name: str


@dataclass(frozen=True)
class Sidecar:
    """CE 3.20+ sidecar selection: the pod-template label and annotation."""

    label: tuple[str, str]
    annotation: tuple[str, str]
    min_kubernetes: tuple[int, int]
    webhook_state: str  # ApplicationLayer status.sidecarWebhook once the webhook exists
    wait_for: tuple[Rollout, ...]  # rolled out before workloads are selected


@dataclass(frozen=True)
class CalicoTables:
    version: str
    application_layer_name: str
    application_layer_api_version: str  # "operator.tigera.io/v1"
    application_layer_ready_state: str  # status.state once the operator's components are available
    application_layer_ready_condition: str  # status.conditions type: everything deployed is available
    application_layer_degraded_condition: str
    application_layer_fields: frozenset[str]
    log_collection_defaults: Mapping[str, Any]
    collector_containers: tuple[str, ...]
    felix_fields: Mapping[str, FelixField]
    operator_sets: Mapping[str, str]
    service_annotation: tuple[str, str]
    service_annotation_documented: bool
    sidecar: Sidecar | None
    unsupported_platforms: Mapping[str, str]
    gb_per_node_per_day: int
    l7_retention_days: int
    collector_l7_directory: str  # where the one L7 log file the log collector (fluentd) tails is

    @property
    def has_sidecar_injection(self) -> bool:
        return "sidecarInjection" in self.application_layer_fields and self.sidecar is not None


def load_tables(version: str) -> CalicoTables:
    """The tables of a supported Calico Enterprise minor version ("3.19", "3.20")."""
    return _load(supported_version("Calico Enterprise", version, SUPPORTED_VERSIONS))


@functools.cache
def _load(version: str) -> CalicoTables:
    path = _DATA_DIR / f"calico-enterprise-{version}.yaml"
    return load_version_file(path, "Calico Enterprise tables", version, _build)


def _build(version: str, raw: dict[str, Any]) -> CalicoTables:
    layer = raw["application_layer"]
    fields: dict[str, FelixField] = {}
    for name, spec in raw["felix"]["fields"].items():
        if spec["type"] not in _FIELD_TYPES:
            raise ValueError(f"felix field {name}: unknown type {spec['type']!r}")
        values = tuple(str(v) for v in spec.get("values", ()))
        if spec["type"] == "enum" and spec["default"] not in values:
            raise ValueError(f"felix field {name}: default {spec['default']!r} is not one of its values")
        fields[name] = FelixField(name, spec["type"], spec["default"], values)
    selection = raw["traffic_selection"]
    annotation = selection["service_annotation"]
    sidecar = None
    if selection.get("sidecar"):
        s = selection["sidecar"]
        major, minor = (int(p) for p in str(s["min_kubernetes"]).split("."))
        sidecar = Sidecar(
            (s["label"]["key"], str(s["label"]["value"])),
            (s["annotation"]["key"], str(s["annotation"]["value"])),
            (major, minor),
            str(s["webhook_state"]),
            tuple(Rollout(str(r["kind"]), str(r["namespace"]), str(r["name"])) for r in s["wait_for"]),
        )
    return CalicoTables(
        version=version,
        application_layer_name=str(layer["name"]),
        application_layer_api_version=str(layer["api_version"]),
        application_layer_ready_state=str(layer["ready_state"]),
        application_layer_ready_condition=str(layer["ready_condition"]),
        application_layer_degraded_condition=str(layer["degraded_condition"]),
        application_layer_fields=frozenset(layer["spec_fields"]),
        log_collection_defaults=MappingProxyType(dict(layer["log_collection_defaults"])),
        collector_containers=tuple(layer["collector_containers"]),
        felix_fields=MappingProxyType(fields),
        operator_sets=MappingProxyType({str(k): str(v) for k, v in raw["felix"]["operator_sets"].items()}),
        service_annotation=(str(annotation["key"]), str(annotation["value"])),
        service_annotation_documented=bool(annotation["documented"]),
        sidecar=sidecar,
        unsupported_platforms=MappingProxyType(
            {str(k): " ".join(str(v).split()) for k, v in (raw["unsupported_platforms"] or {}).items()}
        ),
        gb_per_node_per_day=int(raw["log_storage"]["gb_per_node_per_day"]),
        l7_retention_days=int(raw["log_storage"]["l7_retention_days"]),
        collector_l7_directory=str(raw["log_collector"]["l7_log_file"]).rsplit("/", 1)[0],
    )

"""Per-version Cilium lookup tables for the flowlogs compiler.

The compiler turns the plain words of a profile (``verdict: dropped``, ``drop-reason: policy-deny``,
``event-type: drop``, ``identity: world``) into the exact names and codes that Hubble's dynamic
flow-log exporter of a given Cilium version understands. The facts live in one data file per
version (``data/cilium-<version>.yaml``, each naming its upstream sources); this module loads them
into read-only, typed tables.

    >>> t = load_tables("1.18")
    >>> t.event_types["drop"], t.drop_reasons["policy-deny"].enum, t.verdicts["dropped"]
    (1, 'POLICY_DENY', 'DROPPED')
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeVar, cast, get_args

from ..datafiles import load_version_file, supported_version
from .defaults import DEFAULT_CONFIGMAP_NAME, DEFAULT_FILE_PATH, SUPPORTED_VERSIONS

_DATA_DIR = Path(__file__).resolve().parent / "data"
T = TypeVar("T")

# flow.proto TCPFlags fields (the same in every supported version).
TCP_FLAGS = ("FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS")
# Whether a version has the fieldMask oneof copy bug cilium/cilium#43924 (see the data files).
CopyBugStatus = Literal["affected", "fixed", "unverified"]


@dataclass(frozen=True)
class DropReason:
    """One flow.proto DropReason (code >= 130, DropMin)."""

    name: str  # plain name, "policy-deny"
    code: int  # 181
    enum: str  # "POLICY_DENY"
    description: str  # drop.go message, "Policy denied by denylist"
    deprecated: bool  # marked deprecated (unused) upstream


@dataclass(frozen=True)
class FilterField:
    """One field of flow.FlowFilter."""

    name: str  # proto name "source_pod"
    json_name: str  # "sourcePod"
    type: str  # "repeated string", "repeated EventTypeFilter", "Experimental", ...


@dataclass(frozen=True)
class CiliumTables:
    """Everything the compiler needs to know about one Cilium minor version."""

    version: str
    sources: tuple[str, ...]
    event_types: Mapping[str, int]
    trace_observation_points: Mapping[str, int]
    agent_notifications: Mapping[str, int]
    drop_reasons: Mapping[str, DropReason]
    drop_reasons_by_code: Mapping[int, DropReason]
    drop_reasons_by_enum: Mapping[str, DropReason]
    verdicts: Mapping[str, str]
    traffic_directions: Mapping[str, str]
    ip_versions: Mapping[str, str]
    reserved_identities: Mapping[str, int]
    filter_fields: Mapping[str, FilterField]
    # The fields of FlowFilter's messages and their proto types: "EventTypeFilter" -> {"type": "int32", ...}
    nested_fields: Mapping[str, Mapping[str, str]]
    filter_protocols: tuple[str, ...]  # FlowFilter.protocol values (lower case)
    fieldmask_paths: frozenset[str]
    # Flow fields flow.proto deprecates -> the field to use instead (None: none).
    fieldmask_deprecated: Mapping[str, str | None]
    # Oneof groups among the fieldMask paths: parent path -> variant fields ("l4" -> TCP, UDP, ...).
    fieldmask_oneofs: Mapping[str, tuple[str, ...]]
    fieldmask_oneof_copy_bug: CopyBugStatus
    flowlog_keys: tuple[str, ...]
    per_flowlog_rotation: bool
    rotation_defaults: Mapping[str, int | bool]
    helm_export_keys: frozenset[str]
    # filePath "stdout" (the literal word) writes to the agent's stdout without rotation.
    literal_stdout: bool
    # Why /dev/stdout is risky; "{size}" stands for the rotation size in MB.
    dev_stdout_hint: str
    # 1.19+: fieldAggregate / aggregationInterval per flow log; the chart's default interval.
    aggregation: bool
    aggregation_default_interval: str | None
    # What Cilium's chart writes into its agent's ConfigMap (`flowlogs status` compares it):
    # its name, the dynamic exporter's file path, and hubble.export value -> cilium-config key.
    agent_config_map: str
    flowlogs_config_path: str
    agent_config_keys: Mapping[str, str]

    def sub_types_for(self, event_type_code: int) -> Mapping[str, int]:
        """Words for EventTypeFilter.sub_type of an event type: drop -> drop reasons,
        trace -> observation points, agent -> agent notifications; {} for the others."""
        if event_type_code == self.event_types["drop"]:
            return MappingProxyType({name: r.code for name, r in self.drop_reasons.items()})
        if event_type_code == self.event_types["trace"]:
            return self.trace_observation_points
        if event_type_code == self.event_types["agent"]:
            return self.agent_notifications
        return MappingProxyType({})


def load_tables(version: str) -> CiliumTables:
    """The tables of a supported Cilium minor version ("1.16" ... "1.19")."""
    return _load(supported_version("Cilium", version, SUPPORTED_VERSIONS))


def first_version_with(has: Callable[[CiliumTables], bool]) -> str | None:
    """The oldest supported version whose tables have a feature, for hints such as
    "cluster names arrived with Cilium 1.17"; None if no supported version has it."""
    return next((v for v in SUPPORTED_VERSIONS if has(load_tables(v))), None)


def arrived_hint(what: str, has: Callable[[CiliumTables], bool]) -> str:
    """ "<what> arrived with Cilium <v>", from the tables (or that no supported version has it)."""
    version = first_version_with(has)
    return (
        f"{what} arrived with Cilium {version}"
        if version
        else f"no supported Cilium version ({', '.join(SUPPORTED_VERSIONS)}) has {what}"
    )


def since(has: Callable[[CiliumTables], bool]) -> str:
    """ "Cilium 1.17+" for a feature, from the tables (for descriptions of words that need a newer version)."""
    return f"Cilium {first_version_with(has)}+"


def has_filter_field(name: str) -> Callable[[CiliumTables], bool]:
    return lambda tables: name in tables.filter_fields


def drop_reason_name(enum: str) -> str:
    """The plain word for a DropReason enum name: POLICY_DENY -> policy-deny."""
    return enum.lower().replace("_", "-")


@functools.cache
def _load(version: str) -> CiliumTables:
    return load_version_file(_DATA_DIR / f"cilium-{version}.yaml", "Cilium tables", version, _build)


def _build(version: str, raw: dict[str, Any]) -> CiliumTables:
    reasons = [
        DropReason(
            name=drop_reason_name(entry["enum"]),
            code=_int(code),
            enum=str(entry["enum"]),
            description=str(entry["description"]),
            deprecated=bool(entry.get("deprecated", False)),
        )
        for code, entry in sorted(raw["drop_reasons"].items())
    ]

    filter_fields = {
        name: FilterField(name=name, json_name=str(f["json_name"]), type=str(f["type"]))
        for name, f in raw["filter_fields"].items()
    }
    _unique("filter field json name", (f.json_name for f in filter_fields.values()))

    helm = raw["helm"]
    for key, ours in (("default_file_path", DEFAULT_FILE_PATH), ("default_configmap_name", DEFAULT_CONFIGMAP_NAME)):
        if helm[key] != ours:
            raise ValueError(f"helm.{key} {helm[key]!r} != {ours!r}")

    fieldmask_paths = frozenset(str(p) for p in _unique("fieldMask path", raw["fieldmask_paths"]))
    aggregation = _bool("aggregation", raw.get("aggregation", False))
    flowlog_keys = tuple(str(k) for k in raw["flowlog_keys"])
    if aggregation != ("fieldAggregate" in flowlog_keys and "aggregationInterval" in flowlog_keys):
        raise ValueError(
            "aggregation must be true exactly when flowlog_keys has fieldAggregate and aggregationInterval"
        )

    rotation_defaults = {str(k): v for k, v in raw["rotation_defaults"].items()}
    for k, v in rotation_defaults.items():
        if not isinstance(v, (int, bool)):
            raise ValueError(f"rotation_defaults.{k} must be an integer or a boolean")

    return CiliumTables(
        version=version,
        sources=tuple(str(s) for s in raw["sources"]),
        event_types=_table("event_types code", raw["event_types"], _int),
        trace_observation_points=_table("trace_observation_points code", raw["trace_observation_points"], _int),
        agent_notifications=_table("agent_notifications code", raw["agent_notifications"], _int),
        drop_reasons=_ro({r.name: r for r in reasons}, "drop reason name", len(reasons)),
        drop_reasons_by_code=_ro({r.code: r for r in reasons}, "drop reason code", len(reasons)),
        drop_reasons_by_enum=_ro({r.enum: r for r in reasons}, "drop reason enum", len(reasons)),
        verdicts=_table("verdicts name", raw["verdicts"], str),
        traffic_directions=_table("traffic_directions name", raw["traffic_directions"], str),
        ip_versions=_table("ip_versions name", raw["ip_versions"], str),
        reserved_identities=_table("reserved_identities code", raw["reserved_identities"], _int),
        filter_fields=MappingProxyType(filter_fields),
        nested_fields=MappingProxyType(
            {
                str(msg): MappingProxyType({str(f): str(ty) for f, ty in fields.items()})
                for msg, fields in raw["nested_fields"].items()
            }
        ),
        filter_protocols=tuple(str(p) for p in _unique("filter protocol", raw["filter_protocols"])),
        fieldmask_paths=fieldmask_paths,
        fieldmask_deprecated={str(k): (None if v is None else str(v)) for k, v in raw["fieldmask_deprecated"].items()},
        fieldmask_oneofs=_oneofs(raw["fieldmask_oneofs"], fieldmask_paths),
        fieldmask_oneof_copy_bug=_copy_bug(raw["fieldmask_oneof_copy_bug"]),
        flowlog_keys=tuple(_unique("flowlog key", raw["flowlog_keys"])),
        per_flowlog_rotation=_bool("per_flowlog_rotation", raw["per_flowlog_rotation"]),
        rotation_defaults=MappingProxyType(rotation_defaults),
        helm_export_keys=frozenset(_unique("helm export key", helm["export_keys"])),
        agent_config_map=str(helm["agent_config_map"]),
        flowlogs_config_path=str(helm["flowlogs_config_path"]),
        agent_config_keys=MappingProxyType({str(k): str(v) for k, v in helm["config_keys"].items()}),
        literal_stdout=_bool("literal_stdout", raw["literal_stdout"]),
        dev_stdout_hint=str(raw["dev_stdout_hint"]),
        aggregation=aggregation,
        aggregation_default_interval=str(raw["aggregation_default_interval"]) if aggregation else None,
    )


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not an integer")
    return value


def _bool(what: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be true or false")
    return value


def _oneofs(table: Mapping[str, object], paths: frozenset[str]) -> Mapping[str, tuple[str, ...]]:
    result: dict[str, tuple[str, ...]] = {}
    for parent, variants in table.items():
        if not isinstance(variants, list):
            raise ValueError(f"fieldmask_oneofs.{parent} must be a list")
        result[str(parent)] = tuple(str(v) for v in variants)
        missing = [f"{parent}.{v}" for v in result[str(parent)] if f"{parent}.{v}" not in paths]
        if parent not in paths or missing:
            raise ValueError(
                f"fieldmask_oneofs.{parent} names paths that are not fieldMask paths: {missing or [parent]}"
            )
    return MappingProxyType(result)


def _copy_bug(value: object) -> CopyBugStatus:
    if value not in get_args(CopyBugStatus):
        raise ValueError(f"fieldmask_oneof_copy_bug must be one of {', '.join(get_args(CopyBugStatus))}")
    return cast(CopyBugStatus, value)


def _table(what: str, table: Mapping[str, object], value: Callable[[object], T]) -> Mapping[str, T]:
    """word -> value, in file order; words and values must both be unique."""
    result = {str(word): value(v) for word, v in table.items()}
    _unique(what, result.values())
    return MappingProxyType(result)


def _unique(what: str, values: Iterable[Any]) -> list[Any]:
    out = list(values)
    if len(set(out)) < len(out):
        raise ValueError(f"duplicate {what} {next(v for i, v in enumerate(out) if v in out[:i])!r}")
    return out


def _ro(mapping: dict[Any, DropReason], what: str, expected: int) -> Mapping[Any, DropReason]:
    if len(mapping) != expected:
        raise ValueError(f"duplicate {what}")
    return MappingProxyType(mapping)

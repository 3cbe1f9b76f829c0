"""The flow.Flow message of each Cilium version, as data (``data/flow-<version>.yaml``), and what
is derived from it: a protobuf descriptor pool (for type-checking CEL filters the way the agent
does).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..datafiles import load_version_file, supported_version
from .defaults import SUPPORTED_VERSIONS

if TYPE_CHECKING:
    from google.protobuf import descriptor_pool  # type: ignore[import-untyped]

_DATA_DIR = Path(__file__).resolve().parent / "data"

# protobuf's modules of the well-known types flow.proto imports (google/protobuf/{any,timestamp,wrappers}.proto).
_WELL_KNOWN_MODULES = ("any_pb2", "timestamp_pb2", "wrappers_pb2")
# Scalar types of flow.proto, by FieldDescriptorProto's TYPE_ name.
_SCALARS = ("double", "float", "int64", "uint64", "int32", "uint32", "bool", "string", "bytes")


@dataclass(frozen=True)
class FlowField:
    name: str
    number: int
    type: str  # "string", "Endpoint", "google.protobuf.Timestamp", "Tunnel.Protocol"
    repeated: bool
    oneof: str | None


@dataclass(frozen=True)
class FlowSchema:
    version: str
    source: str
    messages: Mapping[str, tuple[FlowField, ...]]
    enums: Mapping[str, Mapping[str, int]]


@functools.cache
def load_flow_schema(version: str) -> FlowSchema:
    path = _DATA_DIR / f"flow-{supported_version('Cilium', version, SUPPORTED_VERSIONS)}.yaml"
    return load_version_file(path, "Flow message schema", version, _build)


def _build(version: str, raw: dict[str, Any]) -> FlowSchema:
    messages: dict[str, tuple[FlowField, ...]] = {}
    for message, fields in raw["messages"].items():
        parsed = []
        for name, spec in fields.items():
            type_text = str(spec["type"])
            parsed.append(
                FlowField(
                    name=str(name),
                    number=int(spec["number"]),
                    type=type_text.removeprefix("repeated "),
                    repeated=type_text.startswith("repeated "),
                    oneof=str(spec["oneof"]) if "oneof" in spec else None,
                )
            )
        messages[str(message)] = tuple(parsed)
    enums = {
        str(e): MappingProxyType({str(k): int(v) for k, v in values.items()}) for e, values in raw["enums"].items()
    }
    return FlowSchema(version, str(raw["version_source"]), MappingProxyType(messages), MappingProxyType(enums))


@functools.cache
def descriptor_pool_for(version: str) -> descriptor_pool.DescriptorPool:
    """A pool holding flow/flow.proto (the messages reachable from flow.Flow) of ``version``.

    protobuf is imported here: only the CEL checker (the `cel` extra, which installs it) needs it."""
    from google.protobuf import descriptor_pb2, descriptor_pool

    schema = load_flow_schema(version)
    pool = descriptor_pool.DescriptorPool()
    well_known = sorted(
        (importlib.import_module(f"google.protobuf.{module}").DESCRIPTOR for module in _WELL_KNOWN_MODULES),
        key=lambda d: d.name,
    )
    for descriptor in well_known:
        proto = descriptor_pb2.FileDescriptorProto()
        descriptor.CopyToProto(proto)
        pool.Add(proto)
    file = descriptor_pb2.FileDescriptorProto(name="flow/flow.proto", package="flow", syntax="proto3")
    file.dependency.extend(d.name for d in well_known)
    nested: dict[str, descriptor_pb2.DescriptorProto] = {}
    for message, fields in schema.messages.items():
        proto = file.message_type.add(name=message)
        nested[message] = proto
        oneofs: list[str] = []
        for f in fields:
            field = proto.field.add(name=f.name, number=f.number, json_name=json_name(f.name))
            field.label = field.LABEL_REPEATED if f.repeated else field.LABEL_OPTIONAL
            if f.type in _SCALARS:
                field.type = getattr(field, f"TYPE_{f.type.upper()}")
            elif f.type in schema.enums:
                field.type, field.type_name = field.TYPE_ENUM, f".flow.{f.type}"
            else:
                field.type = field.TYPE_MESSAGE
                field.type_name = f".{f.type}" if f.type.startswith("google.protobuf.") else f".flow.{f.type}"
            if f.oneof is not None:
                if f.oneof not in oneofs:
                    oneofs.append(f.oneof)
                    proto.oneof_decl.add(name=f.oneof)
                field.oneof_index = oneofs.index(f.oneof)
    for enum, values in schema.enums.items():
        outer, _, inner = enum.rpartition(".")
        target = nested[outer].enum_type.add(name=inner) if outer else file.enum_type.add(name=enum)
        for name, number in values.items():
            target.value.add(name=name, number=number)
    pool.Add(file)
    return pool


def json_name(proto_name: str) -> str:
    """protoc's default JSON name of a field (protobuf reflect/protoreflect JSONName): underscores
    removed, the next letter upper-cased."""
    head, *rest = proto_name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)

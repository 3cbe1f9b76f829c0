"""The fieldMask paths protobuf-go accepts, walked from a version's Flow message table (to
cross-check the tables' ``fieldmask_paths``)."""

from __future__ import annotations

from flowlogs.cilium.flow_schema import FlowSchema

# Sub-fields of the well-known types (for fieldMask paths below them).
_WELL_KNOWN_FIELDS = {
    "google.protobuf.Timestamp": (("seconds", "int64"), ("nanos", "int32")),
    "google.protobuf.BoolValue": (("value", "bool"),),
    "google.protobuf.UInt32Value": (("value", "uint32"),),
    "google.protobuf.Any": (("type_url", "string"), ("value", "bytes")),
}


def fieldmask_paths_of(schema: FlowSchema) -> frozenset[str]:
    """Every path protobuf-go's fieldmaskpb.New(&flowpb.Flow{}, path) accepts (numValidPaths in
    google.golang.org/protobuf/types/known/fieldmaskpb/field_mask.pb.go): field names joined by
    dots through singular message fields; a repeated field ends the path."""
    paths: set[str] = set()

    def walk(message: str, prefix: str) -> None:
        fields: tuple[tuple[str, str, bool], ...]
        if message in _WELL_KNOWN_FIELDS:
            fields = tuple((n, t, False) for n, t in _WELL_KNOWN_FIELDS[message])
        else:
            fields = tuple((f.name, f.type, f.repeated) for f in schema.messages[message])
        for name, type_name, repeated in fields:
            path = prefix + name
            paths.add(path)
            if not repeated and (type_name in schema.messages or type_name in _WELL_KNOWN_FIELDS):
                walk(type_name, path + ".")

    walk("Flow", "")
    return frozenset(paths)

"""Read captured flows: JSON lines of Flow objects or of `{"flow": {...}, ...}` envelopes.

Accepted as `hubble observe -o jsonpb` writes them (protojson: lowerCamelCase JSON names, enum
names) and as the exporter writes them (protojson with UseProtoNames: `node_name`, `drop_reason_desc`).
Every event is turned into proto names once, so predicates and the field mask read one spelling.
Files are streamed line by line (`-` is stdin, `*.gz` is decompressed on the fly): memory does
not grow with the file.
"""

from __future__ import annotations

import functools
import gzip
import io
import os
import re
import stat
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from ...datafiles import load_data_file
from ...errors import FlowlogsError
from ..flow_schema import json_name, load_flow_schema
from ..protojson import value_kind

_PROTO_TABLE = Path(__file__).resolve().parent / "flow_proto.yaml"

# ExportEvent / GetFlowsResponse oneof members (observer.proto); "flow" is the one filters see.
EVENT_KINDS = ("flow", "node_status", "lost_events", "agent_event", "debug_event")


@dataclass(frozen=True)
class ProtoFacts:
    json_to_proto: dict[str, str]  # "nodeName" -> "node_name", only names that differ
    enums: dict[str, dict[str, int]]  # "Verdict" -> {"DROPPED": 2, ...}

    def enum_name(self, enum: str, value: object) -> str:
        """An enum value as protojson may write it (name or number) -> its name."""
        if isinstance(value, int) and not isinstance(value, bool):
            return next((name for name, number in self.enums[enum].items() if number == value), str(value))
        return str(value)


@functools.cache
def proto_facts() -> ProtoFacts:
    raw = load_data_file(_PROTO_TABLE)
    names = [str(n) for n in raw["multiword_fields"]]
    return ProtoFacts(
        json_to_proto={json_name(n): n for n in names},
        enums={str(k): {str(n): int(v) for n, v in values.items()} for k, values in raw["enums"].items()},
    )


@dataclass(slots=True, eq=False)
class FlowEvent:
    """One input line: its number, the event kind, the flow (proto names; {} for other kinds)."""

    line: int
    kind: str
    flow: dict[str, Any]
    payload: dict[str, Any]  # the non-flow event (agent_event, ...), proto names
    node_name: str
    time: str
    size: int  # bytes of the input line, newline included


def _to_proto_names(value: dict[str, Any], table: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        kind = type(item)
        if kind is dict:
            item = _to_proto_names(item, table)
        elif kind is list and item and type(item[0]) is dict:
            item = [_to_proto_names(x, table) if type(x) is dict else x for x in item]
        out[table.get(key, key)] = item
    return out


def _needs_renaming(obj: dict[str, Any], table: dict[str, str]) -> bool:
    for key in obj:
        if key in table:
            return True
        if "_" in key:
            return False  # a proto name with an underscore: written with UseProtoNames
    return True  # no telling from the top level: rename (a no-op on proto names)


def _open(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        if stat.S_ISDIR(mode := os.stat(path).st_mode) or stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            # A pipe is a stream of flows (`--flows <(hubble observe -o json)`); a device is not (/dev/zero never ends a
            # line).
            raise FlowlogsError(f"cannot read flows from {path}: a directory or device, not a file or pipe")
        if path.endswith(".gz"):
            return io.BufferedReader(_GzipReader(path, open(path, "rb")))  # noqa: SIM115 - closed with the reader
        return open(path, "rb", buffering=READ_BUFFER)  # noqa: SIM115 - closed by FlowLines
    except OSError as error:
        raise FlowlogsError(f"cannot read flows from {path}: {error.strerror}") from error


# Bytes read from a file at a time. Python's default, the file system's block (4 KiB), cost preview
# 0.06 s of CPU in system calls per 200 MiB of flows; a pipe still hands on each line as it comes.
READ_BUFFER = 1024 * 1024
# A flow is a few KB of JSON (hubble's largest, an L7 flow with headers, is under 64 KB); a line
# of a GB (a .gz of one line) would be read whole into memory.
MAX_LINE_BYTES = 1024 * 1024
# What a .gz may expand to. JSON flows compress 10 to 30 times; gzip's ceiling is about 1000
# (4 MB of newlines once expanded to 4 GiB and ran on): past its first 64 KiB, data expanding
# more than GZIP_RATIO times what was read of the file is refused at once, and nothing past
# MAX_GZIP_BYTES is read. FLOWLOGS_MAX_FLOWS_BYTES sets that limit and lifts the ratio.
MAX_GZIP_BYTES = 2 * 1024 * 1024 * 1024
GZIP_RATIO = 100
_GZIP_FLOOR = 64 * 1024
_GZIP_VARIABLE = "FLOWLOGS_MAX_FLOWS_BYTES"
_GZIP_CHUNK = 512  # compressed bytes per read: a bomb (4 MB out of 4 KB) is seen within its first KB


def _gzip_limit() -> tuple[int, bool]:
    """The byte limit, and whether the ratio applies (not when the variable sets the limit)."""
    raw = os.environ.get(_GZIP_VARIABLE, "")
    if raw.isdigit() and int(raw) > 0:
        return int(raw), False
    return MAX_GZIP_BYTES, True


class _GzipReader(io.RawIOBase):
    """gzip data (one member or several) decompressed with zlib, counting what goes in and out:
    a decompression bomb is stopped after a few KiB of input, not after its gigabytes."""

    def __init__(self, path: str, compressed: IO[bytes]) -> None:
        self.path, self.compressed = path, compressed
        self.limit, self.by_ratio = _gzip_limit()
        self.inflater = zlib.decompressobj(wbits=31)
        self.pending = b""  # compressed bytes not yet given to the inflater
        self.read_in = self.given_out = 0
        self.started = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while True:
            if self.inflater.eof:  # a member ended: what follows it starts the next one
                self.pending = self.inflater.unused_data
                self.inflater = zlib.decompressobj(wbits=31)
                self.started = False
            if not self.pending:
                self.pending = self.compressed.read(_GZIP_CHUNK)
                self.read_in += len(self.pending)
                if not self.pending:
                    if self.started:
                        raise EOFError("compressed file ended before the end-of-stream marker was reached")
                    return 0
            self.started = True
            data = self.inflater.decompress(self.pending, len(buffer))
            self.pending = self.inflater.unconsumed_tail
            if data:
                self._count(len(data))
                buffer[: len(data)] = data
                return len(data)

    def _count(self, size: int) -> None:
        self.given_out += size
        if self.given_out > self.limit:
            raise FlowlogsError(
                f"{self.path}: the gzip data expands to more than {self.limit} bytes; set {_GZIP_VARIABLE} to a larger "
                "number of bytes if these are flows"
            )
        if self.by_ratio and self.given_out > _GZIP_FLOOR and self.given_out > GZIP_RATIO * self.read_in:
            raise FlowlogsError(
                f"{self.path}: the gzip data expands more than {GZIP_RATIO} times (flows compress 10 to 30 times): "
                f"a decompression bomb? set {_GZIP_VARIABLE} to a number of bytes to read it anyway"
            )

    def close(self) -> None:
        self.compressed.close()
        super().close()


class FlowLines:
    """(1-based line number, line) of a JSON-lines file, read as iterated; close() when done.
    Blank lines are left to the reader (run_preview skips them). A line longer than
    MAX_LINE_BYTES, a .gz expanding past its limits or broken gzip data is a FlowlogsError
    naming the file and line."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.stream = _open(path)

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        readline = self.stream.readline
        limit = MAX_LINE_BYTES
        number = 0
        try:
            while line := readline(limit + 1):
                number += 1
                if len(line) > limit and not line.endswith(b"\n"):
                    raise FlowlogsError(
                        f"{self.path}:{number}: a line longer than {limit} bytes: not a flow (a flow is a JSON object "
                        "of a few KB)"
                    )
                yield number, line
        except (gzip.BadGzipFile, EOFError, zlib.error) as error:
            raise FlowlogsError(f"{self.path}: broken gzip data after line {number}: {error}") from None

    def close(self) -> None:
        if self.stream is not sys.stdin.buffer:
            self.stream.close()

    def __enter__(self) -> FlowLines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def event_from_object(obj: Any, number: int, size: int, table: dict[str, str]) -> FlowEvent | None:
    """A parsed line as an event in proto names; None when it is not a JSON object."""
    if not isinstance(obj, dict):
        return None
    flow = obj.get("flow")
    if flow is not None and "node_name" in obj and isinstance(flow, dict):
        # The exporter's own lines (proto names): the common case, no renaming.
        return FlowEvent(number, "flow", flow, _NO_PAYLOAD, obj["node_name"], obj.get("time", ""), size)
    for kind, spelled in _EVENT_KEYS:
        body = obj.get(kind)
        if not isinstance(body, dict):
            body = obj.get(spelled)
        if isinstance(body, dict):
            break
    else:
        # A bare Flow (hubble observe -o jsonpb --print-raw... or a flow dump): the object itself.
        kind, body = "flow", obj
        if _needs_renaming(obj, table):
            body = _to_proto_names(obj, table)
        return FlowEvent(
            number, kind, body, _NO_PAYLOAD, _string(body.get("node_name") or ""), _string(body.get("time") or ""), size
        )
    if _needs_renaming(obj, table) or _needs_renaming(body, table):
        obj = _to_proto_names(obj, table)
        body = obj[kind]
    flow = body if kind == "flow" else {}
    node = obj.get("node_name") or flow.get("node_name") or ""
    time = obj.get("time") or flow.get("time") or ""
    return FlowEvent(number, kind, flow, body if kind != "flow" else _NO_PAYLOAD, _string(node), _string(time), size)


def _string(value: Any) -> str:
    """A proto string or Timestamp as protojson writes it: a JSON string. Anything else raises
    TypeError, which the engine turns into an error naming the line (flow_type_error)."""
    if type(value) is not str:
        raise TypeError("not a JSON string")
    return value


_NO_PAYLOAD: dict[str, Any] = {}
_EVENT_KEYS = tuple((kind, json_name(kind)) for kind in EVENT_KINDS)  # proto and JSON names


# protojson's JSON forms of each scalar type (google.golang.org/protobuf/encoding/protojson,
# decode.go unmarshalScalar): 64-bit and 32-bit integers as numbers or decimal strings, floats
# as numbers or "NaN"/"Infinity"/"-Infinity", bytes as base64 text; null is any field's default.
_INTEGERS = frozenset(
    {"int32", "uint32", "int64", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64"}
)
_WELL_KNOWN_JSON = {
    "google.protobuf.Timestamp": (str, "an RFC 3339 time string"),
    "google.protobuf.BoolValue": (bool, "true or false"),
    "google.protobuf.UInt32Value": (int, "a number"),
    "google.protobuf.Any": (dict, "a JSON object"),
}
# protojson's Timestamp: RFC 3339 with an upper-case T and Z or an offset, up to 9 fractional digits.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2})\Z"
)
# The envelope of an exported or observed flow (observer.proto ExportEvent / GetFlowsResponse).
_ENVELOPE = {"time": "google.protobuf.Timestamp", "node_name": "string", "flow": "Flow"}


def _scalar_problem(value: Any, type_name: str, enums: Any) -> str | None:
    """What a value of a singular field should have been, or None when protojson reads it."""
    if value is None:
        return None
    if type_name in _WELL_KNOWN_JSON:
        kind, wanted = _WELL_KNOWN_JSON[type_name]
        ok = isinstance(value, kind) and (kind is not int or not isinstance(value, bool))
        if ok and type_name == "google.protobuf.Timestamp":
            ok = _RFC3339.match(value) is not None
        return None if ok else wanted
    if type_name in enums:
        return (
            None
            if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
            else f"a {type_name} name or number"
        )
    if type_name in _INTEGERS:
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        if isinstance(value, float) and value.is_integer():
            return None
        if isinstance(value, str) and value.strip("-").isdigit():
            return None
        return "an integer (a number or a decimal string)"
    if type_name in ("double", "float"):
        return (
            None
            if (isinstance(value, (int, float)) and not isinstance(value, bool))
            or value in ("NaN", "Infinity", "-Infinity")
            else "a number"
        )
    if type_name in ("string", "bytes"):
        return None if isinstance(value, str) else ("a string" if type_name == "string" else "a base64 string")
    if type_name == "bool":
        return None if isinstance(value, bool) else "true or false"
    return None if isinstance(value, dict) else f"a JSON object ({type_name})"


def flow_type_problem(obj: Any, version: str) -> str | None:
    """The first field of a parsed line whose JSON type protojson would reject for flow.Flow of
    Cilium `version` (its messages from data/flow-<version>.yaml), as "path: is X, must be Y";
    None when every known field has its type. Unknown fields are left alone."""
    schema = load_flow_schema(version)
    table = proto_facts().json_to_proto
    fields_of = {name: {f.name: f for f in fields} for name, fields in schema.messages.items()}

    def walk(value: Any, message: str, path: str) -> str | None:
        if not isinstance(value, dict):
            return f"{path}: is {value_kind(value, 'a JSON object')}, must be a JSON object ({message})"
        known = fields_of.get(message, {})
        for key, item in value.items():
            field = known.get(table.get(key) or key)
            if field is None or item is None:
                continue
            at = f"{path}.{key}" if path else key
            if field.repeated:
                if not isinstance(item, list):
                    return f"{at}: is {value_kind(item, 'a JSON object')}, must be a list"
                items = [(f"{at}[{index}]", element) for index, element in enumerate(item)]
            else:
                items = [(at, item)]
            for where, element in items:
                if field.type in fields_of:
                    problem = walk(element, field.type, where)
                    if problem:
                        return problem
                else:
                    wanted = _scalar_problem(element, field.type, schema.enums)
                    if wanted:
                        return f"{where}: is {value_kind(element, 'a JSON object')}, must be {wanted}"
        return None

    if not isinstance(obj, dict):
        return f"is {value_kind(obj, 'a JSON object')}, must be a JSON object"
    if isinstance(obj.get("flow"), dict) or any(k in obj for k in ("time", "node_name", "nodeName")) and "flow" in obj:
        for key, type_name in _ENVELOPE.items():
            for spelled in {key, json_name(key)}:
                if spelled in obj and type_name != "Flow":
                    wanted = _scalar_problem(obj[spelled], type_name, schema.enums)
                    if wanted:
                        return f"{spelled}: is {value_kind(obj[spelled], 'a JSON object')}, must be {wanted}"
        return walk(obj["flow"], "Flow", "flow")
    for kind in EVENT_KINDS[1:]:
        if kind in obj or json_name(kind) in obj:
            return None  # not a flow: the engine counts it, no filter reads it
    return walk(obj, "Flow", "")


def flow_type_error(path: str, number: int, line: bytes, version: str) -> FlowlogsError | None:
    """A positioned error for a line whose fields have the wrong JSON types, or None."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return FlowlogsError(f"{path}:{number}: not a Flow or an exported event (a JSON object per line)")
    problem = flow_type_problem(obj, version)
    if problem is None:
        return None
    return FlowlogsError(
        f"{path}:{number}: {problem} (flow.Flow, Cilium {version}); the agent could not read this flow"
    )

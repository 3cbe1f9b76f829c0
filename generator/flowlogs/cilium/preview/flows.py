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
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from ...datafiles import load_data_file
from ...errors import FlowlogsError

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
            for name, number in self.enums[enum].items():
                if number == value:
                    return name
            return str(value)
        return str(value)


def json_name(proto_name: str) -> str:
    """protoc's JSON name of a field: underscores removed, the next letter upper-cased."""
    head, *rest = proto_name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@functools.cache
def proto_facts() -> ProtoFacts:
    raw = load_data_file(_PROTO_TABLE)
    names = [str(n) for n in raw["multiword_fields"]]
    return ProtoFacts(
        json_to_proto={json_name(n): n for n in names},
        enums={str(k): {str(n): int(v) for n, v in values.items()} for k, values in raw["enums"].items()},
    )


class FlowEvent:
    """One input line: its number, the event kind, the flow (proto names; {} for other kinds)."""

    __slots__ = ("line", "kind", "flow", "payload", "node_name", "time", "size")

    def __init__(self, line: int, kind: str, flow: dict[str, Any], payload: dict[str, Any], node_name: str, time: str, size: int) -> None:
        self.line = line
        self.kind = kind
        self.flow = flow
        self.payload = payload  # the non-flow event (agent_event, ...), proto names
        self.node_name = node_name
        self.time = time
        self.size = size  # bytes of the input line, newline included


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
            # A pipe is a stream of flows (`--flows <(hubble observe -o json)`); a device is not (/dev/zero never ends a line).
            raise FlowlogsError(f"cannot read flows from {path}: a directory or device, not a file or pipe")
        if path.endswith(".gz"):
            return io.BufferedReader(gzip.open(path, "rb"))
        return open(path, "rb")  # noqa: SIM115 - closed by read_flows
    except OSError as error:
        raise FlowlogsError(f"cannot read flows from {path}: {error.strerror}") from error


class FlowLines:
    """(1-based line number, line) of a JSON-lines file, read as iterated; close() when done.
    Blank lines are left to the reader (run_preview, read_flows skip them)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.stream = _open(path)

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        return enumerate(self.stream, start=1)

    def close(self) -> None:
        if self.stream is not sys.stdin.buffer:
            self.stream.close()

    def __enter__(self) -> FlowLines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_lines(path: str) -> FlowLines:
    return FlowLines(path)


def is_blank(line: bytes) -> bool:
    return not line.strip()


def bad_line(path: str, number: int) -> FlowlogsError:
    return FlowlogsError(f"{path}:{number}: not a Flow or an exported event (a JSON object per line)")


def read_flows(path: str) -> Iterator[FlowEvent]:
    """The events of a JSON-lines file, one at a time. A line that is not a JSON object is an
    error naming file and line."""
    table = proto_facts().json_to_proto
    with read_lines(path) as lines:
        try:
            for number, line in lines:
                if line[0] != 123 and is_blank(line):  # 123: "{", how every event starts
                    continue
                event = parse_line(line, number, table)
                if event is None:
                    raise bad_line(path, number)
                yield event
        except (gzip.BadGzipFile, EOFError) as error:
            raise FlowlogsError(f"{path}: broken gzip data: {error}") from error


def parse_line(line: bytes, number: int, table: dict[str, str]) -> FlowEvent | None:
    """One line as an event in proto names; None when it is not a JSON object."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return event_from_object(obj, number, len(line), table)


def event_from_object(obj: Any, number: int, size: int, table: dict[str, str]) -> FlowEvent | None:
    """A parsed line as an event in proto names; None when it is not a JSON object."""
    if not isinstance(obj, dict):
        return None
    flow = obj.get("flow")
    if flow is not None and "node_name" in obj and isinstance(flow, dict):
        # The exporter's own lines (proto names): the common case, no renaming.
        return FlowEvent(number, "flow", flow, _NO_PAYLOAD, obj["node_name"], obj.get("time", ""), size)
    for kind in EVENT_KINDS:
        body = obj.get(kind)
        if isinstance(body, dict):
            break
        if kind != "flow":
            body = obj.get(_json_kind(kind))
            if isinstance(body, dict):
                break
    else:
        # A bare Flow (hubble observe -o jsonpb --print-raw... or a flow dump): the object itself.
        kind, body = "flow", obj
        if _needs_renaming(obj, table):
            body = _to_proto_names(obj, table)
        return FlowEvent(number, kind, body, _NO_PAYLOAD, str(body.get("node_name", "")), str(body.get("time", "")), size)
    if _needs_renaming(obj, table) or _needs_renaming(body, table):
        obj = _to_proto_names(obj, table)
        body = obj[kind]
    flow = body if kind == "flow" else {}
    node = obj.get("node_name") or flow.get("node_name") or ""
    time = obj.get("time") or flow.get("time") or ""
    return FlowEvent(number, kind, flow, body if kind != "flow" else _NO_PAYLOAD, str(node), str(time), size)


_NO_PAYLOAD: dict[str, Any] = {}


@functools.cache
def _json_kind(kind: str) -> str:
    return json_name(kind)

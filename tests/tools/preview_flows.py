"""Flow events of a JSON-lines file, as preview's engine reads them (`event_from_object`), for
tests that want the events themselves."""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from flowlogs.cilium.preview.flows import FlowEvent, FlowLines, event_from_object, is_blank, proto_facts


def parse_line(line: bytes, number: int, table: dict[str, str]) -> FlowEvent | None:
    """One line as an event in proto names; None when it is not a JSON object."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return event_from_object(obj, number, len(line), table)


def read_flows(path: str) -> Iterator[FlowEvent]:
    """The events of a JSON-lines file; a line that is not a JSON object fails the test."""
    table = proto_facts().json_to_proto
    with FlowLines(path) as lines:
        for number, line in lines:
            if not is_blank(line):
                event = parse_line(line, number, table)
                assert event is not None, f"{path}:{number}: not a JSON object"
                yield event

"""Preview's parts for tests that want them one at a time: the flow events of a JSON-lines file,
as preview's engine reads them (`event_from_object`), and one FlowFilter field's predicate."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from flowlogs.cilium.preview.flows import FlowEvent, FlowLines, event_from_object, proto_facts
from flowlogs.cilium.preview.matchers import FIELD_MATCHERS, MatchContext, Predicate
from flowlogs.cilium.tables import load_tables


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
            if line.strip():
                event = parse_line(line, number, table)
                assert event is not None, f"{path}:{number}: not a JSON object"
                yield event


def build_predicate(
    field: str, values: list[Any], version: str, event_types: Sequence[dict[str, Any]] = ()
) -> Predicate:
    """The predicate of one FlowFilter field with these values, for a Cilium version. Raises
    FilterValueError for values the agent refuses, KeyError for a field this version lacks or
    that cannot be previewed."""
    tables = load_tables(version)
    if field not in tables.filter_fields or field not in FIELD_MATCHERS:
        raise KeyError(f"{field} cannot be previewed for Cilium {version}")
    return FIELD_MATCHERS[field](values, MatchContext(tables, list(event_types)))

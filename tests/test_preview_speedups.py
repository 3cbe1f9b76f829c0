"""The mechanisms that make `flowlogs preview` fast never change what it decides (issue 12).

Property tests (hypothesis, derandomized: the same examples every run):
- a flow log's decision (one generated function, combine.py) calls its tests in order and stops
  at the first decision (that it is filters.Apply, tests/test_preview_oracle.py checks against
  hubble);
- the field mask in the mask's order (used for sizes) writes the same fields, and as many
  bytes, as the mask in the message's order (what is shown), which keeps the message's order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from flowlogs.cilium.preview.apply import compile_flow_log, mask_function
from flowlogs.cilium.preview.combine import any_of_all_source, compile_statements
from flowlogs.cilium.preview.config import flow_logs_from_document
from flowlogs.cilium.preview.flows import proto_facts
from flowlogs.cilium.tables import load_tables
from test_preview_fields import FLOWS
from tools.preview_flows import parse_line

TABLES = load_tables("1.18")
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True)

# --- a flow log's decision: one generated function ------------------------------------------


@SETTINGS
@given(st.lists(st.lists(st.booleans(), max_size=3), max_size=4))
def test_any_of_all_calls_the_tests_in_order_until_decided(groups: list[list[bool]]) -> None:
    calls: list[tuple[int, int]] = []

    def test(position: tuple[int, int], answer: bool) -> Callable[[object], bool]:
        def call(_: object) -> bool:
            calls.append(position)
            return answer

        return call

    tests = [[test((g, t), answer) for t, answer in enumerate(group)] for g, group in enumerate(groups)]
    names: dict[str, object] = {}
    function = compile_statements([f"return {any_of_all_source(tests, names, 'x')}"], names, "x")  # as decide_all
    expected_calls: list[tuple[int, int]] = []
    expected = False
    for g, group in enumerate(groups):
        holds = True
        for t, answer in enumerate(group):
            expected_calls.append((g, t))
            if not answer:
                holds = False
                break
        if holds:
            expected = True
            break
    assert bool(function(None)) is expected
    assert calls == expected_calls


# --- field masks ---------------------------------------------------------------------------------

FIELDS = ["time", "verdict", "IP", "l4", "source", "destination", "Summary"]
messages = st.recursive(
    st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["a", "é", "\u2028"])),
    lambda inner: st.dictionaries(st.sampled_from(FIELDS), inner, max_size=5),
    max_leaves=12,
).filter(lambda value: isinstance(value, dict))
trees = st.recursive(
    st.none(), lambda inner: st.dictionaries(st.sampled_from(FIELDS), inner, min_size=1, max_size=3), max_leaves=8
).filter(lambda value: isinstance(value, dict))


@SETTINGS
@given(trees, messages)
def test_mask_in_mask_order_writes_the_same_fields_and_bytes(tree: dict[str, Any], message: dict[str, Any]) -> None:
    ordered, unordered = mask_function(tree)(message), mask_function(tree, ordered=False)(message)
    assert ordered == unordered
    assert len(orjson.dumps(ordered)) == len(orjson.dumps(unordered))
    kept_in_message = [key for key in ordered if key in message]
    assert kept_in_message == [key for key in message if key in ordered]  # the message's order, then added parents


def test_masked_sizes_are_the_written_lines() -> None:
    (config,) = flow_logs_from_document(
        {
            "flowLogs": [
                {"name": "m", "filePath": "/m", "fieldMask": ["source.namespace", "time", "l4", "destination.pod_name"]}
            ]
        },
        "test",
    )
    flow_log = compile_flow_log(config, TABLES)
    table = proto_facts().json_to_proto
    for number, line in enumerate(FLOWS.read_bytes().splitlines(), 1):
        event = parse_line(line, number, table)
        assert event is not None
        assert flow_log.written_size(event) == len(flow_log.written_line(event)) + 1

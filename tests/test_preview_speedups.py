"""The mechanisms that make `flowlogs preview` fast never change what it decides (issue 12).

Property tests (hypothesis, derandomized: the same examples every run):
- a flow log's decision (one generated function, combine.py) calls its tests in order and stops
  at the first decision (that it is filters.Apply, tests/test_preview_oracle.py checks against
  hubble);
- the field mask in the mask's order (used for sizes) writes the same fields, and as many
  bytes, as the mask in the message's order (what is shown), which keeps the message's order.
- the simple checks written into that function as expressions (combine.Inline: enums, event types,
  namespaces, the HTTP code, drop reasons) decide as each check called alone, on the shipped profiles'
  filters and on flows with hostile values (wrong JSON types, null, missing, unicode escapes): the same
  decision or the same error.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from flowlogs.cilium.preview.apply import CompiledFlowLog, compile_flow_log, decide_all, mask_function
from flowlogs.cilium.preview.combine import Inline, any_of_all_source, compile_statements
from flowlogs.cilium.preview.config import flow_logs_from_document
from flowlogs.cilium.preview.flows import FlowEvent, proto_facts
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


# --- the checks written into the decision (combine.Inline) decide as each called alone --------------

ROOT = Path(__file__).resolve().parents[1]
# The FlowFilters of every shipped profile (chart/profiles, as `flowlogs generate` compiled them), then
# each field whose check is written in place, with values that reach every branch of its expression.
SHIPPED = [
    (str(values["cilium"]["version"]), flow_log)
    for path in sorted((ROOT / "chart" / "profiles").glob("*/values.yaml"))
    if (values := yaml.safe_load(path.read_text(encoding="utf-8"))).get("cilium", {}).get("enabled")
    for flow_log in values["cilium"]["flowLogs"]
]
INLINED = [
    {"verdict": ["DROPPED"]},
    {"verdict": ["VERDICT_UNKNOWN", "FORWARDED"]},
    {"traffic_direction": ["EGRESS"]},
    {"traffic_direction": ["TRAFFIC_DIRECTION_UNKNOWN"]},
    {"event_type": [{"type": 1}, {"type": 4, "sub_type": 3}]},
    {"destination_pod": ["shop/"], "verdict": ["DROPPED"]},
    {"source_pod": ["/"]},
    {"destination_service": ["kube-system/", "shop/"]},
    {"drop_reason_desc": ["POLICY_DENIED", 133]},
    {"event_type": [{"type": 129}], "http_status_code": ["5+", "404"]},
]
FILTER_SETS = [*SHIPPED, *(("1.18", {"name": "f", "filePath": "/f", "includeFilters": [f]}) for f in INLINED)]
FILTER_SETS += [("1.18", {"name": "x", "filePath": "/x", "excludeFilters": [f]}) for f in INLINED]

# Where hostile values go (proto names), and the values: wrong JSON types, null, numbers for enums.
PATHS = [
    ("verdict",),
    ("traffic_direction",),
    ("drop_reason_desc",),
    ("event_type",),
    ("event_type", "type"),
    ("source",),
    ("destination",),
    ("destination", "namespace"),
    ("destination", "pod_name"),
    ("destination_service",),
    ("l7",),
    ("l7", "http"),
    ("l7", "http", "code"),
]
HOSTILE: list[Any] = [None, "", "x", "DROPPED", 0, 1, 2, 133, True, 1.5, [], [1], {}, {"a": 1}]
# Valid JSON spellings of the same flows: escapes that only parsing reads (issue 21).
ESCAPES = [
    '{"flow":{"verdict":"\\u0044ROPPED","destination":{"namespace":"sh\\u006fp"}},"node_name":"n"}',
    '{"flow":{"verdict" : "DROPPED","drop_reason_desc":"POLICY_\\u0044ENIED"},"node_name":"n"}',
    '{"flow":{"traffic_direction":"\\u0045GRESS","event_type":{"type":1}},"node_name":"n"}',
    '{"flow":{"event_type":{"type":129},"l7":{"http":{"code":503}},"destination":{"namespace":"shop"}}}',
    '{"agent_event":{"type":1}}',
    '{"lost_events":{"num_events_lost":3}}',
]


def _events() -> list[FlowEvent]:
    table = proto_facts().json_to_proto
    base = [event for line in FLOWS.read_bytes().splitlines() if (event := parse_line(line, 0, table))]
    events = list(base)
    for event in base[:12]:
        for path in PATHS:
            for value in [*HOSTILE, _MISSING]:
                flow = copy.deepcopy(event.flow)
                node = flow
                for key in path[:-1]:
                    node = node.setdefault(key, {}) if type(node) is dict else {}
                if value is _MISSING:
                    node.pop(path[-1], None)
                else:
                    node[path[-1]] = value
                events.append(dataclasses.replace(event, flow=flow))
    for line in ESCAPES:
        event = parse_line(line.encode(), 0, table)
        assert event is not None
        events.append(event)
    return events


_MISSING = object()


def _outcome(decide: Callable[[], Any]) -> Any:
    try:
        return bool(decide())
    except (TypeError, AttributeError, KeyError, ValueError, IndexError) as error:
        return type(error)  # the engine names the line (flow_type_error): the same error on both paths


def test_checks_written_in_place_decide_as_the_checks_called_alone() -> None:
    events = _events()
    outcomes: Counter[Any] = Counter()
    inlined = 0
    for version, document in FILTER_SETS:
        (config,) = flow_logs_from_document({"flowLogs": [document]}, "test")
        flow_log = compile_flow_log(config, load_tables(version))
        assert not flow_log.error, flow_log.error
        inlined += sum(isinstance(check, Inline) for f in flow_log.include + flow_log.exclude for check in f)
        decide = decide_all([flow_log])

        def alone(ev: FlowEvent, flow_log: CompiledFlowLog = flow_log) -> bool:
            # filters.Apply with every check a call of its own: include.MatchOne && exclude.MatchNone
            include = not flow_log.include or any(all(check(ev) for check in f) for f in flow_log.include)
            return include and not any(all(check(ev) for check in f) for f in flow_log.exclude)

        for event in events:
            expected = _outcome(lambda: alone(event))  # noqa: B023 - called at once
            assert _outcome(lambda: decide(event) == (0,)) == expected, (document, event)  # noqa: B023
            outcomes[expected] += 1
    assert inlined >= 15  # the fast path is what is tested: most checks here are written in place
    assert outcomes[True] > 500 and outcomes[False] > 5000 and len(outcomes) >= 4, outcomes  # every kind of outcome

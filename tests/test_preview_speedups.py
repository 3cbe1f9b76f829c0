"""The mechanisms that make `flowlogs preview` fast never change what it decides (issue 12).

Property tests (hypothesis, derandomized: the same examples every run):
- a flow log's decision (one generated function, combine.py) is filters.Apply written out:
  some include filter has all its fields matching (or there is none), no exclude filter does;
- the field mask in the mask's order (used for sizes) writes the same fields, and as many
  bytes, as the mask in the message's order (what is shown), which keeps the message's order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from flowlogs.cilium.preview import compile_flow_log
from flowlogs.cilium.preview.apply import field_predicates, mask_function
from flowlogs.cilium.preview.combine import any_of_all
from flowlogs.cilium.preview.config import flow_logs_from_document
from flowlogs.cilium.preview.flows import json_name, parse_line, proto_facts
from flowlogs.cilium.tables import load_tables
from test_preview_fields import FLOWS

TABLES = load_tables("1.18")
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True)

# --- random flows and filters ----------------------------------------------------------------

NAMESPACES = ["shop", "kube-system", "default"]
enum_values = {enum: st.sampled_from([*numbers, *numbers.values()]) for enum, numbers in proto_facts().enums.items()}  # names and numbers


def endpoints() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "namespace": st.sampled_from(NAMESPACES),
            "pod_name": st.sampled_from(["frontend-1", "checkout-2", "coredns-3"]),
            "labels": st.lists(st.sampled_from(["k8s:app=frontend", "k8s:app=checkout", "reserved:world", "k8s:tier=web"]), max_size=3),
            "identity": st.sampled_from([1, 2, 1001]),
        },
    )


flows = st.fixed_dictionaries(
    {},
    optional={
        "uuid": st.sampled_from(["u-1", "u-2"]),
        "verdict": enum_values["Verdict"],
        "traffic_direction": enum_values["TrafficDirection"],
        "drop_reason_desc": st.sampled_from(["POLICY_DENIED", "POLICY_DENY", 133, 181]),
        "event_type": st.fixed_dictionaries({"type": st.sampled_from([1, 4, 5, 129, 12]), "sub_type": st.sampled_from([0, 3, 181])}),
        "IP": st.fixed_dictionaries({"source": st.sampled_from(["10.0.0.1", "10.0.0.2"]), "destination": st.sampled_from(["8.8.8.8", "10.0.0.1"])}),
        "l4": st.one_of(
            st.dictionaries(
                st.sampled_from(["TCP", "UDP", "SCTP"]),
                st.fixed_dictionaries({"source_port": st.sampled_from([53, 8080, 51000]), "destination_port": st.sampled_from([53, 443, 8080])}),
                min_size=1,
                max_size=1,
            ),
            st.just({"ICMPv4": {"type": 8}}),
        ),
        "l7": st.one_of(st.fixed_dictionaries({"http": st.fixed_dictionaries({"code": st.sampled_from([200, 404, 503, 5])})}), st.just({"dns": {"query": "a."}})),
        "source": endpoints(),
        "destination": endpoints(),
        "source_service": st.fixed_dictionaries({"namespace": st.sampled_from(NAMESPACES), "name": st.just("svc")}),
    },
)

# include-filter fields, with values that sometimes match the flows above
filter_fields = {
    "verdict": st.lists(enum_values["Verdict"], min_size=1, max_size=2),
    "traffic_direction": st.lists(enum_values["TrafficDirection"], min_size=1, max_size=2),
    "drop_reason_desc": st.lists(st.sampled_from(["POLICY_DENIED", "POLICY_DENY", 181]), min_size=1, max_size=2),
    "event_type": st.lists(st.fixed_dictionaries({"type": st.sampled_from([1, 4, 129])}), min_size=1, max_size=2),
    "protocol": st.lists(st.sampled_from(["tcp", "UDP", "icmp", "http", "dns"]), min_size=1, max_size=2),
    "uuid": st.lists(st.sampled_from(["u-1", "u-3"]), min_size=1),
    "source_pod": st.lists(st.sampled_from(["shop/", "kube-system/coredns", "frontend"]), min_size=1, max_size=2),
    "destination_pod": st.lists(st.sampled_from(["shop/", "kube-system/", "/checkout"]), min_size=1, max_size=2),
    "source_service": st.lists(st.sampled_from(["shop/", "default/svc"]), min_size=1),
    "destination_port": st.lists(st.sampled_from(["53", "8080"]), min_size=1),
    "source_port": st.lists(st.sampled_from(["53", "51000"]), min_size=1),
    "source_ip": st.lists(st.sampled_from(["10.0.0.1", "8.8.8.8"]), min_size=1),
    "destination_ip": st.lists(st.sampled_from(["10.0.0.1", "8.8.8.8"]), min_size=1),
    "source_label": st.lists(st.sampled_from(["k8s:app=frontend", "app=checkout", "k8s:tier==web"]), min_size=1),
    "destination_label": st.lists(st.sampled_from(["k8s:app=frontend", "reserved:world"]), min_size=1),
    "http_status_code": st.lists(st.sampled_from(["5+", "404", "50+"]), min_size=1, max_size=2),
}
flow_filters = st.lists(st.sampled_from(sorted(filter_fields)), min_size=1, max_size=3, unique=True).flatmap(
    lambda names: st.fixed_dictionaries({name: filter_fields[name] for name in names})
)


def json_names(value: Any) -> Any:
    if isinstance(value, dict):
        return {json_name(key): json_names(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_names(item) for item in value]
    return value


def line_of(flow: dict[str, Any], spaced: bool, proto_names: bool) -> bytes:
    event = {"flow": flow, "node_name": "c1/node-a", "time": "2025-01-23T08:00:00Z"}
    if not proto_names:
        event = json_names(event)  # as `hubble observe -o jsonpb` writes it
    return json.dumps(event, separators=(", ", ": ") if spaced else (",", ":")).encode()


# --- a flow log's decision is filters.Apply ---------------------------------------------------

@SETTINGS
@given(flows, st.lists(flow_filters, max_size=3), st.lists(flow_filters, max_size=2))
def test_decision_is_include_match_one_and_exclude_match_none(flow: dict[str, Any], include: list[dict[str, Any]], exclude: list[dict[str, Any]]) -> None:
    (config,) = flow_logs_from_document({"flowLogs": [{"name": "d", "filePath": "/d", "includeFilters": include, "excludeFilters": exclude}]}, "test")
    flow_log = compile_flow_log(config, TABLES)
    if flow_log.error:
        return
    event = parse_line(line_of(flow, False, True), 1, proto_facts().json_to_proto)
    assert event is not None

    def matches(flow_filter: dict[str, Any]) -> bool:
        predicates, _ = field_predicates(flow_filter, TABLES, "x")
        return all(predicate(event) for predicate in predicates)

    expected = (not include or any(matches(f) for f in include)) and not any(matches(f) for f in exclude)
    assert flow_log.decide(event) is expected


@SETTINGS
@given(st.lists(st.lists(st.booleans(), max_size=3), max_size=4))
def test_any_of_all_calls_the_tests_in_order_until_decided(groups: list[list[bool]]) -> None:
    calls: list[tuple[int, int]] = []

    def test(position: tuple[int, int], answer: bool) -> Callable[[object], bool]:
        def call(_: object) -> bool:
            calls.append(position)
            return answer

        return call

    function = any_of_all([[test((g, t), answer) for t, answer in enumerate(group)] for g, group in enumerate(groups)])
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
trees = st.recursive(st.none(), lambda inner: st.dictionaries(st.sampled_from(FIELDS), inner, min_size=1, max_size=3), max_leaves=8).filter(
    lambda value: isinstance(value, dict)
)


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
        {"flowLogs": [{"name": "m", "filePath": "/m", "fieldMask": ["source.namespace", "time", "l4", "destination.pod_name"]}]}, "test"
    )
    flow_log = compile_flow_log(config, TABLES)
    table = proto_facts().json_to_proto
    for number, line in enumerate(FLOWS.read_bytes().splitlines(), 1):
        event = parse_line(line, number, table)
        assert event is not None
        assert flow_log.written_size(event) == len(flow_log.written_line(event)) + 1

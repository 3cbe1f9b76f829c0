"""The prefilter (lines no flow log can export are not parsed) never changes a preview's result.

Every per-field case of test_preview_fields.py, alone and combined with others, is previewed
with the prefilter and without it (every line parsed); the matched lines must be the same, and
so must the time span. The fields a filter is checked by are calibrated on the first line(s), with scans cheap or dear.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from flowlogs.cilium.preview import compile_flow_log, read_lines, run_preview
from flowlogs.cilium.preview.config import flow_logs_from_document
from flowlogs.cilium.preview.prefilter import KeyValue, Literals, filter_needs, line_test
from flowlogs.cilium.tables import load_tables
from test_preview_fields import CASES, FLOWS


def _matched(flow_filters: list[dict[str, Any]], prefilter: bool, calibration: int = 1, scan_cost: float = 0.01, version: str = "1.18") -> tuple[list[int], float | None]:
    tables = load_tables(version)
    (config,) = flow_logs_from_document({"flowLogs": [{"name": "x", "filePath": "/x", "includeFilters": flow_filters}]}, "test")
    flow_log = compile_flow_log(config, tables)
    if not prefilter:
        flow_log = dataclasses.replace(flow_log, may_match=None)
    with read_lines(str(FLOWS)) as lines:
        run = run_preview(lines, [flow_log], keep_lines=True, calibration_lines=calibration, scan_cost=scan_cost)
    (tally,) = run.tallies
    assert tally.lines is not None
    return list(tally.lines), run.time_span_seconds()


@pytest.mark.parametrize(("flow_filter", "expected"), [pytest.param(f, e, id=i) for i, f, e in CASES])
def test_same_result_with_and_without_prefilter(flow_filter: dict[str, Any], expected: list[int]) -> None:
    # calibrated on the first line, or on the first five (a different choice of fields to check)
    # scans nearly free: every field checked; dearer: only the fields that pay
    assert _matched([flow_filter], True) == _matched([flow_filter], True, 5, 0.3) == _matched([flow_filter], False) == (expected, 56.0)


def test_combined_filters() -> None:
    filters = [f for _, f, _ in CASES]
    for index in range(0, len(filters) - 2, 3):
        combined = {**filters[index], **filters[index + 1]}
        group = [combined, filters[index + 2]]
        assert _matched(group, True) == _matched(group, True, 7, 0.2) == _matched(group, False), group


VERDICT_DROPPED = KeyValue(b'"verdict":', frozenset({b"DROPPED"}), frozenset({b"2"}))


def test_needs_are_only_exact_content() -> None:
    tables = load_tables("1.18")
    assert filter_needs({"verdict": ["DROPPED"]}, tables) == (VERDICT_DROPPED,)
    assert filter_needs({"source_ip": ["10.0.0.0/8"]}, tables) == ()  # a CIDR: nothing to look for
    assert filter_needs({"traffic_direction": ["TRAFFIC_DIRECTION_UNKNOWN"]}, tables) == ()  # the zero value is absent
    assert filter_needs({"source_label": ["!k8s:app"]}, tables) == ()
    assert filter_needs({"event_type": [{"type": 130}]}, tables) == ()  # agent events carry no number
    assert filter_needs({"source_pod": ["kube-system/"]}, tables) == (Literals((b'"kube-system"',)),)
    assert filter_needs({"trafficDirection": ["EGRESS"]}, tables) == (KeyValue(b'irection":', frozenset({b"EGRESS"}), frozenset({b"2"})),)
    assert line_test([{"verdict": ["DROPPED"]}, {}], tables) is None  # an empty filter matches all


@pytest.mark.parametrize(
    ("need", "line", "found"),
    [
        (VERDICT_DROPPED, b'{"flow":{"verdict":"DROPPED"}}', True),
        (VERDICT_DROPPED, b'{"flow":{"verdict": "DROPPED"}}', True),  # protojson may add a space
        (VERDICT_DROPPED, b'{"flow":{"verdict":2}}', True),  # enums may be numbers
        (VERDICT_DROPPED, b'{"flow":{"verdict":"FORWARDED","Summary":"DROPPED"}}', False),
        (KeyValue(b'"type":', numbers=frozenset({b"1"})), b'{"flow":{"event_type":{"type":129}}}', False),  # not 1
        (KeyValue(b'"type":', numbers=frozenset({b"1"})), b'{"flow":{"l7":{"type":"REQUEST"},"event_type":{"type":1,"sub_type":133}}}', True),
        (KeyValue(b'"code":', prefixes=(b"5",)), b'{"flow":{"l7":{"http":{"code":503}}}}', True),
        (KeyValue(b'"code":', prefixes=(b"5",)), b'{"flow":{"l7":{"http":{"code":200}}}}', False),
    ],
)
def test_key_values(need: KeyValue, line: bytes, found: bool) -> None:
    assert need(line) is found


def test_calibration_picks_the_field_that_rules_out_most_lines() -> None:
    tables = load_tables("1.18")
    test = line_test([{"destination_pod": ["shop/"], "verdict": ["DROPPED"]}], tables)
    assert test is not None
    lines = FLOWS.read_bytes().splitlines()
    test.calibrate(lines, 1.0, 0.1)
    # "DROPPED" is the verdict of 3 of 18 lines, "shop" in 13: the verdict first, then "shop"
    # (one more scan of those 3 lines rules out line 1)
    assert test.plan == [(VERDICT_DROPPED, Literals((b'"shop"',)))]
    # lines 12 (JSON names: starts as a flow too), 17 (lost events) and 18 (a bare Flow) are
    # always parsed: only lines starting with {"flow": are ever skipped
    assert [n for n, line in enumerate(lines, 1) if test(line)] == [11, 17, 18]
    test.calibrate(lines, 1.0, 2.0)  # scans dearer than parsing: check nothing
    assert test.plan == [()]
    assert all(test(line) for line in lines)

"""The prefilter (lines no flow log can export are not parsed) never changes a preview's result.

Every per-field case of test_preview_fields.py, alone and combined with others, is previewed
with the prefilter and without it (every line parsed); the matched lines must be the same, and
so must the time span.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from flowlogs.cilium.preview import compile_flow_log, read_lines, run_preview
from flowlogs.cilium.preview.config import flow_logs_from_document
from flowlogs.cilium.preview.prefilter import filter_needs, line_test
from flowlogs.cilium.tables import load_tables
from test_preview_fields import CASES, FLOWS


def _matched(flow_filters: list[dict[str, Any]], prefilter: bool, version: str = "1.18") -> tuple[list[int], float | None]:
    tables = load_tables(version)
    (config,) = flow_logs_from_document({"flowLogs": [{"name": "x", "filePath": "/x", "includeFilters": flow_filters}]}, "test")
    flow_log = compile_flow_log(config, tables)
    if not prefilter:
        flow_log = dataclasses.replace(flow_log, may_match=None)
    run = run_preview(read_lines(str(FLOWS)), [flow_log], keep_lines=True)
    (tally,) = run.tallies
    assert tally.lines is not None
    return list(tally.lines), run.time_span_seconds()


@pytest.mark.parametrize(("flow_filter", "expected"), [pytest.param(f, e, id=i) for i, f, e in CASES])
def test_same_result_with_and_without_prefilter(flow_filter: dict[str, Any], expected: list[int]) -> None:
    assert _matched([flow_filter], True) == _matched([flow_filter], False) == (expected, 56.0)


def test_combined_filters() -> None:
    filters = [f for _, f, _ in CASES]
    for index in range(0, len(filters) - 2, 3):
        combined = {**filters[index], **filters[index + 1]}
        group = [combined, filters[index + 2]]
        assert _matched(group, True) == _matched(group, False), group


def test_literals_are_only_exact_content() -> None:
    tables = load_tables("1.18")
    assert filter_needs({"verdict": ["DROPPED"]}, tables) == ((b'"DROPPED"', b'"verdict":2', b'"verdict": 2'),)
    assert filter_needs({"source_ip": ["10.0.0.0/8"]}, tables) == ()  # a CIDR: nothing to look for
    assert filter_needs({"traffic_direction": ["TRAFFIC_DIRECTION_UNKNOWN"]}, tables) == ()  # the zero value is absent
    assert filter_needs({"source_label": ["!k8s:app"]}, tables) == ()
    assert filter_needs({"event_type": [{"type": 130}]}, tables) == ()  # agent events carry no number
    assert filter_needs({"source_pod": ["kube-system/"]}, tables) == ((b'"kube-system"',),)
    assert line_test([{"verdict": ["DROPPED"]}, {}], tables) is None  # an empty filter matches all

"""`flowlogs preview` against Cilium's own filter code: the hubble CLI of each supported version.

For generated flows (tests/tools/preview_oracle.py: every field a filter reads, absent fields,
both IP versions, every event type, replies, L7 records; written as the exporter or as `hubble
observe -o jsonpb` writes them) and generated profiles whose flow logs use every filter word of
the version in an include and in an exclude filter, the profile is compiled by flowlogs, its
flow logs previewed by `flowlogs preview PROFILE --flows FILE -o json`, and each flow log's
compiled includeFilters/excludeFilters given to `hubble observe --input-file FILE --allowlist
... --denylist ...` (filters.BuildFilterList + filters.Apply with the default filters, as the
agent's exporter; ../shared/tools/hubble/README.md): both must export exactly the same lines.
One hubble process per flow log and version, every flow in one file.

The fast suite runs a fixed-seed example per version; the slow tier a larger randomised run.
Skipped only when ../shared/tools/hubble is absent.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
import upstream_tools
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from preview_oracle import FlowLine, FlowLogSpec, HubbleRefused, flow_lines, flow_log_specs, hubble_lines, profile_text, words, write_flows

from flowlogs.cilium.defaults import SUPPORTED_VERSIONS
from flowlogs.cli import main
from flowlogs.compiler import compile_paths

SKIP = upstream_tools.skip_reason("hubble")
pytestmark = pytest.mark.skipif(bool(SKIP), reason=SKIP)

T = TypeVar("T")
RAN: dict[str, list[int]] = {}  # version -> [examples, flows, flow logs]: the counts the report quotes


def preview_json(profile: Path, flows: Path, *extra: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["preview", str(profile), "--flows", str(flows), "-o", "json", *extra])
    assert code == 0, err.getvalue()
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


def _hubble_or_refusal(binary: Path, flows: Path, include: list[dict[str, Any]], exclude: list[dict[str, Any]]) -> list[int] | HubbleRefused:
    try:
        return hubble_lines(binary, flows, include, exclude)
    except HubbleRefused as refused:
        return refused


def compare(version: str, flows: Sequence[FlowLine], specs: Sequence[FlowLogSpec], directory: Path) -> None:
    """flowlogs preview and hubble export the same lines, per flow log of the profile."""
    directory.mkdir(parents=True, exist_ok=True)
    flows_path, profile_path = directory / "flows.jsonl", directory / "oracle.yaml"
    write_flows(flows_path, flows)
    profile_path.write_text(profile_text(version, specs), encoding="utf-8")
    result = compile_paths([profile_path])
    assert [str(d) for d in result.diagnostics.errors] == [], profile_path
    compiled = result.profiles[0].values["cilium"]["flowLogs"]
    binary = upstream_tools.hubble(version)
    # every generated flow parses in hubble (no filter: all come back, in order)
    assert hubble_lines(binary, flows_path, [], []) == list(range(1, len(flows) + 1))
    previewed = {entry["name"]: entry for entry in preview_json(profile_path, flows_path)["flowLogs"]}
    assert sorted(previewed) == sorted(flow_log["name"] for flow_log in compiled)
    filters = [(flow_log.get("includeFilters", []), flow_log.get("excludeFilters", [])) for flow_log in compiled]
    with ThreadPoolExecutor(3) as pool:  # hubble's start-up, overlapped
        outcomes = list(pool.map(lambda pair: _hubble_or_refusal(binary, flows_path, *pair), filters))
    for flow_log, (include, exclude), expected in zip(compiled, filters, outcomes, strict=True):
        entry = previewed[flow_log["name"]]
        if isinstance(expected, HubbleRefused):
            assert "error" in entry, f"hubble {version} refuses {include} / {exclude} ({expected}); flowlogs previewed it"
            continue
        assert "error" not in entry, entry["error"]
        assert entry["matched_lines"] == expected, f"Cilium {version}, include {json.dumps(include)}, exclude {json.dumps(exclude)}: flowlogs only {sorted(set(entry['matched_lines']) - set(expected))}, hubble only {sorted(set(expected) - set(entry['matched_lines']))} ({flows_path})"
    counts = RAN.setdefault(version, [0, 0, 0])
    counts[0] += 1
    counts[1] += len(flows)
    counts[2] += len(compiled)


def drawn(strategy: st.SearchStrategy[T], count: int, derandomize: bool) -> list[T]:
    """`count` examples of a strategy, drawn by hypothesis (fixed seed when `derandomize`).
    Flows are drawn a few at a time (a file of them is more data than one example may hold)
    and a file is compared against whole profiles after drawing: an example costs a hubble run
    per flow log, so nothing is shrunk (a failure names its files)."""
    out: list[T] = []

    @settings(max_examples=count, deadline=None, derandomize=derandomize, database=None, suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(strategy)
    def collect(example: T) -> None:
        out.append(example)

    collect()
    return out


def _run(version: str, flow_batches: int, profiles: int, tmp_path: Path, derandomize: bool) -> None:
    flows = [flow for batch in drawn(st.lists(flow_lines(version), min_size=1, max_size=12), flow_batches, derandomize) for flow in batch]
    # the first example hypothesis draws is the simplest (every first value): left out
    for index, specs in enumerate(drawn(flow_log_specs(version), profiles + 1, derandomize)[1:]):
        compare(version, flows, specs, tmp_path / f"profile-{index}")


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_preview_exports_what_hubble_exports_fixed_seed(version: str, tmp_path: Path) -> None:
    _run(version, 25, 1, tmp_path, derandomize=True)


@pytest.mark.slow
@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_preview_exports_what_hubble_exports_randomised(version: str, tmp_path: Path) -> None:
    _run(version, 100, 8, tmp_path, derandomize=False)


def test_every_filter_word_is_generated() -> None:
    """The generated profiles use every word of every version (cel aside: not previewed)."""
    from flowlogs.cilium.filters import FILTER_WORDS

    newest = words(SUPPORTED_VERSIONS[-1])
    assert sorted(newest) == sorted(set(FILTER_WORDS) - {"cel"})

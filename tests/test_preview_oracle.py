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

The fast suite runs a fixed-seed example per version; the slow tier a larger randomised run, from
upstream_tools.oracle_seed (fixed by the content of the code: a warm run asks hubble nothing new; `make
oracle`: fresh). Skipped only when ../shared/tools/hubble is absent.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import answers
import hypothesis
import preview_oracle
import pytest
import upstream_tools
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from preview_oracle import (
    FlowLine,
    FlowLogSpec,
    HubbleRefused,
    flow_lines,
    flow_log_specs,
    hubble_lines,
    profile_text,
    words,
    write_flows,
)

from flowlogs.cilium.defaults import SUPPORTED_VERSIONS
from flowlogs.cilium.tables import load_tables
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


def _hubble_or_refusal(
    binary: Path, flows: Path, include: list[dict[str, Any]], exclude: list[dict[str, Any]]
) -> list[int] | HubbleRefused:
    try:
        return hubble_lines(binary, flows, include, exclude)
    except HubbleRefused as refused:
        return refused


def compare(version: str, flows: Sequence[FlowLine], specs: Sequence[FlowLogSpec], directory: Path) -> list[int]:
    """flowlogs preview and hubble export the same lines, per flow log of the profile; how
    many lines each flow log exports."""
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
            assert "error" in entry, (
                f"hubble {version} refuses {include} / {exclude} ({expected}); flowlogs previewed it"
            )
            continue
        assert "error" not in entry, entry["error"]
        only_flowlogs, only_hubble = (
            sorted(set(entry["matched_lines"]) - set(expected)),
            sorted(set(expected) - set(entry["matched_lines"])),
        )
        assert entry["matched_lines"] == expected, (
            f"Cilium {version}, include {json.dumps(include)}, exclude {json.dumps(exclude)}: flowlogs only "
            f"{only_flowlogs}, hubble only {only_hubble} ({flows_path})"
        )
    counts = RAN.setdefault(version, [0, 0, 0])
    counts[0] += 1
    counts[1] += len(flows)
    counts[2] += len(compiled)
    return [entry["matched"] for entry in previewed.values()]


def drawn(strategy: st.SearchStrategy[T], count: int, seed: int | None) -> list[T]:
    """`count` examples of a strategy, drawn by hypothesis from `seed` (None: hypothesis's derandomized
    seed). Flows are drawn a few at a time (a file of them is more data than one example may hold)
    and a file is compared against whole profiles after drawing: an example costs a hubble run
    per flow log, so nothing is shrunk (a failure names its files)."""
    out: list[T] = []

    @settings(
        max_examples=count,
        deadline=None,
        derandomize=seed is None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(strategy)
    def collect(example: T) -> None:
        out.append(example)

    (collect if seed is None else hypothesis.seed(seed)(collect))()
    return out


# What the examples are drawn by: a change to any of them draws new ones (answers.made_once's key).
DRAWN_BY = (Path(__file__), Path(preview_oracle.__file__))


def examples(
    version: str, flow_batches: int, profiles: int, seed: int | None
) -> tuple[list[FlowLine], list[list[FlowLogSpec]]]:
    """The flows and the profiles' flow logs of a run, drawn once for the content of the code and kept
    (hypothesis spends ~5 ms of CPU per flow drawing it, 50 times what reading it back costs)."""

    def draw() -> object:
        flows = [
            flow
            for batch in drawn(st.lists(flow_lines(version), min_size=1, max_size=12), flow_batches, seed)
            for flow in batch
        ]
        # the first example hypothesis draws is the simplest (every first value): left out
        profile_specs = drawn(flow_log_specs(version), profiles + 1, seed)[1:]
        return {
            "flows": [[flow.flow, flow.proto_names] for flow in flows],
            "profiles": [[[spec.include, spec.exclude] for spec in specs] for specs in profile_specs],
        }

    question = {
        "preview oracle examples": [version, flow_batches, profiles, seed],
        "code": upstream_tools.code_digest(*DRAWN_BY),
        "hypothesis": hypothesis.__version__,
    }
    made = answers.made_once(question, draw)
    return (
        [FlowLine(flow, proto_names) for flow, proto_names in made["flows"]],
        [[FlowLogSpec(include, exclude) for include, exclude in specs] for specs in made["profiles"]],
    )


def _run(version: str, flow_batches: int, profiles: int, tmp_path: Path, seed: int | None) -> None:
    flows, profile_specs = examples(version, flow_batches, profiles, seed)
    exported = []
    for index, specs in enumerate(profile_specs):
        exported += compare(version, flows, specs, tmp_path / f"profile-{index}")
    # not vacuous: most flow logs export some flows and not others
    partial = [count for count in exported if 0 < count < len(flows)]
    assert len(partial) >= len(exported) // 2, (
        f"only {len(partial)} of {len(exported)} flow logs export some but not all flows"
    )


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_preview_exports_what_hubble_exports_fixed_seed(version: str, tmp_path: Path) -> None:
    _run(version, 25, 1, tmp_path, seed=None)


@pytest.mark.slow
@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_preview_exports_what_hubble_exports_randomised(
    version: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    seed = upstream_tools.oracle_seed(*DRAWN_BY)
    # shown when the test fails (the in-process CLI runs capture what the test prints)
    request.node.add_report_section("call", "oracle seed", f"FLOWLOGS_ORACLE_SEED={seed} draws these examples again")
    _run(version, 150, upstream_tools.oracle_budget(12), tmp_path, seed)


def test_every_filter_word_is_generated() -> None:
    """The generated profiles use every word of every version (cel aside: not previewed)."""
    from flowlogs.cilium.filters import FILTER_WORDS

    newest = words(SUPPORTED_VERSIONS[-1])
    assert sorted(newest) == sorted(set(FILTER_WORDS) - {"cel"})


# --- regressions, each expectation from hubble ---------------------------------------------------


def _profile(tmp_path: Path, version: str, include: list[dict[str, Any]]) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(
        json.dumps(
            {
                "cilium": {
                    "version": version,
                    "flow-logs": [{"name": "a", "file": "/var/run/cilium/hubble/a.log", "include": include}],
                }
            }
        ),
        encoding="utf-8",
    )
    return path


def _matched(profile: Path, flows: Path) -> list[int]:
    (entry,) = preview_json(profile, flows)["flowLogs"]
    lines: list[int] = entry["matched_lines"]
    return lines


def _hubble_exported(version: str, flows: Path, include: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The flows hubble exports (as it prints them) from a file of flows without `Summary`."""
    allow = [arg for f in include for arg in ("--allowlist", json.dumps(f))]
    completed = upstream_tools.ask_hubble(version, "observe", "--input-file", flows, "-o", "jsonpb", *allow)
    assert completed.returncode == 0, completed.stderr
    assert "level=WARN" not in completed.stderr, completed.stderr
    return [json.loads(line)["flow"] for line in completed.stdout.splitlines()]


def _compiled_include(profile: Path) -> list[dict[str, Any]]:
    (flow_log,) = compile_paths([profile]).profiles[0].values["cilium"]["flowLogs"]
    include: list[dict[str, Any]] = flow_log["includeFilters"]
    return include


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
@pytest.mark.parametrize(
    ("word", "flow"),
    [
        ("ipv4", '{"flow":{"IP":{"source":"1.1.1.1","ipVersion":"IPv4"},"verdict":"FORWARDED"}}'),
        ("ipv6", '{"flow":{"IP":{"source":"fd00::1","ipVersion":"IPv6"},"verdict":"FORWARDED"}}'),
    ],
)
def test_ip_version_of_a_flow_in_json_names(version: str, word: str, flow: str, tmp_path: Path) -> None:
    """Issue 21: IP.ipVersion was renamed as if it were FlowFilter's ip_version, and lost."""
    flows = tmp_path / "flows.jsonl"
    flows.write_text(flow + "\n", encoding="utf-8")
    profile = _profile(tmp_path, version, [{"ip-version": word}])
    assert _hubble_exported(version, flows, _compiled_include(profile)) == [json.loads(flow)["flow"]]
    assert _matched(profile, flows) == [1]


FORWARDED = (
    '{"flow":{"time":"2026-12-01T10:00:00Z","verdict":"FORWARDED","IP":{"source":"10.0.0.1","destination":"10.0.0.2",'
    '"ipVersion":"IPv4"}},"node_name":"node-a","time":"2026-12-01T10:00:00Z"}'
)
# Valid JSON a text search for "verdict":"DROPPED" misses (issue 22)
DROPPED_SPELLINGS = [
    '{"flow":{"verdict":"\\u0044ROPPED"},"node_name":"node-a"}',
    '{"flow":{"verdict" : "DROPPED"},"node_name":"node-a"}',
    '{"flow":{"verdict":\t"DROPPED"}}',
    '{ "flow" : { "verdict" : 2 } }',
    '{"flow":{"verdict":"DROPPED","IP":{"source":"10.0.0.\\u0031"}},"node_name":"node-a"}',
]


@pytest.mark.parametrize("position", ["alone", "after 20000 lines"])
def test_dropped_however_json_spells_it(position: str, tmp_path: Path) -> None:
    """The same 10 lines match alike alone and at the end of a 20k-line file (issue 22: a
    prefilter calibrated on the first lines skipped them there), as hubble exports them."""
    version = SUPPORTED_VERSIONS[-1]
    lines = [DROPPED_SPELLINGS[i % len(DROPPED_SPELLINGS)] for i in range(10)]
    before = [FORWARDED] * (20000 if position != "alone" else 0)
    flows = tmp_path / "flows.jsonl"
    flows.write_text("\n".join([*before, *lines]) + "\n", encoding="utf-8")
    profile = _profile(tmp_path, version, [{"verdict": "dropped"}])
    assert len(_hubble_exported(version, flows, _compiled_include(profile))) == 10
    assert _matched(profile, flows) == list(range(len(before) + 1, len(before) + 11))


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_reserved_identity_names_are_hubbles(version: str, tmp_path: Path) -> None:
    """Every reserved identity name a profile takes is one `hubble observe --identity` takes, for
    the same number; overlay-to-encrypt (11) among them (issue 21: flowlogs refused it)."""
    names = load_tables(version).reserved_identities
    assert names["overlay-to-encrypt"] == 11
    flags = [arg for name in names for arg in ("--identity", name)]
    completed = upstream_tools.ask_hubble(version, "observe", *flags, "--print-raw-filters")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == [
        "allowlist:",
        "-",
        f"'{json.dumps({'source_identity': list(names.values())}, separators=(',', ':'))}'",
        "-",
        f"'{json.dumps({'destination_identity': list(names.values())}, separators=(',', ':'))}'",
    ]
    profile = _profile(tmp_path, version, [{"source-identity": "overlay-to-encrypt"}])
    assert _compiled_include(profile) == [{"source_identity": [11]}]


def _config(tmp_path: Path, include: list[dict[str, Any]]) -> Path:
    path = tmp_path / "flowlogs.yaml"
    path.write_text(
        json.dumps(
            {"flowLogs": [{"name": "a", "filePath": "/var/run/cilium/hubble/a.log", "includeFilters": include}]}
        ),
        encoding="utf-8",
    )
    return path


def _preview_config(config: Path, flows: Path, version: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["preview", "--config", str(config), "--cilium", version, "--flows", str(flows), "-o", "json"])
    assert code == 0, err.getvalue()
    (entry,) = json.loads(out.getvalue())["flowLogs"]
    return dict(entry)


VRRP_IGMP = [
    '{"flow":{"l4":{"VRRP":{"vrid":1}},"Summary":"line 1"}}',
    '{"flow":{"l4":{"IGMP":{"type":17}},"Summary":"line 2"}}',
    '{"flow":{"l4":{"UDP":{}},"Summary":"line 3"}}',
]


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
@pytest.mark.parametrize("protocol", ["vrrp", "IGMP"])
def test_vrrp_and_igmp_protocols_as_hubble_reads_them(version: str, protocol: str, tmp_path: Path) -> None:
    """Found by the oracle: flowlogs refused protocol vrrp/igmp, which 1.19's protocol.go takes
    (the VRRP/IGMP layer-4 member); 1.16-1.18 refuse them ("unknown protocol")."""
    flows = tmp_path / "flows.jsonl"
    # the flows only for versions whose Flow has VRRP and IGMP; a UDP flow for the others
    flows.write_text("\n".join(VRRP_IGMP if version == "1.19" else VRRP_IGMP[2:]) + "\n", encoding="utf-8")
    include = [{"protocol": [protocol]}]
    entry = _preview_config(_config(tmp_path, include), flows, version)
    try:
        expected = hubble_lines(upstream_tools.hubble(version), flows, include, [])
    except HubbleRefused as refused:
        assert f'unknown protocol: "{protocol}"' in str(refused)
        assert f"unknown protocol: '{protocol}'" in entry["error"]
        return
    assert expected == [1 if protocol == "vrrp" else 2]
    assert entry["matched_lines"] == expected


@pytest.mark.parametrize("trace_id", ['"42"', "42"])
def test_ip_trace_id_of_a_flow_in_json_names(trace_id: str, tmp_path: Path) -> None:
    """Found by the oracle: `ipTraceId` (1.19's Flow.ip_trace_id, as hubble observe -o jsonpb
    writes it) was not read, so an ip_trace_id filter never matched such a line."""
    flows = tmp_path / "flows.jsonl"
    flows.write_text(
        f'{{"flow":{{"ipTraceId":{{"traceId":{trace_id}}},"Summary":"line '
        '1"}}\n{"flow":{"ipTraceId":{"traceId":"7"},"Summary":"line 2"}}\n',
        encoding="utf-8",
    )
    include = [{"ip_trace_id": [42]}]
    assert hubble_lines(upstream_tools.hubble("1.19"), flows, include, []) == [1]
    assert _preview_config(_config(tmp_path, include), flows, "1.19")["matched_lines"] == [1]

"""`flowlogs preview` on real captures (issue 23): cut-off and malformed lines, records that are not
flows, flow logs whose `end` has passed, the Cilium version a run used, progress on a terminal.

What hubble does with such lines is asked of hubble: `hubble observe --input-file` of each
supported version (../shared/tools/hubble) reads the file with the IOReaderObserver of cilium/cilium
`hubble/cmd/observe/io_reader_observer.go` (vendored in cilium/hubble v1.16.6 ... v1.19.4):
`unmarshalNext` logs "Failed to unmarshal json to flow" with the line's text for a line protojson
cannot read into a GetFlowsResponse, returns nil, and `Recv` reads on; the run exits 0. Preview
skips such a line too, and names it by file and line.

The records that are not flows are the other members of the `response_types` oneof of
GetFlowsResponse (`node_status`, `lost_events`: what `hubble observe -o jsonpb` writes beside
`flow`) and of ExportEvent (also `agent_event`, `debug_event`: what the exporter writes), cilium/cilium
`api/v1/observer/observer.proto` at v1.16.6 ... v1.19.4; their bodies are relay.NodeStatusEvent,
flow.LostEvent, flow.AgentEvent, flow.DebugEvent (`api/v1/relay/relay.proto`, `api/v1/flow/flow.proto`).

A flow log's `end`: the dynamic exporter exports while `me.config.End == nil ||
me.config.End.After(time.Now())` (cilium/cilium `pkg/hubble/exporter/dynamic_exporter.go`,
OnDecodedEvent in 1.16/1.17, Export in 1.18/1.19): an end equal to now has passed.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import upstream_tools
import yaml

from conftest import ROOT, CliResult
from flowlogs.cli import main

DATA = ROOT / "tests" / "data" / "preview"
FLOWS = DATA / "flows.jsonl"
SEED_CONFIGMAP = DATA / "seed-configmap.yaml"
SAMPLE = FLOWS.read_text(encoding="utf-8").splitlines()
Run = Callable[..., CliResult]
HUBBLE_SKIP = upstream_tools.skip_reason("hubble")
VERSIONS = ["1.16", "1.17", "1.18", "1.19"]

# relay.proto NodeStatusEvent, as a GetFlowsResponse line (proto names)
NODE_STATUS = (
    '{"node_status":{"state_change":"NODE_CONNECTED","node_names":["c1/node-a"]},"node_name":"c1/node-a",'
    '"time":"2025-01-23T08:00:19Z"}'
)
# the same kinds in JSON names (protojson's default spelling)
LOST_JSON_NAMES = (
    '{"lostEvents":{"source":"HUBBLE_RING_BUFFER","numEventsLost":"7","cpu":0},"nodeName":"c2/node-b",'
    '"time":"2025-01-23T08:00:20Z"}'
)
NODE_STATUS_JSON_NAMES = (
    '{"nodeStatus":{"stateChange":"NODE_UNAVAILABLE","nodeNames":["c2/node-b"]},"time":"2025-01-23T08:00:21Z"}'
)
# ExportEvent members only (flow.proto AgentEvent, DebugEvent)
AGENT_EVENT = (
    '{"agent_event":{"type":"AGENT_STARTED","agent_start":{"time":"2025-01-23T08:00:00Z"}},"node_name":"c1/node-a",'
    '"time":"2025-01-23T08:00:00Z"}'
)
DEBUG_EVENT = (
    '{"debug_event":{"type":"DBG_GENERIC","cpu":1,"message":"x"},"node_name":"c1/node-a","time":"2025-01-23T08:00:01Z"}'
)


def interrupted_capture(directory: Path) -> Path:
    """A capture as Ctrl-C leaves it: flows, a stray log line (3), the sample's lost_events record
    (5), a node_status record (6), and the first 100 bytes of a flow with no end of line (7)."""
    path = directory / "capture.jsonl"
    lines = [SAMPLE[0], SAMPLE[1], "garbage here", SAMPLE[2], SAMPLE[16], NODE_STATUS]
    path.write_text("\n".join(lines) + "\n" + SAMPLE[1][:100], encoding="utf-8")
    return path


@pytest.mark.skipif(bool(HUBBLE_SKIP), reason=HUBBLE_SKIP)
@pytest.mark.parametrize("version", VERSIONS)
def test_hubble_skips_a_cut_off_or_malformed_line_and_goes_on(tmp_path: Path, version: str) -> None:
    capture = interrupted_capture(tmp_path)
    done = upstream_tools.ask_hubble(version, "observe", "--input-file", capture, "-o", "jsonpb")
    assert done.returncode == 0, done.stderr
    failed = [line for line in done.stderr.splitlines() if "Failed to unmarshal json to flow" in line]
    assert len(failed) == 2, done.stderr
    assert 'line="garbage here"' in failed[0]
    assert "unexpected EOF" in failed[1]  # the cut-off flow
    printed = [json.loads(line) for line in done.stdout.splitlines()]
    # the flows before and after the bad line, and the lost_events record: the run went on
    assert [event["flow"]["uuid"] for event in printed if "flow" in event] == [
        json.loads(SAMPLE[n])["flow"]["uuid"] for n in (0, 1, 2)
    ]
    assert [event for event in printed if "lost_events" in event] == [json.loads(SAMPLE[16])]


def test_preview_skips_names_and_counts_them(run_cli: Run, tmp_path: Path) -> None:
    capture = interrupted_capture(tmp_path)
    result = run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", str(capture))
    assert result.code == 0, result.err
    assert result.err == (
        f"flowlogs: warning: {capture}:3: skipped: not JSON\n"
        f"flowlogs: warning: {capture}:7: skipped: cut off: the file ends inside this line (an interrupted capture?)\n"
    )
    assert result.out.splitlines()[:5] == [
        f"{SEED_CONFIGMAP} on {capture}: 3 flows, matched with Cilium 1.19's filters (the default; --cilium to choose)",
        "  skipped: 2 lines that are not JSON objects (cut off or malformed; named on stderr)",
        "  skipped: 1 lost_events, 1 node_status records (not flows)",
        "  egress-traffic-blocking -> /dev/stdout",
        "    matched 1 of 3 (33.3%)",
    ]
    document = json.loads(
        run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", str(capture), "-o", "json").out
    )
    assert (document["seen"], document["ciliumVersion"], document["ciliumVersionFrom"]) == (3, "1.19", "default")
    assert document["skipped"] == {
        "malformed_lines": 2,
        "malformed": [
            {"line": 3, "problem": "not JSON"},
            {"line": 7, "problem": "cut off: the file ends inside this line (an interrupted capture?)"},
        ],
        "records": {"lost_events": 1, "node_status": 1},
    }
    assert document["flowLogs"][0]["matched_lines"] == [1]


def test_strict_refuses_the_first_bad_line_and_writes_nothing(run_cli: Run, tmp_path: Path) -> None:
    capture = interrupted_capture(tmp_path)
    report = tmp_path / "report.html"
    result = run_cli(
        "preview", "--config", str(SEED_CONFIGMAP), "--flows", str(capture), "--strict", "--report", str(report)
    )
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"flowlogs: error: {capture}:3: not JSON: not a Flow or an exported event (--strict refuses it; without "
        "--strict it is skipped)\n"
    )
    assert not report.exists()
    # only the cut-off last line
    cut = tmp_path / "cut.jsonl"
    cut.write_text(SAMPLE[0] + "\n" + SAMPLE[1][:100], encoding="utf-8")
    result = run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", str(cut), "--strict")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"flowlogs: error: {cut}:2: cut off: the file ends inside this line (an interrupted capture?): "
        "not a Flow or an exported event (--strict refuses it; without --strict it is skipped)\n"
    )
    # a last line that is whole but lacks its end of line is a flow, not a cut-off one
    whole = tmp_path / "whole.jsonl"
    whole.write_text(SAMPLE[0] + "\n" + SAMPLE[1], encoding="utf-8")
    result = run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", str(whole), "--strict", "-o", "json")
    assert (result.code, result.err, json.loads(result.out)["seen"]) == (0, "", 2)


def test_only_the_first_three_bad_lines_are_named(run_cli: Run, tmp_path: Path) -> None:
    flows = tmp_path / "noisy.jsonl"
    flows.write_text("\n".join([SAMPLE[0], "oops", "[1, 2]", "42", '"text"', "{", SAMPLE[1]]) + "\n", encoding="utf-8")
    result = run_cli("preview", "--config", str(SEED_CONFIGMAP), "--cilium", "1.18", "--flows", str(flows))
    assert result.code == 0, result.err
    assert result.err == (
        f"flowlogs: warning: {flows}:2: skipped: not JSON\n"
        f"flowlogs: warning: {flows}:3: skipped: not a JSON object\n"
        f"flowlogs: warning: {flows}:4: skipped: not a JSON object\n"
        f"flowlogs: warning: {flows}: and 2 more lines skipped (--strict refuses them)\n"
    )
    assert result.out.splitlines()[:2] == [
        f"{SEED_CONFIGMAP} on {flows}: 2 flows, matched with Cilium 1.18's filters (--cilium)",
        "  skipped: 5 lines that are not JSON objects (cut off or malformed; named on stderr)",
    ]


def records_file(directory: Path) -> Path:
    path = directory / "records.jsonl"
    lines = [
        SAMPLE[0],
        SAMPLE[16],
        NODE_STATUS,
        LOST_JSON_NAMES,
        NODE_STATUS_JSON_NAMES,
        AGENT_EVENT,
        DEBUG_EVENT,
        SAMPLE[1],
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_records_that_are_not_flows_are_counted_apart(run_cli: Run, tmp_path: Path) -> None:
    records = records_file(tmp_path)
    config = tmp_path / "flowlogs.yaml"
    # no filter: a flow log that exports every flow; the records are still no flows
    config.write_text(
        yaml.safe_dump({"flowLogs": [{"name": "all", "filePath": "/var/run/cilium/hubble/all.log"}]}), encoding="utf-8"
    )
    result = run_cli(
        "preview", "--config", str(config), "--flows", str(records), "--cilium", "1.17", "--duration", "1m"
    )
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines()[:4] == [
        f"{config} on {records}: 2 flows, matched with Cilium 1.17's filters (--cilium)",
        "  skipped: 2 lost_events, 2 node_status, 1 agent_event, 1 debug_event records (not flows)",
        "  all -> /var/run/cilium/hubble/all.log",
        "    matched 2 of 2 (100.0%)",
    ]
    document = json.loads(
        run_cli("preview", "--config", str(config), "--flows", str(records), "-o", "json", "--duration", "1m").out
    )
    assert document["skipped"]["records"] == {"lost_events": 2, "node_status": 2, "agent_event": 1, "debug_event": 1}
    (entry,) = document["flowLogs"]
    assert (entry["seen"], entry["matched"], entry["matched_lines"]) == (2, 2, [1, 8])
    assert entry["written_bytes"] == len(SAMPLE[0]) + 1 + len(SAMPLE[1]) + 1  # the flows' lines only
    assert entry["volume"]["flows_per_second"] == 0.0333  # 2 flows in 1 minute, three significant digits
    shown = run_cli("preview", "--config", str(config), "--flows", str(records), "--show")
    assert shown.out == SAMPLE[0] + "\n" + SAMPLE[1] + "\n"  # unmasked: as read


@pytest.mark.skipif(bool(HUBBLE_SKIP), reason=HUBBLE_SKIP)
def test_the_record_shapes_are_hubbles(tmp_path: Path) -> None:
    """The GetFlowsResponse records of the tests are read by hubble without a warning, in both spellings."""
    path = tmp_path / "responses.jsonl"
    path.write_text(
        "\n".join([SAMPLE[16], NODE_STATUS, LOST_JSON_NAMES, NODE_STATUS_JSON_NAMES]) + "\n", encoding="utf-8"
    )
    for version in VERSIONS:
        done = upstream_tools.ask_hubble(version, "observe", "--input-file", path, "-o", "jsonpb")
        # (hubble prints node status changes other than NODE_CONNECTED to stderr, as they are: no warning)
        assert (done.returncode, [line for line in done.stderr.splitlines() if "level=" in line]) == (0, []), version
        assert len([line for line in done.stdout.splitlines() if "lost_events" in line]) == 2, version


# --- a flow log whose end has passed ---------------------------------------------------------

ENDED_PROFILE = """\
cilium:
  version: "1.18"
  flow-logs:
    - name: audit
      file: /var/run/cilium/hubble/audit.log
      include:
        - verdict: dropped
      end: 2025-01-01T00:00:00Z
"""
ENDED_WARNING = (
    "values/audit.yaml:8:12: warning: flow log audit: end 2025-01-01T00:00:00Z has passed; Cilium exports nothing for "
    "it\n"
    "  hint: move 'end' to a time to come, or remove the flow log\n"
)


@pytest.fixture
def ended(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose one profile ended on 2025-01-01, at 2025-06-01."""
    (tmp_path / "values").mkdir()
    (tmp_path / "values" / "audit.yaml").write_text(ENDED_PROFILE, encoding="utf-8")
    (tmp_path / "values" / "fleet.yaml").write_text(
        "gitops:\n  repo-url: https://git.example.com/flowlogs.git\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLOWLOGS_NOW", "2025-06-01T00:00:00Z")
    return tmp_path


def test_generate_warns_of_a_passed_end(run_cli: Run, ended: Path) -> None:
    result = run_cli("generate")
    assert result.code == 0, result.err
    assert result.err == ENDED_WARNING
    assert "end: '2025-01-01T00:00:00Z'" in (ended / "chart" / "profiles" / "audit" / "values.yaml").read_text(
        encoding="utf-8"
    )


def test_render_warns_of_a_passed_end(run_cli: Run, ended: Path) -> None:
    result = run_cli("render", "audit")
    assert result.code == 0, result.err
    assert result.err == ENDED_WARNING
    assert "kind: ConfigMap" in result.out


def test_explain_warns_of_a_passed_end(run_cli: Run, ended: Path) -> None:
    result = run_cli("explain", "audit")
    assert result.code == 0, result.err
    assert result.err == ENDED_WARNING
    assert "until 2025-01-01T00:00:00Z." in result.out


def test_preview_warns_of_a_passed_end(run_cli: Run, ended: Path) -> None:
    result = run_cli("preview", "audit", "--flows", str(FLOWS))
    assert result.code == 0, result.err
    assert result.err == ENDED_WARNING
    assert (
        result.out.splitlines()[0]
        == f"values/audit.yaml on {FLOWS}: 17 flows, matched with Cilium 1.18's filters (the profile's version)"
    )
    assert result.out.splitlines()[-1] == (
        "  note: flow log audit: end 2025-01-01T00:00:00Z has passed; Cilium exports nothing for it (previewed as "
        "if it were active)"
    )


def test_an_end_to_come_is_not_warned(run_cli: Run, ended: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWLOGS_NOW", "2024-12-31T23:59:59.999999Z")
    result = run_cli("explain", "audit")
    assert (result.code, result.err) == (0, "")


def test_a_bad_pinned_clock_is_an_error(run_cli: Run, ended: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWLOGS_NOW", "yesterday")
    result = run_cli("explain", "audit")
    assert result.code == 1
    assert (
        result.err
        == "flowlogs: error: FLOWLOGS_NOW='yesterday' is not an RFC 3339 time with a zone, e.g. 2025-01-01T00:00:00Z\n"
    )


# --- the Cilium version, stated --------------------------------------------------------------


def test_the_default_version_is_stated_and_documented(run_cli: Run, capsys: pytest.CaptureFixture[str]) -> None:
    from flowlogs.cilium.defaults import DEFAULT_VERSION, SUPPORTED_VERSIONS

    result = run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", str(FLOWS))
    assert result.out.splitlines()[0] == (
        f"{SEED_CONFIGMAP} on {FLOWS}: 17 flows, matched with Cilium {DEFAULT_VERSION}'s filters (the default; "
        "--cilium to choose)"
    )
    chosen = run_cli(
        "preview", "--config", str(SEED_CONFIGMAP), "--flows", str(FLOWS), "--cilium", "1.16", "-o", "json"
    )
    assert {k: v for k, v in json.loads(chosen.out).items() if k.startswith("cilium")} == {
        "ciliumVersion": "1.16",
        "ciliumVersionFrom": "--cilium",
    }
    docs = (ROOT / "docs" / "preview.md").read_text(encoding="utf-8")
    assert (
        f"`--cilium VERSION` ({', '.join(SUPPORTED_VERSIONS[:-1])} or {SUPPORTED_VERSIONS[-1]}; default "
        f"{DEFAULT_VERSION}, the newest)" in docs
    )
    assert "matched with Cilium 1.19's filters (the default; --cilium to choose)" in docs
    with pytest.raises(SystemExit):
        main(["preview", "--help"])
    assert (
        f"--cilium VERSION with --config: the Cilium version whose filters decide ({', '.join(SUPPORTED_VERSIONS)}; "
        f"default: {DEFAULT_VERSION}, the newest)" in " ".join(capsys.readouterr().out.split())
    )


# --- progress --------------------------------------------------------------------------------


def _progress_run(tmp_path: Path, terminal: bool) -> tuple[int, bytes, bytes]:
    """flowlogs preview in a child process, stderr a pseudo-terminal or a pipe; (exit code, stdout, stderr)."""
    flows = tmp_path / "ten.jsonl"
    flows.write_text("".join(SAMPLE[1] + "\n" for _ in range(10)), encoding="utf-8")
    env = {**os.environ, "FLOWLOGS_PROGRESS_EVERY": "4"}
    command = [
        sys.executable,
        "-m",
        "flowlogs",
        "preview",
        "--config",
        str(SEED_CONFIGMAP),
        "--flows",
        str(flows),
        "-o",
        "json",
    ]
    if not terminal:
        done = subprocess.run(command, capture_output=True, env=env, check=False, timeout=120)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=follower, env=env)
    os.close(follower)
    assert child.stdout is not None
    with child.stdout:
        out = child.stdout.read()
    err = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        err += chunk
    os.close(leader)
    return child.wait(timeout=60), out, err


def test_progress_on_a_terminal(tmp_path: Path) -> None:
    code, out, err = _progress_run(tmp_path, terminal=True)
    assert code == 0, err
    assert err == b"\rread 4 flows...\rread 8 flows...\r\x1b[K"
    assert json.loads(out)["seen"] == 10


def test_no_progress_into_a_pipe(tmp_path: Path) -> None:
    code, out, err = _progress_run(tmp_path, terminal=False)
    assert (code, err) == (0, b"")
    assert json.loads(out)["seen"] == 10

"""`flowlogs preview` end to end: profiles and existing configurations, output forms, mask, volume, errors."""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SHARED, CliResult

DATA = ROOT / "tests" / "data" / "preview"
FLOWS = DATA / "flows.jsonl"
SEED_CONFIGMAP = DATA / "seed-configmap.yaml"
Run = Callable[..., CliResult]

# The labels the seed elides as [...] (source.labels, node_labels), as the sample's line 1 fills them.
SEED_SOURCE_LABELS = (
    '["k8s:app=bash","k8s:io.cilium.k8s.policy.cluster=aks-azst-2","k8s:io.kubernetes.pod.namespace=default"]'
)
SEED_NODE_LABELS = '["kubernetes.io/hostname=aks-nodepool1-25275757-vmss000000","kubernetes.io/os=linux"]'


def seed_exported_line() -> str:
    """The exported flow of the Hubble exporter seed (../shared/seeds/002_*.txt), labels filled in."""
    seeds = sorted((SHARED / "seeds").glob("002_*.txt")) if SHARED.is_dir() else []
    if not seeds:
        pytest.skip("the Hubble exporter seed (../shared/seeds/002_*.txt) is absent")
    (line,) = [line for line in seeds[0].read_text(encoding="utf-8").splitlines() if line.startswith('{"flow":')]
    first, second, rest = line.split("[...]", 2)
    return first + SEED_SOURCE_LABELS + second + SEED_NODE_LABELS + rest


def test_seed_flow_is_matched_by_the_profile_and_written_as_the_seed_shows(run_cli: Run, tmp_path: Path) -> None:
    line = seed_exported_line()
    assert FLOWS.read_text(encoding="utf-8").splitlines()[0] == line  # the sample starts with it
    flows = tmp_path / "seed.jsonl"
    flows.write_text(line + "\n", encoding="utf-8")
    result = run_cli(
        "--values-dir", str(ROOT / "values"), "preview", "cilium-exporter", "--flows", str(flows), "--show"
    )
    assert result.code == 0, result.err
    assert result.out == line + "\n"  # no field mask: the agent writes the event as it came
    assert "matched 1 of 1 (100.0%)" in result.err


def test_profile_on_the_sample(run_cli: Run) -> None:
    result = run_cli("preview", str(ROOT / "values" / "cilium-exporter.yaml"), "--flows", str(FLOWS))
    assert result.code == 0, result.err
    assert result.out.splitlines()[:8] == [
        f"{_display(ROOT / 'values' / 'cilium-exporter.yaml')} on {FLOWS}: 17 flows, matched with Cilium 1.17's "
        "filters (the profile's version)",
        "  skipped: 1 lost_events record (not a flow)",  # line 17
        "  egress-traffic-blocking -> /dev/stdout",
        "    matched 2 of 17 (11.8%)",
        "    top sources: default/bash (1), shop/frontend-7d9f8 (1)",
        "    top destinations: 217.160.0.92 (1), reserved:world (1.1.1.1) (1)",
        "    verdicts: DROPPED (2)",
        "    drop reasons: POLICY_DENY (2)",
    ]


def _display(path: Path) -> str:
    from flowlogs.profile import display_path

    return display_path(path)


def test_seed_configmap_json(run_cli: Run) -> None:
    result = run_cli(
        "preview", "--config", str(SEED_CONFIGMAP), "--cilium-version", "1.17", "--flows", str(FLOWS), "-o", "json"
    )
    assert result.code == 0, result.err
    document = json.loads(result.out)
    (entry,) = document["flowLogs"]
    # event_type type 1 without match_sub_type matches every drop (event_type.go); EGRESS narrows it.
    assert (entry["name"], entry["seen"], entry["matched"], entry["matched_lines"]) == (
        "egress-traffic-blocking",
        17,
        2,
        [1, 18],
    )
    assert entry["verdicts"] == [{"name": "DROPPED", "count": 2}]
    assert entry["drop_reasons"] == [{"name": "POLICY_DENY", "count": 2}]


def test_config_forms_agree(run_cli: Run, tmp_path: Path) -> None:
    flow_logs = yaml.safe_load(yaml.safe_load(SEED_CONFIGMAP.read_text())["data"]["flowlogs.yaml"])["flowLogs"]
    plain = tmp_path / "flowlogs.yaml"
    plain.write_text(yaml.safe_dump({"flowLogs": flow_logs}))
    helm = tmp_path / "values.yaml"
    helm.write_text(
        yaml.safe_dump({"hubble": {"export": {"dynamic": {"enabled": True, "config": {"content": flow_logs}}}}})
    )
    # encoding/json matches outer keys case-insensitively (sigs.k8s.io/yaml -> encoding/json)
    folded = tmp_path / "folded.yaml"
    folded.write_text(
        yaml.safe_dump(
            {
                "FlowLogs": [
                    {
                        "Name": "egress-traffic-blocking",
                        "filepath": "/dev/stdout",
                        "IncludeFilters": flow_logs[0]["includeFilters"],
                    }
                ]
            }
        )
    )
    results = []
    for config in (SEED_CONFIGMAP, plain, helm, folded):
        result = run_cli("preview", "--config", str(config), "--flows", str(FLOWS), "-o", "json")
        assert result.code == 0, result.err
        results.append([(e["name"], e["matched_lines"]) for e in json.loads(result.out)["flowLogs"]])
    assert results == [[("egress-traffic-blocking", [1, 18])]] * 4


def test_static_exporter_from_helm_values(run_cli: Run, tmp_path: Path) -> None:
    helm = tmp_path / "values.yaml"
    helm.write_text(
        yaml.safe_dump(
            {
                "hubble": {
                    "export": {
                        "static": {
                            "enabled": True,
                            "filePath": "/var/run/cilium/hubble/events.log",
                            "fieldMask": ["time", "verdict"],
                            # Cilium's chart takes JSON text here (it joins the strings into hubble-export-allowlist)
                            "allowList": ['{"verdict":["DROPPED"]}'],
                            "denyList": ['{"traffic_direction":["INGRESS"]}'],
                        }
                    }
                }
            }
        )
    )
    result = run_cli("preview", "--config", str(helm), "--flows", str(FLOWS), "-o", "json", "--duration", "1m")
    assert result.code == 0, result.err
    (entry,) = json.loads(result.out)["flowLogs"]
    assert (entry["name"], entry["matched_lines"]) == ("static", [1, 18])
    # Masked lines: {"flow":{"time":..,"verdict":"DROPPED"},"node_name":..,"time":..}
    expected_bytes = sum(
        len(json.dumps({"flow": {"time": t, "verdict": "DROPPED"}, "node_name": n, "time": t}, separators=(",", ":")))
        + 1
        for t, n in (
            ("2025-01-23T07:59:23.501253423Z", "aks-azst-2/aks-nodepool1-25275757-vmss000000"),
            ("2025-01-23T08:00:18.000142542Z", "c1/node-a"),
        )
    )
    assert entry["written_bytes"] == expected_bytes
    volume = entry["volume"]
    assert volume["span_seconds"] == 60
    assert volume["bytes_per_day"] == round(expected_bytes / 60 * 86400)
    # defaults of the chart: fileMaxSizeMb 10, fileMaxBackups 5
    assert volume["rotation"].endswith("(5 backups of 10 MiB) on the busiest node")


def test_field_mask_written_lines(run_cli: Run, tmp_path: Path) -> None:
    config = tmp_path / "flowlogs.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "flowLogs": [
                    {
                        "name": "masked",
                        "filePath": "/tmp/m.log",
                        "fieldMask": ["time", "verdict", "source.namespace", "l4.TCP.destination_port"],
                        "includeFilters": [
                            {"uuid": ["00000000-0000-4000-8000-000000000009", "00000000-0000-4000-8000-000000000002"]}
                        ],
                    }
                ]
            }
        )
    )
    result = run_cli("preview", "--config", str(config), "--flows", str(FLOWS), "--show")
    assert result.code == 0, result.err
    # fieldmask.go (1.16-1.18): leaves copied when set; parents of masked sub-fields always exist.
    assert result.out.splitlines() == [
        '{"flow":{"time":"2025-01-23T08:00:02.000015838Z","verdict":"FORWARDED","l4":{"TCP":{"destination_port":8080}},'
        '"source":{"namespace":"shop"}},"node_name":"c1/node-a","time":"2025-01-23T08:00:02.000015838Z"}',
        '{"flow":{"time":"2025-01-23T08:00:09.000071271Z","verdict":"FORWARDED","l4":{"TCP":{}},"source":{}},'
        '"node_name":"node-c","time":"2025-01-23T08:00:09.000071271Z"}',
    ]


def test_jsonpb_input_is_written_with_proto_names(run_cli: Run, tmp_path: Path) -> None:
    config = tmp_path / "flowlogs.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "flowLogs": [
                    {
                        "name": "k",
                        "filePath": "/tmp/k.log",
                        "fieldMask": ["source.pod_name", "l4"],
                        "includeFilters": [{"protocol": ["kafka"]}],
                    }
                ]
            }
        )
    )
    result = run_cli("preview", "--config", str(config), "--flows", str(FLOWS), "--show")
    assert result.out == (
        '{"flow":{"l4":{"TCP":{"source_port":40400,"destination_port":9092}},"source":{"pod_name":"producer-1"}},'
        '"node_name":"c2/node-b","time":"2025-01-23T08:00:12.000095028Z"}\n'
    )


def test_gzip_and_stdin(run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    packed = tmp_path / "flows.jsonl.gz"
    packed.write_bytes(gzip.compress(FLOWS.read_bytes()))
    expected = run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", str(FLOWS), "-o", "json").out
    assert run_cli(
        "preview", "--config", str(SEED_CONFIGMAP), "--flows", str(packed), "-o", "json"
    ).out == expected.replace(str(FLOWS), str(packed))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(FLOWS.read_bytes())))
    assert run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", "-", "-o", "json").out == expected.replace(
        f'"flows": "{FLOWS}"', '"flows": "-"'
    )


def test_calico_profile_storage_note(run_cli: Run) -> None:
    result = run_cli("preview", str(ROOT / "values" / "both.yaml"), "--flows", str(FLOWS))
    assert result.code == 0, result.err
    assert "note: Calico Enterprise L7 logs need at least" in result.out
    calico_only = run_cli("preview", str(ROOT / "values" / "calico-l7.yaml"), "--flows", str(FLOWS))
    assert calico_only.code == 1
    assert (
        "has no cilium section: nothing to preview on flows (Calico Enterprise L7 logs need at least 6 GB of extra log "
        "storage (6 nodes x 1 day(s) x 1 GB))" in calico_only.err
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--flows", str(FLOWS)], "give a PROFILE or --config FILE"),
        (["nope", "--flows", str(FLOWS)], "no profile 'nope': not a file, and not in"),
        (
            ["--config", str(SEED_CONFIGMAP), "--cilium-version", "1.12", "--flows", str(FLOWS)],
            "--cilium 1.12: supported: 1.16, 1.17, 1.18",
        ),
        (
            ["--config", str(SEED_CONFIGMAP), "--flows", "/nonexistent.jsonl"],
            "cannot read flows from /nonexistent.jsonl",
        ),
        (
            ["--config", str(SEED_CONFIGMAP), "--flows", str(FLOWS), "--duration", "ten minutes"],
            "--duration 'ten minutes' is not a duration",
        ),
        (["--config", str(FLOWS), "--flows", str(FLOWS)], "not YAML"),
    ],
)
def test_bad_invocations(run_cli: Run, args: list[str], message: str) -> None:
    result = run_cli("--values-dir", str(ROOT / "values"), "preview", *args)
    assert result.code == 1
    assert message in result.err


def test_bad_flow_line_is_skipped_with_file_and_line(run_cli: Run, tmp_path: Path) -> None:
    flows = tmp_path / "bad.jsonl"
    flows.write_text(FLOWS.read_text().splitlines()[0] + "\n\nnot json\n")
    result = run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", str(flows))
    assert result.code == 0, result.err
    assert result.err == f"flowlogs: warning: {flows}:3: skipped: not JSON\n"
    assert result.out.splitlines()[:2] == [
        f"{SEED_CONFIGMAP} on {flows}: 1 flow, matched with Cilium 1.19's filters (the default; --cilium to choose)",
        "  skipped: 1 line that is not a JSON object (cut off or malformed; named on stderr)",
    ]
    strict = run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", str(flows), "--strict")
    assert (strict.code, strict.out) == (1, "")
    assert strict.err == (
        f"flowlogs: error: {flows}:3: not JSON: not a Flow or an exported event (--strict refuses it; without "
        "--strict it is skipped)\n"
    )


@pytest.mark.parametrize("before", [0, 20000])
def test_a_malformed_line_is_seen_wherever_it_is(run_cli: Run, tmp_path: Path, before: int) -> None:
    """Issue 22: ten lines with a malformed one were an error alone, and silently counted at
    the end of a 20k-line file (a prefilter calibrated on the first lines skipped it unparsed).
    Issue 23: such a line is skipped and named, wherever it is; --strict makes it an error."""
    forwarded = '{"flow":{"verdict":"FORWARDED"},"node_name":"node-a","time":"2026-12-01T10:00:00Z"}\n'
    ten = [forwarded] * 9 + ['{"flow":{"verdict":"FORWARDED","IP":{"source":"10.0.0.1"},"node_name":"node-a"\n']
    flows = tmp_path / "flows.jsonl"
    flows.write_text(forwarded * before + "".join(ten), encoding="utf-8")
    result = run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", str(flows), "-o", "json")
    assert result.code == 0, result.err
    assert result.err == f"flowlogs: warning: {flows}:{before + 10}: skipped: not JSON\n"
    document = json.loads(result.out)
    assert (document["seen"], document["skipped"]["malformed"]) == (
        before + 9,
        [{"line": before + 10, "problem": "not JSON"}],
    )
    strict = run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", str(flows), "--strict")
    assert (strict.code, strict.out) == (1, "")
    assert strict.err == (
        f"flowlogs: error: {flows}:{before + 10}: not JSON: not a Flow or an exported event (--strict refuses it; "
        "without --strict it is skipped)\n"
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"flowLogs": [{"filePath": "/a"}]}, "flowLogs[0]: name is required"),
        ({"flowLogs": [{"name": "a", "filePath": "/a"}, {"name": "a", "filePath": "/b"}]}, "duplicated flowlog name a"),
        (
            {"flowLogs": [{"name": "a", "filePath": "/a"}, {"name": "b", "filePath": "/a"}]},
            "duplicated flowlog path /a",
        ),
        (
            {"flowLogs": [{"name": "a", "filePath": "/a", "includeFilters": [{"source_namespace": ["x"]}]}]},
            "unknown FlowFilter field 'source_namespace'",
        ),
        ({"kind": "ConfigMap", "data": {"other.yaml": "x"}}, "no exporter configuration found"),
        ({"hubble": {"export": {}}}, "hubble.export has neither dynamic.config.content nor static settings"),
    ],
)
def test_bad_configurations(run_cli: Run, tmp_path: Path, document: dict[str, object], message: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(document))
    result = run_cli("preview", "--config", str(config), "--flows", str(FLOWS))
    assert result.code == 1
    assert message in result.err


def test_per_node_volume(run_cli: Run, tmp_path: Path) -> None:
    config = tmp_path / "flowlogs.yaml"
    config.write_text(
        yaml.safe_dump(
            {"flowLogs": [{"name": "all", "filePath": "/var/log/all.log", "fileMaxSizeMb": 1, "fileMaxBackups": 2}]}
        )
    )
    result = run_cli("preview", "--config", str(config), "--flows", str(FLOWS), "-o", "json", "--duration", "10s")
    (entry,) = json.loads(result.out)["flowLogs"]
    nodes = {n["node"]: n["flows_per_second"] for n in entry["volume"]["per_node"]}
    # flows per node in the sample: node-a 11 (the lost event is no flow), node-b 4, node-c 1, seed node 1
    assert nodes == {
        "c1/node-a": 1.1,
        "c2/node-b": 0.4,
        "node-c": 0.1,
        "aks-azst-2/aks-nodepool1-25275757-vmss000000": 0.1,
    }
    busiest = [n for n in entry["volume"]["per_node"] if n["node"] == "c1/node-a"][0]["bytes_per_day"]
    minutes = 1024 * 1024 / (busiest / 86400) / 60
    assert entry["volume"]["rotation"].startswith(
        f"rotates every ~{minutes:.0f} minutes" if minutes < 120 else "rotates every ~"
    )


def test_show_and_json_exclude_each_other(run_cli: Run) -> None:
    result = run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", str(FLOWS), "--show", "-o", "json")
    assert result.code == 1
    assert "--show prints the exported lines on stdout: use it without -o json" in result.err


def test_matched_lines_spool_to_disk_and_stream_out(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowlogs.cilium.preview import engine
    from flowlogs.cilium.preview import report as preview_report

    monkeypatch.setattr(engine, "_CHUNK", 4)  # spill the spool to its file every 4 line numbers
    monkeypatch.setattr(preview_report, "_CHUNK", 3)  # and write them out 3 at a time
    flows = tmp_path / "flows.jsonl"
    flows.write_bytes(FLOWS.read_bytes() * 5)
    result = run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", str(flows), "-o", "json")
    assert result.code == 0, result.err
    (entry,) = json.loads(result.out)["flowLogs"]
    assert entry["matched_lines"] == [n + 18 * k for k in range(5) for n in (1, 18)]
    assert entry["seen"] == 85  # five lost_events records are no flows
    assert json.loads(result.out)["skipped"] == {"malformed_lines": 0, "malformed": [], "records": {"lost_events": 5}}


def test_ended_flow_log_is_warned(run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """dynamic_exporter.go (1.16-1.19) exports while `End == nil || End.After(time.Now())`: an end
    equal to now has passed; the agent keeps the flow log and writes nothing to it."""
    monkeypatch.setenv("FLOWLOGS_NOW", "2025-06-01T12:00:00Z")
    config = tmp_path / "flowlogs.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "flowLogs": [
                    {"name": "old", "filePath": "/a", "end": "2025-06-01T12:00:00Z"},
                    {"name": "future", "filePath": "/b", "end": "2025-06-01T12:00:00.000000001Z"},
                ]
            }
        )
    )
    result = run_cli("preview", "--config", str(config), "--flows", str(FLOWS))
    assert result.code == 0, result.err
    assert result.err == (
        f"flowlogs: warning: {config}: flowLogs[0]: flow log old: end 2025-06-01T12:00:00Z has passed; Cilium "
        "exports nothing for it\n"
    )
    assert result.out.splitlines()[-1] == (
        "  note: flow log old: end 2025-06-01T12:00:00Z has passed; Cilium exports nothing for it (previewed as if "
        "it were active)"
    )
    assert "flow log future" not in result.out


def test_volume_says_what_rotation_does_to_dev_stdout_and_stdout(run_cli: Run, tmp_path: Path) -> None:
    """The literal `stdout` is the agent's own stdout (not rotated); /dev/stdout goes through the
    rotating writer, which renames it at the first rotation (docs/cilium-versions.md, lumberjack)."""
    for path, expected in (
        ("stdout", "written to the agent's stdout: not rotated by the agent"),
        ("/dev/stdout", "/dev/stdout goes through the rotating file writer: after 10 MB it renames /dev/stdout"),
    ):
        config = tmp_path / "flowlogs.yaml"
        config.write_text(yaml.safe_dump({"flowLogs": [{"name": "all", "filePath": path}]}), encoding="utf-8")
        result = run_cli("preview", "--config", str(config), "--cilium-version", "1.18", "--flows", str(FLOWS))
        assert result.code == 0, result.err
        assert expected in result.out


@pytest.mark.parametrize(
    ("duration", "err"),
    [
        # Go's time.ParseDuration messages (src/time/format.go), as flowlogs.go_duration gives them
        (
            "1d",
            "flowlogs: error: --duration '1d' is not a duration like 10m, 1h30m or 90s (time: unknown unit \"d\" in "
            'duration "1d")\n',
        ),
        (
            "10",
            "flowlogs: error: --duration '10' is not a duration like 10m, 1h30m or 90s (time: missing unit in duration "
            '"10")\n',
        ),
        ("0s", "flowlogs: error: --duration '0s' must be longer than zero\n"),
        ("-1m", "flowlogs: error: --duration '-1m' must be longer than zero\n"),
    ],
)
def test_a_bad_duration_is_refused_with_gos_reason(run_cli: Run, duration: str, err: str) -> None:
    result = run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", str(FLOWS), f"--duration={duration}")
    assert (result.code, result.out, result.err) == (1, "", err)


def test_a_duration_takes_every_go_unit(run_cli: Run) -> None:
    """1.5m and 90000ms are 90s to Go's time.ParseDuration: the rates are the same."""
    outputs = [
        run_cli("preview", "--config", str(SEED_CONFIGMAP), "--flows", str(FLOWS), "-o", "json", "--duration", d)
        for d in ("90s", "1.5m", "90000ms")
    ]
    assert [r.code for r in outputs] == [0, 0, 0]
    assert outputs[0].out == outputs[1].out == outputs[2].out
    assert '"span_seconds": 90.0,' in outputs[0].out

"""The model of the agent's flowlogs.yaml parser (tests/tools/agent_config.py).

Expectations come from cilium/cilium pkg/hubble/exporter config.go (Parse, Validate, the
FlowLogConfig json tags of each version), api/v1/flow/flow.pb.json.go (FlowFilter.UnmarshalJSON is
protojson), sigs.k8s.io/yaml + go.yaml.in/yaml/v2 (YAML -> JSON), Go encoding/json and
pkg/hubble/filters (the per-flow-log filter building), as listed in the module docstring.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from conftest import CliResult, upstream_tools
from flowlogs.cilium.defaults import SUPPORTED_VERSIONS
from flowlogs.compiler import compile_paths
from tools.agent_config import agent_parse_errors

ROOT = Path(__file__).resolve().parents[1]
FILE = "the agent rejects the whole file and keeps its previous flow logs"
ONE = "the agent does not apply this flow log"


def _flowlogs_yaml(flow_logs: object) -> str:
    # what templates/cilium/configmap.yaml renders: `flowLogs:` + toYaml (sigs.k8s.io/yaml, sorted keys)
    return "flowLogs:\n" + yaml.safe_dump(flow_logs, sort_keys=True)


def _shipped() -> list[tuple[str, str, object]]:
    profiles = sorted((ROOT / "values").glob("*.yaml")) + sorted(
        (ROOT / "tests" / "fixtures" / "profiles").glob("*.yaml")
    )
    result = compile_paths(profiles)
    return [
        (p.name, p.parts["cilium"].version, p.parts["cilium"].values["flowLogs"])
        for p in result.profiles
        if "cilium" in p.parts
    ]


SHIPPED = _shipped()


def test_there_are_shipped_cilium_profiles() -> None:
    assert {name for name, _, _ in SHIPPED} >= {"cilium-exporter", "both", "every-word"}


@pytest.mark.parametrize(("name", "version", "flow_logs"), SHIPPED, ids=[name for name, _, _ in SHIPPED])
def test_every_compiled_flowlogs_yaml_parses_for_its_version(name: str, version: str, flow_logs: object) -> None:
    assert agent_parse_errors(_flowlogs_yaml(flow_logs), version) == []
    committed = ROOT / "chart" / "profiles" / name / "values.yaml"
    if committed.exists():  # the chart's copy, as helm renders it
        values = yaml.safe_load(committed.read_text(encoding="utf-8"))
        assert agent_parse_errors(_flowlogs_yaml(values["cilium"]["flowLogs"]), version) == []


def test_empty_files_are_fine() -> None:
    assert agent_parse_errors("", "1.18") == []
    assert agent_parse_errors("flowLogs: []\n", "1.18") == []
    assert agent_parse_errors("flowLogs:\n", "1.16") == []


def test_whole_file_errors() -> None:
    text = """flowLogs:
- name: a
  filePath: /var/run/cilium/hubble/a.log
  end: 2030-01-01T00:00Z
  includeFilters:
  - destination_port: [80]
    verdict: [DROPPED, DROP]
    sourcePod: [x]
    source_pod: [y]
    event_type: [{type: 1, subType: "x"}]
    bogus: [1]
- name: a
  filePath: /var/run/cilium/hubble/a.log
-
- filePath: /b.log
"""
    assert agent_parse_errors(text, "1.18") == [
        f"flowLogs[0].includeFilters[0]: destination_port[0]: invalid value for string type: 80 (quote it) ({FILE})",
        "flowLogs[0].includeFilters[0]: verdict[1]: invalid value for enum field Verdict: 'DROP' (one of "
        f"VERDICT_UNKNOWN, FORWARDED, DROPPED, ERROR, AUDIT, REDIRECTED, TRACED, TRANSLATED) ({FILE})",
        f"flowLogs[0].includeFilters[0]: duplicate field 'source_pod' (also written as 'sourcePod') ({FILE})",
        f"flowLogs[0].includeFilters[0]: event_type[0]: subType: invalid value for int32 type: 'x' ({FILE})",
        f"flowLogs[0].includeFilters[0]: unknown field 'bogus' in FlowFilter ({FILE})",
        "flowLogs[0].end: end '2030-01-01T00:00Z' is not a time Cilium's agent can read (Go RFC 3339: "
        "YYYY-MM-DDTHH:MM:SS, "
        "an optional .fraction, then Z or ±HH:MM (upper-case T and Z)), so it rejects the whole flowlogs.yaml; write "
        f"2030-01-01T00:00:00Z ({FILE})",
        f"flowLogs[1]: duplicated flowlog name a ({FILE})",
        f"flowLogs[1]: duplicated flowlog path /var/run/cilium/hubble/a.log ({FILE})",
        f"flowLogs[2]: invalid flowlog at index 2 ({FILE})",
        f"flowLogs[3]: name is required ({FILE})",
    ]


def test_go_json_decoding_rules() -> None:
    # encoding/json: keys match case-insensitively, unknown keys are ignored, wrong types fail;
    # sigs.k8s.io/yaml turns a number into a string where the Go field is a string (name: 7)
    ok = "flowLogs:\n- Name: 7\n  FILEPATH: /a.log\n  fileMaxSizeMB: 5\n  unknownKey: x\n"
    assert agent_parse_errors(ok, "1.18") == []
    bad = "flowLogs:\n- name: a\n  filePath: /a.log\n  fileMaxSizeMb: '5'\n  fileCompress: 'yes'\n  fieldMask: time\n"
    assert agent_parse_errors(bad, "1.18") == [
        f"flowLogs[0].fieldMask: must be a list of field paths, not string ({FILE})",
        f"flowLogs[0].fileMaxSizeMb: must be a whole number, not '5' ({FILE})",
        f"flowLogs[0].fileCompress: must be true or false, not 'yes' ({FILE})",
    ]
    # 1.16/1.17 have no per-flow-log rotation keys: the same keys are ignored
    assert agent_parse_errors(bad.replace("  fieldMask: time\n", ""), "1.17") == []
    assert agent_parse_errors("flowLogs: {name: a}\n", "1.18") == [f"flowLogs: must be a list, not object ({FILE})"]
    assert agent_parse_errors("flowLogs: [\n", "1.18")[0].startswith("flowlogs.yaml: not YAML: ")


def test_protojson_rules_for_filters() -> None:
    # protojson: proto and JSON names both work; ints may be strings; enums by name or number
    ok = """flowLogs:
- name: a
  filePath: /a.log
  includeFilters:
  - sourceIdentity: ["2", 16777217]
    event_type: [{type: 129}]
    drop_reason_desc: [POLICY_DENIED, 181]
    http_status_code: ["404", "5+"]
    tcp_flags: [{SYN: true}]
    experimental: {celExpression: ["_flow.verdict == Verdict.DROPPED"]}
"""
    assert agent_parse_errors(ok, "1.18") == []
    bad = ok.replace('"2", 16777217', "-1").replace("SYN: true", "SYN: 1")
    assert agent_parse_errors(bad, "1.18") == [
        f"flowLogs[0].includeFilters[0]: sourceIdentity[0]: invalid value for uint32 type: -1 (out of range) ({FILE})",
        f"flowLogs[0].includeFilters[0]: tcp_flags[0]: SYN: invalid value for bool type: 1 ({FILE})",
    ]
    # FlowFilter fields of a newer version are unknown to an older agent
    newer = "flowLogs:\n- name: a\n  filePath: /a.log\n  includeFilters:\n  - encrypted: [true]\n"
    assert agent_parse_errors(newer, "1.19") == []
    assert agent_parse_errors(newer, "1.18") == [
        f"flowLogs[0].includeFilters[0]: unknown field 'encrypted' in FlowFilter ({FILE})"
    ]


def test_per_flow_log_errors() -> None:
    text = """flowLogs:
- name: a
  filePath: /a.log
  fieldMask: [time, file.name, l4.TCP.flags.SYN, source.workloads.name]
  includeFilters:
  - source_label: [a==b==c]
    dns_query: ['*.svc']
    destination_ip: [10.0.0.300]
    destination_port: ["http"]
    protocol: [vrrp]
    http_path: ["^/admin"]
    event_type: [{type: 1}]
    experimental: {cel_expression: ["_flow.source.namespace"]}
"""
    errors = agent_parse_errors(text, "1.16")
    where = "flowLogs[0] 'a'"
    assert errors == [
        f"{where}.fieldMask[1]: fieldMask path 'file.name' is not a field of Cilium 1.16's Flow message ({ONE})",
        f"{where}.fieldMask[3]: fieldMask path 'source.workloads.name' is not a field of Cilium 1.16's Flow message "
        f"({ONE})",
        f"{where}.includeFilters[0]: destination_ip[0]: '10.0.0.300' is not an IP address or CIDR prefix; write an "
        f"address like 10.0.0.1 or a prefix like 10.0.0.0/8 ({ONE})",
        f"{where}.includeFilters[0]: source_label[0]: source_label 'a==b==c' is not a label selector Cilium's agent "
        "accepts "
        "(found '==', expected: ',' or 'end of string'); write requirements like k8s:app=web, k8s:app in (a, b), "
        f"!k8s:canary or reserved:world, joined by ',' ({ONE})",
        f"{where}.includeFilters[0]: destination_port[0]: 'http' is not a port (strconv.ParseUint(p, 10, 16)); write a "
        f"number from 0 to 65535 ({ONE})",
        f"{where}.includeFilters[0]: protocol[0]: unknown protocol 'vrrp' for Cilium 1.16; write one of icmp, icmpv4, "
        f"icmpv6, tcp, udp, sctp, dns, http, kafka ({ONE})",
        f"{where}.includeFilters[0]: http_path: filtering by http path requires the event type filter to match 'l7' "
        f"events (type 129) ({ONE})",
        f"{where}.includeFilters[0]: dns_query[0]: dns_query '*.svc' is not a regular expression Cilium's agent can "
        "compile (no argument for repetition operator: *); this looks like a wildcard; as an RE2 regular expression "
        f"write .*\\.svc ({ONE})",
        f"{where}.includeFilters[0]: experimental.cel_expression[0]: cel '_flow.source.namespace' gives string, but "
        'the agent wants a bool ("got ..., wanted bool result type"); compare it, e.g. _flow.source.namespace == '
        f"'shop' ({ONE})",
    ]
    # 1.17 has Flow.file; 1.19 knows vrrp
    assert not any("file.name" in e for e in agent_parse_errors(text, "1.17"))
    assert not any("vrrp" in e for e in agent_parse_errors(text, "1.19"))


def test_aggregation_keys_of_1_19() -> None:
    text = (
        "flowLogs:\n- name: a\n  filePath: /a.log\n  fieldAggregate: [source.namespace, nope]\n  aggregationInterval: "
        "{interval}\n"
    )
    assert agent_parse_errors(text.format(interval="30s"), "1.19") == [
        "flowLogs[0] 'a'.fieldAggregate[1]: fieldAggregate path 'nope' is not a field of Cilium 1.19's Flow message "
        f"({ONE})"
    ]
    # Duration.UnmarshalJSON strips the quotes and calls time.ParseDuration: a bare 30 fails, and so does null
    assert agent_parse_errors(text.format(interval="30"), "1.19") == [
        'flowLogs[0].aggregationInterval: time: missing unit in duration "30"; write a Go duration like 30s or 1m '
        f"({FILE})"
    ]
    assert agent_parse_errors(text.format(interval=""), "1.19") == [
        f'flowLogs[0].aggregationInterval: time: invalid duration "null"; write a Go duration like 30s or 1m ({FILE})'
    ]
    # before 1.19 the keys do not exist: ignored
    assert agent_parse_errors(text.format(interval="30"), "1.18") == []


def test_end_as_yaml_timestamp_is_read_as_its_text() -> None:
    # go.yaml.in/yaml/v2 keeps a timestamp-looking scalar as the original string
    assert agent_parse_errors("flowLogs:\n- {name: a, filePath: /a.log, end: 2030-01-01T00:00:00Z}\n", "1.16") == []
    assert agent_parse_errors("flowLogs:\n- {name: a, filePath: /a.log, end: 2030-01-01}\n", "1.16")[0].startswith(
        "flowLogs[0].end: end '2030-01-01' is not a time"
    )
    assert agent_parse_errors("flowLogs:\n- {name: a, filePath: /a.log, end: 5}\n", "1.16") == [
        "flowLogs[0].end: must be a time written as a string, not number (Time.UnmarshalJSON: input is not a JSON "
        f"string) ({FILE})"
    ]


# ------------------------------------------------------------------ a null item in includeFilters/excludeFilters
# The agent loads it (1.16-1.19). The exporter's filter lists are `type FlowFilters []*flowpb.FlowFilter`
# (cilium/cilium pkg/hubble/exporter: api.go in the logrus-era layout of 1.16/1.17, config.go from 1.18; no
# UnmarshalJSON of its own), decoded by sigs.k8s.io/yaml.Unmarshal (config_watcher.go readConfig; 1.18+
# config.go Parse):
# YAML null -> JSON null, which Go's encoding/json stores into a pointer element as nil (decode.go indirect()
# stops at a settable pointer when decoding null), so FlowFilter.UnmarshalJSON (protojson, which refuses null:
# `hubble observe --allowlist null`) never sees it; Validate looks at flowLogs entries only. Cilium's own
# pkg/hubble/exporter/config_test.go TestCompareFlowLogConfigs compares FlowFilters holding nil items. Each
# flow log then builds its lists with filters.BuildFilterList(ctx, f, filters.DefaultFilters(log))
# (exporteroption/option.go in 1.16/1.17, option.go in 1.18/1.19), checked below against the vendored source.
# Decoding `includeFilters: [null]` and `excludeFilters: [null]` with that code (a Go program over each hubble
# release's vendor/) gave, for 1.16.6, 1.17.5, 1.18.6 and 1.19.4 alike: a nil *FlowFilter, no error, every
# flow kept by the include list, none by the exclude list.
NULL_ITEMS = (
    "flowLogs:\n- name: a\n  filePath: /a.log\n"
    "  includeFilters: [null]\n  excludeFilters:\n  -\n  - {verdict: [DROPPED]}\n"
)


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_a_null_filter_item_is_loaded_by_the_agent(version: str) -> None:
    assert agent_parse_errors(NULL_ITEMS, version) == []


@pytest.mark.skipif(bool(upstream_tools.skip_reason("hubble")), reason=upstream_tools.skip_reason("hubble"))
@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_the_agent_builds_a_null_filter_item_as_an_empty_filter(tmp_path: Path, version: str) -> None:
    """pkg/hubble/filters as cilium/hubble v1.16.6-v1.19.4 vendor it: BuildFilterList hands every item, nil
    included, to every OnBuildFilter, and those read a FlowFilter only through protoc-gen-go's nil-safe Get
    methods, so a nil item builds as {} does; hubble's own run of {} shows what that matches."""
    files = upstream_tools.cilium_source_files(version, "pkg/hubble/filters")
    filters_go = files.pop("filters.go")
    assert (
        "\tfor _, flowFilter := range ff {\n\t\t// Build filter matching on all requirements of the FlowFilter\n"
        "\t\ttf, err := BuildFilter(ctx, flowFilter, auxFilters)\n" in filters_go
    )
    assert "\tfor _, f := range auxFilters {\n\t\tfl, err := f.OnBuildFilter(ctx, ff)\n" in filters_go
    assert not re.search(r"\b(ff|flowFilter) [!=]= nil", filters_go)
    others = "\n".join(files.values())
    builders = dict(
        re.findall(
            r"^func \((?:\w+ )?\*?(\w+)\) OnBuildFilter\((?:ctx|_) context\.Context, (\w+) \*flowpb\.FlowFilter\)",
            others,
            re.M,
        )
    )
    defaults = re.search(r"func DefaultFilters\(.*?\n\}\n", filters_go, re.S)
    assert defaults is not None
    default_filters = re.findall(r"&(\w+)\{", defaults.group(0))
    assert len(default_filters) >= 22
    assert {name: builders.get(name) for name in default_filters} == dict.fromkeys(default_filters, "ff")
    # the only other FlowFilter values: the range variable over a list (nodename.go)
    assert set(re.findall(r"(\w+) \*flowpb\.FlowFilter\b", others)) == {"ff"}
    reads = re.findall(r"\b(?:ff|flowFilter)\.(\w+)", others)
    assert reads and all(read.startswith("Get") for read in reads), sorted(set(reads))
    flow_pb = upstream_tools.cilium_source(version, "api/v1/flow/flow.pb.go")
    getters = re.findall(r"^func \(x \*FlowFilter(?:_Experimental)?\) Get\w+\(\) .* \{\n(.*)\n", flow_pb, re.M)
    assert len(getters) > 30 and set(getters) == {"\tif x != nil {"}

    flows = tmp_path / "flows.jsonl"
    flows.write_text(
        '{"flow":{"time":"2026-01-01T00:00:00Z","verdict":"DROPPED"}}\n'
        '{"flow":{"time":"2026-01-01T00:00:01Z","verdict":"FORWARDED"}}\n',
        encoding="utf-8",
    )
    for option, kept in (("--allowlist", 2), ("--denylist", 0)):
        run = upstream_tools.ask_hubble(version, "observe", "--input-file", flows, option, "{}", "-o", "jsonpb")
        assert (run.returncode, len(run.stdout.splitlines())) == (0, kept), run.stderr


@pytest.mark.parametrize(
    ("key", "effect"),
    [
        ("includeFilters", "the flow log's includeFilters would let every flow through, as if there were none"),
        ("excludeFilters", "the flow log would export nothing"),
    ],
)
def test_flowlogs_refuses_a_null_filter_item_saying_what_the_agent_would_do(
    run_cli: Callable[..., CliResult], tmp_path: Path, key: str, effect: str
) -> None:
    # Refused although the agent loads it: a null item is far likelier a slip (an empty `-` item, a template
    # that printed nothing) than a wish to export every flow or none, and deleting it says what was meant.
    source = tmp_path / "flowlogs.yaml"
    source.write_text(
        f"flowLogs:\n- name: a\n  filePath: /var/run/cilium/hubble/a.log\n  {key}:\n  - {{verdict: [DROPPED]}}\n  -\n",
        encoding="utf-8",
    )
    message = (
        f"{source}: flowLogs[0].{key}[1]: a FlowFilter is a mapping, got null; Cilium's agent would load it as an "
        f"empty filter that matches every flow, so {effect}: delete the item\n"
    )
    for command in (["import", str(source)], ["preview", "--config", str(source), "--flows", str(source)]):
        result = run_cli(*command)
        assert (result.code, result.out, result.err) == (1, "", f"flowlogs: error: {message}"), command

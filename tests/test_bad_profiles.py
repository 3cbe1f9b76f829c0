"""Bad profiles: each mistake gets a clear message at file:line:column, exit 1, nothing written."""

from __future__ import annotations

import pytest

from conftest import write_profile

FLOW_LOG = "cilium:\n  flow-logs:\n    - name: a\n"


def filter_profile(filter_yaml: str, version: str = "") -> str:
    head = f'cilium:\n  version: "{version}"\n' if version else "cilium:\n"
    return head + "  flow-logs:\n    - name: a\n      include:\n        - " + filter_yaml + "\n"


# (case, profile text, "line:column", exact message after "error: ")
CASES = [
    (
        "upstream-key-case",
        FLOW_LOG + "      IncludeFilters: []\n",
        "4:7",
        "unknown key 'IncludeFilters' in cilium.flow-logs.0; did you mean 'include'?",
    ),
    (
        "upstream-filter-key",
        filter_profile("source_pod: [default/]"),
        "5:11",
        "unknown key 'source_pod' in cilium.flow-logs.0.include.0; did you mean 'source-pod'?",
    ),
    (
        "drop-reason-typo",
        filter_profile("drop-reason: policy-denyy"),
        "5:24",
        "unknown drop reason 'policy-denyy' for Cilium 1.19; did you mean 'policy-deny'?",
    ),
    (
        "pod-glob",
        filter_profile("source-pod: kube-system/*"),
        "5:23",
        "pod 'kube-system/*' contains a glob character; Hubble matches pods by prefix, not by glob",
    ),
    (
        "namespace-glob",
        filter_profile('namespace: "kube-*"'),
        "5:22",
        "namespace 'kube-*' contains a glob character; Hubble matches namespaces by prefix, not by glob",
    ),
    (
        "duplicate-name",
        FLOW_LOG
        + "      file: /var/run/cilium/hubble/a.log\n    - name: a\n      file: /var/run/cilium/hubble/b.log\n",
        "5:13",
        "flow log name 'a' is used twice",
    ),
    (
        "duplicate-path",
        FLOW_LOG + "    - name: b\n",
        "4:13",
        "flow logs 'a' and 'b' both write to /var/run/cilium/hubble/events.log",
    ),
    (
        "name-not-dns",
        "cilium:\n  flow-logs:\n    - name: Egress_Drops\n",
        "3:13",
        "cilium.flow-logs.0.name: 'Egress_Drops' is not a valid name",
    ),
    (
        "relative-file",
        FLOW_LOG + "      file: logs/a.log\n",
        "4:13",
        "cilium.flow-logs.0.file: 'logs/a.log' is not a valid file path",
    ),
    (
        "field-mask-camel-case",
        FLOW_LOG + "      fields: [source.podName]\n",
        "4:16",
        "fields path 'source.podName' is not a field of Cilium 1.19's Flow message, so the agent drops this flow log",
    ),
    ("unknown-verdict", filter_profile("verdict: denied"), "5:20", "unknown verdict 'denied'"),
    ("unknown-direction", filter_profile("direction: outbound"), "5:22", "unknown traffic direction 'outbound'"),
    ("unknown-event-type", filter_profile("event-type: dropped"), "5:23", "unknown event type 'dropped'"),
    (
        "rotation-per-flow-log-1.17",
        'cilium:\n  version: "1.17"\n  flow-logs:\n    - name: a\n      rotation: {max-size-mb: 20}\n',
        "5:7",
        "Cilium 1.17 has no per-flow-log rotation",
    ),
    (
        "cluster-filter-1.16",
        filter_profile("source-cluster: east", "1.16"),
        "6:11",
        "'cluster' filters (source_cluster_name) need a newer Cilium than 1.16",
    ),
    (
        "unsupported-version",
        'cilium:\n  version: "1.15"\n  flow-logs:\n    - name: a\n',
        "2:12",
        "unknown Cilium version '1.15'",
    ),
    (
        "bad-cidr",
        filter_profile("destination-ip: 10.0.0.300/8"),
        "5:27",
        "'10.0.0.300/8' is not an IP address or CIDR range",
    ),
    ("port-out-of-range", filter_profile("port: 70000"), "5:17", "'70000' is not a port number (0-65535)"),
    (
        "raw-namespace-field",
        filter_profile("raw:\n            source_namespace: [kube-system]"),
        "6:13",
        "unknown FlowFilter field 'source_namespace' for Cilium 1.19",
    ),
    (
        "raw-wrong-type",
        filter_profile("raw:\n            verdict: DROPPED"),
        "6:22",
        "expected a list (repeated Verdict), got 'DROPPED'",
    ),
    (
        "duplicate-key",
        "cilium:\n  flow-logs:\n    - name: a\n      name: b\n",
        "4:7",
        'duplicate key "name" with value "b" (original value: "a")',
    ),
    (
        "yaml-indentation",
        "cilium:\n  flow-logs:\n    - name: a\n     file: x\n",
        "4:6",
        "invalid YAML: this line is not lined up with the keys above it; indent it exactly as far as the other keys of "
        "its mapping",
    ),
    ("yaml-tab", "cilium:\n\tflow-logs: []\n", "2:1", "invalid YAML: a tab; YAML indents with spaces only"),
    (
        "yaml-unquoted-version",
        "cilium:\n  version: 1.20\n  flow-logs:\n    - name: a\n",
        "2:12",
        "unknown Cilium version '1.2'",
    ),
    (
        "upstream-section-name",
        "hubble:\n  flow-logs: []\n",
        "1:1",
        "unknown key 'hubble' in the profile; did you mean 'cilium'?",
    ),
    (
        "missing-name",
        "cilium:\n  flow-logs:\n    - file: /dev/stdout\n",
        "3:7",
        "missing required key 'name' in cilium.flow-logs.0",
    ),
    (
        "flow-logs-not-a-list",
        "cilium:\n  flow-logs:\n    name: a\n",
        "3:5",
        "cilium.flow-logs: expected a list, got a mapping",
    ),
    (
        "null-filter-item",
        "cilium:\n  flow-logs:\n    - name: a\n      include:\n        -\n        - verdict: dropped\n",
        "5:10",
        "cilium.flow-logs.0.include.0: expected a mapping, got nothing",
    ),
    (
        "list-filter-item",
        "cilium:\n  flow-logs:\n    - name: a\n      include:\n        - [verdict]\n",
        "5:11",
        "cilium.flow-logs.0.include.0: expected a mapping, got a list",
    ),
    ("unknown-tcp-flag", filter_profile("tcp-flags: SYN,AKC"), "5:22", "unknown TCP flag 'AKC'"),
    (
        "ambiguous-side",
        filter_profile("pod: web\n          source-pod: api"),
        "5:11",
        "'pod' (either side) and 'source-pod' in one filter are ambiguous",
    ),
    (
        "unknown-identity",
        filter_profile("destination-identity: wrold"),
        "5:33",
        "unknown reserved identity 'wrold'; did you mean 'world'?",
    ),
    (
        "unknown-protocol",
        filter_profile("protocol: htp"),
        "5:21",
        "unknown protocol 'htp' for Cilium 1.19; did you mean 'http'?",
    ),
    (
        "compress-before-1.18",
        'cilium:\n  version: "1.17"\n  rotation: {compress: true}\n  flow-logs:\n    - name: a\n',
        "3:14",
        "Cilium 1.17 cannot compress rotated flow-log files",
    ),
    (
        "match-sub-type-without-sub-type",
        filter_profile("event-type: {type: drop, match-sub-type: true}"),
        "5:52",
        "'match-sub-type: true' needs a 'sub-type'",
    ),
]


@pytest.mark.parametrize(("case", "text", "position", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_profile(run_cli, tmp_path, case, text, position, message):
    write_profile(tmp_path / "values", "bad", text)
    result = run_cli("--values-dir", str(tmp_path / "values"), "--chart-dir", str(tmp_path / "chart"), "generate")
    assert result.code == 1
    first_line = f"values/bad.yaml:{position}: error: {message}"
    shown = result.err.replace(str(tmp_path) + "/", "")
    assert first_line in shown.splitlines(), shown
    assert "nothing was written" in result.err
    assert not (tmp_path / "chart").exists()


def test_there_are_at_least_twenty_distinct_mistakes():
    assert len({message for *_, message in CASES}) >= 20


def test_every_error_of_a_profile_is_reported_at_once(run_cli, tmp_path):
    write_profile(tmp_path / "values", "bad", filter_profile("verdict: denied\n          direction: outbound"))
    result = run_cli("--values-dir", str(tmp_path / "values"), "--chart-dir", str(tmp_path / "chart"), "generate")
    assert "unknown verdict 'denied'" in result.err
    assert "unknown traffic direction 'outbound'" in result.err
    assert "2 errors in profiles" in result.err


def test_bad_file_name(run_cli, tmp_path):
    write_profile(tmp_path / "values", "Bad_Name", "cilium: {flow-logs: []}\n")
    result = run_cli("--values-dir", str(tmp_path / "values"), "--chart-dir", str(tmp_path / "chart"), "generate")
    assert result.code == 1
    assert "profile file name 'Bad_Name.yaml' is not a valid profile name" in result.err


def test_a_pod_in_another_namespace_than_the_filter_is_an_error(run_cli, tmp_path):
    write_profile(tmp_path / "values", "conflict", filter_profile("{source-namespace: shop, source-pod: cart/web}"))
    result = run_cli("--values-dir", str(tmp_path / "values"), "--chart-dir", str(tmp_path / "chart"), "generate")
    assert result.code == 1
    assert (
        "conflict.yaml:5:48: error: pod 'cart/web' is in namespace cart, but the filter's namespace is shop"
        in result.err
    )


def test_every_flowfilter_field_has_a_profile_word():
    """The profile language covers every FlowFilter field of every supported Cilium version."""
    from flowlogs.cilium.defaults import SUPPORTED_VERSIONS
    from flowlogs.cilium.filters import FILTER_WORDS, SIDED_WORDS, SIDES
    from flowlogs.cilium.tables import load_tables

    reachable = {w.field for w in FILTER_WORDS.values() if w.field and not w.field.startswith("*_")}
    reachable |= {f"{side}_{stem}" for stem, _ in SIDED_WORDS.values() for side in SIDES}
    for version in SUPPORTED_VERSIONS:
        assert set(load_tables(version).filter_fields) - reachable == set(), version


# What the parser and the schema said before the plain words (PyYAML yaml/parser.py; YAML 1.1's float
# resolver reads 1.20 as 1.2), kept in the hint so nothing is hidden.
HINTS = [
    (
        "cilium:\n  flow-logs:\n    - name: a\n     file: x\n",
        "the YAML parser says: expected <block end>, but found '<block mapping start>'",
    ),
    ("cilium:\n  flow-logs:\n    - name: a: b\n", "the YAML parser says: mapping values are not allowed here"),
    (
        "cilium:\n  version: 1.20\n  flow-logs:\n    - name: a\n",
        'YAML reads an unquoted 1.20 as the number 1.2: write it in quotes, e.g. "1.19"; one of: 1.16, 1.17, 1.18, '
        "1.19",
    ),
]


@pytest.mark.parametrize(("text", "hint"), HINTS)
def test_yaml_mistakes_are_named_in_plain_words_with_the_parsers_own(run_cli, tmp_path, monkeypatch, text, hint):
    write_profile(tmp_path / "values", "p", text)
    monkeypatch.chdir(tmp_path)
    result = run_cli("generate")
    assert result.code == 1
    assert f"  hint: {hint}\n" in result.err


def test_deprecated_flow_fields_get_a_nudge(run_cli, tmp_path, monkeypatch):
    """flow.proto marks drop_reason (a number) and reply deprecated (test_cilium_tables checks the table)."""
    write_profile(
        tmp_path / "values", "p", FLOW_LOG + "      file: stdout\n      fields: [drop_reason, reply, time, Summary]\n"
    )
    monkeypatch.chdir(tmp_path)
    result = run_cli("generate")
    assert result.code == 0
    assert (
        "values/p.yaml:5:16: warning: fields path 'drop_reason': flow.proto deprecates 'drop_reason' (Cilium 1.19)\n"
        "  hint: write 'drop_reason_desc' instead\n"
    ) in result.err
    assert (
        "values/p.yaml:5:29: warning: fields path 'reply': flow.proto deprecates 'reply' (Cilium 1.19)\n  hint: write "
        "'is_reply' instead\n" in result.err
    )
    assert (
        "values/p.yaml:5:42: warning: fields path 'Summary': flow.proto deprecates 'Summary' (Cilium 1.19)\n  hint: "
        "leave it out\n" in result.err
    )

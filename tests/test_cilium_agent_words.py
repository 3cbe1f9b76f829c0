"""What Cilium's agent rejects is a profile error at file:line:col, with the fix.

Each case is a value the agent of the targeted version would refuse (and then keep its previous
configuration, silently, or drop the flow log). The expected messages are the agent's behaviour
as the standalone checkers reproduce it (generator/flowlogs/cilium/agent_*.py, each citing the
Cilium / Go source it ports; docs/cilium-versions.md "Values the agent rejects"), in the
profile's words. Warnings and notes are checked the same way, with `generate` still succeeding.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import write_profile
from tools.agent_config import agent_parse_errors


def flow_log(lines: str, version: str = "") -> str:
    head = f'cilium:\n  version: "{version}"\n' if version else "cilium:\n"
    return head + "  flow-logs:\n    - name: a\n" + lines


def one_filter(filter_yaml: str, version: str = "") -> str:
    return flow_log("      include:\n        - " + filter_yaml + "\n", version)


# (case, profile, "line:col", message after "error: ", hint)
ERRORS = [
    # Go Time.UnmarshalJSON -> parseStrictRFC3339 (src/time/format_rfc3339.go): seconds are required
    (
        "end-no-seconds",
        flow_log("      end: 2030-01-01T00:00Z\n"),
        "4:12",
        "end '2030-01-01T00:00Z' is not a time Cilium's agent can read (Go RFC 3339: YYYY-MM-DDTHH:MM:SS, an optional "
        ".fraction, "
        "then Z or ±HH:MM (upper-case T and Z)), so it rejects the whole flowlogs.yaml",
        "write 2030-01-01T00:00:00Z",
    ),
    # ... upper-case T and Z only
    (
        "end-lower-case",
        flow_log('      end: "2030-01-01t00:00:00z"\n'),
        "4:12",
        "end '2030-01-01t00:00:00z' is not a time Cilium's agent can read (Go RFC 3339: YYYY-MM-DDTHH:MM:SS, an "
        "optional .fraction, "
        "then Z or ±HH:MM (upper-case T and Z)), so it rejects the whole flowlogs.yaml",
        "write 2030-01-01T00:00:00Z",
    ),
    # ... the zone offset has a colon
    (
        "end-offset-without-colon",
        flow_log("      end: 2030-01-01T00:00:00+0100\n"),
        "4:12",
        "end '2030-01-01T00:00:00+0100' is not a time Cilium's agent can read (Go RFC 3339: YYYY-MM-DDTHH:MM:SS, an "
        "optional .fraction, "
        "then Z or ±HH:MM (upper-case T and Z)), so it rejects the whole flowlogs.yaml",
        "write 2030-01-01T00:00:00+01:00",
    ),
    (
        "end-no-zone",
        flow_log("      end: 2026-12-01T00:00:00\n"),
        "4:12",
        "end '2026-12-01T00:00:00' is not a time Cilium's agent can read (Go RFC 3339: YYYY-MM-DDTHH:MM:SS, an "
        "optional .fraction, "
        "then Z or ±HH:MM (upper-case T and Z)), so it rejects the whole flowlogs.yaml",
        "write 2026-12-01T00:00:00Z",
    ),
    # Go regexp.Compile (RE2 syntax), pkg/hubble/filters/http.go and fqdn.go
    (
        "http-path-not-re2",
        one_filter('http-path: "([a-z"'),
        "5:22",
        "http-path '([a-z' is not a regular expression Cilium's agent can compile (missing ]: [a-z)",
        "fix the regular expression (RE2 syntax: no lookaround, no backreferences)",
    ),
    (
        "dns-query-glob",
        one_filter('dns-query: "*.svc"'),
        "5:22",
        "dns-query '*.svc' is not a regular expression Cilium's agent can compile (no argument for repetition "
        "operator: *)",
        "this looks like a wildcard; as an RE2 regular expression write .*\\.svc",
    ),
    (
        "http-url-lookahead",
        one_filter('http-url: "https://(?!admin)"'),
        "5:21",
        "http-url 'https://(?!admin)' is not a regular expression Cilium's agent can compile (invalid perl operator: "
        "(?!)",
        "fix the regular expression (RE2 syntax: no lookaround, no backreferences)",
    ),
    # pkg/hubble/filters/patterns.go: FQDN patterns allow a-z 0-9 - _ . * only
    (
        "fqdn-slash",
        one_filter('destination-fqdn: "api.example.com/v1"'),
        "5:29",
        "destination-fqdn 'api.example.com/v1' contains '/', which Hubble's FQDN patterns do not allow",
        "use only letters, digits, '-', '_', '.' and '*' (any run of name characters)",
    ),
    (
        "node-name-two-slashes",
        one_filter("node-name: a/b/c"),
        "5:22",
        "node-name 'a/b/c' has more than one '/'",
        "write node or cluster/node",
    ),
    # pkg/hubble/filters/labels.go -> Kubernetes' selector parser (pkg/k8s/slim/k8s/apis/labels/selector.go)
    (
        "label-in-without-parentheses",
        one_filter('source-label: "app in a"'),
        "5:25",
        "source-label 'app in a' is not a label selector Cilium's agent accepts (unable to parse requirement: found "
        "'a' expected: '(')",
        "write requirements like k8s:app=web, k8s:app in (a, b), !k8s:canary or reserved:world, joined by ','",
    ),
    (
        "node-label-double-equals",
        one_filter('node-label: "a==b==c"'),
        "5:23",
        "node-label 'a==b==c' is not a label selector Cilium's agent accepts (found '==', expected: ',' or 'end of "
        "string')",
        "write requirements like k8s:app=web, k8s:app in (a, b), !k8s:canary or reserved:world, joined by ','",
    ),
    # pkg/hubble/filters/cel_expression.go: compiled against flow.Flow, bool result
    (
        "cel-unknown-field",
        one_filter('cel: "_flow.verdikt == 2"'),
        "5:16",
        "cel '_flow.verdikt == 2' does not compile against Cilium 1.19's Flow (<input>:1:6: undefined field 'verdikt' "
        "not found in struct 'flow.Flow')",
        "write a boolean CEL expression over _flow using flow.proto field names, e.g. _flow.verdict == Verdict.DROPPED "
        "or _flow.l4.TCP.destination_port == 443u",
    ),
    (
        "cel-not-bool",
        one_filter('cel: "_flow.source.namespace"'),
        "5:16",
        "cel '_flow.source.namespace' gives string, but the agent wants a bool (\"got ..., wanted bool result type\")",
        "compare it, e.g. _flow.source.namespace == 'shop'",
    ),
    # fieldmaskpb.New / fieldmask.New: Flow field names, case-sensitive, per version
    (
        "fields-camel-case",
        flow_log("      fields: [source.podName]\n"),
        "4:16",
        "fields path 'source.podName' is not a field of Cilium 1.19's Flow message, so the agent drops this flow log",
        "did you mean 'source.pod_name'?",
    ),
    (
        "fields-newer-version",
        flow_log("      fields: [file.line]\n", "1.16"),
        "5:16",
        "fields path 'file.line' is not a field of Cilium 1.16's Flow message, so the agent drops this flow log",
        "'file.line' exists from Cilium 1.17: target that version or remove it",
    ),
    (
        "fields-below-a-list",
        flow_log("      fields: [source.workloads.name]\n"),
        "4:16",
        "fields path 'source.workloads.name' is not a field of Cilium 1.19's Flow message, so the agent drops this "
        "flow log",
        "'source.workloads' is a list or a plain value, where a path must end: keep 'source.workloads' whole",
    ),
    # flow.proto: repeated uint32 source_identity; protojson rejects out-of-range numbers (whole file)
    (
        "identity-over-uint32",
        one_filter("source-identity: 4294967296"),
        "5:28",
        "identity 4294967296 is not a security identity (0-4294967295, a uint32)",
        "Cilium's identities are unsigned 32-bit numbers, e.g. 2 (world) or 16777217",
    ),
    # EventTypeFilter.sub_type is an int32
    (
        "sub-type-over-int32",
        one_filter("event-type: {type: drop, sub-type: 2147483648}"),
        "5:46",
        "sub-type 2147483648 is out of range: EventTypeFilter.sub_type is an int32 (-2147483648 to 2147483647)",
        "use a sub-type name, or its code from Cilium's monitor API, e.g. 133 (policy-denied)",
    ),
    # pkg/hubble/filters/ip.go: netip.ParsePrefix, whose bits are a decimal length, not a netmask
    (
        "ip-netmask",
        one_filter("destination-ip: 10.0.0.0/255.0.0.0"),
        "5:27",
        "'10.0.0.0/255.0.0.0' is not an IP address or CIDR range",
        "e.g. 10.0.0.1, 10.0.0.0/8 or fd00::/64",
    ),
    # pkg/hubble/filters/port.go: strconv.ParseUint(port, 10, 16)
    (
        "port-with-sign",
        one_filter('port: "+443"'),
        "5:17",
        "'+443' is not a port number (0-65535)",
        "write the port in decimal digits, e.g. 443",
    ),
    # pkg/hubble/filters/http.go filterByStatusCode: 100-599 or 1-2 digits and '+'
    (
        "http-status-700",
        one_filter("{event-type: l7, http-status: 700}"),
        "5:41",
        "'700' is not an HTTP status filter Cilium's agent accepts (a code from 100 to 599, or 1-2 leading digits and "
        "'+')",
        "write a code like 404, or a prefix like 5+ (any 5xx) or 40+ (400-409)",
    ),
    (
        "http-status-three-digit-prefix",
        one_filter('http-status: "404+"'),
        "5:24",
        "cilium.flow-logs.0.include.0.http-status: '404+' is not a valid HTTP status",
        "a status code (404) or a prefix followed by '+' (5+, 40+)",
    ),
    # pkg/hubble/filters/http.go: HTTP filters need the event types to include l7 (129)
    (
        "http-beside-drop-events",
        one_filter("{event-type: drop, http-status: 404}"),
        "5:30",
        "'http-status' needs the filter's event types to include l7: the agent refuses HTTP filters beside other event "
        "types",
        "add 'l7' to 'event-type', or put the HTTP words in a filter of their own",
    ),
    # pkg/hubble/filters/protocol.go: the version's protocol list (data/cilium-<minor>.yaml filter_protocols)
    (
        "protocol-newer-version",
        one_filter("protocol: vrrp", "1.18"),
        "6:21",
        "unknown protocol 'vrrp' for Cilium 1.18",
        "protocol 'vrrp' arrived with Cilium 1.19; one of: icmp, icmpv4, icmpv6, tcp, udp, sctp, dns, http, kafka",
    ),
    # flow.proto v1.19.4 FlowFilter: ip_trace_id = 39, encrypted = 40; unknown to older agents
    (
        "encrypted-before-1.19",
        one_filter("encrypted: true", "1.18"),
        "6:11",
        "'encrypted' (encrypted) is not a FlowFilter field in Cilium 1.18",
        "'encrypted' (encrypted) arrived with Cilium 1.19: target that version or remove it",
    ),
    (
        "ip-trace-id-before-1.19",
        one_filter("ip-trace-id: 5", "1.18"),
        "6:11",
        "'ip-trace-id' (ip_trace_id) is not a FlowFilter field in Cilium 1.18",
        "'ip-trace-id' (ip_trace_id) arrived with Cilium 1.19: target that version or remove it",
    ),
    (
        "cluster-before-1.17",
        one_filter("source-cluster: east", "1.16"),
        "6:11",
        "'cluster' filters (source_cluster_name) need a newer Cilium than 1.16",
        "FlowFilter source_cluster_name arrived with Cilium 1.17",
    ),
    # pkg/hubble/exporter config.go Duration.UnmarshalJSON -> time.ParseDuration
    (
        "aggregation-interval-no-unit",
        flow_log("      aggregate-fields: [verdict]\n      aggregation-interval: 30\n"),
        "5:29",
        "aggregation-interval '30' is not a Go duration (time: missing unit in duration \"30\"), so the agent rejects "
        "the whole flowlogs.yaml",
        "write a number with a unit, like 30s, 1m or 1m30s (units: ns, us, ms, s, m, h)",
    ),
    (
        "aggregate-fields-bad-path",
        flow_log("      aggregate-fields: [source.podName]\n      aggregation-interval: 30s\n"),
        "4:26",
        "aggregate-fields path 'source.podName' is not a field of Cilium 1.19's Flow message, so the agent drops this "
        "flow log",
        "did you mean 'source.pod_name'?",
    ),
    (
        "aggregation-before-1.19",
        flow_log("      aggregation-interval: 30s\n", "1.18"),
        "5:7",
        "Cilium 1.18 cannot aggregate flows ('aggregation-interval')",
        "flow aggregation (fieldAggregate, aggregationInterval) arrived with Cilium 1.19; remove "
        "'aggregation-interval' or target that version",
    ),
    (
        "compress-before-1.18",
        'cilium:\n  version: "1.17"\n  rotation: {compress: true}\n  flow-logs:\n    - name: a\n',
        "3:14",
        "Cilium 1.17 cannot compress rotated flow-log files",
        "file compression (fileCompress) arrived with Cilium 1.18; remove 'compress' or target that version",
    ),
]


def generate(run_cli, tmp_path: Path, text: str):
    write_profile(tmp_path / "values", "bad", text)
    result = run_cli("--values-dir", str(tmp_path / "values"), "--chart-dir", str(tmp_path / "chart"), "generate")
    return result, result.err.replace(str(tmp_path) + "/", "").splitlines()


@pytest.mark.parametrize(("case", "text", "position", "message", "hint"), ERRORS, ids=[c[0] for c in ERRORS])
def test_what_the_agent_rejects_is_a_profile_error(run_cli, tmp_path, case, text, position, message, hint):
    result, lines = generate(run_cli, tmp_path, text)
    assert result.code == 1
    first = f"values/bad.yaml:{position}: error: {message}"
    assert first in lines, "\n".join(lines)
    assert lines[lines.index(first) + 1] == f"  hint: {hint}"
    assert not (tmp_path / "chart").exists()


def test_every_rejected_value_is_rejected_by_the_agent_model_too():
    """The compiled value each error case would have produced fails agent_parse_errors (where the
    value gets that far): the error is not a flowlogs invention."""
    samples = {
        "end": ("  end: 2030-01-01T00:00Z\n", "1.19"),
        "http_path": ("  includeFilters: [{http_path: ['([a-z']}]\n", "1.19"),
        "dns_query": ("  includeFilters: [{dns_query: ['*.svc']}]\n", "1.19"),
        "fqdn": ("  includeFilters: [{destination_fqdn: ['api.example.com/v1']}]\n", "1.19"),
        "label": ("  includeFilters: [{source_label: ['app in a']}]\n", "1.19"),
        "cel": ("  includeFilters: [{experimental: {cel_expression: ['_flow.verdikt == 2']}}]\n", "1.19"),
        "fields": ("  fieldMask: [source.podName]\n", "1.19"),
        "identity": ("  includeFilters: [{source_identity: [4294967296]}]\n", "1.19"),
        "port": ("  includeFilters: [{source_port: ['+443']}]\n", "1.19"),
        "ip": ("  includeFilters: [{destination_ip: ['10.0.0.0/255.0.0.0']}]\n", "1.19"),
        "status": ("  includeFilters: [{event_type: [{type: 129}], http_status_code: ['700']}]\n", "1.19"),
        "http-l7": ("  includeFilters: [{event_type: [{type: 1}], http_status_code: ['404']}]\n", "1.19"),
        "protocol": ("  includeFilters: [{protocol: [vrrp]}]\n", "1.18"),
        "encrypted": ("  includeFilters: [{encrypted: [true]}]\n", "1.18"),
        "interval": ("  aggregationInterval: '30'\n", "1.19"),
    }
    for what, (lines, version) in samples.items():
        text = "flowLogs:\n- name: a\n  filePath: /var/log/a.log\n" + lines
        assert agent_parse_errors(text, version) != [], what


# (case, profile, "line:col", severity, message, hint): generate succeeds
# The hint of every word that matches only L7 flows (the same text for each such word).
L7_ONLY_HINT = (
    "Hubble records HTTP, Kafka and DNS flows only for traffic that an L7 rule of a CiliumNetworkPolicy (rules: "
    "http, kafka or dns) sends through Cilium's proxy, with the chart's l7Proxy: true (the default), and knows DNS "
    "names only for lookups through the DNS proxy (a dns rule, as toFQDNs policies need); an L7 policy also "
    "restricts the traffic it selects (Cilium docs: Layer 7 Protocol Visibility)"
)

ADVICE = [
    # data/cilium-<minor>.yaml dev_stdout_hint (lumberjack renames the file at rotation)
    (
        "dev-stdout",
        flow_log("      file: /dev/stdout\n"),
        "4:13",
        "warning",
        "Cilium 1.19: /dev/stdout goes through the rotating file writer: after 10 MB it renames /dev/stdout and writes "
        "a regular file "
        "/dev/stdout inside the container instead, so flows stop reaching the container log; write filePath: stdout "
        "(the agent writes "
        "that to its own stdout without rotation)",
        "write 'file: stdout' in the profile (compiled to filePath: stdout)",
    ),
    (
        "dev-stdout-rotation-size",
        flow_log("      file: /dev/stdout\n      rotation: {max-size-mb: 50}\n"),
        "4:13",
        "warning",
        "Cilium 1.19: /dev/stdout goes through the rotating file writer: after 50 MB it renames /dev/stdout and writes "
        "a regular file "
        "/dev/stdout inside the container instead, so flows stop reaching the container log; write filePath: stdout "
        "(the agent writes "
        "that to its own stdout without rotation)",
        "write 'file: stdout' in the profile (compiled to filePath: stdout)",
    ),
    # cilium/cilium#43924 (data: fieldmask_oneofs, fieldmask_oneof_copy_bug)
    (
        "fields-copy-bug",
        flow_log("      fields: [l4.TCP.source_port, l4.UDP.source_port]\n", "1.18"),
        "5:16",
        "warning",
        "Cilium 1.18 has the fieldMask copy bug cilium/cilium#43924: with fields below l4.TCP and l4.UDP, each flow "
        "keeps only one of them, "
        "chosen at random, and may lose its real l4 data",
        "name whole variants (l4.TCP, l4.UDP) or 'l4' instead of fields below them",
    ),
    (
        "aggregate-fields-without-interval",
        flow_log("      aggregate-fields: [verdict]\n"),
        "4:7",
        "warning",
        "'aggregate-fields' without 'aggregation-interval' aggregates nothing: the interval defaults to 0s",
        "add e.g. 'aggregation-interval: 30s' (one record per group every interval)",
    ),
    (
        "aggregation-interval-zero",
        flow_log("      aggregate-fields: [verdict]\n      aggregation-interval: 0s\n"),
        "5:29",
        "warning",
        "aggregation-interval '0s' is not positive, so no flow is aggregated",
        "write a positive duration like 30s, or leave aggregation out",
    ),
    (
        "exclude-as-one-mapping",
        flow_log("      exclude:\n        namespace: kube-system\n        identity: health\n"),
        "4:7",
        "warning",
        "'exclude' is one filter with 2 keys (namespace, identity), which all must match: it excludes only flows that "
        "match all of them",
        "to exclude flows that match any of them, write one filter per key:",
    ),
    # Cilium docs, Documentation/observability/visibility.rst (Layer 7 Protocol Visibility)
    (
        "l7-word-note",
        one_filter("{event-type: l7, http-method: GET}"),
        "5:28",
        "note",
        "'http-method' matches only L7 flows (HTTP, DNS, Kafka), which exist only for traffic Cilium's proxy inspects: "
        "without an L7 policy for this traffic it matches nothing",
        L7_ONLY_HINT,
    ),
    (
        "protocol-dns-note",
        one_filter("protocol: [tcp, dns]"),
        "5:11",
        "note",
        "'protocol: dns' matches only L7 flows (HTTP, DNS, Kafka), which exist only for traffic Cilium's proxy "
        "inspects: "
        "without an L7 policy for this traffic it matches nothing",
        L7_ONLY_HINT,
    ),
    (
        "fqdn-note",
        one_filter('destination-fqdn: "*.example.com"'),
        "5:11",
        "note",
        "'destination-fqdn' matches only flows whose DNS name Cilium learned from its DNS proxy: without a DNS policy "
        "for the lookups it matches nothing",
        L7_ONLY_HINT,
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "position", "severity", "message", "hint"), ADVICE, ids=[c[0] for c in ADVICE]
)
def test_advice_is_given_at_its_position(run_cli, tmp_path, case, text, position, severity, message, hint):
    result, lines = generate(run_cli, tmp_path, text)
    assert result.code == 0, "\n".join(lines)
    first = f"values/bad.yaml:{position}: {severity}: {message}"
    assert first in lines, "\n".join(lines)
    assert lines[lines.index(first) + 1] == f"  hint: {hint}"


def test_the_one_mapping_warning_shows_the_list_form(run_cli, tmp_path):
    _, lines = generate(
        run_cli, tmp_path, flow_log("      exclude:\n        namespace: kube-system\n        identity: health\n")
    )
    start = lines.index("  hint: to exclude flows that match any of them, write one filter per key:")
    assert lines[start + 1 : start + 5] == [
        "        exclude:",
        "        - namespace: kube-system",
        "        - identity: health",
        "      (to keep the AND and silence this, write it as a list of one filter: exclude: [{...}])",
    ]


def test_a_list_of_one_filter_keeps_the_and_without_a_warning(run_cli, tmp_path):
    result, lines = generate(
        run_cli, tmp_path, flow_log("      exclude:\n        - {namespace: kube-system, identity: health}\n")
    )
    assert result.code == 0
    assert not [line for line in lines if "warning" in line and "bad.yaml" in line]


def compiled_entry(run_cli, tmp_path: Path, text: str) -> dict:
    result, lines = generate(run_cli, tmp_path, text)
    assert result.code == 0, "\n".join(lines)
    values = yaml.safe_load((tmp_path / "chart" / "profiles" / "bad" / "values.yaml").read_text())
    return values["cilium"]["flowLogs"][0]


@pytest.mark.parametrize(
    ("written", "emitted"),
    [
        # canonical_end: the instant in UTC as Go's t.UTC().Format(time.RFC3339Nano) prints it
        ("2030-01-01T01:30:00+01:00", "2030-01-01T00:30:00Z"),
        ("2030-01-01T00:00:00,500Z", "2030-01-01T00:00:00.5Z"),
        ("2030-01-01T00:00:00.000Z", "2030-01-01T00:00:00Z"),
        ("2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
    ],
)
def test_end_is_emitted_canonically(run_cli, tmp_path, written, emitted):
    assert compiled_entry(run_cli, tmp_path, flow_log(f"      end: {written}\n"))["end"] == emitted


@pytest.mark.parametrize("version", ["1.16", "1.17", "1.18", "1.19"])
def test_stdout_compiles_to_the_literal_stdout_in_every_version(run_cli, tmp_path, version):
    """docs/cilium-versions.md: 1.16/1.17 NewExporter checks opts.Path == "stdout"; 1.18/1.19 the
    exporter factory skips the file writer if config.FilePath == "stdout"."""
    entry = compiled_entry(run_cli, tmp_path, flow_log("      file: stdout\n", version))
    assert entry["filePath"] == "stdout"
    text = yaml.safe_dump({"flowLogs": [entry]})
    assert agent_parse_errors(text, version) == []


def test_aggregation_compiles_to_the_1_19_keys(run_cli, tmp_path):
    entry = compiled_entry(
        run_cli,
        tmp_path,
        flow_log("      aggregate-fields: [source.namespace, verdict]\n      aggregation-interval: 1m30s\n"),
    )
    # pkg/hubble/exporter config.go FlowLogConfig json tags
    assert list(entry)[:5] == ["name", "filePath", "fieldMask", "fieldAggregate", "aggregationInterval"]
    assert entry["fieldAggregate"] == ["source.namespace", "verdict"]
    assert entry["aggregationInterval"] == "1m30s"
    assert agent_parse_errors(yaml.safe_dump({"flowLogs": [entry]}), "1.19") == []


def test_new_1_19_filter_words_compile(run_cli, tmp_path):
    entry = compiled_entry(run_cli, tmp_path, one_filter("{ip-trace-id: [7, 18446744073709551615], encrypted: true}"))
    assert entry["includeFilters"] == [{"encrypted": [True], "ip_trace_id": [7, 18446744073709551615]}]
    assert agent_parse_errors(yaml.safe_dump({"flowLogs": [entry]}), "1.19") == []

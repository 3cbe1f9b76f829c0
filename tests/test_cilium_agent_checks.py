"""Standalone checks of values Cilium's agent reads from a flowlogs.yaml entry.

Expectations come from the upstream code each check reproduces (named per test): Go 1.27.3
src/time (format_rfc3339.go parseStrictRFC3339, format.go Parse; ParseDuration is test_go_duration.py), RE2 (what Go's
regexp.Compile accepts), cilium/cilium pkg/hubble/filters (labels.go, labelparser.go,
patterns.go, http.go, cel_expression.go) as vendored in cilium/hubble v1.16.6-v1.19.4, and
Kubernetes' label-selector parser (k8s.io/apimachinery selector.go, validate/content/kube.go).
"""

from __future__ import annotations

import pytest

from flowlogs.cilium.agent_cel import check_cel
from flowlogs.cilium.agent_labels import check_label_selector, parse_selector, translate_selector
from flowlogs.cilium.agent_patterns import check_fqdn_pattern, check_node_name_pattern, check_regexp
from flowlogs.cilium.agent_problem import AgentProblem
from flowlogs.cilium.agent_time import canonical_end, check_aggregation_interval, check_end
from flowlogs.cilium.defaults import SUPPORTED_VERSIONS
from flowlogs.cilium.flow_schema import load_flow_schema
from flowlogs.cilium.tables import load_tables
from tools.fieldmask_paths import fieldmask_paths_of

# --------------------------------------------------------------------------------------- end

END_FORM = "Go RFC 3339: YYYY-MM-DDTHH:MM:SS, an optional .fraction, then Z or ±HH:MM (upper-case T and Z)"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
        ("2030-01-01T01:30:00+01:00", "2030-01-01T00:30:00Z"),
        ("2029-12-31T23:00:00-01:00", "2030-01-01T00:00:00Z"),
        ("2030-01-01T00:00:00.250Z", "2030-01-01T00:00:00.25Z"),
        ("2030-01-01T00:00:00.1234567891Z", "2030-01-01T00:00:00.123456789Z"),  # parseNanoseconds keeps 9 digits
        ("2028-02-29T12:00:00Z", "2028-02-29T12:00:00Z"),
        # time.Parse(RFC3339) fallback, kept because Go disabled the strict re-check (go.dev/issue/54580)
        ("2030-01-01T1:00:00Z", "2030-01-01T01:00:00Z"),  # stdHour: getnum(value, false)
        ("2030-01-01T00:00:00,5Z", "2030-01-01T00:00:00.5Z"),  # commaOrPeriod
        ("2030-01-02T00:00:00+24:00", "2030-01-01T00:00:00Z"),  # "hr > 24" is the range error
    ],
)
def test_end_go_accepts(text: str, canonical: str) -> None:
    assert check_end(text) is None
    assert canonical_end(text) == canonical


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("2030-01-01T00:00Z", "write 2030-01-01T00:00:00Z"),  # seconds are required
        ("2030-01-01T00:00:00+0100", "write 2030-01-01T00:00:00+01:00"),  # the offset needs its colon
        ("2030-01-01t00:00:00Z", "write 2030-01-01T00:00:00Z"),  # s[10] == 'T' / skip() is exact
        ("2030-01-01T00:00:00z", "write 2030-01-01T00:00:00Z"),  # value[0] == 'Z'
        ("2030-01-01 00:00:00Z", "write 2030-01-01T00:00:00Z"),
        ("2030-01-01", "write 2030-01-01T00:00:00Z"),
        ("2030-01-01T00:00:00", "write 2030-01-01T00:00:00Z"),  # a zone is required
        ("2030-02-29T00:00:00Z", "write it like 2030-01-01T00:00:00Z or 2030-01-01T01:00:00+01:00"),  # daysIn
        ("2030-01-01T24:00:00Z", "write it like 2030-01-01T00:00:00Z or 2030-01-01T01:00:00+01:00"),
        ("2030-01-01T00:00:60Z", "write it like 2030-01-01T00:00:00Z or 2030-01-01T01:00:00+01:00"),  # no leap second
        ("2030-01-01T00:00:00+25:00", "write it like 2030-01-01T00:00:00Z or 2030-01-01T01:00:00+01:00"),
        ("2030-01-01T00:00:00Z ", "write 2030-01-01T00:00:00Z"),  # "extra text"
    ],
)
def test_end_go_rejects(text: str, fix: str) -> None:
    problem = check_end(text)
    assert problem == AgentProblem(
        f"end '{text}' is not a time Cilium's agent can read ({END_FORM}), so it rejects the whole flowlogs.yaml", fix
    )
    with pytest.raises(ValueError):
        canonical_end(text)


# ---------------------------------------------------------------------- aggregationInterval


def test_aggregation_interval_check() -> None:
    assert check_aggregation_interval("30s") is None
    assert check_aggregation_interval("30") == AgentProblem(
        "aggregationInterval '30' is not a Go duration (time: missing unit in duration \"30\"), so the agent rejects "
        "the whole flowlogs.yaml",
        "write a number with a unit, like 30s, 1m or 1m30s (units: ns, us, ms, s, m, h)",
    )
    assert check_aggregation_interval("0s") == AgentProblem(
        "aggregationInterval '0s' is not positive, so no flow is aggregated",
        "write a positive duration like 30s, or leave aggregation out",
    )


# ------------------------------------------------------------------------ regular expressions


def test_regexp_rejects_what_go_regexp_rejects() -> None:
    assert check_regexp("([a-z", "http_path") == AgentProblem(
        "http_path '([a-z' is not a regular expression Cilium's agent can compile (missing ]: [a-z)",
        "fix the regular expression (RE2 syntax: no lookaround, no backreferences)",
    )
    assert check_regexp("*.svc", "dns_query") == AgentProblem(
        "dns_query '*.svc' is not a regular expression Cilium's agent can compile (no argument for repetition "
        "operator: *)",
        "this looks like a wildcard; as an RE2 regular expression write .*\\.svc",
    )
    for pattern in ["(?=x)", "(a)\\1", "\\Z", "a{1001}"]:  # lookahead, backreference, \Z, repeat > 1000
        assert check_regexp(pattern, "http_url") is not None, pattern
    assert check_regexp("a\\C", "http_url") == AgentProblem(
        "http_url 'a\\C' uses \\C, which Go's regexp rejects (invalid escape sequence)",
        "match any character with . instead",
    )


@pytest.mark.parametrize(
    "pattern", ["^/api/v[0-9]+/", "(?i)^get$", "\\.svc\\.cluster\\.local\\.$", "(?P<x>a)|b", "\\pL+", "api-*"]
)
def test_regexp_accepts_re2_syntax(pattern: str) -> None:
    assert check_regexp(pattern, "dns_query") is None


def test_regexp_field_must_be_a_regexp_field() -> None:
    with pytest.raises(ValueError, match="source_pod is not a regular-expression field"):
        check_regexp("x", "source_pod")


def test_fqdn_and_node_name_patterns() -> None:
    # patterns.go: lower-cased, one trailing dot dropped, runes [-0-9_a-z.*]
    assert check_fqdn_pattern("*.Example.COM.") is None
    assert check_fqdn_pattern("api.example.com..") == AgentProblem(
        "destination_fqdn 'api.example.com..' has more than one trailing dot", "write api.example.com"
    )
    assert check_fqdn_pattern("") == AgentProblem(
        "destination_fqdn '' is empty", "write a name like api.example.com or *.example.com"
    )
    assert check_fqdn_pattern("a b", "source_fqdn") == AgentProblem(
        "source_fqdn 'a b' contains ' ', which Hubble's FQDN patterns do not allow",
        "use only letters, digits, '-', '_', '.' and '*' (any run of name characters)",
    )
    assert check_node_name_pattern("prod/worker-*") is None
    assert check_node_name_pattern("a/b/c") == AgentProblem(
        "node_name 'a/b/c' has more than one '/'", "write node or cluster/node"
    )


# ---------------------------------------------------------------------------- label selectors


def test_translate_selector_as_labelparser_go() -> None:
    # the examples of labels.go parseSelector's comment
    assert translate_selector("k8s:foo in (bar, baz)") == "k8s.foo in (bar, baz)"
    assert translate_selector("example.com in (bar, buzz)") == "any.example.com in (bar, buzz)"
    assert translate_selector("!key, reserved:world") == "!any.key, reserved.world"


@pytest.mark.parametrize(
    "selector",
    [
        "k8s:app in (a, b)",
        "!key",
        "reserved:world",
        "app=web,tier!=db",
        "k8s:app.kubernetes.io/name=hubble-relay",
        "k8s:io.kubernetes.pod.namespace==kube-system",
        "x in (foo,,baz),y,z notin ()",
        "k8s:replicas>2",
        "",
    ],
)
def test_label_selectors_cilium_accepts(selector: str) -> None:
    assert check_label_selector(selector) is None


def test_parsed_requirements() -> None:
    assert [(r.key, r.operator, r.values) for r in parse_selector("k8s:app in (b, a), !canary, reserved:world")] == [
        ("k8s.app", "in", ("a", "b")),
        ("any.canary", "!", ()),
        ("reserved.world", "exists", ()),
    ]


@pytest.mark.parametrize(
    ("selector", "reason"),
    [
        ("a==b==c", "found '==', expected: ',' or 'end of string'"),
        ("app in a", "unable to parse requirement: found 'a' expected: '('"),
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ("!a=b", "found '=', expected: ',' or 'end of string'"),
        ("a in (b", "unable to parse requirement: found '', expected: ',' or ')'"),
        (
            "k8s:replicas>x",
            "unable to parse requirement: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer",
        ),
        (
            "k8s:app=-x",
            'unable to parse requirement: Invalid value: "-x": a valid label must be an empty string or consist of '
            "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
        (
            "App/x=y",
            'unable to parse requirement: Invalid value: "any.App/x": prefix part a lowercase RFC 1123 subdomain '
            "must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an "
            "alphanumeric character",
        ),
    ],
)
def test_label_selectors_cilium_rejects(selector: str, reason: str) -> None:
    assert check_label_selector(selector, "destination_label") == AgentProblem(
        f"destination_label '{selector}' is not a label selector Cilium's agent accepts ({reason})",
        "write requirements like k8s:app=web, k8s:app in (a, b), !k8s:canary or reserved:world, joined by ','",
    )


# ------------------------------------------------------------------------------------- CEL


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_cel_accepts_boolean_expressions_over_flow(version: str) -> None:
    for expression in [
        "_flow.verdict == Verdict.DROPPED",  # container "flow"
        "_flow.verdict == flow.Verdict.DROPPED",
        "_flow.l4.TCP.destination_port == 443u",
        "_flow.source.labels.exists(l, l.startsWith('k8s:app='))",
        "has(_flow.l7.http) && _flow.l7.http.code >= 500u",
    ]:
        assert check_cel(expression, version) is None, expression


def test_cel_rejections() -> None:
    fix = (
        "write a boolean CEL expression over _flow using flow.proto field names, e.g. _flow.verdict == Verdict.DROPPED "
        "or _flow.l4.TCP.destination_port == 443u"
    )
    assert check_cel("_flow.l4.TCP.destination_port == 443", "1.19") == AgentProblem(
        "cel '_flow.l4.TCP.destination_port == 443' does not compile against Cilium 1.19's Flow (<input>:1:31: found "
        "no matching overload for '_==_' applied to '(uint, int)')",
        fix,
    )
    assert check_cel("flow.verdict == 2", "1.18") == AgentProblem(
        "cel 'flow.verdict == 2' does not compile against Cilium 1.18's Flow (<input>:1:5: undeclared reference to "
        "'flow.verdict' (in container 'flow'))",
        fix,
    )
    assert check_cel("_flow.source.namespace", "1.17") == AgentProblem(
        "cel '_flow.source.namespace' gives string, but the agent wants a bool (\"got ..., wanted bool result type\")",
        "compare it, e.g. _flow.source.namespace == 'shop'",
    )
    problem = check_cel("_flow.verdict ==", "1.16")
    assert problem is not None and "Syntax error" in problem.message


def test_cel_sees_each_versions_flow() -> None:
    # Flow.file arrived in 1.17, Flow.tunnel in 1.18, Tunnel.vni in 1.19 (flow.proto of each tag)
    assert check_cel("_flow.file.line > 0u", "1.16") == AgentProblem(
        "cel '_flow.file.line > 0u' does not compile against Cilium 1.16's Flow (<input>:1:6: undefined field 'file' "
        "not found in struct 'flow.Flow')",
        "write a boolean CEL expression over _flow using flow.proto field names, e.g. _flow.verdict == Verdict.DROPPED "
        "or _flow.l4.TCP.destination_port == 443u",
    )
    assert check_cel("_flow.file.line > 0u", "1.17") is None
    assert check_cel("_flow.tunnel.protocol == Tunnel.Protocol.VXLAN", "1.17") is not None
    assert check_cel("_flow.tunnel.protocol == Tunnel.Protocol.VXLAN", "1.18") is None
    assert check_cel("_flow.tunnel.vni == 1u", "1.18") is not None
    assert check_cel("_flow.tunnel.vni == 1u", "1.19") is None


# ------------------------------------------------------------------------- Flow schema data


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_flow_schema_and_fieldmask_table_agree(version: str) -> None:
    """Two readings of the same flow.proto: the Flow message table, walked with protobuf-go's
    fieldmaskpb rule, gives exactly the fieldMask path list of the version's tables."""
    schema = load_flow_schema(version)
    assert schema.version == version
    assert fieldmask_paths_of(schema) == load_tables(version).fieldmask_paths
    assert dict(schema.enums["Verdict"]) == {"VERDICT_UNKNOWN": 0} | {
        name: i for i, name in enumerate(load_tables(version).verdicts.values(), start=1)
    }
    oneofs = {f.oneof for f in schema.messages["Layer4"]} | {f.oneof for f in schema.messages["Layer7"]}
    assert oneofs == {"protocol", "record", None}


# -------------------------------------------------------------------------------- fieldMask


def test_fieldmask_errors_with_hints_from_the_tables() -> None:
    from flowlogs.cilium.agent_fieldmask import FieldMaskFinding, check_fieldmask

    drop = "is not a field of Cilium 1.16's Flow message, so the agent drops this flow log"
    assert check_fieldmask(["time", "file.name", "ip", "source.workloads.name", "souce.namespace"], "1.16") == [
        FieldMaskFinding(
            1,
            "error",
            AgentProblem(
                f"fieldMask path 'file.name' {drop}",
                "'file.name' exists from Cilium 1.17: target that version or remove it",
            ),
        ),
        FieldMaskFinding(
            2, "error", AgentProblem(f"fieldMask path 'ip' {drop}", "field names are case-sensitive: write 'IP'")
        ),
        FieldMaskFinding(
            3,
            "error",
            AgentProblem(
                f"fieldMask path 'source.workloads.name' {drop}",
                "'source.workloads' is a list or a plain value, where a path must end: keep 'source.workloads' whole",
            ),
        ),
        FieldMaskFinding(
            4, "error", AgentProblem(f"fieldMask path 'souce.namespace' {drop}", "did you mean 'source.namespace'?")
        ),
    ]
    # valid at full depth; a path below a oneof variant still earns the #43924 warning
    assert [(f.index, f.severity) for f in check_fieldmask(["time", "l4.TCP.flags.SYN", "tunnel.l4.UDP"], "1.18")] == [
        (1, "warning")
    ]


def test_fieldmask_oneof_copy_bug_warnings() -> None:
    """cilium/cilium#43924: FieldMask.Copy (pkg/hubble/parser/fieldmask) Mutable()s every variant
    named below it; fieldmask.New normalizes first, so a covering parent path avoids it."""
    from flowlogs.cilium.agent_fieldmask import FieldMaskFinding, check_fieldmask

    assert check_fieldmask(["l4.TCP.destination_port", "l4.UDP.destination_port", "l7.dns.query"], "1.17") == [
        FieldMaskFinding(
            0,
            "warning",
            AgentProblem(
                "Cilium 1.17 has the fieldMask copy bug cilium/cilium#43924: with fields below l4.TCP and l4.UDP, each "
                "flow keeps only one of them, chosen at random, and may lose its real l4 data",
                "name whole variants (l4.TCP, l4.UDP) or 'l4' instead of fields below them",
            ),
        ),
        FieldMaskFinding(
            2,
            "warning",
            AgentProblem(
                "Cilium 1.17 has the fieldMask copy bug cilium/cilium#43924: with fields below l7.dns, flows of "
                "another l7 protocol get an empty l7.dns",
                "name whole variants (l7.dns) or 'l7' instead of fields below them",
            ),
        ),
    ]
    assert check_fieldmask(["l4.TCP", "l4.UDP"], "1.18") == []  # whole variants: Has/Set/Clear
    assert check_fieldmask(["l4", "l4.TCP.source_port"], "1.18") == []  # normalized away
    (finding,) = check_fieldmask(["tunnel.l4.UDP.source_port"], "1.19")
    assert finding.problem.message.startswith("Cilium 1.19 may have the fieldMask copy bug")

"""flowlogs.validate.report: every output format parses and says the same thing."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

from flowlogs.validate import REPORTERS, Check, Issue, Result, SchemaWarning, Status, make_report
from flowlogs.validate.results import Report


def render_report(report: Report, output: str) -> str:
    buffer = io.StringIO()
    REPORTERS[output](report, buffer, False)
    return buffer.getvalue()


TEMPLATE = "flowlogs/templates/cilium/configmap.yaml"
RESULTS = [
    Result("cilium-exporter", TEMPLATE, Check.SCHEMA, Status.VALID, kind="ConfigMap", name="hubble", api_version="v1"),
    Result(
        "cilium-exporter",
        "flowlogs/templates/calico/job.yaml",
        Check.SCHEMA,
        Status.INVALID,
        kind="Job",
        name="felix-patch",
        namespace="flowlogs-system",
        api_version="batch/v1",
        issues=(
            Issue("/spec/backoffLimit", '"2" is not of types "null", "integer"'),
            Issue(
                "/spec/template/spec/containers/0",
                "Additional properties are not allowed ('imagePullPolice' was unexpected)",
            ),
        ),
    ),
    Result(
        "calico-l7",
        "flowlogs/templates/x.yaml",
        Check.SCHEMA,
        Status.SKIPPED,
        kind="Gadget",
        name="g",
        api_version="example.com/v1",
        message="could not find schema for Gadget",
    ),
    Result(
        "calico-l7",
        "flowlogs/templates/y.yaml",
        Check.SCHEMA,
        Status.ERROR,
        kind="ConfigMap",
        name="dup",
        api_version="v1",
        message='duplicate key "a" (line 8; first on line 7)',
        issues=(Issue("/data/a", 'duplicate key "a" (line 8; first on line 7)', 8),),
    ),
    Result(
        "calico-l7",
        "chart/profiles/calico-l7/values.yaml",
        Check.LINT,
        Status.ERROR,
        message="helm lint --strict: 1 problem(s)",
        issues=(Issue("templates/job.yaml", "[WARNING] object name does not conform # to naming <rules> & more"),),
    ),
]
REPORT = make_report(RESULTS, ["cilium-exporter", "calico-l7"])


def test_registry_has_the_four_formats() -> None:
    assert sorted(REPORTERS) == ["json", "junit", "tap", "text"]


def test_text_is_one_line_per_problem_then_the_summary() -> None:
    assert render_report(REPORT, "text").splitlines() == [
        "cilium-exporter - flowlogs/templates/calico/job.yaml - Job felix-patch is invalid: "
        '/spec/backoffLimit: "2" is not of types "null", "integer"',
        "cilium-exporter - flowlogs/templates/calico/job.yaml - Job felix-patch is invalid: "
        "/spec/template/spec/containers/0: Additional properties are not allowed ('imagePullPolice' was unexpected)",
        "calico-l7 - flowlogs/templates/x.yaml - Gadget g skipped: could not find schema for Gadget",
        "calico-l7 - flowlogs/templates/y.yaml - ConfigMap dup failed validation: "
        '/data/a: duplicate key "a" (line 8; first on line 7)',
        "calico-l7 - chart/profiles/calico-l7/values.yaml - lint check failed: "
        "templates/job.yaml: [WARNING] object name does not conform # to naming <rules> & more",
        "Summary: 4 resources found in 2 profiles - Valid: 1, Invalid: 1, Errors: 2, Skipped: 1",
    ]


def test_json_has_kubeconforms_shape() -> None:
    data = json.loads(render_report(REPORT, "json"))
    assert data["summary"] == {"valid": 1, "invalid": 1, "errors": 2, "skipped": 1, "resources": 4, "profiles": 2}
    assert [r["status"] for r in data["resources"]] == [
        "statusValid",
        "statusInvalid",
        "statusSkipped",
        "statusError",
        "statusError",
    ]
    invalid = data["resources"][1]
    assert invalid == {
        "filename": "flowlogs/templates/calico/job.yaml",
        "kind": "Job",
        "name": "felix-patch",
        "version": "batch/v1",
        "status": "statusInvalid",
        "msg": '/spec/backoffLimit: "2" is not of types "null", "integer" - '
        "/spec/template/spec/containers/0: Additional properties are not allowed ('imagePullPolice' was unexpected)",
        "validationErrors": [
            {"path": "/spec/backoffLimit", "msg": '"2" is not of types "null", "integer"'},
            {
                "path": "/spec/template/spec/containers/0",
                "msg": "Additional properties are not allowed ('imagePullPolice' was unexpected)",
            },
        ],
        "profile": "cilium-exporter",
        "template": "flowlogs/templates/calico/job.yaml",
        "namespace": "flowlogs-system",
        "check": "schema",
    }
    assert data["resources"][0]["msg"] == ""


def test_junit_is_valid_xml_with_a_suite_per_profile() -> None:
    root = ET.fromstring(render_report(REPORT, "junit"))
    assert root.tag == "testsuites"
    assert {key: root.get(key) for key in ("tests", "failures", "errors", "skipped")} == {
        "tests": "5",
        "failures": "1",
        "errors": "2",
        "skipped": "1",
    }
    suites = root.findall("testsuite")
    assert [(s.get("name"), s.get("tests"), s.get("failures"), s.get("errors")) for s in suites] == [
        ("cilium-exporter", "2", "1", "0"),
        ("calico-l7", "3", "0", "2"),
    ]
    cases = suites[0].findall("testcase")
    assert [(c.get("name"), c.get("classname")) for c in cases] == [
        ("ConfigMap hubble", TEMPLATE),
        ("Job felix-patch", "flowlogs/templates/calico/job.yaml"),
    ]
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("type") == "schema"
    assert failure.text == (
        '/spec/backoffLimit: "2" is not of types "null", "integer"\n'
        "/spec/template/spec/containers/0: Additional properties are not allowed ('imagePullPolice' was unexpected)"
    )
    calico = suites[1].findall("testcase")
    assert calico[0].find("skipped") is not None
    lint_error = calico[2].find("error")
    assert calico[2].get("name") == "lint check"
    assert lint_error is not None and "<rules> & more" in (lint_error.get("message") or "")


def test_junit_survives_control_characters() -> None:
    report = make_report([Result("p", "t", Check.RENDER, Status.ERROR, message="bad \x1b[31mcolour\x00")], ["p"])
    root = ET.fromstring(render_report(report, "junit"))
    error = root.find("testsuite/testcase/error")
    assert error is not None and error.get("message") == "bad \ufffd[31mcolour\ufffd"


def test_tap_13_plan_test_lines_and_diagnostics() -> None:
    lines = render_report(REPORT, "tap").splitlines()
    assert lines[:2] == ["TAP version 13", "1..5"]
    tests = [line for line in lines if re.match(r"^(not )?ok \d+ ", line)]
    assert tests == [
        f"ok 1 - cilium-exporter - {TEMPLATE} - ConfigMap hubble",
        "not ok 2 - cilium-exporter - flowlogs/templates/calico/job.yaml - Job felix-patch",
        "ok 3 - calico-l7 - flowlogs/templates/x.yaml - Gadget g # SKIP could not find schema for Gadget",
        "not ok 4 - calico-l7 - flowlogs/templates/y.yaml - ConfigMap dup",
        "not ok 5 - calico-l7 - chart/profiles/calico-l7/values.yaml - lint check",
    ]
    # YAML diagnostics right after a failing test line, between "  ---" and "  ...".
    start = lines.index(tests[1]) + 1
    assert lines[start] == "  ---"
    block = lines[start + 1 : lines.index("  ...", start)]
    assert block[:3] == ["  check: schema", "  status: invalid", "  errors:"]
    assert "  - path: /spec/backoffLimit" in block
    assert lines[-1] == "# Summary: 4 resources found in 2 profiles - Valid: 1, Invalid: 1, Errors: 2, Skipped: 1"


def test_tap_escapes_hash_in_descriptions() -> None:
    report = make_report([Result("p#1", "t", Check.SCHEMA, Status.VALID, kind="ConfigMap", name="a#b")], ["p#1"])
    assert render_report(report, "tap").splitlines()[2] == "ok 1 - p\\#1 - t - ConfigMap a\\#b"


WARNING = SchemaWarning("example.com/v1", "Gadget", "2 CRDs in crds/ define Gadget example.com/v1, not all alike: ...")
WARNED = make_report(RESULTS, ["cilium-exporter", "calico-l7"], [WARNING])


def test_text_prints_warnings_just_before_the_summary() -> None:
    lines = render_report(WARNED, "text").splitlines()
    assert lines[-2:] == [f"warning: {WARNING.message}", render_report(REPORT, "text").splitlines()[-1]]
    assert lines[:-2] == render_report(REPORT, "text").splitlines()[:-1]


def test_json_lists_warnings_by_kind() -> None:
    assert json.loads(render_report(WARNED, "json"))["warnings"] == [
        {"kind": "Gadget", "version": "example.com/v1", "msg": WARNING.message}
    ]
    assert json.loads(render_report(REPORT, "json"))["warnings"] == []


def test_junit_puts_a_warning_in_the_suites_with_its_kind() -> None:
    suites = ET.fromstring(render_report(WARNED, "junit")).findall("testsuite")
    assert [suite.findtext("system-err") for suite in suites] == [None, f"warning: {WARNING.message}"]


def test_tap_prints_warnings_as_comments() -> None:
    lines = render_report(WARNED, "tap").splitlines()
    assert lines[-2] == f"# warning: {WARNING.message}"
    assert [line for line in lines if not line.startswith("#")] == [
        line for line in render_report(REPORT, "tap").splitlines() if not line.startswith("#")
    ]

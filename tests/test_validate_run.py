"""flowlogs.validate.run: `flowlogs validate` end to end on synthetic charts, and the kubeconform cross-check.

kubeconform cannot be installed here, so its cross-check is tested with a fake `kubeconform`
script that prints kubeconform-shaped JSON.
"""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from flowlogs.helm import Manifest
from flowlogs.validate import (
    Check,
    Issue,
    ProfileTarget,
    Status,
    ValidateOptions,
    compare_renderings,
    run_validate,
    validate,
)
from flowlogs.validate.kubeconform import parse_output, parse_status

CHART_YAML = "apiVersion: v2\nname: flowlogs\nversion: 0.1.0\nicon: https://example.com/icon.png\n"
CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-hubble
  namespace: {{ .Release.Namespace }}
data:
  profile: {{ .Values.profile | quote }}
"""
JOB = """apiVersion: v1
kind: ServiceAccount
metadata:
  name: felix-patch
  namespace: {{ .Release.Namespace }}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: felix-patch
  namespace: {{ .Release.Namespace }}
spec:
  {{- if .Values.backoffLimit }}
  backoffLimit: {{ .Values.backoffLimit }}
  {{- end }}
  template:
    spec:
      restartPolicy: Never
      serviceAccountName: felix-patch
      containers:
      - name: kubectl
        image: registry.k8s.io/kubectl:v1.31.0
        {{- if .Values.typo }}
        imagePullPolice: Always
        {{- end }}
"""
APPLICATION_LAYER = """apiVersion: operator.tigera.io/v1
kind: ApplicationLayer
metadata:
  name: tigera-secure
spec:
  logCollection:
    collectLogs: Enabled
    logIntervalSeconds: {{ .Values.logIntervalSeconds | default 5 }}
"""
GOOD_TEMPLATES = {
    "cilium/configmap.yaml": CONFIGMAP,
    "calico/job.yaml": JOB,
    "calico/applicationlayer.yaml": APPLICATION_LAYER,
}


def make_chart(root: Path, templates: dict[str, str], *, chart_yaml: str = CHART_YAML) -> Path:
    chart = root / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(chart_yaml)
    (chart / "values.yaml").write_text("profile: default\n")
    (chart / ".helmignore").write_text("profiles/\n")
    for name, text in templates.items():
        path = chart / "templates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return chart


def profile(chart: Path, name: str, values: str) -> ProfileTarget:
    path = chart / "profiles" / name / "values.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(values)
    return ProfileTarget(name, path)


def options(chart: Path, *targets: ProfileTarget, **overrides: Any) -> ValidateOptions:
    return ValidateOptions(chart, tuple(targets), auto_binaries=False, **overrides)


def run(opts: ValidateOptions) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = run_validate(opts, out)
    return code, out.getvalue().splitlines()


# --- the happy path ------------------------------------------------------------------------


def test_valid_profiles_exit_zero(tmp_path: Path) -> None:
    chart = make_chart(tmp_path, GOOD_TEMPLATES)
    code, lines = run(options(chart, profile(chart, "a", "profile: a\n"), profile(chart, "b", "profile: b\n")))
    assert (code, lines) == (
        0,
        ["Summary: 8 resources found in 2 profiles - Valid: 8, Invalid: 0, Errors: 0, Skipped: 0"],
    )


def test_lint_info_messages_do_not_fail(tmp_path: Path) -> None:
    # Without `icon` helm lint says "[INFO] Chart.yaml: icon is recommended": not a failure.
    chart = make_chart(tmp_path, GOOD_TEMPLATES, chart_yaml="apiVersion: v2\nname: flowlogs\nversion: 0.1.0\n")
    code, _ = run(options(chart, profile(chart, "a", "profile: a\n")))
    assert code == 0


def test_profiles_are_reported_in_order_whatever_the_threads_do(tmp_path: Path) -> None:
    chart = make_chart(tmp_path, GOOD_TEMPLATES)
    targets = [profile(chart, f"p{n}", f"profile: p{n}\n") for n in range(6)]
    report = validate(options(chart, *targets))
    assert [r.profile for r in report.results if r.kind == "ConfigMap"] == [f"p{n}" for n in range(6)]
    assert report.profiles == tuple(f"p{n}" for n in range(6))


# --- negative cases: right message, right path, non-zero exit -----------------------------------


def test_wrong_field(tmp_path: Path) -> None:
    chart = make_chart(tmp_path, GOOD_TEMPLATES)
    code, lines = run(options(chart, profile(chart, "a", "profile: a\ntypo: true\n")))
    assert code == 1
    assert lines == [
        "a - flowlogs/templates/calico/job.yaml - Job felix-patch is invalid: /spec/template/spec/containers/0: "
        "Additional properties are not allowed ('imagePullPolice' was unexpected)",
        "Summary: 4 resources found in 1 profiles - Valid: 3, Invalid: 1, Errors: 0, Skipped: 0",
    ]


def test_wrong_type(tmp_path: Path) -> None:
    chart = make_chart(tmp_path, GOOD_TEMPLATES)
    code, lines = run(options(chart, profile(chart, "a", "profile: a\nbackoffLimit: '\"two\"'\n")))
    assert code == 1
    assert lines[0] == (
        "a - flowlogs/templates/calico/job.yaml - Job felix-patch is invalid: "
        '/spec/backoffLimit: "two" is not of types "null", "integer"'
    )


def test_missing_required_field(tmp_path: Path) -> None:
    templates = dict(
        GOOD_TEMPLATES, **{"calico/job.yaml": JOB.replace("      - name: kubectl\n        image:", "      - image:")}
    )
    chart = make_chart(tmp_path, templates)
    code, lines = run(options(chart, profile(chart, "a", "profile: a\n")))
    assert code == 1
    assert lines[0] == (
        "a - flowlogs/templates/calico/job.yaml - Job felix-patch is invalid: "
        '/spec/template/spec/containers/0: "name" is a required property'
    )


def test_wrong_value_in_a_shipped_schema_kind(tmp_path: Path) -> None:
    chart = make_chart(tmp_path, GOOD_TEMPLATES)
    code, lines = run(options(chart, profile(chart, "a", "profile: a\nlogIntervalSeconds: -3\n")))
    assert code == 1
    assert lines[0] == (
        "a - flowlogs/templates/calico/applicationlayer.yaml - ApplicationLayer tigera-secure is invalid: "
        "/spec/logCollection/logIntervalSeconds: -3 is less than the minimum of 1"
    )


def test_unknown_kind_is_an_error_or_skipped(tmp_path: Path) -> None:
    gadget = "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n"
    chart = make_chart(tmp_path, dict(GOOD_TEMPLATES, **{"gadget.yaml": gadget}))
    target = profile(chart, "a", "profile: a\n")
    code, lines = run(options(chart, target))
    assert (code, lines[0]) == (
        1,
        "a - flowlogs/templates/gadget.yaml - Gadget g failed validation: could not find schema for Gadget",
    )
    code, lines = run(options(chart, target, ignore_missing_schemas=True))
    assert (code, lines) == (
        0,
        [
            "a - flowlogs/templates/gadget.yaml - Gadget g skipped: could not find schema for Gadget",
            "Summary: 5 resources found in 1 profiles - Valid: 4, Invalid: 0, Errors: 0, Skipped: 1",
        ],
    )


def test_duplicate_key(tmp_path: Path) -> None:
    duplicated = CONFIGMAP.replace("\ndata:\n", "\ndata:\n  mode: a\n  mode: b\n")
    chart = make_chart(tmp_path, dict(GOOD_TEMPLATES, **{"cilium/configmap.yaml": duplicated}))
    code, lines = run(options(chart, profile(chart, "a", "profile: a\n")))
    assert code == 1
    assert lines[0] == (
        "a - flowlogs/templates/cilium/configmap.yaml - ConfigMap flowlogs-hubble failed validation: "
        '/data/mode: duplicate key "mode" (line 8; first on line 7)'
    )


def test_broken_template_is_a_render_error_naming_the_profile(tmp_path: Path) -> None:
    broken = '{{- if .Values.broken }}\n{{ fail "profile asks for something impossible" }}\n{{- end }}\n'
    chart = make_chart(tmp_path, dict(GOOD_TEMPLATES, **{"broken.yaml": broken}))
    good, bad = profile(chart, "good", "profile: g\n"), profile(chart, "bad", "profile: b\nbroken: true\n")
    code, lines = run(options(chart, good, bad))
    assert code == 1
    assert lines == [
        f"bad - {bad.values_file} - render check failed: helm (embedded) could not render {chart}: "
        "execution error at (flowlogs/templates/broken.yaml:2:3): profile asks for something impossible",
        "Summary: 4 resources found in 2 profiles - Valid: 4, Invalid: 0, Errors: 1, Skipped: 0",
    ]


def test_template_syntax_error_is_a_render_error(tmp_path: Path) -> None:
    chart = make_chart(tmp_path, dict(GOOD_TEMPLATES, **{"syntax.yaml": "{{ nope }}\n"}))
    target = profile(chart, "a", "profile: a\n")
    report = validate(options(chart, target))
    [result] = report.results
    assert (result.profile, result.check, result.status) == ("a", Check.RENDER, Status.ERROR)
    assert result.message.endswith('parse error at (flowlogs/templates/syntax.yaml:1): function "nope" not defined')


def test_lint_warning_fails_in_strict_mode(tmp_path: Path) -> None:
    templates = dict(
        GOOD_TEMPLATES,
        **{"cilium/configmap.yaml": CONFIGMAP.replace("{{ .Release.Name }}-hubble", "{{ .Values.name }}")},
    )
    chart = make_chart(tmp_path, templates)
    target = profile(chart, "a", "profile: a\nname: Not_A_DNS_Name\n")
    report = validate(options(chart, target))
    [lint] = [r for r in report.results if r.check is Check.LINT]
    assert (lint.status, lint.template, lint.message) == (
        Status.ERROR,
        str(target.values_file),
        "helm lint --strict: 1 problem(s)",
    )
    [issue] = lint.issues
    assert issue.path == "templates/cilium/configmap.yaml"
    assert issue.message.startswith(
        '[WARNING] object name does not conform to Kubernetes naming requirements: "Not_A_DNS_Name"'
    )
    assert not report.ok


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (None, "could not read values file {path}: cannot read the document file: No such file or directory"),
        ("- a\n- b\n", "values file {path} must be a mapping, not a list"),
    ],
)
def test_unusable_values_file(tmp_path: Path, values: str | None, message: str) -> None:
    chart = make_chart(tmp_path, GOOD_TEMPLATES)
    path = tmp_path / "values.yaml"
    if values is not None:
        path.write_text(values)
    [result] = validate(options(chart, ProfileTarget("a", path))).results
    assert (result.check, result.status, result.message) == (Check.VALUES, Status.ERROR, message.format(path=path))


def test_extra_documents_are_validated_too(tmp_path: Path) -> None:
    chart = make_chart(tmp_path, GOOD_TEMPLATES)
    gitops = tmp_path / "gitops" / "apps.yaml"
    gitops.parent.mkdir()
    gitops.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: flowlogs, namespace: argocd}\n"
        "spec:\n  project: default\n"
        "  destination: {server: 'https://kubernetes.default.svc', namespace: flowlogs-system}\n"
        "  source: {repoURL: 'https://git.example.com/x.git', path: chart, targetRevision: main}\n"
        "---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: broken, namespace: argocd}\n"
        "spec:\n  project: default\n  destination: {server: 'https://kubernetes.default.svc'}\n"
        "  source: {repoURL: 'https://git.example.com/x.git', helm: {valueFile: [a.yaml]}}\n"
    )
    code, lines = run(options(chart, profile(chart, "a", "profile: a\n"), extra_documents=(("gitops", gitops),)))
    assert code == 1
    assert lines == [
        f"gitops - {gitops} - Application broken is invalid: /spec/source/helm: "
        "Additional properties are not allowed ('valueFile' was unexpected)",
        "Summary: 6 resources found in 2 profiles - Valid: 5, Invalid: 1, Errors: 0, Skipped: 0",
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kubernetes_version": "1.20.0"}, "Kubernetes 1.20.0 is older than the oldest bundled schemas (1.25.0)"),
        ({"schema_locations": ("/does/not/exist",)}, "schema location not found: /does/not/exist"),
        ({"output": "yaml"}, "unknown output format 'yaml'; choose one of: text, json, junit, tap"),
        ({"kubeconform_binary": "/no/kubeconform"}, "kubeconform binary not found: /no/kubeconform"),
        ({"helm_binary": "/no/helm"}, "helm binary not found: /no/helm"),
    ],
)
def test_setup_problems_are_reported_not_raised(tmp_path: Path, overrides: dict[str, Any], message: str) -> None:
    chart = make_chart(tmp_path, GOOD_TEMPLATES)
    code, lines = run(options(chart, profile(chart, "a", "profile: a\n"), **overrides))
    assert code == 1
    assert lines[0].startswith(f"(setup) - setup check failed: {message}")
    assert lines[-1] == "Summary: 0 resources found in 1 profiles - Valid: 0, Invalid: 0, Errors: 1, Skipped: 0"


def test_json_output_of_a_run(tmp_path: Path) -> None:
    chart = make_chart(tmp_path, GOOD_TEMPLATES)
    out = io.StringIO()
    code = run_validate(options(chart, profile(chart, "a", "profile: a\ntypo: true\n"), output="json"), out)
    data = json.loads(out.getvalue())
    assert code == 1
    assert data["summary"] == {"valid": 3, "invalid": 1, "errors": 0, "skipped": 0, "resources": 4, "profiles": 1}
    [invalid] = [r for r in data["resources"] if r["status"] == "statusInvalid"]
    assert invalid["validationErrors"] == [
        {
            "path": "/spec/template/spec/containers/0",
            "msg": "Additional properties are not allowed ('imagePullPolice' was unexpected)",
        }
    ]


# --- embedded engine vs helm binary ----------------------------------------------------------


def test_renderings_are_compared_as_data_matched_by_identity() -> None:
    embedded = [
        Manifest("c/templates/a.yaml", 0, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1'}\n"),
        Manifest("c/templates/a.yaml", 1, "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n"),
        Manifest("c/templates/only-embedded.yaml", 0, "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: e}\n"),
    ]
    binary = [  # helm template prints install order: ServiceAccount first; formatting differs
        Manifest("c/templates/a.yaml", 0, "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n"),
        Manifest(
            "c/templates/a.yaml", 1, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '2', z: '3'}\n"
        ),
    ]
    results = compare_renderings("p", embedded, binary)
    assert [(r.template, r.kind, r.name, r.message, r.issues) for r in results] == [
        (
            "c/templates/a.yaml",
            "ConfigMap",
            "a",
            "the embedded engine and the helm binary render this document differently",
            (
                Issue("/data/x", "embedded: '1'; helm binary: '2'"),
                Issue("/data/z", "embedded: (absent); helm binary: '3'"),
            ),
        ),
        ("c/templates/only-embedded.yaml", "ServiceAccount", "e", "rendered by the embedded engine only", ()),
    ]
    assert all((r.check, r.status) == (Check.HELM_BINARY, Status.ERROR) for r in results)


# --- kubeconform cross-check (fake binary) ------------------------------------------------------

FAKE_KUBECONFORM = '''#!{python}
"""A stand-in for kubeconform: records its arguments, prints kubeconform-shaped JSON."""
import json, os, sys
args = sys.argv[1:]
workdir = os.path.dirname(args[-1].rstrip("/"))
files = {{}}
for root, _, names in os.walk(workdir):
    for name in names:
        if name.endswith(".json"):
            path = os.path.join(root, name)
            files[os.path.relpath(path, workdir)] = json.load(open(path))
with open({record!r}, "w") as handle:
    json.dump(dict(args=args, files=files), handle)
mode = {mode!r}
if mode == "garbage":
    print("panic: something went wrong", file=sys.stderr)
    sys.exit(3)
folder = args[-1]
resources = []
for name in sorted(os.listdir(folder)):
    text = open(os.path.join(folder, name)).read()
    kind = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("kind:")][0]
    status, msg = "statusValid", ""
    if mode == "agree" and "imagePullPolice" in text:
        status = "statusInvalid"
        msg = "For field spec.template.spec.containers.0: Additional property imagePullPolice is not allowed"
    if mode == "agree" and kind == "Gadget":
        status, msg = "statusError", "could not find schema for Gadget"
    if mode == "old-names":
        status = "VALID"
    resources.append(dict(filename=os.path.join(folder, name), kind=kind, name="", version="", status=status, msg=msg))
print(json.dumps(dict(resources=resources, summary=dict(valid=0, invalid=0, errors=0, skipped=0)), indent=2))
sys.exit(1 if any(r["status"] != "statusValid" for r in resources) else 0)
'''


def fake_kubeconform(directory: Path, mode: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    script, record = directory / "kubeconform", directory / "kubeconform-args.json"
    script.write_text(FAKE_KUBECONFORM.format(python=sys.executable, record=str(record), mode=mode))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, record


def test_kubeconform_that_agrees_adds_nothing(tmp_path: Path) -> None:
    chart = make_chart(
        tmp_path,
        dict(GOOD_TEMPLATES, **{"gadget.yaml": "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n"}),
    )
    script, record = fake_kubeconform(tmp_path / "bin", "agree")
    report = validate(options(chart, profile(chart, "a", "profile: a\ntypo: true\n"), kubeconform_binary=str(script)))
    assert [r.check for r in report.results if r.check is Check.KUBECONFORM] == []
    assert report.summary.invalid == 1 and report.summary.errors == 1
    recorded = json.loads(record.read_text())
    args = recorded["args"]
    assert args[:7] == ["-strict", "-summary", "-verbose", "-output", "json", "-kubernetes-version", "1.31.0"]
    locations = [args[n + 1] for n, arg in enumerate(args) if arg == "-schema-location"]
    assert len(locations) == 2
    assert locations[0].endswith("/schemas/default")  # the bundled schemas, written out standalone
    assert locations[1].endswith("/validate/schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")
    assert "-ignore-missing-schemas" not in args
    # Only the kinds of the documents, in kubeconform's default layout, with no network $refs.
    assert sorted(recorded["files"]) == [
        "schemas/default/v1.31.0-standalone-strict/configmap-v1.json",
        "schemas/default/v1.31.0-standalone-strict/job-batch-v1.json",
        "schemas/default/v1.31.0-standalone-strict/serviceaccount-v1.json",
    ]
    job = recorded["files"]["schemas/default/v1.31.0-standalone-strict/job-batch-v1.json"]
    assert "/api/_definitions.json" not in json.dumps(job) and "io.k8s.api.batch.v1.JobSpec" in job["$defs"]


def test_kubeconform_disagreement_is_an_error(tmp_path: Path) -> None:
    chart = make_chart(tmp_path, GOOD_TEMPLATES)
    script, _ = fake_kubeconform(tmp_path / "bin", "all-valid")
    code, lines = run(options(chart, profile(chart, "a", "profile: a\ntypo: true\n"), kubeconform_binary=str(script)))
    assert code == 1
    assert lines[1:] == [
        "a - flowlogs/templates/calico/job.yaml - Job felix-patch kubeconform check failed: "
        "kubeconform disagrees: flowlogs says invalid, kubeconform says valid",
        "Summary: 4 resources found in 1 profiles - Valid: 3, Invalid: 1, Errors: 1, Skipped: 0",
    ]


def test_kubeconform_old_status_names_are_understood(tmp_path: Path) -> None:
    chart = make_chart(tmp_path, GOOD_TEMPLATES)
    script, _ = fake_kubeconform(tmp_path / "bin", "old-names")
    code, lines = run(options(chart, profile(chart, "a", "profile: a\n"), kubeconform_binary=str(script)))
    assert (code, lines) == (
        0,
        ["Summary: 4 resources found in 1 profiles - Valid: 4, Invalid: 0, Errors: 0, Skipped: 0"],
    )


def test_kubeconform_failure_is_reported(tmp_path: Path) -> None:
    chart = make_chart(tmp_path, GOOD_TEMPLATES)
    script, _ = fake_kubeconform(tmp_path / "bin", "garbage")
    report = validate(options(chart, profile(chart, "a", "profile: a\n"), kubeconform_binary=str(script)))
    [failure] = [r for r in report.results if r.check is Check.KUBECONFORM]
    assert (failure.profile, failure.status) == ("(kubeconform)", Status.ERROR)
    assert failure.message.startswith("kubeconform (exit 3) gave no JSON verdicts (")
    assert failure.message.endswith("): panic: something went wrong")


def test_kubeconform_on_path_is_found_with_auto_binaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chart = make_chart(tmp_path, GOOD_TEMPLATES)
    script, record = fake_kubeconform(tmp_path / "bin", "agree")
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    opts = ValidateOptions(
        chart, (profile(chart, "a", "profile: a\n"),), auto_binaries=True, ignore_missing_schemas=True
    )
    if any((Path(p) / "helm").is_file() for p in os.environ["PATH"].split(os.pathsep)):
        pytest.skip("a helm binary on PATH would also be used; this test is about kubeconform only")
    assert validate(opts).ok
    assert "-ignore-missing-schemas" in json.loads(record.read_text())["args"]


def test_crd_locations_are_converted_for_kubeconform(tmp_path: Path) -> None:
    crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: gadgets.example.com}\n"
        "spec:\n  group: example.com\n  names: {kind: Gadget, plural: gadgets}\n  scope: Namespaced\n  versions:\n"
        "  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n"
        "        properties:\n          spec: {type: object, properties: {size: {type: integer}}}\n"
    )
    crd_file = tmp_path / "crds" / "gadgets.yaml"
    crd_file.parent.mkdir()
    crd_file.write_text(crd)
    gadget = "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: 1}\n"
    chart = make_chart(tmp_path, {"gadget.yaml": gadget, "cilium/configmap.yaml": CONFIGMAP})
    script, record = fake_kubeconform(tmp_path / "bin", "all-valid")
    report = validate(
        options(
            chart,
            profile(chart, "a", "profile: a\n"),
            kubeconform_binary=str(script),
            schema_locations=("default", str(crd_file)),
        )
    )
    assert report.ok, report.results
    recorded = json.loads(record.read_text())
    args = recorded["args"]
    locations = [args[n + 1] for n, arg in enumerate(args) if arg == "-schema-location"]
    assert locations[1].endswith("/schemas/crds-0/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")
    converted = recorded["files"]["schemas/crds-0/example.com/gadget_v1.json"]
    assert converted["properties"]["spec"]["additionalProperties"] is False
    assert converted["properties"]["kind"] == {"type": "string", "enum": ["Gadget"]}


def test_kubeconform_output_parsing() -> None:
    stdout = json.dumps(
        {
            "resources": [
                {"filename": "/tmp/x/doc-000000.yaml", "kind": "Job", "status": "statusInvalid", "msg": "bad"},
                {"filename": "/tmp/x/doc-000001.yaml", "kind": "ConfigMap", "status": "SKIPPED", "msg": ""},
            ]
        }
    )
    verdicts = parse_output(stdout)
    assert {name: (v.status, v.message) for name, v in verdicts.items()} == {
        "doc-000000.yaml": (Status.INVALID, "bad"),
        "doc-000001.yaml": (Status.SKIPPED, ""),
    }
    assert parse_status("statusError") is Status.ERROR and parse_status("whatever") is None
    with pytest.raises(ValueError):
        parse_output("not json")


def test_a_failing_helm_binary_is_reported_for_the_profile(tmp_path: Path) -> None:
    chart = make_chart(tmp_path, GOOD_TEMPLATES)
    helm = tmp_path / "bin" / "helm"
    helm.parent.mkdir()
    helm.write_text("#!/bin/sh\necho 'Error: chart requires kubeVersion >=1.99' >&2\nexit 1\n")
    helm.chmod(helm.stat().st_mode | stat.S_IXUSR)
    target = profile(chart, "a", "profile: a\n")
    report = validate(options(chart, target, helm_binary=str(helm)))
    [failure] = [r for r in report.results if r.check is Check.HELM_BINARY]
    assert (failure.profile, failure.template, failure.status) == ("a", str(target.values_file), Status.ERROR)
    assert failure.message == f"helm ({helm}) could not render {chart}: Error: chart requires kubeVersion >=1.99"
    assert report.summary.valid == 4 and not report.ok


def gadget_crd(*fields: str) -> str:
    properties = ", ".join(["size: {type: integer}", *(f"{name}: {{type: string}}" for name in fields)])
    return (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: gadgets.example.com}\n"
        "spec:\n  group: example.com\n  names: {kind: Gadget, plural: gadgets}\n  scope: Namespaced\n  versions:\n"
        "  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n"
        f"        properties:\n          spec: {{type: object, properties: {{{properties}}}}}\n"
    )


def test_disagreeing_crds_in_a_location_are_a_warning_and_kubeconform_gets_the_chosen_one(tmp_path: Path) -> None:
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "a-gadgets-oss.yaml").write_text(gadget_crd())
    (crds / "b-gadgets-enterprise.yaml").write_text(gadget_crd("colour"))
    gadget = "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: 1, colour: red}\n"
    chart = make_chart(tmp_path, {"gadget.yaml": gadget, "cilium/configmap.yaml": CONFIGMAP})
    script, record = fake_kubeconform(tmp_path / "bin", "all-valid")
    opts = options(
        chart,
        profile(chart, "a", "profile: a\n"),
        schema_locations=("default", str(crds)),
        kubeconform_binary=str(script),
    )
    code, lines = run(opts)
    assert code == 0
    assert lines == [
        f"warning: 2 CRDs in {crds} define Gadget example.com/v1, not all alike: {crds / 'a-gadgets-oss.yaml'} "
        f"(5 fields), {crds / 'b-gadgets-enterprise.yaml'} (6 fields); using {crds / 'b-gadgets-enterprise.yaml'}, "
        f"the one with the most fields. To use another, pass it as its own --schema-location before {crds}",
        "Summary: 2 resources found in 1 profiles - Valid: 2, Invalid: 0, Errors: 0, Skipped: 0",
    ]
    converted = json.loads(record.read_text())["files"]["schemas/crds-0/example.com/gadget_v1.json"]
    assert sorted(converted["properties"]["spec"]["properties"]) == ["colour", "size"]

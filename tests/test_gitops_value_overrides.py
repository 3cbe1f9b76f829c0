"""Fleet overrides of any chart value (issue 15): `overrides: {values: {...}}` per cluster,
checked against the chart's values schema at its line and column, carried to Argo CD as the
Application's helm.valuesObject through the ApplicationSet's templatePatch.

The templatePatch is rendered with Go's text/template and sprig (Helm's engine), as Argo CD
renders it with goTemplate: true, then read as the strategic merge patch Argo CD applies
(argoproj/argo-cd applicationset/controllers/template/patch.go)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import SHARED, VALUES, write_profile
from flowlogs.helm import EmbeddedHelm

FLEET = """\
gitops:
  repo-url: https://git.example.com/platform/flowlogs.git
clusters:
  - name: a
    server: https://a.example.com
    profile: cilium-exporter
    overrides:
      values:
        commonLabels: {team: network}
        cilium:
          configMap: {name: flows}
  - name: b
    server: https://b.example.com
    profile: cilium-exporter
"""


@pytest.fixture
def repo(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path / "values", "cilium-exporter", (VALUES / "cilium-exporter.yaml").read_text(encoding="utf-8"))
    (tmp_path / "values/fleet.yaml").write_text(FLEET, encoding="utf-8")
    result = run_cli("generate")
    assert result.code == 0, result.err
    return tmp_path


def spec(repo: Path) -> dict[str, Any]:
    return yaml.safe_load((repo / "gitops/applicationset.yaml").read_text(encoding="utf-8"))["spec"]


def render_patch(template: str, params: dict[str, Any], tmp_path: Path) -> Any:
    chart = tmp_path / "harness"
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: harness\nversion: 0.1.0\n", encoding="utf-8")
    (chart / "templates/patch.yaml").write_text(
        "{{- with .Values.params }}\n" + template + "{{- end }}\n", encoding="utf-8"
    )
    manifests = EmbeddedHelm().template(chart, {"params": params}, release_name="x", namespace="x")
    return yaml.safe_load(manifests[0].text) if manifests else None


def test_elements_carry_each_clusters_values_and_a_template_patch_applies_them(repo, tmp_path):
    applicationset = spec(repo)
    elements = applicationset["generators"][0]["list"]["elements"]
    assert [e["values"] for e in elements] == [
        {"commonLabels": {"team": "network"}, "cilium": {"configMap": {"name": "flows"}}},
        {},
    ]
    patch = applicationset["templatePatch"]
    assert render_patch(patch, elements[0], tmp_path) == {
        "spec": {"source": {"helm": {"valuesObject": elements[0]["values"]}}}
    }
    assert render_patch(patch, elements[1], tmp_path) is None  # no values: no patch


def test_the_applicationset_validates(repo, run_cli):
    locations = ["--schema-location", "default", "--schema-location", "shipped"]
    if (SHARED / "crds").is_dir():  # the upstream Argo CD CRD first: spec.templatePatch is a string there
        locations = [
            "--schema-location",
            "default",
            "--schema-location",
            str(SHARED / "crds"),
            "--schema-location",
            "shipped",
        ]
    result = run_cli(
        "validate", "cilium-exporter", "--documents", "gitops/applicationset.yaml", "-o", "json", *locations
    )
    assert result.code == 0, result.out
    assert {r["kind"]: r["status"] for r in json.loads(result.out)["resources"]}["ApplicationSet"] == "statusValid"


def test_without_values_overrides_the_applicationset_has_no_patch(repo, run_cli):
    (repo / "values/fleet.yaml").write_text(
        FLEET.split("    overrides:")[0] + FLEET.split("configMap: {name: flows}\n")[1], encoding="utf-8"
    )
    assert run_cli("generate").code == 0
    applicationset = spec(repo)
    assert "templatePatch" not in applicationset
    assert all("values" not in e for e in applicationset["generators"][0]["list"]["elements"])


def test_bad_values_are_errors_at_their_position(repo, run_cli):
    fleet = repo / "values/fleet.yaml"
    fleet.write_text(FLEET.replace("team: network", "team: 5").replace("name: flows", "nme: flows"), encoding="utf-8")
    result = run_cli("generate")
    assert result.code == 1
    assert result.err.splitlines() == [
        "values/fleet.yaml:9:30: error: commonLabels.team: expected a string, got '5'",
        "values/fleet.yaml:11:23: error: unknown key 'nme' in cilium.configMap; did you mean 'name'?",
        "  hint: allowed keys: name, namespace",
        "flowlogs: 2 errors in profiles or the fleet file; nothing was written",
    ]

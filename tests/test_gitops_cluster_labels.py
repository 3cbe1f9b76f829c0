"""Fleets whose clusters come from Argo CD (issue 15): `gitops.cluster-generator: labels` makes an
ApplicationSet of cluster generators, one per profile, selecting cluster Secrets labelled
flowlogs.dev/profile=<profile>; a Secret's annotation flowlogs.dev/<override> overrides a value.

The template strings are evaluated with Go's text/template and sprig, as Argo CD evaluates them
(goTemplate: true), through Helm's engine, on the parameters Argo CD's cluster generator makes
(argoproj/argo-cd applicationset/generators/cluster.go, getClusterParameters: name,
nameNormalized, server, project, metadata.labels/annotations only when the Secret has them,
values from the generator)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ROOT, SHARED, VALUES, write_profile
from flowlogs.helm import EmbeddedHelm

FLEET = """\
gitops:
  repo-url: https://git.example.com/platform/flowlogs.git
  cluster-generator: labels
"""


@pytest.fixture
def repo(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    for name in ("cilium-exporter", "calico-l7"):
        write_profile(tmp_path / "values", name, (VALUES / f"{name}.yaml").read_text(encoding="utf-8"))
    (tmp_path / "values/fleet.yaml").write_text(FLEET, encoding="utf-8")
    result = run_cli("generate")
    assert result.code == 0, result.err
    return tmp_path


def applicationset(repo: Path) -> dict[str, Any]:
    return yaml.safe_load((repo / "gitops/applicationset.yaml").read_text(encoding="utf-8"))


def test_one_cluster_generator_per_profile_selects_by_label(repo):
    spec = applicationset(repo)["spec"]
    assert [g["clusters"]["selector"] for g in spec["generators"]] == [
        {"matchLabels": {"flowlogs.dev/profile": "calico-l7"}},
        {"matchLabels": {"flowlogs.dev/profile": "cilium-exporter"}},
    ]
    assert spec["generators"][1]["clusters"]["values"] == {
        "profile": "cilium-exporter",
        "ciliumEnabled": "true",
        "calicoEnabled": "false",
        "ciliumNamespace": "kube-system",
    }
    assert spec["template"]["spec"]["source"]["helm"]["valueFiles"] == ["profiles/{{.values.profile}}/values.yaml"]
    assert spec["template"]["spec"]["destination"]["server"] == "{{.server}}"


def test_the_applicationset_validates_against_argo_cds_crd(repo, run_cli):
    result = run_cli("validate", "cilium-exporter", "--documents", "gitops/applicationset.yaml", "-o", "json")
    assert result.code == 0, result.out + result.err
    kinds = {r["kind"]: r["status"] for r in json.loads(result.out)["resources"]}
    assert kinds["ApplicationSet"] == "statusValid"


def render_go_template(text: str, params: dict[str, Any], tmp_path: Path) -> str:
    """`text` evaluated as Argo CD's goTemplate evaluates one template string (text/template + sprig)."""
    chart = tmp_path / "harness"
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: harness\nversion: 0.1.0\n", encoding="utf-8")
    (chart / "templates/out.yaml").write_text(
        "{{- with .Values.params }}out: " + text + "{{ end }}\n", encoding="utf-8"
    )
    (manifest,) = EmbeddedHelm().template(chart, {"params": params}, release_name="x", namespace="x")
    return manifest.text.removeprefix("out: ").rstrip("\n")


def cluster_params(generator: dict[str, Any], annotations: dict[str, str] | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "labels": {"argocd.argoproj.io/secret-type": "cluster", **generator["clusters"]["selector"]["matchLabels"]}
    }
    if annotations:
        metadata["annotations"] = annotations
    return {
        "name": "prod_eu_1",
        "nameNormalized": "prod-eu-1",
        "server": "https://prod-eu-1.example.com:6443",
        "project": "",
        "metadata": metadata,
        "values": generator["clusters"]["values"],
    }


@pytest.mark.parametrize(
    ("annotations", "namespace"),
    [(None, "kube-system"), ({"team": "a"}, "kube-system"), ({"flowlogs.dev/cilium-namespace": "cilium"}, "cilium")],
)
def test_an_annotation_overrides_the_profile_value(repo, tmp_path, annotations, namespace):
    spec = applicationset(repo)["spec"]
    generator = spec["generators"][1]
    params = cluster_params(generator, annotations)
    parameters = {p["name"]: p["value"] for p in spec["template"]["spec"]["source"]["helm"]["parameters"]}
    assert render_go_template(parameters["cilium.configMap.namespace"], params, tmp_path) == namespace
    assert render_go_template(parameters["cilium.enabled"], params, tmp_path) == "true"
    assert render_go_template(spec["template"]["metadata"]["name"], params, tmp_path) == "prod-eu-1-flowlogs"
    assert (
        render_go_template(spec["template"]["spec"]["source"]["helm"]["valueFiles"][0], params, tmp_path)
        == "profiles/cilium-exporter/values.yaml"
    )


def test_a_switch_annotation_turns_a_part_off(repo, tmp_path):
    spec = applicationset(repo)["spec"]
    params = cluster_params(spec["generators"][0], {"flowlogs.dev/calico": "false"})
    parameters = {p["name"]: p["value"] for p in spec["template"]["spec"]["source"]["helm"]["parameters"]}
    assert render_go_template(parameters["calico.enabled"], params, tmp_path) == "false"


def test_listed_clusters_with_the_labels_generator_are_an_error(repo, run_cli):
    fleet = repo / "values/fleet.yaml"
    fleet.write_text(
        FLEET + "clusters:\n  - name: a\n    server: https://a.example.com\n    profile: cilium-exporter\n",
        encoding="utf-8",
    )
    result = run_cli("generate")
    assert result.code == 1
    assert (
        "values/fleet.yaml:4:1: error: with gitops.cluster-generator: labels, Argo CD finds the clusters by their "
        "flowlogs.dev/profile label: the fleet file lists none" in result.err
    )


# The documented example (docs/gitops.md, "The way past listing clusters"): what `generate` writes
# from the documented fleet file, accepted by Argo CD v3.5.1's ApplicationSet CRD (the strict
# conversion of tests/test_gitops_crds.py, and the real API server with strict field validation).
DOCS = ROOT / "docs" / "gitops.md"
CRDS = SHARED / "crds"


def docs_example(name: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    marker = f"<!-- example: {name} -->\n```yaml\n"
    start = text.index(marker) + len(marker)
    return text[start : text.index("```\n", start)]


@pytest.fixture
def documented(tmp_path, monkeypatch, run_cli) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("cilium-exporter", "calico-l7"):
        write_profile(tmp_path / "values", name, (VALUES / f"{name}.yaml").read_text(encoding="utf-8"))
    (tmp_path / "values/fleet.yaml").write_text(docs_example("labels-fleet"), encoding="utf-8")
    result = run_cli("generate")
    assert result.code == 0, result.err
    return tmp_path / "gitops" / "applicationset.yaml"


def test_the_documented_applicationset_is_what_generate_writes(documented):
    written = documented.read_text(encoding="utf-8")
    assert "".join(line for line in written.splitlines(keepends=True) if not line.startswith("#")) == docs_example(
        "labels-applicationset"
    )


@pytest.mark.skipif(
    not (CRDS / "argoproj.io_applicationsets.yaml").is_file(), reason=f"Argo CD CRDs not found in {CRDS}"
)
def test_the_documented_applicationset_validates_against_the_crd():
    from test_gitops_crds import crd_validator

    document = yaml.safe_load(docs_example("labels-applicationset"))
    assert [error.message for error in crd_validator("argoproj.io_applicationsets.yaml").iter_errors(document)] == []
    # The conversion is strict: a field the CRD does not define (here a misspelt `selector`) fails.
    document["spec"]["generators"][0]["clusters"]["selektor"] = document["spec"]["generators"][0]["clusters"].pop(
        "selector"
    )
    assert any(
        "selektor" in error.message for error in crd_validator("argoproj.io_applicationsets.yaml").iter_errors(document)
    )


def test_the_documented_secret_makes_the_documented_application(tmp_path):
    """The parameters Argo CD v3.5.1 makes for the documented Secret (applicationset/generators/cluster.go,
    getClusterParameters with goTemplate; `nameNormalized` of an already valid name is the name), in
    the generator whose selector its labels match."""
    secret = yaml.safe_load(docs_example("labels-secret"))
    spec = yaml.safe_load(docs_example("labels-applicationset"))["spec"]
    labels, annotations = secret["metadata"]["labels"], secret["metadata"]["annotations"]
    [generator] = [g for g in spec["generators"] if g["clusters"]["selector"]["matchLabels"].items() <= labels.items()]
    data = secret["stringData"]
    params = {
        "name": data["name"],
        "nameNormalized": data["name"],
        "server": data["server"],
        "project": "",
        "metadata": {"labels": labels, "annotations": annotations},
        "values": generator["clusters"]["values"],
    }
    template = spec["template"]
    parameters = {p["name"]: p["value"] for p in template["spec"]["source"]["helm"]["parameters"]}
    assert render_go_template(template["metadata"]["name"], params, tmp_path) == "prod-eu-1-flowlogs"
    assert (
        render_go_template(template["spec"]["source"]["helm"]["valueFiles"][0], params, tmp_path)
        == "profiles/cilium-exporter/values.yaml"
    )
    assert (
        render_go_template(template["spec"]["destination"]["server"], params, tmp_path)
        == "https://prod-eu-1.k8s.example.com:6443"
    )
    assert render_go_template(parameters["cilium.configMap.namespace"], params, tmp_path) == "cilium"
    assert render_go_template(parameters["calico.enabled"], params, tmp_path) == "false"


def test_the_documented_example_is_accepted_by_the_api_server(kube_apiserver, tmp_path):
    """Server-side dry run with strict field validation (kube-apiserver v1.36.2, the v3.5.1 CRD applied)."""
    kube_apiserver.kubectl(
        "apply", "--server-side", "-f", "-", input="apiVersion: v1\nkind: Namespace\nmetadata:\n  name: argocd\n"
    )
    for name in ("labels-secret", "labels-applicationset"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(docs_example(name), encoding="utf-8")
        applied = kube_apiserver.kubectl(
            "apply",
            "--server-side",
            "--dry-run=server",
            "--validate=strict",
            "--field-manager",
            "docs-example",
            "-f",
            str(path),
        )
        assert applied.stderr == ""
        assert applied.stdout.strip().endswith("serverside-applied (server dry run)"), applied.stdout

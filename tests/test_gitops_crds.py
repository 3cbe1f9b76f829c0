"""Every Argo CD manifest flowlogs writes validates against the real Argo CD CRDs (v3.5.1).

The CRDs in /work/shared/crds are converted the way kubeconform's openapi2jsonschema.py does
(`spec.versions[0].schema.openAPIV3Schema`, `additionalProperties: false` on every object that
lists properties, int-or-string as string|integer), so an unknown or misplaced field fails.
Skipped when the CRDs are not there.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from conftest import ROOT, SHARED, VALUES, load_yaml, write_profile

CRDS = SHARED / "crds"
pytestmark = pytest.mark.skipif(
    not (CRDS / "argoproj.io_applications.yaml").is_file(), reason=f"Argo CD CRDs not found in {CRDS}"
)

_MAPS = {"properties", "patternProperties", "definitions"}
_SCHEMAS = {"items", "additionalProperties", "not"}
_LISTS = {"allOf", "anyOf", "oneOf"}


def strict(node: Any) -> Any:
    """openapi2jsonschema: walk schema keywords only; objects with properties reject other keys."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _MAPS and isinstance(value, dict):
            out[key] = {name: strict(sub) for name, sub in value.items()}
        elif key in _SCHEMAS and isinstance(value, dict):
            out[key] = strict(value)
        elif key in _LISTS:
            out[key] = [strict(sub) for sub in value]
        else:
            out[key] = value
    if out.get("format") == "int-or-string" or out.get("x-kubernetes-int-or-string"):
        out.pop("format", None)
        out.pop("type", None)
        out["anyOf"] = [{"type": "string"}, {"type": "integer"}]
    if "properties" in out and not out.get("x-kubernetes-preserve-unknown-fields"):
        out.setdefault("additionalProperties", False)
    return out


@functools.cache  # an upstream CRD file read and compiled once per test process (validators hold no state)
def crd_validator(file: str) -> Draft7Validator:
    crd = load_yaml((CRDS / file).read_text(encoding="utf-8"))
    (version,) = crd["spec"]["versions"]
    assert version["name"] == "v1alpha1"
    return Draft7Validator(strict(version["schema"]["openAPIV3Schema"]))


@pytest.fixture(scope="module")
def validators() -> dict[str, Draft7Validator]:
    return {
        "Application": crd_validator("argoproj.io_applications.yaml"),
        "ApplicationSet": crd_validator("argoproj.io_applicationsets.yaml"),
    }


def errors(validators: dict[str, Draft7Validator], document: dict[str, Any]) -> list[str]:
    assert document["apiVersion"] == "argoproj.io/v1alpha1"
    assert document["metadata"]["name"] and document["metadata"]["namespace"]
    return [
        f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validators[document["kind"]].iter_errors(document)
    ]


CILIUM = (VALUES / "cilium-exporter.yaml").read_text(encoding="utf-8")
EVERY_OPTION = """\
gitops:
  repo-url: https://git.example.com/platform/flowlogs.git
  revision: main
  sync:
    server-side-apply: auto
  cilium-release:
    versions: {"1.17": 1.17.6}
    value-files: [clusters/cilium.yaml]
clusters:
  - name: a
    server: https://a.example.com:6443
    profile: cilium-exporter
    overrides:
      cilium-namespace: cilium
  - name: b
    server: https://b.example.com:6443
    profile: calico-l7
    overrides:
      nodes: 4
  - name: c
    server: https://c.example.com:6443
    profile: both
    overrides:
      calico: false
      cilium: true
  - name: d
    server: https://d.example.com:6443
    profile: calico-gitops
"""
MINIMAL = """\
gitops:
  sync:
    automated: false
    create-namespace: false
    fail-on-shared-resource: false
  cascade-delete: false
clusters:
  - name: a
    server: https://kubernetes.default.svc
    profile: cilium-exporter
"""


@pytest.mark.parametrize("fleet", [EVERY_OPTION, MINIMAL], ids=["every-option", "minimal"])
def test_generated_manifests_validate_against_the_crds(run_cli, tmp_path, monkeypatch, validators, fleet):
    monkeypatch.chdir(tmp_path)
    values = tmp_path / "values"
    write_profile(values, "cilium-exporter", CILIUM)
    write_profile(values, "calico-l7", "calico: {}\n")
    write_profile(values, "both", CILIUM + "calico: {}\n")
    write_profile(values, "calico-gitops", "calico:\n  patch-mode: gitops\n")  # server-side apply, Server-Side Diff
    (values / "fleet.yaml").write_text(fleet, encoding="utf-8")
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "cilium.yaml").write_text("{}\n")
    result = run_cli("--values-dir", "values", "--chart-dir", "chart", "generate")
    assert result.code == 0, result.err
    files = sorted((tmp_path / "gitops").rglob("*.yaml"))
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "gitops/applications/both.yaml",
        "gitops/applications/calico-gitops.yaml",
        "gitops/applications/calico-l7.yaml",
        "gitops/applications/cilium-exporter.yaml",
        "gitops/applicationset.yaml",
        "gitops/argocd-cm-applicationlayer-health.yaml",  # a ConfigMap (tests/test_gitops_health.py)
    ]
    files = [f for f in files if "argocd-cm" not in f.name]
    for file in files:
        documents = list(yaml.safe_load_all(file.read_text(encoding="utf-8")))
        assert len(documents) == 1
        assert errors(validators, documents[0]) == [], file
    # The optional fields were really emitted, so the CRDs checked them too.
    text = "".join(f.read_text(encoding="utf-8") for f in files)
    optional = ("ServerSideApply=true", "ServerSideDiff=true", "forceString: true", "ref: values", "finalizers:")
    if fleet is EVERY_OPTION:
        assert [o for o in optional if o not in text] == []
    else:
        assert [o for o in optional if o in text] == [
            "ServerSideApply=true",
            "ServerSideDiff=true",
        ]  # auto: calico-gitops


def test_the_committed_gitops_manifests_validate(validators):
    files = sorted(f for f in (ROOT / "gitops").rglob("*.yaml") if "argocd-cm" not in f.name)
    assert files, "gitops/ is generated and committed"
    for file in files:
        for document in yaml.safe_load_all(file.read_text(encoding="utf-8")):
            assert errors(validators, document) == [], file


def test_the_conversion_is_strict(validators):
    """A control: the converted schemas reject what Argo CD would reject (so the tests above mean something)."""
    application = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "x", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "destination": {"server": "https://kubernetes.default.svc"},
            "source": {"repoURL": "https://git.example.com/x.git", "path": "chart", "helm": {"valueFile": ["a.yaml"]}},
            "syncPolicy": {"automated": {"selfheal": True}},
        },
    }
    assert errors(validators, application) == [
        "/spec/source/helm: Additional properties are not allowed ('valueFile' was unexpected)",
        "/spec/syncPolicy/automated: Additional properties are not allowed ('selfheal' was unexpected)",
    ]
    del application["spec"]["project"]
    assert "/spec: 'project' is a required property" in errors(validators, application)

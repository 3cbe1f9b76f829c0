"""`flowlogs validate` on partial manifests (Argo CD `Validate=false`), driven through the CLI.

Argo CD skips kubectl's validation for a resource whose argocd.argoproj.io/sync-options
annotation holds Validate=false (argo-cd docs/user-guide/sync-options.md, "Disable Kubectl
Validation"); with ServerSideApply=true the few fields it names are merged into the live object.
flowlogs checks such a manifest against the schema but does not require the required properties,
and says so; without the annotation a missing required property is still an error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PARTIAL_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
  namespace: shop
  annotations:
    argocd.argoproj.io/sync-options: {options}
spec:
  template:
    metadata:
      labels:
        applicationlayer.projectcalico.org/sidecar: {label}
"""
MESSAGE = (
    "partial manifest (argocd.argoproj.io/sync-options: Validate=false): valid against the schema without its required "
    "properties"
)


def validate(run_cli, tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "partial.yaml"
    path.write_text(text, encoding="utf-8")
    return run_cli("validate", "--embedded-only", "--verbose", f"--documents={path}", "cilium-exporter")


@pytest.mark.parametrize(
    "options",
    ["ServerSideApply=true,Validate=false,Prune=false,Delete=false", "'ServerSideApply=true, Validate=false'"],
)
def test_a_partial_manifest_is_valid_without_its_required_fields_and_says_so(
    run_cli, tmp_path: Path, options: str
) -> None:  # type: ignore[no-untyped-def]
    result = validate(run_cli, tmp_path, PARTIAL_DEPLOYMENT.format(options=options, label='"true"'))
    assert f"Deployment frontend is valid: {MESSAGE}" in result.out, result.out + result.err
    assert "Invalid: 0, Errors: 0" in result.out


def test_a_partial_manifest_still_fails_on_everything_else(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = validate(run_cli, tmp_path, PARTIAL_DEPLOYMENT.format(options="Validate=false", label="7"))
    assert result.code == 1
    assert (
        "Deployment frontend is invalid: /spec/template/metadata/labels/applicationlayer.projectcalico.org~1sidecar: 7 "
        'is not of types "null", "string"' in result.out
    )


def test_without_validate_false_a_missing_selector_is_an_error(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = validate(run_cli, tmp_path, PARTIAL_DEPLOYMENT.format(options="ServerSideApply=true", label='"true"'))
    assert result.code == 1
    assert 'Deployment frontend is invalid: /spec: "selector" is a required property' in result.out


def test_the_shipped_gitops_profile_validates_with_its_partial_manifests_reported(run_cli) -> None:  # type: ignore[no-untyped-def]
    """`make` validates values/calico-gitops.yaml; before Validate=false was understood its Deployments failed
    ("Deployment frontend is invalid: /spec: selector is a required property")."""
    result = run_cli("validate", "--embedded-only", "--verbose", "calico-gitops")
    assert result.code == 0, result.out + result.err
    for name in ("checkout", "frontend"):
        assert (
            f"calico-gitops - flowlogs/templates/calico/deployment.yaml - Deployment {name} is valid: {MESSAGE}"
            in result.out
        )

"""Argo CD health check for Calico Enterprise's ApplicationLayer, as a file for `argocd-cm`.

Argo CD has no built-in health for operator.tigera.io/ApplicationLayer, so it counts the object
Healthy as soon as it exists and sync waves do not wait for the Tigera operator. The operator
writes `status.state: Ready` once everything it deployed is available and never another state
(tigera/operator release-v1.36 pkg/controller/applicationlayer/applicationlayer_controller.go:
`instance.Status.State = operatorv1.TigeraStatusReady`; api/v1/tigerastatus_types.go:
`TigeraStatusReady = "Ready"`), so anything else is Progressing. Custom health checks are Lua
in argocd-cm under `resource.customizations.health.<group>_<kind>` (argo-cd
docs/operator-manual/health.md); Argo CD runs them with gopher-lua (Lua 5.1).
"""

from __future__ import annotations

from typing import Any

from .defaults import DEFAULT_VERSION
from .tables import load_tables

HEALTH_FILE = "argocd-cm-applicationlayer-health.yaml"


def health_key() -> str:
    tables = load_tables(DEFAULT_VERSION)
    group = tables.application_layer_api_version.split("/")[0]
    return f"resource.customizations.health.{group}_ApplicationLayer"


def health_lua() -> str:
    ready = load_tables(DEFAULT_VERSION).application_layer_ready_state
    return (
        "hs = {}\n"
        f'if obj.status ~= nil and obj.status.state == "{ready}" then\n'
        '  hs.status = "Healthy"\n'
        f'  hs.message = "ApplicationLayer is {ready}"\n'
        "  return hs\n"
        "end\n"
        'hs.status = "Progressing"\n'
        "local state = \"unset\"\n"
        "if obj.status ~= nil and obj.status.state ~= nil then\n"
        "  state = obj.status.state\n"
        "end\n"
        'hs.message = "Waiting for the Tigera operator (status.state: " .. state .. ")"\n'
        "return hs\n"
    )


def health_configmap(argocd_namespace: str) -> dict[str, Any]:
    """A merge patch for argocd-cm that is also a whole ConfigMap (so it validates as one)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argocd-cm", "namespace": argocd_namespace, "labels": {"app.kubernetes.io/part-of": "argocd"}},
        "data": {health_key(): health_lua()},
    }


def health_file_text(argocd_namespace: str) -> str:
    """health_configmap as YAML, the Lua as a literal block so that it reads as Lua."""
    config_map = health_configmap(argocd_namespace)
    lua = "".join(f"    {line}\n" if line else "\n" for line in health_lua().splitlines())
    return (
        f"apiVersion: {config_map['apiVersion']}\n"
        f"kind: {config_map['kind']}\n"
        "metadata:\n"
        f"  name: {config_map['metadata']['name']}\n"
        f"  namespace: {argocd_namespace}\n"
        "  labels:\n"
        "    app.kubernetes.io/part-of: argocd\n"
        "data:\n"
        f"  {health_key()}: |\n"
        f"{lua}"
    )

"""Argo CD health check for Calico Enterprise's ApplicationLayer, as a file for `argocd-cm`.

Argo CD has no built-in health for operator.tigera.io/ApplicationLayer, so it counts the object
Healthy as soon as it exists and sync waves do not wait for the Tigera operator. What the operator
writes (tigera/operator release-v1.34 = CE 3.19 and release-v1.36 = CE 3.20,
pkg/controller/applicationlayer/applicationlayer_controller.go, pkg/controller/status/status.go):

- `status.state: Ready` once, never cleared: it says nothing about the current generation;
- `status.conditions` (Ready, Progressing, Degraded, from TigeraStatus `applicationlayer` on every
  reconcile), each with the `observedGeneration` it was computed for; Ready is True once everything
  the controller deployed is available (the DaemonSet l7-log-collector included);
- `status.sidecarWebhook` (3.20): Enabled only when the MutatingWebhookConfiguration exists; the
  controller reaches Ready with Disabled when it is missing.

So: conditions of an older generation are Progressing (argo-cd docs/operator-manual/health.md asks
for observedGeneration), Degraded True is Degraded, Ready True is Healthy unless sidecar injection
is on and the webhook is not Enabled. Custom health checks are Lua in argocd-cm under
`resource.customizations.health.<group>_<kind>` (health.md); Argo CD runs them with gopher-lua (Lua 5.1).
"""

from __future__ import annotations

from .defaults import DEFAULT_VERSION
from .tables import load_tables

HEALTH_FILE = "argocd-cm-applicationlayer-health.yaml"


def health_key() -> str:
    tables = load_tables(DEFAULT_VERSION)
    group = tables.application_layer_api_version.split("/")[0]
    return f"resource.customizations.health.{group}_ApplicationLayer"


def health_lua() -> str:
    tables = load_tables(DEFAULT_VERSION)
    ready, degraded = tables.application_layer_ready_condition, tables.application_layer_degraded_condition
    sidecar = tables.sidecar
    assert sidecar is not None  # the default version has sidecar injection
    enabled = sidecar.webhook_state
    return (
        "hs = {}\n"
        "local generation = nil\n"
        "if obj.metadata ~= nil then\n"
        "  generation = obj.metadata.generation\n"
        "end\n"
        "local ready = nil\n"
        "local degraded = nil\n"
        "if obj.status ~= nil and obj.status.conditions ~= nil then\n"
        "  for i, condition in ipairs(obj.status.conditions) do\n"
        f'    if condition.type == "{ready}" then\n'
        "      ready = condition\n"
        "    end\n"
        f'    if condition.type == "{degraded}" then\n'
        "      degraded = condition\n"
        "    end\n"
        "  end\n"
        "end\n"
        "if ready == nil then\n"
        '  hs.status = "Progressing"\n'
        f'  hs.message = "Waiting for the Tigera operator (no {ready} condition yet)"\n'
        "  return hs\n"
        "end\n"
        "if generation ~= nil and ready.observedGeneration ~= generation then\n"
        '  hs.status = "Progressing"\n'
        '  hs.message = "Waiting for the Tigera operator to observe generation " .. tostring(generation) .. " '
        '(conditions are of generation " .. tostring(ready.observedGeneration) .. ")"\n'
        "  return hs\n"
        "end\n"
        'if degraded ~= nil and degraded.status == "True" then\n'
        '  hs.status = "Degraded"\n'
        f'  hs.message = "{degraded}: " .. tostring(degraded.reason) .. ": " .. tostring(degraded.message)\n'
        "  return hs\n"
        "end\n"
        'if ready.status ~= "True" then\n'
        '  hs.status = "Progressing"\n'
        f'  hs.message = "Waiting for the Tigera operator ({ready}: " .. tostring(ready.status) .. ")"\n'
        "  return hs\n"
        "end\n"
        f'if obj.spec ~= nil and obj.spec.sidecarInjection == "Enabled" and (obj.status.sidecarWebhook ~= "{enabled}") '
        "then\n"
        '  hs.status = "Progressing"\n'
        '  hs.message = "Waiting for the sidecar webhook (status.sidecarWebhook: " .. '
        'tostring(obj.status.sidecarWebhook) .. ")"\n'
        "  return hs\n"
        "end\n"
        'hs.status = "Healthy"\n'
        f'hs.message = "ApplicationLayer is {ready}"\n'
        "return hs\n"
    )


def health_file_text(argocd_namespace: str) -> str:
    """A merge patch for argocd-cm that is also a whole ConfigMap (so it validates as one), the Lua as a
    literal block so that it reads as Lua."""
    lua = "".join(f"    {line}\n" if line else "\n" for line in health_lua().splitlines())
    return (
        "apiVersion: v1\n"
        "kind: ConfigMap\n"
        "metadata:\n"
        "  name: argocd-cm\n"
        f"  namespace: {argocd_namespace}\n"
        "  labels:\n"
        "    app.kubernetes.io/part-of: argocd\n"
        "data:\n"
        f"  {health_key()}: |\n"
        f"{lua}"
    )

"""The Argo CD health check of ApplicationLayer, run as Argo CD runs it: Lua 5.1 (gopher-lua).

argo-cd docs/operator-manual/health.md: a custom health check is Lua under
`resource.customizations.health.<group>_<kind>` in argocd-cm, given the live object as `obj`,
returning a table with `status` (Healthy, Progressing, Degraded, Suspended, Missing, Unknown) and
`message`; a CRD's observedGeneration should be used. The objects judged are written to a real
kube-apiserver (status subresource) and read back, with the status shapes the Tigera operator
writes (tigera/operator release-v1.34 = CE 3.19 and release-v1.36 = CE 3.20,
pkg/controller/applicationlayer/applicationlayer_controller.go, pkg/controller/status/status.go).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from lupa import lua51  # Lua 5.1, the language gopher-lua implements

from flowlogs.calico.health import HEALTH_FILE, health_file_text, health_key, health_lua

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
import upstream_tools  # noqa: E402
from calico_live import delete, get, resource_path, server_side_apply, write_status  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def run_health(obj: dict[str, Any]) -> dict[str, str]:
    runtime = lua51.LuaRuntime(unpack_returned_tuples=True)

    def to_lua(value: Any) -> Any:  # as Argo CD hands the object over: JSON objects and arrays are tables
        if isinstance(value, dict):
            return runtime.table_from({k: to_lua(v) for k, v in value.items()})
        if isinstance(value, list):
            return runtime.table_from([to_lua(v) for v in value])
        return value

    runtime.globals().obj = to_lua(obj)
    result = runtime.execute(health_lua())
    return {"status": result["status"], "message": result["message"]}


LAYER = "applicationlayers.operator.tigera.io"
STAMP = "2026-12-07T12:00:00Z"
AVAILABLE = ("AllObjectsAvailable", "All objects available")  # status.go updateStatus: setAvailable
ALL_AVAILABLE = ("AllObjectsAvailable", "All Objects Available")  # clearProgressingWithReason / clearDegradedWithReason
FIPS = ("ResourceValidationError", "ApplicationLayer features cannot be used in combination with FIPSMode=Enabled")
NO_FEATURE_3_20 = (
    "ResourceValidationError",
    "at least one of webApplicationFirewall, policy.Mode, logCollection.collectLogs or sidecarInjection must be "
    "specified in ApplicationLayer resource",
)


def conditions(
    generation: int,
    ready: str,
    degraded: str,
    degraded_why: tuple[str, str] = ALL_AVAILABLE,
    ready_why: tuple[str, str] = AVAILABLE,
) -> list[dict[str, Any]]:
    """status.conditions as status.UpdateStatusCondition copies TigeraStatus applicationlayer: Available
    becomes type Ready; cleared conditions have reason Unknown and no message (clearAvailable, clearDegraded)."""
    ready_reason = ready_why if ready == "True" else ("Unknown", "")
    degraded_reason = degraded_why if degraded == "True" else ALL_AVAILABLE
    return [
        {
            "type": kind,
            "status": status,
            "reason": why[0],
            "message": why[1],
            "observedGeneration": generation,
            "lastTransitionTime": STAMP,
        }
        for kind, status, why in (("Ready", ready, ready_reason), ("Degraded", degraded, degraded_reason))
    ]


OLDER = {
    "status": "Progressing",
    "message": "Waiting for the Tigera operator to observe generation 2 (conditions are of generation 1)",
}
# (name, spec change count after create, sidecarInjection, status, expected); generation = 1 + changes
CASES: list[tuple[str, int, bool, dict[str, Any] | None, dict[str, str]]] = [
    (
        "created, no status yet",
        0,
        True,
        None,
        {"status": "Progressing", "message": "Waiting for the Tigera operator (no Ready condition yet)"},
    ),
    # updateApplicationLayerWithDefaults: sidecarWebhook Disabled before any condition
    (
        "defaults written",
        0,
        True,
        {"sidecarWebhook": "Disabled"},
        {"status": "Progressing", "message": "Waiting for the Tigera operator (no Ready condition yet)"},
    ),
    (
        "ready, webhook enabled",
        0,
        True,
        {"state": "Ready", "sidecarWebhook": "Enabled", "conditions": conditions(1, "True", "False")},
        {"status": "Healthy", "message": "ApplicationLayer is Ready"},
    ),
    # Ready with sidecarWebhook Disabled: the MutatingWebhookConfiguration is missing (release-v1.36 controller, after
    # IsAvailable)
    (
        "ready, webhook missing",
        0,
        True,
        {"state": "Ready", "sidecarWebhook": "Disabled", "conditions": conditions(1, "True", "False")},
        {"status": "Progressing", "message": "Waiting for the sidecar webhook (status.sidecarWebhook: Disabled)"},
    ),
    (
        "ready, no sidecar injection (3.19 shape)",
        0,
        False,
        {"state": "Ready", "conditions": conditions(1, "True", "False")},
        {"status": "Healthy", "message": "ApplicationLayer is Ready"},
    ),
    # state Ready stays from an earlier generation; FIPS turned on since: Degraded (SetDegraded)
    (
        "FIPS after ready",
        0,
        True,
        {"state": "Ready", "sidecarWebhook": "Enabled", "conditions": conditions(1, "False", "True", FIPS)},
        {"status": "Degraded", "message": "Degraded: " + ": ".join(FIPS)},
    ),
    (
        "degraded from the start",
        0,
        True,
        {"sidecarWebhook": "Disabled", "conditions": conditions(1, "False", "True", NO_FEATURE_3_20)},
        {"status": "Degraded", "message": "Degraded: " + ": ".join(NO_FEATURE_3_20)},
    ),
    # the spec changed after the last reconcile: the conditions (and state Ready) are of generation 1
    (
        "spec changed since",
        1,
        True,
        {"state": "Ready", "sidecarWebhook": "Enabled", "conditions": conditions(1, "True", "False")},
        OLDER,
    ),
    (
        "degraded at an older generation",
        1,
        True,
        {"sidecarWebhook": "Disabled", "conditions": conditions(1, "False", "True", FIPS)},
        OLDER,
    ),
    (
        "not yet available",
        0,
        True,
        {"sidecarWebhook": "Disabled", "conditions": conditions(1, "False", "False")},
        {"status": "Progressing", "message": "Waiting for the Tigera operator (Ready: False)"},
    ),
]


@pytest.fixture(scope="module")
def judged(kube_apiserver: upstream_tools.ApiServer) -> dict[str, dict[str, Any]]:
    """Each case's ApplicationLayer as the server stores it (generation from the server's own counting)."""
    server = kube_apiserver
    objects = {}
    for name, changes, sidecar, status, _ in CASES:
        delete(server, LAYER, "tigera-secure")
        spec: dict[str, Any] = {
            "logCollection": {"collectLogs": "Enabled", "logIntervalSeconds": 5, "logRequestsPerInterval": -1}
        }
        if sidecar:
            spec["sidecarInjection"] = "Enabled"
        layer = {
            "apiVersion": "operator.tigera.io/v1",
            "kind": "ApplicationLayer",
            "metadata": {"name": "tigera-secure"},
            "spec": spec,
        }
        server_side_apply(server, [layer])  # `kubectl apply --server-side`'s requests
        if status is not None:
            write_status(server, LAYER, "tigera-secure", None, status)
        for change in range(changes):  # `kubectl patch --type=merge`'s
            patch = {"spec": {"logCollection": {"logIntervalSeconds": 6 + change}}}
            path = resource_path(server, LAYER, "tigera-secure") + "?fieldManager=kubectl-patch"
            code, body = server.request("PATCH", path, patch, "application/merge-patch+json")
            assert code == 200, body
        stored = get(server, LAYER, "tigera-secure") or {}
        del stored["metadata"]["managedFields"]  # as `kubectl get -o json` prints it
        objects[name] = stored
    return objects


@pytest.mark.parametrize(("name", "expected"), [(c[0], c[4]) for c in CASES], ids=[c[0] for c in CASES])
def test_health_of_the_operators_status_shapes(
    judged: dict[str, dict[str, Any]], name: str, expected: dict[str, str]
) -> None:
    obj = judged[name]
    changes = next(c[1] for c in CASES if c[0] == name)
    assert obj["metadata"]["generation"] == 1 + changes  # the server's count, which the check compares
    assert run_health(obj) == expected


def test_the_key_names_group_and_kind() -> None:
    assert health_key() == "resource.customizations.health.operator.tigera.io_ApplicationLayer"


def test_the_committed_file_is_a_valid_argocd_cm_patch() -> None:
    text = (ROOT / "gitops" / HEALTH_FILE).read_text(encoding="utf-8")
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    assert body == health_file_text("argocd")
    assert yaml.safe_load(text) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argocd-cm", "namespace": "argocd", "labels": {"app.kubernetes.io/part-of": "argocd"}},
        "data": {health_key(): health_lua()},
    }
    assert (
        "# kubectl patch configmap argocd-cm -n argocd --type merge --patch-file "
        "gitops/argocd-cm-applicationlayer-health.yaml\n" in text
    )


def test_docs_show_the_same_health_check() -> None:
    docs = (ROOT / "docs" / "gitops.md").read_text(encoding="utf-8")
    block = re.search(
        r"```yaml\n(data:\n  resource\.customizations\.health\.operator\.tigera\.io_ApplicationLayer: \|\n.*?)```",
        docs,
        re.S,
    )
    assert block, "docs/gitops.md shows the health check"
    assert yaml.safe_load(block[1]) == {"data": {health_key(): health_lua()}}

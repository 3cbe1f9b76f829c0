"""The Argo CD health check of ApplicationLayer, run as Argo CD runs it: Lua 5.1 (gopher-lua).

argo-cd docs/operator-manual/health.md: a custom health check is Lua under
`resource.customizations.health.<group>_<kind>` in argocd-cm, given the live object as `obj`,
returning a table with `status` (Healthy, Progressing, Degraded, Suspended, Missing, Unknown) and
`message`. The Tigera operator sets ApplicationLayer status.state to "Ready" and to nothing else
(tigera/operator release-v1.36 pkg/controller/applicationlayer/applicationlayer_controller.go).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from lupa import lua51  # Lua 5.1, the language gopher-lua implements

from flowlogs.calico.health import HEALTH_FILE, health_configmap, health_file_text, health_key, health_lua

ROOT = Path(__file__).resolve().parents[1]


def run_health(obj: dict[str, Any]) -> dict[str, str]:
    runtime = lua51.LuaRuntime(unpack_returned_tuples=True)

    def to_lua(value: Any) -> Any:
        if isinstance(value, dict):
            return runtime.table_from({k: to_lua(v) for k, v in value.items()})
        return value

    runtime.globals().obj = to_lua(obj)
    result = runtime.execute(health_lua())
    return {"status": result["status"], "message": result["message"]}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({"state": "Ready"}, {"status": "Healthy", "message": "ApplicationLayer is Ready"}),
        (None, {"status": "Progressing", "message": "Waiting for the Tigera operator (status.state: unset)"}),
        ({}, {"status": "Progressing", "message": "Waiting for the Tigera operator (status.state: unset)"}),
        ({"state": "Degraded"}, {"status": "Progressing", "message": "Waiting for the Tigera operator (status.state: Degraded)"}),
    ],
)
def test_ready_only_when_the_operator_says_ready(status: dict[str, str] | None, expected: dict[str, str]) -> None:
    obj: dict[str, Any] = {"apiVersion": "operator.tigera.io/v1", "kind": "ApplicationLayer", "metadata": {"name": "tigera-secure"}}
    if status is not None:
        obj["status"] = status
    assert run_health(obj) == expected


def test_the_key_names_group_and_kind() -> None:
    assert health_key() == "resource.customizations.health.operator.tigera.io_ApplicationLayer"


def test_the_committed_file_is_a_valid_argocd_cm_patch() -> None:
    text = (ROOT / "gitops" / HEALTH_FILE).read_text(encoding="utf-8")
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    assert body == health_file_text("argocd")
    assert yaml.safe_load(text) == health_configmap("argocd")
    assert "# kubectl patch configmap argocd-cm -n argocd --type merge --patch-file gitops/argocd-cm-applicationlayer-health.yaml\n" in text


def test_docs_show_the_same_health_check() -> None:
    docs = (ROOT / "docs" / "gitops.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(data:\n  resource\.customizations\.health\.operator\.tigera\.io_ApplicationLayer: \|\n.*?)```", docs, re.S)
    assert block, "docs/gitops.md shows the health check"
    assert yaml.safe_load(block[1]) == {"data": {health_key(): health_lua()}}

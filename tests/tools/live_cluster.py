"""A cluster for the live apply tests: what flowlogs' manifests need on the real API server.

What flowlogs patches exists before it in a real cluster: FelixConfiguration `default`, the
selected workloads. Their stand-ins here are minimal objects written by another field manager.
Calico's `projectcalico.org/v3` FelixConfiguration is served by a stand-in CRD
(upstream_tools.projectcalico_v3_crd, on every live server).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from calico_live import object_path, server_side_apply
from upstream_tools import ApiServer

from flowlogs.cli import main
from flowlogs.validate.server_rules import server_rule_issues

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "values"
GITOPS = ROOT / "gitops"
PROFILES = tuple(sorted(path.stem for path in VALUES.glob("*.yaml") if path.stem != "fleet"))
RELEASE_NAMESPACE = "flowlogs-system"  # `flowlogs render`'s default --namespace
FIXTURE_MANAGER = "cluster-owner"  # who created the objects flowlogs finds in the cluster
# PodSecurity admission's namespace label (k8s.io/pod-security-admission api/constants.go).
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"


def render(profile: str) -> str:
    """`flowlogs render PROFILE`'s output (the shipped profile, compiled now)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--values-dir", str(VALUES), "--chart-dir", str(ROOT / "chart"), "render", profile])
    assert code == 0, err.getvalue()
    return out.getvalue()


def documents(text: str) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(text) if document]


def identity(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    metadata = obj.get("metadata") or {}
    return (obj["apiVersion"], obj["kind"], metadata.get("namespace") or "", metadata["name"])


def items(kubectl_json: str) -> list[dict[str, Any]]:
    """The objects of `kubectl ... -o json` (one object, or a List of them)."""
    data = json.loads(kubectl_json)
    return list(data["items"]) if data.get("kind") == "List" else [data]


def is_partial(obj: Mapping[str, Any]) -> bool:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return "Validate=false" in str(annotations.get("argocd.argoproj.io/sync-options", ""))


def apply_objects(server: ApiServer, objects: Sequence[Mapping[str, Any]], manager: str = FIXTURE_MANAGER) -> None:
    """`kubectl apply --server-side --force-conflicts` under `manager` (calico_live.server_side_apply: its requests)."""
    server_side_apply(server, [dict(obj) for obj in objects], manager, force=True)


def on_server(server: ApiServer, objects: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Those of the objects the server has, as it has them (`kubectl get -f FILE --ignore-not-found -o json`)."""
    found = []
    for obj in objects:
        status, body = server.request("GET", object_path(server, dict(obj)))
        assert status in (200, 404), body
        if status == 200:
            found.append(body)
    return found


def delete_objects(server: ApiServer, objects: Iterable[Mapping[str, Any]]) -> None:
    """`kubectl delete --wait=false -f FILE` (background cascade, as kubectl's default)."""
    for obj in objects:
        status, body = server.request("DELETE", object_path(server, dict(obj)) + "?propagationPolicy=Background")
        assert status in (200, 202), body


def prepare(
    server: ApiServer, objects: Iterable[Mapping[str, Any]], *, restricted: Iterable[str] = (RELEASE_NAMESPACE,)
) -> None:
    """The namespaces the objects need (those in `restricted` with PodSecurity `restricted`
    enforced), and, for each partial manifest, the object it is merged into."""
    objects = list(objects)
    namespaces = {obj["metadata"].get("namespace") for obj in objects} | {RELEASE_NAMESPACE}
    restricted = set(restricted)
    wanted: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, **({"labels": {ENFORCE_LABEL: "restricted"}} if name in restricted else {})},
        }
        for name in sorted(filter(None, namespaces))
        if name != "kube-system"
    ]
    partial = [obj for obj in objects if is_partial(obj)]
    # A partial manifest the server would refuse by name gets no stand-in (it would be refused too).
    wanted += [stand_in for stand_in in map(existing_object, partial) if not server_rule_issues(stand_in)]
    apply_objects(server, wanted)


def existing_object(partial: Mapping[str, Any]) -> dict[str, Any]:
    """What a partial manifest names, as its owner created it (minimal, valid)."""
    kind, metadata = partial["kind"], partial["metadata"]
    base = {"apiVersion": partial["apiVersion"], "kind": kind, "metadata": {"name": metadata["name"]}}
    if metadata.get("namespace"):
        base["metadata"]["namespace"] = metadata["namespace"]
    if kind == "FelixConfiguration":
        return {**base, "spec": {"logSeverityScreen": "Info"}}
    if kind == "Service":
        return {**base, "spec": {"selector": {"app": metadata["name"]}, "ports": [{"port": 80}]}}
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        labels = {"app": metadata["name"]}
        spec: dict[str, Any] = {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]},
            },
        }
        if kind == "StatefulSet":
            spec["serviceName"] = metadata["name"]
        return {**base, "spec": spec}
    raise AssertionError(f"no stand-in for a partial {kind}")

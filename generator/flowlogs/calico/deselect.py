"""patch-mode gitops: what a profile change stops selecting, and the command that clears it.

Argo CD never prunes a deselected partial manifest (Prune=false) and the IgnoreExtraneous compare
option keeps it out of the Application's sync status (argo-cd docs/user-guide/compare-options.md),
so the live object keeps the L7 annotation or the sidecar label until someone removes it.
`flowlogs generate` compares the profile with its committed values file and prints, per
deselected object, the command that removes what the partial manifest put there, and Argo CD's
tracking annotation (argocd.argoproj.io/tracking-id, the default tracking method since Argo CD 3.0).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .chart_values import upstream_facts
from .defaults import DEFAULT_VERSION

TRACKING_ANNOTATION = "argocd.argoproj.io/tracking-id"
# What the chart's partial manifests carry besides the selection (calico/_helpers.tpl, partialSyncOptions).
ARGOCD_ANNOTATIONS = (
    "argocd.argoproj.io/sync-options",
    "argocd.argoproj.io/compare-options",
    "argocd.argoproj.io/sync-wave",
)
Selection = tuple[str, str, str]  # (kind, namespace, name)


def gitops_selections(calico: Mapping[str, Any] | None) -> set[Selection]:
    """The named objects a `calico:` values section selects in patch-mode gitops (empty otherwise)."""
    if not isinstance(calico, Mapping) or calico.get("patchMode") != "gitops" or calico.get("enabled") is False:
        return set()
    found: set[Selection] = set()
    for target in calico.get("services") or []:
        found |= {("Service", target["namespace"], name) for name in target.get("names") or []}
    for target in calico.get("workloads") or []:
        found |= {(target["kind"], target["namespace"], name) for name in target.get("names") or []}
    return found


def clear_commands(selection: Selection, version: str) -> list[str]:
    """The kubectl command(s) that remove a deselected object's L7 selection and Argo CD's marks."""
    kind, namespace, name = selection
    by_version = upstream_facts()["versions"]
    facts = by_version.get(version) or by_version[DEFAULT_VERSION]
    resource = kind.lower()
    annotate = ["kubectl", "annotate", resource, "-n", namespace, name]
    argocd = [f"{key}-" for key in (TRACKING_ANNOTATION, *ARGOCD_ANNOTATIONS)]
    if kind == "Service":
        return [shlex.join(annotate + [f"{key}-" for key in facts["serviceAnnotations"]] + argocd)]
    sidecar = facts["sidecar"]
    paths = [f"/spec/template/metadata/labels/{key.replace('/', '~1')}" for key in sidecar.get("labels") or {}]
    paths += [
        f"/spec/template/metadata/annotations/{key.replace('/', '~1')}" for key in sidecar.get("annotations") or {}
    ]
    patch = json.dumps([{"op": "remove", "path": path} for path in paths], separators=(",", ":"))
    return [
        shlex.join(["kubectl", "patch", resource, "-n", namespace, name, "--type", "json", "-p", patch]),
        shlex.join(annotate + argocd),
    ]


def deselected(committed_values: Path, calico: Mapping[str, Any] | None) -> list[Selection]:
    """Objects the committed values file selects in gitops mode and the new values no longer do."""
    try:
        committed = yaml.safe_load(committed_values.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []  # a new profile, or a values file that is not ours: nothing was selected
    before = gitops_selections(committed.get("calico") if isinstance(committed, dict) else None)
    return sorted(before - gitops_selections(calico))

"""The JSON Schema of the fleet file (`values/fleet.yaml`).

Like the profile schema it is the one description of the format: the loader checks the file
against it (unknown keys are errors with a did-you-mean, at file:line:col) and editors can
use it (`flowlogs schema --fleet`). Checks that need more than the shape (URLs, profile names,
which override fits which profile) live in `fleet.py`, which reports them in plain words.
"""

from __future__ import annotations

import functools
from typing import Any

from ..go_duration import DURATION_PATTERN
from ..names import DNS_LABEL_SCHEMA as DNS_LABEL
from ..registry import fleet_overrides

FLEET_SCHEMA_ID = "https://flowlogs.dev/schemas/fleet.schema.json"

# Argo CD Application names are `<cluster>-flowlogs`: the cluster name leaves room for the
# suffix within a DNS label (63), which Argo CD needs when it tracks resources by label.
CLUSTER_NAME = {
    **DNS_LABEL,
    "title": "cluster name",
    "maxLength": 53,
    "x-pattern-hint": "use lower-case letters, digits and '-' (a DNS label, at most 53 characters)",
}

NAMESPACE = {**DNS_LABEL, "title": "namespace"}

_TEXT = {"type": "string", "minLength": 1}  # URLs, names, paths


def _flag(description: str) -> dict[str, Any]:
    return {"type": "boolean", "description": description}


def _object(
    description: str | None,
    properties: dict[str, Any],
    *,
    title: str = "",
    required: list[str] | None = None,
    aliases: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A closed object, its keywords in the order the fleet schema prints them."""
    schema = {"type": "object", "title": title, "additionalProperties": False, "required": required}
    schema |= {"description": description, "properties": properties, "x-upstream-aliases": aliases}
    return {key: value for key, value in schema.items() if value not in (None, "")}


_GO_DURATION = {"type": "string", "pattern": DURATION_PATTERN, "x-pattern-hint": "a duration such as 5s, 3m or 1h"}


def _retry_schema() -> dict[str, Any]:
    return _object(
        "Retries of a failed sync (syncPolicy.retry): automated sync does not retry a failed revision by itself. "
        "Default: limit 5, backoff 5s doubled each time up to 3m.",
        {
            "limit": {
                "type": "integer",
                "minimum": 0,
                "description": "Retries of a failed sync; 0 switches retries off. Default: 5.",
            },
            "backoff": _object(
                "Wait before each retry (retry.backoff).",
                {
                    "duration": {**_GO_DURATION, "description": "Wait before the first retry. Default: 5s."},
                    "factor": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "Each wait is the previous one times this. Default: 2.",
                    },
                    "max-duration": {**_GO_DURATION, "description": "Longest wait. Default: 3m."},
                },
                aliases={"maxDuration": "max-duration"},
            ),
        },
    )


def _sync_schema() -> dict[str, Any]:
    return _object(
        "The Applications' sync policy (spec.syncPolicy).",
        {
            "automated": _flag("Sync automatically when Git changes (syncPolicy.automated). Default: true."),
            "prune": _flag(
                "Delete resources that are no longer rendered (automated.prune). Default: true. Felix/Service "
                "patches are never pruned (Prune=false on them)."
            ),
            "self-heal": _flag("Undo changes made in the cluster (automated.selfHeal). Default: true."),
            "create-namespace": _flag("Create the destination namespace (CreateNamespace=true). Default: true."),
            "server-side-apply": {
                "enum": ["auto", True, False],
                "title": "server-side apply setting",
                "description": (
                    "ServerSideApply=true for the whole Application: true, false, or auto (only for profiles whose "
                    "Calico part is in patch-mode: gitops, whose Felix/Service patches are partial manifests). "
                    "Default: auto."
                ),
            },
            "fail-on-shared-resource": _flag(
                "Fail a sync when another Application already manages a resource (FailOnSharedResource=true). "
                "Default: true."
            ),
            "retry": _retry_schema(),
        },
        aliases={
            "selfHeal": "self-heal",
            "syncOptions": "server-side-apply",
            "CreateNamespace": "create-namespace",
            "ServerSideApply": "server-side-apply",
        },
    )


def _cilium_release_schema() -> dict[str, Any]:
    return _object(
        "The multi-source variant: each profile's Application also deploys Cilium's own chart with the profile's "
        "cilium-values.yaml as the last values file. Only for clusters whose Cilium release Argo CD already manages.",
        {
            "enabled": _flag(
                "Write multi-source Applications for profiles with a Cilium part. Default: true when this section "
                "is present."
            ),
            "repo-url": {
                **_TEXT,
                "title": "Helm repository URL",
                "description": "Cilium's Helm repository. Default: https://helm.cilium.io/.",
            },
            "chart": {**_TEXT, "description": "Chart name. Default: cilium."},
            "release-name": {
                **NAMESPACE,
                "title": "release name",
                "description": "Cilium's Helm release name. Default: cilium.",
            },
            "versions": {
                "type": "object",
                "title": "Cilium chart versions",
                "description": (
                    "The Cilium chart version to deploy for each Cilium minor version the profiles target (1.16, 1.17, "
                    '1.18), e.g. {"1.17": "1.17.6"}.'
                ),
                "additionalProperties": {
                    "type": "string",
                    "title": "chart version",
                    "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?$",
                    "x-pattern-hint": (
                        "an exact chart version such as 1.17.6 (pin it: a range would change the cluster without a "
                        "commit)"
                    ),
                },
            },
            "value-files": {
                "type": "array",
                "items": {**_TEXT, "title": "values file"},
                "description": (
                    "Your own values for Cilium's chart (paths in this repository, relative to its root), applied "
                    "before the profile's overlay."
                ),
            },
        },
        required=["versions"],
        aliases={
            "repoURL": "repo-url",
            "releaseName": "release-name",
            "valueFiles": "value-files",
            "version": "versions",
            "targetRevision": "versions",
        },
    )


def gitops_section_schema() -> dict[str, Any]:
    return _object(
        "How Argo CD deploys this repository's chart. Every key has a default; set repo-url.",
        {
            "repo-url": {
                **_TEXT,
                "title": "repository URL",
                "description": (
                    "The Git repository Argo CD reads this chart from (https://, ssh:// or git@host:path)."
                ),
            },
            "revision": {
                **_TEXT,
                "description": "The branch, tag or commit to deploy (targetRevision). Default: HEAD.",
            },
            "chart-path": {
                **_TEXT,
                "description": (
                    "Where the generated chart is, relative to the repository root. Default: the chart directory's "
                    "path relative to the parent of values/."
                ),
            },
            "argocd-namespace": {
                **NAMESPACE,
                "description": "The namespace Argo CD runs in, where the Applications are created. Default: argocd.",
            },
            "project": {**DNS_LABEL, "title": "project", "description": "The Argo CD AppProject. Default: default."},
            "release-name": {
                **NAMESPACE,
                "title": "release name",
                "description": "The Helm release name of this chart. Default: flowlogs.",
            },
            "destination": _object(
                "Where the per-profile Applications deploy (the fleet's clusters have their own server).",
                {
                    "server": {
                        **_TEXT,
                        "title": "cluster API URL",
                        "description": "Default: https://kubernetes.default.svc (the cluster Argo CD runs in).",
                    },
                    "namespace": {**NAMESPACE, "description": "The release namespace. Default: flowlogs-system."},
                },
            ),
            "sync": _sync_schema(),
            "cluster-generator": {
                "enum": ["list", "labels"],
                "description": (
                    "How the ApplicationSet finds the fleet's clusters. list: the clusters of this file (Argo CD's "
                    "list generator). labels: every cluster registered in Argo CD whose cluster Secret has the label "
                    "flowlogs.dev/profile=<profile> (Argo CD's cluster generator); overrides come from the Secret's "
                    "annotations flowlogs.dev/<override>, and clusters: must then be empty. Default: list."
                ),
            },
            "cascade-delete": _flag(
                "Add resources-finalizer.argocd.argoproj.io, so deleting an Application deletes what it deployed "
                "(never the Felix/Service patches: Delete=false). Default: true. Never set on Applications that "
                "carry Cilium's release."
            ),
            "cilium-release": _cilium_release_schema(),
        },
        title="gitops section",
        aliases={
            "repoURL": "repo-url",
            "repoUrl": "repo-url",
            "targetRevision": "revision",
            "target-revision": "revision",
            "path": "chart-path",
            "namespace": "argocd-namespace",
            "releaseName": "release-name",
            "syncPolicy": "sync",
            "sync-policy": "sync",
        },
    )


def overrides_schema() -> dict[str, Any]:
    """The overrides a cluster may set: each product's (`registry.fleet_overrides`), then chart values."""
    overrides = fleet_overrides()
    return _object(
        "What this cluster changes from its profile.",
        {
            **{override.key: dict(override.schema or {}) for override in overrides},
            "values": {
                "type": "object",
                "title": "chart values",
                "description": (
                    "Any value of the chart for this cluster, merged over the profile's compiled values as Helm merges "
                    "values and checked against the chart's values.schema.json; set as the Application's "
                    "helm.valuesObject (ApplicationSet templatePatch, Argo CD 2.10+)."
                ),
            },
        },
        title="overrides",
        aliases={alias: override.key for override in overrides for alias in override.aliases},
    )


def cluster_schema() -> dict[str, Any]:
    return _object(
        None,
        {
            "name": {**CLUSTER_NAME, "description": "Unique name; the Application is <name>-flowlogs."},
            "server": {
                **_TEXT,
                "title": "cluster API URL",
                "description": "The cluster's API server URL, exactly as in its Argo CD cluster secret.",
            },
            "profile": {
                **_TEXT,
                "title": "profile",
                "description": "The profile (a file in values/, without .yaml) this cluster runs.",
            },
            "description": {"type": "string", "description": "A note about the cluster (not used in the output)."},
            "overrides": overrides_schema(),
        },
        title="cluster",
        required=["name", "server", "profile"],
        aliases={
            "cluster": "name",
            "url": "server",
            "destination": "server",
            "values": "overrides",
            "valueFile": "profile",
        },
    )


@functools.cache
def fleet_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": FLEET_SCHEMA_ID,
        "title": "flowlogs fleet",
        "description": (
            "How Argo CD deploys the flowlogs chart: the settings of the generated Applications and the clusters of "
            "the fleet, each with its profile and overrides. `flowlogs generate` writes gitops/ from it."
        ),
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "gitops": gitops_section_schema(),
            "clusters": {
                "type": "array",
                "items": cluster_schema(),
                "description": "The clusters of the fleet; one ApplicationSet gives each its profile.",
            },
        },
        "x-upstream-aliases": {
            "argocd": "gitops",
            "argo-cd": "gitops",
            "settings": "gitops",
            "elements": "clusters",
            "fleet": "clusters",
        },
    }

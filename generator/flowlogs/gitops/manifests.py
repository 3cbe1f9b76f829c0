"""Argo CD manifests as plain data: one Application per profile, one ApplicationSet per fleet.

Every object is a strict, plain Kubernetes object (apiVersion argoproj.io/v1alpha1,
metadata.name and namespace, only fields the Argo CD CRDs define), so `flowlogs validate
--documents` and kubeconform accept it. Choices made here, and why (docs/gitops.md has more):

- the chart is a Git path source; each profile's compiled values file is a `valueFiles`
  entry relative to the chart directory, as Argo CD resolves it;
- per-cluster overrides are Helm `parameters`: visible in Argo CD's UI, typed (`forceString`
  for names only, so `cilium.enabled` stays a boolean for values.schema.json), and every list
  element carries every key, because the ApplicationSet uses `missingkey=error`;
- `ServerSideApply=true` and Server-Side Diff for profiles with a Calico part, whose Felix
  and Service manifests are partial (they also carry `Prune=false,Delete=false` themselves);
- `ClientSideApplyMigration=false` with partial manifests: Argo CD 3.1+ otherwise moves the fields
  `kubectl apply` (client-side) owns on the live object to its own manager before applying (an
  Application-level option only: argo-cd v3.5.1 controller/sync.go), and the apply of the partial
  manifest removes them ("spec.selector: Required value"). kubectl's own migration after an apply
  cannot be turned off (docs/gitops.md, Partial manifests);
- the resources finalizer (cascade delete) only where it is safe: never on an Application
  that also carries Cilium's own release, whose deletion would take the CNI with it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from ..chart_values import chart_values
from ..compiler import CompiledProfile
from ..names import PROFILES_DIR, values_file
from ..products import Override
from .fleet import OVERRIDES, Cluster, Fleet
from .settings import GitopsSettings
from .value_overrides import ELEMENT_KEY as VALUE_ELEMENT_KEY
from .value_overrides import TEMPLATE_PATCH, VALUES_KEY

API_VERSION = "argoproj.io/v1alpha1"
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
PART_OF_LABEL = ("app.kubernetes.io/part-of", "flowlogs")
PROFILE_LABEL = "flowlogs.dev/profile"
CLUSTER_LABEL = "flowlogs.dev/cluster"
COMPARE_OPTIONS = "argocd.argoproj.io/compare-options"
APPLICATIONSET_NAME = "flowlogs"
VALUES_REF = "values"


def partial_manifest_parts(profile: CompiledProfile) -> list[str]:
    """The profile's parts that render partial manifests, applied server-side (e.g. Calico in GitOps mode)."""
    return [product.key for product, part in profile.products() if product.server_side_apply(part)]


def needs_server_side_apply(
    settings: GitopsSettings, profile: CompiledProfile, enabled: Mapping[str, Any] | None = None
) -> bool:
    """ServerSideApply=true: as configured, or (auto) when a part switched on renders partial manifests."""
    if settings.sync.server_side_apply is not None:
        return settings.sync.server_side_apply
    return any((enabled or {}).get(key, True) is not False for key in partial_manifest_parts(profile))


@functools.cache
def _chart_defaults() -> dict[str, Any]:
    values, _ = chart_values()
    return {value.path: value.default for value in values}


def effective_value(profile: CompiledProfile, path: str) -> Any:
    """A chart value as the profile's values file sets it, else the chart's default."""
    node: Any = profile.values
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return _chart_defaults().get(path)
        node = node[key]
    return node


# argo-cd v3.5.1 gitops-engine/pkg/sync/common/types.go SyncOptionDisableClientSideApplyMigration.
NO_CSA_MIGRATION = "ClientSideApplyMigration=false"


def _sync_policy(settings: GitopsSettings, server_side_apply: bool, partial: bool) -> dict[str, Any]:
    """The spec's `syncPolicy` entry (none when the policy is empty)."""
    sync = settings.sync
    policy: dict[str, Any] = {}
    if sync.automated:
        policy["automated"] = {"prune": sync.prune, "selfHeal": sync.self_heal}
    wanted = {
        "CreateNamespace=true": sync.create_namespace,
        "FailOnSharedResource=true": sync.fail_on_shared_resource,
        "ServerSideApply=true": server_side_apply,
        NO_CSA_MIGRATION: server_side_apply and partial,
    }
    options = [option for option, on in wanted.items() if on]
    if options:
        policy["syncOptions"] = options
    if sync.retry.limit > 0:
        retry = sync.retry
        policy["retry"] = {
            "limit": retry.limit,
            "backoff": {"duration": retry.duration, "factor": retry.factor, "maxDuration": retry.max_duration},
        }
    return {"syncPolicy": policy} if policy else {}


def _metadata(
    name: str, labels: dict[str, str], server_side_diff: bool, finalizer: bool, namespace: str | None = None
) -> dict[str, Any]:
    """An Application's metadata; a template's has no namespace (the ApplicationSet's is used)."""
    metadata: dict[str, Any] = {"name": name, **({"namespace": namespace} if namespace else {}), "labels": labels}
    if server_side_diff:
        metadata["annotations"] = {COMPARE_OPTIONS: "ServerSideDiff=true"}
    if finalizer:
        metadata["finalizers"] = [RESOURCES_FINALIZER]
    return metadata


def _chart_source(
    settings: GitopsSettings, value_files: list[str], parameters: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    helm: dict[str, Any] = {"releaseName": settings.release_name, "valueFiles": value_files}
    if parameters:
        helm["parameters"] = parameters
    return {
        "repoURL": settings.repo_url,
        "targetRevision": settings.revision,
        "path": settings.chart_path,
        "helm": helm,
    }


def profile_application(profile: CompiledProfile, settings: GitopsSettings) -> dict[str, Any]:
    """The Application that deploys one profile to the configured destination."""
    ssa = needs_server_side_apply(settings, profile)
    with_cilium = settings.cilium_release is not None and settings.cilium_release.product in profile.parts
    labels = {**dict([PART_OF_LABEL]), PROFILE_LABEL: profile.name}
    finalizer = settings.cascade_delete and not with_cilium
    chart = _chart_source(settings, [values_file(profile.name)])
    return {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": _metadata(f"flowlogs-{profile.name}", labels, ssa, finalizer, settings.argocd_namespace),
        "spec": {
            "project": settings.project,
            **({"sources": [chart, *_cilium_sources(profile, settings)]} if with_cilium else {"source": chart}),
            "destination": {"server": settings.destination_server, "namespace": settings.destination_namespace},
            **_sync_policy(settings, ssa, bool(partial_manifest_parts(profile))),
        },
    }


def _cilium_sources(profile: CompiledProfile, settings: GitopsSettings) -> list[dict[str, Any]]:
    """A `ref` source for this repository, and Cilium's chart with the profile's overlay last."""
    release = settings.cilium_release
    assert release is not None and release.product in profile.parts
    namespace = effective_value(profile, "cilium.configMap.namespace")
    overlay = f"{settings.chart_path}/{PROFILES_DIR}/{profile.name}/cilium-values.yaml"
    value_files = [f"${VALUES_REF}/{path}" for path in (*release.value_files, overlay)]
    return [
        {"repoURL": settings.repo_url, "targetRevision": settings.revision, "ref": VALUES_REF},
        {
            "repoURL": release.repo_url,
            "chart": release.chart,
            "targetRevision": release.versions[profile.parts[release.product].version],
            "helm": {"releaseName": release.release_name, "namespace": str(namespace), "valueFiles": value_files},
        },
    ]


def _element_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)  # a boolean as YAML and Helm spell it


def fleet_applicationset(fleet: Fleet, profiles: Mapping[str, CompiledProfile]) -> dict[str, Any]:
    """One ApplicationSet: a list generator gives each cluster its profile and overrides.

    An override key used by any cluster becomes a Helm parameter for all of them: clusters that
    do not override it get the value their profile already has, so the parameter changes nothing.
    """
    used = [o for o in OVERRIDES if o.chart_value and any(o.key in c.overrides for c in fleet.clusters)]
    # Chart values of some clusters: every element has the key (missingkey=error), `{}` when none.
    with_values = any(VALUES_KEY in c.overrides for c in fleet.clusters)
    elements: list[dict[str, Any]] = []
    for cluster in fleet.clusters:
        element: dict[str, Any] = {"cluster": cluster.name, "server": cluster.server, "profile": cluster.profile}
        if with_values:
            element[VALUE_ELEMENT_KEY] = cluster.overrides.get(VALUES_KEY) or {}
        for override in used:
            assert override.chart_value is not None
            value = cluster.overrides.get(
                override.key, effective_value(profiles[cluster.profile], override.chart_value)
            )
            element[override.element_key] = _element_value(value)
        elements.append(element)
    # One ServerSideApply setting for the whole fleet: on when any cluster renders partial manifests
    # (server-side apply is harmless for the other resources, and a constant keeps syncOptions free of templates).
    ssa = any(needs_server_side_apply(fleet.settings, profiles[c.profile], c.overrides) for c in fleet.clusters)
    parameters = [_parameter(o, "{{." + o.element_key + "}}") for o in used]
    extra = {"templatePatch": TEMPLATE_PATCH} if with_values else {}
    partial = any(partial_manifest_parts(profiles[c.profile]) for c in fleet.clusters)
    generators = [{"list": {"elements": elements}}]
    return _applicationset(fleet.settings, generators, parameters, ssa, "{{.profile}}", "{{.cluster}}", extra, partial)


def _parameter(override: Override, value: str) -> dict[str, Any]:
    return {"name": override.chart_value, "value": value, **({"forceString": True} if override.force_string else {})}


def _applicationset(
    settings: GitopsSettings,
    generators: list[dict[str, Any]],
    parameters: list[dict[str, Any]],
    ssa: bool,
    profile: str,
    cluster: str,
    extra_spec: Mapping[str, Any],
    partial: bool,
) -> dict[str, Any]:
    """The ApplicationSet around its generators: `profile` and `cluster` are the template expressions for them."""
    labels = {**dict([PART_OF_LABEL]), PROFILE_LABEL: profile, CLUSTER_LABEL: cluster}
    template_spec = {
        "project": settings.project,
        "source": _chart_source(settings, [values_file(profile)], parameters),
        "destination": {"server": "{{.server}}", "namespace": settings.destination_namespace},
        **_sync_policy(settings, ssa, partial),
    }
    template_metadata = _metadata(f"{cluster}-flowlogs", labels, ssa, settings.cascade_delete)
    return {
        "apiVersion": API_VERSION,
        "kind": "ApplicationSet",
        "metadata": {
            "name": APPLICATIONSET_NAME,
            "namespace": settings.argocd_namespace,
            "labels": dict([PART_OF_LABEL]),
        },
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": generators,
            "template": {"metadata": template_metadata, "spec": template_spec},
            **extra_spec,
        },
    }


# The cluster Secret annotation prefix that overrides a value with the cluster generator.
OVERRIDE_ANNOTATION_PREFIX = "flowlogs.dev/"


def _annotation_or_default(annotation: str, element_key: str) -> str:
    """A cluster Secret's annotation, else the profile's value (in the generator's values).

    Argo CD's cluster generator puts `metadata.annotations` in the parameters only when the Secret
    has annotations (argoproj/argo-cd applicationset/generators/cluster.go, getClusterParameters),
    so the map is looked up with `index`, which `missingkey=error` does not turn into an error.
    """
    return (
        f"{{{{ $default := .values.{element_key} }}}}"
        f'{{{{ with index .metadata "annotations" }}}}{{{{ index . "{annotation}" | default $default }}}}'
        "{{ else }}{{ $default }}{{ end }}"
    )


def labels_applicationset(fleet: Fleet, profiles: Mapping[str, CompiledProfile]) -> dict[str, Any]:
    """One ApplicationSet whose clusters come from Argo CD: one cluster generator per profile.

    Each generator selects the cluster Secrets labelled flowlogs.dev/profile=<profile> (a
    non-empty selector leaves out the in-cluster cluster, which has no Secret) and carries the
    profile's name and its value of every override in `values`; a Secret's annotation
    flowlogs.dev/<override> replaces that value for its cluster.
    """
    overrides = [o for o in OVERRIDES if o.chart_value]
    generators: list[dict[str, Any]] = []
    for name, profile in sorted(profiles.items()):
        values = {"profile": name}
        for override in overrides:
            assert override.chart_value is not None
            values[override.element_key] = _element_value(effective_value(profile, override.chart_value))
        generators.append({"clusters": {"selector": {"matchLabels": {PROFILE_LABEL: name}}, "values": values}})
    parameters = [
        _parameter(o, _annotation_or_default(OVERRIDE_ANNOTATION_PREFIX + o.key, o.element_key)) for o in overrides
    ]
    ssa = any(needs_server_side_apply(fleet.settings, profile) for profile in profiles.values())
    partial = any(partial_manifest_parts(profile) for profile in profiles.values())
    cluster = "{{.nameNormalized}}"
    return _applicationset(fleet.settings, generators, parameters, ssa, "{{.values.profile}}", cluster, {}, partial)


def used_profiles(clusters: Sequence[Cluster]) -> list[str]:
    return sorted({c.profile for c in clusters})

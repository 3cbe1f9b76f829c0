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


def application_name(profile: str) -> str:
    return f"flowlogs-{profile}"


def fleet_application_name(cluster: str) -> str:
    return f"{cluster}-flowlogs"


def cilium_values_file(settings: GitopsSettings, profile: str) -> str:
    return f"${VALUES_REF}/{settings.chart_path}/{PROFILES_DIR}/{profile}/cilium-values.yaml"


def partial_manifest_parts(profile: CompiledProfile) -> list[str]:
    """The profile's parts that render partial manifests, applied server-side (e.g. Calico in GitOps mode)."""
    return [product.key for product, part in profile.products() if product.server_side_apply(part)]


def renders_partial_manifests(profile: CompiledProfile) -> bool:
    return bool(partial_manifest_parts(profile))


def needs_server_side_apply(
    settings: GitopsSettings, profile: CompiledProfile, enabled: Mapping[str, Any] | None = None
) -> bool:
    """ServerSideApply=true: as configured, or (auto) when a part switched on renders partial manifests."""
    if settings.sync.server_side_apply is not None:
        return settings.sync.server_side_apply
    return any((enabled or {}).get(key, True) is not False for key in partial_manifest_parts(profile))


def carries_cilium_release(settings: GitopsSettings, profile: CompiledProfile) -> bool:
    release = settings.cilium_release
    return release is not None and release.product in profile.parts


@functools.cache
def _chart_defaults() -> dict[str, Any]:
    values, _ = chart_values()
    return {value.path: value.default for value in values}


def effective_value(profile: CompiledProfile, path: str, defaults: Mapping[str, Any]) -> Any:
    """A chart value as the profile's values file sets it, else the chart's default."""
    node: Any = profile.values
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return defaults.get(path)
        node = node[key]
    return node


# argo-cd v3.5.1 gitops-engine/pkg/sync/common/types.go SyncOptionDisableClientSideApplyMigration.
NO_CSA_MIGRATION = "ClientSideApplyMigration=false"


def _sync_policy(settings: GitopsSettings, server_side_apply: bool, partial: bool = False) -> dict[str, Any]:
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
    return policy


def _metadata(
    name: str, settings: GitopsSettings, labels: dict[str, str], *, server_side_diff: bool | None, finalizer: bool
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": settings.argocd_namespace, "labels": labels}
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
    with_cilium = carries_cilium_release(settings, profile)
    labels = {PART_OF_LABEL[0]: PART_OF_LABEL[1], PROFILE_LABEL: profile.name}
    spec: dict[str, Any] = {"project": settings.project}
    chart = _chart_source(settings, [values_file(profile.name)])
    if with_cilium:
        spec["sources"] = [chart, *_cilium_sources(profile, settings)]
    else:
        spec["source"] = chart
    spec["destination"] = {"server": settings.destination_server, "namespace": settings.destination_namespace}
    policy = _sync_policy(settings, ssa, renders_partial_manifests(profile))
    if policy:
        spec["syncPolicy"] = policy
    return {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": _metadata(
            application_name(profile.name),
            settings,
            labels,
            server_side_diff=ssa,
            finalizer=settings.cascade_delete and not with_cilium,
        ),
        "spec": spec,
    }


def _cilium_sources(profile: CompiledProfile, settings: GitopsSettings) -> list[dict[str, Any]]:
    """A `ref` source for this repository, and Cilium's chart with the profile's overlay last."""
    release = settings.cilium_release
    assert release is not None and release.product in profile.parts
    namespace = effective_value(profile, "cilium.configMap.namespace", _chart_defaults())
    value_files = [f"${VALUES_REF}/{path}" for path in release.value_files] + [
        cilium_values_file(settings, profile.name)
    ]
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
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def fleet_elements(fleet: Fleet, profiles: Mapping[str, CompiledProfile]) -> tuple[list[dict[str, Any]], list[str]]:
    """The list generator's elements (every key in every element) and the override keys used.

    An override key used by any cluster becomes a Helm parameter for all of them: clusters that
    do not override it get the value their profile already has, so the parameter changes nothing.
    """
    defaults = _chart_defaults()
    used = [o for o in OVERRIDES if o.chart_value and any(o.key in c.overrides for c in fleet.clusters)]
    elements: list[dict[str, Any]] = []
    # Chart values of some clusters: every element has the key (missingkey=error), `{}` when none.
    with_values = any(VALUES_KEY in c.overrides for c in fleet.clusters)
    for cluster in fleet.clusters:
        profile = profiles[cluster.profile]
        element: dict[str, Any] = {"cluster": cluster.name, "server": cluster.server, "profile": cluster.profile}
        if with_values:
            element[VALUE_ELEMENT_KEY] = cluster.overrides.get(VALUES_KEY) or {}
        for override in used:
            assert override.chart_value is not None
            value = cluster.overrides.get(override.key, effective_value(profile, override.chart_value, defaults))
            element[override.element_key] = _element_value(value)
        elements.append(element)
    return elements, [o.key for o in used]


def fleet_applicationset(fleet: Fleet, profiles: Mapping[str, CompiledProfile]) -> dict[str, Any]:
    """One ApplicationSet: a list generator gives each cluster its profile and overrides."""
    settings = fleet.settings
    elements, used = fleet_elements(fleet, profiles)
    # One ServerSideApply setting for the whole fleet: on when any cluster renders partial manifests
    # (server-side apply is harmless for the other resources, and a constant keeps syncOptions free of templates).
    ssa = any(needs_server_side_apply(settings, profiles[c.profile], c.overrides) for c in fleet.clusters)
    parameters = [_parameter(o, "{{." + o.element_key + "}}") for o in OVERRIDES if o.key in used]
    extra = {"templatePatch": TEMPLATE_PATCH} if any(VALUE_ELEMENT_KEY in e for e in elements) else {}
    partial = any(renders_partial_manifests(profiles[c.profile]) for c in fleet.clusters)
    return _applicationset(
        settings, [{"list": {"elements": elements}}], parameters, ssa, "{{.profile}}", "{{.cluster}}", extra, partial
    )


def _parameter(override: Override, value: str) -> dict[str, Any]:
    parameter: dict[str, Any] = {"name": override.chart_value, "value": value}
    if override.force_string:
        parameter["forceString"] = True
    return parameter


def _applicationset(
    settings: GitopsSettings,
    generators: list[dict[str, Any]],
    parameters: list[dict[str, Any]],
    ssa: bool,
    profile: str,
    cluster: str,
    extra_spec: Mapping[str, Any],
    partial: bool = False,
) -> dict[str, Any]:
    """The ApplicationSet around its generators: `profile` and `cluster` are the template expressions for them."""
    labels = {PART_OF_LABEL[0]: PART_OF_LABEL[1], PROFILE_LABEL: profile, CLUSTER_LABEL: cluster}
    template_metadata: dict[str, Any] = {"name": fleet_application_name(cluster), "labels": labels}
    if ssa:
        template_metadata["annotations"] = {COMPARE_OPTIONS: "ServerSideDiff=true"}
    if settings.cascade_delete:
        template_metadata["finalizers"] = [RESOURCES_FINALIZER]
    template_spec: dict[str, Any] = {
        "project": settings.project,
        "source": _chart_source(settings, [values_file(profile)], parameters),
        "destination": {"server": "{{.server}}", "namespace": settings.destination_namespace},
    }
    policy = _sync_policy(settings, ssa, partial)
    if policy:
        template_spec["syncPolicy"] = policy
    return {
        "apiVersion": API_VERSION,
        "kind": "ApplicationSet",
        "metadata": {
            "name": APPLICATIONSET_NAME,
            "namespace": settings.argocd_namespace,
            "labels": {PART_OF_LABEL[0]: PART_OF_LABEL[1]},
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
    settings = fleet.settings
    defaults = _chart_defaults()
    overrides = [o for o in OVERRIDES if o.chart_value]
    generators: list[dict[str, Any]] = []
    for name, profile in sorted(profiles.items()):
        values = {"profile": name}
        for override in overrides:
            assert override.chart_value is not None
            values[override.element_key] = _element_value(effective_value(profile, override.chart_value, defaults))
        generators.append({"clusters": {"selector": {"matchLabels": {PROFILE_LABEL: name}}, "values": values}})
    parameters = [
        _parameter(o, _annotation_or_default(OVERRIDE_ANNOTATION_PREFIX + o.key, o.element_key)) for o in overrides
    ]
    ssa = any(needs_server_side_apply(settings, profile) for profile in profiles.values())
    partial = any(renders_partial_manifests(profile) for profile in profiles.values())
    return _applicationset(
        settings, generators, parameters, ssa, "{{.values.profile}}", "{{.nameNormalized}}", {}, partial
    )


def used_profiles(clusters: Sequence[Cluster]) -> list[str]:
    return sorted({c.profile for c in clusters})

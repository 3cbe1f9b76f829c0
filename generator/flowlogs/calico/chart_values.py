"""The `calico.*` values of the chart, with strict JSON Schemas built from the version tables.

A hand-edited values file with a Felix field flowlogs does not own (`tproxyMode`), a
`policySyncPathPrefix` other than /var/run/nodeagent, or an ApplicationLayer field no supported
CRD has fails `helm install`/`helm template` instead of reaching the cluster.
"""

from __future__ import annotations

from typing import Any

from ..go_duration import DURATION_PATTERN
from ..values_model import ChartValue, Section, shared_schema, string_pattern
from . import schema as profile_schema
from .defaults import DEFAULT_VERSION, POLICY_SYNC_PATH_PREFIX, SUPPORTED_VERSIONS, WORKLOAD_KINDS
from .tables import load_tables
from .words import COLLECTOR_CONTAINERS, DEFAULT_FELIX_API, DEFAULT_PATCH_MODE, FELIX_APIS, PATCH_MODES, RESOURCE_NAMES

JOB_IMAGE_REPOSITORY = "docker.io/library/python"
JOB_IMAGE_TAG = "3.12.8-alpine3.21"
READY_TIMEOUT_SECONDS = 600  # how long the apply Job waits for the ApplicationLayer to be Ready
JOB_DEADLINE_MARGIN_SECONDS = 300  # the Job's activeDeadlineSeconds = wait timeout + this


def _type_and_pattern(schema: dict[str, Any]) -> dict[str, Any]:
    """A profile schema's check without its editor hints: the values accept what profiles accept."""
    return {"type": schema["type"], **string_pattern(schema["pattern"])}


NAMESPACE = _type_and_pattern(profile_schema.NAMESPACE)
OBJECT_NAME = _type_and_pattern(profile_schema.OBJECT_NAME)
# A Kubernetes quantity (resources.requests/limits): ten places, one definition in values.schema.json.
QUANTITY = shared_schema("quantity", _type_and_pattern(profile_schema.QUANTITY))

STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}  # labels, annotations, a node selector
LABEL_SELECTOR = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "matchLabels": STRING_MAP,
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


def _strict(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties, **extra}


def application_layer_schema() -> dict[str, Any]:
    """ApplicationLayer spec: the fields flowlogs writes, as in the union of the supported CRDs."""
    enabled = {"enum": ["Enabled", "Disabled"]}
    amounts = _strict({name: QUANTITY for name in RESOURCE_NAMES})
    container = _strict(
        {"name": {"enum": list(COLLECTOR_CONTAINERS)}, "resources": _strict({"requests": amounts, "limits": amounts})},
        required=["name"],
    )
    return _strict(
        {
            "sidecarInjection": {**enabled, "description": "Calico Enterprise 3.20+ only."},
            "logCollection": _strict(
                {
                    "collectLogs": enabled,
                    "logIntervalSeconds": {"type": "integer", "minimum": 1},
                    "logRequestsPerInterval": {"type": "integer"},
                }
            ),
            "envoy": _strict(
                {
                    "xffNumTrustedHops": {"type": "integer", "minimum": 0, "maximum": 2147483647},
                    "useRemoteAddress": {"type": "boolean"},
                }
            ),
            "l7LogCollectorDaemonSet": _strict(
                {
                    "spec": _strict(
                        {"template": _strict({"spec": _strict({"containers": {"type": "array", "items": container}})})}
                    )
                }
            ),
        }
    )


def felix_spec_schema() -> dict[str, Any]:
    """The FelixConfiguration fields flowlogs may own; tproxyMode is deliberately absent."""
    properties: dict[str, Any] = {}
    fields = {name: f for version in SUPPORTED_VERSIONS for name, f in load_tables(version).felix_fields.items()}
    for name, felix_field in fields.items():
        if name == "policySyncPathPrefix":
            properties[name] = {"const": POLICY_SYNC_PATH_PREFIX}
        elif felix_field.type == "enum":
            properties[name] = {"enum": list(felix_field.values)}
        elif felix_field.type == "duration":
            properties[name] = {"type": "string", "pattern": DURATION_PATTERN}
        else:
            properties[name] = {"type": felix_field.type}
    return _strict(properties)


def _target_schema(with_kind: bool) -> dict[str, Any]:
    properties = ({"kind": {"enum": list(WORKLOAD_KINDS)}} if with_kind else {}) | {
        "namespace": NAMESPACE,
        "names": {"type": "array", "items": OBJECT_NAME},
        "selectors": {"type": "array", "items": LABEL_SELECTOR},
    }
    return _strict(properties, required=["namespace", *(["kind"] if with_kind else [])])


def upstream_facts() -> dict[str, Any]:
    """The Calico Enterprise facts the templates and the Job script use, from the version tables.

    One place for them: the templates read `calico.upstream`, and the hook Jobs get the same
    facts in desired.json, so neither repeats a label, an annotation or a resource name.
    """
    versions: dict[str, Any] = {}
    for version in SUPPORTED_VERSIONS:
        tables = load_tables(version)
        sidecar: dict[str, Any] = {}  # none: Helm drops null values when it merges values files
        if tables.has_sidecar_injection and tables.sidecar is not None:
            sidecar = {
                "labels": dict([tables.sidecar.label]),
                "annotations": dict([tables.sidecar.annotation]),
                "webhookState": tables.sidecar.webhook_state,
                "waitFor": [
                    {"kind": r.kind, "namespace": r.namespace, "name": r.name} for r in tables.sidecar.wait_for
                ],
            }
        versions[version] = {
            "applicationLayer": {
                "apiVersion": tables.application_layer_api_version,
                "name": tables.application_layer_name,
                "readyState": tables.application_layer_ready_state,
                "readyCondition": tables.application_layer_ready_condition,
                "degradedCondition": tables.application_layer_degraded_condition,
            },
            "serviceAnnotations": dict([tables.service_annotation]),
            "sidecar": sidecar,
            "operatorFields": sorted(tables.operator_sets),
        }
    return {"workloadResources": dict(sorted(WORKLOAD_KINDS.items())), "versions": versions}


def _upstream_schema() -> dict[str, Any]:
    rollout = _strict(
        {"kind": {"enum": ["Deployment", "DaemonSet"]}, "namespace": {"type": "string"}, "name": {"type": "string"}},
        required=["kind", "namespace", "name"],
    )
    sidecar = _strict(  # {}: the version has no sidecar injection
        {
            "labels": STRING_MAP,
            "annotations": STRING_MAP,
            "webhookState": {"type": "string"},
            "waitFor": {"type": "array", "items": rollout},
        }
    )
    layer = ["apiVersion", "name", "readyState", "readyCondition", "degradedCondition"]
    version = _strict(
        {
            "applicationLayer": _strict({key: {"type": "string"} for key in layer}, required=layer),
            "serviceAnnotations": STRING_MAP,
            "sidecar": sidecar,
            "operatorFields": {"type": "array", "items": {"type": "string"}},
        },
        required=["applicationLayer", "serviceAnnotations", "sidecar", "operatorFields"],
    )
    return _strict(
        {
            "workloadResources": STRING_MAP,
            "versions": _strict({v: version for v in SUPPORTED_VERSIONS}, required=list(SUPPORTED_VERSIONS)),
        },
        required=["workloadResources", "versions"],
    )


IMAGE_PULL_SECRETS = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1}},
    },
}
TOLERATIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "key": {"type": "string"},
            "operator": {"enum": ["Exists", "Equal"]},
            "value": {"type": "string"},
            "effect": {"enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"]},
            "tolerationSeconds": {"type": "integer"},
        },
    },
}


CALICO_SECTIONS = [
    Section("calico", "Calico Enterprise L7 logs. Compiled from a profile's `calico:` section by flowlogs."),
    Section(
        "calico.felix",
        "FelixConfiguration `default` exists in every cluster, so the chart patches only the fields below\n"
        "(never tproxyMode, which the Tigera operator sets).",
    ),
    Section(
        "calico.job",
        "The hook Jobs of `patchMode: job` (apply after install/upgrade, restore before delete), and the wait Job of\n"
        "`patchMode: gitops` (an Argo CD Sync hook in wave 1: the readiness wait, before the selections in wave 2).",
    ),
    Section(
        "calico.job.image",
        "Image of the hook Jobs: it needs python3 (the script uses only the standard library). Air-gapped clusters:\n"
        "mirror it (e.g. `crane copy docker.io/library/python:TAG registry.example/python:TAG`) and set repository, "
        "and digest\n"
        "to pin exactly what was mirrored.",
    ),
]


def calico_values() -> list[ChartValue]:
    return [
        ChartValue("calico.enabled", False, "Render the Calico Enterprise L7 log resources.", {"type": "boolean"}),
        ChartValue(
            "calico.version",
            DEFAULT_VERSION,
            "Calico Enterprise minor version the values were compiled for (3.19 has no sidecar injection).",
            {"type": "string", "enum": list(SUPPORTED_VERSIONS)},
        ),
        ChartValue(
            "calico.applicationLayer",
            {},
            "Spec of the ApplicationLayer `tigera-secure` (logCollection, envoy, l7LogCollectorDaemonSet, "
            "sidecarInjection).\n"
            "The Tigera operator deploys DaemonSet calico-system/l7-log-collector from it. If it already exists (e.g. "
            "for WAF),\n"
            "set keepApplicationLayer and adopt it into the release (docs/profiles.md).",
            application_layer_schema(),
        ),
        ChartValue(
            "calico.keepApplicationLayer",
            False,
            "Never delete the ApplicationLayer: helm.sh/resource-policy: keep, and Argo CD Prune=false,Delete=false.\n"
            "Set by a profile's `existing-application-layer: on` (the object existed before flowlogs, e.g. with WAF "
            "settings).",
            {"type": "boolean"},
        ),
        ChartValue(
            "calico.felix.apiVersion",
            DEFAULT_FELIX_API,
            "API the FelixConfiguration is written through: projectcalico.org/v3 (Calico's API server, recommended)\n"
            "or crd.projectcalico.org/v1 (the backing CRD). The RBAC rule follows it.",
            {"type": "string", "enum": list(FELIX_APIS)},
        ),
        ChartValue(
            "calico.felix.spec",
            {},
            "FelixConfiguration `default` fields to set (L7 log settings, policySyncPathPrefix: /var/run/nodeagent "
            "only).",
            felix_spec_schema(),
        ),
        ChartValue(
            "calico.services",
            [],
            'Services to annotate with projectcalico.org/l7-logging: "true", per namespace: `names` and/or label '
            "`selectors`\n"
            "(selectors need patchMode job).",
            {"type": "array", "items": _target_schema(False)},
        ),
        ChartValue(
            "calico.workloads",
            [],
            "3.20 sidecar mode: Deployments/StatefulSets/DaemonSets whose pod template gets the label\n"
            'applicationlayer.projectcalico.org/sidecar: "true" and the annotation '
            "applicationlayer.projectcalico.org/logging: Enabled.",
            {"type": "array", "items": _target_schema(True)},
        ),
        ChartValue(
            "calico.patchMode",
            DEFAULT_PATCH_MODE,
            "How FelixConfiguration `default` and the selected objects are patched. `job`: Helm hook Jobs merge-patch "
            "the owned\n"
            "fields and restore the previous values on uninstall. `gitops`: partial manifests for Argo CD server-side "
            "apply\n"
            "(annotated ServerSideApply=true,Validate=false,Prune=false,Delete=false; "
            "Delete=false needs Argo CD 2.7+,\n"
            "without it deleting the Application deletes FelixConfiguration `default`).",
            {"type": "string", "enum": list(PATCH_MODES)},
        ),
        ChartValue(
            "calico.job.image.repository", JOB_IMAGE_REPOSITORY, "Image repository.", {"type": "string", "minLength": 1}
        ),
        ChartValue("calico.job.image.tag", JOB_IMAGE_TAG, "Image tag (pinned).", {"type": "string", "minLength": 1}),
        ChartValue(
            "calico.job.image.digest",
            "",
            "Image digest (sha256:...); when set the image is pulled by tag and digest.",
            {"type": "string", "pattern": "^(sha256:[a-f0-9]{64})?$"},
        ),
        ChartValue(
            "calico.job.image.pullPolicy",
            "IfNotPresent",
            "Image pull policy.",
            {"type": "string", "enum": ["Always", "IfNotPresent", "Never"]},
        ),
        ChartValue(
            "calico.job.imagePullSecrets",
            [],
            "Pull secrets of the Job pods (a mirrored image in a private registry).",
            IMAGE_PULL_SECRETS,
        ),
        ChartValue("calico.job.nodeSelector", {}, "Node selector of the Job pods.", STRING_MAP),
        ChartValue("calico.job.tolerations", [], "Tolerations of the Job pods.", TOLERATIONS),
        ChartValue(
            "calico.job.podAnnotations",
            {},
            "Annotations of the Job pods (e.g. to opt out of a service mesh).",
            STRING_MAP,
        ),
        ChartValue(
            "calico.job.readyTimeoutSeconds",
            READY_TIMEOUT_SECONDS,
            "How long the apply Job waits for the ApplicationLayer's Ready condition at its generation (the operator "
            "has\n"
            "rolled the L7 collector) and, before selecting 3.20 workloads, for status.sidecarWebhook Enabled and the\n"
            "rollouts of tigera-apiserver and l7-log-collector, before it selects any traffic. In gitops mode the wait "
            "Job\n"
            "does the same (0: no wait Job). The Job's deadline is this plus "
            f"{JOB_DEADLINE_MARGIN_SECONDS}s.",
            {"type": "integer", "minimum": 0, "maximum": 3600},
        ),
        ChartValue(
            "calico.job.resources",
            {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "200m", "memory": "64Mi"}},
            "Resources of the Job container (a CPU limit too: the Job runs with cluster rights, it should not starve a "
            "node).",
            _strict(dict.fromkeys(("requests", "limits"), _strict({n: QUANTITY for n in ("cpu", "memory")}))),
        ),
        ChartValue(
            "calico.job.networkPolicy.enabled",
            False,
            "Also install a NetworkPolicy for the hook Job pods: no ingress, and egress only to the Kubernetes API "
            "server\n"
            "(the ports below; the Job reaches it by KUBERNETES_SERVICE_HOST, an address, so it needs no DNS).",
            {"type": "boolean"},
        ),
        ChartValue(
            "calico.job.networkPolicy.apiServerPorts",
            [443, 6443],
            "TCP ports of the API server: the `kubernetes` Service's port and its endpoints' port (policies see "
            "either, by CNI).",
            {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1, "maximum": 65535}},
        ),
        ChartValue(
            "calico.job.networkPolicy.apiServerCIDRs",
            [],
            "Restrict that egress to these address ranges (the API server's endpoints, e.g. 10.0.0.10/32); empty: any "
            "address.",
            {"type": "array", "items": {"type": "string", "minLength": 1}},
        ),
        ChartValue(
            "calico.upstream",
            upstream_facts(),
            "Facts from flowlogs' Calico Enterprise tables (per version): the ApplicationLayer's name and ready state, "
            "the\n"
            "Service annotation, the 3.20 sidecar label and annotation, the fields the Tigera operator owns, the "
            "workload\n"
            "resources. Not settings: the templates and the hook Jobs read them so that no fact is repeated.",
            _upstream_schema(),
        ),
    ]

"""The `calico.*` values of the chart, with strict JSON Schemas built from the version tables.

A hand-edited values file with a Felix field flowlogs does not own (`tproxyMode`), a
`policySyncPathPrefix` other than /var/run/nodeagent, or an ApplicationLayer field no supported
CRD has fails `helm install`/`helm template` instead of reaching the cluster.
"""

from __future__ import annotations

from typing import Any

from ..values_model import ChartValue, Section
from . import kinds
from . import schema as profile_schema
from .tables import DEFAULT_VERSION, POLICY_SYNC_PATH_PREFIX, SUPPORTED_VERSIONS, load_tables
from .words import COLLECTOR_CONTAINERS, DEFAULT_FELIX_API, DEFAULT_PATCH_MODE, FELIX_APIS, PATCH_MODES, RESOURCE_NAMES, WORKLOAD_KINDS

JOB_IMAGE_REPOSITORY = "docker.io/library/python"
JOB_IMAGE_TAG = "3.12.8-alpine3.21"


def _type_and_pattern(schema: dict[str, Any]) -> dict[str, Any]:
    """A profile schema's check without its editor hints: the values accept what profiles accept."""
    return {"type": schema["type"], "pattern": schema["pattern"]}


NAMESPACE = _type_and_pattern(profile_schema.NAMESPACE)
OBJECT_NAME = _type_and_pattern(profile_schema.OBJECT_NAME)
QUANTITY = _type_and_pattern(profile_schema.QUANTITY)

LABEL_SELECTOR = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
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
                {"spec": _strict({"template": _strict({"spec": _strict({"containers": {"type": "array", "items": container}})})})}
            ),
        }
    )


def felix_spec_schema() -> dict[str, Any]:
    """The FelixConfiguration fields flowlogs may own; tproxyMode is deliberately absent."""
    properties: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    for version in SUPPORTED_VERSIONS:
        fields.update(load_tables(version).felix_fields)
    for name, felix_field in fields.items():
        if name == "policySyncPathPrefix":
            properties[name] = {"const": POLICY_SYNC_PATH_PREFIX}
        elif felix_field.type == "enum":
            properties[name] = {"enum": list(felix_field.values)}
        elif felix_field.type == "duration":
            properties[name] = {"type": "string", "pattern": kinds.DURATION["pattern"]}
        else:
            properties[name] = {"type": felix_field.type}
    return _strict(properties)


def _target_schema(with_kind: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if with_kind:
        properties["kind"] = {"enum": list(WORKLOAD_KINDS)}
    properties.update(
        {
            "namespace": NAMESPACE,
            "names": {"type": "array", "items": OBJECT_NAME},
            "selectors": {"type": "array", "items": LABEL_SELECTOR},
        }
    )
    return _strict(properties, required=["namespace", *(["kind"] if with_kind else [])])


CALICO_SECTIONS = [
    Section("calico", "Calico Enterprise L7 logs. Compiled from a profile's `calico:` section by flowlogs."),
    Section(
        "calico.felix",
        "FelixConfiguration `default` exists in every cluster, so the chart patches only the fields below\n"
        "(never tproxyMode, which the Tigera operator sets).",
    ),
    Section("calico.job", "The hook Jobs of `patchMode: job` (apply after install/upgrade, restore before delete)."),
    Section("calico.job.image", "Image of the hook Jobs: it needs python3 (the script uses only the standard library)."),
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
            "Spec of the ApplicationLayer `tigera-secure` (logCollection, envoy, l7LogCollectorDaemonSet, sidecarInjection).\n"
            "The Tigera operator deploys DaemonSet calico-system/l7-log-collector from it. The release owns the whole object:\n"
            "if it already exists (e.g. for WAF), adopt it into the release first, and uninstalling deletes it.",
            application_layer_schema(),
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
            "FelixConfiguration `default` fields to set (L7 log settings, policySyncPathPrefix: /var/run/nodeagent only).",
            felix_spec_schema(),
        ),
        ChartValue(
            "calico.services",
            [],
            "Services to annotate with projectcalico.org/l7-logging: \"true\", per namespace: `names` and/or label `selectors`\n"
            "(selectors need patchMode job).",
            {"type": "array", "items": _target_schema(False)},
        ),
        ChartValue(
            "calico.workloads",
            [],
            "3.20 sidecar mode: Deployments/StatefulSets/DaemonSets whose pod template gets the label\n"
            "applicationlayer.projectcalico.org/sidecar: \"true\" and the annotation applicationlayer.projectcalico.org/logging: Enabled.",
            {"type": "array", "items": _target_schema(True)},
        ),
        ChartValue(
            "calico.patchMode",
            DEFAULT_PATCH_MODE,
            "How FelixConfiguration `default` and the selected objects are patched. `job`: Helm hook Jobs merge-patch the owned\n"
            "fields and restore the previous values on uninstall. `gitops`: partial manifests for Argo CD server-side apply\n"
            "(annotated ServerSideApply=true,Validate=false,Prune=false,Delete=false; Delete=false needs Argo CD 2.7+,\n"
            "without it deleting the Application deletes FelixConfiguration `default`).",
            {"type": "string", "enum": list(PATCH_MODES)},
        ),
        ChartValue("calico.job.image.repository", JOB_IMAGE_REPOSITORY, "Image repository.", {"type": "string", "minLength": 1}),
        ChartValue("calico.job.image.tag", JOB_IMAGE_TAG, "Image tag (pinned).", {"type": "string", "minLength": 1}),
        ChartValue(
            "calico.job.image.digest",
            "",
            "Image digest (sha256:...); when set the image is pulled by tag and digest.",
            {"type": "string", "pattern": "^(sha256:[a-f0-9]{64})?$"},
        ),
        ChartValue("calico.job.image.pullPolicy", "IfNotPresent", "Image pull policy.", {"type": "string", "enum": ["Always", "IfNotPresent", "Never"]}),
        ChartValue(
            "calico.job.resources",
            {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
            "Resources of the Job container.",
            _strict({"requests": _strict({n: QUANTITY for n in ("cpu", "memory")}), "limits": _strict({n: QUANTITY for n in ("cpu", "memory")})}),
        ),
    ]

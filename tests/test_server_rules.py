"""Offline validation catches what the API server catches (flowlogs.validate.server_rules).

A table of mutations of real rendered manifests (`flowlogs render`): for each, the real
kube-apiserver v1.36.2 (`kubectl apply --server-side --dry-run=server`, all mutations in one
call) and the validator (`flowlogs.validate.validate`, as `flowlogs validate --documents FILE`)
must give the same verdict. The server's message for each is recorded from that server; the
validator's rule for each is cited in server_rules.py (Kubernetes v1.36.2 source). Mutations
the server accepts (RBAC names are path segments, not DNS names; a User subject gets its
apiGroup by defaulting) must pass the validator too.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import upstream_tools
import yaml
from live_cluster import GITOPS, RELEASE_NAMESPACE, documents, prepare, render

from conftest import CHART, ROOT, VALUES
from flowlogs.helm import EmbeddedHelm
from flowlogs.validate import Check, ValidateOptions, validate
from flowlogs.validate.server_rules import parse_quantity, server_rule_issues

Obj = dict[str, Any]


@dataclass(frozen=True)
class Mutation:
    id: str
    profile: str
    kind: str
    name: str  # the rendered object it changes
    change: Callable[[Obj], None]
    validator: tuple[str, str] | None  # (JSON pointer, message) of the validator's issue; None: accepted
    server: str | None  # the server's message (from kube-apiserver v1.36.2); None: accepted
    same_words: bool = True  # the validator's message is the server's (else the server refuses it before validation)


def job_pod(obj: Obj) -> Obj:
    return obj["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def container(obj: Obj) -> Obj:
    return job_pod(obj)["containers"][0]  # type: ignore[no-any-return]


def setter(*path: str | int, value: Any) -> Callable[[Obj], None]:
    def change(obj: Obj) -> None:
        target = obj
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def removing(*path: str | int) -> Callable[[Obj], None]:
    def change(obj: Obj) -> None:
        target = obj
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def each(*changes: Callable[[Obj], None]) -> Callable[[Obj], None]:
    def change(obj: Obj) -> None:
        for one in changes:
            one(obj)

    return change


# The API server's words (kube-apiserver v1.36.2, these very mutations).
SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and "
    "end with an "
    "alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with "
    "an alphanumeric "
    "character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an "
    "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
NAME_PART = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
    "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
TWO_SLASHES = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
    "(e.g. 'MyName',  or "
    "'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an "
    "optional DNS subdomain "
    "prefix and '/' (e.g. 'example.com/MyName')"
)
CONFIG_KEY = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
    "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)
QUANTITY = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
LONG_JOB = "flowlogs-calico-apply-" + "x" * 42  # 64 characters: a subdomain, not a label value
TEMPLATE = ("spec", "template", "spec")
C0 = (*TEMPLATE, "containers", 0)

MUTATIONS = (
    # names: the rule of each kind
    Mutation(
        "job-name-not-a-subdomain",
        "calico-l7",
        "Job",
        "flowlogs-calico-apply",
        setter("metadata", "name", value="flowlogs_calico_apply"),
        ("/metadata/name", f'Invalid value: "flowlogs_calico_apply": {SUBDOMAIN}'),
        f'metadata.name: Invalid value: "flowlogs_calico_apply": {SUBDOMAIN}',
    ),
    Mutation(
        "job-name-longer-than-a-label-value",
        "calico-l7",
        "Job",
        "flowlogs-calico-apply",
        setter("metadata", "name", value=LONG_JOB),
        ("/metadata/name", f'Invalid value: "{LONG_JOB}": must be no more than 63 bytes'),
        # the name is its pods' job-name label
        f'spec.template.labels: Invalid value: "{LONG_JOB}": must be no more than 63 bytes',
    ),
    Mutation(
        "configmap-name-uppercase",
        "cilium-exporter",
        "ConfigMap",
        "cilium-flowlog-config",
        setter("metadata", "name", value="Cilium-Flowlog-Config"),
        ("/metadata/name", f'Invalid value: "Cilium-Flowlog-Config": {SUBDOMAIN}'),
        f'metadata.name: Invalid value: "Cilium-Flowlog-Config": {SUBDOMAIN}',
    ),
    Mutation(
        "serviceaccount-name-trailing-dot",
        "calico-l7",
        "ServiceAccount",
        "flowlogs-calico-patch",
        setter("metadata", "name", value="flowlogs-calico-patch."),
        ("/metadata/name", f'Invalid value: "flowlogs-calico-patch.": {SUBDOMAIN}'),
        f'metadata.name: Invalid value: "flowlogs-calico-patch.": {SUBDOMAIN}',
    ),
    Mutation(
        "custom-resource-name-uppercase",
        "gitops",
        "Application",
        "flowlogs-calico-l7",
        setter("metadata", "name", value="Flowlogs-Calico-L7"),
        ("/metadata/name", f'Invalid value: "Flowlogs-Calico-L7": {SUBDOMAIN}'),
        f'metadata.name: Invalid value: "Flowlogs-Calico-L7": {SUBDOMAIN}',  # the shipped schema catches it too
    ),
    Mutation(
        "clusterrole-name-is-a-path-segment",
        "calico-l7",
        "ClusterRole",
        "flowlogs-calico-felix",
        setter("metadata", "name", value="Flowlogs_Calico_Felix"),
        None,
        None,
    ),
    # labels and annotations
    Mutation(
        "label-value-with-a-space",
        "calico-l7",
        "ConfigMap",
        "flowlogs-calico-state",
        setter("metadata", "labels", "app.kubernetes.io/part-of", value="flow logs"),
        ("/metadata/labels/app.kubernetes.io~1part-of", f'Invalid value: "flow logs": {LABEL_VALUE}'),
        f'metadata.labels: Invalid value: "flow logs": {LABEL_VALUE}',
    ),
    Mutation(
        "label-key-with-two-slashes",
        "calico-l7",
        "Role",
        "flowlogs-calico-patch",
        setter("metadata", "labels", "example.com/team/x", value="net"),
        (
            "/metadata/labels/example.com~1team~1x",
            f'Invalid value: "example.com/team/x": a valid label key {TWO_SLASHES}',
        ),
        f'metadata.labels: Invalid value: "example.com/team/x": a valid label key {TWO_SLASHES}',
    ),
    Mutation(
        "pod-template-label-value",
        "calico-l7",
        "Job",
        "flowlogs-calico-restore",
        setter("spec", "template", "metadata", "labels", "team", value="net/team"),
        ("/spec/template/metadata/labels/team", f'Invalid value: "net/team": {LABEL_VALUE}'),
        f'spec.template.labels: Invalid value: "net/team": {LABEL_VALUE}',
    ),
    Mutation(
        "annotation-key-with-a-space",
        "calico-l7",
        "Job",
        "flowlogs-calico-apply",
        setter("metadata", "annotations", "example.com/hook weight", value="1"),
        (
            "/metadata/annotations/example.com~1hook weight",
            f'Invalid value: "example.com/hook weight": name part {NAME_PART}',
        ),
        f'metadata.annotations: Invalid value: "example.com/hook weight": name part {NAME_PART}',
    ),
    # quantities
    Mutation(
        "memory-quantity-in-megabytes",
        "calico-l7",
        "Job",
        "flowlogs-calico-apply",
        setter(*C0, "resources", "limits", "memory", value="64MB"),
        ("/spec/template/spec/containers/0/resources/limits/memory", f'Invalid value: "64MB": {QUANTITY}'),
        # refused while decoding, before validation
        f"unable to convert unstructured object to batch/v1, Kind=Job: {QUANTITY}",
        same_words=False,
    ),
    Mutation(
        "negative-cpu-request",
        "calico-l7",
        "Job",
        "flowlogs-calico-apply",
        setter(*C0, "resources", "requests", "cpu", value="-10m"),
        (
            "/spec/template/spec/containers/0/resources/requests/cpu",
            'Invalid value: "-10m": must be greater than or equal to 0',
        ),
        'spec.template.spec.containers[0].resources.requests[cpu]: Invalid value: "-10m": must be greater than or '
        "equal to 0",
    ),
    Mutation(
        "memory-request-over-its-limit",
        "calico-l7",
        "Job",
        "flowlogs-calico-apply",
        setter(*C0, "resources", "requests", "memory", value="128Mi"),
        (
            "/spec/template/spec/containers/0/resources/requests",
            'Invalid value: "128Mi": must be less than or equal to memory limit of 64Mi',
        ),
        'spec.template.spec.containers[0].resources.requests: Invalid value: "128Mi": must be less than or equal to '
        "memory limit of 64Mi",
    ),
    # exponents far beyond a float's range (and 100,000 digits, past Python's int-from-text limit) are compared
    # exactly. Not 1e9999999: kube-apiserver v1.36.2 gives the same verdict for it, but after 2.4 s of CPU.
    Mutation(
        "memory-request-over-its-limit-by-a-huge-exponent",
        "calico-l7",
        "Job",
        "flowlogs-calico-apply",
        each(
            setter(*C0, "resources", "requests", "memory", value="1e99999"),
            setter(*C0, "resources", "limits", "memory", value="1e99996"),
        ),
        (
            "/spec/template/spec/containers/0/resources/requests",
            'Invalid value: "1e99999": must be less than or equal to memory limit of 1e99996',
        ),
        'spec.template.spec.containers[0].resources.requests: Invalid value: "1e99999": must be less than or equal '
        "to memory limit of 1e99996",
    ),
    # an exponent is read as an int64 (apimachinery suffix.go interpret: strconv.ParseInt(..., 10, 64))
    Mutation(
        "quantity-exponent-beyond-int64",
        "calico-l7",
        "Job",
        "flowlogs-calico-apply",
        setter(*C0, "resources", "limits", "memory", value="1e9223372036854775808"),
        (
            "/spec/template/spec/containers/0/resources/limits/memory",
            'Invalid value: "1e9223372036854775808": unable to parse quantity\'s suffix',
        ),
        "unable to convert unstructured object to batch/v1, Kind=Job: unable to parse quantity's suffix",
        same_words=False,
    ),
    Mutation(
        "not-a-container-resource",
        "calico-l7",
        "Job",
        "flowlogs-calico-apply",
        setter(*C0, "resources", "limits", "gpu", value="1"),
        (
            "/spec/template/spec/containers/0/resources/limits/gpu",
            'Invalid value: "gpu": must be a standard resource for containers',
        ),
        'spec.template.spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for '
        "containers",
    ),
    Mutation(
        "fractional-quantities-as-numbers",
        "calico-l7",
        "Job",
        "flowlogs-calico-apply",
        each(
            setter(*C0, "resources", "requests", "cpu", value=0.01),
            setter(*C0, "resources", "limits", "memory", value="0.5Gi"),
        ),
        None,
        None,
    ),
    # Job restart policy
    Mutation(
        "job-restart-policy-always",
        "calico-l7",
        "Job",
        "flowlogs-calico-apply",
        setter(*TEMPLATE, "restartPolicy", value="Always"),
        ("/spec/template/spec/restartPolicy", 'Required value: valid values: "OnFailure", "Never"'),
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ),
    Mutation(
        "job-restart-policy-unset",
        "calico-l7",
        "Job",
        "flowlogs-calico-restore",
        removing(*TEMPLATE, "restartPolicy"),
        ("/spec/template/spec/restartPolicy", 'Required value: valid values: "OnFailure", "Never"'),
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ),
    Mutation(
        "job-restart-policy-unknown",
        "calico-l7",
        "Job",
        "flowlogs-calico-restore",
        setter(*TEMPLATE, "restartPolicy", value="Sometimes"),
        ("/spec/template/spec/restartPolicy", 'Unsupported value: "Sometimes": supported values: "OnFailure", "Never"'),
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
    ),
    Mutation(
        "job-negative-backoff-limit",
        "calico-l7",
        "Job",
        "flowlogs-calico-restore",
        setter("spec", "backoffLimit", value=-1),
        ("/spec/backoffLimit", "Invalid value: -1: must be greater than or equal to 0"),
        "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0",
    ),
    # volumes and containers
    Mutation(
        "volume-mount-names-no-volume",
        "calico-l7",
        "Job",
        "flowlogs-calico-apply",
        setter(*C0, "volumeMounts", 0, "name", value="scripts"),
        ("/spec/template/spec/containers/0/volumeMounts/0/name", 'Not found: "scripts"'),
        'spec.template.spec.containers[0].volumeMounts[0].name: Not found: "scripts"',
    ),
    Mutation(
        "volume-name-not-a-label",
        "calico-l7",
        "Job",
        "flowlogs-calico-restore",
        each(
            setter(*TEMPLATE, "volumes", 0, "name", value="Script"),
            setter(*C0, "volumeMounts", 0, "name", value="Script"),
        ),
        ("/spec/template/spec/volumes/0/name", f'Invalid value: "Script": {LABEL}'),
        f'spec.template.spec.volumes[0].name: Invalid value: "Script": {LABEL}',
    ),
    Mutation(
        "two-mounts-at-one-path",
        "calico-l7",
        "Job",
        "flowlogs-calico-restore",
        lambda obj: container(obj)["volumeMounts"].append({"name": "script", "mountPath": "/etc/flowlogs"}),
        ("/spec/template/spec/containers/0/volumeMounts/1/mountPath", 'Invalid value: "/etc/flowlogs": must be unique'),
        # server-side apply refuses it first: mountPath is the key of the list of mounts
        '.spec.template.spec.containers[name="patch"].volumeMounts: duplicate entries for key '
        '[mountPath="/etc/flowlogs"]',
        same_words=False,
    ),
    Mutation(
        "container-name-uppercase",
        "calico-l7",
        "Job",
        "flowlogs-calico-restore",
        setter(*C0, "name", value="Patch"),
        ("/spec/template/spec/containers/0/name", f'Invalid value: "Patch": {LABEL}'),
        f'spec.template.spec.containers[0].name: Invalid value: "Patch": {LABEL}',
    ),
    Mutation(
        "node-selector-value-with-a-space",
        "calico-l7",
        "Job",
        "flowlogs-calico-restore",
        setter(*TEMPLATE, "nodeSelector", value={"kubernetes.io/os": "linux os"}),
        ("/spec/template/spec/nodeSelector/kubernetes.io~1os", f'Invalid value: "linux os": {LABEL_VALUE}'),
        f'spec.template.spec.nodeSelector: Invalid value: "linux os": {LABEL_VALUE}',
    ),
    Mutation(
        "toleration-exists-with-a-value",
        "calico-l7",
        "Job",
        "flowlogs-calico-restore",
        setter(*TEMPLATE, "tolerations", value=[{"key": "dedicated", "operator": "Exists", "value": "flowlogs"}]),
        (
            "/spec/template/spec/tolerations/0/operator",
            "Invalid value: \"flowlogs\": value must be empty when `operator` is 'Exists'",
        ),
        'spec.template.spec.tolerations[0].operator: Invalid value: "flowlogs": value must be empty when `operator` '
        "is 'Exists'",
    ),
    Mutation(
        "service-account-name-uppercase",
        "calico-l7",
        "Job",
        "flowlogs-calico-restore",
        setter(*TEMPLATE, "serviceAccountName", value="Flowlogs"),
        ("/spec/template/spec/serviceAccountName", f'Invalid value: "Flowlogs": {SUBDOMAIN}'),
        f'spec.template.spec.serviceAccountName: Invalid value: "Flowlogs": {SUBDOMAIN}',
    ),
    # RBAC references
    Mutation(
        "rolebinding-roleref-kind",
        "calico-l7",
        "RoleBinding",
        "flowlogs-calico-patch",
        setter("roleRef", "kind", value="role"),
        ("/roleRef/kind", 'Unsupported value: "role": supported values: "Role", "ClusterRole"'),
        'roleRef.kind: Unsupported value: "role": supported values: "Role", "ClusterRole"',
    ),
    Mutation(
        "rolebinding-roleref-api-group-with-version",
        "calico-l7",
        "RoleBinding",
        "flowlogs-calico-patch",
        setter("roleRef", "apiGroup", value="rbac.authorization.k8s.io/v1"),
        (
            "/roleRef/apiGroup",
            'Unsupported value: "rbac.authorization.k8s.io/v1": supported values: "rbac.authorization.k8s.io"',
        ),
        'roleRef.apiGroup: Unsupported value: "rbac.authorization.k8s.io/v1": supported values: '
        '"rbac.authorization.k8s.io"',
    ),
    Mutation(
        "rolebinding-roleref-name-is-a-path-segment",
        "calico-l7",
        "RoleBinding",
        "flowlogs-calico-patch",
        setter("roleRef", "name", value="Flowlogs_Calico_Patch"),
        None,
        None,
    ),
    Mutation(
        "clusterrolebinding-to-a-role",
        "calico-l7",
        "ClusterRoleBinding",
        "flowlogs-calico-felix",
        setter("roleRef", "kind", value="Role"),
        ("/roleRef/kind", 'Unsupported value: "Role": supported values: "ClusterRole"'),
        'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
    ),
    Mutation(
        "clusterrolebinding-service-account-without-namespace",
        "calico-l7",
        "ClusterRoleBinding",
        "flowlogs-calico-felix",
        removing("subjects", 0, "namespace"),
        ("/subjects/0/namespace", "Required value"),
        "subjects[0].namespace: Required value",
    ),
    Mutation(
        "subject-kind-misspelt",
        "calico-l7",
        "RoleBinding",
        "flowlogs-calico-patch",
        setter("subjects", 0, "kind", value="Serviceaccount"),
        (
            "/subjects/0/kind",
            'Unsupported value: "Serviceaccount": supported values: "ServiceAccount", "User", "Group"',
        ),
        'subjects[0].kind: Unsupported value: "Serviceaccount": supported values: "ServiceAccount", "User", "Group"',
    ),
    Mutation(
        "service-account-subject-with-the-rbac-group",
        "calico-l7",
        "RoleBinding",
        "flowlogs-calico-patch",
        setter("subjects", 0, "apiGroup", value="rbac.authorization.k8s.io"),
        ("/subjects/0/apiGroup", 'Unsupported value: "rbac.authorization.k8s.io": supported values: ""'),
        'subjects[0].apiGroup: Unsupported value: "rbac.authorization.k8s.io": supported values: ""',
    ),
    Mutation(
        "service-account-subject-name",
        "calico-l7",
        "RoleBinding",
        "flowlogs-calico-patch",
        setter("subjects", 0, "name", value="Flowlogs_Patch"),
        ("/subjects/0/name", f'Invalid value: "Flowlogs_Patch": {SUBDOMAIN}'),
        f'subjects[0].name: Invalid value: "Flowlogs_Patch": {SUBDOMAIN}',
    ),
    Mutation(
        "user-subject-without-api-group",
        "calico-l7",
        "RoleBinding",
        "flowlogs-calico-patch",
        setter("subjects", 0, value={"kind": "User", "name": "alice"}),
        None,
        None,
    ),
    Mutation(
        "role-rule-without-verbs",
        "calico-l7",
        "Role",
        "flowlogs-calico-patch",
        setter("rules", 0, "verbs", value=[]),
        ("/rules/0/verbs", "Required value: verbs must contain at least one value"),
        "rules[0].verbs: Required value: verbs must contain at least one value",
    ),
    Mutation(
        "clusterrole-rule-without-api-groups",
        "calico-l7",
        "ClusterRole",
        "flowlogs-calico-felix",
        setter("rules", 1, "apiGroups", value=[]),
        ("/rules/1/apiGroups", "Required value: resource rules must supply at least one api group"),
        "rules[1].apiGroups: Required value: resource rules must supply at least one api group",
    ),
    Mutation(
        "role-rule-with-non-resource-urls",
        "calico-l7",
        "Role",
        "flowlogs-calico-patch",
        setter("rules", 0, value={"nonResourceURLs": ["/healthz"], "verbs": ["get"]}),
        ("/rules/0/nonResourceURLs", 'Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs'),
        'rules[0].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs',
    ),
    # the kinds of patch-mode gitops (partial manifests) and the Jobs' NetworkPolicy
    Mutation(
        "service-name-with-a-dot",
        "partial-kinds",
        "Service",
        "frontend",
        # with the ports of the Service that would have to exist, so that the name is all the server can refuse
        each(setter("metadata", "name", value="front.end"), setter("spec", value={"ports": [{"port": 80}]})),
        ("/metadata/name", 'Invalid value: "front.end": must not contain dots'),
        'metadata.name: Invalid value: "front.end": must not contain dots',
    ),
    Mutation(
        "service-name-starting-with-a-digit-is-a-label",
        "partial-kinds",
        "Service",
        "frontend",
        each(setter("metadata", "name", value="1frontend"), setter("spec", value={"ports": [{"port": 80}]})),
        None,
        None,
    ),
    Mutation(
        "statefulset-name-with-a-dot",
        "partial-kinds",
        "StatefulSet",
        "db",
        setter("metadata", "name", value="db.main"),
        ("/metadata/name", 'Invalid value: "db.main": must not contain dots'),
        'metadata.name: Invalid value: "db.main": must not contain dots',
    ),
    Mutation(
        "daemonset-pod-template-label-value",
        "partial-kinds",
        "DaemonSet",
        "agent",
        setter(
            "spec", "template", "metadata", "labels", "applicationlayer.projectcalico.org/sidecar", value="yes please"
        ),
        (
            "/spec/template/metadata/labels/applicationlayer.projectcalico.org~1sidecar",
            f'Invalid value: "yes please": {LABEL_VALUE}',
        ),
        f'spec.template.labels: Invalid value: "yes please": {LABEL_VALUE}',
    ),
    Mutation(
        "networkpolicy-name-uppercase",
        "network-policy",
        "NetworkPolicy",
        "flowlogs-calico-patch",
        setter("metadata", "name", value="Flowlogs-Calico-Patch"),
        ("/metadata/name", f'Invalid value: "Flowlogs-Calico-Patch": {SUBDOMAIN}'),
        f'metadata.name: Invalid value: "Flowlogs-Calico-Patch": {SUBDOMAIN}',
    ),
    # ConfigMap keys
    Mutation(
        "configmap-key-with-a-space",
        "calico-l7",
        "ConfigMap",
        "flowlogs-calico-state",
        lambda obj: obj["data"].update({"desired json": obj["data"].pop("desired.json")}),
        ("/data/desired json", f'Invalid value: "desired json": {CONFIG_KEY}'),
        f'data[desired json]: Invalid value: "desired json": {CONFIG_KEY}',
    ),
)


# The kinds no shipped profile renders: patch-mode gitops's partial Service, StatefulSet and
# DaemonSet, and the Jobs' NetworkPolicy (a chart value only: `--set calico.job.networkPolicy.enabled=true`).
PARTIAL_KINDS_PROFILE = """\
calico:
  version: "3.20"
  sidecar-injection: on
  patch-mode: gitops
  services:
    - {namespace: shop, name: [frontend]}
  workloads:
    - {kind: StatefulSet, namespace: shop, name: [db]}
    - {kind: DaemonSet, namespace: shop, name: [agent]}
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Obj]]:
    found = {
        profile: documents(render(profile))
        for profile in sorted({m.profile for m in MUTATIONS} - {"gitops", "partial-kinds", "network-policy"})
    }
    found["gitops"] = documents(
        "".join("---\n" + path.read_text(encoding="utf-8") for path in sorted(GITOPS.rglob("*.yaml")))
    )
    profile = tmp_path_factory.mktemp("profiles") / "partial-kinds.yaml"
    profile.write_text(PARTIAL_KINDS_PROFILE, encoding="utf-8")
    found["partial-kinds"] = documents(render(str(profile)))
    values = yaml.safe_load((CHART / "profiles" / "calico-l7" / "values.yaml").read_text(encoding="utf-8"))
    values["calico"]["job"] = {**values["calico"].get("job", {}), "networkPolicy": {"enabled": True}}
    manifests = EmbeddedHelm().template(CHART, values, release_name="flowlogs", namespace=RELEASE_NAMESPACE)
    found["network-policy"] = [
        obj for obj in documents("---\n".join(m.text for m in manifests)) if obj["kind"] == "NetworkPolicy"
    ]
    return found


@pytest.fixture(scope="module")
def mutated(rendered: dict[str, list[Obj]]) -> list[Obj]:
    """Each mutation applied to a copy of its rendered object, renamed `m<number>-...` so that the
    server's messages can be told apart (unless the name is what the mutation changes)."""
    objects = []
    for number, mutation in enumerate(MUTATIONS):
        [obj] = [
            o
            for o in rendered[mutation.profile]
            if (o["kind"], o["metadata"]["name"]) == (mutation.kind, mutation.name)
        ]
        obj = copy.deepcopy(obj)
        mutation.change(obj)
        if obj["metadata"]["name"] == mutation.name:
            obj["metadata"]["name"] = f"m{number}-{mutation.name}"
        objects.append(obj)
    return objects


def test_the_table_changes_every_kind_flowlogs_renders(rendered):
    kinds = {obj["kind"] for objects in rendered.values() for obj in objects}
    # Custom resources have one rule (a DNS subdomain name): Application stands for them all.
    assert {m.kind for m in MUTATIONS} == kinds - {"ApplicationSet", "ApplicationLayer", "FelixConfiguration"}
    assert len({m.id for m in MUTATIONS}) == len(MUTATIONS)


def test_unchanged_rendered_manifests_break_no_server_rule(rendered):
    for objects in rendered.values():
        for obj in objects:
            assert server_rule_issues(obj) == (), obj["metadata"]["name"]


@pytest.fixture(scope="module")
def validator_verdicts(
    mutated: list[Obj], tmp_path_factory: pytest.TempPathFactory
) -> dict[int, list[tuple[str, str]]]:
    """The validator's (pointer, message) issues of each mutated object (schema and server rules),
    from one run over a file of all of them (as `flowlogs validate --documents FILE`)."""
    path = tmp_path_factory.mktemp("mutations") / "mutated.yaml"
    path.write_text(yaml.safe_dump_all(mutated), encoding="utf-8")
    report = validate(ValidateOptions(CHART, (), auto_binaries=False, extra_documents=(("mutations", path),)))
    verdicts: dict[int, list[tuple[str, str]]] = {number: [] for number in range(len(mutated))}
    for result in report.results:
        assert result.check in (Check.SCHEMA, Check.SERVER_RULES), result
        verdicts[result.index] += [(issue.path, issue.message) for issue in result.issues]
    return verdicts


@pytest.mark.parametrize("number", range(len(MUTATIONS)), ids=[m.id for m in MUTATIONS])
def test_validator_verdict(validator_verdicts, number):
    mutation = MUTATIONS[number]
    if mutation.validator is None:
        assert validator_verdicts[number] == []
    else:
        assert mutation.validator in validator_verdicts[number], validator_verdicts[number]


@pytest.fixture(scope="module")
def server_verdicts(kube_apiserver: Any, mutated: list[Obj]) -> tuple[set[str], dict[str, str]]:
    """One dry-run server-side apply of all mutated objects: the names the server accepted
    (kubectl's "KIND/NAME serverside-applied (server dry run)" lines), and its message about each
    name it refused."""
    prepare(kube_apiserver, mutated)
    completed = kube_apiserver.kubectl(
        "apply",
        "--server-side",
        "--dry-run=server",
        "--field-manager=flowlogs",
        "-f",
        "-",
        input=yaml.safe_dump_all(mutated),
        check=False,
    )
    accepted = set(re.findall(r"^\S+/(\S+) serverside-applied \(server dry run\)$", completed.stdout, re.MULTILINE))
    errors = {}
    for name in (obj["metadata"]["name"] for obj in mutated):
        whole = re.compile(rf"(?<![-\w.]){re.escape(name)}(?![-\w.])")  # m1-... is not m11-...
        errors.update((name, chunk) for chunk in completed.stderr.split("Error from server") if whole.search(chunk))
    return accepted, errors


@pytest.mark.parametrize("number", range(len(MUTATIONS)), ids=[m.id for m in MUTATIONS])
def test_server_verdict(server_verdicts, mutated, number):
    mutation, name = MUTATIONS[number], mutated[number]["metadata"]["name"]
    accepted, errors = server_verdicts
    if mutation.server is None:
        assert name in accepted, errors.get(name)
        assert name not in errors
        return
    assert name not in accepted
    assert mutation.server in errors[name], errors[name]
    if mutation.same_words:
        assert mutation.validator is not None and mutation.validator[1] in errors[name]


def test_rbac_names_are_path_segments_on_the_server(kube_apiserver):
    """kubectl refuses a name with '/' before sending it; the server's own verdict, by a raw request."""
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "flowlogs/calico"},
        "rules": [],
    }
    assert [issue.message for issue in server_rule_issues(role)] == [
        "Invalid value: \"flowlogs/calico\": may not contain '/'"
    ]
    refused = kube_apiserver.kubectl(
        "create",
        "--raw",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles?dryRun=All",
        "-f",
        "-",
        input=json.dumps(role),
        check=False,
    )
    assert refused.returncode == 1
    assert "metadata.name: Invalid value: \"flowlogs/calico\": may not contain '/'" in refused.stderr, refused.stderr


# --- through what a user can set today -------------------------------------------------------

HELM = ROOT / ".cache" / "bin" / "helm"


def helm_template(*sets: str) -> str:
    """The chart with calico-l7's compiled values and a user's --set, as `helm template` renders it."""
    completed = upstream_tools.ask_helm(
        "template",
        "flowlogs",
        CHART,
        "--namespace",
        "flowlogs-system",
        "-f",
        CHART / "profiles" / "calico-l7" / "values.yaml",
        *sets,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


SET_CASES = (
    # (--set, the kind and the validator's issue)
    (
        ("--set", "calico.job.resources.requests.memory=128Mi"),
        (
            "Job",
            "/spec/template/spec/containers/0/resources/requests",
            'Invalid value: "128Mi": must be less than or equal to memory limit of 64Mi',
        ),
    ),
    (
        ("--set", "commonLabels.team=platform team"),
        ("ConfigMap", "/metadata/labels/team", f'Invalid value: "platform team": {LABEL_VALUE}'),
    ),
    (
        ("--set", "calico.job.nodeSelector.pool=system pool"),
        ("Job", "/spec/template/spec/nodeSelector/pool", f'Invalid value: "system pool": {LABEL_VALUE}'),
    ),
)


@pytest.mark.skipif(not HELM.is_file(), reason=f"no helm at {HELM}: run `make helm-binary`")
@pytest.mark.parametrize(("sets", "issue"), SET_CASES, ids=[sets[1].split("=")[0] for sets, _ in SET_CASES])
def test_a_users_set_that_the_server_refuses_is_invalid(run_cli, sets, issue, tmp_path):
    path = tmp_path / "rendered.yaml"
    path.write_text(helm_template(*sets), encoding="utf-8")
    result = run_cli(
        "--chart-dir",
        str(CHART),
        "--values-dir",
        str(VALUES),
        "validate",
        "--embedded-only",
        "--documents",
        str(path),
        "calico-l7",
        "-o",
        "json",
    )
    assert result.code == 1, result.out
    report = json.loads(result.out)
    failing = [
        (r["kind"], e["path"], e["msg"])
        for r in report["resources"]
        if r["check"] == "server-rules"
        for e in r["validationErrors"]
    ]
    assert issue in failing, failing


def test_a_fleet_clusters_values_that_the_server_refuses_are_invalid(run_cli, tmp_path):
    values = tmp_path / "values"
    values.mkdir()
    (values / "calico-l7.yaml").write_text((VALUES / "calico-l7.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (values / "fleet.yaml").write_text(
        "gitops:\n  repo-url: https://git.example.com/platform/flowlogs.git\nclusters:\n"
        '  - {name: e, server: "https://e.example.com", profile: calico-l7, overrides: {values: {commonLabels: {team: '
        '"net team"}}}}\n',
        encoding="utf-8",
    )
    result = run_cli(
        "--values-dir", str(values), "--chart-dir", str(tmp_path / "chart"), "validate", "--fleet", "--embedded-only"
    )
    assert result.code == 1, result.out + result.err
    lines = [line for line in result.out.splitlines() if "server-rules check failed" in line]
    assert lines and all(
        f'/metadata/labels/team: Invalid value: "net team": {LABEL_VALUE}' in line for line in lines
    ), result.out
    assert re.search(
        r"calico-l7 \[1 cluster\(s\): e\] - .* - ServiceAccount flowlogs-calico-patch server-rules check failed",
        result.out,
    )


# --- the rules' own edges (values from apimachinery's quantity_test.go) ----------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("64Mi", 64 * 2**20),
        ("0.5Gi", 2**29),
        ("10m", 0.01),
        ("1e3", 1000),
        ("1E-3", 0.001),
        ("+5", 5),
        ("1.", 1),
        (".5", 0.5),
        ("0", 0),
        ("-0.1", -0.1),
        ("1k", 1000),
    ],
)
def test_quantities_the_server_reads(text, value):
    assert float(parse_quantity(text)) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "64MB", "1.2.3", "1Kii", "1ee3", "1 Gi", "Gi1", "1e"])
def test_quantities_the_server_refuses(text):
    with pytest.raises(ValueError, match="quantities must match|unable to parse quantity's suffix"):
        parse_quantity(text)


def test_a_partial_manifest_is_not_asked_for_what_its_live_object_has():
    partial = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "checkout",
            "namespace": "shop",
            "annotations": {"argocd.argoproj.io/sync-options": "ServerSideApply=true,Validate=false"},
        },
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "app", "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}
            }
        },
    }
    assert server_rule_issues(partial) == ()
    partial["spec"]["template"]["metadata"] = {"labels": {"team": "net team"}}
    assert [issue.path for issue in server_rule_issues(partial)] == ["/spec/template/metadata/labels/team"]


def test_quantities_of_any_size_are_read_exactly():
    # Go keeps a quantity's digits and exponent apart (inf.Dec), and so does the validator: exponents of any
    # size are compared without writing the number out; 5,000 digits are a number like any other, past
    # Python's int-from-text limit of 4,300.
    assert parse_quantity("1e2147483647") > parse_quantity("1e2147483646") > parse_quantity("1e-2147483647") > 0
    assert parse_quantity("1" + "0" * 5000) == 10**5000
    assert parse_quantity("-1e99999999") < 0
    with pytest.raises(ValueError, match="unable to parse quantity's suffix"):
        parse_quantity("1e9223372036854775808")

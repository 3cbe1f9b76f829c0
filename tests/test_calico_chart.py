"""The Calico part of the chart, rendered with the real Helm engine from charts built in tmp.

Covers the seed equivalence, the hook Jobs (RBAC, restricted Pod Security, hooks), GitOps mode,
`helm lint --strict`, the values schema, and strict validation of every Calico resource against
the real CRDs in ../shared/crds (converted to JSON Schema as kubeconform's openapi2jsonschema
does), skipped with a reason when those are absent.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from conftest import load_yaml
from flowlogs.errors import HelmError
from flowlogs.generate import generate
from flowlogs.helm import EmbeddedHelm

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CRDS = SHARED / "crds"
SEED = sorted((SHARED / "seeds").glob("001_*.txt"))
DOCS_319 = SHARED / "upstream" / "calico" / "docs_ce3.19_l7_configure.mdx"
needs_crds = pytest.mark.skipif(
    not CRDS.is_dir(), reason=f"real CRDs not found at {CRDS} (../shared is only on dev machines)"
)
needs_seed = pytest.mark.skipif(
    not SEED or not DOCS_319.is_file(), reason="the seed (../shared/seeds/001_*.txt) or the CE 3.19 docs page is absent"
)

RELEASE, NAMESPACE = "flowlogs", "flowlogs-system"
SYNC_OPTIONS = "ServerSideApply=true,Validate=false,Prune=false,Delete=false"
# Deselected partial manifests are not pruned (Prune=false) and would keep the Application OutOfSync;
# IgnoreExtraneous leaves them out of its sync status (argo-cd docs/user-guide/compare-options.md).
COMPARE_OPTIONS = "IgnoreExtraneous"

EXTRA_PROFILES = {
    "gitops": """
calico:
  version: "3.20"
  patch-mode: gitops
  sidecar-injection: on
  felix:
    policy-sync-api: on
    flush-interval: 60s
    aggregation: {url: trim-query, source-info: exclude}
  services:
    - {namespace: shop, name: [frontend, checkout]}
  workloads:
    - {kind: Deployment, namespace: shop, name: web}
    - {kind: StatefulSet, namespace: db, name: pg}
    - {kind: DaemonSet, namespace: edge, name: proxy}
  cluster: {platform: eks}
""",
    "selectors": """
calico:
  version: "3.20"
  felix-api: crd.projectcalico.org/v1
  sidecar-injection: on
  felix: {policy-sync-api: on}
  services:
    - {namespace: shop, name: [frontend, checkout]}
    - {namespace: shop, selector: tier=web}
    - {namespace: pay, selector: "app in (pay, refund)"}
  workloads:
    - {kind: Deployment, namespace: shop, name: web}
    - {kind: StatefulSet, namespace: db, selector: {app: pg}}
  envoy: {xff-num-trusted-hops: 1, use-remote-address: true}
  resources:
    l7-collector: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 128Mi}}
  cluster: {platform: openshift}
""",
    "everything-319": """
calico:
  version: "3.19"
  interval: 10s
  requests-per-interval: 500
  felix:
    policy-sync-api: on
    flush-interval: 1m
    log-to-file: on
    file-directory: /var/log/calico/l7
    max-files: 3
    max-file-size-mb: 50
    per-node-limit: unlimited
    aggregation:
      http-header-info: include
      http-method: exclude
      service-info: exclude
      destination-info: exclude
      source-info: include
      response-code: exclude
      url: trim-query-and-path
      url-path-parts: all
      url-char-limit: 100
  services: [{namespace: shop, name: frontend}]
  envoy: {xff-num-trusted-hops: 2}
  resources:
    envoy-proxy: {requests: {cpu: 100m}, limits: {cpu: 500m, memory: 512Mi}}
    l7-collector: {limits: {memory: 1Gi}}
  cluster: {platform: eks}
""",
}


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("calico-chart")
    values_dir = root / "values"
    values_dir.mkdir()
    for name in ("calico-l7", "both", "cilium-exporter"):
        shutil.copy(ROOT / "values" / f"{name}.yaml", values_dir)
    for name, text in EXTRA_PROFILES.items():
        (values_dir / f"{name}.yaml").write_text(text.lstrip("\n"), encoding="utf-8")
    generate(values_dir, root / "chart")
    return root / "chart"


def profile_values(chart: Path, profile: str) -> dict[str, Any]:
    return dict(load_yaml((chart / "profiles" / profile / "values.yaml").read_text(encoding="utf-8")))


def render(chart: Path, values: dict[str, Any]) -> list[dict[str, Any]]:
    manifests = EmbeddedHelm().template(chart, values, release_name=RELEASE, namespace=NAMESPACE)
    return [load_yaml(m.text) for m in manifests if "/calico/" in m.template]


def render_profile(chart: Path, profile: str) -> list[dict[str, Any]]:
    return copy.deepcopy(_rendered_profile(chart, profile))  # the tests' own copy: some change what they read


@functools.cache  # the module's chart is generated once and never changed: each profile rendered once per process
def _rendered_profile(chart: Path, profile: str) -> list[dict[str, Any]]:
    return render(chart, profile_values(chart, profile))


def pick(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = pick(docs, kind, name)
    assert len(found) == 1, [(d["kind"], d["metadata"]["name"]) for d in docs]
    return found[0]


def desired_state(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return dict(json.loads(one(docs, "ConfigMap", "flowlogs-calico-state")["data"]["desired.json"]))


# ------------------------------------------------------------------------------ the seed


def seed_facts() -> tuple[dict[str, Any], dict[str, Any], str]:
    text = SEED[0].read_text(encoding="utf-8")
    log_collection = {
        key: (int(value) if re.fullmatch(r"-?[0-9]+", value) else value)
        for key, value in re.findall(
            r"^\s*(collectLogs|logIntervalSeconds|logRequestsPerInterval): (\S+)\s*$", text, re.MULTILINE
        )
    }
    patch = json.loads(re.search((r"kubectl patch felixconfiguration default --type='merge' -p '(\{.*\})'"), text)[1])  # type: ignore[index]
    # the seed page lost the annotation from its kubectl line; the CE 3.19 docs source has it
    annotation = re.search(
        r"kubectl annotate svc <service-name> -n <service-namespace> (\S+)=true", DOCS_319.read_text(encoding="utf-8")
    )[1]  # type: ignore[index]
    return log_collection, patch, annotation


@needs_seed
def test_calico_l7_reproduces_the_seed(chart: Path) -> None:
    log_collection, felix_patch, annotation = seed_facts()
    assert log_collection == {"collectLogs": "Enabled", "logIntervalSeconds": 5, "logRequestsPerInterval": -1}
    assert annotation == "projectcalico.org/l7-logging"
    docs = render_profile(chart, "calico-l7")
    layer = one(docs, "ApplicationLayer")
    assert layer["apiVersion"] == "operator.tigera.io/v1"
    assert layer["metadata"]["name"] == "tigera-secure" and "namespace" not in layer["metadata"]
    assert layer["spec"] == {"logCollection": log_collection}
    state = desired_state(docs)
    assert {"spec": state["felix"]["spec"]} == felix_patch
    facts = state.pop("facts")
    assert state == {
        "felix": {"apiVersion": "projectcalico.org/v3", "spec": {"policySyncPathPrefix": "/var/run/nodeagent"}},
        "services": [{"namespace": "shop", "names": ["checkout", "frontend"]}],
        "workloads": [],
        "readyTimeoutSeconds": 600,
    }
    # the Job sets exactly the seed's annotation, as the string "true"; 3.19 has no sidecar
    assert (facts["serviceAnnotations"], facts["sidecar"]) == ({annotation: "true"}, {})
    assert json.loads(one(docs, "ConfigMap", "flowlogs-calico-apply")["data"]["desired.json"])["facts"] == facts
    assert sorted((d["kind"], d["metadata"]["name"]) for d in docs) == [
        ("ApplicationLayer", "tigera-secure"),
        ("ClusterRole", "flowlogs-calico-felix"),
        ("ClusterRoleBinding", "flowlogs-calico-felix"),
        ("ConfigMap", "flowlogs-calico-apply"),
        ("ConfigMap", "flowlogs-calico-restore"),
        ("ConfigMap", "flowlogs-calico-state"),
        ("Job", "flowlogs-calico-apply"),
        ("Job", "flowlogs-calico-restore"),
        ("Role", "flowlogs-calico-patch"),
        ("RoleBinding", "flowlogs-calico-patch"),
        ("ServiceAccount", "flowlogs-calico-patch"),
    ]


def test_every_felix_field_reaches_the_job(chart: Path) -> None:
    state = desired_state(render_profile(chart, "everything-319"))
    assert state["felix"]["spec"] == {
        "policySyncPathPrefix": "/var/run/nodeagent",
        "l7LogsFlushInterval": "1m",
        "l7LogsFileDirectory": "/var/log/calico/l7",
        "l7LogsFileMaxFiles": 3,
        "l7LogsFileMaxFileSizeMB": 50,
        "l7LogsFilePerNodeLimit": 0,
        "l7LogsFileAggregationHTTPHeaderInfo": "IncludeL7HTTPHeaderInfo",
        "l7LogsFileAggregationHTTPMethod": "ExcludeL7HTTPMethod",
        "l7LogsFileAggregationServiceInfo": "ExcludeL7ServiceInfo",
        "l7LogsFileAggregationDestinationInfo": "ExcludeL7DestinationInfo",
        "l7LogsFileAggregationSourceInfo": "IncludeL7SourceInfo",
        "l7LogsFileAggregationResponseCode": "ExcludeL7ResponseCode",
        "l7LogsFileAggregationTrimURL": "TrimURLQueryAndPath",
        "l7LogsFileAggregationNumURLPath": -1,
        "l7LogsFileAggregationURLCharLimit": 100,
    }


# ----------------------------------------------------------------------- the hook Jobs


def test_job_rbac_exact_rules(chart: Path) -> None:
    docs = render_profile(chart, "selectors")
    assert one(docs, "ClusterRole")["rules"] == [
        {
            "apiGroups": ["crd.projectcalico.org"],
            "resources": ["felixconfigurations"],
            "resourceNames": ["default"],
            "verbs": ["get", "patch"],
        },
        # the apply Job waits for the operator: exactly get on tigera-secure
        {
            "apiGroups": ["operator.tigera.io"],
            "resources": ["applicationlayers"],
            "resourceNames": ["tigera-secure"],
            "verbs": ["get"],
        },
    ]
    roles = {d["metadata"]["namespace"]: d["rules"] for d in pick(docs, "Role")}
    assert roles == {
        "db": [{"apiGroups": ["apps"], "resources": ["statefulsets"], "verbs": ["list", "patch"]}],
        "pay": [{"apiGroups": [""], "resources": ["services"], "verbs": ["list", "patch"]}],
        "shop": [
            {
                "apiGroups": [""],
                "resources": ["services"],
                "resourceNames": ["checkout", "frontend"],
                "verbs": ["get", "patch"],
            },
            {"apiGroups": [""], "resources": ["services"], "verbs": ["list", "patch"]},
            {"apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["web"], "verbs": ["get", "patch"]},
        ],
        # with workloads (3.20 sidecars) the Job waits for what the 3.20 guide waits for
        # (docs_ce3.20_l7_configure.mdx: rollout status of these two): get on exactly them
        "tigera-system": [
            {
                "apiGroups": ["apps"],
                "resources": ["deployments"],
                "resourceNames": ["tigera-apiserver"],
                "verbs": ["get"],
            }
        ],
        "calico-system": [
            {
                "apiGroups": ["apps"],
                "resources": ["daemonsets"],
                "resourceNames": ["l7-log-collector"],
                "verbs": ["get"],
            }
        ],
    }
    for binding in pick(docs, "RoleBinding") + pick(docs, "ClusterRoleBinding"):
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "flowlogs-calico-patch", "namespace": NAMESPACE}
        ]
    assert {b["metadata"]["namespace"] for b in pick(docs, "RoleBinding")} == {
        "db",
        "pay",
        "shop",
        "tigera-system",
        "calico-system",
    }
    assert one(docs, "ClusterRoleBinding")["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "flowlogs-calico-felix",
    }
    assert one(render_profile(chart, "calico-l7"), "ClusterRole")["rules"][0]["apiGroups"] == ["projectcalico.org"]


def restricted_pss_violations(pod: dict[str, Any]) -> list[str]:
    """The Kubernetes "restricted" Pod Security Standard (v1.25+), checked field by field."""
    problems = []
    spec = pod["spec"]
    pod_context = spec.get("securityContext", {})
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(flag):
            problems.append(flag)
    allowed_volumes = {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
    for volume in spec.get("volumes", []):
        if not set(volume) - {"name"} <= allowed_volumes:
            problems.append(f"volume {volume['name']}")
    for container in spec.get("initContainers", []) + spec["containers"]:
        context = container.get("securityContext", {})
        if context.get("privileged"):
            problems.append("privileged")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append("allowPrivilegeEscalation")
        if context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is not True:
            problems.append("runAsNonRoot")
        if context.get("runAsUser", pod_context.get("runAsUser")) == 0:
            problems.append("runAsUser 0")
        seccomp = context.get("seccompProfile", pod_context.get("seccompProfile", {}))
        if seccomp.get("type") not in ("RuntimeDefault", "Localhost"):
            problems.append("seccompProfile")
        capabilities = context.get("capabilities", {})
        if "ALL" not in capabilities.get("drop", []) or not set(capabilities.get("add", [])) <= {"NET_BIND_SERVICE"}:
            problems.append("capabilities")
        if any(port.get("hostPort") for port in container.get("ports", [])):
            problems.append("hostPort")
    return problems


def test_jobs_pass_the_restricted_pod_security_standard(chart: Path) -> None:
    docs = render_profile(chart, "calico-l7")
    jobs = {d["metadata"]["name"]: d for d in pick(docs, "Job")}
    assert set(jobs) == {"flowlogs-calico-apply", "flowlogs-calico-restore"}
    for job in jobs.values():
        pod = job["spec"]["template"]
        assert restricted_pss_violations(pod) == []
        spec = pod["spec"]
        assert spec["securityContext"] == {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "runAsGroup": 65534,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        (container,) = spec["containers"]
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        assert container["image"] == "docker.io/library/python:3.12.8-alpine3.21"
        assert spec["serviceAccountName"] == "flowlogs-calico-patch"
        assert spec["restartPolicy"] == "Never"
        assert job["metadata"]["annotations"]["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    assert jobs["flowlogs-calico-apply"]["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    assert jobs["flowlogs-calico-restore"]["metadata"]["annotations"]["helm.sh/hook"] == "pre-delete"
    assert jobs["flowlogs-calico-apply"]["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "python3",
        "/etc/flowlogs/calico-l7-patch.py",
        "apply",
        "/etc/flowlogs/desired.json",
    ]
    assert jobs["flowlogs-calico-restore"]["spec"]["template"]["spec"]["containers"][0]["command"][2] == "restore"
    assert one(docs, "ServiceAccount")["automountServiceAccountToken"] is False
    for step, hook in (("apply", "post-install,post-upgrade"), ("restore", "pre-delete")):
        script = one(docs, "ConfigMap", f"flowlogs-calico-{step}")  # each Job's own, a hook of the Job's phase
        assert script["metadata"]["annotations"] == {
            "helm.sh/hook": hook,
            "helm.sh/hook-weight": "-10",
            "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
        }
        assert script["data"]["calico-l7-patch.py"] == (chart / "files" / "calico-l7-patch.py").read_text(
            encoding="utf-8"
        )
        assert script["data"]["desired.json"] == one(docs, "ConfigMap", "flowlogs-calico-state")["data"]["desired.json"]
        assert jobs[f"flowlogs-calico-{step}"]["spec"]["template"]["spec"]["volumes"][0] == {
            "name": "script",
            "configMap": {"name": f"flowlogs-calico-{step}"},
        }
        assert jobs[f"flowlogs-calico-{step}"]["spec"]["activeDeadlineSeconds"] == 900  # readyTimeoutSeconds 600 + 300


# Argo CD maps Helm hooks to its phases (docs/user-guide/helm.md: pre-install/pre-upgrade -> PreSync,
# post-install/post-upgrade -> PostSync, pre-delete -> PreDelete since 3.3.0, argoproj/argo-cd#22288).
# An object whose hook annotation names pre-delete and another phase breaks on 3.3.0-3.3.2 (not
# recreated for PreDelete after hook-succeeded deleted it, argoproj/argo-cd#26404) and on 3.3.3-3.3.4
# (taken as PreDelete only after #26420, so no longer created in its sync phase); fixed by #26996, in
# v3.3.5 (commit 494b44ca5b, #26999) and v3.4.0 (commit b66dea4282, #26998) of argoproj/argo-cd.
ARGO_CD_PHASE = {
    "pre-install": "PreSync",
    "pre-upgrade": "PreSync",
    "post-install": "PostSync",
    "post-upgrade": "PostSync",
    "pre-delete": "PreDelete",
}


@pytest.mark.parametrize("previous_release", [False, True], ids=["install", "upgrade"])
@pytest.mark.parametrize("profile", ["calico-l7", "both", "selectors", "everything-319"])
def test_no_object_is_a_pre_delete_hook_and_another_phase(
    chart: Path, tmp_path: Path, profile: str, previous_release: bool
) -> None:
    source = chart_with_previous_release(chart, tmp_path) if previous_release else chart
    docs = render(source, profile_values(chart, profile))
    hooked = [d for d in docs if "helm.sh/hook" in d["metadata"].get("annotations", {})]
    assert hooked
    for doc in hooked:
        phases = {ARGO_CD_PHASE[hook] for hook in doc["metadata"]["annotations"]["helm.sh/hook"].split(",")}
        assert len(phases) == 1, (doc["kind"], doc["metadata"]["name"], phases)
    # and every Job mounts a script ConfigMap created in the Job's own phase, before it (weight -10)
    for job in pick(hooked, "Job"):
        (mounted,) = [
            v["configMap"]["name"] for v in job["spec"]["template"]["spec"]["volumes"] if v["name"] == "script"
        ]
        script = one(hooked, "ConfigMap", mounted)
        assert script["metadata"]["annotations"]["helm.sh/hook"] == job["metadata"]["annotations"]["helm.sh/hook"]
        assert int(script["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
            job["metadata"]["annotations"].get("helm.sh/hook-weight", "0")
        )


def test_job_scheduling_and_pull_secrets(chart: Path) -> None:
    values = profile_values(chart, "calico-l7")
    values["calico"]["job"] = {
        "imagePullSecrets": [{"name": "mirror"}],
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "infra", "effect": "NoSchedule"}],
        "podAnnotations": {"sidecar.istio.io/inject": "false"},
        "readyTimeoutSeconds": 60,
    }
    for job in pick(render(chart, values), "Job"):
        pod = job["spec"]["template"]
        assert pod["metadata"]["annotations"] == {"sidecar.istio.io/inject": "false"}
        assert pod["spec"]["imagePullSecrets"] == [{"name": "mirror"}]
        assert pod["spec"]["nodeSelector"] == {"kubernetes.io/os": "linux"}
        assert pod["spec"]["tolerations"] == [
            {"key": "dedicated", "operator": "Equal", "value": "infra", "effect": "NoSchedule"}
        ]
        assert job["spec"]["activeDeadlineSeconds"] == 360
    (state,) = [d for d in render(chart, values) if d["metadata"]["name"] == "flowlogs-calico-state"]
    assert json.loads(state["data"]["desired.json"])["readyTimeoutSeconds"] == 60
    values["calico"]["job"] = {"imagePullSecrets": ["mirror"]}
    with pytest.raises(HelmError, match="imagePullSecrets"):
        render(chart, values)


def test_an_adopted_application_layer_is_never_deleted(chart: Path) -> None:
    """helm.sh/resource-policy: keep (Helm skips the object on uninstall and upgrade deletion) and
    Argo CD's Prune=false,Delete=false (argo-cd docs/user-guide/sync-options.md)."""
    values = profile_values(chart, "calico-l7")
    assert "annotations" not in one(render(chart, values), "ApplicationLayer")["metadata"]
    values["calico"]["keepApplicationLayer"] = True
    assert one(render(chart, values), "ApplicationLayer")["metadata"]["annotations"] == {
        "helm.sh/resource-policy": "keep",
        "argocd.argoproj.io/sync-options": "Prune=false,Delete=false",
    }


def test_job_image_by_digest(chart: Path) -> None:
    values = profile_values(chart, "calico-l7")
    values["calico"]["job"] = {
        "image": {"repository": "registry.example/python", "tag": "3.12", "digest": "sha256:" + "a" * 64}
    }
    (job, _) = pick(render(chart, values), "Job")
    assert (
        job["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/python:3.12@sha256:" + "a" * 64
    )


def test_names_yaml_would_read_as_other_types_stay_strings(chart: Path) -> None:
    """A namespace `null` or a name `on` is a valid DNS label; unquoted, Helm's YAML (go-yaml v2 via
    sigs.k8s.io/yaml) reads null and a boolean, and the Role would land in the release namespace."""
    values = profile_values(chart, "calico-l7")
    values["calico"]["services"] = [{"namespace": "null", "names": ["on"]}]
    docs = render(chart, values)
    assert {d["metadata"]["namespace"] for d in pick(docs, "Role") + pick(docs, "RoleBinding")} == {"null"}
    values["calico"]["patchMode"] = "gitops"
    (service,) = pick(render(chart, values), "Service")
    assert (service["metadata"]["namespace"], service["metadata"]["name"]) == ("null", "on")


def test_jobs_have_a_cpu_limit_and_an_opt_in_network_policy(chart: Path) -> None:
    """checkov CKV_K8S_11 (CPU limits); the NetworkPolicy (networking.k8s.io/v1) selects the Job pods by the
    labels their template carries and allows no ingress and egress only to the API server's ports."""
    values = profile_values(chart, "calico-l7")
    docs = render(chart, values)
    for job in pick(docs, "Job"):
        assert job["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "200m"
    assert pick(docs, "NetworkPolicy") == []
    values["calico"]["job"] = {"networkPolicy": {"enabled": True, "apiServerCIDRs": ["10.0.0.10/32"]}}
    docs = render(chart, values)
    policy = one(docs, "NetworkPolicy")
    pod_labels = pick(docs, "Job")[0]["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in policy["spec"]
    assert policy["spec"]["egress"] == [
        {
            "ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}],
            "to": [{"ipBlock": {"cidr": "10.0.0.10/32"}}],
        }
    ]


LOOKUP = (
    '{{- if lookup "v1" "ConfigMap" .Release.Namespace (printf "%s-state" (include "flowlogs.calico.fullname" .)) '
    "}}true{{ end }}"
)


def chart_with_previous_release(chart: Path, tmp_path: Path) -> Path:
    """`helm template` has no cluster: a copy of the chart whose lookup finds the previous release's state."""
    copy_dir = tmp_path / "chart"
    shutil.copytree(chart, copy_dir)
    helpers = copy_dir / "templates" / "calico" / "_helpers.tpl"
    text = helpers.read_text(encoding="utf-8")
    assert text.count(LOOKUP) == 1
    helpers.write_text(text.replace(LOOKUP, "true"), encoding="utf-8")
    return copy_dir


def test_prune_job_renders_when_a_previous_release_exists(chart: Path, tmp_path: Path) -> None:
    prune = one(
        render(chart_with_previous_release(chart, tmp_path), profile_values(chart, "calico-l7")),
        "Job",
        "flowlogs-calico-prune",
    )
    assert prune["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade"
    spec = prune["spec"]["template"]["spec"]
    assert spec["containers"][0]["command"] == [
        "python3",
        "/etc/flowlogs/calico-l7-patch.py",
        "prune",
        "/etc/flowlogs/desired.json",
        "/etc/flowlogs-previous/desired.json",
    ]
    assert spec["volumes"] == [
        {"name": "script", "configMap": {"name": "flowlogs-calico-prune"}},
        {"name": "previous", "configMap": {"name": "flowlogs-calico-state"}},
    ]
    assert restricted_pss_violations(prune["spec"]["template"]) == []
    assert "flowlogs-calico-prune" not in [d["metadata"]["name"] for d in render_profile(chart, "calico-l7")]


@pytest.mark.parametrize(
    "switch_off",
    [lambda c: c.update(enabled=False), lambda c: c.update(patchMode="gitops")],
    ids=["disabled", "gitops"],
)
def test_switching_job_mode_off_restores_the_previous_release(chart: Path, tmp_path: Path, switch_off: Any) -> None:
    """An upgrade that switches the part off (a fleet's `enabled: false`) or out of job mode
    first restores what the previous release's Jobs set, before its RBAC is removed."""
    values = profile_values(chart, "calico-l7")
    switch_off(values["calico"])
    docs = render(chart_with_previous_release(chart, tmp_path), values)
    hooks = sorted(
        (d["kind"], d["metadata"]["name"]) for d in docs if "helm.sh/hook" in d["metadata"].get("annotations", {})
    )
    gitops = values["calico"].get("enabled", True)
    # gitops mode (3.19, Services selected) adds its wait hook, with a ServiceAccount and rights of its own
    wait = [("ConfigMap", "flowlogs-calico-wait"), ("Job", "flowlogs-calico-wait")] if gitops else []
    assert hooks == sorted([("ConfigMap", "flowlogs-calico-retire"), ("Job", "flowlogs-calico-retire"), *wait])
    assert not pick(docs, "Role")
    assert [d["metadata"]["name"] for d in pick(docs, "ClusterRole") + pick(docs, "ServiceAccount")] == (
        ["flowlogs-calico-wait"] * 2 if gitops else []
    )
    script = one(docs, "ConfigMap", "flowlogs-calico-retire")
    assert script["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade"
    assert list(script["data"]) == ["desired.json", "calico-l7-patch.py"]  # desired.json: the facts
    retire = one(docs, "Job", "flowlogs-calico-retire")
    assert retire["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade"
    spec = retire["spec"]["template"]["spec"]
    assert spec["containers"][0]["command"] == [
        "python3",
        "/etc/flowlogs/calico-l7-patch.py",
        "retire",
        "/etc/flowlogs/desired.json",
        "/etc/flowlogs-previous/desired.json",
    ]
    assert spec["serviceAccountName"] == "flowlogs-calico-patch"
    assert spec["volumes"] == [
        {"name": "script", "configMap": {"name": "flowlogs-calico-retire"}},
        {"name": "previous", "configMap": {"name": "flowlogs-calico-state"}},
    ]
    assert restricted_pss_violations(retire["spec"]["template"]) == []
    # without a previous job-mode release (an install, `helm template`) there is nothing to retire
    without_previous = render(chart, values)
    assert [d["metadata"]["name"] for d in pick(without_previous, "Job") + pick(without_previous, "ConfigMap")] == (
        ["flowlogs-calico-wait"] * 2 if gitops else []
    )


# ------------------------------------------------------------------------------ GitOps


def test_gitops_mode(chart: Path) -> None:
    docs = render_profile(chart, "gitops")
    # no patch Job: only the wait hook (test_gitops_wait_hook), with its own read-only account
    assert sorted(
        (d["kind"], d["metadata"]["name"])
        for d in docs
        if d["kind"] in ("Job", "ConfigMap", "ServiceAccount", "ClusterRole")
    ) == [
        ("ClusterRole", "flowlogs-calico-wait"),
        ("ConfigMap", "flowlogs-calico-wait"),
        ("Job", "flowlogs-calico-wait"),
        ("ServiceAccount", "flowlogs-calico-wait"),
    ]
    felix = one(docs, "FelixConfiguration")
    assert felix == {
        "apiVersion": "projectcalico.org/v3",
        "kind": "FelixConfiguration",
        "metadata": {
            "name": "default",
            "annotations": {
                "argocd.argoproj.io/sync-options": SYNC_OPTIONS,
                "argocd.argoproj.io/compare-options": COMPARE_OPTIONS,
                "argocd.argoproj.io/sync-wave": "-1",
            },
        },
        # no policySyncPathPrefix: Argo CD's forced apply would overwrite an existing value that the
        # operator keeps "Respect existing"; the operator sets it when empty (test_calico_live.py)
        "spec": {
            "l7LogsFlushInterval": "60s",
            "l7LogsFileAggregationSourceInfo": "ExcludeL7SourceInfo",
            "l7LogsFileAggregationTrimURL": "TrimURLQuery",
        },
    }
    layer = one(docs, "ApplicationLayer")
    assert layer["metadata"]["annotations"] == {"argocd.argoproj.io/sync-wave": "0"}
    assert layer["spec"]["sidecarInjection"] == "Enabled"
    services = pick(docs, "Service")
    assert [s["metadata"]["name"] for s in services] == ["checkout", "frontend"]
    for service in services:
        assert service == {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": service["metadata"]["name"],
                "namespace": "shop",
                "annotations": {
                    "projectcalico.org/l7-logging": "true",
                    "argocd.argoproj.io/sync-options": SYNC_OPTIONS,
                    "argocd.argoproj.io/compare-options": COMPARE_OPTIONS,
                    "argocd.argoproj.io/sync-wave": "2",
                },
            },
        }
    for kind, namespace, name in (
        ("Deployment", "shop", "web"),
        ("StatefulSet", "db", "pg"),
        ("DaemonSet", "edge", "proxy"),
    ):
        assert one(docs, kind) == {
            "apiVersion": "apps/v1",
            "kind": kind,
            "metadata": {
                "name": name,
                "namespace": namespace,
                "annotations": {
                    "argocd.argoproj.io/sync-options": SYNC_OPTIONS,
                    "argocd.argoproj.io/compare-options": COMPARE_OPTIONS,
                    "argocd.argoproj.io/sync-wave": "2",
                },
            },
            "spec": {
                "template": {
                    "metadata": {
                        "labels": {"applicationlayer.projectcalico.org/sidecar": "true"},
                        "annotations": {"applicationlayer.projectcalico.org/logging": "Enabled"},
                    }
                }
            },
        }


ARGOCD_WAIT_HOOK = {
    "argocd.argoproj.io/hook": "Sync",
    "argocd.argoproj.io/sync-wave": "1",
    "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation,HookSucceeded",
}


def test_gitops_wait_hook(chart: Path) -> None:
    """The apply Job's readiness wait as an Argo CD Sync hook in wave 1 (between the ApplicationLayer
    and the selections), with `get` on exactly what it reads; a post-install/upgrade hook for Helm."""
    docs = render_profile(chart, "gitops")
    script, job = one(docs, "ConfigMap", "flowlogs-calico-wait"), one(docs, "Job", "flowlogs-calico-wait")
    for hook, weight in ((script, {"helm.sh/hook-weight": "-10"}), (job, {})):
        assert hook["metadata"]["annotations"] == {
            "helm.sh/hook": "post-install,post-upgrade",
            **weight,
            "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
            **ARGOCD_WAIT_HOOK,
        }
    assert list(script["data"]) == ["wait.json", "calico-l7-patch.py"]
    wait = json.loads(script["data"]["wait.json"])
    assert set(wait) == {"facts", "readyTimeoutSeconds", "services", "workloads"}  # no felix: nothing is patched
    assert wait["readyTimeoutSeconds"] == 600
    assert wait["facts"]["sidecar"]["waitFor"] == [
        {"kind": "Deployment", "namespace": "tigera-system", "name": "tigera-apiserver"},
        {"kind": "DaemonSet", "namespace": "calico-system", "name": "l7-log-collector"},
    ]
    spec = job["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == "flowlogs-calico-wait"
    assert spec["containers"][0]["command"] == [
        "python3",
        "/etc/flowlogs/calico-l7-patch.py",
        "wait",
        "/etc/flowlogs/wait.json",
    ]
    assert spec["volumes"] == [{"name": "script", "configMap": {"name": "flowlogs-calico-wait"}}]
    assert restricted_pss_violations(job["spec"]["template"]) == []
    assert one(docs, "ServiceAccount")["automountServiceAccountToken"] is False  # the Job's pod mounts it

    def get_only(group: str, resource: str, name: str) -> list[dict[str, list[str]]]:
        return [{"apiGroups": [group], "resources": [resource], "resourceNames": [name], "verbs": ["get"]}]

    assert one(docs, "ClusterRole")["rules"] == get_only("operator.tigera.io", "applicationlayers", "tigera-secure")
    assert [(r["metadata"]["namespace"], r["rules"]) for r in pick(docs, "Role")] == [
        ("tigera-system", get_only("apps", "deployments", "tigera-apiserver")),
        ("calico-system", get_only("apps", "daemonsets", "l7-log-collector")),
    ]
    subject = [{"kind": "ServiceAccount", "name": "flowlogs-calico-wait", "namespace": NAMESPACE}]
    bindings = pick(docs, "ClusterRoleBinding") + pick(docs, "RoleBinding")
    assert [(b["roleRef"]["kind"], b["roleRef"]["name"], b["subjects"]) for b in bindings] == [
        ("ClusterRole", "flowlogs-calico-wait", subject)
    ] + [("Role", "flowlogs-calico-wait", subject)] * 2
    # no hook without a selection (Felix only) or with readyTimeoutSeconds 0; Services only (3.19): no Roles
    values = profile_values(chart, "gitops")
    for change in ({"services": [], "workloads": []}, {"job": {"readyTimeoutSeconds": 0}}):
        changed = render(chart, {**values, "calico": {**values["calico"], **change}})
        assert not [d for d in changed if d["metadata"]["name"].endswith("-wait")], change
    services_only = render(chart, {**values, "calico": {**values["calico"], "workloads": []}})
    assert sorted(
        (d["kind"], d["metadata"]["name"]) for d in services_only if d["metadata"]["name"].endswith("-wait")
    ) == [
        ("ClusterRole", "flowlogs-calico-wait"),
        ("ClusterRoleBinding", "flowlogs-calico-wait"),
        ("ConfigMap", "flowlogs-calico-wait"),
        ("Job", "flowlogs-calico-wait"),
        ("ServiceAccount", "flowlogs-calico-wait"),
    ]


def test_gitops_with_a_hand_written_selector_fails(chart: Path) -> None:
    values = profile_values(chart, "gitops")
    values["calico"]["services"] = [{"namespace": "shop", "selectors": [{"matchLabels": {"a": "b"}}]}]
    with pytest.raises(HelmError, match="patchMode gitops cannot select by label \\(namespace shop\\)"):
        render(chart, values)


# ------------------------------------------------------------------- values and lint


@pytest.mark.parametrize("profile", ["calico-l7", "both", "gitops", "selectors", "everything-319"])
def test_helm_lint_strict_is_clean(chart: Path, profile: str) -> None:
    messages = EmbeddedHelm().lint(chart, profile_values(chart, profile))
    assert [m for m in messages if m.severity != "info"] == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["felix"].update(spec={"tproxyMode": "Enabled"}), "additional properties 'tproxyMode' not allowed"),
        (lambda c: c["felix"].update(spec={"policySyncPathPrefix": "/var/run/other"}), "policySyncPathPrefix"),
        (
            lambda c: c["applicationLayer"].update(webApplicationFirewall="Enabled"),
            "additional properties 'webApplicationFirewall' not allowed",
        ),
        (lambda c: c.update(patchMode="argo"), "patchMode"),
        (lambda c: c["services"][0].update(name="x"), "additional properties 'name' not allowed"),
    ],
)
def test_values_schema_rejects(chart: Path, change: Any, message: str) -> None:
    values = copy.deepcopy(profile_values(chart, "calico-l7"))
    change(values["calico"])
    with pytest.raises(HelmError, match=re.escape(message)):
        render(chart, values)


def test_sidecar_with_3_19_values_fails(chart: Path) -> None:
    values = profile_values(chart, "calico-l7")
    values["calico"]["applicationLayer"]["sidecarInjection"] = "Enabled"
    with pytest.raises(
        HelmError,
        match=re.escape(
            "sidecar injection and workloads need a Calico Enterprise version with sidecar injection (calico.version "
            "3.19 has none)"
        ),
    ):
        render(chart, values)


def test_disabled_renders_nothing(chart: Path) -> None:
    values = profile_values(chart, "calico-l7")
    values["calico"]["enabled"] = False
    assert render(chart, values) == []


def test_both_parts_from_one_chart(chart: Path) -> None:
    manifests = EmbeddedHelm().template(chart, profile_values(chart, "both"), release_name=RELEASE, namespace=NAMESPACE)
    kinds = {(m.template.split("/")[2], yaml.safe_load(m.text)["kind"]) for m in manifests}
    assert ("cilium", "ConfigMap") in kinds and ("calico", "ApplicationLayer") in kinds


# --------------------------------------------------------------- validation against CRDs


def to_json_schema(node: Any) -> Any:
    """openAPIV3Schema -> JSON Schema, as kubeconform's openapi2jsonschema (strict) does."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    schema = {
        key: to_json_schema(value)
        for key, value in node.items()
        if key != "description" and not key.startswith("x-kubernetes")
    }
    if node.get("x-kubernetes-int-or-string"):
        schema.pop("anyOf", None)
        schema["type"] = ["string", "integer"]
    if node.get("nullable"):
        schema.pop("nullable")
        schema["type"] = [
            *([schema["type"]] if isinstance(schema.get("type"), str) else schema.get("type", [])),
            "null",
        ]
    if "pattern" in schema:  # Go's RE2 takes (?i) anywhere; Python only at the start
        schema["pattern"] = re.sub(r"^\^\(\?i\)", "(?i)^", schema["pattern"])
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        schema["additionalProperties"] = False
    return schema


@functools.cache  # a validator is not changed by validating
@functools.cache  # an upstream CRD file read and compiled once per test process (validators hold no state)
def crd_validator(file_name: str) -> jsonschema.Draft7Validator:
    crd = load_yaml((CRDS / file_name).read_text(encoding="utf-8"))
    (version,) = crd["spec"]["versions"]
    schema = to_json_schema(version["schema"]["openAPIV3Schema"])
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


APPLICATION_LAYER = {
    "3.19": "operator.tigera.io_applicationlayers_ce3.19.yaml",
    "3.20": "operator.tigera.io_applicationlayers.yaml",
}
FELIX = {
    "3.19": "crd.projectcalico.org_felixconfigurations_enterprise_ce3.19.yaml",
    "3.20": "crd.projectcalico.org_felixconfigurations_enterprise.yaml",
}


def errors_of(validator: jsonschema.Draft7Validator, document: dict[str, Any]) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document))


@needs_crds
@pytest.mark.parametrize("profile", ["calico-l7", "both", "gitops", "selectors", "everything-319"])
def test_resources_validate_against_the_real_crds(chart: Path, profile: str) -> None:
    docs = render_profile(chart, profile)
    version = profile_values(chart, profile)["calico"]["version"]
    layer = one(docs, "ApplicationLayer")
    assert errors_of(crd_validator(APPLICATION_LAYER[version]), layer) == []
    felix_validator = crd_validator(FELIX[version])
    felix_docs = pick(docs, "FelixConfiguration")
    if not felix_docs:  # job mode: the Job's patch, as the partial object it writes
        state = desired_state(docs)
        felix_docs = [
            {
                "apiVersion": state["felix"]["apiVersion"],
                "kind": "FelixConfiguration",
                "metadata": {"name": "default"},
                "spec": state["felix"]["spec"],
            }
        ]
    for felix in felix_docs:
        assert errors_of(felix_validator, felix) == []


@needs_crds
def test_crd_validation_can_fail(chart: Path) -> None:
    layer = one(render_profile(chart, "both"), "ApplicationLayer")
    assert errors_of(crd_validator(APPLICATION_LAYER["3.19"]), layer) == [
        "spec: Additional properties are not allowed ('sidecarInjection' was unexpected)"
    ]
    state = desired_state(render_profile(chart, "everything-319"))
    partial = {
        "apiVersion": "crd.projectcalico.org/v1",
        "kind": "FelixConfiguration",
        "metadata": {"name": "default"},
        "spec": state["felix"]["spec"],
    }
    oss = errors_of(crd_validator("crd.projectcalico.org_felixconfigurations.yaml"), partial)
    assert len(oss) == 1 and oss[0].startswith(
        "spec: Additional properties are not allowed ('l7LogsFileAggregationDestinationInfo',"
    )
    bad = copy.deepcopy(partial)
    bad["spec"]["l7LogsFileAggregationTrimURL"] = "TrimEverything"
    assert errors_of(crd_validator(FELIX["3.20"]), bad) == [
        "spec/l7LogsFileAggregationTrimURL: 'TrimEverything' does not match "
        "'(?i)^(IncludeL7FullURL|TrimURLQuery|TrimURLQueryAndPath|ExcludeL7URL)?$'"
    ]


@pytest.mark.parametrize("profile", ["calico-l7", "selectors"])
def test_core_resources_validate_strictly(chart: Path, profile: str) -> None:
    for doc in render_profile(chart, profile):
        if doc["kind"] in ("ApplicationLayer", "FelixConfiguration"):
            continue
        kubernetes_validate.validate(doc, "1.31")


# ------------------------------------------------------------------- facts once (issue 9)

CALICO_CHART = ROOT / "generator" / "flowlogs" / "calico" / "chart"
CALICO_NOTES = ROOT / "generator" / "flowlogs" / "calico" / "fragments" / "NOTES.txt"


def test_templates_and_script_repeat_no_calico_fact() -> None:
    """The facts come from calico.upstream (built from the version tables); the templates, NOTES.txt
    and the Job script only refer to them, and the mode conditions live in one helper each."""
    from flowlogs.calico.defaults import SUPPORTED_VERSIONS, WORKLOAD_KINDS
    from flowlogs.calico.tables import load_tables

    facts: set[str] = {'"3.19"', '"3.20"', *WORKLOAD_KINDS.values()}
    for version in SUPPORTED_VERSIONS:
        tables = load_tables(version)
        facts |= {tables.application_layer_name, tables.service_annotation[0]}
        if tables.sidecar is not None:
            facts |= {tables.sidecar.label[0], tables.sidecar.annotation[0]}
    files = sorted((CALICO_CHART / "templates" / "calico").glob("*")) + [
        CALICO_NOTES,
        CALICO_CHART / "files" / "calico-l7-patch.py",
    ]
    found = {(f.name, fact) for f in files for fact in facts if fact in f.read_text(encoding="utf-8")}
    assert found == set()
    conditions = {
        f.name
        for f in files
        if re.search(r"eq [.$][A-Za-z.]*patchMode \"(job|gitops)\"", f.read_text(encoding="utf-8"))
    }
    assert conditions == {"_helpers.tpl"}
    helpers = (CALICO_CHART / "templates" / "calico" / "_helpers.tpl").read_text(encoding="utf-8")
    assert (
        len(re.findall(r"\(eq \.Values\.calico\.patchMode \"(?:job|gitops)\"\)", helpers)) == 2
    )  # jobMode, gitopsMode

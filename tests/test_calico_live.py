"""The Calico part against a real kube-apiserver v1.36.2 (the shared one, `conftest.kube_apiserver`).

Every outcome is read back from the server (`kubectl get -o json`), never from the script's
output: the hook script run with its ServiceAccount's TokenRequest token (apply,
apply again, restore, prune, objects missing, another field manager first, the readiness wait),
the Job's RBAC judged by SubjectAccessReview, and gitops mode applied as Argo CD v3.5.1 applies
it (tests/tools/calico_live.py says how each is reproduced and from which upstream source).
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from calico_live import (
    NO_CSA_MIGRATION,
    apply,
    argocd_sync,
    create,
    create_token,
    created_by_kubectl_apply,
    delete,
    delete_all,
    ensure_namespaces,
    get,
    listed,
    ready_layer_status,
    resource_path,
    run_script,
    script_command,
    script_env,
    server_side_apply,
    subject_access,
    watched,
    write_status,
)
from upstream_tools import ApiServer

from flowlogs.generate import generate
from flowlogs.helm import EmbeddedHelm

ROOT = Path(__file__).resolve().parents[1]
RECORD = "flowlogs.dev/l7-restore"
RELEASE_NS = "flowlogs-system"
ACCOUNT = "flowlogs-calico-patch"
SHOP, PAY = "l7-shop", "l7-pay"  # namespaces of their own: other live tests share the server
SIDECAR_LABEL = ("applicationlayer.projectcalico.org/sidecar", "true")
SIDECAR_ANNOTATION = ("applicationlayer.projectcalico.org/logging", "Enabled")
SERVICE_ANNOTATION = ("projectcalico.org/l7-logging", "true")

PROFILE = f"""\
calico:
  sidecar-injection: on
  felix: {{policy-sync-api: on, flush-interval: 60s, max-files: 3}}
  services:
    - {{namespace: {SHOP}, name: [frontend, checkout]}}
    - {{namespace: {PAY}, selector: app=pay}}
  workloads:
    - {{kind: Deployment, namespace: {SHOP}, name: web}}
  cluster: {{platform: eks}}
"""


def render(tmp: Path, profile: str) -> list[dict[str, Any]]:
    values_dir = tmp / "values"
    values_dir.mkdir(parents=True)
    (values_dir / "live.yaml").write_text(profile, encoding="utf-8")
    generate(values_dir, tmp / "chart")
    values = yaml.safe_load((tmp / "chart" / "profiles" / "live" / "values.yaml").read_text(encoding="utf-8"))
    return [
        yaml.safe_load(m.text)
        for m in EmbeddedHelm().template(tmp / "chart", values, release_name="flowlogs", namespace=RELEASE_NS)
    ]


@pytest.fixture(scope="module")
def chart_docs(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return render(tmp_path_factory.mktemp("calico-live"), PROFILE)


@pytest.fixture(scope="module")
def desired(chart_docs: list[dict[str, Any]]) -> dict[str, Any]:
    (state,) = [d for d in chart_docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "flowlogs-calico-state"]
    return dict(json.loads(state["data"]["desired.json"]))


@pytest.fixture(scope="module")
def cluster(kube_apiserver: ApiServer, chart_docs: list[dict[str, Any]]) -> ApiServer:
    """The shared server (what this module makes is gone when it ends: conftest.kube_apiserver; it serves
    projectcalico.org/v3: upstream_tools.projectcalico_v3_crd), with the namespaces, and the chart's
    ServiceAccount and RBAC."""
    server = kube_apiserver
    ensure_namespaces(server, RELEASE_NS, SHOP, PAY, "tigera-system", "calico-system")
    rbac = [
        d
        for d in chart_docs
        if d["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
    ]
    server_side_apply(server, rbac, force=True)
    return server


# ------------------------------------------------------------------------ cluster objects

OPERATOR = "operator"  # the Tigera operator's field manager (controller-runtime: the binary's name)


def felix_default(server: ApiServer, spec: dict[str, Any] | None) -> None:
    """FelixConfiguration default as the cluster has it: created by the operator's manager, or absent."""
    delete(server, "felixconfigurations.projectcalico.org", "default")
    if spec is not None:
        doc = {
            "apiVersion": "projectcalico.org/v3",
            "kind": "FelixConfiguration",
            "metadata": {"name": "default"},
            "spec": spec,
        }
        create(server, doc, OPERATOR)


def service_doc(name: str, namespace: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, **({"labels": labels} if labels else {})}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {"selector": {"app": name}, "ports": [{"port": 80}]},
    }


def deployment_doc(name: str, namespace: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]},
            },
        },
    }


def workloads(server: ApiServer, missing: tuple[str, ...] = ()) -> None:
    """The selected Services and Deployment as their owners created them (`kubectl apply`, client-side: its
    requests)."""
    for ns in (SHOP, PAY):
        for kind in ("services", "deployments"):
            delete_all(server, kind, ns)
    docs = [
        service_doc("frontend", SHOP),
        service_doc("checkout", SHOP),
        service_doc("other", SHOP),
        service_doc("api", PAY, {"app": "pay"}),
        service_doc("other", PAY),
        deployment_doc("web", SHOP),
    ]
    created_by_kubectl_apply(server, [d for d in docs if d["metadata"]["name"] not in missing])


def application_layer(
    server: ApiServer, chart_docs: list[dict[str, Any]], status: dict[str, Any] | None
) -> dict[str, Any]:
    """The chart's ApplicationLayer on the server, with `status` written to its status subresource."""
    (layer,) = [copy.deepcopy(d) for d in chart_docs if d["kind"] == "ApplicationLayer"]
    layer["metadata"] = {"name": layer["metadata"]["name"]}
    delete(server, "applicationlayers.operator.tigera.io", "tigera-secure")
    server_side_apply(server, [layer])
    if status is not None:
        write_status(server, "applicationlayers.operator.tigera.io", "tigera-secure", None, status)
    found = get(server, "applicationlayers.operator.tigera.io", "tigera-secure")
    assert found is not None
    return found


def rollouts(
    server: ApiServer,
    apiserver_available: int = 1,
    collector_available: int = 3,
    present: tuple[str, ...] = ("tigera-apiserver", "l7-log-collector"),
) -> None:
    """tigera-system/tigera-apiserver and calico-system/l7-log-collector with the status their
    controllers would write (no controllers run here)."""
    delete(server, "deployment", "tigera-apiserver", "tigera-system")
    delete(server, "daemonset", "l7-log-collector", "calico-system")
    if "tigera-apiserver" in present:
        server_side_apply(server, [deployment_doc("tigera-apiserver", "tigera-system")])
        write_status(
            server,
            "deployment",
            "tigera-apiserver",
            "tigera-system",
            {
                "observedGeneration": 1,
                "replicas": 1,
                "updatedReplicas": 1,
                "availableReplicas": apiserver_available,
                "readyReplicas": apiserver_available,
            },
        )
    if "l7-log-collector" in present:
        ds = deployment_doc("l7-log-collector", "calico-system")
        ds["kind"] = "DaemonSet"
        del ds["spec"]["replicas"]
        server_side_apply(server, [ds])
        status = {
            "observedGeneration": 1,
            "currentNumberScheduled": 3,
            "desiredNumberScheduled": 3,
            "numberMisscheduled": 0,
            "updatedNumberScheduled": 3,
        }
        write_status(
            server,
            "daemonset",
            "l7-log-collector",
            "calico-system",
            {**status, "numberReady": collector_available, "numberAvailable": collector_available},
        )


def snapshot(server: ApiServer) -> dict[str, Any]:
    """Everything the script may change, as the server has it (resourceVersion included)."""
    found = {
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o
        for kind in ("felixconfigurations.projectcalico.org", "services", "deployments")
        for o in listed(server, kind)
    }
    objects: dict[str, Any] = {"felix": found.get(("FelixConfiguration", None, "default"))}
    for ns, kind, name in (
        (SHOP, "Service", "frontend"),
        (SHOP, "Service", "checkout"),
        (SHOP, "Service", "other"),
        (PAY, "Service", "api"),
        (PAY, "Service", "other"),
        (SHOP, "Deployment", "web"),
    ):
        objects[f"{kind.lower()} {ns}/{name}"] = found.get((kind, ns, name))
    return objects


def comparable(obj: dict[str, Any] | None) -> Any:
    """An object without what the server changes on every write (resourceVersion, managedFields, generation)."""
    if obj is None:
        return None
    obj = copy.deepcopy(obj)
    for key in ("resourceVersion", "managedFields", "generation"):
        obj["metadata"].pop(key, None)
    return obj


def token(server: ApiServer) -> str:
    return create_token(server, RELEASE_NS, ACCOUNT)


def with_timeout(desired: dict[str, Any], seconds: float) -> dict[str, Any]:
    return {**desired, "readyTimeoutSeconds": seconds}


def ready_cluster(server: ApiServer, chart_docs: list[dict[str, Any]], felix: dict[str, Any] | None) -> None:
    felix_default(server, felix)
    workloads(server)
    rollouts(server)
    layer = application_layer(server, chart_docs, None)
    write_status(
        server,
        "applicationlayers.operator.tigera.io",
        "tigera-secure",
        None,
        ready_layer_status(layer["metadata"]["generation"]),
    )


# ------------------------------------------------------------------ apply, again, restore


def test_the_set_up_requests_store_what_kubectl_apply_stores(cluster: ApiServer) -> None:
    """`created_by_kubectl_apply` stands for the owners' `kubectl apply` (client-side) in the set-ups: the server
    (v1.36.2) stores the same Service and Deployment, managedFields and last-applied-configuration included, as
    after kubectl's own apply (kubectl v1.37's apply.go), but for what the server sets anew for each object."""
    made_anew = ("uid", "resourceVersion", "creationTimestamp")

    def stored(kind: str, name: str) -> dict[str, Any]:
        found = get(cluster, kind, name, SHOP)
        assert found is not None
        for key in made_anew:
            found["metadata"].pop(key)
        for entry in found["metadata"]["managedFields"]:
            entry.pop("time")
        for key in ("clusterIP", "clusterIPs"):  # a Service's address, allocated anew by the server
            found["spec"].pop(key, None)
        return found

    docs = [service_doc("same-as-kubectl", SHOP), deployment_doc("same-as-kubectl", SHOP)]
    by_kubectl = apply(cluster, docs)
    assert by_kubectl.returncode == 0, by_kubectl.stderr
    kubectl_made = [stored("service", "same-as-kubectl"), stored("deployment", "same-as-kubectl")]
    for kind in ("service", "deployment"):
        delete(cluster, kind, "same-as-kubectl", SHOP)
    created_by_kubectl_apply(cluster, docs)
    assert [stored("service", "same-as-kubectl"), stored("deployment", "same-as-kubectl")] == kubectl_made
    for kind in ("service", "deployment"):
        delete(cluster, kind, "same-as-kubectl", SHOP)


def test_apply_then_apply_again_then_restore_exactly(
    cluster: ApiServer, chart_docs: list[dict[str, Any]], desired: dict[str, Any], tmp_path: Path
) -> None:
    # Felix as the operator left it (tproxyMode, no policySyncPathPrefix yet) plus an admin's setting
    ready_cluster(cluster, chart_docs, {"tproxyMode": "Enabled", "l7LogsFileMaxFiles": 9, "bpfEnabled": False})
    before = snapshot(cluster)
    account = token(cluster)

    result, _ = run_script(cluster, account, tmp_path / "apply", "apply", desired)
    assert result.returncode == 0, result.stderr
    after = snapshot(cluster)
    felix = after["felix"]
    assert felix["spec"] == {
        "tproxyMode": "Enabled",
        "bpfEnabled": False,
        "l7LogsFileMaxFiles": 3,
        "l7LogsFlushInterval": "60s",
        "policySyncPathPrefix": "/var/run/nodeagent",  # empty before: set, as the operator would
    }
    assert json.loads(felix["metadata"]["annotations"][RECORD]) == {
        "spec": {"l7LogsFileMaxFiles": 9, "l7LogsFlushInterval": None}
    }
    for key in (f"service {SHOP}/frontend", f"service {SHOP}/checkout", f"service {PAY}/api"):
        assert after[key]["metadata"]["annotations"][SERVICE_ANNOTATION[0]] == SERVICE_ANNOTATION[1], key
    for key in (f"service {SHOP}/other", f"service {PAY}/other"):
        assert after[key] == before[key], key  # not selected: not even written
    template = after[f"deployment {SHOP}/web"]["spec"]["template"]["metadata"]
    assert template["labels"] == {"app": "web", SIDECAR_LABEL[0]: SIDECAR_LABEL[1]}
    assert template["annotations"] == {SIDECAR_ANNOTATION[0]: SIDECAR_ANNOTATION[1]}

    result, _ = run_script(cluster, account, tmp_path / "again", "apply", desired)
    assert result.returncode == 0, result.stderr
    assert snapshot(cluster) == after  # resourceVersions too: nothing was written

    result, _ = run_script(cluster, account, tmp_path / "restore", "restore", desired)
    assert result.returncode == 0, result.stderr
    restored = snapshot(cluster)
    expected_felix = comparable(before["felix"])
    expected_felix["spec"]["policySyncPathPrefix"] = "/var/run/nodeagent"  # the operator's: left, never restored
    assert comparable(restored["felix"]) == expected_felix
    for key in before:
        if key != "felix":
            assert comparable(restored[key]) == comparable(before[key]), key


def test_an_existing_policy_sync_path_prefix_and_another_managers_field_are_kept(
    cluster: ApiServer, chart_docs: list[dict[str, Any]], desired: dict[str, Any], tmp_path: Path
) -> None:
    """An egress gateway's prefix, set by another field manager first: job mode keeps it, as the
    operator does ("Respect existing", applicationlayer_controller.go getPolicySyncPathPrefix)."""
    ready_cluster(cluster, chart_docs, {"policySyncPathPrefix": "/var/run/egw", "l7LogsFlushInterval": "15s"})
    cluster.kubectl(
        "patch",
        "felixconfigurations.projectcalico.org",
        "default",
        "--type=merge",
        "--field-manager=admin",
        "-p",
        json.dumps({"spec": {"l7LogsFileMaxFiles": 7}}),
    )
    before = get(cluster, "felixconfigurations.projectcalico.org", "default")
    assert before is not None
    account = token(cluster)
    result, _ = run_script(cluster, account, tmp_path / "apply", "apply", desired)
    assert result.returncode == 0, result.stderr
    felix = get(cluster, "felixconfigurations.projectcalico.org", "default")
    assert felix is not None
    assert felix["spec"] == {
        "policySyncPathPrefix": "/var/run/egw",
        "l7LogsFlushInterval": "60s",
        "l7LogsFileMaxFiles": 3,
    }
    # a merge patch is an Update: the operator keeps the field it set, the changed ones move to the script
    owners = {
        entry["manager"]: set(entry["fieldsV1"].get("f:spec", {})) for entry in felix["metadata"]["managedFields"]
    }
    assert owners == {
        OPERATOR: {".", "f:policySyncPathPrefix"},
        "Python-urllib": {"f:l7LogsFlushInterval", "f:l7LogsFileMaxFiles"},
    }
    result, _ = run_script(cluster, account, tmp_path / "restore", "restore", desired)
    assert result.returncode == 0, result.stderr
    assert comparable(get(cluster, "felixconfigurations.projectcalico.org", "default")) == comparable(before)


def test_prune_restores_what_the_next_release_no_longer_selects(
    cluster: ApiServer, chart_docs: list[dict[str, Any]], desired: dict[str, Any], tmp_path: Path
) -> None:
    ready_cluster(cluster, chart_docs, {})
    before = snapshot(cluster)
    account = token(cluster)
    assert run_script(cluster, account, tmp_path / "apply", "apply", desired)[0].returncode == 0
    smaller = {**desired, "services": [t for t in desired["services"] if t["namespace"] == SHOP], "workloads": []}
    result, _ = run_script(cluster, account, tmp_path / "prune", "prune", smaller, previous=desired)
    assert result.returncode == 0, result.stderr
    after = snapshot(cluster)
    assert comparable(after[f"service {PAY}/api"]) == comparable(before[f"service {PAY}/api"])
    assert comparable(after[f"deployment {SHOP}/web"]) == comparable(before[f"deployment {SHOP}/web"])
    assert after[f"service {SHOP}/frontend"]["metadata"]["annotations"][SERVICE_ANNOTATION[0]] == SERVICE_ANNOTATION[1]
    assert RECORD in after["felix"]["metadata"]["annotations"]  # Felix is left to the apply Job


def test_objects_missing(
    cluster: ApiServer, chart_docs: list[dict[str, Any]], desired: dict[str, Any], tmp_path: Path
) -> None:
    felix_default(cluster, None)
    workloads(cluster, missing=("checkout",))
    rollouts(cluster)
    layer = application_layer(cluster, chart_docs, None)
    write_status(
        cluster,
        "applicationlayers.operator.tigera.io",
        "tigera-secure",
        None,
        ready_layer_status(layer["metadata"]["generation"]),
    )
    account = token(cluster)
    result, _ = run_script(cluster, account, tmp_path / "apply", "apply", desired)
    assert result.returncode == 1
    assert get(cluster, "felixconfigurations.projectcalico.org", "default") is None
    assert get(cluster, "service", "checkout", SHOP) is None
    frontend = get(cluster, "service", "frontend", SHOP)
    assert (
        frontend is not None and frontend["metadata"]["annotations"][SERVICE_ANNOTATION[0]] == SERVICE_ANNOTATION[1]
    )  # the others go on
    result, _ = run_script(cluster, account, tmp_path / "restore", "restore", desired)
    assert result.returncode == 0, result.stderr
    frontend = get(cluster, "service", "frontend", SHOP)
    assert (
        frontend is not None
        and SERVICE_ANNOTATION[0] not in frontend["metadata"]["annotations"]
        and RECORD not in frontend["metadata"]["annotations"]
    )


# --------------------------------------------------------------------- the readiness wait


def layer_status_cases(generation: int) -> list[tuple[str, dict[str, Any]]]:
    """ApplicationLayer statuses the operator writes that are not ready for sidecar selection."""
    ready = ready_layer_status(generation)
    fips = copy.deepcopy(ready)  # state stays Ready; a later reconcile (FIPS turned on) is Degraded
    fips["conditions"][0].update(status="False", reason="Unknown", message="")
    fips["conditions"][2].update(
        status="True",
        reason="ResourceValidationError",
        message="ApplicationLayer features cannot be used in combination with FIPSMode=Enabled",
    )
    older = ready_layer_status(generation - 1) if generation > 1 else {"sidecarWebhook": "Disabled"}
    return [
        ("defaults only", {"sidecarWebhook": "Disabled"}),  # updateApplicationLayerWithDefaults, no conditions yet
        (
            "webhook missing",
            ready_layer_status(generation, "Disabled"),
        ),  # Ready, MutatingWebhookConfiguration not found
        ("degraded", fips),
        ("older generation", older),
    ]


REASONS = {
    "defaults only": "no Ready condition yet",
    "webhook missing": 'status.sidecarWebhook "Disabled"',
    "degraded": (
        "Degraded: ResourceValidationError: ApplicationLayer features cannot be used in combination with "
        "FIPSMode=Enabled"
    ),
    "older generation": "conditions are of generation 1, the object is at 2",
    "tigera-apiserver not available": "Deployment tigera-system/tigera-apiserver: 0 of 1 updated replicas available",
    "l7-log-collector not available": "DaemonSet calico-system/l7-log-collector: 2 of 3 updated pods available",
    "l7-log-collector missing": "DaemonSet calico-system/l7-log-collector: not found",
}


def test_the_job_selects_nothing_until_the_operator_and_the_sidecar_webhook_are_ready(
    cluster: ApiServer, chart_docs: list[dict[str, Any]], desired: dict[str, Any], tmp_path: Path
) -> None:
    felix_default(cluster, {})
    workloads(cluster)
    account = token(cluster)
    layer = application_layer(cluster, chart_docs, None)
    # a spec change after the first reconcile: conditions of generation 1 are not of the object
    cluster.kubectl(
        "patch",
        "applicationlayers.operator.tigera.io",
        "tigera-secure",
        "--type=merge",
        "-p",
        '{"spec":{"logCollection":{"logIntervalSeconds":6}}}',
    )
    layer = get(cluster, "applicationlayers.operator.tigera.io", "tigera-secure") or {}
    generation = layer["metadata"]["generation"]
    assert generation == 2
    # each case: the ApplicationLayer's status, then changes of the rollouts' status (None: deleted)
    apiserver, collector = (
        ("deployment", "tigera-apiserver", "tigera-system"),
        ("daemonset", "l7-log-collector", "calico-system"),
    )
    Changes = list[tuple[tuple[str, str, str], dict[str, Any] | None]]
    cases: list[tuple[str, dict[str, Any], Changes]] = [
        (name, status, []) for name, status in layer_status_cases(generation)
    ]
    ready = ready_layer_status(generation)
    cases += [
        ("tigera-apiserver not available", ready, [(apiserver, {"availableReplicas": 0, "readyReplicas": 0})]),
        (
            "l7-log-collector not available",
            ready,
            [
                (apiserver, {"availableReplicas": 1, "readyReplicas": 1}),
                (collector, {"numberAvailable": 2, "numberReady": 2}),
            ],
        ),
        ("l7-log-collector missing", ready, [(collector, None)]),
    ]
    rollouts(cluster)  # both rolled out: only what a case changes keeps the Job waiting
    before = snapshot(cluster)
    for name, status, changes in cases:
        for (kind, obj, namespace), change in changes:
            if change is None:
                delete(cluster, kind, obj, namespace)
            else:
                write_status(cluster, kind, obj, namespace, change)
        # one merge patch: the case's status, every other field the operator writes removed
        write_status(
            cluster,
            "applicationlayers.operator.tigera.io",
            "tigera-secure",
            None,
            {"conditions": None, "state": None, "sidecarWebhook": None, **status},
        )
        # a tenth of a second, polled every 0.02 s: the same state seen five times, then the verdict
        result, _ = run_script(
            cluster, account, tmp_path / name.replace(" ", "-"), "apply", with_timeout(desired, 0.1), poll=0.02
        )
        assert result.returncode == 1, name
        assert f"not ready after 0.1s ({REASONS[name]}): no Service or workload was selected" in result.stderr, (
            name,
            result.stderr,
        )
    # nothing selected in any case: not one write (a write changes the resourceVersion, and stays)
    after = snapshot(cluster)
    assert {key: after[key] for key in before if key != "felix"} == {
        key: before[key] for key in before if key != "felix"
    }
    # ready: then it selects
    rollouts(cluster)  # both rolled out
    write_status(cluster, "applicationlayers.operator.tigera.io", "tigera-secure", None, ready)
    result, _ = run_script(cluster, account, tmp_path / "ready", "apply", with_timeout(desired, 1))
    assert result.returncode == 0, result.stderr
    web = get(cluster, "deployment", "web", SHOP) or {}
    assert web["spec"]["template"]["metadata"]["labels"][SIDECAR_LABEL[0]] == SIDECAR_LABEL[1]


def test_the_job_waits_for_the_operator_then_selects(
    cluster: ApiServer, chart_docs: list[dict[str, Any]], desired: dict[str, Any], tmp_path: Path
) -> None:
    felix_default(cluster, {})
    workloads(cluster)
    rollouts(cluster, apiserver_available=0)
    layer = application_layer(cluster, chart_docs, {"sidecarWebhook": "Disabled"})
    work = tmp_path / "wait"
    work.mkdir()
    (work / "token").write_text(token(cluster), encoding="utf-8")
    (work / "desired.json").write_text(json.dumps(with_timeout(desired, 60)), encoding="utf-8")
    command = script_command(cluster, work, ["apply", str(work / "desired.json")])
    with watched(command, script_env(0.05)) as run:
        assert (
            run.lines.until("no Ready condition yet")
            == "ApplicationLayer tigera-secure: no Ready condition yet, waiting"
        )
        write_status(
            cluster,
            "applicationlayers.operator.tigera.io",
            "tigera-secure",
            None,
            ready_layer_status(layer["metadata"]["generation"]),
        )
        reason = "Deployment tigera-system/tigera-apiserver: 0 of 1 updated replicas available"
        assert run.lines.until(reason) == f"ApplicationLayer tigera-secure: {reason}, waiting"
        assert run.process.poll() is None  # still waiting
        web = get(cluster, "deployment", "web", SHOP) or {}
        assert SIDECAR_LABEL[0] not in web["spec"]["template"]["metadata"]["labels"]
        rollouts(cluster)
        err = run.finish(60)
    assert run.process.returncode == 0, err
    web = get(cluster, "deployment", "web", SHOP) or {}
    assert web["spec"]["template"]["metadata"]["labels"][SIDECAR_LABEL[0]] == SIDECAR_LABEL[1]


# -------------------------------------------------------------------------------- RBAC

VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")


def call_attributes(line: str) -> tuple[str, str, str, str | None, str | None]:
    """("GET /api/v1/namespaces/x/services/y") -> (verb, group, resource, namespace, name) as RBAC sees it."""
    method, url = line.split(" ", 1)
    path, _, query = url.partition("?")
    parts = path.strip("/").split("/")
    group = "" if parts[0] == "api" else parts[1]
    rest = parts[2:] if parts[0] == "api" else parts[3:]
    namespace = None
    if rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    resource, name = rest[0], (rest[1] if len(rest) > 1 else None)
    verb = {"GET": "get" if name else "list", "PATCH": "patch"}[method]
    return verb, group, resource, namespace, name


def test_the_service_account_may_do_exactly_what_the_script_does(
    cluster: ApiServer, chart_docs: list[dict[str, Any]], desired: dict[str, Any], tmp_path: Path
) -> None:
    ready_cluster(cluster, chart_docs, {})
    account = token(cluster)
    calls: set[tuple[str, str, str, str | None, str | None]] = set()
    smaller = {**desired, "services": [t for t in desired["services"] if t["namespace"] == SHOP], "workloads": []}
    for step, command, want, previous in (
        ("a", "apply", desired, None),
        ("b", "apply", desired, None),
        ("c", "prune", smaller, desired),
        ("d", "apply", desired, None),
        ("e", "restore", desired, None),
        ("f", "retire", desired, desired),
    ):
        result, log = run_script(cluster, account, tmp_path / step, command, want, previous)
        assert result.returncode == 0, (command, result.stderr)
        calls |= {call_attributes(line) for line in log}
    # what the script does, by resource: every name it touched, and where it selects by label (l7-pay)
    # the collection (list) and whatever the selector matches (patch: RBAC cannot name those in advance)
    felix = ("projectcalico.org", "felixconfigurations", None)
    layer = ("operator.tigera.io", "applicationlayers", None)
    scopes = [
        (*felix, ["default", "other", None]),
        (*layer, ["tigera-secure", "other", None]),
        ("", "services", SHOP, ["frontend", "checkout", "other", None]),
        ("", "services", PAY, ["api", "other", None]),
        ("", "services", "kube-system", ["kube-dns", None]),
        ("apps", "deployments", SHOP, ["web", "other", None]),
        ("apps", "statefulsets", SHOP, ["web", None]),
        ("apps", "deployments", "tigera-system", ["tigera-apiserver", "other", None]),
        ("apps", "daemonsets", "calico-system", ["l7-log-collector", "other", None]),
        ("", "configmaps", RELEASE_NS, ["flowlogs-calico-state", None]),
        ("", "secrets", RELEASE_NS, [None]),
        ("", "serviceaccounts", RELEASE_NS, [ACCOUNT]),
        ("rbac.authorization.k8s.io", "clusterroles", None, [None]),
    ]
    checks = [
        (verb, group, resource, ns, name) for group, resource, ns, names in scopes for name in names for verb in VERBS
    ]
    allowed = subject_access(cluster, f"system:serviceaccount:{RELEASE_NS}:{ACCOUNT}", checks)

    def script_does(verb: str, group: str, resource: str, ns: str | None, name: str | None) -> bool:
        if (verb, group, resource, ns, name) in calls:
            return True
        by_label = ns == PAY and resource == "services"
        return by_label and verb in ("list", "patch") and any(c[:4] == (verb, group, resource, ns) for c in calls)

    mismatches = [(check, got) for check, got in zip(checks, allowed, strict=True) if got != script_does(*check)]
    assert mismatches == []
    # felix get+patch default, applicationlayer get, l7-shop services get+patch x2, l7-pay services
    # list+patch x (api, other, collection), web get+patch, tigera-apiserver get, l7-log-collector get
    assert sum(allowed) == 17 and len(checks) == 248
    # every call the script made is among the checks (so none escaped the comparison)
    assert {c for c in calls if c[4] is not None or c[0] == "list"} <= {
        c for c, ok in zip(checks, allowed, strict=True) if ok
    }


# ------------------------------------------------------------------ gitops as Argo CD does it


@pytest.fixture(scope="module")
def gitops_docs() -> list[dict[str, Any]]:
    """The committed chart rendered with the shipped calico-gitops profile (as Argo CD renders it)."""
    values = yaml.safe_load((ROOT / "chart" / "profiles" / "calico-gitops" / "values.yaml").read_text(encoding="utf-8"))
    return [
        yaml.safe_load(m.text)
        for m in EmbeddedHelm().template(ROOT / "chart", values, release_name="flowlogs", namespace=RELEASE_NS)
    ]


def gitops_sync_options() -> list[str]:
    app = yaml.safe_load((ROOT / "gitops" / "applications" / "calico-gitops.yaml").read_text(encoding="utf-8"))
    return list(app["spec"]["syncPolicy"]["syncOptions"])


def partial_docs(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        d
        for d in docs
        if "Prune=false" in (d["metadata"].get("annotations") or {}).get("argocd.argoproj.io/sync-options", "")
    ]


def owners_deployments(server: ApiServer, how: str) -> None:
    """shop/frontend and shop/checkout as their owner applied them: `kubectl apply --server-side`,
    or client-side `kubectl apply` and then once `--server-side` (kubectl moves the client-side
    fields to its manager `kubectl`: KEP-3517, kubectl apply.go migrateToSSAIfNecessary)."""
    ensure_namespaces(server, "shop")
    delete_all(server, "deployments", "shop")
    docs = [deployment_doc("frontend", "shop"), deployment_doc("checkout", "shop")]
    if how == "client-side, then server-side":
        apply(server, docs)
    apply(server, docs, "--server-side")


@pytest.mark.parametrize("how", ["server-side", "client-side, then server-side"])
def test_gitops_keeps_what_others_own_and_syncs_again(
    cluster: ApiServer, gitops_docs: list[dict[str, Any]], how: str
) -> None:
    partial = partial_docs(gitops_docs)
    assert sorted((d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]) for d in partial) == [
        ("Deployment", "shop", "checkout"),
        ("Deployment", "shop", "frontend"),
        ("FelixConfiguration", None, "default"),
    ]
    felix_default(cluster, {"policySyncPathPrefix": "/var/run/egw", "tproxyMode": "Enabled", "bpfLogLevel": "Info"})
    owners_deployments(cluster, how)
    options = gitops_sync_options()
    assert "ServerSideApply=true" in options and NO_CSA_MIGRATION in options
    for sync in (1, 2):
        results = argocd_sync(cluster, partial, options)
        assert [r.returncode for r in results] == [0, 0, 0], (sync, [r.stderr for r in results])
        felix = get(cluster, "felixconfigurations.projectcalico.org", "default") or {}
        assert felix["spec"] == {
            "policySyncPathPrefix": "/var/run/egw",
            "tproxyMode": "Enabled",
            "bpfLogLevel": "Info",
            "l7LogsFlushInterval": "60s",
        }
        for name in ("frontend", "checkout"):
            deployment = get(cluster, "deployment", name, "shop") or {}
            assert deployment["spec"]["selector"] == {"matchLabels": {"app": name}}
            assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/app:1"
            assert deployment["spec"]["template"]["metadata"]["labels"] == {
                "app": name,
                SIDECAR_LABEL[0]: SIDECAR_LABEL[1],
            }
            assert deployment["spec"]["template"]["metadata"]["annotations"] == {
                SIDECAR_ANNOTATION[0]: SIDECAR_ANNOTATION[1]
            }


def test_objects_last_written_by_client_side_apply_are_taken_over(
    cluster: ApiServer, gitops_docs: list[dict[str, Any]]
) -> None:
    """The limit docs/gitops.md states, as the server shows it: kubectl's own server-side apply
    (the library Argo CD applies with) moves the fields of the manager that owns the
    last-applied-configuration annotation to `argocd-controller` after a successful apply, so the
    next apply of the partial manifest removes them. ClientSideApplyMigration=false only keeps
    Argo CD 3.1+ from doing the same before the first apply."""
    (frontend,) = [d for d in partial_docs(gitops_docs) if d["metadata"]["name"] == "frontend"]
    ensure_namespaces(cluster, "shop")
    delete_all(cluster, "deployments", "shop")
    apply(cluster, [deployment_doc("frontend", "shop")])  # plain `kubectl apply`
    first = argocd_sync(cluster, [frontend], gitops_sync_options())
    assert first[0].returncode == 0  # kubectl's re-apply after its migration fails only as a warning
    second = argocd_sync(cluster, [frontend], gitops_sync_options())
    assert second[0].returncode == 1 and "spec.selector: Required value" in second[0].stderr
    # Argo CD 3.1+ by default migrates before the first apply: that one fails already
    delete_all(cluster, "deployments", "shop")
    apply(cluster, [deployment_doc("frontend", "shop")])
    default = argocd_sync(cluster, [frontend], ["ServerSideApply=true"])
    assert default[0].returncode == 1 and "spec.selector: Required value" in default[0].stderr


def test_a_forced_apply_of_policy_sync_path_prefix_would_replace_an_existing_value(cluster: ApiServer) -> None:
    """Why gitops mode leaves policySyncPathPrefix out: the partial Felix manifest flowlogs rendered
    before, applied as Argo CD applies it (forced), replaces an egress gateway's value."""
    felix_default(cluster, {"policySyncPathPrefix": "/var/run/egw"})
    old_felix = {
        "apiVersion": "projectcalico.org/v3",
        "kind": "FelixConfiguration",
        "metadata": {"name": "default"},
        "spec": {"policySyncPathPrefix": "/var/run/nodeagent"},
    }
    assert [r.returncode for r in argocd_sync(cluster, [old_felix], gitops_sync_options())] == [0]
    assert (get(cluster, "felixconfigurations.projectcalico.org", "default") or {})["spec"] == {
        "policySyncPathPrefix": "/var/run/nodeagent"
    }


# ----------------------------------------------------- gitops: the wait hook between the waves

HOOK_RELEASE = "flowlogs-gitops"  # names of its own: job mode's `-wait` Roles of this server stay as they are
HOOK_ACCOUNT = "flowlogs-gitops-calico-wait"


@pytest.fixture(scope="module")
def wait_hook(cluster: ApiServer) -> dict[str, Any]:
    """The shipped calico-gitops profile's wait hook (its Job and script ConfigMap, as the committed chart
    renders them), with its ServiceAccount and RBAC applied to the server."""
    values = yaml.safe_load((ROOT / "chart" / "profiles" / "calico-gitops" / "values.yaml").read_text(encoding="utf-8"))
    docs = [
        yaml.safe_load(m.text)
        for m in EmbeddedHelm().template(ROOT / "chart", values, release_name=HOOK_RELEASE, namespace=RELEASE_NS)
    ]
    rbac = [
        d for d in docs if d["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
    ]
    assert {d["metadata"]["name"] for d in rbac} == {HOOK_ACCOUNT}
    server_side_apply(cluster, rbac, force=True)
    (job,) = [d for d in docs if d["kind"] == "Job"]
    (script,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == HOOK_ACCOUNT]
    return {"job": job, "script": script}


def hook_command(server: ApiServer, hook: dict[str, Any], work: Path, timeout: float | None = None) -> list[str]:
    """The wait hook's container command, its /etc/flowlogs/ files (the ConfigMap's) in `work`."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "token").write_text(create_token(server, RELEASE_NS, HOOK_ACCOUNT), encoding="utf-8")
    data = dict(hook["script"]["data"])
    if timeout is not None:
        data["wait.json"] = json.dumps({**json.loads(data["wait.json"]), "readyTimeoutSeconds": timeout})
    for name, text in data.items():
        (work / name).write_text(text, encoding="utf-8")
    (container,) = hook["job"]["spec"]["template"]["spec"]["containers"]
    python, script, *argv = container["command"]
    assert (python, script) == ("python3", "/etc/flowlogs/calico-l7-patch.py")
    return script_command(
        server, work, [arg.replace("/etc/flowlogs/", str(work) + "/") for arg in argv], work / "calico-l7-patch.py"
    )


def rollout_objects(server: ApiServer) -> None:
    """tigera-system/tigera-apiserver (2 replicas) and calico-system/l7-log-collector, each at generation 2
    (a spec change by the operator), with no status yet."""
    rollouts(server, present=())
    apiserver = deployment_doc("tigera-apiserver", "tigera-system")
    apiserver["spec"]["replicas"] = 2
    collector = deployment_doc("l7-log-collector", "calico-system")
    collector["kind"] = "DaemonSet"
    del collector["spec"]["replicas"]
    server_side_apply(server, [apiserver, collector])
    for kind, name, namespace in (
        ("deployment", "tigera-apiserver", "tigera-system"),
        ("daemonset", "l7-log-collector", "calico-system"),
    ):
        patch = {"spec": {"template": {"metadata": {"annotations": {"hash.operator.tigera.io/config": "2"}}}}}
        path = resource_path(server, kind, name, namespace) + "?fieldManager=kubectl-patch"  # kubectl patch's request
        assert server.request("PATCH", path, patch, "application/merge-patch+json")[0] == 200
        assert (get(server, kind, name, namespace) or {})["metadata"]["generation"] == 2


STAMP = "2026-12-07T12:00:00Z"


def deployment_status(
    observed: int = 2,
    replicas: int = 2,
    updated: int = 2,
    available: int = 2,
    progressing: str = "NewReplicaSetAvailable",
) -> dict[str, Any]:
    """A Deployment's status as the deployment controller writes it."""
    condition = {
        "type": "Progressing",
        "status": "False" if progressing == "ProgressDeadlineExceeded" else "True",
        "reason": progressing,
        "message": "",
        "lastUpdateTime": STAMP,
        "lastTransitionTime": STAMP,
    }
    return {
        "observedGeneration": observed,
        "replicas": replicas,
        "updatedReplicas": updated,
        "readyReplicas": available,
        "availableReplicas": available,
        "conditions": [condition],
    }


def daemonset_status(observed: int = 2, updated: int = 3, available: int = 3) -> dict[str, Any]:
    """A DaemonSet's status as the daemon set controller writes it, on 3 nodes."""
    return {
        "observedGeneration": observed,
        "currentNumberScheduled": 3,
        "desiredNumberScheduled": 3,
        "numberMisscheduled": 0,
        "updatedNumberScheduled": updated,
        "numberReady": available,
        "numberAvailable": available,
    }


# Each state the gitops wait must not pass, and why, as `kubectl rollout status` judges it (kubernetes
# staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go: DeploymentStatusViewer,
# DaemonSetStatusViewer), in the order a rollout goes through them.
ROLLOUT_STATES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (
        "deployment spec not observed",
        deployment_status(observed=1),
        daemonset_status(observed=1),
        "Deployment tigera-system/tigera-apiserver: spec update not observed yet",
    ),
    (
        "new replicas not updated",
        deployment_status(updated=1),
        daemonset_status(observed=1),
        "Deployment tigera-system/tigera-apiserver: 1 out of 2 new replicas updated",
    ),
    (
        "old replicas terminating",
        deployment_status(replicas=3),
        daemonset_status(observed=1),
        "Deployment tigera-system/tigera-apiserver: 1 old replicas pending termination",
    ),
    (
        "updated not available",
        deployment_status(available=1),
        daemonset_status(observed=1),
        "Deployment tigera-system/tigera-apiserver: 1 of 2 updated replicas available",
    ),
    (
        "progress deadline",
        deployment_status(progressing="ProgressDeadlineExceeded"),
        daemonset_status(observed=1),
        "Deployment tigera-system/tigera-apiserver: exceeded its progress deadline",
    ),
    (
        "daemon set spec not observed",
        deployment_status(),
        daemonset_status(observed=1),
        "DaemonSet calico-system/l7-log-collector: spec update not observed yet",
    ),
    (
        "new pods not updated",
        deployment_status(),
        daemonset_status(updated=2),
        "DaemonSet calico-system/l7-log-collector: 2 out of 3 new pods updated",
    ),
    (
        "updated pods not available",
        deployment_status(),
        daemonset_status(available=2),
        "DaemonSet calico-system/l7-log-collector: 2 of 3 updated pods available",
    ),
]


def test_the_gitops_wait_hook_blocks_until_both_rollouts_are_done(
    cluster: ApiServer, chart_docs: list[dict[str, Any]], wait_hook: dict[str, Any], tmp_path: Path
) -> None:
    """The hook's script and command, as rendered, run with its ServiceAccount's token: it waits while
    the sidecar webhook is missing and through every not-rolled-out state, and ends once both are rolled out."""
    workloads(cluster)
    rollout_objects(cluster)
    layer = application_layer(cluster, chart_docs, ready_layer_status(1, "Disabled"))
    before = snapshot(cluster)
    with watched(hook_command(cluster, wait_hook, tmp_path / "wait"), script_env(0.05)) as run:
        assert run.lines.until('status.sidecarWebhook "Disabled"').endswith(", waiting")
        write_status(
            cluster,
            "applicationlayers.operator.tigera.io",
            "tigera-secure",
            None,
            ready_layer_status(layer["metadata"]["generation"]),
        )
        for name, deployment, daemonset, reason in ROLLOUT_STATES:
            write_status(cluster, "deployment", "tigera-apiserver", "tigera-system", deployment)
            write_status(cluster, "daemonset", "l7-log-collector", "calico-system", daemonset)
            assert run.lines.until(reason) == f"ApplicationLayer tigera-secure: {reason}, waiting", name
            assert run.process.poll() is None, name
        write_status(cluster, "daemonset", "l7-log-collector", "calico-system", daemonset_status())
        assert run.lines.until(": ready") == "ApplicationLayer tigera-secure: ready and the sidecar webhook is up"
        err = run.finish(20)
    assert (run.process.returncode, err) == (0, "")
    assert snapshot(cluster) == before  # it waits only: nothing was written
    calls = {line for line in (tmp_path / "wait" / "calls.log").read_text(encoding="utf-8").splitlines()}
    assert calls == {
        "GET /apis/operator.tigera.io/v1/applicationlayers/tigera-secure",
        "GET /apis/apps/v1/namespaces/tigera-system/deployments/tigera-apiserver",
        "GET /apis/apps/v1/namespaces/calico-system/daemonsets/l7-log-collector",
    }


def test_the_gitops_wait_hook_fails_the_sync_when_not_ready_in_time(
    cluster: ApiServer, chart_docs: list[dict[str, Any]], wait_hook: dict[str, Any], tmp_path: Path
) -> None:
    """Not rolled out within readyTimeoutSeconds: exit 1, so the Job fails, and Argo CD fails the sync
    before wave 2 (gitops-engine pkg/sync/sync_context.go: a completed, unsuccessful task fails the
    sync; the next wave is not started)."""
    workloads(cluster)
    rollout_objects(cluster)
    write_status(cluster, "deployment", "tigera-apiserver", "tigera-system", deployment_status())
    write_status(cluster, "daemonset", "l7-log-collector", "calico-system", daemonset_status(available=2))
    layer = application_layer(cluster, chart_docs, None)
    write_status(
        cluster,
        "applicationlayers.operator.tigera.io",
        "tigera-secure",
        None,
        ready_layer_status(layer["metadata"]["generation"]),
    )
    result = subprocess.run(
        hook_command(cluster, wait_hook, tmp_path / "wait", timeout=0.25),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=script_env(0.05),
    )
    assert result.returncode == 1
    assert result.stderr == (
        "error: ApplicationLayer tigera-secure not ready after 0.25s (DaemonSet calico-system/l7-log-collector: 2 of 3 "
        "updated pods available): "
        "no Service or workload was selected; see `kubectl get tigerastatus applicationlayer` and the Tigera "
        "operator's log\n"
    )


def test_the_gitops_wait_hook_may_read_exactly_what_it_waits_for(
    cluster: ApiServer, chart_docs: list[dict[str, Any]], wait_hook: dict[str, Any], tmp_path: Path
) -> None:
    """SubjectAccessReview of every verb on what the hook reads and around it: `get` of the
    ApplicationLayer, the Deployment and the DaemonSet, nothing else (no list, no watch, no patch of
    the workloads it guards)."""
    workloads(cluster)
    rollout_objects(cluster)
    write_status(cluster, "deployment", "tigera-apiserver", "tigera-system", deployment_status())
    write_status(cluster, "daemonset", "l7-log-collector", "calico-system", daemonset_status())
    layer = application_layer(cluster, chart_docs, None)
    write_status(
        cluster,
        "applicationlayers.operator.tigera.io",
        "tigera-secure",
        None,
        ready_layer_status(layer["metadata"]["generation"]),
    )
    result = subprocess.run(
        hook_command(cluster, wait_hook, tmp_path / "wait"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=script_env(0.05),
    )
    assert result.returncode == 0, result.stderr
    calls = {
        call_attributes(line) for line in (tmp_path / "wait" / "calls.log").read_text(encoding="utf-8").splitlines()
    }
    scopes = [
        ("operator.tigera.io", "applicationlayers", None, ["tigera-secure", "other", None]),
        ("projectcalico.org", "felixconfigurations", None, ["default", None]),
        ("crd.projectcalico.org", "felixconfigurations", None, ["default", None]),
        ("apps", "deployments", "tigera-system", ["tigera-apiserver", "other", None]),
        ("apps", "daemonsets", "calico-system", ["l7-log-collector", "other", None]),
        ("apps", "deployments", "calico-system", ["l7-log-collector", None]),
        ("apps", "daemonsets", "tigera-system", ["tigera-apiserver", None]),
        ("apps", "deployments", "shop", ["frontend", "checkout", None]),
        ("", "services", "shop", ["frontend", None]),
        ("", "configmaps", RELEASE_NS, [HOOK_ACCOUNT, None]),
        ("", "secrets", RELEASE_NS, [None]),
        ("", "serviceaccounts", RELEASE_NS, [HOOK_ACCOUNT]),
        ("", "pods", "tigera-system", [None]),
    ]
    checks = [
        (verb, group, resource, ns, name) for group, resource, ns, names in scopes for name in names for verb in VERBS
    ]
    allowed = subject_access(cluster, f"system:serviceaccount:{RELEASE_NS}:{HOOK_ACCOUNT}", checks)
    granted = {check for check, ok in zip(checks, allowed, strict=True) if ok}
    assert (
        granted
        == calls
        == {
            ("get", "operator.tigera.io", "applicationlayers", None, "tigera-secure"),
            ("get", "apps", "deployments", "tigera-system", "tigera-apiserver"),
            ("get", "apps", "daemonsets", "calico-system", "l7-log-collector"),
        }
    )
    assert len(checks) == 216  # 27 (resource, name) pairs x 8 verbs


# ------------------------------------------------------------- records as the script finds them


def test_what_others_did_in_between_is_respected(
    cluster: ApiServer, chart_docs: list[dict[str, Any]], desired: dict[str, Any], tmp_path: Path
) -> None:
    """A Service selected by hand before install stays selected; a field changed since apply is left;
    a Service whose labels no longer match is put back on the next apply; an older chart's record of
    the operator's field is dropped, not restored; a record that is not JSON is reported, the rest go on."""
    ready_cluster(cluster, chart_docs, {"l7LogsFileMaxFiles": 9})
    cluster.kubectl("annotate", "service", "checkout", "-n", SHOP, f"{SERVICE_ANNOTATION[0]}={SERVICE_ANNOTATION[1]}")
    apply(cluster, [service_doc("batch", PAY, {"app": "pay"})])
    before = snapshot(cluster)
    account = token(cluster)
    assert run_script(cluster, account, tmp_path / "apply", "apply", desired)[0].returncode == 0
    batch = get(cluster, "service", "batch", PAY) or {}
    assert batch["metadata"]["annotations"][SERVICE_ANNOTATION[0]] == SERVICE_ANNOTATION[1]
    # batch leaves the selection: the next apply puts it back
    cluster.kubectl("label", "service", "batch", "-n", PAY, "app=batch", "--overwrite")
    assert run_script(cluster, account, tmp_path / "again", "apply", desired)[0].returncode == 0
    batch = get(cluster, "service", "batch", PAY) or {}
    assert (
        SERVICE_ANNOTATION[0] not in batch["metadata"]["annotations"] and RECORD not in batch["metadata"]["annotations"]
    )
    # an admin changes the flush interval flowlogs set: restore leaves it
    cluster.kubectl(
        "patch",
        "felixconfigurations.projectcalico.org",
        "default",
        "--type=merge",
        "-p",
        '{"spec":{"l7LogsFlushInterval":"10s"}}',
    )
    # an older chart recorded policySyncPathPrefix (absent before): dropped, never restored
    felix = get(cluster, "felixconfigurations.projectcalico.org", "default") or {}
    record = json.loads(felix["metadata"]["annotations"][RECORD])
    record["spec"]["policySyncPathPrefix"] = None
    cluster.kubectl(
        "annotate", "felixconfigurations.projectcalico.org", "default", "--overwrite", f"{RECORD}={json.dumps(record)}"
    )
    assert run_script(cluster, account, tmp_path / "restore", "restore", desired)[0].returncode == 0
    after = snapshot(cluster)
    assert after["felix"]["spec"] == {
        "l7LogsFileMaxFiles": 9,
        "l7LogsFlushInterval": "10s",
        "policySyncPathPrefix": "/var/run/nodeagent",
    }
    assert RECORD not in (after["felix"]["metadata"].get("annotations") or {})
    checkout = after[f"service {SHOP}/checkout"]["metadata"]["annotations"]
    assert (
        checkout[SERVICE_ANNOTATION[0]] == SERVICE_ANNOTATION[1] and RECORD not in checkout
    )  # selected by hand: stays
    for key in (f"service {SHOP}/frontend", f"service {PAY}/api", f"deployment {SHOP}/web"):
        assert comparable(after[key]) == comparable(before[key]), key
    # a record that is not JSON: that object is reported, the others are still done
    cluster.kubectl("annotate", "felixconfigurations.projectcalico.org", "default", f"{RECORD}={{oops")
    result, _ = run_script(cluster, account, tmp_path / "broken", "apply", desired)
    assert result.returncode == 1
    assert (get(cluster, "felixconfigurations.projectcalico.org", "default") or {})["spec"][
        "l7LogsFileMaxFiles"
    ] == 9  # not changed
    frontend = get(cluster, "service", "frontend", SHOP) or {}
    assert frontend["metadata"]["annotations"][SERVICE_ANNOTATION[0]] == SERVICE_ANNOTATION[1]


def test_felix_through_the_crd_api_and_no_wait_without_a_selection(
    cluster: ApiServer, chart_docs: list[dict[str, Any]], desired: dict[str, Any], tmp_path: Path
) -> None:
    """felix-api crd.projectcalico.org/v1: the ClusterRole names that group; nothing selected: no wait."""
    docs = render(
        tmp_path / "crd",
        "calico:\n  felix-api: crd.projectcalico.org/v1\n  felix: {max-files: 4}\n  cluster: {platform: eks}\n",
    )
    rbac = [d for d in docs if d["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding")]
    for doc in rbac:
        doc["metadata"]["name"] = doc["metadata"]["name"].replace("flowlogs-calico", "flowlogs-crd")
    for doc in rbac:
        if doc["kind"] == "ClusterRoleBinding":
            doc["roleRef"]["name"] = doc["roleRef"]["name"].replace("flowlogs-calico", "flowlogs-crd")
            doc["subjects"][0]["name"] = doc["subjects"][0]["name"].replace("flowlogs-calico", "flowlogs-crd")
    server_side_apply(cluster, rbac, force=True)
    (state,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "flowlogs-calico-state"]
    want = json.loads(state["data"]["desired.json"])
    delete(cluster, "felixconfigurations.crd.projectcalico.org", "default")
    doc = {
        "apiVersion": "crd.projectcalico.org/v1",
        "kind": "FelixConfiguration",
        "metadata": {"name": "default"},
        "spec": {},
    }
    cluster.kubectl("create", "-f", "-", input=json.dumps(doc))
    delete(cluster, "applicationlayers.operator.tigera.io", "tigera-secure")
    result, calls = run_script(
        cluster, create_token(cluster, RELEASE_NS, "flowlogs-crd-patch"), tmp_path / "apply", "apply", want
    )
    assert result.returncode == 0, result.stderr
    felix = get(cluster, "felixconfigurations.crd.projectcalico.org", "default") or {}
    assert felix["spec"] == {"l7LogsFileMaxFiles": 4}
    assert not any("applicationlayers" in call for call in calls)
    delete(cluster, "felixconfigurations.crd.projectcalico.org", "default")


def test_retire_with_a_previous_state_from_an_older_chart(
    cluster: ApiServer, chart_docs: list[dict[str, Any]], desired: dict[str, Any], tmp_path: Path
) -> None:
    ready_cluster(cluster, chart_docs, {})
    before = snapshot(cluster)
    account = token(cluster)
    assert run_script(cluster, account, tmp_path / "apply", "apply", desired)[0].returncode == 0
    # a chart before desired.json carried facts and readyTimeoutSeconds wrote the previous state
    older = {key: value for key, value in desired.items() if key not in ("facts", "readyTimeoutSeconds")}
    result, _ = run_script(
        cluster, account, tmp_path / "retire", "retire", {**desired, "services": [], "workloads": []}, previous=older
    )
    assert result.returncode == 0, result.stderr
    after = snapshot(cluster)
    for key in before:
        if key != "felix":
            assert comparable(after[key]) == comparable(before[key]), key

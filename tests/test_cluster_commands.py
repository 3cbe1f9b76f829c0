"""`flowlogs validate --cluster` and `flowlogs status` against a real kube-apiserver (v1.36.2).

What a cluster holds when a profile is in effect is never written here by hand, nor read back
from flowlogs' own compiler: it is what the charts render and the API server stores — flowlogs'
chart (`flowlogs render`) applied server-side as Helm 4 or Argo CD apply it, and `cilium-config`
as Cilium's own chart (../shared/tools/cilium-charts) renders it from the profile's overlay.
A change by hand is a `kubectl patch`, as a person would make it. The server's own messages
are what `kubectl apply --server-side --dry-run=server` prints for the same manifest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ROOT, load_yaml_all, write_profile
from flowlogs.cli import main
from tools import upstream_tools
from tools.calico_live import (
    create_token,
    created_by_kubectl_apply,
    delete,
    get,
    ready_layer_status,
    run_script,
    server_side_apply,
    write_status,
)
from tools.upstream_tools import KUBECTL, SHARED_TOOLS, ApiServer

HELM = ROOT / ".cache" / "bin" / "helm"
CILIUM_CHARTS = SHARED_TOOLS / "cilium-charts"
# Cilium's namespace in these tests (a profile's config-map.namespace), not kube-system: the server is shared
NS = "status-cilium"
SHOP = "status-shop"

CILIUM_PROFILE = f"""\
cilium:
  version: "1.17"
  config-map: {{namespace: {NS}}}
  rotation: {{max-size-mb: 20}}
  flow-logs:
    - name: policy-drops
      file: /var/run/cilium/hubble/policy-drops.log
      include:
        - verdict: dropped
          drop-reason: policy-denied
"""

CALICO_GITOPS_PROFILE = f"""\
calico:
  version: "3.20"
  sidecar-injection: on
  patch-mode: gitops
  felix-api: crd.projectcalico.org/v1
  felix:
    flush-interval: 60s
    policy-sync-api: on
  workloads:
    - kind: Deployment
      namespace: {SHOP}
      name: [frontend]
  cluster: {{platform: eks, kubernetes-version: "1.30", nodes: 4}}
"""

FRONTEND = f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: frontend, namespace: {SHOP}}}
spec:
  selector: {{matchLabels: {{app: frontend}}}}
  template:
    metadata: {{labels: {{app: frontend}}}}
    spec: {{containers: [{{name: web, image: nginx:1.27}}]}}
"""

FELIX_BY_OPERATOR = """\
apiVersion: crd.projectcalico.org/v1
kind: FelixConfiguration
metadata: {name: default}
spec: {policySyncPathPrefix: /var/run/egw, l7LogsFlushInterval: 300s}
"""


@pytest.fixture(scope="module")
def server(kube_apiserver: ApiServer) -> Iterator[ApiServer]:
    """The shared server with this module's namespaces. flowlogs' own kubectl runs (~140 here) get the short-lived
    Go programs' environment (upstream_tools.SHORT_GO_ENV: the same output, ~0.01 s of CPU less each)."""
    if not HELM.is_file():
        pytest.skip(f"no helm binary at {HELM}: run `make helm-binary`")
    # and the namespaces a Calico Enterprise cluster has (the gitops wait hook's Roles are there) and
    # Argo CD creates (CreateNamespace=true: the release namespace, where the wait hook runs); no
    # test deletes one. Created as `kubectl create` sends it: those another module made already are refused.
    for name in (NS, SHOP, "tigera-system", "calico-system", "flowlogs-system"):
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        status, body = kube_apiserver.request("POST", "/api/v1/namespaces?fieldManager=kubectl-create", namespace)
        assert status in (201, 409), body
    with pytest.MonkeyPatch.context() as patch:
        for name, value in upstream_tools.SHORT_GO_ENV.items():
            patch.setenv(name, value)
        yield kube_apiserver


def flowlogs(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cluster_args(server: ApiServer) -> list[str]:
    return ["--kubeconfig", str(server.kubeconfig), "--kubectl", str(KUBECTL)]


def rendered(profile: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = flowlogs("render", str(profile), capsys=capsys)
    assert code == 0, err
    return out


_CILIUM_CONFIGS: dict[tuple[str, str, str], str] = {}


def cilium_config(
    profile_name: str, values_dir: Path, minor: str, namespace: str, capsys: pytest.CaptureFixture[str]
) -> str:
    """ConfigMap cilium-config as Cilium's own chart renders it with the profile's overlay (once per profile text)."""
    key = ((values_dir / f"{profile_name}.yaml").read_text(encoding="utf-8"), minor, namespace)
    if key not in _CILIUM_CONFIGS:
        _CILIUM_CONFIGS[key] = _render_cilium_config(profile_name, values_dir, minor, namespace, capsys)
    return _CILIUM_CONFIGS[key]


def _render_cilium_config(
    profile_name: str, values_dir: Path, minor: str, namespace: str, capsys: pytest.CaptureFixture[str]
) -> str:
    code, _, err = flowlogs(
        "--values-dir",
        str(values_dir),
        "--chart-dir",
        str(values_dir.parent / "chart"),
        "generate",
        "--quiet",
        capsys=capsys,
    )
    assert code == 0, err
    overlay = values_dir.parent / "chart" / "profiles" / profile_name / "cilium-values.yaml"
    (chart,) = sorted(CILIUM_CHARTS.glob(f"cilium-{minor}.*.tgz"))
    completed = upstream_tools.ask_helm("template", "cilium", chart, "--namespace", namespace, "-f", overlay)
    assert completed.returncode == 0, completed.stderr
    text = completed.stdout
    (config,) = [
        d
        for d in yaml.safe_load_all(text)
        if d and d["kind"] == "ConfigMap" and d["metadata"]["name"] == "cilium-config"
    ]
    return json.dumps(config)


def status(server: ApiServer, profile: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    return flowlogs("status", str(profile), *cluster_args(server), *extra, capsys=capsys)


def edit_flowlogs_yaml(server: ApiServer, text: str) -> None:
    """The ConfigMap's flowlogs.yaml changed by hand (a merge patch, as `kubectl edit` would)."""
    patch = json.dumps({"data": {"flowlogs.yaml": text}})
    server.kubectl("patch", "configmap", "cilium-flowlog-config", "-n", NS, "--type", "merge", "-p", patch)


def apply_as(server: ApiServer, manager: str, manifests: str) -> None:
    """`kubectl apply --server-side --field-manager MANAGER -f -` of a set-up's manifests (another tool's apply:
    Helm 4's, the operator's), as the requests kubectl sends (calico_live.server_side_apply)."""
    server_side_apply(server, [doc for doc in yaml.safe_load_all(manifests) if doc], manager)


def reset(server: ApiServer, *objects: str) -> None:
    """Each "KIND NAME... [-n NAMESPACE]" gone (`kubectl delete --ignore-not-found`)."""
    for obj in objects:
        words = obj.split()
        namespace = words[words.index("-n") + 1] if "-n" in words else None
        kind, *names = words[: words.index("-n")] if "-n" in words else words
        for name in names:
            delete(server, kind, name, namespace)


# -- status: Cilium


@pytest.fixture()
def cilium_in_effect(server: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The profile's release installed (Helm 4: server-side apply, manager helm) and Cilium upgraded with its
    overlay."""
    values = tmp_path / "values"
    profile = write_profile(values, "cilium-status", CILIUM_PROFILE)
    reset(server, f"configmap cilium-flowlog-config cilium-config -n {NS}")
    apply_as(server, "helm", rendered(profile, capsys))
    apply_as(server, "helm", cilium_config("cilium-status", values, "1.17", NS, capsys))
    return profile


def test_status_in_effect_cilium(server: ApiServer, cilium_in_effect: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = status(server, cilium_in_effect, capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"profile cilium-status ({cilium_in_effect}) on context test ({server.server}):",
        f'  in effect  ConfigMap {NS}/cilium-flowlog-config: data["flowlogs.yaml"]',
        f'  in effect  ConfigMap {NS}/cilium-config: data["hubble-flowlogs-config-path"]',
        f'  in effect  ConfigMap {NS}/cilium-config: data["hubble-export-file-max-size-mb"]',
        "cilium-status: in effect (3 field(s) checked)",
    ]


def test_status_names_the_flow_log_field_changed_by_hand(
    server: ApiServer, cilium_in_effect: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stored = get(server, "configmap", "cilium-flowlog-config", NS) or {}
    text = stored["data"]["flowlogs.yaml"].replace(
        "/var/run/cilium/hubble/policy-drops.log", "/var/run/cilium/hubble/other.log"
    )
    edit_flowlogs_yaml(server, text)
    server.kubectl(
        "patch",
        "configmap",
        "cilium-config",
        "-n",
        NS,
        "--type",
        "merge",
        "-p",
        '{"data": {"hubble-export-file-max-size-mb": "10"}}',
    )
    code, out, err = status(server, cilium_in_effect, capsys)
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[1:] == [
        f'  DRIFT      ConfigMap {NS}/cilium-flowlog-config: data["flowlogs.yaml"].flowLogs["policy-drops"].filePath '
        'is "/var/run/cilium/hubble/other.log", the profile sets "/var/run/cilium/hubble/policy-drops.log"',
        "             hint: helm upgrade flowlogs' release with this profile (or let Argo CD sync it)",
        f'  in effect  ConfigMap {NS}/cilium-config: data["hubble-flowlogs-config-path"]',
        f'  DRIFT      ConfigMap {NS}/cilium-config: data["hubble-export-file-max-size-mb"] is "10", the profile sets '
        '"20"',
        "             hint: helm upgrade Cilium's release with chart/profiles/<profile>/cilium-values.yaml (Cilium "
        "1.17), then restart the agents",
        "cilium-status: NOT in effect: 2 field(s) drifted, 0 missing, of 3 checked",
    ]
    code, out, _ = status(server, cilium_in_effect, capsys, "-o", "json")
    document = json.loads(out)
    assert code == 1 and document["in_effect"] is False
    drifted = [
        (f["object"]["name"], f["field"], f["expected"], f["actual"])
        for f in document["fields"]
        if f["state"] == "drift"
    ]
    assert drifted == [
        (
            "cilium-flowlog-config",
            'data["flowlogs.yaml"].flowLogs["policy-drops"].filePath',
            "/var/run/cilium/hubble/policy-drops.log",
            "/var/run/cilium/hubble/other.log",
        ),
        ("cilium-config", 'data["hubble-export-file-max-size-mb"]', "20", "10"),
    ]


def test_status_reads_flowlogs_yaml_as_the_agent_does(
    server: ApiServer, cilium_in_effect: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same configuration written differently (outer key case, protojson camelCase, order, empty
    lists left out) is in effect (../shared/upstream/cilium/exporter_config.yaml: how the agent parses
    and compares it); a filter the agent would apply differently is drift."""
    same = (
        "FlowLogs:\n"
        "- includeFilters: [{verdict: [DROPPED], dropReasonDesc: [POLICY_DENIED]}]\n"
        "  filepath: /var/run/cilium/hubble/policy-drops.log\n"
        "  name: policy-drops\n"
    )
    edit_flowlogs_yaml(server, same)
    code, out, _ = status(server, cilium_in_effect, capsys)
    assert code == 0, out
    other = same.replace("POLICY_DENIED", "POLICY_DENY") + "- name: extra\n  filePath: stdout\n"
    edit_flowlogs_yaml(server, other)
    code, out, _ = status(server, cilium_in_effect, capsys, "-o", "json")
    drifted = [(f["field"], f["expected"], f["actual"]) for f in json.loads(out)["fields"] if f["state"] == "drift"]
    assert code == 1
    assert drifted == [
        ('data["flowlogs.yaml"].flowLogs.extra', None, {"filePath": "stdout"}),
        (
            'data["flowlogs.yaml"].flowLogs["policy-drops"].includeFilters',
            [{"drop_reason_desc": ["POLICY_DENIED"], "verdict": ["DROPPED"]}],
            [{"drop_reason_desc": ["POLICY_DENY"], "verdict": ["DROPPED"]}],
        ),
    ]


def test_status_missing_objects(server: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = write_profile(tmp_path / "values", "cilium-status", CILIUM_PROFILE)
    reset(server, f"configmap cilium-flowlog-config cilium-config -n {NS}")
    code, out, _ = status(server, profile, capsys)
    assert code == 1
    assert out.splitlines()[1:] == [
        f"  MISSING    ConfigMap {NS}/cilium-flowlog-config: not found",
        "             hint: helm upgrade flowlogs' release with this profile (or let Argo CD sync it)",
        f"  MISSING    ConfigMap {NS}/cilium-config: not found",
        "             hint: helm upgrade Cilium's release with chart/profiles/<profile>/cilium-values.yaml (Cilium "
        "1.17), then restart the agents",
        "cilium-status: NOT in effect: 0 field(s) drifted, 2 missing, of 2 checked",
    ]


def test_objects_read_together_are_what_one_get_each_reads(server: ApiServer) -> None:
    """`status` reads the named objects of a namespace in one `kubectl get`: each is what kubectl's get of that
    object alone gives (a missing one: not found). When one kind is not served, kubectl v1.36 prints none of
    them: that namespace is left out, for one get per object with its own message."""
    from flowlogs.kubectl import Kubectl, Missing, ObjectRef

    reset(server, f"configmap cilium-flowlog-config cilium-config -n {NS}")
    server.kubectl("create", "configmap", "cilium-config", "-n", NS, "--from-literal=enable-hubble=true")
    kubectl = Kubectl.usable(str(KUBECTL), str(server.kubeconfig))
    config = ObjectRef("v1", "ConfigMap", "cilium-config", NS)
    gone = ObjectRef("v1", "ConfigMap", "cilium-flowlog-config", NS)
    namespace = ObjectRef("v1", "Namespace", NS)
    shop = ObjectRef("v1", "Namespace", SHOP)
    unserved = ObjectRef("example.invalid/v1", "Widget", "x", NS)  # no API server serves the group example.invalid
    together = kubectl.get_all([config, gone, namespace, config, shop])
    alone = {ref: kubectl.get(ref) for ref in (config, gone, namespace, shop)}
    assert together == alone and isinstance(alone[gone], Missing) and alone[gone].reason == "not found"
    found = together[config]
    assert isinstance(found, dict) and found["data"] == {"enable-hubble": "true"}
    assert kubectl.get_all([config, unserved, gone]) == {}
    assert kubectl.get(unserved) == Missing(
        "the cluster does not serve Widget of example.invalid/v1 (is the product that defines it installed?)"
    )
    reset(server, f"configmap cilium-config -n {NS}")


# -- status: Calico Enterprise, gitops mode as Argo CD applies it


def argocd_sync(server: ApiServer, manifests: str) -> None:
    """Argo CD's server-side apply: its field manager, conflicts forced (gitops-engine
    pkg/utils/kube/resource_ops.go)."""
    server.kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        "--field-manager",
        "argocd-controller",
        "-f",
        "-",
        input=manifests,
    )


def operator_ready(server: ApiServer) -> None:
    """The operator's part: the ApplicationLayer's components are up, its status as the operator
    writes it (tests/tools/calico_live.py ready_layer_status) at the object's generation."""
    generation = (get(server, "applicationlayers.operator.tigera.io", "tigera-secure") or {})["metadata"]["generation"]
    write_status(server, "applicationlayers.operator.tigera.io", "tigera-secure", None, ready_layer_status(generation))


CALICO_SINGLETONS = (
    "felixconfigurations.crd.projectcalico.org default",
    "applicationlayers.operator.tigera.io tigera-secure",
)


@pytest.fixture()
def calico_in_effect(server: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Path]:
    profile = write_profile(tmp_path / "values", "calico-status", CALICO_GITOPS_PROFILE)
    reset(server, f"deployment frontend -n {SHOP}", *CALICO_SINGLETONS)
    created_by_kubectl_apply(server, load_yaml_all(FRONTEND))  # the workload's owner: client-side apply
    apply_as(server, "operator", FELIX_BY_OPERATOR)
    argocd_sync(server, rendered(profile, capsys))
    operator_ready(server)
    yield profile
    reset(server, *CALICO_SINGLETONS)  # cluster-wide objects: other tests on this server start without them


def test_status_in_effect_calico_gitops(
    server: ApiServer, calico_in_effect: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = status(server, calico_in_effect, capsys)
    assert (code, err) == (0, ""), out
    assert out.splitlines()[1:] == [
        "  in effect  ApplicationLayer tigera-secure: spec.logCollection.collectLogs",
        "  in effect  ApplicationLayer tigera-secure: spec.logCollection.logIntervalSeconds",
        "  in effect  ApplicationLayer tigera-secure: spec.logCollection.logRequestsPerInterval",
        "  in effect  ApplicationLayer tigera-secure: spec.sidecarInjection",
        "  in effect  ApplicationLayer tigera-secure: status.state",
        f"  in effect  Deployment {SHOP}/frontend: "
        'spec.template.metadata.labels["applicationlayer.projectcalico.org/sidecar"]',
        f"  in effect  Deployment {SHOP}/frontend: "
        'spec.template.metadata.annotations["applicationlayer.projectcalico.org/logging"]',
        "  in effect  FelixConfiguration default: spec.l7LogsFlushInterval",
        "  in effect  FelixConfiguration default: spec.policySyncPathPrefix",
        "calico-status: in effect (9 field(s) checked)",
    ]


def patch_felix(server: ApiServer, patch_type: str, patch: str) -> None:
    """A person's `kubectl patch` of FelixConfiguration `default` (merge or json patch)."""
    server.kubectl("patch", "felixconfigurations.crd.projectcalico.org", "default", "--type", patch_type, "-p", patch)


def test_status_names_the_calico_fields_changed_by_hand(
    server: ApiServer, calico_in_effect: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    patch_felix(server, "merge", '{"spec": {"l7LogsFlushInterval": "30s"}}')
    label = "/spec/template/metadata/labels/applicationlayer.projectcalico.org~1sidecar"
    server.kubectl(
        "patch",
        "deployment",
        "frontend",
        "-n",
        SHOP,
        "--type",
        "json",
        "-p",
        json.dumps([{"op": "remove", "path": label}]),
    )
    server.kubectl(
        "patch",
        "applicationlayers.operator.tigera.io",
        "tigera-secure",
        "--type",
        "merge",
        "-p",
        '{"spec": {"logCollection": {"logIntervalSeconds": 60}}}',
    )
    # the operator has not reached Ready
    write_status(server, "applicationlayers.operator.tigera.io", "tigera-secure", None, {"state": None})
    code, out, _ = status(server, calico_in_effect, capsys, "-o", "json")
    document = json.loads(out)
    assert code == 1 and document["in_effect"] is False
    assert [
        (f["object"]["kind"], f["field"], f["expected"], f["actual"], f["set"])
        for f in document["fields"]
        if f["state"] != "in-effect"
    ] == [
        ("ApplicationLayer", "spec.logCollection.logIntervalSeconds", 5, 60, True),
        ("ApplicationLayer", "status.state", "Ready", None, False),
        (
            "Deployment",
            'spec.template.metadata.labels["applicationlayer.projectcalico.org/sidecar"]',
            "true",
            None,
            False,
        ),
        ("FelixConfiguration", "spec.l7LogsFlushInterval", "1m0s", "30s", True),
    ]


def test_status_keeps_the_operators_policy_sync_path(
    server: ApiServer, calico_in_effect: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """policySyncPathPrefix is the operator's (it keeps an existing value): another path is in effect, none is drift."""
    patch_felix(server, "merge", '{"spec": {"policySyncPathPrefix": "/var/run/egw"}}')
    assert status(server, calico_in_effect, capsys)[0] == 0
    patch_felix(server, "json", '[{"op": "remove", "path": "/spec/policySyncPathPrefix"}]')
    code, out, _ = status(server, calico_in_effect, capsys)
    assert code == 1
    assert (
        "  DRIFT      FelixConfiguration default: spec.policySyncPathPrefix is not set, the profile sets "
        '"/var/run/nodeagent"' in out.splitlines()
    )


# -- status: errors


def _kubeconfig_for(server: ApiServer, path: Path, user: dict[str, Any], context: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": context,
                        "cluster": {"server": server.server, "certificate-authority": str(server.ca_file)}
                        if server.ca_file.is_file()
                        else {"server": server.server, "insecure-skip-tls-verify": True},
                    }
                ],
                "users": [{"name": context, "user": user}],
                "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
            }
        ),
        encoding="utf-8",
    )
    return path


def test_status_without_permission_is_a_clear_error(
    server: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A context from a second KUBECONFIG file (as kubectl merges them), whose ServiceAccount may read nothing."""
    profile = write_profile(tmp_path / "values", "cilium-status", CILIUM_PROFILE)
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nobody"}}
    status_code, body = server.request("POST", f"/api/v1/namespaces/{NS}/serviceaccounts", account)
    assert status_code in (201, 409), body  # `kubectl create` (409: made already)
    token = create_token(server, NS, "nobody")
    viewer = _kubeconfig_for(server, tmp_path / "viewer.yaml", {"token": token}, "viewer")
    monkeypatch.setenv("KUBECONFIG", f"{server.kubeconfig}{os.pathsep}{viewer}")
    code, out, err = flowlogs("status", str(profile), "--context", "viewer", "--kubectl", str(KUBECTL), capsys=capsys)
    assert (code, out) == (1, "")
    assert err == (
        f"flowlogs: error: no permission to get ConfigMap {NS}/cilium-flowlog-config: Error from server (Forbidden): "
        "configmaps "
        f'"cilium-flowlog-config" is forbidden: User "system:serviceaccount:{NS}:nobody" cannot get resource '
        '"configmaps" in API group "" '
        f'in the namespace "{NS}"\n'
    )
    # The same files, the admin context (the first file's current context): it answers.
    monkeypatch.setenv("KUBECONFIG", f"{server.kubeconfig}{os.pathsep}{viewer}")
    code, _, err = flowlogs("status", str(profile), "--kubectl", str(KUBECTL), capsys=capsys)
    assert "Forbidden" not in err


def test_status_unreachable_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reason = upstream_tools.kubectl_available()
    if reason:
        pytest.skip(reason)
    profile = write_profile(tmp_path / "values", "cilium-status", CILIUM_PROFILE)
    closed = ApiServer(tmp_path, "https://127.0.0.1:1", "", tmp_path / "ca.crt")
    _kubeconfig_for(closed, tmp_path / "kubeconfig", {"token": "x"}, "gone")
    config = yaml.safe_load((tmp_path / "kubeconfig").read_text())
    config["current-context"] = "gone"
    (tmp_path / "kubeconfig").write_text(yaml.safe_dump(config))
    (tmp_path / "ca.crt").write_text("")
    bad_ca = _kubeconfig_for(
        ApiServer(tmp_path, "https://127.0.0.1:1", "", tmp_path / "ca.crt"),
        tmp_path / "bad-ca.yaml",
        {"token": "x"},
        "bad-ca",
    )
    (tmp_path / "ca.crt").unlink()
    code, _, err = flowlogs(
        "status",
        str(profile),
        "--kubeconfig",
        str(bad_ca),
        "--context",
        "bad-ca",
        "--kubectl",
        str(KUBECTL),
        capsys=capsys,
    )
    assert code == 1 and err.startswith(
        "flowlogs: error: context bad-ca (https://127.0.0.1:1): no cluster to ask: error: unable to read "
        "certificate-authority "
    ), err
    code, out, err = flowlogs(
        "status", str(profile), "--kubeconfig", str(tmp_path / "kubeconfig"), "--kubectl", str(KUBECTL), capsys=capsys
    )
    assert (code, out) == (1, "")
    assert err.startswith("flowlogs: error: context gone (https://127.0.0.1:1): cannot reach the cluster: "), err
    code, _, err = flowlogs(
        "status",
        str(profile),
        "--kubeconfig",
        str(tmp_path / "kubeconfig"),
        "--context",
        "nope",
        "--kubectl",
        str(KUBECTL),
        capsys=capsys,
    )
    assert code == 1 and err.startswith("flowlogs: error: no cluster to ask: "), err
    assert "nope" in err


# -- validate --cluster


def test_validate_cluster_accepts_a_profile(
    server: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = write_profile(tmp_path / "values", "cilium-status", CILIUM_PROFILE)
    reset(server, f"configmap cilium-flowlog-config -n {NS}")  # no other manager's value to conflict with
    code, out, _ = flowlogs(
        "validate", str(profile), "--cluster", *cluster_args(server), "--embedded-only", capsys=capsys
    )
    assert code == 0, out
    assert out.splitlines() == [
        "cilium-status - cluster check passed: 1 manifest(s) accepted by the API server of context test "
        f"({server.server}) (server-side apply, dry run)",
        "Summary: 1 resources found in 1 profiles - Valid: 2, Invalid: 0, Errors: 0, Skipped: 0",
    ]


BROKEN_JOB = f"""\
apiVersion: batch/v1
kind: Job
metadata: {{name: broken, namespace: {NS}}}
spec:
  template:
    spec:
      restartPolicy: Always
      containers: [{{name: c, image: busybox:1.36}}]
"""


def test_validate_cluster_reports_the_servers_own_message(
    server: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Job with restartPolicy Always passes the schemas; the server refuses it, in its own words."""
    profile = write_profile(tmp_path / "values", "cilium-status", CILIUM_PROFILE.replace(NS, "no-such-namespace"))
    documents = tmp_path / "extra.yaml"
    documents.write_text(BROKEN_JOB, encoding="utf-8")
    direct = server.kubectl(
        "apply",
        "--server-side",
        "--dry-run=server",
        "--field-manager",
        "flowlogs",
        "-f",
        "-",
        input=BROKEN_JOB,
        check=False,
    )
    assert direct.returncode == 1
    server_message = direct.stderr.strip().replace(' "STDIN"', "")
    code, out, _ = flowlogs(
        "validate",
        str(profile),
        "--documents",
        str(documents),
        "--cluster",
        *cluster_args(server),
        "--embedded-only",
        "-o",
        "json",
        capsys=capsys,
    )
    assert code == 1
    cluster = [
        (r["profile"], r["kind"], r["name"], r["status"], r["msg"])
        for r in json.loads(out)["resources"]
        if r["check"] == "cluster"
    ]
    missing_namespace = (
        server.kubectl(
            "apply",
            "--server-side",
            "--dry-run=server",
            "--field-manager",
            "flowlogs",
            "-f",
            "-",
            input=rendered(profile, capsys),
            check=False,
        )
        .stderr.strip()
        .replace(' "STDIN"', "")
    )
    assert cluster == [
        ("cilium-status", "ConfigMap", "cilium-flowlog-config", "statusInvalid", missing_namespace),
        ("documents", "Job", "broken", "statusInvalid", server_message),
    ]
    assert "restartPolicy" in server_message and "no-such-namespace" in missing_namespace


def test_validate_cluster_unreachable_is_a_setup_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reason = upstream_tools.kubectl_available()
    if reason:
        pytest.skip(reason)
    profile = write_profile(tmp_path / "values", "cilium-status", CILIUM_PROFILE)
    closed = ApiServer(tmp_path, "https://127.0.0.1:1", "", tmp_path / "ca.crt")
    config = _kubeconfig_for(closed, tmp_path / "kubeconfig", {"token": "x"}, "gone")
    code, out, _ = flowlogs(
        "validate",
        str(profile),
        "--cluster",
        "--kubeconfig",
        str(config),
        "--context",
        "gone",
        "--kubectl",
        str(KUBECTL),
        capsys=capsys,
    )
    assert code == 1
    assert out.startswith(
        "(setup) - setup check failed: context gone (https://127.0.0.1:1): cannot reach the cluster: "
    ), out


def test_cluster_flags_need_cluster(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = flowlogs("validate", "cilium-exporter", "--context", "prod", capsys=capsys)
    assert (code, err) == (
        1,
        "flowlogs: error: --kubeconfig, --context and --kubectl choose the cluster of --cluster: add --cluster\n",
    )


# An ELF header of a 64-bit arm64 executable (e_machine 0xb7): the kernel's answer on this machine is ENOEXEC.
ARM64_ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\xb7\x00"


@pytest.mark.parametrize("command", ["status", "validate"])
def test_a_kubectl_that_cannot_run_is_a_clear_error(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno
    import platform

    if platform.machine() in ("aarch64", "arm64"):
        pytest.skip("an arm64 executable runs on this machine")
    foreign = tmp_path / "kubectl"
    foreign.write_bytes(ARM64_ELF)
    foreign.chmod(0o755)
    profile = write_profile(tmp_path / "values", "cilium-status", CILIUM_PROFILE)
    extra = ["--cluster"] if command == "validate" else []
    code, out, err = flowlogs(command, str(profile), *extra, "--kubectl", str(foreign), capsys=capsys)
    assert (code, out, err) == (
        1,
        "",
        f"flowlogs: error: kubectl {foreign} cannot run on this machine: {os.strerror(errno.ENOEXEC)}\n",
    )


# -- status: Calico Enterprise, job mode, after the chart's own hook script ran


CALICO_JOB_PROFILE = f"""\
calico:
  version: "3.19"
  felix-api: crd.projectcalico.org/v1
  interval: 5s
  felix:
    flush-interval: 60s
    policy-sync-api: on
  services:
    - namespace: {SHOP}
      name: [frontend]
    - namespace: {SHOP}
      selector: tier=web
  cluster: {{platform: eks, nodes: 4}}
"""

SERVICES = f"""\
apiVersion: v1
kind: Service
metadata: {{name: frontend, namespace: {SHOP}}}
spec: {{ports: [{{port: 80}}], selector: {{app: frontend}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {SHOP}, labels: {{tier: web}}}}
spec: {{ports: [{{port: 80}}], selector: {{app: web}}}}
"""


def run_patch_job(server: ApiServer, manifests: str, tmp_path: Path) -> None:
    """The chart's hook script `apply`, with a TokenRequest token of the chart's ServiceAccount (its own RBAC)."""
    (state,) = [
        d
        for d in yaml.safe_load_all(manifests)
        if d and d["kind"] == "ConfigMap" and d["metadata"]["name"] == "flowlogs-calico-state"
    ]
    token = create_token(server, "flowlogs-system", "flowlogs-calico-patch")
    result, _ = run_script(server, token, tmp_path / "job", "apply", json.loads(state["data"]["desired.json"]))
    assert result.returncode == 0, result.stdout + result.stderr


def test_status_calico_job_mode(server: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = write_profile(tmp_path / "values", "calico-job", CALICO_JOB_PROFILE)
    reset(server, f"service frontend web -n {SHOP}", *CALICO_SINGLETONS)
    try:
        _calico_job_mode(server, profile, tmp_path, capsys)
    finally:
        reset(server, *CALICO_SINGLETONS)


def _calico_job_mode(server: ApiServer, profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    created_by_kubectl_apply(server, load_yaml_all(SERVICES))
    apply_as(server, "operator", FELIX_BY_OPERATOR)
    manifests = rendered(profile, capsys)
    apply_as(server, "helm", manifests)
    operator_ready(server)
    run_patch_job(server, manifests, tmp_path)

    code, out, err = status(server, profile, capsys)
    assert (code, err) == (0, ""), out
    assert [line for line in out.splitlines() if "Service" in line or "Felix" in line] == [
        "  in effect  FelixConfiguration default: spec.l7LogsFlushInterval",
        "  in effect  FelixConfiguration default: spec.policySyncPathPrefix",
        f'  in effect  Service {SHOP}/frontend: metadata.annotations["projectcalico.org/l7-logging"]',
        f'  in effect  Service {SHOP}/web: metadata.annotations["projectcalico.org/l7-logging"]',
    ]
    server.kubectl("annotate", "service", "web", "-n", SHOP, "projectcalico.org/l7-logging-")
    code, out, _ = status(server, profile, capsys)
    assert code == 1
    assert [line for line in out.splitlines() if "DRIFT" in line] == [
        f'  DRIFT      Service {SHOP}/web: metadata.annotations["projectcalico.org/l7-logging"] is not set, the '
        'profile sets "true"'
    ]


# -- the cilium-config keys of each version, against Cilium's own chart (no server needed)


@pytest.mark.parametrize("minor", ["1.16", "1.17", "1.18", "1.19"])
def test_cilium_config_expectations_are_what_ciliums_chart_writes(
    minor: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every cilium-config key `status` expects has the value Cilium's chart of that version renders from
    the profile's overlay, and every hubble-export-*/hubble-flowlogs-* key the overlay changes is expected."""
    if not HELM.is_file() or not CILIUM_CHARTS.is_dir():
        pytest.skip(f"needs {HELM} and {CILIUM_CHARTS}")
    from flowlogs.compiler import compile_named
    from flowlogs.kubectl import ObjectRef

    rotation = "  rotation: {max-size-mb: 20, max-backups: 3}\n" if minor in ("1.16", "1.17") else ""
    text = CILIUM_PROFILE.replace('"1.17"', f'"{minor}"').replace("  rotation: {max-size-mb: 20}\n", rotation)
    values = tmp_path / "values"
    write_profile(values, "cilium-status", text)
    chart_config = json.loads(cilium_config("cilium-status", values, minor, NS, capsys))["data"]
    ((product, part),) = compile_named("cilium-status", values).products()
    wanted = {
        e.path[1]: e.value
        for e in product.expected_state(part, [])
        if e.target == ObjectRef("v1", "ConfigMap", "cilium-config", NS)
    }
    assert wanted == {key: chart_config[key] for key in wanted}
    # The keys the chart writes differently without the overlay are exactly the expected ones.
    (chart,) = sorted(CILIUM_CHARTS.glob(f"cilium-{minor}.*.tgz"))
    plain = upstream_tools.ask_helm(
        "template", "cilium", chart, "--namespace", NS, "--show-only", "templates/cilium-configmap.yaml"
    )
    assert plain.returncode == 0, plain.stderr
    before = yaml.safe_load(plain.stdout)["data"]
    changed = {
        k
        for k in set(chart_config) | set(before)
        if k.startswith(("hubble-export", "hubble-flowlogs")) and chart_config.get(k) != before.get(k)
    }
    assert changed == set(wanted)
    assert "hubble-flowlogs-config-path" in wanted


def test_validate_cluster_conflicts_as_each_tool_applies(
    server: ApiServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Felix field another manager set first: a conflict for a plain server-side apply, accepted with
    conflicts forced as Argo CD applies (the server's verdict both times)."""
    profile = write_profile(tmp_path / "values", "calico-status", CALICO_GITOPS_PROFILE)
    reset(server, f"deployment frontend -n {SHOP}", *CALICO_SINGLETONS)
    try:
        created_by_kubectl_apply(server, load_yaml_all(FRONTEND))
        apply_as(server, "operator", FELIX_BY_OPERATOR)
        (felix,) = [d for d in yaml.safe_load_all(rendered(profile, capsys)) if d and d["kind"] == "FelixConfiguration"]
        direct = server.kubectl(
            "apply",
            "--server-side",
            "--dry-run=server",
            "--field-manager",
            "flowlogs",
            "-f",
            "-",
            input=json.dumps(felix),
            check=False,
        )
        # gitops mode leaves policySyncPathPrefix to the operator: the one conflict is the L7 flush interval
        assert (
            direct.returncode == 1
            and 'Apply failed with 1 conflict: conflict with "operator": .spec.l7LogsFlushInterval\n' in direct.stderr
        )
        code, out, _ = flowlogs(
            "validate", str(profile), "--cluster", *cluster_args(server), "--embedded-only", "-o", "json", capsys=capsys
        )
        refused = [
            (r["kind"], r["msg"])
            for r in json.loads(out)["resources"]
            if r["check"] == "cluster" and r["status"] != "statusValid"
        ]
        assert (code, refused) == (1, [("FelixConfiguration", direct.stderr.strip().replace(' "STDIN"', ""))])
        # every other manifest is reported accepted, with no message (those the server accepted in the call of their
        # namespace are not applied again)
        accepted = [
            (r["kind"], r["msg"])
            for r in json.loads(out)["resources"]
            if r["check"] == "cluster" and r["status"] == "statusValid"
        ]
        assert sorted(accepted) == [
            ("ApplicationLayer", ""),
            ("ClusterRole", ""),
            ("ClusterRoleBinding", ""),
            ("ConfigMap", ""),
            ("Deployment", ""),
            ("Job", ""),
            ("Role", ""),
            ("Role", ""),
            ("RoleBinding", ""),
            ("RoleBinding", ""),
            ("ServiceAccount", ""),
        ]
        code, out, _ = flowlogs(
            "validate",
            str(profile),
            "--cluster",
            *cluster_args(server),
            "--embedded-only",
            "--field-manager",
            "argocd-controller",
            "--force-conflicts",
            capsys=capsys,
        )
        assert code == 0, out
        # Felix, ApplicationLayer, the Deployment; the wait hook: its ConfigMap, Job, ServiceAccount,
        # ClusterRole(Binding), 2 Roles(Bindings)
        assert out.splitlines()[0].startswith(
            "calico-status - cluster check passed: 12 manifest(s) accepted by the API server of context test"
        )
    finally:
        reset(server, *CALICO_SINGLETONS)

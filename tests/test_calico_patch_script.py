"""The script the chart's hook Jobs run (files/calico-l7-patch.py), against a fake Kubernetes API.

The fake keeps objects by API path, applies JSON merge patches (RFC 7386) with the
resourceVersion precondition a real API server applies, and can enforce the RBAC rules the
chart renders, so the tests show both the logic (record, patch, restore, prune, idempotent
re-runs) and that the Job's permissions are exactly enough.
"""

from __future__ import annotations

import copy
import importlib.util
import io
import json
import re
import shutil
import sys
import urllib.error
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from flowlogs.calico.chart_values import upstream_facts
from flowlogs.calico.selectors import parse_selector
from flowlogs.calico.tables import load_tables
from flowlogs.calico.words import WORKLOAD_KINDS
from flowlogs.generate import generate
from flowlogs.helm import EmbeddedHelm

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "generator" / "flowlogs" / "calico" / "chart" / "files" / "calico-l7-patch.py"
RECORD = "flowlogs.dev/l7-restore"
FELIX = "/apis/projectcalico.org/v3/felixconfigurations/default"
SHOP = "/api/v1/namespaces/shop/services"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("calico_l7_patch", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = load_script()


def merge(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


class FakeApi:
    """In-memory API objects keyed by path; optional RBAC check of every call."""

    def __init__(self, objects: dict[str, dict[str, Any]], allow: Any = None) -> None:
        self.objects = {path: copy.deepcopy(obj) for path, obj in objects.items()}
        self.version = 1
        for obj in self.objects.values():
            obj.setdefault("metadata", {})["resourceVersion"] = str(self.version)
        self.calls: list[tuple[str, str]] = []
        self.patches: list[tuple[str, dict[str, Any]]] = []
        self.allow = allow
        self.conflicts: dict[str, int] = {}  # path -> how many PATCHes to answer with 409 (changed meanwhile)

    def _check(self, verb: str, path: str) -> None:
        self.calls.append((verb, path))
        if self.allow is not None and not self.allow(verb, path):
            raise script.ApiError(403, f"{verb} {path}: forbidden")

    def get(self, path: str) -> dict[str, Any] | None:
        self._check("get", path)
        obj = self.objects.get(path)
        return copy.deepcopy(obj) if obj is not None else None

    def list(self, path: str, selector: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
        self._check("list", path)
        wanted = parse_selector(selector) if selector else {}
        items = []
        for key in sorted(self.objects):
            if key.rsplit("/", 1)[0] == path and name in (None, key.rsplit("/", 1)[1]):
                obj = copy.deepcopy(self.objects[key])
                obj.pop("kind", None)  # list items carry no kind
                if script.selector_matches(wanted, obj["metadata"].get("labels")):
                    items.append(obj)
        return items

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self._check("patch", path)
        if path not in self.objects:
            raise script.ApiError(404, f"PATCH {path}: 404")
        if self.conflicts.get(path):
            self.conflicts[path] -= 1
            self.version += 1
            self.objects[path]["metadata"]["resourceVersion"] = str(self.version)
        expected = body.get("metadata", {}).get("resourceVersion")
        if expected and expected != self.objects[path]["metadata"]["resourceVersion"]:
            raise script.ApiError(409, f"PATCH {path}: 409 conflict")
        self.patches.append((path, copy.deepcopy(body)))
        self.version += 1
        self.objects[path] = merge(self.objects[path], body)
        self.objects[path]["metadata"]["resourceVersion"] = str(self.version)
        return copy.deepcopy(self.objects[path])

    def spec(self, path: str) -> dict[str, Any]:
        return dict(self.objects[path].get("spec", {}))

    def annotations(self, path: str) -> dict[str, str]:
        return dict(self.objects[path]["metadata"].get("annotations", {}))


def felix(spec: dict[str, Any] | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "default"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "projectcalico.org/v3", "kind": "FelixConfiguration", "metadata": meta, "spec": spec or {}}


def service(name: str, namespace: str = "shop", labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": {"ports": [{"port": 80}]}}


def facts(version: str = "3.20") -> dict[str, Any]:
    """desired.json's facts, as the chart renders them from calico.upstream."""
    upstream = upstream_facts()
    return {**upstream["versions"][version], "workloadResources": upstream["workloadResources"]}


def desired(
    felix_spec: dict[str, Any] | None = None,
    services: list[dict[str, Any]] | None = None,
    workloads: list[dict[str, Any]] | None = None,
    ready_timeout: int = 0,
) -> dict[str, Any]:
    return {
        "felix": {"apiVersion": "projectcalico.org/v3", "spec": felix_spec or {}},
        "services": services or [],
        "workloads": workloads or [],
        "facts": facts(),
        "readyTimeoutSeconds": ready_timeout,
    }


class FakeClock:
    """time.monotonic and time.sleep for the script: sleeping moves the clock, nobody waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def run(
    api: FakeApi, command: str, want: dict[str, Any], tmp_path: Path, previous: dict[str, Any] | None = None, clock: FakeClock | None = None
) -> tuple[int, str, str]:
    (tmp_path / "desired.json").write_text(json.dumps(want), encoding="utf-8")
    argv = ["calico-l7-patch.py", command, str(tmp_path / "desired.json")]
    if previous is not None:
        (tmp_path / "previous.json").write_text(json.dumps(previous), encoding="utf-8")
        argv.append(str(tmp_path / "previous.json"))
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stderr
    sys.stderr = err
    try:
        clock = clock or FakeClock()
        code = script.main(argv, api=api, out=out, sleep=clock.sleep, clock=clock)
    finally:
        sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


SEED = {"policySyncPathPrefix": "/var/run/nodeagent"}
APPLICATION_LAYER = "/apis/operator.tigera.io/v1/applicationlayers/tigera-secure"


def ready_application_layer(state: str | None = "Ready") -> dict[str, Any]:
    """ApplicationLayer tigera-secure as the operator leaves it: status.state "Ready" once its
    components are available (tigera/operator release-v1.36 pkg/controller/applicationlayer/
    applicationlayer_controller.go: instance.Status.State = operatorv1.TigeraStatusReady;
    api/v1/tigerastatus_types.go: TigeraStatusReady = "Ready")."""
    obj: dict[str, Any] = {"apiVersion": "operator.tigera.io/v1", "kind": "ApplicationLayer", "metadata": {"name": "tigera-secure"}, "spec": {}}
    if state is not None:
        obj["status"] = {"state": state}
    return obj


# ---------------------------------------------------------------------- FelixConfiguration


def test_apply_records_then_restore_removes_fields_absent_before(tmp_path: Path) -> None:
    api = FakeApi({FELIX: felix({"bpfEnabled": False})})
    want = desired({**SEED, "l7LogsFlushInterval": "60s"})
    assert run(api, "apply", want, tmp_path)[0] == 0
    assert api.spec(FELIX) == {"bpfEnabled": False, "policySyncPathPrefix": "/var/run/nodeagent", "l7LogsFlushInterval": "60s"}
    # policySyncPathPrefix is the operator's (facts.operatorFields): set when empty, never recorded
    assert api.annotations(FELIX) == {RECORD: '{"spec":{"l7LogsFlushInterval":null}}'}
    # one request: the change and its record together, guarded by the resourceVersion read
    assert api.patches == [
        (
            FELIX,
            {
                "metadata": {"annotations": {RECORD: '{"spec":{"l7LogsFlushInterval":null}}'}, "resourceVersion": "1"},
                "spec": {"l7LogsFlushInterval": "60s", "policySyncPathPrefix": "/var/run/nodeagent"},
            },
        )
    ]
    code, out, _ = run(api, "restore", want, tmp_path)
    assert code == 0
    assert api.spec(FELIX) == {"bpfEnabled": False, "policySyncPathPrefix": "/var/run/nodeagent"}
    assert api.annotations(FELIX) == {}
    assert out.splitlines() == [
        'FelixConfiguration default: restored l7LogsFlushInterval: "60s" -> removed',
        "FelixConfiguration default: policySyncPathPrefix left to the Tigera operator (it keeps it while an ApplicationLayer is enabled)",
    ]


def test_restore_puts_previous_values_back(tmp_path: Path) -> None:
    api = FakeApi({FELIX: felix({"l7LogsFlushInterval": "15s", "l7LogsFileMaxFiles": 9})})
    want = desired({"l7LogsFlushInterval": "60s", "l7LogsFileMaxFiles": 3})
    run(api, "apply", want, tmp_path)
    assert api.spec(FELIX) == {"l7LogsFlushInterval": "60s", "l7LogsFileMaxFiles": 3}
    assert json.loads(api.annotations(FELIX)[RECORD]) == {"spec": {"l7LogsFlushInterval": "15s", "l7LogsFileMaxFiles": 9}}
    run(api, "restore", want, tmp_path)
    assert api.spec(FELIX) == {"l7LogsFlushInterval": "15s", "l7LogsFileMaxFiles": 9}
    assert api.annotations(FELIX) == {}


def test_reruns_are_idempotent_and_keep_the_first_record(tmp_path: Path) -> None:
    api = FakeApi({FELIX: felix({"l7LogsFlushInterval": "15s"})})
    want = desired({**SEED, "l7LogsFlushInterval": "60s"})
    run(api, "apply", want, tmp_path)
    after_first = copy.deepcopy(api.objects[FELIX])
    code, out, _ = run(api, "apply", want, tmp_path)
    assert code == 0 and out == "FelixConfiguration default: unchanged\n"
    assert len(api.patches) == 1
    assert api.objects[FELIX] == after_first
    # restore twice: the second run finds no record and changes nothing
    run(api, "restore", want, tmp_path)
    run(api, "restore", want, tmp_path)
    assert len(api.patches) == 2
    assert api.spec(FELIX) == {"l7LogsFlushInterval": "15s", "policySyncPathPrefix": "/var/run/nodeagent"}


def test_operator_fields_are_never_recorded_or_restored(tmp_path: Path) -> None:
    """tigera/operator release-v1.34 and release-v1.36, pkg/controller/applicationlayer/
    applicationlayer_controller.go (getPolicySyncPathPrefix): the operator sets policySyncPathPrefix
    when it is empty and an ApplicationLayer is enabled, keeps an existing value (e.g. an egress
    gateway's), and never clears it. Recording and restoring it would race with the operator."""
    api = FakeApi({FELIX: felix({"policySyncPathPrefix": "/var/run/nodeagent", "tproxyMode": "Enabled"})})
    code, out, _ = run(api, "apply", desired(SEED), tmp_path)
    assert (code, out, api.patches) == (0, "FelixConfiguration default: unchanged\n", [])
    run(api, "restore", desired(SEED), tmp_path)
    assert api.spec(FELIX) == {"policySyncPathPrefix": "/var/run/nodeagent", "tproxyMode": "Enabled"}
    assert api.patches == []
    # another value (set for an egress gateway, say) is left as the operator leaves it
    api = FakeApi({FELIX: felix({"policySyncPathPrefix": "/var/run/egw"})})
    code, out, _ = run(api, "apply", desired(SEED), tmp_path)
    assert code == 0 and api.spec(FELIX) == {"policySyncPathPrefix": "/var/run/egw"}
    assert out.splitlines()[-1] == 'FelixConfiguration default: policySyncPathPrefix is "/var/run/egw", left to the Tigera operator'


def test_a_record_of_an_operator_field_from_an_older_chart_is_dropped_not_restored(tmp_path: Path) -> None:
    old_record = '{"spec":{"l7LogsFileMaxFiles":9,"policySyncPathPrefix":null}}'
    api = FakeApi({FELIX: felix({"policySyncPathPrefix": "/var/run/nodeagent", "l7LogsFileMaxFiles": 3}, {RECORD: old_record})})
    code, out, _ = run(api, "restore", desired({**SEED, "l7LogsFileMaxFiles": 3}), tmp_path)
    assert code == 0
    assert api.spec(FELIX) == {"policySyncPathPrefix": "/var/run/nodeagent", "l7LogsFileMaxFiles": 9}
    assert api.annotations(FELIX) == {}


def test_restore_leaves_a_field_someone_changed_since(tmp_path: Path) -> None:
    api = FakeApi({FELIX: felix({})})
    want = desired({**SEED, "l7LogsFlushInterval": "60s"})
    run(api, "apply", want, tmp_path)
    api.objects[FELIX]["spec"]["l7LogsFlushInterval"] = "10s"  # an admin's later change
    code, out, _ = run(api, "restore", want, tmp_path)
    assert code == 0
    assert api.spec(FELIX) == {"l7LogsFlushInterval": "10s", **SEED}
    assert api.annotations(FELIX) == {}
    assert "FelixConfiguration default: l7LogsFlushInterval was changed since flowlogs set it; left as is" in out


def test_conflicting_write_is_retried(tmp_path: Path) -> None:
    api = FakeApi({FELIX: felix({})})
    api.conflicts[FELIX] = 2
    assert run(api, "apply", desired(SEED), tmp_path)[0] == 0
    assert api.spec(FELIX) == SEED
    assert [verb for verb, _ in api.calls] == ["get", "patch", "get", "patch", "get", "patch"]


def test_missing_felix_configuration_fails_apply_but_not_restore(tmp_path: Path) -> None:
    api = FakeApi({})
    code, _, err = run(api, "apply", desired(SEED), tmp_path)
    assert code == 1
    assert err == f"error: FelixConfiguration default not found at {FELIX}: is Calico Enterprise installed (with its API server, for projectcalico.org/v3)?\n"
    code, out, _ = run(api, "restore", desired(SEED), tmp_path)
    assert (code, out) == (0, "FelixConfiguration default not found: nothing to restore\n")


def go_duration(text: str) -> str:
    """How a metav1.Duration reads back from Calico's API server: 60s -> 1m0s, 300s -> 5m0s."""
    total = sum(int(n) * {"s": 1, "m": 60, "h": 3600}[u] for n, u in re.findall(r"([0-9]+)(s|m|h)", text))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes}m{secs}s" if hours else f"{minutes}m{secs}s" if minutes else f"{secs}s"


class CalicoApiServer(FakeApi):
    """projectcalico.org/v3 stores l7LogsFlushInterval as a metav1.Duration and prints it the Go way."""

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        result = super().patch(path, body)
        spec = self.objects[path].get("spec", {})
        if "l7LogsFlushInterval" in spec:
            spec["l7LogsFlushInterval"] = go_duration(spec["l7LogsFlushInterval"])
        return result


def test_durations_read_back_in_go_form_are_still_ours(tmp_path: Path) -> None:
    assert (go_duration("60s"), go_duration("1m30s"), go_duration("2h"), go_duration("15s")) == ("1m0s", "1m30s", "2h0m0s", "15s")
    api = CalicoApiServer({FELIX: felix({})})
    want = desired({**SEED, "l7LogsFlushInterval": "60s"})
    run(api, "apply", want, tmp_path)
    assert api.spec(FELIX)["l7LogsFlushInterval"] == "1m0s"
    code, out, _ = run(api, "apply", want, tmp_path)
    assert (code, out, len(api.patches)) == (0, "FelixConfiguration default: unchanged\n", 1)  # idempotent
    code, out, _ = run(api, "restore", want, tmp_path)
    assert code == 0 and "left as is" not in out
    assert api.spec(FELIX) == SEED and api.annotations(FELIX) == {}


def test_a_changed_duration_is_still_left_as_is(tmp_path: Path) -> None:
    api = CalicoApiServer({FELIX: felix({})})
    want = desired({"l7LogsFlushInterval": "60s"})
    run(api, "apply", want, tmp_path)
    api.objects[FELIX]["spec"]["l7LogsFlushInterval"] = "1m30s"
    _, out, _ = run(api, "restore", want, tmp_path)
    assert api.spec(FELIX) == {"l7LogsFlushInterval": "1m30s"}
    assert "l7LogsFlushInterval was changed since flowlogs set it; left as is" in out


def test_felix_through_the_crd_api(tmp_path: Path) -> None:
    path = "/apis/crd.projectcalico.org/v1/felixconfigurations/default"
    api = FakeApi({path: felix({})})
    want = desired(SEED)
    want["felix"]["apiVersion"] = "crd.projectcalico.org/v1"
    assert run(api, "apply", want, tmp_path)[0] == 0
    assert api.spec(path) == SEED


def test_record_that_is_not_json_is_reported_and_the_others_go_on(tmp_path: Path) -> None:
    api = FakeApi({FELIX: felix({}, {RECORD: "{oops"}), f"{SHOP}/frontend": service("frontend")})
    code, out, err = run(api, "apply", desired(SEED, [{"namespace": "shop", "names": ["frontend"]}]), tmp_path)
    assert code == 1
    assert err == "error: FelixConfiguration default not changed: annotation flowlogs.dev/l7-restore is not JSON; fix or remove it by hand\n"
    assert api.annotations(f"{SHOP}/frontend")["projectcalico.org/l7-logging"] == "true"


def test_usage(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text("{}", encoding="utf-8")
    assert script.main(["x", "apply"], api=FakeApi({})) == 2
    assert script.main(["x", "prune", str(tmp_path / "d.json")], api=FakeApi({})) == 2
    assert script.main(["x", "apply", str(tmp_path / "d.json"), str(tmp_path / "d.json")], api=FakeApi({})) == 2


# ------------------------------------------------------------------------------- Services


def test_named_services(tmp_path: Path) -> None:
    api = FakeApi(
        {
            FELIX: felix({}),
            f"{SHOP}/frontend": service("frontend"),
            f"{SHOP}/checkout": service("checkout", annotations={"projectcalico.org/l7-logging": "true"}),
        }
    )
    want = desired(SEED, [{"namespace": "shop", "names": ["checkout", "frontend"]}])
    code, out, _ = run(api, "apply", want, tmp_path)
    assert code == 0
    assert api.annotations(f"{SHOP}/frontend") == {
        "projectcalico.org/l7-logging": "true",
        RECORD: '{"metadata":{"annotations":{"projectcalico.org/l7-logging":null}}}',
    }
    # already selected by hand before install: recorded as "true", so uninstall keeps it selected
    assert api.annotations(f"{SHOP}/checkout") == {
        "projectcalico.org/l7-logging": "true",
        RECORD: '{"metadata":{"annotations":{"projectcalico.org/l7-logging":"true"}}}',
    }
    assert 'Service shop/frontend: annotations.projectcalico.org/l7-logging: absent -> "true"' in out
    run(api, "restore", want, tmp_path)
    assert api.annotations(f"{SHOP}/frontend") == {}
    assert api.annotations(f"{SHOP}/checkout") == {"projectcalico.org/l7-logging": "true"}
    assert api.objects[f"{SHOP}/frontend"]["spec"] == {"ports": [{"port": 80}]}


def test_missing_named_service_fails_after_the_others(tmp_path: Path) -> None:
    api = FakeApi({FELIX: felix({}), f"{SHOP}/frontend": service("frontend")})
    code, _, err = run(api, "apply", desired(SEED, [{"namespace": "shop", "names": ["frontend", "gone"]}]), tmp_path)
    assert code == 1
    assert err == "error: Service shop/gone not found\n"
    assert api.annotations(f"{SHOP}/frontend")["projectcalico.org/l7-logging"] == "true"


def test_selected_services_follow_their_labels(tmp_path: Path) -> None:
    api = FakeApi(
        {
            FELIX: felix({}),
            f"{SHOP}/a": service("a", labels={"tier": "web"}),
            f"{SHOP}/b": service("b", labels={"tier": "db"}),
            f"{SHOP}/c": service("c", labels={"tier": "web"}),
        }
    )
    want = desired(SEED, [{"namespace": "shop", "selectors": [{"matchLabels": {"tier": "web"}}]}])
    run(api, "apply", want, tmp_path)
    assert [p for p in sorted(api.objects) if "projectcalico.org/l7-logging" in api.annotations(p)] == [f"{SHOP}/a", f"{SHOP}/c"]
    assert ("list", SHOP) in api.calls
    # c's labels change: the next run (an upgrade) puts it back and keeps a
    api.objects[f"{SHOP}/c"]["metadata"]["labels"] = {"tier": "batch"}
    run(api, "apply", want, tmp_path)
    assert api.annotations(f"{SHOP}/c") == {}
    assert "projectcalico.org/l7-logging" in api.annotations(f"{SHOP}/a")
    run(api, "restore", want, tmp_path)
    assert [p for p in sorted(api.objects) if api.annotations(p)] == []


def test_prune_restores_what_the_new_release_no_longer_selects(tmp_path: Path) -> None:
    api = FakeApi(
        {
            FELIX: felix({}),
            f"{SHOP}/frontend": service("frontend"),
            f"{SHOP}/checkout": service("checkout"),
            "/api/v1/namespaces/pay/services/api": service("api", "pay", labels={"app": "pay"}),
        }
    )
    old = desired(SEED, [{"namespace": "pay", "selectors": [{"matchLabels": {"app": "pay"}}]}, {"namespace": "shop", "names": ["checkout", "frontend"]}])
    new = desired(SEED, [{"namespace": "shop", "names": ["frontend"]}])
    run(api, "apply", old, tmp_path)
    before = len(api.patches)
    code, out, _ = run(api, "prune", new, tmp_path, previous=old)
    assert code == 0
    assert api.annotations(f"{SHOP}/checkout") == {}
    assert api.annotations("/api/v1/namespaces/pay/services/api") == {}
    assert "projectcalico.org/l7-logging" in api.annotations(f"{SHOP}/frontend")  # still selected: untouched
    assert len(api.patches) == before + 2
    assert api.spec(FELIX) == SEED  # Felix is the apply Job's business
    assert out.splitlines() == [
        'Service pay/api: restored annotations.projectcalico.org/l7-logging: "true" -> removed',
        'Service shop/checkout: restored annotations.projectcalico.org/l7-logging: "true" -> removed',
    ]


# ------------------------------------------------------------------------------ workloads


def test_workloads_get_the_sidecar_label_and_annotation(tmp_path: Path) -> None:
    path = "/apis/apps/v1/namespaces/shop/deployments/web"
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "web:1"}]}}},
    }
    api = FakeApi({FELIX: felix({}), path: deployment})
    want = desired({}, workloads=[{"kind": "Deployment", "namespace": "shop", "names": ["web"]}])
    run(api, "apply", want, tmp_path)
    template = api.objects[path]["spec"]["template"]
    assert template["metadata"] == {
        "labels": {"app": "web", "applicationlayer.projectcalico.org/sidecar": "true"},
        "annotations": {"applicationlayer.projectcalico.org/logging": "Enabled"},
    }
    # the record sits on the Deployment itself, not on the pod template (no extra rollout)
    assert json.loads(api.annotations(path)[RECORD]) == {
        "spec": {"template": {"metadata": {"annotations": {"applicationlayer.projectcalico.org/logging": None}, "labels": {"applicationlayer.projectcalico.org/sidecar": None}}}}
    }
    run(api, "restore", want, tmp_path)
    assert api.objects[path]["spec"]["template"]["metadata"] == {"labels": {"app": "web"}, "annotations": {}}
    assert api.annotations(path) == {}


# ------------------------------------------------------------- against the rendered RBAC


def rbac_checker(manifests: list[dict[str, Any]], namespace: str, account: str = "flowlogs-calico-patch") -> Any:
    """allow(verb, path) from the rendered ClusterRoles/Roles bound to the Job's ServiceAccount."""
    subject = {"kind": "ServiceAccount", "name": account, "namespace": namespace}
    bound = {
        (doc["kind"], doc["metadata"].get("namespace"), doc["roleRef"]["kind"], doc["roleRef"]["name"])
        for doc in manifests
        if doc["kind"] in ("RoleBinding", "ClusterRoleBinding") and subject in doc["subjects"]
    }
    rules: list[tuple[str | None, dict[str, Any]]] = []
    for doc in manifests:
        name = doc["metadata"]["name"]
        if doc["kind"] == "ClusterRole" and ("ClusterRoleBinding", None, "ClusterRole", name) in bound:
            rules += [(None, r) for r in doc["rules"]]
        if doc["kind"] == "Role" and ("RoleBinding", doc["metadata"]["namespace"], "Role", name) in bound:
            rules += [(doc["metadata"]["namespace"], r) for r in doc["rules"]]

    def allow(verb: str, path: str) -> bool:
        match = re.match(r"^/(?:api/v1|apis/(?P<group>[^/]+)/[^/]+)(?:/namespaces/(?P<ns>[^/]+))?/(?P<resource>[^/]+)(?:/(?P<name>[^/]+))?$", path)
        assert match, path
        group = match["group"] or ""
        for scope, rule in rules:
            if scope != match["ns"] or group not in rule["apiGroups"] or match["resource"] not in rule["resources"] or verb not in rule["verbs"]:
                continue
            if "resourceNames" in rule and match["name"] not in rule["resourceNames"]:
                continue
            return True
        return False

    return allow


@pytest.fixture(scope="module")
def rendered_rbac(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    root = tmp_path_factory.mktemp("rbac")
    values_dir = root / "values"
    values_dir.mkdir()
    (values_dir / "rbac.yaml").write_text(
        "calico:\n"
        "  sidecar-injection: on\n"
        "  felix: {policy-sync-api: on}\n"
        "  services:\n"
        "    - {namespace: shop, name: [frontend, checkout]}\n"
        "    - {namespace: pay, selector: app=pay}\n"
        "  workloads:\n"
        "    - {kind: Deployment, namespace: shop, name: web}\n"
        "  cluster: {platform: eks}\n",
        encoding="utf-8",
    )
    generate(values_dir, root / "chart")
    values = yaml.safe_load((root / "chart" / "profiles" / "rbac" / "values.yaml").read_text(encoding="utf-8"))
    manifests = EmbeddedHelm().template(root / "chart", values, release_name="flowlogs", namespace="flowlogs-system")
    docs = [yaml.safe_load(m.text) for m in manifests]
    (state,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "flowlogs-calico-state"]
    return docs, json.loads(state["data"]["desired.json"])


def test_the_rendered_rbac_is_exactly_enough(tmp_path: Path, rendered_rbac: tuple[list[dict[str, Any]], dict[str, Any]]) -> None:
    docs, want = rendered_rbac
    deployment = "/apis/apps/v1/namespaces/shop/deployments/web"
    objects = {
        FELIX: felix({}),
        f"{SHOP}/frontend": service("frontend"),
        f"{SHOP}/checkout": service("checkout"),
        f"{SHOP}/other": service("other"),
        "/api/v1/namespaces/pay/services/api": service("api", "pay", labels={"app": "pay"}),
        deployment: {"kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"template": {"metadata": {}}}},
        APPLICATION_LAYER: ready_application_layer(),
    }
    api = FakeApi(objects, allow=rbac_checker(docs, "flowlogs-system"))
    assert run(api, "apply", want, tmp_path)[0] == 0
    assert run(api, "apply", want, tmp_path)[0] == 0
    assert run(api, "restore", want, tmp_path)[0] == 0
    assert all(not api.annotations(p) for p in api.objects)
    # prune (pre-upgrade) runs with this release's RBAC against the next release's selection
    assert run(api, "apply", want, tmp_path)[0] == 0
    smaller = {**want, "services": [t for t in want["services"] if t["namespace"] == "shop"], "workloads": []}
    assert run(api, "prune", smaller, tmp_path, previous=want)[0] == 0
    assert not api.annotations("/api/v1/namespaces/pay/services/api") and not api.annotations(deployment)
    assert "projectcalico.org/l7-logging" in api.annotations(f"{SHOP}/frontend")
    # and the rules count only when bound to the Job's ServiceAccount
    assert not rbac_checker(docs, "default")("get", FELIX)
    # and nothing beyond: the same Job may not touch an unselected Service or another namespace
    allow = rbac_checker(docs, "flowlogs-system")
    assert not allow("patch", f"{SHOP}/other")
    assert not allow("get", f"{SHOP}/other")
    assert not allow("list", SHOP)
    assert allow("list", "/api/v1/namespaces/pay/services")
    assert not allow("patch", "/apis/projectcalico.org/v3/felixconfigurations/other")
    assert allow("get", APPLICATION_LAYER) and not allow("patch", APPLICATION_LAYER) and not allow("list", APPLICATION_LAYER.rsplit("/", 1)[0])
    assert not allow("patch", "/api/v1/namespaces/kube-system/services/kube-dns")


def test_the_script_repeats_no_calico_fact(rendered_rbac: tuple[list[dict[str, Any]], dict[str, Any]]) -> None:
    """The facts reach the script in desired.json, rendered from calico.upstream (the tables)."""
    text = SCRIPT.read_text(encoding="utf-8")
    tables = load_tables("3.20")
    assert tables.sidecar is not None
    for fact in (*tables.sidecar.label, *tables.sidecar.annotation, tables.service_annotation[0], tables.application_layer_name, "statefulsets"):
        assert fact not in text, fact
    _, want = rendered_rbac
    assert want["facts"] == {
        "applicationLayer": {"apiVersion": "operator.tigera.io/v1", "name": tables.application_layer_name, "readyState": "Ready"},
        "serviceAnnotations": dict([tables.service_annotation]),
        "sidecar": {"labels": dict([tables.sidecar.label]), "annotations": dict([tables.sidecar.annotation])},
        "operatorFields": sorted(tables.operator_sets),
        "workloadResources": {kind: resource for kind, (_, resource) in WORKLOAD_KINDS.items()},
    }
    assert want["readyTimeoutSeconds"] == 600


class FakeResponse(io.BytesIO):
    def __enter__(self) -> FakeResponse:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()


def test_api_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The urllib layer: bearer token re-read per call, merge-patch bodies, query strings, errors."""
    token = tmp_path / "token"
    token.write_text("t1\n", encoding="utf-8")
    sent: list[tuple[str, str, dict[str, str], Any]] = []
    answers: list[Any] = []

    def urlopen(request: Any, context: Any, timeout: int) -> FakeResponse:
        body = json.loads(request.data) if request.data else None
        sent.append((request.get_method(), request.full_url, dict(request.header_items()), body))
        answer = answers.pop(0)
        if isinstance(answer, int):
            raise urllib.error.HTTPError(request.full_url, answer, "x", {}, io.BytesIO(b'{"message": "nope"}'))  # type: ignore[arg-type]
        return FakeResponse(json.dumps(answer).encode())

    monkeypatch.setattr(script.urllib.request, "urlopen", urlopen)
    monkeypatch.setattr(script.ssl, "create_default_context", lambda cafile: None)
    api = script.Api("https://[fd00::1]:443", str(token), "ca.crt")
    answers += [{"items": [{"metadata": {"name": "a"}}]}, 404, {"kind": "Service"}]
    assert api.list(SHOP, "app in (a,b),!legacy", name="a") == [{"metadata": {"name": "a"}}]
    assert api.get(f"{SHOP}/gone") is None
    token.write_text("t2", encoding="utf-8")  # rotated
    api.patch(f"{SHOP}/a", {"metadata": {"annotations": {"x": "y"}}})
    assert [(m, u) for m, u, _, _ in sent] == [
        ("GET", "https://[fd00::1]:443/api/v1/namespaces/shop/services?labelSelector=app+in+%28a%2Cb%29%2C%21legacy&fieldSelector=metadata.name%3Da"),
        ("GET", "https://[fd00::1]:443/api/v1/namespaces/shop/services/gone"),
        ("PATCH", "https://[fd00::1]:443/api/v1/namespaces/shop/services/a"),
    ]
    assert sent[0][2]["Authorization"] == "Bearer t1" and sent[2][2]["Authorization"] == "Bearer t2"
    assert sent[2][2]["Content-type"] == "application/merge-patch+json"
    assert sent[2][3] == {"metadata": {"annotations": {"x": "y"}}}
    answers.append(409)
    with pytest.raises(script.ApiError, match="PATCH /x: 409 nope") as raised:
        api.patch("/x", {})
    assert raised.value.status == 409


def test_the_chart_ships_this_script(tmp_path: Path) -> None:
    values_dir = tmp_path / "values"
    shutil.copytree(ROOT / "values", values_dir)
    generate(values_dir, tmp_path / "chart")
    assert (tmp_path / "chart" / "files" / "calico-l7-patch.py").read_text(encoding="utf-8") == SCRIPT.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "text",
    ["app=web", "app=web,tier in (a,b)", "!legacy", "tier notin (x)", "team", "app=web,env!=prod,!legacy,zone in (a,b)"],
)
def test_selector_text_round_trips_between_generator_and_script(text: str) -> None:
    from flowlogs.calico.selectors import selector_text

    selector = parse_selector(text)
    assert script.selector_text(selector) == selector_text(selector)
    assert parse_selector(script.selector_text(selector)) == selector


@pytest.mark.parametrize(
    ("text", "labels", "matches"),
    [
        ("app=web", {"app": "web"}, True),
        ("app=web", {"app": "db"}, False),
        ("env!=prod", {}, True),
        ("env!=prod", {"env": "prod"}, False),
        ("tier in (a,b)", {"tier": "b"}, True),
        ("tier in (a,b)", {}, False),
        ("tier notin (a)", {}, True),
        ("!legacy", {"legacy": ""}, False),
        ("team", {"team": "x"}, True),
    ],
)
def test_selector_matching_is_kubernetes_semantics(text: str, labels: dict[str, str], matches: bool) -> None:
    assert script.selector_matches(parse_selector(text), labels) is matches


# ------------------------------------------------- waiting for the operator, errors, restore


class OperatorApi(FakeApi):
    """The Tigera operator marks the ApplicationLayer Ready after `polls_until_ready` reads."""

    def __init__(self, objects: dict[str, dict[str, Any]], polls_until_ready: int | None) -> None:
        super().__init__(objects)
        self.polls_until_ready = polls_until_ready

    def get(self, path: str) -> dict[str, Any] | None:
        obj = super().get(path)
        if path == APPLICATION_LAYER and obj is not None:
            polls = sum(1 for verb, p in self.calls if (verb, p) == ("get", APPLICATION_LAYER))
            ready = self.polls_until_ready is not None and polls >= self.polls_until_ready
            obj["status"] = {"state": "Ready"} if ready else {}
        return obj


def test_apply_selects_traffic_only_once_the_application_layer_is_ready(tmp_path: Path) -> None:
    api = OperatorApi({FELIX: felix({}), APPLICATION_LAYER: ready_application_layer(None), f"{SHOP}/frontend": service("frontend")}, 4)
    clock = FakeClock()
    code, out, _ = run(api, "apply", desired(SEED, [{"namespace": "shop", "names": ["frontend"]}], ready_timeout=600), tmp_path, clock=clock)
    assert code == 0
    assert clock.sleeps == [2.0, 4.0, 8.0]  # backoff between the four reads
    first_service_call = next(i for i, (_, path) in enumerate(api.calls) if path.startswith(SHOP))
    last_status_read = max(i for i, (_, path) in enumerate(api.calls) if path == APPLICATION_LAYER)
    assert last_status_read < first_service_call
    assert out.splitlines()[1:] == [
        "ApplicationLayer tigera-secure: status.state unset, waiting",
        "ApplicationLayer tigera-secure: status.state unset, waiting",
        "ApplicationLayer tigera-secure: status.state unset, waiting",
        "ApplicationLayer tigera-secure: Ready",
        'Service shop/frontend: annotations.projectcalico.org/l7-logging: absent -> "true"',
    ]


def test_an_application_layer_never_ready_selects_nothing_and_fails_within_the_timeout(tmp_path: Path) -> None:
    api = OperatorApi({FELIX: felix({}), APPLICATION_LAYER: ready_application_layer(None), f"{SHOP}/frontend": service("frontend")}, None)
    clock = FakeClock()
    code, _, err = run(api, "apply", desired(SEED, [{"namespace": "shop", "names": ["frontend"]}], ready_timeout=100), tmp_path, clock=clock)
    assert code == 1
    assert clock.sleeps == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 10.0] and clock.now == 100
    assert api.annotations(f"{SHOP}/frontend") == {}
    assert api.spec(FELIX) == SEED  # Felix is set: the collector needs it before it can be Ready
    assert err == (
        "error: ApplicationLayer tigera-secure not Ready after 100s (status.state unset): no Service or workload was selected; "
        "see `kubectl get tigerastatus applicationlayer` and the Tigera operator's log\n"
    )


def test_no_selection_means_no_wait(tmp_path: Path) -> None:
    api = OperatorApi({FELIX: felix({})}, None)
    clock = FakeClock()
    assert run(api, "apply", desired(SEED, ready_timeout=600), tmp_path, clock=clock)[0] == 0
    assert clock.sleeps == [] and ("get", APPLICATION_LAYER) not in api.calls


class FailingApi(FakeApi):
    """Answers the listed (verb, path) with an error, every time."""

    def __init__(self, objects: dict[str, dict[str, Any]], failures: dict[tuple[str, str], Exception]) -> None:
        super().__init__(objects)
        self.failures = failures

    def _check(self, verb: str, path: str) -> None:
        super()._check(verb, path)
        if (verb, path) in self.failures:
            raise self.failures[(verb, path)]


def test_restore_goes_on_after_a_failure_and_says_exactly_what_was_not_restored(tmp_path: Path) -> None:
    objects = {FELIX: felix({}), **{f"{SHOP}/{name}": service(name) for name in ("a", "b", "c")}}
    want = desired({**SEED, "l7LogsFlushInterval": "60s"}, [{"namespace": "shop", "names": ["a", "b", "c"]}])
    api = FakeApi(objects)
    assert run(api, "apply", want, tmp_path)[0] == 0
    failing = FailingApi(
        api.objects,
        {
            ("patch", f"{SHOP}/b"): script.ApiError(403, f"PATCH {SHOP}/b: 403 forbidden"),
            ("patch", FELIX): script.ApiError(503, f"PATCH {FELIX}: 503 unavailable (after 6 attempts)"),
        },
    )
    code, out, err = run(failing, "restore", want, tmp_path)
    assert code == 1
    assert out.splitlines() == [
        'Service shop/a: restored annotations.projectcalico.org/l7-logging: "true" -> removed',
        'Service shop/c: restored annotations.projectcalico.org/l7-logging: "true" -> removed',
        "FelixConfiguration default: policySyncPathPrefix left to the Tigera operator (it keeps it while an ApplicationLayer is enabled)",
    ]
    assert err.splitlines() == [
        f"error: Service shop/b not restored: PATCH {SHOP}/b: 403 forbidden (the Job's RBAC does not allow it)",
        f"error: FelixConfiguration default not restored: PATCH {FELIX}: 503 unavailable (after 6 attempts)",
        "error: 2 problem(s); everything else listed above was restored. Fix them and run the Job again, "
        "or uninstall without restoring: helm uninstall --no-hooks",
    ]
    assert failing.annotations(f"{SHOP}/b")[RECORD]  # the record stays: a later run can still restore it


def test_retire_restores_everything_the_previous_release_set(tmp_path: Path) -> None:
    old = desired(SEED, [{"namespace": "shop", "names": ["frontend"]}])
    api = FakeApi({FELIX: felix({}), f"{SHOP}/frontend": service("frontend")})
    run(api, "apply", old, tmp_path)
    # the previous release's state may come from a chart before desired.json carried the facts
    written_by_an_older_chart = {key: value for key, value in old.items() if key not in ("facts", "readyTimeoutSeconds")}
    code, out, _ = run(api, "retire", desired(), tmp_path, previous=written_by_an_older_chart)
    assert code == 0
    assert api.annotations(f"{SHOP}/frontend") == {}
    assert out.splitlines()[0] == 'Service shop/frontend: restored annotations.projectcalico.org/l7-logging: "true" -> removed'


def test_transient_api_errors_are_retried_with_backoff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """429 (honouring Retry-After), 5xx, connection reset and timeout are retried; 403 is not."""
    token = tmp_path / "token"
    token.write_text("t", encoding="utf-8")
    answers: list[Any] = []

    def urlopen(request: Any, context: Any, timeout: int) -> FakeResponse:
        answer = answers.pop(0)
        if isinstance(answer, tuple):
            code, headers = answer
            raise urllib.error.HTTPError(request.full_url, code, "x", headers, io.BytesIO(b'{"message": "busy"}'))
        if isinstance(answer, BaseException):
            raise answer
        return FakeResponse(json.dumps(answer).encode())

    monkeypatch.setattr(script.urllib.request, "urlopen", urlopen)
    monkeypatch.setattr(script.ssl, "create_default_context", lambda cafile: None)
    clock = FakeClock()
    api = script.Api("https://api:443", str(token), "ca.crt", sleep=clock.sleep)
    import email.message
    import socket

    retry_after = email.message.Message()
    retry_after["Retry-After"] = "3"
    answers += [(503, {}), (429, retry_after), urllib.error.URLError(ConnectionResetError(104, "Connection reset by peer")), socket.timeout("timed out"), {"kind": "Service"}]
    assert api.get(f"{SHOP}/a") == {"kind": "Service"}
    assert clock.sleeps == [1.0, 3.0, 4.0, 8.0]
    assert capsys.readouterr().err.splitlines() == [
        f"retrying in 1s: GET {SHOP}/a: 503 busy",
        f"retrying in 3s: GET {SHOP}/a: 429 busy",
        f"retrying in 4s: GET {SHOP}/a: ConnectionResetError: [Errno 104] Connection reset by peer",
        f"retrying in 8s: GET {SHOP}/a: TimeoutError: timed out",
    ]
    answers += [(403, {})]
    with pytest.raises(script.ApiError, match="403 busy"):
        api.get(f"{SHOP}/a")
    assert len(clock.sleeps) == 4
    answers += [(500, {})] * script.ATTEMPTS
    with pytest.raises(script.ApiError, match="500 busy") as raised:
        api.get(f"{SHOP}/a")
    assert raised.value.transient and clock.sleeps[4:] == [1.0, 2.0, 4.0, 8.0, 16.0] and answers == []


@pytest.mark.parametrize(
    ("env", "desired_text", "expected"),
    [
        ({}, json.dumps(desired(SEED)), "error: KeyError: 'KUBERNETES_SERVICE_HOST'\n"),
        ({}, "{not json", "error: cannot read the desired state: JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)\n"),
        ({}, "{}", "error: cannot read the desired state: KeyError: 'facts'\n"),
    ],
)
def test_the_job_log_never_gets_a_traceback(tmp_path: Path, env: dict[str, str], desired_text: str, expected: str) -> None:
    """The script as the Job runs it (python3 FILE apply desired.json), in a process of its own."""
    import os
    import subprocess

    (tmp_path / "desired.json").write_text(desired_text, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "apply", str(tmp_path / "desired.json")], capture_output=True, text=True, env={**clean, **env}, timeout=60, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (1, "", expected)

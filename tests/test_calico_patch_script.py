"""The script the chart's hook Jobs run (files/calico-l7-patch.py): what a real API server will not
do on demand, against a fake Kubernetes API.

Everything a real server does (record, patch, restore, prune, re-runs, missing objects, field
managers, the readiness wait, RBAC) is tested against the real kube-apiserver in
tests/test_calico_live.py. Here stay the faults: 409 conflicts mid-run, 429 / 5xx / connection
resets / timeouts, and Calico's own API server reading durations back in Go form (it is not
served by the test server); plus what needs no API at all (usage, facts, selectors, the Job log).
"""

from __future__ import annotations

import copy
import importlib.util
import io
import json
import shutil
import sys
import urllib.error
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from flowlogs.calico.chart_values import upstream_facts
from flowlogs.calico.defaults import WORKLOAD_KINDS
from flowlogs.calico.selectors import parse_selector
from flowlogs.calico.tables import load_tables
from flowlogs.generate import generate
from flowlogs.go_duration import format_duration, parse_duration
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


def service(
    name: str, namespace: str = "shop", labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None
) -> dict[str, Any]:
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
    api: FakeApi,
    command: str,
    want: dict[str, Any],
    tmp_path: Path,
    previous: dict[str, Any] | None = None,
    clock: FakeClock | None = None,
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


# ---------------------------------------------------------------------- FelixConfiguration


def test_conflicting_write_is_retried(tmp_path: Path) -> None:
    api = FakeApi({FELIX: felix({})})
    api.conflicts[FELIX] = 2
    assert run(api, "apply", desired(SEED), tmp_path)[0] == 0
    assert api.spec(FELIX) == SEED
    assert [verb for verb, _ in api.calls] == ["get", "patch", "get", "patch", "get", "patch"]


def go_duration(text: str) -> str:
    """How a metav1.Duration reads back from Calico's API server (time.ParseDuration, then
    Duration.String, both checked against Go's tables in test_go_duration.py): 60s -> 1m0s."""
    return format_duration(parse_duration(text))


class CalicoApiServer(FakeApi):
    """projectcalico.org/v3 stores l7LogsFlushInterval as a metav1.Duration and prints it the Go way."""

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        result = super().patch(path, body)
        spec = self.objects[path].get("spec", {})
        if "l7LogsFlushInterval" in spec:
            spec["l7LogsFlushInterval"] = go_duration(spec["l7LogsFlushInterval"])
        return result


def test_durations_read_back_in_go_form_are_still_ours(tmp_path: Path) -> None:
    assert (go_duration("60s"), go_duration("1m30s"), go_duration("2h"), go_duration("15s")) == (
        "1m0s",
        "1m30s",
        "2h0m0s",
        "15s",
    )
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


def test_usage(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text("{}", encoding="utf-8")
    assert script.main(["x", "apply"], api=FakeApi({})) == 2
    assert script.main(["x", "prune", str(tmp_path / "d.json")], api=FakeApi({})) == 2
    assert script.main(["x", "apply", str(tmp_path / "d.json"), str(tmp_path / "d.json")], api=FakeApi({})) == 2
    assert script.main(["x", "wait", str(tmp_path / "d.json"), str(tmp_path / "d.json")], api=FakeApi({})) == 2


def test_wait_with_no_timeout_reads_nothing(tmp_path: Path) -> None:
    """readyTimeoutSeconds 0 (the chart then renders no wait hook): nothing to wait for, no API call."""
    facts = {
        "applicationLayer": {"apiVersion": "operator.tigera.io/v1", "name": "x"},
        "sidecar": {},
        "operatorFields": [],
    }
    (tmp_path / "w.json").write_text(
        json.dumps({"facts": facts, "readyTimeoutSeconds": 0, "services": [{"namespace": "a", "names": ["b"]}]}),
        encoding="utf-8",
    )
    api = FakeApi({})
    assert script.main(["x", "wait", str(tmp_path / "w.json")], api=api) == 0
    assert api.calls == []


# ------------------------------------------------------------------- the rendered facts


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


def test_the_script_repeats_no_calico_fact(rendered_rbac: tuple[list[dict[str, Any]], dict[str, Any]]) -> None:
    """The facts reach the script in desired.json, rendered from calico.upstream (the tables)."""
    text = SCRIPT.read_text(encoding="utf-8")
    tables = load_tables("3.20")
    assert tables.sidecar is not None
    for fact in (
        *tables.sidecar.label,
        *tables.sidecar.annotation,
        tables.service_annotation[0],
        tables.application_layer_name,
        "statefulsets",
        "tigera-apiserver",
        "l7-log-collector",
        "calico-system",
    ):
        assert fact not in text, fact
    _, want = rendered_rbac
    assert want["facts"] == {
        "applicationLayer": {
            "apiVersion": "operator.tigera.io/v1",
            "name": tables.application_layer_name,
            "readyState": "Ready",
            "readyCondition": "Ready",
            "degradedCondition": "Degraded",
        },
        "serviceAnnotations": dict([tables.service_annotation]),
        "sidecar": {
            "labels": dict([tables.sidecar.label]),
            "annotations": dict([tables.sidecar.annotation]),
            "webhookState": "Enabled",
            "waitFor": [
                {"kind": "Deployment", "namespace": "tigera-system", "name": "tigera-apiserver"},
                {"kind": "DaemonSet", "namespace": "calico-system", "name": "l7-log-collector"},
            ],
        },
        "operatorFields": sorted(tables.operator_sets),
        "workloadResources": dict(WORKLOAD_KINDS),
    }
    assert want["readyTimeoutSeconds"] == 600


class FakeResponse(io.BytesIO):
    def __enter__(self) -> FakeResponse:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()


def test_the_chart_ships_this_script(tmp_path: Path) -> None:
    values_dir = tmp_path / "values"
    shutil.copytree(ROOT / "values", values_dir)
    generate(values_dir, tmp_path / "chart")
    assert (tmp_path / "chart" / "files" / "calico-l7-patch.py").read_text(encoding="utf-8") == SCRIPT.read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize(
    "text",
    [
        "app=web",
        "app=web,tier in (a,b)",
        "!legacy",
        "tier notin (x)",
        "team",
        "app=web,env!=prod,!legacy,zone in (a,b)",
    ],
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
        "FelixConfiguration default: policySyncPathPrefix left to the Tigera operator (it keeps it while an "
        "ApplicationLayer is enabled)",
    ]
    assert err.splitlines() == [
        f"error: Service shop/b not restored: PATCH {SHOP}/b: 403 forbidden (the Job's RBAC does not allow it)",
        f"error: FelixConfiguration default not restored: PATCH {FELIX}: 503 unavailable (after 6 attempts)",
        "error: 2 problem(s); everything else listed above was restored. Fix them and run the Job again, "
        "or uninstall without restoring: helm uninstall --no-hooks",
    ]
    assert failing.annotations(f"{SHOP}/b")[RECORD]  # the record stays: a later run can still restore it


def test_transient_api_errors_are_retried_with_backoff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
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

    retry_after = email.message.Message()
    retry_after["Retry-After"] = "3"
    answers += [
        (503, {}),
        (429, retry_after),
        urllib.error.URLError(ConnectionResetError(104, "Connection reset by peer")),
        TimeoutError("timed out"),
        {"kind": "Service"},
    ]
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
        (
            {},
            "{not json",
            "error: cannot read the desired state: JSONDecodeError: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)\n",
        ),
        ({}, "{}", "error: cannot read the desired state: KeyError: 'facts'\n"),
    ],
)
def test_the_job_log_never_gets_a_traceback(
    tmp_path: Path, env: dict[str, str], desired_text: str, expected: str
) -> None:
    """The script as the Job runs it (python3 FILE apply desired.json), in a process of its own."""
    import os
    import subprocess

    (tmp_path / "desired.json").write_text(desired_text, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "apply", str(tmp_path / "desired.json")],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (1, "", expected)

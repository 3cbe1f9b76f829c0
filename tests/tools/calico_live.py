"""The Calico part against the real kube-apiserver (tests/tools/upstream_tools.py ApiServer).

- `projectcalico.org/v3` (Calico's aggregated API server) is not served there: a CRD copy of
  Calico Enterprise's FelixConfiguration schema under that group stands in for it
  (../shared/tools/kube-apiserver/README.md). That is the Kubernetes side of the API (apply,
  merge patch, field managers, RBAC), not Calico's own validation.
- The hook script runs with a ServiceAccount token from the TokenRequest API, its API calls logged
  (verb, path) so that RBAC checks can compare them: its `main` in the test process (`run_script`),
  or as a process where a test changes the cluster while it waits (`watched`).
- `argocd_sync` applies manifests as Argo CD v3.5.1 does (gitops-engine, vendored in argo-cd
  v3.5.1 under gitops-engine/): `kubectl apply --server-side --force-conflicts
  --field-manager=argocd-controller` (pkg/utils/kube/resource_ops.go: ForceConflicts =
  serverSideApply; controller/sync.go: manager argocd-controller), after the client-side-apply
  migration unless the Application's syncOptions say `ClientSideApplyMigration=false`
  (pkg/sync/sync_context.go applyObject, needsClientSideApplyMigration,
  performCSAUpgradeMigration -> k8s.io/client-go/util/csaupgrade UpgradeManagedFieldsPatch).
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from upstream_tools import ApiServer, accept_test_ca

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "generator" / "flowlogs" / "calico" / "chart" / "files" / "calico-l7-patch.py"
ARGOCD_MANAGER = "argocd-controller"  # argo-cd v3.5.1 common.ArgoCDSSAManager
CSA_MANAGER = "kubectl-client-side-apply"  # gitops-engine DefaultClientSideApplyMigrationManager
NO_CSA_MIGRATION = "ClientSideApplyMigration=false"  # gitops-engine SyncOptionDisableClientSideApplyMigration

# The script as the Job runs it, but with the API reached at SERVER with TOKEN_FILE and CA_FILE
# instead of the in-cluster paths; each call is logged to LOG as "VERB PATH". POLL_ENV, when set,
# is the readiness wait's poll interval in seconds (first and longest), so that tests wait briefly.
POLL_ENV = "FLOWLOGS_TEST_READY_POLL"
DRIVER = f"""
import importlib.util, os, sys
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from upstream_tools import accept_test_ca
server, token_file, ca_file, log, *argv = sys.argv[1:]
spec = importlib.util.spec_from_file_location("calico_l7_patch", {{script!r}})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
if os.environ.get({POLL_ENV!r}):
    module.READY_POLL_FIRST = module.READY_POLL_MAX = float(os.environ[{POLL_ENV!r}])
once = module.Api._once
def logged(self, method, path, body):
    with open(log, "a", encoding="utf-8") as stream:
        stream.write(method + " " + path + "\\n")
    return once(self, method, path, body)
module.Api._once = logged
api = module.Api(server, token_file, ca_file)
accept_test_ca(api.context)
sys.exit(module.main(["calico-l7-patch.py", *argv], api=api))
"""


def kubectl_json(server: ApiServer, *args: str, input: str | None = None, token: str | None = None) -> Any:
    return json.loads(server.kubectl(*args, "-o", "json", input=input, token=token).stdout)


# The tests' own reads, deletions and status writes are requests from the test process
# (ApiServer.request), each the one kubectl would send, to where kubectl would send it: the names
# kubectl takes for a kind (plural, singular, short, each also with ".group") from the server's
# discovery, at the group's preferred version. Per server (by its run directory: a later server may
# get the same port), read again when a name is new.
_DISCOVERED: dict[Path, dict[str, tuple[str, str, bool]]] = {}


def _discover(server: ApiServer) -> dict[str, tuple[str, str, bool]]:
    names: dict[str, tuple[str, str, bool]] = {}
    _, groups = server.request("GET", "/apis")
    versions = [("", "/api/v1")] + [
        (g["name"], "/apis/" + g["preferredVersion"]["groupVersion"]) for g in groups["groups"]
    ]
    for group, prefix in versions:
        _, found = server.request("GET", prefix)
        for resource in found["resources"]:
            if "/" in resource["name"]:  # a subresource
                continue
            spellings = {resource["name"], resource.get("singularName") or resource["kind"].lower()}
            for spelling in spellings | set(resource.get("shortNames", [])):
                for name in (spelling, f"{spelling}.{group}" if group else spelling):
                    names.setdefault(name, (prefix, resource["name"], resource["namespaced"]))
    return names


def _resource(server: ApiServer, kind: str) -> tuple[str, str, bool]:
    """(the preferred version's path, the plural, whether namespaced) of a kind as kubectl names it."""
    if kind not in _DISCOVERED.get(server.run_dir, {}):
        _DISCOVERED[server.run_dir] = _discover(server)
    return _DISCOVERED[server.run_dir][kind]


def resource_path(server: ApiServer, kind: str, name: str | None = None, namespace: str | None = None) -> str:
    """The API path of a kind's objects (of a namespace, or of all when None), or of one of them."""
    prefix, plural, _ = _resource(server, kind)
    return f"{prefix}{f'/namespaces/{namespace}' if namespace else ''}/{plural}{f'/{name}' if name else ''}"


def server_side_apply(
    server: ApiServer, docs: Iterable[dict[str, Any]], manager: str = "kubectl", force: bool = False
) -> None:
    """`kubectl apply --server-side --field-manager=MANAGER [--force-conflicts] -f -` of set-up objects, as the
    requests kubectl sends (kubectl apply.go applyOneObject: a PATCH of type application/apply-patch+yaml at the
    document's version, fieldValidation Strict as its --validate default, the default namespace for a namespaced
    object that names none), sent from this process: no kubectl process per set-up."""
    for doc in docs:
        query = f"fieldManager={manager}&fieldValidation=Strict&force={str(force).lower()}"
        status, body = server.request(
            "PATCH", f"{object_path(server, doc)}?{query}", doc, "application/apply-patch+yaml"
        )
        assert status in (200, 201), body


def object_path(server: ApiServer, doc: dict[str, Any]) -> str:
    """The API path of the object a document names, at the document's version (as kubectl reaches it)."""
    group, _, _ = doc["apiVersion"].rpartition("/")
    _, plural, namespaced = _resource(server, doc["kind"].lower() + (f".{group}" if group else ""))
    prefix = f"/apis/{doc['apiVersion']}" if group else f"/api/{doc['apiVersion']}"
    namespace = f"/namespaces/{doc['metadata'].get('namespace') or 'default'}" if namespaced else ""
    return f"{prefix}{namespace}/{plural}/{doc['metadata']['name']}"


def get(server: ApiServer, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
    """The object as `kubectl get -o json --show-managed-fields --ignore-not-found` prints it (None: not found)."""
    status, body = server.request("GET", resource_path(server, kind, name, namespace))
    if status == 404:
        return None
    assert status == 200, body
    return dict(body)


def listed(server: ApiServer, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
    """The objects of a kind (of a namespace, or of all), each with its apiVersion and kind as kubectl prints them."""
    status, body = server.request("GET", resource_path(server, kind, None, namespace))
    assert status == 200, body
    api_version = body["apiVersion"]
    kind_name = body["kind"].removesuffix("List")
    return [{"apiVersion": api_version, "kind": kind_name, **item} for item in body["items"]]


def delete(server: ApiServer, kind: str, name: str, namespace: str | None = None) -> None:
    """`kubectl delete --ignore-not-found --wait=true` (kubectl's background cascade): returns once it is gone."""
    path = resource_path(server, kind, name, namespace)
    status, body = server.request("DELETE", path + "?propagationPolicy=Background")
    assert status in (200, 202, 404), body
    deadline = time.monotonic() + 60
    while server.request("GET", path)[0] != 404:
        assert time.monotonic() < deadline, f"{kind} {namespace}/{name} still there after 60 s"
        time.sleep(0.02)


def delete_all(server: ApiServer, kind: str, namespace: str) -> None:
    """`kubectl delete KIND --all -n NAMESPACE --wait=true`."""
    for item in listed(server, kind, namespace):
        delete(server, kind, item["metadata"]["name"], namespace)


def create(server: ApiServer, doc: dict[str, Any], field_manager: str) -> None:
    """`kubectl create --field-manager=MANAGER -f -` of one cluster-wide custom object."""
    kind = f"{doc['kind'].lower()}.{doc['apiVersion'].split('/')[0]}"
    status, body = server.request("POST", resource_path(server, kind) + f"?fieldManager={field_manager}", doc)
    assert status == 201, body


LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def created_by_kubectl_apply(server: ApiServer, docs: Iterable[dict[str, Any]]) -> None:
    """`kubectl apply -f -` (client-side) of objects that do not exist yet, as the requests kubectl sends
    (kubectl apply.go, a create: the object with its last-applied-configuration annotation, Go's
    json.Marshal of the document with an empty annotations map, under manager kubectl-client-side-apply),
    from this process. The server stores the same object, managedFields included, as after kubectl's own."""
    for doc in docs:
        doc = copy.deepcopy(doc)
        doc["metadata"].setdefault("annotations", {})
        last = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
        doc["metadata"]["annotations"][LAST_APPLIED] = last
        path = object_path(server, doc).rsplit("/", 1)[0]
        status, body = server.request(
            "POST", f"{path}?fieldManager=kubectl-client-side-apply&fieldValidation=Strict", doc
        )
        assert status == 201, body


def apply(server: ApiServer, docs: Iterable[dict[str, Any]], *flags: str) -> subprocess.CompletedProcess[str]:
    """kubectl apply of documents (client-side unless flags say otherwise)."""
    text = "\n---\n".join(yaml.safe_dump(doc) for doc in docs)
    return server.kubectl("apply", *flags, "-f", "-", input=text)


def ensure_namespaces(server: ApiServer, *names: str) -> None:
    server_side_apply(server, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in names])


def create_token(server: ApiServer, namespace: str, account: str) -> str:
    """A bound token from the TokenRequest API, as `kubectl create token ACCOUNT --duration 1h` asks for it."""
    request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 3600}}
    status, body = server.request("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token", request)
    assert status == 201, body
    return str(body["status"]["token"])


def script_command(server: ApiServer, work: Path, argv: Sequence[str], script: Path = SCRIPT) -> list[str]:
    """The command line that runs `script argv...` as the Job would, against `server` with the token
    in work/token; its calls are logged to work/calls.log (emptied here)."""
    (work / "calls.log").write_text("", encoding="utf-8")
    return [
        sys.executable,
        "-c",
        DRIVER.format(script=str(script)),
        server.server,
        str(work / "token"),
        str(server.ca_file),
        str(work / "calls.log"),
        *argv,
    ]


def script_env(poll: float | None) -> dict[str, str]:
    return {**os.environ, **({POLL_ENV: str(poll)} if poll is not None else {})}


class Lines:
    """A process's stdout, read line by line in a thread (the wait prints one line per poll)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.queue.put(line.rstrip("\n"))
        self.queue.put(None)

    def until(self, text: str, seconds: float = 20) -> str:
        """The first line from now on that contains `text` (AssertionError when none comes in time)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r}; the last ones: {self.seen[-5:]}")

    def join(self) -> None:
        """Once the process has ended: the reader is done, so its pipe can be closed."""
        self.thread.join(timeout=10)


class Watched:
    """A running script and its stdout lines (`watched`)."""

    def __init__(self, process: subprocess.Popen[str], lines: Lines) -> None:
        self.process, self.lines = process, lines

    def finish(self, seconds: float) -> str:
        """Wait for the script's end; its stderr (short: stdout is the lines')."""
        self.process.wait(timeout=seconds)
        assert self.process.stderr is not None
        return self.process.stderr.read()


@contextmanager
def watched(command: Sequence[str], env: dict[str, str]) -> Iterator[Watched]:
    """Run `command`, its stdout read line by line; killed and reaped whatever the test does."""
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as process:
        lines = Lines(process)
        try:
            yield Watched(process, lines)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            lines.join()


def write_status(server: ApiServer, kind: str, name: str, namespace: str | None, status: dict[str, Any]) -> None:
    """An object's status as its controller would write it (the status subresource; no controllers run
    here): the merge patch `kubectl patch --subresource=status --type=merge` sends, under its manager."""
    path = resource_path(server, kind, name, namespace) + "/status?fieldManager=kubectl-patch"
    code, body = server.request("PATCH", path, {"status": status}, "application/merge-patch+json")
    assert code == 200, body


def run_script(
    server: ApiServer,
    token: str,
    work: Path,
    command: str,
    desired: dict[str, Any],
    previous: dict[str, Any] | None = None,
    poll: float | None = None,
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The hook script with the ServiceAccount's token: (result, ["GET /api/...", ...]). Its `main`, as the
    Job's `python3 calico-l7-patch.py` calls it, run in this process (a fresh copy of the module each
    time), its stdout and stderr caught: what is tested is what it asks the server, not Python's start."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "token").write_text(token, encoding="utf-8")
    (work / "desired.json").write_text(json.dumps(desired), encoding="utf-8")
    argv = [command, str(work / "desired.json")]
    if previous is not None:
        (work / "previous.json").write_text(json.dumps(previous), encoding="utf-8")
        argv.append(str(work / "previous.json"))
    spec = importlib.util.spec_from_file_location("calico_l7_patch", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    if poll is not None:
        script.READY_POLL_FIRST = script.READY_POLL_MAX = poll
    calls: list[str] = []

    class LoggedApi(script.Api):  # type: ignore[name-defined,misc]
        def _once(self, method: str, path: str, body: Any) -> Any:
            calls.append(f"{method} {path}")
            return super()._once(method, path, body)

    out, err = io.StringIO(), io.StringIO()
    api = LoggedApi(server.server, str(work / "token"), str(server.ca_file))
    accept_test_ca(api.context)
    with contextlib.redirect_stderr(err):
        code = script.main(["calico-l7-patch.py", *argv], api=api, out=out)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue()), calls


def _union(a: Any, b: Any) -> Any:
    """Union of two managedFields fieldsV1 tries (structured-merge-diff fieldpath.Set.Union)."""
    if not isinstance(a, dict) or not isinstance(b, dict):
        return copy.deepcopy(a if a is not None else b)
    result = copy.deepcopy(a)
    for key, value in b.items():
        result[key] = _union(result.get(key), value)
    return result


def upgrade_managed_fields(
    entries: list[dict[str, Any]], csa_manager: str, ssa_manager: str
) -> list[dict[str, Any]] | None:
    """client-go util/csaupgrade UpgradeManagedFields: the CSA manager's fields unioned into the SSA
    manager's Apply entry (the CSA entry becomes it when there is none); None: nothing to do."""
    entries = copy.deepcopy(entries)

    def is_csa(e: dict[str, Any]) -> bool:
        return e.get("manager") == csa_manager and e.get("operation") == "Update" and not e.get("subresource")

    target = next(
        (
            i
            for i, e in enumerate(entries)
            if e.get("manager") == ssa_manager and e.get("operation") == "Apply" and not e.get("subresource")
        ),
        None,
    )
    if target is None:
        target = next((i for i, e in enumerate(entries) if is_csa(e)), None)
        if target is None:
            return None
        entries[target] = {**entries[target], "operation": "Apply", "manager": ssa_manager}
    csa = next((e for e in entries if is_csa(e) and e.get("apiVersion") == entries[target].get("apiVersion")), None)
    if csa is not None:
        entries[target]["fieldsV1"] = _union(entries[target].get("fieldsV1") or {}, csa.get("fieldsV1") or {})
    return [e for e in entries if not is_csa(e)]


def _kind_args(doc: dict[str, Any]) -> list[str]:
    group = doc["apiVersion"].split("/")[0] if "/" in doc["apiVersion"] else ""
    kind = doc["kind"].lower() + ("." + group if group else "")
    namespace = doc["metadata"].get("namespace")
    return [kind, doc["metadata"]["name"], *(["-n", namespace] if namespace else [])]


def argocd_sync(
    server: ApiServer, docs: Sequence[dict[str, Any]], sync_options: Sequence[str]
) -> list[subprocess.CompletedProcess[str]]:
    """Apply each document as Argo CD v3.5.1 does with ServerSideApply=true (see the module doc);
    returns each apply's result (a failed one is not raised: Argo CD reports it as SyncFailed)."""
    results = []
    for doc in docs:
        if NO_CSA_MIGRATION not in sync_options:
            live = get(server, *_kind_args(doc)[:2], doc["metadata"].get("namespace"))
            fields = (live or {}).get("metadata", {}).get("managedFields") or []
            if any(e.get("manager") == CSA_MANAGER and e.get("operation") == "Update" for e in fields):
                upgraded = upgrade_managed_fields(fields, CSA_MANAGER, ARGOCD_MANAGER)
                if upgraded is not None:
                    patch = json.dumps([{"op": "replace", "path": "/metadata/managedFields", "value": upgraded}])
                    server.kubectl("patch", *_kind_args(doc), "--type", "json", "-p", patch)
        results.append(
            server.kubectl(
                "apply",
                "--server-side",
                "--force-conflicts",
                f"--field-manager={ARGOCD_MANAGER}",
                "--validate=false",
                "-f",
                "-",
                input=yaml.safe_dump(doc),
                check=False,
            )
        )
    return results


def subject_access(
    server: ApiServer, user: str, checks: Sequence[tuple[str, str, str, str | None, str | None]]
) -> list[bool]:
    """SubjectAccessReview of (verb, group, resource, namespace, name) for `user`, one request each."""
    reviews = [
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": user,
                "groups": [
                    "system:serviceaccounts",
                    "system:serviceaccounts:" + user.split(":")[2],
                    "system:authenticated",
                ],
                "resourceAttributes": {
                    "verb": verb,
                    "group": group,
                    "resource": resource,
                    **({"namespace": namespace} if namespace else {}),
                    **({"name": name} if name else {}),
                },
            },
        }
        for verb, group, resource, namespace, name in checks
    ]
    items = []
    for review in reviews:  # each as `kubectl create -f -` of it sends it
        status, item = server.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", review)
        assert status == 201, item
        items.append(item)
    return [bool(item["status"].get("allowed")) for item in items]


def ready_layer_status(generation: int, webhook: str | None = "Enabled") -> dict[str, Any]:
    """ApplicationLayer status as the operator writes it once everything is available (release-v1.36
    applicationlayer_controller.go: conditions from status.UpdateStatusCondition of TigeraStatus
    applicationlayer, whose setAvailable / clearProgressingWithReason / clearDegradedWithReason
    (pkg/controller/status/status.go) give Ready True AllObjectsAvailable "All objects available",
    Progressing and Degraded False "All Objects Available", observedGeneration = the generation;
    then sidecarWebhook and state Ready)."""
    stamp = "2026-12-07T12:00:00Z"
    status: dict[str, Any] = {
        "state": "Ready",
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "AllObjectsAvailable",
                "message": "All objects available",
                "observedGeneration": generation,
                "lastTransitionTime": stamp,
            },
            {
                "type": "Progressing",
                "status": "False",
                "reason": "AllObjectsAvailable",
                "message": "All Objects Available",
                "observedGeneration": generation,
                "lastTransitionTime": stamp,
            },
            {
                "type": "Degraded",
                "status": "False",
                "reason": "AllObjectsAvailable",
                "message": "All Objects Available",
                "observedGeneration": generation,
                "lastTransitionTime": stamp,
            },
        ],
    }
    if webhook is not None:
        status["sidecarWebhook"] = webhook
    return status

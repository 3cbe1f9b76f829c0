"""A user's own cluster, reached through kubectl (`validate --cluster`, `status`).

kubectl is run as a subprocess, as `--helm` runs helm: it reads kubeconfig files exactly as the
user's other tools do (`--kubeconfig`, `--context`, `KUBECONFIG` with several files, exec and
auth-provider plugins), and it prints the API server's own messages. Nothing here knows a product.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UserError

DEFAULT_KUBECTL = "kubectl"
_TIMEOUT = 120  # seconds per kubectl call; kubectl's own --request-timeout is left to the kubeconfig
# kubectl's words when no answer came from the API server (staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go
# and client-go's transport errors): these make the whole run impossible, unlike a refused object.
_UNREACHABLE = re.compile(
    r"Unable to connect to the server|The connection to the server .* was refused|no such host|i/o timeout|"
    r"context deadline exceeded|connection refused|certificate signed by unknown authority|x509:"
)
_NO_CONFIG = re.compile(
    r"context was not found|cannot locate context|no configuration has been provided|invalid configuration|error "
    r"loading config file|unable to read"
)
_FORBIDDEN = re.compile(r"\(Forbidden\)|\(Unauthorized\)|You must be logged in to the server")
_NO_TYPE = re.compile(r"the server doesn't have a resource type|no matches for kind")


def _qualified_type(api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    return f"{kind}.{version}.{group}" if group else kind


class ClusterError(UserError):
    """The cluster cannot be asked at all: unreachable, no such context, no permission."""


@dataclass(frozen=True)
class ObjectRef:
    """One object of the cluster, as its manifest names it."""

    api_version: str
    kind: str
    name: str
    namespace: str = ""  # "" for cluster-scoped objects

    @property
    def resource(self) -> str:
        """kubectl's fully qualified TYPE/NAME (Kind.version.group/name), unambiguous across groups."""
        return f"{_qualified_type(self.api_version, self.kind)}/{self.name}"

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Selection:
    """The objects of one kind in a namespace that a label selector matches."""

    api_version: str
    kind: str
    namespace: str
    selector: str  # kubectl -l syntax: "app=shop,tier in (web)"

    @property
    def resource(self) -> str:
        return _qualified_type(self.api_version, self.kind)

    def __str__(self) -> str:
        return f"{self.kind} in {self.namespace} matching {self.selector}"


@dataclass(frozen=True)
class Missing:
    """An object that is not there, and why (not found, or its kind is not served)."""

    reason: str


@dataclass(frozen=True)
class Kubectl:
    """kubectl with the user's kubeconfig choice; `KUBECONFIG` passes through the environment."""

    binary: str = DEFAULT_KUBECTL
    kubeconfig: str | None = None
    context: str | None = None
    # `config view` as `usable` ran it (its first run, that shows kubectl runs here), for `cluster`
    config_view: subprocess.CompletedProcess[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def usable(cls, binary: str | None, kubeconfig: str | None = None, context: str | None = None) -> Kubectl:
        """A kubectl that exists and runs here (a usage error otherwise, before anything is rendered)."""
        name = binary or DEFAULT_KUBECTL
        found = shutil.which(name) or (str(Path(name).resolve()) if Path(name).is_file() else None)
        if found is None:
            where = "on PATH" if binary is None else "at that path"
            raise ClusterError(
                f"kubectl not found {where}: {name} (install kubectl, or give its path with --kubectl PATH)"
            )
        if kubeconfig is not None and not Path(kubeconfig).is_file():
            raise ClusterError(f"--kubeconfig {kubeconfig}: no such file")
        kubectl = cls(found, kubeconfig, context)
        try:
            config_view = kubectl._config_view()
        except OSError as error:
            raise ClusterError(f"kubectl {name} cannot run on this machine: {error.strerror or error}") from error
        return cls(found, kubeconfig, context, config_view)

    def _config_view(self) -> subprocess.CompletedProcess[str]:
        return self.run("config", "view", "--minify", "-o", "json")

    def _global(self) -> list[str]:
        flags = [self.binary]
        if self.kubeconfig is not None:
            flags += ["--kubeconfig", self.kubeconfig]
        if self.context is not None:
            flags += ["--context", self.context]
        return flags

    def run(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                [*self._global(), *args],
                input=input,
                capture_output=True,
                text=True,
                check=False,
                timeout=_TIMEOUT,
                env={**os.environ, "KUBECTL_INTERACTIVE_DELETE": "false"},
            )
        except subprocess.TimeoutExpired as error:
            raise ClusterError(
                f"kubectl {' '.join(args[:2])} gave no answer in {_TIMEOUT} s: is the cluster reachable?"
            ) from error

    def cluster(self) -> tuple[str, str]:
        """(context name, server URL) of the kubeconfig choice; a ClusterError when there is none."""
        completed = self.config_view or self._config_view()
        if completed.returncode != 0:
            raise ClusterError(f"no cluster to ask: {_message(completed.stderr)}")
        config = json.loads(completed.stdout or "{}")
        context = self.context or config.get("current-context") or ""
        clusters = config.get("clusters") or [{}]
        server = (clusters[0].get("cluster") or {}).get("server", "")
        if not context or not server:
            raise ClusterError(
                "no cluster to ask: the kubeconfig has no current context (give --context NAME or --kubeconfig FILE)"
            )
        return context, server

    def connect(self) -> tuple[str, str]:
        """(context, server) of a cluster that answers; a ClusterError naming them otherwise."""
        context, server = self.cluster()
        completed = self.run("version", "-o", "json")  # kubectl's first call that reaches the server
        if completed.returncode != 0:
            message = _message(completed.stderr)
            try:
                fatal(message, "ask the server its version")
            except ClusterError as error:
                raise ClusterError(f"context {context} ({server}): {error}") from error
            raise ClusterError(f"context {context} ({server}) does not answer: {message}")
        return context, server

    def get(self, ref: ObjectRef) -> Mapping[str, Any] | Missing:
        """The object as the API server stores it, or why it is missing."""
        args = ["get", ref.resource, "-o", "json", "--ignore-not-found"]
        if ref.namespace:
            args += ["--namespace", ref.namespace]
        completed = self.run(*args)
        if completed.returncode != 0:
            return self._missing(completed.stderr, f"get {ref}", ref)
        if not completed.stdout.strip():
            return Missing("not found")
        return dict(json.loads(completed.stdout))

    def get_all(self, refs: Sequence[ObjectRef]) -> dict[ObjectRef, Mapping[str, Any] | Missing]:
        """The objects of each namespace read in one kubectl run (a List; those not found are left out of it).

        A run that fails says nothing of any object (kubectl v1.36 prints none of them when one kind is not
        served): its objects are left out of the answer, for `get` to read one by one with its own messages.
        """
        groups: dict[str, list[ObjectRef]] = {}
        for ref in dict.fromkeys(refs):
            groups.setdefault(ref.namespace, []).append(ref)
        found: dict[ObjectRef, Mapping[str, Any] | Missing] = {}
        for namespace, group in groups.items():
            if len(group) < 2:  # one TYPE/NAME prints the object itself, as `get` reads it
                continue
            args = ["get", *(ref.resource for ref in group), "-o", "json", "--ignore-not-found"]
            if namespace:
                args += ["--namespace", namespace]
            completed = self.run(*args)
            listed = json.loads(completed.stdout) if completed.returncode == 0 and completed.stdout.strip() else {}
            if completed.returncode != 0 or (listed and listed.get("kind") != "List"):
                continue
            items = listed.get("items") or []
            by_name = {(item.get("apiVersion"), item.get("kind"), item["metadata"]["name"]): item for item in items}
            for ref in group:
                item = by_name.get((ref.api_version, ref.kind, ref.name))
                found[ref] = Missing("not found") if item is None else dict(item)
        return found

    def select(self, selection: Selection) -> list[Mapping[str, Any]] | Missing:
        """The objects a label selector matches (possibly none)."""
        completed = self.run(
            "get",
            selection.resource,
            "--namespace",
            selection.namespace,
            "--selector",
            selection.selector,
            "-o",
            "json",
        )
        if completed.returncode != 0:
            return self._missing(completed.stderr, f"list {selection.kind} in {selection.namespace}", selection)
        return list(json.loads(completed.stdout).get("items") or [])

    def _missing(self, stderr: str, what: str, target: ObjectRef | Selection) -> Missing:
        message = _message(stderr)
        fatal(message, what)
        if _NO_TYPE.search(message):  # kubectl's own words name a group it guessed from Kind.version.group
            return Missing(
                f"the cluster does not serve {target.kind} of {target.api_version} (is the product that defines it "
                "installed?)"
            )
        raise ClusterError(f"kubectl could not {what}: {message}")

    def dry_run_apply(
        self, files: Sequence[Path], namespace: str, field_manager: str, force_conflicts: bool
    ) -> subprocess.CompletedProcess[str]:
        """Server-side apply of the files, dry-run on the server (admission, validation, conflicts), nothing stored."""
        args = [
            "apply",
            "--server-side",
            "--dry-run=server",
            "--field-manager",
            field_manager,
            "--namespace",
            namespace,
            "-o",
            "name",
        ]
        if force_conflicts:
            args.append("--force-conflicts")
        for path in files:
            args += ["-f", str(path)]
        return self.run(*args)


def fatal(message: str, what: str) -> None:
    """Raise for an answer that makes every other call fail too: no cluster, no permission."""
    if _NO_CONFIG.search(message):
        raise ClusterError(f"no cluster to ask: {message}")
    if _UNREACHABLE.search(message):
        raise ClusterError(f"cannot reach the cluster: {message}")
    if _FORBIDDEN.search(message):
        raise ClusterError(f"no permission to {what}: {message}")


def _message(stderr: str) -> str:
    """kubectl's error text, one line per message (its own prefixes kept: they say who refused)."""
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    # client-go's request log lines (E1207 12:00:00.000 ...) repeat what the last line says.
    lines = [line for line in lines if not re.match(r"^[EWI]\d{4} ", line)] or lines
    return "\n".join(lines)

"""`validate --cluster`: every rendered manifest, server-side applied as a dry run on the user's cluster.

The API server runs everything an apply would (defaulting, validation of built-in kinds and of
CRD schemas, admission such as PodSecurity, field-manager conflicts) and stores nothing; its
messages are reported as kubectl prints them. One kubectl call per profile and namespace; when the server
refuses something, each manifest it did not accept is tried alone so that every message names its manifest.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..kubectl import ClusterError, Kubectl, fatal
from .documents import Document, Resource
from .results import Check, Result, Status
from .validator import resource_result


@dataclass(frozen=True)
class ClusterOptions:
    kubectl: Kubectl
    field_manager: str = "flowlogs"
    force_conflicts: bool = False


@dataclass(frozen=True)
class Cluster:
    """A cluster that answered: its context and server, for the report."""

    options: ClusterOptions
    context: str
    server: str

    def dry_run(self, profile: str, documents: Sequence[Document], namespace: str) -> list[Result]:
        resources = [document for document in documents if isinstance(document, Resource)]
        if not resources:
            return []
        where = f"context {self.context} ({self.server})"
        try:
            with tempfile.TemporaryDirectory(prefix="flowlogs-dry-run-") as scratch:
                files: list[Path] = []
                # As Helm: a manifest's own namespace, else the release's. kubectl refuses a manifest whose
                # namespace differs from --namespace, so one call per namespace.
                groups: dict[str, list[tuple[Resource, Path]]] = {}
                for number, resource in enumerate(resources):
                    path = Path(scratch) / f"{number:04d}.json"
                    path.write_text(json.dumps(resource.obj), encoding="utf-8")
                    files.append(path)
                    groups.setdefault(resource.namespace or namespace, []).append((resource, path))
                accepted: set[Path] = set()  # accepted already, as the server answered a call of several
                for group, members in groups.items():
                    refused, printed = self._apply([path for _, path in members], group)
                    if refused is not None:
                        accepted |= _accepted(members, printed)
                        break
                    accepted |= {path for _, path in members}
                else:
                    accepted_by = f"{len(resources)} manifest(s) accepted by the API server of {where}"
                    message = f"{accepted_by} (server-side apply, dry run)"
                    return [Result(profile, "", Check.CLUSTER, Status.VALID, message=message)]
                # Each manifest the server did not accept is tried alone, so that every message names its manifest
                # (a dry run stores nothing: one manifest's verdict does not depend on the others).
                results = []
                for resource, path in zip(resources, files, strict=True):
                    refused = None if path in accepted else self._apply([path], resource.namespace or namespace)[0]
                    status = Status.VALID if refused is None else Status.INVALID
                    results.append(resource_result(resource, status, message=refused or "", check=Check.CLUSTER))
                return results
        except ClusterError as error:
            return [Result(profile, "", Check.CLUSTER, Status.ERROR, message=f"{where}: {error}")]

    def _apply(self, files: Sequence[Path], namespace: str) -> tuple[str | None, list[str]]:
        """(None when the server accepts every file, else its messages; what kubectl printed of the objects it
        accepted, one `-o name` line each: it goes on past a refused one)."""
        options = self.options
        completed = options.kubectl.dry_run_apply(files, namespace, options.field_manager, options.force_conflicts)
        printed = completed.stdout.splitlines()
        if completed.returncode == 0:
            return None, printed
        message = completed.stderr.strip()
        fatal(message, "apply (dry run)")
        # kubectl names the temporary file it read (error when ... "/tmp/.../0003.json"): the report names the manifest
        # instead.
        for path in files:
            message = message.replace(f' "{path}"', "").replace(str(path), "")
        return message or f"kubectl exited with {completed.returncode}", printed


def _accepted(members: Sequence[tuple[Resource, Path]], printed: Sequence[str]) -> set[Path]:
    """The files of the objects a call printed: kubectl's `-o name` is `kind[.group]/name`, kind in lower case
    (k8s.io/cli-runtime pkg/printers/name.go). Nothing when two objects of the call share that name."""
    names: dict[str, Path] = {}
    for resource, path in members:
        group = resource.api_version.rpartition("/")[0]
        names[f"{resource.kind.lower()}{'.' + group if group else ''}/{resource.name}"] = path
    if len(names) != len(members):
        return set()
    return {names[line] for line in printed if line in names}

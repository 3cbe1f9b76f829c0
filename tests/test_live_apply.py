"""Live tier: every shipped profile and the gitops files, applied to a real kube-apiserver v1.36.2.

Server-side apply, dry-run and for real, into the namespaces each profile needs (the release
namespace with PodSecurity `restricted` enforced), then applied again: the second apply must
change nothing, judged from the server's objects (resourceVersion and managedFields), not from
kubectl's text. The verdicts are the server's own (../shared/tools/kube-apiserver).
"""

from __future__ import annotations

import socket
import ssl
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import yaml
from calico_live import get
from live_cluster import (
    GITOPS,
    PROFILES,
    RELEASE_NAMESPACE,
    apply_objects,
    delete_objects,
    documents,
    identity,
    is_partial,
    items,
    on_server,
    prepare,
    render,
)
from upstream_tools import ApiServer, accept_test_ca

pytestmark = pytest.mark.usefixtures("kube_apiserver")  # the shared server, as the other modules left it


# kubectl prints the API server's warnings (e.g. PodSecurity's) on stderr as "Warning: ...".
WARNING = "Warning:"
# The one warning the server (v1.36.2) gives about flowlogs' files: Argo CD's own finalizer name
# (argo-cd docs/user-guide/app_deletion.md) has no path; Argo CD also takes
# "resources-finalizer.argocd.argoproj.io/foreground" and "/background", which have one.
FINALIZER_WARNING = (
    'Warning: metadata.finalizers: "resources-finalizer.argocd.argoproj.io": prefer a domain-qualified finalizer name '
    "including a path (/) to avoid accidental conflicts with other finalizer writers"
)


def warnings_of(stderr: str) -> set[str]:
    return {line for line in stderr.splitlines() if line.startswith(WARNING)}


def server_apply(server: ApiServer, path: Path, manager: str, *extra: str) -> tuple[list[dict[str, Any]], str]:
    completed = server.kubectl(
        "apply",
        "--server-side",
        f"--field-manager={manager}",
        "-f",
        str(path),
        "-o",
        "json",
        "--show-managed-fields",
        *extra,
    )
    return items(completed.stdout), completed.stderr


def state(objects: list[dict[str, Any]]) -> dict[tuple[str, str, str, str], tuple[str, Any]]:
    """Each object's resourceVersion and managedFields, by identity."""
    return {identity(obj): (obj["metadata"]["resourceVersion"], obj["metadata"]["managedFields"]) for obj in objects}


def apply_twice(
    server: ApiServer, path: Path, manager: str, expected: list[dict[str, Any]], warnings: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Dry-run and apply, each with exactly `warnings` from the server, and apply again; returns what the
    first real apply stored. Objects that did not exist before are deleted at the end (profiles
    share names; the server is shared)."""
    wanted = {identity(obj) for obj in expected}
    before = {identity(obj) for obj in on_server(server, expected)}

    dry, stderr = server_apply(server, path, manager, "--dry-run=server")
    assert {identity(obj) for obj in dry} == wanted
    assert warnings_of(stderr) == warnings, stderr
    assert {identity(obj) for obj in on_server(server, expected)} == before  # a dry run stores nothing

    first, stderr = server_apply(server, path, manager)
    assert warnings_of(stderr) == warnings, stderr
    assert {identity(obj) for obj in first} == wanted
    second, stderr = server_apply(server, path, manager)
    assert warnings_of(stderr) == set(), stderr  # an apply that changes nothing is not validated again
    assert state(second) == state(first)  # nothing changed: same resourceVersion, same managers

    created = [obj for obj in first if identity(obj) not in before]
    delete_objects(server, created)
    return first


@pytest.mark.parametrize("profile", PROFILES)
def test_profile_applies_server_side_dry_run_and_for_real_and_again_without_change(kube_apiserver, profile, tmp_path):
    text = render(profile)
    objects = documents(text)
    assert objects, f"{profile} renders nothing"
    prepare(kube_apiserver, objects)
    path = tmp_path / f"{profile}.yaml"
    path.write_text(text, encoding="utf-8")
    stored = apply_twice(kube_apiserver, path, f"flowlogs-{profile}", objects)

    by_identity = {identity(obj): obj for obj in stored}
    for obj in objects:
        live = by_identity[identity(obj)]
        if is_partial(obj):
            # Merged into the existing object: its owner's fields stay, flowlogs' fields are set.
            managers = {entry["manager"] for entry in live["metadata"]["managedFields"]}
            assert {"cluster-owner", f"flowlogs-{profile}"} <= managers  # (other live tests may add theirs)
        for key, value in (obj.get("metadata", {}).get("labels") or {}).items():
            assert live["metadata"]["labels"][key] == value


def test_the_jobs_of_job_mode_are_in_the_release_namespace_with_podsecurity_restricted(kube_apiserver):
    """The profile tests apply the Jobs, without a warning, into their namespace with `restricted`
    enforced (the tests below show what the server does with a Job and a Pod that break it)."""
    jobs = [obj for obj in documents(render("calico-l7")) if obj["kind"] == "Job"]
    assert {obj["metadata"]["namespace"] for obj in jobs} == {RELEASE_NAMESPACE}
    prepare(kube_apiserver, jobs)
    namespace = get(kube_apiserver, "namespace", RELEASE_NAMESPACE) or {}
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


GITOPS_FILES = sorted(GITOPS.rglob("*.yaml"))


def test_gitops_files_apply_server_side_dry_run_and_for_real_and_again_without_change(kube_apiserver, tmp_path):
    assert len(GITOPS_FILES) >= 3
    text = "".join("---\n" + path.read_text(encoding="utf-8") for path in GITOPS_FILES)
    objects = documents(text)
    assert {obj["kind"] for obj in objects} == {"Application", "ApplicationSet", "ConfigMap"}
    prepare(kube_apiserver, objects)
    path = tmp_path / "gitops.yaml"
    path.write_text(text, encoding="utf-8")
    stored = apply_twice(kube_apiserver, path, "flowlogs-gitops", objects, frozenset({FINALIZER_WARNING}))
    assert len(stored) == len(objects) == len(GITOPS_FILES)


# PodSecurity admission v1.36 (k8s.io/pod-security-admission admission/admission.go): a Pod that
# breaks the enforced level is refused "violates PodSecurity"; a Job's pod template is only
# evaluated for warnings (ValidatePodController calls EvaluatePod with enforce=false; the warn
# level defaults to the enforce level), so a Job is admitted with "would violate PodSecurity".
ESCALATION = (
    'allowPrivilegeEscalation != false (container "patch" must set securityContext.allowPrivilegeEscalation=false)'
)


def chart_jobs(server: ApiServer) -> list[dict[str, Any]]:
    """The Jobs of calico-l7 and calico-gitops (its wait hook), their namespace prepared and their
    ServiceAccounts created (a Pod's ServiceAccount must exist: the ServiceAccount admission plugin)."""
    objects = documents(render("calico-l7")) + documents(render("calico-gitops"))
    jobs = [obj for obj in objects if obj["kind"] == "Job"]
    assert [job["metadata"]["name"] for job in jobs] == [
        "flowlogs-calico-apply",
        "flowlogs-calico-restore",
        "flowlogs-calico-wait",
    ]
    prepare(server, jobs)
    apply_objects(server, [obj for obj in objects if obj["kind"] == "ServiceAccount"])
    return jobs


def pod_from(job: dict[str, Any]) -> dict[str, Any]:
    """The Pod the Job controller would create from the Job's template (no controller runs here)."""
    template = job["spec"]["template"]
    metadata = {
        "name": job["metadata"]["name"],
        "namespace": job["metadata"]["namespace"],
        "labels": template["metadata"]["labels"],
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"]}


def escalating(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]["template"]["spec"] if obj["kind"] == "Job" else obj["spec"]
    spec["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    return obj


def test_the_chart_jobs_and_their_pods_are_admitted_under_podsecurity_restricted(kube_apiserver):
    jobs = chart_jobs(kube_apiserver)
    text = yaml.safe_dump_all(jobs)
    applied = kube_apiserver.kubectl(
        "apply", "--server-side", "--dry-run=server", "--field-manager=flowlogs", "-f", "-", input=text
    )
    assert WARNING not in applied.stderr, applied.stderr
    pods = kube_apiserver.kubectl(
        "create", "--dry-run=server", "-o", "name", "-f", "-", input=yaml.safe_dump_all([pod_from(job) for job in jobs])
    )
    assert pods.stdout.split() == [
        "pod/flowlogs-calico-apply",
        "pod/flowlogs-calico-restore",
        "pod/flowlogs-calico-wait",
    ]
    assert WARNING not in pods.stderr, pods.stderr


def test_a_job_that_breaks_restricted_gets_only_a_warning_and_its_pod_is_refused(kube_apiserver):
    job = escalating(chart_jobs(kube_apiserver)[0])
    applied = kube_apiserver.kubectl(
        "apply", "--server-side", "--dry-run=server", "--field-manager=flowlogs", "-f", "-", input=yaml.safe_dump(job)
    )
    assert applied.stdout.strip() == "job.batch/flowlogs-calico-apply serverside-applied (server dry run)"
    assert applied.stderr.strip() == f'Warning: would violate PodSecurity "restricted:latest": {ESCALATION}'
    refused = kube_apiserver.kubectl(
        "create", "--dry-run=server", "-f", "-", input=yaml.safe_dump(pod_from(job)), check=False
    )
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f'Error from server (Forbidden): error when creating "STDIN": pods "flowlogs-calico-apply" is forbidden: '
        f'violates PodSecurity "restricted:latest": {ESCALATION}'
    )


def test_the_tests_python_clients_reach_the_server_under_python_3_13s_strict_x509_checks(kube_apiserver):
    # From Python 3.13 ssl.create_default_context sets VERIFY_X509_STRICT (Lib/ssl.py), set here as 3.13 sets it:
    # OpenSSL then refuses start.sh's CA (no keyUsage), so the tests' own clients and the patch script the tests
    # run in this process accept it through accept_test_ca.
    address = urllib.parse.urlsplit(kube_apiserver.server)
    context = ssl.create_default_context(cafile=str(kube_apiserver.ca_file))
    context.verify_flags |= ssl.VERIFY_X509_STRICT

    def handshake() -> None:
        with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
            context.wrap_socket(connection, server_hostname=address.hostname).close()

    with pytest.raises(ssl.SSLCertVerificationError, match="CA cert does not include key usage extension"):
        handshake()
    accept_test_ca(context)
    handshake()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname

"""The Calico Enterprise part of a `flowlogs init` starter profile: the selection each version
documents (services before 3.20, workloads through the sidecar from 3.20), and, where the profile
reaches its clusters through Argo CD (the directory has a fleet file), the patch mode chosen in
the open, with what each mode means there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import UserError
from ..starter import Question, Starter
from .defaults import SIDECAR_VERSIONS, SUPPORTED_VERSIONS, WORKLOAD_KINDS

_SERVICE_VERSIONS = tuple(v for v in SUPPORTED_VERSIONS if v not in SIDECAR_VERSIONS)
_WORKLOAD_FORM = f"NAMESPACE/NAME (a Deployment) or KIND/NAMESPACE/NAME ({', '.join(WORKLOAD_KINDS)})"


class CalicoStarter(Starter):
    questions = (
        Question(
            "services",
            "Services whose L7 (HTTP) traffic to log, as namespace/name, comma-separated",
            f"calico {' and '.join(_SERVICE_VERSIONS)}: services to log, as NAMESPACE/NAME (repeatable, or "
            "comma-separated)",
            kind="list",
            default=["default/frontend"],
            versions=_SERVICE_VERSIONS,
        ),
        Question(
            "workloads",
            "Workloads whose L7 (HTTP) traffic to log through the sidecar, as namespace/name (Deployments) or "
            "kind/namespace/name, comma-separated",
            f"calico {' and '.join(SIDECAR_VERSIONS)}: workloads to log through the sidecar, as {_WORKLOAD_FORM} "
            "(repeatable, or comma-separated)",
            kind="list",
            default=["default/frontend"],
            versions=SIDECAR_VERSIONS,
        ),
    )

    def wrong_version(self, question: Question, version: str) -> str:
        if question.key == "services":
            return (
                f"Calico Enterprise {version} documents sidecar selection of workloads, not the service annotation "
                f"(the {' and '.join(_SERVICE_VERSIONS)} method): use --workloads {_WORKLOAD_FORM}"
            )
        return (
            f"Calico Enterprise {version} has no sidecar mode (it arrived with {SIDECAR_VERSIONS[0]}): use --services "
            "NAMESPACE/NAME"
        )

    def describe(self, version: str, answers: Mapping[str, Any]) -> str:
        selected = answers.get("services") or answers.get("workloads") or ["nothing selected yet"]
        return f"Calico Enterprise {version}: L7 logs of {', '.join(selected)}"

    def section(self, version: str, answers: Mapping[str, Any], argo_cd: bool) -> str:
        lines = [
            "calico:",
            f'  version: "{version}"',
            "  collect-logs: on               # ApplicationLayer logCollection.collectLogs",
        ]
        if version in SIDECAR_VERSIONS:
            lines.append("  sidecar-injection: on          # ApplicationLayer sidecarInjection (Kubernetes 1.29+)")
        if argo_cd:  # said here, where the choice is made, rather than by every `generate`
            lines += [
                "  # The fleet deploys through Argo CD. job: a hook Job patches Felix and the selection, on every sync",
                "  # (PostSync), and restores them on delete with Argo CD 3.3+ (PreDelete). gitops: Argo CD applies "
                "them",
                "  # itself, where no other Application manages the selected objects (docs/gitops.md).",
                "  patch-mode: job",
            ]
        lines += [
            "  felix:",
            "    policy-sync-api: on          # policySyncPathPrefix: /var/run/nodeagent (needed for L7 logs)",
        ]
        if version in SIDECAR_VERSIONS:
            lines += _workloads(answers.get("workloads") or [])
        else:
            lines += _services(answers.get("services") or [])
        lines += [
            "  # The cluster, for the preflight checks (log storage size):",
            "  # cluster:",
            "  #   platform: eks",
            "  #   nodes: 6",
        ]
        return "\n".join(lines) + "\n"


def _services(services: list[str]) -> list[str]:
    by_namespace: dict[str, list[str]] = {}
    for service in services:
        namespace, slash, name = service.partition("/")
        if not slash or not namespace or not name or "/" in name:
            raise UserError(f"service '{service}' is not NAMESPACE/NAME (e.g. shop/frontend)")
        by_namespace.setdefault(namespace, []).append(name)
    lines = ["  # Services whose traffic Envoy proxies and logs (annotated projectcalico.org/l7-logging)."]
    if not by_namespace:
        return [*lines, "  # services:", "  #   - namespace: shop", "  #     name: [frontend]"]
    lines.append("  services:")
    for namespace, names in sorted(by_namespace.items()):
        lines += [f"    - namespace: {namespace}", f"      name: [{', '.join(names)}]"]
    return lines


def _workloads(workloads: list[str]) -> list[str]:
    by_target: dict[tuple[str, str], list[str]] = {}
    for workload in workloads:
        parts = workload.split("/")
        if len(parts) == 2:
            parts.insert(0, "Deployment")
        kinds = {kind.lower(): kind for kind in WORKLOAD_KINDS}
        if len(parts) != 3 or not all(parts) or parts[0].lower() not in kinds:
            raise UserError(f"workload '{workload}' is not {_WORKLOAD_FORM} (e.g. shop/frontend)")
        by_target.setdefault((kinds[parts[0].lower()], parts[1]), []).append(parts[2])
    lines = [
        "  # Workloads whose pods get the Envoy sidecar and log (pod-template label and annotation; they restart)."
    ]
    if not by_target:
        return [
            *lines,
            "  # workloads:",
            "  #   - kind: Deployment",
            "  #     namespace: shop",
            "  #     name: [frontend]",
        ]
    lines.append("  workloads:")
    for (kind, namespace), names in sorted(by_target.items()):
        lines += [f"    - kind: {kind}", f"      namespace: {namespace}", f"      name: [{', '.join(names)}]"]
    return lines

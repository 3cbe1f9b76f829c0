"""The Calico Enterprise part of a `flowlogs init` starter profile."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import UserError
from ..starter import Question, Starter


class CalicoStarter(Starter):
    questions = (
        Question(
            "services",
            "Services whose L7 (HTTP) traffic to log, as namespace/name, comma-separated",
            "calico: services to log, as NAMESPACE/NAME (repeatable, or comma-separated)",
            kind="list",
            default=["default/frontend"],
        ),
    )

    def describe(self, version: str, answers: Mapping[str, Any]) -> str:
        return f"Calico Enterprise {version}: L7 logs of {', '.join(answers.get('services') or ['no service yet'])}"

    def section(self, version: str, answers: Mapping[str, Any]) -> str:
        by_namespace: dict[str, list[str]] = {}
        for service in answers.get("services") or []:
            namespace, slash, name = service.partition("/")
            if not slash or not namespace or not name:
                raise UserError(f"service '{service}' is not NAMESPACE/NAME (e.g. shop/frontend)")
            by_namespace.setdefault(namespace, []).append(name)
        lines = [
            "calico:",
            f'  version: "{version}"',
            "  collect-logs: on               # ApplicationLayer logCollection.collectLogs",
            "  felix:",
            "    policy-sync-api: on          # policySyncPathPrefix: /var/run/nodeagent (needed for L7 logs)",
            "  # Services whose traffic Envoy proxies and logs (annotated projectcalico.org/l7-logging).",
            "  services:",
        ]
        for namespace, names in sorted(by_namespace.items()):
            lines += [f"    - namespace: {namespace}", f"      name: [{', '.join(names)}]"]
        if not by_namespace:
            lines[-1] = "  # services:"
            lines += ["  #   - namespace: shop", "  #     name: [frontend]"]
        lines += [
            "  # The cluster, for the preflight checks (log storage size):",
            "  # cluster:",
            "  #   platform: eks",
            "  #   nodes: 6",
        ]
        return "\n".join(lines) + "\n"

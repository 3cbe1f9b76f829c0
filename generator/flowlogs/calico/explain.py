"""`flowlogs explain` for the `calico:` section: what the L7 settings mean, what is selected, and
what the Tigera operator does with it (facts from the version tables, each naming its source)."""

from __future__ import annotations

from typing import Any

from ..profile import Node
from ..yamlio import dump_yaml
from .compile import CalicoCompiled
from .selectors import selector_text
from .tables import load_tables
from .words import FELIX_KNOBS


def _selection(targets: list[dict[str, Any]]) -> list[str]:
    lines = []
    for target in targets:
        kind = target.get("kind", "Service")
        for name in target.get("names", []):
            lines.append(f"{kind} {target['namespace']}/{name}")
        for selector in target.get("selectors", []):
            lines.append(
                f"every {kind} in namespace {target['namespace']} labelled {selector_text(selector)} (the Job lists "
                "them when it runs)"
            )
    return lines


def explain_calico(section: Node, part: CalicoCompiled) -> str:
    tables = load_tables(part.version)
    values = part.values
    collection = values["applicationLayer"]["logCollection"]
    limit = collection["logRequestsPerInterval"]
    lines = [
        f"Calico Enterprise {part.version} L7 logs: ApplicationLayer {tables.application_layer_name} "
        + ("collects" if collection["collectLogs"] == "Enabled" else "does not collect")
        + f" L7 logs; the collector sends them to Felix every {collection['logIntervalSeconds']} s, "
        + (
            "with no limit on requests per interval."
            if limit == -1
            else f"at most {limit} unique requests per interval."
        ),
    ]
    felix = section.get("felix")
    for knob in FELIX_KNOBS:
        parent = felix.get("aggregation") if knob.aggregation else felix
        if knob.word in parent:
            value = parent.get(knob.word).value
            written = knob.field in values.get("felix", {}).get("spec", {})
            lines.append(
                f"  Felix {knob.word}: {knob.kind.explain(value)} ({knob.field}"
                + (f": {values['felix']['spec'][knob.field]})" if written else ", Felix's default: not written)")
            )
    mode = (
        "the hook Job (restored on uninstall)"
        if part.patch_mode == "job"
        else "Argo CD server-side apply of partial manifests (sync wave 2, after its wait hook saw the operator ready)"
    )
    services = _selection(values.get("services", []))
    workloads = _selection(values.get("workloads", []))
    key, value = tables.service_annotation
    if services:
        lines.append(f"  Services annotated {key}={value} by {mode}; their new connections go through Envoy:")
        lines.extend(f"    {line}" for line in services)
    if workloads and tables.sidecar is not None:
        label_key, label_value = tables.sidecar.label
        lines.append(
            f"  Workloads whose pod template gets {label_key}={label_value} by {mode}; their pods restart with the "
            "sidecar:"
        )
        lines.extend(f"    {line}" for line in workloads)
    if not services and not workloads:
        lines.append("  No services or workloads are selected: no traffic is logged until some are.")
    sets = ", ".join(f"{field}: {setting}" for field, setting in tables.operator_sets.items())
    lines.append(
        f"  The Tigera operator then runs the L7 log collector DaemonSet ({', '.join(tables.collector_containers)}) "
        f"and sets on FelixConfiguration default: {sets}."
    )
    lines.append("  Compiled (chart values):")
    lines.extend(f"    {line}" for line in dump_yaml({"calico": values}).splitlines())
    return "\n".join(lines)

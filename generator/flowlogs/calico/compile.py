"""Compile the `calico:` section of a profile (Calico Enterprise L7 logs) to the chart's values.

The output is exactly upstream's fields: the spec of ApplicationLayer `tigera-secure`, the
FelixConfiguration `default` fields flowlogs owns (only those that differ from Felix's defaults,
unless asked), and the Services / workloads to select, for one Calico Enterprise version. The
cluster facts are only checked (GKE, log storage, Kubernetes version); nothing is written from
them. Two things are never written, so the chart does not fight the Tigera operator:
`tproxyMode` (the operator sets it) and any `policySyncPathPrefix` but /var/run/nodeagent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..errors import Diagnostics
from ..kinds import INVALID
from ..products import CompiledPart
from ..profile import Node, minor_version
from .defaults import DEFAULT_VERSION
from .kinds import KnobContext, PolicySync, duration_ms, switch
from .selectors import SelectorError, parse_selector, selector_from_mapping
from .tables import CalicoTables, load_tables
from .words import (
    COLLECTOR_CONTAINERS,
    DEFAULT_FELIX_API,
    DEFAULT_PATCH_MODE,
    ENVOY_FIELDS,
    FELIX_KNOBS,
    RESOURCE_NAMES,
    SYSTEM_NAMESPACES,
)

_QUANTITY_RE = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?\Z")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}  # powers of ten
_QUANTITY_MAX = Decimal(2**63 - 1)


@dataclass
class CalicoCompiled(CompiledPart):
    version: str
    values: dict[str, Any]  # the `calico:` values of our chart
    patch_mode: str = DEFAULT_PATCH_MODE
    felix_fields: list[str] = field(default_factory=list)
    selected: int = 0  # named objects + selectors
    # Cluster facts a fleet re-checks per cluster with its own node count.
    retention_days: int | None = None
    log_storage_gb: float | None = None  # the stated LogStorage size, in GiB
    gb_per_node_per_day: int = 1  # Calico's sizing rule for L7 logs (the version tables)
    patch_mode_chosen: bool = False  # the profile says `patch-mode`


def quantity(value: Any) -> Decimal | None:
    """A Kubernetes quantity as a number (bytes, cores); None when it is not one.

    "No matter which of the three exponent forms is used, no quantity may represent a number
    greater than 2^63-1 in magnitude" (k8s.io/apimachinery pkg/api/resource/quantity.go): larger,
    infinite and NaN values are not quantities.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = Decimal(str(value))
        return number if number.is_finite() and abs(number) <= _QUANTITY_MAX else None
    match = _QUANTITY_RE.match(str(value))
    if not match:
        return None
    number = Decimal(match[1])  # the pattern admits only decimal literals
    suffix = match[2] or ""
    if suffix in _BINARY:
        number *= _BINARY[suffix]
    elif suffix:
        exponent = _DECIMAL[suffix] if suffix in _DECIMAL else int(suffix[1:])
        if abs(exponent) > 40:  # "1e99999999": far past the limit (and past Decimal's exponent range)
            return None if number else Decimal(0)
        number *= Decimal(10) ** exponent
    return number if abs(number) <= _QUANTITY_MAX else None


def compile_calico(section: Node, diagnostics: Diagnostics) -> CalicoCompiled:
    version = minor_version(section.get("version").value, DEFAULT_VERSION)
    tables = load_tables(version)
    patch_mode = str(section.get("patch-mode").value or DEFAULT_PATCH_MODE)
    felix_api = str(section.get("felix-api").value or DEFAULT_FELIX_API)

    collect = switch(section.get("collect-logs"), True)
    sidecar = _compile_sidecar(section, tables, diagnostics)
    application_layer: dict[str, Any] = {}
    if sidecar is not None:
        application_layer["sidecarInjection"] = "Enabled" if sidecar else "Disabled"
    application_layer["logCollection"] = {
        "collectLogs": "Enabled" if collect else "Disabled",
        "logIntervalSeconds": _interval(section.get("interval"), tables, diagnostics),
        "logRequestsPerInterval": _requests_per_interval(section.get("requests-per-interval"), tables, diagnostics),
    }
    if not collect and not sidecar:
        diagnostics.warning(
            section.get("collect-logs").location,
            "collect-logs is off and no other ApplicationLayer feature is on: the Tigera operator reports "
            "ApplicationLayer as degraded",
            "to stop L7 logs on a cluster, switch the part off with 'enabled: false' instead",
        )
    envoy_node = section.get("envoy")
    envoy = {field: envoy_node.get(word).value for word, field in ENVOY_FIELDS.items() if word in envoy_node}
    if envoy:
        application_layer["envoy"] = envoy
    containers = _compile_resources(section.get("resources"), diagnostics)
    if containers:
        application_layer["l7LogCollectorDaemonSet"] = {"spec": {"template": {"spec": {"containers": containers}}}}

    felix_spec = _compile_felix(section.get("felix"), tables, patch_mode, diagnostics)
    services = _compile_targets(section.get("services"), "service", patch_mode, diagnostics)
    workloads = _compile_targets(section.get("workloads"), "workload", patch_mode, diagnostics)
    _check_selection(section, tables, sidecar, services, workloads, diagnostics)
    _preflight(section, tables, bool(sidecar), diagnostics)
    _explain_mode(section, patch_mode, felix_api, diagnostics)

    values: dict[str, Any] = {
        "enabled": section.get("enabled", True).value is not False,
        "version": version,
        "applicationLayer": application_layer,
    }
    felix = {"apiVersion": felix_api} if felix_api != DEFAULT_FELIX_API else {}
    optional = {  # written only when set
        "felix": felix | ({"spec": felix_spec} if felix_spec else {}),
        "services": services,
        "workloads": workloads,
        "patchMode": patch_mode if patch_mode != DEFAULT_PATCH_MODE else None,
        "keepApplicationLayer": switch(section.get("existing-application-layer"), False),
    }
    values |= {key: value for key, value in optional.items() if value}
    selected = sum(len(t.get("names", [])) + len(t.get("selectors", [])) for t in services + workloads)
    cluster = section.get("cluster")
    size = quantity(cluster.get("log-storage-size").value)
    return CalicoCompiled(
        version,
        values,
        patch_mode,
        list(felix_spec),
        selected,
        retention_days=int(cluster.get("retention-days").value or 1) if cluster.value is not None else None,
        log_storage_gb=float(size / 2**30) if size is not None else None,
        gb_per_node_per_day=tables.gb_per_node_per_day,
        patch_mode_chosen=section.get("patch-mode").value is not None,
    )


# ------------------------------------------------------------------------- ApplicationLayer


def _interval(node: Node, tables: CalicoTables, diagnostics: Diagnostics) -> int:
    default = int(tables.log_collection_defaults["logIntervalSeconds"])
    if node.value is None:
        return default
    milliseconds = duration_ms(node, "interval", "write e.g. 1s or 5s", diagnostics)
    if milliseconds is None:
        return default
    if milliseconds < 1000 or milliseconds % 1000:
        diagnostics.error(
            node.location,
            f"interval '{node.value}' is not a whole number of seconds",
            "the collector counts whole seconds (logIntervalSeconds): write e.g. 1s or 5s",
        )
        return default
    return milliseconds // 1000


def _requests_per_interval(node: Node, tables: CalicoTables, diagnostics: Diagnostics) -> int:
    unlimited = int(tables.log_collection_defaults["logRequestsPerInterval"])
    if node.value is None or node.value == "unlimited":
        return unlimited
    if node.value < 1:
        diagnostics.error(
            node.location,
            f"requests-per-interval {node.value} " + ("sends no L7 logs" if node.value == 0 else "is negative"),
            "write 'unlimited' for no limit (-1 upstream), or a positive number",
        )
        return unlimited
    return int(node.value)


def _compile_sidecar(section: Node, tables: CalicoTables, diagnostics: Diagnostics) -> bool | None:
    node = section.get("sidecar-injection")
    if node.value is None:
        return None
    if not tables.has_sidecar_injection:
        diagnostics.error(
            node.key_location,
            f"sidecar-injection is not in Calico Enterprise {tables.version} (ApplicationLayer has no "
            "sidecarInjection)",
            'sidecar mode arrived with Calico Enterprise 3.20: set version: "3.20", or select services instead (the '
            "3.19 method)",
        )
        return None
    return switch(node, False)


def _compile_resources(node: Node, diagnostics: Diagnostics) -> list[dict[str, Any]]:
    containers = []
    for name in COLLECTOR_CONTAINERS:
        if name not in node:
            continue
        container = node.get(name)
        resources: dict[str, Any] = {}
        for part in ("requests", "limits"):
            amounts = {key: container.get(part).get(key).value for key in RESOURCE_NAMES if key in container.get(part)}
            if amounts:
                resources[part] = amounts
        for key in RESOURCE_NAMES:
            request = quantity(resources.get("requests", {}).get(key))
            limit = quantity(resources.get("limits", {}).get(key))
            if request is not None and limit is not None and request > limit:
                diagnostics.error(
                    container.get("requests").get(key).location,
                    f"{name}: {key} request {resources['requests'][key]} is more than its limit "
                    f"{resources['limits'][key]}",
                    "Kubernetes rejects such pods: the DaemonSet l7-log-collector would not start",
                )
        if resources:
            containers.append({"name": name, "resources": resources})
        else:
            diagnostics.warning(
                container.key_location, f"resources for {name} set nothing", "add requests and/or limits, or remove it"
            )
    return containers


# ---------------------------------------------------------------------------------- Felix


def _compile_felix(node: Node, tables: CalicoTables, patch_mode: str, diagnostics: Diagnostics) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for key, _ in node.items():
        if re.fullmatch("[Tt]proxy-?[Mm]ode", key):
            diagnostics.error(
                node.get(key).key_location,
                "tproxyMode is never set by flowlogs: the Tigera operator sets it to Enabled when ApplicationLayer "
                "collects L7 logs",
                "remove it; setting it here would fight the operator",
            )
    emit_defaults = node.get("emit-defaults").value is True
    at_default: list[str] = []  # settings equal to Felix's defaults: written only with emit-defaults
    for knob in FELIX_KNOBS:
        parent = node.get("aggregation") if knob.aggregation else node
        if knob.word not in parent:
            continue
        value_node = parent.get(knob.word)
        felix_field = tables.felix_fields[knob.field]
        value = knob.kind.compile(
            value_node, KnobContext(knob, felix_field, tables.collector_l7_directory), diagnostics
        )
        if value is INVALID:
            continue
        if patch_mode == "gitops" and knob.field in tables.operator_sets:
            # Argo CD forces conflicts on server-side apply: it would overwrite an existing value
            # (e.g. an egress gateway's) that the operator and job mode keep.
            diagnostics.note(
                value_node.key_location,
                f"patch-mode gitops leaves {knob.field} to the Tigera operator, which sets "
                f"{tables.operator_sets[knob.field]} "
                "when it is empty and keeps an existing value; Argo CD's forced server-side apply would overwrite it",
                f"remove '{knob.word}'",
            )
            continue
        if not isinstance(knob.kind, PolicySync) and felix_field.is_default(value):
            shown = (
                value_node.value if not isinstance(value_node.value, bool) else ("on" if value_node.value else "off")
            )
            at_default.append(f"{knob.word} {shown}")
            if not emit_defaults:
                continue
        spec[felix_field.name] = value
    if at_default and not emit_defaults:
        diagnostics.note(
            node.key_location,
            f"felix: {', '.join(at_default)} {'is' if len(at_default) == 1 else 'are'} Felix's "
            f"default{'s' if len(at_default) > 1 else ''}: not written",
            "set 'emit-defaults: true' to write " + ("it" if len(at_default) == 1 else "them") + " anyway",
        )
    if emit_defaults and not at_default:
        diagnostics.note(
            node.get("emit-defaults").location, "emit-defaults changes nothing: no setting is at Felix's default"
        )
    return spec


# ------------------------------------------------------------------------ traffic selection


def _compile_targets(node: Node, what: str, patch_mode: str, diagnostics: Diagnostics) -> list[dict[str, Any]]:
    """Service or workload selections, one entry per (kind, namespace): names and/or selectors."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    seen: dict[tuple[str, str, str], Node] = {}
    for item in node.elements():
        kind = str(item.get("kind").value or "")
        namespace = str(item.get("namespace").value)
        has_name, has_selector = "name" in item, "selector" in item
        if has_name == has_selector:
            diagnostics.error(
                item.location,
                f"a {what} selection needs either 'name' or 'selector'" + (", not both" if has_name else ""),
                "use one entry per way of selecting (a list of entries selects their union)",
            )
            continue
        group = groups.setdefault((kind, namespace), {**({"kind": kind} if kind else {}), "namespace": namespace})
        if has_name:
            for name_node in item.get("name").elements():
                name = str(name_node.value)
                selection_key = (kind, namespace, name)
                if selection_key in seen:
                    diagnostics.warning(
                        name_node.location,
                        f"{kind or 'service'} {namespace}/{name} is selected twice",
                        f"first at {seen[selection_key].location}",
                    )
                    continue
                seen[selection_key] = name_node
                group.setdefault("names", []).append(name)
            continue
        selector_node = item.get("selector")
        if patch_mode == "gitops":
            diagnostics.error(
                selector_node.location,
                f"patch-mode gitops cannot select {what}s by label: it writes one partial manifest per named object",
                "name the objects, or use 'patch-mode: job' (the Job lists and patches the matching objects)",
            )
            continue
        value = selector_node.value
        try:
            selector = selector_from_mapping(value) if isinstance(value, dict) else parse_selector(str(value))
        except SelectorError as error:
            diagnostics.error(selector_node.location, f"invalid label selector: {error}")
            continue
        if selector in group.get("selectors", []):
            diagnostics.warning(selector_node.location, "this selector is listed twice for the namespace")
            continue
        if not _label_selection_allowed(item, selector_node, what, kind, namespace, diagnostics):
            continue
        group.setdefault("selectors", []).append(selector)
    for group in groups.values():
        group.get("names", []).sort()
    return [groups[key] for key in sorted(groups) if "names" in groups[key] or "selectors" in groups[key]]


def _label_selection_allowed(
    item: Node, selector_node: Node, what: str, kind: str, namespace: str, diagnostics: Diagnostics
) -> bool:
    """Selecting by label gives the hook Job `list` and `patch` on every object of that kind in the
    namespace (RBAC has no label condition), and patching a pod template runs code there: say so,
    and refuse it in the cluster's own namespaces unless the profile says it means it."""
    objects = f"{kind or 'Service'}s"
    if namespace in SYSTEM_NAMESPACES and item.get("allow-system-namespace").value is not True:
        diagnostics.error(
            selector_node.location,
            f"selecting {what}s by label in {namespace} would let the hook Job list and patch every {objects[:-1]} of "
            f"{namespace}",
            "name the objects instead, or add 'allow-system-namespace: true' to this entry if that is meant "
            f"({', '.join(SYSTEM_NAMESPACES)} hold the cluster's own components)",
        )
        return False
    diagnostics.warning(
        selector_node.location,
        f"selecting {what}s by label gives the hook Job list and patch on every {objects[:-1]} of namespace "
        f"{namespace}, not only the matching ones",
        "RBAC cannot limit rights to objects with a label: name the objects to keep the Job's rights to them "
        "(resourceNames)",
    )
    return True


def _check_selection(
    section: Node,
    tables: CalicoTables,
    sidecar: bool | None,
    services: list[dict[str, Any]],
    workloads: list[dict[str, Any]],
    diagnostics: Diagnostics,
) -> None:
    workloads_node = section.get("workloads")
    if workloads_node.value:
        if not tables.has_sidecar_injection:
            diagnostics.error(
                workloads_node.key_location,
                f"Calico Enterprise {tables.version} cannot select workloads: that is the 3.20 sidecar mode",
                'set version: "3.20" and sidecar-injection: on, or select services instead (the 3.19 method)',
            )
        elif not sidecar:
            diagnostics.error(
                workloads_node.key_location,
                "workloads are selected through the sidecar, but sidecar-injection is not on",
                "add 'sidecar-injection: on' (Calico Enterprise 3.20)",
            )
    if sidecar:
        where = section.get("sidecar-injection").location
        if not workloads:
            diagnostics.warning(
                where,
                "sidecar-injection is on but no workloads are selected: no pod gets the sidecar",
                "list them under 'workloads'",
            )
        else:
            diagnostics.warning(
                where,
                "selecting a workload changes its pod template, so its pods restart (the sidecar is injected when a "
                "pod is created)",
                "sidecar mode needs Kubernetes 1.29+, does not work with a service mesh such as Istio, and does not "
                "cover host-networked client pods",
            )
    services_node = section.get("services")
    if services:
        diagnostics.note(
            services_node.key_location,
            "Envoy proxies only connections opened after a service is selected; (de)selecting may disrupt active "
            "connections; host-networked client pods are not covered",
        )
        if not tables.service_annotation_documented:
            diagnostics.warning(
                services_node.key_location,
                f"Calico Enterprise {tables.version} documents only sidecar selection (workloads); the service "
                f"annotation {tables.service_annotation[0]} is the 3.19 method",
                "it is still wired in the operator (per-host Envoy) but undocumented for this version; prefer "
                "workloads with sidecar-injection",
            )


# ------------------------------------------------------------------------------- preflight


def _preflight(section: Node, tables: CalicoTables, sidecar: bool, diagnostics: Diagnostics) -> None:
    cluster = section.get("cluster")
    if cluster.value is None:
        diagnostics.note(
            section.key_location,
            "no cluster facts: add 'cluster: {platform, nodes, retention-days}' to check platform support and log "
            "storage",
        )
        return
    platform = cluster.get("platform")
    if platform.value in tables.unsupported_platforms:
        diagnostics.error(
            platform.location,
            f"L7 logs are not supported on {str(platform.value).upper()}: "
            f"{tables.unsupported_platforms[platform.value]}",
            "flowlogs refuses to generate L7 log resources for this platform; switch the calico part off for this "
            "cluster",
        )
    _check_storage(cluster, tables, diagnostics)
    version_node = cluster.get("kubernetes-version")
    if version_node.value is not None and sidecar and tables.sidecar is not None:
        value = version_node.value
        text = f"{value:.2f}" if isinstance(value, float) else str(value).lstrip("v")
        major, minor = (int(p) for p in text.split(".")[:2])
        if (major, minor) < tables.sidecar.min_kubernetes:
            wanted = ".".join(str(p) for p in tables.sidecar.min_kubernetes)
            diagnostics.error(
                version_node.location,
                f"sidecar mode needs Kubernetes {wanted} or later (native sidecar containers); this cluster runs "
                f"{major}.{minor}",
                "upgrade the cluster first, or select services instead",
            )


def _check_storage(cluster: Node, tables: CalicoTables, diagnostics: Diagnostics) -> None:
    nodes, days_node, size_node = cluster.get("nodes"), cluster.get("retention-days"), cluster.get("log-storage-size")
    days = int(days_node.value or 1)
    if days > tables.l7_retention_days:
        diagnostics.warning(
            days_node.location,
            f"the Tigera operator keeps L7 logs for {tables.l7_retention_days} day whatever the retention wanted "
            "(ILM policy tigera_secure_ee_l7_policy; LogStorage has no L7 retention field)",
            f"the storage check still sizes for {days} days",
        )
    if nodes.value is None:
        if size_node.value is not None:
            diagnostics.warning(size_node.location, "log-storage-size is checked against the node count: add 'nodes'")
        return
    required = int(nodes.value) * days * tables.gb_per_node_per_day
    formula = (
        f"{nodes.value} node{'s' if nodes.value != 1 else ''} x {days} day{'s' if days != 1 else ''} x "
        f"{tables.gb_per_node_per_day} GB"
    )
    if size_node.value is None:
        diagnostics.note(
            nodes.location,
            f"L7 logs need at least {required}Gi of extra log storage ({formula}): adjust LogStorage before enabling "
            "them",
        )
        return
    size = quantity(size_node.value)
    if size is None:
        if isinstance(size_node.value, float) or _QUANTITY_RE.match(str(size_node.value)):  # the schema passed it
            diagnostics.error(
                size_node.location,
                f"log-storage-size {size_node.value} is not a Kubernetes quantity: it must be finite and at most "
                "2^63-1",
                "write a size such as 500Gi",
            )
        return
    # The guide asks for *additional* storage; flowlogs knows only the total LogStorage size, not what
    # flow, DNS and audit logs already use, so it can only rule out a size that is too small in any case.
    if size < required * 2**30:
        diagnostics.error(
            size_node.location,
            f"log-storage-size {size_node.value} is smaller than the additional {required}Gi the L7 logs guide asks "
            f"for ({formula})",
            f"add at least {required}Gi to LogStorage on top of what the other logs use, or state fewer retention-days",
        )
    else:
        diagnostics.note(
            size_node.location,
            f"log-storage-size {size_node.value} is at least the additional {required}Gi the L7 logs guide asks for "
            f"({formula}); flowlogs cannot see what the other logs already use, so check that this much is free",
        )


def _explain_mode(section: Node, patch_mode: str, felix_api: str, diagnostics: Diagnostics) -> None:
    if patch_mode == "gitops":
        diagnostics.note(
            section.get("patch-mode").location,
            "gitops: Argo CD server-side-applies partial manifests; their Delete=false needs Argo CD 2.7+, "
            "older versions delete FelixConfiguration default and the selected objects with the Application",
        )
    if felix_api != DEFAULT_FELIX_API:
        diagnostics.note(
            section.get("felix-api").location,
            f"{felix_api} writes Calico's backing CRD directly; Calico recommends {DEFAULT_FELIX_API} (its API server)",
        )

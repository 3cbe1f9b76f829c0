"""The `calico:` section of a profile (Calico Enterprise L7 logs), as JSON Schema.

Only the shape and the fixed words live here; what depends on the Calico Enterprise version
(3.20-only sidecar injection, Felix defaults) and on several keys together (storage sizing,
GitOps with selectors) is checked by the compiler, which knows the version.
"""

from __future__ import annotations

from typing import Any

from ..names import DNS_LABEL_PATTERN, OBJECT_NAME_PATTERN
from .defaults import DEFAULT_VERSION, SUPPORTED_VERSIONS, WORKLOAD_KINDS
from .kinds import DURATION, SWITCH
from .words import (
    COLLECTOR_CONTAINERS,
    DEFAULT_FELIX_API,
    DEFAULT_PATCH_MODE,
    ENVOY_FIELDS,
    FELIX_APIS,
    FELIX_KNOBS,
    PATCH_MODES,
    PLATFORMS,
    RESOURCE_NAMES,
    FelixKnob,
)


def _object(
    title: str | None,
    description: str | None,
    properties: dict[str, Any],
    *,
    required: list[str] | None = None,
    aliases: dict[str, str] | None = None,
    **more: Any,
) -> dict[str, Any]:
    """A closed object, its keywords in the order docs/profile.schema.json has them."""
    schema: dict[str, Any] = {"type": "object", "title": title, "description": description}
    schema |= {"additionalProperties": False, "required": required, "properties": properties}
    schema |= {**more, "x-upstream-aliases": aliases}
    return {key: value for key, value in schema.items() if value is not None}


def _knob_schema(knob: FelixKnob) -> dict[str, Any]:
    return {**knob.kind.schema(), "description": knob.description}


QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
QUANTITY = {
    "type": ["string", "integer", "number"],
    "title": "quantity",
    "pattern": QUANTITY_PATTERN,
    "x-pattern-hint": "a Kubernetes quantity such as 100m, 0.5, 128Mi or 2Gi",
}
NAMESPACE = {
    "type": "string",
    "title": "namespace",
    "pattern": DNS_LABEL_PATTERN,
    "x-pattern-hint": "a namespace name: lower-case letters, digits and '-'",
}
OBJECT_NAME = {
    "type": "string",
    "title": "name",
    "pattern": OBJECT_NAME_PATTERN,
    "x-pattern-hint": "an object name: lower-case letters, digits, '-' and '.'",
}
SELECTOR = {
    "oneOf": [
        {"type": "string", "minLength": 1, "title": "label selector"},
        {"type": "object", "minProperties": 1, "additionalProperties": {"type": "string"}},
    ],
    "description": (
        "A label selector as `kubectl -l` takes it (`app=web,tier in (a,b)`), or a mapping of labels that must all "
        "match."
    ),
}


def _felix_schema() -> dict[str, Any]:
    top = {k.word: _knob_schema(k) for k in FELIX_KNOBS if not k.aggregation}
    aggregation = {k.word: _knob_schema(k) for k in FELIX_KNOBS if k.aggregation}
    return _object(
        "felix settings",
        "FelixConfiguration `default` L7 settings, patched field by field (the chart never owns `default`). Only "
        "values that differ from Felix's defaults are written unless `emit-defaults` is true.",
        {
            **top,
            "aggregation": _object(
                "aggregation",
                "How Felix aggregates L7 log entries (the l7LogsFileAggregation* fields).",
                aggregation,
                aliases={k.field: k.word for k in FELIX_KNOBS if k.aggregation},
            ),
            "emit-defaults": {
                "type": "boolean",
                "description": (
                    "Also write the settings above whose value is Felix's default (pins them). Default: false."
                ),
            },
        },
        # Let tproxyMode through the shape (without offering it) so the compiler can say why it is never set.
        patternProperties={"^[Tt]proxy-?[Mm]ode$": {}},
        aliases={
            **{k.field: k.word for k in FELIX_KNOBS if not k.aggregation},
            **{k.field: f"aggregation.{k.word}" for k in FELIX_KNOBS if k.aggregation},
        },
    )


def _target_schema(title: str, kind: dict[str, Any] | None) -> dict[str, Any]:
    names = {"oneOf": [OBJECT_NAME, {"type": "array", "minItems": 1, "items": OBJECT_NAME}]}
    properties = ({"kind": kind} if kind is not None else {}) | {
        "namespace": {**NAMESPACE, "description": "The namespace of the selected objects."},
        "name": {**names, "description": "One name or a list of names."},
        "selector": SELECTOR,
        "allow-system-namespace": {
            "type": "boolean",
            "description": (
                "Allow selecting by label in a namespace of the cluster's own components (kube-system, "
                "calico-system, ...): the hook Job may then patch any object of that kind there."
            ),
        },
    }
    return _object(
        title,
        None,
        properties,
        required=["namespace", *(["kind"] if kind else [])],
        aliases={"names": "name", "labelSelector": "selector", "matchLabels": "selector", "ns": "namespace"},
    )


def _resources_schema() -> dict[str, Any]:
    amounts = _object(None, None, {name: QUANTITY for name in RESOURCE_NAMES})
    container = _object(
        None,
        None,
        {
            "requests": {**amounts, "description": "Requested resources."},
            "limits": {**amounts, "description": "Resource limits."},
        },
    )
    return _object(
        "collector container",
        "Resource requests/limits of the l7-log-collector DaemonSet's containers (ApplicationLayer "
        "l7LogCollectorDaemonSet).",
        {name: container for name in COLLECTOR_CONTAINERS},
        aliases={"l7LogCollectorDaemonSet": "resources"},
    )


def calico_section_schema() -> dict[str, Any]:
    return _object(
        "calico section",
        "Calico Enterprise L7 logs: the ApplicationLayer, Felix's L7 settings and the traffic to log.",
        {
            "enabled": {
                "type": "boolean",
                "description": "Render this part (default true). Fleets switch it per cluster.",
            },
            "version": {
                # Unquoted 3.20 reads as the number 3.2: accepted, but only the strings are offered.
                "anyOf": [
                    {"enum": list(SUPPORTED_VERSIONS), "title": "Calico Enterprise version"},
                    {"enum": [float(v) for v in SUPPORTED_VERSIONS], "title": "Calico Enterprise version"},
                ],
                "description": (
                    f"The Calico Enterprise minor version the fields are compiled for. Default: {DEFAULT_VERSION}."
                ),
            },
            "collect-logs": {
                **SWITCH,
                "description": "on/off: L7 log collection (ApplicationLayer logCollection.collectLogs). Default: on.",
            },
            "interval": {
                **DURATION,
                "description": (
                    "How often the collector sends L7 logs to Felix, whole seconds (logIntervalSeconds). Default: 5s."
                ),
            },
            "requests-per-interval": {
                "oneOf": [{"type": "integer"}, {"enum": ["unlimited"], "title": "request limit"}],
                "description": (
                    "Most unique L7 logs sent per interval, or `unlimited` (logRequestsPerInterval; -1 upstream). "
                    "Default: unlimited."
                ),
            },
            "felix": _felix_schema(),
            "services": {
                "type": "array",
                "items": _target_schema("service selection", None),
                "description": (
                    "Services whose traffic is logged: annotated projectcalico.org/l7-logging=true (the 3.19 method)."
                ),
            },
            "sidecar-injection": {
                **SWITCH,
                "description": (
                    "on/off: Calico Enterprise 3.20 sidecar mode (ApplicationLayer sidecarInjection). Needs Kubernetes "
                    "1.29+."
                ),
            },
            "workloads": {
                "type": "array",
                "items": _target_schema(
                    "workload selection",
                    {
                        "enum": list(WORKLOAD_KINDS),
                        "title": "workload kind",
                        "description": "Deployment, StatefulSet or DaemonSet.",
                    },
                ),
                "description": (
                    "3.20 sidecar mode: workloads whose pod template gets the sidecar label and logging annotation "
                    "(their pods restart)."
                ),
            },
            "envoy": _object(
                "envoy settings",
                "Envoy settings of ApplicationLayer.",
                {
                    "xff-num-trusted-hops": {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": 2147483647,
                        "description": (
                            "Ingress proxy hops of x-forwarded-for to trust (xffNumTrustedHops). Default: 0."
                        ),
                    },
                    "use-remote-address": {
                        "type": "boolean",
                        "description": "Use the client connection's real address (useRemoteAddress). Default: false.",
                    },
                },
                aliases={field: word for word, field in ENVOY_FIELDS.items()},
            ),
            "resources": _resources_schema(),
            "existing-application-layer": {
                **SWITCH,
                "description": "on: ApplicationLayer tigera-secure existed before flowlogs (e.g. with WAF or ALP "
                "settings): the chart adopts it "
                "and never deletes it (Helm resource-policy keep, Argo CD Prune=false,Delete=false). Default: off.",
            },
            "patch-mode": {
                "enum": list(PATCH_MODES),
                "title": "patch mode",
                "description": "How FelixConfiguration default and the selected objects are patched: `job` (Helm hook "
                "Job, restored on uninstall) "
                f"or `gitops` (partial manifests for Argo CD server-side apply). Default: {DEFAULT_PATCH_MODE}.",
            },
            "felix-api": {
                "enum": list(FELIX_APIS),
                "title": "FelixConfiguration API",
                "description": (
                    f"API the FelixConfiguration is written through. Default: {DEFAULT_FELIX_API} (Calico's API "
                    "server, as Calico recommends)."
                ),
            },
            "cluster": _object(
                "cluster facts",
                "Facts about the cluster, for preflight checks only (nothing is written from them).",
                {
                    "platform": {
                        "enum": list(PLATFORMS),
                        "title": "platform",
                        "description": "Where the cluster runs: " + ", ".join(PLATFORMS) + ".",
                    },
                    "nodes": {
                        "type": "integer",
                        "minimum": 1,
                        "description": (
                            "Number of nodes (the L7 logs guide: an additional 1 GB of log storage per node per day)."
                        ),
                    },
                    "retention-days": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "Days of L7 logs to size the log storage for. Default: 1.",
                    },
                    "log-storage-size": {
                        **QUANTITY,
                        "description": (
                            "The LogStorage size, e.g. 500Gi; compared with the additional nodes x days x 1 GB the L7 "
                            "logs guide asks for."
                        ),
                    },
                    "kubernetes-version": {
                        "type": ["string", "number"],
                        "title": "Kubernetes version",
                        "pattern": "^v?1\\.[0-9]+(\\.[0-9]+)?$",
                        "x-pattern-hint": 'a Kubernetes version such as "1.30"',
                        "description": "Kubernetes minor version (sidecar mode needs 1.29+).",
                    },
                },
                aliases={"retention": "retention-days", "storage": "log-storage-size", "nodeCount": "nodes"},
            ),
        },
        aliases={
            "logCollection": "collect-logs",
            "collectLogs": "collect-logs",
            "logIntervalSeconds": "interval",
            "logRequestsPerInterval": "requests-per-interval",
            "sidecarInjection": "sidecar-injection",
            "l7LogCollectorDaemonSet": "resources",
            "felixConfiguration": "felix",
            "FelixConfiguration": "felix",
            "applicationLayer": "collect-logs",
            "deployments": "workloads",
        },
    )

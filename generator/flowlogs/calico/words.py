"""The plain words of a profile's `calico:` section, and the upstream fields they stand for.

The words are flowlogs' language (the same for every Calico Enterprise version); the upstream
facts they compile to (field names, allowed values, defaults) are in the per-version tables, and
tests/test_calico_tables.py checks every word against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from . import kinds
from .kinds import KnobKind


@dataclass(frozen=True)
class FelixKnob:
    """One Felix setting in plain words."""

    word: str  # the profile key, e.g. "http-header-info"
    field: str  # the FelixConfiguration spec field
    kind: KnobKind  # how the value is checked, compiled, decompiled and explained
    description: str
    aggregation: bool = False  # under felix.aggregation


def _choice(word: str, field_name: str, description: str, **choices: str) -> FelixKnob:
    words = MappingProxyType({key.replace("_", "-"): value for key, value in choices.items()})
    return FelixKnob(word, field_name, kinds.Choice(word, words), description, aggregation=True)


FELIX_KNOBS: tuple[FelixKnob, ...] = (
    FelixKnob(
        "policy-sync-api",
        "policySyncPathPrefix",
        kinds.PolicySync(),
        "on: set policySyncPathPrefix to /var/run/nodeagent (the Policy Sync API the L7 collector talks to), as the "
        "3.19 guide's first step. The Tigera operator also sets it when it is empty; no other value is allowed.",
    ),
    FelixKnob(
        "flush-interval",
        "l7LogsFlushInterval",
        kinds.Duration(),
        "How often Felix exports L7 logs, e.g. 60s or 5m (l7LogsFlushInterval). Felix's default: 300s.",
    ),
    FelixKnob(
        "log-to-file",
        "l7LogsFileEnabled",
        kinds.Switch(),
        "on/off: Felix writes L7 logs to files, which the log collector ships to Elasticsearch (l7LogsFileEnabled). "
        "Default: on.",
    ),
    FelixKnob(
        "file-directory",
        "l7LogsFileDirectory",
        kinds.Directory(),
        "Directory of the L7 log files (l7LogsFileDirectory). Default: /var/log/calico/l7logs.",
    ),
    FelixKnob(
        "max-files",
        "l7LogsFileMaxFiles",
        kinds.Count(),
        "Number of L7 log files to keep (l7LogsFileMaxFiles). Default: 5.",
    ),
    FelixKnob(
        "max-file-size-mb",
        "l7LogsFileMaxFileSizeMB",
        kinds.Count(),
        "Size in MB at which an L7 log file is rotated (l7LogsFileMaxFileSizeMB). Default: 100.",
    ),
    FelixKnob(
        "per-node-limit",
        "l7LogsFilePerNodeLimit",
        kinds.CountOrUnlimited(),
        "Most L7 logs a node emits per flush interval, or `unlimited` (l7LogsFilePerNodeLimit; 0 upstream). Default: "
        "1500.",
    ),
    _choice(
        "http-header-info",
        "l7LogsFileAggregationHTTPHeaderInfo",
        "include/exclude HTTP header data (user agent, log type). Default: exclude.",
        include="IncludeL7HTTPHeaderInfo",
        exclude="ExcludeL7HTTPHeaderInfo",
    ),
    _choice(
        "http-method",
        "l7LogsFileAggregationHTTPMethod",
        "include/exclude the HTTP method. Default: include.",
        include="IncludeL7HTTPMethod",
        exclude="ExcludeL7HTTPMethod",
    ),
    _choice(
        "service-info",
        "l7LogsFileAggregationServiceInfo",
        "include/exclude the service name, namespace and port. Default: include.",
        include="IncludeL7ServiceInfo",
        exclude="ExcludeL7ServiceInfo",
    ),
    _choice(
        "destination-info",
        "l7LogsFileAggregationDestinationInfo",
        "include/exclude the destination name, namespace and type. Default: include.",
        include="IncludeL7DestinationInfo",
        exclude="ExcludeL7DestinationInfo",
    ),
    _choice(
        "source-info",
        "l7LogsFileAggregationSourceInfo",
        "include (with port), include-no-port or exclude the source name, namespace and type. Default: "
        "include-no-port.",
        include="IncludeL7SourceInfo",
        include_no_port="IncludeL7SourceInfoNoPort",
        exclude="ExcludeL7SourceInfo",
    ),
    _choice(
        "response-code",
        "l7LogsFileAggregationResponseCode",
        "include/exclude the HTTP response code. Default: include.",
        include="IncludeL7ResponseCode",
        exclude="ExcludeL7ResponseCode",
    ),
    _choice(
        "url",
        "l7LogsFileAggregationTrimURL",
        "full (up to url-path-parts), trim-query, trim-query-and-path (base URL only) or exclude. Default: full.",
        full="IncludeL7FullURL",
        trim_query="TrimURLQuery",
        trim_query_and_path="TrimURLQueryAndPath",
        exclude="ExcludeL7URL",
    ),
    FelixKnob(
        "url-path-parts",
        "l7LogsFileAggregationNumURLPath",
        kinds.PathParts(),
        "How many URL path components to keep, or `all` (l7LogsFileAggregationNumURLPath; negative upstream). Default: "
        "5.",
        aggregation=True,
    ),
    FelixKnob(
        "url-char-limit",
        "l7LogsFileAggregationURLCharLimit",
        kinds.Count(),
        "URLs longer than this many characters are cut (l7LogsFileAggregationURLCharLimit). Default: 250.",
        aggregation=True,
    ),
)


# The collector DaemonSet's containers that L7 logs use (dikastes is for WAF / ALP only).
COLLECTOR_CONTAINERS: tuple[str, ...] = ("l7-collector", "envoy-proxy")
RESOURCE_NAMES: tuple[str, ...] = ("cpu", "memory", "ephemeral-storage")
# ApplicationLayer spec.envoy (EnvoySettings) fields by their profile word.
ENVOY_FIELDS: Mapping[str, str] = MappingProxyType(
    {"xff-num-trusted-hops": "xffNumTrustedHops", "use-remote-address": "useRemoteAddress"}
)

PLATFORMS: tuple[str, ...] = ("aks", "eks", "gke", "openshift", "rke", "rke2", "tkg", "mke", "kops", "kubeadm", "other")

# Namespaces of the cluster's own components (Kubernetes, Calico, the Tigera operator): selecting by
# label there needs `allow-system-namespace: true`.
SYSTEM_NAMESPACES: tuple[str, ...] = (
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "calico-system",
    "tigera-operator",
    "tigera-system",
)

PATCH_MODES: tuple[str, ...] = ("job", "gitops")
FELIX_APIS: tuple[str, ...] = ("projectcalico.org/v3", "crd.projectcalico.org/v1")
DEFAULT_PATCH_MODE = "job"
DEFAULT_FELIX_API = "projectcalico.org/v3"

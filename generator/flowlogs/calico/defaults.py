"""The Calico Enterprise versions flowlogs supports and Felix's policy sync path, in a module that
loads no table: naming them, as `flowlogs --help` and `flowlogs init` do, costs no data file
(tables.py holds the facts per version and names these from here)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

SUPPORTED_VERSIONS: tuple[str, ...] = ("3.19", "3.20")
DEFAULT_VERSION = "3.20"
POLICY_SYNC_PATH_PREFIX = "/var/run/nodeagent"
# The versions whose ApplicationLayer has sidecarInjection (3.20's documented selection: workloads);
# the older ones select services. The data files say the same (a test compares them).
SIDECAR_VERSIONS: tuple[str, ...] = ("3.20",)

# Workload kinds for 3.20 sidecar selection (all of apps/v1): kind -> resource.
WORKLOAD_KINDS: Mapping[str, str] = MappingProxyType(
    {"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets"}
)

"""What Argo CD hands Helm for each fleet cluster, and the clusters that deploy the same thing.

A cluster's release is rendered from its profile's compiled values, then the named overrides as
Helm parameters (`cilium.enabled`, `cilium.configMap.namespace`, ...), then `overrides.values`
as the Application's `helm.valuesObject` (value_overrides.py). Clusters whose profile and
overrides give the same values deploy the same manifests, so `flowlogs validate --fleet` renders
each distinct set once.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..compiler import CompiledProfile
from ..values_model import merge_values
from .fleet import OVERRIDES, Fleet
from .value_overrides import VALUES_KEY


@dataclass(frozen=True)
class ClusterGroup:
    """Clusters that deploy the same values: one render serves them all."""

    profile: str
    clusters: tuple[str, ...]
    values: dict[str, Any]

    @property
    def label(self) -> str:
        shown = ", ".join(self.clusters[:3]) + (f" and {len(self.clusters) - 3} more" if len(self.clusters) > 3 else "")
        return f"{self.profile} [{len(self.clusters)} cluster(s): {shown}]"


def cluster_values(profile: CompiledProfile, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The values Helm renders one cluster's release with."""
    values = copy.deepcopy(profile.values)
    for override in OVERRIDES:
        if override.chart_value and override.key in overrides:
            *parents, leaf = override.chart_value.split(".")
            node = values
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = str(overrides[override.key]) if override.force_string else overrides[override.key]
    if VALUES_KEY in overrides:
        values = merge_values(values, overrides[VALUES_KEY])
    return values


def cluster_groups(fleet: Fleet, profiles: Mapping[str, CompiledProfile]) -> list[ClusterGroup]:
    """The fleet's clusters grouped by the values they deploy, in fleet order of first appearance."""
    groups: dict[str, tuple[str, list[str], dict[str, Any]]] = {}
    for cluster in fleet.clusters:
        values = cluster_values(profiles[cluster.profile], cluster.overrides)
        key = json.dumps(values, sort_keys=True)
        groups.setdefault(key, (cluster.profile, [], values))[1].append(cluster.name)
    return [ClusterGroup(profile, tuple(names), values) for profile, names, values in groups.values()]

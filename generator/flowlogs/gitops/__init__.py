"""Argo CD manifests for the generated chart: one Application per profile, one ApplicationSet per fleet.

    values/fleet.yaml ──load_fleet──▶ Fleet (settings + clusters, checked against the compiled profiles)
                                        │
                          manifests ──▶ Application / ApplicationSet (plain dicts)
                                        │
                               build ──▶ gitops/ files (relative path -> text), synced like chart/

`flowlogs generate` writes gitops/ next to chart/, `flowlogs check` compares both.
"""

from __future__ import annotations

from ..products import Override
from .build import (
    APPLICATIONS_DIR,
    APPLICATIONSET_FILE,
    GitopsPlan,
    build_gitops_files,
    plan_gitops,
)
from .fleet import OVERRIDES, Cluster, Fleet, load_fleet
from .manifests import fleet_applicationset, profile_application
from .schema import fleet_schema
from .settings import CiliumRelease, GitopsSettings, SettingsOverrides, SyncSettings

__all__ = [
    "APPLICATIONSET_FILE",
    "APPLICATIONS_DIR",
    "OVERRIDES",
    "CiliumRelease",
    "Cluster",
    "Fleet",
    "GitopsPlan",
    "GitopsSettings",
    "Override",
    "SettingsOverrides",
    "SyncSettings",
    "build_gitops_files",
    "fleet_applicationset",
    "fleet_schema",
    "load_fleet",
    "plan_gitops",
    "profile_application",
]

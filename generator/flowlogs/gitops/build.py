"""gitops/ in memory: every Argo CD manifest as relative path -> text, then synced like the chart.

Layout (all generated; `sync_tree` removes anything else in the directory):

    gitops/applications/<profile>.yaml   one Application per profile
    gitops/applicationset.yaml           the fleet's ApplicationSet (when the fleet lists clusters)
    gitops/argocd-cm-applicationlayer-health.yaml
                                         Argo CD health check of ApplicationLayer (when a profile has a Calico part)

Each file depends only on its inputs (its profile and the fleet file's settings; the
ApplicationSet on the fleet and the profiles its clusters use), so changing one profile
rewrites only its files, and removing a profile removes only its Application.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..chart.writer import GENERATED_MARK, PROFILES_DIR, dump_yaml, repository_source, tree_name
from ..compiler import CompiledProfile
from ..errors import Diagnostics, Location
from .deselect import clear_commands, deselected
from .fleet import Fleet, Progress, load_fleet
from .health import HEALTH_FILE, health_file_text
from .manifests import fleet_applicationset, profile_application, renders_partial_manifests, used_profiles
from .settings import SettingsOverrides

APPLICATIONS_DIR = "applications"
APPLICATIONSET_FILE = "applicationset.yaml"
GENERATED_HEADER = GENERATED_MARK + " from {sources}. Do not edit: change {them} and run `flowlogs generate`."


@dataclass(frozen=True)
class GitopsPlan:
    fleet: Fleet
    files: dict[str, str]


def _header(sources: Sequence[str], apply_hint: str) -> str:
    sources = list(dict.fromkeys(s for s in sources if s))
    joined = sources[0] if len(sources) == 1 else ", ".join(sources[:-1]) + " and " + sources[-1]
    text = GENERATED_HEADER.format(sources=joined, them="it" if len(sources) == 1 else "them")
    return "".join(f"# {line}\n" for line in f"{text}\n{apply_hint}".splitlines())


def build_gitops_files(profiles: Sequence[CompiledProfile], fleet: Fleet, gitops_dir: Path) -> dict[str, str]:
    """Every file of gitops/, deterministic (sorted, no timestamps).

    The sources named in the headers are taken as given: `plan_gitops` passes them relative to
    the repository root, so the files do not depend on the working directory.
    """
    by_name = {p.name: p for p in profiles}
    directory = tree_name(gitops_dir)
    files: dict[str, str] = {}
    for profile in sorted(profiles, key=lambda p: p.name):
        relative = f"{APPLICATIONS_DIR}/{profile.name}.yaml"
        header = _header([profile.source, fleet.source], f"Apply: kubectl apply -f {directory}/{relative}")
        files[relative] = header + dump_yaml(profile_application(profile, fleet.settings))
    if fleet.clusters:
        sources = [fleet.source] + [by_name[name].source for name in used_profiles(fleet.clusters)]
        header = _header(
            sources,
            f"{len(fleet.clusters)} cluster(s). Apply: kubectl apply -f {directory}/{APPLICATIONSET_FILE}",
        )
        files[APPLICATIONSET_FILE] = header + dump_yaml(fleet_applicationset(fleet, by_name))
    calico_sources = sorted(p.source for p in profiles if p.calico is not None)
    if calico_sources:
        namespace = fleet.settings.argocd_namespace
        header = _header(
            [fleet.source, *calico_sources],
            "Argo CD health check of ApplicationLayer, so sync waves wait for the Tigera operator. Add it to argocd-cm:\n"
            f"kubectl patch configmap argocd-cm -n {namespace} --type merge --patch-file {directory}/{HEALTH_FILE}",
        )
        files[HEALTH_FILE] = header + health_file_text(namespace)
    return dict(sorted(files.items()))


def _note_deselections(profiles: Sequence[CompiledProfile], chart_dir: Path, diagnostics: Diagnostics) -> None:
    """patch-mode gitops: objects this change stops selecting keep their selection (Prune=false)."""
    for profile in profiles:
        calico = profile.calico.values if profile.calico is not None else None
        version = profile.calico.version if profile.calico is not None else ""
        for selection in deselected(chart_dir / PROFILES_DIR / profile.name / "values.yaml", calico):
            kind, namespace, name = selection
            diagnostics.note(
                Location(profile.source),
                f"{kind} {namespace}/{name} is no longer selected; Argo CD does not prune it (Prune=false, IgnoreExtraneous), "
                "so it keeps its L7 selection until you remove it",
                "\n".join(clear_commands(selection, version)),
            )


def _warn_shared_resources(fleet: Fleet, profiles: Mapping[str, CompiledProfile], diagnostics: Diagnostics) -> None:
    """patch-mode gitops: Argo CD writes its tracking label/annotation onto the partial Service and
    workload manifests; where another Application already manages the object the sync fails
    (FailOnSharedResource) or the two Applications fight over it."""
    for cluster in fleet.clusters:
        profile = profiles.get(cluster.profile)
        if profile is None or not renders_partial_manifests(profile) or cluster.overrides.get("calico", True) is False:
            continue
        diagnostics.warning(
            cluster.node.get("profile").location,
            f"cluster '{cluster.name}' runs profile '{cluster.profile}' in patch-mode gitops: its partial Service/workload manifests are "
            "tracked by this Application, so a sync fails (FailOnSharedResource) or two Applications fight where another "
            "Application already manages those objects",
            "use 'patch-mode: job' for such clusters, or put the L7 annotation/label in the owning application (docs/gitops.md, Shared resources)",
        )


def plan_gitops(
    profiles: Sequence[CompiledProfile],
    known_profiles: set[str],
    values_dir: Path,
    chart_dir: Path,
    gitops_dir: Path,
    diagnostics: Diagnostics,
    overrides: SettingsOverrides | None = None,
    progress: Progress | None = None,
) -> GitopsPlan:
    """Load the fleet file and build gitops/; problems go to `diagnostics` (files are empty then)."""
    by_name: Mapping[str, CompiledProfile] = {p.name: p for p in profiles}
    before = len(diagnostics.errors)
    fleet = load_fleet(values_dir, chart_dir, by_name, known_profiles, diagnostics, overrides, progress)
    if len(diagnostics.errors) > before:
        return GitopsPlan(fleet, {})
    for profile in profiles:
        if profile.calico is not None and not renders_partial_manifests(profile):
            diagnostics.note(
                Location(profile.source),
                f"under Argo CD ({tree_name(gitops_dir)}/{APPLICATIONS_DIR}/{profile.name}.yaml) the Felix/Service patch Job runs as a PostSync hook "
                "on every sync, and its pre-delete restore runs only with Argo CD 3.3.0+ (PreDelete)",
                "'patch-mode: gitops' is the supported path for Argo CD (see docs/gitops.md)",
            )
    _warn_shared_resources(fleet, by_name, diagnostics)
    _note_deselections(profiles, chart_dir, diagnostics)
    # Diagnostics name files as the user sees them; generated files name them from the repository root.
    shown = [dataclasses.replace(p, source=repository_source(values_dir, p.source)) for p in profiles]
    shown_fleet = dataclasses.replace(fleet, source=repository_source(values_dir, fleet.source)) if fleet.source else fleet
    return GitopsPlan(fleet, build_gitops_files(shown, shown_fleet, gitops_dir))

"""gitops/ in memory: every Argo CD manifest as relative path -> text, then synced like the chart.

Layout (all generated; `generate` removes anything else in the directory):

    gitops/applications/<profile>.yaml   one Application per profile
    gitops/applicationset.yaml           the fleet's ApplicationSet (when the fleet lists clusters)
    gitops/<product files>               what a product adds (e.g. the Argo CD health check of
                                         Calico's ApplicationLayer, when a profile has a Calico part)

Each file depends only on its inputs (its profile and the fleet file's settings; the
ApplicationSet on the fleet and the profiles its clusters use), so changing one profile
rewrites only its files, and removing a profile removes only its Application.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..compiler import CompiledProfile
from ..errors import Diagnostics, Location
from ..names import GENERATED_MARK, repository_source, tree_name, values_file
from ..products import GitopsNote
from ..registry import PRODUCTS
from ..yamlio import dump_yaml
from .fleet import Fleet, Progress, load_fleet
from .manifests import PROFILE_LABEL, fleet_applicationset, labels_applicationset, profile_application, used_profiles
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
        notes = "".join(f"\nNote: {note.message}.\n  {note.hint}." for note in _gitops_notes(profile))
        header = _header([profile.source, fleet.source], f"Apply: kubectl apply -f {directory}/{relative}{notes}")
        files[relative] = header + dump_yaml(profile_application(profile, fleet.settings))
    if fleet.settings.cluster_generator == "labels":
        header = _header(
            [fleet.source] + [p.source for p in sorted(profiles, key=lambda p: p.name)],
            f"Clusters labelled {PROFILE_LABEL}=<profile> in Argo CD. Apply: kubectl apply -f "
            f"{directory}/{APPLICATIONSET_FILE}",
        )
        files[APPLICATIONSET_FILE] = header + dump_yaml(labels_applicationset(fleet, by_name))
    elif fleet.clusters:
        sources = [fleet.source] + [by_name[name].source for name in used_profiles(fleet.clusters)]
        header = _header(
            sources, f"{len(fleet.clusters)} cluster(s). Apply: kubectl apply -f {directory}/{APPLICATIONSET_FILE}"
        )
        files[APPLICATIONSET_FILE] = header + dump_yaml(fleet_applicationset(fleet, by_name))
    for product in PRODUCTS:
        parts = [(p.source, p.parts[product.key]) for p in profiles if product.key in p.parts]
        for extra in product.gitops_files(parts, fleet.settings.argocd_namespace, directory):
            files[extra.name] = _header([fleet.source, *extra.sources], extra.apply_hint) + extra.text
    return dict(sorted(files.items()))


def _gitops_notes(profile: CompiledProfile) -> list[GitopsNote]:
    return [note for product, part in profile.products() for note in product.gitops_notes(part)]


def _note_regeneration(profiles: Sequence[CompiledProfile], chart_dir: Path, diagnostics: Diagnostics) -> None:
    """What regenerating changes on clusters beyond the chart, per product (e.g. objects Argo CD does not prune)."""
    for profile in profiles:
        committed = chart_dir / values_file(profile.name)
        for product in PRODUCTS:
            for message, hint in product.regeneration_notes(profile.parts.get(product.key), committed):
                diagnostics.note(Location(profile.source), message, hint)


def _warn_shared_resources(fleet: Fleet, profiles: Mapping[str, CompiledProfile], diagnostics: Diagnostics) -> None:
    """Each product's warning for a cluster whose objects another Application may manage (shared_resource_warning)."""
    for cluster in fleet.clusters:  # each with a compiled profile (load_fleet keeps no other)
        for product, part in profiles[cluster.profile].products():
            warning = product.shared_resource_warning(part, cluster.name, cluster.profile)
            if warning is not None and cluster.overrides.get(product.key, True) is not False:
                diagnostics.warning(cluster.node.get("profile").location, *warning)


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
    # Said where the fleet deploys the profile through Argo CD; a profile installed with Helm alone
    # is not told about Argo CD (its Application file's header says it, for who applies that file).
    deployed = (
        {p.name for p in profiles}
        if fleet.settings.cluster_generator == "labels"
        else set(used_profiles(fleet.clusters))
    )
    for profile in profiles:
        if profile.name not in deployed:
            continue
        for note in _gitops_notes(profile):
            if not note.chosen:
                diagnostics.note(Location(profile.source), f"{fleet.source} deploys it: {note.message}", note.hint)
    _warn_shared_resources(fleet, by_name, diagnostics)
    _note_regeneration(profiles, chart_dir, diagnostics)
    # Diagnostics name files as the user sees them; generated files name them from the repository root.
    shown = [dataclasses.replace(p, source=repository_source(values_dir, p.source)) for p in profiles]
    shown_fleet = (
        dataclasses.replace(fleet, source=repository_source(values_dir, fleet.source)) if fleet.source else fleet
    )
    return GitopsPlan(fleet, build_gitops_files(shown, shown_fleet, gitops_dir))

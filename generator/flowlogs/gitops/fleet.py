"""The fleet file (`values/fleet.yaml`): Argo CD settings and clusters -> profile + overrides.

It is read the way profiles are (flowlogs.profile: positions of every value, a strict JSON Schema, plain-word
errors at file:line:col with a did-you-mean), then checked against the compiled profiles:
unknown profiles, duplicate cluster names or servers, bad API server URLs and overrides that
do not fit the cluster's profile are errors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..compiler import CompiledProfile
from ..errors import Diagnostics, Location, did_you_mean, display_path
from ..inputs import FLEET_LIMITS
from ..profile import Node, load_yaml_document
from ..registry import PRODUCTS_BY_KEY, fleet_overrides
from ..schema_errors import DocumentSchema
from .schema import fleet_schema
from .settings import (
    PLACEHOLDER_REPO_URL,
    GitopsSettings,
    SettingsOverrides,
    apply_overrides,
    check_cluster_server,
    default_chart_path,
    git_origin_hint,
    settings_from_node,
)
from .value_overrides import VALUES_KEY, check_values

FLEET_FILES = ("fleet.yaml", "fleet.yml")

Progress = Callable[[str, int, int], None]


OVERRIDES = fleet_overrides()
OVERRIDES_BY_KEY = {o.key: o for o in OVERRIDES}


@dataclass(frozen=True)
class Cluster:
    name: str
    server: str
    profile: str
    overrides: dict[str, Any]
    node: Node  # for error locations


@dataclass(frozen=True)
class Fleet:
    """A checked fleet file (or the defaults when there is none)."""

    source: str  # the file as shown to users ("" without a fleet file)
    settings: GitopsSettings
    clusters: tuple[Cluster, ...]


def find_fleet_file(values_dir: Path, diagnostics: Diagnostics) -> Path | None:
    found = [values_dir / name for name in FLEET_FILES if (values_dir / name).is_file()]
    if len(found) > 1:
        diagnostics.error(
            Location(display_path(found[1])),
            (f"both {found[0].name} and {found[1].name} exist in {values_dir}; keep one"),
        )
    return found[0] if found else None


FLEET_SCHEMA = DocumentSchema(fleet_schema, "the fleet file")


def load_fleet(
    values_dir: Path,
    chart_dir: Path,
    profiles: Mapping[str, CompiledProfile],
    known_profiles: set[str],
    diagnostics: Diagnostics,
    overrides: SettingsOverrides | None = None,
    progress: Progress | None = None,
) -> Fleet:
    """Read and check values/fleet.yaml against the compiled profiles.

    `profiles` are the profiles that compiled; `known_profiles` every profile file name (one
    that failed to compile has its own errors, so it is not reported again as unknown).
    """
    path = find_fleet_file(values_dir, diagnostics)
    if path is None:
        settings = apply_overrides(
            GitopsSettings(chart_path=default_chart_path(values_dir, chart_dir)), overrides, diagnostics
        )
        _warn_placeholder(
            settings, Location(display_path(values_dir / FLEET_FILES[0])), values_dir, diagnostics, missing_file=True
        )
        return Fleet("", settings, ())
    loaded = load_yaml_document(path, diagnostics, FLEET_LIMITS)
    if loaded is None:
        return Fleet(display_path(path), GitopsSettings(), ())
    data, positions, _ = loaded
    if not isinstance(data, dict):
        diagnostics.error(
            Location(positions.file, 1, 1), ("a fleet file must be a mapping with 'gitops:' and/or 'clusters:'")
        )
        return Fleet(positions.file, GitopsSettings(), ())
    before = len(diagnostics.errors)
    FLEET_SCHEMA.check(data, positions, diagnostics)
    if len(diagnostics.errors) > before:
        return Fleet(positions.file, GitopsSettings(), ())
    root = Node(data, (), positions)
    settings = settings_from_node(root.get("gitops"), values_dir, chart_dir, diagnostics)
    settings = apply_overrides(settings, overrides, diagnostics)
    _warn_placeholder(
        settings,
        root.get("gitops").key_location if "gitops" in root else Location(positions.file, 1, 1),
        values_dir,
        diagnostics,
    )
    _check_cilium_release(settings, profiles, diagnostics)
    clusters = _clusters(root.get("clusters"), profiles, known_profiles, diagnostics, progress)
    if settings.cluster_generator == "labels" and clusters:
        diagnostics.error(
            root.get("clusters").key_location,
            "with gitops.cluster-generator: labels, Argo CD finds the clusters by their flowlogs.dev/profile label: "
            "the fleet file lists none",
            'remove clusters:, and label each cluster Secret instead (docs/gitops.md, "Clusters from Argo CD labels")',
        )
    return Fleet(positions.file, settings, clusters)


def _warn_placeholder(
    settings: GitopsSettings, location: Location, values_dir: Path, diagnostics: Diagnostics, missing_file: bool = False
) -> None:
    if settings.repo_url != PLACEHOLDER_REPO_URL:
        return
    origin = git_origin_hint(values_dir)
    where = f"create {location.file} with" if missing_file else "set"
    hint = f"{where} gitops.repo-url (or pass --repo-url)" + (f"; this checkout's origin is {origin}" if origin else "")
    diagnostics.warning(
        location, (f"no repository URL: the Argo CD manifests point at the placeholder {settings.repo_url}"), hint
    )


def _check_cilium_release(
    settings: GitopsSettings, profiles: Mapping[str, CompiledProfile], diagnostics: Diagnostics
) -> None:
    release = settings.cilium_release
    if release is None:
        return
    missing: dict[str, list[str]] = {}
    for name, profile in sorted(profiles.items()):
        part = profile.parts.get(release.product)
        if part is not None and part.version not in release.versions:
            missing.setdefault(part.version, []).append(name)
    for minor, names in sorted(missing.items()):
        diagnostics.error(
            release.versions_location,
            f"cilium-release.versions has no chart version for Cilium {minor}, which profile(s) {', '.join(names)} "
            "target",
            f'add e.g. "{minor}": "{minor}.0" (the exact Cilium chart version your clusters run)',
        )


def _clusters(
    section: Node,
    profiles: Mapping[str, CompiledProfile],
    known_profiles: set[str],
    diagnostics: Diagnostics,
    progress: Progress | None,
) -> tuple[Cluster, ...]:
    items = list(section.elements()) if isinstance(section.value, list) else []
    clusters: list[Cluster] = []
    names: dict[str, Location] = {}
    servers: dict[str, tuple[str, Location]] = {}
    fleet_notes: dict[str, list[str]] = {}
    total = len(items)
    for index, item in enumerate(items):
        if progress and (index % 64 == 0 or index == total - 1):
            progress("fleet", index + 1, total)
        name_node, server_node, profile_node = item.get("name"), item.get("server"), item.get("profile")
        name, server, profile_name = str(name_node.value), str(server_node.value), str(profile_node.value)
        ok = name not in names
        if not ok:
            diagnostics.error(
                name_node.location,
                f"duplicate cluster name '{name}' (first at line {names[name].line})",
                "each cluster needs its own name: it names its Argo CD Application",
            )
        names.setdefault(name, name_node.location)
        if check_cluster_server(server, server_node.location, diagnostics, f"server of cluster '{name}'"):
            key = server.rstrip("/")
            if key in servers and servers[key][0] != name:
                other, where = servers[key]
                diagnostics.error(
                    server_node.location,
                    f"cluster '{name}' has the same server as cluster '{other}' (line {where.line})",
                    "two Applications would deploy the same release to one cluster and fight over it; list each "
                    "cluster once",
                )
                ok = False
            else:
                servers.setdefault(key, (name, server_node.location))
        else:
            ok = False
        profile = profiles.get(profile_name)
        if profile is None:
            if profile_name not in known_profiles:
                choices = sorted(known_profiles)
                diagnostics.error(
                    profile_node.location,
                    f"unknown profile '{profile_name}' for cluster '{name}'{did_you_mean(profile_name, choices)}",
                    "profiles are the files in values/ without .yaml: " + (", ".join(choices) or "none"),
                )
            continue
        overrides = _check_overrides(name, item.get("overrides"), profile, diagnostics, fleet_notes)
        if ok and overrides is not None:
            clusters.append(Cluster(name, server, profile_name, overrides, item))
    for key, lines in fleet_notes.items():
        if not lines:
            continue
        shown = lines[:5] + ([f"and {len(lines) - 5} more"] if len(lines) > 5 else [])
        note = PRODUCTS_BY_KEY[key].fleet_note(shown)
        if note:
            diagnostics.note(section.key_location, *note)
    return tuple(clusters)


def _check_overrides(
    cluster: str, node: Node, profile: CompiledProfile, diagnostics: Diagnostics, fleet_notes: dict[str, list[str]]
) -> dict[str, Any] | None:
    """Check that each override fits the cluster's profile; None when one does not."""
    result: dict[str, Any] = {}
    ok = True
    for key, value in node.items():
        if key == VALUES_KEY:
            checked = check_values(cluster, value, profile, diagnostics)
            ok = ok and checked is not None
            result[key] = checked
            continue
        override = OVERRIDES_BY_KEY[key]  # the schema admits only these keys
        if override.part not in profile.parts:
            having = PRODUCTS_BY_KEY[override.part].name
            diagnostics.error(
                value.key_location,
                f"override '{key}' does not apply to cluster '{cluster}': profile '{profile.name}' has no {having} "
                "part",
                f"remove it, or give the cluster a profile with a '{override.part}:' section",
            )
            ok = False
            continue
        result[key] = value.value
    if not ok:
        return None
    if profile.parts and all(result.get(key, True) is False for key in profile.parts):
        diagnostics.warning(
            node.key_location,
            (f"cluster '{cluster}' switches off every part of profile '{profile.name}': it deploys nothing"),
        )
    for product, part in profile.products():
        fleet_notes.setdefault(product.key, []).extend(
            product.check_cluster(part, profile.name, cluster, node, diagnostics)
        )
    return result

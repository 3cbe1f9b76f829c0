"""Render one profile of a generated chart, as `helm template` prints it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import caches
from .chart.versioning import content_hash
from .current import chart_on_disk
from .errors import UserError
from .helm import engine_identity, select_engine
from .inputs import DOCUMENT_LIMITS, InputRefused, check_yaml_events, read_input
from .names import PROFILES_DIR, values_file

if TYPE_CHECKING:
    from .helm import HelmEngine


def profile_values_files(chart_dir: Path, names: Sequence[str] = ()) -> list[tuple[str, Path]]:
    """The compiled values file of each named profile of a generated chart (default: every one)."""
    from .chart.build import compiled_profile_names

    available = compiled_profile_names(chart_dir)
    if not available:
        raise UserError(f"no compiled profiles in {chart_dir / PROFILES_DIR}: run `flowlogs generate` first")
    chosen = list(names) or available
    unknown = [n for n in chosen if n not in available]
    if unknown:
        raise UserError(f"unknown profile(s) {', '.join(unknown)}; compiled profiles: {', '.join(available)}")
    return [(name, chart_dir / values_file(name)) for name in chosen]


def render_current(
    files: Mapping[str, str],
    chart_dir: Path,
    profile: str,
    *,
    helm: str | None,
    release_name: str,
    namespace: str,
    kube_version: str,
) -> str:
    """One profile of a chart built in memory, as `helm template` prints it.

    `helm template` is a pure function of the chart, the values and its flags (it never asks a
    cluster), so the output is kept in the cache under exactly those and the engine: a
    repeated render of an unchanged profile prints it without starting Helm again.
    """
    key = {
        "chart": content_hash(files),
        "profile": profile,
        "release_name": release_name,
        "namespace": namespace,
        "kube_version": kube_version,
        "engine": engine_identity(helm),
    }
    kept = caches.load("render", key)
    if isinstance(kept, str):
        return kept
    import yaml

    engine = select_engine(helm)
    # The values come from the build, so Helm may read a chart/ whose other profiles differ.
    values = yaml.load(files[values_file(profile)], Loader=yaml.CSafeLoader) or {}
    with chart_on_disk(files, chart_dir, helm_reads_only=True) as chart:
        text = render_values(engine, chart, values, release_name, namespace, kube_version)
    caches.save("render", key, text)
    return text


def render_profile(
    engine: HelmEngine, chart_dir: Path, values_file: Path, release_name: str, namespace: str, kube_version: str
) -> str:
    """One profile's manifests, as `helm template` prints them."""
    return render_values(engine, chart_dir, load_values_file(values_file), release_name, namespace, kube_version)


def render_values(
    engine: HelmEngine, chart_dir: Path, values: dict[str, Any], release_name: str, namespace: str, kube_version: str
) -> str:
    """The chart's manifests for these values, as `helm template` prints them."""
    manifests = engine.template(
        chart_dir, values, release_name=release_name, namespace=namespace, kube_version=kube_version
    )
    return "".join(f"---\n# Source: {m.template}\n{m.text}" for m in manifests)


def load_values_file(path: Path) -> dict[str, Any]:
    """A compiled values file, read through `inputs` (a hand-edited or broken one is an error, not a crash)."""
    import yaml

    try:
        text = read_input(path, DOCUMENT_LIMITS)
        check_yaml_events(yaml.parse(text, Loader=yaml.CSafeLoader), DOCUMENT_LIMITS, str(path))
        values = yaml.safe_load(text)
    except InputRefused as refused:
        raise UserError(refused.with_hint) from None
    except yaml.YAMLError as error:
        raise UserError(f"{path} is not valid YAML ({' '.join(str(error).split())}); run `flowlogs generate`") from None
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise UserError(f"{path} must be a mapping of values, not a {type(values).__name__}; run `flowlogs generate`")
    return values

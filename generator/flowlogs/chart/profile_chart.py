"""What a packaged chart holds (`flowlogs package`), as text: the chart's own package and one
chart per profile with the profile's compiled values built in.

A chart version must name one archive only (registries, caches and Argo CD assume it never
changes), so a package holds nothing that depends on another profile (the table of profiles is in
`profiles/README.md`, which no package holds), and each profile's chart has a version of its own, kept in
`profiles/<profile>/Chart.yaml` and raised exactly when its packaged files change
(`versioning.BuiltChart`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import yaml

from ..names import PROFILES_DIR
from ..values_model import merge_values
from ..yamlio import dump_yaml
from .versioning import CONTENT_HASH_ANNOTATION

if TYPE_CHECKING:
    from ..compiler import CompiledProfile

CHART_NAME = "flowlogs"
# What `.helmignore` of the skeleton leaves out of `helm package chart/` (kept in step by a test;
# Helm packages .helmignore itself).
NOT_PACKAGED = (f"{PROFILES_DIR}/", "ci/")
PROFILE_FILES_DIR = "profile"


def packaged_files(chart_files: Mapping[str, str]) -> dict[str, str]:
    """The files of the chart that its package holds: all but profiles/ and ci/."""
    return {name: text for name, text in chart_files.items() if not name.startswith(NOT_PACKAGED)}


def profile_chart_name(profile: str) -> str:
    return f"{CHART_NAME}-{profile}"


def profile_chart_yaml_path(profile: str) -> str:
    """Where the chart keeps the Chart.yaml of a profile's packaged chart (its version)."""
    return f"{PROFILES_DIR}/{profile}/Chart.yaml"


def profile_chart_yaml(chart_yaml: str, profile: CompiledProfile, content_hash: str) -> str:
    """The Chart.yaml of a profile's chart, from the chart's: its name, description and content hash
    (the version stays what `chart_yaml` holds)."""
    description = (
        f"flowlogs profile {profile.name}: {' '.join(profile.description.split()) or ', '.join(profile.labels)}"
    )
    text = re.sub(r"^name: .*$", f"name: {profile_chart_name(profile.name)}", chart_yaml, count=1, flags=re.MULTILINE)
    quoted = yaml.safe_dump(description, width=10_000).strip().removesuffix("...").strip()
    text = re.sub(r"^description: .*$", lambda _: f"description: {quoted}", text, count=1, flags=re.MULTILINE)
    pattern = rf'^(  {re.escape(CONTENT_HASH_ANNOTATION)}: )".*"$'
    return re.sub(pattern, lambda m: f'{m[1]}"{content_hash}"', text, count=1, flags=re.MULTILINE)


def profile_chart_files(chart_files: Mapping[str, str], profile: CompiledProfile) -> dict[str, str]:
    """The chart of one profile but its Chart.yaml: its compiled values as the defaults, its README
    first, the files its products add beside its values in `profile/`."""
    files = packaged_files(chart_files)
    del files["Chart.yaml"]
    name = profile_chart_name(profile.name)
    defaults = yaml.load(files["values.yaml"], Loader=yaml.CSafeLoader) or {}
    values = merge_values(defaults, {**profile.values, "nameOverride": defaults.get("nameOverride") or CHART_NAME})
    files["values.yaml"] = (
        f"# The values of flowlogs profile {profile.name} ({profile.source}), compiled by flowlogs.\n# Every key, its "
        "type and default: README.md (`helm show readme`) and values.schema.json.\n"
    ) + dump_yaml(values)
    extras = {
        f"{PROFILE_FILES_DIR}/{extra}": text
        for path, text in chart_files.items()
        if path.startswith(f"{PROFILES_DIR}/{profile.name}/")
        and (extra := path.rsplit("/", 1)[1]) not in ("values.yaml", "Chart.yaml", "README.md")
    }
    files.update(extras)
    install = f"helm install flowlogs {name}-<version>.tgz --namespace flowlogs-system --create-namespace"
    lines = [
        f"# {name}",
        "",
        f"The flowlogs chart with profile `{profile.name}` built in "
        f"({', '.join(profile.labels) or 'no product section'}).",
        "",
        *([" ".join(profile.description.split()), ""] if profile.description else []),
        "Install it with no values file (from a repository or registry, name the chart instead of the archive):",
        "",
        "```console",
        install,
        "```",
        "",
    ]
    for extra, text in sorted(extras.items()):
        lines += [
            f"`{extra}` (in this package; `helm pull --untar` to get it):",
            "",
            "```yaml",
            text.rstrip("\n"),
            "```",
            "",
        ]
    files["README.md"] = "\n".join(lines) + "\n" + files["README.md"]
    return files


def profile_chart(chart_files: Mapping[str, str], profile: CompiledProfile) -> dict[str, str]:
    """The packaged chart of one profile, with its own versioned Chart.yaml (and that version in
    the README's install command, which its content hash leaves out)."""
    files = profile_chart_files(chart_files, profile)
    files["Chart.yaml"] = chart_files[profile_chart_yaml_path(profile.name)]
    version = str(yaml.load(files["Chart.yaml"], Loader=yaml.CSafeLoader)["version"])
    name = profile_chart_name(profile.name)
    files["README.md"] = files["README.md"].replace(f"{name}-<version>.tgz", f"{name}-{version}.tgz", 1)
    return dict(sorted(files.items()))

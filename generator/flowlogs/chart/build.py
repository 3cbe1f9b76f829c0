"""Build the Helm chart in memory: the skeleton, each product's files, the values, each profile's values.

Building the whole tree before writing anything means a failing profile writes nothing, and
`flowlogs check` compares the same in-memory tree with the committed one (`tree.py` writes
it). Files named `*.j2` are Jinja templates; every other file is copied byte for byte. The
output depends only on the profiles (sorted, no timestamps), so the same profiles give
byte-identical files.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__, caches
from ..chart_values import chart_values
from ..names import GENERATED_MARK, PROFILES_DIR, repository_source, tree_name, values_file
from ..products import package_folder
from ..registry import PRODUCTS
from ..values_model import default_values, values_schema, values_table, values_yaml
from ..yamlio import dump_yaml
from . import metadata
from .profile_chart import CHART_NAME, profile_chart_files, profile_chart_yaml, profile_chart_yaml_path
from .versioning import CONTENT_HASH_ANNOTATION, VERSION_PLACEHOLDER, BuiltChart, ChartProfile, content_hash

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    import jinja2

    from ..compiler import CompiledProfile
    from ..errors import Diagnostic

GENERATED_HEADER = GENERATED_MARK + " from {source}. Do not edit: change the profile and run `flowlogs generate`."
JINJA_SUFFIX = ".j2"


def _jinja() -> jinja2.Environment:
    import jinja2

    # Non-{{ delimiters: the templates are mostly Helm's own Go template code, kept readable.
    return jinja2.Environment(
        block_start_string="[%",
        block_end_string="%]",
        variable_start_string="[[",
        variable_end_string="]]",
        comment_start_string="[#",
        comment_end_string="#]",
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


def _shipped_files(root: Traversable, prefix: str = "") -> dict[str, Traversable]:
    """The files of a chart folder by relative path; Python's caches (`__pycache__`, `*.pyc`) are not chart files."""
    found: dict[str, Traversable] = {}
    for child in root.iterdir():
        name = f"{prefix}{child.name}"
        if child.name == "__pycache__" or child.name.endswith(".pyc"):
            continue
        if child.is_dir():
            found.update(_shipped_files(child, name + "/"))
        else:
            found[name] = child
    return found


def _with_header(header: str, body: str) -> str:
    return "".join(f"# {line}\n" for line in header.splitlines()) + body


def profile_files(profile: CompiledProfile, chart_dir: Path) -> dict[str, str]:
    """The compiled values file of one profile, and the files its products add beside it."""
    header = GENERATED_HEADER.format(source=profile.source)
    chart = tree_name(chart_dir)
    files = {
        values_file(profile.name): _with_header(
            f"{header}\nInstall: helm install flowlogs ./{chart} -f {chart}/{values_file(profile.name)}",
            dump_yaml(profile.values),
        )
    }
    for product, part in profile.products():
        for extra in product.profile_files(part):
            path = f"{PROFILES_DIR}/{profile.name}/{extra.name}"
            files[path] = _with_header(
                f"{header}\n{extra.header.format(path=f'{chart}/{path}')}", dump_yaml(extra.data)
            )
    return files


def build_chart(
    profiles: list[CompiledProfile], values_dir: Path, chart_dir: Path, diagnostics: Sequence[Diagnostic] = ()
) -> BuiltChart:
    """The chart of these profiles (of `values_dir`) and their diagnostics, its versions not yet
    decided (`BuiltChart.versioned` decides them)."""
    held = [ChartProfile(p.name, p.source) for p in profiles]
    base_files, base_digest = chart_base(tree_name(chart_dir))
    # Generated files name a profile's source as the repository does, wherever flowlogs runs.
    profiles = sorted(
        (dataclasses.replace(p, source=repository_source(values_dir, p.source)) for p in profiles), key=lambda p: p.name
    )
    files = dict(base_files)
    files[f"{PROFILES_DIR}/README.md"] = _profiles_readme(profiles, chart_dir)
    for profile in profiles:
        files.update(profile_files(profile, chart_dir))
        # chart-testing (`ct lint`/`ct install`) installs the chart once per ci/*-values.yaml; like
        # profiles/, not part of the version.
        files[f"ci/{profile.name}-values.yaml"] = files[values_file(profile.name)]
    # Each profile's packaged chart (`flowlogs package`) has a version of its own, which follows
    # exactly what that package holds: another profile's change leaves its bytes and version alone.
    digests = {"Chart.yaml": base_digest}
    for profile in profiles:
        packaged = profile_chart_files(files, profile)
        path = profile_chart_yaml_path(profile.name)
        digests[path] = content_hash({**packaged, "Chart.yaml": profile_chart_yaml(files["Chart.yaml"], profile, "")})
        files[path] = profile_chart_yaml(files["Chart.yaml"], profile, digests[path])
    return BuiltChart(dict(sorted(files.items())), digests, held, list(diagnostics))


def _profiles_readme(profiles: list[CompiledProfile], chart_dir: Path) -> str:
    """The table of the profiles compiled into the chart (outside what the chart packages, so a
    chart version never depends on which profiles exist)."""
    chart = tree_name(chart_dir)
    rows = "".join(
        f"| `{p.name}` | `{p.source}` | {', '.join(p.labels)} | {p.description.replace(chr(10), ' ')} |\n"
        for p in profiles
    )
    return (
        "# Profiles\n\n"
        "> Generated by flowlogs. Do not edit: change a profile in `values/` and run `flowlogs generate`.\n\n"
        f"Each profile is compiled to `{chart}/profiles/<profile>/values.yaml`; install one with\n"
        f"`helm install flowlogs ./{chart} -f {chart}/profiles/<profile>/values.yaml`, or package it on its own\n"
        "(`flowlogs package`: `flowlogs-<profile>-<version>.tgz`, whose version is in `<profile>/Chart.yaml`).\n\n"
        "| Profile | Source | Parts | Description |\n"
        "|---------|--------|-------|-------------|\n" + rows
    )


def chart_base(chart_dir_name: str) -> tuple[dict[str, str], str]:
    """The chart files that depend on flowlogs alone, not on the profiles (the values, their schema,
    the templates, Chart.yaml unversioned, README.md), and their content_hash but Chart.yaml's (the
    chart version follows it). Made for a chart directory named `chart_dir_name` (README.md names
    it) once per installation of flowlogs and kept in the cache: a build then needs no Jinja
    (neither its import nor rendering the templates)."""
    kept = caches.load("chart-base", chart_dir_name)
    if isinstance(kept, list) and len(kept) == 2 and isinstance(kept[0], dict) and isinstance(kept[1], str):
        if all(isinstance(text, str) for text in kept[0].values()):
            return kept[0], kept[1]
    files, digest = _make_chart_base(chart_dir_name)
    caches.save("chart-base", chart_dir_name, [files, digest])
    return files, digest


def _make_chart_base(chart_dir_name: str) -> tuple[dict[str, str], str]:
    values, sections = chart_values()
    env = _jinja()
    titles = sorted(product.title for product in PRODUCTS)

    def block(data: Any) -> str:
        return dump_yaml(data).rstrip("\n")

    context: dict[str, Any] = {
        "chart_name": CHART_NAME,
        "chart_dir": chart_dir_name,
        "values_rows": values_table(values),
        "product_titles": titles,
        "products_in_prose": " and ".join(p.title_in_prose for p in sorted(PRODUCTS, key=lambda p: p.title)),
        "keywords": ["flow-logs", *(keyword for product in PRODUCTS for keyword in product.keywords), "observability"],
        "product_keys": [product.key for product in PRODUCTS],
        # Chart.yaml's metadata, from the one table in metadata.py.
        "description": f"Network flow logs for Kubernetes, compiled from flowlogs profiles ({', '.join(titles)})",
        "app_version": __version__,
        "home": metadata.HOME,
        "icon": metadata.ICON,
        "sources": metadata.SOURCES,
        "maintainers": metadata.MAINTAINERS,
        "license": metadata.LICENSE_SPDX,
        "changes": block(metadata.CHANGES),
        "images": block(metadata.images(default_values(values))),
        "links": block(metadata.LINKS),
    }
    for fragment in ("NOTES.txt", "README.md"):
        context[f"{fragment.split('.')[0].lower()}_fragments"] = [
            env.from_string(source.read_text(encoding="utf-8")).render(context)
            for product in PRODUCTS
            if (source := product.fragments() / fragment).is_file()
        ]
    files: dict[str, str] = {}
    files["values.yaml"] = values_yaml(
        values,
        sections,
        "Default values for flowlogs. Generated by flowlogs: do not edit.\nEach profile's compiled values live in "
        "profiles/<profile>/values.yaml.",
    )
    files["values.schema.json"] = json.dumps(values_schema(values, sections), indent=2, sort_keys=False) + "\n"
    sources = _shipped_files(package_folder(__package__, "skeleton"))
    for product in PRODUCTS:
        sources.update(_shipped_files(product.chart_files()))
    chart_yaml = sources.pop("Chart.yaml" + JINJA_SUFFIX)
    for name, source in sources.items():
        text = source.read_text(encoding="utf-8")
        files[name.removesuffix(JINJA_SUFFIX)] = (
            env.from_string(text).render(context) if name.endswith(JINJA_SUFFIX) else text
        )
    # The version (in every resource's labels) follows what is the same for every profile: editing
    # one profile must not relabel the resources of the others, and any change to the chart's own
    # package raises it.
    digest = content_hash(files)
    files["Chart.yaml"] = env.from_string(chart_yaml.read_text(encoding="utf-8")).render(
        {**context, "version": VERSION_PLACEHOLDER, "content_hash": digest, "hash_annotation": CONTENT_HASH_ANNOTATION}
    )
    return files, digest


def compiled_profile_names(chart_dir: Path) -> list[str]:
    """The profiles a generated chart holds (those with a compiled values file), sorted."""
    root = chart_dir / PROFILES_DIR
    return sorted(p.name for p in root.iterdir() if (p / "values.yaml").is_file()) if root.is_dir() else []

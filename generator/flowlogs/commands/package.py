"""`flowlogs package`: the chart and one chart per profile as .tgz archives, with index.yaml."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..arguments import directory
from . import EXIT_OK


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "profiles",
        nargs="*",
        help="profile names or paths to package (default: every profile of the profile directory)",
    )
    parser.add_argument(
        "--output-dir",
        metavar="DIR",
        type=directory,
        default=Path("dist"),
        help="where the archives and index.yaml go (default: dist)",
    )
    parser.add_argument(
        "--url",
        metavar="URL",
        help="the repository's base URL for index.yaml (default: archive names relative to index.yaml)",
    )


def run(args: argparse.Namespace) -> int:
    from ..chart.package import package
    from ..current import compile_chart, selected_paths

    paths = selected_paths(args.values_dir, args.profiles)
    profiles, chart = compile_chart(args.values_dir, args.chart_dir, paths)
    archives, index = package(chart.versioned(args.chart_dir), profiles, args.output_dir, args.url or "")
    for archive in archives:
        print(f"  {archive.path}  sha256:{archive.digest}")
    print(f"packaged {len(archives)} chart(s) into {args.output_dir}/ with {index.name}")
    print(f"push to an OCI registry: helm push {archives[-1].path} oci://<registry>/<repository>")
    return EXIT_OK

"""`flowlogs generate`: every profile compiled, the chart and the Argo CD manifests written."""

from __future__ import annotations

import argparse
import sys

from ..arguments import add_output_format
from ..names import tree_name
from . import EXIT_OK, add_gitops_settings, print_diagnostics, print_json, settings


def configure(parser: argparse.ArgumentParser) -> None:
    add_gitops_settings(parser)
    add_output_format(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print the notes of every profile, not only of those that changed"
    )


def run(args: argparse.Namespace) -> int:
    from ..generate import default_gitops_dir, generate
    from ..gitops.changes import describe, read_texts, value_changes
    from ..gitops.progress import ProgressBar
    from ..outputs import diagnostics_to_show, generate_json

    quiet = args.quiet or args.output == "json"
    before = {} if quiet else read_texts(args.gitops_dir or default_gitops_dir(args.chart_dir))
    with ProgressBar(None) if quiet else ProgressBar.for_stream(sys.stderr) as progress:
        built, report = generate(
            args.values_dir, args.chart_dir, args.gitops_dir, settings=settings(args), progress=progress
        )
    if args.output == "json":
        print_json(generate_json(built, report))
        return EXIT_OK
    if args.quiet:
        return EXIT_OK
    print_diagnostics(diagnostics_to_show(built, report, tree_name(args.chart_dir), args.verbose))
    for line in describe(value_changes(before, built.gitops_files), tree_name(built.gitops_dir)):
        print(line)
    for profile in built.profiles:
        parts = [product.summary(part) for product, part in profile.products()]
        print(f"  {profile.name:<24} {'; '.join(parts) or 'empty'}")
    clusters = len(built.fleet.clusters)
    if clusters:
        print(f"  {'fleet':<24} {clusters} cluster(s) -> {built.gitops_dir}/applicationset.yaml")
    print(
        f"generated {args.chart_dir}/ and {built.gitops_dir}/ from {len(built.profiles)} profile(s)"
        f"{f' and {clusters} cluster(s)' if clusters else ''}: "
        f"{len(report.written)} written, {len(report.removed)} removed, {len(report.unchanged)} unchanged"
    )
    return EXIT_OK

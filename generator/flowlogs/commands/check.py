"""`flowlogs check`: exit 1 with a diff when the committed chart or Argo CD manifests are stale."""

from __future__ import annotations

import argparse
import sys

from ..arguments import add_output_format
from . import EXIT_FAILED, EXIT_OK, add_gitops_settings, print_diagnostics, print_json, settings


def configure(parser: argparse.ArgumentParser) -> None:
    add_gitops_settings(parser)
    add_output_format(parser)


def run(args: argparse.Namespace) -> int:
    from ..generate import check, interrupted
    from ..outputs import check_json, skipped_checks

    built, diff = check(args.values_dir, args.chart_dir, args.gitops_dir, settings=settings(args))
    if args.output == "json":
        print_json(check_json(built, diff))
        return EXIT_FAILED if diff else EXIT_OK
    print_diagnostics(skipped_checks(built.diagnostics))
    if diff:
        sys.stdout.write(diff)
        if note := interrupted(args.chart_dir):
            print(f"flowlogs: {note}", file=sys.stderr)
        print(
            f"{args.chart_dir}/ or {built.gitops_dir}/ is stale: it differs from what `flowlogs generate` makes from "
            f"{args.values_dir}/ (diff above). Run `flowlogs generate` and commit the result.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    clusters = len(built.fleet.clusters)
    print(f"{args.chart_dir}/ is up to date with {len(built.profiles)} profile(s) in {args.values_dir}/")
    print(
        f"{built.gitops_dir}/ is up to date ({len(built.profiles)} Application(s), {clusters} cluster(s) in the fleet)"
    )
    return EXIT_OK

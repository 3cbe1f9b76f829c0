"""`flowlogs diff`: per profile, how the rendered manifests would change after `flowlogs generate`."""

from __future__ import annotations

import argparse
import sys

from ..arguments import add_output_format
from . import EXIT_FAILED, EXIT_OK, add_kubernetes_version, print_json


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profiles", nargs="*", help="profiles to compare (default: all)")
    parser.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when a profile's manifests would change (chart version labels aside)",
    )
    add_kubernetes_version(parser, "Helm's Capabilities")
    parser.add_argument(
        "--release-name", metavar="NAME", help="Helm release name (default: gitops.release-name, flowlogs)"
    )
    parser.add_argument(
        "--namespace",
        metavar="NAMESPACE",
        help="release namespace (default: gitops.destination.namespace, flowlogs-system)",
    )
    add_output_format(parser)


def run(args: argparse.Namespace) -> int:
    from ..diff import DIFF_ALTERNATIVE, DiffStatus, rendered_diff
    from ..helm import require_engine

    require_engine(alternative=DIFF_ALTERNATIVE)

    warnings: list[str] = []
    results = rendered_diff(
        args.values_dir,
        args.chart_dir,
        args.profiles,
        gitops_dir=args.gitops_dir,
        release_name=args.release_name,
        namespace=args.namespace,
        kube_version=args.kubernetes_version,
        warnings=warnings,
    )
    changed = sum(result.changes_manifests for result in results)
    if args.output == "json":
        from ..outputs import diff_json

        print_json(diff_json(results, warnings))
        return EXIT_FAILED if args.exit_code and changed else EXIT_OK
    for warning in warnings:
        print(f"flowlogs: warning: {warning}", file=sys.stderr)
    for result in results:
        if result.status is DiffStatus.UNCHANGED:
            print(f"== {result.profile}: no change in the rendered manifests")
        elif result.status is DiffStatus.VERSION_ONLY:
            print(
                f"== {result.profile}: only the chart version labels change ({result.old_version} -> "
                f"{result.new_version})"
            )
        else:
            print(f"== {result.profile}: {result.status.value}")
            sys.stdout.write(result.diff)
    print(f"{changed} of {len(results)} profile(s) would render differently after `flowlogs generate`")
    return EXIT_FAILED if args.exit_code and changed else EXIT_OK

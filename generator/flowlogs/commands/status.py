"""`flowlogs status [PROFILE]`: whether what a profile compiles to is in effect in a cluster."""

from __future__ import annotations

import argparse
import sys

from ..arguments import add_output_format
from . import EXIT_FAILED, EXIT_OK, add_cluster, add_rendering, check_helm, print_json, rendering


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "profile",
        nargs="?",
        help="the profile the cluster deploys, by name or path (default: the only profile of the profile directory)",
    )
    add_output_format(parser)
    add_cluster(parser)
    add_rendering(parser)


def run(args: argparse.Namespace) -> int:
    from ..kubectl import Kubectl
    from ..status import profile_status, status_json, status_text

    check_helm(args)
    kubectl = Kubectl.usable(args.kubectl, args.kubeconfig, args.context)
    report = profile_status(args.profile, args.values_dir, args.chart_dir, kubectl, **rendering(args))
    if args.output == "json":
        print_json(status_json(report))
    else:
        sys.stdout.write(status_text(report))
    return EXIT_OK if report.in_effect else EXIT_FAILED

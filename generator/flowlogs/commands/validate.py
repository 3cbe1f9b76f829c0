"""`flowlogs validate`: render profiles with Helm and validate every manifest strictly."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..arguments import add_output_format
from ..errors import UserError
from ..extras import require
from ..names import values_file
from . import add_cluster, add_rendering, check_helm, print_warnings

if TYPE_CHECKING:
    from ..validate import ProfileTarget


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "profiles",
        nargs="*",
        help="profile names or paths, compiled now, in memory (default: every profile of the profile directory)",
    )
    parser.add_argument(
        "--schema-location",
        action="append",
        metavar="LOCATION",
        help=(
            "'default', a directory, a kubeconform path template, or CRD YAML files/directories; repeatable, searched "
            "in order"
        ),
    )
    parser.add_argument(
        "--ignore-missing-schemas",
        action="store_true",
        help="skip resources whose kind has no schema instead of failing",
    )
    add_output_format(parser, ("text", "json", "junit", "tap"), "report format")
    parser.add_argument(
        "--kubeconform",
        metavar="PATH",
        help="also run this kubeconform binary and compare (default: kubeconform on PATH)",
    )
    parser.add_argument(
        "--documents",
        action="append",
        metavar="FILE",
        help="also validate the documents of this YAML file (e.g. gitops/*.yaml)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="text output: also list valid resources and passed checks"
    )
    parser.add_argument(
        "--from-chart",
        action="store_true",
        help=(
            "validate the chart directory as it is on disk (its compiled profiles/), not the profiles compiled now: "
            "for a chart generated elsewhere or edited by hand"
        ),
    )
    parser.add_argument(
        "--fleet",
        action="store_true",
        help=(
            "validate what every cluster of the fleet file deploys (its profile with its overrides, as Argo CD renders "
            "it); clusters that deploy the same values render once"
        ),
    )
    parser.add_argument(
        "--embedded-only", action="store_true", help="do not look for helm/kubeconform binaries on PATH"
    )
    parser.add_argument(
        "--cluster",
        action="store_true",
        help=(
            "after the offline checks, server-side apply every manifest as a dry run on the cluster of the kubeconfig "
            "(the API server's own messages)"
        ),
    )
    parser.add_argument(
        "--field-manager",
        metavar="NAME",
        default="flowlogs",
        help=(
            "--cluster: the field manager of the dry run (default: flowlogs; helm for Helm 4 releases, "
            "argocd-controller for Argo CD)"
        ),
    )
    parser.add_argument(
        "--force-conflicts",
        action="store_true",
        help="--cluster: take fields other managers own, as Argo CD does (default: a conflict is refused)",
    )
    add_cluster(parser)
    add_rendering(parser)


def run(args: argparse.Namespace) -> int:
    require("render")  # validation renders with the embedded engine, whatever binary it compares with
    from ..current import chart_on_disk, current_chart
    from ..validate import ProfileTarget

    check_helm(args)  # a binary that cannot run here is a usage error, not a validation finding
    args.cluster_options = _cluster_options(args)
    if args.fleet:
        from ..fleet_validation import fleet_releases

        if args.profiles or args.from_chart:
            raise UserError(
                "--fleet validates what the fleet file's clusters deploy: give no profiles and no --from-chart"
            )
        with fleet_releases(args.values_dir, args.chart_dir, args.gitops_dir) as fleet:
            if args.output == "text":
                print_warnings(fleet.diagnostics)
            return _run_validate(args, fleet.chart, fleet.targets)
    if args.from_chart:
        from ..rendering import profile_values_files

        targets = tuple(ProfileTarget(name, path) for name, path in profile_values_files(args.chart_dir, args.profiles))
        return _run_validate(args, args.chart_dir, targets)
    # The profiles as they are now, compiled in memory (as `generate` would), never a stale chart/.
    current = current_chart(args.values_dir, args.chart_dir, args.profiles)
    if args.output == "text":
        print_warnings(current.diagnostics)
    with chart_on_disk(current.versioned(args.chart_dir), args.chart_dir) as chart:
        return _run_validate(
            args, chart, tuple(ProfileTarget(p.name, chart / values_file(p.name), p.source) for p in current.profiles)
        )


def _run_validate(args: argparse.Namespace, chart: Path, targets: tuple[ProfileTarget, ...]) -> int:
    from ..validate import ValidateOptions, run_validate

    options = ValidateOptions(
        chart_dir=chart,
        targets=targets,
        kubernetes_version=args.kubernetes_version,
        schema_locations=tuple(args.schema_location or ()),
        ignore_missing_schemas=args.ignore_missing_schemas,
        output=args.output,
        helm_binary=args.helm,
        kubeconform_binary=args.kubeconform,
        auto_binaries=not args.embedded_only,
        release_name=args.release_name,
        namespace=args.namespace,
        extra_documents=tuple(("documents", Path(p)) for p in args.documents or ()),
        verbose=args.verbose,
        cluster=args.cluster_options,
    )
    return run_validate(options, sys.stdout)


def _cluster_options(args: argparse.Namespace) -> Any:
    """validate --cluster: the kubectl to ask, checked before anything is rendered; None without --cluster."""
    if not args.cluster:
        if args.kubeconfig or args.context or args.kubectl:
            raise UserError("--kubeconfig, --context and --kubectl choose the cluster of --cluster: add --cluster")
        return None
    from ..kubectl import Kubectl
    from ..validate.cluster import ClusterOptions

    return ClusterOptions(
        Kubectl.usable(args.kubectl, args.kubeconfig, args.context), args.field_manager, args.force_conflicts
    )

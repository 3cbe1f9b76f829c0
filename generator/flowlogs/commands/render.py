"""`flowlogs render PROFILE`: one profile's manifests, as `helm template` prints them."""

from __future__ import annotations

import argparse
import sys

from . import EXIT_OK, add_rendering, check_helm, print_warnings, rendering


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="profile name (in the profile directory) or path; compiled now, in memory")
    add_rendering(parser)


def run(args: argparse.Namespace) -> int:
    from ..current import current_chart
    from ..rendering import render_current

    check_helm(args)
    # The profile as it is now, compiled in memory (as `generate` would), never a stale chart/.
    current = current_chart(args.values_dir, args.chart_dir, [args.profile])
    print_warnings(current.diagnostics)
    (profile,) = current.profiles
    sys.stdout.write(render_current(current.versioned(args.chart_dir), args.chart_dir, profile.name, **rendering(args)))
    return EXIT_OK

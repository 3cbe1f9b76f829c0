"""`flowlogs explain PROFILE`: what a profile exports, in English."""

from __future__ import annotations

import argparse
import sys

from . import EXIT_OK


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="profile name (in the profile directory) or path")


def run(args: argparse.Namespace) -> int:
    from ..explain import explain

    sys.stdout.write(explain(args.profile, args.values_dir))
    return EXIT_OK

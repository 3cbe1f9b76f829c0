"""`flowlogs explain PROFILE`: what a profile exports, in English."""

from __future__ import annotations

import argparse
import sys

from ..errors import Diagnostic
from . import EXIT_OK, print_warnings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("profile", help="profile name (in the profile directory) or path")


def run(args: argparse.Namespace) -> int:
    from ..explain import explain

    warnings: list[Diagnostic] = []
    text = explain(args.profile, args.values_dir, warnings)
    print_warnings(warnings)
    sys.stdout.write(text)
    return EXIT_OK

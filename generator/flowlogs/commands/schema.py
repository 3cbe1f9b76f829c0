"""`flowlogs schema [--fleet]`: the JSON Schema of profile files (or of the fleet file)."""

from __future__ import annotations

import argparse

from . import EXIT_OK, print_json


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fleet", action="store_true", help="print the schema of the fleet file (values/fleet.yaml) instead"
    )


def run(args: argparse.Namespace) -> int:
    if args.fleet:
        from ..gitops.schema import fleet_schema as schema
    else:
        from ..profile_schema import profile_schema as schema
    print_json(schema())
    return EXIT_OK

"""`flowlogs import FILE`: a profile in plain words from an existing configuration."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..arguments import DeprecatedAlias
from ..errors import UserError
from . import EXIT_OK, add_product_versions, product_versions


class _VersionPair(DeprecatedAlias):
    """The old `--version PRODUCT=VERSION` (repeatable), kept as given: `run` reads it as it always did."""

    def store(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, value: Any) -> str:
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest, None) or ()), value])
        key, sep, version = str(value).partition("=")
        return f"--{key} {version}" if sep and key and version else "--PRODUCT VERSION (e.g. --cilium 1.18)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the configuration file (YAML; several documents allowed)")
    parser.add_argument("--output-file", metavar="FILE", help="write the profile here (default: print it)")
    parser.add_argument(
        "-o",
        "--output",
        dest="output_file",
        metavar="FILE",
        action=DeprecatedAlias,
        instead="--output-file",
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--force", action="store_true", help="replace an existing --output-file")
    add_product_versions(parser, "the {name} version to import for ({versions}; default: the newest)")
    parser.add_argument(
        "--version", dest="version_pairs", action=_VersionPair, instead="--PRODUCT VERSION", help=argparse.SUPPRESS
    )


def run(args: argparse.Namespace) -> int:
    from ..importer import import_profile, write_profile

    versions = {}
    for item in args.version_pairs or ():
        key, sep, version = item.partition("=")
        if not sep or not key or not version:
            raise UserError(f"--version {item!r}: write PRODUCT=VERSION, e.g. cilium=1.18")
        versions[key] = version
    versions.update(product_versions(args))
    text = import_profile(
        Path(args.file), versions, Path(args.output_file).parent if args.output_file else args.values_dir
    )
    if args.output_file:
        write_profile(text, Path(args.output_file), args.force)
        print(f"wrote {args.output_file}: run `flowlogs explain {args.output_file}` to read it back", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK

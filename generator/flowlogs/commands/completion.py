"""`flowlogs completion bash|zsh|fish`: a shell completion script, written from the argument parser."""

from __future__ import annotations

import argparse
import sys

from ..completion import SHELLS, completion_script
from . import EXIT_OK, build_parser


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(completion_script(args.shell, build_parser()))
    return EXIT_OK

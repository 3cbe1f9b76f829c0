"""Building blocks of the command's arguments that mean the same in every command (products' too)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def directory(text: str) -> Path:
    """A directory option: a directory, or a name not yet taken (`--chart-dir /dev/null` is neither)."""
    path = Path(text)
    if os.path.lexists(path) and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is not a directory")
    return path


def add_output_format(
    parser: argparse.ArgumentParser, formats: Sequence[str] = ("text", "json"), what: str = "output format"
) -> None:
    """`-o/--output FORMAT`: in every command, `-o` is the format of what is printed (a file is `--output-file`)."""
    parser.add_argument(
        "-o", "--output", choices=tuple(formats), default=formats[0], help=f"{what} (default: {formats[0]})"
    )


class DeprecatedAlias(argparse.Action):
    """An old spelling of an option: still taken, with a warning on stderr that names the new one.

    `instead` is the option to write now; `store` (overridable) puts the value where the new option does."""

    def __init__(self, option_strings: Sequence[str], dest: str, instead: str, **kwargs: Any) -> None:
        self.instead = instead
        super().__init__(option_strings, dest, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        new = self.store(parser, namespace, values)
        print(f"flowlogs: warning: {option_string} is deprecated: write {new}", file=sys.stderr)

    def store(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, value: Any) -> str:
        """Store `value` as the new option would; return the new spelling of what was given."""
        setattr(namespace, self.dest, value)
        return f"{self.instead} {value}"

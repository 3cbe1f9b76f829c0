"""The table of commands in docs/cli.md, written from the command's own parser (so it lists every
command, products' too, with the options each takes).

    .venv/bin/python tests/tools/cli_reference.py docs/cli.md     # rewrite the table in place
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flowlogs.commands import build_parser
from flowlogs.completion import subparsers

BEGIN, END = "<!-- commands-table -->\n", "<!-- /commands-table -->"
# Every command takes them; docs/cli.md says so above the table.
_COMMON = {"-h", "--values-dir", "--chart-dir", "--gitops-dir"}


def _value(action: argparse.Action) -> str:
    if isinstance(action.metavar, str):
        return action.metavar
    if action.choices:
        return "\\|".join(str(choice) for choice in action.choices)
    return action.dest.upper()


def _positional(action: argparse.Action) -> str:
    name = _value(action)
    return {"?": f"[{name}]", "*": f"[{name}...]", "+": f"{name}..."}.get(str(action.nargs), name)


def _option(action: argparse.Action) -> str:
    value = "" if action.nargs == 0 else f" {_value(action)}"
    return f"`{'/'.join(action.option_strings)}{value}`"


def commands_table(parser: argparse.ArgumentParser) -> str:
    rows = ["| command | what | options |", "|---|---|---|"]
    for name, sub in subparsers(parser).items():
        shown = [a for a in sub._actions if a.help is not argparse.SUPPRESS]
        usage = " ".join([name, *(_positional(a) for a in shown if not a.option_strings)])
        options = ", ".join(_option(a) for a in shown if a.option_strings and not set(a.option_strings) & _COMMON)
        rows.append(f"| `{usage}` | {sub.description} | {options} |")
    return "\n".join(rows) + "\n"


def rewrite(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    path.write_text(before + BEGIN + commands_table(build_parser()) + END + after, encoding="utf-8")


if __name__ == "__main__":
    rewrite(Path(sys.argv[1]))

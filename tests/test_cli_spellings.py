"""One spelling per idea (issue 23): a product's version is `--<product> VERSION` in every command,
`-o` is always the output format (a file is `--output-file`), and the old spellings keep working
with a warning that names the new one. The command table (issue 25): `flowlogs --help` imports no
command's module, a command imports its own only."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from conftest import ROOT
from flowlogs.arguments import DeprecatedAlias
from flowlogs.cli import build_parser
from flowlogs.commands import CORE_COMMANDS, command_table
from flowlogs.completion import subparsers
from flowlogs.registry import PRODUCTS

SEED_CONFIGMAP = ROOT / "tests" / "data" / "preview" / "seed-configmap.yaml"
FLOWS = ROOT / "tests" / "data" / "preview" / "flows.jsonl"


def _visible_options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and a.help is not argparse.SUPPRESS]


def test_o_is_the_output_format_in_every_command_and_never_a_file():
    formats = {}
    for name, sub in subparsers(build_parser()).items():
        for action in sub._actions:
            if "-o" in action.option_strings and not isinstance(action, DeprecatedAlias):
                formats[name] = tuple(action.choices or ())
    assert formats == {
        "generate": ("text", "json"),
        "check": ("text", "json"),
        "diff": ("text", "json"),
        "validate": ("text", "json", "junit", "tap"),
        "status": ("text", "json"),
        "preview": ("text", "json"),
    }


def test_a_product_version_is_spelled_as_the_product_in_every_command():
    """The visible options that take a product's version are `--cilium`/`--calico`, with the product's versions as
    choices."""
    found = {}
    for name, sub in subparsers(build_parser()).items():
        for action in _visible_options(sub):
            for product in PRODUCTS:
                if any(option.startswith(f"--{product.key}") for option in action.option_strings):
                    assert action.option_strings == [f"--{product.key}"] and action.metavar == "VERSION", (
                        name,
                        action.option_strings,
                    )
                    assert set(action.choices or ()) <= set(product.versions), (name, action.choices)
                    found.setdefault(name, []).append(product.key)
    assert found == {"import": ["cilium", "calico"], "preview": ["cilium"], "init": ["cilium", "calico"]}


def test_import_takes_the_version_and_the_output_file_in_the_new_spelling_and_the_old_one(run_cli, tmp_path):
    new = run_cli("import", str(SEED_CONFIGMAP), "--cilium", "1.17", "--output-file", str(tmp_path / "new.yaml"))
    assert (new.code, new.out) == (0, "")
    assert new.err == f"wrote {tmp_path / 'new.yaml'}: run `flowlogs explain {tmp_path / 'new.yaml'}` to read it back\n"
    old = run_cli("import", str(SEED_CONFIGMAP), "--version", "cilium=1.17", "-o", str(tmp_path / "old.yaml"))
    assert old.code == 0
    assert old.err.splitlines() == [
        "flowlogs: warning: --version is deprecated: write --cilium 1.17",
        f"flowlogs: warning: -o is deprecated: write --output-file {tmp_path / 'old.yaml'}",
        f"wrote {tmp_path / 'old.yaml'}: run `flowlogs explain {tmp_path / 'old.yaml'}` to read it back",
    ]
    text = (tmp_path / "new.yaml").read_text(encoding="utf-8")
    assert "version: '1.17'" in text and (tmp_path / "old.yaml").read_text(encoding="utf-8") == text


def test_preview_takes_the_cilium_version_as_cilium_and_the_old_spelling_with_a_warning(run_cli):
    args = ["preview", "--config", str(SEED_CONFIGMAP), "--flows", str(FLOWS), "-o", "json"]
    new = run_cli(*args, "--cilium", "1.17")
    assert (new.code, new.err) == (0, "")
    assert json.loads(new.out)["ciliumVersion"] == "1.17"
    old = run_cli(*args, "--cilium-version", "1.17")
    assert (old.code, old.out) == (0, new.out)
    assert old.err == "flowlogs: warning: --cilium-version is deprecated: write --cilium 1.17\n"
    profile = run_cli(
        "preview", "cilium-exporter", "--flows", str(FLOWS), "--cilium", "1.17", "--values-dir", str(ROOT / "values")
    )
    assert (
        profile.code == 1
        and profile.err == "flowlogs: error: --cilium goes with --config; a profile states its own version\n"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["import", str(SEED_CONFIGMAP)],
        ["preview", "--config", str(SEED_CONFIGMAP), "--flows", str(FLOWS)],
        ["init", "x", "--print"],
    ],
)
def test_an_unsupported_version_is_a_usage_error_naming_the_supported_ones(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser(lazy=True).parse_args([*command, "--cilium", "1.12"])
    assert exit_.value.code == 2
    # Python 3.12.8 stopped quoting the choices in argparse's message.
    assert (
        capsys.readouterr().err.splitlines()[-1].replace("'", "")
        == f"flowlogs {command[0]}: error: argument --cilium: invalid choice: 1.12 (choose from 1.16, 1.17, 1.18, 1.19)"
    )


def test_the_old_version_pair_is_checked_as_before(run_cli):
    result = run_cli("import", str(SEED_CONFIGMAP), "--version", "cilium")
    assert result.code == 1
    assert result.err.splitlines() == [
        "flowlogs: warning: --version is deprecated: write --PRODUCT VERSION (e.g. --cilium 1.18)",
        "flowlogs: error: --version 'cilium': write PRODUCT=VERSION, e.g. cilium=1.18",
    ]


def _loaded(*argv: str) -> list[str]:
    """The flowlogs.commands.* and product command modules a fresh interpreter has imported after `flowlogs argv`."""
    program = (
        "import sys\nfrom flowlogs.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('flowlogs.commands.') or m.endswith('.command') or "
        "'.preview.' in m), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, *argv], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(result.stderr.splitlines()[-1].replace("'", '"'))


def test_help_imports_no_command_module_and_a_command_only_its_own():
    assert _loaded("--help") == []
    assert _loaded("--version") == []
    assert _loaded("generate", "--help") == ["flowlogs.commands.generate"]
    assert _loaded("preview", "--help") == ["flowlogs.cilium.preview.command"]


def test_the_table_lists_every_command_once_with_an_importable_module():
    table = command_table()
    assert list(table) == [
        *(c.name for c in CORE_COMMANDS[:8]),
        *(c.name for p in PRODUCTS for c in p.commands()),
        *(c.name for c in CORE_COMMANDS[8:]),
    ]
    for command in table.values():
        module = __import__(command.module, fromlist=["configure", "run"])
        assert callable(module.configure) and callable(module.run), command.name


def test_top_level_options_are_read_by_argparse_itself_abbreviated_or_not(run_cli, tmp_path):
    """No pre-scan: an abbreviated top-level option before the command is argparse's to read."""
    (tmp_path / "team").mkdir()
    result = run_cli("--values", str(tmp_path / "team"), "explain", "nope")
    assert result.code == 1 and f"no profile 'nope': not a file, and not in {tmp_path / 'team'}" in result.err


def test_docs_cli_lists_every_command_as_the_parser_has_it():
    from tools.cli_reference import BEGIN, END, commands_table

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert shown == commands_table(build_parser()), (
        "docs/cli.md is stale: run .venv/bin/python tests/tools/cli_reference.py docs/cli.md"
    )
    assert [line.split("`")[1].split()[0] for line in shown.splitlines()[2:]] == list(command_table())

"""Garbage into every command: a message and exit 1 (or 2 for bad arguments), never a traceback
and never the internal-error exit 70 (issue 13)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import VALUES, CliResult
from flowlogs.cli import build_parser

GARBAGE = b"\x00\xff\xfe{{ .Values }}: [\n\t- &a *a\n" + bytes(range(256))


@pytest.fixture
def garbage_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """values/ with a garbage profile and fleet file beside good ones; chart/ with garbage files."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(VALUES, tmp_path / "values")
    (tmp_path / "values" / "junk.yaml").write_bytes(GARBAGE)
    (tmp_path / "values" / "fleet.yaml").write_bytes(GARBAGE)
    (tmp_path / "chart" / "profiles" / "junk").mkdir(parents=True)
    (tmp_path / "chart" / "Chart.yaml").write_bytes(GARBAGE)
    (tmp_path / "chart" / "profiles" / "junk" / "values.yaml").write_bytes(GARBAGE)
    (tmp_path / "garbage.yaml").write_bytes(GARBAGE)
    os.mkfifo(tmp_path / "fifo.yaml")
    return tmp_path


def run(run_cli: Callable[..., CliResult], *args: str) -> CliResult:
    try:
        return run_cli(*args)
    except SystemExit as exit_:  # argparse refuses the arguments themselves
        return CliResult(int(exit_.code or 0), "", "")


def commands() -> list[str]:
    parser = build_parser()
    subparsers = next(action for action in parser._actions if action.dest == "command")
    return sorted(subparsers.choices)  # type: ignore[union-attr]


ARGUMENTS = {
    "generate": [[], ["--repo-url", "{{ .x }}"], ["--revision", "-x"]],
    "check": [[], ["--revision", "\x01"]],
    "diff": [[], ["junk"], ["../../etc/passwd"]],
    "render": [["junk"], ["\x00"], ["cilium-exporter", "--kubernetes-version", "garbage"]],
    "validate": [
        ["junk", "--embedded-only"],
        ["--embedded-only", "--documents", "garbage.yaml", "cilium-exporter"],
        ["--embedded-only", "--documents", "fifo.yaml", "cilium-exporter"],
        ["--embedded-only", "--schema-location", "garbage.yaml", "cilium-exporter"],
        ["--embedded-only", "--schema-location", "{{ printf }}", "cilium-exporter"],
    ],
    "explain": [["junk"], ["garbage.yaml"], ["fifo.yaml"], ["/dev/zero"]],
    "schema": [["--fleet"], ["garbage"]],
    "import": [
        ["garbage.yaml", "-o", "imported"],
        ["fifo.yaml", "-o", "imported"],
        ["/dev/zero", "-o", "imported"],
        ["garbage.yaml", "-o", "../escape"],
    ],
    # --flows may be a pipe (a stream, like `-`); a device is refused.
    "preview": [
        ["cilium-exporter", "--flows", "garbage.yaml"],
        ["cilium-exporter", "--flows", "/dev/zero"],
        ["junk", "--flows", "garbage.yaml"],
        ["cilium-exporter", "--config", "garbage.yaml", "--flows", "garbage.yaml"],
    ],
    "package": [
        ["junk", "--output-dir", "out"],
        ["cilium-exporter", "--output-dir", "garbage.yaml"],
        ["--url", "{{ x }}", "--output-dir", "out"],
    ],
    "init": [["{{ .x }}", "--cilium", "garbage"], ["../escape", "--print"], ["junk", "--calico", "\x00"]],
    "completion": [["bash"], ["fish"]],
    "status": [
        ["cilium-exporter", "--kubeconfig", "garbage.yaml"],
        ["cilium-exporter", "--kubeconfig", "fifo.yaml"],
        ["cilium-exporter", "--kubectl", "garbage.yaml"],
        ["junk", "--context", "\x01"],
        [],
    ],
}
ARGUMENTS["validate"].append(["--embedded-only", "--cluster", "--kubeconfig", "garbage.yaml", "cilium-exporter"])


def test_every_command_has_garbage_cases() -> None:
    assert sorted(ARGUMENTS) == commands()


@pytest.mark.parametrize(
    ("command", "arguments"), [(command, arguments) for command, cases in ARGUMENTS.items() for arguments in cases]
)
def test_garbage_gives_a_message_not_a_traceback(
    run_cli: Callable[..., CliResult], garbage_repo: Path, command: str, arguments: list[str]
) -> None:
    result = run(run_cli, command, *arguments)
    assert result.code in (0, 1, 2), result.err
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err

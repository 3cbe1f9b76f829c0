"""Every `flowlogs preview` example of README.md runs, and prints what the README shows.

The examples are the console block after `<!-- preview-examples -->`: each `$ .venv/bin/flowlogs ...`
line is run (in a copy of the repository's values/ and tests/data/preview/, so relative paths
are the README's); its output lines, when the README shows any, must be printed exactly; a
`> FILE` redirection captures stdout into FILE, which must then be non-empty.
"""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from flowlogs.cli import main

MARKER = "<!-- preview-examples -->"


def examples() -> list[tuple[list[str], list[str]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split(MARKER, 1)[1].split("```console\n", 1)[1].split("```", 1)[0]
    commands: list[tuple[list[str], list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            commands.append((shlex.split(line[2:]), []))
        else:
            commands[-1][1].append(line)
    return commands


def test_readme_has_preview_examples() -> None:
    assert len(examples()) >= 4


@pytest.mark.parametrize(
    ("argv", "shown"), examples(), ids=lambda value: " ".join(value)[:60] if value else "no output"
)
def test_readme_preview_example(
    argv: list[str],
    shown: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shutil.copytree(ROOT / "values", tmp_path / "values")
    shutil.copytree(ROOT / "tests" / "data" / "preview", tmp_path / "tests" / "data" / "preview")
    monkeypatch.chdir(tmp_path)
    assert argv[0] == ".venv/bin/flowlogs"
    redirect = None
    if ">" in argv:
        argv, redirect = argv[: argv.index(">")], argv[argv.index(">") + 1]
    code = main(argv[1:])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    if shown:
        assert captured.out.splitlines() == shown
    if redirect is not None:
        (tmp_path / redirect).write_text(captured.out, encoding="utf-8")
        assert captured.out.strip()
        if redirect.endswith(".json"):
            assert json.loads(captured.out)["flowLogs"][0]["matched_lines"] == [1, 18]
    if "--report" in argv:
        report = tmp_path / argv[argv.index("--report") + 1]
        assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

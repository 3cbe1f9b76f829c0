"""Every command of README.md works from a fresh clone: each line of its ```console blocks runs,
in order, in a copy of the repository's tracked files (with this checkout's .venv and helm).

Two kinds of line cannot run inside a test, and are checked as far as a test can:
- `make` and `make test` set up a virtual environment and run this very suite: CI runs
  `make test` itself (.ci/run), so they are only checked to be Makefile targets;
- `helm install` and `helm upgrade` need a cluster: `helm install NAME CHART ARGS` runs as
  `helm template NAME CHART ARGS` (same chart, same values), and the values files
  `helm upgrade` names (of a remote chart) must exist and be YAML.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

HELM = ROOT / ".cache" / "bin" / "helm"


def console_commands(markdown: str) -> list[str]:
    """The commands of the ```console blocks, without their trailing comments. A block of `$ `
    lines is a transcript: its other lines are output."""
    commands: list[str] = []
    # The cluster examples need a cluster: tests/test_readme_cluster.py runs them against a real API server.
    markdown = re.sub(r"^<!-- cluster-examples -->\n```console\n.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)
    for block in re.findall(r"^```console\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL):
        lines = block.splitlines()
        if any(line.startswith("$ ") for line in lines):
            lines = [line.removeprefix("$ ") for line in lines if line.startswith("$ ")]
        for line in lines:
            command = re.sub(r"\s+#\s.*$", "", line).strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def fresh_clone(destination: Path) -> Path:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)
    (destination / ".venv").symlink_to(ROOT / ".venv")
    return destination


def test_readme_has_the_commands_a_user_runs():
    commands = console_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "make test" in commands
    assert any(c.startswith(".venv/bin/flowlogs package") for c in commands)
    assert not [c for c in commands if "../shared" in c], "a fresh clone has no ../shared"


@pytest.mark.skipif(not HELM.is_file(), reason=f"no helm binary at {HELM}: run `make helm-binary`")
@pytest.mark.slow  # runs every README command in a fresh copy of the repository: ~6 s
def test_every_readme_command_runs_in_a_fresh_clone(tmp_path):
    clone = fresh_clone(tmp_path / "flowlogs")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "PATH": f"{HELM.parent}:{os.environ['PATH']}",
    }
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    upgrade_help = subprocess.run([str(HELM), "upgrade", "--help"], capture_output=True, text=True, check=True).stdout
    upgrade_flags = set(re.findall(r"(--[a-z][a-z-]+)", upgrade_help))
    for command in console_commands((ROOT / "README.md").read_text(encoding="utf-8")):
        words = shlex.split(command)
        if words[0] == "make":
            target = words[1] if len(words) > 1 else "all"
            assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.MULTILINE), command
            continue
        if words[:2] == ["helm", "upgrade"]:
            values = [words[i + 1] for i, word in enumerate(words) if word in ("-f", "--values")]
            assert values, command
            # Flags the real helm knows, and an exact chart version: a range (~1.17.0) would upgrade the release.
            assert {word for word in words if word.startswith("--")} <= upgrade_flags, command
            assert "--version" not in words or re.fullmatch(r"\d+\.\d+\.\d+", words[words.index("--version") + 1]), (
                command
            )
            for name in values:
                assert isinstance(yaml.safe_load((clone / name).read_text(encoding="utf-8")), dict), command
            continue
        if words[:2] == ["helm", "install"]:
            command = "helm template" + command.removeprefix("helm install")
        result = subprocess.run(["bash", "-c", command], cwd=clone, capture_output=True, text=True, env=env)
        assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    # The generated docs the README regenerates are the committed ones.
    for name in ("docs/profile.schema.json", "docs/fleet.schema.json"):
        assert (clone / name).read_bytes() == (ROOT / name).read_bytes(), name

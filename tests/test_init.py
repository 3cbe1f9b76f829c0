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
    assert result.out == (
        "wrote values/drops.yaml: edit it, then `flowlogs render drops`, `flowlogs validate drops` and `flowlogs "
        "generate`\n"
    )
    profile = yaml.safe_load((project / "values/drops.yaml").read_text(encoding="utf-8"))
    assert profile["cilium"] == {
        "version": "1.19",
        "flow-logs": [{"name": "drops", "file": "stdout", "include": [{"verdict": "dropped"}]}],
    }
    validated = run_cli("validate", "drops")
    assert validated.code == 0, validated.out + validated.err
    assert validated.err == ""  # no warning either (stdout, not /dev/stdout, which rotates)
    assert validated.out == "Summary: 1 resources found in 1 profiles - Valid: 1, Invalid: 0, Errors: 0, Skipped: 0\n"
    rendered = run_cli("render", "drops")
    assert "sub_type" not in rendered.out and "- verdict:\n        - DROPPED" in rendered.out


def test_flags_write_a_calico_320_starter_with_the_documented_selection(project, run_cli):
    """3.20 documents sidecar selection of workloads (docs.tigera.io calico-enterprise 3.20 "Enable L7 logs"
    annotates workloads for the sidecar; the service annotation is the 3.19 method): init writes that, and
    what it writes draws no warning about itself."""
    result = run_cli(
        "init",
        "shop-l7",
        "--calico",
        "3.20",
        "--workloads",
        "shop/frontend,shop/checkout",
        "--workloads",
        "StatefulSet/pay/api",
    )
    assert result.code == 0, result.err
    profile = yaml.safe_load((project / "values/shop-l7.yaml").read_text(encoding="utf-8"))
    assert profile["calico"]["sidecar-injection"] is True
    assert profile["calico"]["workloads"] == [
        {"kind": "Deployment", "namespace": "shop", "name": ["frontend", "checkout"]},
        {"kind": "StatefulSet", "namespace": "pay", "name": ["api"]},
    ]
    assert "services" not in profile["calico"] and "patch-mode" not in profile["calico"]
    validated = run_cli("validate", "shop-l7")
    assert validated.code == 0, validated.out + validated.err
    generated = run_cli("generate")
    assert generated.code == 0, generated.err
    assert "3.19 method" not in generated.err and "PostSync" not in generated.err


def test_flags_write_a_calico_319_starter_with_services(project, run_cli):
    result = run_cli(
        "init", "shop-l7", "--calico", "3.19", "--services", "shop/frontend,shop/checkout", "--services", "pay/api"
    )
    assert result.code == 0, result.err
    profile = yaml.safe_load((project / "values/shop-l7.yaml").read_text(encoding="utf-8"))
    assert profile["calico"]["services"] == [
        {"namespace": "pay", "name": ["api"]},
        {"namespace": "shop", "name": ["frontend", "checkout"]},
    ]
    assert "sidecar-injection" not in profile["calico"]
    assert run_cli("validate", "shop-l7").code == 0


def test_a_selection_flag_of_the_other_version_is_refused_with_the_one_to_use(project, run_cli):
    services = run_cli("init", "x", "--calico", "3.20", "--services", "shop/frontend")
    assert (services.code, services.err) == (
        1,
        "flowlogs: error: Calico Enterprise 3.20 documents sidecar selection of workloads, not the service annotation "
        "(the 3.19 method): "
        "use --workloads NAMESPACE/NAME (a Deployment) or KIND/NAMESPACE/NAME (Deployment, StatefulSet, DaemonSet)\n",
    )
    workloads = run_cli("init", "x", "--calico", "3.19", "--workloads", "shop/frontend")
    assert (workloads.code, workloads.err) == (
        1,
        "flowlogs: error: Calico Enterprise 3.19 has no sidecar mode (it arrived with 3.20): use --services "
        "NAMESPACE/NAME\n",
    )
    bad = run_cli("init", "x", "--calico", "3.20", "--workloads", "Job/shop/frontend")
    assert (bad.code, bad.err) == (
        1,
        "flowlogs: error: workload 'Job/shop/frontend' is not NAMESPACE/NAME (a Deployment) or KIND/NAMESPACE/NAME "
        "(Deployment, StatefulSet, DaemonSet) (e.g. shop/frontend)\n",
    )
    assert not (project / "values").exists()


FLEET = """gitops:
  repo-url: https://git.example.com/platform/flowlogs.git
clusters:
  - name: shop-1
    server: https://shop-1.example.com:6443
    profile: shop-l7
"""


def test_beside_a_fleet_file_the_calico_starter_states_its_patch_mode(project, run_cli):
    """A fleet deploys through Argo CD, where the hook Job runs on every sync: the starter says so where
    the patch mode is chosen, and generate has nothing to say about the choice it made."""
    (project / "values").mkdir()
    (project / "values/fleet.yaml").write_text(FLEET, encoding="utf-8")
    assert run_cli("init", "shop-l7", "--calico", "3.20", "--workloads", "shop/frontend").code == 0
    text = (project / "values/shop-l7.yaml").read_text(encoding="utf-8")
    assert (
        "  # The fleet deploys through Argo CD. job: a hook Job patches Felix and the selection, on every sync\n"
        in text
    )
    assert yaml.safe_load(text)["calico"]["patch-mode"] == "job"
    generated = run_cli("generate")
    assert generated.code == 0, generated.err
    assert "PostSync" not in generated.err and "patch-mode" not in generated.err
    assert run_cli("validate", "shop-l7").code == 0


def test_job_mode_is_noted_only_where_the_fleet_deploys_it(project, run_cli):
    assert run_cli("init", "shop-l7", "--calico", "3.19", "--services", "shop/frontend").code == 0
    alone = run_cli("generate")
    assert alone.code == 0 and "PostSync" not in alone.err
    application = (project / "gitops/applications/shop-l7.yaml").read_text(encoding="utf-8")
    assert "# Note: under Argo CD the Felix/Service patch Job runs as a PostSync hook on every sync" in application
    (project / "values/fleet.yaml").write_text(FLEET, encoding="utf-8")
    deployed = run_cli("generate", "--verbose")  # the profile's own files did not change: its notes with --verbose
    assert deployed.code == 0, deployed.err
    assert (
        "values/shop-l7.yaml: note: values/fleet.yaml deploys it: under Argo CD the Felix/Service patch Job runs as a "
        "PostSync hook on every sync" in deployed.err
    )


def test_the_starter_is_commented(project, run_cli):
    text = run_cli("init", "--cilium", "1.18", "--print").out
    assert text.startswith("# Editor completion: `flowlogs schema > profile.schema.json`, then add this first line:\n")
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 10
    assert not (project / "values").exists()


def test_the_schema_modeline_points_at_a_schema_that_is_there(project, run_cli):
    """Outside the repository there is no docs/profile.schema.json: no dead link, but how to get it;
    in a repository laid out as this one, the modeline finds it relative to the profile."""
    assert run_cli("init", "alone", "--cilium", "1.18").code == 0
    assert (
        (project / "values/alone.yaml")
        .read_text(encoding="utf-8")
        .startswith(
            "# Editor completion: `flowlogs schema > profile.schema.json`, then add this first line:\n#   # "
            "yaml-language-server: $schema=<path of profile.schema.json>\n#\n"
        )
    )
    (project / "team/docs").mkdir(parents=True)
    (project / "team/docs/profile.schema.json").write_text(run_cli("schema").out, encoding="utf-8")
    assert run_cli("init", "mine", "--cilium", "1.18", "--values-dir", "team/profiles/eu").code == 0
    written = (project / "team/profiles/eu/mine.yaml").read_text(encoding="utf-8")
    assert written.startswith("# yaml-language-server: $schema=../../docs/profile.schema.json\n#\n")
    assert (project / "team/profiles/eu" / "../../docs/profile.schema.json").is_file()


def test_init_never_overwrites_and_needs_a_product_without_a_terminal(project, run_cli):
    assert run_cli("init", "drops", "--cilium", "1.19").code == 0
    again = run_cli("init", "drops", "--cilium", "1.18")
    assert (again.code, again.err) == (
        1,
        "flowlogs: error: values/drops.yaml exists: flowlogs init never overwrites a profile (choose another name, or "
        "delete it first)\n",
    )
    bad = run_cli("init", "x", "--calico", "3.19", "--services", "frontend")
    assert (bad.code, bad.err) == (
        1,
        "flowlogs: error: service 'frontend' is not NAMESPACE/NAME (e.g. shop/frontend)\n",
    )
    assert not (project / "values/x.yaml").exists()


# name, Cilium (default yes), version, drops no, stdout yes, Calico yes, version, services
ANSWERS = "team-a\n\n1.17\nn\ny\ny\n3.19\nshop/web\n"


def _flowlogs(*args: str) -> list[str]:
    return [sys.executable, "-m", "flowlogs", *args]


def test_questions_on_standard_input(project, run_cli):
    result = subprocess.run(
        _flowlogs("init", "--interactive"), input=ANSWERS, capture_output=True, text=True, cwd=project
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(
        "Profile name (lower-case letters, digits, '-') [my-profile]: Cilium Hubble exporter? [Y/n]: "
    )
    profile = yaml.safe_load((project / "values/team-a.yaml").read_text(encoding="utf-8"))
    assert profile["cilium"]["flow-logs"] == [{"name": "all-flows", "file": "stdout"}]
    assert profile["calico"]["version"] == "3.19" and profile["calico"]["services"] == [
        {"namespace": "shop", "name": ["web"]}
    ]
    assert run_cli("validate", "team-a").code == 0


def test_questions_follow_the_chosen_version(project, run_cli):
    """Asked for 3.20, init asks for workloads (the sidecar selection), not services."""
    answers = "shop\nn\ny\n3.20\nshop/web,StatefulSet/shop/db\n"  # name, Cilium no, Calico yes, version, workloads
    result = subprocess.run(
        _flowlogs("init", "--interactive"), input=answers, capture_output=True, text=True, cwd=project
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.endswith(
        "Workloads whose L7 (HTTP) traffic to log through the sidecar, as namespace/name (Deployments) or "
        "kind/namespace/name, comma-separated [default/frontend]: "
    )
    profile = yaml.safe_load((project / "values/shop.yaml").read_text(encoding="utf-8"))
    assert profile["calico"]["workloads"] == [
        {"kind": "Deployment", "namespace": "shop", "name": ["web"]},
        {"kind": "StatefulSet", "namespace": "shop", "name": ["db"]},
    ]


def test_questions_on_a_terminal(project, run_cli):
    """Without flags, on a terminal (a pseudo-terminal here), init asks."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        _flowlogs("init"), stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=project
    )
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
        1,
        "flowlogs: error: give --cilium VERSION and/or --calico VERSION (see flowlogs init --help), or run on a "
        "terminal to be asked\n",
    )
    assert not Path(project / "values").exists()


def test_the_sidecar_versions_are_those_whose_application_layer_has_sidecar_injection():
    """calico/defaults.py names them without loading a table; the tables (from the operator's
    ApplicationLayer CRD of each version) say the same."""
    from flowlogs.calico.defaults import SIDECAR_VERSIONS, SUPPORTED_VERSIONS
    from flowlogs.calico.tables import load_tables

    assert SIDECAR_VERSIONS == tuple(v for v in SUPPORTED_VERSIONS if load_tables(v).has_sidecar_injection)

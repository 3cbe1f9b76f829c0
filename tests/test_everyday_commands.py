"""Commands do what users assume (issue 15): render and validate see the profiles as they are now,
one run reports every error, generate is quiet when nothing changed, flags go anywhere,
--version, `python -m flowlogs`, examples in --help, JSON output."""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import SHOP_DROPS_PROFILE, VALUES, run_cli_in, write_profile
from flowlogs.cli import build_parser
from flowlogs.commands import command_table
from flowlogs.helm import EmbeddedHelm

ARGS = ("--values-dir", "values", "--chart-dir", "chart")
PROFILES = sorted(path.stem for path in VALUES.glob("*.yaml") if path.stem != "fleet")
NEW_PROFILE = SHOP_DROPS_PROFILE
# Schema errors (an unknown key, a misspelt key) and semantic errors (a drop reason Cilium 1.18
# does not have, a verdict misspelt, a glob) in one file, in two product sections.
MANY_ERRORS = """\
cilium:
  version: "1.18"
  flow-logs:
    - name: a
      includ: []
    - name: b
      file: /var/run/cilium/hubble/b.log
      include:
        - drop-reason: policy-denyy
    - name: c
      file: /var/run/cilium/hubble/c.log
      include:
        - source-pod: kube-system/*
    - name: d
      file: /var/run/cilium/hubble/d.log
      include:
        - verdict: droped
calico:
  version: "3.20"
  servces: []
"""
MANY_ERRORS_OUTPUT = """\
values/many.yaml:5:7: error: unknown key 'includ' in cilium.flow-logs.0; did you mean 'include'?
  hint: allowed keys: aggregate-fields, aggregation-interval, end, exclude, fields, file, include, name, rotation
values/many.yaml:9:24: error: unknown drop reason 'policy-denyy' for Cilium 1.18; did you mean 'policy-deny'?
  hint: names are Cilium's DropReason names in lower case with '-', e.g. policy-denied, policy-deny, unsupported-l3-protocol
values/many.yaml:13:23: error: pod 'kube-system/*' contains a glob character; Hubble matches pods by prefix, not by glob
  hint: write 'kube-system/' to match every pod that starts with it
values/many.yaml:17:20: error: unknown verdict 'droped'; did you mean 'dropped'?
  hint: one of: forwarded, dropped, error, audit, redirected, traced, translated
values/many.yaml:20:3: error: unknown key 'servces' in calico; did you mean 'services'?
  hint: allowed keys: cluster, collect-logs, enabled, envoy, felix, felix-api, interval, patch-mode, requests-per-interval, resources, services, sidecar-injection, version, workloads
flowlogs: 5 errors in profiles or the fleet file; nothing was written
"""  # noqa: E501 (the output as printed)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The shipped profiles, generated once for the tests to copy."""
    root = tmp_path_factory.mktemp("generated")
    shutil.copytree(VALUES, root / "values")
    assert run_cli_in(root, *ARGS, "generate") == 0
    return root


@pytest.fixture
def repo(generated, tmp_path, monkeypatch):
    """A copy of the generated shipped profiles as the working directory."""
    shutil.copytree(generated, tmp_path, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_render_shows_the_profile_as_edited_not_the_last_generated_chart(repo, run_cli):
    before = {p: p.read_bytes() for p in (repo / "chart").rglob("*") if p.is_file()}
    assert "- EGRESS" in run_cli("render", "cilium-exporter").out
    _edit(repo / "values/cilium-exporter.yaml", "direction: egress", "direction: ingress")
    result = run_cli("render", "cilium-exporter")
    assert result.code == 0, result.err
    assert "- INGRESS" in result.out and "EGRESS" not in result.out
    # Nothing written: chart/ is as generated.
    assert {p: p.read_bytes() for p in (repo / "chart").rglob("*") if p.is_file()} == before


def test_render_of_an_unchanged_profile_is_what_helm_template_prints_for_the_generated_chart(repo, run_cli):
    values = yaml.safe_load((repo / "chart/profiles/both/values.yaml").read_text(encoding="utf-8"))
    manifests = EmbeddedHelm().template(repo / "chart", values, release_name="flowlogs", namespace="flowlogs-system")
    expected = "".join(f"---\n# Source: {m.template}\n{m.text}" for m in manifests)
    assert run_cli("render", "both").out == expected


def test_a_new_profile_renders_by_name_and_by_path_before_any_generate(repo, run_cli, tmp_path_factory):
    write_profile(repo / "values", "newp", NEW_PROFILE)
    by_name = run_cli("render", "newp")
    assert by_name.code == 0, by_name.err
    assert "name: shop-drops" in by_name.out
    elsewhere = write_profile(tmp_path_factory.mktemp("elsewhere"), "outside", NEW_PROFILE)
    by_path = run_cli("render", str(elsewhere))
    assert by_path.code == 0, by_path.err
    assert by_path.out == by_name.out
    validated = run_cli("validate", "newp", str(elsewhere), "-o", "json")
    assert validated.code == 0, validated.out + validated.err
    assert [r["profile"] for r in json.loads(validated.out)["resources"]] == ["newp", "outside"]


def test_render_and_validate_fail_on_a_broken_profile_exactly_as_generate(repo, run_cli):
    _edit(repo / "values/cilium-exporter.yaml", "sub-type: policy-deny", "sub-type: policy-denyy")
    generate = run_cli("generate")
    assert generate.code == 1
    for command in (("render", "cilium-exporter"), ("validate", "cilium-exporter"), ("validate",)):
        result = run_cli(*command)
        assert result.code == 1, command
        assert result.out == ""
        assert result.err.splitlines()[:-1] == generate.err.splitlines()[:-1], command
        assert "values/cilium-exporter.yaml:15:23: error: " in result.err


def test_an_unknown_profile_names_the_profiles_there(repo, run_cli):
    result = run_cli("render", "nope")
    assert result.code == 1
    assert result.err == (
        f"flowlogs: error: no profile 'nope': not a file, and not in values/ (profiles there: {', '.join(PROFILES)})\n"
    )


def test_one_run_reports_schema_and_semantic_errors_sorted_by_position(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path / "values", "many", MANY_ERRORS)
    result = run_cli("generate")
    assert result.code == 1

    # The "allowed keys" hints list every word of a section, which grows with the products: not compared.
    def without_key_lists(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("  hint: allowed keys: ")]

    assert without_key_lists(result.err) == without_key_lists(MANY_ERRORS_OUTPUT)
    assert result.err.count("  hint: allowed keys: ") == 2
    assert not (tmp_path / "chart").exists()


def test_generate_prints_notes_only_for_what_changed(repo, run_cli):
    quiet = run_cli("generate", "--quiet")
    assert (quiet.code, quiet.out, quiet.err) == (0, "", "")
    again = run_cli("generate")
    assert again.err == ""  # nothing changed: no notes
    assert " 0 written, 0 removed, " in again.out.splitlines()[-1]
    _edit(repo / "values/cilium-exporter.yaml", "direction: egress", "direction: ingress")
    changed = run_cli("generate")
    files = {line.split(":")[0] for line in changed.err.splitlines() if not line.startswith(" ")}
    assert files == {"values/cilium-exporter.yaml"}
    assert changed.err.count("'policy-deny' (181, POLICY_DENY)") == 1
    verbose = run_cli("generate", "--verbose")
    assert {line.split(":")[0] for line in verbose.err.splitlines() if not line.startswith(" ")} >= {
        "values/both.yaml",
        "values/calico-l7.yaml",
        "values/cilium-exporter.yaml",
    }


def test_directory_flags_work_after_the_subcommand_too(tmp_path, run_cli):
    values = tmp_path / "profiles"
    write_profile(values, "newp", NEW_PROFILE)
    after = run_cli("generate", "--values-dir", str(values), "--chart-dir", str(tmp_path / "out/chart"))
    assert after.code == 0, after.err
    assert (tmp_path / "out/chart/profiles/newp/values.yaml").is_file()
    before = run_cli("--values-dir", str(values), "--chart-dir", str(tmp_path / "out/chart"), "check")
    assert before.code == 0, before.out + before.err
    mixed = run_cli("--values-dir", str(values), "render", "newp", "--chart-dir", str(tmp_path / "out/chart"))
    assert mixed.code == 0 and "shop-drops" in mixed.out


def test_version_and_python_dash_m():
    from importlib.metadata import version

    expected = f"flowlogs {version('flowlogs')}\n"
    module = subprocess.run([sys.executable, "-m", "flowlogs", "--version"], capture_output=True, text=True, check=True)
    assert module.stdout == expected
    script = subprocess.run(
        [str(Path(sys.executable).parent / "flowlogs"), "--version"], capture_output=True, text=True, check=True
    )
    assert script.stdout == expected


@pytest.mark.parametrize("command", sorted(command_table()))
def test_each_subcommand_help_ends_with_an_example(command, capsys):
    with pytest.raises(SystemExit):
        build_parser(lazy=True).parse_args([command, "--help"])
    help_text = capsys.readouterr().out
    assert "\nexample:\n" in help_text
    assert help_text.rstrip().endswith(command_table()[command].example.splitlines()[-1])


def test_json_output_of_generate_check_and_diff(repo, run_cli):
    generated = json.loads(run_cli("generate", "-o", "json").out)
    assert generated["command"] == "generate"
    assert [p["name"] for p in generated["profiles"]] == PROFILES
    fleet = yaml.safe_load((VALUES / "fleet.yaml").read_text(encoding="utf-8"))
    assert (generated["written"], generated["removed"], generated["clusters"]) == ([], [], len(fleet["clusters"]))
    assert generated["unchanged"] == sum(
        1 for tree in ("chart", "gitops") for p in (repo / tree).rglob("*") if p.is_file()
    )
    assert {"severity": "note", "file": "values/cilium-exporter.yaml", "line": 15, "column": 23}.items() <= [
        d for d in generated["diagnostics"] if d["file"] == "values/cilium-exporter.yaml"
    ][-1].items()
    checked = run_cli("check", "-o", "json")
    assert (checked.code, json.loads(checked.out)["up_to_date"]) == (0, True)
    _edit(repo / "values/cilium-exporter.yaml", "direction: egress", "direction: ingress")
    stale = run_cli("check", "-o", "json")
    report = json.loads(stale.out)
    assert stale.code == 1
    assert report["up_to_date"] is False
    # Exactly what is generated from this profile's flow logs (its values, their CI copy, the Cilium
    # release values that carry the filters, its chart's version), nothing of another profile, and
    # not its Argo CD Application (which names the chart path, not the values).
    assert report["stale"] == [
        "chart/ci/cilium-exporter-values.yaml",
        "chart/profiles/cilium-exporter/Chart.yaml",
        "chart/profiles/cilium-exporter/cilium-release-values.yaml",
        "chart/profiles/cilium-exporter/values.yaml",
    ]
    diffed = run_cli("diff", "-o", "json", "--exit-code")
    assert diffed.code == 1
    result = json.loads(diffed.out)
    assert result["changed"] == 1
    (exporter,) = [p for p in result["profiles"] if p["name"] == "cilium-exporter"]
    assert exporter["status"] == "changed" and "+        - INGRESS" in exporter["diff"]


@pytest.mark.parametrize(
    ("args", "code", "last_line"),
    [
        (["--version"], 0, f"flowlogs {importlib.metadata.version('flowlogs')}"),
        (
            ["render", "no-such-profile"],
            1,
            "flowlogs: error: no profile 'no-such-profile': not a file, and not in values/ (profiles there: none)",
        ),
        (["--no-such-option"], 2, "flowlogs: error: the following arguments are required: COMMAND"),
    ],
)
def test_python_dash_m_flowlogs_works_as_flowlogs(tmp_path, args, code, last_line):
    """README: "`python -m flowlogs` works as `flowlogs`": the same output and exit code, and the
    program named `flowlogs` either way (argparse would name `__main__.py`)."""
    module = subprocess.run(
        [sys.executable, "-m", "flowlogs", *args], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    script = subprocess.run(
        [str(Path(sys.executable).parent / "flowlogs"), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (module.returncode, module.stdout, module.stderr) == (script.returncode, script.stdout, script.stderr)
    assert script.returncode == code
    assert (script.stdout + script.stderr).splitlines()[-1] == last_line


def _complete(script: Path, cwd: Path, *words: str) -> list[str]:
    """What bash offers after `words` (the last one being completed), with the script loaded."""
    quoted = " ".join(f"'{word}'" for word in words)
    program = (
        f'source {script}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; _flowlogs; printf "%s\\n" '
        '"${COMPREPLY[@]}"'
    )
    result = subprocess.run(["bash", "-c", program], cwd=cwd, capture_output=True, text=True, check=True)
    return sorted(filter(None, result.stdout.splitlines()))


def test_bash_completion_offers_commands_options_choices_and_profiles(repo, run_cli):
    script = repo / "flowlogs.bash"
    result = run_cli("completion", "bash")
    assert result.code == 0
    script.write_text(result.out, encoding="utf-8")
    assert _complete(script, repo, "flowlogs", "ren") == ["render"]
    assert _complete(script, repo, "flowlogs", "render", "c") == [p for p in PROFILES if p.startswith("c")]
    assert _complete(script, repo, "flowlogs", "validate", "-o", "") == ["json", "junit", "tap", "text"]
    assert _complete(script, repo, "flowlogs", "generate", "-o", "") == ["json", "text"]
    assert _complete(script, repo, "flowlogs", "generate", "--q") == ["--quiet"]
    assert _complete(script, repo, "flowlogs", "completion", "") == ["bash", "fish", "zsh"]
    (repo / "team").mkdir()
    write_profile(repo / "team", "shop", NEW_PROFILE)
    assert _complete(script, repo, "flowlogs", "--values-dir", "team", "explain", "") == ["shop"]
    zsh = run_cli("completion", "zsh").out
    assert zsh.startswith("# flowlogs completion for zsh\nautoload -U +X bashcompinit && bashcompinit\n")
    assert zsh.endswith(result.out)


def test_every_subcommand_has_an_example():
    """Products' subcommands too (Command.example)."""
    from flowlogs.completion import subparsers

    missing = [
        name
        for name, sub in subparsers(build_parser()).items()
        if not re.match(r"example:\n  .*flowlogs [a-z]", sub.epilog or "")
    ]
    assert missing == []


def test_errors_outside_the_product_sections_do_not_hide_the_others(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    write_profile(
        tmp_path / "values",
        "top",
        'description: 5\ncilum:\n  version: "1.18"\ncilium:\n  version: "1.18"\n  flow-logs:\n    - name: b\n      '
        "include:\n        - drop-reason: policy-denyy\n",
    )
    result = run_cli("generate")
    assert [line.split(": error: ")[0] for line in result.err.splitlines() if ": error: " in line] == [
        "values/top.yaml:1:14",
        "values/top.yaml:2:1",
        "values/top.yaml:9:24",
    ]
    assert "unknown drop reason 'policy-denyy' for Cilium 1.18" in result.err

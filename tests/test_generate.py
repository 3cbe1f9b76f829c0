"""`flowlogs generate` and `flowlogs check` on the shipped profiles, as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CHART, ROOT, VALUES, write_profile
from flowlogs.chart.build import build_chart
from flowlogs.compiler import compile_paths
from flowlogs.profile import find_profiles


def tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_committed_chart_is_what_the_generator_makes(run_cli, tmp_path):
    """The golden chart: chart/ is byte-identical to a fresh generation from values/."""
    # Chart.yaml's version depends on the previous chart: seed the copy with the committed one.
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "Chart.yaml").write_bytes((CHART / "Chart.yaml").read_bytes())
    result = run_cli("--values-dir", str(VALUES), "--chart-dir", str(tmp_path / "chart"), "generate")
    assert result.code == 0, result.err
    assert tree(tmp_path / "chart") == tree(CHART)


def test_check_passes_on_the_committed_chart(run_cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run_cli("check")
    assert result.code == 0, result.out + result.err
    assert "chart/ is up to date" in result.out


def test_generate_twice_gives_identical_bytes(run_cli, workspace):
    chart, gitops = workspace / "chart", workspace / "gitops"
    args = ("--values-dir", str(workspace / "values"), "--chart-dir", str(chart))
    assert run_cli(*args, "generate").code == 0
    first = (tree(chart), tree(gitops))
    assert first[1], "gitops/ was generated next to the chart"
    second_run = run_cli(*args, "generate")
    assert second_run.code == 0
    assert "0 written, 0 removed" in second_run.out
    assert (tree(chart), tree(gitops)) == first


def test_build_is_deterministic_in_memory(tmp_path):
    compiled = compile_paths(find_profiles(VALUES)).profiles
    chart = tmp_path / "chart"
    forward, backward = build_chart(compiled, VALUES, chart), build_chart(list(reversed(compiled)), VALUES, chart)
    assert forward.versioned(chart) == backward.versioned(chart)


def test_check_reports_a_hand_edit_with_a_diff(run_cli, workspace):
    chart = workspace / "chart"
    args = ("--values-dir", str(workspace / "values"), "--chart-dir", str(chart))
    run_cli(*args, "generate")
    configmap = chart / "templates" / "cilium" / "configmap.yaml"
    configmap.write_text(configmap.read_text() + "# hand edit\n")
    result = run_cli(*args, "check")
    assert result.code == 1
    assert "+++ chart/templates/cilium/configmap.yaml (generated)" in result.out
    assert "-# hand edit" in result.out
    assert "is stale" in result.err


def test_check_reports_a_changed_profile(run_cli, workspace):
    chart = workspace / "chart"
    args = ("--values-dir", str(workspace / "values"), "--chart-dir", str(chart))
    run_cli(*args, "generate")
    profile = workspace / "values" / "cilium-exporter.yaml"
    profile.write_text(profile.read_text().replace("direction: egress", "direction: ingress"))
    result = run_cli(*args, "check")
    assert result.code == 1
    assert "+      - INGRESS" in result.out
    assert "-      - EGRESS" in result.out


def test_a_bad_profile_writes_nothing(run_cli, workspace):
    chart = workspace / "chart"
    args = ("--values-dir", str(workspace / "values"), "--chart-dir", str(chart))
    assert run_cli(*args, "generate").code == 0
    before = tree(chart)
    write_profile(
        workspace / "values",
        "broken",
        "cilium:\n  flow-logs:\n    - name: a\n      include:\n        - verdict: denied\n",
    )
    result = run_cli(*args, "generate")
    assert result.code == 1
    assert "broken.yaml:5:20: error: unknown verdict 'denied'" in result.err
    assert "nothing was written" in result.err
    assert tree(chart) == before


def test_a_bad_profile_in_a_fresh_checkout_creates_no_chart(run_cli, tmp_path):
    write_profile(tmp_path / "values", "broken", "cilium:\n  flow-logs:\n    - name: Bad\n")
    result = run_cli("--values-dir", str(tmp_path / "values"), "--chart-dir", str(tmp_path / "chart"), "generate")
    assert result.code == 1
    assert not (tmp_path / "chart").exists()


def test_removing_a_profile_removes_its_files(run_cli, workspace):
    chart = workspace / "chart"
    args = ("--values-dir", str(workspace / "values"), "--chart-dir", str(chart))
    write_profile(workspace / "values", "extra", "cilium:\n  flow-logs:\n    - name: all\n")
    run_cli(*args, "generate")
    assert (chart / "profiles" / "extra" / "values.yaml").is_file()
    (workspace / "values" / "extra.yaml").unlink()
    result = run_cli(*args, "generate")
    assert result.code == 0
    assert not (chart / "profiles" / "extra").exists()
    assert (chart / "profiles" / "cilium-exporter" / "values.yaml").is_file()


def test_empty_profile_directory_is_an_error(run_cli, tmp_path):
    (tmp_path / "values").mkdir()
    result = run_cli("--values-dir", str(tmp_path / "values"), "--chart-dir", str(tmp_path / "chart"), "generate")
    assert (result.code, result.err) == (
        1,
        f"flowlogs: error: no profiles in {tmp_path}/values (expected *.yaml files): write a first profile with "
        f"`flowlogs init NAME` ({tmp_path}/values/NAME.yaml), or pass --values-dir\n",
    )


@pytest.mark.parametrize("command", ["generate", "validate", "check", "diff"])
def test_an_empty_folder_points_to_init(run_cli, tmp_path, monkeypatch, command):
    """A new user's first command, in a folder of their own, says how to start."""
    monkeypatch.chdir(tmp_path)
    result = run_cli(command)
    assert result.err == (
        "flowlogs: error: profile directory not found: values: write a first profile with `flowlogs init NAME` "
        "(values/NAME.yaml), or pass --values-dir\n"
    )
    assert result.code == 1
    assert list(tmp_path.iterdir()) == []


def test_schema_command_matches_the_committed_schema(run_cli):
    result = run_cli("schema")
    assert result.code == 0
    assert result.out == (ROOT / "docs" / "profile.schema.json").read_text()


def test_docs_describe_every_filter_word():
    from flowlogs.cilium.filters import FILTER_WORDS

    text = (ROOT / "docs" / "profiles.md").read_text()
    missing = [word for word in FILTER_WORDS if f"`{word}`" not in text]
    assert missing == []


def test_fleet_schema_command_matches_the_committed_schema(run_cli):
    result = run_cli("schema", "--fleet")
    assert result.code == 0
    assert result.out == (ROOT / "docs" / "fleet.schema.json").read_text()


def test_the_documented_examples_compile(tmp_path):
    """The examples of docs/profiles.md are real profiles."""
    import re

    from flowlogs.compiler import compile_paths

    text = (ROOT / "docs" / "profiles.md").read_text()
    examples = [
        block for block in re.findall(r"```yaml\n(.*?)```", text, re.S) if block.startswith(("cilium:", "calico:"))
    ]
    assert len(examples) == 2
    for index, example in enumerate(examples):
        path = write_profile(tmp_path, f"example-{index}", example)
        result = compile_paths([path])
        assert [str(d) for d in result.diagnostics.errors] == []

"""Regeneration stays safe: `check` catches stale or hand-edited files, the chart version follows
the content, a change touches only the files that depend on it, and `diff` previews the
rendered manifests before regenerating."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import VALUES, run_cli_in, write_profile
from flowlogs.chart.versioning import CONTENT_HASH_ANNOTATION
from flowlogs.diff import DiffStatus, rendered_diff
from flowlogs.generate import generate, plan

CILIUM = (VALUES / "cilium-exporter.yaml").read_text(encoding="utf-8")
OTHER = (
    "description: Every flow, to a file.\ncilium:\n  flow-logs:\n    - name: all\n      file: "
    "/var/run/cilium/hubble/all.log\n"
)
FLEET = """\
gitops:
  repo-url: https://git.example.com/platform/flowlogs.git
clusters:
  - name: a
    server: https://a.example.com
    profile: cilium-exporter
  - name: b
    server: https://b.example.com
    profile: other
"""
ARGS = ("--values-dir", "values", "--chart-dir", "chart")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A repository with two profiles and a fleet, generated once for the tests to copy."""
    root = tmp_path_factory.mktemp("generated")
    write_profile(root / "values", "cilium-exporter", CILIUM)
    write_profile(root / "values", "other", OTHER)
    (root / "values" / "fleet.yaml").write_text(FLEET, encoding="utf-8")
    assert run_cli_in(root, *ARGS, "generate") == 0
    return root


@pytest.fixture
def repo(generated, tmp_path, monkeypatch):
    """A copy of the generated repository as the working directory."""
    shutil.copytree(generated, tmp_path, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def regenerate(root: Path) -> tuple[list[str], list[str]]:
    """Run generate through the API; (written, removed) with directory prefixes."""
    _, report = generate(root / "values", root / "chart")
    return sorted(report.written), sorted(report.removed)


def chart_version(root: Path) -> tuple[str, str]:
    chart = yaml.safe_load((root / "chart" / "Chart.yaml").read_text())
    return chart["version"], chart["annotations"][CONTENT_HASH_ANNOTATION]


# ---------------------------------------------------------------- check


def test_check_passes_right_after_generate(run_cli, repo):
    result = run_cli(*ARGS, "check")
    assert result.code == 0, result.out + result.err
    assert result.out == (
        "chart/ is up to date with 2 profile(s) in values/\n"
        "gitops/ is up to date (2 Application(s), 2 cluster(s) in the fleet)\n"
    )


@pytest.mark.parametrize(
    "relative",
    [
        "chart/templates/cilium/configmap.yaml",
        "chart/profiles/other/values.yaml",
        "chart/values.schema.json",
        "gitops/applications/cilium-exporter.yaml",
        "gitops/applicationset.yaml",
    ],
)
def test_check_catches_a_hand_edit_of_any_generated_file(run_cli, repo, relative):
    path = repo / relative
    path.write_text(path.read_text().replace("\n", "\n# hand edit\n", 1))
    result = run_cli(*ARGS, "check")
    assert result.code == 1
    assert f"--- {relative}\n+++ {relative} (generated)\n" in result.out
    assert "-# hand edit\n" in result.out
    assert result.err == (
        "chart/ or gitops/ is stale: it differs from what `flowlogs generate` makes from values/ (diff above). "
        "Run `flowlogs generate` and commit the result.\n"
    )
    # generate repairs it, and check passes again
    assert run_cli(*ARGS, "generate").code == 0
    assert run_cli(*ARGS, "check").code == 0


def test_check_catches_a_deleted_and_an_extra_file(run_cli, repo):
    (repo / "gitops" / "applications" / "other.yaml").unlink()
    (repo / "gitops" / "applications" / "hand-made.yaml").write_text("kind: Application\n")
    result = run_cli(*ARGS, "check")
    assert result.code == 1
    assert "--- /dev/null\n+++ gitops/applications/other.yaml (generated)\n" in result.out
    assert "--- gitops/applications/hand-made.yaml\n+++ /dev/null\n" in result.out


def test_check_catches_a_fleet_change(run_cli, repo):
    fleet = repo / "values" / "fleet.yaml"
    fleet.write_text(fleet.read_text().replace("https://b.example.com", "https://b2.example.com"))
    result = run_cli(*ARGS, "check")
    assert result.code == 1
    assert "-        server: https://b.example.com\n+        server: https://b2.example.com\n" in result.out


def test_check_writes_nothing(run_cli, repo):
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    (repo / "values" / "other.yaml").write_text(OTHER.replace("all.log", "every.log"))
    before[repo / "values" / "other.yaml"] = (repo / "values" / "other.yaml").read_bytes()
    assert run_cli(*ARGS, "check").code == 1
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before


# ---------------------------------------------------------------- the chart version rule


# What a change of profile `other`'s flow log rewrites: its values (and the chart-testing copy),
# Cilium's values that carry its flow logs, and its packaged chart's version.
OTHER_FILES = [
    "chart/ci/other-values.yaml",
    "chart/profiles/other/Chart.yaml",
    "chart/profiles/other/cilium-release-values.yaml",
    "chart/profiles/other/values.yaml",
]


def profile_version(repo: Path, profile: str) -> str:
    """The version of a profile's packaged chart."""
    return str(yaml.safe_load((repo / "chart" / "profiles" / profile / "Chart.yaml").read_text())["version"])


def with_extra_chart_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """A change of the chart itself (as a new flowlogs release would make): one more value, and
    (as any change of flowlogs' files does) another code fingerprint for what the cache keeps."""
    from flowlogs import caches, chart_values
    from flowlogs.values_model import ChartValue

    original = chart_values.common_values
    monkeypatch.setattr(
        chart_values,
        "common_values",
        lambda: [*original(), ChartValue("extra", "", "A new value.", {"type": "string"})],
    )
    monkeypatch.setattr(caches, "code_stamp", lambda: "a flowlogs release with one more chart value")


def test_chart_version_bumps_only_when_the_chart_changes(repo, monkeypatch):
    version, digest = chart_version(repo)
    assert version == "0.1.0"
    # unchanged profiles: byte-identical output, same version
    assert regenerate(repo) == ([], [])
    assert chart_version(repo) == (version, digest)
    # a profile change is the profile's files only: same chart version, and a new version of that
    # profile's packaged chart alone
    assert (profile_version(repo, "other"), profile_version(repo, "cilium-exporter")) == ("0.1.0", "0.1.0")
    (repo / "values" / "other.yaml").write_text(OTHER.replace("all.log", "every.log"))
    assert regenerate(repo) == (OTHER_FILES, [])
    assert chart_version(repo) == (version, digest)
    assert (profile_version(repo, "other"), profile_version(repo, "cilium-exporter")) == ("0.1.1", "0.1.0")
    # a chart change: new content hash, patch bump; regenerating again keeps it
    with monkeypatch.context() as patched:
        with_extra_chart_value(patched)
        regenerate(repo)
        bumped, new_digest = chart_version(repo)
        assert (bumped, new_digest != digest) == ("0.1.1", True)
        # every profile's package holds the chart: each gets a new version
        assert (profile_version(repo, "other"), profile_version(repo, "cilium-exporter")) == ("0.1.2", "0.1.1")
        assert regenerate(repo) == ([], [])
    # reverting is a change too (the version never goes back)
    regenerate(repo)
    assert chart_version(repo) == ("0.1.2", digest)


def test_a_fleet_change_does_not_bump_the_chart(repo):
    fleet = repo / "values" / "fleet.yaml"
    fleet.write_text(fleet.read_text().replace("https://b.example.com", "https://b2.example.com"))
    assert regenerate(repo) == (["gitops/applicationset.yaml"], [])
    assert chart_version(repo)[0] == "0.1.0"


def test_a_hand_raised_version_is_kept_and_bumped_from(repo, monkeypatch):
    """Raising the minor version by hand is allowed: the generator keeps it, then patch-bumps from it."""
    chart_yaml = repo / "chart" / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 0.1.0", "version: 0.2.0"))
    assert regenerate(repo) == ([], [])
    with_extra_chart_value(monkeypatch)
    regenerate(repo)
    assert chart_version(repo)[0] == "0.2.1"


# ---------------------------------------------------------------- only dependent files change


def test_changing_one_profile_changes_only_its_files(repo):
    (repo / "values" / "other.yaml").write_text(OTHER.replace("all.log", "every.log"))
    assert regenerate(repo) == (OTHER_FILES, [])


def test_one_profile_change_leaves_every_other_profile_rendering_byte_for_byte(repo):
    """The rendered manifests of the profiles not edited stay the same, labels included, so their
    Argo CD Applications stay in sync and their hook Jobs do not run again."""
    from flowlogs.helm import EmbeddedHelm
    from flowlogs.rendering import profile_values_files, render_profile

    shipped = ("calico-l7", "both")
    for name in shipped:
        write_profile(repo / "values", name, (VALUES / f"{name}.yaml").read_text(encoding="utf-8"))
    regenerate(repo)
    engine = EmbeddedHelm()

    def rendered() -> dict[str, str]:
        return {
            name: render_profile(engine, repo / "chart", path, "flowlogs", "flowlogs-system", "1.31.0")
            for name, path in profile_values_files(repo / "chart")
        }

    before = rendered()
    (repo / "values" / "cilium-exporter.yaml").write_text(CILIUM.replace("direction: egress", "direction: ingress"))
    regenerate(repo)
    after = rendered()
    assert before["cilium-exporter"] != after["cilium-exporter"]
    assert {name: after[name] for name in after if name != "cilium-exporter"} == {
        name: before[name] for name in before if name != "cilium-exporter"
    }
    assert set(after) == {"cilium-exporter", "other", *shipped}


def test_changing_a_profile_description_changes_the_list_of_profiles_and_its_package(repo):
    (repo / "values" / "other.yaml").write_text(OTHER.replace("Every flow", "All flows"))
    assert regenerate(repo) == (["chart/profiles/README.md", "chart/profiles/other/Chart.yaml"], [])
    assert profile_version(repo, "other") == "0.1.1"


def test_changing_a_profile_used_by_a_parameter_changes_the_applicationset(repo):
    """With a cilium-namespace override in the fleet, every element carries its profile's namespace."""
    fleet = repo / "values" / "fleet.yaml"
    fleet.write_text(fleet.read_text() + "    overrides:\n      cilium-namespace: cilium\n")
    assert regenerate(repo) == (["gitops/applicationset.yaml"], [])
    (repo / "values" / "cilium-exporter.yaml").write_text(
        CILIUM.replace('  version: "1.17"\n', '  version: "1.17"\n  config-map:\n    namespace: cilium-system\n')
    )
    written, removed = regenerate(repo)
    assert (written, removed) == (
        # cilium-values.yaml names the namespace in its header (helm upgrade --namespace)
        [
            "chart/ci/cilium-exporter-values.yaml",
            "chart/profiles/cilium-exporter/Chart.yaml",
            "chart/profiles/cilium-exporter/cilium-release-values.yaml",
            "chart/profiles/cilium-exporter/cilium-values.yaml",
            "chart/profiles/cilium-exporter/values.yaml",
            "gitops/applicationset.yaml",
        ],
        [],
    )
    elements = yaml.safe_load((repo / "gitops" / "applicationset.yaml").read_text())["spec"]["generators"][0]["list"][
        "elements"
    ]
    assert [e["ciliumNamespace"] for e in elements] == ["cilium-system", "cilium"]


def test_adding_a_profile_adds_its_files(repo):
    write_profile(repo / "values", "third", OTHER.replace("all.log", "third.log"))
    written, removed = regenerate(repo)
    assert removed == []
    assert written == [
        "chart/ci/third-values.yaml",
        "chart/profiles/README.md",
        "chart/profiles/third/Chart.yaml",
        "chart/profiles/third/cilium-release-values.yaml",
        "chart/profiles/third/cilium-values.yaml",
        "chart/profiles/third/values.yaml",
        "gitops/applications/third.yaml",
    ]


def test_removing_a_profile_removes_its_files_and_nothing_else(repo):
    fleet = repo / "values" / "fleet.yaml"
    fleet.write_text(fleet.read_text().split("  - name: b\n")[0])
    regenerate(repo)
    (repo / "values" / "other.yaml").unlink()
    written, removed = regenerate(repo)
    assert removed == [
        "chart/ci/other-values.yaml",
        "chart/profiles/other/Chart.yaml",
        "chart/profiles/other/cilium-release-values.yaml",
        "chart/profiles/other/cilium-values.yaml",
        "chart/profiles/other/values.yaml",
        "gitops/applications/other.yaml",
    ]
    assert written == ["chart/profiles/README.md"]
    assert not (repo / "chart" / "profiles" / "other").exists()
    assert (repo / "gitops" / "applications" / "cilium-exporter.yaml").is_file()


def test_removing_a_profile_the_fleet_uses_is_an_error(run_cli, repo):
    (repo / "values" / "other.yaml").unlink()
    result = run_cli(*ARGS, "generate")
    assert result.code == 1
    assert "values/fleet.yaml:9:14: error: unknown profile 'other' for cluster 'b'" in result.err
    assert (repo / "gitops" / "applications" / "other.yaml").is_file()  # nothing was written


def test_the_plan_is_deterministic(repo):
    first, second = plan(repo / "values", repo / "chart"), plan(repo / "values", repo / "chart")
    assert first.chart_files and first.gitops_files
    assert (first.chart_files, first.gitops_files) == (second.chart_files, second.gitops_files)


# ---------------------------------------------------------------- flowlogs diff


def test_diff_without_changes(run_cli, repo):
    result = run_cli(*ARGS, "diff")
    assert result.code == 0, result.err
    assert result.out == (
        "== cilium-exporter: no change in the rendered manifests\n"
        "== other: no change in the rendered manifests\n"
        "0 of 2 profile(s) would render differently after `flowlogs generate`\n"
    )


def test_diff_shows_the_rendered_change_of_each_profile(run_cli, repo):
    profile = repo / "values" / "cilium-exporter.yaml"
    profile.write_text(CILIUM.replace("direction: egress", "direction: ingress"))
    result = run_cli(*ARGS, "diff")
    assert result.code == 0, result.err
    out = result.out
    assert "== cilium-exporter: changed\n" in out
    assert (
        "--- cilium-exporter: rendered from chart/ (committed)\n+++ cilium-exporter: rendered after `flowlogs "
        "generate`\n" in out
    )
    assert "-        - EGRESS\n+        - INGRESS\n" in out
    assert "helm.sh/chart: flowlogs-0.1.1" not in out  # a profile change keeps the chart version
    assert "== other: no change in the rendered manifests\n" in out
    assert out.endswith("1 of 2 profile(s) would render differently after `flowlogs generate`\n")
    # diff writes nothing; --exit-code turns a change into exit 1
    assert run_cli(*ARGS, "check").code == 1
    assert run_cli(*ARGS, "diff", "--exit-code").code == 1
    assert run_cli(*ARGS, "diff", "--exit-code", "other").code == 0


def test_diff_of_an_added_and_a_removed_profile(run_cli, repo):
    fleet = repo / "values" / "fleet.yaml"
    fleet.write_text(fleet.read_text().split("  - name: b\n")[0])
    (repo / "values" / "other.yaml").unlink()
    write_profile(repo / "values", "third", OTHER.replace("all.log", "third.log"))
    result = run_cli(*ARGS, "diff", "other", "third")
    assert result.code == 0, result.err
    assert "== other: removed\n--- other: rendered from chart/ (committed)\n+++ /dev/null\n" in result.out
    assert "== third: added\n--- /dev/null\n+++ third: rendered after `flowlogs generate`\n" in result.out
    assert "+      filePath: /var/run/cilium/hubble/third.log\n" in result.out


def test_diff_uses_the_fleet_release_settings(repo):
    fleet = repo / "values" / "fleet.yaml"
    fleet.write_text(fleet.read_text().replace("gitops:\n", "gitops:\n  release-name: flows\n"))
    write_profile(repo / "values", "third", OTHER.replace("all.log", "third.log"))
    (result,) = rendered_diff(repo / "values", repo / "chart", ["third"])
    assert result.status is DiffStatus.ADDED
    assert "app.kubernetes.io/instance: flows\n" in result.diff


def test_diff_of_an_unknown_profile(run_cli, repo):
    result = run_cli(*ARGS, "diff", "nope")
    assert result.code == 1
    assert result.err == "flowlogs: error: unknown profile(s) nope; profiles: cilium-exporter, other\n"


def test_diff_before_the_first_generate(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path / "values", "cilium-exporter", CILIUM)
    result = run_cli(*ARGS, "diff")
    assert result.code == 0, result.err
    assert "== cilium-exporter: added\n" in result.out
    assert not (tmp_path / "chart").exists()


def test_diff_when_the_committed_chart_no_longer_renders(run_cli, repo):
    template = repo / "chart" / "templates" / "cilium" / "configmap.yaml"
    template.write_text("{{ .Values.nope.broken }}\n")
    result = run_cli(*ARGS, "diff", "other")
    assert result.code == 0
    assert "flowlogs: warning: the committed chart does not render profile 'other'" in result.err
    assert "== other: changed\n" in result.out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ("--gitops-dir", "chart/gitops"),
            "the gitops directory ({root}/chart/gitops) must not be inside the generated chart directory "
            "({root}/chart)",
        ),
        (
            ("--gitops-dir", "values"),
            "the values directory ({root}/values) must not be inside the generated gitops directory ({root}/values)",
        ),
    ],
)
def test_generated_trees_may_not_overlap(run_cli, repo, flags, message):
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    result = run_cli(*ARGS, *flags, "generate")
    assert result.code == 1
    assert result.err == f"flowlogs: error: {message.format(root=repo.resolve())}\n"
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before


# ---------------------------------------------------------------- what generate may touch


def test_the_output_does_not_depend_on_the_working_directory_or_hash_seed(run_cli, repo, monkeypatch):
    """Headers name sources from the repository root: running elsewhere (CI, pre-commit, a subshell) changes nothing."""
    import os
    import subprocess
    import sys

    elsewhere = repo / "chart" / "templates"
    for seed in ("1", "2"):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "flowlogs.cli",
                "--values-dir",
                str(repo / "values"),
                "--chart-dir",
                str(repo / "chart"),
                "check",
            ],
            cwd=elsewhere,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    # `.` as the chart directory is named chart/ in the output, like every other spelling of it.
    monkeypatch.chdir(repo / "chart")
    result = run_cli("--values-dir", "../values", "--chart-dir", ".", "--gitops-dir", "../gitops", "check")
    assert result.code == 0, result.out + result.err


def test_generate_refuses_a_directory_it_did_not_generate(run_cli, repo):
    (repo / "docs").mkdir()
    (repo / "docs" / "notes.md").write_text("mine\n")
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    result = run_cli(*ARGS, "--gitops-dir", "docs", "generate")
    assert result.code == 1
    assert result.err == (
        "flowlogs: error: docs was not generated by flowlogs (none of its files carries 'Generated by flowlogs'), "
        "and generating would overwrite or remove its 1 file(s); point the option at the generated directory, "
        "or at a new or empty one\n"
    )
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before  # the chart was not written either


def test_a_file_added_to_a_generated_directory_is_removed(repo):
    (repo / "gitops" / "applications" / "hand-made.yaml").write_text("kind: Application\n")
    assert regenerate(repo) == ([], ["gitops/applications/hand-made.yaml"])


def test_check_reports_a_stray_binary_file(run_cli, repo):
    (repo / "chart" / ".DS_Store").write_bytes(b"\x00\xff\xfe\x00")
    result = run_cli(*ARGS, "check")
    assert result.code == 1
    assert "--- chart/.DS_Store\n+++ /dev/null\n" in result.out


def test_a_merge_conflict_in_chart_yaml_continues_from_the_highest_version(repo):
    """Two branches each bumped the chart: resolving by regenerating never takes the version back."""
    chart_yaml = repo / "chart" / "Chart.yaml"
    chart_yaml.write_text(
        chart_yaml.read_text().replace(
            "version: 0.1.0\n", "<<<<<<< HEAD\nversion: 0.1.4\n=======\nversion: 0.1.7\n>>>>>>> topic\n"
        )
    )
    regenerate(repo)
    assert chart_version(repo)[0] == "0.1.8"


def test_a_chart_version_that_cannot_be_raised_is_an_error(run_cli, repo, monkeypatch):
    chart_yaml = repo / "chart" / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 0.1.0", "version: latest"))
    assert run_cli(*ARGS, "check").code == 0  # unchanged content keeps a hand-set version
    with_extra_chart_value(monkeypatch)
    result = run_cli(*ARGS, "generate")
    assert result.code == 1
    assert result.err.startswith(
        "flowlogs: error: chart/Chart.yaml:6:10: chart version 'latest' is not MAJOR.MINOR.PATCH"
    )

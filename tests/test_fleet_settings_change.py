"""A fleet setting changed (issue 23): `repo-url` lands in every Application and the
ApplicationSet, and `generate` printed ~30 lines, the notes of every profile again, those no
cluster uses included. It says what changed once, and repeats no profile's notes."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROOT, CliResult, load_yaml

OLD_URL = "https://github.com/example-org/flowlogs.git"
NEW_URL = "https://github.com/acme/flowlogs.git"


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., CliResult]) -> Path:
    shutil.copytree(ROOT / "values", tmp_path / "values")
    monkeypatch.chdir(tmp_path)
    assert run_cli("generate", "--quiet").code == 0
    return tmp_path


def kinds_with_repository(gitops: Path, url: str) -> list[str]:
    """The kind of each generated manifest that names `url` as a source (read from the files)."""
    found = []
    for path in sorted(gitops.rglob("*.yaml")):
        text = path.read_text()
        if re.search(rf"repoURL: '?{re.escape(url)}'?$", text, re.M):
            found.append(load_yaml(text)["kind"])
    return found


def test_repo_url_change_is_said_once(repository: Path, run_cli: Callable[..., CliResult]) -> None:
    fleet = repository / "values" / "fleet.yaml"
    fleet.write_text(fleet.read_text().replace(OLD_URL, NEW_URL))
    result = run_cli("generate")
    assert result.code == 0, result.err
    kinds = kinds_with_repository(repository / "gitops", NEW_URL)
    assert sorted(kinds) == ["Application"] * 5 + ["ApplicationSet"]
    assert kinds_with_repository(repository / "gitops", OLD_URL) == []
    assert result.out.splitlines()[0] == f"gitops/: repoURL {OLD_URL} -> {NEW_URL} in 5 Applications, 1 ApplicationSet"
    assert (
        result.out.splitlines()[-1]
        == "generated chart/ and gitops/ from 5 profile(s) and 5 cluster(s): 6 written, 0 removed, 47 unchanged"
    )
    # No profile changed: only the fleet file's own notes (about its clusters), each once.
    sources = {line.split(":")[0] for line in result.err.splitlines() if not line.startswith(" ")}
    assert sources == {"values/fleet.yaml"}
    assert len(result.err.splitlines()) == 2


def test_two_settings_changed_are_two_lines_and_a_profile_edit_still_shows_its_notes(
    repository: Path, run_cli: Callable[..., CliResult]
) -> None:
    fleet = repository / "values" / "fleet.yaml"
    fleet.write_text(fleet.read_text().replace(OLD_URL, NEW_URL).replace("revision: main", "revision: release-2"))
    profile = repository / "values" / "cilium-exporter.yaml"
    profile.write_text(profile.read_text().replace("direction: egress", "direction: ingress"))
    result = run_cli("generate")
    assert result.code == 0, result.err
    assert result.out.splitlines()[:2] == [
        f"gitops/: repoURL {OLD_URL} -> {NEW_URL} in 5 Applications, 1 ApplicationSet",
        "gitops/: targetRevision main -> release-2 in 5 Applications, 1 ApplicationSet",
    ]
    sources = {line.split(":")[0] for line in result.err.splitlines() if not line.startswith(" ")}
    assert sources == {"values/fleet.yaml", "values/cilium-exporter.yaml"}
    again = run_cli("generate")
    assert (again.err, again.out.splitlines()[0]) == (
        "",
        "  both                     Cilium 1.18: 1 flow log(s); Calico Enterprise 3.20: 3 Felix field(s), 2 "
        "selection(s), patched by job",
    )


def test_a_setting_changed_with_a_cluster_added_is_still_said_once(
    repository: Path, run_cli: Callable[..., CliResult]
) -> None:
    # The ApplicationSet gains lines (the new cluster's element): its changed lines are paired around them.
    fleet = repository / "values" / "fleet.yaml"
    added = "  - name: dev-2\n    server: https://dev-2.k8s.example.com:6443\n    profile: cilium-exporter\n"
    fleet.write_text(fleet.read_text().replace(OLD_URL, NEW_URL).replace("clusters:\n", "clusters:\n" + added))
    result = run_cli("generate")
    assert result.code == 0, result.err
    assert sorted(kinds_with_repository(repository / "gitops", NEW_URL)) == ["Application"] * 5 + ["ApplicationSet"]
    assert result.out.splitlines()[0] == f"gitops/: repoURL {OLD_URL} -> {NEW_URL} in 5 Applications, 1 ApplicationSet"
    assert not result.out.splitlines()[1].startswith("gitops/")

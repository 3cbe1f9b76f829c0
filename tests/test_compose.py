"""Composed profiles (issue 15, fleets): `compose: [base, team-a]` merges profiles into one
exporter configuration and one Calico selection; conflicts name both files."""

from __future__ import annotations

import pytest
import yaml

from conftest import write_profile

BASE = """\
description: Policy drops everywhere.
cilium:
  version: "1.19"
  flow-logs:
    - name: policy-drops
      file: /var/run/cilium/hubble/policy-drops.log
      include:
        - verdict: dropped
          drop-reason: policy-denied
"""
TEAM_A = """\
cilium:
  flow-logs:
    - name: shop
      file: stdout
      include:
        - namespace: shop
calico:
  version: "3.19"
  services:
    - namespace: shop
      name: [frontend]
"""
TEAM_B = """\
calico:
  version: "3.19"
  services:
    - namespace: pay
      name: [api]
"""
CLASH = """\
cilium:
  version: "1.18"
  flow-logs:
    - name: policy-drops
      file: /var/run/cilium/hubble/c.log
    - name: other
      file: /var/run/cilium/hubble/policy-drops.log
"""


@pytest.fixture
def values(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, text in (("base", BASE), ("team-a", TEAM_A), ("team-b", TEAM_B), ("clash", CLASH)):
        write_profile(tmp_path / "values", name, text)
    return tmp_path / "values"


def compiled(root, name):
    return yaml.safe_load((root / "chart/profiles" / name / "values.yaml").read_text(encoding="utf-8"))


def test_profiles_merge_into_one_exporter_configuration_and_one_selection(values, run_cli):
    write_profile(
        values, "prod-eu", "description: Base plus the shop and pay teams.\ncompose: [base, team-a, team-b]\n"
    )
    values.joinpath("clash.yaml").unlink()
    result = run_cli("generate")
    assert result.code == 0, result.err
    merged = compiled(values.parent, "prod-eu")
    assert [f["name"] for f in merged["cilium"]["flowLogs"]] == ["policy-drops", "shop"]
    assert (
        merged["cilium"]["flowLogs"]
        == compiled(values.parent, "base")["cilium"]["flowLogs"]
        + compiled(values.parent, "team-a")["cilium"]["flowLogs"]
    )
    assert sorted(s["namespace"] for s in merged["calico"]["services"]) == ["pay", "shop"]
    assert (
        "| `prod-eu` | `values/prod-eu.yaml` | Cilium 1.19, Calico Enterprise 3.19 | Base plus the shop and pay teams. "
        "|" in (values.parent / "chart/profiles/README.md").read_text()
    )


def test_conflicts_name_both_files(values, run_cli):
    write_profile(values, "prod-us", "compose: [base, clash]\n")
    result = run_cli("render", "prod-us")
    assert result.code == 1
    assert result.err.splitlines() == [
        "values/clash.yaml:2:12: error: 'cilium.version' is '1.18' here but '1.19' in values/base.yaml:3:12 (composed "
        "into values/prod-us.yaml)",
        "  hint: a composed profile takes each value from one file: set it the same in both, or in one of them only",
        "values/clash.yaml:4:13: error: name 'policy-drops' is used by two profiles composed into values/prod-us.yaml: "
        "here and in values/base.yaml:5:13",
        "  hint: a composed profile merges the lists of its profiles: give each entry its own name",
        "values/clash.yaml:7:13: error: file '/var/run/cilium/hubble/policy-drops.log' is used by two profiles "
        "composed into values/prod-us.yaml: here and in values/base.yaml:6:13",
        "  hint: a composed profile merges the lists of its profiles: give each entry its own file",
        "flowlogs: 3 errors in profiles or the fleet file; nothing was written",
    ]


def test_errors_of_a_composed_value_point_into_its_file(values, run_cli):
    write_profile(
        values,
        "team-c",
        "cilium:\n  flow-logs:\n    - name: c\n      file: /var/run/cilium/hubble/c.log\n      include:\n        - "
        "drop-reason: policy-denyy\n",
    )
    write_profile(values, "prod", "compose: [base, team-c]\n")
    result = run_cli("render", "prod")
    assert result.code == 1
    assert result.err.startswith(
        "values/team-c.yaml:6:24: error: unknown drop reason 'policy-denyy' for Cilium 1.19; did you mean "
        "'policy-deny'?\n"
    )


def test_unknown_and_circular_compositions(values, run_cli):
    write_profile(values, "typo", "compose: [bsae]\n")
    result = run_cli("render", "typo")
    assert (
        result.err.splitlines()[0]
        == "values/typo.yaml:1:11: error: unknown profile 'bsae' to compose; did you mean 'base'?"
    )
    write_profile(values, "loop-a", "compose: [loop-b]\n")
    write_profile(values, "loop-b", "compose: [loop-a]\n")
    result = run_cli("render", "loop-a")
    assert (
        "values/loop-b.yaml:1:11: error: profile 'loop-a' composes itself (through loop-a -> loop-b -> loop-a)"
        in result.err.splitlines()
    )


def test_a_composed_profile_adds_its_own_sections_last(values, run_cli):
    write_profile(
        values,
        "own",
        'compose: [base]\ncilium:\n  version: "1.19"\n  flow-logs:\n    - name: mine\n      file: stdout\n',
    )
    result = run_cli("render", "own")
    assert result.code == 0, result.err
    assert result.out.index("name: policy-drops") < result.out.index("name: mine")

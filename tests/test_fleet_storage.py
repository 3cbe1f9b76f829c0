"""A fleet's per-cluster node counts are checked against the profile's stated log storage."""

from __future__ import annotations

import shutil

from conftest import VALUES, write_profile

FLEET = """gitops:
  repo-url: https://git.example.com/flowlogs.git
clusters:
  - name: {name}
    server: https://{name}.example.com:6443
    profile: calico-l7
    overrides:
      nodes: {nodes}
"""


def run(run_cli, tmp_path, name: str, nodes: int):
    shutil.copy(VALUES / "calico-l7.yaml", tmp_path / "values" / "calico-l7.yaml")
    write_profile(tmp_path / "values", "fleet", FLEET.format(name=name, nodes=nodes))
    return run_cli("--values-dir", str(tmp_path / "values"), "--chart-dir", str(tmp_path / "chart"), "generate")


def test_a_cluster_too_big_for_the_stated_storage_is_refused(run_cli, tmp_path):
    (tmp_path / "values").mkdir()
    result = run(run_cli, tmp_path, "big", 80)
    assert result.code == 1
    assert (
        "values/fleet.yaml:8:14: error: cluster 'big': 80 nodes x 1 day(s) need at least 80 GB of extra log storage "
        "for L7 logs; profile 'calico-l7' states 50 GB"
    ) in result.err.replace(str(tmp_path) + "/", "")
    assert not (tmp_path / "chart").exists()


def test_a_cluster_within_the_stated_storage_passes(run_cli, tmp_path):
    (tmp_path / "values").mkdir()
    result = run(run_cli, tmp_path, "small", 10)
    assert result.code == 0, result.err
    assert "cluster 'small'" not in result.err

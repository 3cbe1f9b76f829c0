"""`flowlogs validate --fleet`: every cluster's release as Argo CD renders it, each distinct one once.

A cluster's values are its profile's compiled values, then the named overrides as Helm
parameters, then `overrides.values` (Argo CD's helm.valuesObject), as the ApplicationSet the
generator writes hands them to Helm (see gitops/manifests.py and value_overrides.py).
"""

from __future__ import annotations

import json

from conftest import VALUES, write_profile
from flowlogs.generate import plan
from flowlogs.gitops.cluster_values import cluster_groups

FLEET = """\
gitops:
  repo-url: https://git.example.com/platform/flowlogs.git
clusters:
  - {name: a, server: "https://a.example.com", profile: cilium-exporter}
  - {name: b, server: "https://b.example.com", profile: cilium-exporter}
  - {name: c, server: "https://c.example.com", profile: cilium-exporter, overrides: {cilium-namespace: cilium}}
  - {name: d, server: "https://d.example.com", profile: calico-l7, overrides: {nodes: 3}}
  - {name: e, server: "https://e.example.com", profile: calico-l7, overrides: {values: {commonLabels: {team: net}}}}
"""


def repository(tmp_path):
    values = tmp_path / "values"
    for name in ("cilium-exporter", "calico-l7"):
        write_profile(values, name, (VALUES / f"{name}.yaml").read_text(encoding="utf-8"))
    (values / "fleet.yaml").write_text(FLEET, encoding="utf-8")
    return values


def test_clusters_that_deploy_the_same_values_are_one_group(tmp_path):
    values = repository(tmp_path)
    built = plan(values, tmp_path / "chart")
    groups = cluster_groups(built.fleet, {p.name: p for p in built.profiles})
    assert [(g.profile, g.clusters) for g in groups] == [
        ("cilium-exporter", ("a", "b")),
        ("cilium-exporter", ("c",)),
        ("calico-l7", ("d",)),  # nodes is a preflight fact, not a chart value
        ("calico-l7", ("e",)),
    ]
    assert groups[1].values["cilium"]["configMap"]["namespace"] == "cilium"
    assert groups[3].values["commonLabels"] == {"team": "net"}
    assert groups[2].values == next(p for p in built.profiles if p.name == "calico-l7").values


def test_validate_fleet_renders_each_group_once(run_cli, tmp_path):
    values = repository(tmp_path)
    result = run_cli(
        "--values-dir",
        str(values),
        "--chart-dir",
        str(tmp_path / "chart"),
        "validate",
        "--fleet",
        "--embedded-only",
        "-o",
        "json",
    )
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    profiles = {r["profile"] for r in report["resources"]} if "resources" in report else set()
    assert profiles == {
        "cilium-exporter [2 cluster(s): a, b]",
        "cilium-exporter [1 cluster(s): c]",
        "calico-l7 [1 cluster(s): d]",
        "calico-l7 [1 cluster(s): e]",
    }
    assert not (tmp_path / "chart").exists()  # nothing written


def test_validate_fleet_needs_clusters(run_cli, tmp_path):
    values = repository(tmp_path)
    (values / "fleet.yaml").write_text("gitops:\n  repo-url: https://git.example.com/platform/flowlogs.git\n")
    result = run_cli("--values-dir", str(values), "--chart-dir", str(tmp_path / "chart"), "validate", "--fleet")
    assert result.code == 1
    assert "--fleet: the fleet file in" in result.err and "lists no clusters" in result.err

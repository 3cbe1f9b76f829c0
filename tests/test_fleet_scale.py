"""Fleets at scale (issue 23): the input limits bound what an attack needs (alias expansion
relative to what the file writes, nesting depth), not how many clusters an honest fleet lists.

A 10,000-cluster fleet file (~900 KB, 70,000 values) was refused twice: "larger than 262144
bytes", then "expands to more than 20000 values". It is read now; a 256-byte alias bomb, a
deeper bomb hidden in that large fleet and deep nesting are still refused at their positions.
The ratio is the billion-laughs defence go-yaml v3 uses for Kubernetes and Helm (gopkg.in/yaml.v3
decode.go, `allowedAliasRatio`); the counts below are made from PyYAML's own events and
constructed data, not from flowlogs' counter.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from conftest import CliResult, load_yaml
from flowlogs.inputs import EXPANSION_RATIO, FLEET_LIMITS, PROFILE_LIMITS, InputRefused, check_yaml_events

PROFILES = ("cilium-exporter", "calico-l7", "both", "cilium-aggregation")
HEADER = "gitops:\n  repo-url: https://github.com/example-org/flowlogs.git\n  revision: main\nclusters:\n"


def fleet_text(clusters: int, *, anchored: bool = False) -> str:
    """`clusters` clusters over the shipped profiles; `anchored`: the Cilium clusters share one
    overrides mapping through an anchor and aliases, as a YAML user would write it."""
    lines = []
    for index in range(clusters):
        profile = PROFILES[index % len(PROFILES)]
        lines += [
            f"  - name: c-{index:05d}",
            f"    server: https://c-{index:05d}.k8s.example.com:6443",
            f"    profile: {profile}",
        ]
        if anchored and profile.startswith("cilium"):
            lines.append("    overrides: *ns" if index else "    overrides: &ns {cilium-namespace: cilium}")
    return HEADER + "\n".join(lines) + "\n"


def written_values(text: str) -> int:
    """Values as the file writes them: PyYAML's node events (a scalar, an alias, each mapping or list)."""
    return sum(
        type(e).__name__ in ("ScalarEvent", "AliasEvent", "MappingStartEvent", "SequenceStartEvent")
        for e in yaml.parse(text, Loader=yaml.CSafeLoader)
    )


def expanded_values(node: yaml.Node, counted: dict[int, int] | None = None) -> int:
    """Values of PyYAML's composed node graph, each alias counted as the whole node it shares
    (walked once per node: a bomb's 4.8 million values are counted in milliseconds)."""
    counted = {} if counted is None else counted
    if id(node) not in counted:
        if isinstance(node, yaml.MappingNode):
            counted[id(node)] = 1 + sum(
                expanded_values(key, counted) + expanded_values(value, counted) for key, value in node.value
            )
        elif isinstance(node, yaml.SequenceNode):
            counted[id(node)] = 1 + sum(expanded_values(item, counted) for item in node.value)
        else:
            counted[id(node)] = 1
    return counted[id(node)]


def generate(run_cli: Callable[..., CliResult], workspace: Path, monkeypatch: pytest.MonkeyPatch) -> CliResult:
    monkeypatch.chdir(workspace)  # messages name files as users typed them: values/fleet.yaml
    return run_cli("--values-dir", "values", "--chart-dir", "chart", "generate")


def test_ten_thousand_cluster_fleet_is_generated(
    run_cli: Callable[..., CliResult], workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = fleet_text(10_000)
    # Past both old limits: 256 KiB, and 20,000 values.
    assert len(text.encode()) > 3 * 256 * 1024 and written_values(text) > 3 * 20_000
    (workspace / "values" / "fleet.yaml").write_text(text)
    result = generate(run_cli, workspace, monkeypatch)
    assert result.code == 0, result.err
    assert (
        result.out.splitlines()[-1]
        == "generated chart/ and gitops/ from 5 profile(s) and 10000 cluster(s): 53 written, 0 removed, 0 unchanged"
    )
    [generator] = load_yaml((workspace / "gitops" / "applicationset.yaml").read_text())["spec"]["generators"]
    elements = generator["list"]["elements"]
    assert len(elements) == 10_000
    assert elements[-1] == {
        "cluster": "c-09999",
        "server": "https://c-09999.k8s.example.com:6443",
        "profile": "cilium-aggregation",
    }


def test_fleet_that_shares_overrides_by_aliases_is_read(
    run_cli: Callable[..., CliResult], workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 500 aliases: the old limit was 100 per file, though an alias costs no more than the values it repeats.
    text = fleet_text(1_000, anchored=True)
    assert text.count("*ns") == 499
    (workspace / "values" / "fleet.yaml").write_text(text)
    result = generate(run_cli, workspace, monkeypatch)
    assert result.code == 0, result.err
    [generator] = load_yaml((workspace / "gitops" / "applicationset.yaml").read_text())["spec"]["generators"]
    elements = generator["list"]["elements"]
    # The aliased override reached every Cilium cluster; the others keep their profile's namespace.
    assert len(elements) == 1_000
    assert {e["profile"]: e["ciliumNamespace"] for e in elements} == {
        "cilium-exporter": "cilium",
        "cilium-aggregation": "cilium",
        "both": "kube-system",
        "calico-l7": "kube-system",
    }


def test_alias_bomb_hidden_in_a_large_fleet_is_refused_at_its_first_alias(
    run_cli: Callable[..., CliResult], workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seven levels of nine: 9^7 = 4.8 million values from 70 written, appended to 10,000 honest clusters.
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(6)
    )
    text = fleet_text(10_000) + bomb
    written = written_values(text)
    expanded = expanded_values(yaml.compose(text, Loader=yaml.CSafeLoader))
    assert expanded > EXPANSION_RATIO * written > FLEET_LIMITS.min_nodes
    (workspace / "values" / "fleet.yaml").write_text(text)
    result = generate(run_cli, workspace, monkeypatch)
    assert result.code == 1
    first, hint = result.err.splitlines()[:2]
    where, message = first.split(": error: ")
    line, column = (int(n) for n in where.split(":")[1:])
    assert message == (
        f"the fleet file expands to more than {EXPANSION_RATIO * written} values from the {written} it writes "
        "(aliases repeat their anchor's values)"
    )
    assert hint == (
        "  hint: an alias bomb? aliases may expand a file to 10 times the values it writes (at least 20000); write "
        "the values out, or use fewer aliases"
    )
    # At an alias of the bomb, not at the honest clusters before it.
    assert line > text.count("\n") - 7 and text.splitlines()[line - 1][column - 1] == "*"
    assert not (workspace / "chart").exists()


def ratio_document(aliases: int) -> str:
    return "a: &a [" + ", ".join(["x"] * 30) + "]\nb: [" + ", ".join(["*a"] * aliases) + "]\n"


def test_expansion_ratio_is_the_boundary() -> None:
    """With no floor, a document may expand to exactly EXPANSION_RATIO times what it writes."""
    limits = dataclasses.replace(PROFILE_LIMITS, min_nodes=0)

    def ratio(aliases: int) -> tuple[int, int]:
        text = ratio_document(aliases)
        return expanded_values(yaml.compose(text, Loader=yaml.CSafeLoader)), written_values(text)

    # The most aliases whose expansion stays within the ratio, counted from PyYAML alone.
    most = max(n for n in range(1, 200) if ratio(n)[0] <= EXPANSION_RATIO * ratio(n)[1])
    assert 0 < most < 199
    check_yaml_events(yaml.parse(ratio_document(most)), limits, "ok.yaml")
    expanded, written = ratio(most + 1)
    assert expanded > EXPANSION_RATIO * written
    with pytest.raises(InputRefused) as refused:
        check_yaml_events(yaml.parse(ratio_document(most + 1)), limits, "over.yaml")
    assert refused.value.message == (
        f"the profile expands to more than {EXPANSION_RATIO * written} values from the {written} it writes "
        "(aliases repeat their anchor's values)"
    )
    # The first alias past the limit: the values before it and its own 31 pass it only there.
    line = ratio_document(most + 1).splitlines()[1]
    assert str(refused.value.location) == f"over.yaml:2:{line.rindex('*a') + 1}"


def test_bomb_is_refused_at_its_documents_end_before_a_loader_builds_it() -> None:
    """A loader builds each document of a stream as it reads it: the check runs at every
    document's end, before the parser reaches the next one (here a broken one)."""
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(5)
    )
    text = "---\nkind: ConfigMap\n---\n" + bomb + "---\n[\n"
    with pytest.raises(yaml.YAMLError):
        list(yaml.parse(text))
    with pytest.raises(InputRefused) as refused:
        check_yaml_events(yaml.parse(text), PROFILE_LIMITS, "x")
    assert str(refused.value) == (
        "x:8:11: the profile expands to more than 20000 values from the 70 it writes (aliases repeat their "
        "anchor's values)"
    )
    assert text.splitlines()[7][10:12] == "*d"


def test_fleet_file_size_limit_names_its_own_variable(
    run_cli: Callable[..., CliResult], workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "values" / "fleet.yaml").write_text(fleet_text(100))
    size = (workspace / "values" / "fleet.yaml").stat().st_size
    monkeypatch.setenv("FLOWLOGS_MAX_FLEET_BYTES", str(size - 1))
    result = generate(run_cli, workspace, monkeypatch)
    assert result.code == 1
    assert result.err.splitlines()[:2] == [
        f"values/fleet.yaml: error: the fleet file is larger than {size - 1} bytes",
        "  hint: no fleet file needs more; if this one does, set FLOWLOGS_MAX_FLEET_BYTES to a larger number of bytes",
    ]
    monkeypatch.setenv("FLOWLOGS_MAX_FLEET_BYTES", str(size))
    assert generate(run_cli, workspace, monkeypatch).code == 0
    # Profiles keep theirs: a fleet file's limit is not a profile's.
    assert os.environ.get("FLOWLOGS_MAX_PROFILE_BYTES") is None and PROFILE_LIMITS.byte_limit() == 256 * 1024


def test_deep_nesting_in_a_fleet_is_refused(
    run_cli: Callable[..., CliResult], workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = fleet_text(2) + "    overrides:\n      values: " + "[" * 100 + "]" * 100 + "\n"
    (workspace / "values" / "fleet.yaml").write_text(text)
    result = generate(run_cli, workspace, monkeypatch)
    assert result.code == 1
    assert result.err.splitlines()[:2] == [
        f"values/fleet.yaml:{text.count(chr(10))}:{15 + 60}: error: nested more than 64 levels deep",
        "  hint: no fleet file needs this nesting",
    ]

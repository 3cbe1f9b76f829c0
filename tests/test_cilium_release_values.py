"""The values flowlogs writes for Cilium's own chart, judged by Cilium's real charts (issue 23).

Ground truth: `helm template` (the real helm, .cache/bin/helm) of the chart of each supported minor
in ../shared/tools/cilium-charts (cilium 1.16.19, 1.17.17, 1.18.11, 1.19.5 as vendored by
cilium/cilium-cli), and `helm upgrade --help` of that helm for the printed command's flags.

- `cilium-values.yaml` hands the ConfigMap over: Cilium's chart creates no `cilium-flowlog-config`,
  mounts the one named, and points the agent at it (`hubble-flowlogs-config-path`);
- `cilium-release-values.yaml` carries the flow logs in Cilium's release: Cilium's chart writes the
  `flowlogs.yaml` flowlogs' own chart would, and the same agent settings;
- the printed `helm upgrade` never names a range and resets-then-reuses values.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import upstream_tools

from conftest import ROOT, SHARED, cli_in, load_yaml, load_yaml_all, run_cli_in, write_profile

HELM = ROOT / ".cache" / "bin" / "helm"
CHARTS = SHARED / "tools" / "cilium-charts"
CHART_RELEASES = {"1.16": "1.16.19", "1.17": "1.17.17", "1.18": "1.18.11", "1.19": "1.19.5"}

pytestmark = [
    pytest.mark.skipif(not CHARTS.is_dir(), reason=f"{CHARTS} not found: Cilium's charts are in ../shared"),
    pytest.mark.skipif(not HELM.is_file(), reason=f"no helm binary at {HELM}: run `make helm-binary`"),
]


def profile_text(minor: str, extra: str = "") -> str:
    # Rotation at the section: 1.16/1.17 take it agent-wide (top-level hubble.export.*), 1.18+ per flow log.
    rotation = "  rotation: {max-size-mb: 20, max-backups: 3}\n"
    return (
        f'cilium:\n  version: "{minor}"\n{extra}{rotation}  flow-logs:\n'
        "    - name: drops\n      file: /var/run/cilium/hubble/drops.log\n"
        "      include: [{verdict: dropped, namespace: shop}]\n      fields: [time, source, destination, verdict]\n"
        "    - name: dns\n      file: /var/run/cilium/hubble/dns.log\n      include: [{protocol: dns}]\n"
    )


def helm_template(chart: Path, values: Path, namespace: str = "kube-system") -> list[dict[str, Any]]:
    completed = upstream_tools.ask_helm("template", "cilium", chart, "-n", namespace, "-f", values)
    assert completed.returncode == 0, completed.stderr
    return [document for document in load_yaml_all(completed.stdout) if document]


def find(documents: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any] | None:
    return next((d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name), None)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with one profile per supported minor, generated."""
    root = tmp_path_factory.mktemp("cilium-release")
    for minor in CHART_RELEASES:
        write_profile(root / "values", f"cilium-{minor.replace('.', '-')}", profile_text(minor))
    assert run_cli_in(root, "generate") == 0
    return root


def flowlogs_configmap(root: Path, profile: str) -> dict[str, Any]:
    rendered = cli_in(root, "render", profile)
    assert rendered.code == 0, rendered.err
    documents = [d for d in load_yaml_all(rendered.out) if d]
    configmap = find(documents, "ConfigMap", "cilium-flowlog-config")
    assert configmap is not None
    return configmap


@pytest.mark.parametrize("minor", list(CHART_RELEASES))
def test_cilium_chart_hands_the_configmap_over(generated: Path, minor: str) -> None:
    profile = f"cilium-{minor.replace('.', '-')}"
    chart = CHARTS / f"cilium-{CHART_RELEASES[minor]}.tgz"
    documents = helm_template(chart, generated / "chart" / "profiles" / profile / "cilium-values.yaml")
    assert find(documents, "ConfigMap", "cilium-flowlog-config") is None  # flowlogs' chart owns it
    config = find(documents, "ConfigMap", "cilium-config")
    assert config is not None and config["data"]["hubble-flowlogs-config-path"] == "/flowlog-config/flowlogs.yaml"
    agent = find(documents, "DaemonSet", "cilium")
    assert agent is not None
    volumes = {v["name"]: v for v in agent["spec"]["template"]["spec"]["volumes"]}
    assert volumes["hubble-flowlog-config"]["configMap"] == {"name": "cilium-flowlog-config", "optional": True}


@pytest.mark.parametrize("minor", list(CHART_RELEASES))
def test_cilium_release_values_write_the_flowlogs_of_our_chart(generated: Path, minor: str) -> None:
    profile = f"cilium-{minor.replace('.', '-')}"
    chart = CHARTS / f"cilium-{CHART_RELEASES[minor]}.tgz"
    profiles = generated / "chart" / "profiles" / profile
    in_release = helm_template(chart, profiles / "cilium-release-values.yaml")
    handed_over = helm_template(chart, profiles / "cilium-values.yaml")
    theirs = find(in_release, "ConfigMap", "cilium-flowlog-config")
    assert theirs is not None and theirs["metadata"]["namespace"] == "kube-system"
    ours = flowlogs_configmap(generated, profile)
    assert load_yaml(theirs["data"]["flowlogs.yaml"]) == load_yaml(ours["data"]["flowlogs.yaml"])
    assert [entry["name"] for entry in load_yaml(theirs["data"]["flowlogs.yaml"])["flowLogs"]] == ["drops", "dns"]
    # The agent's settings are the same either way (1.16/1.17: the agent-wide rotation too).
    settings = [
        {k: v for k, v in find(documents, "ConfigMap", "cilium-config")["data"].items() if k.startswith("hubble-")}  # type: ignore[index]
        for documents in (in_release, handed_over)
    ]
    assert settings[0] == settings[1]
    if minor in ("1.16", "1.17"):
        assert (settings[0]["hubble-export-file-max-size-mb"], settings[0]["hubble-export-file-max-backups"]) == (
            "20",
            "3",
        )


def header_command(path: Path) -> list[str]:
    (line,) = [
        line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#   helm upgrade cilium")
    ]
    return shlex.split(line.removeprefix("#   "))


def upgrade_flags() -> set[str]:
    text = subprocess.run([str(HELM), "upgrade", "--help"], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"(--[a-z][a-z-]+)", text))


@pytest.mark.parametrize("file", ["cilium-values.yaml", "cilium-release-values.yaml"])
def test_the_printed_upgrade_pins_nothing_but_the_running_version(generated: Path, file: str) -> None:
    words = header_command(generated / "chart" / "profiles" / "cilium-1-18" / file)
    assert words == [
        "helm", "upgrade", "cilium", "cilium/cilium", "--namespace", "kube-system", "--version", "<VERSION>",
        "--reset-then-reuse-values", "-f", f"chart/profiles/cilium-1-18/{file}",
    ]  # fmt: skip
    assert {word for word in words if word.startswith("--")} <= upgrade_flags()
    text = (generated / "chart" / "profiles" / "cilium-1-18" / file).read_text(encoding="utf-8")
    assert "`helm get metadata cilium\n# -n kube-system` prints as VERSION" in text
    assert "--reuse-values -f" not in text and "--version ~" not in text


def test_a_profile_names_the_exact_chart_version(tmp_path: Path) -> None:
    write_profile(tmp_path / "values", "pinned", profile_text("1.19", '  chart-version: "1.19.4"\n'))
    assert run_cli_in(tmp_path, "generate") == 0
    for file in ("cilium-values.yaml", "cilium-release-values.yaml"):
        words = header_command(tmp_path / "chart" / "profiles" / "pinned" / file)
        assert words[words.index("--version") + 1] == "1.19.4"


def test_a_chart_version_of_another_minor_is_an_error(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profile(tmp_path / "values", "pinned", profile_text("1.19", '  chart-version: "1.18.6"\n'))
    monkeypatch.chdir(tmp_path)
    result = run_cli("generate")
    assert result.code == 1
    assert "values/pinned.yaml:3:18: error: chart-version 1.18.6 is not a release of Cilium 1.19" in result.err
    assert not (tmp_path / "chart").exists()
    write_profile(tmp_path / "values", "pinned", profile_text("1.19", '  chart-version: "~1.19.0"\n'))
    result = run_cli("generate")
    assert result.code == 1 and "values/pinned.yaml:3:18: error:" in result.err and "chart-version" in result.err

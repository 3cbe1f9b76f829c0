"""The README's cluster examples (`validate --cluster`, `status`) run against a real kube-apiserver and
print what the README shows.

The block after `<!-- cluster-examples -->` is a transcript: each `$ ` line runs, in order, in a
copy of values/, with KUBECONFIG naming a kubeconfig whose context `prod` is the test server
(the README's server URL stands for the test server's) and kubectl on PATH; its output must be
the lines shown. The cluster starts as the README's reader has it: flowlogs' release of
cilium-exporter installed (its rendered manifests, server-side applied as Helm 4 does) and
Cilium's release upgraded with the profile's overlay (`cilium-config` as Cilium's chart
renders it, ../shared/tools/cilium-charts).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, load_yaml_all
from flowlogs.cli import main
from tools import upstream_tools
from tools.calico_live import delete, server_side_apply
from tools.upstream_tools import KUBECTL, SHARED_TOOLS, ApiServer

MARKER = "<!-- cluster-examples -->"
README_SERVER = "https://127.0.0.1:6443"
HELM = ROOT / ".cache" / "bin" / "helm"


def examples() -> list[tuple[str, list[str]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split(MARKER, 1)[1].split("```console\n", 1)[1].split("```", 1)[0]
    commands: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        else:
            commands[-1][1].append(line)
    return commands


def test_readme_has_cluster_examples() -> None:
    commands = [command for command, _ in examples()]
    assert any("validate" in c and "--cluster" in c for c in commands)
    assert sum(" status " in c for c in commands) >= 2


def test_readme_cluster_examples(
    kube_apiserver: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if not HELM.is_file():
        pytest.skip(f"no helm binary at {HELM}: run `make helm-binary`")
    server = kube_apiserver
    shutil.copytree(ROOT / "values", tmp_path / "values")
    monkeypatch.chdir(tmp_path)
    config = yaml.safe_load(server.kubeconfig.read_text(encoding="utf-8"))
    config["contexts"][0]["name"] = config["current-context"] = "prod"
    (tmp_path / "kubeconfig").write_text(yaml.safe_dump(config), encoding="utf-8")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    monkeypatch.setenv("PATH", f"{KUBECTL.parent}{os.pathsep}{os.environ['PATH']}")

    # The reader's cluster: flowlogs' release and Cilium's release with the profile's overlay.
    assert main(["render", "cilium-exporter"]) == 0
    release = capsys.readouterr().out
    reset_cilium_configmaps(server)
    server_side_apply(server, load_yaml_all(release), "helm")  # as Helm 4 applies (kubectl's requests)
    assert main(["--chart-dir", "chart", "generate", "--quiet"]) == 0
    (chart,) = sorted((SHARED_TOOLS / "cilium-charts").glob("cilium-1.17.*.tgz"))
    overlay = tmp_path / "chart/profiles/cilium-exporter/cilium-values.yaml"
    cilium = upstream_tools.ask_helm("template", "cilium", chart, "-n", "kube-system", "-f", overlay)
    assert cilium.returncode == 0, cilium.stderr
    (agent_config,) = [
        d
        for d in yaml.safe_load_all(cilium.stdout)
        if d and d["kind"] == "ConfigMap" and d["metadata"]["name"] == "cilium-config"
    ]
    server_side_apply(server, [agent_config], "helm")
    capsys.readouterr()

    try:
        _run_examples(server)
    finally:
        reset_cilium_configmaps(server)
    assert re.search(r"The last `status` exits 1", (ROOT / "README.md").read_text(encoding="utf-8"))


def reset_cilium_configmaps(server: ApiServer) -> None:
    """`kubectl delete --ignore-not-found configmap cilium-flowlog-config cilium-config -n kube-system`'s requests."""
    for name in ("cilium-flowlog-config", "cilium-config"):
        delete(server, "configmap", name, "kube-system")


def _run_examples(server: ApiServer) -> None:
    import io
    from contextlib import redirect_stdout

    for command, shown in examples():
        words = shlex.split(command)
        if words[0] == ".venv/bin/flowlogs":
            stream = io.StringIO()
            with redirect_stdout(stream):
                code = main(words[1:])
            out = stream.getvalue()
        else:
            assert words[0] == "kubectl", command
            completed = subprocess.run(words, capture_output=True, text=True, check=False)
            code, out = completed.returncode, completed.stdout
        out = out.replace(server.server, README_SERVER)
        assert out.splitlines() == shown, command
        assert code == (1 if any("NOT in effect" in line for line in shown) else 0), command

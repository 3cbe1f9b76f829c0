"""docs/gitops.md, "Deselecting an object in gitops mode": the commands it gives remove exactly
what the partial manifests put on the live object (and Argo CD's tracking annotation,
argocd.argoproj.io/tracking-id, the default tracking method since Argo CD 3.0)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from flowlogs.helm import EmbeddedHelm

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "docs" / "gitops.md").read_text(encoding="utf-8")
TRACKING = "argocd.argoproj.io/tracking-id"


def rendered(kind: str, values_change: dict[str, Any]) -> dict[str, Any]:
    values = yaml.safe_load((ROOT / "chart" / "profiles" / "calico-gitops" / "values.yaml").read_text(encoding="utf-8"))
    values["calico"].update(values_change)
    manifests = EmbeddedHelm().template(ROOT / "chart", values, release_name="flowlogs", namespace="flowlogs-system")
    docs = [yaml.safe_load(m.text) for m in manifests]
    return next(d for d in docs if d["kind"] == kind)


def command(prefix: str) -> list[str]:
    (line,) = [line for line in DOCS.splitlines() if line.startswith(prefix)]
    return shlex.split(line)


def test_the_service_command_removes_every_annotation_of_the_partial_manifest() -> None:
    service = rendered("Service", {"services": [{"namespace": "shop", "names": ["frontend"]}]})
    argv = command("kubectl annotate service ")
    assert argv[:5] == ["kubectl", "annotate", "service", "-n", "shop"] and argv[5] == "frontend"
    removed = {arg[:-1] for arg in argv[6:]}
    assert all(arg.endswith("-") for arg in argv[6:])
    assert removed == set(service["metadata"]["annotations"]) | {TRACKING}


def test_the_workload_command_removes_the_sidecar_label_and_annotation() -> None:
    deployment = rendered("Deployment", {})
    argv = command("kubectl patch deployment ")
    patch = json.loads(argv[argv.index("-p") + 1])
    template = deployment["spec"]["template"]["metadata"]
    expected = [f"/spec/template/metadata/labels/{key.replace('/', '~1')}" for key in template["labels"]]
    expected += [f"/spec/template/metadata/annotations/{key.replace('/', '~1')}" for key in template["annotations"]]
    assert patch == [{"op": "remove", "path": path} for path in expected]
    assert re.search(r"then the\s+same Argo CD annotations with `kubectl annotate deployment \.\.\.`", DOCS)


def test_the_documented_commands_are_the_ones_generate_prints() -> None:
    from flowlogs.calico.deselect import clear_commands

    (service,) = clear_commands(("Service", "shop", "frontend"), "3.19")
    patch, annotate = clear_commands(("Deployment", "shop", "frontend"), "3.20")
    assert service in DOCS.splitlines()
    assert patch in DOCS.splitlines()
    assert annotate == service.replace("annotate service", "annotate deployment").replace(
        " projectcalico.org/l7-logging-", ""
    )


def test_generate_tells_which_objects_keep_their_selection(run_cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    values = tmp_path / "values"
    values.mkdir()
    profile = values / "shop.yaml"
    selected = (
        'calico:\n  version: "3.20"\n  patch-mode: gitops\n  sidecar-injection: on\n'
        "  workloads:\n    - {kind: Deployment, namespace: shop, name: [frontend, checkout]}\n"
    )
    profile.write_text(selected, encoding="utf-8")
    first = run_cli("--values-dir", "values", "--chart-dir", "chart", "generate")
    assert first.code == 0, first.err
    assert "no longer selected" not in first.err
    profile.write_text(selected.replace("[frontend, checkout]", "[frontend]"), encoding="utf-8")
    second = run_cli("--values-dir", "values", "--chart-dir", "chart", "generate")
    assert second.code == 0, second.err
    lines = second.err.splitlines()
    start = lines.index(
        "values/shop.yaml: note: Deployment shop/checkout is no longer selected; Argo CD does not prune it "
        "(Prune=false, IgnoreExtraneous), "
        "so it keeps its L7 selection until you remove it"
    )
    assert lines[start + 1 : start + 3] == [
        "  hint: kubectl patch deployment -n shop checkout --type json -p "
        '\'[{"op":"remove","path":"/spec/template/metadata/labels/applicationlayer.projectcalico.org~1sidecar"},'
        '{"op":"remove","path":"/spec/template/metadata/annotations/applicationlayer.projectcalico.org~1logging"}]\'',
        "kubectl annotate deployment -n shop checkout argocd.argoproj.io/tracking-id- argocd.argoproj.io/sync-options- "
        "argocd.argoproj.io/compare-options- argocd.argoproj.io/sync-wave-",
    ]
    third = run_cli(
        "--values-dir", "values", "--chart-dir", "chart", "generate"
    )  # already generated: nothing more to say
    assert "no longer selected" not in third.err

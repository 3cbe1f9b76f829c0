"""`flowlogs validate` on the shipped chart, as the README's main command runs it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SHARED, CliResult

RunCli = Callable[..., CliResult]

CRDS = SHARED / "crds"
GITOPS_DOCUMENTS = sorted((ROOT / "gitops").rglob("*.yaml"))
SHIPPED_PROFILES = sorted(path.parent.name for path in (ROOT / "chart" / "profiles").glob("*/values.yaml"))


def documents_args() -> list[str]:
    return [arg for path in GITOPS_DOCUMENTS for arg in ("--documents", str(path))]


def test_every_shipped_profile_validates_with_the_built_in_schemas(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = run_cli("validate", "--embedded-only", *documents_args())
    assert result.code == 0, result.out + result.err
    assert result.out.splitlines() == [result.out.splitlines()[-1]]  # no problem, no warning
    summary = re.fullmatch(
        r"Summary: (\d+) resources found in (\d+) profiles - Valid: (\d+), Invalid: 0, Errors: 0, Skipped: 0",
        result.out.splitlines()[-1],
    )
    assert summary is not None, result.out
    resources, profiles, valid = (int(group) for group in summary.groups())
    assert profiles == len(SHIPPED_PROFILES) + 1  # + the gitops documents
    assert resources == valid > len(GITOPS_DOCUMENTS)


def test_every_shipped_profile_validates_against_the_upstream_crds(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not CRDS.is_dir():
        pytest.skip("../shared/crds is not beside the project: the upstream CRDs cannot be checked")
    monkeypatch.chdir(ROOT)
    result = run_cli(
        "validate",
        "--embedded-only",
        "-o",
        "json",
        "--schema-location",
        "default",
        "--schema-location",
        str(CRDS),
        "--schema-location",
        "shipped",
        *documents_args(),
    )
    report = json.loads(result.out)
    assert result.code == 0, result.out
    statuses = {(r["profile"], r["kind"], r["name"]): r["status"] for r in report["resources"]}
    assert statuses[("calico-l7", "ApplicationLayer", "tigera-secure")] == "statusValid"
    assert statuses[("cilium-exporter", "ConfigMap", "cilium-flowlog-config")] == "statusValid"
    assert ("documents", "ApplicationSet", "flowlogs") in statuses
    assert report["summary"]["invalid"] == report["summary"]["errors"] == report["summary"]["skipped"] == 0
    # The directory holds the CE 3.19 and 3.20 ApplicationLayer CRDs: the run says which it used.
    [warning] = report["warnings"]
    assert (warning["kind"], warning["version"]) == ("ApplicationLayer", "operator.tigera.io/v1")
    assert f"using {CRDS / 'operator.tigera.io_applicationlayers.yaml'}, the one with the most fields" in warning["msg"]


def _generated(tmp_path: Path) -> Path:
    from flowlogs.generate import generate

    (tmp_path / "values").mkdir()
    (tmp_path / "values" / "calico-l7.yaml").write_text((ROOT / "values" / "calico-l7.yaml").read_text())
    generate(tmp_path / "values", tmp_path / "chart")
    return tmp_path / "chart"


def test_a_hand_edited_values_file_fails_the_values_schema(run_cli: RunCli, tmp_path: Path) -> None:
    chart = _generated(tmp_path)
    values_file = chart / "profiles" / "calico-l7" / "values.yaml"
    values = yaml.safe_load(values_file.read_text())
    values["calico"]["applicationLayer"]["logCollection"]["logIntervalSeconds"] = "5s"
    values_file.write_text(yaml.safe_dump(values))
    result = run_cli("--chart-dir", str(chart), "validate", "--from-chart", "--embedded-only")
    assert result.code == 1
    assert "- at '/calico/applicationLayer/logCollection/logIntervalSeconds': got string, want integer" in result.out
    assert (
        result.out.splitlines()[-1]
        == "Summary: 0 resources found in 1 profiles - Valid: 0, Invalid: 0, Errors: 1, Skipped: 0"
    )


def test_a_hand_edited_template_is_reported_with_profile_template_resource_and_path(
    run_cli: RunCli, tmp_path: Path
) -> None:
    chart = _generated(tmp_path)
    template = chart / "templates" / "calico" / "applicationlayer.yaml"
    template.write_text(template.read_text().replace("spec:\n", "spec:\n  collectLogs: Enabled\n", 1))
    result = run_cli("--chart-dir", str(chart), "validate", "--from-chart", "--embedded-only")
    assert result.code == 1
    [problem] = [line for line in result.out.splitlines() if "ApplicationLayer" in line]
    assert problem.startswith(
        "calico-l7 - flowlogs/templates/calico/applicationlayer.yaml - ApplicationLayer tigera-secure is invalid"
    )
    assert "/spec" in problem and "collectLogs" in problem
    assert "Invalid: 1" in result.out.splitlines()[-1]

"""`flowlogs import`: existing configurations become profiles that compile back to the same configuration.

Round trips: every shipped and fixture profile's compiled exporter configuration (as flowlogs.yaml,
as the ConfigMap Cilium's chart renders, and as Cilium Helm values with
`hubble.export.dynamic.config.content`), the seed's ConfigMap, and the Calico ApplicationLayer and
FelixConfiguration the chart writes, each imported and compiled again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ROOT, VALUES
from flowlogs.compiler import compile_paths

FIXTURES = ROOT / "tests" / "fixtures" / "profiles"
PROFILES = sorted([*VALUES.glob("*.yaml"), *FIXTURES.glob("*.yaml")])
SEED_CONFIGMAP = ROOT / "tests" / "data" / "preview" / "seed-configmap.yaml"


def compiled(path: Path) -> Any:
    result = compile_paths([path])
    assert [str(d) for d in result.diagnostics.errors] == []
    return result.profiles[0]


def imported(run_cli: Any, tmp_path: Path, config: Path, *versions: str) -> Any:
    output = tmp_path / "imported.yaml"
    result = run_cli(
        "import",
        str(config),
        "--output-file",
        str(output),
        *[a for v in versions for a in (f"--{v.split('=')[0]}", v.split("=")[1])],
    )
    assert result.code == 0, result.err
    return compiled(output)


def without_empty(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """flowlogs writes empty fieldMask/includeFilters/excludeFilters lists; the agent reads them as absent."""
    return [{key: value for key, value in entry.items() if value not in ([], None)} for entry in entries]


CILIUM_PROFILES = [p for p in PROFILES if p.stem != "fleet" and "cilium" in (yaml.safe_load(p.read_text()) or {})]


@pytest.mark.parametrize("profile", CILIUM_PROFILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("form", ["flowlogs.yaml", "ConfigMap", "Helm values"])
def test_a_compiled_exporter_configuration_imports_back_to_itself(run_cli, tmp_path, profile: Path, form: str):
    original = compiled(profile).parts["cilium"]
    content = yaml.safe_dump({"flowLogs": original.values["flowLogs"]}, sort_keys=False)
    document: dict[str, Any] = {
        "flowlogs.yaml": yaml.safe_load(content),
        "ConfigMap": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cilium-flowlog-config"},
            "data": {"flowlogs.yaml": content},
        },
        "Helm values": {
            "hubble": {"export": {"dynamic": {"enabled": True, "config": {"content": original.values["flowLogs"]}}}}
        },
    }[form]
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    again = imported(run_cli, tmp_path, config, f"cilium={original.version}").parts["cilium"]
    assert again.version == original.version
    assert without_empty(again.values["flowLogs"]) == without_empty(original.values["flowLogs"])


def test_the_seed_configmap_imports_to_the_seed_profile_words(run_cli, tmp_path):
    result = run_cli("import", str(SEED_CONFIGMAP), "--cilium", "1.17")
    assert result.code == 0, result.err
    profile = yaml.safe_load(result.out)
    assert profile["cilium"]["flow-logs"] == [
        {
            "name": "egress-traffic-blocking",
            "file": "/dev/stdout",
            "include": [
                {
                    "event-type": {"type": "drop", "sub-type": "policy-deny", "match-sub-type": False},
                    "direction": "egress",
                }
            ],
        }
    ]
    seed = yaml.safe_load(yaml.safe_load(SEED_CONFIGMAP.read_text())["data"]["flowlogs.yaml"])["flowLogs"]
    again = imported(run_cli, tmp_path, SEED_CONFIGMAP, "cilium=1.17").parts["cilium"]
    assert without_empty(again.values["flowLogs"]) == without_empty(seed)


def test_values_no_word_gives_back_stay_raw_with_a_note(run_cli, tmp_path):
    # Hubble reads a bare pod name as namespace default (pkg/hubble/k8s ParseNamespaceName); the
    # profile word writes default/web for it, which is not the same text: kept as written.
    config = tmp_path / "flowlogs.yaml"
    config.write_text(
        "flowLogs:\n  - name: a\n    filePath: /var/run/cilium/hubble/a.log\n    includeFilters:\n      - source_pod: "
        "[web]\n        verdict: [DROPPED]\n"
    )
    result = run_cli("import", str(config))
    assert result.code == 0, result.err
    assert (
        "#   - a: include[0] keeps source_pod as upstream fields (raw:): no profile word gives back the same value\n"
        in result.out
    )
    assert yaml.safe_load(result.out)["cilium"]["flow-logs"][0]["include"] == [
        {"verdict": "dropped", "raw": {"source_pod": ["web"]}}
    ]


def test_namespaces_come_back_as_namespace_words(run_cli, tmp_path):
    config = tmp_path / "flowlogs.yaml"
    config.write_text(
        "flowLogs:\n  - name: a\n    filePath: stdout\n    excludeFilters:\n      - destination_pod: [kube-system/]\n"
    )
    profile = yaml.safe_load(run_cli("import", str(config)).out)
    assert profile["cilium"]["flow-logs"] == [
        {"name": "a", "file": "stdout", "exclude": [{"destination-namespace": "kube-system"}]}
    ]


def calico_objects(values: dict[str, Any]) -> str:
    felix = values.get("felix", {})
    documents = [
        {
            "apiVersion": "operator.tigera.io/v1",
            "kind": "ApplicationLayer",
            "metadata": {"name": "tigera-secure"},
            "spec": values["applicationLayer"],
        },
        {
            "apiVersion": felix.get("apiVersion", "projectcalico.org/v3"),
            "kind": "FelixConfiguration",
            "metadata": {"name": "default"},
            "spec": felix.get("spec", {}),
        },
    ]
    return yaml.safe_dump_all(documents, sort_keys=False)


CALICO_PROFILES = [p for p in PROFILES if "calico" in (yaml.safe_load(p.read_text()) or {})]


@pytest.mark.parametrize("profile", CALICO_PROFILES, ids=lambda p: p.stem)
def test_calico_objects_import_back_to_the_same_fields(run_cli, tmp_path, profile: Path):
    original = compiled(profile).parts["calico"]
    config = tmp_path / "calico.yaml"
    config.write_text(calico_objects(original.values), encoding="utf-8")
    again = imported(run_cli, tmp_path, config, f"calico={original.version}").parts["calico"]
    assert again.values["applicationLayer"] == original.values["applicationLayer"]
    assert again.values.get("felix") == original.values.get("felix")


# Felix's default flush interval is 300s (data/calico-enterprise-3.20.yaml); Felix reads a duration
# with Go's time.ParseDuration, so 5m and 300000ms are that default too, however they are spelled.
@pytest.mark.parametrize("interval", ["300s", "5m", "300000ms"])
def test_felix_fields_at_their_default_are_kept_with_emit_defaults(run_cli, tmp_path, interval):
    config = tmp_path / "felix.yaml"
    config.write_text(
        "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\nspec:\n  "
        f"l7LogsFlushInterval: {interval}\n  bpfEnabled: true\n"
    )
    result = run_cli("import", str(config))
    assert result.code == 0, result.err
    profile = yaml.safe_load(result.out)
    assert profile["calico"]["felix"] == {"flush-interval": interval, "emit-defaults": True}
    assert "not flowlogs' to own and are left out: bpfEnabled" in result.out
    saved = tmp_path / "values" / "imported.yaml"
    saved.parent.mkdir()
    saved.write_text(result.out, encoding="utf-8")
    assert compiled(saved).parts["calico"].values["felix"] == {"spec": {"l7LogsFlushInterval": interval}}


def test_a_file_of_no_product_is_refused(run_cli, tmp_path):
    config = tmp_path / "other.yaml"
    config.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n")
    result = run_cli("import", str(config))
    assert result.code == 1
    assert f"{config}: not a configuration flowlogs can import" in result.err


def test_an_existing_output_is_kept_without_force(run_cli, tmp_path):
    output = tmp_path / "mine.yaml"
    output.write_text("keep me\n")
    result = run_cli("import", str(SEED_CONFIGMAP), "--output-file", str(output))
    assert result.code == 1 and f"{output} exists" in result.err
    assert output.read_text() == "keep me\n"
    assert run_cli("import", str(SEED_CONFIGMAP), "--output-file", str(output), "--force").code == 0
    assert "egress-traffic-blocking" in output.read_text()


def test_values_the_agent_rejects_are_an_error_not_a_profile(run_cli, tmp_path):
    config = tmp_path / "flowlogs.yaml"
    config.write_text(
        "flowLogs:\n  - name: a\n    filePath: /var/run/cilium/hubble/a.log\n    includeFilters:\n      - verdict: "
        "[DENIED]\n"
    )
    output = tmp_path / "out.yaml"
    result = run_cli("import", str(config), "--output-file", str(output))
    assert result.code == 1
    # protojson refuses an unknown enum name (hubble observe --allowlist '{"verdict":["DENIED"]}' too:
    # tests/test_import_oracle.py)
    assert f"{config}: flowLogs[0].includeFilters[0].verdict[0]: unknown Verdict 'DENIED'" in result.err
    assert not output.exists()

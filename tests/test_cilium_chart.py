"""The Cilium part of the chart, rendered with the real Helm engine."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import CHART, ROOT, SHARED, write_profile
from flowlogs.errors import HelmError
from flowlogs.generate import generate
from flowlogs.helm import EmbeddedHelm
from flowlogs.names import CHART_NAME_PATTERNS

ENGINE = EmbeddedHelm()

# The final configuration of the seed blog post (../shared/seeds/002_*.txt): egress traffic
# denied by a network policy, logged to the agent's stdout.
SEED_FLOWLOGS = {
    "flowLogs": [
        {
            "name": "egress-traffic-blocking",
            "excludeFilters": [],
            "fieldMask": [],
            "filePath": "/dev/stdout",
            "includeFilters": [
                {
                    "event_type": [{"type": 1, "sub_type": 181}],
                    "traffic_direction": ["EGRESS"],
                }
            ],
        }
    ]
}


def render(chart: Path, profile: str) -> list[dict]:
    values = yaml.safe_load((chart / "profiles" / profile / "values.yaml").read_text())
    manifests = ENGINE.template(chart, values, release_name="flowlogs", namespace="flowlogs-system")
    return [yaml.safe_load(m.text) for m in manifests]


def test_seed_configmap_comes_out_of_the_shipped_profile():
    documents = render(CHART, "cilium-exporter")
    [cm] = [d for d in documents if d["kind"] == "ConfigMap"]
    assert cm["metadata"]["name"] == "cilium-flowlog-config"
    assert cm["metadata"]["namespace"] == "kube-system"
    assert yaml.safe_load(cm["data"]["flowlogs.yaml"]) == SEED_FLOWLOGS


def test_seed_document_says_what_the_test_asserts():
    seeds = sorted((SHARED / "seeds").glob("002_*.txt")) if SHARED.is_dir() else []
    if not seeds:
        pytest.skip("../shared/seeds is not beside the project")
    text = seeds[0].read_text()
    for token in ("name: egress-traffic-blocking", "filePath: /dev/stdout", "- type: 1", "sub_type: 181", "- EGRESS"):
        assert token in text


def test_seed_overlay_hands_the_configmap_to_flowlogs():
    overlay = yaml.safe_load((CHART / "profiles" / "cilium-exporter" / "cilium-values.yaml").read_text())
    assert overlay == {
        "hubble": {
            "export": {
                "dynamic": {
                    "enabled": True,
                    "config": {"configMapName": "cilium-flowlog-config", "createConfigMap": False},
                }
            }
        }
    }


def test_every_shipped_profile_renders_and_lints_strictly():
    for values_file in sorted((CHART / "profiles").glob("*/values.yaml")):
        values = yaml.safe_load(values_file.read_text())
        manifests = ENGINE.template(CHART, values, release_name="flowlogs", namespace="flowlogs-system")
        assert manifests, values_file
        problems = [m for m in ENGINE.lint(CHART, values) if m.severity != "info"]
        assert problems == [], values_file


def test_rendered_flow_logs_equal_the_compiled_values(tmp_path):
    fixture = ROOT / "tests" / "fixtures" / "profiles" / "every-word.yaml"
    write_profile(tmp_path / "values", "every-word", fixture.read_text())
    generate(tmp_path / "values", tmp_path / "chart")
    compiled = yaml.safe_load((tmp_path / "chart" / "profiles" / "every-word" / "values.yaml").read_text())
    [cm] = [d for d in render(tmp_path / "chart", "every-word") if d["kind"] == "ConfigMap"]
    assert (cm["metadata"]["name"], cm["metadata"]["namespace"]) == ("flow-export", "cilium")
    assert yaml.safe_load(cm["data"]["flowlogs.yaml"]) == {"flowLogs": compiled["cilium"]["flowLogs"]}


def test_profile_strings_are_data_not_template_code(tmp_path):
    write_profile(
        tmp_path / "values",
        "tricky",
        'cilium:\n  flow-logs:\n    - name: a\n      include:\n        - http-path: [\'{{ fail "boom" }}\', "{{ '
        '.Release.Name }}"]\n',
    )
    generate(tmp_path / "values", tmp_path / "chart")
    [cm] = [d for d in render(tmp_path / "chart", "tricky") if d["kind"] == "ConfigMap"]
    flow_logs = yaml.safe_load(cm["data"]["flowlogs.yaml"])["flowLogs"]
    assert flow_logs[0]["includeFilters"] == [{"http_path": ['{{ fail "boom" }}', "{{ .Release.Name }}"]}]


def test_values_schema_rejects_a_filter_key_the_agent_would_reject():
    values = yaml.safe_load((CHART / "profiles" / "cilium-exporter" / "values.yaml").read_text())
    values["cilium"]["flowLogs"][0]["includeFilters"][0]["source_namespace"] = ["kube-system"]
    with pytest.raises(HelmError, match="additional properties 'source_namespace' not allowed"):
        ENGINE.template(CHART, values, release_name="flowlogs", namespace="flowlogs-system")


def test_an_exclude_filter_is_checked_against_the_one_shared_filter_schema():
    # values.schema.json writes the FlowFilter schema once (`definitions.flowFilter`); Helm must
    # still apply it to excludeFilters, through the `$ref`.
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    entry = schema["properties"]["cilium"]["properties"]["flowLogs"]["items"]["properties"]
    assert entry["includeFilters"]["items"] == entry["excludeFilters"]["items"] == {"$ref": "#/definitions/flowFilter"}
    assert "source_pod" in schema["definitions"]["flowFilter"]["properties"]
    values = yaml.safe_load((CHART / "profiles" / "cilium-exporter" / "values.yaml").read_text())
    values["cilium"]["flowLogs"][0]["excludeFilters"] = [{"verdict": ["DROPPED"], "source_namespace": ["kube-system"]}]
    with pytest.raises(HelmError, match="additional properties 'source_namespace' not allowed"):
        ENGINE.template(CHART, values, release_name="flowlogs", namespace="flowlogs-system")


def test_values_schema_rejects_an_unknown_top_level_key():
    with pytest.raises(HelmError, match="additional properties 'cilum' not allowed"):
        ENGINE.template(CHART, {"cilum": {"enabled": True}}, release_name="flowlogs", namespace="flowlogs-system")


def test_disabled_parts_render_nothing():
    assert ENGINE.template(CHART, {}, release_name="flowlogs", namespace="flowlogs-system") == []


def test_standard_labels():
    [cm] = [d for d in render(CHART, "cilium-exporter") if d["kind"] == "ConfigMap"]
    labels = cm["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "flowlogs"
    assert labels["app.kubernetes.io/instance"] == "flowlogs"
    assert labels["app.kubernetes.io/managed-by"] == "Helm"
    assert labels["helm.sh/chart"].startswith("flowlogs-")


def notes(chart: Path, values: dict) -> str:
    """The chart's NOTES.txt as `helm install` prints it (the engine's render, which template() leaves out)."""
    import json

    import helm_python
    from helm_python import _native

    options = {"name": "flowlogs", "namespace": "flowlogs-system", "kube_version": "v1.31.0", "is_install": True}
    with helm_python.Chart.load(str(chart)) as loaded:
        rendered = json.loads(
            _native.call_string("helm_render", loaded._raw(), json.dumps(values), json.dumps(options))
        )
    [text] = [text for name, text in rendered.items() if name.endswith("NOTES.txt")]
    return str(text)


def shipped_values(profile: str) -> dict:
    return yaml.safe_load((CHART / "profiles" / profile / "values.yaml").read_text())


def test_notes_read_stdout_and_dev_stdout_from_the_container_log():
    values = shipped_values("cilium-aggregation")
    values["cilium"]["flowLogs"] += [
        {**values["cilium"]["flowLogs"][0], "name": "old-style", "filePath": "/dev/stdout"},
        {**values["cilium"]["flowLogs"][0], "name": "to-file", "filePath": "/var/run/cilium/hubble/a.log"},
    ]
    text = notes(CHART, values)
    assert "kubectl -n kube-system logs ds/cilium -c cilium-agent -f | grep '\"flow\":'    # namespace-talk" in text
    assert "kubectl -n kube-system logs ds/cilium -c cilium-agent -f | grep '\"flow\":'    # old-style" in text
    assert (
        "kubectl -n kube-system exec ds/cilium -c cilium-agent -- tail -f /var/run/cilium/hubble/a.log    # to-file"
        in text
    )


def test_notes_pin_the_cilium_chart_and_name_the_namespace():
    values = shipped_values("cilium-exporter")
    values["cilium"]["configMap"] = {"name": "cilium-flowlog-config", "namespace": "cilium-system"}
    text = notes(CHART, values)
    # Never a range (Helm's --version takes a semver constraint: ~1.17.0 is the newest 1.17 patch release)
    assert (
        "helm upgrade cilium cilium/cilium -n cilium-system --version <VERSION> --reset-then-reuse-values -f "
        "chart/profiles/cilium-exporter/cilium-values.yaml" in text
    )
    assert (
        "with VERSION the chart version Cilium's release runs now (`helm get metadata cilium -n cilium-system`), never "
        "a\n     range such as ~1.17.0" in text
    )
    assert (
        "Cilium must run in namespace cilium-system: its agent mounts the ConfigMap from its own namespace as optional,"
        in text
    )
    assert (
        "before installing this chart when Cilium's release already\n     has hubble.export.dynamic.enabled=true"
        in text
    )


def test_cilium_values_header_pins_the_version_and_names_the_namespace():
    header = [
        line
        for line in (CHART / "profiles" / "cilium-aggregation" / "cilium-values.yaml").read_text().splitlines()
        if line.startswith("#")
    ]
    assert (
        "#   helm upgrade cilium cilium/cilium --namespace kube-system --version <VERSION> --reset-then-reuse-values "
        "-f chart/profiles/cilium-aggregation/cilium-values.yaml" in header
    )
    assert (
        "# Cilium must run in namespace kube-system, the profile's config-map.namespace: the agent mounts the" in header
    )


def test_values_schema_accepts_stdout_and_absolute_paths_only():
    values = shipped_values("cilium-aggregation")
    assert values["cilium"]["flowLogs"][0]["filePath"] == "stdout"
    assert ENGINE.template(CHART, values, release_name="flowlogs", namespace="flowlogs-system")
    values["cilium"]["flowLogs"][0]["filePath"] = "stdout.log"
    with pytest.raises(HelmError, match="filePath"):
        ENGINE.template(CHART, values, release_name="flowlogs", namespace="flowlogs-system")


def test_the_seed_profile_keeps_dev_stdout_with_the_rotation_warning(run_cli, tmp_path):
    write_profile(tmp_path / "values", "cilium-exporter", (ROOT / "values" / "cilium-exporter.yaml").read_text())
    result = run_cli("--values-dir", str(tmp_path / "values"), "--chart-dir", str(tmp_path / "chart"), "generate")
    assert result.code == 0
    assert (
        "values/cilium-exporter.yaml:11:13: warning: Cilium 1.17: /dev/stdout goes through the rotating file writer: "
        "after 10 MB" in result.err.replace(str(tmp_path) + "/", "")
    )
    assert (
        yaml.safe_load((tmp_path / "chart" / "profiles" / "cilium-exporter" / "values.yaml").read_text())["cilium"][
            "flowLogs"
        ]
        == SEED_FLOWLOGS["flowLogs"]
    )


@pytest.mark.parametrize("pattern", sorted(CHART_NAME_PATTERNS))
def test_chart_name_patterns_accept_exactly_what_the_profile_patterns_accept(pattern):
    # values.schema.json writes a name's length as maxLength instead of the pattern's counted
    # repetition (Helm compiles the schema at every render): the same names either way.
    unbounded, max_length = CHART_NAME_PATTERNS[pattern]
    alphabet = "a0-.A_"
    names = {"", "a", "-", "a-", "-a", "a.b", "a..b", ".a", "a."}
    for length in (1, 2, 3, max_length - 1, max_length, max_length + 1):
        for first, middle, last in itertools.product(alphabet, repeat=3):
            names.add((first + middle * max(length - 2, 0) + last)[:length])
    for name in names:
        expected = re.fullmatch(pattern, name) is not None
        assert (len(name) <= max_length and re.fullmatch(unbounded, name) is not None) == expected, name


@pytest.mark.parametrize(("length", "accepted"), [(63, True), (64, False)])
def test_helm_checks_a_configmap_name_for_its_length(length, accepted):
    # What Helm (its Go JSON Schema validator) does with the maxLength: a DNS label has at most 63 characters.
    values = yaml.safe_load((CHART / "profiles" / "cilium-exporter" / "values.yaml").read_text())
    values["cilium"]["configMap"] = {"name": "a" * length}
    if accepted:
        assert ENGINE.template(CHART, values, release_name="flowlogs", namespace="flowlogs-system")
    else:
        with pytest.raises(HelmError, match="at '/cilium/configMap/name': maxLength: got 64, want 63"):
            ENGINE.template(CHART, values, release_name="flowlogs", namespace="flowlogs-system")

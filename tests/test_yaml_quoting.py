"""Every string flowlogs writes is read back as that string (issue 13: `name: y` became a boolean).

The readers: the project's Kubernetes-YAML reader (validate/kubeyaml.py, which reproduces
sigs.k8s.io/yaml's go-yaml v2 as Helm reads values files), PyYAML (YAML 1.1), ruamel (YAML 1.2)
and, where `.cache/bin/helm` exists (`make helm-binary`), the real helm binary.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from conftest import ROOT, CliResult
from flowlogs.validate.documents import DocumentParser
from flowlogs.yamlio import dump_yaml, read_as_other_type

HELM = ROOT / ".cache" / "bin" / "helm"

# Strings that YAML 1.1 (go-yaml v2 resolve.go resolveMapList and its number rules) or
# YAML 1.2's core schema reads as a boolean, null, number or timestamp when written plain.
OTHER_TYPES = [
    *"y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF".split(),
    "~",
    "null",
    "Null",
    "NULL",
    "",
    "<<",
    "=",
    "0",
    "7",
    "-1",
    "+1",
    "017",
    "08",
    "0x1F",
    "0X1f",
    "0o17",
    "0b101",
    "-0b101",
    "1_000",
    "0x_1F",
    "1.5",
    "-1.5",
    ".5",
    "1.",
    "1e3",
    "1E-3",
    "1.5e+3",
    "6.8523015e+5",
    "1_000.5",
    ".inf",
    ".Inf",
    ".INF",
    "+.inf",
    "-.inf",
    ".nan",
    ".NaN",
    ".NAN",
    "1:20",
    "190:20:30",
    "2026-11-29",
    "2026-11-29T05:00:00Z",
    "2026-11-29 05:00:00",
    "9223372036854775808",
    "18446744073709551616",
    "1e400",
]
# Strings no reader takes for another type: written as they are (the shipped output stays byte-identical).
PLAIN = [
    "main",
    "kube-system",
    "/var/run/cilium/hubble/events.log",
    "cilium-config",
    "1.17x",
    "v1",
    "yes-no",
    "on-call",
    "a:b",
]


def kubernetes_reads(text: str) -> object:
    return DocumentParser().parse_data(text)


@pytest.mark.parametrize("value", OTHER_TYPES)
def test_a_string_that_reads_as_another_type_is_quoted(value: str) -> None:
    text = dump_yaml({"v": value})
    assert text in (f"v: '{value}'\n", f'v: "{value}"\n')
    assert kubernetes_reads(text) == {"v": value}
    assert yaml.safe_load(text) == {"v": value}
    assert YAML(typ="safe", pure=True).load(text) == {"v": value}


@pytest.mark.parametrize("value", PLAIN)
def test_a_plain_string_is_written_plain(value: str) -> None:
    text = dump_yaml({"v": value})
    assert text == f"v: {value}\n"
    assert kubernetes_reads(text) == {"v": value}


def test_unquoted_they_would_not_be_strings() -> None:
    """The reader is not lenient: written plain, each string of OTHER_TYPES is read as another type."""
    strings = [value for value in OTHER_TYPES if value and value not in ("<<", "=")]
    misread = [value for value in strings if kubernetes_reads(f"v: {value}\n") != {"v": value}]
    yaml_12 = YAML(typ="safe", pure=True)
    misread += [value for value in strings if value not in misread and yaml_12.load(f"v: {value}\n") != {"v": value}]
    misread += [value for value in strings if value not in misread and yaml.safe_load(f"v: {value}\n") != {"v": value}]
    # Out of int64/uint64 and float64 range, go-yaml v2 keeps these as strings; YAML 1.2 and
    # PyYAML read them as numbers.
    assert sorted(set(strings) - set(misread)) == []


HELM_TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: types
data:
{{- range $key, $value := .Values }}
  {{ $key }}: {{ printf "%T %v" $value $value | quote }}
{{- end }}
"""


@pytest.mark.skipif(not HELM.is_file(), reason=f"no helm binary at {HELM}: run `make helm-binary`")
def test_helm_reads_every_string_as_written(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: types\nversion: 0.1.0\n")
    (chart / "templates" / "types.yaml").write_text(HELM_TEMPLATE)
    values = {f"k{index:03d}": value for index, value in enumerate(OTHER_TYPES + PLAIN)}
    (tmp_path / "values.yaml").write_text(dump_yaml(values))
    rendered = subprocess.run(
        [str(HELM), "template", "t", str(chart), "-f", str(tmp_path / "values.yaml")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = yaml.safe_load(rendered.split("---", 1)[1])["data"]
    assert data == {key: f"string {value}" for key, value in values.items()}


def test_profile_strings_reach_helm_as_strings(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    """The issue's inputs: `name: y`, `config-map: {namespace: n}`, a namespace "null": the ConfigMap lands where it
    was meant."""
    values = tmp_path / "values"
    values.mkdir()
    (values / "y.yaml").write_text(
        'cilium:\n  config-map: {name: "on", namespace: "null"}\n  flow-logs:\n    - name: y\n      file: '
        "/var/run/cilium/hubble/y.log\n"
    )
    (values / "n.yaml").write_text("cilium:\n  config-map: {namespace: n}\n  flow-logs:\n    - name: 'no'\n")
    assert run_cli("--values-dir", str(values), "--chart-dir", str(tmp_path / "chart"), "generate").code == 0
    y_values = (tmp_path / "chart" / "profiles" / "y" / "values.yaml").read_text()
    assert y_values.split("\n", 2)[2].startswith("profile: 'y'\ncilium:\n  enabled: true\n")
    assert "  configMap:\n    name: 'on'\n    namespace: 'null'\n  flowLogs:\n  - name: 'y'\n" in y_values
    n_values = (tmp_path / "chart" / "profiles" / "n" / "values.yaml").read_text()
    assert (
        "  configMap:\n    name: cilium-flowlog-config\n    namespace: 'n'\n  flowLogs:\n  - name: 'no'\n" in n_values
    )
    assert kubernetes_reads(y_values)["cilium"]["configMap"] == {"name": "on", "namespace": "null"}  # type: ignore[index]
    if not HELM.is_file():
        return
    for profile, name, namespace in (("y", "on", "null"), ("n", "cilium-flowlog-config", "n")):
        rendered = subprocess.run(
            [
                str(HELM),
                "template",
                "flowlogs",
                str(tmp_path / "chart"),
                "-f",
                str(tmp_path / "chart" / "profiles" / profile / "values.yaml"),
                "--namespace",
                "flowlogs-system",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        documents = [d for d in yaml.safe_load_all(io.StringIO(rendered)) if d]
        assert [(d["kind"], d["metadata"]["name"], d["metadata"]["namespace"]) for d in documents] == [
            ("ConfigMap", name, namespace)
        ]


class _PythonEmitterDumper(yaml.SafeDumper):
    """dump_yaml's dumper on PyYAML's pure-Python emitter, which wrote everything before issue 16
    moved what libyaml writes alike to libyaml: no generated byte may change."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _quoted_like_dump_yaml(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if read_as_other_type(data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    return dumper.represent_str(data)


_PythonEmitterDumper.add_representer(str, _quoted_like_dump_yaml)

_ANY_TEXT = st.text(max_size=40)
_PRINTABLE = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFFFD, exclude_categories=("Cs",)), max_size=200
)
_TRICKY = st.sampled_from(
    [
        "",
        "a: b",
        "- x",
        "#c",
        "x #c",
        " lead",
        "trail ",
        "'",
        '"',
        "multi\nline\n",
        "tab\there",
        "\u2028",
        "a" * 1200,
        "é" * 100,
        "é" * 130,
        "Ω≈ç√∫" * 30,
    ]
)
_SCALARS = st.one_of(
    _ANY_TEXT,
    _PRINTABLE,
    _TRICKY,
    st.sampled_from(OTHER_TYPES + PLAIN),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.booleans(),
    st.none(),
)
_KEYS = st.one_of(_ANY_TEXT, _PRINTABLE.map(lambda s: s[:70]), _TRICKY, st.sampled_from(OTHER_TYPES + PLAIN))
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=250, deadline=None)
@given(st.one_of(_DATA, st.dictionaries(_KEYS, _DATA, min_size=1, max_size=5), st.lists(_DATA, min_size=1, max_size=5)))
def test_every_document_is_written_as_the_python_emitter_wrote_it(data: object) -> None:
    expected = yaml.dump(
        data, Dumper=_PythonEmitterDumper, sort_keys=False, default_flow_style=False, width=1000, allow_unicode=True
    )
    assert dump_yaml(data) == expected

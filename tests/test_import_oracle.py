"""Import oracle: `flowlogs import` then compile gives the exporters Cilium itself runs from the original.

For every supported Cilium minor, generated configurations written as users write them — a
flowlogs.yaml, its ConfigMap, and Cilium Helm values (dynamic flow logs and the static exporter) —
with snake_case, camelCase and capitalised Go-style keys, enum numbers and names, bare and
qualified pod names, are imported and compiled. The ground truth is upstream's own programs:

- which flows an exporter writes: the hubble CLI of the same version (`hubble observe --input-file
  FLOWS --allowlist JSON --denylist JSON -o jsonpb`, Cilium's filters.BuildFilterList + Apply, with
  the filters decoded by the agent's protojson), run on the original filters as written and on the
  compiled ones, over the same generated flows;
- what a Helm values file configures: Cilium's own chart of that minor, rendered by the real helm
  (`helm template cilium ../shared/tools/cilium-charts/cilium-X.tgz -n kube-system -f values.yaml`):
  cilium-config's hubble-export-* keys (the static exporter, and 1.16/1.17's agent-wide rotation)
  and the flowlogs.yaml of the cilium-flowlog-config ConfigMap it creates;
- how the agent reads flowlogs.yaml's outer keys: Go's encoding/json (decode.go, object(): each key
  equal to a field's json tag, or equal under case folding, is decoded into it in turn: the last one
  wins), after sigs.k8s.io/yaml turned the YAML into JSON.

Each exporter must have the same name, file path, field mask, end (the same instant), rotation
(what it takes effectively, Cilium's defaults filled in) and aggregation, and hubble must export the
same flows through both. A fixed-seed run is in the fast suite; a larger one is marked slow, from
upstream_tools.oracle_seed (fixed by the content of the code in `make test`, fresh in `make oracle`).
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import CliResult
from flowlogs.cilium.flow_schema import load_flow_schema
from flowlogs.compiler import compile_paths

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
import upstream_tools  # noqa: E402

# The chart of each supported minor (../shared/tools/cilium-charts/README.md) and its hubble release.
CHARTS = {"1.16": "1.16.19", "1.17": "1.17.17", "1.18": "1.18.11", "1.19": "1.19.5"}
CHART_DIR = upstream_tools.SHARED_TOOLS / "cilium-charts"
# 1.16/1.17's dynamic exporter rotates every flow log by the agent-wide hubble-export-file-max-size-mb /
# -max-backups and compresses nothing; 1.18 reads fileMaxSizeMb/fileMaxBackups/fileCompress per flow log,
# 0 or unset meaning the defaults 10 / 5 / false (cilium/cilium pkg/hubble/exporter config.go and
# NewDynamicExporter of each tag, ../shared/upstream/cilium/exporter_config.yaml). 1.19 adds fieldAggregate
# and aggregationInterval (aggregating only for a positive interval).
AGENT_WIDE_ROTATION = ("1.16", "1.17")
AGGREGATION = ("1.19",)
DEFAULT_ROTATION = (10, 5, False)
# strconv.ParseBool, how the agent reads cilium-config's quoted "true"/"false".
GO_BOOLS = {
    "1": True,
    "t": True,
    "T": True,
    "TRUE": True,
    "true": True,
    "True": True,
    "0": False,
    "f": False,
    "F": False,
    "FALSE": False,
    "false": False,
    "False": False,
}


def _why_skip() -> str:
    reason = upstream_tools.skip_reason("hubble")
    if not reason and not CHART_DIR.is_dir():
        reason = f"{CHART_DIR} not found: Cilium's charts are the ground truth for Helm values"
    return reason


pytestmark = pytest.mark.skipif(bool(_why_skip()), reason=_why_skip() or "-")


class _GoYAML(yaml.CSafeLoader):
    """YAML as sigs.k8s.io/yaml reads it into JSON: a timestamp-looking scalar stays a string."""


_GoYAML.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def go_field(mapping: dict[str, Any], tag: str) -> Any:
    """encoding/json: the last key that equals the json tag, exactly or under case folding."""
    found = None
    for key, value in mapping.items():
        if isinstance(key, str) and key.casefold() == tag.casefold():
            found = value
    return found


# ----------------------------------------------------------------------------- flows

NAMESPACES = ("shop", "kube-system", "default")
PODS = ("web-1", "db-0", "api-7")


def make_flows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """GetFlowsResponse objects covering the fields the generated filters read, some absent."""
    flows = []
    for index in range(count):
        event = rng.choice(
            [
                {"type": 1, "sub_type": 133},
                {"type": 1, "sub_type": 181},
                {"type": 4, "sub_type": 0},
                {"type": 4, "sub_type": 3},
                {"type": 129},
            ]
        )
        v6 = rng.random() < 0.3
        flow: dict[str, Any] = {
            "time": f"2026-01-01T00:00:{index % 60:02d}Z",
            "uuid": f"00000000-0000-4000-8000-{index:012d}",
            "verdict": "DROPPED" if event["type"] == 1 else rng.choice(["FORWARDED", "FORWARDED", "AUDIT"]),
            "event_type": event,
            "Type": "L7" if event["type"] == 129 else "L3_L4",
            "node_name": rng.choice(["c1/node-a", "c1/node-b", "c2/node-a"]),
            "traffic_direction": rng.choice(["INGRESS", "EGRESS"]),
        }
        if rng.random() < 0.9:
            source = (
                rng.choice(["fd00::1:5", "fd00::2:7"]) if v6 else rng.choice(["10.0.1.5", "10.0.2.7", "192.168.1.1"])
            )
            destination = (
                rng.choice(["fd00::3", "2001:db8::1"]) if v6 else rng.choice(["10.0.3.9", "1.1.1.1", "192.168.7.7"])
            )
            flow["IP"] = {"source": source, "destination": destination, "ipVersion": "IPv6" if v6 else "IPv4"}
        if rng.random() < 0.85:
            protocol = rng.choice(["TCP", "UDP"])
            ports = {"source_port": rng.choice([40000, 53, 8080]), "destination_port": rng.choice([80, 443, 53, 8080])}
            flow["l4"] = {protocol: {**ports, **({"flags": {"SYN": True}} if protocol == "TCP" else {})}}
        for side in ("source", "destination"):
            if rng.random() < 0.8:
                namespace, pod = rng.choice(NAMESPACES), rng.choice(PODS)
                flow[side] = {
                    "identity": rng.choice([16777217, 16777218, 2]),
                    "namespace": namespace,
                    "pod_name": pod,
                    "labels": [f"k8s:app={pod.split('-')[0]}", f"k8s:io.kubernetes.pod.namespace={namespace}"],
                }
            else:
                flow[side] = {"identity": 2, "labels": ["reserved:world"]}
        if flow["verdict"] == "DROPPED":
            flow["drop_reason_desc"] = "POLICY_DENIED" if event.get("sub_type") == 133 else "POLICY_DENY"
        if rng.random() < 0.6:
            flow["is_reply"] = rng.random() < 0.5
        flows.append({"flow": flow})
    return flows


# ----------------------------------------------------------------------------- configurations as users write them

ENUM_FIELDS = {
    "verdict": "Verdict",
    "traffic_direction": "TrafficDirection",
    "ip_version": "IPVersion",
    "drop_reason_desc": "DropReason",
}
FILTER_VALUES: dict[str, Callable[[random.Random], list[Any]]] = {
    "verdict": lambda r: r.sample(["FORWARDED", "DROPPED", "AUDIT"], k=r.randint(1, 2)),
    "event_type": lambda r: [
        r.choice(
            [
                {"type": 1},
                {"type": 1, "sub_type": 133, "match_sub_type": True},
                {"type": 4},
                {"type": 129},
                {"type": 1, "sub_type": 181},
            ]
        )
    ],
    "source_pod": lambda r: [r.choice(["shop/", "shop/web", "/db", "web", "kube-system/"])],
    "destination_pod": lambda r: [r.choice(["shop/", "default/api", "/api", "db", "kube-system/"])],
    "source_ip": lambda r: [r.choice(["10.0.0.0/8", "10.0.1.5", "fd00::/64", "192.168.0.0/16"])],
    "destination_ip": lambda r: [r.choice(["10.0.3.9", "1.1.1.1", "2001:db8::/32"])],
    "destination_port": lambda r: [r.choice(["80", "443", "53"])],
    "traffic_direction": lambda r: [r.choice(["INGRESS", "EGRESS"])],
    "ip_version": lambda r: [r.choice(["IPv4", "IPv6"])],
    "protocol": lambda r: [r.choice(["tcp", "udp", "TCP"])],
    "reply": lambda r: [r.choice([True, False])],
    "source_label": lambda r: [r.choice(["app=web", "k8s:app=db", "app"])],
    "drop_reason_desc": lambda r: [r.choice(["POLICY_DENIED", "POLICY_DENY"])],
    "node_name": lambda r: [r.choice(["c1/node-a", "node-b", "c2/*"])],
    "source_identity": lambda r: [r.choice([2, 16777217])],
}
JSON_NAMES = {"sub_type": "subType", "match_sub_type": "matchSubType"}


def _json_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def user_filter(rng: random.Random, version: str) -> dict[str, Any]:
    """A FlowFilter as a user writes it: proto or JSON names, enum names or numbers."""
    enums = load_flow_schema(version).enums
    result: dict[str, Any] = {}
    for field in rng.sample(sorted(FILTER_VALUES), k=rng.randint(1, 3)):
        values = FILTER_VALUES[field](rng)
        if field in ENUM_FIELDS and rng.random() < 0.4:
            values = [enums[ENUM_FIELDS[field]][value] for value in values]
        if field == "event_type" and rng.random() < 0.5:
            values = [{JSON_NAMES.get(key, key): value for key, value in item.items()} for item in values]
        result[_json_name(field) if rng.random() < 0.5 else field] = values
    return result


OUTER_KEYS = (
    "name",
    "filePath",
    "fieldMask",
    "includeFilters",
    "excludeFilters",
    "end",
    "fileMaxSizeMb",
    "fileMaxBackups",
    "fileCompress",
    "fieldAggregate",
    "aggregationInterval",
)
FIELD_PATHS = (
    "time",
    "verdict",
    "source",
    "destination",
    "IP",
    "l4",
    "source.namespace",
    "destination.pod_name",
    "event_type",
    "traffic_direction",
    "node_name",
)
ENDS = ("2031-06-01T12:00:00Z", "2030-01-02T03:04:05+02:00", "2020-05-05T05:05:05.5Z")


def user_entry(rng: random.Random, version: str, name: str, path: str) -> dict[str, Any]:
    """A flowLogs entry with outer keys spelled as the json tag, capitalised (Go's field style) or in lower case."""
    entry: dict[str, Any] = {"name": name, "filePath": path}
    if rng.random() < 0.6:
        entry["fieldMask"] = rng.sample(FIELD_PATHS, k=rng.randint(1, 4))
    for key in ("includeFilters", "excludeFilters"):
        if rng.random() < 0.7:
            entry[key] = [user_filter(rng, version) for _ in range(rng.randint(1, 2))]
    if rng.random() < 0.3:
        entry["end"] = rng.choice(ENDS)
    if rng.random() < 0.5:
        entry["fileMaxSizeMb"] = rng.choice([1, 10, 50])
    if rng.random() < 0.4:
        entry["fileMaxBackups"] = rng.choice([0, 3, 7])
    if rng.random() < 0.4:
        entry["fileCompress"] = rng.random() < 0.5
    if rng.random() < 0.3:
        entry["fieldAggregate"] = rng.sample(
            ["source.namespace", "destination.namespace", "verdict", "traffic_direction"], k=2
        )
        entry["aggregationInterval"] = rng.choice(["30s", "1m", "0s"])
    style = rng.choice(["tag", "go", "lower"])
    return {
        (key[0].upper() + key[1:] if style == "go" else key.lower() if style == "lower" else key): value
        for key, value in entry.items()
    }


def paths(rng: random.Random, count: int) -> list[str]:
    """Distinct file paths: below the agent's hubble directory, the chart's own example directory, stdout."""
    choices = [
        f"/var/run/cilium/hubble/f{i}.log" if rng.random() < 0.6 else f"/var/log/network/flow-log/f{i}.log"
        for i in range(count)
    ]
    if count > 1 and rng.random() < 0.3:
        choices[rng.randrange(count)] = "stdout"
    return choices


@dataclass
class CaseSet:
    """One file to import, and what the agent runs from it (read from the file or Cilium's chart)."""

    form: str
    text: str
    values: dict[str, Any] | None = None  # Helm values


def flowlogs_case(rng: random.Random, version: str, count: int, config_map: bool) -> CaseSet:
    entries = [user_entry(rng, version, f"log-{i}", path) for i, path in enumerate(paths(rng, count))]
    top = rng.choice(["flowLogs", "FlowLogs", "flowlogs"])
    content = yaml.safe_dump({top: entries}, sort_keys=False)
    if not config_map:
        return CaseSet("flowlogs.yaml", content)
    document = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cilium-flowlog-config", "namespace": "kube-system"},
        "data": {"flowlogs.yaml": content},
    }
    return CaseSet("ConfigMap", yaml.safe_dump(document, sort_keys=False))


def helm_case(rng: random.Random, version: str, count: int) -> CaseSet:
    """Cilium Helm values: dynamic flow logs (as users write content) and the static exporter
    (allow/deny lists as the chart takes them: JSON text), with top-level settings of the version's chart."""
    all_paths = paths(rng, count + 1)
    entries = [user_entry(rng, version, f"log-{i}", path) for i, path in enumerate(all_paths[:count])]
    static: dict[str, Any] = {
        "enabled": True,
        "filePath": all_paths[count] if all_paths[count] != "stdout" else "/var/run/cilium/hubble/events.log",
    }
    if rng.random() < 0.6:
        static["fieldMask"] = rng.sample(FIELD_PATHS, k=rng.randint(1, 3))
    for key in ("allowList", "denyList"):
        if rng.random() < 0.7:
            static[key] = [
                json.dumps(user_filter(rng, version), separators=(",", ":")) for _ in range(rng.randint(1, 2))
            ]
    export: dict[str, Any] = {"dynamic": {"enabled": True, "config": {"content": entries}}, "static": static}
    top_level = ["fileMaxSizeMb", "fileMaxBackups"] + (["fileCompress"] if version not in AGENT_WIDE_ROTATION else [])
    for key in top_level:
        if rng.random() < 0.4:
            # 0 is "unset" for 1.18's chart (`default`) and per flow log; 1.16/1.17 hand it to the agent as is.
            sizes = [3, 30] if version in AGENT_WIDE_ROTATION else [0, 3, 30]
            export[key] = rng.choice(sizes) if key != "fileCompress" else rng.random() < 0.5
    if version not in AGENT_WIDE_ROTATION:
        for key in ("fileMaxSizeMb", "fileMaxBackups", "fileCompress"):
            if rng.random() < 0.4:
                static[key] = rng.choice([2, 20]) if key != "fileCompress" else rng.random() < 0.5
    if version in AGGREGATION and rng.random() < 0.5:
        static["fieldAggregate"] = ["source.namespace", "verdict"]
        if rng.random() < 0.5:
            export["aggregationInterval"] = rng.choice(["30s", "2m"])
        if rng.random() < 0.5:
            static["aggregationInterval"] = "45s"
    values = {"hubble": {"export": export}}
    return CaseSet("Helm values", yaml.safe_dump(values, sort_keys=False), values)


# ----------------------------------------------------------------------------- what the agent runs


@dataclass(frozen=True)
class Exporter:
    name: str
    file: str
    fields: tuple[str, ...]
    end: datetime | None
    rotation: tuple[int, int, bool]
    aggregation: tuple[tuple[str, ...], str] | None
    allow: tuple[str, ...]  # JSON FlowFilters as hubble's --allowlist takes them
    deny: tuple[str, ...]


def _instant(text: Any) -> datetime | None:
    return None if text is None else datetime.fromisoformat(str(text))


def _aggregation(version: str, fields: Any, interval: Any) -> tuple[tuple[str, ...], str] | None:
    if version not in AGGREGATION or not fields or interval is None:
        return None
    seconds = {"s": 1, "m": 60, "h": 3600}
    text = str(interval)
    return (
        (tuple(sorted(fields)), text) if text not in ("0s", "0") and float(text[:-1]) * seconds[text[-1]] > 0 else None
    )


def _rotation(version: str, entry: dict[str, Any], agent_wide: tuple[int, int, bool]) -> tuple[int, int, bool]:
    if version in AGENT_WIDE_ROTATION:
        return agent_wide
    size, backups, compress = (go_field(entry, key) for key in ("fileMaxSizeMb", "fileMaxBackups", "fileCompress"))
    return (size or DEFAULT_ROTATION[0], backups or DEFAULT_ROTATION[1], bool(compress))


def dynamic_exporters(version: str, flowlogs_yaml: str, agent_wide: tuple[int, int, bool]) -> list[Exporter]:
    """The flow logs the agent runs from a flowlogs.yaml (outer keys by encoding/json's rule)."""
    document = yaml.load(flowlogs_yaml, Loader=_GoYAML)  # noqa: S506 - a CSafeLoader
    result = []
    for entry in go_field(document, "flowLogs") or []:
        result.append(
            Exporter(
                name=str(go_field(entry, "name")),
                file=str(go_field(entry, "filePath")),
                fields=tuple(sorted(set(go_field(entry, "fieldMask") or []))),
                end=_instant(go_field(entry, "end")),
                rotation=_rotation(version, entry, agent_wide),
                aggregation=_aggregation(
                    version, go_field(entry, "fieldAggregate"), go_field(entry, "aggregationInterval")
                ),
                allow=tuple(json.dumps(f) for f in go_field(entry, "includeFilters") or []),
                deny=tuple(json.dumps(f) for f in go_field(entry, "excludeFilters") or []),
            )
        )
    return result


_RENDERED: dict[tuple[str, str], tuple[dict[str, str], str | None]] = {}


def render_chart(version: str, values: dict[str, Any], directory: Path) -> tuple[dict[str, str], str | None]:
    """cilium-config's data and the flowlogs.yaml of the cilium-flowlog-config ConfigMap Cilium's chart
    renders (one helm run per distinct values)."""
    key = (version, json.dumps(values, sort_keys=True))
    if key in _RENDERED:
        return _RENDERED[key]
    values_file = directory / f"cilium-values-{version}-{len(_RENDERED)}.yaml"
    values_file.write_text(yaml.safe_dump(values), encoding="utf-8")
    chart = CHART_DIR / f"cilium-{CHARTS[version]}.tgz"
    completed = upstream_tools.ask_helm("template", "cilium", chart, "-n", "kube-system", "-f", values_file)
    assert completed.returncode == 0, completed.stderr
    config: dict[str, str] = {}
    flowlogs_yaml = None
    for text in completed.stdout.split("\n---"):
        if "kind: ConfigMap" not in text or not (
            "name: cilium-config\n" in text or "name: cilium-flowlog-config\n" in text
        ):
            continue  # only the two ConfigMaps are parsed: the whole manifest is slow to read
        document = yaml.load(text, Loader=yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader)  # noqa: S506 - safe loaders
        if isinstance(document, dict) and document.get("kind") == "ConfigMap":
            if document["metadata"]["name"] == "cilium-config":
                config = document["data"]
            elif document["metadata"]["name"] == "cilium-flowlog-config":
                flowlogs_yaml = document["data"]["flowlogs.yaml"]
    assert config, "Cilium's chart rendered no cilium-config"
    _RENDERED[key] = (config, flowlogs_yaml)
    return _RENDERED[key]


def agent_wide_rotation(config: dict[str, str]) -> tuple[int, int, bool]:
    """1.16/1.17: hubble-export-file-max-size-mb / -max-backups, no compression of dynamic flow logs."""
    return (
        int(config.get("hubble-export-file-max-size-mb", DEFAULT_ROTATION[0])),
        int(config.get("hubble-export-file-max-backups", DEFAULT_ROTATION[1])),
        False,
    )


def chart_exporters(version: str, values: dict[str, Any], directory: Path) -> list[Exporter]:
    config, flowlogs_yaml = render_chart(version, values, directory)
    agent_wide = agent_wide_rotation(config)
    exporters = dynamic_exporters(version, flowlogs_yaml, agent_wide) if flowlogs_yaml is not None else []
    if "hubble-export-file-path" in config:  # the static exporter (hubble.export.static.enabled)
        rotation = agent_wide[:2] + (GO_BOOLS[config.get("hubble-export-file-compress", "false")],)
        exporters.append(
            Exporter(
                name="static",
                file=config["hubble-export-file-path"],
                fields=tuple(sorted(set(config.get("hubble-export-fieldmask", "").split()))),
                end=None,
                rotation=rotation,
                aggregation=_aggregation(
                    version,
                    config.get("hubble-export-fieldaggregate", "").split(),
                    config.get("hubble-export-aggregation-interval"),
                ),
                allow=(config["hubble-export-allowlist"],) if config.get("hubble-export-allowlist") else (),
                deny=(config["hubble-export-denylist"],) if config.get("hubble-export-denylist") else (),
            )
        )
    return exporters


def compiled_exporters(version: str, profile: Path, directory: Path) -> list[Exporter]:
    """What flowlogs' chart gives the agent: the compiled flowLogs (its flowlogs.yaml) and, for
    1.16/1.17, the agent-wide rotation Cilium's chart renders from flowlogs' overlay."""
    result = compile_paths([profile])
    assert [str(d) for d in result.diagnostics.errors] == []
    part = result.profiles[0].parts["cilium"]
    agent_wide = (
        agent_wide_rotation(render_chart(version, part.overlay, directory)[0])
        if version in AGENT_WIDE_ROTATION
        else DEFAULT_ROTATION
    )
    return dynamic_exporters(version, yaml.safe_dump({"flowLogs": part.values["flowLogs"]}), agent_wide)


# ----------------------------------------------------------------------------- hubble


class Hubble:
    """`hubble observe --input-file` of one version over one flow file; one process per filter set."""

    def __init__(self, version: str, flows: list[dict[str, Any]], directory: Path) -> None:
        self.version = version
        self.binary = upstream_tools.hubble(version)
        self.flows = directory / f"flows-{version}.jsonl"
        self.flows.write_text("".join(json.dumps(f) + "\n" for f in flows), encoding="utf-8")
        self.runs = 0

    def exported(self, allow: tuple[str, ...], deny: tuple[str, ...]) -> frozenset[str]:
        filters = [arg for f in allow for arg in ("--allowlist", f)] + [arg for f in deny for arg in ("--denylist", f)]
        command = ("observe", "--input-file", self.flows, "-o", "jsonpb", *filters)
        completed = upstream_tools.ask_hubble(self.version, *command)
        self.runs += 1
        assert completed.returncode == 0, f"hubble refuses {allow} / {deny}: {completed.stderr}"
        return frozenset(json.loads(line)["flow"]["uuid"] for line in completed.stdout.splitlines() if line.strip())

    def many(
        self, filter_sets: list[tuple[tuple[str, ...], tuple[str, ...]]]
    ) -> dict[tuple[tuple[str, ...], tuple[str, ...]], frozenset[str]]:
        unique = list(dict.fromkeys(filter_sets))
        with ThreadPoolExecutor(max_workers=2) as pool:
            return dict(zip(unique, pool.map(lambda s: self.exported(*s), unique), strict=True))


# ----------------------------------------------------------------------------- the tier


def import_pairs(
    run_cli: Callable[..., CliResult], tmp_path: Path, version: str, case: CaseSet, index: int = 0
) -> tuple[list[tuple[Exporter, Exporter]], str]:
    """(what Cilium runs from the case, what runs from its import compiled) per exporter, and the imported profile."""
    source = tmp_path / f"case-{index}.yaml"
    source.write_text(case.text, encoding="utf-8")
    output = tmp_path / f"imported-{index}.yaml"
    result = run_cli("import", str(source), "--cilium", version, "--output-file", str(output))
    assert result.code == 0, f"{case.form}:\n{case.text}\n{result.err}"
    if case.values is not None:
        expected = chart_exporters(version, case.values, tmp_path)
    else:
        text = yaml.safe_load(case.text)["data"]["flowlogs.yaml"] if case.form == "ConfigMap" else case.text
        expected = dynamic_exporters(version, text, DEFAULT_ROTATION)
    got = compiled_exporters(version, output, tmp_path)
    assert [e.name for e in got] == [e.name for e in expected], case.text
    return list(zip(expected, got, strict=True)), output.read_text(encoding="utf-8")


def settings(exporter: Exporter) -> tuple[Any, ...]:
    return (exporter.name, exporter.file, exporter.fields, exporter.end, exporter.rotation, exporter.aggregation)


def assert_same(pairs: list[tuple[Exporter, Exporter]], outcomes: dict[Any, frozenset[str]]) -> None:
    for expected, got in pairs:
        assert settings(got) == settings(expected), f"{expected}\n{got}"
        assert outcomes[(got.allow, got.deny)] == outcomes[(expected.allow, expected.deny)], f"{expected}\n{got}"


def run_tier(
    run_cli: Callable[..., CliResult], tmp_path: Path, version: str, seed: int, entries: int, flow_count: int
) -> dict[str, int]:
    rng = random.Random(f"{seed}-{version}")
    cases = [
        flowlogs_case(rng, version, entries, False),
        flowlogs_case(rng, version, entries, True),
        helm_case(rng, version, entries),
    ]
    hubble = Hubble(version, make_flows(rng, flow_count), tmp_path)
    pairs = [
        pair for index, case in enumerate(cases) for pair in import_pairs(run_cli, tmp_path, version, case, index)[0]
    ]
    outcomes = hubble.many([(e.allow, e.deny) for pair in pairs for e in pair])
    assert_same(pairs, outcomes)
    every = frozenset(f"00000000-0000-4000-8000-{i:012d}" for i in range(flow_count))
    subsets = sum(1 for expected, _ in pairs if outcomes[(expected.allow, expected.deny)] not in (frozenset(), every))
    assert subsets >= len(pairs) // 4, "too few exporters select a proper subset of the flows: the run proves little"
    return {"exporters": len(pairs), "flows": flow_count, "hubble runs": hubble.runs, "subsets": subsets}


@pytest.mark.parametrize("version", sorted(CHARTS))
def test_imported_exporters_match_what_cilium_runs(
    run_cli: Callable[..., CliResult], tmp_path: Path, version: str
) -> None:
    counts = run_tier(run_cli, tmp_path, version, seed=21, entries=3, flow_count=120)
    print(f"import oracle {version}: {counts}")


@pytest.mark.slow
@pytest.mark.parametrize("version", sorted(CHARTS))
def test_imported_exporters_match_what_cilium_runs_many(
    run_cli: Callable[..., CliResult], tmp_path: Path, version: str, request: pytest.FixtureRequest
) -> None:
    first = upstream_tools.oracle_seed(Path(__file__))
    # shown when the test fails (run_cli consumes what the test prints)
    request.node.add_report_section("call", "oracle seed", f"FLOWLOGS_ORACLE_SEED={first} makes these cases again")
    totals: dict[str, int] = {}
    for seed in range(upstream_tools.oracle_budget(2)):
        (tmp_path / f"s{seed}").mkdir()
        for key, value in run_tier(
            run_cli, tmp_path / f"s{seed}", version, seed=first + seed, entries=6, flow_count=300
        ).items():
            totals[key] = totals.get(key, 0) + value
    print(f"import oracle (slow) {version}: {totals}")


# ----------------------------------------------------------------------------- each import item of issues 21 and 22, by
# the oracle

FLOWS_SEED = 7


def check(
    run_cli: Callable[..., CliResult], tmp_path: Path, version: str, case: CaseSet
) -> tuple[list[tuple[Exporter, Exporter]], str, dict[Any, frozenset[str]]]:
    """Import `case` for `version`; every exporter as Cilium runs it (chart, hubble) equals the compiled one."""
    pairs, profile = import_pairs(run_cli, tmp_path, version, case)
    hubble = Hubble(version, make_flows(random.Random(FLOWS_SEED), 150), tmp_path)
    outcomes = hubble.many([(e.allow, e.deny) for pair in pairs for e in pair])
    assert_same(pairs, outcomes)
    return pairs, profile, outcomes


def flowlogs_yaml(*filters: str, extra: str = "") -> CaseSet:
    lines = "".join(f"      - {f}\n" for f in filters)
    return CaseSet(
        "flowlogs.yaml",
        f"flowLogs:\n  - name: a\n    filePath: /var/run/cilium/hubble/a.log\n{extra}"
        + (f"    includeFilters:\n{lines}" if filters else ""),
    )


def helm_values(values: dict[str, Any]) -> CaseSet:
    return CaseSet("Helm values", yaml.safe_dump(values, sort_keys=False), values)


def words(profile: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load(profile)["cilium"]["flow-logs"])


# protojson reads proto names and JSON names, enum names and numbers, integers as strings
# (google.golang.org/protobuf encoding/protojson decode.go); hubble decodes --allowlist with it.
ACCEPTED = {
    "camelCase event type (issue 21)": (
        "{eventType: [{type: 1, subType: 133, matchSubType: true}]}",
        {"event-type": {"type": "drop", "sub-type": "policy-denied", "match-sub-type": True}},
    ),
    "enum numbers": ("{verdict: [2], trafficDirection: [1]}", {"verdict": "dropped", "direction": "ingress"}),
    "integers as strings": (
        "{event_type: [{type: '1', sub_type: '181', match_sub_type: true}]}",
        {"event-type": {"type": "drop", "sub-type": "policy-deny", "match-sub-type": True}},
    ),
    "any namespace (issue 21)": ('{source_pod: ["/db"]}', {"source-pod": "*/db"}),
    "JSON names": (
        '{sourcePod: ["shop/"], destinationPort: ["80"]}',
        {"source-namespace": "shop", "destination-port": 80},
    ),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_filters_as_protojson_reads_them_import_to_words_that_export_the_same_flows(
    run_cli, tmp_path, name: str
) -> None:
    written, expected_words = ACCEPTED[name]
    pairs, profile, outcomes = check(run_cli, tmp_path, "1.19", flowlogs_yaml(written))
    assert words(profile)[0]["include"] == [expected_words]
    assert "raw" not in profile
    exported = outcomes[(pairs[0][0].allow, pairs[0][0].deny)]
    assert 0 < len(exported) < 150


# What the agent's protojson refuses (the whole flowlogs.yaml then): hubble refuses the same filter.
REFUSED = {
    '{"verdict":[true]}': "flowLogs[0].includeFilters[0].verdict[0]: true is not a Verdict name or number",
    '{"verdict":["DENIED"]}': "flowLogs[0].includeFilters[0].verdict[0]: unknown Verdict 'DENIED'",
    '{"Verdict":["DROPPED"]}': (
        "flowLogs[0].includeFilters[0].Verdict: unknown FlowFilter field 'Verdict' for Cilium 1.19 (write 'verdict' or "
        "'verdict': protojson reads no other spelling)"
    ),
    '{"source_pod":["a/"],"sourcePod":["b/"]}': (
        "flowLogs[0].includeFilters[0].sourcePod: duplicate field: 'source_pod' is also written as 'source_pod'"
    ),
    '{"event_type":[{"Type":1}]}': (
        "flowLogs[0].includeFilters[0].event_type[0].Type: unknown EventTypeFilter field 'Type'"
    ),
    '{"event_type":[{"type":1.5}]}': (
        "flowLogs[0].includeFilters[0].event_type[0].type: 1.5 is not a whole number (int32)"
    ),
}


@pytest.mark.parametrize("written", sorted(REFUSED))
def test_filters_the_agent_refuses_are_refused_with_their_position(run_cli, tmp_path, written: str) -> None:
    hubble = Hubble("1.19", make_flows(random.Random(FLOWS_SEED), 5), tmp_path)
    refused = upstream_tools.ask_hubble("1.19", "observe", "--input-file", hubble.flows, "--allowlist", written)
    assert refused.returncode != 0 and "failed to decode" in refused.stderr
    config = tmp_path / "flowlogs.yaml"
    config.write_text(flowlogs_yaml(written).text, encoding="utf-8")
    output = tmp_path / "out.yaml"
    result = run_cli("import", str(config), "--cilium", "1.19", "--output-file", str(output))
    assert result.code == 1
    assert f"{config}: {REFUSED[written]}" in result.err and result.err.rstrip().endswith(
        "(the agent rejects the whole file)"
    )
    assert not output.exists()


@pytest.mark.parametrize("version", ["1.16", "1.19"])  # 1.16's chart joins the lists with "", 1.17+ with " "
def test_the_charts_own_static_list_format_imports(run_cli, tmp_path, version: str) -> None:
    # The examples in the comments of hubble.export.static in Cilium's values.yaml (1.16.19-1.19.5).
    values = {
        "hubble": {
            "export": {
                "static": {
                    "enabled": True,
                    "allowList": ['{"verdict":["DROPPED","ERROR"]}'],
                    "denyList": ['{"source_pod":["kube-system/"]}', '{"destination_pod":["kube-system/"]}'],
                }
            }
        }
    }
    pairs, profile, outcomes = check(run_cli, tmp_path, version, helm_values(values))
    assert words(profile) == [
        {
            "name": "static",
            "include": [{"verdict": ["dropped", "error"]}],
            "exclude": [{"source-namespace": "kube-system"}, {"destination-namespace": "kube-system"}],
        }
    ]
    assert 0 < len(outcomes[(pairs[0][0].allow, pairs[0][0].deny)]) < 150


@pytest.mark.parametrize("version", ["1.16", "1.19"])  # joined with "" and with " "
def test_a_null_in_the_static_lists_is_left_out_as_the_chart_leaves_it_out(run_cli, tmp_path, version: str) -> None:
    # Cilium's chart joins the lists with sprig's join, whose strslice drops nil items: the agent never sees them
    # (unlike a null in flowlogs.yaml's includeFilters, which it loads as a filter matching every flow).
    values = {"hubble": {"export": {"static": {"enabled": True, "allowList": [None, '{"verdict":["DROPPED"]}']}}}}
    values["hubble"]["export"]["static"]["denyList"] = [None]
    config, _ = render_chart(version, values, tmp_path)
    assert (config["hubble-export-allowlist"], config["hubble-export-denylist"]) == ('{"verdict":["DROPPED"]}', "")
    pairs, profile, outcomes = check(run_cli, tmp_path, version, helm_values(values))
    assert words(profile) == [{"name": "static", "include": [{"verdict": "dropped"}]}]
    assert 0 < len(outcomes[(pairs[0][0].allow, pairs[0][0].deny)]) < 150


def test_a_mapping_in_the_static_lists_is_refused_as_the_chart_would_garble_it(run_cli, tmp_path) -> None:
    values = {"hubble": {"export": {"static": {"enabled": True, "allowList": [{"verdict": ["DROPPED"]}]}}}}
    config, _ = render_chart("1.19", values, tmp_path)
    assert config["hubble-export-allowlist"] == "map[verdict:[DROPPED]]"  # what the agent would get
    source = tmp_path / "values.yaml"
    source.write_text(yaml.safe_dump(values), encoding="utf-8")
    result = run_cli("import", str(source))
    assert result.code == 1
    assert (
        f"{source}: hubble.export.static.allowList[0]: Cilium's chart takes a FlowFilter here as JSON text"
        in result.err
    )


def chart_example(version: str) -> list[dict[str, Any]]:
    """The flow logs of hubble.export.dynamic.config.content in Cilium's values.yaml: the default `all`
    and the commented example `test002` (writing to /var/log/network/flow-log/pa/test002.log)."""
    import tarfile

    with tarfile.open(CHART_DIR / f"cilium-{CHARTS[version]}.tgz") as archive:
        member = archive.extractfile("cilium/values.yaml")
        assert member is not None
        lines = member.read().decode().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "content:")
    default, commented = [], []
    for line in lines[start + 1 :]:
        if line.startswith(" " * 12 + "#"):
            commented.append(line.replace("#", " ", 1))
        elif commented or not line.startswith(" " * 10):
            break
        else:
            default.append(line)
    return list(yaml.safe_load("\n".join(default))) + list(yaml.safe_load("\n".join(commented)))


@pytest.mark.parametrize("version", sorted(CHARTS))
def test_the_charts_own_example_flow_logs_import(run_cli, tmp_path, version: str) -> None:
    content = chart_example(version)
    assert [entry["name"] for entry in content] == ["all", "test002"]
    values = {"hubble": {"export": {"dynamic": {"enabled": True, "config": {"content": content}}}}}
    pairs, profile, _ = check(run_cli, tmp_path, version, helm_values(values))
    example = words(profile)[1]
    assert (example["file"], example["allow-any-path"]) == ("/var/log/network/flow-log/pa/test002.log", True)
    assert (
        "#   - test002: 'allow-any-path: true' keeps /var/log/network/flow-log/pa/test002.log, outside "
        "/var/run/cilium/hubble/" in profile
    )
    assert pairs[1][0].file == "/var/log/network/flow-log/pa/test002.log"


@pytest.mark.parametrize("version", sorted(CHARTS))
def test_rotation_is_what_each_versions_chart_renders(run_cli, tmp_path, version: str) -> None:
    per_flow_log = version not in AGENT_WIDE_ROTATION
    export: dict[str, Any] = {
        "fileMaxSizeMb": 30,
        "fileMaxBackups": 4,
        "static": {"enabled": True, "fileMaxSizeMb": 7, "fileMaxBackups": 2, "fileCompress": False},
        "dynamic": {
            "enabled": True,
            "config": {
                "content": [
                    {"name": "a", "filePath": "/var/run/cilium/hubble/a.log", "fileMaxSizeMb": 3, "fileCompress": False}
                ]
            },
        },
    }
    if per_flow_log:
        export["fileCompress"] = True
    pairs, profile, _ = check(run_cli, tmp_path, version, helm_values({"hubble": {"export": export}}))
    # As rendered: 1.16/1.17 rotate everything by the top-level settings; 1.18/1.19's chart sets them on
    # each dynamic flow log and lets them win over static.* (`default`).
    assert [expected.rotation for expected, _ in pairs] == [(30, 4, per_flow_log), (30, 4, per_flow_log)]
    if not per_flow_log:
        assert yaml.safe_load(profile)["cilium"]["rotation"] == {"max-size-mb": 30, "max-backups": 4}


def test_static_aggregation_of_1_19_is_what_the_chart_renders(run_cli, tmp_path) -> None:
    static = {"enabled": True, "fieldAggregate": ["source.namespace", "verdict"], "aggregationInterval": "45s"}
    (tmp_path / "top").mkdir()
    pairs, profile, _ = check(
        run_cli,
        tmp_path / "top",
        "1.19",
        helm_values({"hubble": {"export": {"aggregationInterval": "30s", "static": static}}}),
    )
    assert pairs[0][0].aggregation == (("source.namespace", "verdict"), "30s")
    assert words(profile)[0]["aggregation-interval"] == "30s"
    # Without the top-level interval the chart writes "0s" (validateDuration of nothing): no aggregation.
    (tmp_path / "own").mkdir()
    pairs, profile, _ = check(
        run_cli, tmp_path / "own", "1.19", helm_values({"hubble": {"export": {"static": static}}})
    )
    assert pairs[0][0].aggregation is None
    assert "hubble.export.static.aggregationInterval (45s) is not what Cilium 1.19's chart renders" in profile


def test_top_level_rotation_beside_dynamic_content_is_kept(run_cli, tmp_path) -> None:
    content = [
        {"name": "a", "filePath": "/var/run/cilium/hubble/a.log"},
        {"name": "b", "filePath": "/var/run/cilium/hubble/b.log", "fileMaxBackups": 9},
        # The chart sets fileMaxSizeMb beside these and writes the keys sorted (toYaml): the last one wins.
        {"name": "c", "filePath": "/var/run/cilium/hubble/c.log", "filemaxsizemb": 50},
        {"name": "d", "filePath": "/var/run/cilium/hubble/d.log", "FileMaxSizeMb": 50},
    ]
    values = {
        "hubble": {
            "export": {
                "fileMaxSizeMb": 25,
                "fileCompress": True,
                "dynamic": {"enabled": True, "config": {"content": content}},
            }
        }
    }
    pairs, profile, _ = check(run_cli, tmp_path, "1.18", helm_values(values))
    assert [expected.rotation for expected, _ in pairs] == [(25, 5, True), (25, 9, True), (50, 5, True), (25, 5, True)]
    assert [entry["rotation"] for entry in words(profile)] == [
        {"max-size-mb": 25, "compress": True},
        {"max-size-mb": 25, "max-backups": 9, "compress": True},
        {"max-size-mb": 50, "compress": True},
        {"max-size-mb": 25, "compress": True},
    ]


def test_a_quoted_boolean_is_read_as_each_reader_reads_it(run_cli, tmp_path) -> None:
    # In flowlogs.yaml encoding/json refuses a JSON string for a bool field ("cannot unmarshal string into
    # Go struct field ... of type bool", encoding/json decode.go): the agent rejects the whole file.
    config = tmp_path / "flowlogs.yaml"
    config.write_text(flowlogs_yaml(extra='    fileCompress: "false"\n').text, encoding="utf-8")
    result = run_cli("import", str(config))
    assert result.code == 1
    assert (
        f"{config}: flowLogs[0].fileCompress: expected true or false, got 'false' (the agent rejects the whole file; "
        "write it unquoted)" in result.err
    )
    # In Helm values a top-level one is quoted into cilium-config, which the agent reads with strconv.ParseBool.
    values: dict[str, Any] = {
        "hubble": {"export": {"static": {"enabled": True, "fileCompress": False}, "fileCompress": "true"}}
    }
    pairs, profile, _ = check(run_cli, tmp_path, "1.19", helm_values(values))
    assert pairs[0][0].rotation == (10, 5, True)
    assert words(profile)[0]["rotation"] == {"compress": True}
    # static.fileCompress is typed by the chart's values.schema.json: helm refuses a string there.
    values["hubble"]["export"]["static"]["fileCompress"] = "false"
    source = tmp_path / "values.yaml"
    source.write_text(yaml.safe_dump(values), encoding="utf-8")
    chart = CHART_DIR / f"cilium-{CHARTS['1.19']}.tgz"
    helm = upstream_tools.ask_helm("template", "cilium", chart, "-n", "kube-system", "-f", source)
    assert helm.returncode == 1 and "at '/hubble/export/static/fileCompress': got string, want boolean" in helm.stderr
    result = run_cli("import", str(source))
    assert result.code == 1
    assert f"{source}: hubble.export.static.fileCompress: expected true or false, got 'false'" in result.err


def test_keys_differing_in_case_keep_the_last_as_go_does(run_cli, tmp_path) -> None:
    # encoding/json decode.go object(): each key matching a field (exactly or case-folded) is decoded in turn.
    case = CaseSet(
        "flowlogs.yaml",
        "flowLogs:\n  - name: a\n    filePath: /var/run/cilium/hubble/first.log\n    FilePath: "
        "/var/run/cilium/hubble/last.log\n    FIELDMASK: [time]\n    fieldMask: [verdict]\n",
    )
    pairs, profile, _ = check(run_cli, tmp_path, "1.19", case)
    assert (pairs[0][0].file, pairs[0][0].fields) == ("/var/run/cilium/hubble/last.log", ("verdict",))
    assert words(profile) == [{"name": "a", "file": "/var/run/cilium/hubble/last.log", "fields": ["verdict"]}]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("source_port: ['{{x}}']", "'{{x}}' is not a port number (0-65535)"),
        ("verdict: [true]", "true is not a Verdict: write its name"),
        ("destination_ip: ['10.0.0.0/255.0.0.0']", "'10.0.0.0/255.0.0.0' is not an IP address or CIDR range"),
    ],
)
def test_raw_values_the_agent_cannot_build_fail_to_compile(tmp_path, raw: str, message: str) -> None:
    field, _, value = raw.partition(": ")
    hubble = Hubble("1.19", make_flows(random.Random(FLOWS_SEED), 5), tmp_path)
    as_json = json.dumps({field: yaml.safe_load(value)})
    refused = upstream_tools.ask_hubble("1.19", "observe", "--input-file", hubble.flows, "--allowlist", as_json)
    assert refused.returncode != 0, as_json
    profile = tmp_path / "p.yaml"
    profile.write_text(
        f"cilium:\n  version: '1.19'\n  flow-logs:\n    - name: a\n      include:\n        - raw:\n            {raw}\n",
        encoding="utf-8",
    )
    result = compile_paths([profile])
    assert [d.message for d in result.diagnostics.errors] == [message]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "kind: ConfigMap\napiVersion: v1\nmetadata: {name: cilium-flowlog-config}\ndata: [1]\n",
            "ConfigMap cilium-flowlog-config data: expected a mapping of file names to text, got a list",
        ),
        (
            "kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\ndata: {flowlogs.yaml: [1]}\n",
            "ConfigMap x data.flowlogs.yaml: expected the file's text (a string), got a list",
        ),
        ("hubble:\n  export: [1]\n", "hubble.export: expected a mapping, got a list"),
        ("hubble:\n  export:\n    static: 5\n", "hubble.export.static: expected a mapping, got a number"),
        (
            "flowLogs:\n  - {name: a, filePath: /var/run/cilium/hubble/a.log, includeFilters: [5]}\n",
            "flowLogs[0].includeFilters[0]: a FlowFilter is a mapping, got a number",
        ),
        (
            "flowLogs:\n  - {name: a, filePath: /var/run/cilium/hubble/a.log, includeFilters: [null]}\n",
            "flowLogs[0].includeFilters[0]: a FlowFilter is a mapping, got null; Cilium's agent would load it as an "
            "empty filter that matches every flow, so the flow log's includeFilters would let every flow through, as "
            "if there were none: delete the item",
        ),
        (
            "flowLogs:\n  - {name: a, filePath: /var/run/cilium/hubble/a.log, fieldMask: 5}\n",
            "flowLogs[0].fieldMask: expected a list, got a number",
        ),
        (
            "apiVersion: operator.tigera.io/v1\nkind: ApplicationLayer\nmetadata: {name: tigera-secure}\nspec: [1]\n",
            "ApplicationLayer spec: expected a mapping, got list [1]",
        ),
        (
            "apiVersion: operator.tigera.io/v1\nkind: ApplicationLayer\nmetadata: {name: tigera-secure}\nspec: "
            "{logCollection: 5}\n",
            "ApplicationLayer spec.logCollection: expected a mapping, got int 5",
        ),
        (
            "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\nspec: x\n",
            "FelixConfiguration spec: expected a mapping, got str 'x'",
        ),
    ],
)
def test_a_value_of_the_wrong_shape_is_a_positioned_error_not_an_internal_one(
    run_cli, tmp_path, text: str, message: str
) -> None:
    source = tmp_path / "config.yaml"
    source.write_text(text, encoding="utf-8")
    result = run_cli("import", str(source))
    assert (result.code, result.err) == (1, f"flowlogs: error: {source}: {message}\n")


def test_an_application_layer_with_waf_is_adopted_not_owned(run_cli, tmp_path) -> None:
    # tigera/operator api/v1/applicationlayer_types.go: webApplicationFirewall and applicationLayerPolicy are
    # settings of the same ApplicationLayer object as logCollection; deleting the object turns them off.
    source = tmp_path / "layer.yaml"
    source.write_text(
        "apiVersion: operator.tigera.io/v1\nkind: ApplicationLayer\nmetadata: {name: tigera-secure}\nspec:\n  "
        "webApplicationFirewall: Enabled\n  logCollection: {collectLogs: Enabled}\n",
        encoding="utf-8",
    )
    result = run_cli("import", str(source))
    assert result.code == 0, result.err
    assert yaml.safe_load(result.out)["calico"]["existing-application-layer"] == "on"
    assert (
        "#   - ApplicationLayer webApplicationFirewall: Enabled: 'existing-application-layer: on' adopts the object "
        "and never deletes it" in result.out
    )
    output = tmp_path / "imported.yaml"
    assert run_cli("import", str(source), "--output-file", str(output)).code == 0
    compiled = compile_paths([output]).profiles[0].parts["calico"]
    assert compiled.values["keepApplicationLayer"] is True


def test_an_unquoted_end_is_the_text_the_agent_reads(run_cli, tmp_path) -> None:
    # go.yaml.in/yaml/v2 keeps a timestamp-looking scalar as its text (decode.go: "for backward compatibility"),
    # which Time.UnmarshalJSON then reads; PyYAML would make it a datetime.
    case = CaseSet(
        "flowlogs.yaml",
        "flowLogs:\n  - name: a\n    filePath: /var/run/cilium/hubble/a.log\n    end: 2030-01-02T03:04:05+02:00\n",
    )
    pairs, profile, _ = check(run_cli, tmp_path, "1.19", case)
    assert pairs[0][0].end == datetime.fromisoformat("2030-01-02T01:04:05+00:00")
    assert words(profile)[0]["end"] == "2030-01-02T03:04:05+02:00"


def test_an_interval_without_a_unit_is_refused_at_its_position(run_cli, tmp_path) -> None:
    # time.ParseDuration("30"): "time: missing unit in duration" (Go src/time/format.go), the whole file fails.
    config = tmp_path / "flowlogs.yaml"
    config.write_text(
        "flowLogs:\n  - name: a\n    filePath: /var/run/cilium/hubble/a.log\n    fieldAggregate: [verdict]\n    "
        "aggregationInterval: 30\n",
        encoding="utf-8",
    )
    result = run_cli("import", str(config), "--cilium", "1.19")
    assert (result.code, result.err) == (
        1,
        f"flowlogs: error: {config}: flowLogs[0].aggregationInterval: '30' is not a Go duration (time: missing unit in "
        'duration "30"): write e.g. 30s\n',
    )


def test_every_shipped_profiles_filters_build_in_hubble_of_its_version(tmp_path) -> None:
    """Every FlowFilter the shipped and fixture profiles compile to is decoded (protojson) and built
    (filters.BuildFilterList) by hubble of the profile's version: one hubble run per version with them all."""
    root = Path(__file__).resolve().parents[1]
    profiles = sorted((root / "values").glob("*.yaml")) + sorted(
        (root / "tests" / "fixtures" / "profiles").glob("*.yaml")
    )
    by_version: dict[str, list[str]] = {}
    for profile in compile_paths(profiles).profiles:
        if "cilium" in profile.parts:
            part = profile.parts["cilium"]
            for flow_log in part.values["flowLogs"]:
                by_version.setdefault(part.version, []).extend(
                    json.dumps(f) for f in flow_log["includeFilters"] + flow_log["excludeFilters"]
                )
    assert len(by_version) >= 3 and sum(map(len, by_version.values())) > 10
    for version, filters in sorted(by_version.items()):
        hubble = Hubble(version, make_flows(random.Random(FLOWS_SEED), 5), tmp_path)
        allow = [a for f in filters for a in ("--allowlist", f)]
        completed = upstream_tools.ask_hubble(version, "observe", "--input-file", hubble.flows, *allow)
        assert completed.returncode == 0, f"{version}: {completed.stderr}"


def test_what_the_agent_does_not_read_is_left_out_and_the_header_says_so(run_cli, tmp_path) -> None:
    # 1.17's agent has no per-flow-log rotation nor aggregation (FlowLogConfig of v1.17, unknown keys ignored
    # by encoding/json): the exporter rotates by the agent-wide setting whatever the entry says.
    case = flowlogs_yaml(extra="    fileMaxSizeMb: 3\n    fieldAggregate: [verdict]\n    aggregationInterval: 30s\n")
    (tmp_path / "old").mkdir()
    pairs, profile, _ = check(run_cli, tmp_path / "old", "1.17", case)
    assert pairs[0][0].rotation == DEFAULT_ROTATION and pairs[0][0].aggregation is None
    assert (
        "# and run `flowlogs generate`: it compiles to the same configuration, but for what the notes say is left out "
        "(Cilium does not read it).\n" in profile
    )
    assert (
        "#   - a: per-flow-log rotation left out: Cilium 1.17's agent rotates every flow log by its agent-wide setting"
        in profile
    )
    assert "#   - a: fieldAggregate/aggregationInterval left out: Cilium 1.17's agent does not read them\n" in profile
    (tmp_path / "new").mkdir()
    pairs, profile, _ = check(run_cli, tmp_path / "new", "1.19", case)
    assert pairs[0][0].rotation == (3, 5, False) and pairs[0][0].aggregation == (("verdict",), "30s")
    assert "# and run `flowlogs generate`: it compiles to the same configuration.\n" in profile

"""Read a Hubble exporter configuration as it exists in clusters today.

Accepted, in one YAML file (several documents allowed):
- a dynamic exporter file, `flowlogs.yaml`: `flowLogs: [...]`;
- a ConfigMap holding one under `data."flowlogs.yaml"` (as Cilium's chart renders it, ConfigMap
  `cilium-flowlog-config`);
- Cilium Helm values: `hubble.export.dynamic.config.content` (the dynamic flow logs) and/or the
  static exporter `hubble.export.static` (`filePath`, `fieldMask`, `allowList`, `denyList`).

The agent parses `flowlogs.yaml` with sigs.k8s.io/yaml into Go structs: outer keys (`flowLogs`, `name`,
`filePath`, ...) match case-insensitively and unknown outer keys are ignored; the whole file is
rejected when a name or filePath is missing or used twice (pkg/hubble/exporter config validation, see
../shared/upstream/cilium/exporter_config.yaml). Filters stay as written (FlowFilter JSON, proto or JSON
names): they are checked when a flow log is built for preview, as the agent does per flow log.

`read_exporter_config` is public: `flowlogs import` reads the same inputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cmp_to_key
from pathlib import Path
from typing import Any

import yaml

from ...errors import FlowlogsError
from ...inputs import DOCUMENT_LIMITS, InputRefused, load_yaml_payload, read_yaml_text
from ..defaults import DEFAULT_FILE_PATH, DEFAULT_VERSION
from ..protojson import value_kind
from ..tables import CiliumTables, load_tables

FLOWLOGS_KEY = "flowlogs.yaml"  # the ConfigMap data key (Cilium chart, hubble-flowlog-configmap)
STATIC_NAME = "static"  # the name preview gives the static exporter (it has none upstream)


@dataclass(frozen=True)
class FlowLogConfig:
    """One exporter: a `flowLogs` entry, or the static exporter."""

    name: str
    file_path: str
    field_mask: tuple[str, ...] = ()
    include_filters: tuple[dict[str, Any], ...] = ()
    exclude_filters: tuple[dict[str, Any], ...] = ()
    end: str | None = None
    file_max_size_mb: int | None = None
    file_max_backups: int | None = None
    file_compress: bool | None = None
    field_aggregate: tuple[str, ...] = ()  # 1.19 flow aggregation (fieldAggregate)
    aggregation_interval: str | None = None  # 1.19 (aggregationInterval), a Go duration
    where: str = ""  # "config.yaml: flowLogs[0]", for messages


@dataclass(frozen=True)
class ExporterConfig:
    source: str  # the file
    form: str  # "flowlogs.yaml" | "ConfigMap" | "Helm values"
    flow_logs: tuple[FlowLogConfig, ...]
    notes: tuple[str, ...] = ()
    # 1.16/1.17 Helm values: the agent-wide fileMaxSizeMb/fileMaxBackups
    shared_rotation: dict[str, int] = field(default_factory=dict)


class ExporterConfigError(FlowlogsError):
    pass


class GoYAMLLoader(yaml.SafeLoader):
    """YAML 1.1 as go.yaml.in/yaml/v2 reads it for sigs.k8s.io/yaml (the agent's flowlogs.yaml, Helm's
    values): a timestamp-looking scalar stays the string it was written as (yaml.v2 keeps them as
    strings when decoding into interface{}, "for backward compatibility"), so `end: 2030-01-02T03:04:05Z`
    unquoted is that text."""


GoYAMLLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _get(mapping: dict[str, Any], key: str) -> Any:
    """encoding/json field matching (Go's encoding/json decode.go, object()): each key that names the
    field, exactly or case-insensitively, is decoded into it in turn, so the last one wins."""
    found = None
    folded = key.casefold()
    for candidate, value in mapping.items():
        if isinstance(candidate, str) and candidate.casefold() == folded:
            found = value
    return found


def _mapping(value: Any, where: str, what: str = "a mapping") -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ExporterConfigError(f"{where}: expected {what}, got {value_kind(value)}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ExporterConfigError(f"{where}: expected a list, got {value_kind(value)}")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    """A Go []string: sigs.k8s.io/yaml writes a YAML number or boolean as a string for a string field."""
    items = _list(value, where)
    for index, item in enumerate(items):
        if isinstance(item, (dict, list)) or item is None:
            raise ExporterConfigError(f"{where}[{index}]: expected a string, got {value_kind(item)}")
    return tuple(_go_string(item) for item in items)


def _go_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


# A null item is one Cilium's agent loads (1.16-1.19): sigs.k8s.io/yaml + encoding/json make it a nil
# *flowpb.FlowFilter (pkg/hubble/exporter: FlowFilters []*flowpb.FlowFilter, no UnmarshalJSON of its own), which
# pkg/hubble/filters BuildFilterList builds as it builds {} (every OnBuildFilter reads it through nil-safe Get
# methods): a filter that matches every flow. flowlogs refuses it all the same, saying what it would do: it is
# far likelier a slip (an empty `-` item, a template that printed nothing) than a wish to export all or nothing.
# The upstream checks: tests/test_cilium_agent_config.py.
_NULL_FILTER_EFFECT = {
    "includeFilters": "the flow log's includeFilters would let every flow through, as if there were none",
    "excludeFilters": "the flow log would export nothing",
}


def _filters(value: Any, where: str, key: str) -> tuple[dict[str, Any], ...]:
    filters = []
    for index, item in enumerate(_list(value, f"{where}.{key}")):
        at = f"{where}.{key}[{index}]"
        if item is None:
            raise ExporterConfigError(
                f"{at}: a FlowFilter is a mapping, got null; Cilium's agent would load it as an empty filter that "
                f"matches every flow, so {_NULL_FILTER_EFFECT[key]}: delete the item"
            )
        if not isinstance(item, dict):
            raise ExporterConfigError(f"{at}: a FlowFilter is a mapping, got {value_kind(item)}")
        filters.append(item)
    return tuple(filters)


def _optional_int(value: Any, where: str) -> int | None:
    """A Go int field decoded by encoding/json: a JSON number without a fraction; a string fails."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExporterConfigError(f"{where}: expected a whole number, got {value!r} (the agent rejects the whole file)")
    return int(value)


def _optional_bool(value: Any, where: str) -> bool | None:
    """A Go bool field decoded by encoding/json: true or false; a quoted "false" is a string and fails."""
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ExporterConfigError(
            f"{where}: expected true or false, got {value!r} (the agent rejects the whole file; write it unquoted)"
        )
    return value


def _optional_text(value: Any, where: str) -> str | None:
    """end (Time.UnmarshalJSON) and aggregationInterval (Duration.UnmarshalJSON) read a JSON string."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise ExporterConfigError(f"{where}: expected a string, got {value_kind(value)}")
    return _go_string(value)


def flow_logs_from_document(document: Any, where: str) -> tuple[FlowLogConfig, ...]:
    """The `flowLogs` entries of a parsed flowlogs.yaml, validated as the agent does."""
    if not isinstance(document, dict):
        raise ExporterConfigError(f"{where}: expected a mapping with 'flowLogs'")
    entries = _list(_get(document, "flowLogs"), f"{where}: flowLogs")
    result: list[FlowLogConfig] = []
    errors: list[str] = []
    names: set[str] = set()
    paths: set[str] = set()
    for index, entry in enumerate(entries):
        at = f"{where}: flowLogs[{index}]"
        if not isinstance(entry, dict):
            errors.append(f"{at}: invalid flowlog at index {index}")
            continue
        name = _optional_text(_get(entry, "name"), f"{at}.name") or ""
        path = _optional_text(_get(entry, "filePath"), f"{at}.filePath") or ""
        if not name:
            errors.append(f"{at}: name is required")
        elif name in names:
            errors.append(f"{at}: duplicated flowlog name {name}")
        if not path:
            errors.append(f"{at}: filePath is required")
        elif path in paths:
            errors.append(f"{at}: duplicated flowlog path {path}")
        names.add(name)
        paths.add(path)
        result.append(
            FlowLogConfig(
                name=name,
                file_path=path,
                field_mask=_strings(_get(entry, "fieldMask"), f"{at}.fieldMask"),
                include_filters=_filters(_get(entry, "includeFilters"), at, "includeFilters"),
                exclude_filters=_filters(_get(entry, "excludeFilters"), at, "excludeFilters"),
                end=_optional_text(_get(entry, "end"), f"{at}.end"),
                file_max_size_mb=_optional_int(_get(entry, "fileMaxSizeMb"), f"{at}.fileMaxSizeMb"),
                file_max_backups=_optional_int(_get(entry, "fileMaxBackups"), f"{at}.fileMaxBackups"),
                file_compress=_optional_bool(_get(entry, "fileCompress"), f"{at}.fileCompress"),
                field_aggregate=_strings(_get(entry, "fieldAggregate"), f"{at}.fieldAggregate"),
                aggregation_interval=_optional_text(_get(entry, "aggregationInterval"), f"{at}.aggregationInterval"),
                where=at,
            )
        )
    if errors:
        raise ExporterConfigError("the agent would reject this configuration:\n  " + "\n  ".join(errors))
    return tuple(result)


def _from_config_map(document: dict[str, Any], where: str) -> tuple[FlowLogConfig, ...]:
    name = _mapping(document.get("metadata"), f"{where}: metadata").get("name", "?")
    data = _mapping(document.get("data"), f"{where}: ConfigMap {name} data", "a mapping of file names to text")
    if FLOWLOGS_KEY not in data:
        raise ExporterConfigError(f"{where}: ConfigMap {name} has no data key {FLOWLOGS_KEY!r}")
    if not isinstance(data[FLOWLOGS_KEY], str):
        raise ExporterConfigError(
            f"{where}: ConfigMap {name} data.{FLOWLOGS_KEY}: expected the file's text (a string), got "
            f"{value_kind(data[FLOWLOGS_KEY])}"
        )
    shown = f"{where} (ConfigMap {name}, data.{FLOWLOGS_KEY})"
    try:
        inner = load_yaml_payload(data[FLOWLOGS_KEY], DOCUMENT_LIMITS, shown, GoYAMLLoader)
    except InputRefused as refused:
        raise ExporterConfigError(refused.with_hint) from None
    except yaml.YAMLError as error:
        raise ExporterConfigError(f"{where}: ConfigMap {name} data.{FLOWLOGS_KEY} is not YAML: {error}") from error
    return flow_logs_from_document(inner, shown)


def _chart_filters(value: Any, where: str) -> tuple[dict[str, Any], ...]:
    """static.allowList/denyList as Cilium's chart takes them: JSON FlowFilters as strings, which it
    joins into hubble-export-allowlist (templates/cilium-configmap.yaml); the agent decodes that
    text as a stream of JSON objects."""
    filters: list[dict[str, Any]] = []
    decoder = json.JSONDecoder()
    for index, item in enumerate(_list(value, where)):
        at = f"{where}[{index}]"
        if item is None:  # sprig's join (strslice) leaves a nil out: the chart renders nothing for it
            continue
        if not isinstance(item, str):
            raise ExporterConfigError(
                f'{at}: Cilium\'s chart takes a FlowFilter here as JSON text, e.g. \'{{"verdict":["DROPPED"]}}\'; '
                f"it writes {value_kind(item)} as Go text (e.g. map[verdict:[DROPPED]]) that the agent cannot decode"
            )
        position = 0
        while True:
            while position < len(item) and item[position].isspace():
                position += 1
            if position == len(item):
                break
            try:
                flow_filter, position = decoder.raw_decode(item, position)
            except json.JSONDecodeError as error:
                raise ExporterConfigError(
                    f"{at}: not a JSON FlowFilter ({error.msg} at character {error.pos + 1}): {item!r}"
                ) from None
            if not isinstance(flow_filter, dict):
                raise ExporterConfigError(f"{at}: a FlowFilter is a JSON object, got {item!r}")
            filters.append(flow_filter)
    return tuple(filters)


def _rendered_order(entry: dict[Any, Any]) -> dict[Any, Any]:
    """A mapping's keys in the order Helm's toYaml writes them (go.yaml.in/yaml/v2 sorter.go keyList.Less:
    rune by rune; two letters by code point, a letter after a non-letter, digit runs by their value)."""

    def less(a: str, b: str) -> bool:
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if x == y:
                continue
            if x.isalpha() and y.isalpha():
                return x < y
            if x.isalpha() or y.isalpha():
                return y.isalpha()
            an, bn = int(_digits(a[i:]) or "0"), int(_digits(b[i:]) or "0")
            return an < bn if an != bn else x < y
        return len(a) < len(b)

    keys = sorted(entry, key=cmp_to_key(lambda a, b: -1 if less(str(a), str(b)) else 1 if less(str(b), str(a)) else 0))
    return {key: entry[key] for key in keys}


def _digits(text: str) -> str:
    return text[: len(text) - len(text.lstrip("0123456789"))]


_ROTATION_KEYS = ("fileMaxSizeMb", "fileMaxBackups", "fileCompress")


def _shared_rotation(export: dict[str, Any], where: str, tables: CiliumTables) -> dict[str, int]:
    """1.16/1.17: hubble.export.fileMaxSizeMb/fileMaxBackups, the agent-wide rotation of every exporter."""
    if tables.per_flowlog_rotation:
        return {}
    shared = {
        key: _optional_int(export.get(key), f"{where}: hubble.export.{key}")
        for key in ("fileMaxSizeMb", "fileMaxBackups")
    }
    return {key: value for key, value in shared.items() if value is not None}


def _from_helm_values(
    export: dict[str, Any], where: str, tables: CiliumTables
) -> tuple[tuple[FlowLogConfig, ...], list[str]]:
    """What Cilium's chart of the version renders from hubble.export (templates/cilium-configmap.yaml and
    templates/cilium-flowlog-configmap.yaml of charts 1.16.19-1.19.5; tests/test_import_oracle.py renders them):
    - 1.16/1.17: fileMaxSizeMb/fileMaxBackups are top-level only, the agent-wide rotation of the static and
      of every dynamic exporter (the 1.16/1.17 dynamic exporter takes no per-flow-log rotation);
    - 1.18/1.19: a top-level fileMaxSizeMb/fileMaxBackups/fileCompress is set on every dynamic flow log
      (`hasKey`) and wins over static.* unless empty (`default`); 1.19's static exporter aggregates
      static.fieldAggregate every top-level aggregationInterval (static.aggregationInterval is never read:
      the chart's `include "validateDuration"` gives "0s" for an unset top-level value)."""
    flow_logs: list[FlowLogConfig] = []
    notes: list[str] = []
    rotation_keys = _ROTATION_KEYS if tables.per_flowlog_rotation else ()
    at = f"{where}: hubble.export"
    dynamic = _mapping(export.get("dynamic"), f"{at}.dynamic")
    content = _mapping(dynamic.get("config"), f"{at}.dynamic.config").get("content")
    if content is not None:
        if not dynamic.get("enabled", False):
            notes.append(f"{at}.dynamic.enabled is not true: the agent would not run these flow logs")
        overrides = {key: export[key] for key in rotation_keys if key in export}
        # The chart writes each entry with toYaml, keys in go-yaml's order: which of two spellings of a
        # key comes last (and wins, encoding/json) is decided by that order, not by the values file's.
        entries = [
            _rendered_order({**entry, **overrides}) if isinstance(entry, dict) else entry
            for entry in _list(content, f"{at}.dynamic.config.content")
        ]
        flow_logs.extend(flow_logs_from_document({"flowLogs": entries}, f"{at}.dynamic.config.content"))
    static = _mapping(export.get("static"), f"{at}.static")
    if static:
        if not static.get("enabled", False):
            notes.append(f"{at}.static.enabled is not true: the agent would not run the static exporter")

        # static.* are typed by the chart's values.schema.json (integer, boolean); the top-level values are
        # not, and reach the agent quoted in cilium-config.
        own = {
            "fileMaxSizeMb": _optional_int(static.get("fileMaxSizeMb"), f"{at}.static.fileMaxSizeMb"),
            "fileMaxBackups": _optional_int(static.get("fileMaxBackups"), f"{at}.static.fileMaxBackups"),
            "fileCompress": _optional_bool(static.get("fileCompress"), f"{at}.static.fileCompress"),
        }

        def rotation(key: str) -> Any:
            # Sprig's `default`: the top-level value unless it is empty (null, 0, false, "", [] or {}).
            top = export.get(key)
            return (own[key] if top in (None, 0, "", [], {}) else top) if key in rotation_keys else None

        interval = None
        if tables.aggregation:
            interval = (
                _optional_text(export.get("aggregationInterval"), f"{at}.aggregationInterval")
                or tables.aggregation_default_interval
            )
            if static.get("aggregationInterval") not in (None, interval) and "aggregationInterval" not in export:
                notes.append(
                    f"{at}.static.aggregationInterval ({static['aggregationInterval']}) is not what Cilium "
                    f"{tables.version}'s chart renders: it writes hubble.export.aggregationInterval, or "
                    f"{tables.aggregation_default_interval}"
                )
        flow_logs.append(
            FlowLogConfig(
                name=STATIC_NAME,
                file_path=_optional_text(static.get("filePath"), f"{at}.static.filePath") or DEFAULT_FILE_PATH,
                field_mask=_strings(static.get("fieldMask"), f"{at}.static.fieldMask"),
                include_filters=_chart_filters(static.get("allowList"), f"{at}.static.allowList"),
                exclude_filters=_chart_filters(static.get("denyList"), f"{at}.static.denyList"),
                file_max_size_mb=_config_int(rotation("fileMaxSizeMb"), f"{at}.fileMaxSizeMb"),
                file_max_backups=_config_int(rotation("fileMaxBackups"), f"{at}.fileMaxBackups"),
                file_compress=_go_bool(rotation("fileCompress"), f"{at}.fileCompress"),
                field_aggregate=_strings(static.get("fieldAggregate"), f"{at}.static.fieldAggregate")
                if tables.aggregation
                else (),
                aggregation_interval=interval if tables.aggregation and static.get("fieldAggregate") else None,
                where=f"{at}.static",
            )
        )
    if not tables.per_flowlog_rotation:
        notes += [
            f"{at}.static.{key} is not read by Cilium {tables.version}'s chart (only hubble.export.{key}, the "
            "agent-wide setting)"
            for key in _ROTATION_KEYS
            if key in static
        ]
    if not flow_logs:
        raise ExporterConfigError(f"{where}: hubble.export has neither dynamic.config.content nor static settings")
    return tuple(flow_logs), notes


def _config_int(value: Any, where: str) -> int | None:
    """A cilium-config value the agent reads as a whole number (the chart quotes it)."""
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    return _optional_int(value, where)


def _go_bool(value: Any, where: str) -> bool | None:
    """A cilium-config value the agent reads as a bool (the chart quotes it: strconv.ParseBool's words)."""
    if value is None or isinstance(value, bool):
        return value
    if str(value) in _GO_TRUE:
        return True
    if str(value) in _GO_FALSE:
        return False
    raise ExporterConfigError(f"{where}: expected true or false, got {value!r}")


_GO_TRUE, _GO_FALSE = {"1", "t", "T", "TRUE", "true", "True"}, {"0", "f", "F", "FALSE", "false", "False"}


def read_exporter_config(path: Path, version: str = DEFAULT_VERSION) -> ExporterConfig:
    """The exporters configured in a flowlogs.yaml, a ConfigMap or Cilium Helm values file (read as
    Cilium `version`'s chart renders them)."""
    where = str(path)
    try:
        documents = [
            d for d in yaml.load_all(read_yaml_text(path, DOCUMENT_LIMITS), Loader=GoYAMLLoader) if d is not None
        ]  # noqa: S506 - a SafeLoader
    except InputRefused as refused:
        raise ExporterConfigError(refused.with_hint) from None
    except yaml.YAMLError as error:
        raise ExporterConfigError(f"{where}: not YAML: {error}") from error
    for document in documents:
        if not isinstance(document, dict):
            continue
        data = document.get("data")
        if (
            document.get("kind") == "ConfigMap"
            and data is not None
            and (not isinstance(data, dict) or FLOWLOGS_KEY in data)
        ):
            return ExporterConfig(where, "ConfigMap", _from_config_map(document, where))
        if _get(document, "flowLogs") is not None:
            return ExporterConfig(where, FLOWLOGS_KEY, flow_logs_from_document(document, where))
        if isinstance(document.get("hubble"), dict) and "export" in document["hubble"]:
            export = _mapping(document["hubble"]["export"], f"{where}: hubble.export")
            tables = load_tables(version)
            flow_logs, notes = _from_helm_values(export, where, tables)
            return ExporterConfig(
                where, "Helm values", flow_logs, tuple(notes), _shared_rotation(export, where, tables)
            )
    raise ExporterConfigError(
        f"{where}: no exporter configuration found: expected a flowlogs.yaml ('flowLogs:'), a ConfigMap with "
        f"data.{FLOWLOGS_KEY}, or Cilium Helm values with hubble.export.dynamic.config.content or hubble.export.static"
    )

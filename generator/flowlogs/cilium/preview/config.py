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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ...errors import FlowlogsError
from ...inputs import DOCUMENT_LIMITS, InputRefused, load_yaml_payload, read_yaml_text
from ..defaults import DEFAULT_FILE_PATH

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
    notes: tuple[str, ...] = field(default=())


class ExporterConfigError(FlowlogsError):
    pass


def _get(mapping: dict[str, Any], key: str) -> Any:
    """encoding/json field matching: exact name first, else case-insensitive."""
    if key in mapping:
        return mapping[key]
    folded = key.casefold()
    for candidate, value in mapping.items():
        if isinstance(candidate, str) and candidate.casefold() == folded:
            return value
    return None


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ExporterConfigError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _filters(value: Any, where: str) -> tuple[dict[str, Any], ...]:
    filters = []
    for index, item in enumerate(_list(value, where)):
        if not isinstance(item, dict):
            raise ExporterConfigError(f"{where}[{index}]: a FlowFilter is a mapping, got {item!r}")
        filters.append(item)
    return tuple(filters)


def _optional_int(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExporterConfigError(f"{where}: expected an integer, got {value!r}")
    return int(value)


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
        name = str(_get(entry, "name") or "")
        path = str(_get(entry, "filePath") or "")
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
        end = _get(entry, "end")
        compress = _get(entry, "fileCompress")
        interval = _get(entry, "aggregationInterval")
        result.append(
            FlowLogConfig(
                name=name,
                file_path=path,
                field_mask=tuple(str(p) for p in _list(_get(entry, "fieldMask"), f"{at}.fieldMask")),
                include_filters=_filters(_get(entry, "includeFilters"), f"{at}.includeFilters"),
                exclude_filters=_filters(_get(entry, "excludeFilters"), f"{at}.excludeFilters"),
                end=None if end is None else str(end),
                file_max_size_mb=_optional_int(_get(entry, "fileMaxSizeMb"), f"{at}.fileMaxSizeMb"),
                file_max_backups=_optional_int(_get(entry, "fileMaxBackups"), f"{at}.fileMaxBackups"),
                file_compress=None if compress is None else bool(compress),
                field_aggregate=tuple(str(p) for p in _list(_get(entry, "fieldAggregate"), f"{at}.fieldAggregate")),
                aggregation_interval=None if interval is None else str(interval),
                where=at,
            )
        )
    if errors:
        raise ExporterConfigError("the agent would reject this configuration:\n  " + "\n  ".join(errors))
    return tuple(result)


def _from_config_map(document: dict[str, Any], where: str) -> tuple[FlowLogConfig, ...]:
    data = document.get("data") or {}
    name = (document.get("metadata") or {}).get("name", "?")
    if FLOWLOGS_KEY not in data:
        raise ExporterConfigError(f"{where}: ConfigMap {name} has no data key {FLOWLOGS_KEY!r}")
    shown = f"{where} (ConfigMap {name}, data.{FLOWLOGS_KEY})"
    try:
        inner = load_yaml_payload(str(data[FLOWLOGS_KEY]), DOCUMENT_LIMITS, shown)
    except InputRefused as refused:
        raise ExporterConfigError(f"{refused}{f' ({refused.hint})' if refused.hint else ''}") from None
    except yaml.YAMLError as error:
        raise ExporterConfigError(f"{where}: ConfigMap {name} data.{FLOWLOGS_KEY} is not YAML: {error}") from error
    return flow_logs_from_document(inner, f"{where} (ConfigMap {name}, data.{FLOWLOGS_KEY})")


def _from_helm_values(export: dict[str, Any], where: str) -> tuple[tuple[FlowLogConfig, ...], list[str]]:
    flow_logs: list[FlowLogConfig] = []
    notes: list[str] = []
    dynamic = export.get("dynamic") or {}
    content = (dynamic.get("config") or {}).get("content")
    if content is not None:
        if not dynamic.get("enabled", False):
            notes.append(f"{where}: hubble.export.dynamic.enabled is not true: the agent would not run these flow logs")
        flow_logs.extend(flow_logs_from_document({"flowLogs": content}, f"{where}: hubble.export.dynamic.config.content"))
    static = export.get("static") or {}
    if static:
        if not static.get("enabled", False):
            notes.append(f"{where}: hubble.export.static.enabled is not true: the agent would not run the static exporter")
        at = f"{where}: hubble.export.static"
        flow_logs.append(
            FlowLogConfig(
                name=STATIC_NAME,
                file_path=str(static.get("filePath") or DEFAULT_FILE_PATH),
                field_mask=tuple(str(p) for p in _list(static.get("fieldMask"), f"{at}.fieldMask")),
                include_filters=_filters(static.get("allowList"), f"{at}.allowList"),
                exclude_filters=_filters(static.get("denyList"), f"{at}.denyList"),
                file_max_size_mb=_optional_int(static.get("fileMaxSizeMb", export.get("fileMaxSizeMb")), f"{at}.fileMaxSizeMb"),
                file_max_backups=_optional_int(static.get("fileMaxBackups", export.get("fileMaxBackups")), f"{at}.fileMaxBackups"),
                file_compress=static.get("fileCompress"),
                where=at,
            )
        )
    if not flow_logs:
        raise ExporterConfigError(f"{where}: hubble.export has neither dynamic.config.content nor static settings")
    return tuple(flow_logs), notes


def read_exporter_config(path: Path) -> ExporterConfig:
    """The exporters configured in a flowlogs.yaml, a ConfigMap or Cilium Helm values file."""
    where = str(path)
    try:
        documents = [d for d in yaml.safe_load_all(read_yaml_text(path, DOCUMENT_LIMITS)) if d is not None]
    except InputRefused as refused:
        raise ExporterConfigError(f"{refused}{f' ({refused.hint})' if refused.hint else ''}") from None
    except yaml.YAMLError as error:
        raise ExporterConfigError(f"{where}: not YAML: {error}") from error
    for document in documents:
        if not isinstance(document, dict):
            continue
        if document.get("kind") == "ConfigMap" and FLOWLOGS_KEY in (document.get("data") or {}):
            return ExporterConfig(where, "ConfigMap", _from_config_map(document, where))
        if _get(document, "flowLogs") is not None:
            return ExporterConfig(where, FLOWLOGS_KEY, flow_logs_from_document(document, where))
        export = (document.get("hubble") or {}).get("export") if isinstance(document.get("hubble"), dict) else None
        if isinstance(export, dict):
            flow_logs, notes = _from_helm_values(export, where)
            return ExporterConfig(where, "Helm values", flow_logs, tuple(notes))
    raise ExporterConfigError(
        f"{where}: no exporter configuration found: expected a flowlogs.yaml ('flowLogs:'), a ConfigMap with "
        f"data.{FLOWLOGS_KEY}, or Cilium Helm values with hubble.export.dynamic.config.content or hubble.export.static"
    )


def flow_logs_from_compiled(flow_logs: list[dict[str, Any]], where: str) -> tuple[FlowLogConfig, ...]:
    """Compiled `flowLogs` entries of a profile (the values flowlogs' chart writes to flowlogs.yaml)."""
    return flow_logs_from_document({"flowLogs": flow_logs}, where)

"""What shows a Cilium part in effect in a cluster (`flowlogs status`).

- the flow-log ConfigMap's `flowlogs.yaml` as the agent reads it (its dynamic exporter, see
  ../shared/upstream/cilium/exporter_config.yaml): flow logs by name (the agent's identity key),
  outer keys matched case-insensitively and unknown ones ignored (encoding/json), FlowFilter keys
  in either protojson spelling, fieldMask and the filter lists as sets (the agent compares them
  order-insensitively), Go zero values the same as absent;
- the keys of `cilium-config` that Cilium's own chart writes from the profile's overlay
  (`hubble-flowlogs-config-path`, and 1.16/1.17's agent-wide rotation keys), from the version table.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from ..kubectl import ObjectRef
from ..products import Expected
from .compile import CiliumCompiled
from .tables import CiliumTables, load_tables

_FLOWLOGS_KEY = "flowlogs.yaml"  # the ConfigMap key Cilium's chart mounts as the agent's file
_LOWER_CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*\Z")
_GO_ZERO: tuple[Any, ...] = (None, [], {}, "", 0, False)  # a Go zero value is the same as an absent key


def _snake(key: str) -> str:
    """A protojson field name in its proto spelling (dropReasonDesc -> drop_reason_desc); protojson
    reads both. Names that are not lowerCamel (TCPFlags' SYN, proto names) stay as they are."""
    if not _LOWER_CAMEL.match(key):
        return key
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), key)


def _filter(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_snake(str(k)): _filter(v) for k, v in value.items() if v not in _GO_ZERO}
    if isinstance(value, list):
        return [_filter(item) for item in value]
    return value


def _filter_set(filters: Any) -> list[Any]:
    if not isinstance(filters, list):
        raise ValueError(f"a filter list must be a list, not {type(filters).__name__}")
    unique = {json.dumps(_filter(f), sort_keys=True): _filter(f) for f in filters}
    return [unique[key] for key in sorted(unique)]


def agent_view(tables: CiliumTables, text: Any) -> dict[str, Any]:
    """flowlogs.yaml as the agent's dynamic exporter sees it: {"flowLogs": {name: settings}}."""
    if not isinstance(text, str):
        raise ValueError(f"{_FLOWLOGS_KEY} is not text")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"not YAML: {' '.join(str(error).split())}") from error
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"{_FLOWLOGS_KEY} must be a mapping")
    entries = next((v for k, v in data.items() if str(k).lower() == "flowlogs"), None) or []
    if not isinstance(entries, list):
        raise ValueError("flowLogs must be a list")
    known = {key.lower(): key for key in tables.flowlog_keys}
    view: dict[str, Any] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise ValueError("a flowLogs entry must be a mapping")
        settings = {known[str(k).lower()]: v for k, v in entry.items() if str(k).lower() in known}
        name = str(settings.pop("name", ""))
        shown: dict[str, Any] = {}
        for key, value in sorted(settings.items()):
            if value in _GO_ZERO:
                continue
            if key == "fieldMask":
                value = sorted({str(path) for path in value}) if isinstance(value, list) else value
            elif key in ("includeFilters", "excludeFilters"):
                value = _filter_set(value)
            shown[key] = value
        view[name] = shown
    return {"flowLogs": view}


def expected_state(part: CiliumCompiled, manifests: Sequence[Mapping[str, Any]]) -> list[Expected]:
    tables = load_tables(part.version)
    read = functools.partial(agent_view, tables)
    expected: list[Expected] = []
    for manifest in manifests:
        data = manifest.get("data") or {}
        if manifest.get("kind") == "ConfigMap" and _FLOWLOGS_KEY in data:
            metadata = manifest["metadata"]
            ref = ObjectRef("v1", "ConfigMap", metadata["name"], metadata.get("namespace") or part.namespace)
            expected.append(
                Expected(
                    ref,
                    ("data", _FLOWLOGS_KEY),
                    read(data[_FLOWLOGS_KEY]),
                    read,
                    hint="helm upgrade flowlogs' release with this profile (or let Argo CD sync it)",
                )
            )
    agent = ObjectRef("v1", "ConfigMap", tables.agent_config_map, part.namespace)
    hint = (
        f"helm upgrade Cilium's release with chart/profiles/<profile>/cilium-values.yaml (Cilium {part.version}), then "
        "restart the agents"
    )
    export = (part.overlay.get("hubble") or {}).get("export") or {}
    if (export.get("dynamic") or {}).get("enabled"):
        expected.append(
            Expected(agent, ("data", "hubble-flowlogs-config-path"), tables.flowlogs_config_path, hint=hint)
        )
    for value_key, config_key in tables.agent_config_keys.items():
        if value_key in export:
            expected.append(Expected(agent, ("data", config_key), str(export[value_key]), hint=hint))
    return expected

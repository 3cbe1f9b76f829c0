"""`flowlogs import` for Calico Enterprise: a FelixConfiguration and ApplicationLayer pair in profile words.

Each Felix L7 field goes back to its word through the knob's kind (`decompile`); a field equal to
Felix's default is kept with `emit-defaults: true`, so `generate` writes exactly the fields the
file had. Felix fields that are not L7 settings are not flowlogs' to own: they are left out, with
a note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import UserError
from ..inputs import DOCUMENT_LIMITS, InputRefused, read_yaml_text
from ..products import ImportedSection
from .defaults import DEFAULT_VERSION, SUPPORTED_VERSIONS
from .kinds import POLICY_SYNC, KnobContext
from .tables import CalicoTables, load_tables
from .words import COLLECTOR_CONTAINERS, DEFAULT_FELIX_API, FELIX_APIS, FELIX_KNOBS


def _documents(path: Path) -> list[dict[str, Any]]:
    try:
        return [d for d in yaml.safe_load_all(read_yaml_text(path, DOCUMENT_LIMITS)) if isinstance(d, dict)]
    except InputRefused as refused:
        raise UserError(f"{refused}{f' ({refused.hint})' if refused.hint else ''}") from None
    except yaml.YAMLError as error:
        raise UserError(f"{path}: not YAML: {error}") from error


def _log_collection(spec: dict[str, Any], tables: CalicoTables) -> dict[str, Any]:
    section: dict[str, Any] = {}
    collection = spec.get("logCollection") or {}
    if "collectLogs" in collection:
        section["collect-logs"] = "on" if collection["collectLogs"] == "Enabled" else "off"
    if "logIntervalSeconds" in collection:
        section["interval"] = f"{int(collection['logIntervalSeconds'])}s"
    if "logRequestsPerInterval" in collection:
        limit = int(collection["logRequestsPerInterval"])
        section["requests-per-interval"] = "unlimited" if limit == int(tables.log_collection_defaults["logRequestsPerInterval"]) else limit
    if "sidecarInjection" in spec:
        section["sidecar-injection"] = "on" if spec["sidecarInjection"] == "Enabled" else "off"
    envoy = spec.get("envoy") or {}
    words = {"xffNumTrustedHops": "xff-num-trusted-hops", "useRemoteAddress": "use-remote-address"}
    if any(key in envoy for key in words):
        section["envoy"] = {words[key]: value for key, value in envoy.items() if key in words}
    containers = (((spec.get("l7LogCollectorDaemonSet") or {}).get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
    resources = {c["name"]: c["resources"] for c in containers if c.get("name") in COLLECTOR_CONTAINERS and c.get("resources")}
    if resources:
        section["resources"] = resources
    return section


def _felix(spec: dict[str, Any], tables: CalicoTables, notes: list[str]) -> dict[str, Any]:
    felix: dict[str, Any] = {}
    aggregation: dict[str, Any] = {}
    at_default = False
    knobs = {knob.field: knob for knob in FELIX_KNOBS}
    for field, value in spec.items():
        knob = knobs.get(field)
        if knob is None:
            if field.startswith("l7") or field == "tproxyMode":
                notes.append(f"FelixConfiguration {field} is left out: the Tigera operator sets it, or flowlogs has no word for it")
            continue
        felix_field = tables.felix_fields[field]
        word = knob.kind.decompile(value, KnobContext(knob, felix_field))
        if knob.kind is not POLICY_SYNC and value == felix_field.default:
            at_default = True
        (aggregation if knob.aggregation else felix)[knob.word] = word
    if aggregation:
        felix["aggregation"] = aggregation
    if at_default:
        felix["emit-defaults"] = True
    ignored = sorted(field for field in spec if field not in knobs and not field.startswith("l7") and field != "tproxyMode")
    if ignored:
        notes.append(f"FelixConfiguration fields that are not L7 settings are not flowlogs' to own and are left out: {', '.join(ignored)}")
    return felix


def import_calico(path: Path, version: str | None) -> ImportedSection | None:
    documents = _documents(path)
    application_layers = [d for d in documents if d.get("kind") == "ApplicationLayer"]
    felix_configurations = [d for d in documents if d.get("kind") == "FelixConfiguration"]
    if not application_layers and not felix_configurations:
        return None
    if len(application_layers) > 1 or len(felix_configurations) > 1:
        raise UserError(f"{path}: expected at most one ApplicationLayer and one FelixConfiguration, found {len(application_layers)} and {len(felix_configurations)}")
    layer = (application_layers[0].get("spec") or {}) if application_layers else {}
    version = version or ("3.20" if "sidecarInjection" in layer else DEFAULT_VERSION)
    if version not in SUPPORTED_VERSIONS:
        raise UserError(f"Calico Enterprise version {version} is not supported: one of {', '.join(SUPPORTED_VERSIONS)}")
    tables = load_tables(version)
    notes: list[str] = []
    section: dict[str, Any] = {"version": version, **_log_collection(layer, tables)}
    if felix_configurations:
        configuration = felix_configurations[0]
        felix = _felix(configuration.get("spec") or {}, tables, notes)
        if felix:
            section["felix"] = felix
        api = str(configuration.get("apiVersion", DEFAULT_FELIX_API))
        if api in FELIX_APIS and api != DEFAULT_FELIX_API:
            section["felix-api"] = api
    if not application_layers:
        notes.append("no ApplicationLayer in the file: L7 log collection is written with Calico's defaults")
    notes.append("services and workloads to log are not in these objects: add them under calico.services or calico.workloads")
    form = " and ".join(kind for kind, found in (("ApplicationLayer", application_layers), ("FelixConfiguration", felix_configurations)) if found)
    return ImportedSection({"calico": section}, form, tuple(notes))

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
from .kinds import KnobContext, PolicySync
from .tables import CalicoTables, load_tables
from .words import COLLECTOR_CONTAINERS, DEFAULT_FELIX_API, ENVOY_FIELDS, FELIX_APIS, FELIX_KNOBS


def _documents(path: Path) -> list[dict[str, Any]]:
    try:
        return [d for d in yaml.safe_load_all(read_yaml_text(path, DOCUMENT_LIMITS)) if isinstance(d, dict)]
    except InputRefused as refused:
        raise UserError(refused.with_hint) from None
    except yaml.YAMLError as error:
        raise UserError(f"{path}: not YAML: {error}") from error


# ApplicationLayer settings that are not L7 logs but live in the same object (tigera/operator
# api/v1/applicationlayer_types.go, ApplicationLayerSpec: webApplicationFirewall, applicationLayerPolicy):
# deleting the object with flowlogs' chart would turn them off, so an import that finds one enabled keeps it.
NOT_OURS_ENABLED = ("webApplicationFirewall", "applicationLayerPolicy")


def _mapping(value: Any, where: str) -> dict[str, Any]:
    """A mapping of the object (absent is empty); anything else is a clear error, not a crash."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UserError(f"{where}: expected a mapping, got {type(value).__name__} {value!r}")
    return value


def _log_collection(spec: dict[str, Any], tables: CalicoTables, where: str) -> dict[str, Any]:
    section: dict[str, Any] = {}
    collection = _mapping(spec.get("logCollection"), f"{where}.logCollection")
    if "collectLogs" in collection:
        section["collect-logs"] = "on" if collection["collectLogs"] == "Enabled" else "off"
    if "logIntervalSeconds" in collection:
        section["interval"] = f"{int(collection['logIntervalSeconds'])}s"
    if "logRequestsPerInterval" in collection:
        limit = int(collection["logRequestsPerInterval"])
        section["requests-per-interval"] = (
            "unlimited" if limit == int(tables.log_collection_defaults["logRequestsPerInterval"]) else limit
        )
    if "sidecarInjection" in spec:
        section["sidecar-injection"] = "on" if spec["sidecarInjection"] == "Enabled" else "off"
    envoy = _mapping(spec.get("envoy"), f"{where}.envoy")
    words = {field: word for word, field in ENVOY_FIELDS.items()}
    if any(key in envoy for key in words):
        section["envoy"] = {words[key]: value for key, value in envoy.items() if key in words}
    at = f"{where}.l7LogCollectorDaemonSet"
    daemon_set = _mapping(spec.get("l7LogCollectorDaemonSet"), at)
    template = _mapping(_mapping(daemon_set.get("spec"), f"{at}.spec").get("template"), f"{at}.spec.template")
    containers = _mapping(template.get("spec"), f"{at}.spec.template.spec").get("containers") or []
    if not isinstance(containers, list):
        raise UserError(f"{at}.spec.template.spec.containers: expected a list, got {type(containers).__name__}")
    containers = [_mapping(c, f"{at}.spec.template.spec.containers[{i}]") for i, c in enumerate(containers)]
    resources = {
        c["name"]: c["resources"] for c in containers if c.get("name") in COLLECTOR_CONTAINERS and c.get("resources")
    }
    if resources:
        section["resources"] = resources
    return section


def _felix(spec: dict[str, Any], tables: CalicoTables, notes: list[str]) -> dict[str, Any]:
    felix: dict[str, Any] = {}
    aggregation: dict[str, Any] = {}
    at_default = False
    ignored: list[str] = []  # not L7 settings
    knobs = {knob.field: knob for knob in FELIX_KNOBS}
    for field, value in spec.items():
        knob = knobs.get(field)
        if knob is None:
            if field.startswith("l7") or field == "tproxyMode":
                notes.append(
                    f"FelixConfiguration {field} is left out: the Tigera operator sets it, or flowlogs has no word "
                    "for it"
                )
            else:
                ignored.append(field)
            continue
        felix_field = tables.felix_fields[field]
        word = knob.kind.decompile(value, KnobContext(knob, felix_field))
        if not isinstance(knob.kind, PolicySync) and felix_field.is_default(value):
            at_default = True
        (aggregation if knob.aggregation else felix)[knob.word] = word
    if aggregation:
        felix["aggregation"] = aggregation
    if at_default:
        felix["emit-defaults"] = True
    if ignored:
        notes.append(
            "FelixConfiguration fields that are not L7 settings are not flowlogs' to own and are left out: "
            f"{', '.join(sorted(ignored))}"
        )
    return felix


def import_calico(path: Path, version: str | None) -> ImportedSection | None:
    documents = _documents(path)
    application_layers = [d for d in documents if d.get("kind") == "ApplicationLayer"]
    felix_configurations = [d for d in documents if d.get("kind") == "FelixConfiguration"]
    if not application_layers and not felix_configurations:
        return None
    if len(application_layers) > 1 or len(felix_configurations) > 1:
        raise UserError(
            f"{path}: expected at most one ApplicationLayer and one FelixConfiguration, found "
            f"{len(application_layers)} and {len(felix_configurations)}"
        )
    layer = _mapping(application_layers[0].get("spec"), f"{path}: ApplicationLayer spec") if application_layers else {}
    version = version or ("3.20" if "sidecarInjection" in layer else DEFAULT_VERSION)
    if version not in SUPPORTED_VERSIONS:
        raise UserError(f"Calico Enterprise version {version} is not supported: one of {', '.join(SUPPORTED_VERSIONS)}")
    tables = load_tables(version)
    notes: list[str] = []
    section: dict[str, Any] = {"version": version, **_log_collection(layer, tables, f"{path}: ApplicationLayer spec")}
    enabled = [field for field in NOT_OURS_ENABLED if layer.get(field) == "Enabled"]
    if enabled:
        section["existing-application-layer"] = "on"
        notes.append(
            f"ApplicationLayer {' and '.join(f'{field}: Enabled' for field in enabled)}: 'existing-application-layer: "
            "on' adopts the object and never deletes it, so uninstalling flowlogs leaves these on"
        )
    if felix_configurations:
        configuration = felix_configurations[0]
        felix = _felix(_mapping(configuration.get("spec"), f"{path}: FelixConfiguration spec"), tables, notes)
        if felix:
            section["felix"] = felix
        api = str(configuration.get("apiVersion", DEFAULT_FELIX_API))
        if api in FELIX_APIS and api != DEFAULT_FELIX_API:
            section["felix-api"] = api
    if not application_layers:
        notes.append("no ApplicationLayer in the file: L7 log collection is written with Calico's defaults")
    notes.append(
        "services and workloads to log are not in these objects: add them under calico.services or calico.workloads"
    )
    form = " and ".join(
        kind
        for kind, found in (("ApplicationLayer", application_layers), ("FelixConfiguration", felix_configurations))
        if found
    )
    return ImportedSection({"calico": section}, form, tuple(notes))

"""Preview Hubble exporter flow logs on captured flows, deciding per flow as the agent does.

Public API:
- `read_exporter_config(path)`: the exporters of a flowlogs.yaml, ConfigMap or Cilium Helm values file
  (shared with `flowlogs import`);
- `FIELD_MATCHERS`: FlowFilter field name -> Matcher (Hubble's semantics of that field);
- `compile_flow_log(config, tables)`, `read_flows(path)`, `run_preview(events, flow_logs)`.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .apply import CompiledFlowLog, compile_flow_filter, compile_flow_log
    from .config import ExporterConfig, ExporterConfigError, FlowLogConfig, flow_logs_from_compiled, read_exporter_config
    from .engine import PreviewRun, run_preview
    from .flows import FlowEvent, read_flows, read_lines
    from .matchers import FIELD_MATCHERS, Matcher, build_predicate

# public name -> its module, imported on first use: `flowlogs --help` lists `preview` without loading the engine
_EXPORTS = {
    "CompiledFlowLog": "apply",
    "compile_flow_filter": "apply",
    "compile_flow_log": "apply",
    "ExporterConfig": "config",
    "ExporterConfigError": "config",
    "FlowLogConfig": "config",
    "flow_logs_from_compiled": "config",
    "read_exporter_config": "config",
    "PreviewRun": "engine",
    "run_preview": "engine",
    "FlowEvent": "flows",
    "read_flows": "flows",
    "read_lines": "flows",
    "FIELD_MATCHERS": "matchers",
    "Matcher": "matchers",
    "build_predicate": "matchers",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "FIELD_MATCHERS",
    "build_predicate",
    "CompiledFlowLog",
    "ExporterConfig",
    "ExporterConfigError",
    "FlowEvent",
    "FlowLogConfig",
    "Matcher",
    "PreviewRun",
    "compile_flow_filter",
    "compile_flow_log",
    "flow_logs_from_compiled",
    "read_exporter_config",
    "read_flows",
    "read_lines",
    "run_preview",
]

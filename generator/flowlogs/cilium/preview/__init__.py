"""Preview Hubble exporter flow logs on captured flows, deciding per flow as the agent does.

Public API, by module:
- `config.read_exporter_config(path)`: the exporters of a flowlogs.yaml, ConfigMap or Cilium Helm values file
  (shared with `flowlogs import`);
- `matchers.FIELD_MATCHERS`: FlowFilter field name -> the builder of its predicate (Hubble's semantics of that field);
- `apply.compile_flow_log(config, tables)`, `flows.FlowLines(path)`, `engine.run_preview(lines, flow_logs)`.
"""

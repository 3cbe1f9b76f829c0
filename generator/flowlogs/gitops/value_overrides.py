"""Per-cluster overrides of any chart value: `overrides: {values: {...}}` in the fleet file.

The four named overrides (`cilium`, `calico`, `cilium-namespace`, `nodes`) cover what most
clusters change; `values` changes anything else the chart has, for one cluster:

    clusters:
      - name: prod-eu-1
        profile: cilium-exporter
        overrides:
          values:
            commonLabels: {team: network}
            calico: {felix: {spec: {l7LogsFlushInterval: 30s}}}

The values are merged over the profile's compiled values as Helm merges a values object over a
values file (mappings key by key, anything else replaced) and the result is checked against
the chart's values.schema.json at generate time, each error at its line and column in the
fleet file. In the ApplicationSet each list element carries its cluster's values (`{}` for the
others) and a `templatePatch` sets them as the Application's `helm.valuesObject`, which Argo CD
applies over the value files (argoproj/argo-cd applicationset/controllers/template/patch.go:
the rendered patch is a strategic merge patch of the Application; templatePatch needs Argo CD
2.10 or later).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from ..chart_values import chart_values
from ..errors import Diagnostics
from ..profile import Node, Positions
from ..schema_errors import DocumentSchema
from ..values_model import merge_values, values_schema

if TYPE_CHECKING:
    from ..compiler import CompiledProfile

VALUES_KEY = "values"
ELEMENT_KEY = "values"
# Rendered per element with Go's text/template and sprig (goTemplate: true); toJson is sprig's.
TEMPLATE_PATCH = """\
{{- if .values }}
spec:
  source:
    helm:
      valuesObject: {{ .values | toJson }}
{{- end }}
"""


def _values_schema() -> dict[str, Any]:
    values, sections = chart_values()
    schema = values_schema(values, sections)
    schema.pop("$schema", None)
    return schema


VALUES_SCHEMA = DocumentSchema(functools.cache(_values_schema), "the chart values")


def check_values(cluster: str, node: Node, profile: CompiledProfile, diagnostics: Diagnostics) -> dict[str, Any] | None:
    """The cluster's chart values, checked merged over its profile's; None on an error."""
    merged = merge_values(profile.values, node.value)
    depth = len(node.path)
    positions = node.positions
    # The fleet file's positions below `values:`, as paths of the merged values.
    shifted = Positions(
        positions.file,
        {path[depth:]: at for path, at in positions.values.items() if path[:depth] == node.path},
        {path[depth:]: at for path, at in positions.keys.items() if path[:depth] == node.path},
    )
    before = len(diagnostics.errors)
    VALUES_SCHEMA.check(merged, shifted, diagnostics, f"the values of cluster '{cluster}'")
    return dict(node.value) if len(diagnostics.errors) == before else None

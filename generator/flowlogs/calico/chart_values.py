"""The `calico.*` values of the chart."""

from __future__ import annotations

from ..chart.values_model import ChartValue, Section

CALICO_SECTIONS = [
    Section("calico", "Calico Enterprise L7 logs. Compiled from a profile's `calico:` section by flowlogs."),
]


def calico_values() -> list[ChartValue]:
    return [
        ChartValue("calico.enabled", False, "Render the Calico Enterprise L7 log resources.", {"type": "boolean"}),
    ]

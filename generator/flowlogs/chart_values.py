"""The values of the chart: the ones every profile has, then each product's (one table for the
chart's values.yaml, its schema and README, and the fleet's per-cluster overrides)."""

from __future__ import annotations

from .names import LABEL_WORDS
from .registry import PRODUCTS
from .values_model import ChartValue, Section

_OPTIONAL_DNS_LABEL = {"type": "string", "maxLength": 63, "pattern": f"^({LABEL_WORDS})?$"}


def common_values() -> list[ChartValue]:
    return [
        ChartValue(
            "profile",
            "",
            "The flowlogs profile these values were compiled from (set in profiles/<profile>/values.yaml; NOTES.txt "
            "names it).",
            {"type": "string", "pattern": f"^({LABEL_WORDS})?$"},
        ),
        # Both land in resource names and label values (templates/_helpers.tpl): a DNS label or
        # empty, so `x\ninjected-label: pwned` is refused by Helm's schema check, not rendered.
        ChartValue(
            "nameOverride", "", "Override the chart name used in resource names and labels.", _OPTIONAL_DNS_LABEL
        ),
        ChartValue(
            "fullnameOverride",
            "",
            "Override the full name (release-chart) used in resource names.",
            _OPTIONAL_DNS_LABEL,
        ),
        ChartValue(
            "commonLabels",
            {},
            "Labels added to every resource.",
            {"type": "object", "additionalProperties": {"type": "string"}},
        ),
    ]


def chart_values() -> tuple[list[ChartValue], list[Section]]:
    values, sections = common_values(), []
    for product in PRODUCTS:
        product_values, product_sections = product.chart_values()
        values += product_values
        sections += product_sections
    return values, sections

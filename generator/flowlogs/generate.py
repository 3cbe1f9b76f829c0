"""Profiles in, chart out: the `generate` and `check` operations."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .chart.writer import SyncReport, build_chart, diff_tree, sync_tree
from .compiler import CompiledProfile, compile_directory
from .errors import Diagnostic, UserError


@dataclass(frozen=True)
class Plan:
    """Everything a generation would write, built in memory."""

    profiles: list[CompiledProfile]
    chart_files: dict[str, str]
    diagnostics: list[Diagnostic]


def plan(values_dir: Path, chart_dir: Path) -> Plan:
    """Compile every profile and build the chart in memory; raise on any profile error."""
    if not values_dir.is_dir():
        raise UserError(f"profile directory not found: {values_dir}")
    result = compile_directory(values_dir)
    result.diagnostics.raise_if_errors()
    if not result.profiles:
        raise UserError(f"no profiles in {values_dir} (expected *.yaml files)")
    files = build_chart(result.profiles, chart_dir)
    return Plan(result.profiles, files, result.diagnostics.items)


def generate(values_dir: Path, chart_dir: Path) -> tuple[Plan, SyncReport]:
    """Write the chart for the profiles of `values_dir`; nothing is written on error."""
    built = plan(values_dir, chart_dir)
    return built, sync_tree(chart_dir, built.chart_files)


def check(values_dir: Path, chart_dir: Path) -> tuple[Plan, str]:
    """The diff between the committed chart and what `generate` would write ("" when fresh)."""
    built = plan(values_dir, chart_dir)
    return built, diff_tree(chart_dir, built.chart_files, chart_dir.name)

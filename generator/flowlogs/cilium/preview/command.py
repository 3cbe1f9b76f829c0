"""`flowlogs preview`: what a profile's (or an existing configuration's) flow logs would export."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...errors import FlowlogsError
from ...go_duration import parse_duration
from ...products import Command, ProfileLoader


def seconds_of(text: str) -> float:
    """``--duration`` ("10m", "1h30m", "90s": a Go duration) in seconds."""
    try:
        nanoseconds = parse_duration(text.strip())
    except ValueError as exc:
        raise FlowlogsError(f"--duration {text!r} is not a duration like 10m, 1h30m or 90s ({exc})") from None
    if nanoseconds <= 0:
        raise FlowlogsError(f"--duration {text!r} must be longer than zero")
    return nanoseconds / 10**9


def _from_profile(profile: str, values_dir: Path, load: ProfileLoader) -> tuple[str, str, list[dict[str, Any]], list[str]]:
    """Compile the profile in memory (nothing written): its Cilium version, flowLogs and the other parts' storage notes."""
    compiled = load(profile, values_dir)
    notes = [
        note
        for product, part in compiled.products()
        if compiled.root is not None and (note := product.storage_note(part, compiled.root.get(product.key)))
    ]
    cilium = compiled.parts.get("cilium")
    if cilium is None:
        raise FlowlogsError(f"profile {compiled.source} has no cilium section: nothing to preview on flows" + (f" ({notes[0]})" if notes else ""))
    return compiled.source, cilium.version, list(cilium.values["flowLogs"]), notes


def _ended(name: str, end: str | None) -> str:
    """A note when a flow log's `end` has passed: the agent keeps it configured but exports
    nothing from it (pkg/hubble/exporter: active while end is unset or in the future)."""
    if end is None:
        return ""
    try:
        moment = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return f"flow log {name}: end {end!r} is not an RFC 3339 time"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment <= datetime.now(UTC):
        return f"flow log {name} ended at {end}: the agent exports nothing from it now (previewed as if it were active)"
    return ""


def cmd_preview(args: argparse.Namespace, load: ProfileLoader) -> int:
    from ..defaults import DEFAULT_VERSION, SUPPORTED_VERSIONS
    from ..tables import load_tables
    from . import compile_flow_log, read_exporter_config, read_lines, run_preview
    from .config import flow_logs_from_compiled
    from .report import PreviewResult, to_html, to_text, write_json
    from .volume import estimate

    if (args.profile is None) == (args.config is None):
        raise FlowlogsError("give a PROFILE or --config FILE (one of them)")
    if args.show and args.output == "json":
        raise FlowlogsError("--show prints the exported lines on stdout: use it without -o json")
    notes: list[str] = []
    if args.profile is not None:
        if args.cilium_version:
            raise FlowlogsError("--cilium-version goes with --config; a profile states its own version")
        source, version, compiled, notes = _from_profile(args.profile, args.values_dir, load)
        configs = flow_logs_from_compiled(compiled, source)
    else:
        version = args.cilium_version or DEFAULT_VERSION
        if version not in SUPPORTED_VERSIONS:
            raise FlowlogsError(f"--cilium-version {version}: supported: {', '.join(SUPPORTED_VERSIONS)}")
        exporter = read_exporter_config(Path(args.config), version)
        source, configs, notes = exporter.source, exporter.flow_logs, list(exporter.notes)
    tables = load_tables(version)
    flow_logs = [compile_flow_log(config, tables) for config in configs]
    notes += [note for config in configs if (note := _ended(config.name, config.end))]
    duration = seconds_of(args.duration) if args.duration else None

    show = sys.stdout.buffer if args.show else None

    def on_written(index: int, _event: Any, line: bytes) -> None:
        assert show is not None
        if len(flow_logs) > 1:
            show.write(flow_logs[index].config.name.encode() + b"\t")
        show.write(line + b"\n")

    reserved = {number: name for name, number in tables.reserved_identities.items()}
    with read_lines(args.flows) as lines:
        run = run_preview(
            lines,
            flow_logs,
            keep_lines=args.output == "json",
            on_written=on_written if show else None,
            reserved=reserved,
            source=args.flows,
        )
    span = duration or run.time_span_seconds()
    span_source = "--duration" if duration else ("the flows' timestamps" if span else "")
    volumes = [estimate(t, span, tables) if span else None for t in run.tallies]
    result = PreviewResult(source, version, args.flows, run, volumes, span_source, notes)
    if args.report:
        from ...writing import write_file

        write_file(Path(args.report), to_html(result), what="report")
    if show is not None:
        show.flush()
        sys.stderr.write(to_text(result))
    elif args.output == "json":
        write_json(result, sys.stdout)
    else:
        sys.stdout.write(to_text(result))
    for tally in run.tallies:
        if tally.lines is not None:
            tally.lines.close()
    return 0


def configure(preview: argparse.ArgumentParser) -> None:
    """The `preview` subcommand's arguments."""
    preview.add_argument("profile", nargs="?", help="a profile name in --values-dir, or a profile file")
    preview.add_argument("--config", metavar="FILE", help="an existing configuration: flowlogs.yaml, its ConfigMap, or Cilium Helm values")
    preview.add_argument("--cilium-version", metavar="V", help="with --config: the Cilium version whose semantics apply (default: newest supported)")
    preview.add_argument("--flows", metavar="FILE", required=True, help="JSON lines of flows (hubble observe -o jsonpb, or exporter output); - for stdin; .gz allowed")
    preview.add_argument("--show", action="store_true", help="print the exact lines the agent would write (summary to stderr)")
    preview.add_argument("-o", "--output", choices=("text", "json"), default="text", help="summary format (default: text)")
    preview.add_argument("--duration", metavar="SPAN", help="the time span the flows cover, e.g. 10m (default: from their timestamps)")
    preview.add_argument("--report", metavar="HTML", help="also write a self-contained HTML report")


PREVIEW = Command(
    "preview",
    "what each flow log would export from captured flows, decided as the Cilium agent does",
    configure,
    cmd_preview,
    example="flowlogs preview cilium-exporter --flows flows.jsonl --show     # flows: hubble observe -o jsonpb\nflowlogs preview --config flowlogs.yaml --flows flows.jsonl.gz -o json",
)

"""`flowlogs preview`: what a profile's (or an existing configuration's) flow logs would export."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ...arguments import DeprecatedAlias
from ...errors import FlowlogsError
from ...go_duration import parse_duration
from ...products import ProfileLoader
from ..defaults import DEFAULT_VERSION, SUPPORTED_VERSIONS


def seconds_of(text: str) -> float:
    """``--duration`` ("10m", "1h30m", "90s": a Go duration) in seconds."""
    try:
        nanoseconds = parse_duration(text.strip())
    except ValueError as exc:
        raise FlowlogsError(f"--duration {text!r} is not a duration like 10m, 1h30m or 90s ({exc})") from None
    if nanoseconds <= 0:
        raise FlowlogsError(f"--duration {text!r} must be longer than zero")
    return nanoseconds / 10**9


def _from_profile(
    profile: str, values_dir: Path, load: ProfileLoader
) -> tuple[str, str, list[dict[str, Any]], list[str]]:
    """Compile the profile in memory (nothing written): its Cilium version, flowLogs and the other parts' storage
    notes."""
    compiled = load(profile, values_dir)
    notes = [
        note
        for product, part in compiled.products()
        if compiled.root is not None and (note := product.storage_note(part, compiled.root.get(product.key)))
    ]
    cilium = compiled.parts.get("cilium")
    if cilium is None:
        raise FlowlogsError(
            f"profile {compiled.source} has no cilium section: nothing to preview on flows"
            + (f" ({notes[0]})" if notes else "")
        )
    return compiled.source, cilium.version, list(cilium.values["flowLogs"]), notes


_PROGRESS_VARIABLE = "FLOWLOGS_PROGRESS_EVERY"
MALFORMED_SHOWN = 3  # skipped lines named on stderr; the rest are counted


def _progress_every(default: int) -> int:
    """Progress lines on a terminal: every `default` flows, or as many as FLOWLOGS_PROGRESS_EVERY says."""
    raw = os.environ.get(_PROGRESS_VARIABLE, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


def run(args: argparse.Namespace, load: ProfileLoader) -> int:
    from ...clock import now
    from ..agent_time import end_passed, ended_message
    from ..tables import load_tables
    from .apply import compile_flow_log
    from .config import flow_logs_from_document, read_exporter_config
    from .engine import PROGRESS_EVERY, run_preview
    from .flows import FlowLines
    from .report import PreviewResult, to_html, to_text, write_json
    from .volume import estimate

    if (args.profile is None) == (args.config is None):
        raise FlowlogsError("give a PROFILE or --config FILE (one of them)")
    if args.show and args.output == "json":
        raise FlowlogsError("--show prints the exported lines on stdout: use it without -o json")
    notes: list[str] = []
    if args.profile is not None:
        if args.cilium_version:
            raise FlowlogsError("--cilium goes with --config; a profile states its own version")
        source, version, compiled, notes = _from_profile(args.profile, args.values_dir, load)
        configs = flow_logs_from_document({"flowLogs": compiled}, source)  # as flowlogs' chart writes them
        version_from = "profile"
    else:
        version = args.cilium_version or DEFAULT_VERSION
        version_from = "--cilium" if args.cilium_version else "default"
        if version not in SUPPORTED_VERSIONS:
            raise FlowlogsError(f"--cilium {version}: supported: {', '.join(SUPPORTED_VERSIONS)}")
        exporter = read_exporter_config(Path(args.config), version)
        source, configs, notes = exporter.source, exporter.flow_logs, list(exporter.notes)
    # Flow logs whose end has passed: the agent keeps them and exports nothing for them.
    moment = now()
    ended = [
        (config, ended_message(config.name, config.end))
        for config in configs
        if config.end and end_passed(config.end, moment)
    ]
    if args.config is not None:  # a profile's are warned by its compiler, with their position
        for config, message in ended:
            print(f"flowlogs: warning: {config.where or source}: {message}", file=sys.stderr)
    tables = load_tables(version)
    flow_logs = [compile_flow_log(config, tables) for config in configs]
    notes += [f"{message} (previewed as if it were active)" for _, message in ended]
    duration = seconds_of(args.duration) if args.duration else None

    show = sys.stdout.buffer if args.show else None

    def on_written(index: int, _event: Any, line: bytes) -> None:
        assert show is not None
        if len(flow_logs) > 1:
            show.write(flow_logs[index].config.name.encode() + b"\t")
        show.write(line + b"\n")

    # Progress only where a person watches: stderr a terminal, never a pipe or a file (nor a
    # terminal that --show's lines go to as well: the progress line would cut into them).
    watched = sys.stderr.isatty() and not (show is not None and sys.stdout.isatty())
    progressed = False

    def progress(flows: int) -> None:
        nonlocal progressed
        progressed = True
        sys.stderr.write(f"\rread {flows} flows...")
        sys.stderr.flush()

    reserved = {number: name for name, number in tables.reserved_identities.items()}
    try:
        with FlowLines(args.flows) as lines:
            run = run_preview(
                lines,
                flow_logs,
                keep_lines=args.output == "json",
                on_written=on_written if show else None,
                reserved=reserved,
                source=args.flows,
                strict=args.strict,
                progress=progress if watched else None,
                progress_every=_progress_every(PROGRESS_EVERY),
            )
    finally:
        if progressed:
            sys.stderr.write("\r\x1b[K")  # the progress line erased: what follows starts clean
    for number, problem in run.malformed[:MALFORMED_SHOWN]:
        print(f"flowlogs: warning: {args.flows}:{number}: skipped: {problem}", file=sys.stderr)
    if run.malformed_count > MALFORMED_SHOWN:
        print(
            f"flowlogs: warning: {args.flows}: and {run.malformed_count - MALFORMED_SHOWN} more lines skipped "
            "(--strict refuses them)",
            file=sys.stderr,
        )
    span = duration or run.time_span_seconds()
    span_source = "--duration" if duration else ("the flows' timestamps" if span else "")
    volumes = [estimate(t, span, tables) if span else None for t in run.tallies]
    result = PreviewResult(source, version, args.flows, run, volumes, span_source, notes, version_from)
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
    preview.add_argument(
        "--config",
        metavar="FILE",
        help="an existing configuration: flowlogs.yaml, its ConfigMap, or Cilium Helm values",
    )
    preview.add_argument(
        "--cilium",
        dest="cilium_version",
        metavar="VERSION",
        choices=SUPPORTED_VERSIONS,
        help=(
            f"with --config: the Cilium version whose filters decide ({', '.join(SUPPORTED_VERSIONS)}; default: "
            f"{DEFAULT_VERSION}, the newest)"
        ),
    )
    preview.add_argument(
        "--cilium-version", dest="cilium_version", action=DeprecatedAlias, instead="--cilium", help=argparse.SUPPRESS
    )
    preview.add_argument(
        "--flows",
        metavar="FILE",
        required=True,
        help="JSON lines of flows (hubble observe -o jsonpb, or exporter output); - for stdin; .gz allowed",
    )
    preview.add_argument(
        "--show", action="store_true", help="print the exact lines the agent would write (summary to stderr)"
    )
    preview.add_argument(
        "-o", "--output", choices=("text", "json"), default="text", help="summary format (default: text)"
    )
    preview.add_argument(
        "--duration", metavar="SPAN", help="the time span the flows cover, e.g. 10m (default: from their timestamps)"
    )
    preview.add_argument("--report", metavar="FILE", help="also write a self-contained HTML report")
    preview.add_argument(
        "--strict",
        action="store_true",
        help="a line that is not a JSON object (a cut-off last line, a stray message) is an error, not skipped",
    )

"""What `flowlogs preview` prints: the text summary, the JSON document and the HTML report.

All three give the same numbers, rounded by the same functions (volume.rate, rate_text,
percent_text); tests/test_preview_report.py checks the report against `-o json` in Chromium."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, TextIO

from .engine import FlowLogTally, PreviewRun
from .timeline import ROUND_WIDTHS, Axis, axis
from .volume import Volume, human_bytes, percent_text, rate, rate_text

TOP = 5


@dataclass(frozen=True)
class PreviewResult:
    source: str  # what was previewed: the profile or the config file
    version: str  # Cilium version whose semantics were used
    flows: str  # the flows file
    run: PreviewRun
    volumes: list[Volume | None]  # per flow log, None without a time span
    span_source: str  # "--duration", "the flows' timestamps" or ""
    notes: list[str]  # config notes, Calico storage
    version_from: str = "default"  # "profile", "--cilium" or "default"

    def version_phrase(self) -> str:
        """Which filters decided, and where the version came from (a default is never silent)."""
        why = {
            "profile": "the profile's version",
            "--cilium": "--cilium",
            "default": "the default; --cilium to choose",
        }[self.version_from]
        return f"matched with Cilium {self.version}'s filters ({why})"

    def axis(self) -> Axis | None:
        """Seen, then each flow log's matched, in the same time bins; None without timestamps."""
        return axis([self.run.over_time, *(tally.over_time for tally in self.run.tallies)])


def skipped_lines(run: PreviewRun) -> list[str]:
    """What was read and not previewed: malformed lines, and records that are not flows."""
    out = []
    if run.malformed_count:
        what = "line that is not a JSON object" if run.malformed_count == 1 else "lines that are not JSON objects"
        out.append(f"skipped: {run.malformed_count} {what} (cut off or malformed; named on stderr)")
    if run.records:
        kinds = ", ".join(f"{count} {kind}" for kind, count in run.records.items())
        total = sum(run.records.values())
        out.append(f"skipped: {kinds} {'record (not a flow)' if total == 1 else 'records (not flows)'}")
    return out


def _tally_dict(
    tally: FlowLogTally, volume: Volume | None, run: PreviewRun, over_time: tuple[int, ...] | None
) -> dict[str, Any]:
    flow_log = tally.flow_log
    entry: dict[str, Any] = {
        "name": flow_log.config.name,
        "filePath": flow_log.config.file_path,
        "seen": run.seen,
        "matched": tally.matched,
        "matched_lines": _LINES,
    }
    entry["top_sources"] = [{"name": k, "count": v} for k, v in tally.top_sources(TOP)]
    entry["top_destinations"] = [{"name": k, "count": v} for k, v in tally.top_destinations(TOP)]
    entry["top_talkers"] = [{"name": k, "count": v} for k, v in tally.top_talkers(TOP)]
    entry["verdicts"] = [{"name": k, "count": v} for k, v in tally.top_verdicts(TOP)]
    entry["drop_reasons"] = [{"name": k, "count": v} for k, v in tally.top_drop_reasons(TOP)]
    entry["written_bytes"] = tally.written_bytes
    if over_time is not None:
        entry["matched_over_time"] = list(over_time)
    if flow_log.error:
        entry["error"] = flow_log.error
    if flow_log.unpreviewable:
        entry["not_previewable"] = flow_log.unpreviewable
    if volume is not None:
        entry["volume"] = {
            "span_seconds": round(volume.span_seconds, 3),
            "flows_per_second": rate(volume.flows_per_second),
            "bytes_per_day": round(volume.bytes_per_day),
            "per_node": [
                {"node": n.node, "flows_per_second": rate(n.flows_per_second), "bytes_per_day": round(n.bytes_per_day)}
                for n in volume.nodes
            ],
            "rotation": volume.rotation,
        }
    return entry


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


_LINES = "\x00matched-lines\x00"  # stands for a matched_lines list while the document is dumped
_CHUNK = 4096


def write_json(result: PreviewResult, out: TextIO) -> None:
    """The JSON document; each flow log's matched_lines is streamed from its spool, so memory
    stays flat however many lines matched."""
    bins = result.axis()
    over_time = bins.counts[1:] if bins is not None else [None] * len(result.run.tallies)
    flow_logs = [
        _tally_dict(t, v, result.run, o) for t, v, o in zip(result.run.tallies, result.volumes, over_time, strict=True)
    ]
    timeline = None
    if bins is not None:
        timeline = {"start": _stamp(bins.start), "bin_seconds": bins.width, "seen": list(bins.counts[0])}
    document: dict[str, Any] = {
        "source": result.source,
        "ciliumVersion": result.version,
        "ciliumVersionFrom": result.version_from,
        "flows": result.flows,
        "seen": result.run.seen,
        "skipped": {
            "malformed_lines": result.run.malformed_count,
            "malformed": [{"line": number, "problem": problem} for number, problem in result.run.malformed],
            "records": dict(result.run.records),
        },
        "timeline": timeline,
        "flowLogs": flow_logs,
        "notes": result.notes,
    }
    compact: dict[str, str] = {}  # marker -> a count list on one line, as matched_lines is
    if timeline is not None:  # and so every flow log has its matched_over_time
        for holder, key in [(timeline, "seen"), *((entry, "matched_over_time") for entry in flow_logs)]:
            marker = f"\x00counts-{len(compact)}\x00"
            compact[json.dumps(marker)] = "[" + ", ".join(map(str, holder[key])) + "]"
            holder[key] = marker
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    for marker, counts in compact.items():
        text = text.replace(marker, counts, 1)
    parts = text.split(json.dumps(_LINES))
    out.write(parts[0])
    for tally, part in zip(result.run.tallies, parts[1:], strict=True):
        out.write("[")
        lines, separator = iter(tally.lines or ()), ""
        while chunk := list(islice(lines, _CHUNK)):
            out.write(separator + ", ".join(map(str, chunk)))
            separator = ", "
        out.write("]" + part)


def _top_text(title: str, items: list[tuple[str, int]]) -> list[str]:
    if not items:
        return []
    return [f"    {title}: " + ", ".join(f"{name} ({count})" for name, count in items)]


def to_text(result: PreviewResult) -> str:
    run = result.run
    flows = f"{run.seen} {'flow' if run.seen == 1 else 'flows'}"
    out = [f"{result.source} on {result.flows}: {flows}, {result.version_phrase()}"]
    out += [f"  {line}" for line in skipped_lines(run)]
    for tally, volume in zip(run.tallies, result.volumes, strict=True):
        flow_log = tally.flow_log
        out.append(f"  {flow_log.config.name} -> {flow_log.config.file_path}")
        if flow_log.error:
            out.append(f"    not applied by the agent: {flow_log.error}")
            continue
        percent = f" ({percent_text(tally.matched, run.seen)}%)" if run.seen else ""
        out.append(f"    matched {tally.matched} of {run.seen}{percent}")
        if flow_log.unpreviewable:
            out.append(f"    not previewable (ignored in these counts): {', '.join(flow_log.unpreviewable)}")
        out += _top_text("top sources", tally.top_sources(TOP))
        out += _top_text("top destinations", tally.top_destinations(TOP))
        out += _top_text("verdicts", tally.top_verdicts(TOP))
        out += _top_text("drop reasons", tally.top_drop_reasons(TOP))
        if volume is not None:
            out.append(
                f"    volume over {volume.span_seconds:.0f} s ({result.span_source}): "
                f"{rate_text(volume.flows_per_second)} flows/s, "
                f"{human_bytes(volume.bytes_per_day)}/day"
            )
            for node in volume.nodes[:TOP]:
                out.append(
                    f"      {node.node}: {rate_text(node.flows_per_second)} flows/s, "
                    f"{human_bytes(node.bytes_per_day)}/day"
                )
            out.append(f"    {volume.rotation}")
    out += [f"  note: {note}" for note in result.notes]
    return "\n".join(out) + "\n"


# --- HTML ------------------------------------------------------------------------------------
# One page, no script, no external resource: inline CSS and SVG only. Names are never drawn
# over or beside a bar: they sit in their own table cells and wrap, so a long namespace/pod
# stays whole at any window width (tests/test_preview_report.py measures it in Chromium).

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:64em;line-height:1.35;overflow-wrap:break-word}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc;overflow-wrap:anywhere}
h3{font-size:1em;margin:1.4em 0 .4em}table.ranked{margin-top:.8em}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dl.facts dt{font-weight:600}
dl.facts dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;table-layout:fixed}
td,th{padding:.25em .5em;text-align:left;vertical-align:top}
th{font-weight:600}thead th{border-bottom:1px solid #ccc}caption{text-align:left;font-weight:600;padding:.3em 0}
td,th{overflow-wrap:anywhere}.num{text-align:right;font-variant-numeric:tabular-nums}
col.w-name{width:36%}col.w-pair{width:34%}col.w-flows{width:4.5em}col.w-count{width:6em}col.w-rate{width:6.5em}.file{font-size:.9em}
span.bar{display:block;height:.95em;margin-top:.15em;background:#4a7fb5;min-width:2px}
.share{background:#e4e4e4;height:.7em;max-width:36em}.share span.bar{height:.7em;margin:0;background:#2e8b57}
.err{color:#a00}.note{color:#555}
figure.timeline{margin:1em 0}figure.timeline figcaption{margin-bottom:.3em}
.key{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 .8em;vertical-align:-.05em}
.key.seen,rect.seen{background:#c9d3de;fill:#c9d3de}.key.matched,rect.matched{background:#2e8b57;fill:#2e8b57}
svg.timeline{display:block;width:100%;max-width:560px;height:auto}
@media (max-width:600px){body{margin:.75em}}
svg text{font-size:13px;font-family:system-ui,sans-serif;fill:#333}svg line{stroke:#888;stroke-width:1}
"""

REPORT_TOP = 10  # rows per ranked table (the JSON and text give the first TOP of the same order)


def _ranked(title: str, css_class: str, headings: tuple[str, ...], rows: list[tuple[str, int]]) -> str:
    """A ranked table: the names in their own wrapping cells, the count, then the bar. A name fills one
    cell per heading: top talkers ("source → destination", as JSON names them) are split into their two sides."""
    if not rows:
        return f'<p class="note {css_class}">{html.escape(title)}: none</p>'
    peak = max(count for _, count in rows)
    name_col = '<col class="w-pair">' if len(headings) > 1 else '<col class="w-name">'
    body = "".join(
        "<tr>"
        + "".join(
            f'<td><span class="label">{_breakable(part)}</span></td>'
            for part in name.split(" \u2192 ", len(headings) - 1)
        )
        + f'<td class="num"><span class="count">{count}</span></td>'
        + f'<td><span class="bar" style="width:{100 * count / peak:.1f}%"></span></td></tr>'
        for name, count in rows
    )
    return (
        f'<table class="ranked chart {css_class}"><caption>{html.escape(title)}</caption>'
        f'<colgroup>{name_col * len(headings)}<col class="w-flows"><col></colgroup>'
        "<thead><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in headings)
        + '<th class="num">Flows</th><th><span class="note">share</span></th></tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _breakable(name: str) -> str:
    """A name that wraps after its namespace/ first (a <wbr>), and anywhere else only if it must."""
    return html.escape(name).replace("/", "/<wbr>")


# The time chart, in SVG user units (drawn 1:1 up to 560 px wide, scaled down below that).
_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 560, 170, 44, 12, 10, 24
_TICKS = 5  # at most, so that time labels (<= 11 characters, ~80 units) never touch


def _tick_format(step: int, days: bool) -> str:
    """Time labels as precise as the step; with the month and day when the chart spans dates."""
    if step >= 86400:
        return "%m-%d"
    clock = "%H:%M:%S" if step < 60 else "%H:%M"
    return f"%m-%d {clock}" if days and step >= 60 else clock


def _when(moment: datetime, other: datetime | None = None) -> str:
    """A bin's time for captions and tooltips: the date only where it changes."""
    if other is not None and other.date() == moment.date():
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _duration_words(seconds: int) -> str:
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if unit == 'day' and count > 1 else ''}"
    return f"{seconds} s"


def _timeline(bins: Axis, seen: tuple[int, ...], matched: tuple[int, ...], untimed: int) -> str:
    """Matched (green) over seen (grey) per time bin, with a time axis of the flows' own times."""
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    peak = max(max(seen), 1)
    step_w = plot_w / bins.bins
    parts: list[str] = []
    for index, (count, hits) in enumerate(zip(seen, matched, strict=True)):
        if not count:
            continue
        begin = bins.bin_start(index)
        x = _LEFT + index * step_w
        tall, hit_tall = plot_h * count / peak, plot_h * hits / peak
        parts.append(
            f'<g data-start="{_stamp(begin)}" data-seen="{count}" data-matched="{hits}">'
            f"<title>{_when(begin)} + {_duration_words(bins.width)}: {hits} of {count} matched</title>"
            f'<rect class="bar seen" x="{x + 0.5:.1f}" y="{_TOP + plot_h - tall:.1f}" '
            f'width="{max(step_w - 1, 0.5):.1f}" height="{tall:.1f}"/>'
            + (
                f'<rect class="bar matched" x="{x + 0.5:.1f}" y="{_TOP + plot_h - hit_tall:.1f}" '
                f'width="{max(step_w - 1, 0.5):.1f}" height="{hit_tall:.1f}"/>'
                if hits
                else ""
            )
            + "</g>"
        )
    base = _TOP + plot_h
    parts.append(
        f'<line x1="{_LEFT}" y1="{base}" x2="{_W - _RIGHT}" y2="{base}"/><line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" '
        f'y2="{base}"/>'
    )
    parts.append(f'<text class="tick" x="{_LEFT - 5}" y="{base}" text-anchor="end">0</text>')
    parts.append(f'<text class="tick" x="{_LEFT - 5}" y="{_TOP + 10}" text-anchor="end">{peak}</text>')
    start = int(bins.start.timestamp())
    span = bins.bins * bins.width

    def ticks(step: int) -> list[tuple[int, float]]:
        """The round times of this step on the axis, and where: none so near the right edge
        that its centred label would run past it."""
        times = range(-(-start // step) * step, start + span + 1, step)
        return [(moment, x) for moment in times if (x := _LEFT + (moment - start) / bins.width * step_w) <= _W - 36]

    # The finest round step with at most _TICKS labels, at least a sixth of the span apart.
    step = next(
        (s for s in ROUND_WIDTHS if s % bins.width == 0 and span / s <= _TICKS + 1 and len(ticks(s)) <= _TICKS), None
    )
    if step is None:
        step = -(-span // (_TICKS * 86400)) * 86400
    last_second = datetime.fromtimestamp(start + span - 1, tz=bins.start.tzinfo)
    tick_format = _tick_format(step, bins.start.date() != last_second.date())
    for moment, x in ticks(step):
        label = datetime.fromtimestamp(moment, tz=bins.start.tzinfo).strftime(tick_format)
        parts.append(f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 4}"/>')
        parts.append(f'<text class="tick" x="{x:.1f}" y="{base + 17}" text-anchor="middle">{label}</text>')
    end = bins.bin_start(bins.bins)
    caption = (
        f"Matched vs seen over time: flows per {_duration_words(bins.width)}, "
        f'<time datetime="{_stamp(bins.start)}">{_when(bins.start)}</time> to '
        f'<time datetime="{_stamp(end)}">{_when(end, bins.start)}</time> UTC'
        '<span class="key seen"></span>seen<span class="key matched"></span>matched'
    )
    if untimed:
        caption += f'<br><span class="note">{untimed} flow(s) without a timestamp are not drawn.</span>'
    return (
        f'<figure class="timeline chart"><figcaption>{caption}</figcaption>'
        f'<svg class="timeline" role="img" aria-label="matched vs seen over time" viewBox="0 0 {_W} {_H}" width="{_W}" '
        f'height="{_H}">'
        f"{''.join(parts)}</svg></figure>"
    )


def _volume_table(volume: Volume, span_source: str) -> str:
    nodes = "".join(
        f'<tr class="node"><td><span class="label">{_breakable(n.node)}</span></td>'
        f'<td class="num node-flows-per-second">{rate_text(n.flows_per_second)}</td>'
        f'<td class="num node-bytes-per-day">{human_bytes(n.bytes_per_day)}</td></tr>'
        for n in volume.nodes[:REPORT_TOP]
    )
    return (
        "<h3>Estimated volume</h3>"
        '<table class="volume"><colgroup><col><col class="w-rate"><col class="w-rate"></colgroup>'
        '<thead><tr><th></th><th class="num">flows/s</th><th class="num">per day</th></tr></thead><tbody>'
        f"<tr><th>all nodes, over {volume.span_seconds:.0f} s ({html.escape(span_source)})</th>"
        f'<td class="num flows-per-second">{rate_text(volume.flows_per_second)}</td>'
        f'<td class="num bytes-per-day">{human_bytes(volume.bytes_per_day)}</td></tr>'
        f"{nodes}</tbody></table><p>{html.escape(volume.rotation)}</p>"
    )


def _overview(result: PreviewResult) -> str:
    """One row per flow log (its file beneath its name), linking to its section."""
    rows = []
    for index, (tally, volume) in enumerate(zip(result.run.tallies, result.volumes, strict=True)):
        config = tally.flow_log.config
        if tally.flow_log.error:
            numbers = '<td colspan="3" class="err">not applied by the agent</td>'
        else:
            share = f"{percent_text(tally.matched, result.run.seen)}%" if result.run.seen else ""
            per_second = rate_text(volume.flows_per_second) if volume is not None else ""
            numbers = (
                f'<td class="num">{tally.matched}</td><td class="num">{share}</td><td class="num">{per_second}</td>'
            )
        rows.append(
            f'<tr><td><a href="#flowlog-{index}">{html.escape(config.name)}</a><br>'
            f'<span class="note file">{html.escape(config.file_path)}</span></td>{numbers}</tr>'
        )
    return (
        '<table class="overview"><colgroup><col><col class="w-count"><col class="w-count"><col '
        'class="w-rate"></colgroup>'
        '<thead><tr><th>Flow log</th><th class="num">Matched</th><th class="num">Share</th><th '
        'class="num">flows/s</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def to_html(result: PreviewResult) -> str:
    run = result.run
    bins = result.axis()
    facts = [
        ("Flows", html.escape(result.flows)),
        ("Seen", f'<span id="seen">{run.seen}</span> flow(s)'),
        *(("Skipped", html.escape(line.removeprefix("skipped: "))) for line in skipped_lines(run)),
        ("Semantics", html.escape(result.version_phrase())),
    ]
    if run.first_time:
        facts.append(("Flow times", f"{html.escape(run.first_time)} to {html.escape(run.last_time)} UTC"))
    if result.span_source:
        facts.append(("Rates over", html.escape(result.span_source)))
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>flowlogs preview: {html.escape(result.source)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>flowlogs preview of {html.escape(result.source)}</h1>",
        '<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>",
        _overview(result),
    ]
    for index, (tally, volume) in enumerate(zip(run.tallies, result.volumes, strict=True)):
        flow_log = tally.flow_log
        name = html.escape(flow_log.config.name)
        parts.append(f'<section class="flowlog" id="flowlog-{index}" data-name="{name}">')
        parts.append(f"<h2>{name} &rarr; {html.escape(flow_log.config.file_path)}</h2>")
        if flow_log.error:
            parts.append(f'<p class="err">Not applied by the agent: {html.escape(flow_log.error)}</p></section>')
            continue
        share = percent_text(tally.matched, run.seen) if run.seen else "0"
        parts.append(
            f'<p>Matched <span class="matched-count">{tally.matched}</span> of <span '
            f'class="seen-count">{run.seen}</span> '
            f'(<span class="matched-percent">{share}</span>%)</p>'
            f'<div class="share"><span class="bar" style="width:{float(share):.1f}%"></span></div>'
        )
        if flow_log.unpreviewable:
            parts.append(
                f'<p class="note">Not previewable (ignored): {html.escape(", ".join(flow_log.unpreviewable))}</p>'
            )
        if bins is not None:
            untimed = tally.matched - sum(bins.counts[index + 1])
            parts.append(_timeline(bins, bins.counts[0], bins.counts[index + 1], untimed))
        parts.append(_ranked("Top talkers", "talkers", ("Source", "Destination"), tally.top_talkers(REPORT_TOP)))
        parts.append(_ranked("Verdicts", "verdicts", ("Verdict",), tally.top_verdicts(REPORT_TOP)))
        parts.append(_ranked("Drop reasons", "drop-reasons", ("Drop reason",), tally.top_drop_reasons(REPORT_TOP)))
        if volume is not None:
            parts.append(_volume_table(volume, result.span_source))
        parts.append("</section>")
    parts += [f'<p class="note">{html.escape(note)}</p>' for note in result.notes]
    parts.append("</body></html>\n")
    return "".join(parts)

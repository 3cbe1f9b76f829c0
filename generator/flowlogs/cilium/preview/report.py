"""What `flowlogs preview` prints: the text summary, the JSON document and the HTML report."""

from __future__ import annotations

import html
import io
import json
from dataclasses import dataclass
from typing import Any, TextIO

from .engine import FlowLogTally, PreviewRun
from .volume import Volume, human_bytes

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
    version_from: str = "default"  # "profile", "--cilium-version" or "default"

    def version_phrase(self) -> str:
        """Which filters decided, and where the version came from (a default is never silent)."""
        why = {
            "profile": "the profile's version",
            "--cilium-version": "--cilium-version",
            "default": "the default; --cilium-version to choose",
        }[self.version_from]
        return f"matched with Cilium {self.version}'s filters ({why})"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


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


def _tally_dict(tally: FlowLogTally, volume: Volume | None, run: PreviewRun) -> dict[str, Any]:
    flow_log = tally.flow_log
    entry: dict[str, Any] = {
        "name": flow_log.config.name,
        "filePath": flow_log.config.file_path,
        "seen": run.seen,
        "matched": tally.matched,
    }
    entry["top_sources"] = [{"name": k, "count": v} for k, v in tally.top_sources(TOP)]
    entry["top_destinations"] = [{"name": k, "count": v} for k, v in tally.top_destinations(TOP)]
    entry["top_talkers"] = [{"name": k, "count": v} for k, v in tally.top_talkers(TOP)]
    entry["verdicts"] = [{"name": k, "count": v} for k, v in tally.top_verdicts(TOP)]
    entry["drop_reasons"] = [{"name": k, "count": v} for k, v in tally.top_drop_reasons(TOP)]
    entry["written_bytes"] = tally.written_bytes
    if flow_log.error:
        entry["error"] = flow_log.error
    if flow_log.unpreviewable:
        entry["not_previewable"] = flow_log.unpreviewable
    if volume is not None:
        entry["volume"] = {
            "span_seconds": round(volume.span_seconds, 3),
            "flows_per_second": round(volume.flows_per_second, 3),
            "bytes_per_day": round(volume.bytes_per_day),
            "per_node": [
                {"node": n.node, "flows_per_second": round(n.flows_per_second, 3), "bytes_per_day": round(n.bytes_per_day)}
                for n in volume.nodes
            ],
            "rotation": volume.rotation,
        }
    return entry


_LINES = "\x00matched-lines\x00"  # stands for a matched_lines list while the document is dumped
_CHUNK = 4096


def write_json(result: PreviewResult, out: TextIO) -> None:
    """The JSON document; each flow log's matched_lines is streamed from its spool, so memory
    stays flat however many lines matched."""
    flow_logs = [_tally_dict(t, v, result.run) for t, v in zip(result.run.tallies, result.volumes, strict=True)]
    for entry in flow_logs:
        entry["matched_lines"] = _LINES
        entry.update({k: entry.pop(k) for k in list(entry) if k not in ("name", "filePath", "seen", "matched", "matched_lines")})
    document = {
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
        "flowLogs": flow_logs,
        "notes": result.notes,
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    parts = text.split(json.dumps(_LINES))
    out.write(parts[0])
    for tally, part in zip(result.run.tallies, parts[1:], strict=True):
        out.write("[")
        buffer: list[str] = []
        first = True
        for line in tally.lines if tally.lines is not None else ():
            buffer.append(str(line))
            if len(buffer) >= _CHUNK:
                out.write(("" if first else ", ") + ", ".join(buffer))
                first, buffer = False, []
        if buffer:
            out.write(("" if first else ", ") + ", ".join(buffer))
        out.write("]")
        out.write(part)


def to_json(result: PreviewResult) -> str:
    buffer = io.StringIO()
    write_json(result, buffer)
    return buffer.getvalue()


def _top_text(title: str, items: list[tuple[str, int]]) -> list[str]:
    if not items:
        return []
    return [f"    {title}: " + ", ".join(f"{name} ({count})" for name, count in items)]


def to_text(result: PreviewResult) -> str:
    run = result.run
    out = [f"{result.source} on {result.flows}: {_plural(run.seen, 'flow', 'flows')}, {result.version_phrase()}"]
    out += [f"  {line}" for line in skipped_lines(run)]
    for tally, volume in zip(run.tallies, result.volumes, strict=True):
        flow_log = tally.flow_log
        out.append(f"  {flow_log.config.name} -> {flow_log.config.file_path}")
        if flow_log.error:
            out.append(f"    not applied by the agent: {flow_log.error}")
            continue
        percent = f" ({100 * tally.matched / run.seen:.1f}%)" if run.seen else ""
        out.append(f"    matched {tally.matched} of {run.seen}{percent}")
        if flow_log.unpreviewable:
            out.append(f"    not previewable (ignored in these counts): {', '.join(flow_log.unpreviewable)}")
        out += _top_text("top sources", tally.top_sources(TOP))
        out += _top_text("top destinations", tally.top_destinations(TOP))
        out += _top_text("verdicts", tally.top_verdicts(TOP))
        out += _top_text("drop reasons", tally.top_drop_reasons(TOP))
        if volume is not None:
            out.append(
                f"    volume over {volume.span_seconds:.0f} s ({result.span_source}): {volume.flows_per_second:.3g} flows/s, "
                f"{human_bytes(volume.bytes_per_day)}/day"
            )
            for node in volume.nodes[:TOP]:
                out.append(f"      {node.node}: {node.flows_per_second:.3g} flows/s, {human_bytes(node.bytes_per_day)}/day")
            out.append(f"    {volume.rotation}")
    out += [f"  note: {note}" for note in result.notes]
    return "\n".join(out) + "\n"


# --- HTML ------------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:70em}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse}td,th{padding:.2em .6em;text-align:left}
.num{text-align:right;font-variant-numeric:tabular-nums}.err{color:#a00}.note{color:#555}
svg text{font-size:12px;font-family:system-ui,sans-serif}
"""


def _bar_chart(title: str, items: list[tuple[str, int]], css_class: str) -> str:
    if not items:
        return f'<p class="note">{html.escape(title)}: none</p>'
    width, bar_height, label_width = 640, 20, 360
    peak = max(count for _, count in items)
    rows = []
    for index, (name, count) in enumerate(items):
        y = index * (bar_height + 4)
        length = max(1.0, (width - label_width - 60) * count / peak)
        rows.append(
            f'<text x="0" y="{y + 14}">{html.escape(name[:60])}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="#4a7fb5"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 14}" class="count">{count}</text>'
        )
    height = len(items) * (bar_height + 4)
    return (
        f'<h3>{html.escape(title)}</h3><svg class="{css_class}" role="img" aria-label="{html.escape(title)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">{"".join(rows)}</svg>'
    )


def _matched_chart(matched: int, seen: int) -> str:
    width = 640
    share = matched / seen if seen else 0.0
    return (
        f'<svg class="matched" role="img" aria-label="matched of seen" width="{width}" height="24" viewBox="0 0 {width} 24">'
        f'<rect x="0" y="0" width="{width}" height="24" fill="#ddd"/>'
        f'<rect x="0" y="0" width="{width * share:.1f}" height="24" fill="#2e8b57"/></svg>'
    )


def to_html(result: PreviewResult) -> str:
    run = result.run
    parts = [
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>flowlogs preview: {html.escape(result.source)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>flowlogs preview of {html.escape(result.source)}</h1>",
        f'<p>Flows: {html.escape(result.flows)}; seen: <span id="seen">{run.seen}</span>; '
        f"Cilium {html.escape(result.version)} semantics.</p>",
    ]
    for index, (tally, volume) in enumerate(zip(run.tallies, result.volumes, strict=True)):
        flow_log = tally.flow_log
        name = html.escape(flow_log.config.name)
        parts.append(f'<section class="flowlog" id="flowlog-{index}" data-name="{name}">')
        parts.append(f"<h2>{name} &rarr; {html.escape(flow_log.config.file_path)}</h2>")
        if flow_log.error:
            parts.append(f'<p class="err">Not applied by the agent: {html.escape(flow_log.error)}</p></section>')
            continue
        parts.append(
            f'<p>Matched <span class="matched-count">{tally.matched}</span> of <span class="seen-count">{run.seen}</span></p>'
        )
        parts.append(_matched_chart(tally.matched, run.seen))
        if flow_log.unpreviewable:
            parts.append(f'<p class="note">Not previewable (ignored): {html.escape(", ".join(flow_log.unpreviewable))}</p>')
        parts.append(_bar_chart("Top talkers (source \u2192 destination)", tally.top_talkers(10), "talkers"))
        parts.append(_bar_chart("Verdicts", tally.top_verdicts(10), "verdicts"))
        parts.append(_bar_chart("Drop reasons", tally.top_drop_reasons(10), "drop-reasons"))
        if volume is not None:
            parts.append(
                "<h3>Estimated volume</h3><table>"
                f'<tr><th>time span</th><td class="num">{volume.span_seconds:.0f} s</td><td>{html.escape(result.span_source)}</td></tr>'
                f'<tr><th>flows/s</th><td class="num flows-per-second">{volume.flows_per_second:.2f}</td><td></td></tr>'
                f'<tr><th>per day</th><td class="num bytes-per-day">{human_bytes(volume.bytes_per_day)}</td><td></td></tr>'
                + "".join(
                    f'<tr><th>{html.escape(n.node)}</th><td class="num">{n.flows_per_second:.2f} flows/s</td><td>{human_bytes(n.bytes_per_day)}/day</td></tr>'
                    for n in volume.nodes[:10]
                )
                + f'</table><p>{html.escape(volume.rotation)}</p>'
            )
        parts.append("</section>")
    parts += [f'<p class="note">{html.escape(note)}</p>' for note in result.notes]
    parts.append("</body></html>\n")
    return "".join(parts)

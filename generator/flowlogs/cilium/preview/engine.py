"""Run flow logs over a stream of events and keep, per flow log, what a preview reports.

Memory stays flat whatever the file size: events are read one at a time, the per-flow-log tallies
are bounded counters, and the matched line numbers (JSON output only) are spooled to a
temporary file in fixed-size chunks.
"""

from __future__ import annotations

import array
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any

from .apply import CompiledFlowLog
from .flows import FlowEvent

TOP_KEYS_KEPT = 4096  # distinct keys a tally keeps before it forgets the rarest
_CHUNK = 65536


class BoundedCounter:
    """Counts keys; past TOP_KEYS_KEPT keys the rarest half is dropped (counts of the top
    entries stay exact unless the data has more heavy hitters than that)."""

    def __init__(self, limit: int = TOP_KEYS_KEPT) -> None:
        self.counts: dict[str, int] = {}
        self.limit = limit

    def add(self, key: str, amount: int = 1) -> None:
        counts = self.counts
        counts[key] = counts.get(key, 0) + amount
        if len(counts) > self.limit:
            keep = sorted(counts.items(), key=lambda item: -item[1])[: self.limit // 2]
            self.counts = dict(keep)

    def top(self, n: int) -> list[tuple[str, int]]:
        return sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))[:n]


class LineSpool:
    """1-based line numbers, appended in order, kept in a temporary file past one chunk."""

    def __init__(self) -> None:
        self.buffer = array.array("Q")
        self.file: IO[bytes] | None = None
        self.count = 0

    def append(self, line: int) -> None:
        self.buffer.append(line)
        self.count += 1
        if len(self.buffer) >= _CHUNK:
            if self.file is None:
                self.file = tempfile.TemporaryFile()
            self.buffer.tofile(self.file)
            self.buffer = array.array("Q")

    def __iter__(self) -> Iterator[int]:
        if self.file is not None:
            self.file.seek(0)
            while True:
                chunk = array.array("Q")
                data = self.file.read(8 * _CHUNK)
                if not data:
                    break
                chunk.frombytes(data)
                yield from chunk
        yield from self.buffer

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def endpoint_name(endpoint: dict[str, Any] | None, ip: str) -> str:
    """How a flow's side is shown: namespace/pod, else the reserved label, else the IP."""
    if endpoint:
        pod, namespace = endpoint.get("pod_name"), endpoint.get("namespace")
        if pod:
            return f"{namespace}/{pod}" if namespace else pod
        for label in endpoint.get("labels", ()):
            if label.startswith("reserved:"):
                return f"{label}{f' ({ip})' if ip else ''}"
    return ip or "(unknown)"


@dataclass
class FlowLogTally:
    flow_log: CompiledFlowLog
    matched: int = 0
    written_bytes: int = 0
    sources: BoundedCounter = field(default_factory=BoundedCounter)
    destinations: BoundedCounter = field(default_factory=BoundedCounter)
    talkers: BoundedCounter = field(default_factory=BoundedCounter)
    verdicts: BoundedCounter = field(default_factory=BoundedCounter)
    drop_reasons: BoundedCounter = field(default_factory=BoundedCounter)
    nodes: BoundedCounter = field(default_factory=BoundedCounter)
    node_bytes: BoundedCounter = field(default_factory=BoundedCounter)
    lines: LineSpool | None = None

    def add(self, ev: FlowEvent, size: int) -> None:
        self.matched += 1
        self.written_bytes += size
        if self.lines is not None:
            self.lines.append(ev.line)
        if ev.node_name:
            self.nodes.add(ev.node_name)
            self.node_bytes.add(ev.node_name, size)
        if ev.kind != "flow":
            self.verdicts.add(f"({ev.kind})")
            return
        flow = ev.flow
        ip = flow.get("IP") or {}
        source = endpoint_name(flow.get("source"), ip.get("source", ""))
        destination = endpoint_name(flow.get("destination"), ip.get("destination", ""))
        self.sources.add(source)
        self.destinations.add(destination)
        self.talkers.add(f"{source} \u2192 {destination}")
        verdict = str(flow.get("verdict", "VERDICT_UNKNOWN"))
        self.verdicts.add(verdict)
        if verdict == "DROPPED":
            self.drop_reasons.add(str(flow.get("drop_reason_desc", "DROP_REASON_UNKNOWN")))


@dataclass
class PreviewRun:
    tallies: list[FlowLogTally]
    seen: int = 0
    seen_bytes: int = 0
    first_time: str = ""  # RFC 3339, second precision (UTC as Hubble writes it)
    last_time: str = ""

    def time_span_seconds(self) -> float | None:
        if not self.first_time or not self.last_time:
            return None
        try:
            first, last = (_parse_time(t) for t in (self.first_time, self.last_time))
        except ValueError:
            return None
        return (last - first).total_seconds() + 1  # both ends at second precision: inclusive


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text[:19])
    return moment.replace(tzinfo=timezone.utc)


def run_preview(
    events: Iterable[FlowEvent],
    flow_logs: list[CompiledFlowLog],
    keep_lines: bool = False,
    on_written: Callable[[int, FlowEvent, bytes], None] | None = None,
) -> PreviewRun:
    """Every event through every flow log. `on_written(index, event, line)` receives the exact
    lines the agent would write (serialising them costs time: only when asked)."""
    tallies = [FlowLogTally(f, lines=LineSpool() if keep_lines else None) for f in flow_logs]
    run = PreviewRun(tallies)
    active = [(i, t, t.flow_log) for i, t in enumerate(tallies) if not t.flow_log.error]
    first = last = ""
    seen = seen_bytes = 0
    for ev in events:
        seen += 1
        seen_bytes += ev.size
        stamp = ev.time[:19]
        if stamp:
            if not first or stamp < first:
                first = stamp
            if stamp > last:
                last = stamp
        for index, tally, flow_log in active:
            if flow_log.decide(ev):
                if flow_log.mask is not None or on_written is not None:
                    line = flow_log.written_line(ev)
                    size = len(line) + 1
                    if on_written is not None:
                        on_written(index, ev, line)
                else:
                    size = ev.size  # unmasked: the agent writes the event as read
                tally.add(ev, size)
    run.seen, run.seen_bytes, run.first_time, run.last_time = seen, seen_bytes, first, last
    return run

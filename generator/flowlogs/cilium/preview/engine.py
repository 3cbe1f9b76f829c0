"""Run flow logs over a stream of events and keep, per flow log, what a preview reports.

Memory stays flat whatever the file size: events are read one at a time, the per-flow-log tallies
are bounded, and the matched line numbers (JSON output only) are spooled to a
temporary file in fixed-size chunks.
"""

from __future__ import annotations

import array
import gzip
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import orjson

from ...errors import FlowlogsError
from ..defaults import DEFAULT_VERSION
from .apply import CompiledFlowLog, decide_all
from .flows import FlowEvent, event_from_object, flow_type_error, proto_facts
from .timeline import Timeline

_CHUNK = 65536


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
            while data := self.file.read(8 * _CHUNK):
                yield from array.array("Q", data)
        yield from self.buffer

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


GROUPS_KEPT = 65536  # distinct (source, destination, verdict, reason) groups kept per flow log

EndpointKey = tuple[str, str, str, int]  # namespace, pod name, IP, identity
# source and destination endpoint keys, verdict, drop reason: one flat tuple, made per matched flow
GroupKey = tuple[str, str, str, int, str, str, str, int, str, str]


def endpoint_name(key: EndpointKey, reserved: dict[int, str]) -> str:
    """How a flow's side is shown: namespace/pod, else the reserved identity and IP, else the IP."""
    namespace, pod, ip, identity = key
    if pod:
        return f"{namespace}/{pod}" if namespace else pod
    if identity in reserved:
        return f"reserved:{reserved[identity]} ({ip})" if ip else f"reserved:{reserved[identity]}"
    return ip or "(unknown)"


@dataclass
class FlowLogTally:
    """What one flow log matched. Matched events are grouped by (source, destination, verdict,
    drop reason); past GROUPS_KEPT groups the rarest half is forgotten, so the top lists stay
    exact for the heavy hitters and memory stays bounded."""

    flow_log: CompiledFlowLog
    reserved: dict[int, str] = field(default_factory=dict)  # reserved identity number -> name
    matched: int = 0
    written_bytes: int = 0
    groups: dict[GroupKey, list[int]] = field(default_factory=dict)  # [count]: counted in place, one lookup
    node_totals: dict[str, list[int]] = field(default_factory=dict)  # node -> [events, bytes]
    lines: LineSpool | None = None
    over_time: Timeline = field(default_factory=Timeline)  # matched events by their time

    def add(self, ev: FlowEvent, size: int) -> None:
        self.matched += 1
        self.written_bytes += size
        self.over_time.add(ev.time)
        if self.lines is not None:
            self.lines.append(ev.line)
        node = ev.node_name
        if node:
            totals = self.node_totals.get(node)
            if totals is None:
                if type(node) is not str:  # a proto string: the engine names the line (flow_type_error)
                    raise TypeError("a flow's node_name is not a string")
                if len(self.node_totals) < GROUPS_KEPT:
                    self.node_totals[node] = [1, size]
            else:
                totals[0] += 1
                totals[1] += size
        get = ev.flow.get
        ip = get("IP") or _NO_IP
        source = get("source") or _NO_IP
        destination = get("destination") or _NO_IP
        verdict = get("verdict", "VERDICT_UNKNOWN")
        key = (
            source.get("namespace", ""),
            source.get("pod_name", ""),
            ip.get("source", ""),
            source.get("identity", 0),
            destination.get("namespace", ""),
            destination.get("pod_name", ""),
            ip.get("destination", ""),
            destination.get("identity", 0),
            verdict,
            get("drop_reason_desc", "DROP_REASON_UNKNOWN") if verdict == "DROPPED" else "",
        )
        groups = self.groups
        count = groups.get(key)
        if count is not None:
            count[0] += 1
            return
        if not all(type(key[i]) is str for i in _STRING_FIELDS):
            # namespace, pod_name and the IPs are proto strings, a JSON string each (protojson):
            # the engine names the line (flow_type_error); checked once per group, not per flow.
            raise TypeError("a flow's endpoint field is not a string")
        groups[key] = [1]
        if len(groups) > GROUPS_KEPT:
            self.groups = dict(sorted(groups.items(), key=lambda item: -item[1][0])[: GROUPS_KEPT // 2])

    def _top(self, name_of: Callable[[GroupKey], str | None], n: int) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for key, (count,) in self.groups.items():
            name = name_of(key)
            if name is not None:
                counts[name] = counts.get(name, 0) + count
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]

    def top_sources(self, n: int) -> list[tuple[str, int]]:
        return self._top(lambda k: endpoint_name(k[:4], self.reserved), n)

    def top_destinations(self, n: int) -> list[tuple[str, int]]:
        return self._top(lambda k: endpoint_name(k[4:8], self.reserved), n)

    def top_talkers(self, n: int) -> list[tuple[str, int]]:
        return self._top(
            lambda k: f"{endpoint_name(k[:4], self.reserved)} \u2192 {endpoint_name(k[4:8], self.reserved)}", n
        )

    def top_verdicts(self, n: int) -> list[tuple[str, int]]:
        return self._top(lambda k: str(k[8]), n)

    def top_drop_reasons(self, n: int) -> list[tuple[str, int]]:
        return self._top(lambda k: str(k[9]) if k[9] else None, n)

    def top_nodes(self) -> list[tuple[str, int, int]]:
        """(node, events, bytes), busiest first."""
        return sorted(
            ((node, t[0], t[1]) for node, t in self.node_totals.items()), key=lambda item: (-item[1], item[0])
        )


_NO_IP: dict[str, Any] = {}
_STRING_FIELDS = (0, 1, 2, 4, 5, 6)  # of a GroupKey: each side's namespace, pod name and IP


MALFORMED_KEPT = 100  # malformed lines named in a run's result (all are counted)
PROGRESS_EVERY = 100_000  # flows between two progress calls


@dataclass
class PreviewRun:
    tallies: list[FlowLogTally]
    seen: int = 0  # flows: the events the flow logs decide on
    first_time: str = ""  # RFC 3339, second precision (UTC as Hubble writes it), of the flows
    last_time: str = ""
    records: dict[str, int] = field(default_factory=dict)  # non-flow records (lost_events, node_status, ...) by kind
    malformed: list[tuple[int, str]] = field(default_factory=list)  # (line, problem): the first MALFORMED_KEPT
    malformed_count: int = 0
    over_time: Timeline = field(default_factory=Timeline)  # seen flows by their time

    def time_span_seconds(self) -> float | None:
        if not self.first_time or not self.last_time:
            return None
        try:
            first, last = (datetime.fromisoformat(t[:19]) for t in (self.first_time, self.last_time))
        except ValueError:
            return None
        return (last - first).total_seconds() + 1  # both ends at second precision: inclusive


def malformed_problem(line: bytes, parsed: bool) -> str:
    """Why a line is not an event: cut off (what an interrupted capture leaves), not JSON, or JSON
    that is not an object."""
    if not line.endswith(b"\n") and not parsed:
        return "cut off: the file ends inside this line (an interrupted capture?)"
    return "not a JSON object" if parsed else "not JSON"


def run_preview(
    lines: Iterable[tuple[int, bytes]],
    flow_logs: list[CompiledFlowLog],
    keep_lines: bool = False,
    on_written: Callable[[int, FlowEvent, bytes], None] | None = None,
    reserved: dict[int, str] | None = None,
    source: str = "flows",
    strict: bool = False,
    progress: Callable[[int], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> PreviewRun:
    """Every flow through every flow log. `on_written(index, event, line)` receives the exact
    lines the agent would write (serialising them costs time: only when asked). Every line is
    parsed: a line is valid JSON in any spelling protojson and JSON allow (escapes, spaces), so no
    text search can stand in for parsing.

    A line that is not a JSON object (a capture cut off mid-line, a stray message) is skipped and
    counted, as hubble's own file reader skips it with a warning; with `strict` it is an error.
    Records that are not flows (lost_events, node_status, agent_event, debug_event) are counted
    by kind and not decided on. `progress(flows)` is called every `progress_every` flows."""
    tallies = [
        FlowLogTally(f, reserved=dict(reserved or {}), lines=LineSpool() if keep_lines else None) for f in flow_logs
    ]
    run = PreviewRun(tallies)
    records = run.records
    next_progress = progress_every if progress is not None else -1
    active = [(i, t, t.flow_log) for i, t in enumerate(tallies) if not t.flow_log.error]
    table = proto_facts().json_to_proto
    fast = FlowEvent(0, "flow", {}, {}, "", "", 0)
    loads, JSONDecodeError = orjson.loads, orjson.JSONDecodeError
    first, last = "\uffff", ""
    seen = 0
    seen_over_time = run.over_time.add
    exporting = decide_all([flow_log for _, _, flow_log in active])  # positions in `active`
    try:
        for number, line in lines:
            if line[0] != 123 and not line.strip():  # 123: "{", how every event starts
                continue
            try:
                obj = loads(line)
                flow = obj.get("flow")
            except JSONDecodeError:
                _malformed(run, source, number, malformed_problem(line, False), strict)
                continue
            except AttributeError:  # not an object: event_from_object says so below
                flow = None
            if type(flow) is dict and "node_name" in obj:
                # The exporter's own lines (proto names): one reused event, no renaming; filters
                # read only its flow, the rest is filled in for the flow logs that export it.
                ev = fast
                ev.flow = flow
                stamp = obj.get("time")
                if stamp is None:  # absent or null: protojson leaves the Timestamp unset
                    stamp = ""
            else:
                parsed = event_from_object(obj, number, len(line), table)
                if parsed is None:
                    _malformed(run, source, number, malformed_problem(line, True), strict)
                    continue
                if parsed.kind != "flow":
                    records[parsed.kind] = records.get(parsed.kind, 0) + 1
                    continue
                ev = parsed
                stamp = ev.time
            seen += 1
            if seen == next_progress:
                assert progress is not None
                progress(seen)
                next_progress += progress_every
            # Whole timestamps compared, cut to the second at the end: RFC 3339 strings of one
            # zone order like their first 19 characters wherever those differ. Flows come mostly
            # in time order: one comparison for most lines.
            if stamp > last:
                last = stamp
                if stamp < first:
                    first = stamp
            elif stamp and stamp < first:
                first = stamp
            seen_over_time(stamp)
            for position in exporting(ev):
                index, tally, flow_log = active[position]
                if ev is fast:
                    ev.line, ev.node_name, ev.time, ev.size = number, obj["node_name"], stamp, len(line)
                if on_written is not None:
                    written = flow_log.written_line(ev)
                    size = len(written) + 1
                    on_written(index, ev, written)
                elif flow_log.mask is not None:
                    size = flow_log.written_size(ev)
                else:
                    size = ev.size  # unmasked: the agent writes the event as read
                tally.add(ev, size)
    except (gzip.BadGzipFile, EOFError) as error:
        raise FlowlogsError(f"{source}: broken gzip data: {error}") from error
    except (TypeError, AttributeError, KeyError, ValueError, IndexError) as error:
        # A field of the wrong JSON type (`source` a string, `time` a number, `verdict` a
        # list): named at its line, checked only here, so valid flows cost nothing more.
        raise flow_type_error(source, number, line, DEFAULT_VERSION) or error from error
    run.seen = seen
    run.first_time, run.last_time = (first[:19], last[:19]) if last else ("", "")
    return run


def _malformed(run: PreviewRun, source: str, number: int, problem: str, strict: bool) -> None:
    if strict:
        raise FlowlogsError(
            f"{source}:{number}: {problem}: not a Flow or an exported event (--strict refuses it; without --strict it "
            "is skipped)"
        )
    run.malformed_count += 1
    if len(run.malformed) < MALFORMED_KEPT:
        run.malformed.append((number, problem))

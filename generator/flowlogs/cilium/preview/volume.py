"""Estimate what a flow log writes per second and per day, and what that means for rotation.

The agent's exporter rotates its file with lumberjack (a MiB-sized file, `fileMaxBackups` old files
kept beside the current one); defaults come from the version tables (`rotation_defaults`,
Cilium's chart: fileMaxSizeMb 10, fileMaxBackups 5). The literal path `stdout` is the agent's
own stdout and is not rotated; `/dev/stdout` goes through the rotating writer like any file, and
at the first rotation lumberjack renames it (the tables' `dev_stdout_hint`).
Each node's agent writes its own file, so rotation is judged on the busiest node.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..defaults import STDOUT
from ..tables import CiliumTables
from .engine import FlowLogTally

SECONDS_PER_DAY = 86400
MIB = 1024 * 1024
DEV_STDOUT = "/dev/stdout"


@dataclass(frozen=True)
class NodeVolume:
    node: str
    flows_per_second: float
    bytes_per_day: float


@dataclass(frozen=True)
class Volume:
    span_seconds: float
    flows_per_second: float
    bytes_per_day: float
    nodes: tuple[NodeVolume, ...]
    rotation: str  # "rotates every ~N minutes; keeps ~M hours" or why not


SIGNIFICANT = 3


def decimals(value: float) -> int:
    """How many decimals show `value` to SIGNIFICANT digits (0.00333, 0.0357, 1.2, 12.3, 1234):
    a slow flow log never reads 0.00, and a whole part is never rounded away."""
    if value == 0 or not math.isfinite(value):
        return 0
    places = max(0, SIGNIFICANT - 1 - math.floor(math.log10(abs(value))))
    rounded = round(value, places)  # 0.0009996 rounds up to 0.001: one digit fewer then
    return places if rounded == 0 else min(places, max(0, SIGNIFICANT - 1 - math.floor(math.log10(abs(rounded)))))


def rate(value: float) -> float:
    """A rate as every output gives it: rounded to SIGNIFICANT digits (JSON's number)."""
    return round(value, decimals(value))


def rate_text(value: float) -> str:
    """The same rate as text (the text summary and the report), without trailing zeros as %g
    writes it but never in exponent form; float(rate_text(x)) == rate(x)."""
    text = f"{value:.{decimals(value)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent_text(part: int, whole: int) -> str:
    """A share in percent with one decimal; a share too small for that shows its first digits
    (0.0005, not 0.0), and a share short of all never shows as 100.0."""
    share = 100 * part / whole
    text = f"{share:.1f}"
    if part and float(text) == 0:
        return rate_text(share)
    if part < whole and text == "100.0":
        return "99.9"
    return text


def human_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(count) < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"~{seconds:.0f} seconds"
    if seconds < 2 * 3600:
        return f"~{seconds / 60:.0f} minutes"
    if seconds < 2 * SECONDS_PER_DAY:
        return f"~{seconds / 3600:.0f} hours"
    return f"~{seconds / SECONDS_PER_DAY:.0f} days"


def estimate(tally: FlowLogTally, span_seconds: float, tables: CiliumTables) -> Volume:
    config = tally.flow_log.config
    flows_per_second = tally.matched / span_seconds
    bytes_per_day = tally.written_bytes / span_seconds * SECONDS_PER_DAY
    nodes = tuple(
        NodeVolume(node, count / span_seconds, written / span_seconds * SECONDS_PER_DAY)
        for node, count, written in tally.top_nodes()
    )
    busiest = max((n.bytes_per_day for n in nodes), default=bytes_per_day) / SECONDS_PER_DAY
    size_mb = config.file_max_size_mb or int(tables.rotation_defaults["fileMaxSizeMb"])
    if config.file_path == STDOUT and tables.literal_stdout:
        rotation = "written to the agent's stdout: not rotated by the agent (the log collector ships and keeps it)"
    elif config.file_path == DEV_STDOUT:
        when = (
            f"at this rate {size_mb} MB are reached after {_duration(size_mb * MIB / busiest)} on the busiest node"
            if busiest > 0
            else "nothing matched yet"
        )
        rotation = f"{tables.dev_stdout_hint.format(size=size_mb)} ({when})"
    elif busiest <= 0:
        rotation = "nothing matched: the file would not grow"
    else:
        backups = config.file_max_backups or int(tables.rotation_defaults["fileMaxBackups"])
        fill = size_mb * MIB / busiest
        where = "on the busiest node" if nodes else "per node"
        rotation = (
            f"rotates every {_duration(fill)}; keeps {_duration(fill * (backups + 1))} "
            f"({backups} backups of {size_mb} MiB{', before compression' if config.file_compress else ''}) {where}"
        )
    return Volume(span_seconds, flows_per_second, bytes_per_day, nodes, rotation)

"""Events counted over time, for matched vs seen on a time axis (JSON `timeline`, the report's chart).

While the flows are read, events are counted per bucket keyed by their timestamp's own RFC 3339
prefix (one string slice and one dict update per event; no date parsing in the loop): per
second, and coarsened to minutes, hours, then days when a capture has more than KEPT distinct
buckets, so memory stays bounded whatever the input. Afterwards `axis` sums the buckets of every
series into the same few dozen equal bins, aligned to round times (UTC, as Hubble writes it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

KEPT = 4096  # distinct buckets kept per series
MAX_BINS = 60  # bins on the axis
_COARSER = {19: 16, 16: 13, 13: 10}  # prefix length: second -> minute -> hour -> day
_SECONDS = {19: 1, 16: 60, 13: 3600, 10: 86400}
# Bin widths (and the report's tick steps) that read well on an axis, in seconds.
ROUND_WIDTHS = (
    *(1, 2, 5, 10, 15, 30),
    *(60, 120, 300, 600, 900, 1800),  # minutes
    *(3600, 7200, 10800, 21600, 43200),  # hours
    *(86400, 172800, 604800),  # days, a week
)


@dataclass(slots=True, eq=False)
class Timeline:
    """Counts of events per timestamp prefix (an event without a time is not counted)."""

    counts: dict[str, int] = field(default_factory=dict)
    cut: int = 19  # the prefix's length: 19 a second (see _COARSER)

    def add(self, stamp: str) -> None:
        if not stamp:
            return
        key = stamp[: self.cut]
        counts = self.counts
        count = counts.get(key)
        if count is not None:
            counts[key] = count + 1
            return
        counts[key] = 1
        if len(counts) > KEPT:
            self._coarsen(key)

    def _coarsen(self, newest: str) -> None:
        while len(self.counts) > KEPT and self.cut in _COARSER:
            cut = self.cut = _COARSER[self.cut]
            merged: dict[str, int] = {}
            for key, count in self.counts.items():
                merged[key[:cut]] = merged.get(key[:cut], 0) + count
            self.counts = merged
        if len(self.counts) > KEPT:  # more than KEPT distinct days: not times; not counted
            del self.counts[newest[: self.cut]]

    @property
    def seconds(self) -> int:
        """How long one bucket is."""
        return _SECONDS[self.cut]


@dataclass(frozen=True)
class Axis:
    """Equal bins from `start` (UTC), `width` seconds each; per series, its count in each bin (of the events
    with an RFC 3339 time)."""

    start: datetime
    width: int
    counts: tuple[tuple[int, ...], ...]

    @property
    def bins(self) -> int:
        return len(self.counts[0]) if self.counts else 0

    def bin_start(self, index: int) -> datetime:
        return datetime.fromtimestamp(self.start.timestamp() + index * self.width, UTC)


def _moment(key: str) -> int | None:
    """A bucket's start, in seconds since the epoch; None when the key is not a time."""
    if len(key) not in _SECONDS:
        return None
    try:
        moment = datetime.fromisoformat(key)
    except ValueError:
        return None
    return int(moment.replace(tzinfo=UTC).timestamp())


def axis(series: Sequence[Timeline], max_bins: int = MAX_BINS) -> Axis | None:
    """Every series summed into the same bins; None when no event has a time."""
    placed = [
        [(moment, count) for key, count in timeline.counts.items() if (moment := _moment(key)) is not None]
        for timeline in series
    ]
    every = [moment for moments in placed for moment, _ in moments]
    if not every:
        return None
    bucket = max(timeline.seconds for timeline in series)
    first, end = min(every), max(every) + bucket
    width = next(
        (w for w in ROUND_WIDTHS if w % bucket == 0 and math.ceil((end - first // w * w) / w) <= max_bins),
        math.ceil((end - first) / (max_bins - 1) / 86400) * 86400,
    )
    start = first // width * width
    bins = math.ceil((end - start) / width)
    counts = []
    for moments in placed:
        row = [0] * bins
        for moment, count in moments:
            row[(moment - start) // width] += count
        counts.append(tuple(row))
    return Axis(datetime.fromtimestamp(start, UTC), width, tuple(counts))

"""A one-line progress bar, for terminals only.

`ProgressBar.for_stream(sys.stderr)` is a no-op unless the stream is a TTY, so CI logs never
get carriage-return noise. Redraws are throttled; `close()` clears the line.
"""

from __future__ import annotations

import time
from typing import TextIO


class ProgressBar:
    width = 30
    interval = 0.05  # seconds between redraws

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self._last = 0.0
        self._drawn = False

    @classmethod
    def for_stream(cls, stream: TextIO) -> ProgressBar:
        return cls(stream if stream.isatty() else None)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.stream is None or total <= 0:
            return
        now = time.monotonic()
        if done < total and now - self._last < self.interval:
            return
        self._last = now
        filled = self.width * done // total
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{stage:<8} [{bar}] {done}/{total}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self.stream is not None and self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

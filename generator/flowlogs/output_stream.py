"""Standard output that fails as a user's problem, never as a bug in flowlogs.

`flowlogs render x | head -1` closes the pipe early, `flowlogs schema >&-` runs with no
standard output at all, `> /dev/full` has no room: each was an internal error (exit 70).
`guard_stdout()` wraps sys.stdout so a failed write raises OutputFailed (a UserError naming
the cause) or, for a reader that went away, OutputClosed, which the CLI ends quietly on.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any

from .errors import UserError


class OutputFailed(UserError):
    """Writing to standard output failed (no space, closed descriptor...)."""


class OutputClosed(OutputFailed):
    """The reader of standard output went away (a broken pipe): nothing more to say to it."""


def _failed(error: OSError) -> OutputFailed:
    if isinstance(error, BrokenPipeError) or error.errno == errno.EPIPE:
        return OutputClosed("standard output was closed by its reader")
    return OutputFailed(f"cannot write to standard output: {error.strerror or error}")


class _ClosedStream:
    """Standing in for a standard output that was closed before flowlogs started."""

    def write(self, data: Any) -> int:
        raise OSError(errno.EBADF, "it is closed (Bad file descriptor)")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    @property
    def buffer(self) -> _ClosedStream:
        return self


class _Guarded:
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, data: Any) -> int:
        try:
            return int(self._stream.write(data))
        except OSError as error:
            raise _failed(error) from None

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            raise _failed(error) from None

    @property
    def buffer(self) -> _Guarded:
        return _Guarded(self._stream.buffer)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def guard_stdout() -> None:
    if not isinstance(sys.stdout, _Guarded):
        sys.stdout = _Guarded(sys.stdout if sys.stdout is not None else _ClosedStream())


def silence_stdout() -> None:
    """After a broken pipe: point file descriptor 1 at /dev/null, so the interpreter's last
    flush at exit finds nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass

"""flowlogs' per-user caches: where they live, how an entry is written, and the build cache.

Two caches live under `$XDG_CACHE_HOME/flowlogs` (else `~/.cache/flowlogs`):
- `data/`: what is derived from installed files only: the parsed shipped data files
  (`datafiles.py`, keyed by each file's bytes) and `derived_entry`'s (compiled chart templates,
  Kubernetes schemas made standalone);
- `builds/`: the chart `render` and `validate` build from the current profiles, so a command
  that follows `generate` (or repeats itself) does not compile the same profiles again.

A build entry is found by its key (the command's arguments, the working directory) together
with the fingerprint of the code that builds it (every file of the installed package, the
Python version, the installed libraries), and it is used only while every file the build read
(`note_read`: the profiles, the profiles they compose) still has the bytes it had. A cache that
cannot be written or read is no error: the work is done as without it. `FLOWLOGS_NO_CACHE=1`
turns both caches off.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

KEPT_BUILDS = 512  # entries in builds/ before the oldest are removed
# The files read while a build is recorded: resolved path -> SHA-256 of the bytes.
_recordings: list[dict[str, str]] = []


def cache_root() -> Path | None:
    """The per-user cache directory, or None when caching is off."""
    if os.environ.get("FLOWLOGS_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "flowlogs"


def write_entry(path: Path, data: bytes) -> None:
    """Write a cache entry whole (a temporary file renamed over it); a failure leaves no entry."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass


def note_read(path: Path, data: bytes) -> None:
    """Record that the build under way read `path` with these bytes (no-op when nothing records)."""
    if _recordings:
        digest = hashlib.sha256(data).hexdigest()
        for reads in _recordings:
            reads[str(path.resolve())] = digest


@contextmanager
def recording_reads() -> Iterator[dict[str, str]]:
    """The files `note_read` reports while the block runs."""
    reads: dict[str, str] = {}
    _recordings.append(reads)
    try:
        yield reads
    finally:
        _recordings.remove(reads)


@functools.cache
def code_fingerprint() -> str:
    """What the build's output depends on besides its inputs: flowlogs' files (their paths, sizes
    and modification times; an edited or upgraded module or data table changes it), the Python
    version, and the installed libraries (installing or removing one changes its directory)."""
    digest = hashlib.sha256(sys.version.encode())
    package = Path(__file__).resolve().parent
    stack = [package]
    while stack:
        directory = stack.pop()
        with os.scandir(directory) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name == "__pycache__":
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                else:
                    stat = entry.stat()
                    digest.update(f"{entry.path}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    for entry_path in sys.path:
        if not entry_path.endswith(("site-packages", "dist-packages")):
            continue  # the working directory (`python -m`) and the like: not where libraries are installed
        try:
            digest.update(f"{entry_path}\0{os.stat(entry_path).st_mtime_ns}\0".encode())
        except OSError:
            continue
    settings = sorted((k, v) for k, v in os.environ.items() if k.startswith("FLOWLOGS_") and k != "FLOWLOGS_NO_CACHE")
    digest.update(repr(settings).encode())
    return digest.hexdigest()


def derived_entry(kind: str, *inputs: str) -> Path | None:
    """Where data derived from installed files only (a compiled template, the chart base, a
    bundled schema made standalone) is kept, under the code fingerprint and what it was derived from; None when
    caching is off. Like Python's bytecode, such an entry is made once per installation."""
    root = cache_root()
    if root is None:
        return None
    digest = hashlib.sha256("\0".join((code_fingerprint(), *inputs)).encode()).hexdigest()
    return root / "data" / f"{kind}-{digest[:40]}"


def _entry_path(kind: str, key: Mapping[str, Any]) -> Path | None:
    root = cache_root()
    if root is None:
        return None
    digest = hashlib.sha256(repr((code_fingerprint(), os.getcwd(), sorted(key.items()))).encode()).hexdigest()
    return root / "builds" / f"{kind}-{digest[:40]}.pickle"


def _still_read_alike(reads: Mapping[str, str]) -> bool:
    for path, digest in reads.items():
        try:
            with open(path, "rb") as stream:
                if hashlib.sha256(stream.read()).hexdigest() != digest:
                    return False
        except OSError:
            return False
    return True


def load_build(kind: str, key: Mapping[str, Any]) -> Any | None:
    """The cached build of `kind` for `key`, or None (none, stale, or unreadable)."""
    path = _entry_path(kind, key)
    if path is None:
        return None
    try:
        reads, value = pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError, ImportError):
        return None
    return value if isinstance(reads, dict) and _still_read_alike(reads) else None


def save_build(kind: str, key: Mapping[str, Any], reads: Mapping[str, str], value: Any) -> None:
    """Keep a build for `key`, valid while the files in `reads` keep their bytes."""
    path = _entry_path(kind, key)
    if path is not None:
        write_entry(path, pickle.dumps((dict(reads), value), protocol=pickle.HIGHEST_PROTOCOL))
        _prune(path.parent)


def _prune(directory: Path) -> None:
    """Keep the newest KEPT_BUILDS entries: every new directory of profiles (a test's, a CI
    checkout's) makes new keys, and nothing else would ever remove the old ones."""
    try:
        entries = list(os.scandir(directory))
        if len(entries) <= KEPT_BUILDS:
            return
        entries.sort(key=lambda entry: entry.stat().st_mtime_ns)
        for entry in entries[: len(entries) - KEPT_BUILDS // 2]:
            os.unlink(entry.path)
    except OSError:
        pass

"""flowlogs' per-user cache: plain data (JSON) found by the content of what it was made from.

Short commands keep what they would otherwise redo (docs/cli.md "The cache"). An entry is a file
of `$FLOWLOGS_CACHE_DIR/v2` (else `$XDG_CACHE_HOME/flowlogs/v2`, else `~/.cache/flowlogs/v2`)
named by the SHA-256 of its key: its kind, flowlogs' installation (`code_stamp`) and what the
caller says the value depends on, given as the content of files (`file_digest`), never their
dates. The file is one header line (the format, the key's digest, the payload's SHA-256) and the
payload, JSON. It is used only when it is a regular file (not a link, FIFO or device) of at most
MAX_ENTRY_BYTES whose header and digest are right; anything else is ignored and made again.
Nothing read from the cache is run (no pickle, no marshal). A cache that cannot be read or
written is no error; `FLOWLOGS_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from .errors import UserError
from .inputs import read_regular
from .writing import write_file

FORMAT = b"flowlogs-cache-2"
KEPT_ENTRIES = 256  # the newest kept: each new directory of profiles (a test's, a CI checkout's) makes new keys
MAX_ENTRY_BYTES = 64 * 1024 * 1024
_NOT_SETTINGS = ("FLOWLOGS_NO_CACHE", "FLOWLOGS_CACHE_DIR")


def cache_directory() -> Path | None:
    """Where entries live, or None when caching is off."""
    if os.environ.get("FLOWLOGS_NO_CACHE"):
        return None
    base = os.environ.get("FLOWLOGS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "flowlogs"
    )
    return Path(base) / "v2"


def file_digest(path: Path, limit: int) -> str:
    """A file as a key names it: the SHA-256 of its first `limit` + 1 bytes (more is refused by
    whoever reads it), where a link points, or why it cannot be read."""
    target = os.readlink(path) if os.path.islink(path) else ""
    try:
        return f"{target}\0sha256:{hashlib.sha256(read_regular(path, limit)).hexdigest()}"
    except OSError as error:
        return f"{target}\0unreadable: {error.strerror or error}"


def installed_stamp(path: str) -> str:
    """An installed file or directory as a key names it: path, size, inode and change time. The
    kernel sets the change time on every write, rename or chmod, and no program can set it back
    (as `touch`, `cp -p`, tar and pip set modification times), so an edit, reinstall or upgrade
    always changes it. Hashing flowlogs' 1.5 MB instead would cost a short command more than
    the cache saves it."""
    found = os.stat(path)
    return f"{path}\0{found.st_size}\0{found.st_ino}\0{found.st_ctime_ns}\0{found.st_mtime_ns}"


@functools.cache
def code_stamp() -> str:
    """What every entry depends on besides its inputs: flowlogs' files (`installed_stamp`), the
    Python version, the installed libraries (installing or removing one changes their directory)
    and the FLOWLOGS_ settings."""
    digest = hashlib.sha256(sys.version.encode())
    stack = [str(Path(__file__).resolve().parent)]
    while stack:
        directory = stack.pop()
        with os.scandir(directory) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name == "__pycache__":
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    digest.update(installed_stamp(entry.path).encode() + b"\0")
    for entry_path in sys.path:
        if entry_path.endswith(("site-packages", "dist-packages")):  # not the working directory of `python -m`
            try:
                digest.update(installed_stamp(entry_path).encode() + b"\0")
            except OSError:
                continue
    settings = sorted((k, v) for k, v in os.environ.items() if k.startswith("FLOWLOGS_") and k not in _NOT_SETTINGS)
    digest.update(json.dumps(settings).encode())
    return digest.hexdigest()


def _entry(kind: str, key: Any) -> tuple[Path, bytes] | None:
    directory = cache_directory()
    if directory is None:
        return None
    name = hashlib.sha256(json.dumps([kind, code_stamp(), key], sort_keys=True).encode()).hexdigest()
    return directory / f"{kind}-{name}.json", name.encode()


def load(kind: str, key: Any) -> Any | None:
    """The value kept for `key`, or None (none, or not exactly as written)."""
    entry = _entry(kind, key)
    if entry is None:
        return None
    path, name = entry
    try:
        data = read_regular(path, MAX_ENTRY_BYTES, follow_links=False)
    except OSError:
        return None
    header, _, payload = data.partition(b"\n")
    if len(data) > MAX_ENTRY_BYTES or header != b" ".join((FORMAT, name, hashlib.sha256(payload).hexdigest().encode())):
        return None
    try:
        return json.loads(payload)
    except ValueError:  # not UTF-8, not JSON
        return None


def save(kind: str, key: Any, value: Any) -> None:
    """Keep `value` (JSON-able) for `key`: written whole (`writing.write_file`)."""
    entry = _entry(kind, key)
    if entry is None:
        return
    path, name = entry
    payload = json.dumps(value, separators=(",", ":")).encode()
    header = b" ".join((FORMAT, name, hashlib.sha256(payload).hexdigest().encode()))
    try:
        write_file(path, header + b"\n" + payload, what="cache entry", make_parents=True, mode=0o600)
        _prune(path.parent)
    except (OSError, UserError):
        pass


def _prune(directory: Path) -> None:
    """Keep the newest KEPT_ENTRIES entries (half of them once there are more)."""
    entries = list(os.scandir(directory))
    if len(entries) <= KEPT_ENTRIES:
        return
    entries.sort(key=lambda entry: entry.stat(follow_symlinks=False).st_mtime_ns)
    for entry in entries[: len(entries) - KEPT_ENTRIES // 2]:
        os.unlink(entry.path)

"""Writing a file: the one writer every command uses (report, package, init, import, generate), and
whether files on disk already hold given text (`holds`, `existing_files`: generate and render compare first).

A file is written whole beside its target, under a fresh name nobody could have planted
(`mkstemp` creates it with O_EXCL: a `.NAME.tmp` symlink left there is never followed), and
renamed over the target in one step, so a reader sees the old file or the new one, never half
of one; on any failure the temporary file is removed and the target is untouched. The target
itself must be a regular file or absent: a symlink (which would send the write elsewhere), a
directory, a device (`--report /dev/full` once replaced the device node with a regular file), a
FIFO or a socket is refused with an error naming it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import UserError
from .inputs import file_kind


class UnsafeTarget(UserError):
    """A target flowlogs will not write: a symlink, directory, device, FIFO or socket."""


def refuse_special(path: Path, what: str = "file") -> None:
    """UnsafeTarget when `path` exists and is anything but a regular file (a symlink is not followed)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise UnsafeTarget(f"{path}: cannot write the {what}: {error.strerror}") from None
    if stat.S_ISREG(mode):
        return
    raise UnsafeTarget(f"{path} is {file_kind(mode)}: flowlogs writes its {what} only to a regular file or a new name")


def existing_files(target: Path) -> set[str]:
    """The files below a directory (relative, with '/'); none when it is not a directory."""
    if not target.is_dir():
        return set()
    return {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}


def file_size(path: Path) -> int | None:
    """The size of a regular file (not followed through a symlink), else None."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def holds(path: Path, text: str) -> bool:
    """Whether `path` is a regular file holding exactly `text` (a write would change nothing); read only when
    its size matches."""
    data = text.encode("utf-8")
    return file_size(path) == len(data) and path.read_bytes() == data


def write_file(
    path: Path,
    data: str | bytes,
    *,
    what: str = "file",
    exclusive: bool = False,
    make_parents: bool = False,
    mode: int = 0o644,
) -> None:
    """Write `data` (text as UTF-8 with \\n line ends) to `path` atomically.

    `exclusive`: never replace anything at `path`, not even a dangling symlink (`init`).
    `make_parents`: create missing parent directories first.
    Refusals are UnsafeTarget (a UserError); other OS errors are UserError naming the path.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    refuse_special(path, what)
    if exclusive and os.path.lexists(path):
        raise UnsafeTarget(f"{path} exists: flowlogs never overwrites it")
    parent = path.parent
    try:
        if make_parents:
            parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name[:200]}.", suffix=".tmp", dir=parent)
    except OSError as error:
        raise UserError(f"{path}: cannot write the {what}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.chmod(temporary, mode)
        if exclusive:
            os.link(temporary, path)  # fails when anything, even a dangling symlink, is there
            os.unlink(temporary)
        else:
            refuse_special(path, what)  # again, just before the rename: it replaces a link, never follows it
            os.replace(temporary, path)
    except BaseException as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(error, UserError) or not isinstance(error, OSError):
            raise
        if isinstance(error, FileExistsError):
            raise UnsafeTarget(f"{path} exists: flowlogs never overwrites it") from None
        raise UserError(f"{path}: cannot write the {what}: {error.strerror or error}") from None

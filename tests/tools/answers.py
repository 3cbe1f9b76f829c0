"""Upstream programs' answers (return code, stdout, stderr), kept by the content of what they depend on.

The oracle tiers ask hubble, helm (on Cilium's charts) and kubeconform the same questions on every run.
`run` asks a question once and keeps the answer in `.cache/upstream-answers/v1/` (FLOWLOGS_ANSWERS_DIR to
move it), one JSON file per answer, under a key made of:

- the program's bytes (hashed once per process: a build that changes a binary changes every key);
- each argument: text as it is, and for an `Input` (a file or a directory named on the command line) its
  content (a directory: its files' relative names and bytes), never its path, which differs per run;
- stdin, the environment variables the test sets for the program, and those of the program's own prefix
  (HUBBLE_..., HELM_...) and GODEBUG that the process inherits.

Where an answer names an input's path (kubeconform's filenames, hubble's warnings), the kept answer holds
a placeholder and gets the path of the run that reads it. Parts of an answer that differ from run to run
(hubble's log time stamps, the keys helm makes for Cilium's TLS secrets, the order of names in kubeconform's
messages) are masked by a `steady` function, the same on a kept answer and on a fresh one, so that tests
read only what is deterministic.

A kept answer is proven equal to the plain path as the tests run: the first answer kept for each program
in a process, and a random sample of the rest (FLOWLOGS_ANSWERS_RECHECK, 0.03; 0 for none), are asked again
and the test fails (AnswerChanged) when the fresh answer differs. FLOWLOGS_FRESH_ANSWERS=1 asks every question
afresh (and keeps the answers). A corrupt, foreign or unreadable entry is ignored: the program runs.
`prune` (at the end of a test run) keeps the newest entries; an entry a run used is touched.

`made_once` keeps, the same way, an input that is costly to make and depends only on what its key names (the
examples hypothesis draws for the preview oracle from a seed fixed by the code's content).
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import itertools
import json
import os
import random
import re
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowlogs.errors import UserError
from flowlogs.writing import write_file

ROOT = Path(__file__).resolve().parents[2]
VERSION = "v1"
FORMAT = f"flowlogs upstream answer {VERSION}"
# Several runs of every oracle tier (~1,200 answers a run, 20 MB; hubble's ~14 kB each, a Cilium render 65 kB).
KEEP_ENTRIES = 20_000
KEEP_BYTES = 64 << 20


class AnswerChanged(AssertionError):
    """A kept answer differs from the one the program gives now: the key misses something it depends on."""


@dataclass(frozen=True)
class Input:
    """A file or directory named on the command line, as `path` followed by `suffix` (e.g. kubeconform's
    `DIR/{{ .ResourceKind }}.json`): keyed by its content, not its path."""

    path: Path
    suffix: str = ""

    def text(self) -> str:
        return f"{self.path}{self.suffix}"


Argument = str | Path | Input
Steady = Callable[[str], str]


def directory() -> Path:
    """Where answers are kept: $FLOWLOGS_ANSWERS_DIR/v1, or .cache/upstream-answers/v1 of the checkout."""
    base = os.environ.get("FLOWLOGS_ANSWERS_DIR")
    return (Path(base) if base else ROOT / ".cache" / "upstream-answers") / VERSION


def fresh() -> bool:
    return os.environ.get("FLOWLOGS_FRESH_ANSWERS", "") not in ("", "0")


def recheck_rate() -> float:
    return float(os.environ.get("FLOWLOGS_ANSWERS_RECHECK", "0.03"))


# ------------------------------------------------------------------------------------------- the key

_PROGRAMS: dict[tuple[str, int, int, int], str] = {}


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def program_digest(program: Path) -> str:
    """sha256 of the program's bytes, once per process (~0.1 s of CPU for a 90 MB hubble); the stat only
    says when to hash again within the process."""
    stat = program.stat()
    memo = (str(program.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if memo not in _PROGRAMS:
        _PROGRAMS[memo] = _file_digest(program)
    return _PROGRAMS[memo]


def content_digest(path: Path) -> str:
    """sha256 of a file's bytes, or of a directory's files (relative names and bytes, in name order; Python's
    bytecode caches are not content)."""
    if not path.is_dir():
        return _file_digest(path)
    digest = hashlib.sha256(b"directory\0")
    for item in sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.relative_to(path).parts):
        digest.update(item.relative_to(path).as_posix().encode() + b"\0" + _file_digest(item).encode() + b"\0")
    return digest.hexdigest()


def _inherited(program: Path) -> dict[str, str]:
    """The variables of this process the program reads by its own prefix (HUBBLE_, HELM_, KUBECONFORM_)
    and Go's GODEBUG."""
    prefix = program.name.split("-")[0].upper() + "_"
    return {name: value for name, value in os.environ.items() if name.startswith(prefix) or name == "GODEBUG"}


def key(argv: Sequence[Argument], stdin: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The answer's key: the program's bytes, the arguments (inputs by content), stdin and environment."""
    program = Path(argv[0] if not isinstance(argv[0], Input) else argv[0].path)
    words: list[object] = []
    for argument in argv[1:]:
        if isinstance(argument, Path):
            argument = Input(argument)
        if isinstance(argument, Input):
            words.append({"input": content_digest(argument.path), "suffix": argument.suffix})
        else:
            words.append(argument)
    question = {
        "program": program_digest(program),
        "argv": words,
        "stdin": stdin,
        "env": sorted({**_inherited(program), **(env or {})}.items()),
    }
    return hashlib.sha256(json.dumps(question, sort_keys=True).encode()).hexdigest()


# ------------------------------------------------------------------------------------ the answers


@dataclass(frozen=True)
class Answer:
    returncode: int
    stdout: str
    stderr: str


def _inputs(argv: Sequence[Argument]) -> list[tuple[int, str]]:
    """The inputs' paths as the answer may print them, each with the position of its first argument (which
    names it in the kept answer, as in the key), longest first (a directory before its files)."""
    paths: dict[str, int] = {}
    for position, argument in enumerate(argv):
        if position and isinstance(argument, Input | Path):
            paths.setdefault(str(argument.path if isinstance(argument, Input) else argument), position)
    return sorted(((position, path) for path, position in paths.items()), key=lambda item: -len(item[1]))


def _placeholders(text: str, paths: list[tuple[int, str]]) -> str:
    for position, path in paths:
        text = text.replace(path, f"\0input {position}\0")
    return text


def _paths(text: str, paths: list[tuple[int, str]]) -> str:
    for position, path in paths:
        text = text.replace(f"\0input {position}\0", path)
    return text


def _ask(command: list[str], stdin: str | None, env: Mapping[str, str] | None, timeout: float) -> Answer:
    completed = subprocess.run(
        command,
        input=None if stdin is None else stdin.encode(),
        capture_output=True,
        check=False,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    return Answer(
        completed.returncode,
        completed.stdout.decode("utf-8", "surrogateescape"),
        completed.stderr.decode("utf-8", "surrogateescape"),
    )


def read(path: Path, expected_key: str) -> Answer | None:
    """The answer kept at `path`, or None when it is missing, unreadable, corrupt or not of this format."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry.get("format") != FORMAT or entry.get("key") != expected_key:
            return None
        answer = Answer(entry["returncode"], entry["stdout"], entry["stderr"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not (type(answer.returncode) is int and isinstance(answer.stdout, str) and isinstance(answer.stderr, str)):
        return None
    return answer


def write(path: Path, entry_key: str, argv: Sequence[str], answer: Answer) -> None:
    """One answer, written atomically (a reader sees the old file or the whole new one)."""
    entry = {"format": FORMAT, "key": entry_key, "argv": list(argv), **answer.__dict__}
    write_file(path, json.dumps(entry, ensure_ascii=True), what="upstream answer", make_parents=True)


@dataclass
class Counts:
    """What this process did: questions asked of the program, answers kept, kept answers asked again."""

    asked: int = 0
    kept: int = 0
    rechecked: int = 0


COUNTS = Counts()
_COUNTING = threading.Lock()  # the oracles ask from a few threads at once


def _count(name: str) -> None:
    with _COUNTING:
        setattr(COUNTS, name, getattr(COUNTS, name) + 1)


_RECHECKED: set[str] = set()  # programs whose first kept answer this process asked again


def run(
    argv: Sequence[Argument],
    *,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    steady: Steady | None = None,
) -> subprocess.CompletedProcess[str]:
    """`argv` run as subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **env}) would,
    its answer kept by content (see the module's docstring); `steady` masks what differs from run to run."""
    command = [a.text() if isinstance(a, Input) else str(a) for a in argv]
    paths = _inputs(argv)
    entry_key = key(argv, stdin, env)
    entry = directory() / entry_key[:2] / f"{entry_key}.json"
    kept = None if fresh() else read(entry, entry_key)
    clean = steady or (lambda text: text)
    if kept is None:
        answer = _ask(command, stdin, env, timeout)
        _count("asked")
        with contextlib.suppress(OSError, UserError):  # a read-only or damaged cache: the answer is still right
            stdout, stderr = (_placeholders(text, paths) for text in (answer.stdout, answer.stderr))
            write(entry, entry_key, command, Answer(answer.returncode, stdout, stderr))
    else:
        answer = Answer(kept.returncode, _paths(kept.stdout, paths), _paths(kept.stderr, paths))
        _count("kept")
        with contextlib.suppress(OSError):
            os.utime(entry)  # used: pruned last
        program = command[0]
        rate = recheck_rate()
        if rate > 0 and (program not in _RECHECKED or random.random() < rate):
            _RECHECKED.add(program)
            now = _ask(command, stdin, env, timeout)
            same = [clean(getattr(answer, part)) == clean(getattr(now, part)) for part in ("stdout", "stderr")]
            if now.returncode != answer.returncode or not all(same):
                entry.unlink(missing_ok=True)
                raise AnswerChanged(
                    f"the answer kept in {entry} for {shlex.join(command)[:2000]} differs from the program's "
                    f"answer now (returncode {answer.returncode} -> {now.returncode}; stdout, stderr equal: {same}):\n"
                    + _difference(clean(answer.stdout) + clean(answer.stderr), clean(now.stdout) + clean(now.stderr))
                )
            _count("rechecked")
    return subprocess.CompletedProcess(command, answer.returncode, clean(answer.stdout), clean(answer.stderr))


def made_once(question: object, make: Callable[[], object]) -> Any:
    """`make()`'s value as JSON reads it back, kept beside the answers under `question` (JSON: everything the value
    depends on, e.g. a seed and the digest of the code that draws examples from it): for inputs that cost more to
    make than to read, as the examples hypothesis draws for the preview oracle. FLOWLOGS_FRESH_ANSWERS=1 makes it
    afresh; a corrupt or foreign entry is ignored."""
    entry_key = hashlib.sha256(json.dumps({"made from": question}, sort_keys=True).encode()).hexdigest()
    entry = directory() / entry_key[:2] / f"{entry_key}.json"
    if not fresh():
        with contextlib.suppress(OSError, ValueError, AttributeError):
            kept = json.loads(entry.read_text(encoding="utf-8"))
            if kept.get("format") == FORMAT and kept.get("key") == entry_key and "value" in kept:
                with contextlib.suppress(OSError):
                    os.utime(entry)  # used: pruned last
                return kept["value"]
    text = json.dumps(make(), ensure_ascii=True)
    with contextlib.suppress(OSError, UserError):
        write_file(
            entry,
            f'{{"format": {json.dumps(FORMAT)}, "key": "{entry_key}", "value": {text}}}',
            what="made input",
            make_parents=True,
        )
    return json.loads(text)


def _difference(kept: str, now: str) -> str:
    lines = difflib.unified_diff(kept.splitlines(), now.splitlines(), "kept", "now", n=1, lineterm="")
    return "\n".join(line[:300] for line in itertools.islice(lines, 40))


def prune(keep_entries: int = KEEP_ENTRIES, keep_bytes: int = KEEP_BYTES, where: Path | None = None) -> int:
    """Remove all but the newest entries (by the time they were written or last used), at most
    `keep_entries` of them and `keep_bytes` in all; stray scratch files go too. Returns how many were removed."""
    folder = where or directory()
    entries = []
    for path in folder.glob("*/*"):
        with contextlib.suppress(OSError):
            stat = path.stat()
            entries.append((stat.st_mtime_ns, stat.st_size, path))
    entries.sort(key=lambda item: item[0], reverse=True)
    removed = total = kept = 0
    hour_ago = time.time_ns() - 3600 * 10**9
    for written, size, path in entries:
        if path.name.startswith(".tmp-"):
            if written < hour_ago:  # left by a process that was killed while writing
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
            continue
        if kept >= keep_entries or total + size > keep_bytes:
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
            continue
        kept += 1
        total += size
    return removed


# ------------------------------------------------------------------- what differs from run to run

_LOG_TIME = re.compile(r"^time=\S+ ", re.MULTILINE)


def hubble_steady(text: str) -> str:
    """hubble's log lines (slog) without their time stamps."""
    return _LOG_TIME.sub("time=- ", text)


# Base64 of "-----BEGIN": the certificates and keys Cilium's chart makes with genCA/genSignedCert
# (templates/cilium-ca-secret.yaml, hubble/tls-helm/), new on each render.
_PEM = re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/=]*")


def helm_steady(text: str) -> str:
    """A rendered chart with the certificates and keys helm made for it masked."""
    return _PEM.sub("<made by helm>", text)


# A list of names in a kubeconform message ("additional properties 'kind', 'metadata' not allowed"), which
# jsonschema builds from a Go map: in a new order on each run.
_NAMES = re.compile(r"'[^',]*'(?:, '[^',]*')+")


def kubeconform_steady(text: str) -> str:
    """kubeconform's output with each list of names in its messages sorted."""
    return _NAMES.sub(lambda names: ", ".join(sorted(names.group().split(", "))), text)

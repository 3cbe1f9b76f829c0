"""Reading every file flowlogs reads: refuse what no input needs before it costs anything.

Profiles and the fleet file arrive through pull requests from many teams; `validate` reads
whatever `--documents` and `--schema-location` name. Before a YAML parser builds anything,
`read_input` checks that the path is a regular file (a FIFO would hang, `/dev/zero` never
ends), inside the directory it must be in (a profile symlinked to `/proc/self/environ`), no
larger than a limit, valid UTF-8 and free of the control characters YAML forbids; then
`check_yaml_events` walks the parser's events (a state machine, no recursion, nothing built)
and refuses nesting deeper than a limit (composers recurse: ruamel.yaml raised RecursionError
at ~300 levels, PyYAML's C loader crashed the process at 30,000), alias bombs (anchors whose
expansion grows exponentially: 256 bytes took 32 s and 3.1 GB), merge keys where they are not
supported, and integers longer than Python converts. Every refusal names file:line:col and,
for the size limit, the environment variable that raises it.

The limits bound what an attack needs, not what an honest file holds: aliases may expand a
document to `EXPANSION_RATIO` times the values it writes (a floor lets small files alias
freely), so a 10,000-cluster fleet is read while 256 bytes that expand to 531,441 values are
not. go-yaml v3, which Kubernetes and Helm read YAML with, bounds aliasing the same way: by
the share of decoded values that come from aliases (gopkg.in/yaml.v3 decode.go,
`allowedAliasRatio`: 99% for small documents, 10% above 4,000,000 values).
"""

from __future__ import annotations

import bisect
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Location


@dataclass(frozen=True)
class InputLimits:
    """What one kind of input may hold; `size_variable` raises `max_bytes` (a number of bytes)."""

    what: str
    max_bytes: int
    size_variable: str
    max_depth: int
    min_nodes: int  # values after expanding every alias that any file may have (the floor)
    merge_keys: bool  # `<<: *anchor` (profiles: refused, their positions could not be told)
    core_tags_only: bool = False  # refuse `!!python/object...` and other non-core tags

    def byte_limit(self) -> int:
        raw = os.environ.get(self.size_variable, "")
        return int(raw) if raw.isdigit() and int(raw) > 0 else self.max_bytes

    @property
    def noun(self) -> str:
        """The file as messages name it: "the profile file", "the fleet file"."""
        return self.what if self.what.endswith(" file") else f"{self.what} file"


# The shipped profiles are under 2 KB; a fleet file takes 90-120 bytes a cluster (10,000
# clusters: 0.9-1.2 MB). The size limit is what bounds memory: reading keeps every value with
# its path and position, ~80 bytes per byte of an honest fleet, ~460 of a list of one-digit
# values, ~700 of such a list 60 levels deep (1 MiB: 0.7 GB), so 2 MiB (17,000-23,000 clusters)
# stays under 1.5 GB whatever the file holds. The largest CRD a schema location holds is Argo
# CD's ApplicationSet (1.4 MB). Depths:
# a profile needs 6 levels, a fleet file's `values` overrides as deep as the chart's values, the
# deepest CRD schema in ../shared/crds about 40.
PROFILE_LIMITS = InputLimits(
    "profile", 256 * 1024, "FLOWLOGS_MAX_PROFILE_BYTES", 64, 20_000, merge_keys=False, core_tags_only=True
)
FLEET_LIMITS = InputLimits(
    "fleet file", 2 * 1024 * 1024, "FLOWLOGS_MAX_FLEET_BYTES", 64, 20_000, merge_keys=False, core_tags_only=True
)
DOCUMENT_LIMITS = InputLimits(
    "document", 8 * 1024 * 1024, "FLOWLOGS_MAX_DOCUMENT_BYTES", 256, 2_000_000, merge_keys=True
)

# Values after expanding aliases, per value written (a value, an alias, each mapping or list):
# honest anchors (shared defaults) repeat a few values; a bomb multiplies at every level.
EXPANSION_RATIO = 10

# Python refuses to convert longer decimal strings to int (sys.get_int_max_str_digits()).
MAX_INTEGER_DIGITS = 4300
# The YAML 1.2 core schema's tags: the only ones a profile needs (an explicit !!timestamp would
# become a date object; written plain, a time stays the text it is).
CORE_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map"))
_INTEGER = re.compile(r"[-+]?(0[xXoObB])?[0-9a-fA-F_]+")
# YAML 1.2 §5.1 (and 1.1): the printable characters; anything else (NUL, other C0 and C1
# controls, surrogates, U+FFFE/U+FFFF) is refused by the readers, without a position we can use.
# Written as the few characters outside the printable set, not as the complement of the set
# "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]": the same
# characters (tests/test_hostile_inputs.py checks every code point), compiled faster.
_NON_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


class InputRefused(Exception):
    """An input flowlogs will not read, with where and why."""

    def __init__(self, location: Location, message: str, hint: str = "") -> None:
        super().__init__(f"{location}: {message}")
        self.location, self.message, self.hint = location, message, hint

    @property
    def with_hint(self) -> str:
        """The refusal, then its hint in parentheses when it has one."""
        return f"{self} ({self.hint})" if self.hint else str(self)


# What a file is when it is not a regular one, as messages name it.
_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
)
# O_NONBLOCK: opening a FIFO must not wait for a writer; the type is checked on the open file.
_OPEN = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def file_kind(mode: int) -> str:
    return next((name for check, name in _KINDS if check(mode)), "not a regular file")


class NotRegularFile(OSError):
    def __init__(self, mode: int) -> None:
        self.kind = file_kind(mode)
        super().__init__(f"not a regular file ({self.kind})")


def read_regular(path: Path | str, limit: int, *, follow_links: bool = True) -> bytes:
    """At most `limit` + 1 bytes of `path`; NotRegularFile when it is not a regular file (a FIFO, a
    device, a directory; a link too unless `follow_links`), OSError when it cannot be read."""
    descriptor = os.open(path, _OPEN | (0 if follow_links else getattr(os, "O_NOFOLLOW", 0)))
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):  # before fdopen, which refuses a directory with its own error
        os.close(descriptor)
        raise NotRegularFile(mode)
    with os.fdopen(descriptor, "rb") as stream:
        return stream.read(limit + 1)


def read_input(path: Path, limits: InputLimits, *, shown: str | None = None, inside: Path | None = None) -> str:
    """The text of `path`, or InputRefused: not a regular file, outside `inside`, too large, not UTF-8."""
    shown = shown if shown is not None else str(path)
    where = Location(shown)
    if inside is not None:
        resolved, root = path.resolve(), inside.resolve()
        if not resolved.is_relative_to(root):
            raise InputRefused(
                where,
                f"the {limits.noun} resolves to {resolved}, outside {root}",
                f"a {limits.what} must be a file in {inside}, not a link to elsewhere",
            )
    limit = limits.byte_limit()
    try:
        data = read_regular(path, limit)
    except NotRegularFile as error:
        raise InputRefused(
            where, f"not a regular file ({error.kind}): flowlogs reads {limits.what}s from regular files only"
        ) from None
    except OSError as error:
        raise InputRefused(where, f"cannot read the {limits.noun}: {error.strerror}") from error
    if len(data) > limit:
        raise InputRefused(
            where,
            f"the {limits.noun} is larger than {limit} bytes",
            f"no {limits.what} needs more; if this one does, set {limits.size_variable} to a larger number of bytes",
        )
    return decode_input(data, shown)


def decode_input(data: bytes, shown: str) -> str:
    """UTF-8 text with no character YAML forbids; errors at line:col."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")) + 1
        raise InputRefused(
            Location(shown, line, column),
            f"not UTF-8: byte 0x{data[error.start]:02x} cannot start or continue a character here",
            "YAML files are UTF-8; re-save the file as UTF-8",
        ) from None
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise InputRefused(
            Location(shown, line, column),
            f"control character U+{ord(bad.group()):04X} is not allowed in YAML",
            "remove it; write it as an escape (\\x00, \\t) inside a double-quoted string if it is meant",
        )
    return text


def mark_location(shown: str, mark: Any) -> Location:
    """Where a YAML parser's mark (0-based) points, or the file alone when it has none."""
    return Location(shown, mark.line + 1, mark.column + 1) if mark else Location(shown)


def check_yaml_events(events: Iterable[Any], limits: InputLimits, shown: str) -> None:
    """Walk a YAML event stream (PyYAML's) and refuse what the limits do not allow.

    Nothing is built: each anchor's expanded size is counted once, each alias adds it. At each
    document's end (before a loader builds it) the values so far may be at most
    EXPANSION_RATIO times the values written so far, or `limits.min_nodes`; the refusal names the
    first alias past that. No file within the byte limit writes more values than it has bytes,
    so a count past EXPANSION_RATIO times the byte limit is refused at once (counts stay small).
    """
    sizes: dict[str, int] = {}
    # One frame per open collection: [anchor, expanded node count, is a mapping, next node is a key].
    stack: list[list[Any]] = []
    total = written = 0
    aliases: list[tuple[int, Any]] = []  # (values so far, the alias) since the last check
    open_anchors: set[str] = set()  # an alias to one of these makes a cycle (`&a [*a]`)
    ceiling = max(limits.min_nodes, EXPANSION_RATIO * limits.byte_limit())

    def where(event: Any) -> Location:
        return mark_location(shown, event.start_mark)

    def refuse(event: Any, limit: int) -> None:
        raise InputRefused(
            where(event),
            f"the {limits.what} expands to more than {limit} values from the {written} it writes (aliases repeat their "
            "anchor's values)",
            f"an alias bomb? aliases may expand a file to {EXPANSION_RATIO} times the values it writes (at least "
            f"{limits.min_nodes}); write the values out, or use fewer aliases",
        )

    def add(count: int) -> None:
        # `count` more values in the expanded document: in total, and in the open collection.
        nonlocal total, written
        total += count
        written += 1
        if stack:
            stack[-1][1] += count

    def check_expansion() -> None:
        limit = max(limits.min_nodes, EXPANSION_RATIO * written)
        if total > limit:  # only aliases expand: there is one (values written after it can tip the count)
            first = bisect.bisect_right(aliases, limit, key=lambda passed: passed[0])
            refuse(aliases[min(first, len(aliases) - 1)][1], limit)
        del aliases[:-1]  # limits only grow: an alias within this one is within every later one

    for event in events:
        kind = type(event).__name__
        tag = getattr(event, "tag", None)
        if limits.core_tags_only and tag not in (None, "!") and tag not in CORE_TAGS:
            shown_tag = str(tag).replace("tag:yaml.org,2002:", "!!")
            raise InputRefused(
                where(event),
                f"the tag {shown_tag} is not supported here",
                "remove the tag; a value is read as plain YAML (!!str, !!int and the other core tags are fine)",
            )
        if kind in ("MappingStartEvent", "SequenceStartEvent"):
            _count_key(stack)
            if len(stack) >= limits.max_depth:
                raise InputRefused(
                    where(event),
                    f"nested more than {limits.max_depth} levels deep",
                    f"no {limits.what} needs this nesting",
                )
            add(1)
            stack.append([event.anchor, 1, kind == "MappingStartEvent", True])
            if event.anchor is not None:
                open_anchors.add(event.anchor)
        elif kind in ("MappingEndEvent", "SequenceEndEvent"):
            anchor, count, _, _ = stack.pop()
            if anchor is not None:
                sizes[anchor] = count
                open_anchors.discard(anchor)
            if stack:
                stack[-1][1] += count - 1  # its start counted 1 there already
        elif kind == "ScalarEvent":
            is_key = _count_key(stack)
            value = event.value
            plain = not event.style  # libyaml gives "", PyYAML's Python parser None
            if is_key and value == "<<" and plain and not limits.merge_keys:
                raise InputRefused(
                    where(event),
                    "merge keys (<<) are not supported here",
                    "write the keys out (an anchor and alias for a whole value, `key: *anchor`, is fine)",
                )
            if (plain or event.tag is not None) and len(value) > MAX_INTEGER_DIGITS and _INTEGER.fullmatch(value):
                raise InputRefused(
                    where(event),
                    f"a number of {len(value)} digits: no field holds a number this long",
                    "quote it if it is text",
                )
            if event.anchor is not None:
                sizes[event.anchor] = 1
            add(1)
        elif kind == "AliasEvent":
            _count_key(stack)
            if event.anchor in open_anchors:
                raise InputRefused(
                    where(event),
                    f"the alias *{event.anchor} is inside its own anchor &{event.anchor}: a cycle",
                    "no YAML value can contain itself",
                )
            add(sizes.get(event.anchor, 1))
            aliases.append((total, event))
            if total > ceiling:
                check_expansion()  # refuses: no file writes enough values to allow this many
        elif kind == "DocumentEndEvent":
            check_expansion()
            sizes.clear()
    check_expansion()


def _count_key(stack: list[list[Any]]) -> bool:
    """Whether this node is a mapping key: in a mapping's events, keys and values alternate."""
    if not stack or not stack[-1][2]:
        return False
    frame = stack[-1]
    is_key: bool = frame[3]
    frame[3] = not is_key
    return is_key


def read_yaml_text(path: Path, limits: InputLimits) -> str:
    """`read_input`, then the structure check on PyYAML's events (for files PyYAML will load).

    A syntax error stops the check where it stops the loader, which then reports it.
    """
    import yaml

    text = read_input(path, limits)
    try:
        check_yaml_events(yaml.parse(text, Loader=yaml.CSafeLoader), limits, str(path))
    except yaml.YAMLError:
        pass
    return text


def load_yaml_payload(text: str, limits: InputLimits, shown: str, loader: Any) -> Any:
    """A YAML document held in a string of another file (a ConfigMap's `flowlogs.yaml`), read
    with the same limits as a file (alias bombs, deep nesting). YAML errors are yaml.YAMLError,
    for the caller to word. `loader`: a PyYAML SafeLoader subclass."""
    import yaml

    data = text.encode("utf-8", errors="surrogatepass")
    limit = limits.byte_limit()
    if len(data) > limit:
        raise InputRefused(
            Location(shown),
            f"larger than {limit} bytes",
            f"no {limits.what} needs more; if this one does, set {limits.size_variable} to a larger number of bytes",
        )
    text = decode_input(data, shown)
    check_yaml_events(yaml.parse(text, Loader=yaml.CSafeLoader), limits, shown)
    return yaml.load(text, Loader=loader)  # noqa: S506 - safe loaders only

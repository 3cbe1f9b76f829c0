"""The agent's reading of times and durations in a flowlogs.yaml entry.

``end`` is a Go ``*time.Time`` decoded by encoding/json (the file goes YAML -> JSON through
sigs.k8s.io/yaml, and go.yaml.in/yaml/v2 keeps a timestamp-looking scalar as the original string),
so ``Time.UnmarshalJSON`` -> ``parseStrictRFC3339`` decides (Go src/time/time.go and
src/time/format_rfc3339.go, read in Go 1.27.3). It tries ``parseRFC3339`` (exactly
``YYYY-MM-DDTHH:MM:SS[.digits](Z|±HH:MM)``) and then ``time.Parse(time.RFC3339, ...)``, whose extra
leniency is kept because the strict re-check is disabled in Go ("TODO(https://go.dev/issue/54580):
Strict parsing is disabled for now"): a one-digit hour, a comma before the fraction, and zone
offsets up to 24:60. Upper-case ``T`` and ``Z`` only; seconds are required; no other text.

``aggregationInterval`` (Cilium 1.19) is parsed by the exporter's ``Duration.UnmarshalJSON`` with
``time.ParseDuration`` (pkg/hubble/exporter/config.go), ported in flowlogs.go_duration.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from ..go_duration import parse_duration
from .agent_problem import AgentProblem

_FAST = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))")
_LENIENT = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|([+-])(\d{2}):(\d{2}))")
_FORM = "YYYY-MM-DDTHH:MM:SS, an optional .fraction, then Z or ±HH:MM (upper-case T and Z)"
# Go's years run from 0, Python's dates from 1: the Gregorian calendar repeats every 400 years (146097 days).
_ERA_DAYS = 146097
_EPOCH = date(1970, 1, 1).toordinal()


def _epoch_seconds(year: int, month: int, day: int, hour: int, minute: int, second: int) -> int:
    era, year_of_era = divmod(year, 400)
    days = date(400 + year_of_era, month, day).toordinal() + (era - 1) * _ERA_DAYS - _EPOCH
    return days * 86400 + hour * 3600 + minute * 60 + second


def _go_parse(text: str) -> tuple[int, str] | None:
    """(seconds since 1970-01-01T00:00:00Z, fraction digits) of a time Go's Time.UnmarshalJSON accepts, else None."""
    for pattern, strict in ((_FAST, True), (_LENIENT, False)):
        m = pattern.fullmatch(text)
        if m is None:
            continue
        year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
        try:  # date() refuses a day the month lacks (year + 400k has the same leap years)
            seconds = _epoch_seconds(year, month, day, hour, minute, second)
        except ValueError:
            continue
        if hour > 23 or minute > 59 or second > 59:
            continue
        offset = 0
        if m.group(8) != "Z":
            zone_hour, zone_minute = int(m.group(10)), int(m.group(11))
            # parseRFC3339: 0-23 / 0-59; time.Parse: "> 24" / "> 60" are the range errors
            if (strict and (zone_hour > 23 or zone_minute > 59)) or zone_hour > 24 or zone_minute > 60:
                continue
            offset = (zone_hour * 60 + zone_minute) * 60 * (-1 if m.group(9) == "-" else 1)
        return seconds - offset, m.group(7) or ""
    return None


def _repair(text: str) -> str:
    """The likeliest intended Go-readable form of a near miss (for the suggested fix)."""
    fixed = text.strip()
    fixed = re.sub(r"^(\d{4}-\d{2}-\d{2})[ tT]", r"\1T", fixed)
    fixed = re.sub(r"[zZ]\Z", "Z", fixed)
    fixed = re.sub(r"([+-]\d{2})(\d{2})\Z", r"\1:\2", fixed)  # +0100 -> +01:00
    fixed = re.sub(r"^(\d{4}-\d{2}-\d{2})\Z", r"\1T00:00:00Z", fixed)  # a date alone
    fixed = re.sub(r"T(\d{2}:\d{2})(?=Z|[+-]\d{2}:\d{2}\Z|\Z)", r"T\1:00", fixed)  # no seconds
    if re.fullmatch(r".*T\d{2}:\d{2}:\d{2}(\.\d+)?", fixed):
        fixed += "Z"
    return fixed


def check_end(text: str) -> AgentProblem | None:
    """None if Cilium's agent reads ``text`` as the ``end`` time of a flow log, else the problem.

    >>> check_end("2030-01-01T00:00:00Z") is None
    True
    >>> check_end("2030-01-01T00:00Z").fix
    'write 2030-01-01T00:00:00Z'
    """
    if _go_parse(text) is not None:
        return None
    repaired = _repair(text)
    fix = (
        f"write {repaired}"
        if _go_parse(repaired) is not None
        else "write it like 2030-01-01T00:00:00Z or 2030-01-01T01:00:00+01:00"
    )
    return AgentProblem(
        f"end '{text}' is not a time Cilium's agent can read (Go RFC 3339: {_FORM}), so it rejects the whole "
        "flowlogs.yaml",
        fix,
    )


def canonical_end(text: str) -> str:
    """The instant of a Go-readable ``end`` in one canonical form: UTC, ``Z``, seconds always,
    the fraction cut to nanoseconds (as Go keeps it) without trailing zeros, i.e. what Go's
    ``t.UTC().Format(time.RFC3339Nano)`` prints.

    >>> canonical_end("2030-01-01T01:30:00+01:00"), canonical_end("2030-01-01T00:00:00,500Z")
    ('2030-01-01T00:30:00Z', '2030-01-01T00:00:00.5Z')
    """
    parsed = _go_parse(text)
    if parsed is None:
        raise ValueError(str(check_end(text)))
    seconds, fraction = parsed
    days, rest = divmod(seconds, 86400)
    era, day_of_era = divmod(days + _EPOCH - 1, _ERA_DAYS)
    moment = datetime.fromordinal(day_of_era + 1) + timedelta(seconds=rest)
    nanos = fraction[:9].ljust(9, "0").rstrip("0")
    return f"{moment.year + era * 400:04d}{moment:-%m-%dT%H:%M:%S}{'.' + nanos if nanos else ''}Z"


def end_passed(text: str, now: datetime) -> bool:
    """Whether the agent has stopped exporting for a flow log with this ``end``: it exports while
    ``End == nil || End.After(time.Now())`` (pkg/hubble/exporter/dynamic_exporter.go, 1.16-1.19),
    so an end equal to now has passed. A time the agent cannot read is not judged here (check_end).

    >>> from datetime import UTC, datetime
    >>> noon = datetime(2025, 1, 1, 12, tzinfo=UTC)
    >>> end_passed("2025-01-01T12:00:00Z", noon), end_passed("2025-01-01T13:00:00+01:00", noon)
    (True, True)
    >>> end_passed("2025-01-01T12:00:00.000000001Z", noon), end_passed("2025-01-01T12:00Z", noon)
    (False, False)
    """
    parsed = _go_parse(text)
    if parsed is None:
        return False
    seconds, fraction = parsed
    t = now.astimezone(UTC)
    now_seconds = _epoch_seconds(t.year, t.month, t.day, t.hour, t.minute, t.second)
    return (seconds, int(fraction[:9].ljust(9, "0"))) <= (now_seconds, t.microsecond * 1000)


def ended_message(name: str, end: str) -> str:
    """The one wording of a passed end, for every command that reports it."""
    return f"flow log {name}: end {end} has passed; Cilium exports nothing for it"


def check_aggregation_interval(text: str) -> AgentProblem | None:
    """None if ``text`` is an aggregationInterval the agent parses and that turns aggregation on."""
    try:
        nanos = parse_duration(text)
    except ValueError as exc:
        return AgentProblem(
            f"aggregationInterval '{text}' is not a Go duration ({exc}), so the agent rejects the whole flowlogs.yaml",
            "write a number with a unit, like 30s, 1m or 1m30s (units: ns, us, ms, s, m, h)",
        )
    if nanos <= 0:
        return AgentProblem(
            f"aggregationInterval '{text}' is not positive, so no flow is aggregated",
            "write a positive duration like 30s, or leave aggregation out",
        )
    return None

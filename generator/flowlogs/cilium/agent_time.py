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
from datetime import UTC, datetime

from ..go_duration import parse_duration
from .agent_problem import AgentProblem

_FAST = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))")
_LENIENT = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|([+-])(\d{2}):(\d{2}))")
_FORM = "YYYY-MM-DDTHH:MM:SS, an optional .fraction, then Z or ±HH:MM (upper-case T and Z)"


def _days_in(month: int, year: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _go_parse(text: str) -> tuple[int, int, int, int, int, int, str, int] | None:
    """(year, month, day, hour, minute, second, fraction digits, zone offset in seconds) of a
    time Go's Time.UnmarshalJSON accepts, else None."""
    for pattern, strict in ((_FAST, True), (_LENIENT, False)):
        m = pattern.fullmatch(text)
        if m is None:
            continue
        year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
        if not (
            1 <= month <= 12 and 1 <= day <= _days_in(month, year) and hour <= 23 and minute <= 59 and second <= 59
        ):
            continue
        offset = 0
        if m.group(8) != "Z":
            zone_hour, zone_minute = int(m.group(10)), int(m.group(11))
            # parseRFC3339: 0-23 / 0-59; time.Parse: "> 24" / "> 60" are the range errors
            if (strict and (zone_hour > 23 or zone_minute > 59)) or zone_hour > 24 or zone_minute > 60:
                continue
            offset = (zone_hour * 60 + zone_minute) * 60 * (-1 if m.group(9) == "-" else 1)
        return year, month, day, hour, minute, second, m.group(7) or "", offset
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
    >>> print(check_end("2030-01-01T00:00Z"))
    end '2030-01-01T00:00Z' is not a time Cilium's agent can read (Go RFC 3339: YYYY-MM-DDTHH:MM:SS, an optional
    .fraction, then Z or ±HH:MM (upper-case T and Z)), so it rejects the whole flowlogs.yaml; write 2030-01-01T00:00:00Z
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


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (year 0 included, as in Go)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    days += 719468
    era = days // 146097
    day_of_era = days - era * 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    mp = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return year_of_era + era * 400 + (month <= 2), month, day


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
    year, month, day, hour, minute, second, fraction, offset = parsed
    total = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
    days, rest = divmod(total, 86400)
    year, month, day = _civil_from_days(days)
    nanos = fraction[:9].ljust(9, "0").rstrip("0")
    frac = f".{nanos}" if nanos else ""
    return f"{year:04d}-{month:02d}-{day:02d}T{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}{frac}Z"


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
    year, month, day, hour, minute, second, fraction, offset = parsed
    end_seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
    end_nanos = int(fraction[:9].ljust(9, "0"))
    instant = now.astimezone(UTC)
    now_seconds = (
        _days_from_civil(instant.year, instant.month, instant.day) * 86400
        + instant.hour * 3600
        + instant.minute * 60
        + instant.second
    )
    return (end_seconds, end_nanos) <= (now_seconds, instant.microsecond * 1000)


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

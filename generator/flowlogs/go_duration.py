"""Go's time.Duration as text: ``time.ParseDuration`` and ``Duration.String``, ported.

Every duration flowlogs reads or compares goes through here: Kubernetes ``metav1.Duration``
(Felix's settings), Cilium's exporter ``aggregationInterval``, kubeconform's ``duration`` format
and preview's ``--duration`` all parse with Go's ``time.ParseDuration``. Ported from Go
src/time/format.go (ParseDuration, leadingInt, leadingFraction, quote) and src/time/time.go
(Duration.String); the tests are Go's own tables (src/time/time_test.go).
"""

from __future__ import annotations

UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
# What flowlogs' schemas accept as a duration: whole numbers of the units people write (a subset of
# what ParseDuration reads, which also takes fractions, signs, ns and us).
DURATION_PATTERN = "^([0-9]+(ms|s|m|h))+$"
_TOP = 1 << 63
_UINT64 = (1 << 64) - 1
MAX_NANOSECONDS = _TOP - 1


def _quote(text: str) -> str:
    """Go's time.quote: ASCII as is (with \\ and " escaped), every other byte as \\xNN."""
    out: list[str] = []
    for char in text:
        if char >= "\x80" or char < " ":
            out.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8", "surrogatepass"))
        else:
            out.append("\\" + char if char in '"\\' else char)
    return '"' + "".join(out) + '"'


def _digits(text: str, start: int) -> int:
    end = start
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    return end


def parse_duration(text: str) -> int:
    """The duration in nanoseconds, or ValueError with Go's message.

    >>> parse_duration("1m30s"), parse_duration("-1.5h")
    (90000000000, -5400000000000)
    >>> parse_duration("30")
    Traceback (most recent call last):
    ValueError: time: missing unit in duration "30"
    """
    invalid = ValueError(f"time: invalid duration {_quote(text)}")
    s = text
    neg = False
    if s and s[0] in "+-":
        neg, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if s == "":
        raise invalid
    total = 0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            raise invalid
        end = _digits(s, 0)
        whole, pre = 0, end > 0
        for char in s[:end]:  # leadingInt
            if whole > _TOP // 10:
                raise invalid
            whole = whole * 10 + ord(char) - 48
            if whole > _TOP:
                raise invalid
        s = s[end:]
        fraction, scale, post = 0, 1.0, False
        if s.startswith("."):
            end = _digits(s, 1)
            overflow = False
            for char in s[1:end]:  # leadingFraction: stops gaining precision instead of failing
                if overflow or fraction > (_TOP - 1) // 10:
                    overflow = True
                    continue
                bigger = fraction * 10 + ord(char) - 48
                if bigger > _TOP:
                    overflow = True
                    continue
                fraction, scale = bigger, scale * 10
            post, s = end > 1, s[end:]
        if not pre and not post:
            raise invalid
        end = 0
        while end < len(s) and not (s[end] == "." or "0" <= s[end] <= "9"):
            end += 1
        if end == 0:
            raise ValueError(f"time: missing unit in duration {_quote(text)}")
        name, s = s[:end], s[end:]
        unit = UNITS.get(name)
        if unit is None:
            raise ValueError(f"time: unknown unit {_quote(name)} in duration {_quote(text)}")
        if whole > _TOP // unit:
            raise invalid
        value = whole * unit
        if fraction > 0:
            value += int(float(fraction) * (float(unit) / scale))  # float64, as Go: exact to the ns for hours
            if value > _TOP:
                raise invalid
        total = (total + value) & _UINT64  # uint64 arithmetic, as Go's
        if total > _TOP:
            raise invalid
    if neg:
        return -total
    if total > MAX_NANOSECONDS:
        raise invalid
    return total


def _frac(value: int, precision: int) -> tuple[str, int]:
    """Go's fmtFrac: ".digits" of value / 10**precision without trailing zeros, and the quotient."""
    digits = ""
    printed = False
    for _ in range(precision):
        digit = value % 10
        printed = printed or digit != 0
        if printed:
            digits = str(digit) + digits
        value //= 10
    return ("." + digits if printed else ""), value


def format_duration(nanoseconds: int) -> str:
    """Go's Duration.String: "1h2m3.5s", "1.5ms", "0s".

    >>> format_duration(90 * 10**9), format_duration(1500), format_duration(0)
    ('1m30s', '1.5µs', '0s')
    """
    u = abs(nanoseconds)
    if u < 10**9:
        if u == 0:
            return "0s"
        unit, precision = ("ns", 0) if u < 1_000 else ("µs", 3) if u < 1_000_000 else ("ms", 6)
        frac, u = _frac(u, precision)
        text = f"{u}{frac}{unit}"
    else:
        frac, u = _frac(u, 9)
        text = f"{u % 60}{frac}s"
        minutes = u // 60
        if minutes > 0:
            text = f"{minutes % 60}m{text}"
            if minutes // 60 > 0:
                text = f"{minutes // 60}h{text}"
    return "-" + text if nanoseconds < 0 else text

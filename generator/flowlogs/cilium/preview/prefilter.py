"""Skip parsing lines no flow log can export, by looking for bytes a match cannot do without.

A preview must parse every line some flow log might export; a line lacking every literal one of
its include filters needs (a verdict name, a namespace in quotes, a port's digits ...) cannot be
exported by that flow log, so when that holds for every flow log the line is only counted.

The literals are necessary conditions only, derived from the same semantics as matchers.py:
- a field contributes literals only for values matched by exact content (enum names, exact
  strings, pod name prefixes, ports, HTTP status code digits, `key=value` label selectors); regular expressions, CIDRs,
  wildcards, negations and zero values contribute none (the filter is then unconstrained);
- enum values, event types and status codes are looked for after their key, as a name in quotes
  or a number, spaces allowed (`"verdict":"DROPPED"`, `"verdict": 2`), with one scan of the
  line for the end of the key shared by its proto and JSON names (`irection":`);
- a value with a character JSON may escape (quote, backslash, slash, <, >, &, non-ASCII)
  contributes none;
- only lines that start as a flow event (`{"flow":`) are ever skipped: other events (lost
  events, which event_type.go always includes, agent and debug events) and bare Flow lines are
  always parsed; event types 0, 2 (debug) and 130 (agent) are unconstrained.

tests/test_preview_prefilter.py checks that previews with and without it agree on every case.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..tables import CiliumTables
from .combine import any_of_all_source, compile_function
from .flows import json_name, proto_facts
from .matchers import MESSAGE_TYPE_AGENT, MESSAGE_TYPE_DEBUG, parse_namespace_name

_UNSAFE = re.compile(r'["\\/<>&]|[^\x20-\x7e]')
_FLOW_LINE = b'{"flow":'  # how exporter and `hubble observe -o jsonpb` lines of flows start
_SIMPLE_LABEL = re.compile(r"^\s*([^\s=!,()]+)\s*==?\s*([^\s,()]+)\s*\Z")
_L4_KEYS = {"tcp": ("TCP",), "udp": ("UDP",), "sctp": ("SCTP",), "icmp": ("ICMPv4", "ICMPv6"), "icmpv4": ("ICMPv4",), "icmpv6": ("ICMPv6",), "dns": ("dns",), "http": ("http",), "kafka": ("kafka",)}
_NEVER = rb"(?!)"  # a regular expression that matches nothing


Search = Callable[[bytes], "re.Match[bytes] | None"]


@dataclass(frozen=True)
class Literals:
    """The line contains one of these byte strings."""

    literals: tuple[bytes, ...]
    # the check as one regular expression: one call, searched in C
    pattern: bytes = field(init=False, repr=False, compare=False)
    search: Search = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _set_pattern(self, b"|".join(re.escape(literal) for literal in self.literals) or _NEVER)

    @property
    def scans(self) -> int:
        return len(self.literals)

    def __call__(self, line: bytes) -> bool:
        return self.search(line) is not None


@dataclass(frozen=True)
class KeyValue:
    """Some occurrence of `key` (the end of a field name and its colon) is followed by one of
    these string values (in quotes) or numbers, or a number starting with one of `prefixes`:
    one scan for a field written as an enum name or number, with or without spaces."""

    key: bytes
    strings: frozenset[bytes] = frozenset()
    numbers: frozenset[bytes] = frozenset()
    prefixes: tuple[bytes, ...] = ()
    pattern: bytes = field(init=False, repr=False, compare=False)
    search: Search = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The key, spaces or tabs, then a string in quotes (no quote or backslash inside: JSON
        # would escape it), a whole number (no further digit), or a number's first digits.
        values = [b'"' + re.escape(text) + b'"' for text in sorted(self.strings) if not re.search(rb'["\\]', text)]
        values += [re.escape(number) + rb"(?![0-9])" for number in sorted(self.numbers)]
        values += [re.escape(prefix) for prefix in self.prefixes]
        _set_pattern(self, re.escape(self.key) + rb"[ \t]*(?:" + b"|".join(values) + b")" if values else _NEVER)

    @property
    def scans(self) -> int:
        return 1

    def __call__(self, line: bytes) -> bool:
        return self.search(line) is not None


Need = Literals | KeyValue  # the line must satisfy this


def _set_pattern(need: Need, pattern: bytes) -> None:
    object.__setattr__(need, "pattern", pattern)  # frozen: set once, as it is made
    object.__setattr__(need, "search", re.compile(pattern).search)
FilterNeeds = tuple[Need, ...]  # ... every one of these, for the filter to possibly match


def _safe(text: str) -> bool:
    return bool(text) and not _UNSAFE.search(text)


def _quoted(values: Sequence[str]) -> Literals | None:
    if not values or not all(_safe(v) for v in values):
        return None
    return Literals(tuple(f'"{v}"'.encode() for v in values))


def _key(field: str) -> bytes:
    """The end of a field's name and its colon, shared by its proto and JSON spellings
    (`irection":` for "traffic_direction" and "trafficDirection")."""
    proto, json = f'"{field}":', f'"{json_name(field)}":'
    return os.path.commonprefix([proto[::-1], json[::-1]])[::-1].encode()


def _enum(field: str, enum: str, values: Sequence[Any], zero: str) -> Need | None:
    facts = proto_facts()
    names = [facts.enum_name(enum, v) for v in values]
    if zero in names or any(n not in facts.enums[enum] for n in names) or not all(_safe(n) for n in names):
        return None  # the zero value is written as an absent field: nothing to look for
    return KeyValue(_key(field), frozenset(n.encode() for n in names), frozenset(str(facts.enums[enum][n]).encode() for n in names))


def _drop_reasons(values: Sequence[Any], tables: CiliumTables) -> Need | None:
    names, numbers = [], []
    for value in values:
        reason = tables.drop_reasons_by_code.get(value) if isinstance(value, int) else tables.drop_reasons_by_enum.get(str(value))
        if reason is None:
            return None
        names.append(reason.enum.encode())
        numbers.append(str(reason.code).encode())
    return KeyValue(_key("drop_reason_desc"), frozenset(names), frozenset(numbers)) if names else None


def _event_types(values: Sequence[Any]) -> Need | None:
    numbers = []
    for value in values:
        if not isinstance(value, dict):
            return None
        number = int(value.get("type") or 0)
        if number in (0, MESSAGE_TYPE_DEBUG, MESSAGE_TYPE_AGENT):
            return None
        numbers.append(str(number).encode())
    # lost events: never prefiltered (LineTest parses every non-flow line)
    return KeyValue(_key("type"), numbers=frozenset(numbers)) if numbers else None


def _names(values: Sequence[Any]) -> Need | None:
    literals = []
    for value in values:
        namespace, prefix = parse_namespace_name(str(value))
        text = prefix or namespace
        if not _safe(text):
            return None
        literals.append(text.encode() if prefix else f'"{namespace}"'.encode())
    return Literals(tuple(literals)) if literals else None


def _ports(values: Sequence[Any]) -> Need | None:
    texts = [str(v) for v in values]
    if not texts or not all(t.isdigit() for t in texts):
        return None
    return Literals(tuple(str(int(t)).encode() for t in texts))


def _ips(values: Sequence[Any]) -> Need | None:
    texts = [str(v) for v in values]
    if any("/" in t for t in texts):
        return None  # a CIDR matches addresses the filter does not spell
    return _quoted(texts)


def _status_codes(values: Sequence[Any]) -> Need | None:
    full: list[bytes] = []
    prefixes: list[bytes] = []
    for value in values:
        text = str(value)
        digits = text.removesuffix("+")
        if not digits.isdigit():
            return None
        (prefixes if text.endswith("+") else full).append(digits.encode())
    return KeyValue(_key("code"), numbers=frozenset(full), prefixes=tuple(prefixes)) if full or prefixes else None


def _labels(values: Sequence[Any]) -> Need | None:
    literals = []
    for selector in values:
        match = _SIMPLE_LABEL.match(str(selector))
        if match is None:
            return None
        key, value = match.group(1), match.group(2)
        bare = key.split(":", 1)[1] if ":" in key else key
        text = f"{bare}={value}"
        if not _safe(text):
            return None
        literals.append(text.encode())
    return Literals(tuple(literals)) if literals else None


def _protocols(values: Sequence[Any]) -> Need | None:
    literals: list[bytes] = []
    for value in values:
        keys = _L4_KEYS.get(str(value).lower())
        if keys is None:
            return None
        literals += [f'"{k}"'.encode() for k in keys]
    return Literals(tuple(literals)) if literals else None


_FIELD_NEEDS: dict[str, Callable[[Sequence[Any], CiliumTables], Need | None]] = {
    "verdict": lambda v, t: _enum("verdict", "Verdict", v, "VERDICT_UNKNOWN"),
    "traffic_direction": lambda v, t: _enum("traffic_direction", "TrafficDirection", v, "TRAFFIC_DIRECTION_UNKNOWN"),
    "ip_version": lambda v, t: _enum("ipVersion", "IPVersion", v, "IP_NOT_USED"),
    "drop_reason_desc": _drop_reasons,
    "event_type": lambda v, t: _event_types(v),
    "protocol": lambda v, t: _protocols(v),
    "uuid": lambda v, t: _quoted([str(x) for x in v]),
    "source_cluster_name": lambda v, t: _quoted([str(x) for x in v]),
    "destination_cluster_name": lambda v, t: _quoted([str(x) for x in v]),
    "source_pod": lambda v, t: _names(v),
    "destination_pod": lambda v, t: _names(v),
    "source_service": lambda v, t: _names(v),
    "destination_service": lambda v, t: _names(v),
    "source_port": lambda v, t: _ports(v),
    "destination_port": lambda v, t: _ports(v),
    "source_ip": lambda v, t: _ips(v),
    "destination_ip": lambda v, t: _ips(v),
    "source_ip_xlated": lambda v, t: _ips(v),
    "source_label": lambda v, t: _labels(v),
    "http_status_code": lambda v, t: _status_codes(v),
    "destination_label": lambda v, t: _labels(v),
}


def filter_needs(flow_filter: dict[str, Any], tables: CiliumTables) -> FilterNeeds:
    """What one FlowFilter needs in a line (empty: nothing known, the line must be parsed)."""
    by_json = {f.json_name: name for name, f in tables.filter_fields.items()}
    needs = []
    for key, value in flow_filter.items():
        name = key if key in tables.filter_fields else by_json.get(key, key)
        derive = _FIELD_NEEDS.get(name)
        values = value if isinstance(value, list) else [value]
        if derive is None or not values:
            continue
        literals = derive(values, tables)
        if literals:
            needs.append(literals)
    return tuple(needs)


CALIBRATION_LINES = 512


class LineTest:
    """`line -> may this flow log export it`: for some include filter, every checked field has
    one of its literals in the line. Which fields are checked is a matter of speed only (each is
    a necessary condition): after `calibrate` on the first lines of a file, per filter the
    fields that rule out the most lines for the fewest scans."""

    def __init__(self, per_filter: list[FilterNeeds]) -> None:
        self.per_filter = per_filter
        self.plan: list[tuple[Need, ...]] = [(min(needs, key=lambda need: need.scans),) for needs in per_filter]

    def calibrate(self, sample: Sequence[bytes], parse_seconds: float, scan_cost: float | None = None) -> None:
        """Choose the fields to check. `parse_seconds` is what parsing and deciding one line
        took; scanning a line for a field's literals is timed on the sample (or costs
        `scan_cost` per literal relative to parsing, for tests)."""
        sample = [line for line in sample if line.startswith(_FLOW_LINE)]
        if not sample:
            return
        plan = []
        for needs in self.per_filter:
            passes: dict[Need, list[bool]] = {}
            costs: dict[Need, float] = {}
            for need in needs:
                started = time.process_time()
                passes[need] = [need(line) for line in sample]
                took = (time.process_time() - started) / len(sample)
                costs[need] = scan_cost * need.scans if scan_cost is not None else took / max(parse_seconds, 1e-9)
            plan.append(tuple(_choose(needs, passes, costs, len(sample))))
        self.plan = plan

    def __call__(self, line: bytes) -> bool:
        if not line.startswith(_FLOW_LINE):
            return True
        for needs in self.plan:
            for need in needs:
                if not need(line):
                    break  # this field cannot match: neither can the filter
            else:
                return True  # every checked field may match (or none is checked)
        return False


def any_may_match(tests: Sequence[LineTest]) -> Callable[[bytes], Any]:
    """`line -> whether some of these flow logs may export it` (truthy) as one function over the
    calibrated plans: what a preview asks of every line once calibrated."""
    plans = [needs for test in tests for needs in test.plan]
    names: dict[str, Any] = {"FLOW_LINE": _FLOW_LINE}
    expression = any_of_all_source([[need.search for need in needs] for needs in plans], names, "line")
    if all(plans):
        # Most lines fail the first check of every plan: those are ruled out by one scan for
        # all of them (one regular expression of alternatives costs less than a scan each).
        names["first_checks"] = re.compile(b"|".join(b"(?:" + needs[0].pattern + b")" for needs in plans)).search
        expression = f"first_checks(line) and ({expression})"
    return compile_function(f"not line.startswith(FLOW_LINE) or {expression}", names, "line")


def _choose(needs: FilterNeeds, passes: dict[Need, list[bool]], costs: dict[Need, float], size: int) -> list[Need]:
    """Greedily, the fields whose checks cost less than the parsing they save (costs relative to
    parsing one line); none when no check pays."""
    chosen: list[Need] = []
    reaching = [True] * size  # lines that pass the fields chosen so far
    spent = 0.0
    best = 1.0  # no check at all: every line parsed
    while True:
        candidates = []
        for need in needs:
            if need in chosen:
                continue
            still = [r and p for r, p in zip(reaching, passes[need], strict=True)]
            cost = spent + costs[need] * sum(reaching) / size + sum(still) / size
            candidates.append((cost, need, still))
        if not candidates:
            return chosen
        cost, need, still = min(candidates, key=lambda c: c[0])
        if cost >= best:
            return chosen  # another check would cost more than it saves
        chosen.append(need)
        spent += costs[need] * sum(reaching) / size
        reaching, best = still, cost


def line_test(include_filters: Sequence[dict[str, Any]], tables: CiliumTables) -> LineTest | None:
    """The prefilter of a flow log, or None when every line may match."""
    if not include_filters:
        return None
    per_filter = [filter_needs(f, tables) for f in include_filters]
    if any(not needs for needs in per_filter):
        return None
    return LineTest(per_filter)

"""The kinds of value a Felix L7 setting takes, each with its schema, compile, decompile and explain.

A Felix knob (`flush-interval`, `url`) is a row of `words.py` pointing at one of these
objects; the upstream facts (field name, default, allowed values) come from the version's
FelixConfiguration table (`FelixField`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..go_duration import DURATION_PATTERN, parse_duration
from ..kinds import INVALID, ValueKind
from .defaults import POLICY_SYNC_PATH_PREFIX
from .tables import FelixField

if TYPE_CHECKING:
    from ..errors import Diagnostics
    from ..profile import Node
    from .words import FelixKnob

# Felix's count fields are `type: integer` without a format in the FelixConfiguration CRD
# (../shared/crds/crd.projectcalico.org_felixconfigurations_enterprise.yaml: l7LogsFileMaxFiles,
# l7LogsFileMaxFileSizeMB, l7LogsFilePerNodeLimit, l7LogsFileAggregationNumURLPath,
# l7LogsFileAggregationURLCharLimit): the API server holds such integers as int64.
INT64_MAX = 2**63 - 1

_SHORTER = "Felix reads it with Go's time.ParseDuration (int64 nanoseconds); use a shorter interval such as 5m"

SWITCH = {"oneOf": [{"type": "boolean"}, {"enum": ["on", "off"], "title": "on/off switch"}]}
DURATION = {
    "type": ["string", "integer"],
    "title": "duration",
    "pattern": DURATION_PATTERN,
    "x-pattern-hint": "a number with a unit: 5s, 300s, 5m, 1h (ms, s, m, h)",
}


def switch(node: Node, default: bool) -> bool:
    """on/off/true/false (the schema allows nothing else)."""
    value = node.value
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value) == "on"


def duration_ms(node: Node, word: str, too_long_hint: str, diagnostics: Diagnostics) -> int | None:
    """`5m`, `300s`, `1m30s`, `500ms` -> milliseconds; None when it is not such a duration (reported).

    Felix's durations are metav1.Duration, read by Go's time.ParseDuration: int64 nanoseconds, so
    a longer one is an error.
    """
    value = node.value
    if isinstance(value, int):
        diagnostics.error(node.location, f"{word} {value} has no unit", f"write {value}s")
        return None
    if not re.fullmatch(DURATION_PATTERN, str(value)):
        return None  # the schema's pattern already reported it
    try:
        return parse_duration(str(value)) // 1_000_000
    except ValueError:
        diagnostics.error(
            node.location, f"{word} '{value}' is longer than a Go duration holds (2562047h47m16s)", too_long_hint
        )
        return None


@dataclass(frozen=True)
class KnobContext:
    """What compiling one Felix setting needs: the knob and the version's field facts."""

    knob: FelixKnob
    field: FelixField
    collector_directory: str = ""  # where the log collector reads L7 log files (CalicoTables.collector_l7_directory)


class KnobKind(ValueKind[KnobContext]):
    """A Felix setting's value; `compile` gives the FelixConfiguration field value or INVALID."""

    def decompile(self, upstream: Any, context: KnobContext) -> Any:
        return upstream

    def explain(self, value: Any) -> str:
        return str(value)


class PolicySync(KnobKind):
    """Only `on`: the L7 collector needs Felix's Policy Sync API at /var/run/nodeagent."""

    def schema(self) -> dict[str, Any]:
        return dict(SWITCH)

    def compile(self, node: Node, context: KnobContext, diagnostics: Diagnostics) -> Any:
        if not switch(node, True):
            diagnostics.error(
                node.location,
                "policy-sync-api cannot be turned off: the L7 log collector reads Felix's Policy Sync API",
                f"leave the key out to let the Tigera operator set policySyncPathPrefix ({POLICY_SYNC_PATH_PREFIX}) "
                "itself",
            )
            return INVALID
        return POLICY_SYNC_PATH_PREFIX

    def decompile(self, upstream: Any, context: KnobContext) -> Any:
        return "on" if upstream == POLICY_SYNC_PATH_PREFIX else upstream

    def explain(self, value: Any) -> str:
        return f"Felix serves the Policy Sync API at {POLICY_SYNC_PATH_PREFIX}"


class Switch(KnobKind):
    def schema(self) -> dict[str, Any]:
        return dict(SWITCH)

    def compile(self, node: Node, context: KnobContext, diagnostics: Diagnostics) -> Any:
        enabled = switch(node, bool(context.field.default))
        if context.knob.field == "l7LogsFileEnabled" and not enabled:
            diagnostics.warning(
                node.location,
                "with log-to-file off Felix writes no L7 log files, and the log collector ships L7 logs to "
                "Elasticsearch from those files",
                "no L7 logs reach the Manager UI or Kibana; remove 'log-to-file: off' unless that is what you want",
            )
        return enabled

    def decompile(self, upstream: Any, context: KnobContext) -> Any:
        return "on" if upstream else "off"

    def explain(self, value: Any) -> str:
        return "on" if value in (True, "on") else "off"


class Duration(KnobKind):
    """A Go duration such as 60s or 5m (Felix's metav1.Duration fields)."""

    def schema(self) -> dict[str, Any]:
        return dict(DURATION)

    def compile(self, node: Node, context: KnobContext, diagnostics: Diagnostics) -> Any:
        milliseconds = duration_ms(node, context.knob.word, _SHORTER, diagnostics)
        if milliseconds is None:
            return INVALID
        if milliseconds == 0:
            diagnostics.error(
                node.location,
                f"{context.knob.word} '{node.value}' is zero",
                "Felix needs a positive interval, e.g. 60s",
            )
            return INVALID
        return str(node.value)

    def explain(self, value: Any) -> str:
        return f"every {value}"


class Directory(KnobKind):
    def schema(self) -> dict[str, Any]:
        return {
            "type": "string",
            "title": "directory",
            "pattern": "^/",
            "x-pattern-hint": "an absolute path such as /var/log/calico/l7logs",
        }

    def compile(self, node: Node, context: KnobContext, diagnostics: Diagnostics) -> Any:
        text = str(node.value).rstrip("/") or "/"
        if context.collector_directory and text != context.collector_directory:
            diagnostics.warning(
                node.location,
                f"file-directory '{node.value}' is not {context.collector_directory}, the only directory the log "
                "collector (fluentd) reads L7 logs from",
                "L7 logs written elsewhere are not shipped to Elasticsearch; remove 'file-directory' (Felix's default "
                f"is {context.field.default})",
            )
        return text

    def explain(self, value: Any) -> str:
        return f"in {value}"


class Count(KnobKind):
    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": 1, "maximum": INT64_MAX}

    def compile(self, node: Node, context: KnobContext, diagnostics: Diagnostics) -> Any:
        return int(node.value)


class CountOrUnlimited(KnobKind):
    """A positive count, or `unlimited` (0 upstream)."""

    def schema(self) -> dict[str, Any]:
        return {
            "oneOf": [
                {"type": "integer", "minimum": 0, "maximum": INT64_MAX},
                {"enum": ["unlimited"], "title": "limit"},
            ]
        }

    def compile(self, node: Node, context: KnobContext, diagnostics: Diagnostics) -> Any:
        if node.value == "unlimited":
            return 0
        if node.value == 0:
            diagnostics.error(
                node.location,
                f"{context.knob.word} 0 means no limit to Felix",
                "write 'unlimited' if that is what you want, or a positive number",
            )
            return INVALID
        return int(node.value)

    def decompile(self, upstream: Any, context: KnobContext) -> Any:
        return "unlimited" if upstream == 0 else upstream

    def explain(self, value: Any) -> str:
        return "no limit" if value == "unlimited" else f"at most {value}"


class PathParts(KnobKind):
    """How many URL path parts to keep, or `all` (negative upstream)."""

    def schema(self) -> dict[str, Any]:
        return {
            "oneOf": [{"type": "integer", "maximum": INT64_MAX}, {"enum": ["all"], "title": "number of path parts"}]
        }

    def compile(self, node: Node, context: KnobContext, diagnostics: Diagnostics) -> Any:
        if node.value == "all":
            return -1
        if int(node.value) < 0:
            diagnostics.error(
                node.location, f"{context.knob.word} {node.value} is negative", "write 'all' to keep every path part"
            )
            return INVALID
        return int(node.value)

    def decompile(self, upstream: Any, context: KnobContext) -> Any:
        return "all" if int(upstream) < 0 else upstream

    def explain(self, value: Any) -> str:
        return "every path part" if value == "all" else f"the first {value} path parts"


class Choice(KnobKind):
    """One word of the knob's choices (`include`), compiled to Felix's enum value."""

    def __init__(self, word: str, choices: Mapping[str, str]) -> None:
        self.word, self.choices = word, choices

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.choices), "title": f"{self.word} choice"}

    def compile(self, node: Node, context: KnobContext, diagnostics: Diagnostics) -> Any:
        return self.choices[str(node.value)]  # each an allowed value (tests/test_calico_tables.py)

    def decompile(self, upstream: Any, context: KnobContext) -> Any:
        words = {value: word for word, value in self.choices.items()}
        return words.get(str(upstream), upstream)

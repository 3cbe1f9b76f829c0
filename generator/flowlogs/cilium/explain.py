"""`flowlogs explain` for the `cilium:` section: each flow log in one sentence, the `hubble observe`
command that shows the same flows live, and the exact compiled entry.

The sentence and the command are both made from the compiled FlowFilters (what the agent reads),
never from the profile's words, so neither can say something the compiled entry does not: the
sentence describes each field with its word's kind, the command is `hubble_cli.hubble_observe`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..go_duration import parse_duration
from ..yamlio import dump_yaml
from .compile import CiliumCompiled
from .defaults import DEFAULT_CONFIGMAP_NAME, DEFAULT_FILE_PATH, DEFAULT_NAMESPACE
from .filters import FIELD_WORDS
from .hubble_cli import hubble_observe
from .paths import STDOUT_TARGETS
from .tables import CiliumTables, load_tables

if TYPE_CHECKING:
    from ..profile import Node


def filter_phrase(flow_filter: dict[str, Any], tables: CiliumTables) -> str:
    """One FlowFilter (an AND of its fields) in English, fields in flow.proto order."""
    order = list(tables.filter_fields)
    parts = []
    for field in sorted(flow_filter, key=lambda name: order.index(name) if name in order else len(order)):
        word = FIELD_WORDS[field]
        parts.append(f"{word.word.replace('-', ' ')} is {word.kind.explain(flow_filter[field], tables)}")
    return " and ".join(parts) or "any flow"


def filters_phrase(filters: list[dict[str, Any]], tables: CiliumTables) -> str:
    """A list of FlowFilters (an OR): `flows where A` or `flows where (A) or where (B)`."""
    phrases = [filter_phrase(f, tables) for f in filters]
    return "flows where " + " or where ".join(f"({p})" if len(phrases) > 1 else p for p in phrases)


def _record_phrase(entry: dict[str, Any]) -> str:
    """What each record holds. Cilium 1.19 aggregator.go (cilium/cilium pkg/hubble/exporter, the
    94b67c8507c1 copy the 1.19 tables cite): with fieldAggregate and a positive aggregationInterval,
    flows whose fieldAggregate fields are equal become one record per interval holding only those
    fields, the time of the group's first flow and the counts per direction (flow.aggregate)."""
    aggregate, interval = entry.get("fieldAggregate"), entry.get("aggregationInterval")
    try:
        aggregating = bool(aggregate) and interval is not None and parse_duration(str(interval)) > 0
    except ValueError:
        aggregating = False
    if aggregating:
        assert aggregate is not None
        text = (
            f"one record every {interval} per group of flows with equal {', '.join(aggregate)}, holding only those "
            "fields, the time of the group's first flow and its flow counts per direction (aggregate)"
        )
        return text + (" (fieldMask does not apply to these records)" if entry.get("fieldMask") else "")
    fields = "with the fields " + ", ".join(entry["fieldMask"]) if entry.get("fieldMask") else "with all fields"
    if aggregate:
        fields += f" (no aggregation: aggregationInterval is {interval or 'unset'})"
    return fields


def explain_flow_log(entry: dict[str, Any], tables: CiliumTables, from_profile_file: bool) -> str:
    """One flow log: a sentence, the hubble command, the compiled entry."""
    includes, excludes = entry["includeFilters"], entry["excludeFilters"]
    what = filters_phrase(includes, tables) if includes else "every flow"
    if excludes:
        what += ", except " + filters_phrase(excludes, tables)
    target = entry["filePath"]
    where = "the agent's standard output (its container log)" if target in STDOUT_TARGETS else target
    if target == DEFAULT_FILE_PATH and not from_profile_file:
        where += " (the default)"
    lines = [
        f"{entry['name']}: exports {what}, to {where}, {_record_phrase(entry)}"
        + (f", until {entry['end']}" if "end" in entry else "")
        + "."
    ]
    command = hubble_observe(includes, excludes, tables)
    lines.append(f"  Try it live first (hubble {tables.version}):")
    lines.append(f"    {command.line}")
    if command.as_json:
        lines.append(f"    (filters as JSON: {'; '.join(command.as_json)})")
    lines.append("  Compiled (flowlogs.yaml):")
    lines.extend(f"    {line}" for line in dump_yaml([entry]).splitlines())
    return "\n".join(lines)


def explain_cilium(section: Node, part: CiliumCompiled) -> str:
    entries = part.values["flowLogs"]
    config_map = part.values.get("configMap", {"name": DEFAULT_CONFIGMAP_NAME, "namespace": DEFAULT_NAMESPACE})
    head = (
        f"Cilium {part.version} Hubble exporter (dynamic mode): {len(entries)} flow log(s) in ConfigMap "
        f"{config_map['namespace']}/{config_map['name']} (flowlogs.yaml), re-read by every agent without a restart."
    )
    tables = load_tables(part.version)
    blocks = [
        explain_flow_log(entry, tables, "file" in node)
        for node, entry in zip(section.get("flow-logs").elements(), entries, strict=True)
    ]
    return "\n\n".join([head, *blocks])

"""Decide per event what a flow log exports, exactly as the agent's filters.Apply, and mask it.

cilium/hubble v1.18.6 vendor/github.com/cilium/cilium/pkg/hubble/filters/filters.go:
Apply(include, exclude, ev) = include.MatchOne(ev) && exclude.MatchNone(ev); MatchOne is true for an
empty list; a FlowFilter is the AND (MatchAll) of the predicates of its set fields. A FlowFilter
with no field set matches everything.

Field mask (pkg/hubble/parser/fieldmask/fieldmask.go, 1.16-1.18): paths are Flow proto names; a
leaf path copies the field when the flow has it; a path with sub-fields always creates its parent
messages (FieldMask.Alloc), so they are written as `{}` when the flow lacks them. An empty mask
writes the whole flow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..tables import CiliumTables
from .config import FlowLogConfig
from .flows import FlowEvent, json_name
from .prefilter import LineTest, line_test
from .matchers import FIELD_MATCHERS, FilterValueError, FlowFilterDecodeError, MatchContext, Predicate


class FlowLogNotApplied(ValueError):
    """The agent would not build this flow log ("Failed to apply flowlog")."""


def _all(predicates: Sequence[Predicate]) -> Predicate:
    if not predicates:
        return lambda ev: True
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda ev: first(ev) and second(ev)
    items = tuple(predicates)

    def match_all(ev: FlowEvent) -> bool:
        for predicate in items:
            if not predicate(ev):
                return False
        return True

    return match_all


def _any(predicates: Sequence[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda ev: first(ev) or second(ev)
    items = tuple(predicates)

    def match_one(ev: FlowEvent) -> bool:
        for predicate in items:
            if predicate(ev):
                return True
        return False

    return match_one


def compile_flow_filter(flow_filter: dict[str, Any], tables: CiliumTables, where: str) -> tuple[Predicate, list[str]]:
    """One FlowFilter -> (predicate, fields that cannot be previewed). Keys are proto or JSON names
    (protojson accepts both); an unknown key is an error, as protojson is strict."""
    by_json = {f.json_name: name for name, f in tables.filter_fields.items()}
    fields: dict[str, Any] = {}
    for key, value in flow_filter.items():
        name = key if key in tables.filter_fields else by_json.get(key)
        if name is None:
            raise FlowFilterDecodeError(f"{where}: unknown FlowFilter field {key!r} in Cilium {tables.version} (the agent rejects the whole file)")
        fields[name] = value
    event_types = fields.get("event_type") or []
    context = MatchContext(tables.version, tables, event_types if isinstance(event_types, list) else [])
    predicates: list[tuple[int, Predicate]] = []
    unpreviewable: list[str] = []
    for name, value in fields.items():
        if name == "experimental":
            exprs = (value or {}).get("cel_expression", (value or {}).get("celExpression")) if isinstance(value, dict) else None
            if exprs:
                unpreviewable.append(f"{name}.cel_expression")
            continue
        values = value if isinstance(value, list) else [value]
        if not values:
            continue  # protojson leaves an empty list unset: the field does not filter
        matcher = FIELD_MATCHERS.get(name)
        if matcher is None or not matcher.previewable:
            unpreviewable.append(name)
            continue
        try:
            predicates.append((_CHECK_ORDER.get(name, 3), matcher.build(values, context)))
        except FlowFilterDecodeError as error:
            raise FlowFilterDecodeError(f"{where}: {name}: {error}") from error
        except FilterValueError as error:
            raise FlowLogNotApplied(f"{where}: {name}: {error}") from error
    # The fields of a filter are AND-ed and have no side effects: checking the cheap, usually
    # selective ones first only decides sooner.
    predicates.sort(key=lambda item: item[0])
    return _all([predicate for _, predicate in predicates]), unpreviewable


# Which fields a filter checks first (lower first; others 3): enum and exact-value fields before
# name prefixes, label selectors and regular expressions.
_CHECK_ORDER = {
    "uuid": 0, "verdict": 0, "drop_reason_desc": 0, "event_type": 1, "traffic_direction": 1, "http_status_code": 1,
    "reply": 1, "ip_version": 1, "protocol": 2, "source_port": 2, "destination_port": 2, "source_identity": 2,
    "destination_identity": 2, "http_method": 2, "tcp_flags": 2, "interface": 2, "trace_id": 2,
    "source_label": 4, "destination_label": 4, "node_labels": 4, "source_fqdn": 4, "destination_fqdn": 4,
    "node_name": 4, "dns_query": 5, "http_path": 5, "http_url": 5,
}


MaskTree = dict[str, "MaskTree | None"]


def compile_field_mask(paths: Sequence[str], tables: CiliumTables, where: str) -> MaskTree | None:
    tree: MaskTree = {}
    for path in paths:
        if path not in tables.fieldmask_paths:
            raise FlowLogNotApplied(f"{where}: fieldMask path {path!r} is not a field of Flow in Cilium {tables.version} (invalid fieldmask)")
        node = tree
        parts = path.split(".")
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if last:
                node[part] = None  # whole field (fm.Normalize: a parent path wins over children)
            else:
                child = node.get(part, {})
                if child is None:
                    break  # the parent is already copied whole
                node[part] = child
                node = child
    return tree or None


Mask = Callable[[dict[str, Any]], dict[str, Any]]


def mask_function(tree: MaskTree) -> Mask:
    """The mask as a function over a message (proto names), keys kept in the message's order."""
    leaves = frozenset(key for key, sub in tree.items() if sub is None)
    nested = {key: mask_function(sub) for key, sub in tree.items() if sub is not None}
    if not nested:
        return lambda message: {key: value for key, value in message.items() if key in leaves}

    def mask(message: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in message.items():
            if key in leaves:
                out[key] = value
            else:
                sub = nested.get(key)
                if sub is not None:
                    out[key] = sub(value if isinstance(value, dict) else {})
        for key, sub in nested.items():
            if key not in out:
                out[key] = sub({})  # Alloc: parents of masked sub-fields always exist
        return out

    return mask


def apply_mask(message: dict[str, Any], tree: MaskTree) -> dict[str, Any]:
    return mask_function(tree)(message)


@dataclass
class CompiledFlowLog:
    config: FlowLogConfig
    include: Predicate
    exclude: Predicate | None
    mask: MaskTree | None
    has_include: bool
    unpreviewable: list[str] = field(default_factory=list)
    error: str = ""
    may_match: LineTest | None = None  # prefilter.line_test: None = parse every line

    decide: Predicate = field(default=lambda ev: False)  # filters.Apply(include, exclude, ev)
    apply: Mask | None = None  # the field mask as a function

    def __post_init__(self) -> None:
        self.apply = None if self.mask is None else mask_function(self.mask)
        include, exclude = self.include, self.exclude
        if self.error:
            self.decide = lambda ev: False
        elif not self.has_include:
            self.decide = (lambda ev: True) if exclude is None else (lambda ev: not exclude(ev))
        else:
            self.decide = include if exclude is None else (lambda ev: include(ev) and not exclude(ev))

    def written(self, ev: FlowEvent) -> dict[str, Any]:
        """The ExportEvent the agent writes (protojson, proto names) for an exported event."""
        kind_body = ev.flow if ev.kind == "flow" else ev.payload
        if ev.kind == "flow" and self.apply is not None:
            kind_body = self.apply(ev.flow)
        out: dict[str, Any] = {ev.kind: kind_body}
        if ev.node_name:
            out["node_name"] = ev.node_name
        if ev.time:
            out["time"] = ev.time
        return out

    def written_line(self, ev: FlowEvent) -> bytes:
        return orjson.dumps(self.written(ev))


def compile_flow_log(config: FlowLogConfig, tables: CiliumTables) -> CompiledFlowLog:
    """Build a flow log as the agent does; a flow log the agent would refuse carries `error`."""
    where = config.where or config.name
    try:
        include, include_notes = _compile_list(config.include_filters, tables, f"{where}.includeFilters")
        exclude, exclude_notes = _compile_list(config.exclude_filters, tables, f"{where}.excludeFilters")
        mask = compile_field_mask(config.field_mask, tables, f"{where}.fieldMask")
    except FlowLogNotApplied as error:
        return CompiledFlowLog(config, lambda ev: False, None, None, True, error=str(error))
    return CompiledFlowLog(
        config=config,
        include=_any(include) if include else (lambda ev: True),
        exclude=_any(exclude) if exclude else None,
        mask=mask,
        has_include=bool(include),
        unpreviewable=include_notes + exclude_notes,
        # With a not previewable field the filter is previewed without it: no shortcut then.
        may_match=None if include_notes else line_test(config.include_filters, tables),
    )


def _compile_list(filters: Sequence[dict[str, Any]], tables: CiliumTables, where: str) -> tuple[list[Predicate], list[str]]:
    predicates: list[Predicate] = []
    notes: list[str] = []
    for index, flow_filter in enumerate(filters):
        predicate, unpreviewable = compile_flow_filter(flow_filter, tables, f"{where}[{index}]")
        predicates.append(predicate)
        notes.extend(f"{where}[{index}].{name}" for name in unpreviewable)
    return predicates, notes


__all__ = ["CompiledFlowLog", "FlowLogNotApplied", "apply_mask", "compile_field_mask", "compile_flow_filter", "compile_flow_log", "json_name"]

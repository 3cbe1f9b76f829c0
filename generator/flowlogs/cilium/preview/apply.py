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
from .combine import PRELUDE, any_of_all_source, compile_statements
from .config import FlowLogConfig
from .flows import FlowEvent
from .matchers import FIELD_MATCHERS, FilterValueError, FlowFilterDecodeError, MatchContext, Predicate


class FlowLogNotApplied(ValueError):
    """The agent would not build this flow log ("Failed to apply flowlog")."""


def field_predicates(
    flow_filter: dict[str, Any], tables: CiliumTables, where: str
) -> tuple[list[Predicate], list[str]]:
    """One FlowFilter -> (the predicates of its fields, all of which must hold, in the order
    they are best checked; fields that cannot be previewed)."""
    by_json = {f.json_name: name for name, f in tables.filter_fields.items()}
    fields: dict[str, Any] = {}
    for key, value in flow_filter.items():
        name = key if key in tables.filter_fields else by_json.get(key)
        if name is None:
            raise FlowFilterDecodeError(
                f"{where}: unknown FlowFilter field {key!r} in Cilium {tables.version} (the agent rejects the whole "
                "file)"
            )
        fields[name] = value
    event_types = fields.get("event_type") or []
    context = MatchContext(tables, event_types if isinstance(event_types, list) else [])
    predicates: list[tuple[int, Predicate]] = []
    unpreviewable: list[str] = []
    for name, value in fields.items():
        if name == "experimental":
            # CEL (cel_expression.go) runs over the flow.Flow protobuf type (enum constants, zero values of
            # absent fields); no maintained Python CEL library offers that environment.
            if isinstance(value, dict) and value.get("cel_expression", value.get("celExpression")):
                unpreviewable.append(f"{name}.cel_expression")
            continue
        values = value if isinstance(value, list) else [value]
        if not values:
            continue  # protojson leaves an empty list unset: the field does not filter
        build = FIELD_MATCHERS.get(name)
        if build is None:
            unpreviewable.append(name)
            continue
        try:
            predicates.append((_CHECK_ORDER.get(name, 3), build(values, context)))
        except FlowFilterDecodeError as error:
            raise FlowFilterDecodeError(f"{where}: {name}: {error}") from error
        except FilterValueError as error:
            raise FlowLogNotApplied(f"{where}: {name}: {error}") from error
    # The fields of a filter are AND-ed and have no side effects: checking the cheap, usually
    # selective ones first only decides sooner.
    predicates.sort(key=lambda item: item[0])
    return [predicate for _, predicate in predicates], unpreviewable


# Which fields a filter checks first (lower first; others 3): enum and exact-value fields before
# name prefixes, label selectors and regular expressions.
_CHECK_ORDER = {
    **dict.fromkeys(("uuid", "verdict", "drop_reason_desc"), 0),
    **dict.fromkeys(("event_type", "traffic_direction", "http_status_code", "reply", "ip_version"), 1),
    **dict.fromkeys(("protocol", "source_port", "destination_port", "source_identity", "destination_identity"), 2),
    **dict.fromkeys(("http_method", "tcp_flags", "interface", "trace_id"), 2),
    **dict.fromkeys(("source_label", "destination_label", "node_labels"), 4),
    **dict.fromkeys(("source_fqdn", "destination_fqdn", "node_name"), 4),
    **dict.fromkeys(("dns_query", "http_path", "http_url"), 5),
}


MaskTree = dict[str, "MaskTree | None"]


def compile_field_mask(paths: Sequence[str], tables: CiliumTables, where: str) -> MaskTree | None:
    tree: MaskTree = {}
    for path in paths:
        if path not in tables.fieldmask_paths:
            raise FlowLogNotApplied(
                f"{where}: fieldMask path {path!r} is not a field of Flow in Cilium {tables.version} (invalid "
                "fieldmask)"
            )
        node = tree
        *parents, leaf = path.split(".")
        for part in parents:
            child = node.get(part, {})
            if child is None:
                break  # the parent is already copied whole
            node[part] = child
            node = child
        else:
            node[leaf] = None  # whole field (fm.Normalize: a parent path wins over children)
    return tree or None


Mask = Callable[[dict[str, Any]], dict[str, Any]]


def mask_function(tree: MaskTree, ordered: bool = True) -> Mask:
    """The mask as a function over a message (proto names). `ordered`: keys kept in the
    message's order, as written; else in the mask's order, which is faster and as good for
    sizes (the length of compact JSON does not depend on the order of keys)."""
    if not ordered:
        return _mask_in_mask_order(tree)
    kept = frozenset(tree)
    nested = [(key, mask_function(sub)) for key, sub in tree.items() if sub is not None]

    def in_message_order(message: dict[str, Any]) -> dict[str, Any]:
        out = {key: value for key, value in message.items() if key in kept}
        for key, sub in nested:
            # Replacing a value keeps its place; a message without the field gets it last, in
            # the mask's order (Alloc: parents of masked sub-fields always exist).
            value = out.get(key)
            out[key] = sub(value if isinstance(value, dict) else {})
        return out

    return in_message_order


def _mask_in_mask_order(tree: MaskTree) -> Mask:
    """The same fields as in_message_order, by one straight-line function (combine.py): per
    leaf `if k0 in m0: o0[k0] = m0[k0]`, per parent its sub-message or an empty one."""
    names: dict[str, Any] = {"isinstance": isinstance, "dict": dict, "EMPTY": {}}  # EMPTY is only read
    body: list[str] = []

    def emit(node: MaskTree, message: str, out: str) -> None:
        body.append(f"{out} = {{}}")
        for key, sub in node.items():
            name = f"k{len(names)}"
            names[name] = key
            if sub is None:
                body.append(f"if {name} in {message}: {out}[{name}] = {message}[{name}]")
                continue
            inner = f"{len(body)}"
            body.append(f"m{inner} = {message}.get({name})")
            body.append(f"if not isinstance(m{inner}, dict): m{inner} = EMPTY")
            emit(sub, f"m{inner}", f"o{inner}")
            body.append(f"{out}[{name}] = o{inner}")

    emit(tree, "message", "out")
    body.append("return out")
    function: Mask = compile_statements(body, names, "message")
    return function


@dataclass
class CompiledFlowLog:
    config: FlowLogConfig
    include: list[list[Predicate]]  # per include filter, its field predicates (none: no include filter)
    exclude: list[list[Predicate]]  # the same for the exclude filters
    mask: MaskTree | None
    unpreviewable: list[str] = field(default_factory=list)
    error: str = ""

    apply: Mask | None = None  # the field mask as a function
    apply_for_size: Mask | None = None  # the same, keys in the mask's order (mask_function)

    def __post_init__(self) -> None:
        self.apply = None if self.mask is None else mask_function(self.mask)
        self.apply_for_size = None if self.mask is None else mask_function(self.mask, ordered=False)

    def decision_source(self, names: dict[str, Any]) -> str:
        """filters.Apply (include.MatchOne, true without include filters, && exclude.MatchNone) as an
        expression over `ev`, its tests added to `names` (`decide_all` joins the flow logs' into one function)."""
        terms = []
        if self.include:
            terms.append(f"({any_of_all_source(self.include, names, 'ev')})")
        if self.exclude:
            terms.append(f"not ({any_of_all_source(self.exclude, names, 'ev')})")
        return " and ".join(terms) or "True"

    def written(self, ev: FlowEvent, mask: Mask | None = None) -> dict[str, Any]:
        """The ExportEvent the agent writes (protojson, proto names) for an exported event."""
        if ev.kind == "flow":
            mask = mask or self.apply
            out: dict[str, Any] = {"flow": ev.flow if mask is None else mask(ev.flow)}
        else:
            out = {ev.kind: ev.payload}
        if ev.node_name:
            out["node_name"] = ev.node_name
        if ev.time:
            out["time"] = ev.time
        return out

    def written_line(self, ev: FlowEvent) -> bytes:
        return orjson.dumps(self.written(ev))

    def written_size(self, ev: FlowEvent) -> int:
        """Bytes of written_line and its newline (without ordering its keys)."""
        return len(orjson.dumps(self.written(ev, self.apply_for_size))) + 1


def decide_all(flow_logs: Sequence[CompiledFlowLog]) -> Callable[[FlowEvent], tuple[int, ...]]:
    """`ev -> the positions of the flow logs that export it`, as one generated function (one
    call per line whatever the number of flow logs; most lines give the empty tuple)."""
    names: dict[str, Any] = {}
    body = [*PRELUDE, "exported = ()"]
    for position, flow_log in enumerate(flow_logs):
        body.append(f"if {flow_log.decision_source(names)}: exported += ({position},)")
    body.append("return exported")
    function: Callable[[FlowEvent], tuple[int, ...]] = compile_statements(body, names, "ev")
    return function


def compile_flow_log(config: FlowLogConfig, tables: CiliumTables) -> CompiledFlowLog:
    """Build a flow log as the agent does; a flow log the agent would refuse carries `error`."""
    where = config.where or config.name
    try:
        include, include_notes = _compile_list(config.include_filters, tables, f"{where}.includeFilters")
        exclude, exclude_notes = _compile_list(config.exclude_filters, tables, f"{where}.excludeFilters")
        mask = compile_field_mask(config.field_mask, tables, f"{where}.fieldMask")
    except FlowLogNotApplied as error:
        return CompiledFlowLog(config, [], [], None, error=str(error))
    return CompiledFlowLog(config, include, exclude, mask, include_notes + exclude_notes)


def _compile_list(
    filters: Sequence[dict[str, Any]], tables: CiliumTables, where: str
) -> tuple[list[list[Predicate]], list[str]]:
    predicates: list[list[Predicate]] = []
    notes: list[str] = []
    for index, flow_filter in enumerate(filters):
        fields, unpreviewable = field_predicates(flow_filter, tables, f"{where}[{index}]")
        predicates.append(fields)
        notes.extend(f"{where}[{index}].{name}" for name in unpreviewable)
    return predicates, notes

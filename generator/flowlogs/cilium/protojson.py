"""A FlowFilter as the agent reads it: protojson, into its canonical form (proto names, enum names).

The agent decodes each FlowFilter of flowlogs.yaml (and of the static exporter's allow/deny lists)
with its own UnmarshalJSON, protojson (cilium/cilium api/v1/flow/flow.pb.json.go;
google.golang.org/protobuf encoding/protojson decode.go), whose rules are:

- a key is the field's proto name (`source_pod`) or its JSON name (`sourcePod`), exactly: any other
  spelling (`SourcePod`) is an unknown field; the same field twice (`source_pod` and `sourcePod`) is
  a duplicate; both fail the whole file. Nested messages (`event_type: [{subType: 133}]`) alike.
- `null` leaves a field unset;
- an enum is its value's name or a number (any int32: Cilium's enums are open);
- an integer is a JSON number with an integral value or a string holding one, within its type;
- a string must be a string, a bool a bool.

`hubble observe --allowlist JSON` decodes filters with the same code, so the oracle tests check
this module against hubble (tests/test_import_oracle.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .flow_schema import json_name, load_flow_schema
from .tables import CiliumTables

_INT_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}
_INTEGER_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.0*)?([eE]\+?[0-9]+)?")


class FilterJsonError(ValueError):
    """Where (a dotted path inside the filter) and why protojson refuses a FlowFilter."""


def canonical_filter(value: Any, tables: CiliumTables) -> dict[str, Any]:
    """The FlowFilter `value` as protojson reads it, written with proto names and enum names
    (a number no enum value has stays a number); FilterJsonError when the agent refuses it."""
    fields = {name: field.type for name, field in tables.filter_fields.items()}
    json_names = {field.json_name: name for name, field in tables.filter_fields.items()}
    enums = load_flow_schema(tables.version).enums
    return _message(value, "FlowFilter", fields, json_names, tables, enums, "")


def _message(
    value: Any,
    message: str,
    fields: Mapping[str, str],
    json_names: Mapping[str, str],
    tables: CiliumTables,
    enums: Mapping[str, Mapping[str, int]],
    where: str,
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FilterJsonError(f"{where or message}: a {message} is a mapping, not {value_kind(value)}")
    result: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, item in value.items():
        name = key if key in fields else json_names.get(key) if isinstance(key, str) else None
        at = f"{where}.{key}" if where else str(key)
        if name is None:
            proto = {n.lower(): n for n in fields} | {j.lower(): n for j, n in json_names.items()}
            known = proto.get(str(key).lower().replace("-", "_")) or proto.get(str(key).lower())
            hint = f" (write '{known}' or '{json_name(known)}': protojson reads no other spelling)" if known else ""
            raise FilterJsonError(f"{at}: unknown {message} field '{key}' for Cilium {tables.version}{hint}")
        if name in spelled:
            raise FilterJsonError(f"{at}: duplicate field: '{name}' is also written as '{spelled[name]}'")
        spelled[name] = str(key)
        if item is None:
            continue
        kind = fields[name]
        if kind.startswith("repeated "):
            if not isinstance(item, list):
                raise FilterJsonError(f"{at}: must be a list ({kind}), not {value_kind(item)}")
            result[name] = [
                _value(element, kind.removeprefix("repeated "), tables, enums, f"{at}[{index}]")
                for index, element in enumerate(item)
            ]
        else:
            result[name] = _value(item, kind, tables, enums, at)
    return result


def _value(value: Any, kind: str, tables: CiliumTables, enums: Mapping[str, Mapping[str, int]], where: str) -> Any:
    if kind == "string":
        if not isinstance(value, str):
            raise FilterJsonError(f"{where}: {_show(value)} is not a string (quote it)")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise FilterJsonError(f"{where}: {_show(value)} is not true or false")
        return value
    if kind in _INT_RANGES:
        return _integer(value, kind, where)
    if kind in enums:
        names = enums[kind]
        if isinstance(value, str):
            if value not in names:
                raise FilterJsonError(f"{where}: unknown {kind} '{value}' (one of {', '.join(names)})")
            return value
        number = _integer(value, "int32", where, f"a {kind} name or number")
        by_number = {code: name for name, code in names.items()}
        return by_number.get(number, number)
    nested = tables.nested_fields.get(kind)
    if nested is None:
        raise FilterJsonError(f"{where}: no FlowFilter field of type {kind} in Cilium {tables.version}")
    json_names = {json_name(name): name for name in nested}
    return _message(value, kind, nested, json_names, tables, enums, where)


def _integer(value: Any, kind: str, where: str, what: str = "") -> int:
    low, high = _INT_RANGES[kind]
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
        number = int(float(value)) if any(c in value for c in ".eE") else int(value)
    if number is None:
        raise FilterJsonError(f"{where}: {_show(value)} is not {what or f'a whole number ({kind})'}")
    if not low <= number <= high:
        raise FilterJsonError(f"{where}: {number} is out of range for {kind} ({low} to {high})")
    return number


def value_kind(value: Any, mapping: str = "a mapping") -> str:
    """A JSON value's type as messages name it; `mapping` names an object."""
    kinds = {type(None): "null", bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list"}
    return kinds.get(type(value), mapping)


def _show(value: Any) -> str:
    """A value as the JSON the agent decodes (true, not Python's True)."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)

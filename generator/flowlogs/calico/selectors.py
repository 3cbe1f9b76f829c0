"""Label selectors in `kubectl -l` syntax, compiled to Kubernetes LabelSelector objects.

The hook Job lists objects with the selector (it turns the LabelSelector back into the query
string) and evaluates it itself when it restores objects that no longer match, so the compiled
form is the structured one: `{matchLabels: {...}, matchExpressions: [{key, operator, values}]}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_PREFIX = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
KEY_RE = re.compile(rf"^({_PREFIX}/)?{_NAME}\Z")
VALUE_RE = re.compile(rf"^({_NAME})?\Z")
_SET_RE = re.compile(r"^(?P<key>[^\s!=()]+)\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)\Z")
_EQ_RE = re.compile(r"^(?P<key>[^\s!=()]+)\s*(?P<op>==|=|!=)\s*(?P<value>[^\s!=(),]*)\Z")


class SelectorError(ValueError):
    """A selector that Kubernetes would reject; the message says which part."""


def _split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise SelectorError("')' without '('")
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if depth:
        raise SelectorError("'(' without ')'")
    parts.append(current.strip())
    return parts


def _key(key: str) -> str:
    if len(key) > 317 or not KEY_RE.match(key):
        raise SelectorError(f"'{key}' is not a label key")
    return key


def _value(value: str) -> str:
    if not VALUE_RE.match(value):
        raise SelectorError(f"'{value}' is not a label value (letters, digits, '-', '_', '.'; at most 63)")
    return value


def parse_selector(text: str) -> dict[str, Any]:
    """`app=web,tier in (a,b),!legacy` -> a LabelSelector mapping."""
    match_labels: dict[str, str] = {}
    expressions: list[dict[str, Any]] = []
    for part in _split(text):
        if not part:
            raise SelectorError("empty requirement (a stray ',')")
        if part.startswith("!"):
            expressions.append({"key": _key(part[1:].strip()), "operator": "DoesNotExist"})
            continue
        set_match = _SET_RE.match(part)
        if set_match:
            values = [_value(v.strip()) for v in set_match["values"].split(",")]
            if not any(values):
                raise SelectorError(f"'{part}' lists no values")
            operator = "In" if set_match["op"] == "in" else "NotIn"
            expressions.append({"key": _key(set_match["key"]), "operator": operator, "values": sorted(set(values))})
            continue
        eq_match = _EQ_RE.match(part)
        if eq_match:
            key, value = _key(eq_match["key"]), _value(eq_match["value"])
            if eq_match["op"] == "!=":
                expressions.append({"key": key, "operator": "NotIn", "values": [value]})
            elif key in match_labels and match_labels[key] != value:
                raise SelectorError(f"'{key}' must equal both '{match_labels[key]}' and '{value}': nothing matches")
            else:
                match_labels[key] = value
            continue
        if re.match(r"^[^\s=!()]+\Z", part):
            expressions.append({"key": _key(part), "operator": "Exists"})
            continue
        raise SelectorError(
            f"cannot read '{part}'; write key=value, key!=value, key in (a,b), key notin (a,b), key or !key"
        )
    return labels_selector(match_labels, expressions)


def labels_selector(match_labels: dict[str, str], expressions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    selector: dict[str, Any] = {}
    if match_labels:
        selector["matchLabels"] = dict(sorted(match_labels.items()))
    if expressions:
        selector["matchExpressions"] = expressions
    return selector


def selector_from_mapping(labels: dict[str, str]) -> dict[str, Any]:
    for key, value in labels.items():
        _key(key)
        _value(value)
    return labels_selector(dict(labels))


def selector_text(selector: Mapping[str, Any]) -> str:
    """The query-string form of a LabelSelector (what `kubectl -l` and the list API take), as
    the patch Job's script writes it (`selector_text` there)."""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], ",".join(expression.get("values") or [])
        parts.append(
            {
                "In": f"{key} in ({values})",
                "NotIn": f"{key} notin ({values})",
                "Exists": key,
                "DoesNotExist": f"!{key}",
            }[operator]
        )
    return ",".join(parts)

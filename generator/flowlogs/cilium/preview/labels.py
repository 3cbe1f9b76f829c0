"""Hubble's label selectors over Cilium labels (source_label, destination_label, node_labels).

Semantics read from cilium/hubble v1.18.6 (same in v1.16.6, v1.17.5), vendor/github.com/cilium/cilium/:
- pkg/hubble/filters/labelparser.go translateSelector: every key gets a source, `k8s:app` -> `k8s.app`,
  a key without one -> `any.<key>`;
- pkg/hubble/filters/labels.go: the selector is a Kubernetes label selector (k8s labels.Parse), and a
  filter matches when ANY of its selectors matches;
- pkg/labels/labels.go parseLabel / parseSource / HasKey and pkg/labels/array.go Has / Get: a flow label
  `k8s:app=web` has source k8s, key app, value web; `$host` and `reserved:host` are reserved; a key of
  source `any` matches the key of every source; `cidr` keys match by prefix containment.
- Kubernetes selector operators (apimachinery labels.Requirement.Matches): `k`, `!k`, `k=v`, `k==v`,
  `k!=v` (true when k is absent), `k in (a,b)`, `k notin (a,b)` (true when absent), `k>n`, `k<n`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

SOURCE_ANY, SOURCE_UNSPEC, SOURCE_RESERVED, SOURCE_CIDR = "any", "unspec", "reserved", "cidr"


class LabelSelectorError(ValueError):
    pass


@dataclass(frozen=True)
class Label:
    source: str
    key: str
    value: str


def parse_label(text: str, delim: str = ":") -> Label:
    """pkg/labels/labels.go parseLabel."""
    source, rest = _parse_source(text, delim)
    source = source or SOURCE_UNSPEC
    key, sep, value = rest.partition("=")
    if sep and key == "" and source == SOURCE_RESERVED:
        key, value = value, ""
    return Label(source, key, value if sep else "")


def _parse_source(text: str, delim: str) -> tuple[str, str]:
    if text == "":
        return "", ""
    if text[0] == "$":
        return SOURCE_RESERVED, text[1:]
    index = text.find(delim)
    if index < 0:
        if delim != "." and text.startswith("reserved."):
            return SOURCE_RESERVED, text[len("reserved."):]
        return "", text
    return text[:index], text[index + 1:]


def _cidr(key: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(key.replace("-", ":"), strict=False)
    except ValueError:
        return None


def _has_key(label: Label, target: Label) -> bool:
    """pkg/labels/labels.go Label.HasKey."""
    if target.source != SOURCE_ANY and label.source != target.source:
        return False
    if target.source == SOURCE_CIDR and label.source == SOURCE_CIDR:
        wanted, have = _cidr(target.key), _cidr(label.key)
        if (
            wanted is not None
            and have is not None
            and wanted.version == have.version
            and wanted.prefixlen <= have.prefixlen
            and have.network_address in wanted
        ):
            return True
    return label.key == target.key


def _find(labels: list[Label], key: str) -> Label | None:
    """LabelArray.Has / Get: the first label (sorted by key) that has the key."""
    target = parse_label(key, ".")
    if target.source == SOURCE_UNSPEC:
        target = Label(SOURCE_ANY, target.key, target.value)
    for label in labels:
        if _has_key(label, target):
            return label
    return None


# --- selector parsing ------------------------------------------------------------------------

def translate_selector(selector: str) -> str:
    """labelparser.go translateSelector: give every key a source and write it with a dot."""
    out: list[str] = []
    i, n = 0, len(selector)
    while i < n:
        while i < n and (selector[i].isspace() or selector[i] == "!"):
            out.append(selector[i])
            i += 1
        start = i
        while i < n and not (selector[i].isspace() or selector[i] in "=!,"):
            i += 1
        key = selector[start:i]
        if ":" not in key:
            key = f"any:{key}"
        out.append(key.replace(":", ".", 1))
        nesting = 0
        while i < n:
            char = selector[i]
            out.append(char)
            i += 1
            if char == "(":
                nesting += 1
            elif char == ")":
                nesting -= 1
            elif char == "," and nesting == 0:
                break
    return "".join(out)


_KEY = r"[A-Za-z0-9](?:[-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_REQUIREMENT = re.compile(
    rf"""\s*(?:
        (?P<not>!)\s*(?P<nkey>{_KEY})
      | (?P<key>{_KEY})\s*(?:
            (?P<op>==|=|!=)\s*(?P<value>{_VALUE})
          | (?P<cmp>[<>])\s*(?P<number>-?[0-9]+)
          | \s(?P<set>in|notin)\s*\(\s*(?P<values>{_VALUE}(?:\s*,\s*{_VALUE})*)\s*\)
        )?
    )\s*(?:,|$)""",
    re.VERBOSE,
)

Requirement = Callable[[list[Label]], bool]


def _requirement(match: re.Match[str]) -> Requirement:
    if match.group("not"):
        key = match.group("nkey")
        return lambda labels: _find(labels, key) is None
    key = match.group("key")
    if match.group("op"):
        value, negated = match.group("value"), match.group("op") == "!="
        return _in(key, {value}, negated)
    if match.group("set"):
        values = {v.strip() for v in match.group("values").split(",")}
        return _in(key, values, match.group("set") == "notin")
    if match.group("cmp"):
        number, greater = int(match.group("number")), match.group("cmp") == ">"

        def compare(labels: list[Label]) -> bool:
            label = _find(labels, key)
            if label is None:
                return False
            try:
                have = int(label.value)
            except ValueError:
                return False
            return have > number if greater else have < number

        return compare
    return lambda labels: _find(labels, key) is not None


def _in(key: str, values: set[str], negated: bool) -> Requirement:
    def check(labels: list[Label]) -> bool:
        label = _find(labels, key)
        if label is None:
            return negated
        return (label.value in values) != negated

    return check


def parse_selector(selector: str) -> list[Requirement]:
    """One selector (comma-separated requirements, all must hold)."""
    translated = translate_selector(selector)
    requirements: list[Requirement] = []
    position = 0
    while position < len(translated):
        match = _REQUIREMENT.match(translated, position)
        if match is None or match.end() == position:
            raise LabelSelectorError(f"invalid label selector {selector!r} (near {translated[position:]!r})")
        requirements.append(_requirement(match))
        position = match.end()
    if not requirements:
        # An empty selector is labels.Everything(): it selects every flow.
        return []
    return requirements


def compile_selectors(selectors: list[str]) -> Callable[[list[str]], bool]:
    """A predicate over a flow's label strings: true when ANY selector matches (labels.go)."""
    parsed = [parse_selector(s) for s in selectors]
    # Flows repeat the same label sets: remember the answer per set (bounded).
    answers: dict[tuple[str, ...], bool] = {}

    def match(raw_labels: list[str]) -> bool:
        key = tuple(raw_labels)
        answer = answers.get(key)
        if answer is None:
            labels = sorted((parse_label(text) for text in raw_labels), key=lambda label: label.key)
            answer = any(all(requirement(labels) for requirement in requirements) for requirements in parsed)
            if len(answers) >= _ANSWERS_KEPT:
                answers.clear()
            answers[key] = answer
        return answer

    return match


_ANSWERS_KEPT = 4096

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
from collections.abc import Callable
from dataclasses import dataclass

from .. import agent_labels

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
            return SOURCE_RESERVED, text[len("reserved.") :]
        return "", text
    return text[:index], text[index + 1 :]


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

Requirement = Callable[[list[Label]], bool]


def _requirement(parsed: agent_labels.Requirement) -> Requirement:
    """One requirement of the selector the agent parses (agent_labels: labelparser.go and the
    Kubernetes selector parser), as a predicate over a flow's labels (labels.go)."""
    key, operator, values = parsed.key, parsed.operator, set(parsed.values)
    if operator == "!":
        return lambda labels: _find(labels, key) is None
    if operator == "exists":
        return lambda labels: _find(labels, key) is not None
    if operator in ("gt", "lt"):
        (number,) = (int(value) for value in values)
        greater = operator == "gt"

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
    negated = operator in ("!=", "notin")

    def check(labels: list[Label]) -> bool:
        label = _find(labels, key)
        if label is None:
            return negated
        return (label.value in values) != negated

    return check


def parse_selector(selector: str) -> list[Requirement]:
    """One selector (comma-separated requirements, all must hold); an empty one selects every flow."""
    try:
        return [_requirement(requirement) for requirement in agent_labels.parse_selector(selector)]
    except agent_labels.SelectorError as error:
        raise LabelSelectorError(f"invalid label selector {selector!r} ({error})") from error


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

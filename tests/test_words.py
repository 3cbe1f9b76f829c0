"""Every profile word has one kind, and the kind gives it a schema, a compile, a decompile and an explain.

For each word an example value is compiled, turned back into words (what `flowlogs import`
does), and compiled again: the upstream value must survive the round trip. Expected upstream
values come from Cilium's flow.proto (enum names) and the Felix field tables, not from the
code under test.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conftest import ROOT
from flowlogs.calico.defaults import DEFAULT_VERSION as CALICO_DEFAULT
from flowlogs.calico.kinds import KnobContext
from flowlogs.calico.tables import load_tables as calico_tables
from flowlogs.calico.words import FELIX_KNOBS
from flowlogs.cilium.defaults import DEFAULT_VERSION, SUPPORTED_VERSIONS
from flowlogs.cilium.filters import FILTER_WORDS
from flowlogs.cilium.kinds import FilterContext, FilterKind
from flowlogs.cilium.tables import load_tables
from flowlogs.errors import Diagnostics
from flowlogs.kinds import ValueKind
from flowlogs.profile import Node, Positions

# word -> (example profile value, the upstream FlowFilter value it must compile to in the default version).
# Enum names from flow.proto (Verdict, TrafficDirection, IPVersion, DropReason); event type
# and sub-type codes from pkg/monitor/api (MessageTypeDrop = 1, DropReason POLICY_DENIED = 133).
FILTER_EXAMPLES: dict[str, tuple[Any, Any]] = {
    "pod": ("kube-system/coredns", ["kube-system/coredns"]),
    "namespace": ("kube-system", ["kube-system"]),
    "ip": ("10.0.0.0/8", ["10.0.0.0/8"]),
    "label": ("k8s:app=web", ["k8s:app=web"]),
    "fqdn": ("*.example.com", ["*.example.com"]),
    "service": ("shop/frontend", ["shop/frontend"]),
    "identity": (["world", 42], [2, 42]),
    "port": (443, ["443"]),
    "workload": ("Deployment/web", [{"kind": "Deployment", "name": "web"}]),
    "cluster": ("east", ["east"]),
    "verdict": (["dropped", "forwarded"], ["DROPPED", "FORWARDED"]),
    "drop-reason": ("policy-denied", ["POLICY_DENIED"]),
    "event-type": (
        {"type": "drop", "sub-type": "policy-denied", "match-sub-type": True},
        [{"type": 1, "match_sub_type": True, "sub_type": 133}],
    ),
    "direction": ("egress", ["EGRESS"]),
    "source-ip-xlated": ("192.0.2.1", ["192.0.2.1"]),
    "protocol": ("TCP", ["tcp"]),
    "http-status": ("5+", ["5+"]),
    "http-method": ("get", ["GET"]),
    "http-path": ("/api/.*", ["/api/.*"]),
    "http-url": ("https://shop/.*", ["https://shop/.*"]),
    "http-header": ("x-user:alice", [{"key": "x-user", "value": "alice"}]),
    "dns-query": (".*\\.svc", [".*\\.svc"]),
    "tcp-flags": ("SYN,ACK", [{"SYN": True, "ACK": True}]),
    "node-name": ("k8s*", ["k8s*"]),
    "node-label": ("kubernetes.io/os=linux", ["kubernetes.io/os=linux"]),
    "ip-version": ("ipv6", ["IPv6"]),
    "reply": (True, [True]),
    "interface": ("eth0", [{"name": "eth0"}]),
    "uuid": ("c8a1a7e5-3e7f-4f42-9d2b-1f0f6b8c2f11", ["c8a1a7e5-3e7f-4f42-9d2b-1f0f6b8c2f11"]),
    "trace-id": ("4bf92f3577b34da6a3ce929d0e0e4736", ["4bf92f3577b34da6a3ce929d0e0e4736"]),
    # 1.19 flow.proto: repeated uint64 ip_trace_id, repeated bool encrypted
    "ip-trace-id": (1234567890123, [1234567890123]),
    "encrypted": (True, [True]),
    "cel": ("_flow.verdict == 2", {"cel_expression": ["_flow.verdict == 2"]}),
    "raw": ({"source_pod": ["a/"]}, {"source_pod": ["a/"]}),
}


def _sample_flow() -> Any:
    from tools.preview_flows import read_flows

    return next(read_flows(str(ROOT / "tests" / "data" / "preview" / "flows.jsonl")))


SAMPLE_FLOW = _sample_flow()


def node(value: Any) -> Node:
    return Node(value, ("example",), Positions("example.yaml", {}, {}))


def compiled(kind: ValueKind[Any], value: Any, context: Any) -> Any:
    diagnostics = Diagnostics()
    result = kind.compile(node(value), context, diagnostics)
    assert not diagnostics.errors, [str(d) for d in diagnostics.errors]
    return result


def stem(word: str) -> str:
    """`source-pod` and `pod` share their kind and example."""
    for side in ("source-", "destination-"):
        if word.startswith(side) and word.removeprefix(side) in FILTER_EXAMPLES:
            return word.removeprefix(side)
    return word


def test_every_filter_word_has_an_example():
    assert sorted({stem(w) for w in FILTER_WORDS} - set(FILTER_EXAMPLES)) == []


@pytest.mark.parametrize("word", sorted(FILTER_WORDS))
def test_filter_word_kind_has_every_view(word: str):
    row = FILTER_WORDS[word]
    assert isinstance(row.kind, FilterKind)
    Draft202012Validator.check_schema(row.kind.schema())
    example, upstream = FILTER_EXAMPLES[stem(word)]
    tables = load_tables(DEFAULT_VERSION)
    context = FilterContext(tables, row)
    result = compiled(row.kind, example, context)
    assert result == upstream
    words = row.kind.decompile(result, context)
    assert compiled(row.kind, words, context) == upstream, f"{word}: {example!r} -> {result!r} -> {words!r}"
    assert isinstance(row.kind.explain(result, tables), str) and row.kind.explain(result, tables)
    if word == "cel":  # CEL cannot be previewed (no Python CEL runtime with Hubble's Flow environment)
        with pytest.raises(KeyError):
            _predicates(row, result)
        return
    assert all(predicate(SAMPLE_FLOW) in (True, False) for predicate in _predicates(row, result))


def _predicates(row: Any, upstream: Any) -> list[Any]:
    """preview's predicate (Hubble's rule) for each FlowFilter field the compiled value sets: a
    side-less word sets both sides, `raw` the fields it names. KeyError where a field cannot be previewed."""
    from tools.preview_flows import build_predicate

    if row.word == "raw":
        return [build_predicate(field, values, DEFAULT_VERSION) for field, values in upstream.items()]
    fields = [row.field]
    if row.field.startswith("*_"):
        fields = [f"{side}_{row.field[2:]}" for side in ("source", "destination")]
    return [build_predicate(field, upstream, DEFAULT_VERSION) for field in fields]


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_enum_words_decompile_in_every_version(version: str):
    tables = load_tables(version)
    for word in ("verdict", "direction", "ip-version"):
        row = FILTER_WORDS[word]
        context = FilterContext(tables, row)
        upstream = list(row.kind.names(tables).values())  # type: ignore[attr-defined]
        assert compiled(row.kind, row.kind.decompile(upstream, context), context) == upstream


def test_kinds_explain_compiled_values_in_plain_words():
    """The phrases are for compiled values, in the words of the version's tables (pkg/monitor/api:
    drop = 1, DropReason POLICY_DENIED = 133; filters/event_type.go reads sub_type only with
    match_sub_type; pkg/hubble/k8s reads `/web` as any namespace and a bare name as default)."""
    tables = load_tables("1.18")
    explain = lambda word, value: FILTER_WORDS[word].kind.explain(value, tables)  # noqa: E731
    assert (
        explain("event-type", [{"type": 1, "sub_type": 133}])
        == "drop of any sub-type (sub-type policy-denied (133) is ignored without match-sub-type)"
    )
    assert (
        explain("event-type", [{"type": 1, "match_sub_type": True, "sub_type": 133}])
        == "drop with sub-type policy-denied (133)"
    )
    assert explain("pod", ["kube-system/", "/web", "db"]) == (
        "any name in namespace kube-system, names starting with 'web' in any namespace or names starting with 'db' in "
        "namespace default"
    )
    assert explain("http-status", ["5+", "40+", "404"]) == "5xx, 40x or 404"
    assert explain("verdict", ["DROPPED"]) == "dropped"
    assert explain("identity", [2, 42]) == "world (2) or 42"
    assert (
        explain("workload", [{"kind": "Deployment"}, {"kind": "Deployment", "name": "web"}])
        == "any Deployment or Deployment web"
    )
    assert explain("interface", [{"name": "eth0", "index": 7}, {"index": 3}]) == "eth0 with index 7 or index 3"


# knob word -> (example, the FelixConfiguration value it compiles to); Felix's field values from
# the Calico Enterprise FelixConfiguration CRD (calico/data tables).
KNOB_EXAMPLES: dict[str, tuple[Any, Any]] = {
    "policy-sync-api": ("on", "/var/run/nodeagent"),
    "flush-interval": ("60s", "60s"),
    "log-to-file": ("off", False),
    "file-directory": ("/var/log/calico/l7logs/", "/var/log/calico/l7logs"),
    "max-files": (3, 3),
    "max-file-size-mb": (50, 50),
    "per-node-limit": ("unlimited", 0),
    "http-header-info": ("include", "IncludeL7HTTPHeaderInfo"),
    "http-method": ("exclude", "ExcludeL7HTTPMethod"),
    "service-info": ("exclude", "ExcludeL7ServiceInfo"),
    "destination-info": ("exclude", "ExcludeL7DestinationInfo"),
    "source-info": ("include-no-port", "IncludeL7SourceInfoNoPort"),
    "response-code": ("exclude", "ExcludeL7ResponseCode"),
    "url": ("trim-query", "TrimURLQuery"),
    "url-path-parts": ("all", -1),
    "url-char-limit": (100, 100),
}


@pytest.mark.parametrize("knob", FELIX_KNOBS, ids=lambda k: k.word)
def test_felix_knob_kind_has_every_view(knob: Any):
    Draft202012Validator.check_schema(knob.kind.schema())
    example, upstream = KNOB_EXAMPLES[knob.word]
    context = KnobContext(knob, calico_tables(CALICO_DEFAULT).felix_fields[knob.field])
    result = compiled(knob.kind, example, context)
    assert result == upstream
    words = knob.kind.decompile(result, context)
    assert compiled(knob.kind, words, context) == upstream
    assert knob.kind.explain(example)

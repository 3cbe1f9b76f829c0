"""Explain oracle tier: hubble itself reads every `hubble observe` line `flowlogs explain` prints.

Truth is the hubble CLI of each supported Cilium version (../shared/tools/hubble, built into
.cache/hubble by tests/tools/upstream_tools.py): `hubble observe <flags> --print-raw-filters`
prints the allowlist and denylist FlowFilters the flags build (cilium/cilium
hubble/cmd/observe/flows.go getFlowFiltersYAML), or exits non-zero with hubble's reason. Each line
must build exactly the flow log's compiled includeFilters and excludeFilters, compared as protobuf
messages (a zero value is an absent one) with two things aside: the order of values in a list
(OR-ed), and an EventTypeFilter's sub_type without match_sub_type, which Cilium ignores
(pkg/hubble/filters/event_type.go).

The profiles are generated: every filter word of flowlogs, in include and exclude lists, alone
and combined, in each supported version; a fixed-seed set in the fast suite, a larger random one
marked slow (upstream_tools.oracle_seed: fixed by the content of the code in `make test`, fresh in `make
oracle`). Each sentence is checked against the compiled filters too (not against the profile).
"""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import upstream_tools

from conftest import load_yaml, write_profile
from flowlogs.cilium.defaults import SUPPORTED_VERSIONS
from flowlogs.cilium.filters import FIELD_WORDS, FILTER_WORDS
from flowlogs.cilium.tables import CiliumTables, load_tables
from flowlogs.compiler import compile_named
from flowlogs.errors import ProfileError

pytestmark = pytest.mark.skipif(
    bool(upstream_tools.skip_reason("hubble")), reason=upstream_tools.skip_reason("hubble") or "-"
)

# ---------------------------------------------------------------- hubble, the oracle


def run_hubble(version: str, line: str) -> subprocess.CompletedProcess[str]:
    """`line` (a `hubble observe ...` command as explain prints it) with --print-raw-filters, by
    the hubble of `version`, with no user config file."""
    words = shlex.split(line)
    assert words[:2] == ["hubble", "observe"], line
    return upstream_tools.ask_hubble(version, "observe", *words[2:], "--print-raw-filters", HUBBLE_CONFIG=os.devnull)


def print_raw_filters(version: str, line: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The allowlist and denylist that hubble of `version` builds from an explain line."""
    completed = run_hubble(version, line)
    assert completed.returncode == 0, f"hubble {version} refuses `{line}`: {completed.stderr.strip()}"
    printed = load_yaml(completed.stdout) or {}
    return [json.loads(f) for f in printed.get("allowlist", [])], [json.loads(f) for f in printed.get("denylist", [])]


def canonical(value: Any, field: str = "") -> Any:
    """A FlowFilter as a protobuf message: zero fields dropped, list order aside, and an
    EventTypeFilter's sub_type dropped when match_sub_type is off (Cilium ignores it)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = canonical(item, key)
            if item is None or item is False or item in ("", [], {}) or (type(item) is int and item == 0):
                continue
            out[key] = item
        if "type" in out or "sub_type" in out or "match_sub_type" in out:
            if not out.get("match_sub_type"):
                out.pop("sub_type", None)
        return dict(sorted(out.items()))
    if isinstance(value, str) and value.isdigit() and field == "ip_trace_id":
        return int(value)  # proto3 JSON writes a uint64 as a string
    if isinstance(value, list):
        return sorted((canonical(item, field) for item in value), key=lambda item: json.dumps(item, sort_keys=True))
    return value


def test_canonical_form_keeps_what_cilium_reads():
    assert canonical({"reply": [False], "event_type": [{"type": 1, "sub_type": 181}]}) == {
        "event_type": [{"type": 1}],
        "reply": [False],
    }
    assert canonical({"event_type": [{"type": 4, "match_sub_type": True, "sub_type": 0}]}) == {
        "event_type": [{"match_sub_type": True, "type": 4}]
    }
    assert canonical({"verdict": ["DROPPED", "AUDIT"]}) == canonical({"verdict": ["AUDIT", "DROPPED"]})
    assert canonical({"interface": [{"name": "eth0", "index": 7}]}) != canonical({"interface": [{"name": "eth0"}]})


# ---------------------------------------------------------------- profiles with every filter word

# word -> values it is generated with, each valid in every supported version that has the word.
# Chosen to reach every way a value is said to hubble: a flag, a name or a number, and the JSON
# form where no flag says it (index, kind-only workload, unknown direction, reply, dns-query, ...).
SIDED_VALUES: dict[str, list[Any]] = {
    "pod": ["shop/web", "web", "*/db", "kube-system/", ["shop/web", "db"]],
    "namespace": ["shop", "kube-system", ["shop", "kube-system"]],
    "ip": ["10.0.0.0/8", "192.0.2.1", "fd00::/64"],
    "label": ["app=web", "k8s:app in (a, b)", "reserved:world"],
    "fqdn": ["*.example.com", "api.example.com"],
    "service": ["shop/frontend", "frontend", "*/db"],
    "identity": ["world", 42, "remote-node", 16777217, "host", ["world", 7]],
    "port": [53, 443, "8080", [80, 443]],
    "workload": ["Deployment/web", {"kind": "Deployment"}, "web", {"kind": "StatefulSet", "name": "db"}],
    "cluster": ["east", "west"],
}
PLAIN_VALUES: dict[str, list[Any]] = {
    "verdict": ["forwarded", "dropped", "audit", ["dropped", "error"]],
    "drop-reason": ["policy-denied", "policy-deny", 133],
    "event-type": [
        "drop",
        "trace",
        "policy-verdict",
        {"type": "drop", "sub-type": "policy-denied"},
        {"type": "drop", "sub-type": "policy-denied", "match-sub-type": False},
        {"type": "trace", "sub-type": "to-endpoint"},
        {"type": "trace", "sub-type": "from-network"},
        {"type": "agent", "sub-type": "policy-updated"},
        {"type": 1, "sub-type": 5},
    ],
    "direction": ["ingress", "egress", "unknown"],
    "source-ip-xlated": ["192.0.2.7", "10.1.0.0/16"],
    "protocol": ["tcp", "udp", "dns", ["tcp", "udp"]],
    "http-status": ["5+", 404, "40+"],
    "http-method": ["get", ["POST", "put"]],
    "http-path": ["/api/.*", "^/healthz$"],
    "http-url": ["https://shop/.*"],
    "http-header": ["x-user:alice", {"key": "x-env", "value": "a:b"}, {"key": "a:b", "value": "c"}],
    "dns-query": [".*\\.svc\\.cluster\\.local", "example\\.com"],
    "tcp-flags": ["SYN", "SYN,ACK", ["FIN", "RST"]],
    "node-name": ["k8s*", "cluster/node-1"],
    "node-label": ["kubernetes.io/os=linux"],
    "ip-version": ["ipv4", "ipv6"],
    "reply": [True, False],
    "interface": ["eth0", {"name": "eth0", "index": 7}, {"index": 3}],
    "uuid": ["c8a1a7e5-3e7f-4f42-9d2b-1f0f6b8c2f11"],
    "trace-id": ["4bf92f3577b34da6a3ce929d0e0e4736"],
    "ip-trace-id": [1234567890123, 7],
    "encrypted": [True, False],
    "cel": ["_flow.verdict == 2", "has(_flow.l7)"],
    "raw": [{"reply": [True]}, {"dns_query": ["x\\.y"]}, {"source_pod": ["/db"]}, {"interface": [{"index": 2}]}],
}
HTTP_WORDS = ("http-status", "http-method", "http-path", "http-url", "http-header")


def word_values(word: str) -> list[Any]:
    if word in PLAIN_VALUES:
        return PLAIN_VALUES[word]
    return SIDED_VALUES[word.split("-", 1)[1] if word.startswith(("source-", "destination-")) else word]


def test_every_filter_word_is_generated():
    assert (
        sorted(
            w
            for w in FILTER_WORDS
            if not (w in PLAIN_VALUES or w in SIDED_VALUES or w.split("-", 1)[-1] in SIDED_VALUES)
        )
        == []
    )


def words_of(tables: CiliumTables) -> list[str]:
    """The words the version has (cluster from 1.17, ip-trace-id and encrypted from 1.19)."""
    fields = tables.filter_fields
    return [w for w, row in FILTER_WORDS.items() if row.kind.key == "raw" or row.field.replace("*", "source") in fields]


def random_filter(rng: random.Random, words: list[str], size: int) -> dict[str, Any]:
    chosen = rng.sample(words, min(size, len(words)))
    flow_filter = {word: rng.choice(word_values(word)) for word in chosen}
    if any(w in flow_filter for w in HTTP_WORDS) and "event-type" in flow_filter:
        flow_filter["event-type"] = "l7"  # the agent refuses HTTP filters beside other event types
    return flow_filter


def profile_text(version: str, flow_logs: list[dict[str, Any]]) -> str:
    return json.dumps({"cilium": {"version": version, "flow-logs": flow_logs}}, indent=1)  # JSON is YAML


def compiles(tmp: Path, version: str, flow_log: dict[str, Any]) -> bool:
    path = write_profile(tmp, "probe", profile_text(version, [flow_log]))
    try:
        compile_named(str(path), tmp)
    except ProfileError:
        return False
    return True


def generated_flow_logs(version: str, seed: int, extra: int, tmp: Path) -> list[dict[str, Any]]:
    """Every word of the version alone, once in an include and once in an exclude filter (what a
    flag says), then every word again in filters of two (flags together, side-less pairs,
    conflicts), then `extra` random flow logs with several include and exclude filters; only the
    flow logs the compiler accepts."""
    rng = random.Random(f"explain-oracle-{version}-{seed}")
    words = words_of(load_tables(version))
    candidates: list[dict[str, Any]] = []
    order = rng.sample(words, len(words))
    for shift in (0, 1):  # shifted by one, each word changes places: once included, once excluded
        shifted = order[shift:] + order[:shift] + order[shift : shift + 1]
        for i in range(0, len(order), 2):
            first, second = ({w: rng.choice(word_values(w))} for w in shifted[i : i + 2])
            candidates.append({"include": [first], "exclude": [second]})
    order = rng.sample(words, len(words))
    for i in range(0, len(order) - 3, 4):
        candidates.append(
            {
                "include": [random_filter(rng, order[i : i + 2], 2)],
                "exclude": [random_filter(rng, order[i + 2 : i + 4], 2)],
            }
        )
    for _ in range(extra):
        candidates.append(
            {
                "include": [
                    random_filter(rng, words, rng.choice((1, 2, 3))) for _ in range(rng.choice((0, 1, 1, 2, 3)))
                ],
                "exclude": [random_filter(rng, words, rng.choice((1, 2))) for _ in range(rng.choice((0, 1, 1, 2)))],
            }
        )
    flow_logs = []
    for candidate in candidates:
        flow_log = {
            "name": f"log-{len(flow_logs)}",
            "file": f"/var/run/cilium/hubble/log-{len(flow_logs)}.log",
            **candidate,
        }
        if compiles(tmp, version, flow_log):
            flow_logs.append(flow_log)
    return flow_logs


# ---------------------------------------------------------------- explain output


def explain_blocks(run_cli: Any, path: Path) -> list[tuple[str, str, str]]:
    """Per flow log: its sentence, its hubble line and the note under it ("" if none)."""
    result = run_cli("explain", str(path))
    assert result.code == 0, result.err
    blocks = []
    lines = result.out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("  Try it live first"):
            sentence = lines[i - 1]
            note = lines[i + 2].strip() if lines[i + 2].startswith("    (") else ""
            blocks.append((sentence, lines[i + 1].strip(), note))
    return blocks


def check_flow_logs(
    run_cli: Any, tmp: Path, version: str, flow_logs: list[dict[str, Any]], per_profile: int = 12
) -> int:
    """Explain profiles of these flow logs; each line through hubble, each sentence against the
    compiled filters. Returns the number of hubble lines run."""
    tables = load_tables(version)
    lines = 0
    for start in range(0, len(flow_logs), per_profile):
        chunk = flow_logs[start : start + per_profile]
        path = write_profile(tmp, f"generated-{start}", profile_text(version, chunk))
        entries = compile_named(str(path), tmp).parts["cilium"].values["flowLogs"]  # type: ignore[attr-defined]
        blocks = explain_blocks(run_cli, path)
        assert len(blocks) == len(entries)
        for entry, (sentence, line, _note) in zip(entries, blocks, strict=True):
            allow, deny = print_raw_filters(version, line)
            assert canonical(allow) == canonical(entry["includeFilters"]), (
                f"{line}\nbuilds allowlist {allow}\ncompiled {entry['includeFilters']}"
            )
            assert canonical(deny) == canonical(entry["excludeFilters"]), (
                f"{line}\nbuilds denylist {deny}\ncompiled {entry['excludeFilters']}"
            )
            check_sentence(sentence, entry, tables)
            lines += 1
    return lines


# ---------------------------------------------------------------- sentences against compiled filters


def value_tokens(field: str, item: Any, tables: CiliumTables) -> list[str]:
    """Words a phrase for one compiled value must contain, read from upstream's meaning of the value."""
    if field == "event_type":
        names = {code: name for name, code in tables.event_types.items()}
        tokens = [names.get(item.get("type", 0), str(item.get("type", 0)))] if item.get("type") else []
        if item.get("match_sub_type"):
            tokens += ["sub-type", str(item.get("sub_type", 0))]
        return tokens
    if field in ("source_pod", "destination_pod", "source_service", "destination_service"):
        namespace, slash, prefix = str(item).rpartition("/")
        tokens = [f"'{prefix}'"] if prefix else []
        tokens.append(
            ("in namespace " + namespace) if namespace else "any namespace" if slash else "in namespace default"
        )
        return tokens
    if field in ("verdict", "traffic_direction", "ip_version"):
        table = {
            "verdict": tables.verdicts,
            "traffic_direction": tables.traffic_directions,
            "ip_version": tables.ip_versions,
        }[field]
        return [next(word for word, name in table.items() if name == item)]
    if field == "drop_reason_desc":
        return [str(tables.drop_reasons_by_enum[item].code)]
    if field == "experimental":
        return [f"`{expression}`" for expression in item["cel_expression"]]
    if isinstance(item, dict):
        return [str(v) for v in item.values() if v not in ("", 0, False, True)] + [
            k for k, v in item.items() if v is True
        ]
    if isinstance(item, bool):
        return [str(item).lower()]
    if field == "http_status_code" and str(item).endswith("+"):
        return [str(item)[:-1]]
    return [str(item)]


def check_sentence(sentence: str, entry: dict[str, Any], tables: CiliumTables) -> None:
    head = f"{entry['name']}: exports "
    assert sentence.startswith(head), sentence
    where = "the agent's standard output" if entry["filePath"] in ("stdout", "/dev/stdout") else entry["filePath"]
    what = sentence[len(head) : sentence.index(f", to {where}")]
    include_text, _, exclude_text = what.partition(", except ")
    for text, filters in ((include_text, entry["includeFilters"]), (exclude_text, entry["excludeFilters"])):
        if not filters:
            assert text in ("every flow", ""), sentence
            continue
        assert text.startswith("flows where "), sentence
        phrases = text[len("flows where ") :].split(" or where ")
        assert len(phrases) == len(filters), f"{sentence}\n{filters}"
        for phrase, flow_filter in zip(phrases, filters, strict=True):
            if len(filters) > 1:
                phrase = phrase.removeprefix("(").removesuffix(")")
            parts = phrase.split(" and ")
            labels = [part.split(" is ", 1)[0] for part in parts]
            assert sorted(labels) == sorted(FIELD_WORDS[f].word.replace("-", " ") for f in flow_filter), (
                f"{phrase}\n{flow_filter}"
            )
            for field, value in flow_filter.items():
                part = parts[labels.index(FIELD_WORDS[field].word.replace("-", " "))]
                items = [value] if field == "experimental" or not isinstance(value, list) else value
                for item in items:
                    for token in value_tokens(field, item, tables):
                        assert token in part, f"{token!r} not in {part!r} ({field}: {item!r})"
                if field == "event_type":
                    ignored = [i for i in value if "sub_type" in i and not i.get("match_sub_type")]
                    assert ("ignored" in part) == bool(ignored), part
                if field in ("source_pod", "destination_pod", "source_service", "destination_service"):
                    said = set(re.findall(r"in namespace (\S+)", part))
                    assert said <= {str(v).split("/")[0] if "/" in str(v) else "default" for v in value}, part
    aggregating = entry.get("fieldAggregate") and entry.get("aggregationInterval") not in (None, "0s")
    if aggregating:
        assert "with all fields" not in sentence and all(path in sentence for path in entry["fieldAggregate"]), sentence


# ---------------------------------------------------------------- the runs


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_explain_lines_build_the_compiled_filters(version: str, run_cli: Any, tmp_path: Path) -> None:
    flow_logs = generated_flow_logs(version, seed=0, extra=4, tmp=tmp_path)
    lines = check_flow_logs(run_cli, tmp_path, version, flow_logs)
    assert lines == len(flow_logs) > 50


@pytest.mark.slow
@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_explain_lines_build_the_compiled_filters_random(
    version: str, run_cli: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    seed = upstream_tools.oracle_seed(Path(__file__))
    # shown when the test fails (run_cli consumes what the test prints)
    request.node.add_report_section(
        "call", "oracle seed", f"FLOWLOGS_ORACLE_SEED={seed} generates these flow logs again"
    )
    extra = upstream_tools.oracle_budget(150)
    flow_logs = generated_flow_logs(version, seed=seed, extra=extra, tmp=tmp_path)
    assert check_flow_logs(run_cli, tmp_path, version, flow_logs) == len(flow_logs) > extra, f"seed {seed}"


# ---------------------------------------------------------------- issue 21, item by item


def refuses(version: str, line: str) -> str:
    """hubble's reason for refusing a line ("" when it accepts it)."""
    completed = run_hubble(version, line)
    return completed.stderr.strip() if completed.returncode else ""


# (version, flow log, the line explain prints, the line it printed before, hubble's verdict on that
# old line: its refusal, or the different filters it built). Expectations from hubble itself.
ISSUE_CASES: list[tuple[str, dict[str, Any], str, str, str]] = [
    (
        "1.19",
        {"include": [{"source-ip": "10.0.0.0/8", "source-pod": "default/web"}]},
        """hubble observe --allowlist '{"source_ip":["10.0.0.0/8"],"source_pod":["default/web"]}'""",
        "hubble observe --from-ip 10.0.0.0/8 --from-pod default/web",
        "filters --from-ip and --from-pod cannot be combined",
    ),
    (
        "1.18",
        {"include": [{"source-pod": "a/x", "source-service": "b/y"}]},
        """hubble observe --allowlist '{"source_pod":["a/x"],"source_service":["b/y"]}'""",
        "hubble observe --from-pod a/x --from-service b/y",
        'namespace of service "b/y" conflict with pod "a"',
    ),
    (
        "1.17",
        {"include": [{"direction": "unknown"}]},
        """hubble observe --allowlist '{"traffic_direction":["TRAFFIC_DIRECTION_UNKNOWN"]}'""",
        "hubble observe --traffic-direction traffic_direction_unknown",
        "invalid traffic direction, expected ingress or egress",
    ),
    (
        "1.16",
        {"include": [{"interface": {"index": 5}}]},
        """hubble observe --allowlist '{"interface":[{"index":5}]}'""",
        "hubble observe --interface 5",
        '{"interface":[{"name":"5"}]}',
    ),
    (
        "1.19",
        {"include": [{"interface": {"name": "eth0", "index": 7}}]},
        """hubble observe --allowlist '{"interface":[{"name":"eth0","index":7}]}'""",
        "hubble observe --interface eth0",
        '{"interface":[{"name":"eth0"}]}',
    ),
    (
        "1.18",
        {"include": [{"source-workload": {"kind": "Deployment"}}]},
        "hubble observe --from-workload Deployment/",
        "hubble observe --from-workload Deployment",
        '{"source_workload":[{"name":"Deployment"}]}',
    ),
    (
        "1.19",
        {"exclude": [{"verdict": "dropped", "reply": True}]},
        """hubble observe --denylist '{"reply":[true],"verdict":["DROPPED"]}'""",
        "hubble observe --not --verdict DROPPED",
        '{"verdict":["DROPPED"]}',
    ),
    (
        "1.19",
        {"include": [{"ip-trace-id": 7, "encrypted": True}], "exclude": [{"encrypted": False}]},
        "hubble observe --ip-trace-id 7 --encrypted --not --unencrypted",
        "hubble observe",
        "",
    ),
    (
        "1.17",
        {"exclude": [{"verdict": "dropped"}, {"destination-port": 53}]},
        """hubble observe --denylist '{"verdict":["DROPPED"]}' --denylist '{"destination_port":["53"]}'""",
        "hubble observe --not --verdict DROPPED",
        '{"verdict":["DROPPED"]}',
    ),
    (
        "1.16",
        {"include": [{"dns-query": ".*\\.svc\\.cluster\\.local"}]},
        """hubble observe --allowlist '{"dns_query":[".*\\\\.svc\\\\.cluster\\\\.local"]}'""",
        "hubble observe",
        "",
    ),
]


@pytest.mark.parametrize(
    "case", ISSUE_CASES, ids=lambda case: case[3].removeprefix("hubble observe ") or case[2][15:40]
)
def test_issue_lines_are_exact_and_the_old_ones_were_not(
    case: tuple[str, dict[str, Any], str, str, str], run_cli: Any, tmp_path: Path
) -> None:
    version, body, expected, old, old_verdict = case
    flow_log = {"name": "case", "file": "stdout" if version == "1.19" else "/var/run/cilium/hubble/case.log", **body}
    path = write_profile(tmp_path, "case", profile_text(version, [flow_log]))
    ((sentence, line, note),) = explain_blocks(run_cli, path)
    assert line == expected
    assert "shows more flows" not in note and "cannot be given" not in note
    (entry,) = compile_named(str(path), tmp_path).parts["cilium"].values["flowLogs"]  # type: ignore[attr-defined]
    allow, deny = print_raw_filters(version, line)
    assert (canonical(allow), canonical(deny)) == (
        canonical(entry["includeFilters"]),
        canonical(entry["excludeFilters"]),
    )
    check_sentence(sentence, entry, load_tables(version))
    if old_verdict.startswith("{"):  # the old line ran, but built other filters
        built = print_raw_filters(version, old)
        assert json.loads(old_verdict) in built[0] + built[1] and (canonical(built[0]), canonical(built[1])) != (
            canonical(allow),
            canonical(deny),
        )
    elif old_verdict:
        assert old_verdict in refuses(version, old)
    else:  # the old line was a bare `hubble observe`: every flow
        assert print_raw_filters(version, old) == ([], [])


def test_sentences_say_what_is_compiled(run_cli: Any, tmp_path: Path) -> None:
    """The three contradictions of issue 21: a sub-type that is matched (match_sub_type is set,
    as `--type drop:133` sets it), a pod qualified by the filter's namespace, and a flow log whose
    records are aggregates (Cilium 1.19 aggregator.go: only the fieldAggregate fields, the time
    and the counts per direction)."""
    path = write_profile(
        tmp_path,
        "sentences",
        profile_text(
            "1.19",
            [
                {
                    "name": "drops",
                    "file": "stdout",
                    "include": [{"event-type": {"type": "drop", "sub-type": "policy-denied"}}],
                },
                {
                    "name": "shop",
                    "file": "/var/run/cilium/hubble/shop.log",
                    "include": [{"namespace": "shop", "pod": "web"}],
                },
                {
                    "name": "counts",
                    "file": "/var/run/cilium/hubble/counts.log",
                    "aggregate-fields": ["source.namespace", "verdict"],
                    "aggregation-interval": "30s",
                },
            ],
        ),
    )
    blocks = explain_blocks(run_cli, path)
    assert [line for _, line, _ in blocks] == [
        "hubble observe --type drop:133",
        "hubble observe --pod shop/web",
        "hubble observe",
    ]
    assert blocks[0][0] == (
        "drops: exports flows where event type is drop with sub-type policy-denied (133), to the agent's standard "
        "output (its container log), with all fields."
    )
    assert blocks[1][0] == (
        "shop: exports flows where (source pod is names starting with 'web' in namespace shop) or where "
        "(destination pod is names starting with 'web' in namespace shop), to /var/run/cilium/hubble/shop.log, with "
        "all fields."
    )
    assert blocks[2][0] == (
        "counts: exports every flow, to /var/run/cilium/hubble/counts.log, one record every 30s per group of flows "
        "with equal "
        "source.namespace, verdict, holding only those fields, the time of the group's first flow and its flow counts "
        "per direction (aggregate)."
    )
    entries = compile_named(str(path), tmp_path).parts["cilium"].values["flowLogs"]  # type: ignore[attr-defined]
    for (sentence, line, _), entry in zip(blocks, entries, strict=True):
        check_sentence(sentence, entry, load_tables("1.19"))
        assert (canonical(list(print_raw_filters("1.19", line)[0]))) == canonical(entry["includeFilters"])

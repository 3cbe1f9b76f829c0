"""The fuzz target of issues 13 and 22: hostile profiles, fleet files, validator inputs, preview
flows (plain and .gz), ConfigMap payloads (preview --config), import inputs, init names,
package descriptions, build-cache entries and file names offered by shell completion.

Each example is a file (or a few) written to a scratch repository and run through the CLI in
a forked child process, so a crash, a hang (> 2 s) or a memory blow-up (> 200 MB over the
parent) is caught and counted, never taken down with the run. An example passes when:

- the command exits 0 or 1 (never 70, the internal-error code, and never a traceback);
- nothing is written outside its place: `init` writes values/NAME.yaml for a valid NAME and
  nothing else, preview, import and package write nothing outside dist/ (an "escape");
- a packaged profile chart's description is the profile's, character for character;
- with every build-cache entry overwritten (alone, after a real entry's header, spliced into
  one), `render` prints exactly what it printed from a clean cache ("invalid" otherwise);
- a profile file name offered by bash completion runs nothing (an "escape"), and each offered
  word, read back by bash as a command line would be, is a profile name;
- a rejection (exit 1) names a position (`file:line:col: error:`) or, for validate, reports
  the document as failed;
- after a rejection chart/ and gitops/ are byte for byte what they were;
- an accepted profile (sampled) passes `flowlogs validate` (render, helm lint --strict,
  strict schemas), and template code in any string is never evaluated: a profile or fleet
  string `{{ printf "INJ%s" "ECTED" }}` never yields "INJECTED" in a rendered manifest or in
  the ApplicationSet.

`strategies()` are hypothesis strategies for the three kinds of input; `run_example` checks one.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import re
import resource
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

TIME_LIMIT_S = 2.0
MEMORY_LIMIT_KB = 200 * 1024
INJECTION = '{{ printf "INJ%s" "ECTED" }}'
EVALUATED = "INJECTED"
POSITIONED = re.compile(r"^\S+:\d+:\d+: error: ", re.M)
TRACEBACK = "Traceback (most recent call last)"

# Strings YAML, Helm, Go templates, shells and paths treat specially.
SPECIAL_STRINGS = [
    "y",
    "n",
    "yes",
    "no",
    "on",
    "off",
    "true",
    "null",
    "~",
    "",
    " ",
    "0x1F",
    "0o17",
    "1e3",
    ".nan",
    ".inf",
    "-1",
    "08",
    "2026-11-29",
    "1:20",
    "<<",
    "=",
    "-x",
    "--upload-pack=x",
    "a: b",
    "- a",
    "[a",
    "{a",
    "'",
    '"',
    "\\",
    "#",
    "&a",
    "*a",
    "!!int 3",
    "%",
    "@",
    "`",
    "|",
    ">",
    "\t",
    "\u2028",
    "\ufeff",
    "é",
    "日本",
    "a\nb",
    "{{",
    "}}",
    "{{ .Values }}",
    "{{ .cluster }}",
    INJECTION,
    '{{- fail "boom" }}',
    "$(id)",
    "../../etc/shadow",
    "/etc/ld.so.preload",
    "/proc/sysrq-trigger",
    "/var/run/cilium/hubble/x.log",
    "/dev/stdout",
    "stdout",
    "kube-system",
    "default",
    "web",
    "app=web",
    "a==b==c",
    "k8s:app=web",
    "reserved:world",
    "world",
    "policy-denied",
    "dropped",
    "forwarded",
    "egress",
    "ingress",
    "drop",
    "trace",
    "http",
    "tcp",
    "80",
    "99999",
    "65535",
    "1.17",
    "1.18",
    "9" * 30,
    "x" * 300,
]
SPECIAL_NUMBERS = [
    0,
    1,
    -1,
    80,
    65535,
    65536,
    2**31,
    2**32,
    2**63,
    2**64,
    -(2**63) - 1,
    10**30,
    1.5,
    float("nan"),
    float("inf"),
]


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(SPECIAL_STRINGS),
        st.text(max_size=24),
        st.sampled_from(SPECIAL_NUMBERS),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.booleans(),
        st.none(),
    )


def values(depth: int = 2) -> st.SearchStrategy[Any]:
    if depth == 0:
        return scalars()
    inner = values(depth - 1)
    return st.one_of(
        scalars(),
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(SPECIAL_STRINGS[:20] + ["a", "b"]), inner, max_size=3),
    )


def _filter_words() -> list[str]:
    from flowlogs.cilium.filters import FILTER_WORDS

    return sorted(FILTER_WORDS)


def _felix_words() -> list[str]:
    from flowlogs.calico.words import FELIX_KNOBS

    return [knob.word for knob in FELIX_KNOBS]


def profile_data() -> st.SearchStrategy[dict[str, Any]]:
    filters = st.dictionaries(st.sampled_from(_filter_words()), values(1), max_size=3)
    flow_log = st.fixed_dictionaries(
        {"name": st.one_of(st.sampled_from(["a", "drops", "y", "no"]), st.sampled_from(SPECIAL_STRINGS))},
        optional={
            "file": st.sampled_from(SPECIAL_STRINGS[-30:] + ["/var/run/cilium/hubble/a.log", "/var/log/x.log"]),
            "include": st.lists(filters, max_size=2),
            "exclude": st.lists(filters, max_size=2),
            "fields": st.lists(
                st.sampled_from(["time", "verdict", "source", "IP", "l4.TCP.source_port", "bogus", INJECTION]),
                max_size=3,
            ),
            "end": st.sampled_from(["2026-12-31T23:59:59Z", "2026-13-01", "end", INJECTION]),
            "allow-any-path": st.booleans(),
        },
    )
    cilium = st.fixed_dictionaries(
        {"flow-logs": st.lists(flow_log, min_size=1, max_size=2)},
        optional={
            "version": st.sampled_from(["1.16", "1.17", "1.18", "1.19", "1.15", INJECTION]),
            "config-map": st.fixed_dictionaries(
                {}, optional={"name": st.sampled_from(SPECIAL_STRINGS), "namespace": st.sampled_from(SPECIAL_STRINGS)}
            ),
        },
    )
    calico = st.fixed_dictionaries(
        {},
        optional={
            "felix": st.dictionaries(st.sampled_from(_felix_words()), scalars(), max_size=3),
            "cluster": st.fixed_dictionaries(
                {}, optional={"nodes": scalars(), "log-storage-size": scalars(), "retention-days": scalars()}
            ),
            "workloads": st.lists(
                st.fixed_dictionaries(
                    {
                        "kind": st.sampled_from(["Deployment", "Pod", INJECTION]),
                        "namespace": st.sampled_from(SPECIAL_STRINGS),
                        "name": scalars(),
                    }
                ),
                max_size=2,
            ),
            "sidecar-injection": st.sampled_from(["on", "off", True, INJECTION]),
        },
    )
    return st.fixed_dictionaries({}, optional={"description": scalars(), "cilium": cilium, "calico": calico})


def fleet_data() -> st.SearchStrategy[dict[str, Any]]:
    strings = st.one_of(st.sampled_from(SPECIAL_STRINGS), st.text(max_size=16))
    gitops = st.fixed_dictionaries(
        {},
        optional={
            "repo-url": st.one_of(
                st.sampled_from(
                    [
                        "https://git.example.com/x.git",
                        "git@host:org/x.git",
                        "-oProxyCommand=x@h:y",
                        "https://h/{{ .cluster }}.git",
                    ]
                ),
                strings,
            ),
            "revision": st.one_of(
                st.sampled_from(["main", "HEAD", "v1.2.0", "main\n", " ", "-x", "a..b", "main" + INJECTION]), strings
            ),
            "chart-path": st.one_of(
                st.sampled_from(["chart", "chart/{{ .cluster }}", "../x", "/abs", " chart"]), strings
            ),
            "release-name": strings,
            "project": strings,
            "destination": st.fixed_dictionaries({}, optional={"server": strings, "namespace": strings}),
        },
    )
    cluster = st.fixed_dictionaries(
        {
            "name": st.one_of(st.sampled_from(["dev-1", "prod"]), strings),
            "server": st.one_of(st.just("https://dev-1.example.com:6443"), strings),
            "profile": st.sampled_from(["p", "missing", INJECTION]),
        },
        optional={
            "description": strings,
            "overrides": st.dictionaries(
                st.sampled_from(["cilium-namespace", "calico", "cilium", "nodes", INJECTION]), scalars(), max_size=2
            ),
        },
    )
    return st.fixed_dictionaries({"gitops": gitops}, optional={"clusters": st.lists(cluster, max_size=2)})


def document_data() -> st.SearchStrategy[Any]:
    kinds = st.sampled_from(
        [
            ("v1", "ConfigMap"),
            ("apps/v1", "Deployment"),
            ("argoproj.io/v1alpha1", "Application"),
            ("v1", "List"),
            ("x/y", "Z"),
            ("v1", INJECTION),
        ]
    )
    return kinds.flatmap(
        lambda kind: st.fixed_dictionaries(
            {
                "apiVersion": st.just(kind[0]),
                "kind": st.just(kind[1]),
                "metadata": st.fixed_dictionaries(
                    {"name": scalars()}, optional={"namespace": scalars(), "labels": values(1)}
                ),
            },
            optional={"data": values(2), "spec": values(2), "items": st.lists(values(1), max_size=2)},
        )
    )


# ---------------------------------------------------------------- raw text: valid YAML, mutated, or hostile


def hostile_texts() -> st.SearchStrategy[bytes]:
    bomb = "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
    return st.sampled_from(
        [
            ('a: &a ["x","x","x","x","x","x","x","x","x"]\n' + bomb).encode(),
            b"a: &a [*a]\n",
            ("a: " + "[" * 5000 + "]" * 5000 + "\n").encode(),
            ("a:\n" + "".join("  " * i + "- \n" for i in range(400))).encode(),
            b"x: &x {a: 1}\ny: {<<: *x}\n",
            b'description: "a\x00b"\n',
            b"description: caf\xe9\n",
            b"\xff\xfe\x00\x00",
            ("description: " + "9" * 5000 + "\n").encode(),
            b"description: !!python/object/apply:os.system ['id']\n",
            b"description: !!binary aGVsbG8=\n",
            b"%YAML 1.1\n---\ndescription: x\n",
            b"--- a\n--- b\n",
            b"? [a, b]\n: c\n",
            b"{[a]: b}\n",
            b"description: *undefined\n",
            b"\t- a\n",
            ("# " + "c" * 200 + "\n").encode() * 200,
        ]
    )


def encoded(data: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """Data as YAML text, sometimes mutated byte by byte, or a hostile text."""

    def dump(value: Any) -> bytes:
        return yaml.safe_dump(value, allow_unicode=True, sort_keys=False).encode("utf-8")

    def mutate(pair: tuple[bytes, list[tuple[int, bytes]]]) -> bytes:
        text, edits = pair
        buffer = bytearray(text)
        for position, insert in edits:
            at = position % (len(buffer) + 1)
            buffer[at:at] = insert
        return bytes(buffer)

    plain = data.map(dump)
    edits = st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10_000),
            st.sampled_from(
                [
                    b":",
                    b"\n",
                    b"  ",
                    b"-",
                    b"{",
                    b"[",
                    b"'",
                    b'"',
                    b"&a ",
                    b"*a",
                    b"\x00",
                    b"\xc3",
                    b"{{",
                    b"#",
                    b"!!str ",
                ]
            ),
        ),
        min_size=1,
        max_size=3,
    )
    return st.one_of(plain, plain, st.tuples(plain, edits).map(mutate), hostile_texts())


# ---------------------------------------------------------------- issue 22: preview flows, ConfigMap payloads, import,
# init, package


def _json_values(depth: int = 2) -> st.SearchStrategy[Any]:
    json_scalars = st.one_of(
        st.sampled_from(SPECIAL_STRINGS),
        st.integers(min_value=-(2**65), max_value=2**65),
        st.booleans(),
        st.none(),
        st.floats(allow_nan=False, allow_infinity=False),
    )
    if depth == 0:
        return json_scalars
    inner = _json_values(depth - 1)
    return st.one_of(
        json_scalars,
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(FLOW_FIELDS + ["a"]), inner, max_size=3),
    )


# Fields of flow.Flow the filters read, in both spellings, and the envelope's.
FLOW_FIELDS = [
    "source",
    "destination",
    "time",
    "verdict",
    "l4",
    "IP",
    "event_type",
    "traffic_direction",
    "drop_reason_desc",
    "Summary",
    "source_names",
    "destination_names",
    "labels",
    "namespace",
    "pod_name",
    "TCP",
    "UDP",
    "source_port",
    "destination_port",
    "node_name",
    "nodeName",
    "is_reply",
    "l7",
    "http",
    "code",
    "method",
    "url",
    "flags",
    "type",
    "sub_type",
    "identity",
]
GOOD_FLOW = {
    "time": "2026-01-01T00:00:00Z",
    "verdict": "DROPPED",
    "event_type": {"type": 5},
    "traffic_direction": "EGRESS",
    "source": {"namespace": "shop", "labels": ["k8s:app=web"], "pod_name": "web-1"},
    "l4": {"TCP": {"destination_port": 80}},
}


def flow_lines() -> st.SearchStrategy[bytes]:
    """JSON lines of flows: good ones, fields of every JSON type, envelopes, non-objects, broken JSON."""
    import json

    flow = st.one_of(
        st.just(GOOD_FLOW),
        st.dictionaries(st.sampled_from(FLOW_FIELDS), _json_values(2), max_size=4),
        st.builds(
            lambda extra: {**GOOD_FLOW, **extra},
            st.dictionaries(st.sampled_from(FLOW_FIELDS), _json_values(1), max_size=2),
        ),
    )
    event = st.one_of(
        flow.map(lambda f: {"flow": f, "node_name": "n", "time": f.get("time", "") if isinstance(f, dict) else ""}),
        flow.map(lambda f: {"flow": f}),
        flow,
        st.builds(lambda t, f: {"time": t, "flow": f, "node_name": "n"}, _json_values(1), _json_values(1)),
        _json_values(1),
    )
    line = st.one_of(
        event.map(lambda e: json.dumps(e).encode()),
        st.sampled_from(
            [
                b"",
                b"   ",
                b"{",
                b'{"flow":',
                b"[]",
                b"null",
                b'"x"',
                b"\xff\xfe",
                b'{"flow":{"verdict":"\\u0044ROPPED"}}',
            ]
        ),
    )
    return st.lists(line, min_size=1, max_size=6).map(lambda lines: b"\n".join(lines) + b"\n")


def gzipped_flows() -> st.SearchStrategy[bytes]:
    import gzip

    def corrupt(pair: tuple[bytes, int]) -> bytes:
        data, at = bytearray(gzip.compress(pair[0])), pair[1]
        data[at % len(data)] ^= 0xFF
        return bytes(data)

    return st.one_of(
        flow_lines().map(gzip.compress),
        st.tuples(flow_lines(), st.integers(min_value=10, max_value=200)).map(corrupt),
        st.sampled_from(
            [
                functools.partial(_gzip_bomb, b"\n", 30_000_000),
                functools.partial(_gzip_bomb, b"x", 30_000_000),
                functools.partial(_gzip_bomb, b"{}\n", 10_000_000),
                lambda: b"\x1f\x8b",
                lambda: b"not gzip",
            ]
        ).map(lambda make: make()),
    )


@functools.cache
def _gzip_bomb(unit: bytes, count: int) -> bytes:
    """Compressed when an example first draws it, not for every run (~0.1 s each)."""
    import gzip

    return gzip.compress(unit * count)


def configmap_payloads() -> st.SearchStrategy[bytes]:
    """A ConfigMap whose data.flowlogs.yaml is a flowlogs.yaml (as data, mutated) or a hostile text."""
    import json

    flow_log = st.fixed_dictionaries(
        {"name": st.one_of(st.just("a"), st.sampled_from(SPECIAL_STRINGS))},
        optional={
            "filePath": st.sampled_from(["stdout", "/var/run/cilium/hubble/a.log", "", "x"]),
            "includeFilters": _json_values(2),
            "excludeFilters": _json_values(2),
            "fieldMask": _json_values(1),
            "end": _json_values(0),
            "fileCompress": _json_values(0),
        },
    )
    document = st.one_of(st.fixed_dictionaries({"flowLogs": st.lists(flow_log, max_size=2)}), _json_values(2))
    payload = st.one_of(
        encoded(document).map(lambda b: b.decode("utf-8", "replace")),
        hostile_texts().map(lambda b: b.decode("utf-8", "replace")),
    )
    return st.tuples(payload, _json_values(0)).map(
        lambda pair: json.dumps(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "cilium-flowlog-config"},
                "data": {"flowlogs.yaml": pair[0]},
            }
        ).encode()
    )


def import_inputs() -> st.SearchStrategy[bytes]:
    """What `import` reads: a ConfigMap, a flowlogs.yaml, Cilium Helm values or Calico resources, as data or mutated."""
    helm = st.fixed_dictionaries(
        {
            "hubble": st.fixed_dictionaries(
                {
                    "export": st.fixed_dictionaries(
                        {},
                        optional={
                            "dynamic": st.fixed_dictionaries(
                                {
                                    "enabled": st.booleans(),
                                    "config": st.fixed_dictionaries({"content": _json_values(2)}),
                                }
                            ),
                            "static": st.dictionaries(
                                st.sampled_from(["enabled", "filePath", "allowList", "denyList", "fieldMask"]),
                                _json_values(1),
                                max_size=3,
                            ),
                        },
                    )
                }
            )
        }
    )
    felix = st.fixed_dictionaries(
        {
            "apiVersion": st.just("projectcalico.org/v3"),
            "kind": st.just("FelixConfiguration"),
            "metadata": st.just({"name": "default"}),
            "spec": st.dictionaries(
                st.sampled_from(
                    ["l7LogsFlushInterval", "l7LogsFileEnabled", "l7LogsFileAggregationHTTPHeaderInfo", "x"]
                ),
                scalars(),
                max_size=3,
            ),
        }
    )
    return st.one_of(
        configmap_payloads(),
        encoded(helm),
        encoded(felix),
        encoded(st.fixed_dictionaries({"flowLogs": _json_values(2)})),
    )


INIT_NAMES = [
    "../x",
    "/abs/path",
    "a/b",
    "fleet",
    "x\n",
    "a" * 300,
    "a" * 54,
    "-x",
    ".",
    "..",
    "",
    "ok-name",
    "x.yaml",
    "values",
    "~",
    "$(id)",
    "a b",
    "UPPER",
    "é",
]


def init_names() -> st.SearchStrategy[bytes]:
    return st.one_of(st.sampled_from(INIT_NAMES), st.text(max_size=60).filter(lambda t: "\x00" not in t)).map(
        lambda t: t.encode("utf-8", "surrogatepass")
    )


DESCRIPTIONS = [
    "\\d",
    "\\g<0>",
    "\\1",
    "\\n",
    "\\\\",
    "a\nb",
    "\\ud800",
    "{{ .Values }}",
    INJECTION,
    "description: x",
    "# x",
    "x" * 300,
    "'",
    '"',
    "\t",
]


def package_profiles() -> st.SearchStrategy[bytes]:
    """A profile whose description is anything: regex replacement escapes, escapes YAML turns into surrogates."""
    import json

    description = st.one_of(st.sampled_from(DESCRIPTIONS), st.text(max_size=40), scalars())
    quoted = st.one_of(
        description.map(lambda d: json.dumps(d) if isinstance(d, str) else yaml.safe_dump(d).split("\n")[0]),
        st.sampled_from(['"\\ud800"', '"\\udfff x"', '"\\x00"', '"\\N"']),
    )
    return quoted.map(lambda text: f"description: {text}\n{BASE_PROFILE}".encode("utf-8", "surrogatepass"))


def cache_entries() -> st.SearchStrategy[bytes]:
    """What a planted or damaged cache entry may hold: JSON of any shape, hostile text, bytes, and
    a pickle that would create a file (pickle.dumps of os.system-like reduce is not needed: the
    opcode stream alone must never be executed)."""
    pickle_payload = b"cos\nsystem\n(S'touch PWNED'\ntR."
    return st.one_of(
        encoded(_json_values(3)), hostile_texts(), st.binary(max_size=2048), st.just(pickle_payload), st.just(b"")
    )


COMPLETION_NAMES = [
    "$(touch PWNED)",
    "`touch PWNED`",
    "a;touch PWNED",
    "a b",
    "'",
    '"',
    "\\",
    "*",
    "[ab]?",
    "-x",
    "--help",
    "a\nb",
    "$HOME",
    "~",
    "!x",
    "a|b",
    "a&b",
    "{a,b}",
]


def completion_names() -> st.SearchStrategy[bytes]:
    alphabet = st.characters(blacklist_characters="/\0", blacklist_categories=("Cs",))
    name = st.one_of(
        st.sampled_from(COMPLETION_NAMES),
        st.text(alphabet, min_size=1, max_size=40),
        st.builds("".join, st.lists(st.sampled_from(COMPLETION_NAMES), min_size=1, max_size=3)),
    )
    return name.filter(lambda n: n not in (".", "..") and len(n.encode()) < 200).map(lambda n: n.encode("utf-8"))


def strategies() -> dict[str, st.SearchStrategy[bytes]]:
    return {
        "profile": encoded(profile_data()),
        "fleet": encoded(fleet_data()),
        "documents": encoded(document_data()),
        "flows": flow_lines(),
        "flows.gz": gzipped_flows(),
        "configmap": configmap_payloads(),
        "import": import_inputs(),
        "init": init_names(),
        "package": package_profiles(),
        "cache": cache_entries(),
        "completion": completion_names(),
    }


KINDS = (
    "profile",
    "fleet",
    "documents",
    "flows",
    "flows.gz",
    "configmap",
    "import",
    "init",
    "package",
    "cache",
    "completion",
)


# ---------------------------------------------------------------- running one example


@dataclass
class Outcome:
    kind: str
    # "accepted", "rejected", "traceback", "internal error", "escape", "hang", "memory", "unpositioned", "partial
    # write", "evaluated", "invalid"
    status: str
    seconds: float = 0.0
    memory_kb: int = 0
    detail: str = ""
    validated: bool = False  # an accepted profile or fleet file also rendered, linted (--strict) and validated


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, *statuses: str) -> int:
        return sum(outcome.status in statuses for outcome in self.outcomes)

    def report(self) -> str:
        failures = [o for o in self.outcomes if o.status not in ("accepted", "rejected")]
        memory = sorted(o.memory_kb for o in self.outcomes) or [0]
        seconds = sorted(o.seconds for o in self.outcomes) or [0.0]
        per_kind = ", ".join(f"{kind} {sum(o.kind == kind for o in self.outcomes)}" for kind in KINDS)
        lines = [
            f"examples run: {len(self.outcomes)} ({per_kind})",
            f"rejected with a positioned error: {self.count('rejected')} (validator inputs: reported as failed "
            "documents)",
            f"accepted and valid: {self.count('accepted')} (of them rendered + helm lint --strict + strict schemas: "
            f"{sum(o.validated and o.status == 'accepted' for o in self.outcomes)})",
            f"tracebacks: {self.count('traceback')}",
            f"internal errors (exit 70): {self.count('internal error')}",
            f"escapes (a file written outside its place, or through a link): {self.count('escape')}",
            f"hangs: {self.count('hang')}",
            f"partial writes: {self.count('partial write')}",
            f"over the memory limit: {self.count('memory')}",
            f"template code evaluated: {self.count('evaluated')}",
            f"rejected without a position: {self.count('unpositioned')}",
            f"accepted but invalid: {self.count('invalid')}",
            f"peak memory per example (KB over the parent): median {memory[len(memory) // 2]}, max {memory[-1]}",
            f"time per example (s): median {seconds[len(seconds) // 2]:.3f}, max {seconds[-1]:.3f}",
        ]
        lines += [f"  FAILED {o.kind} {o.status}: {o.detail[-900:]}" for o in failures[:10]]
        return "\n".join(lines)


BASE_PROFILE = "cilium:\n  flow-logs:\n    - name: base\n"
BASE_FLEET = (
    "gitops:\n  repo-url: https://git.example.com/x.git\n  revision: main\nclusters:\n  - name: dev-1\n    server: "
    "https://dev-1.example.com:6443\n    profile: p\n"
)


# The profile `preview` runs the fuzzed flows through: filters that read many fields of a flow.
PREVIEW_PROFILE = """\
cilium:
  version: "1.19"
  flow-logs:
    - name: many
      file: stdout
      include:
        - verdict: dropped
          source-label: k8s:app=web
          namespace: shop
        - port: 80
          protocol: tcp
          direction: egress
        - http-status: "5+"
          pod: web-
        - event-type: {type: drop}
          node-name: n
      exclude:
        - reply: true
      fields: [time, verdict, source, l4, IP]
"""
GOOD_FLOWS = (
    b'{"flow":{"time":"2026-01-01T00:00:00Z","verdict":"DROPPED","source":{"namespace":"shop",'
    b'"labels":["k8s:app=web"]}},"node_name":"n","time":"2026-01-01T00:00:00Z"}\n'
)
# Where each new kind's input goes, its command, and how a rejection must name the input.
_INPUTS = {
    "flows": "flows.json",
    "flows.gz": "flows.json.gz",
    "configmap": "config.yaml",
    "import": "import.yaml",
    "package": "values/p.yaml",
}
_NAMED = {
    "flows": re.compile(r"^flowlogs: error: \S*flows\.json(:\d+)?: ", re.M),
    "flows.gz": re.compile(r"^flowlogs: error: \S*flows\.json\.gz(:\d+)?: ", re.M),
    "configmap": re.compile(r"^flowlogs: error: [^\0]*config\.yaml"),  # the file, on the first line or a later one
    "import": re.compile(r"^flowlogs: error: [^\0]*import\.yaml"),
    "init": re.compile(r"^flowlogs: error: ", re.M),
    "package": POSITIONED,
}


def _entries(root: Path) -> set[str]:
    """Every path below the scratch directory, but the profile directory and the package output."""
    scratch = root.parent
    return {
        str(p.relative_to(scratch)) + ("@" if p.is_symlink() else "")
        for p in scratch.rglob("*")
        if not str(p.relative_to(root) if p.is_relative_to(root) else "").startswith(("values", "dist", "cache"))
    }


def _child_cache(root: Path, content: bytes) -> tuple[str, str]:
    """Every kept entry overwritten, then `render p`: the same output as from a clean cache, and nothing run."""
    entries = sorted(path for path in (root / "cache").rglob("*") if path.is_file())
    if not entries:
        return "invalid", "prepare_repository kept no cache entry"
    for index, entry in enumerate(entries):
        good = entry.read_bytes()
        header, _, _ = good.partition(b"\n")
        damaged = (content, header + b"\n" + content, good[: len(good) // 2] + content + good[len(good) // 2 :])[
            index % 3
        ]
        entry.write_bytes(damaged)
    code, out, err = _cli(
        ["--debug", "--values-dir", str(root / "values"), "--chart-dir", str(root / "chart"), "render", "p"]
    )
    if code == 70:
        return "internal error", err[-500:]
    if TRACEBACK in err or code != 0:
        return "traceback", err[-500:]
    if out != (root / "render.expected").read_text(encoding="utf-8"):
        return "invalid", "render from damaged cache entries differs from a clean render"
    return "accepted", ""


def _child_completion(root: Path, content: bytes) -> tuple[str, str]:
    """A profile file named `content`, then Tab after `flowlogs render ` in bash."""
    import subprocess

    name = content.decode("utf-8")
    try:
        (root / "values" / f"{name}.yaml").write_text(BASE_PROFILE)
    except OSError as error:
        return "rejected", str(error)
    script = _cli(["completion", "bash"])[1]
    press_tab = (
        'COMP_WORDS=(flowlogs render ""); COMP_CWORD=2; COMP_LINE="flowlogs render "; COMP_POINT=${#COMP_LINE}; '
        '_flowlogs; printf "%s\\0" "${COMPREPLY[@]}"'
    )
    offered = subprocess.run(
        ["bash", "--norc", "-c", script + "\n" + press_tab], cwd=root, capture_output=True, timeout=10, check=False
    )
    if offered.returncode != 0:
        return "traceback", offered.stderr.decode(errors="replace")[-300:]
    words = [w.decode("utf-8", "surrogateescape") for w in offered.stdout.split(b"\0") if w]
    profiles = {path.name.removesuffix(".yaml") for path in (root / "values").glob("*.yaml")}
    paths = {entry.name + ("/" if entry.is_dir() else "") for entry in root.iterdir()}  # a profile may be given by path
    read_back = set()
    for word in words:  # what Tab inserts, as bash reads the command line it lands in
        parsed = subprocess.run(
            ["bash", "--norc", "-c", 'eval "set -- $1"; printf "%s\\0" "$@"', "_", word],
            cwd=root,
            capture_output=True,
            timeout=10,
            check=False,
        )
        read_back.update(w.decode("utf-8", "surrogateescape") for w in parsed.stdout.split(b"\0") if w)
    if not read_back <= profiles | paths:
        return "invalid", f"offered {sorted(read_back - profiles - paths)!r}, neither profile names nor files here"
    if "\n" not in name and name not in read_back:
        return "invalid", f"{name!r} not offered (offered {words!r})"
    return "accepted", ""


def _child_new(kind: str, root: Path, content: bytes) -> tuple[str, str]:
    """The new surfaces (issue 22): preview flows and ConfigMap payloads, import, init names, package descriptions."""
    values = root / "values"
    before = _entries(root)
    profiles_before = set(os.listdir(values))
    base = ["--debug", "--values-dir", str(values), "--chart-dir", str(root / "chart")]
    name = ""
    if kind in ("flows", "flows.gz"):
        argv = [*base, "preview", str(root / "preview.yaml"), "--flows", str(root / _INPUTS[kind])]
    elif kind == "configmap":
        argv = [*base, "preview", "--config", str(root / "config.yaml"), "--flows", str(root / "good.json")]
    elif kind == "import":
        argv = [*base, "import", str(root / "import.yaml")]
    elif kind == "init":
        name = content.decode("utf-8", "surrogatepass")
        argv = [*base, "init", "--cilium", "1.19", "--", name]
    else:
        argv = [*base, "package", "--output-dir", str(root / "dist"), "p"]
    code, out, err = _cli(argv)
    if code == 70:
        return "internal error", err[-500:]
    if TRACEBACK in err or code not in (0, 1):
        return "traceback", err[-500:]
    if _entries(root) != before:
        return "escape", f"{sorted(_entries(root) ^ before)[:5]}"
    added = set(os.listdir(values)) - profiles_before
    if kind == "init":
        from flowlogs.profile import is_profile_name

        expected = {f"{name}.yaml"} if code == 0 else set()
        if added != expected or (code == 0 and not is_profile_name(name)):
            return "escape", f"init {name!r} wrote {sorted(added)}"
    elif added:
        return "escape", f"{kind} wrote {sorted(added)} into values/"
    if kind == "package":
        leftovers = [p.name for p in (root / "dist").glob(".*")] if (root / "dist").is_dir() else []
        if leftovers:
            return "partial write", f"{leftovers}"
        if code == 0:
            import tarfile

            description = yaml.safe_load(content)["description"]
            shown = (
                ""
                if description is None
                else " ".join(str(description).split())
                if not isinstance(description, bool)
                else str(description).lower()
            )
            (archive_path,) = (root / "dist").glob("flowlogs-p-*.tgz")  # the profile chart's own version
            with tarfile.open(archive_path) as archive:
                member = archive.extractfile("flowlogs-p/Chart.yaml")
                assert member is not None
                written = yaml.safe_load(member.read())["description"]
            if shown and written != f"flowlogs profile p: {shown}":
                return "invalid", f"description {description!r} packaged as {written!r}"
    if code == 1:
        if not _NAMED[kind].search(err):
            return "unpositioned", err[-300:]
        return "rejected", ""
    if EVALUATED in out:
        return "evaluated", out[-300:]
    return "accepted", ""


def _digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        digest.update(str(path.relative_to(directory)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def prepare_repository(root: Path) -> None:
    """A repository whose chart/ and gitops/ were generated from a known-good profile and fleet.

    Made once per `root`, then restored from a copy (the same bytes and times: generating again
    after every accepted example cost ~0.3 s each)."""
    from flowlogs.cli import main

    good = root.with_name(root.name + ".good")
    os.environ["FLOWLOGS_CACHE_DIR"] = str(root / "cache")
    shutil.rmtree(root, ignore_errors=True)
    if good.is_dir():
        shutil.copytree(good, root, symlinks=True)
        return
    (root / "values").mkdir(parents=True)
    (root / "values" / "p.yaml").write_text(BASE_PROFILE)
    (root / "values" / "fleet.yaml").write_text(BASE_FLEET)
    (root / "preview.yaml").write_text(PREVIEW_PROFILE)
    (root / "good.json").write_bytes(GOOD_FLOWS)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["--values-dir", str(root / "values"), "--chart-dir", str(root / "chart"), "generate"]) == 0
    # The build cache of the examples: what one `render p` keeps, a copy to restore it from, its
    # output. Rendered in a process of its own: Helm's engine starts Go's runtime, whose threads a
    # forked example would inherit broken.
    import subprocess

    rendered = subprocess.run(
        [
            sys.executable,
            "-m",
            "flowlogs",
            "--values-dir",
            str(root / "values"),
            "--chart-dir",
            str(root / "chart"),
            "render",
            "p",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (root / "render.expected").write_text(rendered, encoding="utf-8")
    shutil.copytree(root / "cache", root / "cache.good")
    shutil.copytree(root, good, symlinks=True)


def _cli(argv: list[str]) -> tuple[int, str, str]:
    from flowlogs.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def _child(kind: str, root: Path, deep_check: bool, content: bytes = b"") -> tuple[str, str]:
    """Runs in the forked child: the command, then the checks; returns (status, detail)."""
    values, chart, gitops = root / "values", root / "chart", root / "gitops"
    if kind == "cache":
        return _child_cache(root, content)
    if kind == "completion":
        before = _entries(root)
        status, detail = _child_completion(root, content)
        return ("escape", f"{sorted(_entries(root) ^ before)[:5]}") if _entries(root) != before else (status, detail)
    if kind not in ("profile", "fleet", "documents"):
        return _child_new(kind, root, content)
    if kind == "documents":
        # The validator's API, not the CLI: the CLI would render the profile's chart for every example.
        from flowlogs.validate import ValidateOptions, run_validate

        report = io.StringIO()
        options = ValidateOptions(
            chart_dir=chart,
            targets=(),
            extra_documents=(("documents", root / "input.yaml"),),
            auto_binaries=False,
            output="json",
        )
        code = run_validate(options, report)
        return ("accepted" if code == 0 else "rejected"), ""
    before = _digest(chart) + _digest(gitops)
    code, out, err = _cli(["--debug", "--values-dir", str(values), "--chart-dir", str(chart), "generate"])
    if code == 70:
        return "internal error", err[-500:]
    if TRACEBACK in err or code not in (0, 1):
        return "traceback", err[-500:]
    if code == 1:
        if _digest(chart) + _digest(gitops) != before:
            return "partial write", err[-300:]
        if not POSITIONED.search(err):
            return "unpositioned", err[-300:]
        return "rejected", ""
    applicationset = (gitops / "applicationset.yaml").read_text() if (gitops / "applicationset.yaml").exists() else ""
    if EVALUATED in applicationset:
        return "evaluated", "the ApplicationSet"
    if deep_check:
        for profile in sorted(p.stem for p in values.glob("*.yaml") if p.stem != "fleet"):
            code, rendered, err = _cli(["--values-dir", str(values), "--chart-dir", str(chart), "render", profile])
            if code != 0 or EVALUATED in rendered:
                return ("evaluated" if EVALUATED in rendered else "invalid"), f"render {profile}: {err[-300:]}"
            code, report, err = _cli(
                ["--values-dir", str(values), "--chart-dir", str(chart), "validate", profile, "--embedded-only"]
            )
            if code != 0:
                return "invalid", f"validate {profile}: {(report + err)[-400:]}"
    return "accepted", ""


def run_example(
    kind: str, content: bytes, root: Path, *, deep_check: bool, time_limit: float = TIME_LIMIT_S
) -> Outcome:
    """Write the example into the repository at `root` (prepared once), run it in a child, restore."""
    target = {
        "profile": root / "values" / "p.yaml",
        "fleet": root / "values" / "fleet.yaml",
        "documents": root / "input.yaml",
    }.get(kind)
    if target is None and kind in _INPUTS:
        target = root / _INPUTS[kind]
    if target is not None:
        target.write_bytes(content)
    read_end, write_end = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        try:
            status, detail = _child(kind, root, deep_check, content)
        except BaseException as error:  # noqa: BLE001 - anything escaping the CLI is what we count
            status, detail = "traceback", f"{type(error).__name__}: {error}"
        os.write(write_end, f"{status}\n{detail}".encode("utf-8", errors="replace"))
        os._exit(0)
    os.close(write_end)
    status, detail = "hang", ""
    waited_status, usage = 0, None
    while True:
        waited, waited_status, usage = os.wait4(pid, os.WNOHANG)
        if waited:
            break
        if time.monotonic() - started > time_limit:
            os.kill(pid, signal.SIGKILL)
            _, waited_status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.002)
    seconds = time.monotonic() - started
    with os.fdopen(read_end, "rb") as stream:
        message = stream.read().decode("utf-8", errors="replace")
    if message:
        status, _, detail = message.partition("\n")
    elif os.WIFSIGNALED(waited_status) and seconds <= time_limit:
        status, detail = "traceback", f"killed by signal {os.WTERMSIG(waited_status)}"
    memory = max(0, (usage.ru_maxrss if usage else 0) - _PARENT_RSS_KB[0])
    if memory > MEMORY_LIMIT_KB and status in ("accepted", "rejected"):
        status, detail = "memory", f"{memory} KB"
    # Restore the known-good inputs (a rejected example left the trees as they were).
    (root / "values" / "p.yaml").write_text(BASE_PROFILE)
    (root / "values" / "fleet.yaml").write_text(BASE_FLEET)
    for extra in (root / "values").iterdir():  # what init wrote
        if extra.name not in ("p.yaml", "fleet.yaml"):
            extra.unlink()
    shutil.rmtree(root / "dist", ignore_errors=True)
    shutil.rmtree(root / "cache", ignore_errors=True)
    shutil.copytree(root / "cache.good", root / "cache")
    if status == "accepted" and kind in ("profile", "fleet"):
        prepare_repository(root)
    if status not in ("accepted", "rejected"):
        detail = f"{detail} <- input {content[:300]!r}"
    return Outcome(
        kind, status, seconds, memory, detail if status not in ("accepted", "rejected") else "", validated=deep_check
    )


_PARENT_RSS_KB = [0]


def measure_parent() -> None:
    """The parent's resident size: a forked child starts with it (ru_maxrss counts it)."""
    _PARENT_RSS_KB[0] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_many(count: int, root: Path, *, deep_every: int, seed: int = 13, time_limit: float = TIME_LIMIT_S) -> Tally:
    """`count` examples (profiles, fleet files and validator inputs in turn) from a fixed seed.

    `time_limit` is a hang's threshold; `make test` gives a loaded machine more slack than `make fuzz`.
    """
    from hypothesis import HealthCheck, Phase, given, settings

    prepare_repository(root)
    measure_parent()
    tally = Tally()
    examples = st.one_of(*(st.tuples(st.just(kind), strategy) for kind, strategy in strategies().items()))

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(examples)
    def one(example: tuple[str, bytes]) -> None:
        kind, content = example
        accepted_so_far = sum(o.status == "accepted" and o.kind in ("profile", "fleet") for o in tally.outcomes)
        outcome = run_example(kind, content, root, deep_check=False, time_limit=time_limit)
        if outcome.status == "accepted" and kind in ("profile", "fleet") and accepted_so_far % deep_every == 0:
            outcome = run_example(kind, content, root, deep_check=True, time_limit=time_limit)
        tally.outcomes.append(outcome)

    from hypothesis import seed as with_seed

    with_seed(seed)(one)()
    return tally


if __name__ == "__main__":
    sys.exit("run tests/fuzz/run_fuzz.py (make fuzz)")

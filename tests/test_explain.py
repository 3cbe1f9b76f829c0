"""`flowlogs explain`: a sentence per flow log, the `hubble observe` line to try it live, the compiled output.

Every command line below is also run by hubble itself in tests/test_explain_oracle.py (with
`--print-raw-filters`, by the hubble of the profile's Cilium version), which checks that it
builds exactly the compiled filters; here the lines are pinned as users see them.
"""

from __future__ import annotations

from conftest import VALUES, write_profile


def test_explains_the_seed_profile(run_cli):
    result = run_cli("--values-dir", str(VALUES), "explain", "cilium-exporter")
    assert result.code == 0, result.err
    assert (
        "egress-traffic-blocking: exports flows where direction is egress and event type is drop of any sub-type "
        "(sub-type policy-deny (181) is ignored without match-sub-type), to the agent's standard output (its container "
        "log), with all fields."
    ) in result.out
    assert (
        "  Try it live first (hubble 1.17):\n    hubble observe --traffic-direction egress --type drop\n" in result.out
    )
    assert "      - event_type:\n        - type: 1\n          sub_type: 181\n" in result.out


def test_explains_a_profile_given_by_path(run_cli, tmp_path):
    path = write_profile(
        tmp_path,
        "web",
        "cilium:\n  flow-logs:\n    - name: web\n      include:\n"
        "        - {source-pod: shop/web, event-type: {type: drop, sub-type: policy-denied, match-sub-type: true}}\n"
        "      exclude:\n        - {destination-port: 53}\n      fields: [time, verdict]\n",
    )
    result = run_cli("explain", str(path))
    assert result.code == 0, result.err
    assert (
        "web: exports flows where source pod is names starting with 'web' in namespace shop and event type is drop "
        "with sub-type "
        "policy-denied (133), except flows where destination port is 53, to /var/run/cilium/hubble/events.log (the "
        "default), "
        "with the fields time, verdict."
    ) in result.out
    assert "    hubble observe --from-pod shop/web --type drop:133 --not --to-port 53\n" in result.out


def test_either_side_words_give_side_less_flags(run_cli, tmp_path):
    path = write_profile(
        tmp_path,
        "dns",
        "cilium:\n  flow-logs:\n    - name: web\n      include:\n        - {pod: shop/web, verdict: dropped}\n",
    )
    out = run_cli("explain", str(path)).out
    assert "  Try it live first (hubble 1.19):\n    hubble observe --pod shop/web --verdict DROPPED\n  Compiled" in out


def test_filters_no_flag_can_say_are_given_as_json(run_cli, tmp_path):
    path = write_profile(
        tmp_path,
        "dns",
        "cilium:\n  flow-logs:\n    - name: dns\n      include:\n"
        "        - {pod: kube-system/coredns, dns-query: '.*'}\n",
    )
    out = run_cli("explain", str(path)).out
    assert (
        "  Try it live first (hubble 1.19):\n"
        """    hubble observe --allowlist '{"dns_query":[".*"],"source_pod":["kube-system/coredns"]}' """
        """--allowlist '{"destination_pod":["kube-system/coredns"],"dns_query":[".*"]}'\n"""
        "    (filters as JSON: no flag for dns_query)\n"
    ) in out


def test_explains_calico_selection_and_operator(run_cli):
    result = run_cli("--values-dir", str(VALUES), "explain", "calico-l7")
    assert result.code == 0, result.err
    assert (
        "Services annotated projectcalico.org/l7-logging=true by the hook Job (restored on uninstall); their new "
        "connections go through Envoy:" in result.out
    )
    assert "    Service shop/checkout\n    Service shop/frontend\n" in result.out
    assert (
        "sets on FelixConfiguration default: tproxyMode: Enabled, policySyncPathPrefix: /var/run/nodeagent."
        in result.out
    )


def test_a_broken_profile_fails_like_generate(run_cli, tmp_path):
    path = write_profile(
        tmp_path, "bad", "cilium:\n  flow-logs:\n    - name: a\n      include:\n        - verdict: denied\n"
    )
    result = run_cli("explain", str(path))
    assert result.code == 1
    assert (
        f"{path}:5:20: error: unknown verdict 'denied'\n  hint: one of: forwarded, dropped, error, audit, redirected, "
        "traced, translated\n" in result.err
    )
    assert result.out == ""


def test_an_unknown_profile_is_named(run_cli, tmp_path):
    result = run_cli("--values-dir", str(VALUES), "explain", "nope")
    assert result.code == 1
    assert "no profile 'nope': not a file, and not in" in result.err
    assert "cilium-exporter" in result.err


def test_explains_aggregation_and_stdout(run_cli):
    """Cilium 1.19 aggregation (pkg/hubble/exporter aggregator.go): equal fieldAggregate fields are
    counted together, one record per group every aggregationInterval; filePath stdout is the
    agent's own standard output."""
    result = run_cli("--values-dir", str(VALUES), "explain", "cilium-aggregation")
    assert result.code == 0, result.err
    assert (
        "namespace-talk: exports flows where protocol is tcp, except flows where (source pod is any name in namespace "
        "kube-system) "
        "or where (destination pod is any name in namespace kube-system), to the agent's standard output (its "
        "container log), "
        "one record every 1m per group of flows with equal source.namespace, destination.namespace, verdict, holding "
        "only those "
        "fields, the time of the group's first flow and its flow counts per direction (aggregate)."
    ) in result.out
    assert "    hubble observe --protocol tcp --not --namespace kube-system\n" in result.out
    assert "      filePath: stdout\n" in result.out


def test_the_explain_example_in_docs_is_what_explain_prints(run_cli):
    """docs/cli.md shows explain's output for the shipped cilium-aggregation profile: each line shown is printed."""
    docs = (VALUES.parent / "docs" / "cli.md").read_text(encoding="utf-8")
    block = docs.split("$ .venv/bin/flowlogs explain cilium-aggregation\n", 1)[1].split("```", 1)[0]
    shown = [line for line in block.splitlines() if line != "..."]
    assert len(shown) == 3
    result = run_cli("--values-dir", str(VALUES), "explain", "cilium-aggregation")
    assert result.code == 0, result.err
    printed = result.out.splitlines()
    assert all(line in printed for line in shown), [line for line in shown if line not in printed]

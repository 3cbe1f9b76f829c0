"""`flowlogs explain`: a sentence per flow log, the `hubble observe` line to try it live, the compiled output.

The expected command lines use the flags of the hubble CLI (cilium/cilium
hubble/cmd/observe/flows.go and flows_filter.go, vendored in cilium/hubble v1.18.6): `--type`
takes a type number and an optional `:sub-type` (which sets match_sub_type), `--traffic-direction`
takes ingress/egress, `--verdict` and `--drop-reason-desc` take the flow.proto enum names,
`--from-pod`/`--to-pod` append their value to source_pod/destination_pod as given, `--not` puts
the next flag into the exclude filter.
"""

from __future__ import annotations

from conftest import VALUES, write_profile


def test_explains_the_seed_profile(run_cli):
    result = run_cli("--values-dir", str(VALUES), "explain", "cilium-exporter")
    assert result.code == 0, result.err
    assert (
        "egress-traffic-blocking: exports flows where event type is drop (any sub-type: policy-deny is ignored without match-sub-type) "
        "and direction is egress, to the agent's standard output (its container log), with all fields."
    ) in result.out
    assert "    hubble observe --type 1 --traffic-direction egress\n" in result.out
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
        "web: exports flows where source pod is names starting with 'web' in namespace shop and event type is drop with sub-type "
        "policy-denied, except flows where destination port is 53, to /var/run/cilium/hubble/events.log (the default), "
        "with the fields time, verdict."
    ) in result.out
    assert "    hubble observe --event_type" not in result.out
    assert "    hubble observe --type 1:133 --from-pod shop/web --not --to-port 53\n" in result.out


def test_either_side_words_give_one_command_per_filter(run_cli, tmp_path):
    path = write_profile(tmp_path, "dns", "cilium:\n  flow-logs:\n    - name: dns\n      include:\n        - {pod: kube-system/coredns, dns-query: '.*'}\n")
    out = run_cli("explain", str(path)).out
    assert "Try it live first (one command per include filter, 2 in all):" in out
    assert "    hubble observe --dns-query" not in out
    assert "    hubble observe --from-pod kube-system/coredns\n" in out
    assert "    hubble observe --to-pod kube-system/coredns\n" in out
    assert "(hubble observe has no flag for dns_query: it shows more flows than the exporter writes)" in out


def test_explains_calico_selection_and_operator(run_cli):
    result = run_cli("--values-dir", str(VALUES), "explain", "calico-l7")
    assert result.code == 0, result.err
    assert "Services annotated projectcalico.org/l7-logging=true by the hook Job (restored on uninstall); their new connections go through Envoy:" in result.out
    assert "    Service shop/checkout\n    Service shop/frontend\n" in result.out
    assert "sets on FelixConfiguration default: tproxyMode: Enabled, policySyncPathPrefix: /var/run/nodeagent." in result.out


def test_a_broken_profile_fails_like_generate(run_cli, tmp_path):
    path = write_profile(tmp_path, "bad", "cilium:\n  flow-logs:\n    - name: a\n      include:\n        - verdict: denied\n")
    result = run_cli("explain", str(path))
    assert result.code == 1
    assert f"{path}:5:20: error: unknown verdict 'denied'\n  hint: one of: forwarded, dropped, error, audit, redirected, traced, translated\n" in result.err
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
        "namespace-talk: exports flows where protocol is tcp, except flows where namespace is kube-system, "
        "to the agent's standard output (its container log), with all fields, counted together when "
        "source.namespace, destination.namespace, verdict are equal (one record per group every 1m)."
    ) in result.out
    assert "      filePath: stdout\n" in result.out

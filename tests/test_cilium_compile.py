"""Plain words to exact FlowFilter fields: the semantics people rely on."""

from __future__ import annotations

from conftest import write_profile
from flowlogs.compiler import compile_paths


def compile_text(tmp_path, text: str):
    result = compile_paths([write_profile(tmp_path, "p", text)])
    assert [str(d) for d in result.diagnostics.errors] == []
    return result.profiles[0], result.diagnostics


def include(tmp_path, filter_yaml: str, version: str = "1.18") -> list[dict]:
    profile, _ = compile_text(
        tmp_path,
        f'cilium:\n  version: "{version}"\n  flow-logs:\n    - name: a\n      include:\n        - {filter_yaml}\n',
    )
    return profile.values["cilium"]["flowLogs"][0]["includeFilters"]


def test_keys_of_one_filter_are_anded_in_one_flowfilter(tmp_path):
    assert include(tmp_path, "verdict: dropped\n          direction: egress") == [
        {"traffic_direction": ["EGRESS"], "verdict": ["DROPPED"]}
    ]


def test_a_side_less_word_splits_the_filter_like_hubble_observe(tmp_path):
    assert include(tmp_path, "pod: '*/db-'\n          verdict: dropped") == [
        {"source_pod": ["/db-"], "verdict": ["DROPPED"]},
        {"destination_pod": ["/db-"], "verdict": ["DROPPED"]},
    ]


# What `hubble observe` sends for the same flags (cilium/cilium hubble/cmd/observe/flows_filter.go,
# addNamespacesToFilter and namespaceModifier.applySrc, v1.18.6), and how Hubble's server reads a
# name without a namespace (pkg/hubble/k8s/utils.go ParseNamespaceName: "web" is default/web).
def test_a_bare_pod_or_service_is_in_the_default_namespace_as_in_hubble(tmp_path):
    assert include(tmp_path, "source-pod: web\n          destination-service: api") == [
        {"destination_service": ["default/api"], "source_pod": ["default/web"]}
    ]


def test_namespace_with_service_qualifies_the_service_and_adds_no_pod_filter(tmp_path):
    # hubble observe --from-namespace shop --from-service backend -> source_service: [shop/backend]
    assert include(tmp_path, "source-namespace: shop\n          source-service: backend") == [
        {"source_service": ["shop/backend"]}
    ]


def test_namespace_with_pod_and_service_qualifies_both(tmp_path):
    assert include(
        tmp_path, "destination-namespace: [a, b]\n          destination-pod: web-\n          destination-service: api"
    ) == [{"destination_pod": ["a/web-", "b/web-"], "destination_service": ["a/api", "b/api"]}]


def test_any_namespace_is_written_with_a_star(tmp_path):
    assert include(tmp_path, "source-service: '*/api'") == [{"source_service": ["/api"]}]


def test_namespace_and_pod_combine_into_one_prefix(tmp_path):
    assert include(tmp_path, "source-namespace: [shop, cart]\n          source-pod: web-") == [
        {"source_pod": ["shop/web-", "cart/web-"]}
    ]


def test_a_namespace_alone_is_a_prefix_with_a_slash(tmp_path):
    assert include(tmp_path, "destination-namespace: kube-system") == [{"destination_pod": ["kube-system/"]}]


def test_drop_reasons_compile_to_enum_names_and_event_types_to_codes(tmp_path):
    assert include(tmp_path, "drop-reason: [policy-denied, 181]\n          event-type: [drop, trace]") == [
        {"drop_reason_desc": ["POLICY_DENIED", "POLICY_DENY"], "event_type": [{"type": 1}, {"type": 4}]}
    ]


def test_sub_types_are_matched_unless_told_otherwise_as_hubble_observe_type_does(tmp_path):
    # hubble observe --type trace:to-endpoint sets match_sub_type (flows_filter.go, case "type").
    assert include(tmp_path, "event-type: {type: trace, sub-type: to-endpoint}") == [
        {"event_type": [{"type": 4, "match_sub_type": True, "sub_type": 0}]}
    ]
    assert include(tmp_path, "event-type: {type: trace, sub-type: to-endpoint, match-sub-type: false}") == [
        {"event_type": [{"type": 4, "sub_type": 0}]}
    ]


def test_an_unquoted_version_is_read_as_written(tmp_path):
    profile, _ = compile_text(tmp_path, "cilium:\n  version: 1.17\n  flow-logs:\n    - name: a\n")
    assert profile.parts["cilium"].version == "1.17"


def test_rotation_1_18_section_default_and_per_flow_log_override(tmp_path):
    profile, _ = compile_text(
        tmp_path,
        "cilium:\n  rotation: {max-size-mb: 20, max-backups: 3}\n  flow-logs:\n"
        "    - name: a\n      file: /var/run/cilium/hubble/a.log\n      rotation: {max-size-mb: 50, compress: true}\n"
        "    - name: b\n      file: /var/run/cilium/hubble/b.log\n",
    )
    entries = profile.values["cilium"]["flowLogs"]
    assert [{k: v for k, v in e.items() if k.startswith("file") and k != "filePath"} for e in entries] == [
        {"fileMaxSizeMb": 50, "fileMaxBackups": 3, "fileCompress": True},
        {"fileMaxSizeMb": 20, "fileMaxBackups": 3},
    ]
    assert "fileMaxSizeMb" not in profile.parts["cilium"].overlay["hubble"]["export"]


def test_rotation_1_17_goes_to_the_agent_wide_helm_values(tmp_path):
    profile, _ = compile_text(
        tmp_path,
        'cilium:\n  version: "1.17"\n  rotation: {max-size-mb: 20, max-backups: 3}\n  flow-logs:\n    - name: a\n',
    )
    assert profile.parts["cilium"].overlay["hubble"]["export"] == {
        "fileMaxSizeMb": 20,
        "fileMaxBackups": 3,
        "dynamic": {"enabled": True, "config": {"configMapName": "cilium-flowlog-config", "createConfigMap": False}},
    }
    assert "fileMaxSizeMb" not in profile.values["cilium"]["flowLogs"][0]


def test_raw_filters_accept_json_names_and_emit_proto_names(tmp_path):
    assert include(tmp_path, "raw: {sourcePod: [default/], trafficDirection: [INGRESS]}") == [
        {"source_pod": ["default/"], "traffic_direction": ["INGRESS"]}
    ]


def test_a_raw_field_set_twice_is_an_error(tmp_path):
    path = write_profile(
        tmp_path,
        "p",
        "cilium:\n  flow-logs:\n    - name: a\n      include:\n        - verdict: dropped\n          raw: {verdict: "
        "[FORWARDED]}\n",
    )
    result = compile_paths([path])
    assert [d.message for d in result.diagnostics.errors] == ["FlowFilter field 'verdict' is set twice in one filter"]

"""The `calico:` section of a profile compiled to chart values, and every diagnostic it can give.

Each test writes a small profile, compiles it, and asserts the exact values and the exact
messages with their line and column.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from flowlogs.compiler import CompileResult, compile_paths
from flowlogs.errors import Diagnostic, Severity

ROOT = Path(__file__).resolve().parents[1]


def compile_profile(tmp_path: Path, text: str) -> tuple[CompileResult, Path]:
    path = tmp_path / "profile.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return compile_paths([path]), path


def calico_values(tmp_path: Path, text: str) -> dict[str, Any]:
    result, _ = compile_profile(tmp_path, text)
    assert not result.diagnostics.errors, [str(d) for d in result.diagnostics.errors]
    (profile,) = result.profiles
    return dict(profile.values["calico"])


def found(result: CompileResult, severity: Severity) -> list[tuple[int, int, str, str]]:
    return [
        (d.location.line, d.location.column, d.message, d.hint)
        for d in sorted(result.diagnostics.items, key=lambda d: d.location)
        if d.severity is severity
    ]


def only(result: CompileResult, severity: Severity) -> Diagnostic:
    items = [d for d in result.diagnostics.items if d.severity is severity]
    assert len(items) == 1, [str(d) for d in result.diagnostics.items]
    return items[0]


def felix_spec(tmp_path: Path, felix_yaml: str, version: str = "3.20") -> dict[str, Any]:
    body = textwrap.indent(textwrap.dedent(felix_yaml).strip("\n"), "    ")
    values = calico_values(tmp_path, f'calico:\n  version: "{version}"\n  felix:\n{body}\n')
    return dict(values.get("felix", {}).get("spec", {}))


# ------------------------------------------------------------------------------ the seed


def test_shipped_profile_reproduces_the_seed(tmp_path: Path) -> None:
    result = compile_paths([ROOT / "values" / "calico-l7.yaml"])
    assert not result.diagnostics.errors
    (profile,) = result.profiles
    assert profile.values == {
        "profile": "calico-l7",
        "calico": {
            "enabled": True,
            "version": "3.19",
            "applicationLayer": {
                "logCollection": {"collectLogs": "Enabled", "logIntervalSeconds": 5, "logRequestsPerInterval": -1}
            },
            "felix": {"spec": {"policySyncPathPrefix": "/var/run/nodeagent"}},
            "services": [{"namespace": "shop", "names": ["checkout", "frontend"]}],
        },
    }
    assert (ROOT / "values" / "calico-l7.yaml").read_text(encoding="utf-8").splitlines()[
        0
    ] == "# yaml-language-server: $schema=../docs/profile.schema.json"


def test_defaults_of_an_almost_empty_section(tmp_path: Path) -> None:
    values = calico_values(tmp_path, "calico: {}\n")
    assert values == {
        "enabled": True,
        "version": "3.20",
        "applicationLayer": {
            "logCollection": {"collectLogs": "Enabled", "logIntervalSeconds": 5, "logRequestsPerInterval": -1}
        },
    }


@pytest.mark.parametrize(
    ("written", "version"),
    [('"3.19"', "3.19"), ("3.19", "3.19"), ("3.20", "3.20"), ("3.2", "3.20"), ('"3.20"', "3.20")],
)
def test_version_spellings(tmp_path: Path, written: str, version: str) -> None:
    assert calico_values(tmp_path, f"calico:\n  version: {written}\n")["version"] == version


def test_collection_words(tmp_path: Path) -> None:
    values = calico_values(tmp_path, "calico:\n  collect-logs: true\n  interval: 1m\n  requests-per-interval: 250\n")
    assert values["applicationLayer"]["logCollection"] == {
        "collectLogs": "Enabled",
        "logIntervalSeconds": 60,
        "logRequestsPerInterval": 250,
    }


# -------------------------------------------------------------------------------- Felix


@pytest.mark.parametrize(
    ("word", "value", "field", "expected"),
    [
        ("http-header-info", "include", "l7LogsFileAggregationHTTPHeaderInfo", "IncludeL7HTTPHeaderInfo"),
        ("http-method", "exclude", "l7LogsFileAggregationHTTPMethod", "ExcludeL7HTTPMethod"),
        ("service-info", "exclude", "l7LogsFileAggregationServiceInfo", "ExcludeL7ServiceInfo"),
        ("destination-info", "exclude", "l7LogsFileAggregationDestinationInfo", "ExcludeL7DestinationInfo"),
        ("source-info", "include", "l7LogsFileAggregationSourceInfo", "IncludeL7SourceInfo"),
        ("source-info", "exclude", "l7LogsFileAggregationSourceInfo", "ExcludeL7SourceInfo"),
        ("response-code", "exclude", "l7LogsFileAggregationResponseCode", "ExcludeL7ResponseCode"),
        ("url", "trim-query", "l7LogsFileAggregationTrimURL", "TrimURLQuery"),
        ("url", "trim-query-and-path", "l7LogsFileAggregationTrimURL", "TrimURLQueryAndPath"),
        ("url", "exclude", "l7LogsFileAggregationTrimURL", "ExcludeL7URL"),
        ("url-path-parts", "3", "l7LogsFileAggregationNumURLPath", 3),
        ("url-path-parts", "0", "l7LogsFileAggregationNumURLPath", 0),
        ("url-path-parts", "all", "l7LogsFileAggregationNumURLPath", -1),
        ("url-char-limit", "1000", "l7LogsFileAggregationURLCharLimit", 1000),
    ],
)
@pytest.mark.parametrize("version", ["3.19", "3.20"])
def test_each_aggregation_knob(tmp_path: Path, word: str, value: str, field: str, expected: Any, version: str) -> None:
    assert felix_spec(tmp_path, f"aggregation:\n  {word}: {value}\n", version) == {field: expected}


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("policy-sync-api: on", {"policySyncPathPrefix": "/var/run/nodeagent"}),
        ("flush-interval: 60s", {"l7LogsFlushInterval": "60s"}),
        ("flush-interval: 1m30s", {"l7LogsFlushInterval": "1m30s"}),
        ("log-to-file: off", {"l7LogsFileEnabled": False}),
        ("file-directory: /var/log/calico/l7", {"l7LogsFileDirectory": "/var/log/calico/l7"}),
        ("max-files: 10", {"l7LogsFileMaxFiles": 10}),
        ("max-file-size-mb: 50", {"l7LogsFileMaxFileSizeMB": 50}),
        ("per-node-limit: 3000", {"l7LogsFilePerNodeLimit": 3000}),
        ("per-node-limit: unlimited", {"l7LogsFilePerNodeLimit": 0}),
    ],
)
def test_each_felix_setting(tmp_path: Path, yaml_text: str, expected: dict[str, Any]) -> None:
    assert felix_spec(tmp_path, yaml_text) == expected


DEFAULTS_PROFILE = """
calico:
  felix:
    flush-interval: 5m
    log-to-file: on
    file-directory: /var/log/calico/l7logs
    max-files: 5
    max-file-size-mb: 100
    per-node-limit: 1500
    aggregation:
      http-header-info: exclude
      http-method: include
      service-info: include
      destination-info: include
      source-info: include-no-port
      response-code: include
      url: full
      url-path-parts: 5
      url-char-limit: 250
"""


def test_settings_at_felix_defaults_are_not_written(tmp_path: Path) -> None:
    result, _ = compile_profile(tmp_path, DEFAULTS_PROFILE)
    (profile,) = result.profiles
    assert "felix" not in profile.values["calico"]
    note = [d for d in result.diagnostics.items if d.severity is Severity.NOTE and d.message.startswith("felix:")][0]
    assert (note.location.line, note.location.column) == (2, 3)
    assert note.message == (
        "felix: flush-interval 5m, log-to-file on, file-directory /var/log/calico/l7logs, max-files 5, "
        "max-file-size-mb 100, "
        "per-node-limit 1500, http-header-info exclude, http-method include, service-info include, destination-info "
        "include, "
        "source-info include-no-port, response-code include, url full, url-path-parts 5, url-char-limit 250 are "
        "Felix's defaults: not written"
    )
    assert note.hint == "set 'emit-defaults: true' to write them anyway"


def test_emit_defaults_writes_them(tmp_path: Path) -> None:
    result, _ = compile_profile(tmp_path, DEFAULTS_PROFILE.replace("  felix:\n", "  felix:\n    emit-defaults: true\n"))
    assert not result.diagnostics.errors
    assert [
        d.message for d in result.diagnostics.items if "default" in d.message
    ] == []  # neither "not written" nor "changes nothing"
    values = result.profiles[0].values["calico"]
    assert values["felix"]["spec"] == {
        "l7LogsFlushInterval": "5m",
        "l7LogsFileEnabled": True,
        "l7LogsFileDirectory": "/var/log/calico/l7logs",
        "l7LogsFileMaxFiles": 5,
        "l7LogsFileMaxFileSizeMB": 100,
        "l7LogsFilePerNodeLimit": 1500,
        "l7LogsFileAggregationHTTPHeaderInfo": "ExcludeL7HTTPHeaderInfo",
        "l7LogsFileAggregationHTTPMethod": "IncludeL7HTTPMethod",
        "l7LogsFileAggregationServiceInfo": "IncludeL7ServiceInfo",
        "l7LogsFileAggregationDestinationInfo": "IncludeL7DestinationInfo",
        "l7LogsFileAggregationSourceInfo": "IncludeL7SourceInfoNoPort",
        "l7LogsFileAggregationResponseCode": "IncludeL7ResponseCode",
        "l7LogsFileAggregationTrimURL": "IncludeL7FullURL",
        "l7LogsFileAggregationNumURLPath": 5,
        "l7LogsFileAggregationURLCharLimit": 250,
    }


def test_emit_defaults_without_a_default_setting(tmp_path: Path) -> None:
    result, _ = compile_profile(tmp_path, "calico:\n  felix:\n    emit-defaults: true\n    flush-interval: 60s\n")
    assert (3, 20, "emit-defaults changes nothing: no setting is at Felix's default", "") in found(
        result, Severity.NOTE
    )


def test_felix_api_v1(tmp_path: Path) -> None:
    result, _ = compile_profile(
        tmp_path, "calico:\n  felix-api: crd.projectcalico.org/v1\n  felix:\n    policy-sync-api: on\n"
    )
    (profile,) = result.profiles
    assert profile.values["calico"]["felix"] == {
        "apiVersion": "crd.projectcalico.org/v1",
        "spec": {"policySyncPathPrefix": "/var/run/nodeagent"},
    }
    assert not result.diagnostics.errors
    assert found(result, Severity.NOTE)[1][:3] == (
        2,
        14,
        "crd.projectcalico.org/v1 writes Calico's backing CRD directly; Calico recommends projectcalico.org/v3 (its "
        "API server)",
    )


# ------------------------------------------------------------------ ApplicationLayer extras


def test_envoy_and_collector_resources(tmp_path: Path) -> None:
    values = calico_values(
        tmp_path,
        """
        calico:
          version: "3.19"
          envoy:
            xff-num-trusted-hops: 2
            use-remote-address: true
          resources:
            envoy-proxy:
              requests: {cpu: 200m, memory: 64Mi}
            l7-collector:
              limits: {cpu: 1, memory: 1Gi}
        """,
    )
    assert values["applicationLayer"] == {
        "logCollection": {"collectLogs": "Enabled", "logIntervalSeconds": 5, "logRequestsPerInterval": -1},
        "envoy": {"xffNumTrustedHops": 2, "useRemoteAddress": True},
        "l7LogCollectorDaemonSet": {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "l7-collector", "resources": {"limits": {"cpu": 1, "memory": "1Gi"}}},
                            {"name": "envoy-proxy", "resources": {"requests": {"cpu": "200m", "memory": "64Mi"}}},
                        ]
                    }
                }
            }
        },
    }


def test_request_above_limit(tmp_path: Path) -> None:
    result, _ = compile_profile(
        tmp_path,
        "calico:\n  resources:\n    envoy-proxy:\n      requests: {memory: 1Gi}\n      limits: {memory: 512Mi}\n",
    )
    assert found(result, Severity.ERROR) == [
        (
            4,
            26,
            "envoy-proxy: memory request 1Gi is more than its limit 512Mi",
            "Kubernetes rejects such pods: the DaemonSet l7-log-collector would not start",
        )
    ]


# -------------------------------------------------------------------- traffic selection


LABEL_HINT = (
    "RBAC cannot limit rights to objects with a label: name the objects to keep the Job's rights to them "
    "(resourceNames)"
)


def test_services_grouped_by_namespace(tmp_path: Path) -> None:
    result, _ = compile_profile(
        tmp_path,
        """
        calico:
          version: "3.19"
          services:
            - namespace: shop
              name: frontend
            - namespace: pay
              selector: app=pay,tier in (api, web),!legacy
            - namespace: shop
              name: [checkout, frontend]
            - namespace: pay
              selector: {team: payments}
        """,
    )
    (profile,) = result.profiles
    assert profile.values["calico"]["services"] == [
        {
            "namespace": "pay",
            "selectors": [
                {
                    "matchLabels": {"app": "pay"},
                    "matchExpressions": [
                        {"key": "tier", "operator": "In", "values": ["api", "web"]},
                        {"key": "legacy", "operator": "DoesNotExist"},
                    ],
                },
                {"matchLabels": {"team": "payments"}},
            ],
        },
        {"namespace": "shop", "names": ["checkout", "frontend"]},
    ]
    # RBAC has no label condition (rbac/v1 PolicyRule: apiGroups, resources, resourceNames, verbs): a selector means
    # every Service.
    label = (
        "selecting services by label gives the hook Job list and patch on every Service of namespace pay, not only the "
        "matching ones"
    )
    assert found(result, Severity.WARNING) == [
        (7, 17, label, LABEL_HINT),
        (9, 24, "service shop/frontend is selected twice", f"first at {tmp_path / 'profile.yaml'}:5:13"),
        (11, 17, label, LABEL_HINT),
    ]
    assert found(result, Severity.NOTE)[1][:3] == (
        3,
        3,
        "Envoy proxies only connections opened after a service is selected; (de)selecting may disrupt active "
        "connections; host-networked client pods are not covered",
    )


def test_sidecar_mode_on_3_20(tmp_path: Path) -> None:
    result, _ = compile_profile(
        tmp_path,
        """
        calico:
          sidecar-injection: on
          workloads:
            - kind: Deployment
              namespace: shop
              name: web
            - kind: DaemonSet
              namespace: edge
              selector: app=proxy
        """,
    )
    (profile,) = result.profiles
    calico = profile.values["calico"]
    assert calico["applicationLayer"]["sidecarInjection"] == "Enabled"
    assert calico["workloads"] == [
        {"kind": "DaemonSet", "namespace": "edge", "selectors": [{"matchLabels": {"app": "proxy"}}]},
        {"kind": "Deployment", "namespace": "shop", "names": ["web"]},
    ]
    assert found(result, Severity.WARNING) == [
        (
            2,
            22,
            "selecting a workload changes its pod template, so its pods restart (the sidecar is injected when a pod is "
            "created)",
            "sidecar mode needs Kubernetes 1.29+, does not work with a service mesh such as Istio, and does not cover "
            "host-networked client pods",
        ),
        (
            9,
            17,
            "selecting workloads by label gives the hook Job list and patch on every DaemonSet of namespace edge, not "
            "only the matching ones",
            LABEL_HINT,
        ),
    ]


def test_selecting_by_label_in_a_system_namespace_needs_an_explicit_opt_in(tmp_path: Path) -> None:
    profile = """
        calico:
          version: "3.19"
          services:
            - namespace: kube-system
              selector: k8s-app=kube-dns
        """
    result, _ = compile_profile(tmp_path, profile)
    assert found(result, Severity.ERROR) == [
        (
            5,
            17,
            "selecting services by label in kube-system would let the hook Job list and patch every Service of "
            "kube-system",
            "name the objects instead, or add 'allow-system-namespace: true' to this entry if that is meant "
            "(kube-system, kube-public, kube-node-lease, calico-system, tigera-operator, tigera-system hold the "
            "cluster's own components)",
        )
    ]
    result, _ = compile_profile(
        tmp_path,
        profile.replace(
            "selector: k8s-app=kube-dns", "selector: k8s-app=kube-dns\n              allow-system-namespace: true"
        ),
    )
    assert found(result, Severity.ERROR) == []
    assert result.profiles[0].values["calico"]["services"] == [
        {"namespace": "kube-system", "selectors": [{"matchLabels": {"k8s-app": "kube-dns"}}]}
    ]


def test_sidecar_refused_for_3_19(tmp_path: Path) -> None:
    result, _ = compile_profile(
        tmp_path,
        """
        calico:
          version: "3.19"
          sidecar-injection: on
          workloads:
            - {kind: Deployment, namespace: shop, name: web}
        """,
    )
    assert found(result, Severity.ERROR) == [
        (
            3,
            3,
            "sidecar-injection is not in Calico Enterprise 3.19 (ApplicationLayer has no sidecarInjection)",
            'sidecar mode arrived with Calico Enterprise 3.20: set version: "3.20", or select services instead (the '
            "3.19 method)",
        ),
        (
            4,
            3,
            "Calico Enterprise 3.19 cannot select workloads: that is the 3.20 sidecar mode",
            'set version: "3.20" and sidecar-injection: on, or select services instead (the 3.19 method)',
        ),
    ]


def test_workloads_need_sidecar_injection(tmp_path: Path) -> None:
    result, _ = compile_profile(tmp_path, "calico:\n  workloads:\n    - {kind: StatefulSet, namespace: db, name: pg}\n")
    assert found(result, Severity.ERROR) == [
        (
            2,
            3,
            "workloads are selected through the sidecar, but sidecar-injection is not on",
            "add 'sidecar-injection: on' (Calico Enterprise 3.20)",
        )
    ]


def test_sidecar_needs_kubernetes_1_29(tmp_path: Path) -> None:
    result, _ = compile_profile(
        tmp_path,
        "calico:\n  sidecar-injection: on\n  workloads: [{kind: Deployment, namespace: a, name: b}]\n  cluster:\n    "
        'kubernetes-version: "1.28"\n',
    )
    assert found(result, Severity.ERROR) == [
        (
            5,
            25,
            "sidecar mode needs Kubernetes 1.29 or later (native sidecar containers); this cluster runs 1.28",
            "upgrade the cluster first, or select services instead",
        )
    ]


def test_services_on_3_20_are_undocumented(tmp_path: Path) -> None:
    result, _ = compile_profile(tmp_path, "calico:\n  services: [{namespace: a, name: b}]\n")
    assert found(result, Severity.WARNING) == [
        (
            2,
            3,
            "Calico Enterprise 3.20 documents only sidecar selection (workloads); the service annotation "
            "projectcalico.org/l7-logging is the 3.19 method",
            "it is still wired in the operator (per-host Envoy) but undocumented for this version; prefer workloads "
            "with sidecar-injection",
        )
    ]


def test_gitops_refuses_selectors(tmp_path: Path) -> None:
    result, _ = compile_profile(
        tmp_path,
        'calico:\n  version: "3.19"\n  patch-mode: gitops\n  services:\n    - namespace: a\n      selector: app=b\n',
    )
    assert found(result, Severity.ERROR) == [
        (
            6,
            17,
            "patch-mode gitops cannot select services by label: it writes one partial manifest per named object",
            "name the objects, or use 'patch-mode: job' (the Job lists and patches the matching objects)",
        )
    ]
    assert found(result, Severity.NOTE)[1][:3] == (
        3,
        15,
        "gitops: Argo CD server-side-applies partial manifests; their Delete=false needs Argo CD 2.7+, "
        "older versions delete FelixConfiguration default and the selected objects with the Application",
    )


def test_gitops_values(tmp_path: Path) -> None:
    values = calico_values(
        tmp_path, 'calico:\n  version: "3.19"\n  patch-mode: gitops\n  services: [{namespace: a, name: b}]\n'
    )
    assert values == {
        "enabled": True,
        "version": "3.19",
        "applicationLayer": {
            "logCollection": {"collectLogs": "Enabled", "logIntervalSeconds": 5, "logRequestsPerInterval": -1}
        },
        "services": [{"namespace": "a", "names": ["b"]}],
        "patchMode": "gitops",
    }


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("app in (a", "invalid label selector: '(' without ')'"),
        ("app=a,", "invalid label selector: empty requirement (a stray ',')"),
        ("app=a,app=b", "invalid label selector: 'app' must equal both 'a' and 'b': nothing matches"),
        ("-bad-=x", "invalid label selector: '-bad-' is not a label key"),
        (
            "app = a b",
            "invalid label selector: cannot read 'app = a b'; write key=value, key!=value, key in (a,b), key notin "
            "(a,b), key or !key",
        ),
    ],
)
def test_bad_selectors(tmp_path: Path, selector: str, message: str) -> None:
    result, _ = compile_profile(
        tmp_path, f'calico:\n  version: "3.19"\n  services:\n    - namespace: a\n      selector: "{selector}"\n'
    )
    assert found(result, Severity.ERROR) == [(5, 17, message, "")]


def test_name_and_selector_in_one_entry(tmp_path: Path) -> None:
    result, _ = compile_profile(
        tmp_path, 'calico:\n  version: "3.19"\n  services:\n    - namespace: a\n      name: b\n      selector: c=d\n'
    )
    assert found(result, Severity.ERROR) == [
        (
            4,
            7,
            "a service selection needs either 'name' or 'selector', not both",
            "use one entry per way of selecting (a list of entries selects their union)",
        )
    ]


# ------------------------------------------------------------------------------ preflight


def test_gke_is_refused_at_the_platform_line(tmp_path: Path) -> None:
    result, path = compile_profile(
        tmp_path, 'calico:\n  version: "3.19"\n  cluster:\n    platform: gke\n    nodes: 3\n'
    )
    error = only(result, Severity.ERROR)
    assert str(error.location) == f"{path}:4:15"
    assert error.message == (
        'L7 logs are not supported on GKE: Calico Enterprise 3.19\'s "Configure L7 logs" page lists GKE under "Not '
        'supported"'
    )
    assert error.hint == (
        "flowlogs refuses to generate L7 log resources for this platform; switch the calico part off for this cluster"
    )


def test_gke_is_refused_for_3_20_too(tmp_path: Path) -> None:
    result, _ = compile_profile(tmp_path, "calico:\n  cluster: {platform: gke}\n")
    assert only(result, Severity.ERROR).message.startswith(
        'L7 logs are not supported on GKE: Calico Enterprise lists GKE under "Not supported"'
    )


def test_storage_too_small(tmp_path: Path) -> None:
    result, _ = compile_profile(
        tmp_path, "calico:\n  cluster:\n    platform: eks\n    nodes: 40\n    log-storage-size: 30Gi\n"
    )
    assert found(result, Severity.ERROR) == [
        (
            5,
            23,
            "log-storage-size 30Gi is smaller than the additional 40Gi the L7 logs guide asks for (40 nodes x 1 day x "
            "1 GB)",
            "add at least 40Gi to LogStorage on top of what the other logs use, or state fewer retention-days",
        )
    ]


def test_storage_large_enough(tmp_path: Path) -> None:
    """The CE 3.19 guide (../shared/upstream/calico/docs_ce3.19_l7_configure.mdx, line 45): "a minimum
    of 1 additional GB of log storage per node, per one-day retention period". flowlogs sees only the
    total LogStorage size, so it never claims the size covers the need."""
    guide = Path(__file__).resolve().parents[2] / "shared" / "upstream" / "calico" / "docs_ce3.19_l7_configure.mdx"
    if guide.exists():
        assert (
            "L7 logs require a minimum of 1 additional GB of log storage per node, per one-day retention period"
            in guide.read_text(encoding="utf-8")
        )
    result, _ = compile_profile(
        tmp_path,
        "calico:\n  cluster:\n    platform: aks\n    nodes: 10\n    retention-days: 1\n    log-storage-size: 0.5Ti\n",
    )
    assert not result.diagnostics.errors
    assert found(result, Severity.NOTE) == [
        (
            6,
            23,
            "log-storage-size 0.5Ti is at least the additional 10Gi the L7 logs guide asks for (10 nodes x 1 day x 1 "
            "GB); "
            "flowlogs cannot see what the other logs already use, so check that this much is free",
            "",
        )
    ]
    assert "covers" not in found(result, Severity.NOTE)[0][2]


def test_storage_requirement_without_a_size(tmp_path: Path) -> None:
    result, _ = compile_profile(tmp_path, "calico:\n  cluster:\n    nodes: 1\n")
    assert found(result, Severity.NOTE) == [
        (
            3,
            12,
            "L7 logs need at least 1Gi of extra log storage (1 node x 1 day x 1 GB): adjust LogStorage before enabling "
            "them",
            "",
        )
    ]


def test_storage_for_several_days(tmp_path: Path) -> None:
    result, _ = compile_profile(
        tmp_path, "calico:\n  cluster:\n    nodes: 5\n    retention-days: 7\n    log-storage-size: 34Gi\n"
    )
    assert found(result, Severity.ERROR)[0][2] == (
        "log-storage-size 34Gi is smaller than the additional 35Gi the L7 logs guide asks for (5 nodes x 7 days x 1 GB)"
    )
    assert found(result, Severity.WARNING) == [
        (
            4,
            21,
            "the Tigera operator keeps L7 logs for 1 day whatever the retention wanted (ILM policy "
            "tigera_secure_ee_l7_policy; LogStorage has no L7 retention field)",
            "the storage check still sizes for 7 days",
        )
    ]


def test_no_cluster_facts(tmp_path: Path) -> None:
    result, _ = compile_profile(tmp_path, "calico:\n  collect-logs: on\n")
    assert found(result, Severity.NOTE) == [
        (
            1,
            1,
            "no cluster facts: add 'cluster: {platform, nodes, retention-days}' to check platform support and log "
            "storage",
            "",
        )
    ]


# ------------------------------------------------------------------------------ mistakes


@pytest.mark.parametrize(
    ("text", "line", "column", "message", "hint"),
    [
        (
            "calico:\n  felix:\n    tproxyMode: Enabled\n",
            3,
            5,
            "tproxyMode is never set by flowlogs: the Tigera operator sets it to Enabled when ApplicationLayer "
            "collects L7 logs",
            "remove it; setting it here would fight the operator",
        ),
        (
            "calico:\n  felix:\n    policy-sync-api: off\n",
            3,
            22,
            "policy-sync-api cannot be turned off: the L7 log collector reads Felix's Policy Sync API",
            "leave the key out to let the Tigera operator set policySyncPathPrefix (/var/run/nodeagent) itself",
        ),
        (
            "calico:\n  felix:\n    per-node-limit: 0\n",
            3,
            21,
            "per-node-limit 0 means no limit to Felix",
            "write 'unlimited' if that is what you want, or a positive number",
        ),
        (
            "calico:\n  felix:\n    aggregation:\n      url-path-parts: -1\n",
            4,
            23,
            "url-path-parts -1 is negative",
            "write 'all' to keep every path part",
        ),
        (
            "calico:\n  felix:\n    flush-interval: 0s\n",
            3,
            21,
            "flush-interval '0s' is zero",
            "Felix needs a positive interval, e.g. 60s",
        ),
        ("calico:\n  felix:\n    flush-interval: 300\n", 3, 21, "flush-interval 300 has no unit", "write 300s"),
        ("calico:\n  interval: 5\n", 2, 13, "interval 5 has no unit", "write 5s"),
        (
            "calico:\n  interval: 1500ms\n",
            2,
            13,
            "interval '1500ms' is not a whole number of seconds",
            "the collector counts whole seconds (logIntervalSeconds): write e.g. 1s or 5s",
        ),
        (
            "calico:\n  felix:\n    flush-intervall: 5m\n",
            3,
            5,
            "unknown key 'flush-intervall' in calico.felix; did you mean 'flush-interval'?",
            "allowed keys: aggregation, emit-defaults, file-directory, flush-interval, log-to-file, max-file-size-mb, "
            "max-files, per-node-limit, policy-sync-api",
        ),
        (
            "calico:\n  felix:\n    l7LogsFlushInterval: 60s\n",
            3,
            5,
            "unknown key 'l7LogsFlushInterval' in calico.felix; did you mean 'flush-interval'?",
            "'l7LogsFlushInterval' is the upstream name; flowlogs profiles write it as 'flush-interval'",
        ),
        (
            "calico:\n  felix:\n    l7LogsFileAggregationTrimURL: TrimURLQuery\n",
            3,
            5,
            "unknown key 'l7LogsFileAggregationTrimURL' in calico.felix; did you mean 'aggregation.url'?",
            "'l7LogsFileAggregationTrimURL' is the upstream name; flowlogs profiles write it as 'aggregation.url'",
        ),
        (
            "calico:\n  logIntervalSeconds: 5\n",
            2,
            3,
            "unknown key 'logIntervalSeconds' in calico; did you mean 'interval'?",
            "'logIntervalSeconds' is the upstream name; flowlogs profiles write it as 'interval'",
        ),
        (
            "calico:\n  felix:\n    aggregation:\n      source-info: include-no-ports\n",
            4,
            20,
            "unknown source-info choice 'include-no-ports'; did you mean 'include-no-port'?",
            "one of: include, include-no-port, exclude",
        ),
        (
            "calico:\n  felix:\n    aggregation:\n      http-header-info: includ\n",
            4,
            25,
            "unknown http-header-info choice 'includ'; did you mean 'include'?",
            "one of: include, exclude",
        ),
        ("calico:\n  collect-logs: yes\n", 2, 17, "unknown on/off switch 'yes'", "one of: on, off"),
        (
            "calico:\n  cluster:\n    platform: gcp\n",
            3,
            15,
            "unknown platform 'gcp'",
            "one of: aks, eks, gke, openshift, rke, rke2, tkg, mke, kops, kubeadm, other",
        ),
        (
            "calico:\n  workloads:\n    - {kind: deployment, namespace: a, name: b}\n",
            3,
            14,
            "unknown workload kind 'deployment'; did you mean 'Deployment'?",
            "one of: Deployment, StatefulSet, DaemonSet",
        ),
        ("calico:\n  patch-mode: argo\n", 2, 15, "unknown patch mode 'argo'", "one of: job, gitops"),
        ('calico:\n  version: "3.18"\n', 2, 12, "unknown Calico Enterprise version '3.18'", "one of: 3.19, 3.20"),
        (
            "calico:\n  requests-per-interval: -1\n",
            2,
            26,
            "requests-per-interval -1 is negative",
            "write 'unlimited' for no limit (-1 upstream), or a positive number",
        ),
        (
            "calico:\n  requests-per-interval: 0\n",
            2,
            26,
            "requests-per-interval 0 sends no L7 logs",
            "write 'unlimited' for no limit (-1 upstream), or a positive number",
        ),
        ("calico:\n  requests-per-interval: lots\n", 2, 26, "unknown request limit 'lots'", "one of: unlimited"),
    ],
)
def test_mistakes(tmp_path: Path, text: str, line: int, column: int, message: str, hint: str) -> None:
    result, _ = compile_profile(tmp_path, text)
    errors = [d for d in result.diagnostics.errors]
    assert [(d.location.line, d.location.column, d.message, d.hint) for d in errors] == [(line, column, message, hint)]


def test_warnings_for_settings_that_lose_logs(tmp_path: Path) -> None:
    result, _ = compile_profile(tmp_path, "calico:\n  felix:\n    log-to-file: off\n    file-directory: /data/l7\n")
    assert found(result, Severity.WARNING) == [
        (
            3,
            18,
            "with log-to-file off Felix writes no L7 log files, and the log collector ships L7 logs to Elasticsearch "
            "from those files",
            "no L7 logs reach the Manager UI or Kibana; remove 'log-to-file: off' unless that is what you want",
        ),
        (
            4,
            21,
            "file-directory '/data/l7' is not /var/log/calico/l7logs, the only directory the log collector (fluentd) "
            "reads L7 logs from",
            "L7 logs written elsewhere are not shipped to Elasticsearch; remove 'file-directory' (Felix's default is "
            "/var/log/calico/l7logs)",
        ),
    ]


@pytest.mark.parametrize(
    ("directory", "warned"),
    [
        ("/var/log/calico/l7-custom", True),
        ("/var/log/calico/l7", True),
        ("/var/log/calico", True),
        ("/var/log/calico/l7logs", False),
        ("/var/log/calico/l7logs/", False),
    ],
)
def test_only_the_collectors_l7_directory_is_shipped(tmp_path: Path, directory: str, warned: bool) -> None:
    """The log collector tails one L7 file: fluentd/fluent_sources.conf in_tail_l7_logs reads
    L7_LOG_FILE, `/var/log/calico/l7logs/l7.log` in fluentd/Dockerfile (projectcalico/calico, read in
    tomastigera/project-calico-calico 6e839dfb6f6c), which the operator never sets (tigera/operator
    release-v1.34 and release-v1.36 pkg/render/fluentd.go set FLOW_LOG_FILE and DNS_LOG_FILE only)."""
    result, _ = compile_profile(tmp_path, f"calico:\n  felix:\n    file-directory: {directory}\n")
    messages = [message for _, _, message, _ in found(result, Severity.WARNING)]
    expected = (
        f"file-directory '{directory}' is not /var/log/calico/l7logs, the only directory the log collector (fluentd) "
        "reads L7 logs from"
    )
    assert messages == ([expected] if warned else [])


def test_collect_logs_off_alone(tmp_path: Path) -> None:
    result, _ = compile_profile(tmp_path, "calico:\n  collect-logs: off\n")
    assert found(result, Severity.WARNING) == [
        (
            2,
            17,
            "collect-logs is off and no other ApplicationLayer feature is on: the Tigera operator reports "
            "ApplicationLayer as degraded",
            "to stop L7 logs on a cluster, switch the part off with 'enabled: false' instead",
        )
    ]


def test_never_emits_operator_fields(tmp_path: Path) -> None:
    """Whatever the profile, tproxyMode is never written and policySyncPathPrefix only as /var/run/nodeagent."""
    text = (ROOT / "values" / "both.yaml").read_text(encoding="utf-8")
    for source in (text, (ROOT / "values" / "calico-l7.yaml").read_text(encoding="utf-8")):
        path = tmp_path / "p.yaml"
        path.write_text(source, encoding="utf-8")
        (profile,) = compile_paths([path]).profiles
        spec = profile.values["calico"].get("felix", {}).get("spec", {})
        assert "tproxyMode" not in spec
        assert spec.get("policySyncPathPrefix", "/var/run/nodeagent") == "/var/run/nodeagent"


def test_an_existing_application_layer_is_adopted_and_kept(tmp_path: Path) -> None:
    assert calico_values(tmp_path, "calico:\n  existing-application-layer: on\n")["keepApplicationLayer"] is True
    assert "keepApplicationLayer" not in calico_values(tmp_path, "calico:\n  collect-logs: on\n")


def test_gitops_mode_leaves_policy_sync_path_prefix_to_the_operator(tmp_path: Path) -> None:
    """Argo CD forces conflicts on server-side apply (argo-cd v3.5.1 gitops-engine
    pkg/utils/kube/resource_ops.go: ForceConflicts = serverSideApply), so a partial Felix manifest
    with policySyncPathPrefix would overwrite an existing value that the operator keeps
    (tigera/operator release-v1.36 applicationlayer_controller.go getPolicySyncPathPrefix,
    "Respect existing"); job mode sets it only when empty. tests/test_calico_live.py shows both on a
    real API server."""
    text = "calico:\n  patch-mode: gitops\n  felix:\n    policy-sync-api: on\n    flush-interval: 60s\n"
    result, _ = compile_profile(tmp_path, text)
    notes = [
        (line, column, message, hint)
        for line, column, message, hint in found(result, Severity.NOTE)
        if "policySyncPathPrefix" in message
    ]
    assert notes == [
        (
            4,
            5,
            "patch-mode gitops leaves policySyncPathPrefix to the Tigera operator, which sets /var/run/nodeagent when "
            "it is empty and keeps an "
            "existing value; Argo CD's forced server-side apply would overwrite it",
            "remove 'policy-sync-api'",
        )
    ]
    (tmp_path / "job").mkdir()
    job, _ = compile_profile(tmp_path / "job", text.replace("gitops", "job"))
    assert not [n for n in found(job, Severity.NOTE) if "policySyncPathPrefix" in n[2]]

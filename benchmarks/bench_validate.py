"""Benchmark `flowlogs.validate` (not a pytest test).

    .venv/bin/python benchmarks/bench_validate.py [--profiles 500] [--kv-docs 200]

1. manifests/second of `kubernetes_validate.validate(doc, version, strict=True)` per manifest
   vs our validator on the same documents (the built-in kinds of the mix: kubernetes-validate
   cannot validate CRD kinds), plus our rate on the full mix and from YAML text;
2. wall time of rendering + linting + validating a fleet of profiles (500 values files against
   one chart: the real `chart/` when it exists, else a synthetic one built in a temp dir).
"""

from __future__ import annotations

import argparse
import copy
import io
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "generator"))

from flowlogs.validate import (  # noqa: E402
    DocumentParser,
    ProfileTarget,
    Resource,
    ResourceValidator,
    SchemaRegistry,
    Status,
    ValidateOptions,
    validate,
)
from flowlogs.validate.report import REPORTERS  # noqa: E402

KUBERNETES_VERSION = "1.31.0"

MIX: list[dict[str, Any]] = [
    {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "flowlogs-hubble",
            "namespace": "kube-system",
            "labels": {"app.kubernetes.io/name": "flowlogs"},
        },
        "data": {"flowlogs.yaml": "flowLogs:\n- name: all\n  filePath: /var/run/cilium/hubble/all.log\n"},
    },
    {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "felix-patch", "namespace": "flowlogs-system"},
        "spec": {
            "backoffLimit": 2,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "serviceAccountName": "felix-patch",
                    "containers": [
                        {
                            "name": "kubectl",
                            "image": "registry.k8s.io/kubectl:v1.31.0",
                            "command": [
                                "kubectl",
                                "patch",
                                "felixconfiguration",
                                "default",
                                "--type",
                                "merge",
                                "-p",
                                "{}",
                            ],
                            "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}},
                            "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False},
                        }
                    ],
                }
            },
        },
    },
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "felix-patch", "namespace": "flowlogs-system"}},
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "flowlogs-felix-patch"},
        "rules": [
            {
                "apiGroups": ["projectcalico.org", "crd.projectcalico.org"],
                "resources": ["felixconfigurations"],
                "verbs": ["get", "patch"],
            }
        ],
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "felix-patch", "namespace": "flowlogs-system"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "flowlogs-felix-patch"},
        "subjects": [{"kind": "ServiceAccount", "name": "felix-patch", "namespace": "flowlogs-system"}],
    },
    {
        "apiVersion": "operator.tigera.io/v1",
        "kind": "ApplicationLayer",
        "metadata": {"name": "tigera-secure"},
        "spec": {
            "logCollection": {"collectLogs": "Enabled", "logIntervalSeconds": 5, "logRequestsPerInterval": -1},
            "l7LogCollectorDaemonSet": {
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [
                                {"name": "l7-collector", "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}}
                            ]
                        }
                    }
                }
            },
        },
    },
    {
        "apiVersion": "projectcalico.org/v3",
        "kind": "FelixConfiguration",
        "metadata": {
            "name": "default",
            "annotations": {
                "argocd.argoproj.io/sync-options": "ServerSideApply=true,Validate=false,Delete=false,Prune=false"
            },
        },
        "spec": {
            "l7LogsFlushInterval": "15s",
            "l7LogsFileAggregationTrimURL": "TrimURLQuery",
            "policySyncPathPrefix": "/var/run/nodeagent",
        },
    },
    {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "flowlogs-prod", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "flowlogs-system"},
            "source": {
                "repoURL": "https://git.example.com/platform/flowlogs.git",
                "targetRevision": "main",
                "path": "chart",
                "helm": {"valueFiles": ["profiles/prod/values.yaml"], "releaseName": "flowlogs"},
            },
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}, "syncOptions": ["CreateNamespace=true"]},
        },
    },
]
BUILTIN_KINDS = {"ConfigMap", "Job", "ServiceAccount", "ClusterRole", "RoleBinding"}


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def timed(function: Callable[[], Any]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def resources(objects: list[dict[str, Any]]) -> list[Resource]:
    return [
        Resource(
            "bench",
            "bench.yaml",
            i,
            o["apiVersion"],
            o["kind"],
            o["metadata"]["name"],
            o["metadata"].get("namespace", ""),
            o,
        )
        for i, o in enumerate(objects)
    ]


def bench_kubernetes_validate(documents: list[dict[str, Any]]) -> float:
    import kubernetes_validate  # type: ignore[import-untyped]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for document in documents:  # all valid: any exception is a benchmark bug
            kubernetes_validate.validate(copy.deepcopy(document), KUBERNETES_VERSION, strict=True)
        return rate(
            len(documents),
            timed(lambda: [kubernetes_validate.validate(d, KUBERNETES_VERSION, strict=True) for d in documents]),
        )


def bench_ours(validator: ResourceValidator, items: list[Resource], repeat: int) -> float:
    results = validator.validate_all(items)  # warm-up: compiles every validator once
    bad = [r for r in results if r.status is not Status.VALID]
    if bad:
        raise SystemExit(f"benchmark documents must be valid: {bad[0]}")
    return rate(len(items) * repeat, timed(lambda: [validator.validate_all(items) for _ in range(repeat)]))


def bench_from_text(validator: ResourceValidator, objects: list[dict[str, Any]], repeat: int) -> float:
    # Distinct texts (a counter label) so the per-text parse cache cannot help.
    texts = []
    for number in range(repeat):
        for obj in objects:
            labelled = copy.deepcopy(obj)
            labelled["metadata"].setdefault("labels", {})["bench/n"] = str(number)
            texts.append(yaml.safe_dump(labelled, sort_keys=False))
    parser = DocumentParser()

    def run() -> None:
        for number, text in enumerate(texts):
            document = parser.parse_document("bench", "bench.yaml", number, text)
            assert document is not None and validator.validate(document).status is Status.VALID

    return rate(len(texts), timed(run))


# --- fleet --------------------------------------------------------------------------------

CHART_YAML = "apiVersion: v2\nname: flowlogs\nversion: 0.1.0\nicon: https://example.com/icon.png\n"
TEMPLATES = {
    "cilium/configmap.yaml": """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-hubble
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/name: flowlogs
    flowlogs/profile: {{ .Values.profile | quote }}
data:
  flowlogs.yaml: |
    flowLogs:
    - name: {{ .Values.profile }}
      filePath: /var/run/cilium/hubble/{{ .Values.profile }}.log
      fieldMask: {{ toJson .Values.fieldMask }}
""",
    "calico/applicationlayer.yaml": """apiVersion: operator.tigera.io/v1
kind: ApplicationLayer
metadata:
  name: tigera-secure
spec:
  logCollection:
    collectLogs: Enabled
    logIntervalSeconds: {{ .Values.logIntervalSeconds }}
    logRequestsPerInterval: -1
""",
    "calico/felixconfiguration.yaml": """apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata:
  name: default
spec:
  l7LogsFlushInterval: {{ .Values.flushInterval }}
  l7LogsFileAggregationTrimURL: TrimURLQuery
""",
    "calico/job.yaml": """apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Release.Name }}-felix-patch
  namespace: {{ .Release.Namespace }}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-felix-patch
  namespace: {{ .Release.Namespace }}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      serviceAccountName: {{ .Release.Name }}-felix-patch
      containers:
      - name: kubectl
        image: registry.k8s.io/kubectl:v1.31.0
        args: ["patch", "felixconfiguration", "default", "--type", "merge", "-p", "{}"]
""",
    "calico/rbac.yaml": """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ .Release.Name }}-felix-patch
rules:
- apiGroups: ["projectcalico.org"]
  resources: ["felixconfigurations"]
  verbs: ["get", "patch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ .Release.Name }}-felix-patch
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ .Release.Name }}-felix-patch
subjects:
- kind: ServiceAccount
  name: {{ .Release.Name }}-felix-patch
  namespace: {{ .Release.Namespace }}
""",
}


def synthetic_fleet(root: Path, profiles: int) -> tuple[Path, tuple[ProfileTarget, ...]]:
    chart = root / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(CHART_YAML)
    # As in the real chart: without it every render/lint loads all profiles/*/values.yaml
    # (O(profiles^2): 500 profiles took 11.3 s instead of 2.8 s).
    (chart / ".helmignore").write_text("profiles/\n")
    (chart / "values.yaml").write_text("profile: default\nfieldMask: []\nlogIntervalSeconds: 5\nflushInterval: 300s\n")
    for name, text in TEMPLATES.items():
        (chart / "templates" / name).parent.mkdir(parents=True, exist_ok=True)
        (chart / "templates" / name).write_text(text)
    targets = []
    for number in range(profiles):
        values = chart / "profiles" / f"profile-{number:03d}" / "values.yaml"
        values.parent.mkdir(parents=True)
        values.write_text(
            yaml.safe_dump(
                {
                    "profile": f"profile-{number:03d}",
                    "fieldMask": ["time", "source", "destination", "l7"][: 1 + number % 4],
                    "logIntervalSeconds": 1 + number % 30,
                    "flushInterval": f"{5 + number % 300}s",
                }
            )
        )
        targets.append(ProfileTarget(f"profile-{number:03d}", values))
    return chart, tuple(targets)


def real_fleet(profiles: int) -> tuple[Path, tuple[ProfileTarget, ...]] | None:
    chart = REPO_ROOT / "chart"
    values_files = sorted((chart / "profiles").glob("*/values.yaml"))
    if not (chart / "Chart.yaml").is_file() or not values_files:
        return None
    return chart, tuple(
        ProfileTarget(f"{path.parent.name}#{n}", path)
        for n, path in ((n, values_files[n % len(values_files)]) for n in range(profiles))
    )


def bench_fleet(label: str, chart: Path, targets: tuple[ProfileTarget, ...]) -> None:
    options = ValidateOptions(chart, targets, kubernetes_version=KUBERNETES_VERSION, auto_binaries=False)
    start = time.perf_counter()
    report = validate(options)
    seconds = time.perf_counter() - start
    summary = report.summary
    verdict = "ok" if report.ok else f"NOT OK: {summary}"
    print(
        f"fleet ({label}): {len(targets)} profiles, {summary.resources} manifests rendered+linted+validated "
        f"in {seconds:.2f} s ({rate(summary.resources, seconds):.0f} manifests/s) [{verdict}] (target < 20 s)"
    )
    if not report.ok:
        buffer = io.StringIO()
        REPORTERS["text"](report, buffer, False)
        print(buffer.getvalue()[:2000])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=500)
    parser.add_argument("--kv-docs", type=int, default=200, help="documents for kubernetes_validate (~100/s)")
    parser.add_argument("--repeat", type=int, default=5000, help="passes over the mix for our validator")
    args = parser.parse_args()

    builtin = [o for o in MIX if o["kind"] in BUILTIN_KINDS]
    kv_documents = [copy.deepcopy(builtin[n % len(builtin)]) for n in range(args.kv_docs)]
    kv_rate = bench_kubernetes_validate(kv_documents)

    start = time.perf_counter()
    validator = ResourceValidator(SchemaRegistry(kubernetes_version=KUBERNETES_VERSION))
    validator.validate_all(resources(MIX))
    setup = time.perf_counter() - start
    ours_builtin = bench_ours(validator, resources(builtin), args.repeat)
    ours_mix = bench_ours(validator, resources(MIX), args.repeat)
    ours_text = bench_from_text(validator, MIX, max(1, args.repeat // 20))

    print(f"setup: schema registry + compiling {len(MIX)} kinds took {setup * 1000:.0f} ms")
    print(
        f"validate: {ours_builtin:.0f} manifests/s vs kubernetes_validate {kv_rate:.0f} manifests/s: "
        f"{ours_builtin / kv_rate:.0f}x (same parsed documents: {', '.join(sorted(BUILTIN_KINDS))}; target >= 100x)"
    )
    print(f"validate (full mix incl. ApplicationLayer, FelixConfiguration, Application): {ours_mix:.0f} manifests/s")
    print(
        f"parse+validate from YAML text (CSafeLoader, no parse cache): {ours_text:.0f} manifests/s "
        f"({ours_text / kv_rate:.0f}x kubernetes_validate)"
    )
    with tempfile.TemporaryDirectory(prefix="flowlogs-bench-") as scratch:
        bench_fleet("synthetic chart, 7 documents/profile", *synthetic_fleet(Path(scratch), args.profiles))
    real = real_fleet(args.profiles)
    if real is None:
        print("fleet (real chart/): skipped, chart/Chart.yaml or chart/profiles/*/values.yaml not found")
    else:
        bench_fleet(f"real chart/, its {len({t.values_file for t in real[1]})} profile(s) repeated", *real)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

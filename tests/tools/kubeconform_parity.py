"""Run the real kubeconform and `flowlogs validate` on the same files, verdict per resource.

Shared by tests/test_kubeconform_parity.py and benchmarks/bench_kubeconform.py. kubeconform is
v0.7.0 built by ../shared/tools/kubeconform/build.sh (`make kubeconform-binary`) into
.cache/kubeconform; its schemas are written by that folder's `schemas.py` (an independent
conversion: Kubernetes' kinds from kubernetes-validate made standalone, CRDs with
openapi2jsonschema's rules), flowlogs reads the same sources its own way (`default`,
../shared/crds, `shipped`).

The inputs: every rendered profile (one file each), the gitops files, and one file per mutated
manifest (`mutations()`), covering YAML scalar rules, broken streams, lists, unknown fields,
wrong types, required fields, enums, int-or-string, quantities, formats and duplicate keys.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import io
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import answers

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
TOOL = SHARED / "tools" / "kubeconform"
CRDS = SHARED / "crds"
BINARY = ROOT / ".cache" / "kubeconform" / "kubeconform"
KUBERNETES_VERSION = "1.31.0"
SHIPPED_TEMPLATE = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"

sys.path.insert(0, str(ROOT / "generator"))

from flowlogs.cli import main  # noqa: E402
from flowlogs.validate import Check, ValidateOptions, validate  # noqa: E402
from flowlogs.validate.kubeconform import kubeconform_equivalent  # noqa: E402
from flowlogs.validate.results import Report  # noqa: E402
from flowlogs.validate.schemas import SHIPPED_SCHEMAS_DIR  # noqa: E402

# (kind, name, status) per resource, in document order.
Verdicts = list[tuple[str, str, str]]


def skip_reason() -> str:
    """Why the parity tier cannot run here ("" when it can)."""
    if not (TOOL / "build.sh").is_file():
        return f"{TOOL} not found: kubeconform cannot be built (needs ../shared beside the project)"
    if not CRDS.is_dir():
        return f"{CRDS} not found: no CRDs for kubeconform's schemas"
    return ""


def build_kubeconform() -> Path:
    """The binary, built (or found up to date) by build.sh; raises when the build fails."""
    completed = subprocess.run(
        ["bash", str(TOOL / "build.sh"), str(BINARY.parent)], capture_output=True, text=True, check=False, timeout=900
    )
    if completed.returncode != 0 or not BINARY.is_file():
        raise RuntimeError(f"build.sh failed ({completed.returncode}): {completed.stderr.strip()}")
    return BINARY


def write_schemas(directory: Path) -> tuple[Path, Path]:
    """kubeconform's schemas written by ../shared/tools/kubeconform/schemas.py: (K8S dir, CRD dir)."""
    kubernetes, crds = directory / "k8s", directory / "crds"
    for arguments in (
        ["kubernetes", str(kubernetes), "--kubernetes-version", KUBERNETES_VERSION],
        ["crds", str(crds), str(CRDS)],
    ):
        completed = subprocess.run(
            [sys.executable, str(TOOL / "schemas.py"), *arguments], capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            raise RuntimeError(f"schemas.py {arguments[0]} failed: {completed.stderr.strip()}")
    return kubernetes, crds


def cached_schemas() -> tuple[Path, Path]:
    """write_schemas' output, kept in .cache/kubeconform/schemas/ under a digest of everything it
    is made from (schemas.py, the CRDs, the Kubernetes version, kubernetes-validate's schemas)."""
    digest = hashlib.sha256(f"{KUBERNETES_VERSION}|{importlib.metadata.version('kubernetes-validate')}".encode())
    for path in [TOOL / "schemas.py", *sorted(CRDS.iterdir())]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    cached = BINARY.parent / "schemas" / digest.hexdigest()[:16]
    if not cached.is_dir():
        cached.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=cached.parent))
        try:
            write_schemas(scratch)
            with contextlib.suppress(OSError):  # another process finished the same schemas first
                scratch.rename(cached)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return cached / "k8s", cached / "crds"


def schema_locations(schemas: tuple[Path, Path]) -> list[str]:
    kubernetes, crds = schemas
    return [str(kubernetes), f"{crds}/{SHIPPED_TEMPLATE}", f"{SHIPPED_SCHEMAS_DIR}/{SHIPPED_TEMPLATE}"]


def _location(text: str) -> answers.Argument:
    """A -schema-location as an input of the run: a folder, or a folder and the template of its file names."""
    folder, template = text.removesuffix("/" + SHIPPED_TEMPLATE), text.endswith("/" + SHIPPED_TEMPLATE)
    if Path(folder).is_dir():
        return answers.Input(Path(folder), "/" + SHIPPED_TEMPLATE if template else "")
    return text


def _arguments(binary: Path, schemas: tuple[Path, Path] | list[str], files: Sequence[Path]) -> list[answers.Argument]:
    locations = schemas if isinstance(schemas, list) else schema_locations(schemas)
    return [
        binary,
        "-strict",
        "-summary",
        "-verbose",
        "-output",
        "json",
        "-n",
        "1",  # results in document order
        "-kubernetes-version",
        KUBERNETES_VERSION,
        *[argument for location in locations for argument in ("-schema-location", _location(location))],
        *files,
    ]


def kubeconform_command(binary: Path, schemas: tuple[Path, Path] | list[str], files: Sequence[Path]) -> list[str]:
    """`schemas`: written by write_schemas, or the -schema-location values themselves."""
    return [a.text() if isinstance(a, answers.Input) else str(a) for a in _arguments(binary, schemas, files)]


def run_kubeconform(binary: Path, schemas: tuple[Path, Path] | list[str], files: Sequence[Path]) -> dict[str, Verdicts]:
    """kubeconform's verdicts per file, its answer kept by the content of the binary, schemas and files (answers.py)."""
    completed = answers.run(_arguments(binary, schemas, files), timeout=600, steady=answers.kubeconform_steady)
    data = json.loads(completed.stdout)
    verdicts: dict[str, Verdicts] = {str(path): [] for path in files}
    for resource in data["resources"]:
        status = str(resource["status"]).removeprefix("status").lower()
        if status:  # "" is an empty document, which is no resource
            verdicts[resource["filename"]].append((resource["kind"], resource["name"], status))
    return verdicts


def flowlogs_options(
    files: Sequence[Path],
    locations: Sequence[str] = ("default", str(CRDS), "shipped"),
    kubeconform_binary: Path | None = None,
) -> ValidateOptions:
    return ValidateOptions(
        chart_dir=ROOT / "chart",
        targets=(),
        kubernetes_version=KUBERNETES_VERSION,
        schema_locations=tuple(locations),
        kubeconform_binary=None if kubeconform_binary is None else str(kubeconform_binary),
        auto_binaries=False,
        extra_documents=tuple((str(path), path) for path in files),
    )


def flowlogs_verdicts(report: Report, files: Sequence[Path]) -> dict[str, Verdicts]:
    """Per file, the verdict of each of its resources, as kubeconform would say it (a cross-check's own
    results aside)."""
    verdicts: dict[str, Verdicts] = {str(path): [] for path in files}
    for result in report.results:
        if result.check is not Check.KUBECONFORM:
            verdicts[result.profile].append((result.kind, result.name, kubeconform_equivalent(result).value))
    return verdicts


def run_flowlogs(
    files: Sequence[Path], locations: Sequence[str] = ("default", str(CRDS), "shipped")
) -> dict[str, Verdicts]:
    return flowlogs_verdicts(validate(flowlogs_options(files, locations)), files)


def counts(verdicts: dict[str, Verdicts]) -> Counter[str]:
    return Counter(status for per_file in verdicts.values() for _, _, status in per_file)


# --- inputs ----------------------------------------------------------------------------------


def rendered_profiles(directory: Path) -> list[Path]:
    """`flowlogs render PROFILE` for every profile of chart/profiles, one file each."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for profile in sorted(path.name for path in (ROOT / "chart" / "profiles").iterdir() if path.is_dir()):
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            code = main(
                ["--chart-dir", str(ROOT / "chart"), "render", profile, "--kubernetes-version", KUBERNETES_VERSION]
            )
        if code != 0:
            raise RuntimeError(f"flowlogs render {profile} failed with exit code {code}")
        path = directory / f"profile-{profile}.yaml"
        path.write_text(output.getvalue(), encoding="utf-8")
        paths.append(path)
    return paths


def gitops_files() -> list[Path]:
    return sorted([*(ROOT / "gitops").glob("*.yaml"), *(ROOT / "gitops").glob("*/*.yaml")])


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: demo
  namespace: default
  labels:
    app: demo
spec:
  replicas: 1
  selector:
    matchLabels:
      app: demo
  strategy:
    rollingUpdate:
      maxSurge: 25%
  template:
    metadata:
      labels:
        app: demo
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports:
        - containerPort: 8080
          name: http
        resources:
          limits:
            cpu: 500m
            memory: 128Mi
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: demo
spec:
  selector:
    app: demo
  ports:
  - port: 80
    targetPort: http
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
data:
  key: value
"""

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: demo
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/example-org/flowlogs.git
    targetRevision: main
    path: chart
  destination:
    server: https://kubernetes.default.svc
    namespace: demo
  syncPolicy:
    syncOptions:
    - CreateNamespace=true
"""

APPLICATION_LAYER = """\
apiVersion: operator.tigera.io/v1
kind: ApplicationLayer
metadata:
  name: tigera-secure
spec:
  logCollection:
    collectLogs: Enabled
"""


def _deployment(old: str, new: str) -> str:
    assert old in DEPLOYMENT, old
    return DEPLOYMENT.replace(old, new, 1)


def mutations() -> dict[str, str]:
    """name -> manifest text; each a case where a validator could go wrong."""
    cases = {
        "deployment-valid": DEPLOYMENT,
        "service-valid": SERVICE,
        "configmap-valid": CONFIGMAP,
        "application-valid": APPLICATION,
        "applicationlayer-valid": APPLICATION_LAYER,
        # YAML scalars read as Kubernetes reads them (sigs.k8s.io/yaml, goyaml.v2/resolve.go)
        "scalar-base60-is-a-string": CONFIGMAP.replace("key: value", "key: 12:30"),
        "scalar-y-is-a-bool": CONFIGMAP.replace("key: value", "key: y"),
        "scalar-n-is-a-bool": CONFIGMAP.replace("key: value", "key: n"),
        "scalar-on-is-a-bool": CONFIGMAP.replace("key: value", "key: on"),
        "scalar-1e3-is-a-number": CONFIGMAP.replace("key: value", "key: 1e3"),
        "scalar-0o17-is-a-number": CONFIGMAP.replace("key: value", "key: 0o17"),
        "scalar-date-is-a-string": CONFIGMAP.replace("key: value", "key: 2026-11-29"),
        "scalar-tilde-is-null": CONFIGMAP.replace("key: value", "key: ~"),
        "scalar-quoted-y-is-a-string": CONFIGMAP.replace("key: value", "key: 'y'"),
        "scalar-unknown-tag-is-a-string": CONFIGMAP.replace("key: value", "key: !custom 12"),
        "scalar-str-tag": CONFIGMAP.replace("key: value", "key: !!str 12"),
        "scalar-int-tag-mismatch": CONFIGMAP.replace("key: value", "key: !!int abc"),
        "scalar-key-y-is-true": _deployment("    app: demo\nspec:", "    y: demo\nspec:"),
        "replicas-1e3": _deployment("replicas: 1", "replicas: 1e3"),
        "replicas-hex": _deployment("replicas: 1", "replicas: 0x10"),
        "replicas-octal-0o": _deployment("replicas: 1", "replicas: 0o17"),
        "replicas-octal-leading-zero": _deployment("replicas: 1", "replicas: 017"),
        "replicas-08-is-a-float": _deployment("replicas: 1", "replicas: 08"),
        "replicas-underscores": _deployment("replicas: 1", "replicas: 1_000"),
        "replicas-fraction": _deployment("replicas: 1", "replicas: 1.5"),
        "replicas-base60": _deployment("replicas: 1", "replicas: 1:30"),
        "replicas-inf": _deployment("replicas: 1", "replicas: .inf"),
        "replicas-minus-inf": _deployment("replicas: 1", "replicas: -.inf"),
        "replicas-nan": _deployment("replicas: 1", "replicas: .nan"),
        "replicas-too-large": _deployment("replicas: 1", "replicas: 99999999999999999999"),
        "replicas-timestamp": _deployment("replicas: 1", "replicas: 2026-11-29"),
        "replicas-y": _deployment("replicas: 1", "replicas: y"),
        "replicas-quoted": _deployment("replicas: 1", 'replicas: "1"'),
        # unknown fields at every depth
        "unknown-root": DEPLOYMENT + "extra: 1\n",
        "unknown-metadata": _deployment("  namespace: default\n", "  namespace: default\n  extra: 1\n"),
        "unknown-spec": _deployment("  replicas: 1\n", "  replicas: 1\n  extra: 1\n"),
        "unknown-selector": _deployment("    matchLabels:\n", "    extra: 1\n    matchLabels:\n"),
        "unknown-template-spec": _deployment("      containers:\n", "      extra: 1\n      containers:\n"),
        "unknown-container": _deployment(
            "        image: nginx:1.27\n", "        image: nginx:1.27\n        extra: 1\n"
        ),
        "unknown-port": _deployment("          name: http\n", "          name: http\n          extra: 1\n"),
        "unknown-crd-spec": APPLICATION.replace("  project: default\n", "  project: default\n  extra: 1\n"),
        "unknown-crd-nested": APPLICATION.replace("    path: chart\n", "    path: chart\n    extra: 1\n"),
        "unknown-crd-root": APPLICATION + "extra: 1\n",
        "unknown-operator-spec": APPLICATION_LAYER + "  extra: 1\n",
        # wrong types
        "type-replicas-string": _deployment("replicas: 1", "replicas: three"),
        "type-containers-string": _deployment(
            "      containers:\n      - name: app\n",
            "      containers: app\n      initContainers:\n      - name: app\n",
        ),
        "type-port-string": _deployment("containerPort: 8080", 'containerPort: "8080"'),
        "type-label-number": _deployment("      app: demo\n  strategy", "      app: 5\n  strategy"),
        "type-metadata-list": CONFIGMAP.replace("metadata:\n  name: demo\n", "metadata:\n- name: demo\n"),
        "type-metadata-string": CONFIGMAP.replace("metadata:\n  name: demo\n", "metadata: demo\n"),
        "type-name-number": CONFIGMAP.replace("name: demo", "name: 5"),
        "type-name-mapping": CONFIGMAP.replace("name: demo", "name: {first: demo}"),
        "type-kind-list": CONFIGMAP.replace("kind: ConfigMap", "kind: [ConfigMap]"),
        "type-crd-bool": APPLICATION.replace("    path: chart\n", "    path: true\n"),
        "type-document-list": "- apiVersion: v1\n  kind: ConfigMap\n",
        "type-document-scalar": "just text\n",
        # required fields
        "required-container-name": _deployment("      - name: app\n        image", "      - image"),
        "required-selector": _deployment("  selector:\n    matchLabels:\n      app: demo\n", ""),
        "required-crd-destination": APPLICATION.replace(
            "  destination:\n    server: https://kubernetes.default.svc\n    namespace: demo\n", ""
        ),
        "required-kind": CONFIGMAP.replace("kind: ConfigMap\n", ""),
        "required-apiversion": CONFIGMAP.replace("apiVersion: v1\n", ""),
        # enums
        "enum-crd-valid-other": APPLICATION_LAYER.replace("Enabled", "Disabled"),
        "enum-crd-invalid": APPLICATION_LAYER.replace("Enabled", "Sometimes"),
        "enum-crd-wrong-case": APPLICATION_LAYER.replace("Enabled", "enabled"),
        # int-or-string
        "intorstring-number": SERVICE.replace("targetPort: http", "targetPort: 8080"),
        "intorstring-float": SERVICE.replace("targetPort: http", "targetPort: 80.5"),
        "intorstring-bool": SERVICE.replace("targetPort: http", "targetPort: true"),
        "intorstring-percent": _deployment("maxSurge: 25%", "maxSurge: 1"),
        "intorstring-list": _deployment("maxSurge: 25%", "maxSurge: [1]"),
        # quantities
        "quantity-number": _deployment("cpu: 500m", "cpu: 0.5"),
        "quantity-int": _deployment("memory: 128Mi", "memory: 134217728"),
        "quantity-bool": _deployment("cpu: 500m", "cpu: true"),
        "quantity-mapping": _deployment("cpu: 500m", "cpu: {m: 500}"),
        # formats (date-time is checked in CRD schemas, which kubeconform compiles as draft 4)
        "format-date-time-valid": APPLICATION + "status:\n  reconciledAt: '2026-11-29T05:00:00Z'\n",
        "format-date-time-invalid": APPLICATION + "status:\n  reconciledAt: yesterday\n",
        "format-date-time-nested": APPLICATION + "status:\n  health:\n    lastTransitionTime: yesterday\n",
        # duplicate keys (kubeconform -strict uses UnmarshalStrict)
        "duplicate-root": CONFIGMAP + "data:\n  other: x\n",
        "duplicate-nested": _deployment("      app: demo\n  strategy", "      app: demo\n      app: other\n  strategy"),
        "duplicate-in-list-item": _deployment("          name: http\n", "          name: http\n          name: web\n"),
        "duplicate-crd": APPLICATION.replace("  project: default\n", "  project: default\n  project: other\n"),
        # kinds
        "kind-wrong-case": CONFIGMAP.replace("kind: ConfigMap", "kind: Configmap"),
        "kind-lower-case": DEPLOYMENT.replace("kind: Deployment", "kind: deployment"),
        "kind-unknown": CONFIGMAP.replace("kind: ConfigMap", "kind: NoSuchKind"),
        "kind-field-type": CONFIGMAP.replace("kind: ConfigMap", "kind: Affinity").replace("data:\n  key: value\n", ""),
        "kind-field-type-valid-shape": "apiVersion: v1\nkind: ObjectReference\nname: demo\n",
        "kind-number": CONFIGMAP.replace("kind: ConfigMap", "kind: 5"),
        "apiversion-number": CONFIGMAP.replace("apiVersion: v1", "apiVersion: 1"),
        "duplicate-number-and-string-key": CONFIGMAP.replace("  key: value\n", "  1: a\n  '2': b\n"),
        "kind-unknown-group": APPLICATION.replace("argoproj.io/v1alpha1", "example.com/v1"),
        # streams
        "stream-three-valid": CONFIGMAP + "---\n" + SERVICE + "---\n" + DEPLOYMENT,
        "stream-syntax-error-in-the-middle": CONFIGMAP + "---\n" + "metadata: [unclosed\n" + "---\n" + SERVICE,
        "stream-bad-indentation-first": "apiVersion: v1\n kind: ConfigMap\n---\n" + SERVICE,
        "stream-empty-documents": "---\n# only a comment\n---\n" + CONFIGMAP + "---\n",
        "stream-separator-comment": CONFIGMAP + "--- # next\n" + SERVICE,
        # kind: List
        "list-two-items": _list([CONFIGMAP, SERVICE]),
        "list-invalid-item": _list([CONFIGMAP, _deployment("replicas: 1", "replicas: three")]),
        "list-lower-case": _list([CONFIGMAP]).replace("kind: List", "kind: list"),
        "list-null-item": "apiVersion: v1\nkind: List\nitems:\n- null\n" + _list_items([CONFIGMAP]),
        "list-scalar-item": "apiVersion: v1\nkind: List\nitems:\n- text\n",
        "list-empty": "apiVersion: v1\nkind: List\nitems: []\n",
    }
    # Every scalar rule of tests/test_kubeconform_yaml_rules.py as a ConfigMap value (valid only
    # when it is read as a string) and as replicas (valid only when read as an integer).
    for number, scalar in enumerate(SCALARS):
        cases[f"scalar-rule-{number:02d}-data"] = CONFIGMAP.replace("key: value", f"key: {scalar}")
        cases[f"scalar-rule-{number:02d}-replicas"] = _deployment("replicas: 1", f"replicas: {scalar}")
    return cases


SCALARS = (
    "Y", "yes", "TRUE", "yES", "N", "Off", "Null", "0x1F", "-0x10", "+12", "0b101", "18446744073709551615",
    "-1.5e-3", ".5", "1.", "18446744073709551616", "1:30:00", "2001-12-14t21:59:43.10-05:00", "1e400",
    "0b102", "+", "=", "0x", "!!float 1", "!!int 0x10", "!!bool yes", "!!binary aGVsbG8=", "'12'", "-.Inf",
)  # fmt: skip


def _list_items(texts: Sequence[str]) -> str:
    return "".join("- " + text.replace("\n", "\n  ").rstrip() + "\n" for text in texts)


def _list(texts: Sequence[str]) -> str:
    return "apiVersion: v1\nkind: List\nitems:\n" + _list_items(texts)


def write_mutations(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in mutations().items():
        path = directory / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


@dataclass(frozen=True)
class Inputs:
    profiles: list[Path]
    gitops: list[Path]
    mutated: list[Path]

    @property
    def all(self) -> list[Path]:
        return [*self.profiles, *self.gitops, *self.mutated]


def write_inputs(directory: Path) -> Inputs:
    return Inputs(rendered_profiles(directory / "profiles"), gitops_files(), write_mutations(directory / "mutated"))

"""The real kubeconform v0.7.0 and `flowlogs validate` give the same verdict per resource.

Inputs (tests/tools/kubeconform_parity.py): every rendered profile, the gitops files and one
file per mutated manifest. kubeconform is built from ../shared/tools/kubeconform (`make
kubeconform-binary`, cached in .cache/kubeconform) and gets schemas written by that folder's
schemas.py; flowlogs reads `default`, ../shared/crds and `shipped`. Without ../shared the tier
skips; with it, it never does (the binary is built when missing).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, once_per_run

sys.path.insert(0, str(ROOT / "tests" / "tools"))

import kubeconform_parity as parity  # noqa: E402

from flowlogs.validate import Check, Status, ValidateOptions, validate  # noqa: E402

SKIP = parity.skip_reason()
pytestmark = pytest.mark.skipif(bool(SKIP), reason=SKIP)

PROFILES = sorted(path.name for path in (ROOT / "chart" / "profiles").iterdir() if path.is_dir())
MUTATIONS = sorted(parity.mutations())
GITOPS = [str(path.relative_to(ROOT)) for path in parity.gitops_files()]


class Run:
    """The inputs, kubeconform's schemas and both tools' verdicts on every input: made once per
    test run, in a directory the xdist workers share (`made.json` lists what a worker reads).
    flowlogs' verdicts come from `flowlogs validate --kubeconform PATH` on every input (one run:
    the binary checks the same documents, a disagreement would be a result of its own)."""

    def __init__(self, directory: Path, ready: bool) -> None:
        self.binary = parity.build_kubeconform()
        made = directory / "made.json"
        if not ready:
            inputs = parity.write_inputs(directory / "inputs")
            schemas = parity.cached_schemas()
            report = validate(parity.flowlogs_options(inputs.all, kubeconform_binary=self.binary))
            made.write_text(
                json.dumps(
                    {
                        "inputs": {
                            "profiles": list(map(str, inputs.profiles)),
                            "gitops": list(map(str, inputs.gitops)),
                            "mutated": list(map(str, inputs.mutated)),
                        },
                        "kubeconform": parity.run_kubeconform(self.binary, schemas, inputs.all),
                        "flowlogs": parity.flowlogs_verdicts(report, inputs.all),
                        "cross_check": [
                            f"{result.profile}: {result.status.value}: {result.message}"
                            for result in report.results
                            if result.check is Check.KUBECONFORM
                        ],
                        "statuses": sorted(result.status.value for result in report.results),
                    }
                ),
                encoding="utf-8",
            )
        data = json.loads(made.read_text(encoding="utf-8"))
        self.cross_check: list[str] = data["cross_check"]
        self.statuses = {Status(status) for status in data["statuses"]}
        self.inputs = parity.Inputs(**{part: [Path(path) for path in paths] for part, paths in data["inputs"].items()})
        self.kubeconform, self.flowlogs = (
            {path: [tuple(verdict) for verdict in verdicts] for path, verdicts in data[tool].items()}
            for tool in ("kubeconform", "flowlogs")
        )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    with once_per_run(tmp_path_factory, "kubeconform-parity") as (directory, ready):
        return Run(directory, ready)


def assert_same_verdicts(run: Run, path: Path) -> None:
    theirs, ours = run.kubeconform[str(path)], run.flowlogs[str(path)]
    # Statuses per resource, in order; the kind too wherever kubeconform could read one (it
    # reports none for a document it cannot turn into JSON, flowlogs still names it).
    assert [status for _, _, status in ours] == [status for _, _, status in theirs], (theirs, ours)
    for (kind, _, _), (their_kind, _, _) in zip(ours, theirs, strict=True):
        assert their_kind in ("", kind)


@pytest.mark.parametrize("profile", PROFILES)
def test_rendered_profile(run: Run, profile: str) -> None:
    (path,) = [path for path in run.inputs.profiles if path.name == f"profile-{profile}.yaml"]
    assert run.kubeconform[str(path)], "kubeconform found no resource"
    # Every resource is valid, but for the partial manifests of patch-mode gitops (Argo CD
    # Validate=false), which kubeconform checks for required properties they omit by design.
    partial = [(kind, status) for kind, _, status in run.kubeconform[str(path)] if status != "valid"]
    assert partial == ([("Deployment", "invalid")] * 2 if profile == "calico-gitops" else []), partial
    assert_same_verdicts(run, path)


@pytest.mark.parametrize("gitops_file", GITOPS)
def test_gitops_file(run: Run, gitops_file: str) -> None:
    path = ROOT / gitops_file
    assert {status for _, _, status in run.kubeconform[str(path)]} == {"valid"}
    assert_same_verdicts(run, path)


@pytest.mark.parametrize("case", MUTATIONS)
def test_mutated_manifest(run: Run, case: str) -> None:
    (path,) = [path for path in run.inputs.mutated if path.stem == case]
    assert_same_verdicts(run, path)


# What kubeconform itself says about the six cases of issue 14, so these expectations come from
# the real tool (and the parametrized tests above hold flowlogs to them).
KUBECONFORM_SAYS = {
    "scalar-base60-is-a-string": ["valid"],  # `12:30` is a string for sigs.k8s.io/yaml
    "scalar-y-is-a-bool": ["invalid"],  # ConfigMap data must be strings
    "scalar-1e3-is-a-number": ["invalid"],
    "scalar-0o17-is-a-number": ["invalid"],
    "replicas-1e3": ["valid"],
    "stream-syntax-error-in-the-middle": ["valid", "error", "valid"],
    "list-invalid-item": ["valid", "invalid"],
    "replicas-inf": ["error"],
    "format-date-time-invalid": ["invalid"],
    "format-date-time-valid": ["valid"],
    "kind-wrong-case": ["invalid"],
}


@pytest.mark.parametrize("case", sorted(KUBECONFORM_SAYS))
def test_issue_cases_as_kubeconform_sees_them(run: Run, case: str) -> None:
    (path,) = [path for path in run.inputs.mutated if path.stem == case]
    assert [status for _, _, status in run.kubeconform[str(path)]] == KUBECONFORM_SAYS[case]


def test_every_input_was_checked_by_both(run: Run) -> None:
    inputs = run.inputs.all
    assert len(run.inputs.mutated) == len(MUTATIONS) >= 90
    theirs, ours = parity.counts(run.kubeconform), parity.counts(run.flowlogs)
    assert theirs == ours
    assert set(theirs) == {"valid", "invalid", "error"}
    assert sum(theirs.values()) > len(inputs)  # streams and lists hold several resources


def test_validate_with_the_real_kubeconform_reports_no_disagreement(run: Run) -> None:
    """`flowlogs validate --kubeconform PATH` on every input (Run): the binary checks the same
    documents (with the schemas flowlogs writes for it) and any disagreement would be an error result."""
    assert run.cross_check == []
    assert run.statuses == {Status.VALID, Status.INVALID, Status.ERROR}


def test_cli_validate_with_kubeconform_passes_on_the_profiles(run: Run, run_cli) -> None:  # type: ignore[no-untyped-def]
    documents = [argument for path in parity.gitops_files() for argument in ("--documents", str(path))]
    result = run_cli(
        "--chart-dir", str(ROOT / "chart"), "validate", "--kubeconform", str(run.binary),
        "--schema-location", "default", "--schema-location", str(parity.CRDS), "--schema-location", "shipped",
        *documents,
    )  # fmt: skip
    assert result.code == 0, result.out
    assert "kubeconform disagrees" not in result.out and "kubeconform reported nothing" not in result.out


def test_a_disagreement_with_the_real_kubeconform_is_an_error(run: Run, tmp_path: Path) -> None:
    # A known difference (docs/validator.md): kubeconform keeps one of the keys `1` and "1"
    # (they differ in go-yaml's map and meet in the JSON conversion); flowlogs calls it a duplicate.
    path = tmp_path / "numbered-keys.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  1: a\n  '1': b\n")
    options = ValidateOptions(
        chart_dir=ROOT / "chart",
        targets=(),
        schema_locations=("default",),
        kubeconform_binary=str(run.binary),
        auto_binaries=False,
        extra_documents=(("numbered", path),),
    )
    results = validate(options).results
    assert [(r.check, r.status, r.kind, r.name) for r in results] == [
        (Check.SCHEMA, Status.ERROR, "ConfigMap", "demo"),
        (Check.KUBECONFORM, Status.ERROR, "ConfigMap", "demo"),
    ]
    assert results[0].message == 'duplicate key "1" (line 7; first on line 6)'
    assert results[1].message == "kubeconform disagrees: flowlogs says error, kubeconform says valid"


WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: false}
              since: {type: string, format: date-time}
              every: {type: string, format: duration}
"""


@pytest.fixture(scope="module")
def widget_crd(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """WIDGET_CRD as CRD YAML (its folder) and as kubeconform's JSON (openapi2jsonschema's rules,
    no `$schema`, by ../shared/tools/kubeconform/schemas.py; a schema-location template)."""
    directory = tmp_path_factory.mktemp("widget")
    (directory / "crds").mkdir()
    (directory / "crds" / "widgets.yaml").write_text(WIDGET_CRD)
    converted = directory / "converted"
    completed = subprocess.run(
        [sys.executable, str(parity.TOOL / "schemas.py"), "crds", str(converted), str(directory / "crds")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    return directory / "crds", f"{converted}/{parity.SHIPPED_TEMPLATE}"


@pytest.mark.parametrize(
    "spec",
    [
        "size: 0", "size: 1", "size: 10", "size: 11",  # OpenAPI 3.0's boolean exclusive bounds
        "since: '2026-11-29T05:00:00Z'", "since: yesterday", "since: 2026-11-29",
        "every: 1h30m", "every: PT1H30M", "every: P2W", "every: 90 minutes", "every: PT",
        # past int64 nanoseconds: time.ParseDuration fails (a Go-duration regex alone would accept it)
        "every: 9223372036854775808ns", "every: -9223372036854775808ns", "every: 1.5h", "every: .5s",
    ],
)  # fmt: skip
def test_a_custom_crd_with_openapi_bounds_and_formats(
    run: Run, widget_crd: tuple[Path, str], tmp_path: Path, spec: str
) -> None:
    """A CRD of one's own, as CRD YAML and as kubeconform's JSON: all three read alike."""
    crds, template = widget_crd
    document = tmp_path / "widget.yaml"
    document.write_text(f"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  {spec}\n")
    theirs = parity.run_kubeconform(run.binary, [template], [document])[str(document)]
    from_yaml = parity.run_flowlogs([document], [str(crds)])[str(document)]
    from_json = parity.run_flowlogs([document], [template])[str(document)]
    assert from_yaml == theirs and from_json == theirs

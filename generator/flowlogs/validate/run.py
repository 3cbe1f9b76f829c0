"""`flowlogs validate`: render every profile, lint it, validate every document, report.

Per profile: load `chart/profiles/<profile>/values.yaml`, render with the embedded Helm engine,
`helm lint --strict` (warnings fail, info messages do not), parse and validate each document.
When a `helm` binary is given (or on PATH with `auto_binaries`), the chart is rendered with it
too and the parsed documents must be equal. When `kubeconform` is available, it validates the
same documents and must agree. Problems become results; the exit code is decided here only.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import HelmError, UserError
from ..helm import BinaryHelm, EmbeddedHelm, HelmEngine, Manifest, cannot_run, select_engine
from ..inputs import DOCUMENT_LIMITS, InputRefused, read_yaml_text
from ..names import DEFAULT_KUBERNETES_VERSION
from . import kubeconform
from .documents import (
    Document,
    DocumentParser,
    Resource,
    json_pointer,
    load_yaml_file_data,
    read_yaml_input,
    resource_identity,
)
from .report import REPORTERS
from .results import Check, Issue, Report, Result, Status, make_report
from .schemas import SchemaRegistry
from .validator import ResourceValidator, server_rule_result

if TYPE_CHECKING:
    from .cluster import ClusterOptions

SETUP_PROFILE = "(setup)"
_MAX_DIFFERENCES = 10


@dataclass(frozen=True)
class ProfileTarget:
    name: str  # profile name, e.g. "cilium-exporter"
    values_file: Path  # chart/profiles/<name>/values.yaml
    source: str = ""  # what reports name instead (the profile file, when the chart is built in memory)

    @property
    def shown(self) -> str:
        return self.source or str(self.values_file)


@dataclass(frozen=True)
class ValidateOptions:
    chart_dir: Path
    targets: tuple[ProfileTarget, ...]
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    schema_locations: tuple[str, ...] = ()  # empty = ("default", "shipped")
    ignore_missing_schemas: bool = False
    output: str = "text"  # text | json | junit | tap
    helm_binary: str | None = None  # also render with this binary and diff
    kubeconform_binary: str | None = None
    auto_binaries: bool = True  # look for helm/kubeconform on PATH
    release_name: str = "flowlogs"
    namespace: str = "flowlogs-system"
    extra_documents: tuple[tuple[str, Path], ...] = ()  # (label, yaml file), e.g. gitops/*.yaml
    verbose: bool = False  # text output: list valid resources and passed checks too
    cluster: ClusterOptions | None = None  # also server-side dry-run every manifest on this cluster


@dataclass
class _Checked:
    """What one profile (or extra file) produced: results, and documents for kubeconform."""

    results: list[Result] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    document_results: list[Result] = field(default_factory=list)


def run_validate(options: ValidateOptions, out: TextIO) -> int:
    """Print the report to `out`; 0 when everything passed, 1 otherwise."""
    output = options.output if options.output in REPORTERS else "text"
    report = validate(options)
    REPORTERS[output](report, out, options.verbose)
    return 0 if report.ok else 1


def validate(options: ValidateOptions) -> Report:
    """Every check of a run, collected into one report (never raises for user problems)."""
    profiles = [target.name for target in options.targets] + [label for label, _ in options.extra_documents]
    cluster = None
    try:
        setup = _Setup.create(options)
        if options.cluster is not None:  # a cluster that cannot be asked is said before any rendering
            from .cluster import Cluster

            cluster = Cluster(options.cluster, *options.cluster.kubectl.connect())
    except UserError as error:
        return make_report([Result(SETUP_PROFILE, "", Check.SETUP, Status.ERROR, message=str(error))], profiles)
    checked = _map_profiles(setup.check_profile, options.targets)
    checked += [setup.check_file(label, path) for label, path in options.extra_documents]
    results = [result for item in checked for result in item.results]
    if setup.kubeconform_binary:
        results += kubeconform.cross_check(
            setup.kubeconform_binary,
            [document for item in checked for document in item.documents],
            [result for item in checked for result in item.document_results],
            setup.registry,
            ignore_missing_schemas=options.ignore_missing_schemas,
        )
    if cluster is not None:  # after the offline checks: the server's verdict on the same documents
        for profile, item in zip(profiles, checked, strict=True):
            results += cluster.dry_run(profile, item.documents, options.namespace)
    return make_report(results, profiles, setup.registry.warnings())


def _map_profiles(check: Callable[[ProfileTarget], _Checked], targets: Sequence[ProfileTarget]) -> list[_Checked]:
    """Check profiles on one thread per core, results in target order.

    Rendering and linting, most of a run, happen in Helm's Go code, which releases the GIL
    (benchmarks/README.md has the numbers).
    """
    workers = min(len(targets), os.cpu_count() or 1)
    if workers <= 1:
        return [check(target) for target in targets]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="flowlogs-validate") as pool:
        return list(pool.map(check, targets))


@dataclass(frozen=True)
class _Setup:
    """Everything a run shares: schemas, compiled validators, parser cache, engines."""

    options: ValidateOptions
    registry: SchemaRegistry
    validator: ResourceValidator
    parser: DocumentParser
    engine: HelmEngine
    helm_binary: HelmEngine | None
    kubeconform_binary: str | None

    @classmethod
    def create(cls, options: ValidateOptions) -> _Setup:
        if options.output not in REPORTERS:
            raise UserError(f"unknown output format {options.output!r}; choose one of: {', '.join(REPORTERS)}")
        registry = SchemaRegistry(options.schema_locations, kubernetes_version=options.kubernetes_version)
        kubeconform_binary = kubeconform.find_kubeconform(options.kubeconform_binary, search_path=options.auto_binaries)
        if options.kubeconform_binary and kubeconform_binary is None:
            raise UserError(f"kubeconform binary not found: {options.kubeconform_binary}")
        return cls(
            options=options,
            registry=registry,
            validator=ResourceValidator(registry, ignore_missing_schemas=options.ignore_missing_schemas),
            parser=DocumentParser(),
            engine=EmbeddedHelm(),
            helm_binary=_helm_binary(options),
            kubeconform_binary=kubeconform_binary,
        )

    def check_profile(self, target: ProfileTarget) -> _Checked:
        values = _load_values(target.values_file)
        if isinstance(values, str):
            return _Checked([Result(target.name, target.shown, Check.VALUES, Status.ERROR, message=values)])
        try:
            manifests = self._render(self.engine, values)
        except Exception as error:  # noqa: BLE001 - HelmError mostly; any failure is this profile's error
            return _Checked([Result(target.name, target.shown, Check.RENDER, Status.ERROR, message=_describe(error))])
        lint = self._lint(target, values)
        checked = _Checked([lint] if lint else [])
        self._validate(checked, self.parser.parse_manifests(target.name, manifests))
        if self.helm_binary is not None:
            checked.results += self._compare_with_binary(self.helm_binary, target, values, manifests)
        return checked

    def check_file(self, label: str, path: Path) -> _Checked:
        try:
            text = read_yaml_input(path)
        except InputRefused as refused:
            return _Checked([Result(label, str(path), Check.SCHEMA, Status.ERROR, message=refused.with_hint)])
        checked = _Checked()
        self._validate(checked, self.parser.parse_stream(label, str(path), text))
        return checked

    def _validate(self, checked: _Checked, documents: list[Document]) -> None:
        results = self.validator.validate_all(documents)
        checked.documents += documents
        checked.document_results += results  # what kubeconform is compared with: the schema verdicts only
        checked.results += results
        checked.results += [
            found
            for document in documents
            if isinstance(document, Resource) and (found := server_rule_result(document))
        ]

    def _render(self, engine: HelmEngine, values: Mapping[str, Any]) -> list[Manifest]:
        return engine.template(
            self.options.chart_dir,
            values,
            release_name=self.options.release_name,
            namespace=self.options.namespace,
            kube_version=self.options.kubernetes_version,
        )

    def _lint(self, target: ProfileTarget, values: Mapping[str, Any]) -> Result | None:
        try:
            messages = self.engine.lint(
                self.options.chart_dir,
                values,
                kube_version=self.options.kubernetes_version,
                # Rendering already checked the values against values.schema.json.
                skip_schema_validation=True,
            )
        except Exception as error:  # noqa: BLE001 - the engine's own exception types vary
            return Result(target.name, target.shown, Check.LINT, Status.ERROR, message=f"helm lint failed: {error}")
        # --strict: warnings fail like errors; info "icon is recommended" never does.
        failing = [message for message in messages if message.severity != "info"]
        if not failing:
            return None
        issues = tuple(Issue(m.path, f"[{m.severity.upper()}] {m.message}") for m in failing)
        message = f"helm lint --strict: {len(failing)} problem(s)"
        return Result(target.name, target.shown, Check.LINT, Status.ERROR, message=message, issues=issues)

    def _compare_with_binary(
        self, helm: HelmEngine, target: ProfileTarget, values: Mapping[str, Any], embedded: list[Manifest]
    ) -> list[Result]:
        try:
            binary = self._render(helm, values)
        except Exception as error:  # noqa: BLE001 - e.g. HelmError, or OSError from the binary
            return [Result(target.name, target.shown, Check.HELM_BINARY, Status.ERROR, message=_describe(error))]
        return compare_renderings(target.name, embedded, binary, self.parser)


def _helm_binary(options: ValidateOptions) -> HelmEngine | None:
    if options.helm_binary:
        try:
            return select_engine(options.helm_binary)
        except HelmError as error:
            raise UserError(str(error)) from error
    on_path = shutil.which("helm") if options.auto_binaries else None
    # A helm on PATH that cannot run here (another platform's build) is not a tier to compare with.
    return BinaryHelm(on_path) if on_path and cannot_run(on_path) is None else None


def _describe(error: Exception) -> str:
    # HelmError messages already say what failed; other exceptions need their type.
    return str(error) if isinstance(error, HelmError) else f"{type(error).__name__}: {error}"


def _load_values(path: Path) -> Mapping[str, Any] | str:
    """The values mapping, or a message saying why it cannot be used."""
    try:
        data = load_yaml_file_data(read_yaml_text(path, DOCUMENT_LIMITS))
    except InputRefused as refused:
        return f"could not read values file {refused}"
    except Exception as error:  # noqa: BLE001 - any YAML error
        return f"values file {path} is not valid YAML: {error}"
    if data is None:
        return {}
    if not isinstance(data, dict):
        return f"values file {path} must be a mapping, not a {type(data).__name__}"
    return data


# --- embedded engine vs binary ---------------------------------------------------------------


def compare_renderings(
    profile: str, embedded: Sequence[Manifest], binary: Sequence[Manifest], parser: DocumentParser | None = None
) -> list[Result]:
    """One error per document that differs (as parsed YAML data) between the two engines.

    Documents are matched by template and identity (apiVersion, kind, namespace, name), not by
    position: `helm template` prints a template's documents in install order (ServiceAccount
    before ConfigMap), the raw render keeps them in file order. With the run's parser, the
    embedded engine's documents (and the binary's identical texts) are not parsed again.
    """
    parse = (parser or DocumentParser()).parse_data
    ours = _parsed_by_identity(embedded, parse)
    theirs = _parsed_by_identity(binary, parse)
    results = []
    for key in sorted(ours.keys() | theirs.keys(), key=str):
        template = key[0]
        mine, other = ours.get(key, _ABSENT), theirs.get(key, _ABSENT)
        if mine == other:
            continue
        issues: tuple[Issue, ...] = ()
        if other is _ABSENT:
            message = "rendered by the embedded engine only"
        elif mine is _ABSENT:
            message = "rendered by the helm binary only"
        else:
            issues = tuple(_differences(mine, other, []))[:_MAX_DIFFERENCES]
            message = "the embedded engine and the helm binary render this document differently"
        _, kind, name, _ = resource_identity(mine if mine is not _ABSENT else other)
        results.append(
            Result(
                profile, template, Check.HELM_BINARY, Status.ERROR, kind=kind, name=name, message=message, issues=issues
            )
        )
    return results


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT: Any = _Absent()


def _parsed_by_identity(manifests: Iterable[Manifest], parse: Callable[[str], Any]) -> dict[tuple[str, ...], Any]:
    parsed: dict[tuple[str, ...], Any] = {}
    occurrences: Counter[tuple[str, ...]] = Counter()
    for manifest in manifests:
        data = parse(manifest.text)  # unparsable text still compares, as text
        identity = (manifest.template, *resource_identity(data))
        parsed[(*identity, str(occurrences[identity]))] = data
        occurrences[identity] += 1
    return parsed


def _differences(mine: Any, other: Any, path: list[str | int]) -> Iterable[Issue]:
    if isinstance(mine, dict) and isinstance(other, dict):
        for key in sorted(mine.keys() | other.keys(), key=str):
            left, right = mine.get(key, _ABSENT), other.get(key, _ABSENT)
            if left != right:
                yield from _differences(left, right, [*path, key])
    elif isinstance(mine, list) and isinstance(other, list) and len(mine) == len(other):
        for position, (left, right) in enumerate(zip(mine, other, strict=True)):
            if left != right:
                yield from _differences(left, right, [*path, position])
    elif mine != other:
        yield Issue(json_pointer(path), f"embedded: {_short(mine)}; helm binary: {_short(other)}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

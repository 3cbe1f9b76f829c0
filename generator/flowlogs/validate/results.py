"""What a validation run found: one `Result` per document or per failed profile-wide check.

Results are collected, never raised; reporters print them and `run_validate` turns them into
an exit code. Statuses follow kubeconform (valid / invalid / error / skipped).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class Status(str, Enum):
    VALID = "valid"
    INVALID = "invalid"  # the document breaks its schema
    ERROR = "error"  # the document (or a profile-wide check) could not be checked or failed
    SKIPPED = "skipped"  # no schema and ignore_missing_schemas


class Check(str, Enum):
    """Which check produced a result."""

    SCHEMA = "schema"  # a document against its JSON schema (also YAML parse errors)
    SERVER_RULES = "server-rules"  # what the API server refuses beyond the schema (server_rules.py); failures only
    VALUES = "values"  # loading the profile's compiled values file
    RENDER = "render"  # helm template with the embedded engine
    LINT = "lint"  # helm lint --strict
    HELM_BINARY = "helm-binary"  # embedded engine vs a helm binary
    KUBECONFORM = "kubeconform"  # our verdict vs kubeconform's
    SETUP = "setup"  # options that make the run impossible (bad schema location, version)
    CLUSTER = "cluster"  # server-side apply, dry run, on the user's cluster (validate --cluster)


@dataclass(frozen=True)
class Issue:
    """One problem inside a result: a JSON pointer (or chart path) and a message."""

    path: str  # "/spec/template/spec/containers/0"; "" is the document root
    message: str
    line: int = 0  # 1-based line within the document, when known


@dataclass(frozen=True)
class Result:
    profile: str  # profile name, or the label of an extra document file
    template: str  # template path "flowlogs/templates/x.yaml", document file or values file
    check: Check
    status: Status
    kind: str = ""
    name: str = ""
    namespace: str = ""
    api_version: str = ""
    index: int = 0  # document index within its template / file
    message: str = ""  # the whole problem for ERROR/SKIPPED results
    issues: tuple[Issue, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status in (Status.INVALID, Status.ERROR)

    @property
    def subject(self) -> str:
        """`Kind name` for documents, "" for a profile-wide check."""
        return f"{self.kind or '<no kind>'} {self.name or '<no name>'}" if self.kind or self.name else ""


@dataclass(frozen=True)
class Summary:
    """In the order of kubeconform's JSON summary, then flowlogs' own counts."""

    valid: int
    invalid: int
    errors: int  # schema errors plus failed profile-wide checks
    skipped: int
    resources: int  # documents checked against a schema
    profiles: int


@dataclass(frozen=True)
class SchemaWarning:
    """Something a run should say about the schema of a kind without failing (e.g. CRDs that disagree)."""

    api_version: str
    kind: str
    message: str


@dataclass(frozen=True)
class Report:
    results: tuple[Result, ...]
    profiles: tuple[str, ...]  # every profile / label that was checked, in order
    warnings: tuple[SchemaWarning, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(result.failed for result in self.results)

    @property
    def summary(self) -> Summary:
        count = Counter(result.status for result in self.results)
        return Summary(
            valid=count[Status.VALID],
            invalid=count[Status.INVALID],
            errors=count[Status.ERROR],
            skipped=count[Status.SKIPPED],
            resources=sum(1 for result in self.results if result.check is Check.SCHEMA),
            profiles=len(self.profiles),
        )


def make_report(results: Iterable[Result], profiles: Iterable[str], warnings: Iterable[SchemaWarning] = ()) -> Report:
    return Report(tuple(results), tuple(dict.fromkeys(profiles)), tuple(warnings))

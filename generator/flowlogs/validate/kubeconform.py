"""Cross-check our verdicts with a real `kubeconform` binary, when one is available.

kubeconform gets the very same documents (one file each, so every verdict maps back to one
document) and the same schema locations, translated to what it can read offline: the bundled
Kubernetes schemas are written out standalone, CRDs are converted to JSON files in its
`{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json` layout. Any per-document
disagreement on the status becomes an error result.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .documents import Document
from .partial import PARTIAL_MESSAGE
from .results import Check, Result, Status
from .schemas import SchemaKey, SchemaRegistry

KUBECONFORM_PROFILE = "(kubeconform)"
_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class KubeconformVerdict:
    status: Status
    message: str = ""


class KubeconformFailed(Exception):
    """kubeconform gave no verdicts: why."""


def find_kubeconform(binary: str | None, *, search_path: bool) -> str | None:
    """The kubeconform to run: the given one, else the one on PATH (when searching)."""
    if binary:
        return shutil.which(binary) or (binary if Path(binary).is_file() else None)
    return shutil.which("kubeconform") if search_path else None


def parse_status(text: str) -> Status | None:
    """kubeconform writes `statusInvalid` (v0.5+) or `INVALID` (older)."""
    name = text.strip().lower().removeprefix("status")
    return next((status for status in Status if status.value == name), None)


def parse_output(stdout: str) -> dict[str, KubeconformVerdict]:
    """`-output json` -> verdicts by file base name (raises ValueError on other output)."""
    data = json.loads(stdout)
    verdicts: dict[str, KubeconformVerdict] = {}
    for resource in data.get("resources") or []:
        if not resource.get("status"):
            continue  # an empty document (`-verbose` lists it with no status): no resource
        status = parse_status(str(resource.get("status", "")))
        if status is None:
            raise ValueError(f"unknown kubeconform status {resource.get('status')!r}")
        name = Path(str(resource.get("filename", ""))).name
        verdicts[name] = KubeconformVerdict(status, str(resource.get("msg", "")))
    return verdicts


def _document_file_name(number: int) -> str:
    return f"doc-{number:06d}.yaml"


def run_kubeconform(
    binary: str, documents: Sequence[Document], registry: SchemaRegistry, *, ignore_missing_schemas: bool
) -> dict[str, KubeconformVerdict]:
    """kubeconform's verdicts by document file name (KubeconformFailed when there are none)."""
    with tempfile.TemporaryDirectory(prefix="flowlogs-kubeconform-") as workdir:
        documents_dir = Path(workdir) / "documents"
        documents_dir.mkdir()
        for number, document in enumerate(documents):
            (documents_dir / _document_file_name(number)).write_text(document.text, encoding="utf-8")
        # Documents flowlogs rejects while parsing (a duplicate key) still name their kind:
        # kubeconform may read them, and needs the schema to give its own verdict.
        keys = {SchemaKey(d.api_version, d.kind) for d in documents if d.api_version and d.kind}
        locations = registry.kubeconform_locations(Path(workdir) / "schemas", keys)
        command = [
            binary,
            "-strict",
            "-summary",
            "-verbose",
            "-output",
            "json",
            "-kubernetes-version",
            registry.kubernetes_version,
            *[argument for location in locations for argument in ("-schema-location", location)],
            *(["-ignore-missing-schemas"] if ignore_missing_schemas else []),
            str(documents_dir),
        ]
        try:
            completed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=_TIMEOUT_SECONDS)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise KubeconformFailed(f"could not run kubeconform: {error}") from error
        try:
            return parse_output(completed.stdout)
        except (ValueError, AttributeError) as error:
            detail = completed.stderr.strip() or completed.stdout.strip()[:500]
            message = f"kubeconform (exit {completed.returncode}) gave no JSON verdicts ({error}): {detail}"
            raise KubeconformFailed(message) from error


def kubeconform_equivalent(result: Result) -> Status:
    """The verdict kubeconform gives where flowlogs gives `result`. kubeconform knows no Argo CD
    `Validate=false`: a partial manifest flowlogs accepts without its required properties
    (validate/partial.py) is invalid to kubeconform, by design (docs/validator.md)."""
    if result.status is Status.VALID and result.message == PARTIAL_MESSAGE:
        return Status.INVALID
    return result.status


def cross_check(
    binary: str,
    documents: Sequence[Document],
    results: Sequence[Result],
    registry: SchemaRegistry,
    *,
    ignore_missing_schemas: bool,
) -> list[Result]:
    """Run kubeconform on `documents` (validated as `results`, same order): one error result per
    document on which kubeconform and flowlogs disagree."""
    if not documents:
        return []
    try:
        verdicts = run_kubeconform(binary, documents, registry, ignore_missing_schemas=ignore_missing_schemas)
    except KubeconformFailed as error:
        return [Result(KUBECONFORM_PROFILE, binary, Check.KUBECONFORM, Status.ERROR, message=str(error))]
    disagreements = []
    for number, result in enumerate(results[: len(documents)]):
        theirs = verdicts.get(_document_file_name(number))
        if theirs is None:
            message = f"kubeconform reported nothing for this document (flowlogs: {result.status.value})"
        elif theirs.status is not kubeconform_equivalent(result):
            message = (
                f"kubeconform disagrees: flowlogs says {result.status.value}, kubeconform says {theirs.status.value}"
            )
            message += f": {theirs.message}" if theirs.message else ""
        else:
            continue
        # The document's identity, this check's verdict (not flowlogs' issues).
        disagreements.append(replace(result, check=Check.KUBECONFORM, status=Status.ERROR, message=message, issues=()))
    return disagreements

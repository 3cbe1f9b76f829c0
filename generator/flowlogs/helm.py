"""The Helm engine: render and lint the chart with the real Helm code.

Two engines give the same answers: the embedded one (PyPI `helm-python-sdk`, Helm's Go
library loaded in-process, works offline) and a `helm` binary (used when one is on PATH or
named by the user). Both return the rendered chart as a list of `Manifest` documents keyed
by template path, so their outputs can be compared document by document.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .caches import installed_stamp
from .errors import HelmError
from .extras import MissingExtra, missing, require
from .names import DEFAULT_KUBERNETES_VERSION

if TYPE_CHECKING:
    import subprocess

_SOURCE_RE = re.compile(r"^# Source: (?P<source>\S+)\s*$", re.MULTILINE)
# A `---` line starts a document, also when a comment follows it (`--- # note`), as with Helm's
# own split (pkg/releaseutil SplitManifests); the rest of the line goes with the new document.
_DOC_SPLIT_RE = re.compile(r"^---(?:[ \t]+|$)", re.MULTILINE)
_LINT_MESSAGE_RE = re.compile(r"^\[(?P<severity>INFO|WARNING|ERROR|UNKNOWN)\] (?P<path>[^:]*): (?P<message>.*)\Z")
_LINT_TALLY_RE = re.compile(r"^\d+ chart\(s\) linted")  # helm lint's closing line
_LINT_SEVERITIES = {1: "info", 2: "warning", 3: "error"}  # helm's support.Severity values


@dataclass(frozen=True)
class Manifest:
    """One YAML document of a rendered chart."""

    template: str  # e.g. "flowlogs/templates/cilium/configmap.yaml"
    index: int  # position of the document within its template
    text: str


@dataclass(frozen=True)
class LintMessage:
    severity: str  # "info" | "warning" | "error"
    path: str
    message: str


def split_documents(template: str, text: str) -> list[Manifest]:
    """Split one template's output into its documents, as Helm does; empty ones are dropped."""
    manifests: list[Manifest] = []
    for part in _DOC_SPLIT_RE.split(text):
        body = _document_body(part)
        if body is not None:
            manifests.append(Manifest(template, len(manifests), body))
    return manifests


def _document_body(part: str) -> str | None:
    """The document without its `# Source:` line; None when only comments remain.

    `helm template` prints comment-only documents, the raw render of the embedded engine has
    them too: both engines drop them here so their outputs compare alike (kubeconform, too,
    treats them as empty).
    """
    body = _SOURCE_RE.sub("", part).strip("\n")
    if all(not line.strip() or line.lstrip().startswith("#") for line in body.splitlines()):
        return None
    return body + "\n"


def _kube_version(version: str) -> str:
    return version if version.startswith("v") else f"v{version}"


class EmbeddedHelm:
    """Helm's Go library in-process (helm-python-sdk)."""

    def __init__(self) -> None:
        require("render")
        import helm_python

        # Helm's Go logger would print template `fail` messages to stderr a second time.
        helm_python.disable_logging()
        self._helm = helm_python

    def template(
        self,
        chart_dir: Path,
        values: Mapping[str, Any],
        *,
        release_name: str,
        namespace: str,
        kube_version: str = DEFAULT_KUBERNETES_VERSION,
    ) -> list[Manifest]:
        # The Python wrapper does not expose kube_version; the C ABI it wraps does.
        from helm_python import _native

        options = {
            "name": release_name,
            "namespace": namespace,
            "kube_version": _kube_version(kube_version),
            "is_install": True,
        }
        try:
            with self._helm.Chart.load(str(chart_dir)) as chart:
                rendered: dict[str, str] = json.loads(
                    _native.call_string("helm_render", chart._raw(), json.dumps(dict(values)), json.dumps(options))
                )
        except self._helm.HelmError as error:
            raise HelmError(f"helm (embedded) could not render {chart_dir}: {error}") from error
        manifests: list[Manifest] = []
        for template in sorted(rendered):
            if template.endswith("NOTES.txt"):
                continue
            manifests.extend(split_documents(template, rendered[template]))
        return manifests

    def lint(
        self,
        chart_dir: Path,
        values: Mapping[str, Any],
        *,
        kube_version: str = DEFAULT_KUBERNETES_VERSION,
        skip_schema_validation: bool = False,
    ) -> list[LintMessage]:
        result = self._helm.lint(
            str(chart_dir),
            dict(values),
            strict=True,
            kube_version=_kube_version(kube_version),
            skip_schema_validation=skip_schema_validation,
        )
        return [
            LintMessage(_LINT_SEVERITIES.get(int(m["severity"]), "error"), str(m["path"]), str(m["error"]).strip())
            for m in result.get("messages") or []
        ]


class BinaryHelm:
    """A `helm` executable (Helm 3.x or 4.x)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def _run(self, args: list[str], values: Mapping[str, Any]) -> subprocess.CompletedProcess[str]:
        import subprocess

        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(dict(values), handle)
            values_file = handle.name
        try:
            env = {**os.environ, "HELM_CACHE_HOME": tempfile.gettempdir() + "/flowlogs-helm-cache"}
            return subprocess.run(
                [self.path, *args, "--values", values_file], capture_output=True, text=True, check=False, env=env
            )
        finally:
            os.unlink(values_file)

    def template(
        self,
        chart_dir: Path,
        values: Mapping[str, Any],
        *,
        release_name: str,
        namespace: str,
        kube_version: str = DEFAULT_KUBERNETES_VERSION,
    ) -> list[Manifest]:
        result = self._run(
            ["template", release_name, str(chart_dir), "--namespace", namespace, "--kube-version", kube_version], values
        )
        if result.returncode != 0:
            raise HelmError(f"helm ({self.path}) could not render {chart_dir}: {result.stderr.strip()}")
        return parse_template_output(result.stdout)

    def lint(
        self,
        chart_dir: Path,
        values: Mapping[str, Any],
        *,
        kube_version: str = DEFAULT_KUBERNETES_VERSION,
        skip_schema_validation: bool = False,
    ) -> list[LintMessage]:
        args = ["lint", str(chart_dir), "--kube-version", kube_version, "--strict"]
        if skip_schema_validation:
            args.append("--skip-schema-validation")
        result = self._run(args, values)
        messages = parse_lint_output(result.stdout)
        if result.returncode != 0 and not any(m.severity != "info" for m in messages):
            messages.append(LintMessage("error", str(chart_dir), result.stderr.strip()))
        return messages


# The two engines: they render and lint alike (tests/test_helm_binary.py compares them).
HelmEngine = EmbeddedHelm | BinaryHelm


def parse_lint_output(stdout: str) -> list[LintMessage]:
    """`helm lint` findings: `[SEVERITY] path: message`, where a message may span lines.

    Values-schema errors, for one, go on with `chart:` and `- at '/x': ...` lines.
    """
    found: list[tuple[str, str, list[str]]] = []
    for line in stdout.splitlines():
        match = _LINT_MESSAGE_RE.match(line)
        if match:
            severity = match["severity"].lower()
            found.append(("error" if severity == "unknown" else severity, match["path"], [match["message"]]))
        elif line.startswith("==> ") or _LINT_TALLY_RE.match(line):
            found.append(("", "", []))  # a header or the closing tally: not part of a message
        elif found:
            found[-1][2].append(line)
    return [LintMessage(severity, path, "\n".join(lines).strip()) for severity, path, lines in found if severity]


def parse_template_output(stream: str) -> list[Manifest]:
    """Parse `helm template` output (documents headed by `# Source:` comments)."""
    counters: dict[str, int] = {}
    manifests: list[Manifest] = []
    for part in _DOC_SPLIT_RE.split(stream):
        match = _SOURCE_RE.search(part)
        body = _document_body(part) if match else None
        if match is None or body is None:
            continue
        template = match["source"]
        # Position among the template's documents in helm's install order (kind order, which
        # may differ from file order): compare documents by identity, not by index.
        index = counters.get(template, 0)
        counters[template] = index + 1
        manifests.append(Manifest(template, index, body))
    return sorted(manifests, key=lambda m: (m.template, m.index))


def cannot_run(binary: str) -> str | None:
    """Why a binary cannot be executed here (the OS's words, e.g. "Exec format error" for a build
    of another platform, "Permission denied"), or None when it runs."""
    import subprocess

    try:
        subprocess.run([binary, "version"], capture_output=True, check=False, timeout=60)
    except OSError as error:
        return error.strerror or str(error)
    return None


def usable_binary(helm_binary: str) -> BinaryHelm:
    """A named helm binary, checked to exist and to run on this machine."""
    if not shutil.which(helm_binary) and not Path(helm_binary).is_file():
        raise HelmError(f"helm binary not found: {helm_binary}")
    problem = cannot_run(shutil.which(helm_binary) or helm_binary)
    if problem:
        import platform

        raise HelmError(
            f"helm binary {helm_binary} cannot run on this machine ({platform.system().lower()} {platform.machine()}): "
            f"{problem}; it is probably built for another OS or CPU: use a helm build for this platform, or leave out "
            "--helm to use the embedded engine"
        )
    return BinaryHelm(helm_binary)


def engine_identity(helm_binary: str | None = None) -> str:
    """Which engine `select_engine` would take, and which build of it, without loading either: a
    binary as an installed file (`caches.installed_stamp`: hashing a 50 MB binary would cost more
    than the render it saves); the embedded one by the installed libraries (the cache's
    `code_stamp` covers them)."""
    binary = helm_binary or shutil.which("helm")
    if binary:
        try:
            return f"binary {binary} {installed_stamp(shutil.which(binary) or binary)}"
        except OSError:
            return f"binary {binary} (missing)"
    return "embedded"


# What renders in place of the embedded engine when the `render` extra is not installed.
BINARY_ALTERNATIVE = "or a helm binary: on PATH, or --helm PATH"


def select_engine(
    helm_binary: str | None = None, *, prefer_binary: bool = True, alternative: str = BINARY_ALTERNATIVE
) -> HelmEngine:
    """The engine to use: a named binary, else `helm` on PATH (when it runs here), else the embedded
    one. Without the embedded engine (the `render` extra), `helm` on PATH even when not preferred,
    else MissingExtra naming the extra and `alternative`."""
    if helm_binary:
        return usable_binary(helm_binary)
    on_path = shutil.which("helm") if prefer_binary or missing("render") else None
    if on_path and cannot_run(on_path) is None:
        return BinaryHelm(on_path)
    if missing("render"):
        raise MissingExtra("render", alternative)
    return EmbeddedHelm()


def require_engine(helm_binary: str | None = None, alternative: str = BINARY_ALTERNATIVE) -> None:
    """MissingExtra up front, before any profile is read, when `select_engine` would find no engine."""
    if not (helm_binary or shutil.which("helm")):
        require("render", alternative)

"""The Argo CD settings of the generated manifests: defaults, the fleet file's `gitops:` section, CLI flags.

Precedence, lowest first: the defaults below, `gitops:` in values/fleet.yaml, command-line
flags. The committed file is the source of truth: generated output must be the same on every
machine, so nothing here is guessed from the environment (the Git remote is only quoted in a
hint when the repository URL is missing).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from ..errors import Diagnostics, Location, did_you_mean
from ..names import DNS_LABEL_RE
from ..profile import Node
from ..registry import PRODUCTS_BY_KEY

# `.invalid` can never resolve (RFC 2606): a missing repo-url cannot deploy something else.
PLACEHOLDER_REPO_URL = "https://git.example.invalid/flowlogs.git"
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
_SCP_LIKE_RE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/\s][^\s]*\Z")


@dataclass(frozen=True)
class RetrySettings:
    """syncPolicy.retry: automated sync does not retry a failed revision by itself."""

    limit: int = 5
    duration: str = "5s"
    factor: int = 2
    max_duration: str = "3m"


@dataclass(frozen=True)
class SyncSettings:
    automated: bool = True
    prune: bool = True
    self_heal: bool = True
    create_namespace: bool = True
    server_side_apply: bool | None = None  # None: auto (profiles with a Calico part)
    fail_on_shared_resource: bool = True
    retry: RetrySettings = RetrySettings()


@dataclass(frozen=True)
class CiliumRelease:
    """Cilium's own chart, carried by the multi-source variant of the profile Applications."""

    versions: dict[str, str]  # Cilium minor "1.17" -> exact chart version "1.17.6"
    product: str = "cilium"  # the product whose own chart this release is
    repo_url: str = "https://helm.cilium.io/"
    chart: str = "cilium"
    release_name: str = "cilium"
    value_files: tuple[str, ...] = ()
    versions_location: Location = field(default=Location(""), compare=False)


@dataclass(frozen=True)
class GitopsSettings:
    repo_url: str = PLACEHOLDER_REPO_URL
    revision: str = "HEAD"
    chart_path: str = "chart"
    argocd_namespace: str = "argocd"
    project: str = "default"
    release_name: str = "flowlogs"
    destination_server: str = IN_CLUSTER_SERVER
    destination_namespace: str = "flowlogs-system"
    sync: SyncSettings = SyncSettings()
    cascade_delete: bool = True
    cilium_release: CiliumRelease | None = None
    # "list": the ApplicationSet lists the fleet file's clusters; "labels": Argo CD's cluster
    # generator selects registered clusters by their flowlogs.dev/profile label.
    cluster_generator: str = "list"


@dataclass(frozen=True)
class SettingsOverrides:
    """Command-line flags; None means "not given"."""

    repo_url: str | None = None
    revision: str | None = None
    argocd_namespace: str | None = None
    project: str | None = None


# ---------------------------------------------------------------- value checks (shared with the fleet)


def _refuse(diagnostics: Diagnostics, location: Location, message: str, hint: str) -> bool:
    diagnostics.error(location, message, hint)
    return False


def check_cluster_server(value: str, location: Location, diagnostics: Diagnostics, what: str) -> bool:
    """A Kubernetes API server URL as Argo CD matches it against its cluster secrets."""
    hint = (
        "write the cluster's API server URL exactly as in its Argo CD cluster secret, e.g. https://10.0.0.1:6443 or "
        "https://kubernetes.default.svc"
    )
    if value != value.strip() or any(c.isspace() for c in value):
        return _refuse(diagnostics, location, f"{what} '{value}' contains spaces", hint)
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        return _refuse(diagnostics, location, f"{what} '{value}' is not a valid URL ({error})", hint)
    if parts.scheme != "https" or "://" not in value:
        problem = "has no scheme" if "://" not in value else f"uses '{parts.scheme}://'"
        message = f"{what} '{value}' {problem}; Kubernetes API servers are reached over https://"
        return _refuse(diagnostics, location, message, hint)
    if not parts.hostname:
        return _refuse(diagnostics, location, f"{what} '{value}' has no host name", hint)
    if "@" in parts.netloc:
        credentials = "credentials belong in the Argo CD cluster secret, never in a file in Git"
        return _refuse(diagnostics, location, f"{what} '{value}' carries credentials", credentials)
    if parts.query or parts.fragment:
        message = f"{what} '{value}' has a query or fragment; an API server URL has neither"
        return _refuse(diagnostics, location, message, hint)
    if port == 0:
        return _refuse(diagnostics, location, f"{what} '{value}' has port 0", hint)
    if parts.path.endswith("/"):
        diagnostics.warning(
            location,
            f"{what} '{value}' ends with '/'",
            "Argo CD compares the server string with the cluster secret's; write it without the trailing slash unless "
            "the secret has one",
        )
    return True


def check_repo_url(value: str, location: Location, diagnostics: Diagnostics, what: str) -> bool:
    hint = (
        "a Git URL Argo CD can clone: https://github.com/org/repo.git, ssh://git@host/org/repo.git or "
        "git@host:org/repo.git"
    )
    if not check_template_free(value, location, diagnostics, what):
        return False
    if any(c.isspace() or not c.isprintable() for c in value):
        return _refuse(diagnostics, location, f"{what} {value!r} contains spaces or control characters", hint)
    if value.startswith("-"):  # git and ssh would read it as an option
        return _refuse(diagnostics, location, f"{what} '{value}' starts with '-'", hint)
    if _SCP_LIKE_RE.match(value):
        return True
    try:
        parts = urlsplit(value)
    except ValueError as error:
        return _refuse(diagnostics, location, f"{what} '{value}' is not a valid URL ({error})", hint)
    if parts.scheme not in ("https", "http", "ssh", "git") or not parts.hostname:
        return _refuse(diagnostics, location, f"{what} '{value}' is not a Git URL", hint)
    if parts.scheme in ("https", "http") and parts.password:
        credentials = "credentials belong in an Argo CD repository secret, never in a file in Git"
        return _refuse(diagnostics, location, f"{what} '{value}' carries a password", credentials)
    return True


def check_helm_repo_url(value: str, location: Location, diagnostics: Diagnostics) -> bool:
    if not check_template_free(value, location, diagnostics, "Helm repository URL"):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("https", "http", "oci")
        or not parts.hostname
        or any(c.isspace() for c in value)
    ):
        hint = "e.g. https://helm.cilium.io/ (Cilium's chart repository) or an oci:// registry"
        return _refuse(diagnostics, location, f"Helm repository URL '{value}' is not valid", hint)
    return True


def check_repo_path(value: str, location: Location, diagnostics: Diagnostics, what: str) -> str | None:
    """A path inside the repository, as Argo CD takes it: relative, '/'-separated, no '..'."""
    hint = "write it relative to the repository root with '/', e.g. chart or clusters/cilium-values.yaml"
    if not check_template_free(value, location, diagnostics, what):
        return None
    normalized = posixpath.normpath(value)
    if not value.strip() or any(not c.isprintable() for c in value) or value != value.strip():
        message = f"{what} {value!r} is empty or has control characters or leading/trailing spaces"
    elif "\\" in value or value.startswith("/") or re.match(r"^[A-Za-z]:", value):
        message = f"{what} '{value}' must be relative to the repository root"
    elif normalized == ".." or normalized.startswith("../") or ".." in PurePosixPath(value).parts:
        message = f"{what} '{value}' leaves the repository"
    else:
        return normalized
    diagnostics.error(location, message, hint)
    return None


def check_template_free(value: str, location: Location, diagnostics: Diagnostics, what: str) -> bool:
    """A fleet string that lands in the ApplicationSet's template must be data, not Go template code.

    The ApplicationSet sets `goTemplate: true` (argo-cd applicationset/utils: the template's
    strings are rendered with text/template and Sprig), so `main{{ printf ... }}` would run.
    """
    if "{{" in value or "}}" in value:
        return _refuse(
            diagnostics,
            location,
            f"{what} '{value}' contains '{{{{' or '}}}}': Argo CD renders the ApplicationSet template as a Go template "
            "and would run it",
            f"write the {what} itself; template expressions are not allowed in the fleet file",
        )
    return True


# git's rules for a ref name (git/git Documentation/git-check-ref-format.txt, refs.c
# check_refname_format): no control characters, space, ~ ^ : ? * [ \; no "..", "@{", "//";
# no component starting with "." or ending with ".lock"; not ending with "/" or "."; not "@".
_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|(^|/)\.|\.lock(/|\Z)|[/.]\Z|^/|^@\Z")


def check_revision(value: str, location: Location, diagnostics: Diagnostics, what: str) -> bool:
    """A Git revision Argo CD can fetch: HEAD, a branch or tag name (git's ref-name rules), or a commit."""
    hint = "a branch, tag or commit as git names it, e.g. main, v1.2.0 or HEAD"
    if not check_template_free(value, location, diagnostics, what):
        return False
    if not value.strip():
        return _refuse(diagnostics, location, f"the {what} is empty", hint)
    if value.startswith("-"):
        # git would read it as an option (`git fetch origin -x`); `git branch` refuses such names.
        return _refuse(diagnostics, location, f"{what} '{value}' starts with '-'", hint)
    bad = _BAD_REF.search(value)
    if bad is not None:
        shown = repr(bad.group())[1:-1] if bad.group().strip() else "a space or control character"
        message = f"{what} {value!r} is not a valid Git ref name (it contains {shown or 'an invalid ending'})"
        return _refuse(diagnostics, location, message, hint)
    return True


def _check_name(value: str, location: Location, diagnostics: Diagnostics, what: str) -> bool:
    hint = "use lower-case letters, digits and '-' (a DNS label)"
    return bool(DNS_LABEL_RE.match(value)) or _refuse(diagnostics, location, f"'{value}' is not a valid name", hint)


# ---------------------------------------------------------------- the `gitops:` section


def _given(node: Node, *keys: str) -> dict[str, Any]:
    """The keys set in `node` (their types checked by the fleet schema) by their field names (`-` as `_`)."""
    return {key.replace("-", "_"): node.get(key).value for key in keys if node.get(key).value is not None}


def default_chart_path(values_dir: Path, chart_dir: Path) -> str:
    """The chart directory relative to the repository root (taken as values/'s parent)."""
    root = values_dir.resolve().parent
    try:
        return chart_dir.resolve().relative_to(root).as_posix()
    except ValueError:
        return chart_dir.name


def _retry(node: Node) -> RetrySettings:
    given = _given(node, "limit") | _given(node.get("backoff"), "duration", "factor", "max-duration")
    # int: the schema's integer admits 5.0
    counts: dict[str, Any] = {key: int(given[key]) for key in ("limit", "factor") if key in given}
    return RetrySettings(**given | counts)


def settings_from_node(section: Node, values_dir: Path, chart_dir: Path, diagnostics: Diagnostics) -> GitopsSettings:
    """Read `gitops:` (already schema-checked); value problems go to `diagnostics`."""
    derived_chart_path = default_chart_path(values_dir, chart_dir)
    settings = GitopsSettings(chart_path=derived_chart_path)
    if not isinstance(section.value, dict):
        return settings

    destination = section.get("destination")
    checked = (
        ("repo_url", section.get("repo-url"), check_repo_url, "repository URL"),
        ("revision", section.get("revision"), check_revision, "revision"),
        ("destination_server", destination.get("server"), check_cluster_server, "destination server"),
    )
    for attribute, node, check, what in checked:
        if node.value is not None and check(str(node.value), node.location, diagnostics, what):
            settings = replace(settings, **{attribute: str(node.value)})  # type: ignore[arg-type]  # all are str

    chart_path = section.get("chart-path")
    if chart_path.value is not None:
        normalized = check_repo_path(str(chart_path.value), chart_path.location, diagnostics, "chart-path")
        if normalized is not None:
            if normalized != derived_chart_path:
                diagnostics.warning(
                    chart_path.location,
                    f"chart-path '{normalized}' is not where this run writes the chart ({derived_chart_path}, relative "
                    f"to {values_dir.resolve().parent})",
                    "the Applications point Argo CD at chart-path; keep it equal to the chart directory in the "
                    "repository",
                )
            settings = replace(settings, chart_path=normalized)

    sync = section.get("sync")
    ssa = sync.get("server-side-apply").value
    settings = replace(
        settings,
        **_given(section, "argocd-namespace", "project", "release-name", "cascade-delete", "cluster-generator"),
        destination_namespace=destination.get("namespace").value or settings.destination_namespace,
        sync=SyncSettings(
            **_given(sync, "automated", "prune", "self-heal", "create-namespace", "fail-on-shared-resource"),
            server_side_apply=None if ssa in (None, "auto") else bool(ssa),
            retry=_retry(sync.get("retry")),
        ),
    )
    if not settings.sync.automated:
        for key in ("prune", "self-heal"):
            if sync.get(key).value is True:
                diagnostics.warning(
                    sync.get(key).key_location, (f"sync.{key} has no effect without sync.automated: true")
                )

    release = section.get("cilium-release")
    if isinstance(release.value, dict) and release.get("enabled").value is not False:
        settings = replace(settings, cilium_release=_cilium_release(release, values_dir, diagnostics))
    return settings


def _cilium_release(release: Node, values_dir: Path, diagnostics: Diagnostics) -> CiliumRelease:
    SUPPORTED_VERSIONS = PRODUCTS_BY_KEY[CiliumRelease.product].versions
    versions_node = release.get("versions")
    versions: dict[str, str] = {}
    for minor, version in versions_node.items():
        if minor not in SUPPORTED_VERSIONS:
            diagnostics.error(
                version.key_location,
                f"unknown Cilium version '{minor}' in cilium-release.versions{did_you_mean(minor, SUPPORTED_VERSIONS)}",
                "one of: " + ", ".join(SUPPORTED_VERSIONS) + ' (quote it: "1.17")',
            )
            continue
        if check_template_free(str(version.value), version.location, diagnostics, "Cilium chart version"):
            versions[minor] = str(version.value)
    chart = release.get("chart")
    if chart.value is not None:
        check_template_free(str(chart.value), chart.location, diagnostics, "Cilium chart name")
    repo_url = release.get("repo-url")
    if repo_url.value is not None:
        check_helm_repo_url(str(repo_url.value), repo_url.location, diagnostics)
    root = values_dir.resolve().parent
    value_files: list[str] = []
    for item in release.get("value-files").elements():
        normalized = check_repo_path(str(item.value), item.location, diagnostics, "Cilium values file")
        if normalized is None:
            continue
        if not (root / normalized).is_file():
            diagnostics.error(
                item.location,
                f"Cilium values file '{normalized}' not found in the repository ({root / normalized})",
                "Argo CD fails the whole sync on a missing values file; commit it or remove it from the list",
            )
            continue
        value_files.append(normalized)
    return CiliumRelease(
        versions,
        **_given(release, "repo-url", "chart", "release-name"),
        value_files=tuple(value_files),
        versions_location=versions_node.key_location,
    )


def apply_overrides(
    settings: GitopsSettings, overrides: SettingsOverrides | None, diagnostics: Diagnostics
) -> GitopsSettings:
    if overrides is None:
        return settings
    flags = (
        ("--repo-url", overrides.repo_url, "repo_url", check_repo_url, "repository URL"),
        ("--revision", overrides.revision, "revision", check_revision, "target revision"),
        ("--argocd-namespace", overrides.argocd_namespace, "argocd_namespace", _check_name, "namespace"),
        ("--project", overrides.project, "project", _check_name, "project"),
    )
    for flag, value, attribute, check, what in flags:
        if value is not None and check(value, Location(flag), diagnostics, what):
            settings = replace(settings, **{attribute: value})  # type: ignore[arg-type]  # all four attributes are str
    return settings


def git_origin_hint(values_dir: Path) -> str:
    """`git remote get-url origin`, for a hint only (never written into generated files)."""
    import subprocess  # here: only a fleet file without a repository URL asks git

    try:
        result = subprocess.run(
            ["git", "-C", str(values_dir), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    url = result.stdout.strip() if result.returncode == 0 else ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.username or parts.password:  # never echo a token
        host = parts.hostname or ""
        url = parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host).geturl()
    return url

"""What `generate`, `check` and `diff` print: which notes are worth repeating, and the JSON forms.

`generate` shows a profile's notes and warnings once (the same note is never repeated), and
only when that profile's compiled files changed in this run, or with `--verbose`: a run
that changes nothing stays quiet, and a fleet setting that rewrites every Application
(gitops/changes.py says what changed) repeats no profile's notes. `-o json` prints one JSON
document on stdout whose keys are listed in docs/cli.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .errors import Diagnostic, unique
from .extras import names_an_extra
from .names import PROFILES_DIR, tree_name
from .trees import SyncReport

if TYPE_CHECKING:
    from .diff import RenderedDiff
    from .generate import Plan


def diagnostics_to_show(built: Plan, report: SyncReport, chart_name: str, verbose: bool) -> list[Diagnostic]:
    """Notes and warnings of the profiles that changed (all of them with `verbose`), each once;
    a check skipped for want of an extra every time (`skipped_checks`). A profile changed when its
    compiled files were written or removed in this run; the fleet file when gitops/ changed. A
    profile's Application alone changes with the fleet's settings (`repo-url` rewrites every one):
    that repeats none of its notes."""
    if verbose:
        return unique(built.diagnostics)
    touched = set(report.written) | set(report.removed)
    gitops = tree_name(built.gitops_dir)
    changed = {
        profile.source
        for profile in built.profiles
        if any(path.startswith(f"{chart_name}/{PROFILES_DIR}/{profile.name}/") for path in touched)
    }
    if any(path.startswith(f"{gitops}/") for path in touched):
        changed |= {d.location.file for d in built.diagnostics if d.location.file.endswith(("fleet.yaml", "fleet.yml"))}
    return unique(d for d in built.diagnostics if d.location.file in changed or names_an_extra(d.hint))


def skipped_checks(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """The warnings of checks not made because an extra is not installed (e.g. CEL without `cel`):
    every command that accepts the profiles shows them, so nothing unchecked passes silently."""
    return unique(d for d in diagnostics if names_an_extra(d.hint))


def diagnostic_json(diagnostic: Diagnostic) -> dict[str, Any]:
    location = diagnostic.location
    return {
        "severity": diagnostic.severity.value,
        "file": location.file,
        "line": location.line,
        "column": location.column,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
    }


def generate_json(built: Plan, report: SyncReport) -> dict[str, Any]:
    return {
        "command": "generate",
        "profiles": [
            {
                "name": profile.name,
                "source": profile.source,
                "parts": [product.summary(part) for product, part in profile.products()],
            }
            for profile in built.profiles
        ],
        "clusters": len(built.fleet.clusters),
        "written": report.written,
        "removed": report.removed,
        "unchanged": len(report.unchanged),
        "diagnostics": [diagnostic_json(d) for d in unique(built.diagnostics)],
    }


def stale_files(diff: str) -> list[str]:
    """The files a `check` diff names (its `+++ ` lines; a removed file shows as its `--- ` line)."""
    stale: list[str] = []
    lines = diff.splitlines()
    for before, after in zip(lines, lines[1:], strict=False):
        if before.startswith("--- ") and after.startswith("+++ "):
            old, new = before[4:], after[4:].removesuffix(" (generated)")
            stale.append(new if new != "/dev/null" else old)
    return stale


def check_json(built: Plan, diff: str) -> dict[str, Any]:
    return {
        "command": "check",
        "up_to_date": not diff,
        "profiles": [profile.name for profile in built.profiles],
        "clusters": len(built.fleet.clusters),
        "stale": stale_files(diff),
        "diff": diff,
        "skipped_checks": [diagnostic_json(d) for d in skipped_checks(built.diagnostics)],
    }


def diff_json(results: Sequence[RenderedDiff], warnings: Sequence[str]) -> dict[str, Any]:
    return {
        "command": "diff",
        "changed": sum(result.changes_manifests for result in results),
        "profiles": [
            {
                "name": result.profile,
                "status": result.status.value,
                "changes_manifests": result.changes_manifests,
                "old_version": result.old_version,
                "new_version": result.new_version,
                "diff": result.diff,
            }
            for result in results
        ],
        "warnings": list(warnings),
    }

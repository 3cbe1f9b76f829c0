"""Errors and diagnostics.

Every problem a user can cause is reported as a `Diagnostic` that names the file, line and
column, says what is wrong and, where we know it, what would be right. Diagnostics are
collected, not raised one by one, so a user sees every mistake of a profile in one run;
`ProfileError` carries them out of the core. Exit codes are decided in one place (the CLI).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


def display_path(path: Path) -> str:
    """A path as users typed it: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based position in a file."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    location: Location
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity.value}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


def unique(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Each diagnostic once (a composed profile meets the errors of the profiles it composes again), by position."""
    return sorted(dict.fromkeys(diagnostics), key=lambda d: d.location)


@dataclass
class Diagnostics:
    """An accumulator of diagnostics for one run."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, location: Location, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic(Severity.ERROR, location, message, hint))

    def warning(self, location: Location, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic(Severity.WARNING, location, message, hint))

    def note(self, location: Location, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic(Severity.NOTE, location, message, hint))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise ProfileError(unique(self.errors))


class FlowlogsError(Exception):
    """Base class of every error flowlogs reports to a user."""


class UserError(FlowlogsError):
    """A problem the user can fix; the message is shown as is."""


class ProfileError(UserError):
    """One or more profiles are invalid; nothing was written."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


class HelmError(UserError):
    """The Helm engine failed to render or lint the chart."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return "; did you mean 'x'?" for the closest choice, or "" when nothing is close.

    Case and separators are ignored first (`IncludeFilters` ~ `include-filters`), then
    difflib's ratio finds typos (`policy-denyy` ~ `policy-deny`).
    """
    import difflib

    def fold(text: str) -> str:
        return text.lower().replace("-", "").replace("_", "").replace(".", "")

    folded = {fold(choice): choice for choice in sorted(choices)}
    if fold(word) in folded:
        return f"; did you mean '{folded[fold(word)]}'?"
    close = difflib.get_close_matches(fold(word), list(folded), n=1, cutoff=0.75)
    if close:
        return f"; did you mean '{folded[close[0]]}'?"
    return ""

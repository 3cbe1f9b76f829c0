"""flowlogs' optional parts: which extra of pyproject.toml ([project.optional-dependencies]) is
installed, and the one error a command gives when it needs one that is not.

The extras and their packages are read from the installed package's metadata (its Requires-Dist
lines), so pyproject.toml stays the one list; each is checked by distribution, without importing
it (the point of leaving them out is not to pay for them).
"""

from __future__ import annotations

import functools
import re

from .errors import FlowlogsError

# What each extra adds, for the message naming it.
ADDS = {
    "render": "Helm's engine and Kubernetes' schemas",
    "cel": "the CEL checker",
}
# A Requires-Dist line of an extra: `name==1.0; extra == "render"` (setuptools writes it so).
_EXTRA_REQUIREMENT = re.compile(r"""\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)[^;]*;\s*extra\s*==\s*["'](?P<extra>[^"']+)["']\s*""")


def install_command(extra: str) -> str:
    return f"pip install 'flowlogs[{extra}]'"


@functools.cache
def requirements(extra: str) -> tuple[str, ...]:
    """The distributions `extra` installs; () when flowlogs runs without its metadata (a source tree)."""
    import importlib.metadata  # here: a command that needs no extra does not pay for it

    try:
        requires = importlib.metadata.requires("flowlogs") or []
    except importlib.metadata.PackageNotFoundError:
        return ()
    return tuple(match["name"] for line in requires if (match := _EXTRA_REQUIREMENT.fullmatch(line)) and match["extra"] == extra)


@functools.cache
def missing(extra: str) -> tuple[str, ...]:
    """The distributions of `extra` that are not installed."""
    import importlib.metadata

    absent = []
    for name in requirements(extra):
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            absent.append(name)
    return tuple(absent)


class MissingExtra(FlowlogsError):
    """A command needs an extra that is not installed; `main` prints it after the command's name."""

    def __init__(self, extra: str, alternative: str = "") -> None:
        self.extra = extra
        super().__init__(f"needs the '{extra}' extra ({ADDS[extra]}): {install_command(extra)}{f' ({alternative})' if alternative else ''}")


def require(extra: str, alternative: str = "") -> None:
    """Raise MissingExtra unless every package of `extra` is installed."""
    if missing(extra):
        raise MissingExtra(extra, alternative)


def names_an_extra(hint: str) -> bool:
    """Whether a diagnostic's hint is the install command of an extra: a check skipped for want
    of it, which `generate` and `check` always show."""
    return hint.startswith(install_command("")[: -len("]'")])

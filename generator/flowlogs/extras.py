"""flowlogs' optional parts: which extra of pyproject.toml ([project.optional-dependencies]) is
installed, and the one error a command gives when it needs one that is not.

Each extra's distributions are checked by the module each installs, found without importing it
(the point of leaving them out is not to pay for them) and without importlib.metadata, whose
import alone costs a command ~30 ms. tests/test_extras.py checks that the table below is
pyproject's extras and that each module is its distribution's.
"""

from __future__ import annotations

import functools
import importlib.util

from .errors import FlowlogsError

# What each extra adds, for the message naming it.
ADDS = {"render": "Helm's engine and Kubernetes' schemas", "cel": "the CEL checker"}
# Each extra's distributions (as pyproject.toml names them) and the module each installs.
MODULES: dict[str, dict[str, str]] = {
    "render": {"helm-python-sdk": "helm_python", "kubernetes-validate": "kubernetes_validate"},
    "cel": {"cel-expr-python": "cel_expr_python.cel", "protobuf": "google.protobuf"},
}


def install_command(extra: str) -> str:
    return f"pip install 'flowlogs[{extra}]'"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package (google, for google.protobuf) is not there
        return False


@functools.cache
def missing(extra: str) -> tuple[str, ...]:
    return tuple(name for name, module in MODULES[extra].items() if not _installed(module))


class MissingExtra(FlowlogsError):
    """A command needs an extra that is not installed; `main` prints it after the command's name."""

    def __init__(self, extra: str, alternative: str = "") -> None:
        self.extra = extra
        super().__init__(
            f"needs the '{extra}' extra ({ADDS[extra]}): "
            f"{install_command(extra)}{f' ({alternative})' if alternative else ''}"
        )


def require(extra: str, alternative: str = "") -> None:
    if missing(extra):
        raise MissingExtra(extra, alternative)


def names_an_extra(hint: str) -> bool:
    """Whether a diagnostic's hint is the install command of an extra: a check skipped for want
    of it, which `generate` and `check` always show."""
    return hint.startswith(install_command("")[: -len("]'")])

"""flowlogs: declarative network flow logs for Kubernetes.

Profiles written in plain words (`values/*.yaml`) are compiled to the exact upstream fields
of Calico Enterprise L7 logs and Cilium's Hubble exporter, and written as a Helm chart.

    >>> from pathlib import Path
    >>> from flowlogs import generate
    >>> built, report = generate(Path("values"), Path("chart"))   # doctest: +SKIP

The names below are imported on first use, so `flowlogs --help` and commands that need
little start fast.
"""

from __future__ import annotations

import importlib

# The one place the version is written: pyproject.toml reads it (dynamic), `flowlogs --version`
# prints it and the chart's appVersion is it.
__version__ = "0.1.0"
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compiler import CompiledProfile, compile_directory, compile_paths, compile_profile, load_profile
    from .errors import Diagnostic, FlowlogsError, Location, ProfileError, UserError
    from .generate import check, generate, plan
    from .profile import Profile
    from .profile_schema import profile_schema

# public name -> the module that defines it
_EXPORTS = {
    "CompiledProfile": "compiler",
    "compile_directory": "compiler",
    "compile_paths": "compiler",
    "compile_profile": "compiler",
    "load_profile": "compiler",
    "Diagnostic": "errors",
    "FlowlogsError": "errors",
    "Location": "errors",
    "ProfileError": "errors",
    "UserError": "errors",
    "check": "generate",
    "generate": "generate",
    "plan": "generate",
    "Profile": "profile",
    "profile_schema": "profile_schema",
}

__all__ = [
    "CompiledProfile",
    "Diagnostic",
    "FlowlogsError",
    "Location",
    "Profile",
    "ProfileError",
    "UserError",
    "check",
    "compile_directory",
    "compile_paths",
    "compile_profile",
    "generate",
    "load_profile",
    "plan",
    "profile_schema",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'flowlogs' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value

"""flowlogs: declarative network flow logs for Kubernetes.

Profiles written in plain words (`values/*.yaml`) are compiled to the exact upstream fields
of Calico Enterprise L7 logs and Cilium's Hubble exporter, and written as a Helm chart.

    >>> from pathlib import Path
    >>> from flowlogs import generate
    >>> built, report = generate(Path("values"), Path("chart"))   # doctest: +SKIP
"""

from __future__ import annotations

from .compiler import CompiledProfile, compile_directory, compile_paths, compile_profile, load_profile
from .errors import Diagnostic, FlowlogsError, Location, ProfileError, UserError
from .generate import check, generate, plan
from .profile import Profile
from .profile_schema import profile_schema

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

"""Compile loaded profiles to the values of the chart (exactly upstream's field names)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .calico.compile import CalicoCompiled, compile_calico
from .cilium.compile import CiliumCompiled, compile_cilium
from .errors import Diagnostics
from .profile import Profile, find_profiles, load_profile


@dataclass(frozen=True)
class CompiledProfile:
    name: str
    source: str  # the profile file, as shown to users
    description: str
    values: dict[str, Any]  # the profile's values file for flowlogs' chart
    cilium: CiliumCompiled | None = None
    calico: CalicoCompiled | None = None

    @property
    def cilium_overlay(self) -> dict[str, Any] | None:
        return self.cilium.overlay if self.cilium else None


@dataclass
class CompileResult:
    profiles: list[CompiledProfile] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def compile_profile(profile: Profile, diagnostics: Diagnostics) -> CompiledProfile:
    root = profile.root
    values: dict[str, Any] = {"profile": profile.name}
    cilium = calico = None
    if "cilium" in root:
        cilium = compile_cilium(root.get("cilium"), diagnostics)
        values["cilium"] = cilium.values
    if "calico" in root:
        calico = compile_calico(root.get("calico"), diagnostics)
        values["calico"] = calico.values
    if "cilium" not in values and "calico" not in values:
        diagnostics.warning(root.location, f"profile '{profile.name}' has neither a 'cilium' nor a 'calico' section: it renders nothing")
    return CompiledProfile(
        name=profile.name,
        source=profile.display_path,
        description=str(root.get("description", "").value or ""),
        values=values,
        cilium=cilium,
        calico=calico,
    )


def compile_paths(paths: list[Path]) -> CompileResult:
    """Load and compile profile files; every problem of every file is collected."""
    result = CompileResult()
    for path in paths:
        profile = load_profile(path, result.diagnostics)
        if profile is not None:
            result.profiles.append(compile_profile(profile, result.diagnostics))
    return result


def compile_directory(values_dir: Path) -> CompileResult:
    return compile_paths(find_profiles(values_dir))

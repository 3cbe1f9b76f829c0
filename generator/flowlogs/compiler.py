"""Compile loaded profiles to the values of the chart (exactly upstream's field names)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Diagnostics
from .products import CompiledPart, Product
from .profile import Profile, find_profiles, load_profile
from .registry import PRODUCTS


@dataclass(frozen=True)
class CompiledProfile:
    name: str
    source: str  # the profile file, as shown to users
    description: str
    values: dict[str, Any]  # the profile's values file for flowlogs' chart
    parts: dict[str, CompiledPart] = field(default_factory=dict)  # product key -> its compiled section

    def products(self) -> list[tuple[Product, CompiledPart]]:
        """The profile's parts with their products, in the registry's order."""
        return [(product, self.parts[product.key]) for product in PRODUCTS if product.key in self.parts]

    @property
    def labels(self) -> list[str]:
        """The parts as the chart README names them ("Cilium 1.18")."""
        return [product.label(part) for product, part in self.products()]


@dataclass
class CompileResult:
    profiles: list[CompiledProfile] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def compile_profile(profile: Profile, diagnostics: Diagnostics) -> CompiledProfile:
    root = profile.root
    values: dict[str, Any] = {"profile": profile.name}
    parts: dict[str, CompiledPart] = {}
    for product in PRODUCTS:
        if product.key in root:
            parts[product.key] = product.compile(root.get(product.key), diagnostics)
            values[product.key] = parts[product.key].values
    if not parts:
        sections = " nor ".join(f"a '{product.key}'" for product in PRODUCTS)
        diagnostics.warning(root.location, f"profile '{profile.name}' has neither {sections} section: it renders nothing")
    return CompiledProfile(
        name=profile.name,
        source=profile.display_path,
        description=str(root.get("description", "").value or ""),
        values=values,
        parts=parts,
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

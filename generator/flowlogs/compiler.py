"""Compile loaded profiles to the values of the chart (exactly upstream's field names)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compose import COMPOSE_KEY, compose
from .errors import Diagnostic, Diagnostics, Location, Severity, display_path
from .products import CompiledPart, Product
from .profile import (
    MAX_PROFILE_NAME,
    PROFILE_NAME_HINT,
    PROFILE_NAME_RE,
    Node,
    load_yaml_document,
    profile_path,
    same_stem,
)
from .profile_schema import checked_schema, profile_schema
from .registry import PRODUCTS
from .schema_errors import DocumentSchema
from .schema_valid import schema_valid_part


@dataclass(frozen=True)
class CompiledProfile:
    name: str
    source: str  # the profile file, as shown to users
    description: str
    values: dict[str, Any]  # the profile's values file for flowlogs' chart
    parts: dict[str, CompiledPart] = field(default_factory=dict)  # product key -> its compiled section
    root: Node | None = field(default=None, compare=False, repr=False)  # the profile as written, with positions

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


PROFILE_SCHEMA = DocumentSchema(profile_schema, "the profile", checked_schema)


def load_profile(path: Path, diagnostics: Diagnostics) -> Node | None:
    """Read and schema-check one profile: its root, None when nothing can be compiled; problems go to `diagnostics`."""
    name = path.stem
    if not PROFILE_NAME_RE.match(name) or len(name) > MAX_PROFILE_NAME:
        diagnostics.error(
            Location(display_path(path)),
            f"profile file name {path.name!r} is not a valid profile name",
            PROFILE_NAME_HINT,
        )
        return None
    loaded = load_yaml_document(path, diagnostics)
    if loaded is None:
        return None
    data, positions, _ = loaded
    if not isinstance(data, dict):
        diagnostics.error(
            Location(positions.file, 1, 1), "a profile must be a mapping with 'cilium:' and/or 'calico:' sections"
        )
        return None
    before = len(diagnostics.errors)
    PROFILE_SCHEMA.check(data, positions, diagnostics)
    root: Node | None = Node(data, (), positions)
    if len(diagnostics.errors) > before:
        # Compiled all the same, without what failed the schema, so one run reports every error.
        root = schema_valid_part(data, positions, PROFILE_SCHEMA, {product.key for product in PRODUCTS})
    if root is not None and COMPOSE_KEY in root.value:
        composed = compose(path, root.value, root.positions, diagnostics)
        root = Node(composed[0], (), composed[1]) if composed is not None else None
    return root


def compile_profile(name: str, root: Node, diagnostics: Diagnostics) -> CompiledProfile:
    values: dict[str, Any] = {"profile": name}
    parts: dict[str, CompiledPart] = {}
    for product in PRODUCTS:
        if product.key in root:
            parts[product.key] = product.compile(root.get(product.key), diagnostics)
            values[product.key] = parts[product.key].values
    if not parts:
        sections = " nor ".join(f"a '{product.key}'" for product in PRODUCTS)
        diagnostics.warning(root.location, f"profile '{name}' has neither {sections} section: it renders nothing")
    return CompiledProfile(
        name=name,
        source=root.positions.file,
        description=str(root.get("description", "").value or ""),
        values=values,
        parts=parts,
        root=root,
    )


def compile_paths(paths: list[Path]) -> CompileResult:
    """Load and compile profile files; every problem of every file is collected."""
    result = CompileResult()
    for kept, other in same_stem(paths):
        result.diagnostics.error(
            Location(display_path(other)),
            f"{kept.name} and {other.name} both define the profile '{kept.stem}'",
            "keep one of the two files",
        )
        paths = [path for path in paths if path != other]
    for path in paths:
        root = load_profile(path, result.diagnostics)
        if root is not None:
            result.profiles.append(compile_profile(path.stem, root, result.diagnostics))
    return result


def compile_named(profile: str, values_dir: Path, warnings: list[Diagnostic] | None = None) -> CompiledProfile:
    """One profile, by name in `values_dir` or by path, compiled in memory; ProfileError on errors (as `generate`).
    Its warnings are added to `warnings` when given."""
    result = compile_paths([profile_path(profile, values_dir)])
    result.diagnostics.raise_if_errors()
    if warnings is not None:
        warnings += [d for d in result.diagnostics.items if d.severity is Severity.WARNING]
    (compiled,) = result.profiles
    return compiled

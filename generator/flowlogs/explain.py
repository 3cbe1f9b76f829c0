"""`flowlogs explain PROFILE`: what a profile makes each product do, in English, compiled in memory."""

from __future__ import annotations

from pathlib import Path

from .compiler import compile_paths
from .errors import UserError
from .profile import PROFILE_SUFFIXES, find_profiles


def profile_path(profile: str, values_dir: Path) -> Path:
    """A profile given by path, or by name in the profile directory."""
    given = Path(profile)
    if given.suffix in PROFILE_SUFFIXES and given.is_file():
        return given
    candidates = [values_dir / f"{profile}{suffix}" for suffix in PROFILE_SUFFIXES]
    found = [path for path in candidates if path.is_file()]
    if not found:
        names = ", ".join(path.stem for path in find_profiles(values_dir)) if values_dir.is_dir() else "none"
        raise UserError(f"no profile '{profile}': not a file, and not in {values_dir}/ (profiles there: {names or 'none'})")
    return found[0]


def explain(profile: str, values_dir: Path) -> str:
    """The explanation of one profile; a broken profile raises ProfileError, as `generate` would."""
    result = compile_paths([profile_path(profile, values_dir)])
    result.diagnostics.raise_if_errors()
    (compiled,) = result.profiles
    root = compiled.root
    assert root is not None
    blocks = [f"Profile {compiled.name} ({compiled.source})" + (f": {compiled.description.strip()}" if compiled.description else "")]
    blocks += [product.explain(root.get(product.key), part) for product, part in compiled.products()]
    if len(blocks) == 1:
        blocks.append("It has no product section: it renders nothing.")
    return "\n\n".join(blocks) + "\n"

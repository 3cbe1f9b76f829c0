"""`flowlogs explain PROFILE`: what a profile makes each product do, in English, compiled in memory."""

from __future__ import annotations

from pathlib import Path

from .compiler import compile_named
from .errors import Diagnostic


def explain(profile: str, values_dir: Path, warnings: list[Diagnostic] | None = None) -> str:
    """The explanation of one profile; a broken profile raises ProfileError, as `generate` would.
    Its warnings are added to `warnings` when given."""
    compiled = compile_named(profile, values_dir, warnings)
    root = compiled.root
    assert root is not None
    blocks = [
        f"Profile {compiled.name} ({compiled.source})"
        + (f": {compiled.description.strip()}" if compiled.description else "")
    ]
    blocks += [product.explain(root.get(product.key), part) for product, part in compiled.products()]
    if len(blocks) == 1:
        blocks.append("It has no product section: it renders nothing.")
    return "\n\n".join(blocks) + "\n"

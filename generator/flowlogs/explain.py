"""`flowlogs explain PROFILE`: what a profile makes each product do, in English, compiled in memory."""

from __future__ import annotations

from pathlib import Path

from .compiler import compile_named


def explain(profile: str, values_dir: Path) -> str:
    """The explanation of one profile; a broken profile raises ProfileError, as `generate` would."""
    compiled = compile_named(profile, values_dir)
    root = compiled.root
    assert root is not None
    blocks = [f"Profile {compiled.name} ({compiled.source})" + (f": {compiled.description.strip()}" if compiled.description else "")]
    blocks += [product.explain(root.get(product.key), part) for product, part in compiled.products()]
    if len(blocks) == 1:
        blocks.append("It has no product section: it renders nothing.")
    return "\n\n".join(blocks) + "\n"

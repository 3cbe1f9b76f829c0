"""`flowlogs import FILE`: a commented profile in plain words from a configuration that exists today.

Each product says whether the file is its configuration and turns it into its profile section
(`Product.import_section`). The profile is compiled in memory before it is printed or written:
what `import` gives, `generate` accepts.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .compiler import compile_paths
from .errors import UserError
from .inputs import DOCUMENT_LIMITS, InputRefused, read_yaml_text
from .registry import PRODUCTS
from .starter import schema_line
from .writing import write_file
from .yamlio import dump_yaml


def import_profile(path: Path, versions: dict[str, str], values_dir: Path = Path("values")) -> str:
    """The profile text for the configuration in `path`, to be saved in `values_dir`; `versions` maps a
    product key to its version."""
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:  # before any product reads it: a regular file, within the limits (inputs.py)
        read_yaml_text(path, DOCUMENT_LIMITS)
    except InputRefused as refused:
        raise UserError(refused.with_hint) from None
    unknown = sorted(set(versions) - {product.key for product in PRODUCTS})
    if unknown:
        raise UserError(f"--version {unknown[0]}=...: no such product; one of: {', '.join(p.key for p in PRODUCTS)}")
    sections: dict[str, object] = {}
    forms: list[str] = []
    notes: list[str] = []
    left_out = False
    for product in PRODUCTS:
        imported = product.import_section(path, versions.get(product.key))
        if imported is not None:
            sections.update(imported.section)
            forms.append(imported.form)
            notes += imported.notes
            left_out = left_out or imported.left_out
    if not sections:
        raise UserError(
            f"{path}: not a configuration flowlogs can import: expected a Cilium flowlogs.yaml, its ConfigMap or "
            "Cilium Helm values (hubble.export), or a Calico Enterprise FelixConfiguration and/or ApplicationLayer"
        )
    lines = [
        schema_line(values_dir).rstrip("\n"),
        f"# Imported by `flowlogs import` from {path.name} ({', '.join(forms)}). Review it, save it as "
        "values/<profile>.yaml",
        "# and run `flowlogs generate`: it compiles to the same configuration"
        + (", but for what the notes say is left out (Cilium does not read it)." if left_out else "."),
    ]
    if notes:
        lines.append("# Notes:")
        lines += [f"#   - {note}" for note in notes]
    text = "\n".join(lines) + "\n" + dump_yaml({"description": f"Imported from {path.name}.", **sections})
    _check_compiles(text, path)
    return text


def _check_compiles(text: str, source: Path) -> None:
    """What import gives must compile (never a broken profile on disk). What the agent refuses the
    product's reader has refused already; what is left are flowlogs' own rules (e.g. a path below /proc)."""
    with tempfile.TemporaryDirectory(prefix="flowlogs-import-") as directory:
        candidate = Path(directory) / "imported.yaml"
        candidate.write_text(text, encoding="utf-8")
        result = compile_paths([candidate])
    errors = [d.message for d in result.diagnostics.errors]
    if errors:
        raise UserError(f"{source}: the imported profile does not compile: " + "; ".join(errors))


def write_profile(text: str, output: Path, force: bool) -> None:
    if output.exists() and not force:
        raise UserError(f"{output} exists: choose another file, or pass --force to replace it")
    write_file(output, text, what="profile", make_parents=True)

"""`flowlogs init`: a starter profile for the products chosen (from flags, or asked on a terminal),
checked to compile before it is written, and never over an existing file."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from .compiler import compile_paths
from .errors import UserError
from .products import Product
from .starter import Chosen, ask_profile, split_list, target_path
from .writing import write_file


def chosen_from_flags(products: Sequence[Product], versions: Mapping[str, str], answers: Mapping[str, Any]) -> Chosen:
    """(product, version, answers) for each of `products` given a version; `answers` maps a question's
    key to its flag's value (a list flag's values are split at commas; a flag of another version is refused
    with the flag that does apply)."""
    chosen: Chosen = []
    for product in products:
        if product.key not in versions:
            continue
        starter, version, given = product.starter, versions[product.key], {}
        assert starter is not None
        for question in starter.questions:
            value = split_list(answers.get(question.key)) if question.kind == "list" else answers.get(question.key)
            if value and not question.applies_to(version):
                raise UserError(starter.wrong_version(question, version))
            if question.applies_to(version):
                given[question.key] = value if question.kind == "list" else bool(value)
        chosen.append((product, version, given))
    return chosen


def ask_on_terminal(products: Sequence[Product], stdin: TextIO, stderr: TextIO) -> tuple[str, Chosen]:
    """The name and which of `products` to include, asked on `stderr` and read from `stdin`."""

    def ask(prompt: str) -> str:
        print(prompt, end="", file=stderr, flush=True)
        line = stdin.readline()
        if not line:
            raise UserError("no answer (end of input): nothing was written")
        return line

    return ask_profile(products, ask, lambda text: print(text, file=stderr))


def write_starter(name: str, text: str, values_dir: Path) -> Path:
    """Write `values_dir/<name>.yaml`; checked before it is written: a starter that does not compile is a bug, never a
    file."""
    path = target_path(name, values_dir)
    with tempfile.TemporaryDirectory(prefix="flowlogs-init-") as scratch:
        trial = Path(scratch) / path.name
        trial.write_text(text, encoding="utf-8")
        compile_paths([trial]).diagnostics.raise_if_errors()
    write_file(path, text, what="profile", exclusive=True, make_parents=True)
    return path

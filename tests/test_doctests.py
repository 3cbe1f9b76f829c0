"""The examples in the generator's docstrings run: a `>>>` line that no longer says what the code
does fails here instead of misleading a reader (one had gone stale unnoticed)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

GENERATOR = Path(__file__).resolve().parents[1] / "generator"
MODULES = sorted(
    ".".join(path.relative_to(GENERATOR).with_suffix("").parts).removesuffix(".__init__")
    for path in GENERATOR.joinpath("flowlogs").rglob("*.py")
    if ">>> " in path.read_text(encoding="utf-8") and "files" not in path.parts
)


def test_the_modules_with_examples_are_found():
    assert "flowlogs.go_duration" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0

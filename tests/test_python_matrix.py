"""Every other supported Python found here (PATH, pyenv) installs this run's wheel, generates
chart/ and gitops/ byte for byte as committed and validates them (tests/tools/python_matrix.py,
also `make python-matrix`; a version with no interpreter here is skipped)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "tools"))

import python_matrix  # noqa: E402


# generate and validate in a virtual environment per other Python: ~3 s (~35 s to make them in .cache/python-matrix)
@pytest.mark.slow
def test_every_other_python_generates_byte_identical_output(wheel: Path) -> None:
    lines = python_matrix.results(lambda: wheel)
    assert [line for line, failed in lines if failed] == [], "\n".join(line for line, _ in lines)

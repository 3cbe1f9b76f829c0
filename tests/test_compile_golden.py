"""Compiled values of fixture profiles against golden files.

Regenerate the golden files with `make golden` after an intended change, and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import ROOT
from flowlogs.compiler import compile_paths
from flowlogs.yamlio import dump_yaml

FIXTURES = ROOT / "tests" / "fixtures" / "profiles"
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("FLOWLOGS_UPDATE_GOLDEN") == "1"


def compiled_text(profile: Path) -> str:
    result = compile_paths([profile])
    errors = [str(d) for d in result.diagnostics.errors]
    assert not errors, errors
    compiled = result.profiles[0]
    text = "# values\n" + dump_yaml(compiled.values)
    for product, part in compiled.products():
        for extra in product.profile_files(part):  # the values for the product's own chart, by file name
            text += f"# {product.key} {extra.name}\n" + dump_yaml(extra.data)
    return text


@pytest.mark.parametrize("profile", sorted(FIXTURES.glob("*.yaml")), ids=lambda p: p.stem)
def test_compiled_values_match_golden(profile: Path):
    golden = GOLDEN / f"{profile.stem}.compiled.yaml"
    text = compiled_text(profile)
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden}: run `make golden`"
    assert text == golden.read_text(encoding="utf-8")

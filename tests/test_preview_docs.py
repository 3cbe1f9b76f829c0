"""docs/preview.md carries the per-field table generated from the words of every matcher."""

from __future__ import annotations

from conftest import ROOT
from flowlogs.cilium.defaults import SUPPORTED_VERSIONS
from flowlogs.cilium.preview.matchers import FIELD_MATCHERS
from flowlogs.cilium.tables import load_tables
from tools.preview_semantics import FIELDS, semantics_table


def test_docs_table_is_generated() -> None:
    text = (ROOT / "docs" / "preview.md").read_text(encoding="utf-8")
    shown = text.split("<!-- semantics-table -->\n", 1)[1].split("<!-- /semantics-table -->", 1)[0]
    assert shown == semantics_table(SUPPORTED_VERSIONS), (
        "docs/preview.md is stale: replace the table with the output of (in tests/) "
        "../.venv/bin/python -c 'from tools.preview_semantics import semantics_table; "
        'from flowlogs.cilium.defaults import SUPPORTED_VERSIONS; print(semantics_table(SUPPORTED_VERSIONS), end="")\''
    )


def test_every_field_of_every_version_has_a_matcher_and_words() -> None:
    previewed = {*FIELD_MATCHERS, "experimental"}  # CEL: reported as not previewable (apply.field_predicates)
    for version in SUPPORTED_VERSIONS:
        fields = set(load_tables(version).filter_fields)
        assert fields <= previewed, f"Cilium {version}: no matcher for {sorted(fields - previewed)}"
    assert set(FIELDS) == previewed

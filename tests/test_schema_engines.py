"""One schema decision: jsonschema-rs decides, `jsonschema` only words the errors.

The two engines disagree on real inputs (jsonschema-rs 0.60.3 and jsonschema 4.26.0, as pinned):
`\\d` against a non-ASCII digit (ECMA-262's `\\d` is [0-9], Python's `\\d` any Unicode digit),
`multipleOf: 0.1` for 0.3 (jsonschema-rs divides exactly, `jsonschema` in binary floating point).
A document jsonschema-rs refuses is refused with a reason even where `jsonschema` finds none (its
own words, at the value's line:col); one it accepts is accepted. NaN and infinity, which JSON
cannot hold, jsonschema-rs reads as null: `jsonschema` decides them, and a bound refuses them
(plain comparisons would let NaN through any `maximum`).
"""

from __future__ import annotations

from typing import Any

import pytest

from flowlogs.errors import Diagnostics
from flowlogs.profile import Positions
from flowlogs.schema_errors import DocumentSchema, detailed_validator

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "every": {"type": "number", "maximum": 10},
        "digit": {"type": "string", "pattern": "^\\d$"},
        "step": {"type": "number", "multipleOf": 0.1},
    },
    "additionalProperties": False,
}
POSITIONS = Positions(
    "d.yaml",
    {("every",): (1, 8), ("digit",): (2, 8), ("step",): (3, 7)},
    {("every",): (1, 1), ("digit",): (2, 1), ("step",): (3, 1)},
)
DOCUMENT = DocumentSchema(lambda: SCHEMA, "the document")


def errors_of(data: dict[str, Any]) -> list[str]:
    diagnostics = Diagnostics()
    DOCUMENT.check(data, POSITIONS, diagnostics)
    return [str(item) for item in diagnostics.items]


def test_a_refusal_the_explainer_cannot_word_is_reported_in_the_deciders_words() -> None:
    data = {"digit": "\u0663"}
    assert list(detailed_validator(SCHEMA).iter_errors(data)) == []  # the disagreement is real
    assert errors_of(data) == ['d.yaml:2:8: error: digit: "\u0663" does not match "^\\d$"']
    assert DOCUMENT.error_paths(data) == [("digit",)]


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinity_are_refused_against_a_bound_in_plain_words(number: float) -> None:
    assert errors_of({"every": number}) == [
        f"d.yaml:1:8: error: every: '{number}' is out of range ({number} is not a finite number)"
    ]
    assert DOCUMENT.error_paths({"every": number}) == [("every",)]


def test_both_kinds_of_error_are_reported_together() -> None:
    assert errors_of({"every": 11, "digit": "\u0663"}) == [
        "d.yaml:1:8: error: every: '11' is out of range (11 is greater than the maximum of 10)",
        'd.yaml:2:8: error: digit: "\u0663" does not match "^\\d$"',
    ]


def test_what_jsonschema_rs_accepts_is_accepted() -> None:
    assert list(detailed_validator(SCHEMA).iter_errors({"step": 0.3})) != []  # `jsonschema` would refuse it
    assert errors_of({"step": 0.3}) == []
    assert DOCUMENT.error_paths({"step": 0.3}) == []


def test_a_nan_in_a_profile_is_refused_at_its_place(run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Through the CLI: `.nan` (YAML 1.2's NaN) where the profile wants a whole number."""
    values = tmp_path / "values"
    values.mkdir()
    (values / "p.yaml").write_text(
        "cilium:\n  rotation: {max-size-mb: .nan}\n  flow-logs:\n    - name: a\n", encoding="utf-8"
    )
    result = run_cli("--values-dir", str(values), "--chart-dir", str(tmp_path / "chart"), "generate")
    assert (result.code, result.err.replace(str(tmp_path) + "/", "")) == (
        1,
        "values/p.yaml:2:27: error: cilium.rotation.max-size-mb: expected a whole number, got 'nan'\n"
        "flowlogs: 1 error in profiles or the fleet file; nothing was written\n",
    )


def test_a_nan_where_a_word_goes_gets_no_hint_about_decimals(run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The "unquoted 1.20 is the number 1.2" hint is for finite numbers only (it said "nan0")."""
    values = tmp_path / "values"
    values.mkdir()
    (values / "p.yaml").write_text("calico:\n  requests-per-interval: .nan\n", encoding="utf-8")
    result = run_cli("--values-dir", str(values), "--chart-dir", str(tmp_path / "chart"), "generate")
    assert (result.code, result.err.replace(str(tmp_path) + "/", "")) == (
        1,
        "values/p.yaml:2:26: error: unknown request limit 'nan'\n  hint: one of: unlimited\n"
        "flowlogs: 1 error in profiles or the fleet file; nothing was written\n",
    )

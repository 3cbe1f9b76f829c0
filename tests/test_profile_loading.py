"""Profiles are read by libyaml when they are plain YAML (issue 16: ruamel.yaml, pure Python,
was most of `generate`'s time), and by ruamel.yaml otherwise. ruamel.yaml stays the reference:
whenever the fast reading answers, its data and every key's and value's line:col must be
ruamel.yaml's, and what it leaves (tags, anchors, duplicate keys, empty values, directives,
unusual numbers) must still get ruamel.yaml's reading and messages."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, VALUES
from flowlogs.errors import Diagnostics
from flowlogs.inputs import PROFILE_LIMITS
from flowlogs.profile import _load_plain_document, _load_round_trip, load_yaml_document

# Plain scalars as people write them, and the spellings YAML 1.2 reads as something else.
SCALARS = [
    "drops", "5s", "1m", "10m", "1.17", "1.2", "17", "-3", "+4", "0", "007", "0o17", "0x1F", "0b101", "1_000", "1e3",
    "1.5e-3", ".5", "-.inf", ".nan", "true", "False", "TRUE", "yes", "no", "on", "off", "y", "~", "null", "NULL",
    "2030-01-01", "2030-01-01T00:00:00Z", "2030-1-1 10:00:00", "<<", "=", "a:b", "kube-system/web", "*/web", "10.0.0.0/8",
    "http://x/y?z=1", "app in (a, b)", "'quoted'", '"double \\u00e9"', '"1.19"', "'5'", "|\n    literal\n    text", ">-\n    folded\n    text",
    "ünïcode", "sp ace", "-x", "[a, 1, 1.5]", "{a: 1, b: [2]}", "[]", "{}",
]
# What the fast reading takes itself: most scalars of a generated document come from here, so
# that most documents are read by both (one unusual scalar sends a whole document to ruamel.yaml).
COMMON = [s for s in SCALARS if s not in {"0o17", "0x1F", "0b101", "1_000", "1e3", "1.5e-3", ".5", "-.inf", ".nan", "2030-01-01", "2030-01-01T00:00:00Z", "2030-1-1 10:00:00", "<<", "=", "007"}]
KEYS = ["name", "file", "include", "exclude", "namespace", "pod", "verdict", "a-b", "'quoted key'", "x1", "'1.5'", "on"]


def _scalars() -> st.SearchStrategy[str]:
    return st.integers(0, 19).flatmap(lambda i: st.sampled_from(SCALARS if i == 0 else COMMON))


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> str:
    """Block YAML text: mappings and lists nested up to three levels, with the scalars above."""
    indent = "  " * depth
    lines = []
    for key in draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=4, unique=True)):
        kind = draw(st.sampled_from(["scalar", "scalar", "map", "list"]) if depth < 3 else st.just("scalar"))
        comment = draw(st.sampled_from(["", "  # note"]))
        if kind == "scalar":
            scalar = draw(_scalars())
            lines.append(f"{indent}{key}: {scalar}" + ("" if "\n" in scalar else comment))
        elif kind == "map":
            lines.append(f"{indent}{key}:{comment}")
            lines.append(draw(documents(depth + 1)))
        else:
            lines.append(f"{indent}{key}:")
            dash = draw(st.sampled_from([indent + "  - ", indent + "- "]))
            for _ in range(draw(st.integers(1, 3))):
                if depth < 2 and draw(st.booleans()):
                    nested = draw(documents(depth + 2)).lstrip()
                    lines.append(dash + nested)
                else:
                    lines.append(dash + draw(_scalars().filter(lambda s: "\n" not in s)))
    return "\n".join(lines)


def _both(text: str) -> tuple[object, object]:
    fast = _load_plain_document(text, PROFILE_LIMITS, "p.yaml")
    reference = _load_round_trip(text, PROFILE_LIMITS, "p.yaml", Diagnostics())
    return fast, reference


def _assert_alike(text: str) -> bool:
    fast, reference = _both(text)
    if fast is None:
        return False
    assert reference is not None, f"ruamel.yaml refuses what libyaml read:\n{text}"
    data, values, keys = fast
    ref_data, positions, _ = reference
    assert ({} if data is None else data) == ref_data, text
    assert values == positions.values, text
    assert keys == positions.keys, text
    # Numbers stay numbers of the same type (1.17 is a float, 17 an int, True a bool).
    assert json.dumps(data, sort_keys=True, default=str) == json.dumps(ref_data, sort_keys=True, default=str)
    return True


@pytest.mark.parametrize("path", sorted(VALUES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_profile_is_read_by_libyaml_exactly_as_by_ruamel(path):
    assert _assert_alike(path.read_text(encoding="utf-8")), f"{path.name} fell back to ruamel.yaml: the fast reading should take it"


def test_the_every_word_fixture_reads_alike_or_falls_back():
    # It has an `end:` timestamp, which the fast reading leaves to ruamel.yaml.
    text = (ROOT / "tests" / "fixtures" / "profiles" / "every-word.yaml").read_text(encoding="utf-8")
    assert not _assert_alike(text)
    assert _assert_alike(text.replace("end: 2030-01-01T00:00:00Z", "end: '2030-01-01T00:00:00Z'"))


@settings(max_examples=200, deadline=None)
@given(documents())
def test_generated_documents_read_alike_whenever_libyaml_answers(text):
    _assert_alike(text + "\n")


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchors and aliases
        "a: !!str 12\n",  # tags
        "a: ! 12\n",  # the non-specific tag makes 12 a string
        "a: 1\na: 2\n",  # a duplicate key: ruamel.yaml's message
        "a:\nb: 1\n",  # an empty value: the parsers place it differently
        "%YAML 1.1\n---\na: yes\n",  # YAML 1.1: yes is a boolean there
        "a: 0x1F\n",  # hexadecimal
        "a: 1_000\n",  # underscores
        "a: 2030-01-01\n",  # a timestamp (kept as written)
        "a: x\u2028b: y\n",  # a line separator
        "? [a, b]\n: c\n",  # a collection as a key
        "1: a\n",  # a number as a key (ruamel.yaml makes it the string '1')
        "a: 1\n---\nb: 2\n",  # two documents
    ],
)
def test_what_the_fast_reading_leaves_to_ruamel(text):
    fast, _ = _both(text)
    assert fast is None


def test_a_duplicate_key_still_gets_ruamels_message_and_position(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("cilium:\n  version: '1.19'\n  version: '1.18'\n", encoding="utf-8")
    diagnostics = Diagnostics()
    assert load_yaml_document(path, diagnostics) is None
    (error,) = diagnostics.items
    assert (error.location.line, error.location.column) == (3, 3)
    assert error.message.startswith("duplicate key")

"""Profiles are read by one reader, libyaml's events (flowlogs.profile), with YAML 1.2's scalars.

The oracle is ruamel.yaml 0.19.1 (round trip, YAML 1.2), the reader profiles had before: on every
shipped profile and on generated documents (every scalar spelling, anchors, aliases, core tags),
the data and every key's and value's line:col must be ruamel.yaml's, and syntax errors get its
words at its position. Where the two differ on purpose, a test below says so and why.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError

from conftest import ROOT, VALUES
from flowlogs.errors import Diagnostics
from flowlogs.profile import load_yaml_document

# Plain scalars as people write them, and the spellings YAML 1.2 reads as something else.
SCALARS = [
    "drops",
    "5s",
    "1m",
    "10m",
    "1.17",
    "1.2",
    "17",
    "-3",
    "+4",
    "0",
    "007",
    "0o17",
    "0x1F",
    "0b101",
    "1_000",
    "1e3",
    "1.5e-3",
    ".5",
    "-.5",
    "1.",
    "-.inf",
    ".nan",
    ".NAN",
    "true",
    "False",
    "TRUE",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "~",
    "null",
    "NULL",
    "2030-01-01",
    "2030-01-01T00:00:00Z",
    "2030-1-1 10:00:00",
    "<<",
    "=",
    "a:b",
    "kube-system/web",
    "*/web",
    "10.0.0.0/8",
    "http://x/y?z=1",
    "app in (a, b)",
    "'quoted'",
    '"double \\u00e9"',
    '"1.19"',
    "'5'",
    "|\n    literal\n    text",
    ">-\n    folded\n    text",
    "ünïcode",
    "sp ace",
    "-x",
    "_1",
    "1_",
    "0o8",
    "0O17",
    ".5E3",
    "-.NaN",
    "1.2.3",
    "12e",
    "0x",
    "[a, 1, 1.5]",
    "{a: 1, b: [2]}",
    "[]",
    "{}",
    "!!str 12",
    "!!int '12'",
    "!!float 1",
    "!!bool true",
    "&anchor drops",
]
KEYS = [
    "name",
    "file",
    "include",
    "exclude",
    "namespace",
    "pod",
    "verdict",
    "a-b",
    "'quoted key'",
    "x1",
    "'1.5'",
    "on",
    "17",
    "true",
]


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> str:
    """Block YAML text: mappings and lists nested up to three levels, with the scalars above."""
    indent = "  " * depth
    lines = []
    for key in draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=4, unique=True)):
        kind = draw(st.sampled_from(["scalar", "scalar", "map", "list"]) if depth < 3 else st.just("scalar"))
        comment = draw(st.sampled_from(["", "  # note"]))
        if kind == "scalar":
            scalar = draw(st.sampled_from(SCALARS))
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
                    lines.append(dash + draw(st.sampled_from([s for s in SCALARS if "\n" not in s])))
    return "\n".join(lines)


# ------------------------------------------------------------------------ the ruamel.yaml oracle


def _ruamel() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    # Timestamps stay the strings the user wrote (as the profile reader keeps them).
    yaml.constructor.add_constructor(
        "tag:yaml.org,2002:timestamp", lambda constructor, node: constructor.construct_scalar(node)
    )
    return yaml


def _plain(value: Any, path: tuple[Any, ...], values: dict[Any, Any], keys: dict[Any, Any]) -> Any:
    if isinstance(value, CommentedMap):
        result = {}
        for key in value:
            child = (*path, str(key))
            key_line, key_col, value_line, value_col = value.lc.data[key]
            keys[child] = (key_line + 1, key_col + 1)
            values[child] = (value_line + 1, value_col + 1)
            result[str(key)] = _plain(value[key], child, values, keys)
        return result
    if isinstance(value, CommentedSeq):
        items = []
        for index, item in enumerate(value):
            child = (*path, index)
            line, col = value.lc.data[index]
            values[child] = (line + 1, col + 1)
            items.append(_plain(item, child, values, keys))
        return items
    if isinstance(value, TaggedScalar):
        return str(value.value)
    for kind in (bool, str, int, float):
        if isinstance(value, kind):
            return kind(value)
    return value


def ruamel_reading(text: str) -> tuple[Any, dict[Any, Any], dict[Any, Any]] | str:
    """ruamel.yaml's data and positions, or the words of its error."""
    try:
        with warnings.catch_warnings():  # an anchor defined again: YAML 1.2 lets the later one win, as libyaml does
            warnings.simplefilter("ignore")
            document = _ruamel().load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        return f"{mark.line + 1}:{mark.column + 1}: {error.problem or error.context}"
    values: dict[Any, Any] = {}
    keys: dict[Any, Any] = {}
    data = _plain(document, (), values, keys)
    return ({} if data is None else data), values, keys


def our_reading(text: str, tmp_path: Path) -> tuple[Any, dict[Any, Any], dict[Any, Any]] | Diagnostics:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    diagnostics = Diagnostics()
    loaded = load_yaml_document(path, diagnostics)
    if loaded is None:
        return diagnostics
    data, positions, _ = loaded
    return data, positions.values, positions.keys


def _same(ours: Any, theirs: Any) -> bool:
    """Equal data, types included (1.17 a float, 17 an int, True a bool), NaN equal to NaN."""
    if isinstance(ours, float) and isinstance(theirs, float) and math.isnan(ours):
        return math.isnan(theirs)
    if isinstance(ours, dict):
        return isinstance(theirs, dict) and list(ours) == list(theirs) and all(_same(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, list):
        return (
            isinstance(theirs, list)
            and len(ours) == len(theirs)
            and all(_same(a, b) for a, b in zip(ours, theirs, strict=True))
        )
    return type(ours) is type(theirs) and ours == theirs


def said(diagnostics: Diagnostics) -> str:
    """The one error as ruamel_reading words one: line:col, then the parser's own words."""
    (error,) = diagnostics.items
    words = (
        error.hint.removeprefix("the YAML parser says: ")
        if error.hint.startswith("the YAML parser says: ")
        else error.message.removeprefix("invalid YAML: ")
    )
    return f"{error.location.line}:{error.location.column}: {words}"


def assert_read_as_ruamel_reads(text: str, tmp_path: Path, errors: bool = False) -> None:
    theirs = ruamel_reading(text)
    ours = our_reading(text, tmp_path)
    if errors and isinstance(
        theirs, str
    ):  # both refuse it (the words: test_a_syntax_error_has_ruamels_words_and_position)
        assert isinstance(ours, Diagnostics), (text, theirs)
        return
    assert not isinstance(theirs, str), theirs
    assert not isinstance(ours, Diagnostics), [str(d) for d in ours.items]
    assert _same(ours[0], theirs[0]), (text, json.dumps(ours[0], default=str), json.dumps(theirs[0], default=str))
    assert ours[1] == theirs[1], text
    assert ours[2] == theirs[2], text


# ---------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize(
    "path",
    [*sorted(VALUES.glob("*.yaml")), *sorted((ROOT / "tests" / "fixtures" / "profiles").glob("*.yaml"))],
    ids=lambda p: p.name,
)
def test_every_shipped_and_fixture_profile_reads_as_ruamel_reads_it(path: Path, tmp_path: Path) -> None:
    assert_read_as_ruamel_reads(path.read_text(encoding="utf-8"), tmp_path)


@settings(max_examples=200, deadline=None)
@given(text=documents())
def test_generated_documents_read_as_ruamel_reads_them(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    assert_read_as_ruamel_reads(text + "\n", tmp_path_factory.mktemp("doc"), errors=True)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: &y [1, 2]\nc: &x 3\n",  # anchors (one defined again: the later one counts)
        "a: !!str 12\nb: !!int '7'\nc: !!float 2\nd: !!bool 'true'\n",  # core tags
        "%YAML 1.2\n---\na: yes\n",  # the 1.2 directive
        "1: a\n2.5: b\nfalse: c\n",  # keys read as numbers or booleans are their text
        "a: 2030-01-01\nb: 2030-01-01T00:00:00Z\n",  # timestamps stay as written
    ],
)
def test_what_the_old_fast_path_left_to_ruamel_reads_alike(text: str, tmp_path: Path) -> None:
    assert_read_as_ruamel_reads(text, tmp_path)


@pytest.mark.parametrize(
    "text",
    [
        "cilium:\n  flow-logs:\n    - name: a\n     file: x\n",
        "cilium:\n  flow-logs:\n    - name: a: b\n",
        "cilium:\n\tflow-logs: []\n",
        "a: [\n",
        "a: 'open\n",
        "a: b\n c\nd: e: f\n",
        "- a\nb: c\n",
        "a: &x [*y]\n",
    ],
)
def test_a_syntax_error_has_ruamels_words_and_position(text: str, tmp_path: Path) -> None:
    theirs = ruamel_reading(text)
    ours = our_reading(text, tmp_path)
    assert isinstance(theirs, str) and isinstance(ours, Diagnostics)
    assert said(ours) == theirs


def test_a_duplicate_key_gets_ruamels_words_at_the_second_key(tmp_path: Path) -> None:
    text = "cilium:\n  version: '1.19'\n  version: '1.18'\n"
    ours = our_reading(text, tmp_path)
    assert isinstance(ours, Diagnostics)
    (error,) = ours.items
    assert (error.location.line, error.location.column, error.message) == (
        3,
        3,
        'duplicate key "version" with value "1.18" (original value: "1.19")',
    )
    assert ruamel_reading(text) == '3:3: found duplicate key "version" with value "1.18" (original value: "1.19")'


def test_an_unquoted_star_gets_plain_words(tmp_path: Path) -> None:
    """`pod: */web` unquoted: YAML reads `*` as the start of an alias (PyYAML yaml/scanner.py
    scan_anchor: "expected alphabetic or numeric character")."""
    ours = our_reading("pod: */web\n", tmp_path)
    assert isinstance(ours, Diagnostics)
    (error,) = ours.items
    assert (error.location.line, error.location.column, error.message, error.hint) == (
        1, 7, "invalid YAML: a value that starts with '*' or '&' is read as an alias or anchor; quote it, e.g. '*/web'",
        "the YAML parser says: expected alphabetic or numeric character, but found '/'",
    )  # fmt: skip


# Where the reader differs from ruamel.yaml on purpose.


def test_an_empty_value_is_placed_after_its_colon(tmp_path: Path) -> None:
    """libyaml places an empty value right after `key:` (on the key's line), ruamel.yaml at the next
    token (the next key's line): an error about the missing value points at the key's line."""
    ours = our_reading("a:\nb: 1\n", tmp_path)
    assert not isinstance(ours, Diagnostics)
    assert ours[0] == {"a": None, "b": 1}
    assert ours[1] == {("a",): (1, 3), ("b",): (2, 4)}
    theirs = ruamel_reading("a:\nb: 1\n")
    assert not isinstance(theirs, str) and theirs[1][("a",)] == (2, 1)


def test_an_alias_stands_where_it_is_written(tmp_path: Path) -> None:
    """An alias's value is placed at the alias (ruamel.yaml composes it as the anchor's own node, so
    places it at the anchor); what the aliased mapping holds keeps its anchor's positions, as there."""
    text = "base: &b\n  name: a\n  file: /x\ncopy: *b\n"
    ours = our_reading(text, tmp_path)
    assert not isinstance(ours, Diagnostics)
    assert ours[0] == {"base": {"name": "a", "file": "/x"}, "copy": {"name": "a", "file": "/x"}}
    assert ours[1] == {
        ("base",): (1, 7),
        ("base", "name"): (2, 9),
        ("base", "file"): (3, 9),
        ("copy",): (4, 7),
        ("copy", "name"): (2, 9),
        ("copy", "file"): (3, 9),
    }
    theirs = ruamel_reading(text)
    assert not isinstance(theirs, str)
    assert theirs[1] == {**ours[1], ("copy",): (1, 7)}
    assert theirs[2] == ours[2]


def test_the_non_specific_tag_makes_a_string(tmp_path: Path) -> None:
    """YAML 1.2.2 §6.8.2 / §10.3.2: a scalar tagged `!` resolves to !!str; ruamel.yaml reads `! 12` as 12."""
    ours = our_reading("a: ! 12\n", tmp_path)
    assert not isinstance(ours, Diagnostics) and ours[0] == {"a": "12"}


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        # ruamel.yaml: "but found another document" (the composer's words, without the context)
        ("a: 1\n---\nb: 2\n", "2:1", "a second document (---) in the file"),
        ("? [a, b]\n: c\n", "1:3", "a list or mapping as a key"),
        (
            "a: x\u2028b: y\n",
            "1:5",
            "a U+2028 LINE SEPARATOR character: YAML readers disagree on whether it ends a line",
        ),
        ("a: !!int x\n", "1:4", "'x' is not a !!int value"),
        ("a: !foo x\n", "1:4", "the tag !foo is not supported here"),
        ("<<: {a: 1}\n", "1:1", "merge keys (<<) are not supported here"),
    ],
)
def test_what_no_profile_needs_is_an_error_at_its_place(tmp_path: Path, text: str, where: str, message: str) -> None:
    ours = our_reading(text, tmp_path)
    assert isinstance(ours, Diagnostics)
    (error,) = ours.items
    # The file too: each refusal names the profile, whichever reader found it.
    assert (error.location.file, f"{error.location.line}:{error.location.column}", error.message) == (
        str(tmp_path / "p.yaml"),
        where,
        message,
    )

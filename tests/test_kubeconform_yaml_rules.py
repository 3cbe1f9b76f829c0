"""Rendered YAML is read with Kubernetes' own scalar rules: one test per rule.

Expectations come from sigs.k8s.io/yaml v1.4.0 as vendored in kubeconform v0.7.0
(../shared/tools/kubeconform/kubeconform-v0.7.0-src.tar.gz, commit e65429b1e5990dd019ebb7b5642dcd22a3e9cd13):
- R = vendor/sigs.k8s.io/yaml/goyaml.v2/resolve.go (`resolveMapList`, `resolve`),
- D = vendor/sigs.k8s.io/yaml/goyaml.v2/decode.go (`scalar`, `isMerge`),
- Y = vendor/sigs.k8s.io/yaml/yaml.go (`convertToJSONableObject`, then `json.Marshal`),
- S = pkg/resource/stream.go and pkg/resource/resource.go of kubeconform itself.
The parity tier (test_kubeconform_parity.py) checks the same cases against the real binary.
"""

from __future__ import annotations

from typing import Any

import pytest

from flowlogs.validate import DocumentError, DocumentParser, Resource
from flowlogs.validate.documents import Document


def parse_text(source: str, text: str) -> list[Document]:
    return DocumentParser().parse_stream(source, source, text)


def value_of(scalar: str) -> Any:
    (document,) = parse_text("t", f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\ndata:\n  key: {scalar}\n")
    assert isinstance(document, Resource), document
    return document.obj["data"]["key"]


def error_of(text: str) -> str:
    (document,) = parse_text("t", text)
    assert isinstance(document, DocumentError), document
    return document.message


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        # R resolveMapList: YAML 1.1 booleans, including the one-letter ones
        ("y", True), ("Y", True), ("yes", True), ("On", True), ("TRUE", True),
        ("n", False), ("N", False), ("no", False), ("off", False), ("False", False),
        # ... but not any other capitalisation: those are strings
        ("yES", "yES"), ("tRUE", "tRUE"),
    ],
)  # fmt: skip
def test_booleans_of_the_resolve_map(scalar: str, expected: Any) -> None:
    assert value_of(scalar) == expected and type(value_of(scalar)) is type(expected)


@pytest.mark.parametrize("scalar", ["~", "null", "Null", "NULL", ""])
def test_nulls_of_the_resolve_map(scalar: str) -> None:
    assert value_of(scalar) is None


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        # R resolve: strconv.ParseInt(plain, 0, 64) after removing "_" -> Go's base prefixes
        ("0x1F", 31), ("0o17", 15), ("017", 15), ("0b101", 5), ("-0x10", -16), ("+12", 12), ("1_000", 1000),
        # then ParseUint for what does not fit an int64
        ("18446744073709551615", 18446744073709551615),
    ],
)  # fmt: skip
def test_integers_are_go_parseint_with_base_prefixes(scalar: str, expected: int) -> None:
    assert value_of(scalar) == expected and type(value_of(scalar)) is int


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        # R yamlStyleFloat `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`: no dot needed
        ("1.5", 1.5), ("-1.5e-3", -0.0015), (".5", 0.5),
        # Y: the JSON is decoded into float64, so a whole float is an integer to a schema
        ("1e3", 1000), ("08", 8), ("1.", 1), ("18446744073709551616", 1.8446744073709552e19),
    ],
)  # fmt: skip
def test_floats_follow_yaml_style_float(scalar: str, expected: float) -> None:
    assert value_of(scalar) == expected


def test_a_whole_float_becomes_an_int_a_fraction_stays_a_float() -> None:
    assert type(value_of("1e3")) is int and type(value_of("2.5")) is float


@pytest.mark.parametrize(
    "scalar",
    [
        "12:30",  # R: "Base 60 floats are a bad idea ... purposefully unsupported here"
        "1:30:00",
        "2026-11-29",  # D scalar: a timestamp decoded into interface{} keeps its text
        "2001-12-14t21:59:43.10-05:00",
        "1e400",  # R: ParseFloat fails with ErrRange, so the text stays a string
        "0b102",
        "+",
        "=",  # no entry in resolveTable: a string
        "0x",
    ],
)
def test_strings_that_other_yaml_readers_turn_into_something_else(scalar: str) -> None:
    assert value_of(scalar) == scalar


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        ("'y'", "y"), ('"12"', "12"),  # D: quoted scalars are never resolved
        ("!!str 12", "12"), ("!!float 1", 1), ("!!int 0x10", 16), ("!!bool yes", True),
        ("!custom 12", "12"),  # D: a tag go-yaml cannot resolve keeps the text as a string
        ("!!binary aGVsbG8=", "hello"),  # D: !!binary is base64-decoded into the string
    ],
)  # fmt: skip
def test_quotes_and_explicit_tags(scalar: str, expected: Any) -> None:
    assert value_of(scalar) == expected


def test_an_explicit_tag_must_match_what_the_text_resolves_to() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  key: !!int abc\n"
    assert error_of(text) == "invalid YAML: cannot decode !!str `abc` as a !!int (line 5, column 8)"


@pytest.mark.parametrize(("scalar", "name"), [(".inf", "+Inf"), ("-.Inf", "-Inf"), (".NaN", "NaN")])
def test_infinity_and_nan_cannot_become_json(scalar: str, name: str) -> None:
    # Y: json.Marshal fails with "json: unsupported value: +Inf"; kubeconform reports an error.
    text = f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: a}}\nspec:\n  replicas: {scalar}\n"
    assert error_of(text) == f"/spec/replicas: {name} cannot be written as JSON (json: unsupported value)"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("y", "true"), ("no", "false"), ("12", "12"), ("0x10", "16"), ("~x", "~x"),
        # Y: float keys go through strconv.FormatFloat(k, 'g', -1, 32)
        ("1.5", "1.5"), ("1e7", "1e+07"), ("3.14159265358979", "3.1415927"), ("1e3", "1000"), (".inf", ".inf"),
    ],
)  # fmt: skip
def test_keys_become_strings_as_in_the_json_conversion(key: str, expected: str) -> None:
    (document,) = parse_text("t", f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\ndata:\n  {key}: v\n")
    assert isinstance(document, Resource)
    assert list(document.obj["data"]) == [expected]


def test_a_null_key_cannot_become_json() -> None:
    message = error_of("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  ~: v\n")
    assert message.startswith("invalid YAML: unsupported map key of type: <nil>")


def test_a_plain_merge_key_merges() -> None:
    # D isMerge: a plain `<<` merges (resolve() alone would call it a string).
    text = (
        "apiVersion: v1\nkind: ConfigMap\nbase: &b {x: '1', z: '2'}\nmetadata: {name: a}\ndata:\n  <<: *b\n  x: '3'\n"
    )
    (document,) = parse_text("t", text)
    assert isinstance(document, Resource)
    assert document.obj["data"] == {"x": "3", "z": "2"}


CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def test_a_syntax_error_in_a_stream_is_an_error_and_the_other_documents_are_still_read() -> None:
    # S: kubeconform splits a file at lines starting with `---`, then reads each part alone.
    stream = CONFIGMAP.format(name="a") + "---\nmetadata: [unclosed\n---\n" + CONFIGMAP.format(name="c")
    documents = parse_text("t", stream)
    assert [(type(d).__name__, d.index, getattr(d, "name", "")) for d in documents] == [
        ("Resource", 0, "a"),
        ("DocumentError", 1, ""),
        ("Resource", 2, "c"),
    ]
    assert isinstance(documents[1], DocumentError)
    assert documents[1].message.startswith("invalid YAML: ")


def test_a_list_stands_for_its_items() -> None:
    # S resource.go `Resources()`: kind List (any case) -> each item is a resource; null
    # items are empty documents.
    stream = (
        "apiVersion: v1\nkind: list\nitems:\n- null\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- text\n"
    )
    documents = parse_text("t", stream)
    assert [(type(d).__name__, d.kind, d.index) for d in documents] == [
        ("Resource", "ConfigMap", 0),
        ("DocumentError", "", 1),
    ]
    assert isinstance(documents[1], DocumentError)
    assert documents[1].message == "document is a str, not a mapping"


def test_a_line_starting_with_three_dashes_ends_a_document_and_the_rest_of_it_is_dropped() -> None:
    # S SplitYAMLDocument: "\n---" splits; what follows on that line is skipped.
    stream = CONFIGMAP.format(name="a") + "--- # a comment\n" + CONFIGMAP.format(name="b")
    assert [getattr(d, "name", "") for d in parse_text("t", stream)] == ["a", "b"]


def test_a_document_before_a_final_separator_without_newline_is_kept() -> None:
    # A known difference (docs/validator.md): kubeconform's bufio.Scanner with SplitYAMLDocument
    # returns no token for "...\n--- x" at the end of a file and drops the whole rest.
    stream = CONFIGMAP.format(name="a") + "--- x"
    assert [getattr(d, "name", "") for d in parse_text("t", stream)] == ["a"]

"""YAML read the way Kubernetes reads it: sigs.k8s.io/yaml on top of its go-yaml v2 fork.

`kubectl`, the API machinery and kubeconform turn YAML into JSON with sigs.k8s.io/yaml
(v1.4.0, vendored by kubeconform v0.7.0): go-yaml v2 decodes into `interface{}`, the result is
made JSON-able and marshalled. The scalar rules below are the ones of that code, not YAML
1.1's nor YAML 1.2's, so flowlogs validates what the API server will see:

- `vendor/sigs.k8s.io/yaml/goyaml.v2/resolve.go` (`resolveTable`, `resolveMap`, `resolve`):
  a plain scalar is looked up by its first character; `y`/`n`/`yes`/`on`/`off`... are
  booleans; integers are Go `strconv.ParseInt(s, 0, 64)` after removing `_` (so `0x1F`,
  `0o17`, `017`, `0b101`), then `ParseUint`, then floats of the form
  `[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?` (so `1e3`, and `08` is 8.0); there
  are no base-60 numbers (`12:30` is a string). Anything else is a string.
- `vendor/sigs.k8s.io/yaml/goyaml.v2/decode.go` (`scalar`): a timestamp decoded into
  `interface{}` stays the original string; `!!binary` is base64-decoded into a string; a tag
  it does not know keeps the text as a string; an explicit standard tag must match what the
  text resolves to ("cannot decode !!str `abc` as a !!int"), except that an int may be a float.
- `vendor/sigs.k8s.io/yaml/yaml.go` (`convertToJSONableObject`, then `json.Marshal`): int and
  bool keys become strings, float keys are formatted as `strconv.FormatFloat(k, 'g', -1, 32)`;
  other keys (null, > int64, lists) are errors; `.inf`/`.nan` values cannot be JSON
  ("json: unsupported value: +Inf"). The JSON is then decoded into float64s, so a whole float
  such as `1e3` counts as an integer: here it becomes a Python int.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from functools import lru_cache
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
BINARY_TAG = "tag:yaml.org,2002:binary"

# resolve.go `resolveTable`: the first character decides which rules are tried.
_HINTS = {**dict.fromkeys("+-", "S"), **dict.fromkeys("0123456789", "D"), **dict.fromkeys("yYnNtTfFoO~", "M"), ".": "."}
# resolve.go `resolveMapList`.
_RESOLVE_MAP: dict[str, tuple[str, Any]] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), (BOOL_TAG, True)),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), (BOOL_TAG, False)),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), (NULL_TAG, None)),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), (FLOAT_TAG, math.nan)),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), (FLOAT_TAG, math.inf)),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), (FLOAT_TAG, -math.inf)),
}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")  # what Go's ParseFloat takes after a leading "."
_DIGITS = {2: "[01]+", 8: "[0-7]+", 10: "[0-9]+", 16: "[0-9a-fA-F]+"}  # patterns, by base
_INT64 = (-(2**63), 2**63 - 1)
# A line that starts with `---`, with its newline (none at the end of the text).
_SEPARATOR_LINE = re.compile(r"\n---[^\n]*(?:\n|\Z)")
_UINT64_MAX = 2**64 - 1
# resolve.go `allowedTimestampFormats` (Go layouts "2006-1-2T15:4:5.999999999Z07:00", with "t",
# "2006-1-2 15:4:5.999999999" and "2006-1-2"): only used for an explicit !!timestamp tag.
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(([Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2}))|( "
    r"[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?))?"
)


def go_parse_int(text: str, *, signed: bool = True, base: int = 0) -> int | None:
    """Go `strconv.ParseInt(text, base, 64)` (`ParseUint` with signed=False), base 0 (the prefix
    says: 0x, 0o, 0b, 0) or 10; None when it fails."""
    sign = 1
    body = text
    if signed and body[:1] in ("+", "-"):
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if base == 0:
        base = 10
        if len(body) > 1 and body[0] == "0":
            prefix = body[1].lower()
            base, body = {"x": (16, body[2:]), "o": (8, body[2:]), "b": (2, body[2:])}.get(prefix, (8, body[1:]))
    if not body or not re.fullmatch(_DIGITS[base], body) or len(body.lstrip("0")) > 64:
        return None  # over 64 digits is out of range in any base (and past Python's int() limit)
    value = sign * int(body, base)
    low, high = _INT64 if signed else (0, _UINT64_MAX)
    return value if low <= value <= high else None


@lru_cache(maxsize=8192)
def resolve_plain(text: str) -> tuple[str, Any]:
    """go-yaml v2 `resolve("", text)`: (tag, value) of an untagged plain scalar.

    A timestamp resolves to its own text (what decoding into interface{} keeps).
    """
    hint = "N" if text == "" else _HINTS.get(text[0])
    if hint is None:
        return STR_TAG, text
    if (item := _RESOLVE_MAP.get(text)) is not None:
        return item
    if hint == ".":
        if _DOT_FLOAT.fullmatch(text):
            return FLOAT_TAG, float(text)
    elif hint in ("D", "S"):
        if _TIMESTAMP.fullmatch(text):
            return TIMESTAMP_TAG, text
        plain = text.replace("_", "")
        for signed in (True, False):
            if (number := go_parse_int(plain, signed=signed) if plain else None) is not None:
                return INT_TAG, number
        if _YAML_STYLE_FLOAT.fullmatch(plain):
            value = float(plain)
            if not math.isinf(value):  # Go's ParseFloat fails with ErrRange: the text stays a string
                return FLOAT_TAG, value
        # resolve.go's own `0b`/`-0b` branch, after the floats, accepts nothing ParseInt/ParseUint with base 0
        # (which read `0b` since Go 1.13) have not already taken above.
    return STR_TAG, text


def resolve_tagged(tag: str, text: str) -> Any:
    """go-yaml v2 `resolve(tag, text)` for an explicit standard tag; raises ValueError on a mismatch."""
    if tag == STR_TAG:
        return text
    resolved_tag, value = resolve_plain(text)
    if tag == resolved_tag:
        return value
    if tag == FLOAT_TAG and resolved_tag == INT_TAG:
        return float(value)
    raise ValueError(f"cannot decode {_short_tag(resolved_tag)} `{text}` as a {_short_tag(tag)}")


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:")


def format_float32_key(value: float) -> str:
    """Go `strconv.FormatFloat(value, 'g', -1, 32)` with go-yaml's names for infinities and NaN."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    single = struct.unpack("f", struct.pack("f", value))[0]
    if single == 0:
        return "-0" if math.copysign(1, single) < 0 else "0"
    for precision in range(1, 10):  # the shortest decimal that reads back as the same float32
        scientific = f"{abs(single):.{precision - 1}e}"
        if struct.unpack("f", struct.pack("f", float(scientific)))[0] == abs(single):
            break
    mantissa, exponent_text = scientific.split("e")
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    exponent = int(exponent_text)  # of the first digit: Go's digs.dp - 1
    # ftoa.go, 'g' with the shortest precision: %e when exp < -4 || exp >= 6 (Python's %e writes
    # the exponent as Go does, sign and two digits at least).
    if exponent < -4 or exponent >= 6:
        return f"{single:.{len(digits) - 1}e}"
    return f"{single:.{max(len(digits) - exponent - 1, 0)}f}"


def go_string(value: Any) -> str | None:
    """A scalar read into a Go string field by sigs.k8s.io/yaml (yaml.go converts numbers and
    booleans to their text when the target is a string); None for null, lists and mappings."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float32_key(value)
    return None


class UnsupportedData(Exception):
    """Data sigs.k8s.io/yaml cannot turn into JSON (a null or too large key, an infinite value)."""


class KubernetesLoader(yaml.CSafeLoader):
    """CSafeLoader with go-yaml v2's scalar resolution and sigs.k8s.io/yaml's JSON conversion.

    `non_finite` is set when a `.inf`/`.nan` was constructed: the caller then looks for one
    among the values (keys are strings by then).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.non_finite = False

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if not implicit[0]:
                return STR_TAG
            # decode.go `isMerge`: a plain `<<` key merges (resolve() alone calls it a string).
            return MERGE_TAG if value == "<<" else resolve_plain(value)[0]
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call, unused-ignore]

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if any(not isinstance(key, str) for key in mapping):
            try:
                return {
                    self._json_key(key_node): mapping[self.construct_object(key_node)] for key_node, _ in node.value
                }
            except UnsupportedData as error:
                raise yaml.constructor.ConstructorError(None, None, str(error), node.start_mark) from error
        return mapping

    def _json_key(self, key_node: Node) -> str:
        """convertToJSONableObject's key rules (yaml.go): those of a Go string field, for int64s only."""
        # A float key is formatted from the float itself (`1e7` -> "1e+07"), not from the
        # integer a whole float value becomes.
        if isinstance(key_node, ScalarNode) and key_node.tag == FLOAT_TAG:
            return format_float32_key(float(resolve_tagged(FLOAT_TAG, str(key_node.value))))
        key = self.construct_object(key_node)
        if isinstance(key, int) and not isinstance(key, bool) and not _INT64[0] <= key <= _INT64[1]:
            raise UnsupportedData(f"unsupported map key of type: uint64, key: {key}")
        if (text := go_string(key)) is None:
            type_name = "<nil>" if key is None else type(key).__name__
            raise UnsupportedData(f"unsupported map key of type: {type_name}, key: {key!r}")
        return text


def _construct_resolved(loader: KubernetesLoader, node: ScalarNode) -> Any:
    text = str(node.value)
    try:
        value = resolve_tagged(node.tag, text)
    except ValueError as error:
        raise yaml.constructor.ConstructorError(None, None, str(error), node.start_mark) from error
    if isinstance(value, float):
        if not math.isfinite(value):
            loader.non_finite = True
        # Decoded from JSON into a float64, a whole number is an integer to every schema validator.
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    return value


def _construct_binary(loader: KubernetesLoader, node: ScalarNode) -> str:
    # decode.go: base64 (Go's StdEncoding skips \r and \n), the bytes as a string; json.Marshal
    # writes invalid UTF-8 as U+FFFD.
    text = str(node.value).replace("\r", "").replace("\n", "")
    try:
        return base64.b64decode(text, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError) as error:
        message = "!!binary value contains invalid base64 data"
        raise yaml.constructor.ConstructorError(None, None, message, node.start_mark) from error


def _construct_unknown_tag(loader: KubernetesLoader, node: Node) -> Any:
    # decode.go: a tag go-yaml cannot resolve leaves a scalar's text as a string; collections
    # decode as usual.
    if isinstance(node, ScalarNode):
        return str(node.value)
    if isinstance(node, MappingNode):
        return loader.construct_mapping(node)
    assert isinstance(node, SequenceNode)
    return loader.construct_sequence(node)


for _tag in (INT_TAG, FLOAT_TAG, BOOL_TAG, NULL_TAG, TIMESTAMP_TAG):
    KubernetesLoader.add_constructor(_tag, _construct_resolved)
KubernetesLoader.add_constructor(BINARY_TAG, _construct_binary)
KubernetesLoader.add_constructor(None, _construct_unknown_tag)


def find_non_finite(data: Any, path: list[str | int]) -> tuple[list[str | int], float] | None:
    """The first `.inf`/`.nan` value in data, with its path (only walked when one was seen)."""
    if isinstance(data, float) and not math.isfinite(data):
        return path, data
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        if (found := find_non_finite(value, [*path, key])) is not None:
            return found
    return None


def go_json_name(value: float) -> str:
    """How Go's json.Marshal names the value it refuses."""
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")


def split_documents(text: str) -> list[str]:
    """kubeconform's `SplitYAMLDocument` (pkg/resource/stream.go, from Kubernetes'
    `pkg/util/yaml`) run over a whole file: split at every line that starts with `---`, the
    rest of that line dropped. One difference: when the file ends in a `---` line with no
    newline, kubeconform's scanner drops the document before it too; here it is kept (nothing is
    dropped silently).
    """
    # An empty last piece (after a final `---` line, or of an empty text) is no document.
    documents = _SEPARATOR_LINE.split(text)
    return documents[:-1] if documents[-1] == "" else documents

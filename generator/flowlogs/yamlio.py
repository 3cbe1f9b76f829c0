"""The one YAML writer of everything flowlogs generates.

Every string is written so that every reader sees a string: Helm reads values files with
sigs.k8s.io/yaml (go-yaml v2, YAML 1.1 rules: `y`, `n`, `on`, `off` are booleans; `0x1F`,
`0o17`, `1_000` are integers), Argo CD and kubectl too, editors and other tools with YAML 1.2
(`0o17` an integer, `.inf` a float). PyYAML's dumper already quotes what PyYAML itself would
read as another type; `_READ_AS_OTHER` adds what go-yaml v2 or YAML 1.2 would (sources:
go-yaml v2 `resolve.go` `resolveTable`/`resolveMapList`, as vendored in kubernetes-sigs/yaml
`goyaml.v2/resolve.go`; YAML 1.2.2 §10.3.2 core schema). It errs on the side of quoting:
a quoted string is never misread.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_WORDS = "y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|~|null|Null|NULL|<<|="
# Numbers in any of the three readers' forms (underscores allowed anywhere after the first
# digit, as go-yaml v2 strips them), infinities and NaN, and dates/times (timestamps).
_NUMBER = (
    r"[-+]?(0[xXoObB][0-9a-fA-F_]*|[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9_]+)?|\.[0-9_]+([eE][-+]?[0-9_]+)?"
    r"|\.(inf|Inf|INF)|[0-9][0-9_]*(:[0-9_]+)+(\.[0-9_]*)?)"
    r"|\.(nan|NaN|NAN)"
)
_TIMESTAMP = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?"
_READ_AS_OTHER = re.compile(f"(?:{_WORDS}|{_NUMBER}|{_TIMESTAMP})")


def read_as_other_type(text: str) -> bool:
    """Whether a YAML 1.1 or 1.2 reader would take this text, written plain, for a non-string."""
    return text == "" or _READ_AS_OTHER.fullmatch(text) is not None


class _NoAliases:
    """Never write anchors and aliases: reviewers read every value where it applies."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _PlainDumper(_NoAliases, yaml.SafeDumper):
    """PyYAML's dumper, on its Python emitter."""


def _represent_str(dumper: yaml.SafeDumper | yaml.CSafeDumper, data: str) -> yaml.ScalarNode:
    if read_as_other_type(data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    return dumper.represent_str(data)


class _LibyamlDumper(_NoAliases, yaml.CSafeDumper):
    """The same dumper on libyaml's emitter (C, several times faster), for documents it writes
    byte for byte as PyYAML's Python emitter does (`_libyaml_writes_alike`)."""


_PlainDumper.add_representer(str, _represent_str)
_LibyamlDumper.add_representer(str, _represent_str)

# Where the two emitters agree (tests/test_yaml_quoting.py compares them on generated
# documents): text of printable characters, and mapping keys short enough to be written as
# simple keys by both. libyaml counts a key's 128-character limit in UTF-8 bytes, PyYAML in
# characters; they also differ on empty keys, bare scalars, line separators and control characters.
# Written as the characters outside that set "[\x20-\x7e\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd]":
# a short class compiles faster than the complement of a long one.
_EMITTERS_DISAGREE_ON = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff\U00010000-\U0010ffff]")
_SIMPLE_KEY_BYTES = 128


def _libyaml_writes_alike(data: Any) -> bool:
    if isinstance(data, dict):
        return all(
            isinstance(key, str)
            and key
            and len(key.encode()) < _SIMPLE_KEY_BYTES
            and not _EMITTERS_DISAGREE_ON.search(key)
            and _libyaml_writes_alike(value)
            for key, value in data.items()
        )
    if isinstance(data, list):
        return all(_libyaml_writes_alike(item) for item in data)
    if isinstance(data, str):
        return _EMITTERS_DISAGREE_ON.search(data) is None
    return data is None or isinstance(data, (bool, int, float))


def dump_yaml(data: Any) -> str:
    fast = isinstance(data, (dict, list)) and bool(data) and _libyaml_writes_alike(data)
    dumper = _LibyamlDumper if fast else _PlainDumper
    return yaml.dump(data, Dumper=dumper, sort_keys=False, default_flow_style=False, width=1000, allow_unicode=True)

"""Names and defaults every part of flowlogs shares: one definition each."""

from __future__ import annotations

import re
from pathlib import Path

# A DNS label (RFC 1123), as Kubernetes checks namespace and most object names.
DNS_LABEL_PATTERN = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"


def end_anchors(pattern: str) -> list[int]:
    """The positions of the `$` anchors of a regular expression: those outside a character class
    and not escaped."""
    found: list[int] = []
    escaped = in_class = False
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            found.append(index)
    return found


def python_pattern(pattern: str) -> str:
    """A JSON Schema (ECMA-262) pattern as Python's `re` must be given it to mean the same.

    ECMA's `$` (no multiline flag) matches at the very end only, as Go's regexp (Helm) and
    jsonschema-rs read it; Python's `$` also matches before a final newline, so `flowlogs-x\\n`
    passed `^...$` (tests/test_hostile_round_two.py). Each `$` outside a character class becomes `\\Z`.
    """
    out = list(pattern)
    for index in end_anchors(pattern):
        out[index] = "\\Z"
    return "".join(out)


DNS_LABEL_RE = re.compile(python_pattern(DNS_LABEL_PATTERN))
DNS_LABEL_HINT = "use lower-case letters, digits and '-' (a DNS label, at most 63 characters)"
# A DNS subdomain (RFC 1123), as Kubernetes checks most other object names (Services).
OBJECT_NAME_PATTERN = "^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"
# The same names in the chart's values.schema.json, with the length apart (maxLength): Helm
# compiles the schema at every render, and Go's regexp makes a counted repetition like {0,61}
# into as many copies of it.
CHART_NAME_PATTERNS = {
    DNS_LABEL_PATTERN: ("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", 63),
    OBJECT_NAME_PATTERN: ("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", 253),
}

# The Kubernetes version Helm's Capabilities and the schemas use unless told otherwise.
DEFAULT_KUBERNETES_VERSION = "1.31.0"

# The schema of a DNS-label name in profiles and the fleet file, with the hint errors show.
DNS_LABEL_SCHEMA = {"type": "string", "pattern": DNS_LABEL_PATTERN, "title": "name", "x-pattern-hint": DNS_LABEL_HINT}

# Where a chart keeps each profile's compiled values (profiles/<profile>/values.yaml).
PROFILES_DIR = "profiles"


def tree_name(directory: Path) -> str:
    """A generated directory as generated files name it: its own name, even when given as `.`."""
    return directory.resolve().name

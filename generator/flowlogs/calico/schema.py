"""The `calico:` section of a profile (Calico Enterprise L7 logs)."""

from __future__ import annotations

from typing import Any


def calico_section_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "title": "calico section",
        "description": "Calico Enterprise L7 logs.",
        "additionalProperties": False,
        "properties": {},
    }

"""Compile the `calico:` section of a profile (Calico Enterprise L7 logs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import Diagnostics
from ..profile import Node


@dataclass
class CalicoCompiled:
    version: str
    values: dict[str, Any]


def compile_calico(section: Node, diagnostics: Diagnostics) -> CalicoCompiled:
    return CalicoCompiled(version="3.19", values={"enabled": True})

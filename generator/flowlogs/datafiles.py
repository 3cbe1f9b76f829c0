"""The YAML data files flowlogs ships (version tables, the Flow message), parsed with libyaml.

They are human-readable YAML with their sources in comments. They are parsed each run: that
costs less than a cache layer must save to be kept (benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


def load_data_file(path: Path) -> Any:
    return yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)


def supported_version(product: str, version: object, supported: Sequence[str]) -> str:
    """`version` when it is one of `supported`, else a ValueError naming the supported ones."""
    if not isinstance(version, str) or version not in supported:
        raise ValueError(f"unsupported {product} version '{version}'; supported: {', '.join(supported)}")
    return version


def load_version_file(path: Path, what: str, version: str, build: Callable[[str, dict[str, Any]], T]) -> T:
    """A version's data file built into its frozen table; a broken file (a bug of ours) is a ValueError naming it."""
    raw = load_data_file(path)
    try:
        if str(raw["version"]) != version:
            raise ValueError(f"file says version {raw['version']!r}")
        return build(version, raw)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: invalid {what}: {error}") from error

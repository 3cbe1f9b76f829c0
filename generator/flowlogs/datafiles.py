"""The YAML data files flowlogs ships (version tables, the Flow message), parsed with libyaml.

They are human-readable YAML with their sources in comments. They are parsed each run: that
costs less than a cache layer must save to be kept (benchmarks/README.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def load_data_file(path: Path) -> Any:
    """The parsed content of a shipped YAML data file."""
    return yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)

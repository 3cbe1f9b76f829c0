"""The YAML data files flowlogs ships (version tables, the Flow message), parsed with libyaml.

They are human-readable YAML with their sources in comments. They are parsed each run: all ten
cost about 30 ms, too little for a cache (a cache layer is kept only where it saves a command
50 ms: benchmarks/README.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_data_file(path: Path) -> Any:
    """The parsed content of a shipped YAML data file."""
    import yaml

    return yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)

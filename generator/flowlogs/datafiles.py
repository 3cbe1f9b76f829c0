"""The YAML data files flowlogs ships (version tables, the Flow message), parsed with libyaml.

They are human-readable YAML with their sources in comments. Parsing all ten costs about 30 ms,
less than a cache of them would save (issue 25: a cache layer must save 50 ms of a command).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_data_file(path: Path) -> Any:
    """The parsed content of a shipped YAML data file."""
    import yaml

    return yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)

"""The YAML data files flowlogs ships (version tables, the Flow message), read once per machine.

They are human-readable YAML with their sources in comments; parsing them is the slowest part
of a short command. Each file's parsed data is kept in a per-user cache
(`caches.py`: `data/` under `$XDG_CACHE_HOME/flowlogs`) under the SHA-256 of its bytes, so an
edited or upgraded file is read again and a cache that cannot be written or read is no error:
the file is parsed as before. `FLOWLOGS_NO_CACHE=1` turns the cache off.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

from .caches import cache_root, write_entry


def load_data_file(path: Path) -> Any:
    """The parsed content of a shipped YAML data file."""
    data = path.read_bytes()
    root = cache_root()
    cached = root / "data" / f"{path.stem}-{hashlib.sha256(data).hexdigest()[:32]}.pickle" if root else None
    if cached is not None:
        try:
            return pickle.loads(cached.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            pass
    import yaml

    parsed = yaml.load(data, Loader=yaml.CSafeLoader)
    if cached is not None:
        write_entry(cached, pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL))
    return parsed

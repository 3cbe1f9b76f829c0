"""The YAML data files flowlogs ships (version tables, the Flow message), read once per machine.

They are human-readable YAML with their sources in comments; parsing them is the slowest part
of a short command. Each file's parsed data is kept in a per-user cache
(`$XDG_CACHE_HOME/flowlogs`, else `~/.cache/flowlogs`) under the SHA-256 of its bytes, so an
edited or upgraded file is read again and a cache that cannot be written or read is no error:
the file is parsed as before. `FLOWLOGS_NO_CACHE=1` turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any


def _cache_dir() -> Path | None:
    if os.environ.get("FLOWLOGS_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "flowlogs" / "data"


def load_data_file(path: Path) -> Any:
    """The parsed content of a shipped YAML data file."""
    data = path.read_bytes()
    directory = _cache_dir()
    cached = directory / f"{path.stem}-{hashlib.sha256(data).hexdigest()[:32]}.pickle" if directory else None
    if cached is not None:
        try:
            return pickle.loads(cached.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            pass
    import yaml

    parsed = yaml.load(data, Loader=yaml.CSafeLoader)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=cached.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(parsed, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, cached)
        except OSError:
            pass
    return parsed

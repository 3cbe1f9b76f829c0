"""The current time, read in one place.

What depends on "now" (a flow log whose end has passed) reads it here, so that a run can be pinned:
FLOWLOGS_NOW set to an RFC 3339 time (`2025-01-01T00:00:00Z`) stands for the clock, in tests and
when a past or future run is reproduced.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from .errors import UserError

NOW_VARIABLE = "FLOWLOGS_NOW"


def now() -> datetime:
    """The current time (UTC, aware); FLOWLOGS_NOW when set."""
    pinned = os.environ.get(NOW_VARIABLE, "").strip()
    if not pinned:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(pinned)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise UserError(f"{NOW_VARIABLE}={pinned!r} is not an RFC 3339 time with a zone, e.g. 2025-01-01T00:00:00Z")
    return moment.astimezone(UTC)

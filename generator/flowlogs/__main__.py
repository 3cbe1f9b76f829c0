"""`python -m flowlogs`: the same as the `flowlogs` command."""

import sys

from .cli import main

sys.exit(main())

"""`make fuzz`: the fuzz target of issues 13 and 22 with a large budget (tests/fuzz/harness.py).

    .venv/bin/python tests/fuzz/run_fuzz.py [--examples 5000] [--seed 13] [--deep-every 4]

Prints examples run, rejected with a positioned error, accepted and valid, tracebacks, internal
errors, escapes, hangs, partial writes and peak memory per example; exits 1 when any example failed a check.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import run_many  # noqa: E402 - the harness sits beside this script


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--deep-every",
        type=int,
        default=4,
        help="validate (render, helm lint --strict, schemas) every Nth accepted example",
    )
    parser.add_argument(
        "--time-limit", type=float, default=2.0, help="seconds after which an example counts as a hang (default: 2)"
    )
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="flowlogs-fuzz-") as scratch:
        tally = run_many(
            args.examples,
            Path(scratch) / "repo",
            deep_every=args.deep_every,
            seed=args.seed,
            time_limit=args.time_limit,
        )
    print(tally.report())
    print(f"seed {args.seed}, {time.monotonic() - started:.0f} s")
    return 0 if tally.count("accepted", "rejected") == len(tally.outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

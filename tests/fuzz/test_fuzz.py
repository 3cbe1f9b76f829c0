"""The fuzz target of issues 13 and 22 with a small budget and a fixed seed (`make fuzz` runs 5,000 with a 2 s limit).

Every example is an accepted profile that validates (render, helm lint --strict, schemas;
sampled), or a rejection at file:line:col that leaves chart/ and gitops/ untouched: never a
traceback, a hang, 200 MB, or template code evaluated. The examples run in a process of their
own: the harness forks one child per example, which is only safe in a process without threads
(earlier tests leave some in pytest's).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parent / "run_fuzz.py"


# 25 examples, each generated, rendered and validated in a forked child: ~2.5 s, more on a busy machine
@pytest.mark.slow
def test_fuzzed_inputs_are_accepted_and_valid_or_rejected_at_a_position() -> None:
    # A hang here is 10 s, not 2 s: `make test` shares the machine.
    completed = subprocess.run(
        [sys.executable, str(RUNNER), "--examples", "25", "--deep-every", "10", "--time-limit", "10"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    report = completed.stdout + completed.stderr
    assert completed.returncode == 0, report
    lines = dict(
        line.split(": ", 1) for line in completed.stdout.splitlines() if ": " in line and not line.startswith(" ")
    )
    assert lines["examples run"].startswith("25 ")
    failures = (
        "tracebacks",
        "internal errors (exit 70)",
        "escapes (a file written outside its place, or through a link)",
        "hangs",
        "partial writes",
        "over the memory limit",
        "template code evaluated",
        "rejected without a position",
        "accepted but invalid",
    )
    for failure in failures:
        assert lines[failure] == "0", report
    assert not lines["rejected with a positioned error"].startswith("0 ") and not lines[
        "accepted and valid"
    ].startswith("0 "), report

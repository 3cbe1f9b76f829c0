"""benchmarks/bench_kubeconform.py still runs (its numbers are read from `make bench`, not asserted)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "tools"))

import kubeconform_parity as parity  # noqa: E402


@pytest.mark.slow  # runs the kubeconform benchmark end to end (both tools on ~170 files): ~5 s
def test_kubeconform_benchmark_runs() -> None:
    completed = subprocess.run(
        [sys.executable, "benchmarks/bench_kubeconform.py", "--repeat", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    if parity.skip_reason():
        assert completed.stdout == f"bench_kubeconform: skipped: {parity.skip_reason()}\n"
    else:
        assert "resources on which they disagree: 0\n" in completed.stdout
        assert "ratio flowlogs/kubeconform: " in completed.stdout

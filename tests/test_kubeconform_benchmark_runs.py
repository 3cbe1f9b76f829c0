"""benchmarks/bench_kubeconform.py still runs (its numbers are read from `make bench`, not asserted)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "tools"))

import kubeconform_parity as parity  # noqa: E402


@pytest.mark.slow  # runs the kubeconform benchmark end to end (both tools on 1 rendered profile): ~1 s
def test_kubeconform_benchmark_runs() -> None:
    completed = subprocess.run(
        [sys.executable, "benchmarks/bench_kubeconform.py", "--repeat", "1", "--files", "1"],
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
        lines = completed.stdout.splitlines()
        assert lines[0].startswith("inputs: 1 files (1 rendered profiles, 0 gitops files, 0 mutated manifests), ")
        assert "resources on which they disagree: 0" in lines
        for start in ("kubeconform -strict: ", "ratio flowlogs/kubeconform: ", "flowlogs validate in process "):
            assert any(line.startswith(start) for line in lines), (start, lines)

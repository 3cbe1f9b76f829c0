"""The benchmarks still run (on a small scale; their numbers are read from `make bench`, not asserted)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def run_benchmark(*args: str) -> str:
    completed = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def test_fleet_benchmark_runs():
    out = run_benchmark("benchmarks/bench_fleet.py", "--clusters", "20", "--repeat", "1")
    assert "fleet: 20 clusters" in out


def test_validate_benchmark_runs():
    out = run_benchmark("benchmarks/bench_validate.py", "--profiles", "5", "--kv-docs", "5", "--repeat", "5")
    assert "manifests/s vs kubernetes_validate" in out


def test_preview_benchmark_runs():
    out = run_benchmark("benchmarks/bench_preview.py", "--flows", "2000", "--small", "200", "--repeat", "1", "--no-target")
    assert "ratio preview/bare parsing:" in out
    assert "peak memory: 200 flows" in out

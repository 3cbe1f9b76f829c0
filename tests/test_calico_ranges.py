"""Calico values out of what the consumer accepts (issue 13): refused at their position.

Limits: a Kubernetes quantity is finite and at most 2^63-1 (k8s.io/apimachinery
pkg/api/resource/quantity.go, the Quantity doc comment); Felix durations are Go time.Duration
(int64 nanoseconds; Go src/time/format.go ParseDuration: "time: invalid duration" on overflow);
Felix counts are `type: integer` (int64) in the FelixConfiguration CRD
(../shared/crds/crd.projectcalico.org_felixconfigurations_enterprise.yaml).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CliResult


def generate_one(run_cli: Callable[..., CliResult], tmp_path: Path, profile: str) -> list[str]:
    values = tmp_path / "values"
    values.mkdir()
    (values / "a.yaml").write_text(profile)
    result = run_cli("--values-dir", str(values), "--chart-dir", str(tmp_path / "chart"), "generate")
    assert result.code == 1
    assert not (tmp_path / "chart").exists()
    return [
        line.split(": error: ", 1)[1] if ": error: " in line else line
        for line in result.err.splitlines()
        if ": error: " in line or line.startswith("  hint")
    ]


STORAGE = "calico:\n  cluster:\n    nodes: 3\n    log-storage-size: {}\n"
QUANTITY_ERROR = "log-storage-size {} is not a Kubernetes quantity: it must be finite and at most 2^63-1"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (".nan", "nan"),
        ('"1e99999999"', "1e99999999"),
        ("1e99999999", "inf"),
        ("9223372036854775808", "9223372036854775808"),
        ("8Ei", "8Ei"),
    ],
)
def test_log_storage_size_out_of_range(
    run_cli: Callable[..., CliResult], tmp_path: Path, value: str, shown: str
) -> None:
    assert generate_one(run_cli, tmp_path, STORAGE.format(value)) == [
        QUANTITY_ERROR.format(shown),
        "  hint: write a size such as 500Gi",
    ]


def test_flush_interval_longer_than_a_go_duration(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    assert generate_one(run_cli, tmp_path, "calico:\n  felix:\n    flush-interval: 999999999999999h\n") == [
        "flush-interval '999999999999999h' is longer than a Go duration holds (2562047h47m16s)",
        "  hint: Felix reads it with Go's time.ParseDuration (int64 nanoseconds); use a shorter interval such as 5m",
    ]


def test_the_longest_go_duration_and_int64_count_are_accepted(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    values = tmp_path / "values"
    values.mkdir()
    (values / "a.yaml").write_text(
        "calico:\n  felix:\n    flush-interval: 2562047h47m16s\n    max-files: 9223372036854775807\n"
    )
    assert run_cli("--values-dir", str(values), "--chart-dir", str(tmp_path / "chart"), "generate").code == 0


@pytest.mark.parametrize("word", ["max-files", "max-file-size-mb"])
def test_felix_count_past_int64(run_cli: Callable[..., CliResult], tmp_path: Path, word: str) -> None:
    assert generate_one(run_cli, tmp_path, f"calico:\n  felix:\n    {word}: 9223372036854775808\n") == [
        f"calico.felix.{word}: '9223372036854775808' is out of range (9223372036854775808 is greater than the maximum "
        "of 9223372036854775807)"
    ]

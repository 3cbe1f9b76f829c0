"""Where the Cilium agent may write a flow log (flowlogs.cilium.paths; issue 13).

The agent writes `filePath` as root on every node. Allowed: `stdout`, `/dev/stdout`, and
normalised absolute paths below /var/run/cilium/hubble/ (Cilium's default
hubble.export.static.filePath /var/run/cilium/hubble/events.log; the agent's /var/run/cilium is
the `cilium-run` hostPath volume in cilium/cilium
install/kubernetes/cilium/templates/cilium-agent/daemonset.yaml). Elsewhere only with
`allow-any-path: true`, and never in /proc, /sys or /dev.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CliResult
from flowlogs.cilium.paths import path_problem

OUTSIDE_HINT = (
    "write it below /var/run/cilium/hubble/ (the agent's hostPath /var/run/cilium), use 'stdout', "
    "or set 'allow-any-path: true' on this flow log if the agent really must write there"
)


@pytest.mark.parametrize(
    "path", ["stdout", "/dev/stdout", "/var/run/cilium/hubble/events.log", "/var/run/cilium/hubble/team-a/drops.log"]
)
def test_allowed_paths(path: str) -> None:
    assert path_problem(path, allow_any_path=False) is None


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        (
            "/var/run/cilium/hubble/../../../../etc/shadow",
            (
                "file '/var/run/cilium/hubble/../../../../etc/shadow' contains '..'",
                "write the path without '..': the agent would write to /etc/shadow",
            ),
        ),
        (
            "/etc/ld.so.preload",
            (
                "file '/etc/ld.so.preload' is outside /var/run/cilium/hubble/: the Cilium agent writes it as root on "
                "every node",
                OUTSIDE_HINT,
            ),
        ),
        (
            "/proc/sysrq-trigger",
            (
                "file '/proc/sysrq-trigger' is in /proc: kernel interfaces and devices, not a log file",
                "write it below /var/run/cilium/hubble/, or use 'stdout'",
            ),
        ),
        (
            "/var/run/cilium/hubble/",
            ("file '/var/run/cilium/hubble/' is not a normalised path", "write /var/run/cilium/hubble"),
        ),
        (
            "/var/run/cilium/hubble//a.log",
            ("file '/var/run/cilium/hubble//a.log' is not a normalised path", "write /var/run/cilium/hubble/a.log"),
        ),
        (
            "/var/run/cilium/hubble/./a.log",
            ("file '/var/run/cilium/hubble/./a.log' is not a normalised path", "write /var/run/cilium/hubble/a.log"),
        ),
        ("//etc/passwd", ("file '//etc/passwd' is not a normalised path", "write /etc/passwd")),
        (
            "/var/run/cilium/hubble/a\nb.log",
            (
                "file '/var/run/cilium/hubble/a\\nb.log' contains control characters",
                "write a plain path such as /var/run/cilium/hubble/flows.log",
            ),
        ),
        (
            "logs/a.log",
            (
                "file 'logs/a.log' is not an absolute path",
                "write it below /var/run/cilium/hubble/, e.g. /var/run/cilium/hubble/flows.log",
            ),
        ),
        (
            "/var/run/cilium/hubble",
            (
                "file '/var/run/cilium/hubble' is outside /var/run/cilium/hubble/: the Cilium agent writes it as root "
                "on every node",
                OUTSIDE_HINT,
            ),
        ),
    ],
)
def test_refused_paths(path: str, problem: tuple[str, str]) -> None:
    assert path_problem(path, allow_any_path=False) == problem


def test_opt_in_allows_other_directories_but_never_kernel_interfaces() -> None:
    assert path_problem("/var/log/network/flows.log", allow_any_path=True) is None
    assert path_problem("/proc/sysrq-trigger", allow_any_path=True) == (
        "file '/proc/sysrq-trigger' is in /proc: kernel interfaces and devices, not a log file",
        "write it below /var/run/cilium/hubble/, or use 'stdout'",
    )
    assert path_problem("/dev/sda", allow_any_path=True) is not None
    assert path_problem("/var/run/cilium/hubble/../../../etc/shadow", allow_any_path=True) is not None


def generate(run_cli: Callable[..., CliResult], tmp_path: Path, flow_log: str) -> CliResult:
    values = tmp_path / "values"
    values.mkdir()
    (values / "p.yaml").write_text("cilium:\n  flow-logs:\n    - name: a\n" + flow_log)
    return run_cli("--values-dir", str(values), "--chart-dir", str(tmp_path / "chart"), "generate")


@pytest.mark.parametrize(
    "path", ["/var/run/cilium/hubble/../../../../etc/shadow", "/etc/ld.so.preload", "/proc/sysrq-trigger"]
)
def test_the_issues_paths_are_refused_at_their_position(
    run_cli: Callable[..., CliResult], tmp_path: Path, path: str
) -> None:
    result = generate(run_cli, tmp_path, f"      file: {path}\n")
    assert result.code == 1
    message, hint = path_problem(path, allow_any_path=False) or ("", "")
    assert result.err.replace(str(tmp_path) + "/", "").splitlines()[:2] == [
        f"values/p.yaml:4:13: error: {message}",
        f"  hint: {hint}",
    ]
    assert not (tmp_path / "chart").exists()


def test_opt_in_writes_the_path_with_a_warning(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    result = generate(run_cli, tmp_path, "      file: /var/log/network/flows.log\n      allow-any-path: true\n")
    assert result.code == 0
    assert (
        "values/p.yaml:5:23: warning: allow-any-path: the agent writes '/var/log/network/flows.log' as root on every "
        "node" in result.err.replace(str(tmp_path) + "/", "")
    )
    assert "filePath: /var/log/network/flows.log" in (tmp_path / "chart" / "profiles" / "p" / "values.yaml").read_text()

"""Where people wait: each command's CPU time against its reference, measured side by side.

    .venv/bin/python benchmarks/startup.py [--runs 5] [--skip-tests] [--profiles N]

CPU time (user + system of the child process, from getrusage) is the measure: it does not
grow when the machine is busy the way wall time does. Each line prints the median of
`--runs` runs, the reference measured in the same run, the ratio, the target and whether it is
met. `render` is timed again (the profile unchanged: flowlogs keeps the build and Helm's output)
and after an edit (nothing kept); `generate && validate` from a fresh copy of values/ with no
build kept, each run, against the pipeline a user would script instead (per profile `helm template |
kubeconform -strict` and `helm lint --strict`); `--profiles N` takes the first N profiles only, and the
fleet's clusters of those (the size tests/test_benchmarks_run.py runs). The import cost of the heaviest
modules follows (`python -X importtime`), so a regression shows where it comes from. Run from the
repository root after `make` (chart/ generated, the helm binary fetched into .cache/bin).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FLOWLOGS = str(BIN / "flowlogs")
HELM = ROOT / ".cache" / "bin" / "helm"


# As users run it: Python writes its bytecode caches (a shell with PYTHONDONTWRITEBYTECODE=1
# would compile every module on every run), and flowlogs' per-user cache is its own (CACHE).
CACHE = Path(tempfile.mkdtemp(prefix="flowlogs-startup-cache-"))
ENV = {
    **{k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "FLOWLOGS_NO_CACHE")},
    "FLOWLOGS_CACHE_DIR": str(CACHE),
}
ENTRIES = CACHE / "v2"


def cpu_seconds(command: Sequence[str], cwd: Path = ROOT) -> float:
    """User + system CPU time of one run of `command` (its children included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=ENV)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def side_by_side(
    commands: Sequence[Sequence[str]],
    reference: Sequence[str] | None,
    runs: int,
    cwd: Path = ROOT,
    before_each: Callable[[], None] = lambda: None,
) -> tuple[float, float]:
    """Medians over `runs` of the CPU time of `commands` (one after the other) and of `reference`,
    each run timing both back to back, so that a machine slowing down or speeding up during the
    benchmark changes both alike."""
    times, reference_times = [], []
    for _ in range(runs):
        if reference is not None:
            reference_times.append(cpu_seconds(reference))
        before_each()
        times.append(sum(cpu_seconds(c, cwd) for c in commands))
    return statistics.median(times), statistics.median(reference_times) if reference_times else 0.0


def forget_renders() -> None:
    """Forget the kept `helm template` outputs only: the chart build stays, Helm runs again."""
    for entry in ENTRIES.glob("render-*"):
        entry.unlink()


def forget_builds() -> None:
    """Forget the charts and renders kept by earlier commands; the chart base (made once per
    installation) stays, as after any earlier run of this flowlogs."""
    for entry in [*ENTRIES.glob("build-*"), *ENTRIES.glob("render-*")]:
        entry.unlink()


def report(
    label: str,
    seconds: float,
    reference_label: str,
    reference: float,
    limit_ratio: float | None,
    limit_seconds: float | None,
) -> bool:
    ratio = seconds / reference if reference else float("inf")
    checks = []
    if limit_ratio is not None:
        checks.append(ratio <= limit_ratio)
    if limit_seconds is not None:
        checks.append(seconds <= limit_seconds)
    met = all(checks)
    target = " and ".join(
        part
        for part in (
            (f"<= {limit_ratio:g}x" if limit_ratio is not None else ""),
            (f"<= {limit_seconds:g} s" if limit_seconds is not None else ""),
        )
        if part
    )
    print(
        f"{label:<44} {seconds:7.3f} s CPU | {reference_label}: {reference:.3f} s | {ratio:5.1f}x | target {target}: "
        f"{'met' if met else 'NOT met'}"
    )
    return met


# What Helm itself costs flowlogs, whatever flowlogs does around it: a Python process that only
# starts the embedded engine (helm-python's Go runtime), and one that also makes the Helm calls
# `validate` makes (per profile, a render and a `helm lint --strict`), one after the other.
HELM_STARTED = "import helm_python"
HELM_CALLS = """
import sys
from pathlib import Path
import yaml
from flowlogs.helm import EmbeddedHelm
chart, engine = Path(sys.argv[1]), EmbeddedHelm()
for values_file in map(Path, sys.argv[2:]):
    values = yaml.load(values_file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}
    engine.template(chart, values, release_name="flowlogs", namespace="flowlogs-system")
    engine.lint(chart, values, skip_schema_validation=True)
"""


def peer_pipeline(profiles: Sequence[str]) -> list[str] | None:
    """What a user would script instead of `flowlogs generate && flowlogs validate` (issue 25): per
    profile of the committed chart, `helm template | kubeconform -strict` and `helm lint --strict`,
    as one shell command (kubeconform v0.7.0 with the parity tier's offline schemas). None without
    ../shared (no kubeconform to build)."""
    import shlex

    sys.path.insert(0, str(ROOT / "tests" / "tools"))
    import kubeconform_parity as parity

    if parity.skip_reason():
        return None
    binary, schemas = parity.build_kubeconform(), parity.cached_schemas()
    kubeconform = [str(binary), "-strict", "-summary", "-kubernetes-version", parity.KUBERNETES_VERSION]
    kubeconform += [
        argument for location in parity.schema_locations(schemas) for argument in ("-schema-location", location)
    ]
    steps = []
    for values in (ROOT / "chart" / "profiles" / profile / "values.yaml" for profile in profiles):
        chart = ["flowlogs", str(ROOT / "chart"), "-f", str(values)]
        steps.append(f"{shlex.join([str(HELM), 'template', *chart])} | {shlex.join([*kubeconform, '-'])}")
        steps.append(shlex.join([str(HELM), "lint", "--strict", *chart[1:]]))
    # kubeconform refuses the partial manifests of patch-mode gitops (by design: docs/validator.md), so
    # each step's exit status is left aside: what is timed is the work.
    return ["sh", "-c", "\n".join([*steps, "true"])]


def floor(label: str, seconds: float, reference: float) -> None:
    """A line of what Helm alone costs (no target: flowlogs cannot go below it)."""
    print(
        f"{label:<44} {seconds:7.3f} s CPU | helm template: {reference:.3f} s | {seconds / reference:5.1f}x | (floor)"
    )


def import_costs(top: int = 12) -> list[tuple[int, str]]:
    """The modules with the largest cumulative import time (microseconds) of `flowlogs render`'s imports."""
    code = "import flowlogs.cli, flowlogs.rendering, flowlogs.generate, flowlogs.validate"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    rows = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|(\s*)(\S+)", line)
        if match and "." not in match[3].removeprefix("flowlogs."):  # packages, and flowlogs' own modules
            rows.append((int(match[1]), match[3]))
    return sorted(rows, reverse=True)[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    parser.add_argument("--profiles", type=int, default=None, help="the first N profiles only (default: all)")
    args = parser.parse_args()
    if not (ROOT / "chart" / "Chart.yaml").is_file():
        print("run `make` first: chart/ is missing", file=sys.stderr)
        return 2
    profiles = sorted(path.name for path in (ROOT / "chart" / "profiles").iterdir() if path.is_dir())[: args.profiles]
    results = []
    for flag in ("--help", "--version"):
        try:
            seconds, bare = side_by_side([[FLOWLOGS, flag]], [sys.executable, "-c", "pass"], args.runs)
        except subprocess.CalledProcessError:
            print(f"flowlogs {flag}: not available")
            continue
        results.append(report(f"flowlogs {flag}", seconds, "python -c pass", bare, 8, 0.1))

    values = ROOT / "chart" / "profiles" / "cilium-exporter" / "values.yaml"
    if HELM.is_file():
        render = [FLOWLOGS, "render", "cilium-exporter"]
        cpu_seconds(render)  # bytecode and the data tables, once, as after installing
        helm_template = [str(HELM), "template", "flowlogs", str(ROOT / "chart"), "-f", str(values)]
        warm, reference = side_by_side([render], helm_template, args.runs)
        results.append(report("flowlogs render cilium-exporter (again)", warm, "helm template", reference, 1.5, None))
        kept, reference = side_by_side([render], helm_template, args.runs, before_each=forget_renders)
        report("  (Helm run again, e.g. after an upgrade)", kept, "helm template", reference, 1.5, None)
        cold, reference = side_by_side([render], helm_template, args.runs, before_each=forget_builds)
        results.append(report("flowlogs render after an edit", cold, "helm template", reference, 2, None))
        with tempfile.TemporaryDirectory(prefix="flowlogs-startup-") as temporary:
            # cold: a fresh copy of the repository without chart/ and gitops/, and no build kept
            repo = Path(temporary) / "repo"

            def fresh_repository() -> None:
                shutil.rmtree(repo, ignore_errors=True)
                (repo / "values").mkdir(parents=True)
                for profile in profiles:
                    shutil.copy(ROOT / "values" / f"{profile}.yaml", repo / "values")
                fleet = yaml.safe_load((ROOT / "values" / "fleet.yaml").read_text(encoding="utf-8"))
                fleet["clusters"] = [cluster for cluster in fleet["clusters"] if cluster["profile"] in profiles]
                (repo / "values" / "fleet.yaml").write_text(yaml.safe_dump(fleet, sort_keys=False), encoding="utf-8")
                forget_builds()

            pipeline = peer_pipeline(profiles)
            if pipeline is None:
                print(
                    "flowlogs generate && flowlogs validate: no kubeconform to compare with (needs ../shared beside "
                    "the project)"
                )
            else:
                both, reference = side_by_side(
                    [[FLOWLOGS, "generate"], [FLOWLOGS, "validate", "--embedded-only"]],
                    pipeline,
                    args.runs,
                    cwd=repo,
                    before_each=fresh_repository,
                )
                results.append(
                    report("flowlogs generate && flowlogs validate", both, "the peer pipeline", reference, 0.6, None)
                )
        print("\nwhat Helm alone costs, side by side (flowlogs' own work comes on top):")
        started, reference = side_by_side([[sys.executable, "-c", HELM_STARTED]], helm_template, args.runs)
        floor("python + the embedded Helm engine started", started, reference)
        values_files = [str(ROOT / "chart" / "profiles" / profile / "values.yaml") for profile in profiles]
        calls, reference = side_by_side(
            [[sys.executable, "-c", HELM_CALLS, str(ROOT / "chart"), *values_files]], helm_template, args.runs
        )
        floor(f"  + validate's Helm calls ({len(profiles)} renders, {len(profiles)} lints)", calls, reference)
    else:
        print(f"{HELM} missing: run `make helm-binary` to compare render with helm template")

    if not args.skip_tests:
        # What people wait for: `make test` as a whole (ruff, mypy, then pytest over every core) and
        # `make test-fast`; wall time against the target, and the CPU time of everything they ran.
        for target in ("test", "test-fast"):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            completed = subprocess.run(
                ["make", target], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
            )
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            passed = completed.returncode == 0
            print(
                f"{'make ' + target + ' (wall)':<44} {wall:7.1f} s     | {cpu:.1f} s CPU | target <= 60 s on "
                f"{os.cpu_count()} cores: {'met' if wall <= 60 else 'NOT met'}{'' if passed else ' (it FAILED)'}"
            )
            results.append(wall <= 60 and passed)

    print("\nheaviest imports (cumulative, ms):")
    for microseconds, module in import_costs():
        print(f"  {microseconds / 1000:8.1f}  {module}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        shutil.rmtree(CACHE, ignore_errors=True)

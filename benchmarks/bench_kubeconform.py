"""Benchmark `flowlogs validate` against the real kubeconform on the same files (not a pytest test).

    .venv/bin/python benchmarks/bench_kubeconform.py [--repeat 5] [--files N]

The files are those of the parity tier (tests/tools/kubeconform_parity.py): every rendered
profile, the gitops files and the mutated manifests (`--files N`: the first N of them, the size
tests/test_kubeconform_benchmark_runs.py runs). In one run, alternating, best of
`--repeat`:

- kubeconform v0.7.0 (built by `make kubeconform-binary` from ../shared/tools/kubeconform)
  as a process, `-strict -output json -n 1`, schemas written by that folder's schemas.py;
- `flowlogs validate`'s engine (`flowlogs.validate.validate`) on the same files as a process,
  schemas `default`, ../shared/crds and `shipped`: interpreter start-up, imports, schema
  loading and compiling included, as for kubeconform. (The CLI would also render and lint
  every profile of the chart, which kubeconform does not do.)

Prints the verdict counts of both tools, whether they agree per resource, and the ratio.
Without ../shared (no kubeconform to build) it says so and exits 0.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests" / "tools"))

import kubeconform_parity as parity  # noqa: E402

# `flowlogs validate` on document files only (the CLI always adds the chart's profiles):
# the same engine, run as its own process like kubeconform, start-up and schema loading included.
FLOWLOGS_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import kubeconform_parity as parity
from flowlogs.validate import validate
report = validate(parity.flowlogs_options([Path(path) for path in sys.argv[2:]]))
print(report.summary)
"""


def groups(inputs: parity.Inputs) -> list[tuple[list[Path], str]]:
    return [
        (inputs.profiles, "rendered profiles"),
        (inputs.gitops, "gitops files"),
        (inputs.mutated, "mutated manifests"),
    ]


def flowlogs_command(files: list[Path]) -> list[str]:
    return [sys.executable, "-c", FLOWLOGS_SCRIPT, str(REPO_ROOT / "tests" / "tools"), *map(str, files)]


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False, timeout=600)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--files", type=int, default=None, help="the first N input files only (default: all)")
    args = parser.parse_args()
    reason = parity.skip_reason()
    if reason:
        print(f"bench_kubeconform: skipped: {reason}")
        return 0
    binary = parity.build_kubeconform()
    with tempfile.TemporaryDirectory(prefix="bench-kubeconform-") as workdir:
        inputs = parity.write_inputs(Path(workdir) / "inputs")
        schemas = parity.cached_schemas()
        files = inputs.all[: args.files]
        theirs = parity.run_kubeconform(binary, schemas, files)
        ours = parity.run_flowlogs(files)
        resources = sum(len(verdicts) for verdicts in theirs.values())
        disagreeing = sum(
            1
            for path in files
            for mine, other in zip(ours[str(path)], theirs[str(path)], strict=False)
            if mine[2] != other[2]
        ) + sum(abs(len(ours[str(path)]) - len(theirs[str(path)])) for path in files)
        taken = [(len(set(group) & set(files)), what) for group, what in groups(inputs)]
        print(f"inputs: {len(files)} files ({', '.join(f'{n} {what}' for n, what in taken)}), {resources} resources")
        print(f"kubeconform verdicts: {dict(sorted(parity.counts(theirs).items()))}")
        print(f"flowlogs verdicts:    {dict(sorted(parity.counts(ours).items()))}")
        print(f"resources on which they disagree: {disagreeing}")

        kubeconform_command = parity.kubeconform_command(binary, schemas, files)
        ours_command = flowlogs_command(files)
        kubeconform_times, flowlogs_times = [], []
        for _ in range(args.repeat):
            kubeconform_times.append(timed(kubeconform_command))
            flowlogs_times.append(timed(ours_command))
        best_kubeconform, best_flowlogs = min(kubeconform_times), min(flowlogs_times)
        print(
            f"kubeconform -strict: {best_kubeconform:.3f} s; flowlogs validate: {best_flowlogs:.3f} s "
            f"(same {len(files)} files, each a fresh process, best of {args.repeat})"
        )
        print(f"ratio flowlogs/kubeconform: {best_flowlogs / best_kubeconform:.2f}")
        in_process = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            parity.run_flowlogs(files)  # a new schema registry each time: schemas compiled again
            in_process.append(time.perf_counter() - start)
        print(
            f"flowlogs validate in process (no interpreter start-up): {min(in_process):.3f} s, "
            f"ratio to kubeconform's process: {min(in_process) / best_kubeconform:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

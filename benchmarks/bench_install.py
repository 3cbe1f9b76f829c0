"""Benchmark: what `pip install flowlogs` costs, the core alone and each extra (not a pytest test).

    .venv/bin/python benchmarks/bench_install.py [--repeat 3] [--core-only] [--wheel WHEEL]

Builds this checkout's wheel (or takes --wheel), and once (kept in .cache/bench-install/wheels, per pinned
requirements) the wheels of every pinned dependency of the core and of the extras: what a warm
pip cache holds. Then, `--repeat` times, in a fresh virtual environment (`python -m venv --without-pip`,
timed apart; this pip installs into it with `--python`): `pip install flowlogs.whl` with `--no-index --find-links` to
those wheels (pip resolves,
unpacks and byte-compiles as for a user; nothing is downloaded), and then each extra on top
(`pip install 'flowlogs.whl[render]'`, then `[cel]`). Prints, best of the runs, the seconds (wall
and CPU) and the size on disk each step added (the blocks of its files, as du counts them), the
size of each distribution it installed (its files' bytes, their bytecode included, as pip's RECORD
lists them), and the verdict for the core: under 60 MB on disk and under 10 s (issue 23). Exits 1 when the core misses
a target.
A venv's own pip (~14 MB) is not counted: every environment has it before flowlogs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "tools"))

import python_matrix  # noqa: E402

WHEELS = ROOT / ".cache" / "bench-install" / "wheels"
TARGET_MB, TARGET_SECONDS = 60.0, 10.0
# Each installed distribution's files (RECORD: its modules, their .pyc, its data) and their bytes.
SIZES = """
import importlib.metadata, json, os
sizes = {}
for dist in importlib.metadata.distributions():
    total = 0
    for file in dist.files or []:
        try:
            total += os.path.getsize(dist.locate_file(file))
        except OSError:
            pass
    sizes[dist.metadata["Name"]] = total
print(json.dumps(sizes))
"""


def pinned() -> tuple[list[str], dict[str, list[str]]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = {
        name: list(requirements) for name, requirements in project["optional-dependencies"].items() if name != "test"
    }
    return list(project["dependencies"]), extras


def wheelhouse(requirements: list[str]) -> Path:
    """The wheels of `requirements`, made once per their pins (as a warm pip cache holds them)."""
    stamp = WHEELS.with_name("wheels.built")
    key = "\n".join(sorted(requirements)) + f"\n{sys.version} {sys.platform}"
    if not (stamp.is_file() and stamp.read_text(encoding="utf-8") == key):
        shutil.rmtree(WHEELS, ignore_errors=True)
        made = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(WHEELS), *requirements],
            capture_output=True,
            text=True,
        )
        if made.returncode != 0:
            sys.exit(f"bench_install: pip wheel failed:\n{made.stdout}{made.stderr}")
        stamp.write_text(key, encoding="utf-8")
    return WHEELS


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, children included) of one run of `command`."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(
        command,
        check=True,
        stdout=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
    )
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def sizes(python: Path) -> dict[str, int]:
    return {
        name: size
        for name, size in json.loads(
            subprocess.run([str(python), "-c", SIZES], capture_output=True, text=True, check=True).stdout
        ).items()
    }


def on_disk(directory: Path) -> int:
    """The bytes the files under `directory` take on disk (their blocks, as du counts them: a
    package of many small files takes more than its bytes)."""
    return sum(
        os.lstat(os.path.join(folder, name)).st_blocks * 512
        for folder, _, names in os.walk(directory)
        for name in names
    )


def megabytes(size: int) -> float:
    return size / 1e6


Step = tuple[str, float, float, dict[str, int], int]


def one_run(wheel: Path, wheels: Path, extras: list[str], scratch: Path) -> list[Step]:
    """(step, wall, cpu, the distributions it added and their sizes, the bytes it added on disk)
    for the venv, the core and each extra."""
    env_dir = scratch / "venv"
    shutil.rmtree(env_dir, ignore_errors=True)
    # Without pip of its own: this pip installs into it (`pip --python`), as the venv's own would.
    wall, cpu = timed([sys.executable, "-m", "venv", "--without-pip", str(env_dir)])
    python = env_dir / "bin" / "python"
    steps: list[Step] = [("python -m venv", wall, cpu, {}, on_disk(env_dir))]
    before, disk = sizes(python), on_disk(env_dir)
    pip = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-index",
        "--find-links",
        str(wheels),
    ]
    for step, target in [("core", str(wheel)), *((f"[{extra}]", f"{wheel}[{extra}]") for extra in extras)]:
        wall, cpu = timed([*pip, target])
        after, disk_after = sizes(python), on_disk(env_dir)
        steps.append(
            (step, wall, cpu, {name: size for name, size in after.items() if name not in before}, disk_after - disk)
        )
        before, disk = after, disk_after
    return steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="fresh environments to install into; the best time of each step is printed (default: 3)",
    )
    parser.add_argument("--core-only", action="store_true", help="install the core only, not the extras")
    parser.add_argument(
        "--wheel", type=Path, help="install this wheel of flowlogs instead of building this checkout's (the tests' own)"
    )
    args = parser.parse_args()
    core, extras = pinned()
    chosen = [] if args.core_only else sorted(extras)
    wheels = wheelhouse([*core, *(requirement for extra in sorted(extras) for requirement in extras[extra])])
    with tempfile.TemporaryDirectory(prefix="flowlogs-bench-install-") as scratch:
        wheel = args.wheel or python_matrix.build_wheel(Path(scratch) / "wheel")
        runs = [one_run(wheel, wheels, chosen, Path(scratch)) for _ in range(args.repeat)]
    print(
        f"install: {wheel.name} into a fresh venv from local wheels (a warm pip cache), Python "
        f"{sys.version.split()[0]}, best of {args.repeat}"
    )
    verdicts = []
    for index, (step, _, _, added, disk) in enumerate(runs[0]):
        wall = min(run[index][1] for run in runs)
        cpu = min(run[index][2] for run in runs)
        size = megabytes(disk)
        line = f"  {step:<15} {wall:6.2f} s ({cpu:5.2f} s CPU)  {size:6.1f} MB on disk"
        if step == "core":
            ok = size < TARGET_MB and wall < TARGET_SECONDS
            verdicts.append(ok)
            line += f" [{'ok' if ok else 'MISSED'}] (target < {TARGET_MB:.0f} MB and < {TARGET_SECONDS:.0f} s)"
        elif step != "python -m venv":
            line += " more"
        print(line)
        for name, bytes_ in sorted(added.items(), key=lambda item: -item[1]):
            print(f"      {megabytes(bytes_):6.1f} MB  {name}")
    if chosen:
        print(f"  core with {', '.join(chosen)}: {megabytes(sum(step[4] for step in runs[0][1:])):.1f} MB on disk")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())

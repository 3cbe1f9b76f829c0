"""Reading profiles: the profile reader (libyaml's events) against ruamel.yaml's round trip.

    .venv/bin/python benchmarks/bench_profile_read.py [--repeat 20]

Reads the shipped profiles and the test fixtures (data and the line:col of every key and value)
with flowlogs.profile.load_yaml_document and with ruamel.yaml 0.19.1 (round trip, the reader
before; a test dependency now), best of five rounds of --repeat passes each, in this process;
then the import cost of each library (a fresh interpreter, median of seven, minus a bare start).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from flowlogs.errors import Diagnostics
from flowlogs.profile import load_yaml_document

ROOT = Path(__file__).resolve().parents[1]


def best_ms(read: Callable[[Path], object], paths: list[Path], repeat: int) -> float:
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            for path in paths:
                read(path)
        rounds.append((time.perf_counter() - start) / repeat)
    return min(rounds) * 1000


def import_ms(statement: str) -> float:
    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    return (
        statistics.median(run(statement) for _ in range(7)) - statistics.median(run("pass") for _ in range(7))
    ) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    from ruamel.yaml import YAML

    paths = sorted((ROOT / "values").glob("*.yaml")) + sorted((ROOT / "tests" / "fixtures" / "profiles").glob("*.yaml"))
    size = sum(path.stat().st_size for path in paths)

    def ruamel(path: Path) -> object:
        yaml = YAML(typ="rt")
        yaml.allow_duplicate_keys = False
        return yaml.load(path.read_text(encoding="utf-8"))

    ours = best_ms(lambda path: load_yaml_document(path, Diagnostics()), paths, args.repeat)
    theirs = best_ms(ruamel, paths, args.repeat)
    print(f"{len(paths)} profiles, {size} bytes")
    print(f"profile reader (libyaml events): {ours:7.2f} ms for all")
    print(f"ruamel.yaml round trip:          {theirs:7.2f} ms for all ({theirs / ours:.0f}x)")
    print(f"import yaml (PyYAML + libyaml):  {import_ms('import yaml'):7.1f} ms")
    print(
        "import ruamel.yaml:              "
        f"{import_ms('from ruamel.yaml import YAML; YAML(typ=chr(114) + chr(116))'):7.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

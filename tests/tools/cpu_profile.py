"""Where `make test` spends its CPU: a pytest plugin that writes, per test phase, the wall time and the
CPU time of the test process and of the children it waited for (subprocesses, API servers stopped in a
teardown), one JSON line each, into $FLOWLOGS_TEST_CPU_DIR/<worker>.jsonl; run as a script on that
folder, it prints the sums per module and per worker (benchmarks/README.md, "make test").

    FLOWLOGS_TEST_CPU_DIR=/tmp/cpu PYTHONPATH=tests/tools .venv/bin/python -m pytest -n auto -p cpu_profile
    .venv/bin/python tests/tools/cpu_profile.py /tmp/cpu
"""

from __future__ import annotations

import collections
import json
import os
import resource
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, Any, Any]:
    folder = os.environ.get("FLOWLOGS_TEST_CPU_DIR")
    if not folder:
        return (yield)
    wall, (own, children) = time.monotonic(), _cpu()
    start = time.time()
    try:
        return (yield)
    finally:
        own_after, children_after = _cpu()
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        record = {
            "test": item.nodeid,
            "worker": worker,
            "start": start,
            "wall": time.monotonic() - wall,
            "own": own_after - own,
            "children": children_after - children,
        }
        Path(folder).mkdir(parents=True, exist_ok=True)
        with (Path(folder) / f"{worker}.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")


def summary(folder: Path, top: int) -> None:
    records = [json.loads(line) for path in sorted(folder.glob("*.jsonl")) for line in path.read_text().splitlines()]
    modules: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    workers: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    for record in records:
        for key, table in ((record["test"].split("::")[0], modules), (record["worker"], workers)):
            row = table[key]
            row[0] += record["wall"]
            row[1] += record["own"]
            row[2] += record["children"]
            row[3] += 1
    for title, table in (("module", modules), ("worker", workers)):
        print(f"{'wall':>7} {'cpu':>7} {'own':>7} {'child':>7} {'tests':>5}  {title}")
        for key, (wall, own, children, count) in sorted(table.items(), key=lambda kv: -(kv[1][1] + kv[1][2]))[:top]:
            print(f"{wall:7.1f} {own + children:7.1f} {own:7.1f} {children:7.1f} {count:5d}  {key}")
        total = [sum(row[i] for row in table.values()) for i in range(4)]
        print(f"{total[0]:7.1f} {total[1] + total[2]:7.1f} {total[1]:7.1f} {total[2]:7.1f} {int(total[3]):5d}  total\n")
    print(f"{'wall':>7} {'cpu':>7}  test")
    for record in sorted(records, key=lambda r: -(r["own"] + r["children"]))[:top]:
        print(f"{record['wall']:7.2f} {record['own'] + record['children']:7.2f}  {record['test']}")


if __name__ == "__main__":
    summary(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 40)

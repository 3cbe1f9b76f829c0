"""`flowlogs generate` switches chart/ and gitops/ as a whole, one run at a time (issue 13).

Killed at random points (SIGKILL, 30 trials), each tree is entirely old or entirely new at
once, and after the next run's recovery both are old or both new with no staged copy, journal
or temporary file left. Two runs started together with different inputs leave one input's
output entirely; a run that finds another one running says so and writes nothing.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import VALUES, cli_in, run_cli_in
from flowlogs.trees import JOURNAL_NAME, recover_trees

TRIALS = 30
BUSY = "another flowlogs generate is running in"

# One process imports flowlogs and runs one `flowlogs generate` itself (what generate loads on
# first use is then loaded). Per request it then forks one `flowlogs generate` (the CLI's main)
# per argument list, all at once, each with its stderr to a file; kills them with SIGKILL after
# `kill_after` seconds if given; and answers with the seconds taken and their exit codes. Kills
# thus land within generate's own work, which is what writes, and runs started together overlap
# in it; the interpreter's start-up is paid once instead of once per run.
FORKING_GENERATE = """
import contextlib, io, json, os, signal, sys, time
from flowlogs.cli import main

for line in sys.stdin:
    request = json.loads(line)
    started = time.monotonic()
    if request["in_this_process"]:
        here = os.getcwd()
        os.chdir(request["root"])
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            codes = [main(request["runs"][0])]
        os.chdir(here)
    else:
        children = []
        for argv, stderr in zip(request["runs"], request["stderr"]):
            child = os.fork()
            if child == 0:
                os.chdir(request["root"])
                os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
                os.dup2(os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
                os._exit(main(argv))
            children.append(child)
        if request["kill_after"] is not None:
            time.sleep(request["kill_after"])
            for child in children:
                os.kill(child, signal.SIGKILL)
        codes = [os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) for child in children]
    print(json.dumps({"seconds": time.monotonic() - started, "codes": codes}), flush=True)
"""


class ForkingGenerate:
    """The process above; run() sends it a request."""

    def __init__(self, server: subprocess.Popen[str], scratch: Path) -> None:
        self.server, self.scratch = server, scratch

    def run(
        self, root: Path, *runs: list[str], kill_after: float | None = None, in_this_process: bool = False
    ) -> tuple[float, list[tuple[int, str]]]:
        """(seconds, [(exit code, stderr)] per run) of `flowlogs ARGS` runs started together in root."""
        assert self.server.stdin and self.server.stdout
        stderr = [self.scratch / f"stderr-{n}" for n in range(len(runs))]
        request = {
            "root": str(root),
            "runs": runs,
            "stderr": list(map(str, stderr)),
            "kill_after": kill_after,
            "in_this_process": in_this_process,
        }
        self.server.stdin.write(json.dumps(request) + "\n")
        self.server.stdin.flush()
        answer = json.loads(self.server.stdout.readline())
        return answer["seconds"], [
            (code, "" if in_this_process else path.read_text())
            for code, path in zip(answer["codes"], stderr, strict=True)
        ]


@contextmanager
def forking_generate(scratch: Path) -> Iterator[ForkingGenerate]:
    with subprocess.Popen(
        [sys.executable, "-c", FORKING_GENERATE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as server:
        forks = ForkingGenerate(server, scratch)
        assert (
            forks.run(
                shutil.copytree(VALUES, scratch / "warm-up" / "values").parent, ["generate"], in_this_process=True
            )[1][0][0]
            == 0
        )
        yield forks
        assert server.stdin
        server.stdin.close()
    assert server.returncode == 0


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root except the profiles: the generated trees and anything left beside them."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.relative_to(root).as_posix().startswith("values")
    }


def tree(files: dict[str, bytes], name: str) -> dict[str, bytes]:
    return {path: data for path, data in files.items() if path.startswith(name + "/")}


def change_inputs(values: Path) -> None:
    """A new input that changes files in both trees (chart values and every Application)."""
    for profile in values.glob("*.yaml"):
        text = profile.read_text()
        if profile.stem == "fleet":
            profile.write_text(text.replace("revision: main", "revision: release-2"))
        else:
            profile.write_text(text.replace("description: ", "description: Changed. ", 1))


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """A repository generated from the shipped profiles (old), its new inputs, and both outputs."""
    old_root = tmp_path_factory.mktemp("old")
    shutil.copytree(VALUES, old_root / "values")
    assert run_cli_in(old_root, "generate") == 0
    new_root = tmp_path_factory.mktemp("new")
    shutil.copytree(old_root, new_root, dirs_exist_ok=True)
    change_inputs(new_root / "values")
    assert run_cli_in(new_root, "generate") == 0
    old, new = snapshot(old_root), snapshot(new_root)
    for name in ("chart", "gitops"):
        assert tree(old, name) != tree(new, name)
    change_inputs(old_root / "values")  # the old trees with the new inputs: what each trial starts from
    return old_root, old, new


@pytest.mark.slow  # 30 generate processes, each killed at a random moment: ~5 s of CPU, more wall (it sleeps)
def test_killed_at_random_points_each_tree_is_old_or_new(
    states: tuple[Path, dict[str, bytes], dict[str, bytes]], tmp_path: Path
) -> None:
    start, old, new = states
    chooser = random.Random(13)
    outcomes = {"old": 0, "new": 0, "mixed before recovery": 0}
    with forking_generate(tmp_path) as forks:
        timings = [forks.run(shutil.copytree(start, tmp_path / f"timing-{n}"), ["generate"]) for n in range(3)]
        assert [[code for code, _ in results] for _, results in timings] == [[0]] * 3
        duration = sorted(seconds for seconds, _ in timings)[1]
        for trial in range(TRIALS):
            root = shutil.copytree(start, tmp_path / f"trial-{trial}")
            # most kills land in the late (writing) part of a run, some after it ends
            forks.run(root, ["generate"], kill_after=chooser.uniform(0.3, 1.1) * duration)
            files = snapshot(root)
            for name in ("chart", "gitops"):
                assert tree(files, name) in (tree(old, name), tree(new, name)), (
                    f"trial {trial}: {name}/ is a mix of old and new"
                )
            if (tree(files, "chart") == tree(old, "chart")) != (tree(files, "gitops") == tree(old, "gitops")):
                outcomes["mixed before recovery"] += 1
                assert (root / JOURNAL_NAME).is_file()  # the next run completes it
            recover_trees(root, [root / "chart", root / "gitops"])
            files = snapshot(root)
            assert files in (old, new), f"trial {trial}: after recovery {sorted(set(files) ^ set(old))}"
            outcomes["old" if files == old else "new"] += 1
            assert not [p.name for p in root.iterdir() if p.name.startswith(".")]
    print(
        f"kill trials: {TRIALS}, entirely old: {outcomes['old']}, entirely new: {outcomes['new']}, "
        f"one tree switched before the kill (completed by recovery): {outcomes['mixed before recovery']}"
    )


def test_the_next_generate_completes_a_killed_switch(
    states: tuple[Path, dict[str, bytes], dict[str, bytes]], tmp_path: Path
) -> None:
    """A journal left by a killed run is completed by the next `flowlogs generate`, with no leftovers."""
    start, _, new = states
    root = shutil.copytree(start, tmp_path / "repo")
    from flowlogs.chart.versioning import content_hash
    from flowlogs.trees import _STAGED, _beside, _write_tree

    new_chart = {path.removeprefix("chart/"): data.decode() for path, data in tree(new, "chart").items()}
    _write_tree(_beside(root / "chart", _STAGED), new_chart)
    (root / JOURNAL_NAME).write_text(
        '{"trees": [{"target": "'
        + str((root / "chart").resolve())
        + '", "digest": "'
        + content_hash(new_chart).removeprefix("sha256:")  # a journal's digest, as every version wrote it
        + '"}]}\n'
    )
    result = cli_in(root, "generate")
    assert result.code == 0, result.err
    assert snapshot(root) == new
    assert not [p.name for p in root.iterdir() if p.name.startswith(".")]


@pytest.mark.slow  # pairs of generate processes started together: ~2 s
def test_two_runs_at_once_leave_one_input_entirely(
    states: tuple[Path, dict[str, bytes], dict[str, bytes]], tmp_path: Path
) -> None:
    start, _, _ = states
    base = shutil.copytree(start, tmp_path / "base")
    shutil.copytree(base / "values", base / "other")
    for profile in (base / "other").glob("*.yaml"):  # the other input: the shipped profiles again
        profile.write_text(
            profile.read_text().replace("description: Changed. ", "description: ").replace("release-2", "main")
        )
    # What each order of the two runs leaves (the chart version depends on the chart before).
    # Each order goes on from the copy of its first run's result.
    expected = []
    for first, then in (("values", "other"), ("other", "values")):
        scratch = shutil.copytree(base, tmp_path / f"expected-{first}")
        assert run_cli_in(scratch, "--values-dir", first, "generate") == 0
        expected.append(snapshot(scratch))
        scratch = shutil.copytree(scratch, tmp_path / f"expected-{first}-{then}")
        assert run_cli_in(scratch, "--values-dir", then, "generate") == 0
        expected.append(snapshot(scratch))
    outcomes: list[tuple[int, int]] = []
    # Forked from one warm process, both runs are in generate at once (started as two interpreters,
    # one often finished before the other got going): each attempt is a real race for the lock.
    with forking_generate(tmp_path) as forks:
        for attempt in range(5):
            root = shutil.copytree(base, tmp_path / f"repo-{attempt}")
            _, results = forks.run(root, ["--values-dir", "values", "generate"], ["--values-dir", "other", "generate"])
            for code, err in results:
                assert code == 0 or (code == 1 and BUSY in err), err
            outcomes.append((sum(code == 0 for code, _ in results), sum(code == 1 for code, _ in results)))
            assert snapshot(root) in expected, f"attempt {attempt}: the trees are no single run's output"
            assert not [p.name for p in root.iterdir() if p.name.startswith(".")]
    print("concurrent runs, (succeeded, refused as busy) per attempt:", outcomes)


def test_a_run_finding_another_one_running_writes_nothing(
    states: tuple[Path, dict[str, bytes], dict[str, bytes]], tmp_path: Path
) -> None:
    import fcntl

    start, old, _ = states
    root = shutil.copytree(start, tmp_path / "repo")
    before = snapshot(root)
    # flock(2) locks belong to an open file description: the run's own open of root is refused here as in a process
    # of its own.
    descriptor = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        result = cli_in(root, "generate")
    finally:
        os.close(descriptor)
    assert result.code == 1
    assert result.err == (
        f"flowlogs: error: another flowlogs generate is running in {root.resolve()}; wait for it to finish, then "
        "run again\n"
    )
    assert snapshot(root) == before


def test_replace_trees_with_names_that_sort_differently_as_paths(tmp_path: Path) -> None:
    """`a-b/x` sorts before `a/x` as text but after it as a path: the switch must not mind."""
    from flowlogs.trees import replace_trees

    files = {"a/x": "new a\n", "a-b/x": "new a-b\n"}
    (tmp_path / "out" / "a").mkdir(parents=True)
    (tmp_path / "out" / "a" / "x").write_text("old\n")
    (reports,) = replace_trees(tmp_path, [(tmp_path / "out", files)])
    assert (sorted(reports.written), reports.removed) == (["a-b/x", "a/x"], [])
    assert {
        p.relative_to(tmp_path / "out").as_posix(): p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file()
    } == files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]

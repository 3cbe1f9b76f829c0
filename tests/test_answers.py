"""Upstream programs' answers kept by content (tests/tools/answers.py): the key, the kept answer equal to a
fresh one, corrupt entries, the switch to ask afresh, and pruning."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import answers
import pytest
import upstream_tools

# A program of our own whose answer names its input file (as kubeconform's does) and reads stdin and one
# environment variable: `echo` of its input, the path on stderr, and how often it ran (a file outside the key).
PROGRAM = """#!/bin/sh
cat "$1"
echo "read $1 with ${ANSWERS_TEST_WORD:-nothing}" >&2
echo run >> "$2"
cat
"""


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty answer cache of this test's own; every kept answer asked again."""
    monkeypatch.setenv("FLOWLOGS_ANSWERS_DIR", str(tmp_path / "answers"))
    monkeypatch.setenv("FLOWLOGS_ANSWERS_RECHECK", "0")
    monkeypatch.delenv("FLOWLOGS_FRESH_ANSWERS", raising=False)
    return tmp_path / "answers" / "v1"


def program(directory: Path, text: str = PROGRAM) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "prog"
    path.write_text(text)
    path.chmod(0o755)
    return path


def runs(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_an_answer_is_kept_by_content_and_names_the_path_of_the_run(kept: Path, tmp_path: Path) -> None:
    prog, log = program(tmp_path / "bin"), tmp_path / "runs.log"
    first, moved = tmp_path / "a" / "in.txt", tmp_path / "b" / "in.txt"
    for path in (first, moved):
        path.parent.mkdir()
        path.write_text("same bytes\n")
    plain = subprocess.run([str(prog), str(first), str(log)], capture_output=True, text=True, input="x", check=False)
    asked = answers.run([prog, first, str(log)], stdin="x")
    assert (asked.returncode, asked.stdout, asked.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    assert (asked.stdout, asked.stderr) == ("same bytes\nx", f"read {first} with nothing\n")
    assert runs(log) == 2  # the plain run and the first ask
    again = answers.run([prog, moved, str(log)], stdin="x")  # another path, the same content: kept
    assert (again.returncode, again.stdout, again.stderr) == (0, "same bytes\nx", f"read {moved} with nothing\n")
    assert again.args == [str(prog), str(moved), str(log)]
    assert runs(log) == 2
    (entry,) = kept.glob("*/*.json")
    stored = json.loads(entry.read_text())
    assert stored["format"] == "flowlogs upstream answer v1" and entry.stem == stored["key"]
    assert stored["stderr"] == "read \0input 1\0 with nothing\n"  # the kept form names no run's path


def test_each_input_path_of_a_kept_answer_is_the_one_at_its_place(kept: Path, tmp_path: Path) -> None:
    """Paths of the same length, in an answer that names them (kubeconform's filenames): each kept answer
    gets the run's own, by the argument that named it."""
    prog = program(tmp_path / "bin", '#!/bin/sh\necho "$2: $(cat $2)"; echo "$1: $(cat $1)"\n')
    for first, second in (("p/1.txt", "q/2.txt"), ("r/1.txt", "s/2.txt"), ("t/2.txt", "u/1.txt")):
        paths = [tmp_path / first, tmp_path / second]
        for path in paths:
            path.parent.mkdir()
            path.write_text(path.name.removesuffix(".txt"))
        assert answers.run([prog, *paths]).stdout == f"{paths[1]}: {paths[1].name[0]}\n{paths[0]}: {paths[0].name[0]}\n"
    assert len(list(kept.glob("*/*.json"))) == 2  # the third pair has other content at each place


def test_whatever_the_answer_depends_on_changes_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prog = program(tmp_path / "bin")
    data = tmp_path / "in.txt"
    data.write_text("one\n")
    folder = tmp_path / "charts"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "values.yaml").write_text("a: 1\n")
    monkeypatch.delenv("ANSWERS_TEST_WORD", raising=False)
    base = answers.key([prog, data, "-f", answers.Input(folder, "/{{ .Kind }}.json")], stdin="x", env={"GOGC": "off"})
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.copy(data, moved / "other-name.txt")
    shutil.copytree(folder, moved / "charts")
    same = answers.key(
        [prog, moved / "other-name.txt", "-f", answers.Input(moved / "charts", "/{{ .Kind }}.json")],
        stdin="x",
        env={"GOGC": "off"},
    )
    assert same == base  # paths differ, content does not
    variants = {
        "argv": answers.key([prog, data, "-F", answers.Input(folder, "/{{ .Kind }}.json")], "x", {"GOGC": "off"}),
        "suffix": answers.key([prog, data, "-f", answers.Input(folder, "/{{ .Group }}.json")], "x", {"GOGC": "off"}),
        "stdin": answers.key([prog, data, "-f", answers.Input(folder, "/{{ .Kind }}.json")], "y", {"GOGC": "off"}),
        "env": answers.key([prog, data, "-f", answers.Input(folder, "/{{ .Kind }}.json")], "x", {"GOGC": "100"}),
    }
    data.write_text("two\n")
    variants["input file"] = answers.key(
        [prog, data, "-f", answers.Input(folder, "/{{ .Kind }}.json")], "x", {"GOGC": "off"}
    )
    data.write_text("one\n")
    (folder / "sub" / "values.yaml").write_text("a: 2\n")
    variants["file in a folder"] = answers.key(
        [prog, data, "-f", answers.Input(folder, "/{{ .Kind }}.json")], "x", {"GOGC": "off"}
    )
    (folder / "sub" / "values.yaml").write_text("a: 1\n")
    (folder / "sub" / "values.yaml").rename(folder / "sub" / "renamed.yaml")
    variants["name in a folder"] = answers.key(
        [prog, data, "-f", answers.Input(folder, "/{{ .Kind }}.json")], "x", {"GOGC": "off"}
    )
    (folder / "sub" / "renamed.yaml").rename(folder / "sub" / "values.yaml")
    monkeypatch.setenv("PROG_COLOR", "never")  # the program's own prefix, inherited
    variants["inherited env"] = answers.key(
        [prog, data, "-f", answers.Input(folder, "/{{ .Kind }}.json")], "x", {"GOGC": "off"}
    )
    monkeypatch.delenv("PROG_COLOR")
    other = program(tmp_path / "bin2", PROGRAM + "\n")  # another build: one byte more
    variants["program"] = answers.key(
        [other, data, "-f", answers.Input(folder, "/{{ .Kind }}.json")], "x", {"GOGC": "off"}
    )
    assert answers.key([prog, data, "-f", answers.Input(folder, "/{{ .Kind }}.json")], "x", {"GOGC": "off"}) == base
    assert len(set(variants.values()) | {base}) == len(variants) + 1, variants


def test_a_program_rebuilt_in_place_is_hashed_again(tmp_path: Path) -> None:
    prog = program(tmp_path / "bin")
    before = answers.program_digest(prog)
    prog.write_text(PROGRAM.replace("read", "saw"))
    os.utime(prog, ns=(1, 1))
    assert answers.program_digest(prog) != before


@pytest.mark.parametrize(
    "damage",
    [
        b"{not json",
        b"",
        b"\xff\xfe",
        json.dumps({"format": "someone else's", "key": "K", "returncode": 0, "stdout": "lie", "stderr": ""}).encode(),
        json.dumps(
            {"format": "flowlogs upstream answer v1", "key": "other", "returncode": 0, "stdout": "lie"}
        ).encode(),
        json.dumps({"format": "flowlogs upstream answer v1", "key": "K", "returncode": "0", "stdout": "lie"}).encode(),
        json.dumps({"format": "flowlogs upstream answer v1", "key": "K", "returncode": 0, "stdout": 1}).encode(),
        json.dumps(["flowlogs upstream answer v1"]).encode(),
        b"directory",
    ],
)
def test_a_corrupt_foreign_or_unreadable_entry_is_ignored(kept: Path, tmp_path: Path, damage: bytes) -> None:
    prog, log, data = program(tmp_path / "bin"), tmp_path / "runs.log", tmp_path / "in.txt"
    data.write_text("truth\n")
    entry_key = answers.key([prog, data, str(log)])
    entry = kept / entry_key[:2] / f"{entry_key}.json"
    entry.parent.mkdir(parents=True)
    if damage == b"directory":
        entry.mkdir()
    else:
        entry.write_bytes(damage.replace(b'"K"', json.dumps(entry_key).encode()))
    for expected_runs in (1, 2 if damage == b"directory" else 1):  # a healthy entry replaces a damaged file
        result = answers.run([prog, data, str(log)])
        assert (result.returncode, result.stdout) == (0, "truth\n")
        assert runs(log) == expected_runs


def test_a_kept_answer_that_differs_from_the_program_fails(
    kept: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key that misses what the answer depends on (here: a file the program reads but the command line
    does not name) is caught when the kept answer is asked again."""
    hidden = tmp_path / "hidden.txt"
    hidden.write_text("first\n")
    prog = program(tmp_path / "bin", f"#!/bin/sh\ncat {hidden}\n")
    assert answers.run([prog]).stdout == "first\n"
    hidden.write_text("second\n")
    assert answers.run([prog]).stdout == "first\n"  # kept, not asked again (the rate is 0, asked once)
    monkeypatch.setenv("FLOWLOGS_ANSWERS_RECHECK", "1")
    with pytest.raises(answers.AnswerChanged, match=r"stdout, stderr equal: \[False, True\]"):
        answers.run([prog])
    assert list(kept.glob("*/*.json")) == []  # the wrong answer is gone
    assert answers.run([prog]).stdout == "second\n"


def test_fresh_answers_ask_every_time(kept: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prog, log, data = program(tmp_path / "bin"), tmp_path / "runs.log", tmp_path / "in.txt"
    data.write_text("x\n")
    answers.run([prog, data, str(log)])
    answers.run([prog, data, str(log)])
    assert runs(log) == 1
    monkeypatch.setenv("FLOWLOGS_FRESH_ANSWERS", "1")
    answers.run([prog, data, str(log)])
    answers.run([prog, data, str(log)])
    assert runs(log) == 3


def test_prune_keeps_the_newest_and_the_used(kept: Path, tmp_path: Path) -> None:
    prog, log = program(tmp_path / "bin"), tmp_path / "runs.log"
    inputs = []
    for number in range(5):
        data = tmp_path / f"in-{number}.txt"
        data.write_text(f"{number}\n" * 100)
        answers.run([prog, data, str(log)])
        entry_key = answers.key([prog, data, str(log)])
        os.utime(kept / entry_key[:2] / f"{entry_key}.json", ns=(number * 10**9, number * 10**9))
        inputs.append(data)
    answers.run([prog, inputs[0], str(log)])  # the oldest, used again: touched
    stray = kept / "00" / ".tmp-left-by-a-kill.json"
    stray.parent.mkdir(exist_ok=True)
    stray.write_text("{")
    os.utime(stray, ns=(0, 0))
    assert answers.prune(keep_entries=3, keep_bytes=1 << 20) == 3  # two entries and the stray scratch file
    left = sorted(answers.read(path, path.stem).stdout[:2] for path in kept.glob("*/*.json"))  # type: ignore[union-attr]
    assert left == ["0\n", "3\n", "4\n"]
    size = next(kept.glob("*/*.json")).stat().st_size
    assert answers.prune(keep_entries=10, keep_bytes=size * 2) == 1
    assert answers.prune(keep_entries=10, keep_bytes=1 << 20, where=tmp_path / "none") == 0


# ------------------------------------------------------------------------- upstream's own programs


@pytest.mark.skipif(bool(upstream_tools.skip_reason("hubble")), reason=upstream_tools.skip_reason("hubble") or "-")
def test_hubble_answers_kept_equal_the_plain_run(kept: Path, tmp_path: Path) -> None:
    """A warning with its time stamp and a flow, as hubble gives them plainly and as kept (time masked)."""
    flows = tmp_path / "flows.json"
    flows.write_text('garbage\n{"flow":{"uuid":"a","verdict":"DROPPED"}}\n')
    command = ["observe", "--input-file", flows, "-o", "jsonpb", "--allowlist", '{"verdict":["DROPPED"]}']
    plain = subprocess.run(
        [str(upstream_tools.hubble("1.19")), *map(str, command)],
        capture_output=True,
        text=True,
        check=False,
        env=upstream_tools.short_go_env(),
    )
    assert plain.stderr.startswith("time=20") and 'level=WARN msg="Failed to unmarshal json to flow"' in plain.stderr
    asked, kept_answer = (upstream_tools.ask_hubble("1.19", *command) for _ in range(2))
    for answer in (asked, kept_answer):
        assert (
            (answer.returncode, answer.stdout)
            == (0, plain.stdout)
            == (0, '{"flow":{"uuid":"a","verdict":"DROPPED"}}\n')
        )
        assert answer.stderr == answers.hubble_steady(plain.stderr) and answer.stderr.startswith("time=- level=WARN")
    assert len(list(kept.glob("*/*.json"))) == 1


@pytest.mark.skipif(
    not (upstream_tools.CACHE / "bin" / "helm").is_file() or bool(upstream_tools.skip_reason("hubble")),
    reason="needs .cache/bin/helm and ../shared/tools",
)
def test_helm_makes_new_keys_on_each_render_of_ciliums_chart_and_nothing_else_differs(tmp_path: Path) -> None:
    """What helm_steady masks is all that differs between two renders of Cilium's chart (the CA and the
    hubble server certificate of templates/cilium-ca-secret.yaml and hubble/tls-helm/)."""
    chart = upstream_tools.SHARED_TOOLS / "cilium-charts" / "cilium-1.19.5.tgz"
    helm = str(upstream_tools.CACHE / "bin" / "helm")
    first, second = (
        subprocess.run(
            [helm, "template", "cilium", str(chart), "-n", "kube-system"], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    )
    assert first != second
    assert answers.helm_steady(first) == answers.helm_steady(second)
    masked = [
        line.split(":")[0].strip() for line in answers.helm_steady(first).splitlines() if "<made by helm>" in line
    ]
    assert sorted(masked) == ["ca.crt", "ca.crt", "ca.key", "tls.crt", "tls.key"]


def test_kubeconform_steady_sorts_the_names_of_a_message_only() -> None:
    # as kubeconform v0.7.0 printed it twice for one document (jsonschema ranges over a Go map)
    first = "additional properties 'metadata', 'apiVersion', 'kind' not allowed"
    second = "additional properties 'kind', 'metadata', 'apiVersion' not allowed"
    assert answers.kubeconform_steady(first) == answers.kubeconform_steady(second)
    assert answers.kubeconform_steady(first) == "additional properties 'apiVersion', 'kind', 'metadata' not allowed"
    assert answers.kubeconform_steady("value 'b' not in 'a'") == "value 'b' not in 'a'"


def test_a_made_input_is_made_once_per_question_and_read_back_as_json(
    kept: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[int] = []

    def make() -> object:
        made.append(1)
        return {"flows": [("a", 1)], "n": len(made)}

    question = {"examples": ["1.19", 25], "code": "digest"}
    first = answers.made_once(question, make)
    assert first == {"flows": [["a", 1]], "n": 1}  # as JSON reads it back, the first time too
    assert answers.made_once(question, make) == first and len(made) == 1
    assert answers.made_once({**question, "code": "other"}, make) == {"flows": [["a", 1]], "n": 2}
    (entry,) = [path for path in kept.glob("*/*.json") if json.loads(path.read_text())["value"]["n"] == 1]
    entry.write_text('{"format": "flowlogs upstream answer v1", "key": "other", "value": {"n": 0}}')
    assert answers.made_once(question, make)["n"] == 3  # a foreign entry is ignored, and made again
    monkeypatch.setenv("FLOWLOGS_FRESH_ANSWERS", "1")
    assert answers.made_once(question, make)["n"] == 4


def test_the_oracle_seed_is_the_one_asked_for_or_fixed_by_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generators = tmp_path / "generators.py"
    generators.write_text("one\n")
    monkeypatch.delenv("FLOWLOGS_ORACLE_SEED", raising=False)
    fixed = upstream_tools.oracle_seed(generators)
    assert fixed == upstream_tools.oracle_seed(generators) == int(upstream_tools.code_digest(generators)[:8], 16) >> 2
    other = tmp_path / "other.py"
    other.write_text("two\n")
    assert upstream_tools.oracle_seed(other) != fixed  # another content, another seed
    monkeypatch.setenv("FLOWLOGS_ORACLE_SEED", "12345")
    assert upstream_tools.oracle_seed(generators) == 12345
    monkeypatch.setenv("FLOWLOGS_ORACLE_SEED", "random")
    assert len({upstream_tools.oracle_seed(generators) for _ in range(5)}) > 1

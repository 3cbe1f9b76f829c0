"""Shell completion never runs what it reads (issue 22): profile files named like shell code
are offered as names, and a name taken with Tab reaches flowlogs as typed, in bash, in zsh
(through bashcompinit, as `flowlogs completion zsh` loads it) and in fish. The shells are the
real ones, driven on a pseudo-terminal: a Tab is a Tab. What follows each kind of option is what
it takes (issue 23): formats, versions, files, or nothing (a name, a duration), never profiles."""

from __future__ import annotations

import os
import pty
import select
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from flowlogs.cli import build_parser
from flowlogs.completion import completion_script

ZSH = shutil.which("zsh")
needs_zsh = pytest.mark.skipif(
    ZSH is None, reason="zsh is not installed and apt-get could not install it (make test installs it)"
)
FISH = shutil.which("fish")
needs_fish = pytest.mark.skipif(
    FISH is None, reason="fish is not installed and apt-get could not install it (make test installs it)"
)

# Each starts with its own letter, so that letter and Tab complete it alone.
HOSTILE = [
    "a$(touch PWNED)",
    "b`touch PWNED`",
    "c;touch PWNED",
    "d e",
    "f'g\"h",
    "i*",
    "j[k]?",
    "l\\m",
    "-n",
    "$(touch PWNED)",
]
NEWLINE = "o\ntouch PWNED"  # no profile name, never offered (zsh's bashcompinit splits matches at newlines)
OFFERED = sorted([*HOSTILE, "shop"])


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    values = tmp_path / "values"
    values.mkdir()
    for name in [*HOSTILE, NEWLINE, "shop", "fleet"]:
        (values / f"{name}.yaml").write_text("cilium: {}\n", encoding="utf-8")
    return tmp_path


def _script(shell: str, directory: Path) -> Path:
    script = directory.parent / f"flowlogs.{shell}"
    script.write_text(completion_script(shell, build_parser()), encoding="utf-8")
    return script


def _bash_offers(script: Path, cwd: Path, *words: str) -> list[str]:
    """COMPREPLY after `words` (the last one being completed), NUL-separated so any name is whole."""
    program = (
        'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _flowlogs; for word in "${COMPREPLY[@]}"; do '
        'printf "%s\\0" "$word"; done'
    )
    result = subprocess.run(
        ["bash", "--norc", "-c", program, "bash", str(script), *words], cwd=cwd, capture_output=True, check=True
    )
    return sorted(_unquoted(word.decode()) for word in result.stdout.split(b"\0")[:-1])


def _unquoted(word: str) -> str:
    """What the shell makes of an offered word: exactly one argument."""
    (argument,) = shlex.split(word)
    return argument


def test_bash_offers_hostile_profile_names_as_they_are(hostile: Path) -> None:
    script = _script("bash", hostile)
    assert _bash_offers(script, hostile, "flowlogs", "render", "") == OFFERED
    assert _bash_offers(script, hostile, "flowlogs", "render", "a") == ["a$(touch PWNED)"]
    assert _bash_offers(script, hostile, "flowlogs", "render", "values/a") == ["values/a$(touch PWNED).yaml"]
    assert _bash_offers(script, hostile, "flowlogs", "render", "values/o") == []  # the name with a newline
    assert sorted(p.name for p in hostile.iterdir()) == ["values"]


class _Terminal:
    """An interactive shell on a pseudo-terminal: type into it, wait for what it writes."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the shell, with nothing of the user's set-up
            os.chdir(cwd)
            os.execvpe(argv[0], argv, {"PATH": os.environ["PATH"], "TERM": "dumb", "HOME": str(cwd)})
        self.screen = b""

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def wait_for(self, path: Path, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while not path.exists() and time.monotonic() < deadline:
            if select.select([self.fd], [], [], 0.05)[0]:
                try:
                    self.screen += os.read(self.fd, 65536)
                except OSError:
                    break
        assert path.exists(), f"the shell never wrote {path.name}; its screen:\n{self.screen.decode(errors='replace')}"
        time.sleep(0.05)  # the write that created it has ended
        return path.read_text(encoding="utf-8")

    def close(self) -> None:
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


# `flowlogs` is a shell function here that writes the arguments it was given, one per NUL.
_RECORD = 'flowlogs() { printf \'%s\\0\' "$@" > "args-$((++taken))"; }; taken=0'
_SETUP = {
    "bash": ["bash", "--norc", "--noprofile", "-i"],
    "zsh": [str(ZSH), "-f", "-i"],
    "fish": [str(FISH), "--no-config", "-i"],
}
_FISH_RECORD = (
    "function flowlogs; set -g taken (math $taken + 1); printf '%s\\0' $argv > args-$taken; end; set -g taken 0"
)


def _take_with_tab(shell: str, directory: Path, prefixes: list[str]) -> list[list[str]]:
    """Type `flowlogs render PREFIX`, Tab, Enter in the shell for each prefix: the arguments flowlogs got."""
    script = _script(shell, directory)
    terminal = _Terminal(_SETUP[shell], directory)
    try:
        setup = [_FISH_RECORD if shell == "fish" else _RECORD]
        if shell == "zsh":
            setup.append("autoload -U compinit && compinit -u")
        terminal.type("; ".join([*setup, f"source {script}", "touch ready"]) + "\n")
        terminal.wait_for(directory / "ready")
        taken = []
        for number, prefix in enumerate(prefixes, 1):
            terminal.type(f"flowlogs render {prefix}\t\n")
            taken.append(terminal.wait_for(directory / f"args-{number}").split("\0")[:-1])
        return taken
    finally:
        terminal.close()


def _expected_taken() -> tuple[list[str], list[list[str]]]:
    names = [name for name in HOSTILE if name[0].isalpha()]
    prefixes = [name[0] for name in names] + ["values/a"]
    return prefixes, [["render", name] for name in names] + [["render", "values/a$(touch PWNED).yaml"]]


def test_a_name_taken_with_tab_in_bash_reaches_flowlogs_as_it_is(hostile: Path) -> None:
    prefixes, expected = _expected_taken()
    assert _take_with_tab("bash", hostile, prefixes) == expected
    assert not list(hostile.rglob("PWNED"))


@needs_zsh
def test_a_name_taken_with_tab_in_zsh_reaches_flowlogs_as_it_is(hostile: Path) -> None:
    prefixes, expected = _expected_taken()
    assert _take_with_tab("zsh", hostile, prefixes) == expected
    assert not list(hostile.rglob("PWNED"))


@needs_fish
def test_a_name_taken_with_tab_in_fish_reaches_flowlogs_as_it_is(hostile: Path) -> None:
    prefixes, expected = _expected_taken()
    assert _take_with_tab("fish", hostile, prefixes) == expected
    assert not list(hostile.rglob("PWNED"))


def _fish_offers(script: Path, cwd: Path, line: str) -> list[str]:
    """What fish completes at the end of `line` (its own `complete -C`), descriptions left out."""
    result = subprocess.run(
        [str(FISH), "--no-config", "-c", "source $argv[1]; complete -C $argv[2]", str(script), line],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stderr == ""
    return sorted(offer.split("\t")[0] for offer in result.stdout.splitlines())


@needs_fish
def test_fish_offers_hostile_profile_names_as_they_are(hostile: Path) -> None:
    script = _script("fish", hostile)
    assert _fish_offers(script, hostile, "flowlogs render ") == OFFERED
    assert _fish_offers(script, hostile, "flowlogs render values/a") == ["values/a$(touch PWNED).yaml"]
    assert _fish_offers(script, hostile, "flowlogs render values/o") == []  # the name with a newline
    assert not list(hostile.parent.rglob("PWNED"))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A profile directory, a flows file, a folder: something of each kind to complete."""
    (tmp_path / "values").mkdir()
    (tmp_path / "values" / "shop.yaml").write_text("cilium: {}\n", encoding="utf-8")
    (tmp_path / "flows.jsonl").write_text("{}\n", encoding="utf-8")
    return tmp_path


# (words typed, the last one being completed) -> what every shell offers. From the parser's own
# options: choices are formats and versions; FILE/PATH options and `import FILE` take files.
OFFERS = [
    (["flowlogs", "validate", "-o", ""], ["json", "junit", "tap", "text"]),
    (["flowlogs", "preview", "--cilium", ""], ["1.16", "1.17", "1.18", "1.19"]),
    (["flowlogs", "import", "x.yaml", "--calico", ""], ["3.19", "3.20"]),
    (["flowlogs", "init", "--cilium", "1.1"], ["1.16", "1.17", "1.18", "1.19"]),
    (["flowlogs", "preview", "--report", ""], ["flows.jsonl", "values/"]),
    (["flowlogs", "preview", "--flows", "f"], ["flows.jsonl"]),
    (["flowlogs", "import", ""], ["flows.jsonl", "values/"]),
    (["flowlogs", "import", "x", "--output-file", "fl"], ["flows.jsonl"]),
    (["flowlogs", "preview", "--duration", ""], []),
    (["flowlogs", "preview", "--cilium-version", ""], []),  # deprecated: taken, its value not guessed, never a profile
    (["flowlogs", "generate", "--repo-url", ""], []),
    (["flowlogs", "package", "--output-dir", ""], ["values/"]),
    (["flowlogs", "completion", ""], ["bash", "fish", "zsh"]),
    (["flowlogs", "preview", ""], ["shop"]),
    (["flowlogs", "explain", "values/"], ["values/shop.yaml"]),
    (["flowlogs", "import", "x", "--o"], ["--output-file"]),  # the deprecated -o/--output is not offered
]


@pytest.mark.parametrize(
    ("words", "offered"),
    OFFERS,
    ids=lambda v: " ".join(v) if isinstance(v, list) and v and v[0] == "flowlogs" else None,
)
def test_bash_offers_what_each_option_takes(workdir: Path, words: list[str], offered: list[str]) -> None:
    assert _bash_offers(_script("bash", workdir), workdir, *words) == offered


@needs_fish
@pytest.mark.parametrize(
    ("words", "offered"),
    OFFERS,
    ids=lambda v: " ".join(v) if isinstance(v, list) and v and v[0] == "flowlogs" else None,
)
def test_fish_offers_what_each_option_takes(workdir: Path, words: list[str], offered: list[str]) -> None:
    assert _fish_offers(_script("fish", workdir), workdir, " ".join(words)) == offered


@needs_zsh
def test_zsh_offers_hostile_profile_names_as_they_are(hostile: Path) -> None:
    # compadd records what zsh's bashcompinit adds (after zsh's own matching) before adding it.
    script = _script("zsh", hostile)
    terminal = _Terminal(_SETUP["zsh"], hostile)
    try:
        capture = (
            'compadd() { local -a hits; builtin compadd -O hits "$@"; (( ${#hits} )) && print -rN -- "${hits[@]}" >> '
            'offered; builtin compadd "$@"; }'
        )
        terminal.type(f"autoload -U compinit && compinit -u; source {script}; {capture}; touch ready\n")
        terminal.wait_for(hostile / "ready")
        terminal.type("flowlogs render \t")
        offered = terminal.wait_for(hostile / "offered")
    finally:
        terminal.close()
    assert sorted(offered.split("\0")[:-1]) == OFFERED
    assert not list(hostile.rglob("PWNED"))

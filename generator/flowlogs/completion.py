"""`flowlogs completion bash|zsh|fish`: a shell completion script written from the argument parser.

The script is plain shell (zsh loads the bash one through `bashcompinit`), needs nothing installed
and never runs Python while completing: subcommands, each one's options, the choices of options
(formats such as `-o json`, versions such as `--cilium 1.18`), directories and files where an option
or argument takes a path, nothing where it takes another value (a name, a URL, a duration), and
profile names (the `*.yaml` files of the profile directory, `--values-dir` honoured) for commands
that take profiles. Deprecated spellings are taken but not offered.

    source <(flowlogs completion bash)        # in ~/.bashrc
    source <(flowlogs completion zsh)         # in ~/.zshrc
    flowlogs completion fish > ~/.config/fish/completions/flowlogs.fish
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Iterator

SHELLS = ("bash", "zsh", "fish")
# Positional arguments named so take profile names or paths.
_PROFILE_ARGUMENTS = {"profile", "profiles"}
# Positional arguments named so take any file.
_FILE_ARGUMENTS = {"file"}
_DIRECTORY_OPTIONS = {"--values-dir", "--chart-dir", "--gitops-dir", "--output-dir"}
_PATH_METAVARS = {"PATH", "FILE", "LOCATION"}
# What each shell offers after an option that takes a value, by `value_kind`.
_BASH_OFFERS = {
    "directories": "_flowlogs_paths -d; return ;;",
    "files": "_flowlogs_paths -f; return ;;",
    "": "return ;;  # a name, a URL, a number: nothing to offer",
}
_FISH_OFFERS = {"directories": "-x -a '(__fish_complete_directories)'", "files": "-r -F", "": "-x"}


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its actions here; there is no public accessor
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _offered(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    """The actions a user is offered: not the deprecated spellings (hidden from --help too)."""
    return (action for action in parser._actions if action.help is not argparse.SUPPRESS)


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(option for action in _offered(parser) for option in action.option_strings)


def value_kind(action: argparse.Action) -> str:
    """What follows an option that takes a value: "choices", "directories", "files" or "" (nothing to offer)."""
    if action.choices:
        return "choices"
    if set(action.option_strings) & _DIRECTORY_OPTIONS:
        return "directories"
    if action.metavar in _PATH_METAVARS:
        return "files"
    return ""


def _takes_value(action: argparse.Action) -> bool:
    return bool(action.option_strings) and action.nargs != 0 and not isinstance(action, argparse._SubParsersAction)


def _value_cases(parsers: dict[str, argparse.ArgumentParser]) -> list[str]:
    """`case "$command:$prev"` branches: what follows an option that takes a value ("" is before any command)."""
    choices: dict[tuple[str, ...], list[str]] = {}
    kinds: dict[str, set[str]] = {kind: set() for kind in _BASH_OFFERS}
    for command, parser in parsers.items():
        for action in parser._actions:
            if not _takes_value(action):
                continue
            kind = value_kind(action)
            if kind == "choices":
                assert action.choices is not None
                choices[tuple(f"{command}:{option}" for option in action.option_strings)] = [
                    str(choice) for choice in action.choices
                ]
            else:
                kinds[kind].update(f"{command}:{option}" for option in action.option_strings)
    cases = [
        f"        {'|'.join(pattern)}) _flowlogs_offer {_words(words)}; return ;;"
        for pattern, words in sorted(choices.items())
    ]
    return cases + [
        f"        {'|'.join(sorted(kinds[kind]))}) {offer}" for kind, offer in _BASH_OFFERS.items() if kinds[kind]
    ]


def _words(words: list[str]) -> str:
    return " ".join(shlex.quote(word) for word in words)


def _positionals(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if not a.option_strings]


def bash_script(parser: argparse.ArgumentParser) -> str:
    commands = subparsers(parser)
    with_profiles, with_files = (
        sorted(name for name, sub in commands.items() if any(a.dest in dests for a in _positionals(sub)))
        for dests in (_PROFILE_ARGUMENTS, _FILE_ARGUMENTS)
    )
    positional_choices = [
        f"        {name}) _flowlogs_offer {_words([str(c) for c in action.choices])} ;;"
        for name, sub in sorted(commands.items())
        for action in _positionals(sub)
        if action.choices
    ]
    command_options = [
        f"        {name}) options=({_words(_options(sub))}) ;;" for name, sub in sorted(commands.items())
    ]
    lines = [
        "# flowlogs completion for bash (and zsh, through bashcompinit). Generated by `flowlogs completion`.",
        "# What is offered comes from arrays and globs, never from compgen -W or an unquoted $(...), and is",
        "# quoted here (bash's own -o filenames leaves the `)` of `$(x)` bare): a file name is never run.",
        "_flowlogs_offer() {",
        "    local word quoted",
        '    for word in "$@"; do',
        "        # A name holding a newline is no profile name, and zsh's bashcompinit splits its matches at newlines;",
        "        # zsh's compgen prints an empty line when nothing matches.",
        '        [[ -n "$word" && "$word" == "$cur"* && "$word" != *$\'\\n\'* ]] || continue',
        '        printf -v quoted %q "$word"',
        '        [[ "$cur" == "~"* && "$word" == "~"* ]] && quoted="${quoted#\\\\}"  # a typed ~ (a home directory) '
        "stays bare",
        '        COMPREPLY+=("$quoted")',
        "    done",
        "    return 0",
        "}",
        "_flowlogs_paths() {",
        "    local found",
        "    while IFS= read -r found; do",
        "        # compgen prints a name holding a newline as two lines, neither of them a file: left out.",
        '        [[ -e "$found" || -L "$found" || "$found" == "~"* ]] || continue',
        '        if [[ -d "$found" ]]; then',
        "            found+=/",
        '            [[ -n "${BASH_VERSION-}" ]] && compopt -o nospace',
        "        fi",
        '        _flowlogs_offer "$found"',
        '    done < <(compgen "$@" -- "$cur")',
        "}",
        "_flowlogs() {",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        f"    local commands={shlex.quote(' '.join(sorted(commands)))}",
        '    local command="" values_dir="values" options=() i',
        "    COMPREPLY=()",
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        case "${COMP_WORDS[i]}" in',
        '            --values-dir) values_dir="${COMP_WORDS[i+1]}" ;;',
        "            -*) ;;",
        '            *) if [[ -z "$command" && " $commands " == *" ${COMP_WORDS[i]} "* ]]; then '
        'command="${COMP_WORDS[i]}"; fi ;;',
        "        esac",
        "    done",
        '    case "$command:$prev" in',
        *_value_cases({"": parser, **commands}),
        "    esac",
        '    if [[ -z "$command" ]]; then',
        f"        _flowlogs_offer {_words(sorted(commands))} {_words(_options(parser))}",
        "        return",
        "    fi",
        '    case "$command" in',
        *command_options,
        "    esac",
        '    if [[ "$cur" == -* ]]; then',
        '        _flowlogs_offer "${options[@]}"',
        "        return",
        "    fi",
        '    case "$command" in',
        f"        {'|'.join(with_profiles)})",
        "            local file",
        '            for file in "$values_dir"/*.yaml "$values_dir"/*.yml; do',
        '                [[ -e "$file" && ! -d "$file" ]] || continue',
        '                file="${file##*/}"; file="${file%.*}"',
        '                [[ "$file" == fleet ]] || _flowlogs_offer "$file"',
        "            done",
        "            _flowlogs_paths -f -X '!*.y*ml'",
        "            ;;",
        *([f"        {'|'.join(with_files)}) _flowlogs_paths -f ;;"] if with_files else []),
        *positional_choices,
        "    esac",
        "}",
        "complete -F _flowlogs flowlogs",
    ]
    return "\n".join(lines) + "\n"


def _fish_quote(word: str) -> str:
    """A fish string literal: single quotes, with \\ and ' escaped (fish's only escapes inside them)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_option(condition: str, action: argparse.Action) -> str:
    """One `complete` line for an option: its spellings, what its value is, and its help. A deprecated
    spelling is never offered; its value is, right after it (the condition holds only there)."""
    if action.help is argparse.SUPPRESS:
        condition += (
            "; and begin; " + "; or ".join(f"__flowlogs_after {option}" for option in action.option_strings) + "; end"
        )
    words = [f"complete -c flowlogs -n {_fish_quote(condition)}"]
    for option in action.option_strings:
        words.append(f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}")
    if _takes_value(action):
        kind = value_kind(action)
        if kind == "choices":
            assert action.choices is not None
            words.append(f"-x -a {_fish_quote(' '.join(str(c) for c in action.choices))}")
        else:
            words.append(_FISH_OFFERS[kind])
    if action.help and action.help is not argparse.SUPPRESS:
        words.append(f"-d {_fish_quote(action.help.split(' (')[0][:80])}")
    return " ".join(words)


def fish_script(parser: argparse.ArgumentParser) -> str:
    commands = subparsers(parser)
    names = " ".join(sorted(commands))
    lines = [
        "# flowlogs completion for fish. Generated by `flowlogs completion fish`.",
        "# Profile names come from a glob of the profile directory and are offered as data: fish quotes",
        "# what it inserts, and nothing read from a file name is ever run.",
        "complete -c flowlogs -e",
        "complete -c flowlogs -f",
        "function __flowlogs_command --description 'the flowlogs command word on the command line'",
        "    set -l skip 0",
        "    for token in (commandline -opc)[2..-1]",
        "        if test $skip = 1",
        "            set skip 0",
        "            continue",
        "        end",
        "        switch $token",
        "            case --values-dir --chart-dir --gitops-dir",
        "                set skip 1",
        "            case '-*'",
        f"            case {names}",
        "                echo $token",
        "                return 0",
        "        end",
        "    end",
        "    return 1",
        "end",
        "function __flowlogs_is --argument-names wanted",
        "    set -l command (__flowlogs_command)",
        '    test "$command" = "$wanted"',
        "end",
        "function __flowlogs_after --argument-names option --description 'the word before the cursor is option'",
        '    test "$(commandline -opc)[-1]" = "$option"',
        "end",
        "function __flowlogs_yaml_files --description 'the YAML files that complete the word'",
        "    # A variable's value is never a wildcard in fish: only the * written here globs.",
        "    for path in (commandline -ct)*",
        "        string match -q -- '*'\\n'*' $path; and continue",
        "        test -f $path; and string match -qr '\\.ya?ml$' -- $path; and printf '%s\\n' $path",
        "    end",
        "end",
        "function __flowlogs_profiles --description 'the profile names of the profile directory'",
        "    set -l values_dir values",
        "    set -l tokens (commandline -opc)",
        "    for i in (seq (count $tokens))",
        "        if test $tokens[$i] = --values-dir; and test $i -lt (count $tokens)",
        "            set values_dir $tokens[(math $i + 1)]",
        "        end",
        "    end",
        "    for file in $values_dir/*.yaml $values_dir/*.yml",
        "        # A name holding a newline is no profile name.",
        "        test -f $file; and not string match -q -- '*'\\n'*' $file; or continue",
        "        set -l name (string replace -r '^.*/' '' -- $file | string replace -r '\\.ya?ml$' '')",
        "        test \"$name\" = fleet; or printf '%s\\tprofile\\n' $name",
        "    end",
        "end",
    ]
    for action in parser._actions:
        if action.option_strings:
            lines.append(_fish_option("not __flowlogs_command", action))
    for name, sub in sorted(commands.items()):
        lines.append(
            f"complete -c flowlogs -n 'not __flowlogs_command' -a {name} -d {_fish_quote(sub.description or '')}"
        )
    for name, sub in sorted(commands.items()):
        condition = f"__flowlogs_is {name}"
        for action in sub._actions:
            if action.option_strings:
                lines.append(_fish_option(condition, action))
        for action in _positionals(sub):
            if action.dest in _PROFILE_ARGUMENTS:
                lines.append(f"complete -c flowlogs -n {_fish_quote(condition)} -a '(__flowlogs_profiles)'")
                lines.append(f"complete -c flowlogs -n {_fish_quote(condition)} -a '(__flowlogs_yaml_files)'")
            elif action.dest in _FILE_ARGUMENTS:
                lines.append(f"complete -c flowlogs -n {_fish_quote(condition)} -F")
            elif action.choices:
                lines.append(
                    f"complete -c flowlogs -n {_fish_quote(condition)} -a "
                    f"{_fish_quote(' '.join(str(c) for c in action.choices))}"
                )
    return "\n".join(lines) + "\n"


def completion_script(shell: str, parser: argparse.ArgumentParser) -> str:
    if shell == "fish":
        return fish_script(parser)
    if shell == "zsh":
        return "# flowlogs completion for zsh\nautoload -U +X bashcompinit && bashcompinit\n" + bash_script(parser)
    return bash_script(parser)

"""`flowlogs init`: a commented starter profile, from flags or from a few questions.

The core knows no product: each product offers a `Starter` (its `starter` attribute) with the
questions it asks (each also a command-line flag) and the commented section it writes from
the answers. The profile is compiled in memory before it is written, so what `init` writes
validates; an existing file is never overwritten.
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UserError

if TYPE_CHECKING:
    from .products import Product

# Each chosen product with its version and answers, in the order of the profile's sections.
Chosen = list[tuple["Product", str, dict[str, Any]]]
# The profile schema as the repository ships it (`flowlogs schema > docs/profile.schema.json`).
SCHEMA_FILE = Path("docs/profile.schema.json")

HEADER = """\
{schema_line}#
# A starter profile written by `flowlogs init`. Edit it, then see the manifests it makes
# (`flowlogs render {name}`), check them as Kubernetes would (`flowlogs validate {name}`) and
# write chart/ and gitops/ (`flowlogs generate`). Every word: docs/profiles.md.
description: {description}
"""


@dataclass(frozen=True)
class Question:
    """One thing a starter asks; also its command-line flag (`--<key>`)."""

    key: str
    prompt: str  # asked on a terminal
    help: str  # the flag's help
    kind: str = "yes-no"  # "yes-no" (a switch) or "list" (comma-separated words)
    default: Any = None
    versions: tuple[str, ...] = ()  # the product versions it applies to; () = every version

    def applies_to(self, version: str) -> bool:
        return not self.versions or version in self.versions


class Starter(ABC):
    """What a product writes into a starter profile."""

    questions: tuple[Question, ...] = ()

    @abstractmethod
    def section(self, version: str, answers: Mapping[str, Any], argo_cd: bool) -> str:
        """The product's commented profile section (YAML text ending in a newline); `argo_cd`: the
        profile directory has a fleet file, so clusters get the profile through Argo CD."""

    def wrong_version(self, question: Question, version: str) -> str:
        """Why `--<question.key>` does not go with `version` (a product may name the flag to use)."""
        return f"--{question.key} is for {' and '.join(question.versions)}, not {version}"

    @abstractmethod
    def describe(self, version: str, answers: Mapping[str, Any]) -> str:
        """A few words for the profile's description."""


def starter_profile(name: str, chosen: Sequence[tuple[Product, str, Mapping[str, Any]]], values_dir: Path) -> str:
    """The profile text for the chosen products (product, version, answers: at least one), for `values_dir`."""
    description = "; ".join(_starter(product).describe(version, answers) for product, version, answers in chosen)
    argo_cd = any((values_dir / f"fleet{suffix}").is_file() for suffix in (".yaml", ".yml"))
    return HEADER.format(name=name, description=json.dumps(description), schema_line=schema_line(values_dir)) + "".join(
        _starter(product).section(version, answers, argo_cd) for product, version, answers in chosen
    )


def schema_line(values_dir: Path) -> str:
    """The editor's schema modeline for a profile in `values_dir`, pointing at docs/profile.schema.json
    where the repository has it; elsewhere (a folder of one's own) a comment saying how to get the
    schema, never a dead link."""
    for folder in values_dir.absolute().parents:
        if (folder / SCHEMA_FILE).is_file():
            return (
                "# yaml-language-server: "
                f"$schema={Path(os.path.relpath(folder / SCHEMA_FILE, values_dir.absolute())).as_posix()}\n"
            )
    return (
        "# Editor completion: `flowlogs schema > profile.schema.json`, then add this first line:\n"
        "#   # yaml-language-server: $schema=<path of profile.schema.json>\n"
    )


def _starter(product: Product) -> Starter:
    assert product.starter is not None
    return product.starter


def ask_profile(
    products: Sequence[Product], ask: Callable[[str], str], say: Callable[[str], None]
) -> tuple[str, Chosen]:
    """Ask for the name and, per product, whether to include it, its version and its questions."""
    name = _answer(ask, "Profile name (lower-case letters, digits, '-')", "my-profile")
    chosen: Chosen = []
    while not chosen:
        for product in products:
            if not _yes(ask, f"{product.title}?", default=product is products[0]):
                continue
            default = product.versions[-1]  # the newest
            version = _answer(ask, f"{product.name} version ({', '.join(product.versions)})", default)
            while version not in product.versions:
                say(f"  {product.name} {version} is not supported; choose one of {', '.join(product.versions)}")
                version = _answer(ask, f"{product.name} version ({', '.join(product.versions)})", default)
            answers = {
                question.key: split_list([_answer(ask, question.prompt, ",".join(question.default or []))])
                if question.kind == "list"
                else _yes(ask, question.prompt, default=bool(question.default))
                for question in _starter(product).questions
                if question.applies_to(version)
            }
            chosen.append((product, version, answers))
        if not chosen:
            say("  choose at least one product")
    return name, chosen


def split_list(values: Sequence[str] | None) -> list[str]:
    """`--services a/b,c/d --services e/f` -> ["a/b", "c/d", "e/f"]."""
    return [item.strip() for value in values or () for item in value.split(",") if item.strip()]


def _answer(ask: Callable[[str], str], prompt: str, default: str) -> str:
    answer = ask(f"{prompt} [{default}]: " if default else f"{prompt}: ").strip()
    return answer or default


def _yes(ask: Callable[[str], str], prompt: str, default: bool) -> bool:
    while True:
        answer = ask(f"{prompt} [{'Y/n' if default else 'y/N'}]: ").strip().lower()
        if not answer:
            return default
        if answer in ("y", "yes", "n", "no"):
            return answer.startswith("y")


def target_path(name: str, values_dir: Path) -> Path:
    """`values_dir/<name>.yaml` for a profile name (never a path, never a reserved name), not yet taken."""
    from .profile import PROFILE_NAME_HINT, PROFILE_SUFFIXES, RESERVED_PROFILE_NAMES, is_profile_name

    if name in RESERVED_PROFILE_NAMES:
        raise UserError(f"'{name}' is reserved: {values_dir}/{name}.yaml is not a profile; choose another name")
    if not is_profile_name(name):
        shown = name if len(name) <= 80 else f"{name[:80]}... ({len(name)} characters)"
        raise UserError(f"{shown!r} is not a profile name (a name, not a path): {PROFILE_NAME_HINT}")
    for suffix in PROFILE_SUFFIXES:
        taken = values_dir / f"{name}{suffix}"
        if os.path.lexists(taken):  # a dangling symlink too: writing through it would land elsewhere
            raise UserError(
                f"{taken} exists: flowlogs init never overwrites a profile (choose another name, or delete it first)"
            )
    return values_dir / f"{name}.yaml"

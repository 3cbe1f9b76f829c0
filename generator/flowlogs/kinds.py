"""Value kinds: everything flowlogs knows about one kind of profile value, in one object.

A profile word (`verdict`, `source-pod`, `flush-interval`) is a data row that points at a
kind. The kind owns every view of its values, so no command keeps a parallel if-chain:

- `schema()`: the JSON Schema fragment the loader, editors and docs use;
- `compile(node, context, diagnostics)`: a profile value to the upstream field value, for
  the version in `context`, with positioned errors;
- `decompile(upstream, context)`: an upstream field value back to the profile's words (import);
- `explain(value)`: a short English phrase for a profile value (explain, docs).

Products subclass `ValueKind` with their own context (their version tables).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

if TYPE_CHECKING:
    from .errors import Diagnostics
    from .profile import Node

Context = TypeVar("Context")


class Invalid:
    """The compiled stand-in for a value that already produced an error (never written)."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID = Invalid()


class ValueKind(ABC, Generic[Context]):
    """One kind of profile value; subclasses are the only place its rules live."""

    # Short name for docs and error texts ("pod prefix", "duration").
    title: ClassVar[str] = "value"

    @abstractmethod
    def schema(self) -> dict[str, Any]:
        """JSON Schema of a value of this kind, as written in a profile."""

    @abstractmethod
    def compile(self, node: Node, context: Context, diagnostics: Diagnostics) -> Any:
        """The upstream value for `node`; errors go to `diagnostics` at the node's position."""

    @abstractmethod
    def decompile(self, upstream: Any, context: Context) -> Any:
        """The profile value that compiles to `upstream` (the inverse of `compile`)."""

    @abstractmethod
    def explain(self, value: Any) -> str:
        """A short English phrase for a profile value of this kind."""


def one_or_many(item: dict[str, Any]) -> dict[str, Any]:
    """A value or a list of such values (a list means OR)."""
    return {"oneOf": [item, {"type": "array", "items": item}]}


def text_or_mapping(title: str, properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """A value written as text (`Deployment/web`) or as the mapping it stands for."""
    mapping = {"type": "object", "additionalProperties": False, **({"required": required} if required else {})}
    return {"oneOf": [{"type": "string", "minLength": 1, "title": title}, {**mapping, "properties": properties}]}


def join_words(words: list[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    return f"{', '.join(words[:-1])} or {words[-1]}" if len(words) > 1 else "".join(words)

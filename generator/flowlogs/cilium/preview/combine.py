"""One Python function for an OR of ANDs of tests: the include filters of a flow log (OR of
filters, each the AND of its fields' predicates); and straight-line
functions for field masks (apply.py).

A preview calls these once per line and flow log: composed closures (`lambda ev: a(ev) and
b(ev)`) cost a Python call per level, a generated function one call in all. The source is built
from positions only (`t0(x) and t1(x) or t2(x)`, field names bound as k0, k1 ...): no text of the
configuration is ever compiled.
The tests are called in the order given and stop at the first decision, as `any(all(...))`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
Test = Callable[[T], Any]  # truthy: the condition holds


def any_of_all_source(groups: Sequence[Sequence[Test[T]]], names: dict[str, Any], arg: str) -> str:
    """A Python expression (over the variable `arg`) true when every test of some group holds;
    the tests are added to `names` as t<N>. No group: False; an empty group: True."""
    terms = []
    for group in groups:
        calls = []
        for test in group:
            name = f"t{len(names)}"
            names[name] = test
            calls.append(f"{name}({arg})")
        terms.append("(" + " and ".join(calls) + ")" if calls else "True")
    return " or ".join(terms) if terms else "False"


def compile_statements(body: list[str], names: dict[str, Any], arg: str) -> Callable[[Any], Any]:
    """A function of `arg` with these lines as its body, its free names taken from `names`."""
    namespace: dict[str, Any] = {"__builtins__": {}, **names}
    source = "\n".join([f"def generated({arg}):", *(f"    {line}" for line in body)])
    exec(compile(source, "<flowlogs preview>", "exec"), namespace)  # noqa: S102 - built from positions only, see above
    function: Callable[[Any], Any] = namespace["generated"]
    return function

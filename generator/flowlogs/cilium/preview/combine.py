"""One Python function for an OR of ANDs of tests: the include filters of a flow log (OR of
filters, each the AND of its fields' predicates); and straight-line
functions for field masks (apply.py).

A preview calls these once per line and flow log: composed closures (`lambda ev: a(ev) and
b(ev)`) cost a Python call per level, a generated function one call in all. A simple test (an
enum, a namespace) is an `Inline` expression, written into that function in place of a call.
The source is built from positions and our own expressions only (`t0(x) and t1(x) or t2(x)`,
values bound as t0, t1 ...): no text of the configuration is ever compiled.
The tests are called in the order given and stop at the first decision, as `any(all(...))`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
Test = Callable[[T], Any]  # truthy: the condition holds

# The first lines of a generated function of `ev`: the names an Inline expression reads.
PRELUDE = ["flow = ev.flow", "is_flow = ev.kind == 'flow'"]
_BUILTINS = {"int": int, "str": str, "type": type}  # what the Inline expressions call
_FIELD = re.compile(r"\{(\w+)\}")


class Inline:
    """A test as one expression over `ev`, `flow` and `is_flow` (PRELUDE): each `{name}` in `template` is one of
    `values`, or a temporary bound with `:=`, renamed apart where it is written. Called, it is that expression
    alone (the plain path; any_of_all_source writes it in place)."""

    def __init__(self, template: str, **values: Any) -> None:
        self.template, self.values = template, values
        names: dict[str, Any] = {}
        self.alone = compile_statements([*PRELUDE, f"return {self.source(names)}"], names, "ev")

    def __call__(self, ev: Any) -> bool:
        return bool(self.alone(ev))

    def source(self, names: dict[str, Any]) -> str:
        fresh: dict[str, str] = {}
        for key in _FIELD.findall(self.template):
            if key not in fresh:
                fresh[key] = f"t{len(names)}"
                names[fresh[key]] = self.values.get(key)  # a temporary: None here, a local where assigned
        return self.template.format_map(fresh)


def any_of_all_source(groups: Sequence[Sequence[Test[T]]], names: dict[str, Any], arg: str) -> str:
    """A Python expression (over the variable `arg`, after PRELUDE for Inline tests) true when every
    test of some group holds; the tests are added to `names` as t<N>. No group: False; an empty group: True."""
    terms = []
    for group in groups:
        calls = []
        for test in group:
            if isinstance(test, Inline):
                calls.append(f"({test.source(names)})")
                continue
            name = f"t{len(names)}"
            names[name] = test
            calls.append(f"{name}({arg})")
        terms.append("(" + " and ".join(calls) + ")" if calls else "True")
    return " or ".join(terms) if terms else "False"


def compile_statements(body: list[str], names: dict[str, Any], arg: str) -> Callable[[Any], Any]:
    """A function of `arg` with these lines as its body, its free names taken from `names`."""
    namespace: dict[str, Any] = {"__builtins__": {}, **_BUILTINS, **names}
    source = "\n".join([f"def generated({arg}):", *(f"    {line}" for line in body)])
    exec(compile(source, "<flowlogs preview>", "exec"), namespace)  # noqa: S102 - built from positions only, see above
    function: Callable[[Any], Any] = namespace["generated"]
    return function

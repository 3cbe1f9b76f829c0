"""The agent's reading of CEL filters (FlowFilter ``experimental.cel_expression``).

Cilium 1.16-1.19 build one cel-go environment (pkg/hubble/filters/cel_expression.go):
``cel.NewEnv(cel.Container("flow"), cel.Types(&flowpb.Flow{}), cel.Variable("_flow",
cel.ObjectType("flow.Flow")))`` - the standard library, no extensions - then ``env.Compile`` (parse
and type-check) and require the output type to be ``bool`` ("got %q, wanted %q result type").
A failure makes the agent drop that flow log ("error compiling CEL expression").

Here the same environment is built with cel-expr-python, the CEL project's Python binding of
cel-cpp (its parser and type checker), over the Flow message of the targeted version
(``data/flow-<version>.yaml``, via flow_schema.descriptor_pool_for). Checked: syntax, names
(``_flow`` and the ``flow`` container: ``Verdict.DROPPED``, ``flow.Verdict.DROPPED``), field names
and types of the version's Flow, overloads (``uint`` vs ``int``: ``443u``), the bool result.
Not checked: evaluation-time errors (the agent logs them per flow and treats the flow as not
matching), and corner cases where cel-go and cel-cpp differ in their standard-library overloads.
"""

from __future__ import annotations

import functools

from cel_expr_python import cel  # type: ignore[import-untyped]  # ships .pyi files but no py.typed

from .agent_problem import AgentProblem
from .flow_schema import descriptor_pool_for

FLOW_VARIABLE = "_flow"
CONTAINER = "flow"


@functools.cache
def _env(version: str) -> cel.Env:
    return cel.NewEnv(
        descriptor_pool_for(version), variables={FLOW_VARIABLE: cel.Type("flow.Flow")}, container=CONTAINER
    )


def check_cel(expression: str, version: str) -> AgentProblem | None:
    """None if Cilium ``version``'s agent compiles ``expression`` as a boolean CEL filter."""
    try:
        compiled = _env(version).compile(expression)
    except RuntimeError as exc:
        detail = str(exc).removeprefix("INVALID_ARGUMENT: ").removesuffix(" [INVALID_ARGUMENT]").strip()
        first = detail.splitlines()[0].removeprefix("ERROR: ") if detail else "invalid expression"
        return AgentProblem(
            f"cel '{expression}' does not compile against Cilium {version}'s Flow ({first})",
            "write a boolean CEL expression over _flow using flow.proto field names, e.g. _flow.verdict == "
            "Verdict.DROPPED or _flow.l4.TCP.destination_port == 443u",
        )
    result = compiled.return_type()
    if result != cel.Type.BOOL:
        return AgentProblem(
            f"cel '{expression}' gives {result.name().lower()}, but the agent wants a bool (\"got ..., wanted bool "
            'result type")',
            "compare it, e.g. _flow.source.namespace == 'shop'",
        )
    return None

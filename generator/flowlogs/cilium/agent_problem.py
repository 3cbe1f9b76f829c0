"""What a standalone agent check reports: the problem, and the fix to suggest.

The checkers in ``agent_*`` modules reproduce what Cilium's agent does with one value of a
flowlogs.yaml entry; each returns ``None`` when the agent accepts the value, else an
``AgentProblem`` whose ``message`` names what is wrong and ``fix`` says what to write instead.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AgentProblem:
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.message}; {self.fix}"

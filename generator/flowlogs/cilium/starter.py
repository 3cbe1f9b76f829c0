"""The Cilium part of a `flowlogs init` starter profile."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..starter import Question, Starter
from .defaults import DEFAULT_FILE_PATH, STDOUT

# Files go beside the exporter's default file (/var/run/cilium/hubble/events.log).
_FILE_DIRECTORY = DEFAULT_FILE_PATH.rsplit("/", 1)[0]


class CiliumStarter(Starter):
    questions = (
        Question(
            "drops",
            "Only dropped flows (policy drops and every other drop reason)?",
            "cilium: log only dropped flows",
            default=True,
        ),
        Question(
            "stdout",
            "Write to the agent's stdout (read with kubectl logs) instead of a file?",
            "cilium: write to the agent's stdout instead of a file",
        ),
    )

    def describe(self, version: str, answers: Mapping[str, Any]) -> str:
        what = "dropped flows" if answers.get("drops") else "every flow"
        return f"Cilium {version}: {what}, to {'the agent stdout' if answers.get('stdout') else 'a file'}"

    def section(self, version: str, answers: Mapping[str, Any], argo_cd: bool) -> str:
        name = "drops" if answers.get("drops") else "all-flows"
        target = STDOUT if answers.get("stdout") else f"{_FILE_DIRECTORY}/{name}.log"
        lines = [
            "cilium:",
            f'  version: "{version}"',
            "  flow-logs:",
            "    # Each flow log is one entry of the exporter's flowlogs.yaml (name: its flowLogName).",
            f"    - name: {name}",
            "      # stdout: the agent's own log, never rotated (kubectl -n kube-system logs ds/cilium -c "
            "cilium-agent);",
            f"      # else a file on each node, under {_FILE_DIRECTORY}/.",
            f"      file: {target}",
        ]
        if answers.get("drops"):
            lines += [
                "      # Filters of include are OR'ed; the words of one filter are AND'ed.",
                "      include:",
                "        - verdict: dropped",
                "          # drop-reason: policy-denied     # only drops no policy allowed",
                "          # namespace: shop                # only flows from or to this namespace",
            ]
        else:
            lines += [
                "      # No include: every flow. Narrow it with filters (OR'ed; the words of one filter AND'ed):",
                "      # include:",
                "      #   - namespace: shop",
                "      #     verdict: [forwarded, dropped]",
            ]
        lines += ["      # exclude: flows to leave out, with the same words as include."]
        return "\n".join(lines) + "\n"

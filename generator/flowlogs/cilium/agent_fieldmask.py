"""fieldMask (and 1.19 fieldAggregate) paths as the agent reads them, with hints from the tables.

Errors: a path the version's agent rejects (fieldmaskpb.New / fieldmask.New; the flow log is then
not applied), with the nearest valid spelling or the version that has the field. Warnings: paths
below a oneof variant in a version with the cilium/cilium#43924 copy bug (see the data files'
``fieldmask_oneofs`` and ``fieldmask_oneof_copy_bug``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .agent_problem import AgentProblem
from .defaults import SUPPORTED_VERSIONS
from .tables import load_tables


@dataclass(frozen=True)
class FieldMaskFinding:
    index: int  # position of the path in the list
    severity: str  # "error" (the agent drops the flow log) or "warning"
    problem: AgentProblem


def check_fieldmask(paths: list[str], version: str, key: str = "fieldMask") -> list[FieldMaskFinding]:
    tables = load_tables(version)
    findings: list[FieldMaskFinding] = []
    for index, path in enumerate(paths):
        if path in tables.fieldmask_paths:
            field = path.split(".", 1)[0]
            if field in tables.fieldmask_deprecated:
                instead = tables.fieldmask_deprecated[field]
                fix = f"write '{instead}{path[len(field) :]}' instead" if instead else "leave it out"
                findings.append(
                    FieldMaskFinding(
                        index,
                        "warning",
                        AgentProblem(f"{key} path '{path}': flow.proto deprecates '{field}' (Cilium {version})", fix),
                    )
                )
            continue
        import difflib  # here: only an unknown path needs it

        newer = [v for v in SUPPORTED_VERSIONS if path in load_tables(v).fieldmask_paths]
        folded = {p.lower(): p for p in tables.fieldmask_paths}
        parent = path.rpartition(".")[0]
        ends_here = parent in tables.fieldmask_paths and not any(
            p.startswith(parent + ".") for p in tables.fieldmask_paths
        )
        if newer:
            fix = f"'{path}' exists from Cilium {newer[0]}: target that version or remove it"
        elif path.lower() in folded:
            fix = f"field names are case-sensitive: write '{folded[path.lower()]}'"
        elif ends_here:
            fix = f"'{parent}' is a list or a plain value, where a path must end: keep '{parent}' whole"
        elif close := difflib.get_close_matches(path, sorted(tables.fieldmask_paths), n=1, cutoff=0.8):
            fix = f"did you mean '{close[0]}'?"
        else:
            fix = "use flow.proto field names joined by dots, e.g. source.namespace or l4.TCP.destination_port"
        findings.append(
            FieldMaskFinding(
                index,
                "error",
                AgentProblem(
                    f"{key} path '{path}' is not a field of Cilium {version}'s Flow message, so the agent drops this "
                    "flow log",
                    fix,
                ),
            )
        )

    if tables.fieldmask_oneof_copy_bug == "fixed":
        return findings
    # fieldmask.New normalizes the mask first: a path under another listed path is dropped
    effective = [(i, p) for i, p in enumerate(paths) if not any(q != p and p.startswith(q + ".") for q in paths)]
    for parent, variants in tables.fieldmask_oneofs.items():
        named = {v: [i for i, p in effective if p.startswith(f"{parent}.{v}.")] for v in variants}
        named = {v: idx for v, idx in named.items() if idx}
        if not named:
            continue
        status = "has" if tables.fieldmask_oneof_copy_bug == "affected" else "may have"
        listed = " and ".join(f"{parent}.{v}" for v in named)
        if len(named) > 1:
            effect = (
                f"with fields below {listed}, each flow keeps only one of them, chosen at random, and may lose its "
                f"real {parent} data"
            )
        else:
            effect = f"with fields below {listed}, flows of another {parent} protocol get an empty {listed}"
        findings.append(
            FieldMaskFinding(
                min(i for idx in named.values() for i in idx),
                "warning",
                AgentProblem(
                    f"Cilium {version} {status} the fieldMask copy bug cilium/cilium#43924: {effect}",
                    f"name whole variants ({', '.join(f'{parent}.{v}' for v in named)}) or '{parent}' instead of "
                    "fields below them",
                ),
            )
        )
    return findings

"""`flowlogs status`: whether what a profile compiles to is in effect in a cluster, field by field.

The profile is compiled and rendered as `flowlogs render` does; each product says which fields of
which cluster objects show its part in effect (`Product.expected_state`, from the rendered
manifests); kubectl reads those objects as the API server stores them; each field is compared
(after the product's `read`, e.g. a YAML text parsed the way the agent reads it). Drift is a
field whose value differs, is not set, or an object that is not there.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from .current import compile_chart, selected_paths
from .errors import UserError
from .kubectl import Kubectl, Missing, ObjectRef, Selection
from .products import Expected
from .rendering import render_current


class State(str, Enum):
    IN_EFFECT = "in-effect"
    DRIFT = "drift"  # the field's value differs, or it is not set
    MISSING = "missing"  # the object is not there (or its kind is not served)


@dataclass(frozen=True)
class Finding:
    """One checked field (or a missing object) of one product's part."""

    product: str
    object: str  # "ConfigMap kube-system/cilium-flowlog-config"
    ref: Mapping[str, str]  # apiVersion, kind, namespace, name (the selector, for a selection that matched nothing)
    field: str  # 'data["flowlogs.yaml"].flowLogs[policy-drops].filePath'; "" for a missing object
    state: State
    expected: Any = None
    actual: Any = None
    message: str = ""  # why, in words (missing objects, unreadable values)
    hint: str = ""


@dataclass
class StatusReport:
    profile: str
    source: str
    context: str
    server: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things worth knowing that are not drift

    @property
    def in_effect(self) -> bool:
        return all(finding.state is State.IN_EFFECT for finding in self.findings)


class _Absent:
    def __repr__(self) -> str:
        return "(not set)"


ABSENT: Any = _Absent()


def profile_status(
    profile: str | None,
    values_dir: Path,
    chart_dir: Path,
    kubectl: Kubectl,
    *,
    release_name: str,
    namespace: str,
    helm: str | None,
    kube_version: str,
) -> StatusReport:
    """The profile's expected fields, read from the cluster and compared; ClusterError when it cannot be asked."""
    if profile is None:
        paths = selected_paths(values_dir, ())
        if len(paths) != 1:
            names = ", ".join(path.stem for path in paths)
            raise UserError(f"name the profile this cluster deploys: {values_dir} has {len(paths)} ({names})")
        profile = str(paths[0])
    context, server = kubectl.connect()  # before compiling: a cluster that cannot be asked is said first
    (compiled_profile,), chart = compile_chart(values_dir, chart_dir, selected_paths(values_dir, [profile]))
    text = render_current(
        chart.versioned(chart_dir),
        chart_dir,
        compiled_profile.name,
        helm=helm,
        release_name=release_name,
        namespace=namespace,
        kube_version=kube_version,
    )
    manifests = [document for document in yaml.safe_load_all(text) if isinstance(document, dict)]
    report = StatusReport(compiled_profile.name, compiled_profile.source, context, server)
    wanted = [
        (product, expected)
        for product, part in compiled_profile.products()
        for expected in product.expected_state(part, manifests)
    ]
    # The named objects in one kubectl run per namespace; any it could not read, one by one in order as needed.
    read = kubectl.get_all([expected.target for _, expected in wanted if isinstance(expected.target, ObjectRef)])
    one = functools.cache(kubectl.get)  # each object read once per run

    def get(ref: ObjectRef) -> Mapping[str, Any] | Missing:
        return read[ref] if ref in read else one(ref)

    select = functools.cache(kubectl.select)
    for product, expected in wanted:
        for finding in _check(product.key, expected, get, select, report.notes):
            # A missing object is said once, not once per field of it.
            if finding.state is not State.MISSING or not any(
                f.state is State.MISSING and f.object == finding.object for f in report.findings
            ):
                report.findings.append(finding)
    return report


def _ref_of(target: ObjectRef | Selection) -> dict[str, str]:
    named = {"name": target.name} if isinstance(target, ObjectRef) else {"selector": target.selector}
    return {"apiVersion": target.api_version, "kind": target.kind, "namespace": target.namespace, **named}


def _check(
    product: str,
    expected: Expected,
    get: Callable[[ObjectRef], Mapping[str, Any] | Missing],
    select: Callable[[Selection], list[Mapping[str, Any]] | Missing],
    notes: list[str],
) -> list[Finding]:
    target = expected.target
    if isinstance(target, ObjectRef):
        found = get(target)
        if isinstance(found, Missing):
            return [_missing(product, target, expected, found.reason)]
        return list(_compare(product, target, found, expected))
    matched = select(target)
    if isinstance(matched, Missing):
        return [_missing(product, target, expected, matched.reason)]
    if not matched:
        note = f"{target}: no object matches (nothing to check)"
        if note not in notes:
            notes.append(note)
        return []
    findings: list[Finding] = []
    for obj in matched:
        metadata = obj.get("metadata") or {}
        ref = ObjectRef(target.api_version, target.kind, str(metadata.get("name", "")), target.namespace)
        findings += _compare(product, ref, obj, expected)
    return findings


def _missing(product: str, target: ObjectRef | Selection, expected: Expected, reason: str) -> Finding:
    return Finding(product, str(target), _ref_of(target), "", State.MISSING, None, ABSENT, reason, expected.hint)


def _compare(product: str, ref: ObjectRef, obj: Mapping[str, Any], expected: Expected) -> Iterator[Finding]:
    def finding(state: State, path: Sequence[str], wanted: Any, actual: Any, message: str = "") -> Finding:
        hint = expected.hint if state is not State.IN_EFFECT else ""
        return Finding(product, str(ref), _ref_of(ref), field_name(path), state, wanted, actual, message, hint)

    raw = get_path(obj, expected.path)
    if raw is ABSENT or raw is None or raw == "":
        yield finding(State.DRIFT, expected.path, expected.value, ABSENT, "not set")
        return
    if expected.any_value:
        yield finding(State.IN_EFFECT, expected.path, expected.value, raw)
        return
    try:
        actual = expected.read(raw) if expected.read else raw
    except ValueError as error:
        yield finding(State.DRIFT, expected.path, expected.value, raw, f"unreadable: {error}")
        return
    differences = list(differences_between(expected.value, actual, ()))
    if not differences:
        yield finding(State.IN_EFFECT, expected.path, expected.value, actual)
        return
    for below, wanted, found in differences:
        yield finding(State.DRIFT, (*expected.path, *below), wanted, found)


def get_path(obj: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(obj, Mapping) or key not in obj:
            return ABSENT
        obj = obj[key]
    return obj


def differences_between(wanted: Any, actual: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    """(path below, wanted, actual) of each leaf that differs; mappings are compared key by key, other values whole."""
    if isinstance(wanted, Mapping) and isinstance(actual, Mapping):
        for key in sorted(set(wanted) | set(actual), key=str):
            yield from differences_between(wanted.get(key, ABSENT), actual.get(key, ABSENT), (*path, str(key)))
    elif wanted != actual:
        yield path, wanted, actual


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")


def field_name(path: Sequence[str]) -> str:
    """`spec.l7LogsFlushInterval`, `data["flowlogs.yaml"]`, as kubectl's JSONPath writes them."""
    text = ""
    for key in path:
        text += f".{key}" if _PLAIN_KEY.match(key) else f"[{json.dumps(key)}]"
    return text.lstrip(".")


# -- output


def _show(value: Any) -> str:
    if value is ABSENT:
        return "not set"
    text = json.dumps(value, sort_keys=True, separators=(", ", ": "))
    return text if len(text) <= 120 else text[:117] + "..."


def status_text(report: StatusReport) -> str:
    lines = [f"profile {report.profile} ({report.source}) on context {report.context} ({report.server}):"]
    for finding in report.findings:
        where = f"{finding.object}: {finding.field}" if finding.field else finding.object
        if finding.state is State.IN_EFFECT:
            lines.append(f"  in effect  {where}")
        elif finding.state is State.MISSING:
            lines.append(f"  MISSING    {finding.object}: {finding.message}")
        else:
            detail = f"is {_show(finding.actual)}" + (
                f" ({finding.message})" if finding.message and finding.message != "not set" else ""
            )
            wanted = (
                "the profile does not set it"
                if finding.expected is ABSENT
                else f"the profile sets {_show(finding.expected)}"
            )
            lines.append(f"  DRIFT      {where} {detail}, {wanted}")
        if finding.hint and finding.state is not State.IN_EFFECT:
            lines.append(f"             hint: {finding.hint}")
    lines += [f"  note: {note}" for note in report.notes]
    checked = len(report.findings)
    if report.in_effect:
        lines.append(f"{report.profile}: in effect ({checked} field(s) checked)")
    else:
        drift = sum(f.state is State.DRIFT for f in report.findings)
        missing = sum(f.state is State.MISSING for f in report.findings)
        lines.append(
            f"{report.profile}: NOT in effect: {drift} field(s) drifted, {missing} missing, of {checked} checked"
        )
    return "\n".join(lines) + "\n"


def status_json(report: StatusReport) -> dict[str, Any]:
    return {
        "profile": report.profile,
        "source": report.source,
        "context": report.context,
        "server": report.server,
        "in_effect": report.in_effect,
        "fields": [
            {
                "product": f.product,
                "object": dict(f.ref),
                "field": f.field,
                "state": f.state.value,
                "expected": None if f.expected is ABSENT else f.expected,
                "actual": None if f.actual is ABSENT else f.actual,
                "set": f.actual is not ABSENT,
                **({"message": f.message} if f.message else {}),
                **({"hint": f.hint} if f.hint else {}),
            }
            for f in report.findings
        ],
        "notes": report.notes,
    }

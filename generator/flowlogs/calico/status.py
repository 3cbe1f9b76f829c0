"""What shows a Calico Enterprise part in effect in a cluster (`flowlogs status`), from the rendered chart.

- ApplicationLayer `tigera-secure`: every field of the rendered spec, and the operator's ready state;
- job mode: what the patch Job's desired.json (the chart's state ConfigMap) sets: FelixConfiguration
  `default`'s fields, the Services' annotation, the workloads' pod-template label and annotation;
- gitops mode: every field of the partial manifests Argo CD applies (Argo CD's own annotations aside).

Fields the Tigera operator keeps (desired.json `facts.operatorFields`, e.g. policySyncPathPrefix:
the operator keeps an existing value, and so does the Job) are in effect with any value. Felix
durations compare as durations: Calico's API server returns metav1.Duration as Go prints it ("1m0s").
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..go_duration import format_duration, parse_duration
from ..kubectl import ObjectRef, Selection
from ..products import Expected
from .compile import CalicoCompiled
from .selectors import selector_text
from .tables import load_tables
from .words import DEFAULT_FELIX_API, FELIX_KNOBS

_STATE_KEY = "desired.json"
_ARGOCD_PREFIX = "argocd.argoproj.io/"
_WORKLOAD_API = "apps/v1"  # the patch Job's path for workloads (calico-l7-patch.py: /apis/apps/v1/...)
_HINT_JOB = "helm upgrade flowlogs' release with this profile: its hook Job sets the field again"
_HINT_GITOPS = "sync the profile's Argo CD Application (its partial manifests set the field again)"
_HINT_READY = (
    "the Tigera operator has not brought the L7 components up: kubectl get tigerastatus applicationlayer, and the "
    "operator's log"
)
_HINT_OPERATOR_FIELD = (
    "the Tigera operator sets it when the ApplicationLayer collects L7 logs: check the operator's log and `kubectl get "
    "tigerastatus`"
)
_HINT_OPERATOR = (
    "the Tigera operator writes the ApplicationLayer's components from this object: helm upgrade / sync flowlogs' "
    "release"
)


def duration(value: Any) -> str:
    """A Go duration ("60s", "1m0s", 60 as seconds) in Go's own spelling (time.Duration.String)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int):
        return format_duration(value * 10**9)
    return format_duration(parse_duration(str(value).strip()))


def _leaves(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Each scalar or list of a manifest's mapping, with its path (lists are compared whole)."""
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from _leaves(item, (*path, str(key)))
    else:
        yield path, value


def _felix_field(
    ref: ObjectRef, name: str, value: Any, operator_fields: set[str], duration_fields: set[str], hint: str
) -> Expected:
    path = ("spec", name)
    if name in operator_fields:
        return Expected(ref, path, value, any_value=True, hint=hint)
    if name in duration_fields:
        return Expected(ref, path, duration(value), duration, hint=hint)
    return Expected(ref, path, value, hint=hint)


def _targets(
    entries: Sequence[Mapping[str, Any]], api_version: str, fields: Sequence[tuple[tuple[str, ...], str]]
) -> Iterator[Expected]:
    """What the patch Job sets on each selected object (a Service selection names no kind)."""
    for target in entries:
        kind, namespace = target.get("kind", "Service"), target["namespace"]
        chosen: list[ObjectRef | Selection] = [
            ObjectRef(api_version, kind, name, namespace) for name in target.get("names") or []
        ]
        chosen += [Selection(api_version, kind, namespace, selector_text(s)) for s in target.get("selectors") or []]
        for ref in chosen:
            for path, value in fields:
                yield Expected(ref, path, value, hint=_HINT_JOB)


def _from_desired(desired: Mapping[str, Any], duration_fields: set[str]) -> Iterator[Expected]:
    facts = desired["facts"]
    operator_fields = set(facts.get("operatorFields") or ())
    felix = desired.get("felix") or {}
    ref = ObjectRef(str(felix.get("apiVersion") or DEFAULT_FELIX_API), "FelixConfiguration", "default")
    for name, value in (felix.get("spec") or {}).items():
        yield _felix_field(ref, name, value, operator_fields, duration_fields, _HINT_JOB)
    annotations = [(("metadata", "annotations", k), v) for k, v in (facts.get("serviceAnnotations") or {}).items()]
    yield from _targets(desired.get("services") or [], "v1", annotations)
    sidecar = facts.get("sidecar") or {}
    pod = [(("spec", "template", "metadata", "labels", k), v) for k, v in (sidecar.get("labels") or {}).items()]
    pod += [
        (("spec", "template", "metadata", "annotations", k), v) for k, v in (sidecar.get("annotations") or {}).items()
    ]
    yield from _targets(desired.get("workloads") or [], _WORKLOAD_API, pod)


def _from_partial(
    manifest: Mapping[str, Any], operator_fields: set[str], duration_fields: set[str]
) -> Iterator[Expected]:
    metadata = manifest["metadata"]
    ref = ObjectRef(manifest["apiVersion"], manifest["kind"], metadata["name"], metadata.get("namespace") or "")
    for group in ("labels", "annotations"):
        for key, value in (metadata.get(group) or {}).items():
            if not key.startswith(_ARGOCD_PREFIX):
                yield Expected(ref, ("metadata", group, key), value, hint=_HINT_GITOPS)
    for key, value in manifest.items():
        if key in ("apiVersion", "kind", "metadata"):
            continue
        for path, leaf in _leaves(value, (key,)):
            if manifest["kind"] == "FelixConfiguration" and len(path) == 2 and path[0] == "spec":
                yield _felix_field(ref, path[1], leaf, operator_fields, duration_fields, _HINT_GITOPS)
            else:
                yield Expected(ref, path, leaf, hint=_HINT_GITOPS)


def _is_partial(manifest: Mapping[str, Any]) -> bool:
    """A gitops-mode partial manifest: Argo CD applies it server-side onto an object someone else owns."""
    annotations = (manifest.get("metadata") or {}).get("annotations") or {}
    return "ServerSideApply=true" in str(annotations.get(_ARGOCD_PREFIX + "sync-options", ""))


def expected_state(part: CalicoCompiled, manifests: Sequence[Mapping[str, Any]]) -> list[Expected]:
    tables = load_tables(part.version)
    duration_fields = {name for name, f in tables.felix_fields.items() if f.type == "duration"}
    operator_fields = set(tables.operator_sets)
    expected: list[Expected] = []
    desired_seen = partial_seen = False
    for manifest in manifests:
        kind, metadata = manifest.get("kind"), manifest.get("metadata") or {}
        if kind == "ApplicationLayer":
            ref = ObjectRef(manifest["apiVersion"], kind, metadata["name"])
            expected += [
                Expected(ref, path, value, hint=_HINT_OPERATOR)
                for path, value in _leaves(manifest.get("spec") or {}, ("spec",))
            ]
            # Set by the operator once the L7 components it deployed are available (the patch Job waits for it too).
            expected.append(Expected(ref, ("status", "state"), tables.application_layer_ready_state, hint=_HINT_READY))
        elif _is_partial(manifest):
            partial_seen = True
            expected += _from_partial(manifest, operator_fields, duration_fields)
        elif kind == "ConfigMap" and _STATE_KEY in (manifest.get("data") or {}) and not desired_seen:
            # The first of the chart's copies of desired.json (state, apply and restore hooks hold the same).
            desired_seen = True
            expected += _from_desired(json.loads(manifest["data"][_STATE_KEY]), duration_fields)
    if partial_seen and not desired_seen:
        # gitops mode leaves the profile's fields that the operator owns (policySyncPathPrefix) out of
        # its manifests, as an Argo CD sync would overwrite them: the operator sets them for L7 logs,
        # and any value it keeps is in effect.
        felix_api = str((part.values.get("felix") or {}).get("apiVersion") or DEFAULT_FELIX_API)
        ref = ObjectRef(felix_api, "FelixConfiguration", "default")
        words = {knob.field for knob in FELIX_KNOBS}
        expected += [
            Expected(ref, ("spec", name), value, any_value=True, hint=_HINT_OPERATOR_FIELD)
            for name, value in sorted(tables.operator_sets.items())
            if name in words
        ]
    return expected

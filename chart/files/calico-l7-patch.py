#!/usr/bin/env python3
"""flowlogs: patch and restore the objects Calico Enterprise L7 logs need (chart `patchMode: job`; `wait` in `gitops`).

FelixConfiguration `default`, the selected Services and the selected workloads exist before the
chart and outlive it, so the chart cannot own them. The hook Jobs run this script:

  apply   <desired.json>                 post-install, post-upgrade: record, then merge-patch the owned fields;
                                         Services and workloads only once the operator reports the
                                         ApplicationLayer ready (workloads: its sidecar webhook up too)
  prune   <desired.json> <previous.json> pre-upgrade: restore the objects the new release no longer selects
  retire  <desired.json> <previous.json> pre-upgrade (job mode switched off): restore all the previous release set
  restore <desired.json>                 pre-delete: put the recorded values back and drop the record
  wait    <wait.json>                    patchMode gitops, an Argo CD Sync hook between the ApplicationLayer and the
                                         selections: only the apply Job's readiness wait, nothing is patched

The record lives on each patched object, in the annotation `flowlogs.dev/l7-restore`: a JSON merge
patch that restores what was there before the first apply (null = the field was absent). It is
written in the same request as the change (with the object's resourceVersion), so an object and
its record never disagree; later applies keep the first record, so re-runs are idempotent.

The fields the Tigera operator owns (desired.json `facts.operatorFields`, e.g. policySyncPathPrefix,
which it sets whenever an ApplicationLayer is enabled and never clears) are set only when empty and
never recorded or restored: restoring them would race with the operator.

Transient API errors (429, 5xx, connection reset, timeout) are retried with backoff; every other
problem is reported per object, the run goes on, and the exit code is 1 at the end. The facts
(annotations, labels, resource names) come from desired.json, rendered from the chart's values.

Python 3 standard library only; the API is reached in-cluster with the ServiceAccount token.
"""

from __future__ import annotations

import functools
import json
import os
import re
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any, Protocol, Required, TextIO, TypeAlias, TypedDict, cast

Obj: TypeAlias = dict[str, Any]  # a Kubernetes object as JSON
Patch: TypeAlias = dict[str, Any]  # a JSON merge patch (null = remove the field)
FieldPath: TypeAlias = tuple[str, ...]  # keys from an object's root to one field


# Callback protocols, not Callable: the chart renders this file with Jinja, where two opening square brackets start an
# expression.
class Plan(Protocol):
    """plan(obj) -> (merge patch or None, notes)."""

    def __call__(self, obj: Obj, /) -> tuple[Patch | None, list[FieldPath]]: ...


class Selects(Protocol):
    """Whether a selection (still) covers the object."""

    def __call__(self, obj: Obj, /) -> bool: ...


class Sleep(Protocol):
    def __call__(self, seconds: float, /) -> None: ...


class Clock(Protocol):
    def __call__(self) -> float: ...


class SelectorExpression(TypedDict, total=False):
    key: Required[str]
    operator: Required[str]  # In, NotIn, Exists, DoesNotExist
    values: list[str]


class Selector(TypedDict, total=False):
    """A Kubernetes label selector."""

    matchLabels: dict[str, str]
    matchExpressions: list[SelectorExpression]


class Target(TypedDict, total=False):
    """The Services (no kind) or workloads of one kind selected in one namespace."""

    kind: str
    namespace: Required[str]
    names: list[str]
    selectors: list[Selector]


class Felix(TypedDict, total=False):
    apiVersion: str
    spec: dict[str, Any] | None


class ApplicationLayerFacts(TypedDict):
    apiVersion: str
    name: str
    readyState: str
    readyCondition: str  # status.conditions type, True once everything the operator deployed is available
    degradedCondition: str


class Rollout(TypedDict):
    kind: str  # Deployment | DaemonSet
    namespace: str
    name: str


class Sidecar(TypedDict, total=False):
    labels: dict[str, str]
    annotations: dict[str, str]
    webhookState: str  # ApplicationLayer status.sidecarWebhook once the webhook exists
    waitFor: list[Rollout]  # rolled out before workloads are selected (the 3.20 guide's rollout status)


class Facts(TypedDict):
    """The chart's calico.upstream facts for the release's Calico Enterprise version."""

    applicationLayer: ApplicationLayerFacts
    serviceAnnotations: dict[str, str]
    sidecar: Sidecar
    operatorFields: list[str]
    workloadResources: dict[str, str]


class Desired(TypedDict, total=False):
    """desired.json, as the chart renders it (wait.json: the same without felix)."""

    felix: Felix | None
    services: list[Target] | None
    workloads: list[Target] | None
    facts: Facts
    readyTimeoutSeconds: int


RECORD = "flowlogs.dev/l7-restore"
ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
DURATION = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h))+")  # Felix's duration fields (their CRD pattern)
DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
TRANSIENT_STATUSES = frozenset((429, 500, 502, 503, 504))  # worth another try; 0 = no HTTP answer at all
ATTEMPTS = 6  # per API call: waits of 1, 2, 4, 8, 16 s in between (or the server's Retry-After, at most 30 s)
FIRST_DELAY = 1.0
MAX_DELAY = 30.0
READY_POLL_FIRST = 2.0  # the ApplicationLayer status is polled every 2, 4, ... up to 30 s
READY_POLL_MAX = 30.0


class ApiError(Exception):
    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status  # HTTP status; 0 when the request got no answer (reset, timeout, refused)
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.status == 0 or self.status in TRANSIENT_STATUSES


class ObjectError(Exception):
    """A problem with one object that another attempt will not fix (reported, the run goes on)."""


def retry_after(value: str | None) -> float | None:
    """The Retry-After header in seconds (the API server sends whole seconds), at most MAX_DELAY."""
    try:
        return min(float(value), MAX_DELAY) if value else None
    except ValueError:
        return None


class Api:
    """The few Kubernetes API calls the script needs, over urllib, with retries of transient errors."""

    def __init__(self, base: str, token_file: str, ca_file: str, sleep: Sleep = time.sleep) -> None:
        self.base = base
        self.token_file = token_file
        self.context = ssl.create_default_context(cafile=ca_file)
        self.sleep = sleep

    @classmethod
    def in_cluster(cls, sleep: Sleep = time.sleep) -> Api:
        host = os.environ["KUBERNETES_SERVICE_HOST"]
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        if ":" in host:
            host = "[" + host + "]"
        return cls("https://" + host + ":" + port, ACCOUNT + "/token", ACCOUNT + "/ca.crt", sleep)

    def _call(self, method: str, path: str, body: Patch | None = None) -> Any:
        """The decoded JSON response; transient errors are retried ATTEMPTS times with backoff."""
        delay = FIRST_DELAY
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._once(method, path, body)
            except ApiError as error:
                if not error.transient or attempt == ATTEMPTS:
                    raise
                wait = error.retry_after if error.retry_after is not None else delay
                print("retrying in %gs: %s" % (wait, error), file=sys.stderr, flush=True)
                self.sleep(wait)
                delay = min(delay * 2, MAX_DELAY)
        raise AssertionError("unreachable")

    def _once(self, method: str, path: str, body: Patch | None) -> Any:
        with open(self.token_file, encoding="utf-8") as stream:  # re-read: bound tokens rotate
            token = stream.read().strip()
        headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/merge-patch+json"
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            try:
                detail = json.loads(detail).get("message", detail)
            except (ValueError, AttributeError):
                pass
            answer_headers = error.headers
            raise ApiError(
                error.code,
                method + " " + path + ": " + str(error.code) + " " + str(detail),
                retry_after(answer_headers.get("Retry-After") if answer_headers is not None else None),
            ) from None
        except (urllib.error.URLError, OSError) as error:  # connection refused/reset, TLS, timeout
            reason = getattr(error, "reason", None) or error
            raise ApiError(0, method + " " + path + ": " + type(reason).__name__ + ": " + str(reason)) from None
        except ValueError as error:  # a body that is not JSON (a proxy's error page)
            raise ApiError(0, method + " " + path + ": answer is not JSON: " + str(error)) from None

    def get(self, path: str) -> Obj | None:
        try:
            return cast(Obj | None, self._call("GET", path))
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    def list(self, path: str, selector: str | None = None, name: str | None = None) -> list[Obj]:
        query = {"labelSelector": selector} if selector else {}
        if name:
            query["fieldSelector"] = "metadata.name=" + name
        return self._call("GET", path + ("?" + urllib.parse.urlencode(query) if query else "")).get("items") or []

    def patch(self, path: str, body: Patch) -> Obj:
        return cast(Obj, self._call("PATCH", path, body))


# ------------------------------------------------------------------ merge-patch arithmetic


def leaves(tree: dict[str, Any], prefix: FieldPath = ()) -> Iterator[tuple[FieldPath, Any]]:
    """(path, value) of every non-mapping value of a nested mapping (empty mappings have none)."""
    for key in sorted(tree):
        value = tree[key]
        if isinstance(value, dict):
            yield from leaves(value, prefix + (key,))
        else:
            yield prefix + (key,), value


def get_path(obj: Any, path: FieldPath) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def set_path(tree: dict[str, Any], path: FieldPath, value: Any) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def seconds(text: object) -> float | None:
    """A Go duration ("60s", "1m0s") in seconds; None for anything else."""
    if not isinstance(text, str) or not DURATION.fullmatch(text):
        return None
    return round(sum(float(number) * UNIT_SECONDS[unit] for number, unit in DURATION_PART.findall(text)), 9)


def same(current: object, wanted: object) -> bool:
    """Equal values. Calico's API server returns durations as Go prints them (60s reads back as
    1m0s, a metav1.Duration), so durations compare by length of time."""
    if current == wanted:
        return True
    return seconds(current) is not None and seconds(current) == seconds(wanted)


def show(path: FieldPath) -> str:
    return ".".join(path[1:] if path[0] in ("spec", "metadata") and len(path) > 1 else path)


def read_record(obj: Obj) -> Patch:
    text = get_path(obj, ("metadata", "annotations", RECORD))
    if not text:
        return {}
    try:
        record = json.loads(text)
    except ValueError:
        raise ObjectError("annotation " + RECORD + " is not JSON; fix or remove it by hand") from None
    return record if isinstance(record, dict) else {}


def encode(record: Patch) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def name_of(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    kind = obj.get("kind") or "object"
    return (
        kind
        + " "
        + ("%s/%s" % (meta["namespace"], meta.get("name")) if meta.get("namespace") else str(meta.get("name")))
    )


def without_noops(obj: Obj, patch: Patch) -> Patch | None:
    """Drop the leaves the object already has; None when nothing is left to change."""
    result: Patch = {}
    for path, value in leaves(patch):
        if not same(get_path(obj, path), value):
            set_path(result, path, value)
    return result or None


def plan_apply(obj: Obj, desired: Patch, operator_owned: frozenset[FieldPath] = frozenset()) -> Patch | None:
    """The merge patch that sets `desired` and records what was there before (None: nothing to do).

    Record entries of fields no longer desired are put back (a setting removed from the profile).
    Fields the operator owns are set only when empty, and never recorded (an older record of
    one is dropped, not restored).
    """
    record = dict(leaves(read_record(obj)))
    wanted = dict(leaves(desired))
    new_record: Patch = {}
    patch: Patch = {}
    for path, value in wanted.items():
        if path in operator_owned:
            if get_path(obj, path) in (None, ""):
                set_path(patch, path, value)
            continue
        set_path(new_record, path, record[path] if path in record else get_path(obj, path))
        set_path(patch, path, value)
    for path, value in record.items():
        if path not in wanted and path not in operator_owned:
            set_path(patch, path, value)
    set_path(patch, ("metadata", "annotations", RECORD), encode(new_record) if new_record else None)
    return without_noops(obj, patch)


def plan_restore(
    obj: Obj, desired: Patch, operator_owned: frozenset[FieldPath] = frozenset()
) -> tuple[Patch | None, list[FieldPath]]:
    """The merge patch that puts the recorded values back and drops the record.

    A field whose value is no longer what flowlogs set (`desired`) was changed by someone else
    since: it is left alone. Returns (patch, [paths left alone]); (None, []) without a record.
    Fields the operator owns are never put back (a record written by an older chart may hold one).
    """
    if get_path(obj, ("metadata", "annotations", RECORD)) is None:
        return None, []
    wanted = dict(leaves(desired))
    patch: Patch = {}
    kept: list[FieldPath] = []
    for path, value in leaves(read_record(obj)):
        if path in operator_owned:
            continue
        if path in wanted and not same(get_path(obj, path), wanted[path]):
            kept.append(path)
            continue
        set_path(patch, path, value)
    set_path(patch, ("metadata", "annotations", RECORD), None)
    return without_noops(obj, patch), kept


# ------------------------------------------------------------------------ label selectors


def selector_text(selector: Selector) -> str:
    parts = ["%s=%s" % item for item in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], ",".join(expression.get("values") or [])
        parts.append(
            {
                "In": key + " in (" + values + ")",
                "NotIn": key + " notin (" + values + ")",
                "Exists": key,
                "DoesNotExist": "!" + key,
            }[operator]
        )
    return ",".join(parts)


def selector_matches(selector: Selector, labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


# --------------------------------------------------------------------------------- readiness


def layer_not_ready(obj: Obj, layer: ApplicationLayerFacts, sidecar: Sidecar | None) -> str:
    """What keeps the ApplicationLayer from being ready ("" when nothing). The operator sets
    status.state once and never clears it; its conditions (from TigeraStatus, with the
    observedGeneration they were computed for) say what is current (tigera/operator
    pkg/controller/applicationlayer/applicationlayer_controller.go, pkg/controller/status)."""
    generation = get_path(obj, ("metadata", "generation"))
    conditions = {c.get("type"): c for c in get_path(obj, ("status", "conditions")) or [] if isinstance(c, dict)}
    ready, degraded = conditions.get(layer["readyCondition"]), conditions.get(layer["degradedCondition"])
    if ready is None:
        return "no " + layer["readyCondition"] + " condition yet"
    if generation is not None and ready.get("observedGeneration") != generation:
        return (
            "conditions are of generation "
            + str(ready.get("observedGeneration"))
            + ", the object is at "
            + str(generation)
        )
    if degraded is not None and degraded.get("status") == "True":
        return layer["degradedCondition"] + ": " + str(degraded.get("reason")) + ": " + str(degraded.get("message"))
    if ready.get("status") != "True":
        return (
            layer["readyCondition"]
            + " "
            + str(ready.get("status"))
            + (": " + str(ready["message"]) if ready.get("message") else "")
        )
    if sidecar is not None and get_path(obj, ("status", "sidecarWebhook")) != sidecar.get("webhookState"):
        return "status.sidecarWebhook " + json.dumps(get_path(obj, ("status", "sidecarWebhook")))
    return ""


def rollout_not_done(obj: Obj, kind: str) -> str:
    """What a Deployment's or DaemonSet's rollout still waits for ("" when done), as `kubectl rollout
    status` judges it (kubernetes staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go)."""
    status = obj.get("status") or {}
    if (get_path(obj, ("metadata", "generation")) or 0) > (status.get("observedGeneration") or 0):
        return "spec update not observed yet"
    if kind == "Deployment":
        for condition in status.get("conditions") or []:
            if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
                return "exceeded its progress deadline"
        replicas = get_path(obj, ("spec", "replicas"))
        updated = status.get("updatedReplicas") or 0
        if replicas is not None and updated < replicas:
            return "%d out of %d new replicas updated" % (updated, replicas)
        if (status.get("replicas") or 0) > updated:
            return "%d old replicas pending termination" % ((status.get("replicas") or 0) - updated)
        if (status.get("availableReplicas") or 0) < updated:
            return "%d of %d updated replicas available" % (status.get("availableReplicas") or 0, updated)
        return ""
    desired = status.get("desiredNumberScheduled") or 0
    if (status.get("updatedNumberScheduled") or 0) < desired:
        return "%d out of %d new pods updated" % (status.get("updatedNumberScheduled") or 0, desired)
    if (status.get("numberAvailable") or 0) < desired:
        return "%d of %d updated pods available" % (status.get("numberAvailable") or 0, desired)
    return ""


# ------------------------------------------------------------------------------- targets


def felix_path(api_version: str) -> str:
    return "/apis/" + api_version + "/felixconfigurations/default"


def application_layer_path(facts: Facts) -> str:
    layer = facts["applicationLayer"]
    return "/apis/" + layer["apiVersion"] + "/applicationlayers/" + layer["name"]


def service_patch(facts: Facts) -> Patch:
    return {"metadata": {"annotations": dict(facts["serviceAnnotations"])}}


def workload_patch(facts: Facts) -> Patch:
    sidecar = facts["sidecar"]
    return {
        "spec": {
            "template": {
                "metadata": {
                    "labels": dict(sidecar.get("labels") or {}),
                    "annotations": dict(sidecar.get("annotations") or {}),
                }
            }
        }
    }


def targets(desired: Desired, facts: Facts) -> Iterator[tuple[str, str, Patch, Target]]:
    """(kind, collection path, patch, target) for every Service / workload selection."""
    for target in desired.get("services") or []:
        yield "Service", "/api/v1/namespaces/" + target["namespace"] + "/services", service_patch(facts), target
    for target in desired.get("workloads") or []:
        resource = facts["workloadResources"][target["kind"]]
        yield (
            target["kind"],
            "/apis/apps/v1/namespaces/" + target["namespace"] + "/" + resource,
            workload_patch(facts),
            target,
        )


def is_selected(desired: Desired, facts: Facts, kind: str, namespace: str, obj: Obj) -> bool:
    meta = obj.get("metadata") or {}
    for target_kind, _, _, target in targets(desired, facts):
        if target_kind != kind or target["namespace"] != namespace:
            continue
        if meta.get("name") in (target.get("names") or []):
            return True
        if any(selector_matches(s, meta.get("labels")) for s in target.get("selectors") or []):
            return True
    return False


def with_kind(obj: Obj, kind: str) -> Obj:
    obj.setdefault("kind", kind)
    return obj


def object_label(kind: str, collection: str, name: str) -> str:
    """'Service shop/frontend', 'FelixConfiguration default' (as name_of says it)."""
    if "/namespaces/" in collection:
        return kind + " " + collection.split("/namespaces/")[1].split("/")[0] + "/" + name
    return kind + " " + name


def describe_error(error: Exception) -> str:
    hint = " (the Job's RBAC does not allow it)" if isinstance(error, ApiError) and error.status == 403 else ""
    return str(error) + hint


class Runner:
    def __init__(
        self, api: Api, facts: Facts, out: TextIO = sys.stdout, sleep: Sleep = time.sleep, clock: Clock = time.monotonic
    ) -> None:
        self.api = api
        self.facts = facts
        self.out = out
        self.sleep = sleep
        self.clock = clock
        self.problems: list[str] = []
        self.operator_owned = frozenset(("spec", field) for field in facts["operatorFields"])

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _patch(self, path: str, obj: Obj, patch: Patch) -> None:
        """Merge-patch with the resourceVersion the plan was made from (409 = changed meanwhile)."""
        version = get_path(obj, ("metadata", "resourceVersion"))
        if version:
            set_path(patch, ("metadata", "resourceVersion"), version)
        self.api.patch(path, patch)

    def _read(self, collection: str, name: str, kind: str, listed: bool) -> Obj | None:
        """One object: GET where the RBAC names it, else a list by name (selector namespaces allow list only)."""
        if listed:
            items = self.api.list(collection, name=name)
            obj = items[0] if items else None
        else:
            obj = self.api.get(collection + "/" + name)
        return with_kind(obj, kind) if obj is not None else None

    def _converge(
        self, collection: str, name: str, kind: str, listed: bool, plan: Plan
    ) -> tuple[Obj | None, Patch | None, list[FieldPath]]:
        """Read, plan(obj) -> (patch or None, notes), PATCH; start over when the object changed in
        between. Returns (the object as read, patch, notes); (None, None, []) when it does not exist."""
        path = collection + "/" + name
        for _ in range(5):
            obj = self._read(collection, name, kind, listed)
            if obj is None:
                return None, None, []
            patch, notes = plan(obj)
            if patch is not None:
                try:
                    self._patch(path, obj, patch)
                except ApiError as error:
                    if error.status == 409:
                        continue
                    raise
            return obj, patch, notes
        raise ObjectError("it kept changing; gave up after 5 attempts")

    def _describe(self, obj: Obj, patch: Patch | None) -> str:
        changes: list[str] = []
        for path, value in leaves(patch or {}):
            if path[-1] in (RECORD, "resourceVersion"):
                continue
            before = get_path(obj, path)
            after = "removed" if value is None else json.dumps(value)
            changes.append(show(path) + ": " + ("absent" if before is None else json.dumps(before)) + " -> " + after)
        return "; ".join(changes) or "record updated"

    def _failed(self, what: str, doing: str, error: Exception) -> None:
        self.problems.append(what + " not " + doing + ": " + describe_error(error))

    # -- apply

    def apply_object(self, collection: str, name: str, kind: str, desired_patch: Patch, listed: bool = False) -> bool:
        """Set the owned fields; False when the object does not exist. A failure is reported
        (self.problems) and the run goes on."""
        what = object_label(kind, collection, name)
        try:
            obj, patch, _ = self._converge(
                collection, name, kind, listed, lambda obj: (plan_apply(obj, desired_patch, self.operator_owned), [])
            )
        except (ApiError, ObjectError) as error:
            self._failed(what, "changed", error)
            return True
        if obj is None:
            return False
        self.say(name_of(obj) + ": " + (self._describe(obj, patch) if patch else "unchanged"))
        for path in sorted(self.operator_owned):
            wanted, current = get_path(desired_patch, path), get_path(obj, path)
            if wanted is not None and current not in (None, "") and not same(current, wanted):
                self.say(
                    name_of(obj) + ": " + show(path) + " is " + json.dumps(current) + ", left to the Tigera operator"
                )
        return True

    def restore_object(
        self,
        collection: str,
        name: str,
        kind: str,
        desired_patch: Patch,
        listed: bool = False,
        still_selected: Selects | None = None,
    ) -> bool:
        """Put the recorded values back, unless `still_selected(obj)`; False when the object does
        not exist. A failure is reported (self.problems) and the run goes on."""

        def plan(obj: Obj) -> tuple[Patch | None, list[FieldPath]]:
            if still_selected is not None and still_selected(obj):
                return None, []
            return plan_restore(obj, desired_patch, self.operator_owned)

        what = object_label(kind, collection, name)
        try:
            obj, patch, kept = self._converge(collection, name, kind, listed, plan)
        except (ApiError, ObjectError) as error:
            self._failed(what, "restored", error)
            return True
        if obj is None:
            return False
        if patch is not None:  # None: no record, nothing of ours to put back
            self.say(name_of(obj) + ": restored " + self._describe(obj, patch))
        for field in kept:
            self.say(name_of(obj) + ": " + show(field) + " was changed since flowlogs set it; left as is")
        return True

    def _not_ready(self, sidecar: bool) -> str | None:
        """What the Job still waits for ("": nothing), None when the ApplicationLayer is missing."""
        layer = self.facts["applicationLayer"]
        obj = self.api.get(application_layer_path(self.facts))
        if obj is None:
            return None
        seen = layer_not_ready(obj, layer, self.facts["sidecar"] if sidecar else None)
        if seen or not sidecar:
            return seen
        for rollout in self.facts["sidecar"].get("waitFor") or []:
            path = (
                "/apis/apps/v1/namespaces/"
                + rollout["namespace"]
                + "/"
                + self.facts["workloadResources"][rollout["kind"]]
                + "/"
                + rollout["name"]
            )
            workload = self.api.get(path)
            problem = rollout_not_done(workload, rollout["kind"]) if workload is not None else "not found"
            if problem:
                return rollout["kind"] + " " + rollout["namespace"] + "/" + rollout["name"] + ": " + problem
        return ""

    def wait_ready(self, timeout: float, sidecar: bool = False) -> bool:
        """Poll until the ApplicationLayer is ready at its generation and not degraded, and (sidecar)
        its webhook is up and the guide's rollouts are done (backoff, bounded)."""
        what = "ApplicationLayer " + self.facts["applicationLayer"]["name"]
        deadline = self.clock() + timeout
        delay = READY_POLL_FIRST
        while True:
            try:
                seen = self._not_ready(sidecar)
            except ApiError as error:
                self.problems.append(what + ": cannot read its status: " + describe_error(error))
                return False
            if seen == "":
                self.say(what + ": ready" + (" and the sidecar webhook is up" if sidecar else ""))
                return True
            seen = seen or "not found"
            left = deadline - self.clock()
            if left <= 0:
                self.problems.append(
                    what + " not ready after " + "%g" % timeout + "s (" + seen + "): no Service or workload "
                    "was selected; see `kubectl get tigerastatus applicationlayer` and the Tigera operator's log"
                )
                return False
            self.say(what + ": " + seen + ", waiting")
            self.sleep(min(delay, left))
            delay = min(delay * 2, READY_POLL_MAX)

    def wait(self, desired: Desired) -> bool:
        """What has to be up before traffic is selected (readyTimeoutSeconds 0: nothing); False when it
        was not in time (reported in self.problems)."""
        timeout = desired.get("readyTimeoutSeconds", 0)
        sidecar = bool(desired.get("workloads")) and bool(self.facts["sidecar"].get("waitFor"))
        return timeout <= 0 or self.wait_ready(timeout, sidecar)

    def apply(self, desired: Desired) -> None:
        felix = desired.get("felix") or {}
        path = felix_path(felix.get("apiVersion", "projectcalico.org/v3"))
        collection, name = path.rsplit("/", 1)
        if not self.apply_object(collection, name, "FelixConfiguration", {"spec": felix.get("spec") or {}}):
            self.problems.append(
                "FelixConfiguration default not found at "
                + path
                + ": is Calico Enterprise installed"
                + (" (with its API server, for projectcalico.org/v3)?" if "/projectcalico.org/" in path else "?")
            )
        selections = list(targets(desired, self.facts))
        if selections and not self.wait(desired):
            return
        for kind, collection, desired_patch, target in selections:
            for name in target.get("names") or []:
                if not self.apply_object(collection, name, kind, desired_patch):
                    self.problems.append(kind + " " + target["namespace"] + "/" + name + " not found")
            if target.get("selectors"):
                try:
                    self._apply_selected(desired, kind, collection, desired_patch, target)
                except ApiError as error:
                    self.problems.append(
                        kind + " in " + target["namespace"] + ": selection not applied: " + describe_error(error)
                    )

    def _apply_selected(
        self, desired: Desired, kind: str, collection: str, desired_patch: Patch, target: Target
    ) -> None:
        matched: set[str] = set()
        for selector in target["selectors"]:
            for obj in self.api.list(collection, selector_text(selector)):
                name = obj["metadata"]["name"]
                if name not in matched:
                    matched.add(name)
                    self.apply_object(
                        collection, name, kind, desired_patch, listed=name not in (target.get("names") or [])
                    )
        if not matched:
            self.say(
                kind
                + " in "
                + target["namespace"]
                + ": no object matches "
                + " or ".join(selector_text(s) for s in target["selectors"])
            )
        # Objects patched earlier whose labels no longer match: put them back.
        for obj in self.api.list(collection):
            if get_path(obj, ("metadata", "annotations", RECORD)) is not None and not is_selected(
                desired, self.facts, kind, target["namespace"], obj
            ):
                self.restore_object(collection, obj["metadata"]["name"], kind, desired_patch, listed=True)

    # -- restore / prune

    def _recorded(self, collection: str, target: Target) -> list[str]:
        """Names of the objects of a selection that may carry a record."""
        names = set(target.get("names") or [])
        if target.get("selectors"):  # list is allowed in these namespaces: find every record
            names.update(
                obj["metadata"]["name"]
                for obj in self.api.list(collection)
                if get_path(obj, ("metadata", "annotations", RECORD)) is not None
            )
        return sorted(names)

    def restore(self, desired: Desired, keep: Desired | None = None) -> None:
        """Restore every recorded object of `desired`, except those `keep` still selects (prune:
        FelixConfiguration is then left to the apply Job). Every object is tried; failures are
        collected in self.problems."""
        for kind, collection, desired_patch, target in targets(desired, self.facts):
            still_selected = (
                None if keep is None else functools.partial(is_selected, keep, self.facts, kind, target["namespace"])
            )
            try:
                names = self._recorded(collection, target)
            except ApiError as error:
                self.problems.append(
                    kind + " in " + target["namespace"] + " not restored: cannot list them: " + describe_error(error)
                )
                names = sorted(target.get("names") or [])
            for name in names:
                listed = name not in (target.get("names") or [])
                self.restore_object(collection, name, kind, desired_patch, listed, still_selected)
        if keep is None:
            felix = desired.get("felix") or {}
            collection, name = felix_path(felix.get("apiVersion", "projectcalico.org/v3")).rsplit("/", 1)
            if not self.restore_object(collection, name, "FelixConfiguration", {"spec": felix.get("spec") or {}}):
                self.say("FelixConfiguration default not found: nothing to restore")
                return
            for field in sorted(self.operator_owned):
                if get_path({"spec": felix.get("spec") or {}}, field) is not None:
                    self.say(
                        "FelixConfiguration default: "
                        + show(field)
                        + (" left to the Tigera operator (it keeps it while an ApplicationLayer is enabled)")
                    )


def load(path: str) -> Desired:
    with open(path, encoding="utf-8") as stream:
        return cast(Desired, json.load(stream))


USAGE = "usage: calico-l7-patch.py apply|restore|wait DESIRED.json | prune|retire DESIRED.json PREVIOUS.json"


def main(
    argv: list[str],
    api: Api | None = None,
    out: TextIO = sys.stdout,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> int:
    """Exit code 0 (all done), 1 (something was not done: every problem printed), 2 (usage).
    Never a traceback: the Job log says what failed and what to do."""
    two = ("prune", "retire")
    if len(argv) < 3 or argv[1] not in ("apply", "restore", "wait", *two) or (argv[1] in two) != (len(argv) == 4):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        desired = load(argv[2])
        previous = load(argv[3]) if argv[1] in two else None
        facts = desired["facts"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        print("error: cannot read the desired state: " + type(error).__name__ + ": " + str(error), file=sys.stderr)
        return 1
    try:
        runner = Runner(api or Api.in_cluster(sleep=sleep), facts, out, sleep, clock)
        if argv[1] == "apply":
            runner.apply(desired)
        elif argv[1] == "restore":
            runner.restore(desired)
        elif argv[1] == "wait":
            runner.wait(desired)
        elif argv[1] == "prune":
            assert previous is not None
            runner.restore(previous, keep=desired)
        else:
            assert previous is not None
            runner.restore(previous)
    except Exception as error:  # noqa: BLE001 - the Job log gets one line, not a traceback
        print("error: " + type(error).__name__ + ": " + describe_error(error), file=sys.stderr)
        return 1
    for problem in runner.problems:
        print("error: " + problem, file=sys.stderr)
    if runner.problems and argv[1] in ("restore", "retire"):
        print(
            "error: " + str(len(runner.problems)) + " problem(s); everything else listed above was restored. Fix them "
            "and run "
            "the Job again, or uninstall without restoring: helm uninstall --no-hooks",
            file=sys.stderr,
        )
    return 1 if runner.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

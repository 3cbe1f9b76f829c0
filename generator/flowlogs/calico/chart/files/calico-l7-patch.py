#!/usr/bin/env python3
"""flowlogs: patch and restore the objects Calico Enterprise L7 logs need (chart `patchMode: job`).

FelixConfiguration `default`, the selected Services and the selected workloads exist before the
chart and outlive it, so the chart cannot own them. The hook Jobs run this script:

  apply   <desired.json>                 post-install, post-upgrade: record, then merge-patch the owned fields
  prune   <desired.json> <previous.json> pre-upgrade: restore the objects the new release no longer selects
  restore <desired.json>                 pre-delete: put the recorded values back and drop the record

The record lives on each patched object, in the annotation `flowlogs.dev/l7-restore`: a JSON merge
patch that restores what was there before the first apply (null = the field was absent). It is
written in the same request as the change (with the object's resourceVersion), so an object and
its record never disagree; later applies keep the first record, so re-runs are idempotent.

Python 3 standard library only; the API is reached in-cluster with the ServiceAccount token.
"""

from __future__ import annotations

import functools
import json
import os
import re
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any, Protocol, Required, TextIO, TypeAlias, TypedDict, cast

Obj: TypeAlias = dict[str, Any]  # a Kubernetes object as JSON
Patch: TypeAlias = dict[str, Any]  # a JSON merge patch (null = remove the field)
FieldPath: TypeAlias = tuple[str, ...]  # keys from an object's root to one field


# Callback protocols, not Callable: the chart renders this file with Jinja, where two opening square brackets start an expression.
class Plan(Protocol):
    """plan(obj) -> (merge patch or None, notes)."""

    def __call__(self, obj: Obj, /) -> tuple[Patch | None, list[FieldPath]]: ...


class Selects(Protocol):
    """Whether a selection (still) covers the object."""

    def __call__(self, obj: Obj, /) -> bool: ...


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


class Desired(TypedDict, total=False):
    """desired.json, as the chart renders it."""

    felix: Felix | None
    services: list[Target] | None
    workloads: list[Target] | None


RECORD = "flowlogs.dev/l7-restore"
SERVICE_PATCH = {"metadata": {"annotations": {"projectcalico.org/l7-logging": "true"}}}
WORKLOAD_PATCH = {
    "spec": {
        "template": {
            "metadata": {
                "labels": {"applicationlayer.projectcalico.org/sidecar": "true"},
                "annotations": {"applicationlayer.projectcalico.org/logging": "Enabled"},
            }
        }
    }
}
WORKLOAD_RESOURCES = {"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets"}
ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
DURATION = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h))+")  # Felix's duration fields (their CRD pattern)
DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Api:
    """The few Kubernetes API calls the script needs, over urllib."""

    def __init__(self, base: str, token_file: str, ca_file: str) -> None:
        self.base = base
        self.token_file = token_file
        self.context = ssl.create_default_context(cafile=ca_file)

    @classmethod
    def in_cluster(cls) -> Api:
        host = os.environ["KUBERNETES_SERVICE_HOST"]
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        if ":" in host:
            host = "[" + host + "]"
        return cls("https://" + host + ":" + port, ACCOUNT + "/token", ACCOUNT + "/ca.crt")

    def _call(self, method: str, path: str, body: Patch | None = None) -> Any:
        """The decoded JSON response."""
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
            except ValueError:
                pass
            raise ApiError(error.code, method + " " + path + ": " + str(error.code) + " " + str(detail)) from None

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
        raise SystemExit("annotation " + RECORD + " of " + name_of(obj) + " is not JSON; fix or remove it by hand") from None
    return record if isinstance(record, dict) else {}


def encode(record: Patch) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def name_of(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    kind = obj.get("kind") or "object"
    return kind + " " + ("%s/%s" % (meta["namespace"], meta.get("name")) if meta.get("namespace") else str(meta.get("name")))


def without_noops(obj: Obj, patch: Patch) -> Patch | None:
    """Drop the leaves the object already has; None when nothing is left to change."""
    result: Patch = {}
    for path, value in leaves(patch):
        if not same(get_path(obj, path), value):
            set_path(result, path, value)
    return result or None


def plan_apply(obj: Obj, desired: Patch) -> Patch | None:
    """The merge patch that sets `desired` and records what was there before (None: nothing to do).

    Record entries of fields no longer desired are put back (a setting removed from the profile).
    """
    record = dict(leaves(read_record(obj)))
    wanted = dict(leaves(desired))
    new_record: Patch = {}
    patch: Patch = {}
    for path, value in wanted.items():
        set_path(new_record, path, record[path] if path in record else get_path(obj, path))
        set_path(patch, path, value)
    for path, value in record.items():
        if path not in wanted:
            set_path(patch, path, value)
    set_path(patch, ("metadata", "annotations", RECORD), encode(new_record) if new_record else None)
    return without_noops(obj, patch)


def plan_restore(obj: Obj, desired: Patch) -> tuple[Patch | None, list[FieldPath]]:
    """The merge patch that puts the recorded values back and drops the record.

    A field whose value is no longer what flowlogs set (`desired`) was changed by someone else
    since: it is left alone. Returns (patch, [paths left alone]); (None, []) without a record.
    """
    if get_path(obj, ("metadata", "annotations", RECORD)) is None:
        return None, []
    wanted = dict(leaves(desired))
    patch: Patch = {}
    kept: list[FieldPath] = []
    for path, value in leaves(read_record(obj)):
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
            {"In": key + " in (" + values + ")", "NotIn": key + " notin (" + values + ")", "Exists": key, "DoesNotExist": "!" + key}[operator]
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


# ------------------------------------------------------------------------------- targets


def felix_path(api_version: str) -> str:
    return "/apis/" + api_version + "/felixconfigurations/default"


def targets(desired: Desired) -> Iterator[tuple[str, str, Patch, Target]]:
    """(kind, collection path, patch, target) for every Service / workload selection."""
    for target in desired.get("services") or []:
        yield "Service", "/api/v1/namespaces/" + target["namespace"] + "/services", SERVICE_PATCH, target
    for target in desired.get("workloads") or []:
        resource = WORKLOAD_RESOURCES[target["kind"]]
        yield target["kind"], "/apis/apps/v1/namespaces/" + target["namespace"] + "/" + resource, WORKLOAD_PATCH, target


def is_selected(desired: Desired, kind: str, namespace: str, obj: Obj) -> bool:
    meta = obj.get("metadata") or {}
    for target_kind, _, _, target in targets(desired):
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


class Runner:
    def __init__(self, api: Api, out: TextIO = sys.stdout) -> None:
        self.api = api
        self.out = out
        self.problems: list[str] = []

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
        raise SystemExit(path + " kept changing; giving up after 5 attempts")

    def _describe(self, obj: Obj, patch: Patch | None) -> str:
        changes: list[str] = []
        for path, value in leaves(patch or {}):
            if path[-1] in (RECORD, "resourceVersion"):
                continue
            before = get_path(obj, path)
            after = "removed" if value is None else json.dumps(value)
            changes.append(show(path) + ": " + ("absent" if before is None else json.dumps(before)) + " -> " + after)
        return "; ".join(changes) or "record updated"

    # -- apply

    def apply_object(self, collection: str, name: str, kind: str, desired_patch: Patch, listed: bool = False) -> bool:
        """Set the owned fields; False when the object does not exist."""
        obj, patch, _ = self._converge(collection, name, kind, listed, lambda obj: (plan_apply(obj, desired_patch), []))
        if obj is None:
            return False
        self.say(name_of(obj) + ": " + (self._describe(obj, patch) if patch else "unchanged"))
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
        """Put the recorded values back, unless `still_selected(obj)`; False when the object does not exist."""

        def plan(obj: Obj) -> tuple[Patch | None, list[FieldPath]]:
            if still_selected is not None and still_selected(obj):
                return None, []
            return plan_restore(obj, desired_patch)

        obj, patch, kept = self._converge(collection, name, kind, listed, plan)
        if obj is None:
            return False
        if patch is not None:  # None: no record, nothing of ours to put back
            self.say(name_of(obj) + ": restored " + self._describe(obj, patch))
        for field in kept:
            self.say(name_of(obj) + ": " + show(field) + " was changed since flowlogs set it; left as is")
        return True

    def apply(self, desired: Desired) -> None:
        felix = desired.get("felix") or {}
        path = felix_path(felix.get("apiVersion", "projectcalico.org/v3"))
        collection, name = path.rsplit("/", 1)
        if not self.apply_object(collection, name, "FelixConfiguration", {"spec": felix.get("spec") or {}}):
            self.problems.append(
                "FelixConfiguration default not found at " + path + ": is Calico Enterprise installed"
                + (" (with its API server, for projectcalico.org/v3)?" if "/projectcalico.org/" in path else "?")
            )
        for kind, collection, desired_patch, target in targets(desired):
            for name in target.get("names") or []:
                if not self.apply_object(collection, name, kind, desired_patch):
                    self.problems.append(kind + " " + target["namespace"] + "/" + name + " not found")
            if target.get("selectors"):
                self._apply_selected(desired, kind, collection, desired_patch, target)

    def _apply_selected(self, desired: Desired, kind: str, collection: str, desired_patch: Patch, target: Target) -> None:
        matched: set[str] = set()
        for selector in target["selectors"]:
            for obj in self.api.list(collection, selector_text(selector)):
                name = obj["metadata"]["name"]
                if name not in matched:
                    matched.add(name)
                    self.apply_object(collection, name, kind, desired_patch, listed=name not in (target.get("names") or []))
        if not matched:
            self.say(kind + " in " + target["namespace"] + ": no object matches " + " or ".join(selector_text(s) for s in target["selectors"]))
        # Objects patched earlier whose labels no longer match: put them back.
        for obj in self.api.list(collection):
            if get_path(obj, ("metadata", "annotations", RECORD)) is not None and not is_selected(desired, kind, target["namespace"], obj):
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
        FelixConfiguration is then left to the apply Job)."""
        for kind, collection, desired_patch, target in targets(desired):
            still_selected = None if keep is None else functools.partial(is_selected, keep, kind, target["namespace"])
            for name in self._recorded(collection, target):
                listed = name not in (target.get("names") or [])
                self.restore_object(collection, name, kind, desired_patch, listed, still_selected)
        if keep is None:
            felix = desired.get("felix") or {}
            collection, name = felix_path(felix.get("apiVersion", "projectcalico.org/v3")).rsplit("/", 1)
            if not self.restore_object(collection, name, "FelixConfiguration", {"spec": felix.get("spec") or {}}):
                self.say("FelixConfiguration default not found: nothing to restore")


def load(path: str) -> Desired:
    with open(path, encoding="utf-8") as stream:
        return cast(Desired, json.load(stream))


def main(argv: list[str], api: Api | None = None, out: TextIO = sys.stdout) -> int:
    usage = "usage: calico-l7-patch.py apply|restore DESIRED.json | prune DESIRED.json PREVIOUS.json"
    if len(argv) < 3 or argv[1] not in ("apply", "restore", "prune") or (argv[1] == "prune") != (len(argv) == 4):
        print(usage, file=sys.stderr)
        return 2
    desired = load(argv[2])
    runner = Runner(api or Api.in_cluster(), out)
    try:
        if argv[1] == "apply":
            runner.apply(desired)
        elif argv[1] == "restore":
            runner.restore(desired)
        else:
            runner.restore(load(argv[3]), keep=desired)
    except ApiError as error:
        hint = " (the Job's RBAC does not allow it)" if error.status == 403 else ""
        print("error: " + str(error) + hint, file=sys.stderr)
        if argv[1] == "restore":
            print("the objects listed above were restored; to uninstall without restoring the rest: helm uninstall --no-hooks", file=sys.stderr)
        return 1
    for problem in runner.problems:
        print("error: " + problem, file=sys.stderr)
    return 1 if runner.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

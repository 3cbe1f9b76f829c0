"""Partial manifests: documents Argo CD applies with `Validate=false` (server-side apply of a few fields).

A partial manifest (flowlogs' Calico `patch-mode: gitops`) names an existing object and only the
fields it sets, e.g. a Deployment without `spec.selector`. Argo CD skips kubectl's schema
validation for it when its `argocd.argoproj.io/sync-options` annotation contains
`Validate=false` (argo-cd docs/user-guide/sync-options.md, "Disable Kubectl Validation"), and
server-side apply merges it into the live object, which has the required fields.

flowlogs still checks such a document against its schema, with one difference: a missing
required property is not an error (everything else is: unknown fields, wrong types, bad
values). A result that passed only because of this says so, so the relaxation is never silent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SYNC_OPTIONS_ANNOTATION = "argocd.argoproj.io/sync-options"
VALIDATE_FALSE = "Validate=false"
PARTIAL_MESSAGE = (
    f"partial manifest ({SYNC_OPTIONS_ANNOTATION}: {VALIDATE_FALSE}): valid against the schema without its required "
    "properties"
)


def is_partial_manifest(obj: Mapping[str, Any]) -> bool:
    """The document carries Argo CD's Validate=false sync option (options are comma-separated, spaces trimmed)."""
    metadata = obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    value = annotations.get(SYNC_OPTIONS_ANNOTATION) if isinstance(annotations, Mapping) else None
    return isinstance(value, str) and VALIDATE_FALSE in (option.strip() for option in value.split(","))


def without_required(errors: Iterable[Any]) -> list[Any]:
    """The jsonschema-rs errors other than a missing required property (at any depth)."""
    return [error for error in errors if type(error.kind).__name__ != "Required"]

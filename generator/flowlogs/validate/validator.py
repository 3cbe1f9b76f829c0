"""Validate parsed documents against their schemas, collecting every error.

Validators come compiled from the `SchemaRegistry` (one per apiVersion/kind per run). There is
no thread pool here: jsonschema-rs validates a manifest in a few microseconds and both it and
YAML parsing hold the GIL, so two threads on two cores are no faster than one (benchmarks/README.md).
`run.py` parallelises per profile instead, where Helm's Go code (render + lint) runs without the GIL.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .documents import Document, DocumentError, Resource, json_pointer
from .partial import PARTIAL_MESSAGE, is_partial_manifest, without_required
from .results import Check, Issue, Result, Status
from .schemas import SchemaRegistry
from .server_rules import server_rule_issues

_LONG_MESSAGE = 120


class ResourceValidator:
    def __init__(self, registry: SchemaRegistry, *, ignore_missing_schemas: bool = False) -> None:
        self.registry = registry
        self.ignore_missing_schemas = ignore_missing_schemas

    def validate_all(self, documents: Iterable[Document]) -> list[Result]:
        return [self.validate(document) for document in documents]

    def validate(self, resource: Document) -> Result:
        if isinstance(resource, DocumentError):
            return resource_result(resource, Status.ERROR, message=resource.message, issues=resource.issues)
        lookup = self.registry.lookup(resource.api_version, resource.kind)
        if lookup.compiled is None:
            if lookup.error:
                return resource_result(resource, Status.ERROR, message=lookup.error)
            status = Status.SKIPPED if self.ignore_missing_schemas else Status.ERROR
            return resource_result(resource, status, message=f"could not find schema for {resource.kind}")
        validator = lookup.compiled.validator
        try:
            if validator.is_valid(resource.obj):  # the common case: skip building error objects
                return resource_result(resource, Status.VALID)
            errors = list(validator.iter_errors(resource.obj))
            if is_partial_manifest(resource.obj):
                errors = without_required(errors)
                if not errors:
                    return resource_result(resource, Status.VALID, message=PARTIAL_MESSAGE)
            distinct = {
                Issue(json_pointer(error.instance_path), readable_message(error.message, error.instance))
                for error in errors
            }
        except ValueError as error:  # data JSON has no type for, e.g. a YAML `!!set`
            return resource_result(resource, Status.ERROR, message=f"cannot validate the document as JSON: {error}")
        issues = sorted(distinct, key=lambda issue: (issue.path, issue.message))
        return resource_result(resource, Status.INVALID, issues=tuple(issues))


def server_rule_result(resource: Resource) -> Result | None:
    """What the API server would refuse the resource for beyond its schema (server_rules.py); None when nothing."""
    issues = server_rule_issues(resource.obj)
    return resource_result(resource, Status.INVALID, issues=issues, check=Check.SERVER_RULES) if issues else None


def readable_message(message: str, instance: Any) -> str:
    """Drop the JSON dump of a whole object that some messages start with (anyOf, oneOf, not).

    `{"destination": {...}, ...} is not valid under any of the schemas ...` becomes
    `{...} is not valid under any of the schemas ...`: the path already says which object.
    """
    cut = message.rfind(" is ")
    if not isinstance(instance, (dict, list)) or len(message) <= _LONG_MESSAGE or cut <= 0:
        return message
    return ("{...}" if isinstance(instance, dict) else "[...]") + message[cut:]


def resource_result(
    resource: Document,
    status: Status,
    *,
    message: str = "",
    issues: tuple[Issue, ...] = (),
    check: Check = Check.SCHEMA,
) -> Result:
    return Result(
        profile=resource.source,
        template=resource.template,
        check=check,
        status=status,
        kind=resource.kind,
        name=resource.name,
        namespace=resource.namespace,
        api_version=resource.api_version,
        index=resource.index,
        message=message,
        issues=issues,
    )

"""Validation as good as `helm template | kubeconform -strict`, built in.

    from flowlogs.validate import ProfileTarget, ValidateOptions, run_validate
    exit_code = run_validate(ValidateOptions(chart_dir, (ProfileTarget("p", values),)), sys.stdout)

Modules, one job each: `documents` (strict YAML parsing), `crds` (CRD -> JSON Schema),
`schemas` (schema locations and compiled validators), `validator` (collect every error),
`report` (text/json/junit/tap), `kubeconform` (cross-check with the real tool), `run`
(the `flowlogs validate` orchestration).
"""

from __future__ import annotations

from .crds import crd_version_schemas, to_json_schema
from .documents import DocumentError, DocumentParser, Resource
from .report import REPORTERS
from .results import Check, Issue, Result, SchemaWarning, Status, make_report
from .run import ProfileTarget, ValidateOptions, compare_renderings, run_validate, validate
from .schemas import (
    SHIPPED_SCHEMAS_DIR,
    SchemaKey,
    SchemaLocationError,
    SchemaRegistry,
    bundled_kubernetes_versions,
    resolve_kubernetes_version,
)
from .validator import ResourceValidator

__all__ = [
    "REPORTERS",
    "SHIPPED_SCHEMAS_DIR",
    "Check",
    "DocumentError",
    "DocumentParser",
    "Issue",
    "ProfileTarget",
    "Resource",
    "ResourceValidator",
    "Result",
    "SchemaKey",
    "SchemaLocationError",
    "SchemaRegistry",
    "SchemaWarning",
    "Status",
    "ValidateOptions",
    "bundled_kubernetes_versions",
    "compare_renderings",
    "crd_version_schemas",
    "make_report",
    "resolve_kubernetes_version",
    "run_validate",
    "to_json_schema",
    "validate",
]

"""flowlogs.validate.schemas and .validator: schema lookup like kubeconform, every error collected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flowlogs.validate import (
    DocumentParser,
    Issue,
    Resource,
    ResourceValidator,
    SchemaKey,
    SchemaLocationError,
    SchemaRegistry,
    Status,
    bundled_kubernetes_versions,
    resolve_kubernetes_version,
)
from flowlogs.validate.schemas import render_template, standalone_schema, template_variables

JOB = """apiVersion: batch/v1
kind: Job
metadata:
  name: felix-patch
  namespace: flowlogs-system
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: kubectl
        image: registry.k8s.io/kubectl:v1.31.0
"""


def resource(text: str) -> Resource:
    document = DocumentParser().parse_document("prof", "flowlogs/templates/job.yaml", 0, text)
    assert isinstance(document, Resource), document
    return document


def validate(text: str, registry: SchemaRegistry | None = None, **options: Any) -> Any:
    return ResourceValidator(registry or SchemaRegistry(), **options).validate(resource(text))


# --- Kubernetes versions -------------------------------------------------------------------


def test_bundled_versions_are_sorted_numerically() -> None:
    versions = bundled_kubernetes_versions()
    assert versions[0] == "1.25.0"
    assert "1.31.0" in versions
    assert list(versions) == sorted(versions, key=lambda v: tuple(int(p) for p in v.split(".")))


@pytest.mark.parametrize(
    ("requested", "used"),
    [("1.31.0", "1.31.0"), ("v1.31.7", "1.31.0"), ("1.31", "1.31.0"), ("1.25.0", "1.25.0"), ("1.99.0", None)],
)
def test_newest_bundled_version_not_newer_than_requested(requested: str, used: str | None) -> None:
    assert resolve_kubernetes_version(requested) == (used or bundled_kubernetes_versions()[-1])


def test_version_older_than_the_oldest_bundled_is_a_clear_error() -> None:
    with pytest.raises(SchemaLocationError) as raised:
        SchemaRegistry(kubernetes_version="1.24.0")
    assert str(raised.value) == (
        "Kubernetes 1.24.0 is older than the oldest bundled schemas (1.25.0); use --kubernetes-version 1.25.0 or newer"
    )


def test_version_that_is_not_a_version_is_an_error() -> None:
    with pytest.raises(SchemaLocationError, match="not a Kubernetes version: 'banana'"):
        SchemaRegistry(kubernetes_version="banana")


# --- kubeconform templates and locations ----------------------------------------------------


def test_template_variables_match_kubeconform() -> None:
    assert template_variables(SchemaKey("rbac.authorization.k8s.io/v1", "ClusterRole"), "1.31.0") == {
        "NormalizedKubernetesVersion": "v1.31.0",
        "StrictSuffix": "-strict",
        "ResourceKind": "clusterrole",
        "ResourceAPIVersion": "v1",
        "Group": "rbac.authorization.k8s.io",
        "KindSuffix": "-rbac-v1",
    }
    core = template_variables(SchemaKey("v1", "ConfigMap"), "master")
    assert (core["Group"], core["KindSuffix"], core["NormalizedKubernetesVersion"]) == ("v1", "-v1", "master")


def test_render_template_accepts_spaces_and_rejects_unknown_variables() -> None:
    variables = template_variables(SchemaKey("argoproj.io/v1alpha1", "Application"), "1.31.0")
    assert (
        render_template("s/{{ .Group }}/{{.ResourceKind}}_{{ .ResourceAPIVersion }}.json", variables)
        == "s/argoproj.io/application_v1alpha1.json"
    )
    with pytest.raises(SchemaLocationError, match=r"unknown variable \{\{.Kind\}\}"):
        render_template("{{ .Kind }}.json", variables)


def test_a_template_expression_other_than_a_variable_is_a_setup_error() -> None:
    # Go templates could lower-case here; we cannot, and a path that never exists would hide it.
    with pytest.raises(SchemaLocationError, match="unsupported template expression in schema location"):
        SchemaRegistry(("/schemas/{{ .Group | lower }}/{{ .ResourceKind }}.json",))


def write_schema(path: Path, schema: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema))
    return path


WIDGET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["spec"],
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {"type": "object", "additionalProperties": False, "properties": {"size": {"type": "integer"}}},
    },
}
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n"


def test_kubeconform_path_template_lookup_in_a_temp_dir(tmp_path: Path) -> None:
    write_schema(tmp_path / "example.com" / "widget_v1.json", WIDGET_SCHEMA)
    template = str(tmp_path) + "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
    registry = SchemaRegistry(("default", template))
    lookup = registry.lookup("example.com/v1", "Widget")
    assert lookup.compiled is not None
    assert lookup.compiled.origin == str(tmp_path / "example.com" / "widget_v1.json")
    assert lookup.compiled.location == template
    assert validate(WIDGET, registry).status is Status.VALID
    bad = validate(WIDGET.replace("size: 3", "size: big"), registry)
    assert (bad.status, bad.issues) == (Status.INVALID, (Issue("/spec/size", '"big" is not of type "integer"'),))


@pytest.mark.parametrize(
    "layout",
    [
        "widget-example-v1.json",
        "widget-example.com-v1.json",
        "widget-v1.json",
        "widget_v1.json",
        "example.com/widget_v1.json",
        "v1.31.0-standalone-strict/widget-example-v1.json",
    ],
)
def test_directory_location_finds_every_usual_layout(tmp_path: Path, layout: str) -> None:
    write_schema(tmp_path / layout, WIDGET_SCHEMA)
    lookup = SchemaRegistry((str(tmp_path),)).lookup("example.com/v1", "Widget")
    assert lookup.compiled is not None and lookup.compiled.origin == str(tmp_path / layout)


def test_locations_are_searched_in_order_first_hit_wins(tmp_path: Path) -> None:
    write_schema(tmp_path / "first" / "widget_v1.json", WIDGET_SCHEMA)
    write_schema(tmp_path / "second" / "widget_v1.json", {"type": "object"})
    registry = SchemaRegistry((str(tmp_path / "first"), str(tmp_path / "second")))
    lookup = registry.lookup("example.com/v1", "Widget")
    assert lookup.compiled is not None and lookup.compiled.location == str(tmp_path / "first")


def test_template_without_json_suffix_gets_kubeconforms_suffix(tmp_path: Path) -> None:
    # kubeconform appends /{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/...json
    expected = tmp_path / "example.com" / "v1.31.0-standalone-strict" / "widget-example-v1.json"
    write_schema(expected, WIDGET_SCHEMA)
    lookup = SchemaRegistry((str(tmp_path) + "/{{ .Group }}",)).lookup("example.com/v1", "Widget")
    assert lookup.compiled is not None and lookup.compiled.origin == str(expected)


def test_kubernetes_validate_style_directory_with_shared_definitions(tmp_path: Path) -> None:
    write_schema(tmp_path / "_definitions.json", {"$defs": {"Size": {"type": "integer"}}})
    schema = dict(WIDGET_SCHEMA, **{"$id": "https://kubernetes.io/api/widget/example/v1"})
    schema["properties"] = dict(
        schema["properties"],
        spec={"type": "object", "properties": {"size": {"$ref": "/api/_definitions.json#/$defs/Size"}}},
    )
    write_schema(tmp_path / "widget-example-v1.json", schema)
    registry = SchemaRegistry((str(tmp_path),))
    assert validate(WIDGET, registry).status is Status.VALID
    assert validate(WIDGET.replace("3", "'3'"), registry).issues == (
        Issue("/spec/size", '"3" is not of type "integer"'),
    )


def test_broken_schema_file_is_an_error_for_the_resource(tmp_path: Path) -> None:
    (tmp_path / "widget_v1.json").write_text("{ not json")
    result = validate(WIDGET, SchemaRegistry((str(tmp_path),)))
    assert result.status is Status.ERROR
    assert result.message.startswith(f"could not read schema {tmp_path / 'widget_v1.json'}: ")


def test_relative_refs_resolve_in_a_directory_whose_path_needs_escaping(tmp_path: Path) -> None:
    directory = tmp_path / "my schemas"
    write_schema(directory / "size.json", {"type": "integer"})
    schema = dict(WIDGET_SCHEMA, properties=dict(WIDGET_SCHEMA["properties"], spec={"$ref": "spec.json"}))
    write_schema(directory / "spec.json", {"type": "object", "properties": {"size": {"$ref": "size.json"}}})
    write_schema(directory / "widget_v1.json", schema)
    registry = SchemaRegistry((str(directory),))
    assert validate(WIDGET, registry).status is Status.VALID
    assert validate(WIDGET.replace("3", "'3'"), registry).issues == (
        Issue("/spec/size", '"3" is not of type "integer"'),
    )


def test_remote_refs_are_never_fetched(tmp_path: Path) -> None:
    write_schema(tmp_path / "widget_v1.json", {"$ref": "https://example.com/schemas/widget.json"})
    result = validate(WIDGET, SchemaRegistry((str(tmp_path),)))
    assert result.status is Status.ERROR
    assert result.message.startswith(f"could not compile schema {tmp_path / 'widget_v1.json'}: ")
    assert "refusing to fetch remote schema https://example.com/schemas/widget.json" in result.message


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("https://raw.githubusercontent.com/x/{{ .ResourceKind }}.json", "remote schema location"),
        ("/nonexistent/schemas", "schema location not found: /nonexistent/schemas"),
    ],
)
def test_unusable_locations_are_setup_errors(location: str, message: str) -> None:
    with pytest.raises(SchemaLocationError, match=message):
        SchemaRegistry((location,))


def test_builtin_type_schemas_are_used_as_kubeconform_uses_them_with_a_warning() -> None:
    # affinity-v1.json exists in the bundle but describes a field type, not a resource kind.
    # kubeconform v0.7.0 loads it by file name for `apiVersion: v1, kind: Affinity` (its registry
    # only lower-cases the kind) and reports the document invalid; the parity tier checks that.
    registry = SchemaRegistry(("default",))
    lookup = registry.lookup("v1", "Affinity")
    assert lookup.compiled is not None
    assert lookup.warning == "affinity-v1.json describes the field type Affinity of v1, not a resource kind"
    assert registry.lookup("v1", "ConfigMap").compiled is not None
    assert registry.lookup("v1", "ConfigMap").warning == ""


def test_validators_are_compiled_once_per_kind() -> None:
    registry = SchemaRegistry()
    first = registry.lookup("batch/v1", "Job")
    assert registry.lookup("batch/v1", "Job") is first


def test_standalone_schema_inlines_only_what_is_referenced() -> None:
    definitions = {"A": {"$ref": "#/$defs/B"}, "B": {"type": "string"}, "Unused": {"type": "integer"}}
    schema = {"$id": "https://kubernetes.io/api/x/v1", "properties": {"a": {"$ref": "/api/_definitions.json#/$defs/A"}}}
    assert standalone_schema(schema, definitions) == {
        "properties": {"a": {"$ref": "#/$defs/A"}},
        "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"type": "string"}},
    }


# --- the validator: negative cases -----------------------------------------------------------


def test_valid_job() -> None:
    result = validate(JOB)
    assert (result.status, result.issues, result.message) == (Status.VALID, (), "")
    assert (result.profile, result.template, result.kind, result.name) == (
        "prof",
        "flowlogs/templates/job.yaml",
        "Job",
        "felix-patch",
    )


def test_wrong_field_is_reported_at_its_object() -> None:
    result = validate(JOB.replace("        image:", "        imagePullPolice: Always\n        image:"))
    assert result.status is Status.INVALID
    assert result.issues == (
        Issue(
            "/spec/template/spec/containers/0",
            "Additional properties are not allowed ('imagePullPolice' was unexpected)",
        ),
    )


def test_wrong_type_is_reported_at_the_field() -> None:
    result = validate(JOB.replace("  template:", '  backoffLimit: "2"\n  template:'))
    assert result.status is Status.INVALID
    assert result.issues == (Issue("/spec/backoffLimit", '"2" is not of types "null", "integer"'),)


def test_missing_required_field() -> None:
    result = validate(JOB.replace("      - name: kubectl\n", "      - \n"))
    assert result.status is Status.INVALID
    assert result.issues == (Issue("/spec/template/spec/containers/0", '"name" is a required property'),)


def test_all_errors_are_collected_sorted_by_path() -> None:
    text = JOB.replace("  name: felix-patch\n", "  name: felix-patch\n  labelz: {}\n").replace(
        "  template:", "  backoffLimit: many\n  template:"
    )
    result = validate(text)
    assert [issue.path for issue in result.issues] == ["/metadata", "/spec/backoffLimit"]


def test_unknown_kind_is_an_error_unless_missing_schemas_are_ignored() -> None:
    text = "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n"
    error = validate(text)
    assert (error.status, error.message) == (Status.ERROR, "could not find schema for Gadget")
    skipped = validate(text, ignore_missing_schemas=True)
    assert (skipped.status, skipped.message) == (Status.SKIPPED, "could not find schema for Gadget")


def test_data_json_cannot_hold_is_an_error_not_a_crash() -> None:
    result = validate("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: !!set {a, b}\n")
    assert (result.status, result.message) == (
        Status.ERROR,
        "cannot validate the document as JSON: Unsupported type: 'set'",
    )


def test_api_version_must_match_the_schema() -> None:
    result = validate(JOB.replace("batch/v1", "batch/v2"))
    assert (result.status, result.message) == (Status.ERROR, "could not find schema for Job")


def test_shipped_schemas_are_used_by_default() -> None:
    text = (
        "apiVersion: operator.tigera.io/v1\nkind: ApplicationLayer\nmetadata: {name: tigera-secure}\n"
        "spec:\n  logCollection: {collectLogs: Enabled, logIntervalSeconds: 5}\n"
    )
    registry = SchemaRegistry()
    assert validate(text, registry).status is Status.VALID
    lookup = registry.lookup("operator.tigera.io/v1", "ApplicationLayer")
    assert lookup.compiled is not None and lookup.compiled.location == "shipped"
    bad = validate(text.replace("Enabled", "Maybe"), registry)
    assert bad.issues == (Issue("/spec/logCollection/collectLogs", '"Maybe" is not one of "Enabled" or "Disabled"'),)
    # YAML 1.1 (PyYAML, and sigs.k8s.io/yaml in kubeconform) reads a bare On as a boolean.
    boolean = validate(text.replace("Enabled", "On"), registry)
    assert boolean.issues == (
        Issue("/spec/logCollection/collectLogs", 'true is not of type "string"'),
        Issue("/spec/logCollection/collectLogs", 'true is not one of "Enabled" or "Disabled"'),
    )


def test_default_only_does_not_know_custom_kinds() -> None:
    text = "apiVersion: operator.tigera.io/v1\nkind: ApplicationLayer\nmetadata: {name: tigera-secure}\nspec: {}\n"
    result = validate(text, SchemaRegistry(("default",)))
    assert (result.status, result.message) == (Status.ERROR, "could not find schema for ApplicationLayer")

"""CRD -> JSON Schema conversion, and the shipped schemas checked against the real CRDs.

The real CRDs live next to the repository in ../shared/crds (read-only, never copied here);
tests that need them are skipped with a reason when that directory is absent.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import load_yaml_all
from flowlogs.validate import (
    SHIPPED_SCHEMAS_DIR,
    DocumentParser,
    Issue,
    Resource,
    ResourceValidator,
    SchemaRegistry,
    Status,
    crd_version_schemas,
    to_json_schema,
)

CRDS = Path(__file__).resolve().parents[1].parent / "shared" / "crds"
needs_crds = pytest.mark.skipif(
    not CRDS.is_dir(), reason=f"real CRDs not found at {CRDS} (../shared/crds is only present on the dev machines)"
)

APPLICATION_LAYER_CRD = CRDS / "operator.tigera.io_applicationlayers.yaml"
APPLICATION_LAYER_CRD_CE319 = CRDS / "operator.tigera.io_applicationlayers_ce3.19.yaml"
FELIX_CRD = CRDS / "crd.projectcalico.org_felixconfigurations_enterprise.yaml"
FELIX_CRD_CE319 = CRDS / "crd.projectcalico.org_felixconfigurations_enterprise_ce3.19.yaml"
APPLICATION_CRD = CRDS / "argoproj.io_applications.yaml"
APPLICATIONSET_CRD = CRDS / "argoproj.io_applicationsets.yaml"


@functools.cache
def shared_registry(locations: tuple[str, ...]) -> SchemaRegistry:
    """One registry per set of locations no test changes (the shipped schemas, ../shared/crds), kept for the
    module as one `validate` run keeps it: each CRD file is read and converted once, not per sample."""
    return SchemaRegistry(locations)


def check(
    obj: dict[str, Any], *locations: str, ignore_missing: bool = False, registry: SchemaRegistry | None = None
) -> Any:
    text = yaml.safe_dump(obj, sort_keys=False)
    document = DocumentParser().parse_document("sample", "sample.yaml", 0, text)
    assert isinstance(document, Resource), document
    if registry is None:
        locations = locations or ("shipped",)
        fixed = all(location == "shipped" or Path(location).is_relative_to(CRDS) for location in locations)
        registry = shared_registry(locations) if fixed else SchemaRegistry(locations)
    return ResourceValidator(registry, ignore_missing_schemas=ignore_missing).validate(document)


# --- conversion rules (synthetic CRD) -------------------------------------------------------

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "names": {"kind": "Widget", "plural": "widgets"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "description": "dropped",
                        "properties": {
                            "apiVersion": {"type": "string"},
                            "kind": {"type": "string"},
                            "metadata": {"type": "object"},
                            "spec": {
                                "type": "object",
                                "required": ["size"],
                                "properties": {
                                    "size": {"type": "integer"},
                                    "port": {"x-kubernetes-int-or-string": True},
                                    "legacyPort": {"type": "string", "format": "int-or-string"},
                                    "note": {"type": "string", "nullable": True},
                                    "free": {
                                        "type": "object",
                                        "x-kubernetes-preserve-unknown-fields": True,
                                        "properties": {"known": {"type": "string"}},
                                    },
                                    "properties": {"type": "string", "description": "a field named properties"},
                                },
                            },
                        },
                    }
                },
            },
            {"name": "v0", "served": False, "schema": {"openAPIV3Schema": {"type": "object"}}},
        ],
    },
}


def test_conversion_of_a_synthetic_crd() -> None:
    [converted] = crd_version_schemas(WIDGET_CRD)  # v0 is not served
    assert (converted.api_version, converted.kind) == ("example.com/v1", "Widget")
    schema = converted.schema
    spec = schema["properties"]["spec"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["apiVersion"] == {"type": "string", "enum": ["example.com/v1"]}
    assert schema["properties"]["kind"] == {"type": "string", "enum": ["Widget"]}
    assert schema["properties"]["metadata"] == {"type": "object"}  # any metadata, like kubeconform
    assert spec["additionalProperties"] is False
    assert spec["properties"]["port"] == {
        "x-kubernetes-int-or-string": True,
        "anyOf": [{"type": "string"}, {"type": "integer"}],
    }
    assert spec["properties"]["legacyPort"] == {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    assert spec["properties"]["note"]["type"] == ["string", "null"]
    assert "additionalProperties" not in spec["properties"]["free"]  # preserve-unknown-fields stays open
    assert spec["properties"]["properties"] == {"type": "string"}  # a field, not the keyword
    assert "description" not in json.dumps(schema)


def test_converted_crd_validates_like_kubeconform_strict(tmp_path: Path) -> None:
    crd_file = tmp_path / "widgets.yaml"
    crd_file.write_text(yaml.safe_dump(WIDGET_CRD))
    widget: dict[str, Any] = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "n", "labels": {"a": "b"}},
        "spec": {"size": 1, "port": "http", "legacyPort": 80, "note": None, "free": {"anything": [1]}},
    }
    assert check(widget, str(crd_file)).status is Status.VALID
    broken = copy.deepcopy(widget)
    broken["spec"].update(size="1", port=1.5, extra=True)
    del broken["spec"]["free"]
    broken["status"] = {}
    result = check(broken, str(crd_file))
    assert result.status is Status.INVALID
    assert result.issues == (
        Issue("", "Additional properties are not allowed ('status' was unexpected)"),
        Issue("/spec", "Additional properties are not allowed ('extra' was unexpected)"),
        Issue("/spec/port", "1.5 is not valid under any of the schemas listed in the 'anyOf' keyword"),
        Issue("/spec/size", '"1" is not of type "integer"'),
    )


def test_crd_location_in_a_directory_of_yaml(tmp_path: Path) -> None:
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "widgets.yml").write_text("---\n" + yaml.safe_dump(WIDGET_CRD) + "---\nkind: ConfigMap\n")
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 2}}
    assert check(widget, str(tmp_path)).status is Status.VALID
    other_version = dict(widget, apiVersion="example.com/v2")
    assert check(other_version, str(tmp_path)).message == "could not find schema for Widget"


def test_nullable_accepts_null_whatever_the_type_enum_or_int_or_string_say(tmp_path: Path) -> None:
    crd = copy.deepcopy(WIDGET_CRD)
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"].update(
        mode={"type": "string", "enum": ["a", "b"], "nullable": True},
        budget={"x-kubernetes-int-or-string": True, "nullable": True},
        legacyBudget={"type": "string", "format": "int-or-string", "nullable": True},
    )
    crd_file = tmp_path / "widgets.yaml"
    crd_file.write_text(yaml.safe_dump(crd))
    widget: dict[str, Any] = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": 1, "mode": None, "budget": None, "legacyBudget": None},
    }
    assert check(widget, str(crd_file)).issues == ()
    widget["spec"].update(mode="c", budget="10%", legacyBudget=[1])
    assert check(widget, str(crd_file)).issues == (
        Issue("/spec/legacyBudget", "[1] is not valid under any of the schemas listed in the 'anyOf' keyword"),
        Issue("/spec/mode", '"c" is not one of "a", "b" or null'),
    )


def test_to_json_schema_keeps_an_open_root_when_the_crd_says_so() -> None:
    schema = to_json_schema({"type": "object", "x-kubernetes-preserve-unknown-fields": True}, "example.com/v1", "Blob")
    assert "additionalProperties" not in schema
    assert schema["required"] == ["apiVersion", "kind"]


# --- the real CRDs ----------------------------------------------------------------------------


@needs_crds
def test_every_real_crd_converts_and_compiles() -> None:
    registry = SchemaRegistry((str(CRDS),))
    expected = {
        ("operator.tigera.io/v1", "ApplicationLayer"),
        ("crd.projectcalico.org/v1", "FelixConfiguration"),
        ("argoproj.io/v1alpha1", "Application"),
        ("argoproj.io/v1alpha1", "ApplicationSet"),
        ("argoproj.io/v1alpha1", "AppProject"),
        ("operator.tigera.io/v1", "LogCollector"),
        ("operator.tigera.io/v1", "LogStorage"),
    }
    for api_version, kind in sorted(expected):
        lookup = registry.lookup(api_version, kind)
        assert lookup.compiled is not None, (kind, lookup.error)


@needs_crds
def test_real_argo_crd_catches_a_typo_with_its_path() -> None:
    application = copy.deepcopy(APPLICATIONS[0])
    application["spec"]["source"]["helm"]["valueFile"] = ["oops.yaml"]
    result = check(application, str(APPLICATION_CRD))
    assert result.status is Status.INVALID
    assert result.issues == (
        Issue("/spec/source/helm", "Additional properties are not allowed ('valueFile' was unexpected)"),
    )


# --- shipped schemas: samples valid here must be valid under the real CRDs ----------------------

CONTAINER_RESOURCES: dict[str, Any] = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"cpu": 1, "memory": "1Gi"},
}
APPLICATION_LAYERS: list[dict[str, Any]] = [
    {
        "apiVersion": "operator.tigera.io/v1",
        "kind": "ApplicationLayer",
        "metadata": {"name": "tigera-secure", "labels": {"app.kubernetes.io/managed-by": "flowlogs"}},
        "spec": {"logCollection": {"collectLogs": "Enabled", "logIntervalSeconds": 5, "logRequestsPerInterval": -1}},
    },
    {
        "apiVersion": "operator.tigera.io/v1",
        "kind": "ApplicationLayer",
        "metadata": {"name": "tigera-secure", "annotations": {"argocd.argoproj.io/sync-wave": "1"}},
        "spec": {
            "logCollection": {"collectLogs": "Disabled"},
            "envoy": {"xffNumTrustedHops": 1, "useRemoteAddress": True},
            "applicationLayerPolicy": "Enabled",
            "webApplicationFirewall": "Disabled",
            "l7LogCollectorDaemonSet": {
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [
                                {"name": "l7-collector", "resources": CONTAINER_RESOURCES},
                                {"name": "envoy-proxy", "resources": {"limits": {"memory": "512Mi"}}},
                                {"name": "dikastes"},
                            ],
                            "initContainers": [{"name": "init", "resources": {"requests": {"cpu": "10m"}}}],
                        }
                    }
                }
            },
        },
    },
]
APPLICATION_LAYER_CE320_ONLY: dict[str, Any] = {
    "apiVersion": "operator.tigera.io/v1",
    "kind": "ApplicationLayer",
    "metadata": {"name": "tigera-secure"},
    "spec": {"sidecarInjection": "Enabled", "logCollection": {"collectLogs": "Enabled"}},
}
FELIX_SPEC: dict[str, Any] = {
    "l7LogsFileAggregationDestinationInfo": "IncludeL7DestinationInfo",
    "l7LogsFileAggregationHTTPHeaderInfo": "ExcludeL7HTTPHeaderInfo",
    "l7LogsFileAggregationHTTPMethod": "IncludeL7HTTPMethod",
    "l7LogsFileAggregationNumURLPath": -1,
    "l7LogsFileAggregationResponseCode": "IncludeL7ResponseCode",
    "l7LogsFileAggregationServiceInfo": "ExcludeL7ServiceInfo",
    "l7LogsFileAggregationSourceInfo": "IncludeL7SourceInfoNoPort",
    "l7LogsFileAggregationTrimURL": "TrimURLQueryAndPath",
    "l7LogsFileAggregationURLCharLimit": 250,
    "l7LogsFileDirectory": "/var/log/calico/l7logs",
    "l7LogsFileEnabled": True,
    "l7LogsFileMaxFileSizeMB": 100,
    "l7LogsFileMaxFiles": 5,
    "l7LogsFilePerNodeLimit": 0,
    "l7LogsFlushInterval": "300s",
    "policySyncPathPrefix": "/var/run/nodeagent",
    "tproxyMode": "Enabled",
    "tproxyPort": 16001,
    "tproxyUpstreamConnMark": 23,
}
FELIX_CONFIGURATIONS: list[dict[str, Any]] = [
    {  # gitops: a PARTIAL manifest, only the owned fields
        "apiVersion": "crd.projectcalico.org/v1",
        "kind": "FelixConfiguration",
        "metadata": {
            "name": "default",
            "annotations": {
                "argocd.argoproj.io/sync-options": "ServerSideApply=true,Validate=false,Delete=false,Prune=false"
            },
        },
        "spec": {"l7LogsFlushInterval": "15s", "policySyncPathPrefix": "/var/run/nodeagent"},
    },
    {
        "apiVersion": "crd.projectcalico.org/v1",
        "kind": "FelixConfiguration",
        "metadata": {"name": "default"},
        "spec": FELIX_SPEC,
    },
    {"apiVersion": "crd.projectcalico.org/v1", "kind": "FelixConfiguration", "metadata": {"name": "node.worker-1"}},
]
APPLICATION_SPEC: dict[str, Any] = {
    "project": "default",
    "source": {
        "repoURL": "https://git.example.com/platform/flowlogs.git",
        "targetRevision": "main",
        "path": "chart",
        "helm": {
            "releaseName": "flowlogs",
            "valueFiles": ["profiles/prod/values.yaml"],
            "ignoreMissingValueFiles": True,
            "parameters": [{"name": "image.tag", "value": "1.2.3", "forceString": True}],
            "values": "extra: true\n",
        },
    },
    "destination": {"server": "https://kubernetes.default.svc", "namespace": "flowlogs-system"},
    "syncPolicy": {
        "automated": {"prune": True, "selfHeal": True, "allowEmpty": False},
        "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
        "retry": {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}},
    },
}
MULTI_SOURCE_SPEC: dict[str, Any] = {
    "project": "platform",
    "sources": [
        {"repoURL": "https://git.example.com/platform/values.git", "targetRevision": "main", "ref": "values"},
        {
            "repoURL": "https://git.example.com/platform/flowlogs.git",
            "targetRevision": "v0.1.0",
            "path": "chart",
            "helm": {"valueFiles": ["$values/clusters/prod/values.yaml"]},
        },
        {  # a chart from a Helm repository, rendered for another namespace (the Cilium overlay)
            "repoURL": "https://helm.cilium.io/",
            "chart": "cilium",
            "targetRevision": "1.17.6",
            "helm": {
                "releaseName": "cilium",
                "namespace": "kube-system",
                "valueFiles": ["$values/chart/profiles/cilium-exporter/cilium-values.yaml"],
            },
        },
    ],
    "destination": {"name": "prod-eu", "namespace": "flowlogs-system"},
}
APPLICATIONS: list[dict[str, Any]] = [
    {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": "flowlogs-prod",
            "namespace": "argocd",
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": APPLICATION_SPEC,
    },
    {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "flowlogs-multi", "namespace": "argocd"},
        "spec": MULTI_SOURCE_SPEC,
    },
]
APPLICATION_SETS: list[dict[str, Any]] = [
    {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "flowlogs", "namespace": "argocd"},
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"list": {"elements": [{"cluster": "prod-eu", "url": "https://prod-eu:6443"}]}}],
            "template": {
                "metadata": {"name": "flowlogs-{{.cluster}}", "labels": {"flowlogs/cluster": "{{.cluster}}"}},
                "spec": dict(APPLICATION_SPEC, destination={"server": "{{.url}}", "namespace": "flowlogs-system"}),
            },
            "syncPolicy": {"applicationsSync": "create-update", "preserveResourcesOnDeletion": True},
        },
    },
    {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "flowlogs-clusters", "namespace": "argocd"},
        "spec": {
            "generators": [
                {
                    "clusters": {
                        "selector": {
                            "matchLabels": {"flowlogs": "enabled"},
                            "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}],
                        },
                        "values": {"profile": "cilium-exporter"},
                    }
                }
            ],
            "template": {
                "metadata": {"name": "flowlogs-{{name}}"},
                "spec": dict(MULTI_SOURCE_SPEC, destination={"server": "{{server}}", "namespace": "flowlogs-system"}),
            },
        },
    },
]
SAMPLES = [
    *[(sample, [APPLICATION_LAYER_CRD, APPLICATION_LAYER_CRD_CE319]) for sample in APPLICATION_LAYERS],
    (APPLICATION_LAYER_CE320_ONLY, [APPLICATION_LAYER_CRD]),
    *[(sample, [FELIX_CRD, FELIX_CRD_CE319]) for sample in FELIX_CONFIGURATIONS],
    *[(sample, [APPLICATION_CRD]) for sample in APPLICATIONS],
    *[(sample, [APPLICATIONSET_CRD]) for sample in APPLICATION_SETS],
]


def sample_id(sample: dict[str, Any]) -> str:
    return f"{sample['kind']}-{sample['metadata']['name']}"


@pytest.mark.parametrize(("sample", "crds"), SAMPLES, ids=[sample_id(s) + f"-{n}" for n, (s, _) in enumerate(SAMPLES)])
def test_sample_is_valid_under_the_shipped_schema(sample: dict[str, Any], crds: list[Path]) -> None:
    result = check(sample)
    assert (result.status, result.issues, result.message) == (Status.VALID, (), "")


@needs_crds
@pytest.mark.parametrize(("sample", "crds"), SAMPLES, ids=[sample_id(s) + f"-{n}" for n, (s, _) in enumerate(SAMPLES)])
def test_sample_valid_under_shipped_schema_is_valid_under_the_real_crd(
    sample: dict[str, Any], crds: list[Path]
) -> None:
    assert check(sample).status is Status.VALID
    for crd in crds:
        result = check(sample, str(crd))
        assert (crd.name, result.status, result.issues) == (crd.name, Status.VALID, ())


@needs_crds
def test_projectcalico_v3_felixconfiguration_has_the_crd_fields() -> None:
    # projectcalico.org/v3 is served by the Calico API server with the CRD's field names.
    for sample in FELIX_CONFIGURATIONS:
        v3 = dict(sample, apiVersion="projectcalico.org/v3")
        assert check(v3).status is Status.VALID
        assert check(sample, str(FELIX_CRD)).status is Status.VALID


# The shipped schemas are stricter than the CRDs: these are rejected by them.
STRICTER_CASES = [
    (
        APPLICATION_LAYERS[0],
        ("metadata", "name"),
        "default",
        "/metadata/name",
        '"default" is not one of "tigera-secure"',
    ),
    (
        APPLICATION_LAYERS[0],
        ("metadata", "namespace"),
        "calico-system",
        "/metadata",
        "Additional properties are not allowed ('namespace' was unexpected)",
    ),
    (
        FELIX_CONFIGURATIONS[0],
        ("spec", "tproxyMode"),
        "enabled",
        "/spec/tproxyMode",
        '"enabled" is not one of "Disabled", "Enabled" or "EnabledAllServices"',
    ),
    (
        FELIX_CONFIGURATIONS[0],
        ("spec", "l7LogsFlushInterval"),
        "",
        "/spec/l7LogsFlushInterval",
        '"" does not match "^([0-9]+(ms|s|m|h))+$"',
    ),
    (
        APPLICATIONS[0],
        ("spec", "syncPolicy", "syncOptions"),
        ["CreateNamespace: true"],
        "/spec/syncPolicy/syncOptions/0",
        '"CreateNamespace: true" does not match "^[A-Z][A-Za-z]+=[A-Za-z]+$"',
    ),
]


def with_value(sample: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(sample)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


@pytest.mark.parametrize(("sample", "path", "value", "pointer", "message"), STRICTER_CASES)
def test_shipped_schema_is_stricter_than_the_crd(
    sample: dict[str, Any], path: tuple[str, ...], value: Any, pointer: str, message: str
) -> None:
    result = check(with_value(sample, path, value))
    assert (result.status, result.issues) == (Status.INVALID, (Issue(pointer, message),))


CRD_OF_KIND = {
    "ApplicationLayer": APPLICATION_LAYER_CRD,
    "FelixConfiguration": FELIX_CRD,
    "Application": APPLICATION_CRD,
}


@needs_crds
@pytest.mark.parametrize(("sample", "path", "value", "pointer", "message"), STRICTER_CASES)
def test_the_stricter_cases_are_accepted_by_the_crd(
    sample: dict[str, Any], path: tuple[str, ...], value: Any, pointer: str, message: str
) -> None:
    result = check(with_value(sample, path, value), str(CRD_OF_KIND[sample["kind"]]))
    assert (result.status, result.issues) == (Status.VALID, ())


def test_application_needs_a_source() -> None:
    no_source = copy.deepcopy(APPLICATIONS[0])
    del no_source["spec"]["source"]
    result = check(no_source)
    assert (result.status, result.issues) == (Status.INVALID, (Issue("/spec", '"source" is a required property'),))


# --- structure: every shipped field exists in the CRD with a compatible type ---------------------


def shipped_schema(group: str, kind: str, version: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SHIPPED_SCHEMAS_DIR / group / f"{kind.lower()}_{version}.json").read_text())
    return schema


def resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def field_paths(
    schema: dict[str, Any], root: dict[str, Any], path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], Any]]:
    schema = resolve(schema, root)
    found = [(path, schema.get("type"))]
    for name, sub in (schema.get("properties") or {}).items():
        found += field_paths(sub, root, (*path, name))
    if isinstance(schema.get("items"), dict):
        found += field_paths(schema["items"], root, (*path, "[]"))
    return found


def crd_at(schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    node: Any = schema
    for part in path:
        node = node.get("items") if part == "[]" else (node.get("properties") or {}).get(part)
        if not isinstance(node, dict):
            return None
    return dict(node)


STRUCTURE = [
    ("operator.tigera.io", "ApplicationLayer", "v1", APPLICATION_LAYER_CRD),
    ("crd.projectcalico.org", "FelixConfiguration", "v1", FELIX_CRD),
    ("projectcalico.org", "FelixConfiguration", "v3", FELIX_CRD),
    ("argoproj.io", "Application", "v1alpha1", APPLICATION_CRD),
    ("argoproj.io", "ApplicationSet", "v1alpha1", APPLICATIONSET_CRD),
]


@needs_crds
@pytest.mark.parametrize(
    ("group", "kind", "version", "crd_file"), STRUCTURE, ids=[f"{k}-{g}" for g, k, _, _ in STRUCTURE]
)
def test_every_shipped_field_exists_in_the_crd_with_the_same_type(
    group: str, kind: str, version: str, crd_file: Path
) -> None:
    shipped = shipped_schema(group, kind, version)
    [crd] = load_yaml_all(crd_file.read_text())
    [converted] = crd_version_schemas(crd)
    for path, shipped_type in field_paths(shipped, shipped):
        if path[:1] == ("metadata",):
            continue  # the CRD leaves metadata to the API server (ObjectMeta)
        upstream = crd_at(converted.schema, path)
        assert upstream is not None, f"{kind}: {'.'.join(path)} is not a field of {crd_file.name}"
        if shipped_type is not None and "type" in upstream:
            assert shipped_type == upstream["type"], f"{kind}: {'.'.join(path)}"


# --- several CRDs for one kind in one location ----------------------------------------------------


def widget_crd(*fields: str) -> dict[str, Any]:
    """WIDGET_CRD (v1 only) with just `size` and the given string fields in its spec."""
    crd = copy.deepcopy(WIDGET_CRD)
    crd["spec"]["versions"] = crd["spec"]["versions"][:1]
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["properties"] = {"size": {"type": "integer"}, **{name: {"type": "string"} for name in fields}}
    return crd


WIDGET_WITH_COLOUR = {
    "apiVersion": "example.com/v1",
    "kind": "Widget",
    "metadata": {"name": "w"},
    "spec": {"size": 1, "colour": "red"},
}


@pytest.mark.parametrize(("small_name", "big_name"), [("a-small.yaml", "b-big.yaml"), ("b-small.yaml", "a-big.yaml")])
def test_the_crd_with_the_most_fields_wins_and_the_choice_is_a_warning(
    tmp_path: Path, small_name: str, big_name: str
) -> None:
    # Like Calico's open-source and Enterprise FelixConfiguration CRDs: not the first file, the
    # superset, so a field only the bigger CRD knows is not an error; either way it is said.
    (tmp_path / small_name).write_text(yaml.safe_dump(widget_crd()))
    (tmp_path / big_name).write_text(yaml.safe_dump(widget_crd("colour", "shape")))
    registry = SchemaRegistry((str(tmp_path),))
    assert check(WIDGET_WITH_COLOUR, registry=registry).issues == ()
    lookup = registry.lookup("example.com/v1", "Widget")
    assert lookup.compiled is not None and lookup.compiled.origin.startswith(str(tmp_path / big_name))
    [warning] = registry.warnings()
    assert (warning.api_version, warning.kind) == ("example.com/v1", "Widget")
    files = sorted([f"{tmp_path / small_name} (5 fields)", f"{tmp_path / big_name} (7 fields)"])
    assert warning.message == (
        f"2 CRDs in {tmp_path} define Widget example.com/v1, not all alike: {files[0]}, {files[1]}; "
        f"using {tmp_path / big_name}, the one with the most fields. "
        f"To use another, pass it as its own --schema-location before {tmp_path}"
    )


def test_a_tie_goes_to_the_first_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(widget_crd("colour")))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(widget_crd("shape")))
    registry = SchemaRegistry((str(tmp_path),))
    assert check(WIDGET_WITH_COLOUR, registry=registry).issues == ()
    assert len(registry.warnings()) == 1


def test_copies_of_one_crd_are_not_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(widget_crd("colour")))
    (tmp_path / "copy.yaml").write_text(yaml.safe_dump(widget_crd("colour")))
    registry = SchemaRegistry((str(tmp_path),))
    assert check(WIDGET_WITH_COLOUR, registry=registry).status is Status.VALID
    assert registry.warnings() == []


def test_a_crd_file_given_before_the_directory_pins_the_choice(tmp_path: Path) -> None:
    (tmp_path / "small.yaml").write_text(yaml.safe_dump(widget_crd()))
    (tmp_path / "big.yaml").write_text(yaml.safe_dump(widget_crd("colour")))
    registry = SchemaRegistry((str(tmp_path / "small.yaml"), str(tmp_path)))
    result = check(WIDGET_WITH_COLOUR, registry=registry)
    assert result.issues == (Issue("/spec", "Additional properties are not allowed ('colour' was unexpected)"),)
    assert registry.warnings() == []


def test_files_that_only_mention_the_kind_are_never_parsed(tmp_path: Path) -> None:
    # A WidgetSet CRD talks about Widgets, but cannot define one: it is not even read as YAML.
    (tmp_path / "widgets.yaml").write_text(yaml.safe_dump(widget_crd()))
    (tmp_path / "widgetsets.yaml").write_text(
        "kind: CustomResourceDefinition\nspec:\n  group: example.com\n  names: {kind: WidgetSet}\n"
        "  description: a set of Widget objects\n  broken: [\n"
    )
    assert check(dict(WIDGET_WITH_COLOUR, spec={"size": 1}), str(tmp_path)).status is Status.VALID


@needs_crds
def test_the_shared_crd_directory_validates_felix_l7_fields_with_the_enterprise_crd() -> None:
    # ../shared/crds holds 5 FelixConfiguration CRDs; the open-source ones sort first and know
    # no l7* field. The Calico Enterprise 3.20 one (the most fields) must be the one used.
    registry = SchemaRegistry((str(CRDS),))
    for sample in FELIX_CONFIGURATIONS:
        assert check(sample, registry=registry).issues == ()
    lookup = registry.lookup("crd.projectcalico.org/v1", "FelixConfiguration")
    assert lookup.compiled is not None and lookup.compiled.origin.startswith(str(FELIX_CRD))
    warnings = {warning.kind: warning.message for warning in registry.warnings()}
    felix_files = sorted(CRDS.glob("crd.projectcalico.org_felixconfigurations*.yaml"))
    assert len(felix_files) == 5 and all(str(path) in warnings["FelixConfiguration"] for path in felix_files)
    assert f"using {FELIX_CRD}, the one with the most fields" in warnings["FelixConfiguration"]
    assert registry.lookup("operator.tigera.io/v1", "ApplicationLayer").compiled is not None
    assert check(APPLICATION_LAYER_CE320_ONLY, registry=registry).issues == ()  # the 3.20 CRD

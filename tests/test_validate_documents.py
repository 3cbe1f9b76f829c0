"""flowlogs.validate.documents: strict, JSON-like parsing of rendered YAML documents."""

from __future__ import annotations

from flowlogs.helm import Manifest
from flowlogs.validate import DocumentError, DocumentParser, Issue, Resource
from flowlogs.validate.documents import json_pointer

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: flowlogs-hubble
  namespace: kube-system
  labels:
    app: flowlogs
data:
  a: "1"
"""


def parse_one(text: str) -> Resource | DocumentError | None:
    return DocumentParser().parse_document("prof", "flowlogs/templates/x.yaml", 0, text)


def test_manifest_becomes_a_resource_with_its_identity() -> None:
    [document] = DocumentParser().parse_manifests(
        "cilium-exporter", [Manifest("flowlogs/templates/cilium/configmap.yaml", 0, CONFIGMAP)]
    )
    assert isinstance(document, Resource)
    assert (document.source, document.template, document.index) == (
        "cilium-exporter",
        "flowlogs/templates/cilium/configmap.yaml",
        0,
    )
    assert (document.api_version, document.kind, document.name, document.namespace) == (
        "v1",
        "ConfigMap",
        "flowlogs-hubble",
        "kube-system",
    )
    assert document.obj["data"] == {"a": "1"}
    assert document.text == CONFIGMAP


def test_duplicate_key_is_an_error_with_path_and_line() -> None:
    text = CONFIGMAP.replace("    app: flowlogs\n", "    app: flowlogs\n    app: other\n")
    document = parse_one(text)
    assert isinstance(document, DocumentError)
    assert document.message == 'duplicate key "app" (line 8; first on line 7)'
    assert document.issues == (Issue("/metadata/labels/app", 'duplicate key "app" (line 8; first on line 7)', 8),)
    # The identity is still known, so the report can name the resource.
    assert (document.kind, document.name) == ("ConfigMap", "flowlogs-hubble")


def test_duplicate_keys_inside_lists_and_at_the_root_are_all_reported() -> None:
    text = "apiVersion: v1\nkind: Pod\nkind: Pod\nspec:\n  containers:\n  - name: a\n    name: b\n"
    document = parse_one(text)
    assert isinstance(document, DocumentError)
    assert [issue.path for issue in document.issues] == ["/kind", "/spec/containers/0/name"]
    assert [issue.line for issue in document.issues] == [3, 7]


def test_merge_keys_may_override_without_being_duplicates() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nbase: &b {x: '1', z: '2'}\ndata:\n  <<: *b\n  x: '3'\n"
    document = parse_one(text)
    assert isinstance(document, Resource)
    assert document.obj["data"] == {"x": "3", "z": "2"}


def test_duplicate_next_to_a_merge_key_is_still_found() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nbase: &b {x: '1'}\ndata:\n  <<: *b\n  z: '3'\n  z: '4'\n"
    document = parse_one(text)
    assert isinstance(document, DocumentError)
    assert [issue.path for issue in document.issues] == ["/data/z"]


def test_data_is_what_a_yaml_to_json_conversion_gives() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  day: 2024-01-31\n  1: one\n  eq: =\n"
    document = parse_one(text)
    assert isinstance(document, Resource)
    # Dates stay strings and keys become strings, as in sigs.k8s.io/yaml (kubeconform).
    assert document.obj["data"] == {"day": "2024-01-31", "1": "one", "eq": "="}


def test_invalid_yaml_is_an_error_with_its_line() -> None:
    document = parse_one("apiVersion: v1\nkind: ConfigMap\ndata: [a,\n")
    assert isinstance(document, DocumentError)
    assert document.message.startswith("invalid YAML: ")
    assert document.message.endswith("(line 4, column 1)")
    assert document.issues[0].line == 4


def test_missing_kind_and_api_version_and_non_mappings_are_errors() -> None:
    no_kind = parse_one("apiVersion: v1\nmetadata: {name: a}\n")
    no_api_version = parse_one("kind: ConfigMap\n")
    a_list = parse_one("- a\n- b\n")
    assert isinstance(no_kind, DocumentError) and no_kind.message == "missing 'kind' key"
    assert isinstance(no_api_version, DocumentError) and no_api_version.message == "missing 'apiVersion' key"
    assert isinstance(a_list, DocumentError) and a_list.message == "document is a list, not a mapping"


def test_empty_documents_are_dropped_like_kubeconform() -> None:
    assert parse_one("# only a comment\n") is None
    assert DocumentParser().parse_manifests("p", [Manifest("t", 0, "---\n")]) == []


def test_a_stream_keeps_each_documents_own_text_and_index() -> None:
    stream = (
        "---\n" + CONFIGMAP + "---\n# nothing here\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n"
    )
    documents = DocumentParser().parse_stream("gitops", "gitops/apps.yaml", stream)
    assert [(d.index, d.kind, d.template) for d in documents] == [
        (0, "ConfigMap", "gitops/apps.yaml"),
        (1, "ServiceAccount", "gitops/apps.yaml"),
    ]
    # Split as kubeconform splits (pkg/resource/stream.go): the separator lines are dropped.
    assert documents[0].text == "---\n" + CONFIGMAP
    assert documents[1].text == "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n"


def test_identical_texts_are_parsed_once_but_keep_their_own_source() -> None:
    parser = DocumentParser()
    first = parser.parse_document("a", "t.yaml", 0, CONFIGMAP)
    second = parser.parse_document("b", "u.yaml", 3, CONFIGMAP)
    assert isinstance(first, Resource) and isinstance(second, Resource)
    assert first.obj is second.obj  # shared, read-only
    assert (second.source, second.template, second.index) == ("b", "u.yaml", 3)


def test_json_pointer_escapes_slash_and_tilde() -> None:
    assert (
        json_pointer(["metadata", "annotations", "argocd.argoproj.io/sync-options"])
        == "/metadata/annotations/argocd.argoproj.io~1sync-options"
    )
    assert json_pointer(["a~b", 0]) == "/a~0b/0"
    assert json_pointer([]) == ""


def test_a_document_without_kind_or_api_version_lacks_a_kind_first_like_kubeconform() -> None:
    document = parse_one("metadata: {name: a}\n")
    assert isinstance(document, DocumentError) and document.message == "missing 'kind' key"


def test_binary_scalars_are_decoded_as_kubernetes_decodes_them() -> None:
    # sigs.k8s.io/yaml v1.4.0, goyaml.v2/decode.go `scalar`: a !!binary value is base64-decoded
    # and the bytes become the string (so `binaryData` then holds "hello", not base64).
    document = parse_one(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nbinaryData:\n  x: !!binary |\n    aGVs\n    bG8=\n"
    )
    assert isinstance(document, Resource)
    assert document.obj["binaryData"] == {"x": "hello"}

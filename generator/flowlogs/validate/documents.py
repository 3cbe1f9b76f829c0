"""Parse rendered YAML documents once, strictly, the way Kubernetes reads them.

PyYAML's C loader does the parsing (~10x the pure-Python loader); `kubeyaml` gives it the
scalar rules and the JSON conversion of sigs.k8s.io/yaml, which the API server and
kubeconform use. A duplicate key is an error, as with `kubeconform -strict` (which uses
`yaml.UnmarshalStrict`). A file is split into documents as kubeconform splits it (at lines
starting with `---`), so a broken document is an error of its own and the others are still
validated; a `kind: List` stands for its items, as in kubeconform (pkg/resource/resource.go).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..helm import Manifest
from ..inputs import DOCUMENT_LIMITS, InputRefused, check_yaml_events, read_input
from . import kubeyaml
from .kubeyaml import KubernetesLoader, UnsupportedData, find_non_finite, go_json_name, go_string, split_documents
from .results import Issue


class JsonLikeLoader(yaml.CSafeLoader):
    """CSafeLoader whose output is JSON data: no dates, string keys, `=` read as a string."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != kubeyaml.TIMESTAMP_TAG]
        for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if any(not isinstance(key, str) for key in mapping):
            return {_json_key(key): value for key, value in mapping.items()}
        return mapping


def _construct_value_as_string(loader: yaml.BaseLoader, node: Node) -> str:
    # A bare `=` resolves to the YAML 1.1 "value" tag, which SafeLoader cannot construct.
    return str(node.value)


def _construct_binary_as_base64(loader: yaml.BaseLoader, node: Node) -> str:
    # `!!binary` is base64 text, and stays that in JSON (SafeLoader would make bytes, which no
    # JSON schema validator takes).
    return "".join(str(node.value).split())


JsonLikeLoader.add_constructor("tag:yaml.org,2002:value", _construct_value_as_string)
JsonLikeLoader.add_constructor(kubeyaml.BINARY_TAG, _construct_binary_as_base64)


def _json_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


@dataclass(frozen=True)
class _Duplicate:
    mapping: MappingNode
    key: ScalarNode | Node
    first: ScalarNode | Node


class StrictLoader(KubernetesLoader):
    """KubernetesLoader that records duplicate keys instead of silently keeping the last one."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[_Duplicate] = []

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        explicit = [key for key, _ in node.value if key.tag != kubeyaml.MERGE_TAG]
        has_merge = len(explicit) != len(node.value)
        mapping = super().construct_mapping(node, deep=deep)
        # Fast path: without merge keys, fewer entries than key nodes means a duplicate.
        if has_merge or len(mapping) < len(explicit):
            self._record_duplicates(node, explicit)
        return mapping

    def _record_duplicates(self, node: MappingNode, keys: list[Node]) -> None:
        seen: dict[Any, Node] = {}
        for key_node in keys:
            try:
                key = self._json_key(key_node)  # the constructed key is cached by PyYAML: cheap
            except UnsupportedData:
                continue  # reported by construct_mapping
            if key in seen:
                self.duplicates.append(_Duplicate(node, key_node, seen[key]))
            else:
                seen[key] = key_node


@dataclass(frozen=True)
class Resource:
    """A parsed Kubernetes object and where it came from."""

    source: str  # profile name or extra-document label
    template: str  # template path or document file
    index: int  # document index within the template / file
    api_version: str
    kind: str
    name: str
    namespace: str
    obj: Mapping[str, Any] = field(repr=False, compare=False)
    text: str = field(repr=False, compare=False, default="")


@dataclass(frozen=True)
class DocumentError:
    """A document that could not be parsed into a resource (bad YAML, duplicate key, no kind)."""

    source: str
    template: str
    index: int
    message: str
    issues: tuple[Issue, ...] = ()
    api_version: str = ""  # whatever identity could still be read, for the report
    kind: str = ""
    name: str = ""
    namespace: str = ""
    text: str = field(repr=False, compare=False, default="")


Document = Resource | DocumentError


@dataclass(frozen=True)
class _Parsed:
    """The text-only part of parsing, shared by identical documents of many profiles."""

    data: Any
    error: str = ""
    issues: tuple[Issue, ...] = ()


class DocumentParser:
    """Parses documents; identical texts (common across a fleet of profiles) are parsed once."""

    def __init__(self) -> None:
        self._cache: dict[str, _Parsed] = {}

    def parse_manifests(self, source: str, manifests: Iterable[Manifest]) -> list[Document]:
        return [
            document
            for manifest in manifests
            for document in self.parse_documents(source, manifest.template, manifest.index, manifest.text)
        ]

    def parse_document(self, source: str, template: str, index: int, text: str) -> Document | None:
        """One YAML document; None when it is empty (comments only), like kubeconform."""
        return _to_document(source, template, index, text, self._parse(text))

    def parse_documents(self, source: str, template: str, first_index: int, text: str) -> list[Document]:
        """One YAML document as kubeconform sees it: nothing when empty, the items of a List."""
        document = self.parse_document(source, template, first_index, text)
        if document is None:
            return []
        if not isinstance(document, Resource) or document.kind.lower() != "list":
            return [document]
        return _list_items(source, template, first_index, document)

    def parse_data(self, text: str) -> Any:
        """The data of one document (same cache); the text itself when it is not valid YAML."""
        parsed = self._parse(text)
        return text if parsed.data is None and parsed.error else parsed.data

    def _parse(self, text: str) -> _Parsed:
        parsed = self._cache.get(text)
        if parsed is None:
            parsed = self._cache[text] = _parse_single(text)
        return parsed

    def parse_stream(self, source: str, template: str, text: str) -> list[Document]:
        """A multi-document YAML file (e.g. gitops/*.yaml); empty documents are dropped."""
        documents: list[Document] = []
        for doc_text in split_documents(text):
            doc_text = doc_text if doc_text.endswith("\n") else doc_text + "\n"
            documents += self.parse_documents(source, template, len(documents), doc_text)
        return documents


def _parse_single(text: str) -> _Parsed:
    loader = StrictLoader(text)
    try:
        node = loader.get_single_node()
        return _construct(loader, node)
    except yaml.YAMLError as error:
        return _Parsed(None, *_yaml_error(error))
    finally:
        loader.dispose()


def _construct(loader: StrictLoader, node: Node | None) -> _Parsed:
    if node is None:
        return _Parsed(None)
    data = loader.construct_document(node)
    if loader.non_finite:
        if (found := find_non_finite(data, [])) is not None:
            pointer = json_pointer(found[0])
            message = f"{pointer or '/'}: {go_json_name(found[1])} cannot be written as JSON (json: unsupported value)"
            return _Parsed(data, message, (Issue(pointer, message),))
    if not loader.duplicates:
        return _Parsed(data)
    issues = tuple(_duplicate_issue(node, duplicate) for duplicate in loader.duplicates)
    return _Parsed(data, "; ".join(issue.message for issue in issues), issues)


def _duplicate_issue(root: Node, duplicate: _Duplicate) -> Issue:
    mapping_path = _path_to(root, duplicate.mapping) or []
    key = str(getattr(duplicate.key, "value", "?"))
    path = json_pointer([*mapping_path, key])
    line = duplicate.key.start_mark.line + 1
    first_line = duplicate.first.start_mark.line + 1
    return Issue(path, f'duplicate key "{key}" (line {line}; first on line {first_line})', line)


def _path_to(node: Node, target: Node) -> list[str | int] | None:
    """The data path from `node` down to `target` (only used when a duplicate was found)."""
    if node is target:
        return []
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if (below := _path_to(value_node, target)) is not None:
                return [str(getattr(key_node, "value", "?")), *below]
    elif isinstance(node, SequenceNode):
        for position, item in enumerate(node.value):
            if (below := _path_to(item, target)) is not None:
                return [position, *below]
    return None


def _yaml_error(error: yaml.YAMLError) -> tuple[str, tuple[Issue, ...]]:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    line = mark.line + 1 if mark is not None else 0
    message = f"invalid YAML: {problem}" + (f" (line {line}, column {mark.column + 1})" if mark is not None else "")
    return message, (Issue("", message, line),)


def _to_document(source: str, template: str, index: int, text: str, parsed: _Parsed) -> Document | None:
    def error(message: str, issues: tuple[Issue, ...] = ()) -> DocumentError:
        identity = resource_identity(parsed.data)
        return DocumentError(source, template, index, message, issues or (Issue("", message),), *identity, text=text)

    if parsed.error:
        return error(parsed.error, parsed.issues)
    data = parsed.data
    if data is None:
        return None
    if not isinstance(data, dict):
        return error(f"document is a {type(data).__name__}, not a mapping")
    if unreadable := _unreadable_identity(data):
        return error(unreadable)
    for key in ("kind", "apiVersion"):  # kubeconform's order: a document missing both lacks a kind
        if not go_string(data.get(key)):  # `kind: 5` is the kind "5", as for kubeconform
            return error(f"missing '{key}' key")
    api_version, kind, name, namespace = resource_identity(data)
    return Resource(source, template, index, api_version, kind, name, namespace, data, text)


def _unreadable_identity(data: dict[str, Any]) -> str:
    """Why kubeconform cannot read the resource's identity, or "".

    kubeconform reads apiVersion, kind and metadata name/namespace/generateName into Go strings
    first (pkg/resource/resource.go `Signature`): a number or bool becomes a string there, a
    list or mapping is an error, as is a `metadata` that is no mapping.
    """
    metadata = data.get("metadata")
    fields: list[tuple[str, Any]] = [("/apiVersion", data.get("apiVersion")), ("/kind", data.get("kind"))]
    if isinstance(metadata, dict):
        fields += [(f"/metadata/{key}", metadata.get(key)) for key in ("name", "namespace", "generateName")]
    elif metadata is not None:
        return f"/metadata is a {type(metadata).__name__}, not a mapping"
    for path, value in fields:
        if isinstance(value, (list, dict)):
            return f"{path} is a {type(value).__name__}, not a string"
    return ""


def _list_items(source: str, template: str, first_index: int, listing: Resource) -> list[Document]:
    """kubeconform's `Resources()`: each item of `kind: List` (any case) is validated alone.

    Items are written as JSON (what kubeconform re-marshals them to); null items are empty
    documents; items that are no mapping are errors, as any document.
    """
    items = listing.obj.get("items")
    documents: list[Document] = []
    for item in items if isinstance(items, list) else []:
        text = json.dumps(item) + "\n"
        document = _to_document(source, template, first_index + len(documents), text, _Parsed(item))
        if document is not None:
            documents.append(document)
    return documents


def resource_identity(data: Any) -> tuple[str, str, str, str]:
    """(apiVersion, kind, name, namespace) of parsed data; "" for whatever is missing."""
    if not isinstance(data, dict):
        return "", "", "", ""
    raw_metadata = data.get("metadata")
    metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}

    def text(value: Any) -> str:
        return go_string(value) or ""

    return (
        text(data.get("apiVersion")),
        text(data.get("kind")),
        text(metadata.get("name")),
        text(metadata.get("namespace")),
    )


def json_pointer(path: Iterable[str | int]) -> str:
    """RFC 6901 pointer, the path form kubeconform prints (`/spec/containers/0`)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def load_yaml_file_data(text: str) -> Any:
    """A single YAML document as JSON-like data (used for values files and CRDs)."""
    return yaml.load(text, Loader=JsonLikeLoader)  # noqa: S506 - a safe loader subclass


def load_yaml_documents(text: str) -> list[Any]:
    return [document for document in yaml.load_all(text, Loader=JsonLikeLoader) if document is not None]  # noqa: S506


def read_yaml_input(path: Path, *, whole_stream: bool = False) -> str:
    """The text of a YAML file `validate` reads (`--documents`, CRDs), checked by `inputs` first.

    The structure check runs on the parser's events before any loader composes a node (PyYAML's
    C composer recurses: 30,000 nested `[` crashed the process). `--documents` files are checked
    document by document, as they are split for parsing; CRD files as one stream (`whole_stream`).
    A syntax error stops the check where it stops the parser, which then reports it.
    """
    text = read_input(path, DOCUMENT_LIMITS)
    position = 0
    for document in [text] if whole_stream else split_documents(text):
        start = text.find(document, position)
        position = start + len(document)
        try:
            check_yaml_events(yaml.parse(document, Loader=yaml.CSafeLoader), DOCUMENT_LIMITS, str(path))
        except InputRefused as refused:
            lines_before = text.count("\n", 0, start)
            moved = dataclasses.replace(refused.location, line=refused.location.line + lines_before)
            raise InputRefused(moved, refused.message, refused.hint) from None
        except yaml.YAMLError:
            pass
    return text

"""Find the JSON Schema of a resource and compile it once.

Schema locations are searched in order, first hit wins, as with kubeconform's repeatable
`-schema-location`:

- `default`: Kubernetes' own kinds, from the strict schemas bundled with the
  `kubernetes-validate` package for the newest bundled version <= `--kubernetes-version`;
- `shipped`: the schemas flowlogs ships for the custom kinds it emits (`schemas/`);
- a kubeconform path template (`.../{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json`);
- a directory of JSON schemas in the usual layouts, and/or of CRD YAML files;
- a CRD YAML file (converted on the fly, see `crds.py`).

When one location holds several CRDs for the same apiVersion and kind (say Calico's
open-source and Enterprise FelixConfiguration), the one whose schema declares the most fields
is used (the first file in path order on a tie), so only a field that none of them knows is an
error; the run reports the choice as a warning naming every file. To pin one, pass it as its
own location before the directory.

Compiled validators (jsonschema-rs) are cached per (apiVersion, kind) for the whole run.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import re
import threading
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import jsonschema_rs
import orjson

from .. import caches
from ..errors import UserError
from ..go_duration import parse_duration
from ..inputs import DOCUMENT_LIMITS, InputRefused, read_input
from ..names import DEFAULT_KUBERNETES_VERSION
from .crds import CrdVersionSchema, crd_schemas_from_documents, with_numeric_exclusive_bounds
from .documents import load_yaml_documents, read_yaml_input
from .results import SchemaWarning

DEFAULT_LOCATIONS = ("default", "shipped")
SHIPPED_SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
# openapi2jsonschema's file names in a folder per group (CRDs-catalog's layout).
GROUP_LAYOUT = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
SHIPPED_TEMPLATE = f"{SHIPPED_SCHEMAS_DIR}/{GROUP_LAYOUT}"
# What kubeconform appends to a location that does not end in "json".
KUBECONFORM_SUFFIX = (
    "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
)
# Layouts tried, in order, inside a directory location.
DIRECTORY_LAYOUTS = (
    "{{ .ResourceKind }}{{ .KindSuffix }}.json",  # kubernetes-json-schema: configmap-v1.json, job-batch-v1.json
    "{{ .ResourceKind }}-{{ .Group }}-{{ .ResourceAPIVersion }}.json",  # full group name
    "{{ .ResourceKind }}-{{ .ResourceAPIVersion }}.json",
    "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json",  # openapi2jsonschema's default name
    GROUP_LAYOUT,
    KUBECONFORM_SUFFIX.lstrip("/"),
)
_K8S_DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
# What a kind and an API version can be (Kubernetes: a kind is a CamelCase identifier, a group a
# DNS subdomain, a version a DNS label); anything else has no schema file.
_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_API_VERSION = re.compile(r"([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_TEMPLATE_VARIABLE = re.compile(r"\{\{-?\s*\.(\w+)\s*-?\}\}")
_CRD_SUFFIXES = (".yaml", ".yml")
# validateDuration's ISO 8601 rules: weeks alone, or units in order, at least one, and one after a `T`.
_ISO_DURATION = re.compile(r"P(?=.)([0-9]+W|([0-9]+Y)?([0-9]+M)?([0-9]+D)?(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+S)?)?)")


class SchemaLocationError(UserError):
    """A schema location or Kubernetes version that cannot be used."""


class SchemaLoadError(Exception):
    """A schema file exists but cannot be read (reported against the resource)."""


@dataclass(frozen=True)
class SchemaKey:
    api_version: str
    kind: str

    @property
    def group(self) -> str:
        """ "" for the core group (`v1`)."""
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]


@dataclass(frozen=True)
class FoundSchema:
    schema: dict[str, Any] = field(repr=False)
    origin: str  # file or location it came from, shown in messages
    registry: jsonschema_rs.Registry | None = field(default=None, repr=False)
    base_uri: str | None = None
    warning: str = ""  # e.g. which of several disagreeing CRDs was chosen
    # kubeconform compiles a schema without `$schema` (converted CRDs) as draft 4, where
    # `format` is asserted (pkg/validator/validator.go `DefaultDraft(jsonschema.Draft4)`).
    assert_formats: bool = False
    # The directory `file:` $refs may read from: the schema location's; None (CRDs, whose
    # structural schemas have no $ref) refuses them all. A `$ref: file:///etc/...` read local
    # files and printed them in messages.
    ref_root: str | None = None


@dataclass(frozen=True)
class CompiledSchema:
    validator: jsonschema_rs.Validator = field(repr=False)
    origin: str
    location: str  # the schema location (as given) that provided it


@dataclass(frozen=True)
class SchemaLookup:
    """A compiled schema, or why there is none (`error` empty = no schema anywhere)."""

    compiled: CompiledSchema | None
    error: str = ""
    warning: str = ""


class SchemaSource(Protocol):
    location: str  # as given by the user

    def find(self, key: SchemaKey) -> FoundSchema | None: ...

    def kubeconform_locations(self, workdir: Path, keys: Iterable[SchemaKey]) -> list[str]:
        """Equivalent `-schema-location` values for kubeconform (files written under workdir)."""


# --- kubeconform path templates ------------------------------------------------------------


def normalize_kubernetes_version(version: str) -> str:
    return version.removeprefix("v")


def template_variables(key: SchemaKey, kubernetes_version: str) -> dict[str, str]:
    """kubeconform's template data (pkg/registry/registry.go `schemaPath`)."""
    version = normalize_kubernetes_version(kubernetes_version)
    group_parts = key.api_version.split("/")
    kind_suffix = "-" + group_parts[0].split(".")[0].lower()
    if len(group_parts) > 1:
        kind_suffix += "-" + group_parts[1].lower()
    return {
        "NormalizedKubernetesVersion": version if version == "master" else f"v{version}",
        "StrictSuffix": "-strict",  # flowlogs validates strictly, as `kubeconform -strict`
        "ResourceKind": key.kind.lower(),
        "ResourceAPIVersion": group_parts[-1],
        "Group": group_parts[0],  # "v1" for the core group, as in kubeconform
        "KindSuffix": kind_suffix,
    }


def render_template(template: str, variables: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            known = ", ".join(f"{{{{.{known}}}}}" for known in sorted(variables))
            raise SchemaLocationError(
                f"unknown variable {{{{.{name}}}}} in schema location {template!r}; known: {known}"
            )
        return variables[name]

    rendered = _TEMPLATE_VARIABLE.sub(substitute, template)
    if "{{" in _TEMPLATE_VARIABLE.sub("", template):  # a pipeline, a function...: the path would silently never exist
        raise SchemaLocationError(
            f"unsupported template expression in schema location {template!r}: only {{{{ .Variable }}}} is understood"
        )
    return rendered


# --- bundled Kubernetes schemas -----------------------------------------------------------


def _bundled_schema_root() -> Path:
    # find_spec does not import kubernetes_validate (which pulls in jsonschema): we only need files.
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise SchemaLocationError("the kubernetes-validate package (bundled Kubernetes schemas) is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "kubernetes-json-schema"


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = normalize_kubernetes_version(version).split(".")
    if not 2 <= len(parts) <= 3 or not all(part.isdigit() for part in parts):
        raise SchemaLocationError(f"not a Kubernetes version: {version!r} (expected e.g. 1.31.0)")
    return tuple(int(part) for part in parts) + (0,) * (3 - len(parts))


@lru_cache(maxsize=1)
def bundled_kubernetes_versions() -> tuple[str, ...]:
    """Versions with strict schemas bundled, oldest first ("1.25.0", ..., "1.37.0")."""
    found = []
    for directory in _bundled_schema_root().iterdir():
        if match := re.fullmatch(r"v(\d+\.\d+\.\d+)-local-strict", directory.name):
            found.append(match.group(1))
    return tuple(sorted(found, key=_version_tuple))


def resolve_kubernetes_version(requested: str) -> str:
    """The newest bundled schema version <= requested (`master`/`latest` = newest)."""
    versions = bundled_kubernetes_versions()
    if not versions:
        raise SchemaLocationError("no Kubernetes schemas bundled with kubernetes-validate")
    if normalize_kubernetes_version(requested) in ("master", "latest"):
        return versions[-1]
    wanted = _version_tuple(requested)
    usable = [version for version in versions if _version_tuple(version) <= wanted]
    if not usable:
        raise SchemaLocationError(
            f"Kubernetes {normalize_kubernetes_version(requested)} is older than the oldest bundled "
            f"schemas ({versions[0]}); use --kubernetes-version {versions[0]} or newer"
        )
    return usable[-1]


class BuiltinKubernetesSchemas:
    """`default`: kubernetes-validate's `vX.Y.0-local-strict/<kind><suffix>.json` files."""

    location = "default"

    def __init__(self, kubernetes_version: str) -> None:
        self.kubernetes_version = normalize_kubernetes_version(kubernetes_version)
        self.directory = _bundled_schema_root() / f"v{resolve_kubernetes_version(kubernetes_version)}-local-strict"

    @functools.cached_property
    def definitions(self) -> dict[str, Any]:
        """The shared `$defs` of every kind (1.3 MB), read once (lookups run under the registry's lock)."""
        defs: dict[str, Any] = _read_json(self.directory / "_definitions.json", bundled=True).get("$defs", {})
        return defs

    def find(self, key: SchemaKey) -> FoundSchema | None:
        variables = template_variables(key, self.kubernetes_version)
        path = self.directory / f"{variables['ResourceKind']}{variables['KindSuffix']}.json"
        if not path.is_file():
            return None
        # With the definitions it refers to inlined, as kubeconform is given them: it compiles
        # without a registry of all the definitions.
        schema = standalone_schema(_read_json(path, bundled=True), self.definitions)
        if _declares_kind(schema, key):
            return FoundSchema(schema, str(path))
        if key.group or schema.get("x-kubernetes-group-version-kind"):
            # Another group's kind whose first label matches (`apps.example.com/v1`): leave it
            # to the CRD locations (kubeconform would use this file; docs/validator.md).
            return None
        # A core `v1` field type such as affinity-v1.json: kubeconform validates against it
        # (and the document is invalid: apiVersion and kind are no fields of a type); so do we.
        warning = f"{path.name} describes the field type {key.kind} of v1, not a resource kind"
        return FoundSchema(schema, str(path), warning=warning)

    def kubeconform_locations(self, workdir: Path, keys: Iterable[SchemaKey]) -> list[str]:
        # kubeconform's `default` downloads from GitHub; give it the same files, made standalone.
        base = workdir / "default"
        _write_schemas(self, keys, base, KUBECONFORM_SUFFIX.lstrip("/"), self.kubernetes_version)
        return [str(base)]


def _write_schemas(
    source: SchemaSource, keys: Iterable[SchemaKey], base: Path, layout: str, kubernetes_version: str, drop: str = ""
) -> None:
    """Each schema `source` has for `keys`, written where the path template `layout` puts it in `base`."""
    for key in keys:
        if (found := source.find(key)) is not None:
            target = base / render_template(layout, template_variables(key, kubernetes_version))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps({name: value for name, value in found.schema.items() if name != drop}))


def _declares_kind(schema: dict[str, Any], key: SchemaKey) -> bool:
    # Any case, as kubeconform finds the file by the lower-cased kind: `kind: Configmap` is
    # then invalid against ConfigMap's schema (its `kind` enum), not a missing schema.
    declared = schema.get("x-kubernetes-group-version-kind") or []
    return any(
        entry.get("group", "") == key.group
        and entry.get("version") == key.version
        and str(entry.get("kind", "")).lower() == key.kind.lower()
        for entry in declared
    )


def standalone_schema(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """Inline the referenced `_definitions.json` entries so the schema needs no network."""
    prefix = "/api/_definitions.json#/$defs/"
    needed: dict[str, Any] = {}
    pending = [schema]
    while pending:
        for ref in _refs(pending.pop()):
            name = ref.rsplit("/", 1)[-1]
            if name not in needed and name in definitions:
                needed[name] = definitions[name]
                pending.append(definitions[name])
    text = json.dumps({key: value for key, value in schema.items() if key != "$id"})
    standalone: dict[str, Any] = json.loads(text.replace(f'"{prefix}', '"#/$defs/'))
    standalone["$defs"] = needed
    return standalone


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


# --- JSON schema files (templates and directories) -----------------------------------------


class TemplateSchemas:
    """A kubeconform path template (or a single JSON schema file used for every kind)."""

    def __init__(self, template: str, kubernetes_version: str, location: str | None = None) -> None:
        self.location = location or template
        self.template = template
        self.kubernetes_version = kubernetes_version
        # The fixed directory part of the template ("dir/" of "dir/{{ .ResourceKind }}.json").
        prefix = template.split("{{", 1)[0]
        self.ref_root = str((Path(prefix) if prefix.endswith("/") else Path(prefix).parent).resolve())
        render_template(template, template_variables(SchemaKey("apps/v1", "Deployment"), "master"))  # fail early

    def find(self, key: SchemaKey) -> FoundSchema | None:
        path = Path(render_template(self.template, template_variables(key, self.kubernetes_version)))
        if not path.is_file():
            return None
        schema = _read_json(path)
        definitions = path.parent / "_definitions.json"
        registry = _definitions_registry(str(definitions)) if definitions.is_file() else None
        # kubeconform compiles a schema without `$schema` (openapi2jsonschema's CRD files) as
        # draft 4, where formats are asserted and `exclusiveMinimum` is a boolean.
        draft4 = "$schema" not in schema
        schema = with_numeric_exclusive_bounds(schema) if draft4 else schema
        return FoundSchema(
            schema, str(path), registry, path.resolve().as_uri(), assert_formats=draft4, ref_root=self.ref_root
        )

    def kubeconform_locations(self, workdir: Path, keys: Iterable[SchemaKey]) -> list[str]:
        return [self.template]


@lru_cache(maxsize=8)
def _definitions_registry(path: str) -> jsonschema_rs.Registry:
    # A kubernetes-validate style directory: its schemas refer to /api/_definitions.json.
    return jsonschema_rs.Registry([(_K8S_DEFINITIONS_URI, _read_json(Path(path)))])


def _refused(what: str, refused: InputRefused) -> SchemaLoadError:
    return SchemaLoadError(f"could not read {what} {refused.with_hint}")


def _read_json(path: Path, *, bundled: bool = False) -> dict[str, Any]:
    """A JSON schema file. One kubernetes-validate installs (package data, as trusted as flowlogs' own
    tables) is read as bytes, without the checks for files a user names, slow on its 1.3 MB of definitions."""
    try:
        if bundled:
            data = orjson.loads(path.read_bytes())
        else:
            text = read_input(path, DOCUMENT_LIMITS)
            try:
                data = orjson.loads(text)  # 1.6 MB of Kubernetes definitions: orjson is faster than json
            except orjson.JSONDecodeError:
                # What orjson refuses and json reads (NaN, integers past 64 bits), and json's messages.
                data = json.loads(text)
    except InputRefused as refused:
        raise _refused("schema", refused) from refused
    except (OSError, ValueError, RecursionError) as error:
        raise SchemaLoadError(f"could not read schema {path}: {error}") from error
    if not isinstance(data, dict):
        raise SchemaLoadError(f"schema {path} is not a JSON object")
    return data


# --- CRD YAML files ----------------------------------------------------------------------

# A CRD file's conversion is kept by the digest of its text (docs/cli.md "The cache"): reading
# Argo CD's 1.4 MB ApplicationSet CRD with PyYAML takes ~0.6 s, its kept conversion ~10 ms.
_CRD_KIND = "crd-schemas"


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _kept_conversion(text: str) -> tuple[CrdVersionSchema, ...] | None:
    kept = caches.load(_CRD_KIND, _text_digest(text))
    try:
        return tuple(CrdVersionSchema(*fields) for fields in kept) if isinstance(kept, list) else None
    except TypeError:  # an entry of another shape
        return None


class CrdSchemas:
    """CRD YAML files, converted when a resource of one of their kinds shows up."""

    def __init__(self, files: Sequence[Path], location: str) -> None:
        self.location = location
        self.files = tuple(files)
        self._texts: dict[Path, str] = {}
        self._converted: dict[Path, tuple[CrdVersionSchema, ...]] = {}  # a file converted once per run

    def _candidates(self, key: SchemaKey) -> Iterable[Path]:
        # Cheap text filter before any YAML parsing: a CRD for `key` spells out its group and
        # `kind: <Kind>` as a word of its own (so the 1.4 MB ApplicationSet CRD is never
        # converted for an Application).
        kind = re.compile(rf"""\bkind["']?\s*:\s*["']?{re.escape(key.kind)}(?![\w.-])""")
        for path in self.files:
            if path not in self._texts:
                try:  # the same checks as every file a user names: a FIFO or /dev/zero here would never end
                    self._texts[path] = read_input(path, DOCUMENT_LIMITS)
                except InputRefused as refused:
                    raise _refused("CRD file", refused) from refused
            text = self._texts[path]
            if key.group in text and kind.search(text):
                yield path

    def _schemas(self, path: Path) -> tuple[CrdVersionSchema, ...]:
        if path not in self._converted:
            kept = _kept_conversion(self._texts[path])
            self._converted[path] = self._convert(path) if kept is None else kept
        return self._converted[path]

    def _convert(self, path: Path) -> tuple[CrdVersionSchema, ...]:
        try:
            text = read_yaml_input(path.resolve(), whole_stream=True)
            converted = tuple(crd_schemas_from_documents(load_yaml_documents(text)))
        except InputRefused as refused:
            raise _refused("CRD file", refused) from refused
        except Exception as error:  # noqa: BLE001 - any YAML problem or CRD shape is a broken schema location
            raise SchemaLoadError(f"could not read CRD file {path.resolve()}: {error}") from error
        kept = [[schema.group, schema.version, schema.kind, schema.schema] for schema in converted]
        caches.save(_CRD_KIND, _text_digest(text), kept)
        return converted

    def find(self, key: SchemaKey) -> FoundSchema | None:
        if not key.group:
            return None  # core kinds are never CRDs
        definitions = [
            (path, converted)
            for path in self._candidates(key)
            for converted in self._schemas(path)
            if converted.api_version == key.api_version and converted.kind == key.kind
        ]
        if not definitions:
            return None
        # The module docstring has the rule; max() keeps the first of equals (path order).
        path, chosen = max(definitions, key=lambda definition: definition[1].field_count)
        return FoundSchema(
            chosen.schema,
            f"{path} (CRD {chosen.kind} {chosen.api_version})",
            warning=self._ambiguity(key, definitions, path),
            assert_formats=True,
        )

    def _ambiguity(self, key: SchemaKey, definitions: list[tuple[Path, CrdVersionSchema]], chosen: Path) -> str:
        if len({json.dumps(converted.schema, sort_keys=True) for _, converted in definitions}) == 1:
            return ""  # copies of one CRD: nothing to choose
        files = ", ".join(f"{path} ({converted.field_count} fields)" for path, converted in definitions)
        return (
            f"{len(definitions)} CRDs in {self.location} define {key.kind} {key.api_version}, not all alike: {files}; "
            f"using {chosen}, the one with the most fields. To use another, pass it as its own "
            f"--schema-location before {self.location}"
        )

    def kubeconform_locations(self, workdir: Path, keys: Iterable[SchemaKey]) -> list[str]:
        base = workdir / f"crds-{len(list(workdir.glob('crds-*')))}"  # one folder per location
        base.mkdir(parents=True)
        # No `$schema`, as openapi2jsonschema writes them: kubeconform then asserts formats too.
        _write_schemas(self, keys, base, GROUP_LAYOUT, "master", drop="$schema")
        return [f"{base}/{GROUP_LAYOUT}"]


class DirectorySchemas:
    """A directory: JSON schemas in the usual layouts first, then any CRD YAML inside it."""

    def __init__(self, directory: Path, kubernetes_version: str, location: str) -> None:
        self.location = location
        self.directory = directory
        self.layouts = [
            TemplateSchemas(f"{directory}/{layout}", kubernetes_version, location) for layout in DIRECTORY_LAYOUTS
        ]
        crd_files = sorted(path for path in directory.rglob("*") if path.suffix in _CRD_SUFFIXES and path.is_file())
        self.crds = CrdSchemas(crd_files, location)

    def find(self, key: SchemaKey) -> FoundSchema | None:
        for layout in self.layouts:
            if (found := layout.find(key)) is not None:
                return found
        return self.crds.find(key)

    def kubeconform_locations(self, workdir: Path, keys: Iterable[SchemaKey]) -> list[str]:
        locations = [layout.template for layout in self.layouts]
        if self.crds.files:
            locations += self.crds.kubeconform_locations(workdir, keys)
        return locations


# --- the registry --------------------------------------------------------------------------


def schema_source(location: str, kubernetes_version: str) -> SchemaSource:
    """Turn one `--schema-location` value into a source (raises SchemaLocationError)."""
    if location == "default":
        return BuiltinKubernetesSchemas(kubernetes_version)
    if location == "shipped":
        return TemplateSchemas(SHIPPED_TEMPLATE, kubernetes_version, location)
    if location.startswith(("http://", "https://")):
        raise SchemaLocationError(
            f"remote schema location {location!r} is not supported: validation runs offline; "
            "download the schemas and pass their directory or a path template"
        )
    if "{{" in location:
        template = location if location.endswith("json") else location + KUBECONFORM_SUFFIX
        return TemplateSchemas(template, kubernetes_version, location)
    path = Path(location)
    if path.is_dir():
        return DirectorySchemas(path, kubernetes_version, location)
    if path.is_file() and path.suffix in _CRD_SUFFIXES:
        return CrdSchemas([path], location)
    if path.is_file() and location.endswith("json"):
        return TemplateSchemas(location, kubernetes_version)  # one schema for every kind, as kubeconform
    raise SchemaLocationError(f"schema location not found: {location}")


def _local_only(ref_root: str | None, uri: str) -> Any:
    # jsonschema-rs would fetch http(s) $refs by default; validation must never touch the network,
    # and reads local files only inside the schema location.
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme != "file":
        raise SchemaLoadError(f"refusing to fetch remote schema {uri} (validation runs offline)")
    from urllib.request import url2pathname  # here: it imports http.client and ssl, which validation never needs

    path = Path(url2pathname(parsed.path))  # base URIs come from Path.as_uri(): percent-encoded
    if ref_root is None or not path.resolve().is_relative_to(ref_root):
        raise SchemaLoadError(f"refusing $ref {uri}: schemas may refer only to files inside their schema location")
    return _read_json(path)


def kubeconform_duration(value: str) -> bool:
    """kubeconform's `duration` format (pkg/validator/validator.go `validateDuration`): a Go
    duration (`1h30m`, time.ParseDuration) or an ISO 8601 one (`PT1H30M`, `P2W`)."""
    try:
        parse_duration(value)
        return True
    except ValueError:
        return _ISO_DURATION.fullmatch(value) is not None


def compile_schema(found: FoundSchema) -> jsonschema_rs.Validator:
    formats: dict[str, Any] = {}
    if found.assert_formats:
        formats = {"validate_formats": True, "formats": {"duration": kubeconform_duration}}
    return jsonschema_rs.validator_for(
        found.schema,
        registry=found.registry,
        retriever=functools.partial(_local_only, found.ref_root),
        base_uri=found.base_uri,
        **formats,
    )


class SchemaRegistry:
    """Schema lookup over ordered locations, with one compiled validator per (apiVersion, kind)."""

    def __init__(self, locations: Sequence[str] = (), *, kubernetes_version: str = DEFAULT_KUBERNETES_VERSION) -> None:
        self.kubernetes_version = normalize_kubernetes_version(kubernetes_version)
        self.locations = tuple(locations) or DEFAULT_LOCATIONS
        if "default" not in self.locations:
            resolve_kubernetes_version(kubernetes_version)  # a bad version is an error either way
        self.sources: tuple[SchemaSource, ...] = tuple(
            schema_source(location, kubernetes_version) for location in self.locations
        )
        self._lookups: dict[SchemaKey, SchemaLookup] = {}
        self._lock = threading.Lock()

    def lookup(self, api_version: str, kind: str) -> SchemaLookup:
        key = SchemaKey(api_version, kind)
        lookup = self._lookups.get(key)
        if lookup is None:
            with self._lock:
                lookup = self._lookups.get(key)
                if lookup is None:
                    lookup = self._lookups[key] = self._compile(key)
        return lookup

    def _compile(self, key: SchemaKey) -> SchemaLookup:
        if not _KIND.fullmatch(key.kind) or not _API_VERSION.fullmatch(key.api_version):
            # Kinds and API versions name files in the schema locations: `../x` or `{{` must not.
            return SchemaLookup(None)
        for source in self.sources:
            try:
                found = source.find(key)
            except SchemaLoadError as error:
                return SchemaLookup(None, str(error))
            if found is None:
                continue
            try:
                compiled = CompiledSchema(compile_schema(found), found.origin, source.location)
                return SchemaLookup(compiled, warning=found.warning)
            except Exception as error:  # noqa: BLE001 - jsonschema-rs raises several types
                first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                return SchemaLookup(None, f"could not compile schema {found.origin}: {first_line}")
        return SchemaLookup(None)

    def warnings(self) -> list[SchemaWarning]:
        """What the lookups so far had to say (e.g. which of several CRDs was used), by kind."""
        with self._lock:
            lookups = sorted(self._lookups.items(), key=lambda item: (item[0].api_version, item[0].kind))
        return [SchemaWarning(key.api_version, key.kind, lookup.warning) for key, lookup in lookups if lookup.warning]

    def kubeconform_locations(self, workdir: Path, keys: Iterable[SchemaKey]) -> list[str]:
        keys = sorted(set(keys), key=lambda key: (key.api_version, key.kind))
        return [location for source in self.sources for location in source.kubeconform_locations(workdir, keys)]

"""`flowlogs import` for Cilium: an exporter configuration as it exists in clusters today, in profile words.

The inputs are those `flowlogs preview --config` reads (a flowlogs.yaml, its ConfigMap, or Cilium
Helm values with the dynamic or the static exporter). Each FlowFilter field is turned back into its
profile word by the word's kind (`decompile`); a filter is then compiled again and must give the
same FlowFilter, field by field: a field whose words would not (a value no word spells, a field
without a word) stays under `raw:` as upstream wrote it, with a note. So `import` then `generate`
gives the same exporter configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import Diagnostics
from ..go_duration import parse_duration
from ..products import ImportedSection
from ..profile import Node, Positions
from .agent_time import check_end
from .defaults import DEFAULT_FILE_PATH, DEFAULT_VERSION, SHARED_ROTATION_KEYS, SUPPORTED_VERSIONS
from .filters import FIELD_WORDS, FILTER_WORDS, FilterWord
from .kinds import NAMESPACE, RAW, FilterContext, whole_namespaces
from .paths import AGENT_EXPORT_DIRECTORY, OPT_IN_KEY, path_problem
from .preview.config import STATIC_NAME, ExporterConfigError, FlowLogConfig, read_exporter_config
from .protojson import FilterJsonError, canonical_filter
from .tables import CiliumTables, load_tables

NOT_MINE = "no exporter configuration found"
LEFT_OUT = "left out"  # a note that says a setting of the file is not in the profile (the agent does not read it)
DEFAULT_ROTATION_TEXT = "max-size-mb 10, max-backups 5"  # hubble.export.static defaults in Cilium's values.yaml

# A namespace word writes source_pod too (FIELD_WORDS has the pod word): chosen below.
NAMESPACE_WORDS: dict[str, FilterWord] = {
    word.field: word for word in FILTER_WORDS.values() if word.kind is NAMESPACE and word.side != "either"
}


def _compiles_to(word: FilterWord, words: Any, field: str, upstream: Any, tables: CiliumTables) -> bool:
    """Whether a filter of this one word compiles to exactly `field: upstream` (a pod word qualifies
    its names as hubble does: `*/db` is /db, a bare name default/)."""
    try:
        again = _compile_one({word.word: words}, tables)
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
    return again == {field: upstream}


def decompile_filter(flow_filter: dict[str, Any], tables: CiliumTables) -> tuple[dict[str, Any], list[str]]:
    """One FlowFilter in profile words, and the fields kept under `raw:`."""
    fields = canonical_filter(flow_filter, tables)
    words: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for field, upstream in fields.items():
        side = field.split("_", 1)[0]
        namespace_word = NAMESPACE_WORDS.get(field)
        # `source-namespace: shop` is source_pod ["shop/"], unless the filter has services (a namespace qualifies them).
        if namespace_word is not None and whole_namespaces(upstream) and f"{side}_service" not in fields:
            namespaces = [v.rstrip("/") for v in upstream]
            candidate = namespaces[0] if len(namespaces) == 1 else namespaces
            if _compiles_to(namespace_word, candidate, field, upstream, tables):
                words[namespace_word.word] = candidate
                continue
        word = FIELD_WORDS.get(field)
        if word is None or field not in tables.filter_fields or word.kind is RAW:
            raw[field] = upstream
            continue
        context = FilterContext(tables, word)
        try:
            candidate = word.kind.decompile(upstream, context)
        except (KeyError, TypeError, ValueError, AttributeError):
            raw[field] = upstream
            continue
        if _compiles_to(word, candidate, field, upstream, tables):
            words[word.word] = candidate
        else:
            raw[field] = upstream
    # A field's words may still compile differently beside the filter's other words (a bare pod
    # name takes namespace default, a namespace qualifies services): compare the whole filter.
    while True:
        candidate = {**words, **({"raw": raw} if raw else {})}
        again = _compile_one(candidate, tables)
        differing = sorted(fields) if again is None else sorted(f for f in fields if again.get(f) != fields[f])
        moved = [f for f in differing if f not in raw]
        if not moved:
            return candidate, sorted(raw)
        for field in moved:
            raw[field] = fields[field]
            for name in [
                w for w in words if FILTER_WORDS[w].field == field or NAMESPACE_WORDS.get(field) is FILTER_WORDS[w]
            ]:
                del words[name]


def _compile_one(words: dict[str, Any], tables: CiliumTables) -> dict[str, Any] | None:
    """The FlowFilter a profile filter compiles to (None when it does not compile to exactly one)."""
    from .compile import compile_filter

    diagnostics = Diagnostics()
    compiled = compile_filter(Node(words, ("import",), Positions("import", {}, {})), tables, diagnostics)
    return compiled[0] if len(compiled) == 1 and not diagnostics.errors else None


def _flow_log(config: FlowLogConfig, tables: CiliumTables, notes: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": config.name}
    if config.file_path != DEFAULT_FILE_PATH:
        entry["file"] = config.file_path
        if path_problem(config.file_path, allow_any_path=False) and not path_problem(
            config.file_path, allow_any_path=True
        ):
            # flowlogs' own rule (paths.py), not the agent's: the agent writes there; say so in the profile.
            entry[OPT_IN_KEY] = True
            notes.append(
                f"{config.name}: '{OPT_IN_KEY}: true' keeps {config.file_path}, outside {AGENT_EXPORT_DIRECTORY}: the "
                "agent writes it as root on every node"
            )
    if config.field_mask:
        entry["fields"] = list(config.field_mask)
    if config.field_aggregate or config.aggregation_interval is not None:
        if tables.aggregation:
            if config.field_aggregate:
                entry["aggregate-fields"] = list(config.field_aggregate)
            if config.aggregation_interval is not None:
                try:  # Duration.UnmarshalJSON fails: the agent rejects the whole file
                    parse_duration(config.aggregation_interval)
                except ValueError as error:
                    raise ExporterConfigError(
                        f"{config.where}.aggregationInterval: '{config.aggregation_interval}' is not a Go duration "
                        f"({error}): write e.g. 30s"
                    ) from None
                entry["aggregation-interval"] = config.aggregation_interval
        else:
            notes.append(
                f"{config.name}: fieldAggregate/aggregationInterval {LEFT_OUT}: Cilium {tables.version}'s agent does "
                "not read them"
            )
    for key, filters in (("include", config.include_filters), ("exclude", config.exclude_filters)):
        decompiled = []
        upstream_key = {"include": "includeFilters", "exclude": "excludeFilters"}[key]
        for index, flow_filter in enumerate(filters):
            try:
                words, raw = decompile_filter(flow_filter, tables)
            except FilterJsonError as error:
                raise ExporterConfigError(
                    f"{config.where}.{upstream_key}[{index}].{error} (the agent rejects the whole file)"
                ) from None
            decompiled.append(words)
            if raw:
                notes.append(
                    f"{config.name}: {key}[{index}] keeps {', '.join(raw)} as upstream fields (raw:): no profile word "
                    "gives back the same value"
                )
        if decompiled:
            entry[key] = decompiled
    if config.end is not None:
        problem = check_end(config.end)
        if problem is not None:  # Time.UnmarshalJSON fails: the agent rejects the whole file
            raise ExporterConfigError(f"{config.where}.end: {problem.message}; {problem.fix}")
        entry["end"] = config.end
    rotation = {
        word: value
        for word, value in (
            ("max-size-mb", config.file_max_size_mb),
            ("max-backups", config.file_max_backups),
            ("compress", config.file_compress),
        )
        if value is not None
    }
    zeros = [word for word in ("max-size-mb", "max-backups") if rotation.get(word) == 0]
    if zeros and config.name == STATIC_NAME:
        # The static exporter hands 0 to its file rotation as it is: no profile word says that.
        raise ExporterConfigError(
            f"{config.where}: {' and '.join(zeros)} 0 is not a rotation a profile can write: write the number "
            f"(Cilium's default: {DEFAULT_ROTATION_TEXT})"
        )
    for word in zeros:  # a dynamic flow log's 0 is Cilium's default (pkg/hubble/exporter config.go)
        del rotation[word]
    if rotation and tables.per_flowlog_rotation:
        entry["rotation"] = rotation
    elif rotation:
        notes.append(
            f"{config.name}: per-flow-log rotation {LEFT_OUT}: Cilium {tables.version}'s agent rotates every flow log "
            "by its agent-wide setting (hubble.export.fileMaxSizeMb/fileMaxBackups)"
        )
    return entry


def import_cilium(path: Path, version: str | None) -> ImportedSection | None:
    version = version or DEFAULT_VERSION
    if version not in SUPPORTED_VERSIONS:
        raise ExporterConfigError(f"Cilium version {version} is not supported: one of {', '.join(SUPPORTED_VERSIONS)}")
    try:
        exporter = read_exporter_config(path, version)
    except ExporterConfigError as error:
        if NOT_MINE in str(error):
            return None
        raise
    tables = load_tables(version)
    notes: list[str] = list(exporter.notes)
    section: dict[str, Any] = {"version": version}
    if 0 in exporter.shared_rotation.values():
        raise ExporterConfigError(
            f"{path}: hubble.export fileMaxSizeMb/fileMaxBackups 0 is not a rotation a profile can write: write the "
            f"number (Cilium's default: {DEFAULT_ROTATION_TEXT})"
        )
    if exporter.shared_rotation:
        section["rotation"] = {
            word: exporter.shared_rotation[key]
            for word, key in SHARED_ROTATION_KEYS.items()
            if key in exporter.shared_rotation
        }
    section["flow-logs"] = [_flow_log(config, tables, notes) for config in exporter.flow_logs]
    left_out = any(LEFT_OUT in note for note in notes)
    return ImportedSection({"cilium": section}, exporter.form, tuple(notes), left_out)

"""Compile the `cilium:` section of a profile to Hubble's dynamic exporter configuration.

The output is exactly what the agent reads from `flowlogs.yaml` (`flowLogs:` entries with
`includeFilters`/`excludeFilters` of FlowFilter fields in snake_case), compiled for one
Cilium version, plus the values overlay for Cilium's own chart. The agent rejects the whole
file on one unknown filter key and keeps the old config silently, so everything is checked
here, against the tables of the targeted version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..clock import now
from ..errors import Diagnostics
from ..go_duration import parse_duration
from ..products import CompiledPart
from ..profile import Node, minor_version
from .agent_fieldmask import check_fieldmask
from .agent_time import canonical_end, check_aggregation_interval, check_end, end_passed, ended_message
from .defaults import (
    DEFAULT_CONFIGMAP_NAME,
    DEFAULT_FILE_PATH,
    DEFAULT_NAMESPACE,
    DEFAULT_VERSION,
    ROTATION_KEYS,
    SHARED_ROTATION_KEYS,
)
from .filters import FILTER_WORDS, SIDED_WORDS, SIDES
from .kinds import RAW, FilterContext, report
from .notes import note_filter_shape, note_visibility
from .paths import check_flow_log_path
from .tables import CiliumTables, arrived_hint, has_filter_field, load_tables


@dataclass
class CiliumCompiled(CompiledPart):
    version: str
    values: dict[str, Any]  # the `cilium:` values of our chart
    overlay: dict[str, Any]  # values for Cilium's own chart that hand the ConfigMap to ours
    release_values: dict[str, Any]  # values for Cilium's own chart that carry the flow logs themselves
    flow_log_names: list[str] = field(default_factory=list)
    namespace: str = DEFAULT_NAMESPACE  # Cilium's namespace: the ConfigMap and the overlay go there
    chart_version: str | None = None  # the exact Cilium chart release the clusters run, when the profile names it


def compile_cilium(section: Node, diagnostics: Diagnostics) -> CiliumCompiled:
    version = minor_version(section.get("version").value, DEFAULT_VERSION)
    tables = load_tables(version)
    config_map = section.get("config-map")
    name = config_map.get("name").value or DEFAULT_CONFIGMAP_NAME
    namespace = config_map.get("namespace").value or DEFAULT_NAMESPACE
    chart_version = section.get("chart-version").value
    if chart_version is not None and not str(chart_version).startswith(version + "."):
        diagnostics.error(
            section.get("chart-version").location,
            f"chart-version {chart_version} is not a release of Cilium {version}",
            f"name the chart version of a Cilium {version} release (e.g. {version}.0), or change 'version'",
        )
    section_rotation = section.get("rotation")
    if section_rotation.value and not tables.per_flowlog_rotation and "compress" in section_rotation:
        diagnostics.error(
            section_rotation.get("compress").key_location,
            f"Cilium {version} cannot compress rotated flow-log files",
            arrived_hint("file compression (fileCompress)", lambda t: "fileCompress" in t.flowlog_keys)
            + "; remove 'compress' or target that version",
        )

    flow_logs: list[dict[str, Any]] = []
    names: dict[str, Node] = {}
    paths: dict[str, Node] = {}
    for flow_log in section.get("flow-logs").elements():
        entry = _compile_flow_log(flow_log, section_rotation, tables, diagnostics)
        log_name = entry["name"]
        if log_name in names:
            diagnostics.error(
                flow_log.get("name").location,
                f"flow log name '{log_name}' is used twice",
                f"first used at {names[log_name].location}; the agent rejects the whole file on a duplicated flowlog "
                "name",
            )
        names.setdefault(log_name, flow_log.get("name"))
        file_node = flow_log.get("file") if "file" in flow_log else flow_log.get("name")
        if entry["filePath"] in paths:
            diagnostics.error(
                file_node.location,
                f"flow logs '{paths[entry['filePath']].get('name').value}' and '{log_name}' both write to "
                f"{entry['filePath']}",
                "give each flow log its own 'file': the agent rejects the whole file on a duplicated flowlog path",
            )
        paths.setdefault(entry["filePath"], flow_log)
        flow_logs.append(entry)

    values: dict[str, Any] = {"enabled": section.get("enabled", True).value is not False, "version": version}
    if (name, namespace) != (DEFAULT_CONFIGMAP_NAME, DEFAULT_NAMESPACE):
        values["configMap"] = {"name": name, "namespace": namespace}
    values["flowLogs"] = flow_logs
    return CiliumCompiled(
        version=version,
        values=values,
        overlay=_overlay(name, section_rotation, tables, None),
        release_values=_overlay(name, section_rotation, tables, flow_logs),
        flow_log_names=[entry["name"] for entry in flow_logs],
        namespace=namespace,
        chart_version=chart_version,
    )


def _overlay(
    config_map_name: str, rotation: Node, tables: CiliumTables, content: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """Values for Cilium's chart: hand the ConfigMap to flowlogs' chart, or (with `content`, the
    compiled flow logs) have Cilium's chart create it (its cilium-flowlog-configmap.yaml writes
    `flowLogs:` from hubble.export.dynamic.config.content, 1.16-1.19)."""
    export: dict[str, Any] = {}
    if rotation.value and not tables.per_flowlog_rotation:
        # 1.16/1.17: dynamic flow logs share the agent-wide rotation settings.
        for word, key in SHARED_ROTATION_KEYS.items():
            if word in rotation:
                export[key] = rotation.get(word).value
    config: dict[str, Any] = {"configMapName": config_map_name, "createConfigMap": content is not None}
    if content is not None:
        config["content"] = content
    export["dynamic"] = {"enabled": True, "config": config}
    return {"hubble": {"export": export}}  # every key is one of the chart's (tests/test_cilium_tables.py)


def _compile_flow_log(
    node: Node, section_rotation: Node, tables: CiliumTables, diagnostics: Diagnostics
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": node.get("name").value}
    entry["filePath"] = _compile_file(node, section_rotation, tables, diagnostics)
    check_flow_log_path(node, entry["filePath"], diagnostics)
    entry["fieldMask"] = _compile_field_mask(node.get("fields"), "fields", tables, diagnostics)
    _compile_aggregation(node, entry, tables, diagnostics)
    for word in ("include", "exclude"):
        note_filter_shape(node.get(word), word, diagnostics)
    entry["includeFilters"] = _compile_filters(node.get("include"), tables, diagnostics)
    entry["excludeFilters"] = _compile_filters(node.get("exclude"), tables, diagnostics)
    note_visibility(node, diagnostics)
    rotation = node.get("rotation")
    if rotation.value and not tables.per_flowlog_rotation:
        diagnostics.error(
            rotation.key_location,
            f"Cilium {tables.version} has no per-flow-log rotation",
            "its dynamic flow logs share the agent-wide setting: move 'rotation' to the cilium section "
            "(hubble.export.fileMaxSizeMb/fileMaxBackups); "
            + arrived_hint("per-flow-log rotation", lambda t: t.per_flowlog_rotation),
        )
    elif tables.per_flowlog_rotation:
        for source in (section_rotation, rotation):
            for word, key in ROTATION_KEYS.items():
                if word in source:
                    entry[key] = source.get(word).value
    end = node.get("end")
    if end.value is not None:
        entry["end"] = _compile_end(end, str(entry["name"]), diagnostics)
    return entry


def _compile_file(node: Node, section_rotation: Node, tables: CiliumTables, diagnostics: Diagnostics) -> str:
    """filePath: a path, or `stdout` (the agent's own standard output, the container log)."""
    file_node = node.get("file")
    file_path = str(file_node.value or DEFAULT_FILE_PATH)
    if file_path.endswith("/"):
        diagnostics.error(
            file_node.location, f"file '{file_path}' is a directory; name the file, e.g. {file_path}flows.log"
        )
    if file_path == "/dev/stdout":  # every supported version has the literal `stdout` (literal_stdout)
        sized = [source for source in (node.get("rotation"), section_rotation) if "max-size-mb" in source]
        size = sized[0].get("max-size-mb").value if sized else tables.rotation_defaults["fileMaxSizeMb"]
        diagnostics.warning(
            file_node.location,
            f"Cilium {tables.version}: " + tables.dev_stdout_hint.format(size=size),
            "write 'file: stdout' in the profile (compiled to filePath: stdout)",
        )
    return file_path


def _compile_aggregation(node: Node, entry: dict[str, Any], tables: CiliumTables, diagnostics: Diagnostics) -> None:
    """1.19 flow aggregation: aggregate-fields -> fieldAggregate, aggregation-interval -> aggregationInterval."""
    fields_node, interval_node = node.get("aggregate-fields"), node.get("aggregation-interval")
    if fields_node.value is None and interval_node.value is None:
        return
    if not tables.aggregation:
        for word, word_node in (("aggregate-fields", fields_node), ("aggregation-interval", interval_node)):
            if word_node.value is not None:
                diagnostics.error(
                    word_node.key_location,
                    f"Cilium {tables.version} cannot aggregate flows ('{word}')",
                    arrived_hint("flow aggregation (fieldAggregate, aggregationInterval)", lambda t: t.aggregation)
                    + f"; remove '{word}' or target that version",
                )
        return
    if fields_node.value is not None:
        entry["fieldAggregate"] = _compile_field_mask(fields_node, "aggregate-fields", tables, diagnostics)
    if interval_node.value is not None:
        text = str(interval_node.value)
        problem = check_aggregation_interval(text)
        try:
            parse_duration(text)
        except ValueError:
            report(problem, interval_node, diagnostics, "aggregationInterval", "aggregation-interval")
        else:  # read by the agent, but zero or negative: aggregation stays off
            if problem is not None:
                diagnostics.warning(
                    interval_node.location,
                    problem.message.replace("aggregationInterval", "aggregation-interval", 1),
                    problem.fix,
                )
        entry["aggregationInterval"] = text
    elif fields_node.value is not None:
        diagnostics.warning(
            fields_node.key_location,
            "'aggregate-fields' without 'aggregation-interval' aggregates nothing: the interval defaults to "
            f"{tables.aggregation_default_interval}",
            "add e.g. 'aggregation-interval: 30s' (one record per group every interval)",
        )


def _compile_end(node: Node, name: str, diagnostics: Diagnostics) -> str:
    """As Go's time.Time reads it (agent_time.check_end), written canonically in UTC; a warning
    when it has passed (the agent keeps such a flow log configured and writes nothing to it)."""
    text = str(node.value)
    problem = check_end(text)
    if problem is not None:
        report(problem, node, diagnostics)
        return text
    end = canonical_end(text)
    if end_passed(end, now()):
        diagnostics.warning(
            node.location, ended_message(name, end), "move 'end' to a time to come, or remove the flow log"
        )
    return end


def _compile_field_mask(node: Node, word: str, tables: CiliumTables, diagnostics: Diagnostics) -> list[str]:
    items = list(node.elements())
    paths = [str(item.value) for item in items]
    for finding in check_fieldmask(paths, tables.version, word):
        item, problem = items[finding.index], finding.problem
        getattr(diagnostics, finding.severity)(item.location, problem.message, problem.fix)
    unique: list[str] = []
    for item, path in zip(items, paths, strict=True):
        if path in unique:
            diagnostics.warning(item.location, f"field '{path}' is listed twice")
        else:
            unique.append(path)
    return unique


def _compile_filters(node: Node, tables: CiliumTables, diagnostics: Diagnostics) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    for filter_node in node.elements():
        for compiled in compile_filter(filter_node, tables, diagnostics):
            if compiled not in filters:
                filters.append(compiled)
    return filters


def compile_filter(node: Node, tables: CiliumTables, diagnostics: Diagnostics) -> list[dict[str, Any]]:
    """One profile filter -> one FlowFilter, or two when a side-less word is used."""
    common: dict[str, Any] = {}
    sided: dict[str, dict[str, list[Any]]] = {side: {} for side in (*SIDES, "either")}
    sided_nodes: dict[tuple[str, str], Node] = {}
    for key, value_node in node.items():
        word = FILTER_WORDS[key]
        context = FilterContext(tables, word)
        if word.kind is RAW:
            _merge(common, RAW.compile(value_node, context, diagnostics), value_node, diagnostics)
            continue
        if word.side:
            stem = key.split("-", 1)[1] if word.side != "either" else key
            sided[word.side][stem] = word.kind.compile(value_node, context, diagnostics)
            sided_nodes[(word.side, stem)] = value_node
            continue
        if word.field not in tables.filter_fields:
            diagnostics.error(
                value_node.key_location,
                f"'{word.word}' ({word.field}) is not a FlowFilter field in Cilium {tables.version}",
                arrived_hint(f"'{word.word}' ({word.field})", has_filter_field(word.field))
                + ": target that version or remove it",
            )
        _merge(common, {word.field: word.kind.compile(value_node, context, diagnostics)}, value_node, diagnostics)

    _check_l7_event_types(node, common, tables, diagnostics)
    for stem in sided["either"]:
        for side in SIDES:
            if stem in sided[side]:
                diagnostics.error(
                    sided_nodes[("either", stem)].key_location,
                    f"'{stem}' (either side) and '{side}-{stem}' in one filter are ambiguous",
                    f"use two filters, or only '{side}-{stem}'",
                )
    results = []
    for side in SIDES if sided["either"] else SIDES[:1]:  # without either-side words: one filter of both sides
        result = dict(common)
        merged = {**sided[side], **sided["either"]}
        nodes = {**sided_nodes, **{(side, stem): n for (s, stem), n in sided_nodes.items() if s == "either"}}
        other = SIDES[1] if side == SIDES[0] else SIDES[0]
        _merge(result, _side_fields(side, merged, nodes, tables, diagnostics), node, diagnostics)
        _merge(result, _side_fields(other, sided[other], sided_nodes, tables, diagnostics), node, diagnostics)
        results.append(dict(sorted(result.items())))
    return results


def _merge(target: dict[str, Any], fields: dict[str, Any], node: Node, diagnostics: Diagnostics) -> None:
    for key, value in fields.items():
        if key in target and target[key] != value:
            diagnostics.error(
                node.key_location,
                f"FlowFilter field '{key}' is set twice in one filter",
                "a filter is an AND of its fields: merge the values into one list, or use two filters",
            )
            continue
        target[key] = value


def _side_fields(
    side: str,
    words: dict[str, list[Any]],
    nodes: dict[tuple[str, str], Node],
    tables: CiliumTables,
    diagnostics: Diagnostics,
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    namespaces = words.get("namespace", [])
    for stem in ("pod", "service"):
        if stem in words:
            names = _qualified(words[stem], namespaces, stem, nodes.get((side, stem)), diagnostics)
            fields[f"{side}_{SIDED_WORDS[stem][0]}"] = names
    if namespaces and not ({"pod", "service"} & set(words)):
        # hubble observe --namespace with no pod or service filter: every pod of the namespace.
        fields[f"{side}_pod"] = [f"{namespace}/" for namespace in namespaces]
    for stem, values in words.items():
        if stem in ("namespace", "pod", "service"):
            continue
        field_name = f"{side}_{SIDED_WORDS[stem][0]}"
        if field_name not in tables.filter_fields:
            node = nodes[(side, stem)]
            diagnostics.error(
                node.key_location,
                f"'{stem}' filters ({field_name}) need a newer Cilium than {tables.version}",
                arrived_hint(f"FlowFilter {field_name}", has_filter_field(field_name)),
            )
            continue
        fields[field_name] = values
    return fields


def _qualified(
    names: list[str], namespaces: list[str], stem: str, node: Node | None, diagnostics: Diagnostics
) -> list[str]:
    """Pod or service names as `hubble observe --namespace` qualifies them (hubble/cmd/observe/flows_filter.go,
    addNamespacesToFilter): a bare name gets each namespace of the filter, or `default` without one, because
    Hubble's server reads a bare name as default/name (pkg/hubble/k8s ParseNamespaceName); `*/name` is any namespace."""
    result = []
    for name in names:
        if name.startswith("*/"):
            result.append(name[1:])  # "/name": Hubble's spelling for any namespace
        elif "/" in name:
            conflict = [namespace for namespace in namespaces if namespace != name.split("/", 1)[0]]
            if conflict and node is not None:
                diagnostics.error(
                    node.location,
                    f"{stem} '{name}' is in namespace {name.split('/', 1)[0]}, but the filter's namespace is "
                    f"{', '.join(namespaces)}",
                    f"write the {stem} without 'namespace/' or drop the 'namespace' key (hubble observe rejects this "
                    "as a namespace conflict)",
                )
            result.append(name)
        else:
            result.extend(f"{namespace}/{name}" for namespace in namespaces or ["default"])
    return result


HTTP_FIELDS = ("http_status_code", "http_method", "http_path", "http_url", "http_header")


def _check_l7_event_types(
    node: Node, flow_filter: dict[str, Any], tables: CiliumTables, diagnostics: Diagnostics
) -> None:
    """The agent refuses HTTP filters beside event types that exclude l7 (pkg/hubble/filters/http.go:
    "filtering by http ... requires the event type filter to only match 'l7' events")."""
    event_types = flow_filter.get("event_type") or []
    l7 = tables.event_types["l7"]
    if not event_types or any(e.get("type") == l7 for e in event_types):
        return
    for key, value_node in node.items():
        word = FILTER_WORDS[key]
        if word.field in HTTP_FIELDS:
            diagnostics.error(
                value_node.key_location,
                f"'{key}' needs the filter's event types to include l7: the agent refuses HTTP filters beside other "
                "event types",
                "add 'l7' to 'event-type', or put the HTTP words in a filter of their own",
            )

"""The kinds of value a Hubble filter word takes, each with its schema, compile, decompile and explain.

A filter word (`source-pod`, `verdict`) is a row of `filters.py` pointing at one of these
objects. `compile` turns the word's value (one value or a list, which means OR) into the
FlowFilter field value for one Cilium version; `decompile` turns a FlowFilter field value
back into the profile's words (import); `explain` says it in English.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import Diagnostics, did_you_mean
from ..extras import install_command, missing
from ..kinds import INVALID, ValueKind, join_words, one_or_many, text_or_mapping
from ..names import DNS_LABEL_RE, python_pattern
from .agent_labels import check_label_selector
from .agent_patterns import check_fqdn_pattern, check_node_name_pattern, check_regexp
from .agent_problem import AgentProblem
from .defaults import DEFAULT_VERSION
from .tables import TCP_FLAGS, CiliumTables, drop_reason_name, first_version_with, load_tables

if TYPE_CHECKING:
    from ..profile import Node
    from .filters import FilterWord

# Values `hubble observe --http-method` takes (cilium/hubble cmd/observe/flows.go).
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
GLOB_CHARS = frozenset("*?[]")
# FlowFilter enum element types -> the table of their names.
ENUM_TABLES = {"Verdict": "verdicts", "TrafficDirection": "traffic_directions", "IPVersion": "ip_versions"}
# Ranges of the proto integer types protojson accepts (an out-of-range number fails the whole file).
UINT32_MAX = 2**32 - 1
UINT64_MAX = 2**64 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# http_status_code values the agent accepts: a full code or a 1-2 digit prefix and '+'.
HTTP_STATUS_PATTERN = r"^(?:[1-5][0-9]{2}|[1-5][0-9]?\+)$"  # ECMA-262, for the schema
HTTP_STATUS_RE = re.compile(python_pattern(HTTP_STATUS_PATTERN))


@dataclass(frozen=True)
class FilterContext:
    """What compiling one filter word needs: the version's tables and the word itself."""

    tables: CiliumTables
    word: FilterWord


class FilterKind(ValueKind[FilterContext]):
    """A filter word's value: one item or a list of items (OR); the field value is a list."""

    key = "string"  # the name docs and the schema's titles use

    def item_schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, "title": self.key}

    def schema(self) -> dict[str, Any]:
        return one_or_many(self.item_schema())

    def compile(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        items = [self.compile_item(item, context, diagnostics) for item in node.elements()]
        return [item for item in items if item is not INVALID]

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        return str(node.value)

    def decompile(self, upstream: Any, context: FilterContext) -> Any:
        words = [self.decompile_item(item, context) for item in upstream]
        return words[0] if len(words) == 1 else words

    def decompile_item(self, upstream: Any, context: FilterContext) -> Any:
        return upstream

    def explain(self, value: Any, tables: CiliumTables | None = None) -> str:
        """English for a compiled FlowFilter value of this kind (what the agent reads, so the
        sentence cannot contradict the compiled filter), in the words of `tables`' version."""
        items = value if isinstance(value, list) else [value]
        return join_words([self.explain_item(item, tables or load_tables(DEFAULT_VERSION)) for item in items])

    def explain_item(self, value: Any, tables: CiliumTables) -> str:
        return str(value)


def report(problem: AgentProblem | None, node: Node, diagnostics: Diagnostics, field: str = "", word: str = "") -> None:
    """An agent checker's problem as a profile error at the value, in the profile's words
    (the checkers name the FlowFilter field: `http_path '...'` becomes `http-path '...'`)."""
    if problem is None:
        return
    message = problem.message
    if field and word and message.startswith(f"{field} "):
        message = word + message[len(field) :]
    diagnostics.error(node.location, message, problem.fix)


def _no_glob(value: str, node: Node, what: str, diagnostics: Diagnostics) -> None:
    if GLOB_CHARS & set(value):
        fixed = value.split("*")[0].split("?")[0].split("[")[0]
        diagnostics.error(
            node.location,
            f"{what} '{value}' contains a glob character; Hubble matches {what}s by prefix, not by glob",
            f"write '{fixed}' to match every {what} that starts with it",
        )


class AgentParsed(FilterKind):
    """A string the agent parses when it builds the flow log's filters, checked as the agent does
    (agent_patterns, agent_labels); the checker names the FlowFilter field, the error the word."""

    def __init__(self, key: str, check: Callable[[str, str], AgentProblem | None]) -> None:
        self.key, self.check = key, check

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        text = str(node.value)
        report(self.check(text, context.word.field), node, diagnostics, context.word.field, context.word.word)
        return text


class NamePrefix(FilterKind):
    """`namespace/prefix` or `prefix` (pods, services): Hubble matches by prefix, not glob."""

    key = "pod"

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        text = str(node.value)
        _no_glob(text.removeprefix("*/"), node, "service" if "service" in context.word.word else "pod", diagnostics)
        if text.count("/") > 1 or text == "/":
            diagnostics.error(node.location, f"'{text}' is not [namespace/]name-prefix")
        return text

    def decompile_item(self, upstream: Any, context: FilterContext) -> Any:
        text = str(upstream)
        return f"*{text}" if text.startswith("/") else text

    def explain_item(self, value: Any, tables: CiliumTables) -> str:
        # pkg/hubble/k8s ParseNamespaceName: `ns/prefix`; `/prefix` is any namespace; a bare name is in default.
        namespace, slash, prefix = str(value).rpartition("/")
        names = f"names starting with '{prefix}'" if prefix else "any name"
        if not slash:
            namespace = "default"
        return f"{names} in any namespace" if not namespace else f"{names} in namespace {namespace}"


class Namespace(FilterKind):
    """A namespace; compiled to the pod prefix `namespace/` (FlowFilter has no namespace field)."""

    key = "namespace"

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        text = str(node.value)
        _no_glob(text, node, "namespace", diagnostics)
        if not GLOB_CHARS & set(text) and not DNS_LABEL_RE.match(text.rstrip("/")):
            diagnostics.error(node.location, f"'{text}' is not a namespace name")
        return text.rstrip("/")

    def decompile_item(self, upstream: Any, context: FilterContext) -> Any:
        return str(upstream).rstrip("/")


def whole_namespaces(pods: Any) -> bool:
    """Pod prefixes that are all `namespace/`, as the namespace words compile to."""
    return (
        isinstance(pods, list)
        and bool(pods)
        and all(isinstance(p, str) and p.endswith("/") and p.count("/") == 1 and len(p) > 1 for p in pods)
    )


class IpOrCidr(FilterKind):
    key = "ip"

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        # pkg/hubble/filters/ip.go (cilium v1.19.4 via cilium/hubble tag v1.19.4): netip.ParsePrefix when the
        # value has a '/', else netip.ParseAddr. ParsePrefix takes decimal bits without a leading zero and no
        # zone: 10.0.0.0/255.0.0.0 is a netmask Python's ipaddress reads but Go does not.
        text = str(node.value)
        address, slash, length = text.partition("/")
        try:
            ipaddress.ip_address(address)
            if slash and not (
                length.isascii() and length.isdigit() and (length == "0" or length[0] != "0") and "%" not in address
            ):
                raise ValueError(text)
            if slash:
                ipaddress.ip_network(text, strict=False)
        except ValueError:
            diagnostics.error(
                node.location, f"'{text}' is not an IP address or CIDR range", "e.g. 10.0.0.1, 10.0.0.0/8 or fd00::/64"
            )
        return text


class Port(FilterKind):
    key = "port"

    def item_schema(self) -> dict[str, Any]:
        return {"type": ["integer", "string"], "title": "port"}

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        # The agent parses ports with strconv.ParseUint(port, 10, 16) (pkg/hubble/filters/port.go):
        # decimal digits only, 0-65535; "+80", " 80" and "8_0" fail although Python's int() reads them.
        value = node.value
        text = str(value)
        if isinstance(value, bool) or not (text.isascii() and text.isdigit() and int(text) <= 65535):
            diagnostics.error(
                node.location, f"'{value}' is not a port number (0-65535)", "write the port in decimal digits, e.g. 443"
            )
        return text

    def decompile_item(self, upstream: Any, context: FilterContext) -> Any:
        return int(upstream) if str(upstream).isdigit() else upstream


class Identity(FilterKind):
    """A security identity: a number, or a reserved identity's name (`world`, `reserved:host`)."""

    key = "identity"

    def item_schema(self) -> dict[str, Any]:
        return {"type": ["integer", "string"], "title": "identity"}

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        value, tables = node.value, context.tables
        text = str(value).removeprefix("reserved:")
        if (isinstance(value, int) and not isinstance(value, bool)) or (text.isascii() and text.isdigit()):
            # source_identity / destination_identity are repeated uint32 (flow.proto): protojson rejects
            # anything outside 0..4294967295, and the agent then rejects the whole flowlogs.yaml.
            if not 0 <= (number := int(text)) <= UINT32_MAX:
                diagnostics.error(
                    node.location,
                    f"identity {number} is not a security identity (0-{UINT32_MAX}, a uint32)",
                    "Cilium's identities are unsigned 32-bit numbers, e.g. 2 (world) or 16777217",
                )
            return number
        if text not in tables.reserved_identities:
            diagnostics.error(
                node.location,
                f"unknown reserved identity '{value}'{did_you_mean(text, tables.reserved_identities)}",
                "use a number, or one of: " + ", ".join(tables.reserved_identities),
            )
            return 0
        return tables.reserved_identities[text]

    def decompile_item(self, upstream: Any, context: FilterContext) -> Any:
        names = {code: name for name, code in context.tables.reserved_identities.items()}
        return names.get(int(upstream), int(upstream))

    def explain_item(self, value: Any, tables: CiliumTables) -> str:
        names = {code: name for name, code in tables.reserved_identities.items()}
        return f"{names[value]} ({value})" if value in names else str(value)


class Uint64(FilterKind):
    """A repeated uint64 FlowFilter field (1.19 ip_trace_id): whole numbers 0 to 2^64-1."""

    key = "number"

    def item_schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": 0, "maximum": UINT64_MAX, "title": "number"}

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT64_MAX:
            diagnostics.error(
                node.location, f"'{value}' is not a {context.word.word} (a whole number from 0 to {UINT64_MAX})"
            )
        return value


class Workload(FilterKind):
    key = "workload"

    def item_schema(self) -> dict[str, Any]:
        return text_or_mapping("workload", {"kind": {"type": "string"}, "name": {"type": "string"}})

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        value = node.value
        if isinstance(value, dict):
            return {k: value[k] for k in ("kind", "name") if k in value}
        workload_kind, slash, name = str(value).partition("/")
        return {"kind": workload_kind, "name": name} if slash else {"name": workload_kind}

    def decompile_item(self, upstream: Any, context: FilterContext) -> Any:
        if set(upstream) == {"kind", "name"}:
            return f"{upstream['kind']}/{upstream['name']}"
        if set(upstream) == {"name"}:
            return upstream["name"]
        return dict(upstream)

    def explain_item(self, value: Any, tables: CiliumTables) -> str:
        # filters/workload.go: an empty kind or name matches any.
        if not isinstance(value, dict):
            return str(value)
        kind, name = value.get("kind", ""), value.get("name", "")
        if kind and name:
            return f"{kind} {name}"
        return f"any {kind}" if kind else (f"{name} (any kind)" if name else "any workload")


class LabelSelector(AgentParsed):
    def explain_item(self, value: Any, tables: CiliumTables) -> str:
        return f"'{value}'"


class TableEnum(FilterKind):
    """A flow.proto enum by its plain name (`dropped` -> DROPPED), from the version's table."""

    def __init__(self, table: str, title: str) -> None:
        self.key, self.title_text = table, title

    def names(self, tables: CiliumTables) -> dict[str, str]:
        return dict(getattr(tables, self.key))

    def words(self, tables: CiliumTables) -> dict[str, str]:
        return {name: word for word, name in self.names(tables).items()}

    def item_schema(self) -> dict[str, Any]:
        return {"enum": list(self.names(load_tables(DEFAULT_VERSION))), "title": self.title_text}

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        return self.names(context.tables)[str(node.value)]

    def decompile_item(self, upstream: Any, context: FilterContext) -> Any:
        return self.words(context.tables).get(str(upstream), upstream)

    def explain_item(self, value: Any, tables: CiliumTables) -> str:
        return str(self.words(tables).get(str(value), value))


class Flag(FilterKind):
    """true or false; the FlowFilter field is a list of one boolean."""

    key = "bool"

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}

    def compile(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        return [bool(node.value)]

    def decompile(self, upstream: Any, context: FilterContext) -> Any:
        return bool(upstream[0]) if isinstance(upstream, list) else bool(upstream)

    def explain_item(self, value: Any, tables: CiliumTables) -> str:
        return "true" if value is True else "false" if value is False else str(value)


class DropReasonName(FilterKind):
    """A drop reason by name (`policy-denied`), enum name or code; compiled to the enum name."""

    key = "drop-reason"

    def item_schema(self) -> dict[str, Any]:
        return {"type": ["string", "integer"], "title": "drop reason"}

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        value, tables, text = node.value, context.tables, str(node.value)
        reason = (
            tables.drop_reasons_by_code.get(value)
            if isinstance(value, int)
            else tables.drop_reasons.get(text.lower())
            or tables.drop_reasons_by_enum.get(text.upper().replace("-", "_"))
        )
        if reason is None:
            diagnostics.error(
                node.location,
                f"unknown drop reason {value!r} for Cilium {tables.version}{did_you_mean(text, tables.drop_reasons)}",
                "names are Cilium's DropReason names in lower case with '-', e.g. policy-denied, policy-deny, "
                "unsupported-l3-protocol",
            )
            return INVALID
        if reason.deprecated:
            diagnostics.warning(
                node.location,
                f"drop reason '{reason.name}' ({reason.code}) is no longer produced by Cilium {tables.version}",
            )
        explain_policy_drop(node, reason.code, tables, diagnostics)
        return reason.enum

    def decompile_item(self, upstream: Any, context: FilterContext) -> Any:
        if isinstance(upstream, int):
            reason = context.tables.drop_reasons_by_code.get(upstream)
            return reason.name if reason else upstream
        return drop_reason_name(str(upstream))

    def explain_item(self, value: Any, tables: CiliumTables) -> str:
        reason = tables.drop_reasons_by_enum.get(str(value)) or (
            tables.drop_reasons_by_code.get(value) if isinstance(value, int) else None
        )
        return f"{reason.name} ({reason.code})" if reason else str(value)


def explain_policy_drop(node: Node, code: int, tables: CiliumTables, diagnostics: Diagnostics) -> None:
    """policy-deny (181) and policy-denied (133) are easy to mix up: say which one this is."""
    deny, denied = tables.drop_reasons_by_code.get(181), tables.drop_reasons_by_code.get(133)
    if not deny or not denied:
        return
    if code == deny.code:
        diagnostics.note(
            node.location,
            f"'{deny.name}' ({deny.code}, {deny.enum}) matches drops by an explicit deny rule (\"{deny.description}\")",
            f"traffic dropped because no policy allows it is '{denied.name}' ({denied.code}, {denied.enum})",
        )
    elif code == denied.code:
        diagnostics.note(
            node.location,
            f"'{denied.name}' ({denied.code}, {denied.enum}) matches drops because no policy allows the traffic",
            f"drops by an explicit deny rule (ingressDeny/egressDeny) are '{deny.name}' ({deny.code}, {deny.enum})",
        )


class EventType(FilterKind):
    """An event type by name or code, or `{type, sub-type, match-sub-type}` (EventTypeFilter)."""

    key = "event-type"

    def item_schema(self) -> dict[str, Any]:
        event = {
            "type": "object",
            "additionalProperties": False,
            "required": ["type"],
            "properties": {
                "type": {"type": ["string", "integer"], "title": "event type"},
                "sub-type": {"type": ["string", "integer"], "title": "event sub-type"},
                "match-sub-type": {"type": "boolean"},
            },
            "x-upstream-aliases": {"sub_type": "sub-type", "match_sub_type": "match-sub-type", "subType": "sub-type"},
        }
        return {"oneOf": [{"type": ["string", "integer"], "title": "event type"}, event]}

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        tables = context.tables
        value = node.value
        spec = value if isinstance(value, dict) else {"type": value}
        type_node = node.get("type") if isinstance(value, dict) else node
        type_value = spec["type"]
        if isinstance(type_value, int):
            code = type_value
            if code not in tables.event_types.values():
                diagnostics.error(
                    type_node.location,
                    f"unknown event type code {code}",
                    "one of: " + ", ".join(f"{n} ({c})" for n, c in tables.event_types.items()),
                )
        else:
            code = tables.event_types.get(str(type_value).lower(), -1)
            if code < 0:
                diagnostics.error(
                    type_node.location,
                    f"unknown event type '{type_value}'{did_you_mean(str(type_value), tables.event_types)}",
                    "one of: " + ", ".join(tables.event_types),
                )
        result: dict[str, Any] = {"type": code}
        if "sub-type" in spec:
            result.update(self._sub_type(node, spec, code, tables, diagnostics))
        elif spec.get("match-sub-type"):
            diagnostics.error(node.get("match-sub-type").location, "'match-sub-type: true' needs a 'sub-type'")
        return result

    @staticmethod
    def _sub_type(
        node: Node, spec: dict[str, Any], code: int, tables: CiliumTables, diagnostics: Diagnostics
    ) -> dict[str, Any]:
        sub_node = node.get("sub-type")
        sub_value, type_value = spec["sub-type"], spec["type"]
        names = tables.sub_types_for(code)
        if isinstance(sub_value, int) and not isinstance(sub_value, bool):
            sub_code = sub_value
            if not INT32_MIN <= sub_code <= INT32_MAX:
                # EventTypeFilter.sub_type is an int32 (flow.proto): protojson rejects the whole file.
                diagnostics.error(
                    sub_node.location,
                    f"sub-type {sub_code} is out of range: EventTypeFilter.sub_type is an int32 ({INT32_MIN} to "
                    f"{INT32_MAX})",
                    "use a sub-type name, or its code from Cilium's monitor API, e.g. 133 (policy-denied)",
                )
        elif str(sub_value).lower() in names:
            sub_code = names[str(sub_value).lower()]
            if code == tables.event_types.get("drop"):
                explain_policy_drop(sub_node, sub_code, tables, diagnostics)
        else:
            sub_code = 0
            diagnostics.error(
                sub_node.location,
                f"unknown sub-type '{sub_value}' for event type '{type_value}'{did_you_mean(str(sub_value), names)}",
                "sub-types are drop reasons for drop events, observation points (to-endpoint, from-network, ...) for "
                "trace events"
                if names
                else "this event type has no named sub-types: use a number",
            )
        # As `hubble observe --type drop:133` does (flows_filter.go), a sub-type is matched unless
        # the profile says `match-sub-type: false` (then Hubble ignores it: filters/event_type.go).
        matched = {"match_sub_type": True} if spec.get("match-sub-type", True) else {}
        return {**matched, "sub_type": sub_code}

    def decompile_item(self, upstream: Any, context: FilterContext) -> Any:
        tables = context.tables
        type_names = {code: name for name, code in tables.event_types.items()}
        code = int(upstream.get("type", 0))
        type_word = type_names.get(code, code)
        if "sub_type" not in upstream and not upstream.get("match_sub_type"):
            return type_word
        result: dict[str, Any] = {"type": type_word}
        if "sub_type" in upstream:
            sub_names = {sub: name for name, sub in tables.sub_types_for(code).items()}
            result["sub-type"] = sub_names.get(int(upstream["sub_type"]), int(upstream["sub_type"]))
        result["match-sub-type"] = bool(upstream.get("match_sub_type", False))
        return result

    def explain_item(self, value: Any, tables: CiliumTables) -> str:
        # filters/event_type.go: type 0 is any type; the sub-type counts only with match_sub_type.
        if not isinstance(value, dict):
            return str(value)
        code, sub = value.get("type", 0), value.get("sub_type", 0)
        type_word = {c: n for n, c in tables.event_types.items()}.get(code, str(code)) if code else "any type"
        sub_word = {c: n for n, c in tables.sub_types_for(code).items()}.get(sub) if isinstance(code, int) else None
        sub_text = f"{sub_word} ({sub})" if sub_word else str(sub)
        if value.get("match_sub_type"):
            return f"{type_word} with sub-type {sub_text}"
        if "sub_type" in value:
            return f"{type_word} of any sub-type (sub-type {sub_text} is ignored without match-sub-type)"
        return type_word


class Protocol(FilterKind):
    """FlowFilter.protocol: the names the version's agent knows (filter_protocols in the tables)."""

    key = "protocol"

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        text = str(node.value).lower()
        known = context.tables.filter_protocols
        if text not in known:
            since = first_version_with(lambda tables: text in tables.filter_protocols)
            hint = f"protocol '{text}' arrived with Cilium {since}; " if since else ""
            diagnostics.error(
                node.location,
                f"unknown protocol '{node.value}' for Cilium {context.tables.version}{did_you_mean(text, known)}",
                hint + "one of: " + ", ".join(known),
            )
        return text


class HttpMethod(FilterKind):
    key = "http-method"

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        text = str(node.value).upper()
        if text not in HTTP_METHODS:
            diagnostics.error(node.location, f"unknown HTTP method '{node.value}'{did_you_mean(text, HTTP_METHODS)}")
        return text


class HttpStatus(FilterKind):
    key = "http-status"

    def item_schema(self) -> dict[str, Any]:
        return {
            "type": ["string", "integer"],
            "pattern": HTTP_STATUS_PATTERN,
            "title": "HTTP status",
            "x-pattern-hint": "a status code (404) or a prefix followed by '+' (5+, 40+)",
        }

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        # pkg/hubble/filters/http.go filterByStatusCode: a full code 100-599, or a prefix of one or two
        # digits followed by '+' ("5+", "40+"); anything else fails building the flow log's filters.
        text = str(node.value)
        if isinstance(node.value, bool) or not HTTP_STATUS_RE.fullmatch(text):
            diagnostics.error(
                node.location,
                f"'{text}' is not an HTTP status filter Cilium's agent accepts (a code from 100 to 599, or 1-2 leading "
                "digits and '+')",
                "write a code like 404, or a prefix like 5+ (any 5xx) or 40+ (400-409)",
            )
        return text

    def decompile_item(self, upstream: Any, context: FilterContext) -> Any:
        return int(upstream) if str(upstream).isdigit() and len(str(upstream)) == 3 else upstream

    def explain_item(self, value: Any, tables: CiliumTables) -> str:
        text = str(value)
        return f"{text[:-1]}{'x' * (4 - len(text))}" if text.endswith("+") else text


class HttpHeader(FilterKind):
    key = "http-header"

    def item_schema(self) -> dict[str, Any]:
        return text_or_mapping(
            "HTTP header", {"key": {"type": "string"}, "value": {"type": "string"}}, required=["key"]
        )

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        if isinstance(node.value, dict):
            return {"key": node.value["key"], "value": node.value.get("value", "")}
        key, sep, value = str(node.value).partition(":")
        if not sep or not key.strip():
            diagnostics.error(node.location, f"HTTP header '{node.value}' is not key:value")
        return {"key": key.strip(), "value": value.strip()}

    def decompile_item(self, upstream: Any, context: FilterContext) -> Any:
        return f"{upstream.get('key', '')}:{upstream.get('value', '')}"

    def explain_item(self, value: Any, tables: CiliumTables) -> str:
        return f"'{value.get('key', '')}:{value.get('value', '')}'" if isinstance(value, dict) else str(value)


class TcpFlags(FilterKind):
    """A set of TCP flags (`SYN,ACK`): matches when all of them are set."""

    key = "tcp-flags"

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        flags = [f.strip().upper() for f in str(node.value).replace("|", ",").split(",") if f.strip()]
        for flag in flags:
            if flag not in TCP_FLAGS:
                diagnostics.error(
                    node.location,
                    f"unknown TCP flag '{flag}'{did_you_mean(flag, TCP_FLAGS)}",
                    "flags: " + ", ".join(TCP_FLAGS),
                )
        return {flag: True for flag in flags}

    def decompile_item(self, upstream: Any, context: FilterContext) -> Any:
        return ",".join(flag for flag, on in upstream.items() if on)

    def explain_item(self, value: Any, tables: CiliumTables) -> str:
        flags = [flag for flag, on in value.items() if on] if isinstance(value, dict) else [str(value)]
        return f"{','.join(flags)} (all set)" if flags else "any flags"


class Interface(FilterKind):
    key = "interface"

    def item_schema(self) -> dict[str, Any]:
        return text_or_mapping("interface", {"name": {"type": "string"}, "index": {"type": "integer", "minimum": 0}})

    def compile_item(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        return node.value if isinstance(node.value, dict) else {"name": str(node.value)}

    def decompile_item(self, upstream: Any, context: FilterContext) -> Any:
        return upstream["name"] if set(upstream) == {"name"} else dict(upstream)

    def explain_item(self, value: Any, tables: CiliumTables) -> str:
        if not isinstance(value, dict):
            return str(value)
        name, index = value.get("name", ""), value.get("index", 0)
        if name and index:
            return f"{name} with index {index}"
        return str(name) if name else f"index {index}" if index else "any interface"


class CelExpression(FilterKind):
    """CEL expressions over `_flow`; the field is the Experimental message `{cel_expression: [...]}`."""

    def compile(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        expressions = []
        for item in node.elements():
            expression, version = str(item.value), context.tables.version
            if missing("cel"):
                # Not silently accepted: the agent drops a flow log whose expression does not compile.
                diagnostics.warning(
                    item.location,
                    f"cel '{expression}' is not checked against what Cilium {version}'s agent compiles: the CEL "
                    "checker is not installed",
                    install_command("cel"),
                )
            else:
                from .agent_cel import check_cel  # the CEL checker loads only for a profile with a cel word

                report(check_cel(expression, version), item, diagnostics)
            expressions.append(expression)
        return {"cel_expression": expressions}

    def decompile(self, upstream: Any, context: FilterContext) -> Any:
        expressions = list(upstream.get("cel_expression", []))
        return expressions[0] if len(expressions) == 1 else expressions

    def explain(self, value: Any, tables: CiliumTables | None = None) -> str:
        expressions = value.get("cel_expression", []) if isinstance(value, dict) else [value]
        return join_words([f"`{expression}`" for expression in expressions])


class RawFields(FilterKind):
    """Upstream FlowFilter fields as Cilium spells them, checked like the agent's protojson parser would."""

    key = "raw"

    def schema(self) -> dict[str, Any]:
        return {"type": "object"}

    def compile(self, node: Node, context: FilterContext, diagnostics: Diagnostics) -> Any:
        tables = context.tables
        by_json = {f.json_name: f.name for f in tables.filter_fields.values()}
        result: dict[str, Any] = {}
        for key, value_node in node.items():
            name = key if key in tables.filter_fields else by_json.get(key)
            if name is None:
                hint = (
                    "FlowFilter has no namespace field: use source_pod/destination_pod with a 'namespace/' prefix"
                    if "namespace" in key
                    else "the agent rejects the whole flowlogs.yaml on one unknown filter key"
                )
                diagnostics.error(
                    value_node.key_location,
                    f"unknown FlowFilter field '{key}' for Cilium "
                    f"{tables.version}{did_you_mean(key, tables.filter_fields)}",
                    hint,
                )
                continue
            result[name] = _check_raw_value(tables.filter_fields[name].type, value_node, tables, diagnostics)
            _check_raw_strings(name, value_node, context, diagnostics)
        return result

    def decompile(self, upstream: Any, context: FilterContext) -> Any:
        return dict(upstream)

    def explain(self, value: Any, tables: CiliumTables | None = None) -> str:
        return "upstream fields " + ", ".join(f"{key}={field_value}" for key, field_value in value.items())


def _check_raw_value(type_name: str, node: Node, tables: CiliumTables, diagnostics: Diagnostics) -> Any:
    repeated = type_name.startswith("repeated ")
    element = type_name.removeprefix("repeated ")
    value = node.value
    if repeated and not isinstance(value, list):
        diagnostics.error(node.location, f"expected a list ({type_name}), got {value!r}")
        return value
    for item in list(node.elements()) if repeated else [node]:
        _check_raw_element(element, item, tables, diagnostics)
    return value


def _check_raw_strings(field: str, node: Node, context: FilterContext, diagnostics: Diagnostics) -> None:
    """A raw string the agent parses when it builds the flow log (filters.BuildFilterList: ports, IPs,
    status codes, patterns, label selectors, protocols) is checked as the field's word checks it:
    `source_port: ['{{x}}']` fails there as `source-port: '{{x}}'` does."""
    from .filters import FIELD_WORDS

    word = FIELD_WORDS.get(field)
    if word is None or word.kind not in AGENT_PARSED or not isinstance(node.value, list):
        return
    for item in node.elements():
        if isinstance(item.value, str):
            word.kind.compile_item(item, FilterContext(context.tables, word), diagnostics)


def _check_raw_element(element: str, item: Node, tables: CiliumTables, diagnostics: Diagnostics) -> None:
    v = item.value
    if element == "string" and not isinstance(v, str):
        diagnostics.error(item.location, f"expected a string, got {v!r}", 'quote numbers, e.g. "443"')
    elif element in ("uint32", "int32") and (not isinstance(v, int) or isinstance(v, bool)):
        diagnostics.error(item.location, f"expected a number, got {v!r}")
    elif element == "bool" and not isinstance(v, bool):
        diagnostics.error(item.location, f"expected true or false, got {v!r}")
    elif element in ENUM_TABLES or element == "DropReason":
        # protojson reads an enum from its name or number only; DropReason's many names are not listed
        drop = element == "DropReason"
        names = tables.drop_reasons_by_enum if drop else set(getattr(tables, ENUM_TABLES[element]).values())
        hint = "" if drop else "one of: " + ", ".join(sorted(names))
        if isinstance(v, bool):
            example = ", e.g. POLICY_DENIED" if drop else ""
            diagnostics.error(item.location, f"{str(v).lower()} is not a {element}: write its name{example}", hint)
        elif v not in names and not isinstance(v, int):
            diagnostics.error(item.location, f"unknown {element} '{v}'{did_you_mean(str(v), names)}", hint)
    elif element in tables.nested_fields:
        if not isinstance(v, dict):
            diagnostics.error(item.location, f"expected a mapping ({element}), got {v!r}")
            return
        for key in v:
            if key not in tables.nested_fields[element]:
                diagnostics.error(
                    item.get(key).key_location,
                    f"unknown {element} field '{key}'{did_you_mean(key, tables.nested_fields[element])}",
                )


# The kinds, one instance each: filter words point at these.
TEXT = FilterKind()  # free text handed to Hubble as is (ids, cluster names)
REGEXP = AgentParsed("regexp", check_regexp)  # Go regexp (RE2 syntax): http-path, http-url, dns-query
FQDN = AgentParsed("fqdn", check_fqdn_pattern)  # Hubble's FQDN patterns
NODE_NAME = AgentParsed("node-name", check_node_name_pattern)  # `[cluster/]node` patterns
UINT64 = Uint64()
NAME_PREFIX = NamePrefix()
NAMESPACE = Namespace()
IP = IpOrCidr()
PORT = Port()
IDENTITY = Identity()
WORKLOAD = Workload()
LABEL = LabelSelector("label", check_label_selector)
VERDICT = TableEnum("verdicts", "verdict")
DIRECTION = TableEnum("traffic_directions", "traffic direction")
IP_VERSION = TableEnum("ip_versions", "IP version")
FLAG = Flag()
DROP_REASON = DropReasonName()
EVENT_TYPE = EventType()
PROTOCOL = Protocol()
HTTP_METHOD = HttpMethod()
HTTP_STATUS = HttpStatus()
HTTP_HEADER = HttpHeader()
TCP_FLAG_SETS = TcpFlags()
INTERFACE = Interface()
CEL = CelExpression()
RAW = RawFields()
# Kinds whose values the agent parses when it builds a flow log's filters: a raw value is checked by them too.
AGENT_PARSED = (PORT, IP, HTTP_STATUS, REGEXP, FQDN, NODE_NAME, LABEL, PROTOCOL)

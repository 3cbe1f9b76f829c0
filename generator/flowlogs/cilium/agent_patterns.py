"""The agent's reading of the pattern-valued FlowFilter fields.

- ``http_path``, ``http_url``, ``dns_query``: Go ``regexp.Compile`` (pkg/hubble/filters/http.go
  filterByHTTPPaths / filterByHTTPUrls, fqdn.go filterByDNSQueries, Cilium 1.16-1.19). Go's regexp
  implements RE2 syntax; it is checked here with RE2 itself (google-re2, the RE2 project's own
  Python binding), not Python's ``re``. Matching is unanchored (``MatchString``); http_path is
  matched against the parsed URL's path, dns_query against the query name as Hubble records it.
  Known gaps between Go regexp and RE2 C++: RE2 accepts ``\\C`` (any byte), Go rejects it; the
  program-size limits differ for huge patterns. Both reject ``\\Z``, lookaround and backreferences.
- ``source_fqdn``, ``destination_fqdn``: Hubble's FQDN patterns (pkg/hubble/filters/patterns.go
  appendFQDNPatternRegexp): lower-cased, one trailing dot dropped, then only ``a-z 0-9 - _ . *``.
- ``node_name``: ``[cluster/]node`` patterns with the same characters (appendNodeNamePatternRegexp).

An invalid pattern makes the agent fail building that flow log's filters ("Failed to apply
flowlog"): the flow log is not (re)created.
"""

from __future__ import annotations

import re

from .agent_problem import AgentProblem

REGEXP_FIELDS = ("http_path", "http_url", "dns_query")


def _glob_to_regexp(pattern: str) -> str:
    return "".join(".*" if ch == "*" else re.escape(ch) if ch in ".+?()[]{}|^$\\" else ch for ch in pattern)


def check_regexp(pattern: str, field: str = "dns_query") -> AgentProblem | None:
    """None if the agent compiles ``pattern`` for ``field`` (http_path, http_url, dns_query)."""
    if field not in REGEXP_FIELDS:
        raise ValueError(f"{field} is not a regular-expression field ({', '.join(REGEXP_FIELDS)})")
    if "\\C" in pattern.replace("\\\\", ""):
        return AgentProblem(
            f"{field} '{pattern}' uses \\C, which Go's regexp rejects (invalid escape sequence)",
            "match any character with . instead",
        )
    import re2  # type: ignore[import-untyped]  # loads only for a profile with a regular expression; no types

    # RE2's defaults are Go's regexp.Compile flavour (Perl classes, UTF-8); only silence its stderr log.
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(pattern, options=options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        if "*" in pattern and not re.search(r"\.\*", pattern):
            fix = f"this looks like a wildcard; as an RE2 regular expression write {_glob_to_regexp(pattern)}"
        else:
            fix = "fix the regular expression (RE2 syntax: no lookaround, no backreferences)"
        return AgentProblem(
            f"{field} '{pattern}' is not a regular expression Cilium's agent can compile ({reason})", fix
        )
    return None


_FQDN_RUNE = re.compile(r"[-0-9_a-z.*]")


def check_fqdn_pattern(pattern: str, field: str = "destination_fqdn") -> AgentProblem | None:
    """None if the agent accepts ``pattern`` as an FQDN pattern (source_fqdn, destination_fqdn)."""
    canonical = pattern.strip().removesuffix(".").lower()
    if canonical == "":
        return AgentProblem(f"{field} '{pattern}' is empty", "write a name like api.example.com or *.example.com")
    if canonical.endswith("."):
        return AgentProblem(f"{field} '{pattern}' has more than one trailing dot", f"write {canonical.rstrip('.')}")
    for ch in canonical:
        if not _FQDN_RUNE.fullmatch(ch):
            return AgentProblem(
                f"{field} '{pattern}' contains {ch!r}, which Hubble's FQDN patterns do not allow",
                "use only letters, digits, '-', '_', '.' and '*' (any run of name characters)",
            )
    return None


def check_node_name_pattern(pattern: str, field: str = "node_name") -> AgentProblem | None:
    """None if the agent accepts ``pattern`` for node_name (``[cluster/]node``, FQDN characters)."""
    if pattern == "":
        return AgentProblem(f"{field} pattern is empty", "write a node name, a pattern like worker-*, or cluster/node")
    parts = pattern.split("/")
    if len(parts) > 2:
        return AgentProblem(f"{field} '{pattern}' has more than one '/'", "write node or cluster/node")
    for part in parts:
        if part and (problem := check_fqdn_pattern(part, field)) is not None:
            return problem
    return None

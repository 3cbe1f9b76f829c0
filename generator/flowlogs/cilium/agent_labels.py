"""The agent's reading of label selectors: FlowFilter ``source_label``, ``destination_label``,
``node_labels`` (pkg/hubble/filters/labels.go parseSelector, Cilium 1.16-1.19).

Hubble first rewrites Cilium source prefixes (labelparser.go translateSelector): the key of every
requirement up to whitespace, ``=``, ``!`` or ``,`` gets ``any:`` when it has no ``:``, and its first
``:`` becomes ``.`` (``k8s:app`` -> ``k8s.app``, ``reserved:world`` -> ``reserved.world``). The result
goes to Kubernetes' label-selector parser (cilium/cilium pkg/k8s/slim/k8s/apis/labels/selector.go,
a copy of k8s.io/apimachinery's: Lexer, Parser.parse, NewRequirement), with key and value rules of
k8s.io/apimachinery/pkg/api/validate/content/kube.go (IsLabelKey, IsLabelValue) and DNS-1123
subdomain prefixes (dns.go). Both are ported here, error messages included, so that what the
agent rejects (``a==b==c``, ``app in a``, ``k8s:app=-x``) is rejected here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .agent_problem import AgentProblem

# ---------------------------------------------------------------- Hubble's prefix translation


def translate_selector(selector: str) -> str:
    """labelparser.go translateSelector."""
    out: list[str] = []
    i, n = 0, len(selector)
    while i < n:
        # advanceToNextKey: copy whitespace and '!'
        while i < n and (selector[i].isspace() or selector[i] == "!"):
            out.append(selector[i])
            i += 1
        if i >= n:
            break
        # translateKey: the key runs to whitespace, '=', '!' or ','
        start = i
        while i < n and not (selector[i].isspace() or selector[i] in "=!,"):
            i += 1
        key = selector[start:i]
        if ":" not in key:
            key = "any:" + key
        out.append(key.replace(":", ".", 1))
        # advanceToNextSelector: copy up to and including a ',' outside parentheses
        nesting = 0
        while i < n:
            ch = selector[i]
            out.append(ch)
            i += 1
            if ch == "(":
                nesting += 1
            elif ch == ")":
                nesting -= 1
            elif ch == "," and nesting == 0:
                break
    return "".join(out)


# ---------------------------------------------------------------- the Kubernetes selector parser

# A token is its keyword's text, "ident", "end" or "error" (the Lexer's token kinds).
_KEYWORDS = {")", ",", "!", "==", "=", ">", "in", "<", "!=", "notin", "("}
_SPECIAL = set("=!(),><")
_WHITESPACE = set(" \t\r\n")
_BINARY_OPERATORS = "in, notin, =, ==, !=, gt, lt"


class SelectorError(ValueError):
    pass


def _lex(s: str) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    pos, n = 0, len(s)
    while True:
        while pos < n and s[pos] in _WHITESPACE:
            pos += 1
        if pos >= n:
            items.append(("end", ""))
            return items
        if s[pos] in _SPECIAL:
            buffer, last = "", ("", "")
            while pos < n and s[pos] in _SPECIAL:
                buffer += s[pos]
                pos += 1
                if buffer in _KEYWORDS:
                    last = (buffer, buffer)
                elif last[0]:
                    pos -= 1
                    break
            items.append(last if last[0] else ("error", f"error expected: keyword found '{buffer}'"))
        else:
            start = pos
            while pos < n and s[pos] not in _SPECIAL and s[pos] not in _WHITESPACE:
                pos += 1
            word = s[start:pos]
            items.append((word if word in _KEYWORDS else "ident", word))


_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_NAME_ERR = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)


def _key_errors(key: str) -> list[str]:
    """content.IsLabelKey."""
    errs: list[str] = []
    parts = key.split("/")
    if len(parts) > 2:
        return [
            "a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
            "an alphanumeric character, with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if prefix == "":
            errs.append("prefix part must be non-empty")
        else:
            if len(prefix) > 253:
                errs.append("prefix part must be no more than 253 characters")
            if not _DNS_SUBDOMAIN.fullmatch(prefix):
                errs.append(
                    "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                    "'-' or '.', and must start and end with an alphanumeric character"
                )
    if name == "":
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if not _LABEL_NAME.fullmatch(name):
        errs.append(_NAME_ERR)
    return errs


def _value_errors(value: str) -> list[str]:
    """content.IsLabelValue."""
    errs: list[str] = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if value and not _LABEL_NAME.fullmatch(value):
        errs.append(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
            "start and end with an alphanumeric character"
        )
    return errs


@dataclass(frozen=True)
class Requirement:
    key: str  # as Kubernetes sees it: "k8s.app", "any.tier", "reserved.world"
    operator: str  # "in", "notin", "=", "==", "!=", "exists", "!", "gt", "lt"
    values: tuple[str, ...]


class _Parser:
    def __init__(self, selector: str) -> None:
        self.items = _lex(selector)
        self.pos = 0

    def lookahead(self, values: bool) -> tuple[str, str]:
        tok, lit = self.items[self.pos]
        return ("ident" if values and tok in ("in", "notin") else tok), lit

    def consume(self, values: bool) -> tuple[str, str]:
        tok, lit = self.lookahead(values)
        self.pos += 1
        return tok, lit

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            tok, lit = self.lookahead(True)
            if tok in ("ident", "!"):
                try:
                    requirements.append(self.requirement())
                except SelectorError as exc:
                    raise SelectorError(f"unable to parse requirement: {exc}") from None
                tok, lit = self.consume(True)
                if tok == "end":
                    return requirements
                if tok == ",":
                    tok2, lit2 = self.lookahead(True)
                    if tok2 not in ("ident", "!"):
                        raise SelectorError(f"found '{lit2}', expected: identifier after ','")
                else:
                    raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            elif tok == "end":
                return requirements
            else:
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def requirement(self) -> Requirement:
        operator = ""
        tok, key = self.consume(True)
        if tok == "!":
            operator = "!"
            tok, key = self.consume(True)
        if tok != "ident":
            raise SelectorError(f"found '{key}', expected: identifier")
        if errs := _key_errors(key):
            raise SelectorError(f'Invalid value: "{key}": ' + "; ".join(errs))
        if self.lookahead(True)[0] in ("end", ","):
            return Requirement(key, operator or "exists", ())
        if operator == "!":
            # DoesNotExist with more text: NewRequirement is never reached; the caller sees the token
            return Requirement(key, "!", ())
        tok, lit = self.consume(False)
        if tok not in ("in", "=", "==", ">", "<", "notin", "!="):
            raise SelectorError(f"found '{lit}', expected: {_BINARY_OPERATORS}")
        op = {">": "gt", "<": "lt"}.get(tok, tok)
        values = self.set_values() if op in ("in", "notin") else self.exact_value()
        self.validate(key, op, values)
        return Requirement(key, op, tuple(sorted(values)))

    def set_values(self) -> set[str]:
        tok, lit = self.consume(True)
        if tok != "(":
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead(True)
        if tok in ("ident", ","):
            values = self.identifiers()
            if self.consume(True)[0] != ")":
                raise SelectorError(f"found '{lit}', expected: ')'")
            return values
        if tok == ")":
            self.consume(True)
            return {""}
        raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")

    def identifiers(self) -> set[str]:
        values: set[str] = set()
        while True:
            tok, lit = self.consume(True)
            if tok == "ident":
                values.add(lit)
                tok2, lit2 = self.lookahead(True)
                if tok2 == ",":
                    continue
                if tok2 == ")":
                    return values
                raise SelectorError(f"found '{lit2}', expected: ',' or ')'")
            if tok == ",":
                if not values:
                    values.add("")
                tok2 = self.lookahead(True)[0]
                if tok2 == ")":
                    values.add("")
                    return values
                if tok2 == ",":
                    values.add("")
                continue
            raise SelectorError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        tok = self.lookahead(True)[0]
        if tok in ("end", ","):
            return {""}
        tok, lit = self.consume(True)
        if tok == "ident":
            return {lit}
        raise SelectorError(f"found '{lit}', expected: identifier")

    @staticmethod
    def validate(key: str, op: str, values: set[str]) -> None:
        """NewRequirement."""
        errs: list[str] = []
        if op in ("gt", "lt"):
            for v in values:
                if not re.fullmatch(r"[+-]?[0-9]+", v) or not -(2**63) <= int(v) < 2**63:
                    errs.append(f"Invalid value: \"{v}\": for 'Gt', 'Lt' operators, the value must be an integer")
        for v in sorted(values):
            if verrs := _value_errors(v):
                errs.append(f'Invalid value: "{v}": ' + "; ".join(verrs))
        if errs:
            raise SelectorError(errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]")


def parse_selector(selector: str) -> list[Requirement]:
    """The requirements the agent builds from one Hubble label selector, or SelectorError."""
    return _Parser(translate_selector(selector)).parse()


def check_label_selector(selector: str, field: str = "source_label") -> AgentProblem | None:
    """None if the agent accepts ``selector`` for source_label, destination_label or node_labels."""
    try:
        parse_selector(selector)
    except SelectorError as exc:
        return AgentProblem(
            f"{field} '{selector}' is not a label selector Cilium's agent accepts ({exc})",
            "write requirements like k8s:app=web, k8s:app in (a, b), !k8s:canary or reserved:world, joined by ','",
        )
    return None

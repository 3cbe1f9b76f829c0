"""Reporters: text (kubeconform-like lines), json (kubeconform's shape), junit and tap.

Every reporter prints the whole `Report`, warnings included; none decides the exit code.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import yaml

from .results import Check, Report, Result, SchemaWarning, Status, Summary

# XML 1.0's Char production, as the characters outside it (compiled faster than its complement
# "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"; the same code points).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def summary_line(summary: Summary) -> str:
    return (
        f"Summary: {summary.resources} resources found in {summary.profiles} profiles - "
        f"Valid: {summary.valid}, Invalid: {summary.invalid}, Errors: {summary.errors}, Skipped: {summary.skipped}"
    )


def warning_line(warning: SchemaWarning) -> str:
    return f"warning: {warning.message}"


def problem_lines(result: Result) -> list[str]:
    """The result's problems, one per line: `path: message` (or the bare message)."""
    if result.issues:
        return [
            f"{issue.path or '/'}: {issue.message}" if issue.path or result.check is Check.SCHEMA else issue.message
            for issue in result.issues
        ]
    return [result.message] if result.message else []


def message_of(result: Result) -> str:
    """All problems of a result on one line (kubeconform's `msg`)."""
    return " - ".join(problem_lines(result))


def _headline(result: Result) -> str:
    """`profile - template - subject verb`, kubeconform's `<file> - <Kind> <name> is invalid`."""
    if result.check is Check.SCHEMA:
        verb = {Status.VALID: "is valid", Status.INVALID: "is invalid", Status.SKIPPED: "skipped"}.get(
            result.status, "failed validation"
        )
    else:
        verb = f"{result.check.value} check failed" if result.failed else f"{result.check.value} check passed"
    parts = [result.profile, result.template] if result.template else [result.profile]
    return " - ".join([*parts, f"{result.subject} {verb}".strip()])


def _text(report: Report, out: TextIO, verbose: bool) -> None:
    """One line per problem, then kubeconform's summary line; valid results only when verbose."""
    for result in report.results:
        if result.status is Status.VALID and not verbose and not (result.check is Check.CLUSTER and not result.kind):
            continue  # a profile's one line from the cluster shows: the run asked it
        headline = _headline(result)
        for line in problem_lines(result) or [""]:
            out.write(f"{headline}: {line}\n" if line else f"{headline}\n")
    for warning in report.warnings:
        out.write(warning_line(warning) + "\n")
    out.write(summary_line(report.summary) + "\n")


def _json(report: Report, out: TextIO, verbose: bool) -> None:
    """kubeconform's `-output json -summary -verbose` shape, plus profile/template/check."""
    resources = [
        {
            "filename": result.template,
            "kind": result.kind,
            "name": result.name,
            "version": result.api_version,
            "status": f"status{result.status.value.capitalize()}",  # kubeconform's (pkg/output/json.go): statusValid
            "msg": "" if result.status is Status.VALID else message_of(result),
            "validationErrors": [{"path": issue.path, "msg": issue.message} for issue in result.issues],
            "profile": result.profile,
            "template": result.template,
            "namespace": result.namespace,
            "check": result.check.value,
        }
        for result in report.results
    ]
    warnings = [{"kind": w.kind, "version": w.api_version, "msg": w.message} for w in report.warnings]
    document = {"resources": resources, "summary": dataclasses.asdict(report.summary), "warnings": warnings}
    out.write(json.dumps(document, indent=2) + "\n")


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


def _junit(report: Report, out: TextIO, verbose: bool) -> None:
    """<testsuites> / one <testsuite> per profile / one <testcase> per result."""
    import xml.etree.ElementTree as ET  # only this reporter writes XML

    def counts(results: Sequence[Result]) -> dict[str, str]:
        summary = Report(tuple(results), ()).summary
        counted = {"failures": summary.invalid, "errors": summary.errors, "skipped": summary.skipped}
        return {"tests": str(len(results)), **{name: str(count) for name, count in counted.items()}}

    root = ET.Element("testsuites", {"name": "flowlogs validate", **counts(report.results)})
    by_profile: dict[str, list[Result]] = {profile: [] for profile in report.profiles}  # in order, even empty
    for result in report.results:
        by_profile.setdefault(result.profile, []).append(result)
    for number, (profile, results) in enumerate(by_profile.items(), start=1):
        suite = ET.SubElement(root, "testsuite", {"name": _xml_text(profile), "id": str(number), **counts(results)})
        for result in results:
            name = result.subject or f"{result.check.value} check"
            classname = _xml_text(result.template or result.profile)
            case = ET.SubElement(suite, "testcase", name=_xml_text(name), classname=classname)
            if result.failed:
                tag = "failure" if result.status is Status.INVALID else "error"
                element = ET.SubElement(case, tag, message=_xml_text(message_of(result)), type=result.check.value)
                element.text = _xml_text("\n".join(problem_lines(result)))
            elif result.status is Status.SKIPPED:
                ET.SubElement(case, "skipped", message=_xml_text(result.message))
        # Warnings go to the suites that hold a resource of their kind (<system-err> is the
        # one place JUnit has for text that is neither a pass nor a failure).
        kinds = {(result.api_version, result.kind) for result in results}
        if warnings := [warning_line(w) for w in report.warnings if (w.api_version, w.kind) in kinds]:
            ET.SubElement(suite, "system-err").text = _xml_text("\n".join(warnings))
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode") + "\n")


def _tap_escape(text: str) -> str:
    # `#` starts a TAP directive and a newline ends the test line.
    return text.replace("\\", "\\\\").replace("#", "\\#").replace("\n", " ")


def _tap(report: Report, out: TextIO, verbose: bool) -> None:
    """TAP version 13: the plan first, one test line per result, YAML diagnostics for failures."""
    out.write(f"TAP version 13\n1..{len(report.results)}\n")
    for number, result in enumerate(report.results, start=1):
        subject = result.subject or f"{result.check.value} check"
        parts = [result.profile, result.template, subject] if result.template else [result.profile, subject]
        description = _tap_escape(" - ".join(parts))
        if result.status is Status.SKIPPED:
            out.write(f"ok {number} - {description} # SKIP {_tap_escape(result.message)}\n")
        elif result.failed:
            out.write(f"not ok {number} - {description}\n")
            out.write(_tap_diagnostics(result))
        else:
            out.write(f"ok {number} - {description}\n")
    for warning in report.warnings:
        out.write("# " + warning_line(warning).replace("\n", " ") + "\n")  # a TAP comment line
    out.write(f"# {summary_line(report.summary)}\n")


def _tap_diagnostics(result: Result) -> str:
    data: dict[str, Any] = {"check": result.check.value, "status": result.status.value}
    if result.message:
        data["message"] = result.message
    if result.issues:
        data["errors"] = [{"path": issue.path, "message": issue.message} for issue in result.issues]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1_000_000)
    indented = "".join(f"  {line}\n" for line in body.splitlines())
    return f"  ---\n{indented}  ...\n"


# Each output format's writer: (report, out, verbose); only text output lists valid results by `verbose`.
REPORTERS: dict[str, Callable[[Report, TextIO, bool], None]] = {
    "text": _text,
    "json": _json,
    "junit": _junit,
    "tap": _tap,
}

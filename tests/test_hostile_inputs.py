"""Hostile and broken input files (issue 13): each refused before it costs anything, with
file:line:col, exit 1, nothing written; never a traceback, a hang or a read outside the tree.

Every input below is the exact input of a defect the issue lists.
"""

from __future__ import annotations

import io
import os
import re
import resource
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import SHARED, CliResult
from flowlogs import inputs
from flowlogs.inputs import DOCUMENT_LIMITS, PROFILE_LIMITS
from flowlogs.validate import ValidateOptions, report, run_validate

# A 256-byte alias bomb: each line repeats the one above nine times (9^6 = 531,441 values).
ALIAS_BOMB = (
    'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
)


@pytest.fixture(autouse=True)
def _restore_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(os.getcwd())  # restored after each test; `generate` below changes it


def generate(run_cli: Callable[..., CliResult], workspace: Path) -> CliResult:
    os.chdir(workspace)  # messages name files as users typed them: values/x.yaml
    return run_cli("--values-dir", "values", "--chart-dir", "chart", "generate")


def one_error(result: CliResult) -> str:
    """The one diagnostic of a failed generate (message and hint), with the summary line checked."""
    assert result.code == 1, result.err
    lines = result.err.splitlines()
    assert lines[-1] == "flowlogs: 1 error in profiles or the fleet file; nothing was written"
    return "\n".join(lines[:-1])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            ALIAS_BOMB.encode(),
            "values/bomb.yaml:5:11: error: the profile expands to more than 20000 values from the 67 it writes "
            "(aliases repeat their anchor's values)\n"
            "  hint: an alias bomb? aliases may expand a file to 10 times the values it writes (at least 20000); write "
            "the values out, or use fewer aliases",
            id="alias-bomb",
        ),
        pytest.param(
            b"a: &a [*a]\n",
            "values/bomb.yaml:1:8: error: the alias *a is inside its own anchor &a: a cycle\n  hint: no YAML value can "
            "contain itself",
            id="anchor-cycle",
        ),
        pytest.param(
            ("a: " + "[" * 300 + "]" * 300 + "\n").encode(),
            "values/bomb.yaml:1:67: error: nested more than 64 levels deep\n  hint: no profile needs this nesting",
            id="nesting-300",
        ),
        pytest.param(
            b"x: &x {a: 1}\ny: {<<: *x}\n",
            "values/bomb.yaml:2:5: error: merge keys (<<) are not supported here\n"
            "  hint: write the keys out (an anchor and alias for a whole value, `key: *anchor`, is fine)",
            id="merge-key",
        ),
        pytest.param(
            b'description: "a\x00b"\n',
            "values/bomb.yaml:1:16: error: control character U+0000 is not allowed in YAML\n"
            "  hint: remove it; write it as an escape (\\x00, \\t) inside a double-quoted string if it is meant",
            id="raw-nul",
        ),
        pytest.param(
            b"description: ok\ncilium:\n  flow-logs:\n    - name: caf\xe9\n",
            "values/bomb.yaml:4:16: error: not UTF-8: byte 0xe9 cannot start or continue a character here\n"
            "  hint: YAML files are UTF-8; re-save the file as UTF-8",
            id="latin-1",
        ),
        pytest.param(
            ("description: " + "9" * 5000 + "\n").encode(),
            "values/bomb.yaml:1:14: error: a number of 5000 digits: no field holds a number this long\n  hint: quote "
            "it if it is text",
            id="5000-digits",
        ),
    ],
)
def test_hostile_profile_is_refused_at_its_position(
    run_cli: Callable[..., CliResult], workspace: Path, content: bytes, expected: str
) -> None:
    (workspace / "values" / "bomb.yaml").write_bytes(content)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert one_error(generate(run_cli, workspace)) == expected
    # Refused before anything was built: the bomb did not grow the process (KiB).
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000
    assert not (workspace / "chart").exists()


def test_profile_symlinked_outside_the_values_directory_is_refused(
    run_cli: Callable[..., CliResult], workspace: Path
) -> None:
    os.symlink("/proc/self/environ", workspace / "values" / "env.yaml")
    message = one_error(generate(run_cli, workspace))
    assert message.startswith("values/env.yaml: error: the profile file resolves to /proc/")
    assert message.endswith(
        "/environ, outside "
        + str((workspace / "values").resolve())
        + "\n  hint: a profile must be a file in values, not a link to elsewhere"
    )


def test_fifo_profile_is_refused_without_waiting(run_cli: Callable[..., CliResult], workspace: Path) -> None:
    os.mkfifo(workspace / "values" / "pipe.yaml")
    assert (
        one_error(generate(run_cli, workspace))
        == "values/pipe.yaml: error: not a regular file (a FIFO): flowlogs reads profiles from regular files only"
    )


def test_oversized_profile_names_the_limit_and_how_to_raise_it(
    run_cli: Callable[..., CliResult], workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "values" / "big.yaml").write_text("# " + "x" * PROFILE_LIMITS.max_bytes + "\ndescription: big\n")
    assert one_error(generate(run_cli, workspace)) == (
        "values/big.yaml: error: the profile file is larger than 262144 bytes\n"
        "  hint: no profile needs more; if this one does, set FLOWLOGS_MAX_PROFILE_BYTES to a larger number of bytes"
    )
    monkeypatch.setenv("FLOWLOGS_MAX_PROFILE_BYTES", str(2 * PROFILE_LIMITS.max_bytes))
    assert generate(run_cli, workspace).code == 0


def test_fleet_file_alias_bomb_is_refused(run_cli: Callable[..., CliResult], workspace: Path) -> None:
    (workspace / "values" / "fleet.yaml").write_text(ALIAS_BOMB)
    assert one_error(generate(run_cli, workspace)) == (
        "values/fleet.yaml:5:11: error: the fleet file expands to more than 20000 values from the 67 it writes "
        "(aliases repeat their anchor's values)\n"
        "  hint: an alias bomb? aliases may expand a file to 10 times the values it writes (at least 20000); write the "
        "values out, or use fewer aliases"
    )


def test_two_files_of_one_profile_name_are_an_error_naming_both(
    run_cli: Callable[..., CliResult], workspace: Path
) -> None:
    (workspace / "values" / "cilium-exporter.yml").write_text("description: the other one\n")
    assert one_error(generate(run_cli, workspace)) == (
        "values/cilium-exporter.yml: error: cilium-exporter.yaml and cilium-exporter.yml both define the profile "
        "'cilium-exporter'\n"
        "  hint: keep one of the two files"
    )


def test_fleet_yaml_and_fleet_yml_both_present_is_an_error(run_cli: Callable[..., CliResult], workspace: Path) -> None:
    (workspace / "values" / "fleet.yml").write_text((workspace / "values" / "fleet.yaml").read_text())
    assert (
        one_error(generate(run_cli, workspace))
        == "values/fleet.yml: error: both fleet.yaml and fleet.yml exist in values; keep one"
    )


def test_bad_profile_file_name_is_a_clear_error(run_cli: Callable[..., CliResult], workspace: Path) -> None:
    (workspace / "values" / "Bad Name.yaml").write_text("description: x\n")
    assert one_error(generate(run_cli, workspace)) == (
        "values/Bad Name.yaml: error: profile file name 'Bad Name.yaml' is not a valid profile name\n"
        "  hint: use lower-case letters, digits and '-', at most 53 characters (it names Helm releases and Argo CD "
        "Applications)"
    )


# --- validate: --documents and --schema-location ------------------------------------------


def validate_documents(path: Path, *locations: str) -> tuple[int, str]:
    out = io.StringIO()
    options = ValidateOptions(
        chart_dir=Path("chart"),
        targets=(),
        extra_documents=(("documents", path),),
        auto_binaries=False,
        schema_locations=tuple(locations),
    )
    return run_validate(options, out), out.getvalue()


def document_error(path: Path, message: str) -> str:
    return (
        f"documents - {path} - failed validation: {message}\n"
        "Summary: 1 resources found in 1 profiles - Valid: 0, Invalid: 0, Errors: 1, Skipped: 0\n"
    )


CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            ("a: " + "[" * 30_000 + "]" * 30_000 + "\n").encode(),
            "{path}:1:259: nested more than 256 levels deep (no document needs this nesting)",
            id="30k-nested-brackets",
        ),
        pytest.param(
            CONFIGMAP.encode() + b'data: {a: "\xff"}\n',
            "{path}:4:12: not UTF-8: byte 0xff cannot start or continue a character here (YAML files are UTF-8; "
            "re-save the file as UTF-8)",
            id="non-utf8",
        ),
        pytest.param(
            (CONFIGMAP + "data: {a: " + "9" * 5000 + "}\n").encode(),
            "{path}:4:11: a number of 5000 digits: no field holds a number this long (quote it if it is text)",
            id="5000-digits",
        ),
        pytest.param(
            (
                "---\n"
                + CONFIGMAP
                + "---\n"
                + "x: &a ["
                + ",".join(["1"] * 9)
                + "]\n"
                + "".join(
                    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(7)
                )
            ).encode(),
            "{path}:12:14: the document expands to more than 2000000 values from the 89 it writes (aliases repeat "
            "their anchor's values) "
            "(an alias bomb? aliases may expand a file to 10 times the values it writes (at least 2000000); write the "
            "values out, or use fewer aliases)",
            id="alias-bomb",
        ),
    ],
)
def test_hostile_documents_are_refused_at_their_position(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "documents.yaml"
    path.write_bytes(content)
    assert validate_documents(path) == (1, document_error(path, message.format(path=path)))


@pytest.mark.parametrize(("path", "kind"), [("/dev/zero", "a character device"), ("fifo", "a FIFO")])
def test_documents_that_never_end_are_refused(tmp_path: Path, path: str, kind: str) -> None:
    if path == "fifo":
        os.mkfifo(tmp_path / "fifo")
        path = str(tmp_path / "fifo")
    assert validate_documents(Path(path)) == (
        1,
        document_error(
            Path(path), f"{path}: not a regular file ({kind}): flowlogs reads documents from regular files only"
        ),
    )


def test_oversized_document_names_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("w") as stream:
        stream.write(CONFIGMAP + "data:\n")
        line = "  k{}: " + "x" * 100 + "\n"
        for index in range(DOCUMENT_LIMITS.max_bytes // 100):
            stream.write(line.format(index))
    assert validate_documents(path) == (
        1,
        document_error(
            path,
            f"{path}: the document file is larger than 8388608 bytes (no document needs more; if this one does, set "
            "FLOWLOGS_MAX_DOCUMENT_BYTES to a larger number of bytes)",
        ),
    )


CRD_HEAD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
"""
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 1}\n"


@pytest.mark.parametrize(
    ("crd", "message"),
    [
        ("  versions: 5\n", "could not read CRD file {crd}: spec.versions must be a list, not int '5'"),
        (
            "  versions:\n    - name: v1\n      served: true\n      schema:\n        openAPIV3Schema:\n          type: "
            "object\n          properties: [spec]\n",
            "could not read CRD file {crd}: openAPIV3Schema.properties must be a mapping, not list \"['spec']\"",
        ),
        (
            "  versions:\n    - &v {name: v1, served: true, schema: {openAPIV3Schema: {type: object, properties: "
            "{spec: [*v]}}}}\n",
            "could not read CRD file {crd}:9:96: the alias *v is inside its own anchor &v: a cycle (no YAML value can "
            "contain itself)",
        ),
        (
            "  versions: []\n"
            + "x0: &x0 ["
            + ",".join(["1"] * 9)
            + "]\n"
            + "".join(f"x{i}: &x{i} [" + ",".join([f"*x{i - 1}"] * 9) + "]\n" for i in range(1, 9)),
            "could not read CRD file {crd}:15:18: the document expands to more than 2000000 values from the 114 it "
            "writes (aliases repeat their anchor's values) "
            "(an alias bomb? aliases may expand a file to 10 times the values it writes (at least 2000000); write the "
            "values out, or use fewer aliases)",
        ),
    ],
    ids=["versions-5", "properties-list", "anchor-cycle", "alias-bomb"],
)
def test_malformed_crd_is_a_clear_error(tmp_path: Path, crd: str, message: str) -> None:
    crd_path = tmp_path / "crds" / "widget.yaml"
    crd_path.parent.mkdir()
    crd_path.write_text(CRD_HEAD + crd)
    document = tmp_path / "widget.yaml"
    document.write_text(WIDGET)
    code, out = validate_documents(document, str(crd_path))
    assert code == 1
    assert out.splitlines()[0] == f"documents - {document} - Widget w failed validation: " + message.format(
        crd=crd_path
    )


def test_schema_ref_outside_the_schema_location_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"const": "the secret text"}')
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "configmap-v1.json").write_text(
        '{"$schema": "http://json-schema.org/draft-07/schema#", "$ref": "' + secret.as_uri() + '"}'
    )
    document = tmp_path / "configmap.yaml"
    document.write_text(CONFIGMAP)
    code, out = validate_documents(document, str(schemas))
    assert code == 1
    assert "the secret text" not in out
    assert f"refusing $ref {secret.as_uri()}: schemas may refer only to files inside their schema location" in out


def test_shipped_crds_pass_the_document_limits() -> None:
    from flowlogs.validate.documents import read_yaml_input

    crds = sorted((SHARED / "crds").glob("*.yaml"))
    if not crds:
        pytest.skip("../shared/crds not beside the project")
    for crd in crds:
        assert read_yaml_input(crd, whole_stream=True)


# --- no traceback ever ----------------------------------------------------------------------


def test_internal_error_is_one_line_with_a_hint_and_exit_70(
    run_cli: Callable[..., CliResult], workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flowlogs.generate

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(flowlogs.generate, "generate", broken)
    result = generate(run_cli, workspace)
    assert (result.code, result.out) == (70, "")
    assert result.err == (
        "flowlogs: internal error: KeyError: 'surprise' (exit 70; run again with --debug for the traceback "
        "and report it with the input that caused it)\n"
    )
    debug = run_cli("--debug", "generate")
    assert debug.code == 70
    assert debug.err.startswith("Traceback (most recent call last):\n")
    assert debug.err.endswith(
        "KeyError: 'surprise'\nflowlogs: internal error: KeyError: 'surprise' (exit 70; run again with --debug for the "
        "traceback and report it with the input that caused it)\n"
    )


# Every code point, once: the character-class checks are written as the few characters they
# refuse, and must refuse exactly the complement of the sets the specifications allow.
_EVERY_CHARACTER = "".join(map(chr, range(0x110000)))


def _refused(pattern: re.Pattern[str]) -> set[int]:
    return {match.start() for match in pattern.finditer(_EVERY_CHARACTER)}


def _outside(*ranges: tuple[int, int]) -> set[int]:
    allowed = {code for low, high in ranges for code in range(low, high + 1)}
    return set(range(0x110000)) - allowed


def test_inputs_refuse_exactly_what_yaml_does_not_print() -> None:
    # YAML 1.2.2 §5.1, c-printable: x09 | x0A | x0D | [x20-x7E] | x85 | [xA0-xD7FF] | [xE000-xFFFD] | [x10000-x10FFFF]
    expected = _outside(
        (0x09, 0x0A), (0x0D, 0x0D), (0x20, 0x7E), (0x85, 0x85), (0xA0, 0xD7FF), (0xE000, 0xFFFD), (0x10000, 0x10FFFF)
    )
    assert _refused(inputs._NON_PRINTABLE) == expected


def test_junit_reports_replace_exactly_what_xml_does_not_allow() -> None:
    # XML 1.0 (fifth edition) §2.2, Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
    expected = _outside((0x09, 0x0A), (0x0D, 0x0D), (0x20, 0xD7FF), (0xE000, 0xFFFD), (0x10000, 0x10FFFF))
    assert _refused(report._XML_INVALID) == expected

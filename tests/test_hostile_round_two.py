"""Hostile input, second round (issue 22): each reproducer of the issue gets a clear error or the
right answer, never exit 70, a hang, a write outside its place or template code from data.

Expectations come from the programs that read what flowlogs writes: the real helm
(.cache/bin/helm, Helm 4.3.1) and jsonschema-rs for JSON Schema patterns, hubble 1.19.4
(`hubble observe --input-file`, protojson) for the JSON types of a flow.
"""

from __future__ import annotations

import ast
import gzip
import json
import os
import re
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import jsonschema_rs
import pytest
import upstream_tools
import yaml

import flowlogs
from conftest import ROOT, CliResult
from flowlogs.cilium.preview.flows import flow_type_problem
from flowlogs.names import end_anchors
from flowlogs.schema_errors import detailed_validator
from flowlogs.writing import UnsafeTarget, write_file

HELM = ROOT / ".cache" / "bin" / "helm"
FLOWLOGS = [sys.executable, "-m", "flowlogs"]
PROFILE = (
    "cilium:\n  version: '1.19'\n  flow-logs:\n    - name: drops\n      file: stdout\n      include:\n        - "
    "verdict: dropped\n"
)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # messages name files as typed: values/x.yaml
    monkeypatch.setenv("FLOWLOGS_NO_CACHE", "1")


def _profile(name: str = "p", text: str = PROFILE) -> Path:
    path = Path("values") / f"{name}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _run(
    *args: str, stdout: int | None = subprocess.PIPE, stdin: int | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FLOWLOGS, *args], stdout=stdout, stderr=subprocess.PIPE, stdin=stdin, text=True, check=False, timeout=120
    )


def _tree(directory: Path) -> dict[str, str]:
    """Every entry below `directory` (symlinks as their targets): to show that nothing else was written."""
    return {
        str(p.relative_to(directory)): (
            f"-> {os.readlink(p)}" if p.is_symlink() else "dir" if p.is_dir() else p.read_bytes().hex()[:64]
        )
        for p in sorted(directory.rglob("*"))
    }


# ---------------------------------------------------------------- anchors: `$` and a final newline


def test_schema_engines_read_dollar_as_the_very_end() -> None:
    """What the chart's readers do with `^...$` and a value ending in a newline: jsonschema-rs and
    Helm's Go engine refuse it (ECMA-262 `$`); Python's `re` alone accepted it."""
    schema = {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}
    assert not jsonschema_rs.is_valid(schema, "flowlogs-x\n")
    assert re.search(schema["pattern"], "flowlogs-x\n")  # the trap
    assert not detailed_validator(schema).is_valid("flowlogs-x\n")
    assert detailed_validator(schema).is_valid("flowlogs-x")


@pytest.mark.skipif(not HELM.exists(), reason="no .cache/bin/helm (make helm-binary)")
def test_helm_refuses_a_newline_where_the_values_schema_has_a_dollar_anchor(tmp_path: Path) -> None:
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "values.schema.json").write_text(
        json.dumps({"properties": {"nm": {"type": "string", "pattern": "^[a-z]+$"}}})
    )
    (chart / "templates" / "cm.yaml").write_text("x: {{ .Values.nm | quote }}\n")
    (tmp_path / "v.yaml").write_text('nm: "abc\\n"\n')
    refused = subprocess.run(
        [str(HELM), "template", str(chart), "-f", str(tmp_path / "v.yaml")], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 1
    assert "- at '/nm': 'abc\\n' does not match pattern '^[a-z]+$'" in refused.stderr


FLEET = (
    "gitops:\n  repo-url: https://git.example.com/x.git\n  revision: main\n  argocd-namespace: argocd\n  project: "
    "default\n"
    "  release-name: flowlogs\n  destination:\n    namespace: flowlogs-system\n"
    "clusters:\n  - name: dev-1\n    server: https://dev-1.example.com:6443\n    profile: p\n"
)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "project: default",
            'project: "default\\n"',
            "values/fleet.yaml:5:12: error: gitops.project: 'default\\n' is not a valid project",
        ),
        (
            "release-name: flowlogs",
            'release-name: "flowlogs\\n"',
            "values/fleet.yaml:6:17: error: gitops.release-name: 'flowlogs\\n' is not a valid release name",
        ),
        (
            "argocd-namespace: argocd",
            'argocd-namespace: "argocd\\n"',
            "values/fleet.yaml:4:21: error: gitops.argocd-namespace: 'argocd\\n' is not a valid namespace",
        ),
        (
            "name: dev-1",
            'name: "dev-1\\n"',
            "values/fleet.yaml:10:11: error: clusters.0.name: 'dev-1\\n' is not a valid cluster name",
        ),
        (
            "namespace: flowlogs-system",
            'namespace: "flowlogs-system\\n"',
            "values/fleet.yaml:8:16: error: gitops.destination.namespace: 'flowlogs-system\\n' is not a valid "
            "namespace",
        ),
    ],
)
def test_fleet_names_ending_in_a_newline_are_refused(
    run_cli: Callable[..., CliResult], old: str, new: str, expected: str
) -> None:
    _profile()
    Path("values/fleet.yaml").write_text(FLEET.replace(old, new, 1))
    result = run_cli("generate")
    assert result.code == 1
    assert expected in result.err
    assert not Path("chart").exists()


def test_a_flow_log_name_ending_in_a_newline_is_refused_at_generate(run_cli: Callable[..., CliResult]) -> None:
    _profile(text=PROFILE.replace("name: drops", 'name: "drops\\n"'))
    result = run_cli("generate")
    assert result.code == 1
    assert "values/p.yaml:4:13: error: cilium.flow-logs.0.name: 'drops\\n' is not a valid name" in result.err


def test_a_profile_file_name_ending_in_a_newline_is_refused(run_cli: Callable[..., CliResult]) -> None:
    _profile("x\n")
    result = run_cli("generate")
    assert result.code == 1
    assert "profile file name 'x\\n.yaml' is not a valid profile name" in result.err


def _dollar_outside_class(pattern: str) -> bool:
    return bool(end_anchors(pattern))


def test_no_python_regex_in_the_generator_anchors_with_dollar() -> None:
    """`\\Z` or fullmatch, never `$` (which also matches before a final newline), unless re.MULTILINE
    makes it a line end on purpose. JSON Schema patterns (ECMA-262) keep `$`: python_pattern reads them."""
    offenders = []
    for path in sorted((ROOT / "generator" / "flowlogs").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
            ):
                continue
            if (
                node.func.attr
                not in ("compile", "match", "search", "fullmatch", "sub", "subn", "split", "findall", "finditer")
                or not node.args
            ):
                continue
            flags = ast.unparse(node)
            first = node.args[0]
            parts = (
                [first.value]
                if isinstance(first, ast.Constant) and isinstance(first.value, str)
                else [v.value for v in first.values if isinstance(v, ast.Constant)]
                if isinstance(first, ast.JoinedStr)
                else []
            )
            if any(_dollar_outside_class(part) for part in parts) and "MULTILINE" not in flags and "re.M" not in flags:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


# ---------------------------------------------------------------- package: a description is text


@pytest.mark.skipif(not HELM.exists(), reason="no .cache/bin/helm (make helm-binary)")
def test_package_keeps_a_description_with_regex_replacement_escapes(run_cli: Callable[..., CliResult]) -> None:
    description = r"drops \d \g<0> \1 \n \\ end"
    _profile(text=f"description: {json.dumps(description)}\n" + PROFILE)
    result = run_cli("package", "p")
    assert result.code == 0, result.err
    assert Path("dist/index.yaml").is_file()
    # What Helm reads from the archive (`helm show chart`), not what flowlogs thinks it wrote.
    shown = subprocess.run(
        [str(HELM), "show", "chart", "dist/flowlogs-p-0.1.0.tgz"], capture_output=True, text=True, check=True
    ).stdout
    assert yaml.safe_load(shown)["description"] == f"flowlogs profile p: {description}"


def test_a_lone_surrogate_is_refused_at_its_position_and_package_writes_nothing(
    run_cli: Callable[..., CliResult],
) -> None:
    _profile(text='description: "bad \\ud800 x"\n' + PROFILE)
    result = run_cli("package", "p")
    assert result.code == 1
    # libyaml refuses the escape itself (its scanner's words: "found invalid
    # Unicode character escape code"), at its hex digits: nothing half-written from it can follow.
    assert result.err == (
        "values/p.yaml:1:21: error: invalid YAML: an escape that is no character: \\ud800-\\udfff are halves of a "
        "surrogate pair, "
        "and nothing is past \\U0010ffff; write the character itself\n"
        "  hint: the YAML parser says: found invalid Unicode character escape code\n"
        "flowlogs: 1 error in profiles or the fleet file; nothing was written\n"
    )
    assert sorted(os.listdir(".")) == ["values"]  # no dist/, no .chart.flowlogs-new


# ---------------------------------------------------------------- injection through nameOverride


INJECTED = "x\ninjected-label: pwned"


@pytest.mark.skipif(not HELM.exists(), reason="no .cache/bin/helm (make helm-binary)")
def test_helm_refuses_a_name_override_that_would_inject_a_label() -> None:
    """The shipped chart's values.schema.json: nameOverride and fullnameOverride are DNS labels or empty."""
    chart = ROOT / "chart"
    for key in ("nameOverride", "fullnameOverride"):
        refused = subprocess.run(
            [str(HELM), "template", "r", str(chart), "--set-string", f"{key}={INJECTED}"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert refused.returncode == 1, refused.stdout
        assert (
            f"- at '/{key}': 'x\\ninjected-label: pwned' does not match pattern '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$'"
            in refused.stderr
        )
        assert "pwned" not in refused.stdout
    accepted = subprocess.run(
        [str(HELM), "template", "r", str(chart), "--set-string", "nameOverride=team-x"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert accepted.returncode == 0


def test_the_embedded_engine_refuses_a_name_override_that_would_inject_a_label() -> None:
    from flowlogs.errors import HelmError
    from flowlogs.helm import select_engine

    engine = select_engine(prefer_binary=False)
    with pytest.raises(HelmError, match=r"nameOverride.*does not match pattern"):
        engine.template(ROOT / "chart", {"nameOverride": INJECTED}, release_name="r", namespace="n")


def test_fleet_value_overrides_cannot_inject_a_label(run_cli: Callable[..., CliResult]) -> None:
    _profile()
    Path("values/fleet.yaml").write_text(
        FLEET + '    overrides:\n      values:\n        nameOverride: "x\\ninjected-label: pwned"\n'
    )
    result = run_cli("generate")
    assert result.code == 1
    assert (
        "values/fleet.yaml:15:23: error: nameOverride: 'x\\ninjected-label: pwned' is not a valid value" in result.err
    )


# ---------------------------------------------------------------- init: a profile name, never a path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../x", "flowlogs: error: '../x' is not a profile name (a name, not a path)"),
        ("/tmp/abs/path", "flowlogs: error: '/tmp/abs/path' is not a profile name (a name, not a path)"),
        ("a/b", "flowlogs: error: 'a/b' is not a profile name (a name, not a path)"),
        ("x\n", "flowlogs: error: 'x\\n' is not a profile name (a name, not a path)"),
        ("a" * 300, f"flowlogs: error: '{'a' * 80}... (300 characters)' is not a profile name (a name, not a path)"),
        ("a" * 54, f"flowlogs: error: '{'a' * 54}' is not a profile name (a name, not a path)"),
        ("fleet", "flowlogs: error: 'fleet' is reserved: values/fleet.yaml is not a profile; choose another name"),
    ],
)
def test_init_refuses_what_is_not_a_profile_name(
    tmp_path: Path, run_cli: Callable[..., CliResult], name: str, expected: str
) -> None:
    Path("values").mkdir()
    before = _tree(tmp_path)
    result = run_cli("init", name, "--cilium", "1.19")
    assert result.code == 1
    assert result.err.startswith(expected)
    assert _tree(tmp_path) == before


def test_init_never_writes_through_a_dangling_symlink(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    Path("values").mkdir()
    Path("values/dang.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    result = run_cli("init", "dang", "--cilium", "1.19")
    assert result.code == 1
    assert "values/dang.yaml exists: flowlogs init never overwrites a profile" in result.err
    assert not (tmp_path / "elsewhere.yaml").exists()


def test_init_writes_a_profile_that_generate_reads(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("init", "team-a", "--cilium", "1.19")
    assert result.code == 0, result.err
    assert sorted(os.listdir("values")) == ["team-a.yaml"]
    assert run_cli("render", "team-a").code == 0


# ---------------------------------------------------------------- one writer


def test_the_writer_refuses_special_targets_and_leaves_nothing(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "target")
    for target, kind in ((fifo, "a FIFO"), (link, "a symbolic link"), (tmp_path, "a directory")):
        with pytest.raises(UnsafeTarget, match=re.escape(f"{target} is {kind}")):
            write_file(target, "x")
    assert sorted(os.listdir(tmp_path)) == ["fifo", "link"]
    assert not (tmp_path / "target").exists()


def test_the_writer_leaves_nothing_when_the_rename_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(source: str, destination: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(Exception, match="cannot write the report: No space left on device"):
        write_file(tmp_path / "r.html", "x", what="report")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root could replace a device node (the issue's /dev/full)")
def test_as_root_a_device_node_is_never_replaced() -> None:
    before = os.stat("/dev/full")
    with pytest.raises(UnsafeTarget, match="/dev/full is a character device"):
        write_file(Path("/dev/full"), "x")
    assert os.stat("/dev/full").st_rdev == before.st_rdev


FLOWS = '{"flow":{"time":"2026-01-01T00:00:00Z","verdict":"DROPPED"},"node_name":"n","time":"2026-01-01T00:00:00Z"}\n'


def test_preview_report_never_writes_through_a_planted_temporary(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    _profile()
    Path("flows.json").write_text(FLOWS)
    victim = tmp_path / "victim"
    victim.write_text("keep")
    Path(".r.html.tmp").symlink_to(victim)
    result = run_cli("preview", "p", "--flows", "flows.json", "--report", "r.html")
    assert result.code == 0, result.err
    assert victim.read_text() == "keep"
    assert Path("r.html").read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("report", [".", "sub"])
def test_preview_report_to_a_directory_is_an_error_and_leaves_nothing(
    tmp_path: Path, run_cli: Callable[..., CliResult], report: str
) -> None:
    _profile()
    Path("flows.json").write_text(FLOWS)
    Path("sub").mkdir()
    before = _tree(tmp_path)
    result = run_cli("preview", "p", "--flows", "flows.json", "--report", report)
    assert result.code == 1
    assert (
        f"flowlogs: error: {report} is a directory: flowlogs writes its report only to a regular file or a new name"
        in result.err
    )
    assert _tree(tmp_path) == before


def test_package_never_writes_through_planted_partial_files(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    _profile()
    Path("dist").mkdir()
    victim = tmp_path / "victim"
    victim.write_text("keep")
    for name in ("flowlogs-0.1.0.tgz.partial", "flowlogs-p-0.1.0.tgz.partial", "index.yaml.partial"):
        (Path("dist") / name).symlink_to(victim)
    result = run_cli("package", "p")
    assert result.code == 0, result.err
    assert victim.read_text() == "keep"
    with tarfile.open("dist/flowlogs-p-0.1.0.tgz") as archive:
        assert "flowlogs-p/Chart.yaml" in archive.getnames()


def test_package_refuses_an_archive_name_that_is_a_symlink(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    _profile()
    Path("dist").mkdir()
    (tmp_path / "victim").write_text("keep")
    Path("dist/index.yaml").symlink_to(tmp_path / "victim")
    result = run_cli("package", "p")
    assert result.code == 1
    assert "flowlogs: error: dist/index.yaml is a symbolic link" in result.err
    assert (tmp_path / "victim").read_text() == "keep"


# ---------------------------------------------------------------- composition is linear


def test_a_diamond_of_composed_profiles_resolves_each_file_once(run_cli: Callable[..., CliResult]) -> None:
    levels = 19  # 38 files: every path through the diamond was resolved again (2^19 paths, 40 s+)
    for level in range(levels):
        for side in "ab":
            below = f"compose: [l{level + 1}a, l{level + 1}b]\n" if level < levels - 1 else ""
            _profile(f"l{level}{side}", below + "description: x\n")
    _profile("top", "compose: [l0a, l0b]\n" + PROFILE)
    started = time.monotonic()
    result = run_cli("render", "top")
    assert result.code == 0, result.err
    assert time.monotonic() - started < 5


def test_a_chain_past_the_limit_is_one_error(run_cli: Callable[..., CliResult]) -> None:
    for index in range(200):
        _profile(f"c{index}", f"compose: [c{index + 1}]\n" if index < 199 else "description: end\n")
    _profile("top", "compose: [c0]\n" + PROFILE)
    result = run_cli("render", "top")
    assert result.code == 1
    assert result.err == (
        "values/top.yaml:1:10: error: values/top.yaml composes more than 64 profiles (counting the profiles they "
        "compose)\n"
        "  hint: compose fewer profiles: no fleet needs this many\n"
        "flowlogs: 1 error in profiles or the fleet file; nothing was written\n"
    )


# ---------------------------------------------------------------- ConfigMap payloads, .gz, flow types

BOMB = "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
PAYLOADS = {
    "alias-bomb": (
        "a: &a [x,x,x,x,x,x,x,x,x]\n" + BOMB,
        "config.yaml (ConfigMap c, data.flowlogs.yaml):7:14: the document expands to more than 2000000 values",
    ),
    "deep": (
        "flowLogs: " + "[" * 5000 + "]" * 5000,
        "config.yaml (ConfigMap c, data.flowlogs.yaml):1:266: nested more than 256 levels deep",
    ),
    "cycle": (
        "a: &a [*a]\n",
        "config.yaml (ConfigMap c, data.flowlogs.yaml):1:8: the alias *a is inside its own anchor &a: a cycle",
    ),
}


def _config_map(payload: str) -> None:
    Path("config.yaml").write_text(
        json.dumps(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"flowlogs.yaml": payload}}
        )
    )


@pytest.mark.parametrize("case", sorted(PAYLOADS))
def test_a_config_map_payload_goes_through_the_limits(run_cli: Callable[..., CliResult], case: str) -> None:
    payload, expected = PAYLOADS[case]
    _config_map(payload)
    Path("flows.json").write_text(FLOWS)
    for args in (("preview", "--config", "config.yaml", "--flows", "flows.json"), ("import", "config.yaml")):
        result = run_cli(*args)
        assert result.code == 1, (args, result.err)
        assert f"flowlogs: error: {expected}" in result.err


def test_a_gzip_bomb_stops_at_the_limit(run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    _profile()
    Path("bomb.json.gz").write_bytes(gzip.compress(b"\n" * 300_000))
    monkeypatch.setenv("FLOWLOGS_MAX_FLOWS_BYTES", "200000")
    result = run_cli("preview", "p", "--flows", "bomb.json.gz")
    assert result.code == 1
    assert (
        "flowlogs: error: bomb.json.gz: the gzip data expands to more than 200000 bytes; set FLOWLOGS_MAX_FLOWS_BYTES"
        in result.err
    )


def test_a_gzip_bomb_is_refused_by_its_ratio(run_cli: Callable[..., CliResult]) -> None:
    _profile()
    Path("bomb.json.gz").write_bytes(gzip.compress(b"\n" * 20_000_000))  # 20 KB expanding 1000 times
    result = run_cli("preview", "p", "--flows", "bomb.json.gz")
    assert result.code == 1
    assert (
        "flowlogs: error: bomb.json.gz: the gzip data expands more than 100 times (flows compress 10 to 30 times)"
        in result.err
    )


def test_real_flows_compress_well_inside_the_ratio(run_cli: Callable[..., CliResult]) -> None:
    _profile()
    import random

    lines = (ROOT / "tests" / "data" / "preview" / "flows.jsonl").read_bytes().splitlines(keepends=True)
    draw = random.Random(22)
    # 1.9 MB of captured flows, each with its own uuid (as hubble gives every flow one); a file
    # of one block repeated would compress as no capture does.
    flows = b"".join(
        re.sub(rb'"uuid":"[^"]*"', b'"uuid":"%032x"' % draw.getrandbits(128), line, count=1)
        for _ in range(100)
        for line in lines
    )
    Path("flows.json.gz").write_bytes(gzip.compress(flows))
    plain = Path("flows.json")
    plain.write_bytes(flows)
    assert len(flows) > 1024 * 1024
    assert run_cli("preview", "p", "--flows", "flows.json.gz").out == run_cli(
        "preview", "p", "--flows", "flows.json"
    ).out.replace("flows.json", "flows.json.gz")


@pytest.mark.parametrize("name", ["line.json", "line.json.gz"])
def test_one_endless_line_stops_at_the_line_limit(
    run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    _profile()
    data = b"x" * 5_000_000
    Path(name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    monkeypatch.setenv("FLOWLOGS_MAX_FLOWS_BYTES", str(10**9))  # the ratio would stop the .gz first
    result = run_cli("preview", "p", "--flows", name)
    assert result.code == 1
    assert f"flowlogs: error: {name}:1: a line longer than 1048576 bytes: not a flow" in result.err


def test_gzip_members_and_truncation_read_as_gzip_reads_them(run_cli: Callable[..., CliResult]) -> None:
    _profile()
    flows = (ROOT / "tests" / "data" / "preview" / "flows.jsonl").read_bytes()
    Path("flows.json").write_bytes(flows * 2)
    Path("two.json.gz").write_bytes(
        gzip.compress(flows) + gzip.compress(flows)
    )  # `cat a.gz b.gz`: one stream to gzip -d
    assert gzip.decompress(Path("two.json.gz").read_bytes()) == flows * 2
    assert run_cli("preview", "p", "--flows", "two.json.gz").out == run_cli(
        "preview", "p", "--flows", "flows.json"
    ).out.replace("flows.json", "two.json.gz")
    Path("cut.json.gz").write_bytes(gzip.compress(flows)[:100])
    with pytest.raises(EOFError):
        gzip.decompress(Path("cut.json.gz").read_bytes())
    result = run_cli("preview", "p", "--flows", "cut.json.gz")
    assert result.code == 1
    assert result.err == (
        "flowlogs: error: cut.json.gz: broken gzip data after line 0: compressed file ended before the "
        "end-of-stream marker was reached\n"
    )


def test_corrupt_gzip_is_an_error_naming_the_file(run_cli: Callable[..., CliResult]) -> None:
    _profile()
    data = bytearray(gzip.compress(FLOWS.encode() * 1000))
    data[40:60] = b"\xff" * 20
    Path("bad.json.gz").write_bytes(bytes(data))
    result = run_cli("preview", "p", "--flows", "bad.json.gz")
    assert result.code == 1
    assert result.err.startswith("flowlogs: error: bad.json.gz: broken gzip data after line 0: ")


# Fields of flow.Flow given every JSON type: protojson (hubble 1.19.4) decides which lines are flows.
_FIELDS = [
    "source",
    "destination",
    "time",
    "verdict",
    "l4",
    "IP",
    "event_type",
    "traffic_direction",
    "drop_reason",
    "is_reply",
    "source_names",
    "Summary",
    "drop_reason_desc",
    "l7",
]
_VALUES: list[object] = ["x", 7, -1.5, True, ["DROPPED"], [True], {"a": 1}, {}, [], "12", None]
TYPE_CASES = [
    {"flow": {"verdict": "DROPPED", field: value}} if field != "verdict" else {"flow": {"verdict": value}}
    for field in _FIELDS
    for value in _VALUES
]
TYPE_CASES += [
    {"time": 5, "flow": {"verdict": "DROPPED"}},
    {"flow": {"verdict": "DROPPED"}, "node_name": 5},
    {"flow": {"source": {"labels": "a"}}},
]
# The fields preview groups and orders matched flows by (each side's namespace, pod name and IP, the
# node, the time), wrongly typed in a flow that an unfiltered flow log matches.
ENDPOINT_CASES = [
    {"flow": {"verdict": "DROPPED", "IP": {"source": 3, "destination": "10.0.0.2"}}},
    {"flow": {"verdict": "DROPPED", "IP": {"source": "10.0.0.1", "destination": ["10.0.0.2"]}}},
    {"flow": {"verdict": "DROPPED", "source": {"namespace": 7}}},
    {"flow": {"verdict": "DROPPED", "destination": {"pod_name": {"a": 1}}}},
    {"flow": {"verdict": "DROPPED"}, "node_name": 5, "time": "2026-01-01T00:00:00Z"},  # the exporter's line
    {"flow": {"verdict": "DROPPED", "time": 5}},
]
TYPE_CASES += ENDPOINT_CASES


def test_preview_never_fails_internally_on_wrongly_typed_fields(run_cli: Callable[..., CliResult]) -> None:
    _profile(text=PROFILE.replace("verdict: dropped", "source-label: k8s:app=web"))  # reads source.labels
    errors = 0
    for case in TYPE_CASES[::3] + TYPE_CASES[-3:]:  # a third of them (the hubble test below judges them all)
        Path("one.json").write_text(json.dumps(case) + "\n")
        result = run_cli("preview", "p", "--flows", "one.json")
        assert result.code in (0, 1), (case, result.err)
        if result.code == 1:
            errors += 1
            problem = flow_type_problem(case, "1.19")
            assert problem is not None, (case, result.err)
            assert result.err == (
                f"flowlogs: error: one.json:1: {problem} (flow.Flow, Cilium 1.19); the agent could not read this flow\n"
            )
    assert errors  # the source label filter reads `source`: a string there is named, not a crash


def test_a_matched_flow_with_a_wrongly_typed_field_it_is_grouped_by_is_named_at_its_line(
    run_cli: Callable[..., CliResult],
) -> None:
    # Once an internal error (exit 70) when the report sorted a number among the names of its top sources.
    _profile(text=PROFILE.replace("      include:\n        - verdict: dropped\n", ""))  # every flow matches
    valid = json.dumps({"flow": {"verdict": "DROPPED", "IP": {"source": "10.0.0.1", "destination": "10.0.0.2"}}})
    for case in ENDPOINT_CASES:
        Path("one.json").write_text(f"{valid}\n{json.dumps(case)}\n")
        result = run_cli("preview", "p", "--flows", "one.json")
        problem = flow_type_problem(case, "1.19")
        assert problem is not None, case
        assert (result.code, result.err) == (
            1,
            f"flowlogs: error: one.json:2: {problem} (flow.Flow, Cilium 1.19); the agent could not read this flow\n",
        )


@pytest.mark.skipif(bool(upstream_tools.skip_reason("hubble")), reason=upstream_tools.skip_reason("hubble") or "hubble")
def test_flow_type_problems_are_the_lines_hubble_cannot_read(tmp_path: Path) -> None:
    """hubble observe --input-file (protojson) warns "Failed to unmarshal json to flow" for each line
    whose fields have the wrong JSON type; flow_type_problem names exactly those lines."""
    lines = [json.dumps(case, separators=(",", ":")) for case in TYPE_CASES]
    (tmp_path / "cases.json").write_text("\n".join(lines) + "\n")
    completed = upstream_tools.ask_hubble("1.19", "observe", "--input-file", tmp_path / "cases.json", "-o", "json")
    rejected = set()
    for warning in completed.stderr.splitlines():
        if "Failed to unmarshal json to flow" in warning:
            quoted = re.search(r' line=("(?:[^"\\]|\\.)*")', warning)
            assert quoted is not None, warning
            rejected.add(json.loads(quoted.group(1)))  # slog quotes the line as Go's strconv.Quote: JSON for ASCII
    ours = {line for line, case in zip(lines, TYPE_CASES, strict=True) if flow_type_problem(case, "1.19") is not None}
    assert rejected, completed.stderr[-2000:]
    assert ours == rejected


# ---------------------------------------------------------------- exit 70 no more


@pytest.mark.parametrize("args", [["schema"], ["--version"], ["--help"], ["render", "--help"]])
def test_a_closed_stdout_is_an_error_not_an_internal_one(args: list[str]) -> None:
    _profile()
    result = subprocess.run(
        [*FLOWLOGS, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        pass_fds=(),
        close_fds=True,
        preexec_fn=lambda: os.close(1),
    )
    assert result.returncode == 1
    assert result.stderr == "flowlogs: error: cannot write to standard output: it is closed (Bad file descriptor)\n"


@pytest.mark.parametrize("args", [["render", "p"], ["--version"], ["--help"]])
def test_a_broken_pipe_ends_quietly(args: list[str]) -> None:
    _profile()
    with subprocess.Popen([*FLOWLOGS, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        assert process.wait(timeout=120) == 1
        assert process.stderr.read() == b""


@pytest.mark.parametrize("args", [["schema"], ["--version"], ["--help"], ["render", "--help"]])
def test_a_full_disk_on_stdout_is_named(args: list[str]) -> None:
    with open("/dev/full", "w") as full:  # noqa: PTH123
        result = subprocess.run([*FLOWLOGS, *args], stdout=full, stderr=subprocess.PIPE, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr == "flowlogs: error: cannot write to standard output: No space left on device\n"


def test_the_version_is_one_line_on_a_narrow_terminal() -> None:
    result = subprocess.run(
        [*FLOWLOGS, "--version"], env={**os.environ, "COLUMNS": "10"}, capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, f"flowlogs {flowlogs.__version__}\n", "")


def test_validate_documents_naming_a_directory_reports_it(run_cli: Callable[..., CliResult]) -> None:
    Path("docs").mkdir()
    _profile()
    assert run_cli("generate").code == 0
    result = run_cli("validate", "p", "--documents", "docs", "--embedded-only")
    assert result.code == 1
    assert (
        "docs: not a regular file (a directory): flowlogs reads documents from regular files only"
        in result.out + result.err
    )


@pytest.mark.parametrize("command", ["generate", "check", "render", "diff", "validate", "package"])
def test_a_directory_option_that_is_a_device_is_a_usage_error(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    from flowlogs.cli import main

    _profile()
    with pytest.raises(SystemExit) as exited:
        main([command, *(["p"] if command == "render" else []), "--chart-dir", "/dev/null"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.endswith(
        f"flowlogs {command}: error: argument --chart-dir: /dev/null is not a directory\n"
    )


# ---------------------------------------------------------------- check


def test_check_never_reads_a_large_stray_file_whole(tmp_path: Path) -> None:
    _profile()
    assert _run("generate").returncode == 0
    with open("gitops/stray.bin", "wb") as stray:  # noqa: PTH123
        stray.truncate(300 * 1024 * 1024)  # sparse: 300 MB to read, nothing on disk
    measured = subprocess.run(
        # VmHWM, the peak of this process's own memory (ru_maxrss would carry the forking test worker's over exec)
        [
            sys.executable,
            "-c",
            "import re, sys\nfrom flowlogs.cli import main\ncode = main(['check'])\n"
            "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1), "
            "file=sys.stderr)\nsys.exit(code)",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert measured.returncode == 1
    assert (
        f"Files gitops/stray.bin ({300 * 1024 * 1024} bytes, too large to show) and the generated tree differ: "
        "`flowlogs generate` removes it\n" in measured.stdout
    )
    assert int(measured.stderr.splitlines()[-1]) < 150 * 1024  # KB: the file is never held


def test_check_names_a_switch_a_killed_generate_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., CliResult]
) -> None:
    from flowlogs import trees as tree

    _profile()
    assert run_cli("generate").code == 0
    Path("values/fleet.yaml").write_text(FLEET)  # a new gitops/ ...
    _profile(text="description: changed\n" + PROFILE)  # ... and a new chart/: two switches
    real_switch, switched = tree._switch, []

    def killed_after_the_first(target: Path, digest: str) -> None:
        if switched:
            raise KeyboardInterrupt  # the kill, between the two directory swaps
        switched.append(target)
        real_switch(target, digest)

    monkeypatch.setattr(tree, "_switch", killed_after_the_first)
    assert run_cli("generate").code == 130
    monkeypatch.setattr(tree, "_switch", real_switch)
    result = run_cli("check")
    assert result.code == 1
    journal = tmp_path.resolve() / ".flowlogs-generate.journal"
    assert (
        f"flowlogs: a `flowlogs generate` was interrupted while switching chart/ and gitops/ ({journal} remains); "
        "the next `flowlogs generate` completes the switch\n"
    ) in result.err
    assert run_cli("generate").code == 0
    assert run_cli("check").code == 0
    assert not journal.exists()


def test_a_null_time_of_an_exporter_line_is_no_time(run_cli: Callable[..., CliResult]) -> None:
    """protojson reads a JSON null for a Timestamp as unset (found by `make fuzz`: exit 70 once)."""
    _profile()
    Path("flows.json").write_text(
        '{"flow":{"time":"2026-01-01T00:00:00Z","verdict":"DROPPED"},"node_name":"n","time":null}\n', encoding="utf-8"
    )
    result = run_cli("preview", "p", "--flows", "flows.json")
    assert (result.code, result.err) == (0, "")
    assert "1 flow, matched with" in result.out

"""The build cache (issue 16): `render` and `validate` reuse the chart built from the same
profiles, and `render` the output Helm gave for the same chart, values and flags. What must
hold is that a kept build is never stale: every edit of a profile, of a profile it composes,
of the chart on disk (the version) or of a flag shows in the output, exactly as without the
cache (`FLOWLOGS_NO_CACHE=1`)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import CHART, write_profile
from flowlogs import compiler
from flowlogs.current import UNREAD_BY_TEMPLATES, chart_on_disk, current_chart

PROFILE = """\
cilium:
  version: "1.19"
  flow-logs:
    - name: drops
      file: /var/run/cilium/hubble/drops.log
      include:
        - verdict: dropped
"""
BASE = """\
cilium:
  version: "1.19"
  flow-logs:
    - name: from-base
      file: /var/run/cilium/hubble/base.log
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of its own, on; the working directory is the repository to render from."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("FLOWLOGS_NO_CACHE", raising=False)
    repository = tmp_path / "repository"
    write_profile(repository / "values", "demo", PROFILE)
    monkeypatch.chdir(repository)
    return tmp_path / "cache" / "flowlogs" / "builds"


def _flow_logs_yaml(rendered: str) -> str:
    """The flowlogs.yaml block of the rendered ConfigMap."""
    return rendered.split("flowlogs.yaml: |", 1)[1]


def _uncached(run_cli, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    with monkeypatch.context() as patch:
        patch.setenv("FLOWLOGS_NO_CACHE", "1")
        result = run_cli(*args)
    assert result.code == 0, result.err
    return str(result.out)


def test_render_follows_every_edit_of_the_profile(cache, run_cli, monkeypatch):
    first = run_cli("render", "demo")
    assert first.code == 0, first.err
    assert "verdict:\n        - DROPPED" in _flow_logs_yaml(first.out)
    assert any(cache.iterdir()), "the render was kept"
    assert run_cli("render", "demo").out == first.out

    Path("values/demo.yaml").write_text(PROFILE.replace("dropped", "forwarded"), encoding="utf-8")
    edited = run_cli("render", "demo")
    assert "verdict:\n        - FORWARDED" in _flow_logs_yaml(edited.out)
    assert edited.out == _uncached(run_cli, monkeypatch, "render", "demo")

    Path("values/demo.yaml").write_text(PROFILE, encoding="utf-8")
    assert run_cli("render", "demo").out == first.out


def test_render_follows_an_edit_of_a_composed_profile(cache, run_cli, monkeypatch):
    write_profile(Path("values"), "base", BASE)
    write_profile(Path("values"), "team", "compose: [base]\n")
    assert "name: from-base" in run_cli("render", "team").out

    Path("values/base.yaml").write_text(BASE.replace("from-base", "renamed-in-base"), encoding="utf-8")
    edited = run_cli("render", "team")
    assert "name: renamed-in-base" in edited.out
    assert "from-base" not in edited.out
    assert edited.out == _uncached(run_cli, monkeypatch, "render", "team")


def test_flags_are_part_of_what_is_kept(cache, run_cli):
    one = run_cli("render", "demo", "--release-name", "one").out
    two = run_cli("render", "demo", "--release-name", "two").out
    assert "app.kubernetes.io/instance: one" in one
    assert "app.kubernetes.io/instance: two" in two


def test_the_version_is_decided_from_the_chart_on_disk_each_time(cache, run_cli):
    assert run_cli("generate").code == 0
    assert "helm.sh/chart: flowlogs-0.1.0" in run_cli("render", "demo").out
    # Same content hash, another version (a release bump by hand): generate keeps that version,
    # and so must the kept build.
    chart_yaml = Path("chart/Chart.yaml")
    chart_yaml.write_text(re.sub(r"(?m)^version: .*$", "version: 0.1.7", chart_yaml.read_text(encoding="utf-8")), encoding="utf-8")
    assert "helm.sh/chart: flowlogs-0.1.7" in run_cli("render", "demo").out


def test_validate_after_generate_uses_the_kept_chart_without_compiling(cache, run_cli, monkeypatch):
    assert run_cli("generate").code == 0

    def no_compiling(paths):
        raise AssertionError(f"compiled again: {paths}")

    monkeypatch.setattr(compiler, "compile_paths", no_compiling)
    current = current_chart(Path("values"), Path("chart"))
    on_disk = {str(path.relative_to("chart")): path.read_text(encoding="utf-8") for path in Path("chart").rglob("*") if path.is_file()}
    assert current.files == on_disk
    assert [(p.name, p.source) for p in current.profiles] == [("demo", "values/demo.yaml")]


def test_a_broken_or_foreign_cache_entry_is_ignored(cache, run_cli):
    first = run_cli("render", "demo").out
    for entry in cache.iterdir():
        entry.write_bytes(b"not a pickle")
    assert run_cli("render", "demo").out == first


def test_no_cache_keeps_nothing(cache, run_cli, monkeypatch):
    monkeypatch.setenv("FLOWLOGS_NO_CACHE", "1")
    assert run_cli("render", "demo").code == 0
    assert not cache.exists()


def test_helm_reads_chart_dir_only_when_it_is_exactly_the_build(cache, run_cli):
    assert run_cli("generate").code == 0
    current = current_chart(Path("values"), Path("chart"))
    with chart_on_disk(current.files, Path("chart")) as chart:
        assert chart == Path("chart")
    Path("chart/extra.txt").write_text("a file generate did not write\n", encoding="utf-8")
    with chart_on_disk(current.files, Path("chart")) as chart:
        assert chart != Path("chart")
        assert sorted(str(p.relative_to(chart)) for p in chart.rglob("*") if p.is_file()) == sorted(current.files)
    assert Path("chart/extra.txt").is_file()


def test_a_hand_edited_chart_is_not_what_render_shows(cache, run_cli, monkeypatch):
    assert run_cli("generate").code == 0
    before = _uncached(run_cli, monkeypatch, "render", "demo")
    template = Path("chart/templates/cilium/configmap.yaml")
    template.write_text(template.read_text(encoding="utf-8").replace("flowlogs.yaml: |", "edited-by-hand.yaml: |"), encoding="utf-8")
    assert run_cli("render", "demo").out == before
    assert _uncached(run_cli, monkeypatch, "render", "demo") == before


def test_hand_edited_compiled_values_are_not_what_render_shows(cache, run_cli, monkeypatch):
    # Helm may read chart/ when only what its .helmignore leaves out (profiles/) differs: the
    # values still come from the profile as it is now.
    assert run_cli("generate").code == 0
    before = _uncached(run_cli, monkeypatch, "render", "demo")
    values = Path("chart/profiles/demo/values.yaml")
    values.write_text(values.read_text(encoding="utf-8").replace("DROPPED", "FORWARDED"), encoding="utf-8")
    write_profile(Path("values"), "other", PROFILE.replace("drops", "others"))
    assert run_cli("render", "demo").out == before
    assert "DROPPED" in before


def test_broken_kept_templates_are_compiled_again(cache, run_cli):
    assert run_cli("generate").code == 0
    readme = Path("chart/README.md").read_text(encoding="utf-8")
    templates = list((cache.parent / "data").glob("template-*"))
    assert templates, "the compiled chart templates were kept"
    for entry in templates:
        entry.write_bytes(b"\x00not marshal data")
    Path("chart/README.md").unlink()
    assert run_cli("generate").code == 0
    assert Path("chart/README.md").read_text(encoding="utf-8") == readme


def test_no_template_reads_what_a_render_may_leave_unequal():
    # render takes chart/ as it is when only profiles/, ci/ and these files differ from the build.
    templates = [p for p in (CHART / "templates").rglob("*") if p.is_file()]
    assert templates
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for name in UNREAD_BY_TEMPLATES:
            assert name not in text, f"{path} refers to {name}"
        assert all(call.startswith('.Files.Get "files/') for call in re.findall(r"\.Files\.\w+ \"[^\"]*", text)), path


def test_a_single_profile_render_reads_chart_dir_in_place(cache, run_cli):
    assert run_cli("generate").code == 0
    write_profile(Path("values"), "other", PROFILE.replace("drops", "others"))
    assert run_cli("generate").code == 0
    current = current_chart(Path("values"), Path("chart"), ["demo"])
    assert current.files["profiles/README.md"] != Path("chart/profiles/README.md").read_text(encoding="utf-8")
    with chart_on_disk(current.files, Path("chart"), helm_reads_only=True) as chart:
        assert chart == Path("chart")


def test_kubernetes_schemas_are_kept_standalone_and_derived_again_when_broken(cache, run_cli, monkeypatch):
    # validate compiles each kind's schema with the shared definitions it refers to inlined,
    # kept per installation; a broken entry is derived again, and the findings never change.
    assert run_cli("generate").code == 0
    expected = _uncached(run_cli, monkeypatch, "validate", "--embedded-only", "--output", "json")
    assert run_cli("validate", "--embedded-only", "--output", "json").out == expected
    kept = sorted((cache.parent / "data").glob("k8s-schema-*"))
    assert kept, "the standalone schemas were kept"
    schema = json.loads(kept[0].read_bytes())
    assert "$defs" in schema and "/api/_definitions.json" not in kept[0].read_text(encoding="utf-8")
    for entry in kept:
        entry.write_bytes(b"{not json")
    assert run_cli("validate", "--embedded-only", "--output", "json").out == expected
    assert json.loads(kept[0].read_bytes()) == schema


def test_broken_kept_chart_base_is_made_again(cache, run_cli):
    # The files that depend on flowlogs alone (values, schema, templates, README) are kept per
    # installation; a broken entry is made again, never used.
    assert run_cli("generate").code == 0
    chart = {p.relative_to("chart"): p.read_bytes() for p in Path("chart").rglob("*") if p.is_file()}
    kept = list((cache.parent / "data").glob("chart-base-*"))
    assert len(kept) == 1, "the chart base was kept"
    kept[0].write_bytes(b"\x00not marshal data")
    shutil.rmtree("chart")
    assert run_cli("generate").code == 0
    assert {p.relative_to("chart"): p.read_bytes() for p in Path("chart").rglob("*") if p.is_file()} == chart
    assert "| `demo` | `values/demo.yaml` |" in Path("chart/profiles/README.md").read_text(encoding="utf-8")

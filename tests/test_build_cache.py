"""The cache (issues 16, 22, 25): `render` and `validate` reuse the chart built from the same
profiles, `render` the output Helm gave for the same chart, values and flags, and every build
the chart files that depend on flowlogs alone. What must hold is that a kept entry is never
stale and never more than data: every edit of a profile, of a profile it composes, of the chart
on disk (the version) or of a flag shows in the output, exactly as without the cache
(`FLOWLOGS_NO_CACHE=1`), and an entry that is not exactly what flowlogs wrote (planted, changed,
a FIFO, a link) is ignored and made again."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import CHART, VALUES, write_profile
from flowlogs import compiler
from flowlogs.current import chart_on_disk, current_chart

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
    """A cache of its own, on (its entries' directory); the working directory is the repository to render from."""
    monkeypatch.setenv("FLOWLOGS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("FLOWLOGS_NO_CACHE", raising=False)
    repository = tmp_path / "repository"
    write_profile(repository / "values", "demo", PROFILE)
    monkeypatch.chdir(repository)
    return tmp_path / "cache" / "v2"


def _flow_logs_yaml(rendered: str) -> str:
    """The flowlogs.yaml block of the rendered ConfigMap."""
    return rendered.split("flowlogs.yaml: |", 1)[1]


_PLAIN: dict[tuple[str | bytes, ...], str] = {}


def _uncached(run_cli, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """The output without the cache. With no chart/ or gitops/ yet it depends on the arguments and the profiles
    only (generated output is deterministic): one run per such input for the module, not one per test."""
    key: tuple[str | bytes, ...] | None = None
    if not Path("chart").exists() and not Path("gitops").exists():
        key = args + tuple(
            item
            for path in sorted(Path("values").rglob("*"))
            if path.is_file()
            for item in (str(path), os.readlink(path) if path.is_symlink() else "", path.read_bytes())
        )
        if key in _PLAIN:
            return _PLAIN[key]
    with monkeypatch.context() as patch:
        patch.setenv("FLOWLOGS_NO_CACHE", "1")
        result = run_cli(*args)
    assert result.code == 0, result.err
    if key is not None:
        _PLAIN[key] = str(result.out)
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
    chart_yaml.write_text(
        re.sub(r"(?m)^version: .*$", "version: 0.1.7", chart_yaml.read_text(encoding="utf-8")), encoding="utf-8"
    )
    assert "helm.sh/chart: flowlogs-0.1.7" in run_cli("render", "demo").out


def test_validate_after_generate_uses_the_kept_chart_without_compiling(cache, run_cli, monkeypatch):
    assert run_cli("generate").code == 0

    def no_compiling(paths):
        raise AssertionError(f"compiled again: {paths}")

    monkeypatch.setattr(compiler, "compile_paths", no_compiling)
    current = current_chart(Path("values"), Path("chart"))
    on_disk = {
        str(path.relative_to("chart")): path.read_text(encoding="utf-8")
        for path in Path("chart").rglob("*")
        if path.is_file()
    }
    assert current.versioned(Path("chart")) == on_disk
    assert [(p.name, p.source) for p in current.profiles] == [("demo", "values/demo.yaml")]


def test_a_broken_or_foreign_cache_entry_is_ignored(cache, run_cli):
    first = run_cli("render", "demo").out
    for entry in cache.iterdir():
        entry.write_bytes(b"not an entry")
    assert run_cli("render", "demo").out == first


def test_no_cache_keeps_nothing(cache, run_cli, monkeypatch):
    monkeypatch.setenv("FLOWLOGS_NO_CACHE", "1")
    assert run_cli("render", "demo").code == 0
    assert not cache.exists()


def test_helm_reads_chart_dir_only_when_it_is_exactly_the_build(cache, run_cli):
    assert run_cli("generate").code == 0
    files = current_chart(Path("values"), Path("chart")).versioned(Path("chart"))
    with chart_on_disk(files, Path("chart")) as chart:
        assert chart == Path("chart")
    Path("chart/extra.txt").write_text("a file generate did not write\n", encoding="utf-8")
    with chart_on_disk(files, Path("chart")) as chart:
        assert chart != Path("chart")
        assert sorted(str(p.relative_to(chart)) for p in chart.rglob("*") if p.is_file()) == sorted(files)
    assert Path("chart/extra.txt").is_file()


def test_a_hand_edited_chart_is_not_what_render_shows(cache, run_cli, monkeypatch):
    assert run_cli("generate").code == 0
    before = _uncached(run_cli, monkeypatch, "render", "demo")
    template = Path("chart/templates/cilium/configmap.yaml")
    template.write_text(
        template.read_text(encoding="utf-8").replace("flowlogs.yaml: |", "edited-by-hand.yaml: |"), encoding="utf-8"
    )
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


def test_no_template_reads_what_a_render_may_leave_unequal():
    # render takes chart/ as it is when only profiles/ and ci/ differ from the build.
    templates = [p for p in (CHART / "templates").rglob("*") if p.is_file()]
    assert templates
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert all(call.startswith('.Files.Get "files/') for call in re.findall(r"\.Files\.\w+ \"[^\"]*", text)), path


def test_a_single_profile_render_reads_chart_dir_in_place(cache, run_cli):
    assert run_cli("generate").code == 0
    write_profile(Path("values"), "other", PROFILE.replace("drops", "others"))
    assert run_cli("generate").code == 0
    files = current_chart(Path("values"), Path("chart"), ["demo"]).versioned(Path("chart"))
    assert files["profiles/README.md"] != Path("chart/profiles/README.md").read_text(encoding="utf-8")
    with chart_on_disk(files, Path("chart"), helm_reads_only=True) as chart:
        assert chart == Path("chart")


def test_broken_kept_chart_base_is_made_again(cache, run_cli):
    # The files that depend on flowlogs alone (values, schema, templates, README) are kept per
    # installation; a broken entry is made again, never used.
    assert run_cli("generate").code == 0
    chart = {p.relative_to("chart"): p.read_bytes() for p in Path("chart").rglob("*") if p.is_file()}
    kept = list(cache.glob("chart-base-*"))
    assert len(kept) == 1, "the chart base was kept"
    kept[0].write_bytes(b"\x00not an entry")
    shutil.rmtree("chart")
    assert run_cli("generate").code == 0
    assert {p.relative_to("chart"): p.read_bytes() for p in Path("chart").rglob("*") if p.is_file()} == chart
    assert "| `demo` | `values/demo.yaml` |" in Path("chart/profiles/README.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------- what an entry may be (issue 22)


def _entries(cache: Path, kind: str) -> list[Path]:
    return sorted(path for path in cache.iterdir() if path.name.startswith(f"{kind}-"))


class _Planted:
    """A pickle that, loaded, creates the file `PWNED` in the working directory."""

    def __reduce__(self):
        return (Path.touch, (Path.cwd() / "PWNED",))


def test_no_module_of_flowlogs_can_load_code_from_a_cache():
    # pickle and marshal load code (marshal: code objects); shelve is pickle.
    sources = sorted((Path(compiler.__file__).parent).rglob("*.py"))
    assert len(sources) > 50
    loader = re.compile(
        r"^\s*(import|from)\s+(pickle|marshal|shelve|dill)\b|\b(pickle|marshal)\.loads?\b", re.MULTILINE
    )
    assert [str(p) for p in sources if loader.search(p.read_text(encoding="utf-8"))] == []


def test_a_planted_pickle_never_runs(cache, run_cli):
    first = run_cli("render", "demo").out
    entries = list(cache.iterdir())
    assert {path.name.split("-")[0] for path in entries} == {"build", "chart", "render"}
    planted = pickle.dumps(_Planted())
    for entry in entries:
        header = entry.read_bytes().partition(b"\n")[0]
        # The header of the entry it replaces, the digest of the pickle: a well-formed entry of the wrong content.
        entry.write_bytes(
            header.rsplit(b" ", 1)[0] + b" " + hashlib.sha256(planted).hexdigest().encode() + b"\n" + planted
        )
    assert run_cli("render", "demo").out == first
    assert not Path("PWNED").exists()


def test_one_changed_byte_is_seen_and_the_entry_made_again(cache, run_cli, monkeypatch):
    expected = _uncached(run_cli, monkeypatch, "render", "demo")
    assert run_cli("render", "demo").out == expected
    (entry,) = _entries(cache, "render")
    written = entry.read_bytes()
    assert b"filePath" in written
    entry.write_bytes(written.replace(b"filePath", b"filePbth", 1))
    assert run_cli("render", "demo").out == expected
    assert entry.read_bytes() == written


@pytest.mark.parametrize(
    "damage", ["truncated", "header only", "another key's entry", "plain json", "oversized", "a directory"]
)
def test_a_damaged_or_foreign_entry_is_ignored(cache, run_cli, monkeypatch, damage):
    from flowlogs import caches

    expected = _uncached(run_cli, monkeypatch, "render", "demo")
    assert run_cli("render", "demo").out == expected
    (entry,) = _entries(cache, "render")
    written = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(written[:-10])
    elif damage == "header only":
        entry.write_bytes(written.partition(b"\n")[0] + b"\n")
    elif damage == "another key's entry":
        # An entry of another profile's render under this key's name: its header names the other key.
        write_profile(Path("values"), "other", PROFILE.replace("dropped", "forwarded"))
        assert run_cli("render", "other").code == 0
        (other,) = [path for path in _entries(cache, "render") if path != entry]
        entry.write_bytes(other.read_bytes())
    elif damage == "plain json":
        entry.write_text(json.dumps(expected.replace("DROPPED", "FORWARDED")), encoding="utf-8")
    elif damage == "oversized":
        monkeypatch.setattr(caches, "MAX_ENTRY_BYTES", len(written) - 1)
    else:
        entry.unlink()
        entry.mkdir()
    assert run_cli("render", "demo").out == expected


def test_a_fifo_entry_never_waits(cache, run_cli, monkeypatch):
    expected = _uncached(run_cli, monkeypatch, "render", "demo")
    assert run_cli("render", "demo").code == 0
    for entry in cache.iterdir():
        entry.unlink()
        os.mkfifo(entry)
    # In a process of its own: were the FIFO opened for reading, it would wait for a writer forever.
    result = subprocess.run(
        [str(Path(sys.executable).parent / "flowlogs"), "render", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, expected)


def test_an_entry_linked_to_dev_zero_is_ignored(cache, run_cli, monkeypatch):
    expected = _uncached(run_cli, monkeypatch, "render", "demo")
    assert run_cli("render", "demo").code == 0
    for entry in cache.iterdir():
        entry.unlink()
        entry.symlink_to("/dev/zero")
    assert run_cli("render", "demo").out == expected


def test_entries_are_pruned(cache, run_cli, monkeypatch):
    from flowlogs import caches

    monkeypatch.setattr(caches, "KEPT_ENTRIES", 4)
    for release in range(6):
        assert run_cli("render", "demo", "--release-name", f"r{release}").code == 0
    assert len(list(cache.iterdir())) <= 4


# ---------------------------------------------------------------- never stale (issue 22)


def test_a_composed_profile_shadowed_by_a_new_file_is_seen(cache, run_cli, monkeypatch):
    Path("values/base.yml").write_text(BASE, encoding="utf-8")
    write_profile(Path("values"), "team", "compose: [base]\n")
    assert "name: from-base" in run_cli("render", "team").out
    write_profile(Path("values"), "base", BASE.replace("from-base", "from-new-base"))  # base.yaml comes first
    expected = _uncached(run_cli, monkeypatch, "render", "team")
    assert "name: from-new-base" in expected
    assert run_cli("render", "team").out == expected


def test_a_retargeted_link_to_a_composed_profile_is_seen(cache, run_cli, monkeypatch):
    # Links inside the profile directory (a link out of it is refused).
    write_profile(Path("values/targets"), "one", BASE)
    write_profile(Path("values/targets"), "two", BASE.replace("from-base", "from-two"))
    Path("values/base.yaml").symlink_to("targets/one.yaml")
    write_profile(Path("values"), "team", "compose: [base]\n")
    assert "name: from-base" in run_cli("render", "team").out
    Path("values/base.yaml").unlink()
    Path("values/base.yaml").symlink_to("targets/two.yaml")
    expected = _uncached(run_cli, monkeypatch, "render", "team")
    assert "name: from-two" in expected
    assert run_cli("render", "team").out == expected


def test_validate_fails_once_a_composed_profile_is_proc_self_mem(cache, run_cli, monkeypatch):
    write_profile(Path("values/targets"), "base", BASE)
    Path("values/base.yaml").symlink_to("targets/base.yaml")
    write_profile(Path("values"), "team", "compose: [base]\n")
    assert run_cli("validate", "--embedded-only", "team").code == 0
    Path("values/base.yaml").unlink()
    Path("values/base.yaml").symlink_to("/proc/self/mem")
    with monkeypatch.context() as patch:
        patch.setenv("FLOWLOGS_NO_CACHE", "1")
        uncached = run_cli("validate", "--embedded-only", "team")
    assert uncached.code == 1
    assert "error: profile 'base' cannot be composed" in uncached.err
    cached = run_cli("validate", "--embedded-only", "team")
    assert (cached.code, cached.err) == (1, uncached.err)


def test_a_profile_edited_while_it_compiles_is_not_kept(cache, run_cli, monkeypatch):
    # The key is taken before the compile: kept, the build would stand for the edited file.
    compile_paths = compiler.compile_paths

    def compile_then_edit(paths):
        result = compile_paths(paths)
        Path("values/demo.yaml").write_text(PROFILE.replace("dropped", "forwarded"), encoding="utf-8")
        return result

    with monkeypatch.context() as patch:
        patch.setattr(compiler, "compile_paths", compile_then_edit)
        assert "verdict:\n        - DROPPED" in _flow_logs_yaml(run_cli("render", "demo").out)
    assert _entries(cache, "build") == []
    assert run_cli("render", "demo").out == _uncached(run_cli, monkeypatch, "render", "demo")


# ---------------------------------------------------------------- what each kept layer gives (issue 25)


def test_every_kept_layer_gives_the_bytes_of_the_plain_path(cache, run_cli, monkeypatch, tmp_path):
    # chart-base (generate), build (the validate and renders after it), render (a render again).
    shutil.copytree(VALUES, "values", dirs_exist_ok=True)
    plain = tmp_path / "plain"
    shutil.copytree(Path.cwd(), plain)
    with monkeypatch.context() as patch:
        patch.setenv("FLOWLOGS_NO_CACHE", "1")
        patch.chdir(plain)
        assert run_cli("generate").code == 0
        expected = {args: run_cli(*args) for args in _COMMANDS}
    assert not cache.exists()
    for _ in range(2):  # made, then found
        shutil.rmtree("chart", ignore_errors=True)
        shutil.rmtree("gitops", ignore_errors=True)
        assert run_cli("generate").code == 0
        for args, result in expected.items():
            assert run_cli(*args) == result, args
    assert {path.name.split("-")[0] for path in cache.iterdir()} == {"build", "chart", "render"}
    tree = {
        str(p.relative_to(plain)): p.read_bytes()
        for tree in ("chart", "gitops")
        for p in (plain / tree).rglob("*")
        if p.is_file()
    }
    assert {
        str(p): p.read_bytes() for tree in ("chart", "gitops") for p in Path(tree).rglob("*") if p.is_file()
    } == tree


SHARED_CRDS = Path(__file__).resolve().parents[1].parent / "shared" / "crds"


@pytest.mark.skipif(not SHARED_CRDS.is_dir(), reason=f"the upstream CRDs are not at {SHARED_CRDS}")
def test_a_kept_crd_conversion_gives_the_verdicts_of_the_plain_path(cache, run_cli, monkeypatch, tmp_path):
    # The upstream CRDs, some of them alike (a warning names the choice), against a Calico profile and
    # the gitops manifests, with a document that breaks a CRD's schema: the same report from the YAML
    # read and converted, and from the conversions kept by the digest of each file's text.
    shutil.copytree(VALUES, "values", dirs_exist_ok=True)
    assert run_cli("generate").code == 0
    broken = tmp_path / "broken.yaml"
    application = yaml.safe_load(Path("gitops/applications/calico-l7.yaml").read_text(encoding="utf-8"))
    application["spec"]["syncPolicy"]["automatedd"] = {}
    broken.write_text(yaml.safe_dump(application), encoding="utf-8")
    documents = [*sorted(Path("gitops").glob("*.yaml")), broken]  # the ApplicationSet: Argo CD's largest CRD
    args = ("validate", "calico-gitops", "--embedded-only", "--output", "json", "--schema-location", "default")
    args += ("--schema-location", str(SHARED_CRDS), "--schema-location", "shipped")
    args += tuple(argument for path in documents for argument in ("--documents", str(path)))
    with monkeypatch.context() as patch:
        patch.setenv("FLOWLOGS_NO_CACHE", "1")
        expected = run_cli(*args)
    assert expected.code == 1 and "automatedd" in expected.out and "not all alike" in expected.out, expected
    made = run_cli(*args)
    kept = {path.name for path in cache.glob("crd-schemas-*")}
    assert made == expected and kept
    import flowlogs.validate.schemas as schemas

    with monkeypatch.context() as patch:  # found: no CRD is read or converted again
        patch.setattr(schemas, "crd_schemas_from_documents", None)
        assert run_cli(*args) == expected
    assert {path.name for path in cache.glob("crd-schemas-*")} == kept


_COMMANDS = (
    ("validate", "--embedded-only", "--output", "json"),
    *(("render", profile.stem) for profile in sorted(VALUES.glob("*.yaml")) if profile.stem != "fleet"),
)


def test_the_tests_keep_their_own_cache():
    from flowlogs.caches import cache_directory

    directory = cache_directory()
    assert directory is not None and directory.name == "v2"
    assert directory.parent.name.startswith("flowlogs-test-cache-")
    assert not directory.is_relative_to(Path.home() / ".cache")

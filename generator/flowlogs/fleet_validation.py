"""What `flowlogs validate --fleet` validates: every fleet cluster's release as Argo CD renders it,
each distinct one once (clusters that deploy the same values share a render)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .current import chart_on_disk
from .errors import Diagnostic, UserError
from .generate import plan
from .gitops.cluster_values import cluster_groups
from .validate import ProfileTarget
from .yamlio import dump_yaml


@dataclass(frozen=True)
class FleetReleases:
    chart: Path  # the chart, built from the profiles as they are now
    targets: tuple[ProfileTarget, ...]  # one values file per distinct release, named by its clusters
    diagnostics: tuple[Diagnostic, ...]  # of the profiles and the fleet file


@contextmanager
def fleet_releases(values_dir: Path, chart_dir: Path, gitops_dir: Path | None) -> Iterator[FleetReleases]:
    """The fleet's releases, on disk while the context lasts (then removed)."""
    built = plan(values_dir, chart_dir, gitops_dir)
    if not built.fleet.clusters:
        raise UserError(f"--fleet: the fleet file in {values_dir} lists no clusters")
    groups = cluster_groups(built.fleet, {p.name: p for p in built.profiles})
    with (
        chart_on_disk(built.chart_files, chart_dir) as chart,
        tempfile.TemporaryDirectory(prefix="flowlogs-fleet-") as scratch,
    ):
        targets = []
        for number, group in enumerate(groups):
            path = Path(scratch) / f"{number}.yaml"
            path.write_text(dump_yaml(group.values), encoding="utf-8")
            targets.append(ProfileTarget(group.label, path, group.label))
        yield FleetReleases(chart, tuple(targets), tuple(built.diagnostics))

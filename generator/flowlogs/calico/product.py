"""Calico Enterprise L7 logs as a flowlogs product."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..products import CompiledPart, Expected, GitopsFile, GitopsNote, ImportedSection, Override, Product
from .defaults import SUPPORTED_VERSIONS
from .starter import CalicoStarter

if TYPE_CHECKING:
    from ..errors import Diagnostics
    from ..profile import Node
    from ..values_model import ChartValue, Section
    from .compile import CalicoCompiled


def _calico(part: CompiledPart) -> CalicoCompiled:
    from .compile import CalicoCompiled

    assert isinstance(part, CalicoCompiled)
    return part


class CalicoProduct(Product):
    key = "calico"
    name = "Calico"
    title = "Calico Enterprise L7 logs"
    title_in_prose = "Calico Enterprise L7 logs"
    versions = SUPPORTED_VERSIONS
    keywords = ("calico",)
    starter = CalicoStarter()
    fleet_overrides = (
        Override(
            "nodes",
            "calico",
            "nodes",
            None,
            False,
            {
                "type": "integer",
                "minimum": 1,
                "title": "node count",
                "description": (
                    "Number of nodes, for the Calico L7 log storage preflight (the guide asks for an additional 1 GB "
                    "per node per day of retention). Not a chart value."
                ),
            },
            ("node-count", "nodeCount", "nodes-count"),
        ),
    )

    def section_schema(self, described: bool = True) -> dict[str, Any]:
        from .schema import calico_section_schema

        return calico_section_schema()

    def upstream_section_aliases(self) -> dict[str, str]:
        return {"applicationLayer": self.key}

    def compile(self, section: Node, diagnostics: Diagnostics) -> CompiledPart:
        from .compile import compile_calico

        return compile_calico(section, diagnostics)

    def chart_values(self) -> tuple[list[ChartValue], list[Section]]:
        from .chart_values import CALICO_SECTIONS, calico_values

        return calico_values(), CALICO_SECTIONS

    def label(self, part: CompiledPart) -> str:
        return f"Calico Enterprise {part.version}"

    def summary(self, part: CompiledPart) -> str:
        calico = _calico(part)
        return (
            f"Calico Enterprise {calico.version}: {len(calico.felix_fields)} Felix field(s), "
            f"{calico.selected} selection(s), patched by {calico.patch_mode}"
        )

    def explain(self, section: Node, part: CompiledPart) -> str:
        from .explain import explain_calico

        return explain_calico(section, _calico(part))

    def storage_note(self, part: CompiledPart, section: Node) -> str | None:
        calico = _calico(part)
        nodes = section.get("cluster").get("nodes").value
        days, per_day = calico.retention_days or 1, calico.gb_per_node_per_day
        if nodes is None:
            return (
                f"Calico Enterprise L7 logs need {per_day} GB of log storage per node per day of retention (add "
                "calico.cluster.nodes for a total)"
            )
        return (
            f"Calico Enterprise L7 logs need at least {int(nodes) * days * per_day} GB of extra log storage ({nodes} "
            f"nodes x {days} day(s) x {per_day} GB)"
        )

    def import_section(self, path: Path, version: str | None) -> ImportedSection | None:
        from .importer import import_calico

        return import_calico(path, version)

    def server_side_apply(self, part: CompiledPart) -> bool:
        # GitOps mode renders partial Felix/Service manifests, which only server-side apply merges.
        return _calico(part).patch_mode == "gitops"

    def gitops_notes(self, part: CompiledPart) -> list[GitopsNote]:
        if self.server_side_apply(part):
            return []
        return [
            GitopsNote(
                "under Argo CD the Felix/Service patch Job runs as a PostSync hook "
                "on every sync, and its pre-delete restore runs only with Argo CD 3.3.0+ (PreDelete)",
                "'patch-mode: gitops' has Argo CD apply the patches itself where no other Application manages the "
                "selected objects (docs/gitops.md); write 'patch-mode: job' to keep the Job",
                chosen=_calico(part).patch_mode_chosen,
            )
        ]

    def gitops_files(
        self, parts: list[tuple[str, CompiledPart]], argocd_namespace: str, directory: str
    ) -> list[GitopsFile]:
        from .health import HEALTH_FILE, health_file_text

        if not parts:
            return []
        return [
            GitopsFile(
                HEALTH_FILE,
                tuple(sorted(source for source, _ in parts)),
                "Argo CD health check of ApplicationLayer, so sync waves wait for the Tigera operator. Add it to "
                f"argocd-cm:\nkubectl patch configmap argocd-cm -n {argocd_namespace} --type merge --patch-file "
                f"{directory}/{HEALTH_FILE}",
                health_file_text(argocd_namespace),
            )
        ]

    def regeneration_notes(self, part: CompiledPart | None, committed_values: Path) -> list[tuple[str, str]]:
        """patch-mode gitops: objects this change stops selecting keep their selection (Prune=false)."""
        from .deselect import clear_commands, deselected

        calico = _calico(part) if part is not None else None
        return [
            (
                f"{kind} {namespace}/{name} is no longer selected; Argo CD does not prune it (Prune=false, "
                "IgnoreExtraneous), so it keeps its L7 selection until you remove it",
                "\n".join(clear_commands((kind, namespace, name), calico.version if calico else "")),
            )
            for kind, namespace, name in deselected(committed_values, calico.values if calico else None)
        ]

    def shared_resource_warning(self, part: CompiledPart, cluster: str, profile: str) -> tuple[str, str] | None:
        """Argo CD writes its tracking label/annotation onto the partial Service and workload manifests; where
        another Application already manages the object the sync fails (FailOnSharedResource) or the two fight."""
        if not self.server_side_apply(part):
            return None
        return (
            f"cluster '{cluster}' runs profile '{profile}' in patch-mode gitops: its partial Service/workload "
            "manifests are tracked by this Application, so a sync fails (FailOnSharedResource) or two Applications "
            "fight where another Application already manages those objects",
            "use 'patch-mode: job' for such clusters, or put the L7 annotation/label in the owning application "
            "(docs/gitops.md, Shared resources)",
        )

    def check_cluster(
        self, part: CompiledPart, profile: str, cluster: str, overrides: Node, diagnostics: Diagnostics
    ) -> list[str]:
        """Calico's sizing rule for one cluster; a full check when the profile states days and size."""
        if "nodes" not in overrides:
            return []
        calico, nodes = _calico(part), overrides.get("nodes")
        count = int(nodes.value)
        per_day = count * calico.gb_per_node_per_day
        days, size = calico.retention_days, calico.log_storage_gb
        if days is not None and size is not None:
            needed = per_day * days
            if size < needed:
                diagnostics.error(
                    nodes.location,
                    f"cluster '{cluster}': {count} nodes x {days} day(s) need at least {needed} GB of extra log "
                    f"storage for L7 logs; profile '{profile}' states {size:g} GB",
                    "raise the LogStorage size in the profile, or give this cluster a profile sized for it",
                )
            return []
        return [f"{cluster} ({count} nodes): {per_day} GB per day"]

    def fleet_note(self, lines: list[str]) -> tuple[str, str]:
        return (
            "Calico L7 logs need extra log storage for each node and day of retention: " + "; ".join(lines),
            "check the LogStorage size of these clusters (spec.nodes.resourceRequirements.requests.storage)",
        )

    def expected_state(self, part: CompiledPart, manifests: Sequence[Mapping[str, Any]]) -> list[Expected]:
        from .status import expected_state

        return expected_state(_calico(part), manifests)


PRODUCT = CalicoProduct()

"""Cilium's Hubble exporter (dynamic mode) as a flowlogs product."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..names import DNS_LABEL_SCHEMA
from ..products import Command, CompiledPart, Expected, ImportedSection, Override, Product, ProfileFile
from .defaults import SUPPORTED_VERSIONS, cilium_upgrade_command
from .starter import CiliumStarter

if TYPE_CHECKING:
    from ..errors import Diagnostics
    from ..profile import Node
    from ..values_model import ChartValue, Section
    from .compile import CiliumCompiled


def _cilium(part: CompiledPart) -> CiliumCompiled:
    from .compile import CiliumCompiled

    assert isinstance(part, CiliumCompiled)
    return part


class CiliumProduct(Product):
    key = "cilium"
    name = "Cilium"
    title = "Cilium Hubble exporter"
    title_in_prose = "the Cilium Hubble exporter"
    versions = SUPPORTED_VERSIONS
    keywords = ("cilium", "hubble")
    starter = CiliumStarter()
    # Two flow logs with one name or one file: the agent rejects the whole flowlogs.yaml.
    compose_identities = {("flow-logs",): ("name", "file")}
    fleet_overrides = (
        Override(
            "cilium-namespace",
            "cilium",
            "ciliumNamespace",
            "cilium.configMap.namespace",
            True,
            {
                **DNS_LABEL_SCHEMA,
                "title": "namespace",
                "description": (
                    "The namespace Cilium runs in on this cluster: the flow-log ConfigMap goes there "
                    "(cilium.configMap.namespace)."
                ),
            },
            ("ciliumNamespace", "namespace"),
        ),
    )

    def section_schema(self, described: bool = True) -> dict[str, Any]:
        from .schema import cilium_section_schema

        return cilium_section_schema(described)

    def upstream_section_aliases(self) -> dict[str, str]:
        return {"hubble": self.key}

    def compile(self, section: Node, diagnostics: Diagnostics) -> CompiledPart:
        from .compile import compile_cilium

        return compile_cilium(section, diagnostics)

    def chart_values(self) -> tuple[list[ChartValue], list[Section]]:
        from .chart_values import CILIUM_SECTIONS, cilium_values

        return cilium_values(), CILIUM_SECTIONS

    def summary(self, part: CompiledPart) -> str:
        cilium = _cilium(part)
        return f"Cilium {cilium.version}: {len(cilium.flow_log_names)} flow log(s)"

    def explain(self, section: Node, part: CompiledPart) -> str:
        from .explain import explain_cilium

        return explain_cilium(section, _cilium(part))

    def import_section(self, path: Path, version: str | None) -> ImportedSection | None:
        from .importer import import_cilium

        return import_cilium(path, version)

    def commands(self) -> list[Command]:
        return [
            Command(
                "preview",
                f"{__package__}.preview.command",
                "what each flow log would export from captured flows, decided as the Cilium agent does",
                "flowlogs preview cilium-exporter --flows flows.jsonl --show     # flows: hubble observe -o jsonpb\n"
                "flowlogs preview --config flowlogs.yaml --cilium 1.18 --flows flows.jsonl.gz -o json",
            )
        ]

    def profile_files(self, part: CompiledPart) -> list[ProfileFile]:
        from .tables import load_tables

        part = _cilium(part)
        # Cilium's chart (1.16-1.19, templates/cilium-agent/daemonset.yaml) mounts the ConfigMap from its own
        # namespace with `optional: true`: in any other namespace the agent silently exports nothing. Its
        # cilium-flowlog-configmap.yaml creates the ConfigMap itself when dynamic.enabled and createConfigMap
        # (default true), which would collide with flowlogs' chart: hence Cilium first, then flowlogs.
        namespace = part.namespace
        if part.chart_version:
            apply = (
                f"Apply first, to Cilium's release at the chart version its clusters run ({part.chart_version}, the "
                "profile's chart-version):"
            )
        else:
            apply = (
                "Apply first, to Cilium's release at the chart version it runs now, which `helm get metadata cilium\n"
                f"-n {namespace}` prints as VERSION (or name it in the profile's chart-version); never a range "
                "such as\n"
                f"~{part.version}.0, which would take the newest patch release and upgrade the CNI:"
            )
        upgrade = (
            f"Cilium must run in namespace {namespace}, the profile's config-map.namespace: the agent mounts the\n"
            "ConfigMap from its own namespace as optional, so in another namespace nothing is exported, silently.\n"
            f"{apply}\n  {cilium_upgrade_command(namespace, part.chart_version, '{path}')}\n"
            "--reset-then-reuse-values (Helm 3.14+) keeps the release's own values over the chart's defaults;\n"
            "--reuse-values would also keep the defaults of the chart the release was installed with."
        )
        # Where rotation is per flow log (1.18+), Cilium's chart still copies a release's legacy top-level
        # hubble.export.fileMaxSizeMb/fileMaxBackups/fileCompress into every content entry
        # (cilium-flowlog-configmap.yaml).
        legacy_rotation = (
            f"\nCilium {part.version}'s chart copies a top-level hubble.export.fileMaxSizeMb, fileMaxBackups or "
            "fileCompress\n"
            "of the release (kept from an older chart) into every flow log: unset them to keep the profile's rotation."
            if load_tables(part.version).per_flowlog_rotation
            else ""
        )
        return [
            ProfileFile(
                "cilium-values.yaml",
                "Values for Cilium's own chart: they hand the flow-log ConfigMap to flowlogs' chart.\n"
                + upgrade
                + "\nThen install flowlogs' chart. If Cilium's release had hubble.export.dynamic.enabled=true, its "
                "chart\ncreated the ConfigMap (createConfigMap defaults to true); this upgrade removes it, so "
                "flowlogs' chart can own it.\n"
                "To keep the flow logs in Cilium's own release instead, use cilium-release-values.yaml.",
                part.overlay,
            ),
            ProfileFile(
                "cilium-release-values.yaml",
                "Values for Cilium's own chart that carry this profile's flow logs in Cilium's release itself\n"
                "(hubble.export.dynamic.config.content): one release, no ConfigMap handed over, and flowlogs' chart\n"
                "not installed for Cilium. Cilium's chart creates the ConfigMap from them.\n"
                + upgrade
                + legacy_rotation,
                part.release_values,
            ),
        ]

    def check_cluster(
        self, part: CompiledPart, profile: str, cluster: str, overrides: Node, diagnostics: Diagnostics
    ) -> list[str]:
        if "cilium-namespace" in overrides and overrides.get(self.key).value is False:
            diagnostics.warning(
                overrides.get("cilium-namespace").key_location,
                f"cilium-namespace has no effect on cluster '{cluster}': its Cilium part is switched off",
            )
        return []

    def expected_state(self, part: CompiledPart, manifests: Sequence[Mapping[str, Any]]) -> list[Expected]:
        from .status import expected_state

        return expected_state(_cilium(part), manifests)


PRODUCT = CiliumProduct()

"""The chart's metadata (Chart.yaml and the Artifact Hub annotations): one table.

Artifact Hub reads `artifacthub.io/*` annotations from Chart.yaml
(https://artifacthub.io/docs/topics/annotations/helm/): `changes` (a YAML list of kind and
description), `images` (name and image), `license` (an SPDX identifier), `links` (name and url).
"""

from __future__ import annotations

from typing import Any

HOME = "https://github.com/example-org/flowlogs"
SOURCES = [HOME]
MAINTAINERS = [{"name": "flowlogs maintainers", "url": HOME}]
ICON = f"{HOME}/raw/main/docs/icon.svg"
# The project has no LICENSE file yet: the annotation is written once this names its SPDX identifier.
LICENSE_SPDX: str | None = None
LINKS = [
    {"name": "Profile language", "url": f"{HOME}/blob/main/docs/profiles.md"},
    {"name": "GitOps with Argo CD", "url": f"{HOME}/blob/main/docs/gitops.md"},
    {"name": "Packaging and installing charts", "url": f"{HOME}/blob/main/docs/packaging.md"},
]
# What this flowlogs release changed in the chart (Artifact Hub shows it per chart version).
CHANGES = [
    {
        "kind": "added",
        "description": "Each profile is packaged as a chart of its own (flowlogs package), with its values built in",
    },
    {"kind": "added", "description": "The chart can be used as a subchart (values may hold Helm's global key)"},
    {"kind": "changed", "description": "NOTES say what to do when no product is enabled"},
]


def images(defaults: Any) -> list[dict[str, str]]:
    """Every image the chart's default values name (a mapping with `repository` and `tag`), for
    artifacthub.io/images."""
    found: list[dict[str, str]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("repository"), str) and isinstance(node.get("tag"), str):
                name = path.rsplit(".", 1)[0].replace(".", "-") or "image"
                found.append({"name": name, "image": f"{node['repository']}:{node['tag']}"})
            for key, child in node.items():
                walk(child, f"{path}.{key}" if path else key)

    walk(defaults, "")
    return found

"""The Cilium versions flowlogs supports and the exporter's defaults, in a module that loads no
table: naming them, as `flowlogs --help` and `flowlogs init` do, costs no data file (tables.py
holds the facts per version and names these from here)."""

from __future__ import annotations

SUPPORTED_VERSIONS: tuple[str, ...] = ("1.16", "1.17", "1.18", "1.19")
# The newest stable minor (charts vendored in cilium/cilium-cli stop at 1.19.5; 1.20 is -pre only).
DEFAULT_VERSION = "1.19"
DEFAULT_FILE_PATH = "/var/run/cilium/hubble/events.log"
DEFAULT_CONFIGMAP_NAME = "cilium-flowlog-config"
# The filePath the exporter writes to its own standard output (see literal_stdout in the data).
STDOUT = "stdout"
# Where Cilium runs unless a profile or fleet cluster says otherwise (the chart's default namespace).
DEFAULT_NAMESPACE = "kube-system"


def cilium_chart_constraint(version: str) -> str:
    """`helm --version` for Cilium's chart of a minor version: any patch release of it (~1.19.0 = >=1.19.0 <1.20.0)."""
    return f"~{version}.0"

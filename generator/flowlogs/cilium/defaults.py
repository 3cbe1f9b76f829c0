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
# A profile's rotation words -> the exporter's keys; 1.16/1.17 share the first two agent-wide (hubble.export.*).
ROTATION_KEYS = {"max-size-mb": "fileMaxSizeMb", "max-backups": "fileMaxBackups", "compress": "fileCompress"}
SHARED_ROTATION_KEYS = {"max-size-mb": "fileMaxSizeMb", "max-backups": "fileMaxBackups"}


def cilium_upgrade_command(namespace: str, chart_version: str | None, values_file: str) -> str:
    """`helm upgrade` of Cilium's release with a values file, at the exact chart version it runs
    (`<VERSION>` when the profile does not name it): a range such as ~1.19.0 would take the newest
    patch release and upgrade the CNI. --reset-then-reuse-values (Helm 3.14+) applies the release's
    own values over the chart's defaults; --reuse-values would also keep the defaults of the chart
    the release was installed with (helm/helm pkg/action/upgrade.go, reuseValues)."""
    return (
        f"helm upgrade cilium cilium/cilium --namespace {namespace} --version {chart_version or '<VERSION>'} "
        f"--reset-then-reuse-values -f {values_file}"
    )

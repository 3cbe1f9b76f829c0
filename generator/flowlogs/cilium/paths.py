"""Where a Cilium flow log may be written: the agent writes its `filePath` as root.

The agent creates and writes (and rotates: renames) the file at `filePath` with its own rights,
root on every node, so `/etc/ld.so.preload` or `/var/run/cilium/hubble/../../../../etc/shadow`
would be an attack on every node. A flow log path must therefore be:

- the agent's stdout: `stdout` (the literal word) or `/dev/stdout`;
- or an absolute, normalised path (no `..`, `.`, `//`, trailing `/`, control characters) below
  AGENT_EXPORT_DIRECTORY, the directory Cilium's own defaults write to
  (`hubble.export.static.filePath: /var/run/cilium/hubble/events.log` in the chart's values.yaml,
  ../shared/upstream/cilium/values_hubble_export.yaml). The agent's `/var/run/cilium` is the
  `cilium-run` volume, a hostPath of `daemon.runPath` (default /var/run/cilium), mounted at
  /var/run/cilium (cilium/cilium install/kubernetes/cilium/templates/cilium-agent/daemonset.yaml,
  `- name: cilium-run / mountPath: /var/run/cilium`), so the files survive agent restarts and a
  node's log shipper can read them;
- anything else only with `allow-any-path: true` on the flow log (documented in
  docs/profiles.md), and even then never below /proc, /sys or /dev (kernel interfaces and
  devices, not files).
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from .defaults import STDOUT

if TYPE_CHECKING:
    from ..errors import Diagnostics
    from ..profile import Node

AGENT_EXPORT_DIRECTORY = "/var/run/cilium/hubble/"
STDOUT_TARGETS = (STDOUT, "/dev/stdout")
OPT_IN_KEY = "allow-any-path"
NEVER_BELOW = ("/proc/", "/sys/", "/dev/")


def path_problem(path: str, *, allow_any_path: bool) -> tuple[str, str] | None:
    """(message, hint) when the agent must not write flows to `path`; None when it may."""
    if path in STDOUT_TARGETS:
        return None
    if any(not character.isprintable() for character in path):
        return (
            f"file {path!r} contains control characters",
            "write a plain path such as /var/run/cilium/hubble/flows.log",
        )
    if not path.startswith("/"):
        return (
            f"file '{path}' is not an absolute path",
            f"write it below {AGENT_EXPORT_DIRECTORY}, e.g. {AGENT_EXPORT_DIRECTORY}flows.log",
        )
    normalised = posixpath.normpath(path)
    if normalised.startswith("//"):  # POSIX keeps a leading "//"
        normalised = "/" + normalised.lstrip("/")
    if ".." in path.split("/"):
        return f"file '{path}' contains '..'", f"write the path without '..': the agent would write to {normalised}"
    if normalised != path:
        return f"file '{path}' is not a normalised path", f"write {normalised}"
    if path.startswith(NEVER_BELOW) or path in ("/proc", "/sys", "/dev"):
        return (
            f"file '{path}' is in /{path.split('/')[1]}: kernel interfaces and devices, not a log file",
            f"write it below {AGENT_EXPORT_DIRECTORY}, or use 'stdout'",
        )
    if path.startswith(AGENT_EXPORT_DIRECTORY) and len(path) > len(AGENT_EXPORT_DIRECTORY):
        return None
    if allow_any_path:
        return None
    return (
        f"file '{path}' is outside {AGENT_EXPORT_DIRECTORY}: the Cilium agent writes it as root on every node",
        f"write it below {AGENT_EXPORT_DIRECTORY} (the agent's hostPath /var/run/cilium), use 'stdout', "
        f"or set '{OPT_IN_KEY}: true' on this flow log if the agent really must write there",
    )


def check_flow_log_path(flow_log: Node, path: str, diagnostics: Diagnostics) -> None:
    """Report where a flow log's `file` may not be written (at its `file:` value)."""
    allow_any_path = flow_log.get(OPT_IN_KEY).value is True
    problem = path_problem(path, allow_any_path=allow_any_path)
    where = flow_log.get("file") if "file" in flow_log else flow_log.get("name")
    if problem is not None:
        diagnostics.error(where.location, *problem)
    elif allow_any_path and not path.startswith(AGENT_EXPORT_DIRECTORY) and path not in STDOUT_TARGETS:
        diagnostics.warning(
            flow_log.get(OPT_IN_KEY).location,
            f"{OPT_IN_KEY}: the agent writes '{path}' as root on every node",
            "only /var/run/cilium is a hostPath of the agent by default; mount the directory (extraHostPathMounts) or "
            "the file is lost on restart",
        )

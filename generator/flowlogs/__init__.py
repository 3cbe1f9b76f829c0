"""flowlogs: declarative network flow logs for Kubernetes.

Profiles written in plain words (`values/*.yaml`) are compiled to the exact upstream fields
of Calico Enterprise L7 logs and Cilium's Hubble exporter, and written as a Helm chart.
The core is importable module by module (this package imports none of them, so that
`flowlogs --help` loads only what it names):

    >>> from pathlib import Path
    >>> from flowlogs.generate import generate
    >>> built, report = generate(Path("values"), Path("chart"))   # doctest: +SKIP

`flowlogs.compiler` (compile_paths, compile_profile, load_profile), `flowlogs.generate`
(generate, check, plan), `flowlogs.errors` (FlowlogsError, ProfileError, Diagnostic),
`flowlogs.profile_schema`; `flowlogs.commands` holds the command table.
"""

# The one place the version is written: pyproject.toml reads it (dynamic), `flowlogs --version`
# prints it and the chart's appVersion is it.
__version__ = "0.1.0"

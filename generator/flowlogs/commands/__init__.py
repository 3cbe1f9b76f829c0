"""The command table: every `flowlogs` subcommand's name, module and summary (as pip's
`commands/__init__.py` keeps its commands).

`flowlogs --help` is made from the table alone; a command's module, which adds its arguments
(`configure(parser)`) and runs it (`run(args)`), is imported only when that command is parsed.
Products add their commands to the table (`Product.commands()`).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..arguments import directory
from ..errors import Diagnostic, Severity, unique
from ..names import DEFAULT_KUBERNETES_VERSION
from ..products import Command, Product
from ..registry import PRODUCTS

if TYPE_CHECKING:
    from ..gitops.settings import SettingsOverrides

# Usage errors exit 2 from argparse itself. EXIT_INTERNAL (70, EX_SOFTWARE in sysexits.h) means a
# bug in flowlogs, never a problem with the input: the one top-level handler in `cli.main` prints it.
EXIT_OK, EXIT_FAILED, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 70, 130


def _core(name: str, summary: str, example: str, module: str = "") -> Command:
    return Command(name, f"{__name__}.{module or name}", summary, example)


# In the order `flowlogs --help` lists them; the products' commands follow `import`.
CORE_COMMANDS: tuple[Command, ...] = (
    _core(
        "generate",
        "compile every profile and write the chart and the Argo CD manifests",
        "flowlogs generate                 # values/ -> chart/ and gitops/\nflowlogs generate --quiet -o json  # "
        "machine-readable summary",
    ),
    _core(
        "check",
        "exit 1 with a diff when the committed chart or Argo CD manifests are stale",
        "flowlogs check                    # exit 1 with a diff when chart/ or gitops/ is stale\nflowlogs check -o "
        "json",
    ),
    _core(
        "diff",
        "per profile, how the rendered manifests would change after `flowlogs generate`",
        "flowlogs diff cilium-exporter --exit-code",
    ),
    _core(
        "render",
        "print the manifests of one profile, as `helm template` would",
        "flowlogs render cilium-exporter\nflowlogs render ./my-profile.yaml --helm .cache/bin/helm",
    ),
    _core(
        "validate",
        "render every profile with Helm and validate each manifest strictly",
        "flowlogs validate                 # every profile of values/\nflowlogs validate cilium-exporter -o junit\n"
        "flowlogs validate both --cluster --context prod   # and a server-side dry run on the cluster",
    ),
    _core(
        "status",
        "whether what a profile compiles to is in effect in a cluster, field by field (exit 1 on drift)",
        "flowlogs status both --context prod   # exit 1 when a field differs from what the profile compiles "
        "to\nflowlogs status both -o json",
    ),
    _core(
        "explain",
        "say in plain English what a profile exports, with the `hubble observe` command to try it live",
        "flowlogs explain cilium-exporter",
    ),
    _core(
        "import",
        "write a profile in plain words from an existing configuration (flowlogs.yaml, its ConfigMap, Cilium Helm "
        "values, FelixConfiguration/ApplicationLayer)",
        "flowlogs import cilium-flowlog-config.yaml --cilium 1.18 --output-file values/imported.yaml   # a ConfigMap, "
        "flowlogs.yaml or Helm values",
        module="import_",
    ),
    _core(
        "schema", "print the JSON Schema of profile files (for editors)", "flowlogs schema > docs/profile.schema.json"
    ),
    _core(
        "package",
        "package the chart and one chart per profile (values built in) as .tgz archives, with a Helm repository "
        "index.yaml",
        "flowlogs package                              # dist/: the chart, one chart per profile, index.yaml\n"
        "helm install flowlogs dist/flowlogs-cilium-exporter-*.tgz -n flowlogs-system --create-namespace",
    ),
    _core(
        "init",
        "write a commented starter profile into the profile directory, from flags or a few questions",
        "flowlogs init drops --cilium 1.18 --drops --stdout\nflowlogs init shop-l7 --calico 3.20 --workloads "
        "shop/frontend,shop/checkout\n"
        "flowlogs init                                 # on a terminal: a few questions",
    ),
    _core(
        "completion",
        "print a shell completion script (commands, options, profile names, versions, formats)",
        "source <(flowlogs completion bash)    # in ~/.bashrc (zsh: flowlogs completion zsh, in ~/.zshrc)\n"
        "flowlogs completion fish > ~/.config/fish/completions/flowlogs.fish",
    ),
)


def command_table() -> dict[str, Command]:
    """Every command by name, the products' after `import`."""
    table: dict[str, Command] = {}
    for command in CORE_COMMANDS:
        table[command.name] = command
        if command.name == "import":
            table.update((c.name, c) for product in PRODUCTS for c in product.commands())
    return table


def run_command(command: Command, args: argparse.Namespace) -> int:
    """Run the parsed command; a product's command gets the loader that compiles a profile."""
    module = importlib.import_module(command.module)
    if command in CORE_COMMANDS:
        return int(module.run(args))
    from ..compiler import CompiledProfile, compile_named

    def load(profile: str, values_dir: Path) -> CompiledProfile:  # a profile's warnings are said, as render says them
        warnings: list[Diagnostic] = []
        compiled = compile_named(profile, values_dir, warnings)
        print_warnings(warnings)
        return compiled

    return int(module.run(args, load))


class _Commands(argparse._SubParsersAction):  # type: ignore[type-arg]  # argparse's own subcommand action
    """The subcommands' action: the chosen command's module adds its arguments just before they are parsed."""

    table: dict[str, Command]
    configured: set[str]

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        name = values[0]
        if name in self.table:
            configure(self._name_parser_map[name], self.table[name], self.configured)
        super().__call__(parser, namespace, values, option_string)


def configure(sub: argparse.ArgumentParser, command: Command, configured: set[str]) -> None:
    if command.name not in configured:
        configured.add(command.name)
        importlib.import_module(command.module).configure(sub)


class _VersionAction(argparse.Action):
    """`--version`: one line, never wrapped (argparse's own version action fills it to the terminal's width)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the flowlogs version and exit"
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        print(f"flowlogs {__version__}", flush=True)  # a failure here is the CLI's to report, as any command's
        parser.exit()


def _add_directories(parser: argparse.ArgumentParser, defaults: bool) -> None:
    """The directory options; on each subcommand too (without defaults, so one given before the subcommand stays)."""
    for option, value, help_text in (
        ("--values-dir", Path("values"), "profile directory (default: values)"),
        ("--chart-dir", Path("chart"), "generated chart directory (default: chart)"),
        ("--gitops-dir", None, "generated Argo CD manifests (default: gitops, next to the chart directory)"),
    ):
        parser.add_argument(option, type=directory, default=value if defaults else argparse.SUPPRESS, help=help_text)


def build_parser(*, lazy: bool = False) -> argparse.ArgumentParser:
    """The argument parser. Lazy (as `flowlogs` runs), a command's arguments are added only when it is
    parsed; otherwise every command's are (for completion scripts and docs)."""
    parser = argparse.ArgumentParser(
        prog="flowlogs",
        description="Declarative network flow logs for Kubernetes: compile profiles in plain words to a Helm chart.",
    )
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument("--debug", action="store_true", help="on an internal error, print the Python traceback")
    _add_directories(parser, defaults=True)
    directories = argparse.ArgumentParser(add_help=False)
    _add_directories(directories, defaults=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", action=_Commands)
    assert isinstance(commands, _Commands)
    commands.table, commands.configured = command_table(), set()
    for command in commands.table.values():
        sub = commands.add_parser(
            command.name,
            help=command.summary,
            description=command.summary,
            parents=[directories],
            epilog="example:\n" + "\n".join(f"  {line}" for line in command.example.splitlines()),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if not lazy:
            configure(sub, command, commands.configured)
    return parser


# What several commands print or take alike.


def print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    for diagnostic in unique(diagnostics):
        print(diagnostic, file=sys.stderr)


def print_warnings(diagnostics: Sequence[Diagnostic]) -> None:
    print_diagnostics([d for d in diagnostics if d.severity is Severity.WARNING])


def print_json(document: object) -> None:
    print(json.dumps(document, indent=2))


def add_gitops_settings(parser: argparse.ArgumentParser) -> None:
    gitops = parser.add_argument_group(
        "Argo CD settings (override gitops: in values/fleet.yaml; commit them there instead)"
    )
    gitops.add_argument("--repo-url", metavar="URL", help="the Git repository Argo CD reads the chart from")
    gitops.add_argument("--revision", metavar="REVISION", help="the branch, tag or commit to deploy (default: HEAD)")
    gitops.add_argument("--argocd-namespace", metavar="NAMESPACE", help="the namespace of Argo CD (default: argocd)")
    gitops.add_argument("--project", metavar="NAME", help="the Argo CD project (default: default)")


def settings(args: argparse.Namespace) -> SettingsOverrides:
    from ..gitops.settings import SettingsOverrides

    return SettingsOverrides(
        repo_url=args.repo_url, revision=args.revision, argocd_namespace=args.argocd_namespace, project=args.project
    )


def add_kubernetes_version(parser: argparse.ArgumentParser, what: str = "Helm's Capabilities and the schemas") -> None:
    parser.add_argument(
        "--kubernetes-version",
        metavar="VERSION",
        default=DEFAULT_KUBERNETES_VERSION,
        help=f"Kubernetes version for {what} (default: {DEFAULT_KUBERNETES_VERSION})",
    )


def add_rendering(parser: argparse.ArgumentParser) -> None:
    """The options of a command that renders with Helm (render, validate, status)."""
    add_kubernetes_version(parser)
    parser.add_argument(
        "--helm", metavar="PATH", help="a helm binary to render with (validate: compared with the embedded engine)"
    )
    parser.add_argument(
        "--release-name", metavar="NAME", default="flowlogs", help="Helm release name (default: flowlogs)"
    )
    parser.add_argument(
        "--namespace",
        metavar="NAMESPACE",
        default="flowlogs-system",
        help="release namespace (default: flowlogs-system)",
    )


def rendering(args: argparse.Namespace) -> dict[str, Any]:
    """The options of `add_rendering`, as the renderers take them."""
    return {
        "helm": args.helm,
        "release_name": args.release_name,
        "namespace": args.namespace,
        "kube_version": args.kubernetes_version,
    }


def add_cluster(parser: argparse.ArgumentParser) -> None:
    """The options that choose a cluster, as kubectl takes them (validate --cluster, status)."""
    kube = parser.add_argument_group("cluster (as kubectl takes it; KUBECONFIG may list several files)")
    kube.add_argument(
        "--kubeconfig", metavar="FILE", help="the kubeconfig file (default: KUBECONFIG, else ~/.kube/config)"
    )
    kube.add_argument("--context", metavar="NAME", help="the kubeconfig context (default: its current context)")
    kube.add_argument(
        "--kubectl", metavar="PATH", help="the kubectl binary to ask the cluster with (default: kubectl on PATH)"
    )


def check_helm(args: argparse.Namespace) -> None:
    """Before any profile is read: a --helm binary that cannot run here is a usage error, and no
    engine at all (neither a helm binary nor the `render` extra) is the missing extra's message."""
    from ..helm import require_engine, usable_binary

    if args.helm:
        usable_binary(args.helm)
    require_engine(args.helm)


def add_product_versions(
    parser: argparse.ArgumentParser, help_text: str, products: Sequence[Product] | None = None
) -> None:
    """`--<product key> VERSION` (`--cilium 1.18`): how every command takes a product's version (default:
    of every product). `help_text` is formatted with the product's `name`, `title` and `versions`; the
    value is `args.version_<key>`."""
    for product in PRODUCTS if products is None else products:
        parser.add_argument(
            f"--{product.key}",
            dest=f"version_{product.key}",
            metavar="VERSION",
            choices=product.versions,
            help=help_text.format(name=product.name, title=product.title, versions=", ".join(product.versions)),
        )


def product_versions(args: argparse.Namespace) -> dict[str, str]:
    """The product key -> version given with `add_product_versions`' options."""
    return {product.key: version for product in PRODUCTS if (version := getattr(args, f"version_{product.key}", None))}

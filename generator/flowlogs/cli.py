"""The `flowlogs` command: parse arguments, call the core, print, exit. Nothing else."""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Diagnostic, FlowlogsError, ProfileError, UserError
from .extras import MissingExtra
from .names import DEFAULT_KUBERNETES_VERSION

if TYPE_CHECKING:
    from .gitops.settings import SettingsOverrides
    from .products import Command, Product
    from .validate import ProfileTarget

# Usage errors exit 2 from argparse itself. EXIT_INTERNAL (70, EX_SOFTWARE in sysexits.h) means a
# bug in flowlogs, never a problem with the input: the one top-level handler in `main` prints it.
EXIT_OK, EXIT_FAILED, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 70, 130


def _print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    # Each once: a composed profile meets the errors of the profiles it composes again.
    for diagnostic in sorted(dict.fromkeys(diagnostics), key=lambda d: d.location):
        print(diagnostic, file=sys.stderr)


def _settings(args: argparse.Namespace) -> SettingsOverrides:
    from .gitops.settings import SettingsOverrides

    return SettingsOverrides(
        repo_url=args.repo_url, revision=args.revision, argocd_namespace=args.argocd_namespace, project=args.project
    )


def _print_json(document: object) -> None:
    print(json.dumps(document, indent=2))


def cmd_generate(args: argparse.Namespace) -> int:
    from .generate import generate
    from .gitops.progress import ProgressBar
    from .names import tree_name
    from .outputs import diagnostics_to_show, generate_json

    quiet = args.quiet or args.output == "json"
    with (ProgressBar(None) if quiet else ProgressBar.for_stream(sys.stderr)) as progress:
        built, report = generate(
            args.values_dir, args.chart_dir, args.gitops_dir, settings=_settings(args), progress=progress
        )
    if args.output == "json":
        _print_json(generate_json(built, report))
        return EXIT_OK
    if args.quiet:
        return EXIT_OK
    _print_diagnostics(diagnostics_to_show(built, report, tree_name(args.chart_dir), args.verbose))
    for profile in built.profiles:
        parts = [product.summary(part) for product, part in profile.products()]
        print(f"  {profile.name:<24} {'; '.join(parts) or 'empty'}")
    clusters = len(built.fleet.clusters)
    if clusters:
        print(f"  {'fleet':<24} {clusters} cluster(s) -> {built.gitops_dir}/applicationset.yaml")
    print(
        f"generated {args.chart_dir}/ and {built.gitops_dir}/ from {len(built.profiles)} profile(s)"
        f"{f' and {clusters} cluster(s)' if clusters else ''}: "
        f"{len(report.written)} written, {len(report.removed)} removed, {len(report.unchanged)} unchanged"
    )
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .generate import check

    built, diff = check(args.values_dir, args.chart_dir, args.gitops_dir, settings=_settings(args))
    if args.output == "json":
        from .outputs import check_json

        _print_json(check_json(built, diff))
        return EXIT_FAILED if diff else EXIT_OK
    from .outputs import skipped_checks

    _print_diagnostics(skipped_checks(built.diagnostics))
    if diff:
        from .generate import interrupted

        sys.stdout.write(diff)
        if note := interrupted(args.chart_dir):
            print(f"flowlogs: {note}", file=sys.stderr)
        print(
            f"{args.chart_dir}/ or {built.gitops_dir}/ is stale: it differs from what `flowlogs generate` makes from "
            f"{args.values_dir}/ (diff above). Run `flowlogs generate` and commit the result.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    clusters = len(built.fleet.clusters)
    print(f"{args.chart_dir}/ is up to date with {len(built.profiles)} profile(s) in {args.values_dir}/")
    print(f"{built.gitops_dir}/ is up to date ({len(built.profiles)} Application(s), {clusters} cluster(s) in the fleet)")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from .diff import DIFF_ALTERNATIVE, DiffStatus, rendered_diff
    from .helm import require_engine

    require_engine(alternative=DIFF_ALTERNATIVE)

    warnings: list[str] = []
    results = rendered_diff(
        args.values_dir,
        args.chart_dir,
        args.profiles,
        gitops_dir=args.gitops_dir,
        release_name=args.release_name,
        namespace=args.namespace,
        kube_version=args.kubernetes_version,
        warnings=warnings,
    )
    changed = sum(result.changes_manifests for result in results)
    if args.output == "json":
        from .outputs import diff_json

        _print_json(diff_json(results, warnings))
        return EXIT_FAILED if args.exit_code and changed else EXIT_OK
    for warning in warnings:
        print(f"flowlogs: warning: {warning}", file=sys.stderr)
    for result in results:
        if result.status is DiffStatus.UNCHANGED:
            print(f"== {result.profile}: no change in the rendered manifests")
        elif result.status is DiffStatus.VERSION_ONLY:
            print(f"== {result.profile}: only the chart version labels change ({result.old_version} -> {result.new_version})")
        else:
            print(f"== {result.profile}: {result.status.value}")
            sys.stdout.write(result.diff)
    print(f"{changed} of {len(results)} profile(s) would render differently after `flowlogs generate`")
    return EXIT_FAILED if args.exit_code and changed else EXIT_OK


def _print_warnings(diagnostics: Sequence[Diagnostic]) -> None:
    from .errors import Severity

    _print_diagnostics([d for d in dict.fromkeys(diagnostics) if d.severity is Severity.WARNING])


def cmd_render(args: argparse.Namespace) -> int:
    from .current import current_chart
    from .helm import require_engine
    from .rendering import render_current

    if args.helm:
        from .helm import usable_binary

        usable_binary(args.helm)  # a binary that cannot run here is a usage error, before any profile is read
    require_engine(args.helm)
    # The profile as it is now, compiled in memory (as `generate` would), never a stale chart/.
    current = current_chart(args.values_dir, args.chart_dir, [args.profile])
    _print_warnings(current.diagnostics)
    (name,) = current.names
    sys.stdout.write(
        render_current(
            current.files,
            args.chart_dir,
            name,
            helm=args.helm,
            release_name=args.release_name,
            namespace=args.namespace,
            kube_version=args.kubernetes_version,
        )
    )
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from .extras import require

    require("render")  # validation renders with the embedded engine, whatever binary it compares with
    from .current import chart_on_disk, current_chart, values_file
    from .validate import ProfileTarget

    if args.helm:
        from .helm import usable_binary

        usable_binary(args.helm)  # a binary that cannot run here is a usage error, not a validation finding
    args.cluster_options = _cluster_options(args)
    if args.fleet:
        return _validate_fleet(args)
    if args.from_chart:
        from .rendering import profile_values_files

        targets = tuple(ProfileTarget(name, path) for name, path in profile_values_files(args.chart_dir, args.profiles))
        return _run_validate(args, args.chart_dir, targets)
    # The profiles as they are now, compiled in memory (as `generate` would), never a stale chart/.
    current = current_chart(args.values_dir, args.chart_dir, args.profiles)
    if args.output == "text":
        _print_warnings(current.diagnostics)
    with chart_on_disk(current.files, args.chart_dir) as chart:
        return _run_validate(args, chart, tuple(ProfileTarget(p.name, values_file(chart, p.name), p.source) for p in current.profiles))


def _validate_fleet(args: argparse.Namespace) -> int:
    """Every fleet cluster's release as Argo CD renders it; clusters that deploy the same values render once."""
    import tempfile

    from .current import chart_on_disk
    from .generate import plan
    from .gitops.cluster_values import cluster_groups
    from .validate import ProfileTarget
    from .yamlio import dump_yaml

    if args.profiles or args.from_chart:
        raise UserError("--fleet validates what the fleet file's clusters deploy: give no profiles and no --from-chart")
    built = plan(args.values_dir, args.chart_dir, args.gitops_dir)
    if not built.fleet.clusters:
        raise UserError(f"--fleet: the fleet file in {args.values_dir} lists no clusters")
    if args.output == "text":
        _print_warnings(built.diagnostics)
    groups = cluster_groups(built.fleet, {p.name: p for p in built.profiles})
    with chart_on_disk(built.chart_files, args.chart_dir) as chart, tempfile.TemporaryDirectory(prefix="flowlogs-fleet-") as scratch:
        targets = []
        for number, group in enumerate(groups):
            path = Path(scratch) / f"{number}.yaml"
            path.write_text(dump_yaml(group.values), encoding="utf-8")
            targets.append(ProfileTarget(group.label, path, group.label))
        return _run_validate(args, chart, tuple(targets))


def _run_validate(args: argparse.Namespace, chart: Path, targets: tuple[ProfileTarget, ...]) -> int:
    from .validate import ValidateOptions, run_validate

    options = ValidateOptions(
        chart_dir=chart,
        targets=targets,
        kubernetes_version=args.kubernetes_version,
        schema_locations=tuple(args.schema_location or ()),
        ignore_missing_schemas=args.ignore_missing_schemas,
        output=args.output,
        helm_binary=args.helm,
        kubeconform_binary=args.kubeconform,
        auto_binaries=not args.embedded_only,
        release_name=args.release_name,
        namespace=args.namespace,
        extra_documents=tuple(("documents", Path(p)) for p in args.documents or ()),
        verbose=args.verbose,
        cluster=args.cluster_options,
    )
    return run_validate(options, sys.stdout)


def _cluster_options(args: argparse.Namespace) -> Any:
    """validate --cluster: the kubectl to ask, checked before anything is rendered; None without --cluster."""
    if not args.cluster:
        if args.kubeconfig or args.context or args.kubectl:
            raise UserError("--kubeconfig, --context and --kubectl choose the cluster of --cluster: add --cluster")
        return None
    from .kubectl import Kubectl
    from .validate.cluster import ClusterOptions

    return ClusterOptions(Kubectl.usable(args.kubectl, args.kubeconfig, args.context), args.field_manager, args.force_conflicts)


def cmd_status(args: argparse.Namespace) -> int:
    from .kubectl import Kubectl
    from .status import profile_status, status_json, status_text

    if args.helm:
        from .helm import usable_binary

        usable_binary(args.helm)
    from .helm import require_engine

    require_engine(args.helm)
    kubectl = Kubectl.usable(args.kubectl, args.kubeconfig, args.context)
    report = profile_status(
        args.profile,
        args.values_dir,
        args.chart_dir,
        kubectl,
        release_name=args.release_name,
        namespace=args.namespace,
        helm=args.helm,
        kube_version=args.kubernetes_version,
    )
    if args.output == "json":
        _print_json(status_json(report))
    else:
        sys.stdout.write(status_text(report))
    return EXIT_OK if report.in_effect else EXIT_FAILED


def cmd_explain(args: argparse.Namespace) -> int:
    from .explain import explain

    sys.stdout.write(explain(args.profile, args.values_dir))
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from .importer import import_profile, write_profile

    versions = {}
    for item in args.version or ():
        key, sep, version = item.partition("=")
        if not sep or not key or not version:
            raise UserError(f"--version {item!r}: write PRODUCT=VERSION, e.g. cilium=1.18")
        versions[key] = version
    text = import_profile(Path(args.file), versions)
    if args.output:
        write_profile(text, Path(args.output), args.force)
        print(f"wrote {args.output}: run `flowlogs explain {args.output}` to read it back", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _run_product_command(command: Command, args: argparse.Namespace) -> int:
    from .compiler import compile_named

    return command.run(args, compile_named)


def cmd_schema(args: argparse.Namespace) -> int:
    if args.fleet:
        from .gitops.schema import fleet_schema

        print(json.dumps(fleet_schema(), indent=2))
        return EXIT_OK
    from .profile_schema import profile_schema

    print(json.dumps(profile_schema(), indent=2))
    return EXIT_OK


# One example per command, shown at the end of `flowlogs COMMAND --help`.
EXAMPLES = {
    "generate": "flowlogs generate                 # values/ -> chart/ and gitops/\nflowlogs generate --quiet -o json  # machine-readable summary",
    "check": "flowlogs check                    # exit 1 with a diff when chart/ or gitops/ is stale\nflowlogs check -o json",
    "diff": "flowlogs diff cilium-exporter --exit-code",
    "render": "flowlogs render cilium-exporter\nflowlogs render ./my-profile.yaml --helm .cache/bin/helm",
    "validate": "flowlogs validate                 # every profile of values/\nflowlogs validate cilium-exporter -o junit\nflowlogs validate both --cluster --context prod   # and a server-side dry run on the cluster",
    "status": "flowlogs status both --context prod   # exit 1 when a field differs from what the profile compiles to\nflowlogs status both -o json",
    "explain": "flowlogs explain cilium-exporter",
    "schema": "flowlogs schema > docs/profile.schema.json",
    "package": "flowlogs package                              # dist/: the chart, one chart per profile, index.yaml\nhelm install flowlogs dist/flowlogs-cilium-exporter-*.tgz -n flowlogs-system --create-namespace",
    "import": "flowlogs import cilium-flowlog-config.yaml --version cilium=1.18 -o values/imported.yaml   # a ConfigMap, flowlogs.yaml or Helm values",
    "init": "flowlogs init drops --cilium 1.18 --drops --stdout\nflowlogs init shop-l7 --calico 3.20 --services shop/frontend,shop/checkout\nflowlogs init                                 # on a terminal: a few questions",
    "completion": "source <(flowlogs completion bash)    # in ~/.bashrc (zsh: flowlogs completion zsh, in ~/.zshrc)",
}


def _add_directories(parser: argparse.ArgumentParser, defaults: bool) -> None:
    """The directory options; on each subcommand too (without defaults, so one given before the subcommand stays)."""

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument("--values-dir", type=_directory, default=default(Path("values")), help="profile directory (default: values)")
    parser.add_argument("--chart-dir", type=_directory, default=default(Path("chart")), help="generated chart directory (default: chart)")
    parser.add_argument("--gitops-dir", type=_directory, default=default(None), help="generated Argo CD manifests (default: gitops, next to the chart directory)")


class _VersionAction(argparse.Action):
    """`--version`: the package's version."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the flowlogs version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object, option_string: str | None = None) -> None:
        from . import __version__

        print(f"flowlogs {__version__}")
        parser.exit()


def cmd_package(args: argparse.Namespace) -> int:
    from .chart.package import package
    from .current import compile_current

    compiled = compile_current(args.values_dir, args.chart_dir, args.profiles)
    archives, index = package(compiled.unversioned.versioned(args.chart_dir), compiled.profiles, args.output_dir, args.url or "")
    for archive in archives:
        print(f"  {archive.path}  sha256:{archive.digest}")
    print(f"packaged {len(archives)} chart(s) into {args.output_dir}/ with {index.name}")
    print(f"push to an OCI registry: helm push {archives[-1].path} oci://<registry>/<repository>")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from .compiler import compile_paths
    from .errors import UserError
    from .registry import PRODUCTS
    from .starter import ask_profile, split_list, starter_profile, target_path

    with_starter = [product for product in PRODUCTS if product.starter is not None]
    chosen: list[tuple[Any, str, dict[str, Any]]] = []
    for product in with_starter:
        version = getattr(args, f"starter_{product.key}")
        if version is not None:
            assert product.starter is not None
            answers = {
                q.key: split_list(getattr(args, f"starter_{q.key}")) if q.kind == "list" else bool(getattr(args, f"starter_{q.key}"))
                for q in product.starter.questions
            }
            chosen.append((product, version, answers))
    name = args.name
    if not chosen:
        if not (args.interactive or sys.stdin.isatty()):
            keys = " and/or ".join(f"--{product.key} VERSION" for product in with_starter)
            raise UserError(f"give {keys} (see flowlogs init --help), or run on a terminal to be asked")

        def ask(prompt: str) -> str:
            print(prompt, end="", file=sys.stderr, flush=True)
            line = sys.stdin.readline()
            if not line:
                raise UserError("no answer (end of input): nothing was written")
            return line

        asked_name, chosen = ask_profile(with_starter, ask, lambda text: print(text, file=sys.stderr))
        name = name or asked_name
    name = "my-profile" if name is None else name  # `init ""` is refused as the name it is
    text = starter_profile(name, chosen)
    if args.print:
        sys.stdout.write(text)
        return EXIT_OK
    path = target_path(name, args.values_dir)
    # Checked before it is written: a starter that does not compile is a bug, never a file.
    import tempfile

    with tempfile.TemporaryDirectory(prefix="flowlogs-init-") as scratch:
        trial = Path(scratch) / path.name
        trial.write_text(text, encoding="utf-8")
        compile_paths([trial]).diagnostics.raise_if_errors()
    from .writing import write_file

    write_file(path, text, what="profile", exclusive=True, make_parents=True)
    print(f"wrote {path}: edit it, then `flowlogs render {name}`, `flowlogs validate {name}` and `flowlogs generate`")
    return EXIT_OK


def cmd_completion(args: argparse.Namespace) -> int:
    from .completion import completion_script

    sys.stdout.write(completion_script(args.shell, build_parser()))
    return EXIT_OK


# The top-level options that take a value: the command word is the first other token after them.
_VALUE_OPTIONS = ("--values-dir", "--chart-dir", "--gitops-dir")
# Commands whose arguments do not depend on the products: for these the parser is built without
# importing the registry (the products and their tables), which is most of a short command's start.
_CORE_COMMANDS = frozenset({"generate", "check", "diff", "render", "validate", "explain", "import", "schema", "package", "status"})


def command_word(argv: Sequence[str]) -> str | None:
    """The subcommand named in `argv`, read as the top-level parser reads it (None: none yet)."""
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            return next(tokens, None)
        if token.startswith("-"):
            name = token.split("=", 1)[0]
            if "=" not in token and len(name) > 2 and any(option.startswith(name) for option in _VALUE_OPTIONS):
                next(tokens, None)  # its value (argparse accepts unambiguous prefixes of long options)
            continue
        return token
    return None


def _products() -> list[Product]:
    from .registry import PRODUCTS

    return list(PRODUCTS)


def needs_products(argv: Sequence[str]) -> bool:
    """Whether parsing `argv` needs the products' commands and options: not for a core command,
    nor for `--version` alone (it prints before any command is parsed)."""
    word = command_word(argv)
    if word is None:
        return "--version" not in argv or bool({"-h", "--help"} & set(argv))
    return word not in _CORE_COMMANDS


def build_parser(*, with_products: bool = True) -> argparse.ArgumentParser:
    """The argument parser; without the products, the core commands' parser (no registry import)."""
    parser = argparse.ArgumentParser(
        prog="flowlogs",
        description="Declarative network flow logs for Kubernetes: compile profiles in plain words to a Helm chart.",
    )
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument("--debug", action="store_true", help="on an internal error, print the Python traceback")
    _add_directories(parser, defaults=True)
    directories = argparse.ArgumentParser(add_help=False)
    _add_directories(directories, defaults=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_text: str, example: str = "") -> argparse.ArgumentParser:
        example = example or EXAMPLES.get(name, "")
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            parents=[directories],
            epilog="example:\n" + "\n".join(f"  {line}" for line in example.splitlines()) if example else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(handler=handler)
        return sub

    generate = add("generate", cmd_generate, "compile every profile and write the chart and the Argo CD manifests")
    check = add("check", cmd_check, "exit 1 with a diff when the committed chart or Argo CD manifests are stale")
    for sub in (generate, check):
        gitops = sub.add_argument_group("Argo CD settings (override gitops: in values/fleet.yaml; commit them there instead)")
        gitops.add_argument("--repo-url", help="the Git repository Argo CD reads the chart from")
        gitops.add_argument("--revision", help="the branch, tag or commit to deploy (default: HEAD)")
        gitops.add_argument("--argocd-namespace", help="the namespace of Argo CD (default: argocd)")
        gitops.add_argument("--project", help="the Argo CD project (default: default)")
        sub.add_argument("-o", "--output", choices=("text", "json"), default="text", help="output format (default: text)")
    generate.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    generate.add_argument("-v", "--verbose", action="store_true", help="print the notes of every profile, not only of those that changed")

    diff = add("diff", cmd_diff, "per profile, how the rendered manifests would change after `flowlogs generate`")
    diff.add_argument("profiles", nargs="*", help="profiles to compare (default: all)")
    diff.add_argument("--exit-code", action="store_true", help="exit 1 when a profile's manifests would change (chart version labels aside)")
    diff.add_argument("--kubernetes-version", default=DEFAULT_KUBERNETES_VERSION, help=f"Kubernetes version for Helm's Capabilities (default: {DEFAULT_KUBERNETES_VERSION})")
    diff.add_argument("--release-name", default=None, help="Helm release name (default: gitops.release-name, flowlogs)")
    diff.add_argument("--namespace", default=None, help="release namespace (default: gitops.destination.namespace, flowlogs-system)")
    diff.add_argument("-o", "--output", choices=("text", "json"), default="text", help="output format (default: text)")

    render = add("render", cmd_render, "print the manifests of one profile, as `helm template` would")
    render.add_argument("profile", help="profile name (in the profile directory) or path; compiled now, in memory")

    validate = add("validate", cmd_validate, "render every profile with Helm and validate each manifest strictly")
    validate.add_argument("profiles", nargs="*", help="profile names or paths, compiled now, in memory (default: every profile of the profile directory)")
    validate.add_argument("--schema-location", action="append", metavar="LOCATION", help="'default', a directory, a kubeconform path template, or CRD YAML files/directories; repeatable, searched in order")
    validate.add_argument("--ignore-missing-schemas", action="store_true", help="skip resources whose kind has no schema instead of failing")
    validate.add_argument("-o", "--output", choices=("text", "json", "junit", "tap"), default="text", help="report format (default: text)")
    validate.add_argument("--kubeconform", metavar="PATH", help="also run this kubeconform binary and compare (default: kubeconform on PATH)")
    validate.add_argument("--documents", action="append", metavar="FILE", help="also validate the documents of this YAML file (e.g. gitops/*.yaml)")
    validate.add_argument("-v", "--verbose", action="store_true", help="text output: also list valid resources and passed checks")
    validate.add_argument("--from-chart", action="store_true", help="validate the chart directory as it is on disk (its compiled profiles/), not the profiles compiled now: for a chart generated elsewhere or edited by hand")
    validate.add_argument("--fleet", action="store_true", help="validate what every cluster of the fleet file deploys (its profile with its overrides, as Argo CD renders it); clusters that deploy the same values render once")
    validate.add_argument("--embedded-only", action="store_true", help="do not look for helm/kubeconform binaries on PATH")

    validate.add_argument("--cluster", action="store_true", help="after the offline checks, server-side apply every manifest as a dry run on the cluster of the kubeconfig (the API server's own messages)")
    validate.add_argument("--field-manager", default="flowlogs", help="--cluster: the field manager of the dry run (default: flowlogs; helm for Helm 4 releases, argocd-controller for Argo CD)")
    validate.add_argument("--force-conflicts", action="store_true", help="--cluster: take fields other managers own, as Argo CD does (default: a conflict is refused)")

    status = add("status", cmd_status, "whether what a profile compiles to is in effect in a cluster, field by field (exit 1 on drift)")
    status.add_argument("profile", nargs="?", help="the profile the cluster deploys, by name or path (default: the only profile of the profile directory)")
    status.add_argument("-o", "--output", choices=("text", "json"), default="text", help="output format (default: text)")

    for sub in (validate, status):
        kube = sub.add_argument_group("cluster (as kubectl takes it; KUBECONFIG may list several files)")
        kube.add_argument("--kubeconfig", metavar="FILE", help="the kubeconfig file (default: KUBECONFIG, else ~/.kube/config)")
        kube.add_argument("--context", metavar="NAME", help="the kubeconfig context (default: its current context)")
        kube.add_argument("--kubectl", metavar="PATH", help="the kubectl binary to ask the cluster with (default: kubectl on PATH)")

    for sub in (render, validate, status):
        sub.add_argument("--kubernetes-version", default=DEFAULT_KUBERNETES_VERSION, help=f"Kubernetes version for Helm's Capabilities and the schemas (default: {DEFAULT_KUBERNETES_VERSION})")
        sub.add_argument("--helm", metavar="PATH", help="a helm binary to render with (validate: compared with the embedded engine)")
        sub.add_argument("--release-name", default="flowlogs", help="Helm release name (default: flowlogs)")
        sub.add_argument("--namespace", default="flowlogs-system", help="release namespace (default: flowlogs-system)")

    explain = add("explain", cmd_explain, "say in plain English what a profile exports, with the `hubble observe` command to try it live")
    explain.add_argument("profile", help="profile name (in the profile directory) or path")

    import_ = add("import", cmd_import, "write a profile in plain words from an existing configuration (flowlogs.yaml, its ConfigMap, Cilium Helm values, FelixConfiguration/ApplicationLayer)")
    import_.add_argument("file", help="the configuration file (YAML; several documents allowed)")
    import_.add_argument("-o", "--output", metavar="PROFILE", help="write the profile here (default: print it)")
    import_.add_argument("--force", action="store_true", help="replace an existing --output file")
    import_.add_argument("--version", action="append", metavar="PRODUCT=VERSION", help="the version to import for, e.g. cilium=1.18 or calico=3.20 (default: the newest supported)")

    if with_products:
        for product in _products():
            for product_command in product.commands():
                product_command.configure(
                    add(product_command.name, functools.partial(_run_product_command, product_command), product_command.help, product_command.example)
                )

    schema = add("schema", cmd_schema, "print the JSON Schema of profile files (for editors)")
    schema.add_argument("--fleet", action="store_true", help="print the schema of the fleet file (values/fleet.yaml) instead")

    package = add("package", cmd_package, "package the chart and one chart per profile (values built in) as .tgz archives, with a Helm repository index.yaml")
    package.add_argument("profiles", nargs="*", help="profile names or paths to package (default: every profile of the profile directory)")
    package.add_argument("--output-dir", type=_directory, default=Path("dist"), help="where the archives and index.yaml go (default: dist)")
    package.add_argument("--url", help="the repository's base URL for index.yaml (default: archive names relative to index.yaml)")

    init = add("init", cmd_init, "write a commented starter profile into the profile directory, from flags or a few questions")
    init.add_argument("name", nargs="?", help="the profile's name: values/NAME.yaml (default: my-profile, or asked)")
    init.add_argument("--print", action="store_true", help="print the profile instead of writing it")
    init.add_argument("--interactive", action="store_true", help="ask the questions even when input is not a terminal")
    for product in _products() if with_products else ():
        if product.starter is None:
            continue
        init.add_argument(f"--{product.key}", dest=f"starter_{product.key}", metavar="VERSION", choices=product.versions, help=f"include {product.title} ({', '.join(product.versions)})")
        for question in product.starter.questions:
            if question.kind == "list":
                init.add_argument(f"--{question.key}", dest=f"starter_{question.key}", action="append", metavar="A,B", help=question.help)
            else:
                init.add_argument(f"--{question.key}", dest=f"starter_{question.key}", action="store_true", help=question.help)

    completion = add("completion", cmd_completion, "print a shell completion script (commands, options, profile names)")
    completion.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete in")
    return parser


def _directory(text: str) -> Path:
    """A directory option: a directory, or a name not yet taken (`--chart-dir /dev/null` is neither)."""
    path = Path(text)
    if os.path.lexists(path) and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is not a directory")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(with_products=needs_products(argv))
    args = parser.parse_args(argv)
    from .output_stream import OutputClosed, guard_stdout, silence_stdout

    original = sys.stdout
    guard_stdout()
    try:
        code = int(args.handler(args))
        sys.stdout.flush()
        return code
    except OutputClosed:
        silence_stdout()
        return EXIT_FAILED
    except ProfileError as error:
        _print_diagnostics(error.diagnostics)
        count = len(error.diagnostics)
        print(f"flowlogs: {count} error{'s' if count != 1 else ''} in profiles or the fleet file; nothing was written", file=sys.stderr)
        return EXIT_FAILED
    except MissingExtra as error:
        print(f"flowlogs {args.command}: {error}", file=sys.stderr)
        return EXIT_FAILED
    except FlowlogsError as error:
        print(f"flowlogs: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:  # the one place that turns a bug into a message, not a traceback
        return _internal_error(error, debug=args.debug)
    finally:
        sys.stdout = original


def _internal_error(error: Exception, *, debug: bool) -> int:
    """One line for a bug in flowlogs (never the user's fault), the traceback only with --debug."""
    if debug:
        import traceback

        traceback.print_exception(error, file=sys.stderr)
    summary = " ".join(str(error).split())[:200]
    print(
        f"flowlogs: internal error: {type(error).__name__}{f': {summary}' if summary else ''}"
        f" (exit {EXIT_INTERNAL}; run again with --debug for the traceback and report it with the input that caused it)",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["main", "build_parser"]

"""The `flowlogs` command: parse arguments, call the core, print, exit. Nothing else."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Diagnostic, FlowlogsError, ProfileError
from .names import DEFAULT_KUBERNETES_VERSION

if TYPE_CHECKING:
    from .gitops.settings import SettingsOverrides

# Usage errors exit 2 from argparse itself. EXIT_INTERNAL (70, EX_SOFTWARE in sysexits.h) means a
# bug in flowlogs, never a problem with the input: the one top-level handler in `main` prints it.
EXIT_OK, EXIT_FAILED, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 70, 130


def _print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    for diagnostic in sorted(diagnostics, key=lambda d: d.location):
        print(diagnostic, file=sys.stderr)


def _settings(args: argparse.Namespace) -> SettingsOverrides:
    from .gitops.settings import SettingsOverrides

    return SettingsOverrides(
        repo_url=args.repo_url, revision=args.revision, argocd_namespace=args.argocd_namespace, project=args.project
    )


def cmd_generate(args: argparse.Namespace) -> int:
    from .generate import generate
    from .gitops.progress import ProgressBar

    with ProgressBar.for_stream(sys.stderr) as progress:
        built, report = generate(
            args.values_dir, args.chart_dir, args.gitops_dir, settings=_settings(args), progress=progress
        )
    _print_diagnostics(built.diagnostics)
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
    if diff:
        sys.stdout.write(diff)
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
    from .diff import DiffStatus, rendered_diff

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
    changed = sum(result.changes_manifests for result in results)
    print(f"{changed} of {len(results)} profile(s) would render differently after `flowlogs generate`")
    return EXIT_FAILED if args.exit_code and changed else EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    from .helm import select_engine
    from .rendering import profile_values_files, render_profile

    engine = select_engine(args.helm)
    ((_, values_file),) = profile_values_files(args.chart_dir, [args.profile])
    sys.stdout.write(
        render_profile(engine, args.chart_dir, values_file, args.release_name, args.namespace, args.kubernetes_version)
    )
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from .rendering import profile_values_files
    from .validate import ProfileTarget, ValidateOptions, run_validate

    targets = tuple(ProfileTarget(name, path) for name, path in profile_values_files(args.chart_dir, args.profiles))
    options = ValidateOptions(
        chart_dir=args.chart_dir,
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
    )
    return run_validate(options, sys.stdout)


def cmd_explain(args: argparse.Namespace) -> int:
    from .explain import explain

    sys.stdout.write(explain(args.profile, args.values_dir))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    if args.fleet:
        from .gitops.schema import fleet_schema

        print(json.dumps(fleet_schema(), indent=2))
        return EXIT_OK
    from .profile_schema import profile_schema

    print(json.dumps(profile_schema(), indent=2))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowlogs",
        description="Declarative network flow logs for Kubernetes: compile profiles in plain words to a Helm chart.",
    )
    parser.add_argument("--values-dir", type=Path, default=Path("values"), help="profile directory (default: values)")
    parser.add_argument("--chart-dir", type=Path, default=Path("chart"), help="generated chart directory (default: chart)")
    parser.add_argument("--gitops-dir", type=Path, default=None, help="generated Argo CD manifests (default: gitops, next to the chart directory)")
    parser.add_argument("--debug", action="store_true", help="on an internal error, print the Python traceback")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
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

    diff = add("diff", cmd_diff, "per profile, how the rendered manifests would change after `flowlogs generate`")
    diff.add_argument("profiles", nargs="*", help="profiles to compare (default: all)")
    diff.add_argument("--exit-code", action="store_true", help="exit 1 when a profile's manifests would change (chart version labels aside)")
    diff.add_argument("--kubernetes-version", default=DEFAULT_KUBERNETES_VERSION, help=f"Kubernetes version for Helm's Capabilities (default: {DEFAULT_KUBERNETES_VERSION})")
    diff.add_argument("--release-name", default=None, help="Helm release name (default: gitops.release-name, flowlogs)")
    diff.add_argument("--namespace", default=None, help="release namespace (default: gitops.destination.namespace, flowlogs-system)")

    render = add("render", cmd_render, "print the manifests of one profile, as `helm template` would")
    render.add_argument("profile", help="profile name (file name without .yaml)")

    validate = add("validate", cmd_validate, "render every profile with Helm and validate each manifest strictly")
    validate.add_argument("profiles", nargs="*", help="profiles to validate (default: all)")
    validate.add_argument("--schema-location", action="append", metavar="LOCATION", help="'default', a directory, a kubeconform path template, or CRD YAML files/directories; repeatable, searched in order")
    validate.add_argument("--ignore-missing-schemas", action="store_true", help="skip resources whose kind has no schema instead of failing")
    validate.add_argument("-o", "--output", choices=("text", "json", "junit", "tap"), default="text", help="report format (default: text)")
    validate.add_argument("--kubeconform", metavar="PATH", help="also run this kubeconform binary and compare (default: kubeconform on PATH)")
    validate.add_argument("--documents", action="append", metavar="FILE", help="also validate the documents of this YAML file (e.g. gitops/*.yaml)")
    validate.add_argument("-v", "--verbose", action="store_true", help="text output: also list valid resources and passed checks")
    validate.add_argument("--embedded-only", action="store_true", help="do not look for helm/kubeconform binaries on PATH")

    for sub in (render, validate):
        sub.add_argument("--kubernetes-version", default=DEFAULT_KUBERNETES_VERSION, help=f"Kubernetes version for Helm's Capabilities and the schemas (default: {DEFAULT_KUBERNETES_VERSION})")
        sub.add_argument("--helm", metavar="PATH", help="a helm binary to render with (validate: compared with the embedded engine)")
        sub.add_argument("--release-name", default="flowlogs", help="Helm release name (default: flowlogs)")
        sub.add_argument("--namespace", default="flowlogs-system", help="release namespace (default: flowlogs-system)")

    explain = add("explain", cmd_explain, "say in plain English what a profile exports, with the `hubble observe` command to try it live")
    explain.add_argument("profile", help="profile name (in the profile directory) or path")

    schema = add("schema", cmd_schema, "print the JSON Schema of profile files (for editors)")
    schema.add_argument("--fleet", action="store_true", help="print the schema of the fleet file (values/fleet.yaml) instead")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except ProfileError as error:
        _print_diagnostics(error.diagnostics)
        count = len(error.diagnostics)
        print(f"flowlogs: {count} error{'s' if count != 1 else ''} in profiles or the fleet file; nothing was written", file=sys.stderr)
        return EXIT_FAILED
    except FlowlogsError as error:
        print(f"flowlogs: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:  # the one place that turns a bug into a message, not a traceback
        return _internal_error(error, debug=args.debug)


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

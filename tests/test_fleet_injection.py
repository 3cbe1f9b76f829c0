"""Fleet strings that reach Argo CD's templates are data (issue 13).

The ApplicationSet flowlogs writes sets `goTemplate: true`: Argo CD renders its `template`
with Go's text/template, so `{{ ... }}` in the repository URL, revision or chart path would
run there. Those are refused; revisions follow git's ref-name rules
(git/git Documentation/git-check-ref-format.txt) and may not start with '-' (git would read an
option). Strings that only travel as generator elements (cluster descriptions) stay literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from conftest import VALUES, CliResult, write_profile

CILIUM = (VALUES / "cilium-exporter.yaml").read_text(encoding="utf-8")
CLUSTERS = """clusters:
  - name: dev-1
    description: 'Team {{ .cluster }} cluster, {{ printf "INJ%s" "ECTED" }}'
    server: https://dev-1.k8s.example.com:6443
    profile: cilium-exporter
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path / "values", "cilium-exporter", CILIUM)
    return tmp_path


def generate_with(run_cli: Callable[..., CliResult], repo: Path, gitops: str, *flags: str) -> CliResult:
    (repo / "values" / "fleet.yaml").write_text("gitops:\n" + gitops + CLUSTERS)
    return run_cli("--values-dir", "values", "--chart-dir", "chart", "generate", *flags)


GOOD = "  repo-url: https://git.example.com/platform/flowlogs.git\n  revision: main\n"


@pytest.mark.parametrize(
    ("gitops", "error"),
    [
        (
            '  repo-url: https://git.example.com/x.git\n  revision: \'main{{ printf "INJ%s" "ECTED" }}\'\n',
            "values/fleet.yaml:3:13: error: revision 'main{{ printf \"INJ%s\" \"ECTED\" }}' contains '{{' or '}}': "
            "Argo CD renders the ApplicationSet template as a Go template and would run it\n"
            "  hint: write the revision itself; template expressions are not allowed in the fleet file",
        ),
        (
            GOOD + "  chart-path: 'chart/{{ .cluster }}'\n",
            "values/fleet.yaml:4:15: error: chart-path 'chart/{{ .cluster }}' contains '{{' or '}}': Argo CD renders "
            "the ApplicationSet template as a Go template and would run it\n"
            "  hint: write the chart-path itself; template expressions are not allowed in the fleet file",
        ),
        (
            "  repo-url: 'https://git.example.com/{{ .cluster }}.git'\n",
            "values/fleet.yaml:2:13: error: repository URL 'https://git.example.com/{{ .cluster }}.git' contains '{{' "
            "or '}}': Argo CD renders the ApplicationSet template as a Go template and would run it\n"
            "  hint: write the repository URL itself; template expressions are not allowed in the fleet file",
        ),
        (
            "  repo-url: https://git.example.com/x.git\n  revision: ' '\n",
            "values/fleet.yaml:3:13: error: the revision is empty\n  hint: a branch, tag or commit as git names it, "
            "e.g. main, v1.2.0 or HEAD",
        ),
        (
            '  repo-url: https://git.example.com/x.git\n  revision: "main\\n"\n',
            "values/fleet.yaml:3:13: error: revision 'main\\n' is not a valid Git ref name (it contains a space or "
            "control character)\n  hint: a branch, tag or commit as git names it, e.g. main, v1.2.0 or HEAD",
        ),
        (
            "  repo-url: https://git.example.com/x.git\n  revision: -x\n",
            "values/fleet.yaml:3:13: error: revision '-x' starts with '-'\n  hint: a branch, tag or commit as git "
            "names it, e.g. main, v1.2.0 or HEAD",
        ),
        (
            "  repo-url: https://git.example.com/x.git\n  revision: feature..x\n",
            "values/fleet.yaml:3:13: error: revision 'feature..x' is not a valid Git ref name (it contains ..)\n  "
            "hint: a branch, tag or commit as git names it, e.g. main, v1.2.0 or HEAD",
        ),
        (
            "  repo-url: '-oProxyCommand=touch@host:x'\n",
            "values/fleet.yaml:2:13: error: repository URL '-oProxyCommand=touch@host:x' starts with '-'\n"
            "  hint: a Git URL Argo CD can clone: https://github.com/org/repo.git, ssh://git@host/org/repo.git or "
            "git@host:org/repo.git",
        ),
    ],
    ids=[
        "revision-template",
        "chart-path-template",
        "repo-url-template",
        "revision-blank",
        "revision-newline",
        "revision-dash",
        "revision-dotdot",
        "repo-url-dash",
    ],
)
def test_fleet_string_that_argo_cd_would_evaluate_or_reject_is_refused(
    run_cli: Callable[..., CliResult], repo: Path, gitops: str, error: str
) -> None:
    result = generate_with(run_cli, repo, gitops)
    assert result.code == 1
    assert result.err == error + "\nflowlogs: 1 error in profiles or the fleet file; nothing was written\n"
    assert not (repo / "gitops").exists() and not (repo / "chart").exists()


def test_command_line_revision_with_template_code_is_refused(run_cli: Callable[..., CliResult], repo: Path) -> None:
    result = generate_with(run_cli, repo, GOOD, "--revision", "{{.cluster}}")
    assert result.code == 1
    assert result.err.startswith("--revision: error: target revision '{{.cluster}}' contains '{{' or '}}'")


def test_the_applicationset_template_holds_only_element_references(
    run_cli: Callable[..., CliResult], repo: Path
) -> None:
    """Every `{{ }}` of the written template is one of flowlogs' own `{{.key}}` element references."""
    assert generate_with(run_cli, repo, GOOD).code == 0
    text = (repo / "gitops" / "applicationset.yaml").read_text()
    template = yaml.safe_dump(yaml.safe_load(text)["spec"]["template"])
    assert re.findall(r"\{\{.*?\}\}", template)
    assert all(re.fullmatch(r"\{\{\.[a-z][a-zA-Z0-9]*\}\}", found) for found in re.findall(r"\{\{.*?\}\}", template))
    assert "INJ" not in text  # the description's template text is no part of what Argo CD renders


@pytest.mark.parametrize(
    "revision", ["main", "HEAD", "v1.2.0", "release/1.x", "0123456789abcdef0123456789abcdef01234567"]
)
def test_valid_revisions_pass(run_cli: Callable[..., CliResult], repo: Path, revision: str) -> None:
    assert (
        generate_with(run_cli, repo, f"  repo-url: https://git.example.com/x.git\n  revision: '{revision}'\n").code == 0
    )
    applicationset = yaml.safe_load((repo / "gitops" / "applicationset.yaml").read_text())
    assert applicationset["spec"]["template"]["spec"]["source"]["targetRevision"] == revision

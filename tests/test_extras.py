"""The extras (pyproject.toml [project.optional-dependencies]) are what the commands that need
them load, and nothing else does: in this environment, where every extra is installed, the core
commands import no module of an extra's packages (so a core install, tests/test_install.py, has
nothing to miss), while render and a CEL expression do.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT
from flowlogs import extras

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
EXTRAS = {name: [r.partition("==")[0] for r in requirements] for name, requirements in PYPROJECT["optional-dependencies"].items() if name != "test"}

# Runs flowlogs' main once per command line in one process (argv: a JSON list of them), then
# prints which distribution of an extra each loaded module's file belongs to.
LOADED = """
import importlib.metadata, json, os, sys
from flowlogs.cli import main
for argv in json.loads(sys.argv[1]):
    code = main(argv)
    assert code == 0, (argv, code)
extras = json.loads(sys.argv[2])
owner = {}
for name in (n for names in extras.values() for n in names):
    dist = importlib.metadata.distribution(name)
    owner.update({os.path.realpath(dist.locate_file(f)): name for f in dist.files or []})
loaded = {owner[os.path.realpath(m.__file__)] for m in list(sys.modules.values()) if getattr(m, "__file__", None) and os.path.realpath(m.__file__) in owner}
print(json.dumps(sorted(loaded)))
"""


def loaded_extras(tmp_path: Path, *commands: list[str]) -> list[str]:
    shutil.copytree(ROOT / "values", tmp_path / "values", dirs_exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "FLOWLOGS_NO_CACHE": "1"}  # no helm on PATH, nothing kept
    result = subprocess.run([sys.executable, "-c", LOADED, json.dumps(list(commands)), json.dumps(EXTRAS)], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout.splitlines()[-1]))


def test_the_extras_are_read_from_the_installed_metadata_as_pyproject_pins_them() -> None:
    assert EXTRAS == {"render": ["helm-python-sdk", "kubernetes-validate"], "cel": ["cel-expr-python", "protobuf"]}
    assert {name: list(extras.requirements(name)) for name in EXTRAS} == EXTRAS
    assert set(extras.ADDS) == set(EXTRAS)
    assert [extras.missing(name) for name in EXTRAS] == [(), ()]  # the dev environment has every extra
    assert extras.requirements("no-such-extra") == ()
    assert str(extras.MissingExtra("cel")) == "needs the 'cel' extra (the CEL checker): pip install 'flowlogs[cel]'"


@pytest.mark.slow  # every core command in one process: ~3 s
def test_the_core_commands_load_no_module_of_an_extra(tmp_path: Path) -> None:
    samples = ROOT / "tests/data/preview"
    core = [
        ["generate", "--quiet"],
        ["check"],
        ["explain", "cilium-exporter"],
        ["explain", "both"],
        ["import", str(samples / "seed-configmap.yaml"), "--version", "cilium=1.17"],
        ["preview", "cilium-exporter", "--flows", str(samples / "flows.jsonl")],
        ["init", "drops", "--cilium", "1.18", "--drops", "--print"],
        ["schema"],
        ["completion", "bash"],
        ["package"],
    ]
    assert loaded_extras(tmp_path, *core) == []
    # The same check sees them where they are used: Helm's engine renders, the CEL checker checks.
    assert loaded_extras(tmp_path / "render", ["render", "cilium-exporter"]) == ["helm-python-sdk"]
    (tmp_path / "cel" / "values").mkdir(parents=True)
    (tmp_path / "cel" / "values" / "cel.yaml").write_text('cilium:\n  version: "1.18"\n  flow-logs:\n    - name: cel\n      include:\n        - cel: _flow.verdict == Verdict.DROPPED\n', encoding="utf-8")
    assert loaded_extras(tmp_path / "cel", ["explain", "cel"]) == ["cel-expr-python", "protobuf"]

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
EXTRAS = {
    name: [r.partition("==")[0] for r in requirements]
    for name, requirements in PYPROJECT["optional-dependencies"].items()
    if name != "test"
}

# Runs flowlogs' main once per command line in one process (argv: a JSON list of them), then
# prints which distribution of an extra each loaded module's file belongs to.
LOADED = """
import importlib.machinery, importlib.metadata, json, os, sys
from flowlogs.cli import main
for argv in json.loads(sys.argv[1]):
    code = main(argv)
    assert code == 0, (argv, code)
extras = json.loads(sys.argv[2])
suffixes = tuple(importlib.machinery.all_suffixes())  # a module's file has one: not the data files (~17,000)
owner = {}
for name in (n for names in extras.values() for n in names):
    dist = importlib.metadata.distribution(name)
    files = [f for f in dist.files or [] if f.name.endswith(suffixes)]
    owner.update({os.path.realpath(dist.locate_file(f)): name for f in files})
files = [os.path.realpath(m.__file__) for m in list(sys.modules.values()) if getattr(m, "__file__", None)]
loaded = {owner[f] for f in files if f in owner}
print(json.dumps(sorted(loaded)))
"""


def loaded_extras(tmp_path: Path, *commands: list[str]) -> list[str]:
    shutil.copytree(ROOT / "values", tmp_path / "values", dirs_exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "FLOWLOGS_NO_CACHE": "1"}  # no helm on PATH, nothing kept
    result = subprocess.run(
        [sys.executable, "-c", LOADED, json.dumps(list(commands)), json.dumps(EXTRAS)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout.splitlines()[-1]))


def test_the_extras_table_is_pyprojects_and_each_module_is_its_distributions() -> None:
    import importlib.metadata

    assert EXTRAS == {"render": ["helm-python-sdk", "kubernetes-validate"], "cel": ["cel-expr-python", "protobuf"]}
    assert {name: list(modules) for name, modules in extras.MODULES.items()} == EXTRAS
    assert set(extras.ADDS) == set(EXTRAS)
    for modules in extras.MODULES.values():
        for distribution, module in modules.items():  # the module's files are the distribution's (pip's RECORD)
            path = module.replace(".", "/")  # a package's __init__.py, or an extension module's file
            files = [str(f) for f in importlib.metadata.files(distribution) or []]
            assert any(f == f"{path}/__init__.py" or f.startswith(f"{path}.") for f in files), (distribution, module)
    assert [extras.missing(name) for name in EXTRAS] == [(), ()]  # the dev environment has every extra
    assert str(extras.MissingExtra("cel")) == "needs the 'cel' extra (the CEL checker): pip install 'flowlogs[cel]'"


def test_a_missing_module_is_a_missing_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        extras.MODULES, "cel", {"cel-expr-python": "no_such_module_xyz", "protobuf": "no_such_parent_xyz.protobuf"}
    )
    extras.missing.cache_clear()
    try:
        assert extras.missing("cel") == ("cel-expr-python", "protobuf")
        with pytest.raises(
            extras.MissingExtra, match=r"^needs the 'cel' extra \(the CEL checker\): pip install 'flowlogs\[cel\]'$"
        ):
            extras.require("cel")
    finally:
        extras.missing.cache_clear()


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
    (tmp_path / "cel" / "values" / "cel.yaml").write_text(
        'cilium:\n  version: "1.18"\n  flow-logs:\n    - name: cel\n      include:\n        - cel: _flow.verdict == '
        "Verdict.DROPPED\n",
        encoding="utf-8",
    )
    assert loaded_extras(tmp_path / "cel", ["explain", "cel"]) == ["cel-expr-python", "protobuf"]

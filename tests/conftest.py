"""Shared test helpers: the repository's paths, ways to run the CLI, and set-ups that tests share
(once per run, or kept in .cache/ for what they are made from); xdist's order of the tests."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import gc
import hashlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from flowlogs.cli import main
from flowlogs.writing import write_file

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))

import answers  # noqa: E402
import python_matrix  # noqa: E402
import upstream_tools  # noqa: E402

# The tests never touch the developer's own flowlogs cache (caches.py): each test process has
# one of its own, removed when it ends; the processes the tests start inherit it.
os.environ["FLOWLOGS_CACHE_DIR"] = tempfile.mkdtemp(prefix="flowlogs-test-cache-")
atexit.register(shutil.rmtree, os.environ["FLOWLOGS_CACHE_DIR"], ignore_errors=True)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
VALUES = ROOT / "values"
CHART = ROOT / "chart"
# A small Cilium profile the tests add beside the shipped ones (drops in namespace shop, to stdout).
SHOP_DROPS_PROFILE = """\
cilium:
  version: "1.18"
  flow-logs:
    - name: shop-drops
      file: /dev/stdout
      include:
        - verdict: dropped
          namespace: shop
"""


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def cli_in(root: Path, *args: str) -> CliResult:
    """The CLI's main in this process with `root` as the working directory: its exit code, stdout
    and stderr, as a `flowlogs` process started there would give them (where the process itself,
    its environment, signals or terminal, is not under test)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        patch.chdir(root)
        code = main(list(args))
    return CliResult(code, out.getvalue(), err.getvalue())


def run_cli_in(root: Path, *args: str) -> int:
    """`cli_in`'s exit code, the output discarded: for set-ups and expected outputs, where no output is under test."""
    return cli_in(root, *args).code


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the shipped profiles in a fresh directory, with no chart yet."""
    shutil.copytree(VALUES, tmp_path / "values")
    return tmp_path


def load_yaml(text: str) -> Any:
    """`yaml.safe_load` with libyaml's parser (the same resolver and constructor, a tenth of the
    time), for what the tests themselves read: upstream CRDs, rendered manifests."""
    return yaml.load(text, Loader=yaml.CSafeLoader)


def load_yaml_all(text: str) -> list[Any]:
    """`yaml.safe_load_all`, as `load_yaml`."""
    return list(yaml.load_all(text, Loader=yaml.CSafeLoader))


@contextmanager
def built_once(directory: Path, key: str) -> Iterator[bool]:
    """`directory`, locked against other test processes while the block runs: yields whether an
    earlier block completed it for `key` (else it is emptied first); it counts as completed for
    `key` once the block ends without an error."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    stamp = directory.with_name(directory.name + ".built")
    with directory.with_name(directory.name + ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready = stamp.is_file() and stamp.read_text(encoding="utf-8") == key
        if not ready:
            stamp.unlink(missing_ok=True)
            shutil.rmtree(directory, ignore_errors=True)
        yield ready
        stamp.write_text(key, encoding="utf-8")


@contextmanager
def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[tuple[Path, bool]]:
    """A directory for something expensive that the whole test run shares: the xdist workers'
    temporary directories have a common parent. Yields it and whether it is already made (see
    `built_once`)."""
    run_directory = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run_directory = run_directory.parent
    with built_once(run_directory / name, "made in this run") as ready:
        yield run_directory / name, ready


def project_files() -> list[str]:
    """The project's files as a fresh clone would have them (tracked and new, not ignored), by relative name."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in filter(None, listed.split("\0")) if (ROOT / name).is_file()]


def tracked_tree(destination: Path) -> Path:
    """The project's files as a fresh clone would have them (tracked and new, not ignored), uncommitted edits
    included."""
    for name in project_files():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return destination


# This checkout's wheel, kept while the project's files are the same (their names and bytes).
WHEEL = ROOT / ".cache" / "test-wheel"


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's wheel (`pip wheel`), built again only when a file of the project changed
    (tests/test_install.py, tests/test_python_matrix.py, the install benchmark's test)."""
    digest = hashlib.sha256()
    for name in project_files():
        digest.update(name.encode() + b"\0" + hashlib.sha256((ROOT / name).read_bytes()).digest())
    with built_once(WHEEL, digest.hexdigest()) as ready:
        if not ready:
            source = tracked_tree(tmp_path_factory.mktemp("wheel-source"))
            # A byte-compiled module inside a chart folder, as pip leaves after an editable install or a run:
            # the wheel must not carry it into the chart.
            cache = source / "generator/flowlogs/calico/chart/files/__pycache__"
            cache.mkdir(parents=True)
            (cache / "calico-l7-patch.cpython-311.pyc").write_bytes(b"\xa7\x0d\r\n\0\0\0\0")
            python_matrix.build_wheel(WHEEL, source)
    (built,) = WHEEL.glob("flowlogs-*.whl")
    return built


# What a new server starts from: the certificates and etcd data of one that start.sh made and that
# got the CRDs (upstream_tools.live_crd_names), kept while its key is the same (upstream_tools.seed_key).
# A server started from a copy makes no RSA keys and stores no CRDs: ~2.5 s of CPU of ~8 per start.
KUBE_APISERVER_SEED = ROOT / ".cache" / "kube-apiserver-seed"


def _start_kube_apiserver(tmp_path_factory: pytest.TempPathFactory) -> tuple[upstream_tools.ApiServer, set[str]]:
    """A real kube-apiserver + etcd (v1.36.2) with the CRDs of ../shared/crds applied server-side, and the
    objects it has when it starts. Skipped only when ../shared/tools is absent."""
    reason = upstream_tools.skip_reason("kube-apiserver") or upstream_tools.kubectl_available()
    if reason:
        pytest.skip(reason)
    run_dir = tmp_path_factory.mktemp("apiserver")
    with built_once(KUBE_APISERVER_SEED, upstream_tools.seed_key()) as ready:
        if not (ready and all((KUBE_APISERVER_SEED / part).is_dir() for part in ("pki", "etcd"))):
            shutil.rmtree(KUBE_APISERVER_SEED, ignore_errors=True)
            seed = upstream_tools.ApiServer.start(KUBE_APISERVER_SEED)
            try:
                seed.apply_crds()
            finally:
                seed.stop()
        for part in ("pki", "etcd"):
            shutil.copytree(KUBE_APISERVER_SEED / part, run_dir / part)
    server = upstream_tools.ApiServer.start(run_dir)
    try:
        # the seed's etcd holds them (applied when the seed was made)
        server.wait_established(*upstream_tools.live_crd_names())
        return server, set(server.objects())
    except BaseException:
        server.stop()
        raise


class _SharedApiServer:
    """This process's API server: started when a module first asks for it, stopped at the end, or (xdist) as
    soon as the next test is not one of ONE_WORKER_MODULES, which run in a row: an idle server costs
    ~0.03 s of CPU a second while the worker runs the rest of its tests."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp_path_factory = tmp_path_factory
        self._running: tuple[upstream_tools.ApiServer, set[str]] | None = None

    def get(self) -> tuple[upstream_tools.ApiServer, set[str]]:
        if self._running is None:
            self._running = _start_kube_apiserver(self._tmp_path_factory)
        return self._running

    def stop(self) -> None:
        if self._running is not None:
            self._running[0].stop()
            self._running = None


@pytest.fixture(scope="session")
def _kube_apiserver_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_SharedApiServer]:
    shared = _SharedApiServer(tmp_path_factory)
    yield shared
    shared.stop()


# The test that runs after the one being torn down (pytest_runtest_teardown's nextitem).
_following: list[pytest.Item | None] = [None]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    _following[0] = nextitem
    return (yield)


@pytest.fixture(scope="module")
def kube_apiserver(_kube_apiserver_process: _SharedApiServer) -> Iterator[upstream_tools.ApiServer]:
    """One real API server for all the live modules (one process runs them: ONE_WORKER_MODULES). Each
    module finds it as it started: what a module made is deleted when it ends, so that cluster-wide
    objects (FelixConfiguration `default`, the chart's ClusterRoles) meet no other module's field managers."""
    server, at_start = _kube_apiserver_process.get()
    yield server
    server.delete_objects_but(at_start)
    following = _following[0]
    if os.environ.get("PYTEST_XDIST_WORKER") and (following is None or _group(following.nodeid) != "kube_apiserver"):
        _kube_apiserver_process.stop()


def write_profile(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# Modules (or single tests, by node id) that run on one worker, their tests in a row, by the API server they
# use: spread over the workers, every worker that got one of their tests would start one more (~5 s of CPU
# each). A module missing here only costs that: each process starts the servers its tests need.
ONE_WORKER_MODULES = {
    "tests/test_calico_live.py": "kube_apiserver",
    "tests/test_live_apply.py": "kube_apiserver",
    "tests/test_cluster_commands.py": "kube_apiserver",
    "tests/test_gitops_health.py": "kube_apiserver",
    "tests/test_readme_cluster.py": "kube_apiserver",
    "tests/test_server_rules.py": "kube_apiserver",
    "tests/test_gitops_cluster_labels.py::test_the_documented_example_is_accepted_by_the_api_server": "kube_apiserver",
}


def _group(nodeid: str) -> str:
    """The ONE_WORKER_MODULES group of a test (else its node id)."""
    return ONE_WORKER_MODULES.get(nodeid) or ONE_WORKER_MODULES.get(nodeid.split("::", 1)[0], nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's `loadscope` with every test a unit of its own but for ONE_WORKER_MODULES. A worker
    gets more units when it has two tests or fewer left, largest units first, then in collection
    order: the slow tests collected first (below) run beside the short ones on every worker.
    (xdist's `loadgroup` does not group on pytest 9, whose node ids xdist 3.8 can no longer
    suffix with the group.)"""
    if config.getoption("dist") != "load":  # another --dist asked for by name
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid)

    return Scheduling(config, log)


# How long each test took when it last ran (seconds: set-up, call and teardown), for the order of the next run;
# written by the process that ran the tests or that led the xdist workers, at the end of the run.
DURATIONS = ROOT / ".cache" / "test-durations.json"
_ran: dict[str, float] = {}


def _last_durations() -> dict[str, float]:
    try:
        known = json.loads(DURATIONS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in known.items()} if isinstance(known, dict) else {}


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, in the leading process: every worker orders its collection by the same numbers (a
    different order in one would end the run)."""
    node.workerinput["flowlogs_test_durations"] = _last_durations()


def pytest_collection_finish(session: pytest.Session) -> None:
    # A test process keeps much alive (modules, parametrized data, kept schemas and answers) and makes many
    # short-lived containers: with Python's default thresholds the cyclic collector took ~15% of the workers'
    # CPU (12 of ~80 s; benchmarks/README.md "make test"). What collection made is set aside (gc.freeze), and
    # the young generation is collected every 10,000 allocations instead of 700.
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long tests first, so that the short ones fill in beside them and the workers end together
    (xdist hands out tests in this order): the tests marked slow, longest first, then each module
    by its longest test in the last run (one never run counts as long), its tests in their order
    (a module's fixtures are then made once per stretch of its tests)."""
    workerinput = getattr(config, "workerinput", None)
    last = workerinput["flowlogs_test_durations"] if workerinput else _last_durations()
    longest: dict[str, float] = {}
    for item in items:
        module = item.nodeid.split("::")[0]
        longest[module] = max(longest.get(module, 0.0), last.get(item.nodeid, math.inf))

    def order(item: pytest.Item) -> tuple[bool, float]:
        slow = item.get_closest_marker("slow") is not None
        return (not slow, -(last.get(item.nodeid, math.inf) if slow else longest[item.nodeid.split("::")[0]]))

    items.sort(key=order)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # the process that writes DURATIONS
        _ran[report.nodeid] = _ran.get(report.nodeid, 0.0) + report.duration


def _keep_durations() -> None:
    if not _ran:
        return
    known = {k: v for k, v in _last_durations().items() if (ROOT / k.split("::")[0]).is_file()}
    known.update(_ran)
    write_file(DURATIONS, json.dumps(known, indent=0, sort_keys=True), what="test durations", make_parents=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker hands its answer counts to the leading process, which sums them, prunes the kept
    answers and writes the tests' durations."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["answers"] = dict(answers.COUNTS.__dict__)
        return
    _add_answer_counts(answers.COUNTS.__dict__)
    answers.prune()
    _keep_durations()


# Upstream programs' answers (tests/tools/answers.py): what each xdist worker asked, found kept and asked
# again, summed on the controller, which prunes the kept answers when the run ends.
_ANSWER_COUNTS = answers.Counts()


def _add_answer_counts(counts: dict[str, int]) -> None:
    for name, value in counts.items():
        setattr(_ANSWER_COUNTS, name, getattr(_ANSWER_COUNTS, name) + value)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    _add_answer_counts(getattr(node, "workeroutput", {}).get("answers", {}))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    counts = _ANSWER_COUNTS
    if counts.asked or counts.kept:
        terminalreporter.write_line(
            f"upstream answers ({answers.directory()}): {counts.asked} asked, {counts.kept} kept "
            f"({counts.rechecked} of them asked again: equal)"
        )

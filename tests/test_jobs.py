"""--jobs: a check in a forked process pool prints and writes exactly what one process does.

The pool is forced (PGCONF_FIX_JOBS_FORCE, for tests only) so that it runs on trees far
below the measured threshold; each forced run is also asked (PGCONF_FIX_JOBS_DEBUG) how
many processes it chose, so a test cannot pass by silently staying in one process.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pgconf_fix import jobs
from pgconf_fix.layers import python as python_layer
from tests import golden
from tests.cli_runner import run_cli, tree

REPO = golden.REPO
MODES = {
    "text": ["--show-fixes"],
    "json": ["--format", "json"],
    "sarif": ["--format", "sarif"],
    "diff": ["--diff"],
    "write": ["--write"],
}
DEBUG_LINE = "pgconf-fix jobs: "


def _environment(force: bool) -> dict[str, str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1", "PGCONF_FIX_NO_PROGRESS": "1",
                   jobs.DEBUG_VARIABLE: "1"}
    environment.pop(jobs.FORCE_VARIABLE, None)
    if force:
        environment[jobs.FORCE_VARIABLE] = "1"
    return environment


def _start(
    args: list[str], cwd: Path, force: bool = True, affinity: set[int] | None = None, stdin: int | None = None
) -> subprocess.Popen:
    def narrow() -> None:
        if affinity is not None:
            os.sched_setaffinity(0, affinity)

    return subprocess.Popen(
        [sys.executable, "-m", "pgconf_fix", "--no-cache", *args], cwd=cwd, env=_environment(force),
        stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=narrow if affinity is not None else None,
    )


def _finish(process: subprocess.Popen, root: Path | None = None) -> tuple[int, bytes, list[str], str]:
    """(exit status, stdout, the jobs debug lines, the rest of stderr), with the path of
    ``root`` (SARIF names the directory it ran in) replaced by ``<root>``."""
    out, err = process.communicate(timeout=600)
    if root is not None:
        out, err = (text.replace(os.fsencode(root), b"<root>") for text in (out, err))
    lines = err.decode("utf-8", "replace").splitlines(keepends=True)
    debug = [line for line in lines if line.startswith(DEBUG_LINE)]
    rest = "".join(line for line in lines if not line.startswith(DEBUG_LINE))
    return process.returncode, out, debug, rest


def _pooled(debug: list[str]) -> int:
    """How many of the decisions chose more than one process."""
    return sum(1 for line in debug if not line.rstrip().endswith(": 1 processes"))


def _corpus(tmp_path: Path, name: str) -> tuple[Path, str]:
    """A copy of one corpus, and the path to check from its parent."""
    root = tmp_path / name
    if name == "fixtures":  # every case's before/ tree, side by side
        for before in sorted((REPO / "tests" / "fixtures").glob("*/*/before")):
            case = before.parent
            shutil.copytree(before, root / "fixtures" / case.parent.name / case.name, symlinks=True)
        return root, "fixtures"
    if name == "examples":
        shutil.copytree(REPO / "examples", root / "examples", symlinks=True)
        return root, "examples"
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "generate.py"), "--write-tree", "400", "--fixable", "40",
         "--out", str(root / "generated")],
        check=True, capture_output=True,
    )
    return root, "generated"


@pytest.mark.parametrize("name", ["fixtures", "examples", "generated"])
def test_two_processes_print_and_write_what_one_does(tmp_path: Path, name: str) -> None:
    """Text (with the fixable counts, which run the patcher's re-checks), JSON, SARIF, --diff
    and --write: same exit status, same stdout and stderr bytes, same written tree, with
    --jobs 1 and with --jobs 2 in a forced pool (which really used two processes)."""
    source, path = _corpus(tmp_path, name)
    pooled = 0
    for mode, args in MODES.items():
        roots = {}
        for count in (1, 2):
            roots[count] = tmp_path / f"{mode}-{count}"
            shutil.copytree(source, roots[count], symlinks=True)
        one, two = (_start([*args, "--jobs", str(count), path], roots[count]) for count in (1, 2))
        first, second = (
            _finish(process, roots[count]) for process, count in ((one, 1), (two, 2))
        )
        assert first[0] in (0, 1), first[3]
        assert (first[0], first[1], first[3]) == (second[0], second[1], second[3]), mode
        assert "Traceback" not in second[3]
        assert _pooled(first[2]) == 0  # --jobs 1: never a pool, even forced
        pooled += _pooled(second[2])
        if mode == "write":
            assert tree(roots[1]) == tree(roots[2])
            assert tree(roots[1]) != tree(source)  # something was written
    assert pooled >= 5  # each mode forked workers (the check, the vetting, re-checks)


def test_the_default_follows_the_cpu_affinity(tmp_path: Path) -> None:
    """No --jobs: as many processes as the CPUs the process may run on (sched_getaffinity),
    so one CPU (taskset -c 0, here sched_setaffinity in the child) means no pool at all."""
    source, path = _corpus(tmp_path, "examples")
    code, _, debug, rest = _finish(_start(["--format", "json", path], source, affinity={min(os.sched_getaffinity(0))}))
    assert code == 1, rest
    assert debug and all(" jobs 1: 1 processes" in line for line in debug)
    cpus = os.sched_getaffinity(0)
    if len(cpus) < 2:
        pytest.skip("one CPU here: the default cannot be more than one process")
    code, _, debug, rest = _finish(_start(["--format", "json", path], source, affinity=set(cpus)))
    assert code == 1, rest
    assert all(f" jobs {len(cpus)}: " in line for line in debug)
    assert _pooled(debug) > 0


def test_below_the_threshold_the_default_is_one_process(tmp_path: Path) -> None:
    """Without --jobs (and without the test switch), work below the threshold is checked in
    one process, whatever the CPUs allow; --jobs 2 given asks for the pool all the same."""
    source, path = _corpus(tmp_path, "examples")
    code, out, debug, rest = _finish(_start(["--format", "json", path], source, force=False))
    assert code == 1, rest
    assert debug and _pooled(debug) == 0
    assert any(f" jobs {len(os.sched_getaffinity(0))}: 1 processes" in line for line in debug)
    code, given, debug, rest = _finish(_start(["--jobs", "2", "--format", "json", path], source, force=False))
    assert (code, given) == (1, out), rest
    assert _pooled(debug) > 0


def test_standard_input_is_one_process(tmp_path: Path) -> None:
    text = (REPO / "examples" / "db" / "postgresql.conf").read_bytes()
    process = _start(["--jobs", "2", "--stdin-filename", "postgresql.conf", "-"], tmp_path, stdin=subprocess.PIPE)
    out, err = process.communicate(text, timeout=120)
    assert process.returncode == 1, err
    lines = [line for line in err.decode().splitlines() if line.startswith(DEBUG_LINE)]
    assert lines and all(" jobs 1: 1 processes" in line for line in lines)
    assert b"tcp_keepalives_idle" in out or b"PGF101" in out


def test_jobs_must_be_positive(tmp_path: Path) -> None:
    outcome = run_cli(["--jobs", "0", "."], tmp_path)
    assert outcome.code == 2 and "--jobs" in outcome.stderr and "Traceback" not in outcome.stderr


@pytest.fixture
def forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(jobs.FORCE_VARIABLE, "1")
    monkeypatch.setenv("PGCONF_FIX_NO_PROGRESS", "1")


def _python_tree(root: Path, files: int = 6) -> Path:
    for index in range(files):
        (root / f"db{index}.py").write_text(
            "from sqlalchemy import create_engine\n"
            f"engine = create_engine('postgresql+psycopg2://app@db{index}.example.com/app')\n"
        )
    return root


def test_a_worker_that_dies_is_a_clear_error(tmp_path: Path, forced: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed mid-check (here SIGKILL, as the out-of-memory killer sends): exit 2
    and one error line, no traceback, no hang."""
    parent = os.getpid()
    build = python_layer.build_views

    def dying(*args: object, **kwargs: object) -> object:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return build(*args, **kwargs)

    monkeypatch.setattr(python_layer, "build_views", dying)
    outcome = run_cli(["--jobs", "2", "."], _python_tree(tmp_path))
    assert outcome.code == 2
    assert outcome.stderr.startswith("error: a worker process died while checking python files")
    assert "--jobs 1" in outcome.stderr and "Traceback" not in outcome.stderr


def test_a_worker_that_fails_is_a_clear_error(tmp_path: Path, forced: None, monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    build = python_layer.build_views

    def failing(*args: object, **kwargs: object) -> object:
        if os.getpid() != parent:
            raise RuntimeError("boom in a worker")
        return build(*args, **kwargs)

    monkeypatch.setattr(python_layer, "build_views", failing)
    outcome = run_cli(["--jobs", "2", "."], _python_tree(tmp_path))
    assert outcome.code == 2
    assert outcome.stderr == "error: a worker process failed while checking python files: RuntimeError: boom in a worker\n"


def test_jobs_1_never_forks(tmp_path: Path, forced: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a pool with --jobs 1")

    monkeypatch.setattr(jobs, "map_forked", refuse)
    outcome = run_cli(["--jobs", "1", "--diff", "."], _python_tree(tmp_path))
    assert outcome.code == 1 and "pool_pre_ping=True" in outcome.stdout


def test_the_cache_works_across_the_pool(tmp_path: Path, forced: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Groups built and stored by workers are served to the next run (in or out of a pool),
    with the same report as without the cache; the workers' hits and stores are counted.
    Each run adds a file, so that the check as a whole (cached by all its files) is not
    served and the groups are looked up one by one."""
    from pgconf_fix import cache as cache_module

    monkeypatch.setenv(cache_module.ENVIRONMENT_VARIABLE, str(tmp_path / "cache"))
    (tmp_path / "tree").mkdir()
    root = _python_tree(tmp_path / "tree", files=8)
    moved = tmp_path / "moved"
    moved.mkdir()
    for name in ("db6.py", "db7.py"):
        (root / name).rename(moved / name)

    def cached(jobs: str) -> tuple[cache_module.Statistics, object]:
        plain = run_cli(["--no-cache", "--jobs", "1", "."], root)
        outcome = run_cli(["--jobs", jobs, "."], root)
        assert (outcome.code, outcome.stdout) == (plain.code, plain.stdout)
        assert outcome.code == 1 and "PGF5" in outcome.stdout
        return cache_module.LAST.statistics

    assert cached("2").stores >= 6
    (moved / "db6.py").rename(root / "db6.py")
    second = cached("2")
    # The six groups of the first run served (by workers). Missed: the whole check, the new
    # file's group, and the verifiers' verdict and the fixable count (keyed by the findings).
    assert second.hits >= 6 and second.misses == 4, second
    (moved / "db7.py").rename(root / "db7.py")
    third = cached("1")
    assert third.hits >= 7 and third.misses == 4, third
    fourth = cached("1")
    assert fourth.hits >= 1 and fourth.misses == 0, fourth  # the check served whole


def test_chunks_cut_in_order() -> None:
    for weights, count in [([5] * 10, 3), ([1, 100, 1, 1, 1], 4), ([7], 4), ([0, 0, 0], 2), (list(range(50)), 8)]:
        cut = jobs.chunks(weights, count)
        assert [index for chunk in cut for index in chunk] == list(range(len(weights)))
        assert all(cut) and len(cut) <= count
    assert len(jobs.chunks([5] * 10, 3)) == 3


def _die_in_the_first_part(part: list[int]) -> list[int]:
    """A worker's work that kills its own process on part 0 (as the out-of-memory killer
    would), after leaving its pid where the test can see it."""
    if part == [0]:
        Path(jobs.context()).write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return part


class _PartsHandedOutLate(list):
    """Parts whose iteration, after the first part, waits until the worker that took it is
    dead and the pool has had time to see it: the next ``submit`` then meets a broken pool."""

    def __init__(self, parts: list[list[int]], pid_file: Path) -> None:
        super().__init__(parts)
        self.pid_file = pid_file

    def __iter__(self):  # type: ignore[override]
        import time

        items = list(super().__iter__())
        yield items[0]
        deadline = time.monotonic() + 60
        while not self.pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        pid = int(self.pid_file.read_text())
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(1.0)  # the pool's manager thread marks itself broken when it sees the death
        yield from items[1:]


def test_a_worker_dead_before_all_parts_are_submitted_is_a_clear_error(tmp_path: Path) -> None:
    """A worker that dies while parts are still being handed out breaks the pool under
    ``submit`` itself (seen once at load 12): JobsError with the same message, not a
    BrokenProcessPool traceback."""
    pid_file = tmp_path / "pid"
    parts = _PartsHandedOutLate([[0], [1], [2], [3]], pid_file)
    with pytest.raises(jobs.JobsError, match="^a worker process died while vetting fixes .*run with --jobs 1$"):
        jobs.map_forked(_die_in_the_first_part, parts, 2, str(pid_file), "vetting fixes")

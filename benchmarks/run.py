"""Time pgconf-fix against grep, checkov and the interpreter's own start-up.

    python benchmarks/run.py            # 1k, 10k and 50k files, 5 timed runs each (about 10 minutes)
    python benchmarks/run.py --quick    # 1k and 10k files, 3 timed runs, smaller Terraform trees
    python benchmarks/run.py --parts python-heavy,many-findings,write,cached,one-file   # issue 18's comparisons

Commands compared with each other run interleaved, round by round (pgconf-fix, grep,
pgconf-fix, grep, ...), so a change in the machine's load falls on both.

Every command runs as a subprocess, once untimed (to warm the page cache) and then
``--repeat`` rounds; the figures are medians of wall-clock time (time.perf_counter around
the subprocess) and of CPU time (user + system, from os.wait4, children included).
Peak memory is measured on one more run: the largest resident set of any process of
the command (os.wait4's ru_maxrss) and the largest sum over all its processes at once
(/proc sampled every 10 ms; checkov starts several).

checkov is installed on first use into benchmarks/.venv-checkov (git-ignored), with a
custom YAML policy equivalent to PGF301; --no-checkov skips that comparison.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import (  # noqa: E402
    GENERATOR_VERSION,
    TRIGGER_PATTERN,
    plan_many_findings,
    plan_python_realistic,
    plan_terraform,
    plan_tree,
    plan_write,
    write_tree,
)

CHECKOV_VENV = HERE / ".venv-checkov"
RUFF_VENV = HERE / ".venv-ruff"
CACHE_DIRECTORY: Path | None = None  # PGCONF_FIX_CACHE_DIR for the timed commands: under --trees
CHECKOV_POLICY = """\
metadata:
  id: "CKV2_PGF_301"
  name: "Application load balancers keep idle connections at least 300 seconds (pgconf-fix PGF301)"
  category: "NETWORKING"
definition:
  or:
    - cond_type: attribute
      resource_types: ["aws_lb", "aws_alb"]
      attribute: load_balancer_type
      operator: within
      value: ["network", "gateway"]
    - cond_type: attribute
      resource_types: ["aws_lb", "aws_alb"]
      attribute: idle_timeout
      operator: greater_than_or_equal
      value: 300
"""
PAGE = os.sysconf("SC_PAGE_SIZE")
MEMORY = True  # --no-memory: no extra run for peak memory
PACKAGE_ROOT: Path | None = None  # --package: time another copy of pgconf_fix (a "before" snapshot)


@dataclass
class Timing:
    label: str
    wall: float  # median seconds
    cpu: float  # median user + system seconds
    walls: list[float]
    peak_process_mb: float = 0.0
    peak_total_mb: float = 0.0


def _pgconf_fix() -> list[str]:
    # The console script, as pre-commit and CI call it; python -m as a fallback.
    script = Path(sys.executable).with_name("pgconf-fix")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pgconf_fix"]


def _once(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _group_rss(pgid: int) -> int:
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5, the process group, counted after "pid (comm)"
            total += int(fields[21]) * PAGE  # field 24, rss in pages
    return total


def _peak_memory(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(largest single process, largest sum over the command's processes) in MB."""
    # /usr/bin/time reports the largest process; os.wait4 here would not, since Linux keeps the
    # maximum resident size of this (larger) Python process across the fork and exec.
    peak = 0
    done = threading.Event()
    with tempfile.NamedTemporaryFile("r") as report:
        process = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", "-o", report.name, *command],
            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _group_rss(process.pid))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        process.wait()
        done.set()
        sampler.join()
        single = int(report.read().split()[-1]) / 1024
    return single, max(peak / 1048576, single)


def _environment() -> dict[str, str]:
    env = {**os.environ, "PGCONF_FIX_NO_PROGRESS": "1", "BC_SKIP_MAPPING": "TRUE", "LC_ALL": "C"}
    # An installed package runs from bytecode; a sandbox's "write no bytecode" would time the compiler.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if PACKAGE_ROOT is not None:
        env["PYTHONPATH"] = str(PACKAGE_ROOT)
    if CACHE_DIRECTORY is not None:  # the result cache goes here, not into the user's cache directory
        env["PGCONF_FIX_CACHE_DIR"] = str(CACHE_DIRECTORY)
    return env


@dataclass
class Command:
    """One command to time: ``before`` (untimed) runs ahead of every run of it, e.g. to restore
    a tree that ``--write`` changed."""

    label: str
    argv: list[str]
    cwd: Path
    before: Callable[[], None] | None = None
    output: bytes = b""  # standard output of the untimed run
    env: dict[str, str] | None = None  # variables set for this command only
    errors: bytes = b""  # standard error of the untimed run


def _edit_each_run(original: Path, edited: Path) -> Callable[[], None]:
    """A ``before`` step writing ``original``'s text to ``edited`` with a last comment line that
    differs every run (``#`` begins a comment in a postgresql.conf and in Python)."""
    count = itertools.count()

    def edit() -> None:
        edited.write_text(f"{original.read_text()}# edited {next(count)}\n")

    return edit


def _report(timing: Timing) -> None:
    print(f"  {timing.label:<52} {timing.wall:7.3f} s wall  {timing.cpu:7.3f} s cpu  "
          f"{timing.peak_total_mb:6.1f} MB peak  (runs: {', '.join(f'{w:.3f}' for w in timing.walls)})", flush=True)


def interleaved(commands: list[Command], repeat: int, memory: bool = True) -> list[Timing]:
    """Time ``commands`` round by round (A, B, C, A, B, C, ...), after one untimed round, so a
    change in the machine's load falls on all of them alike; medians of ``repeat`` rounds."""
    env = _environment()
    for command in commands:  # warm the page cache and the bytecode cache; keep what it printed
        if command.before is not None:
            command.before()
        done = subprocess.run(command.argv, cwd=command.cwd, env={**env, **(command.env or {})}, capture_output=True,
                              check=False)
        command.output, command.errors = done.stdout, done.stderr
    walls: list[list[float]] = [[] for _ in commands]
    cpus: list[list[float]] = [[] for _ in commands]
    for _ in range(repeat):
        for index, command in enumerate(commands):
            if command.before is not None:
                command.before()
            wall, cpu, _ = _once(command.argv, command.cwd, {**env, **(command.env or {})})
            walls[index].append(wall)
            cpus[index].append(cpu)
    timings = []
    for index, command in enumerate(commands):
        timing = Timing(command.label, statistics.median(walls[index]), statistics.median(cpus[index]), walls[index])
        if memory and MEMORY:
            if command.before is not None:
                command.before()
            timing.peak_process_mb, timing.peak_total_mb = _peak_memory(command.argv, command.cwd,
                                                                        {**env, **(command.env or {})})
        _report(timing)
        timings.append(timing)
    return timings


def measure(label: str, command: list[str], cwd: Path, repeat: int, memory: bool = True) -> Timing:
    """One command alone (see ``interleaved`` to compare commands)."""
    return interleaved([Command(label, command, cwd)], repeat, memory)[0]


def tree(root: Path, name: str, plan) -> Path:  # noqa: ANN001
    """Generate a tree once; a marker file names the generator version that wrote it."""
    directory = root / name
    marker = root / f"{name}.done"
    if not (marker.exists() and marker.read_text() == str(GENERATOR_VERSION) and directory.is_dir()):
        started = time.perf_counter()
        write_tree(plan(), directory)
        marker.write_text(str(GENERATOR_VERSION))
        print(f"  generated {name} in {time.perf_counter() - started:.1f} s", flush=True)
    _own_repository(directory)
    return directory


def _own_repository(directory: Path) -> None:
    """Make the tree a git repository of its own, as the trees people check are. Under this
    repository's ``benchmarks/.trees/`` (git-ignored), a tree that is not its own repository
    is ignored by pgconf-fix as by git, and every run would time a tree with nothing to read."""
    if not (directory / ".git").exists():
        try:
            subprocess.run(["git", "init", "-q", str(directory)], check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise SystemExit(f"cannot make {directory} a git repository ({exc}); pass --trees outside any git repository")
    from pgconf_fix.discovery import discover
    from pgconf_fix.layers import layer_modules

    if not discover([str(directory)], layer_modules(), directory).files:
        raise SystemExit(f"pgconf-fix reads no file of {directory}: is it git-ignored? pass --trees elsewhere")


def relevant_bytes(directory: Path) -> tuple[int, int, int]:
    """(files, files pgconf-fix claims, bytes of those) as its own discovery sees them."""
    from pgconf_fix.discovery import discover
    from pgconf_fix.layers import layer_modules

    found = discover([str(directory)], layer_modules(), directory)
    claimed = [path for entries in found.files.values() for path, _ in entries]
    total = sum(len(files) for _, _, files in os.walk(directory))
    return total, len(claimed), sum(os.path.getsize(path) for path in claimed)


def checkov() -> Path | None:
    executable = CHECKOV_VENV / "bin" / "checkov"
    if executable.exists():
        return executable
    print("  installing checkov into benchmarks/.venv-checkov ...", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_VENV)], check=True)
        subprocess.run([str(CHECKOV_VENV / "bin" / "pip"), "install", "-q", "checkov"], check=True)
    except subprocess.CalledProcessError as exc:
        print(f"  checkov could not be installed ({exc}); skipping that comparison", flush=True)
        return None
    return executable


def count_findings(command: list[str], cwd: Path, needle: str) -> int:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    return done.stdout.count(needle)


def checkov_failures(command: list[str], cwd: Path) -> int:
    import json

    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    report = json.loads(done.stdout)
    reports = report if isinstance(report, list) else [report]
    return sum(part["summary"]["failed"] for part in reports)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout.splitlines()
    total = memory[1].split()[1] if len(memory) > 1 else "?"
    return (
        f"{os.cpu_count()} cores ({cpu}), {total} memory, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, load average {os.getloadavg()[0]:.2f} at start"
    )


def ruff() -> list[str] | None:
    """ruff, the reference for Python trees: the one on PATH or beside this interpreter, else
    installed on first use into benchmarks/.venv-ruff (git-ignored)."""
    for candidate in (Path(sys.executable).with_name("ruff"), RUFF_VENV / "bin" / "ruff"):
        if candidate.exists():
            return [str(candidate)]
    found = shutil.which("ruff")
    if found:
        return [found]
    print("  installing ruff into benchmarks/.venv-ruff ...", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(RUFF_VENV)], check=True)
        subprocess.run([str(RUFF_VENV / "bin" / "pip"), "install", "-q", "ruff"], check=True)
    except subprocess.CalledProcessError as exc:
        print(f"  ruff could not be installed ({exc}); skipping that reference", flush=True)
        return None
    return [str(RUFF_VENV / "bin" / "ruff")]


def version_of(command: list[str]) -> str:
    done = subprocess.run([*command, "--version"], capture_output=True, text=True, check=False, env=_environment())
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else "?"


def has_cache(pgconf_fix: list[str]) -> bool:
    """Whether this pgconf-fix keeps a result cache (it has ``--no-cache``)."""
    done = subprocess.run([*pgconf_fix, "--help"], capture_output=True, text=True, check=False, env=_environment())
    return "--no-cache" in done.stdout


def drop_cache() -> None:
    if CACHE_DIRECTORY is not None:
        shutil.rmtree(CACHE_DIRECTORY, ignore_errors=True)


def restore(pristine: Path, work: Path) -> Callable[[], None]:
    """A ``before`` hook: make ``work`` a fresh copy of ``pristine`` (cp -a keeps modes and times)."""

    def run() -> None:
        if work.exists():
            shutil.rmtree(work)
        subprocess.run(["cp", "-a", str(pristine), str(work)], check=True)

    return run


def changed_files(left: Path, right: Path) -> int:
    done = subprocess.run(["diff", "-rq", str(left), str(right)],
                          capture_output=True, text=True, check=False)
    return len(done.stdout.splitlines())


def ratio(label: str, ours: Timing, theirs: Timing, target: str) -> None:
    print(f"  ratio {label}: {ours.wall / theirs.wall:.2f}x wall, {ours.cpu / max(theirs.cpu, 1e-9):.2f}x cpu "
          f"(target {target})\n", flush=True)


PARTS = ("scan", "terraform", "one-file", "python-heavy", "many-findings", "write", "cached", "jobs")


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def jobs_part(args: argparse.Namespace, pgconf_fix: list[str], cold: list[str], repeat: int) -> None:
    """--jobs 1, --jobs 2 with the pool forced whatever the work (PGCONF_FIX_JOBS_FORCE) and the
    default (no --jobs: the CPUs of the affinity, one process below the threshold), interleaved,
    on each tree of --jobs-trees and each format of --jobs-formats; the reports of the three
    are compared byte for byte, and the default run's decisions (PGCONF_FIX_JOBS_DEBUG) shown
    with the work they weighed."""
    plans = {"scan": plan_tree, "python-heavy": plan_python_realistic, "many-findings": plan_many_findings}
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"(jobs) --jobs 1 / --jobs 2 (pool forced) / default ({cpus} CPUs in this process's affinity); "
          f"{_uptime()}")
    debug = {"PGCONF_FIX_JOBS_DEBUG": "1"}
    for entry in args.jobs_trees.split(","):
        kind, _, size = entry.strip().partition(":")
        files = int(size)
        plan = plans[kind]
        directory = tree(args.trees, f"{'tree' if kind == 'scan' else kind}-{files}-seed{args.seed}",
                         lambda files=files, plan=plan: plan(files, args.seed))
        for fmt in args.jobs_formats.split(","):
            shown = ["--format", fmt] if fmt != "text" else []
            base = [*pgconf_fix, *cold, "--exit-zero", *shown]
            commands = [
                Command(f"--jobs 1 ({kind} {files}, {fmt})", [*base, "--jobs", "1", "."], directory, env=debug),
                Command(f"--jobs 2, pool forced ({kind} {files}, {fmt})", [*base, "--jobs", "2", "."], directory,
                        env={**debug, "PGCONF_FIX_JOBS_FORCE": "1"}),
                Command(f"default ({kind} {files}, {fmt})", [*base, "."], directory, env=debug),
            ]
            one, two, default = interleaved(commands, repeat, memory=False)
            same = "identical" if commands[0].output == commands[1].output == commands[2].output else "DIFFERENT"
            print(f"  reports: {same}; {_uptime()}")
            for command in commands[1:]:
                decisions = [line for line in command.errors.decode("utf-8", "replace").splitlines()
                             if line.startswith("pgconf-fix jobs: ")]
                pooled = [line for line in decisions if not line.endswith(": 1 processes")]
                works = [int(line.split(" units, ")[1].split(" bytes")[0]) for line in decisions]
                print(f"  {command.label.split(' (')[0]}: {len(decisions)} decisions, {len(pooled)} with a pool; "
                      f"work per decision up to {max(works, default=0)} bytes, {sum(works)} in all")
            ratio("--jobs 2 (forced) / --jobs 1", two, one, "below 1 where the pool pays")
            ratio("default / --jobs 1", default, one, "at most 1")
    print(f"  {_uptime()}\n", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1k and 10k files, 3 runs, 200 and 1000 .tf files")
    parser.add_argument("--repeat", type=int, help="timed rounds per comparison (default 5, or 3 with --quick)")
    parser.add_argument("--sizes", help="comma-separated tree sizes for the full scan (default 1000,10000,50000)")
    parser.add_argument("--terraform-files", help="sizes of the Terraform-only trees (default 400,2000; 200,1000 with --quick)")
    parser.add_argument("--python-heavy-files", type=int, default=20000,
                        help="size of the Python-heavy tree (default 20000: 8,000 .py, 800 importing SQLAlchemy)")
    parser.add_argument("--many-findings-files", type=int, default=20000,
                        help="size of the many-findings tree (default 20000: 8,000 .py, 4,000 defining an engine)")
    parser.add_argument("--heavy-repeat", type=int, help="timed rounds on those two trees (default: --repeat)")
    parser.add_argument("--write-files", type=int, default=10000, help="size of the --write tree (default 10000)")
    parser.add_argument("--fixable", type=int, default=500, help="files with a safe fix in the --write tree (default 500)")
    parser.add_argument("--cached-files", type=int, default=10000, help="size of the cached-rerun tree (default 10000)")
    parser.add_argument("--jobs-trees", default="scan:10000,python-heavy:20000,many-findings:1000",
                        help="the trees of the jobs part, KIND:FILES comma-separated "
                             "(default scan:10000,python-heavy:20000,many-findings:1000)")
    parser.add_argument("--jobs-formats", default="json,text", help="report formats of the jobs part (default json,text)")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"which comparisons, comma-separated (default all: {','.join(PARTS)})")
    parser.add_argument("--no-checkov", action="store_true", help="skip the checkov comparison")
    parser.add_argument("--no-memory", action="store_true", help="skip the extra run of each command that measures peak memory")
    parser.add_argument("--trees", type=Path, default=HERE / ".trees", help="where generated trees are kept")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--package", type=Path, help="directory holding another pgconf_fix to time (PYTHONPATH)")
    args = parser.parse_args(argv)
    global PACKAGE_ROOT, CACHE_DIRECTORY, MEMORY
    MEMORY = not args.no_memory
    PACKAGE_ROOT = args.package.resolve() if args.package else None
    CACHE_DIRECTORY = args.trees.resolve() / "cache"
    parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    repeat = args.repeat or (3 if args.quick else 5)
    heavy_repeat = args.heavy_repeat or repeat
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else ([1000, 10000] if args.quick else [1000, 10000, 50000])
    terraform_sizes = [int(n) for n in (args.terraform_files or ("200,1000" if args.quick else "400,2000")).split(",")]
    args.trees.mkdir(parents=True, exist_ok=True)
    pgconf_fix = _pgconf_fix()
    cache = has_cache(pgconf_fix)
    # Every run but the cached rerun's is a cold one: the cache would time the cache, not the check.
    cold = ["--no-cache"] if cache else []
    ruff_command = ruff() if {"python-heavy", "many-findings"} & set(parts) else None

    print(f"machine: {machine()}")
    print(f"pgconf-fix: {version_of(pgconf_fix)}{f' from {PACKAGE_ROOT}' if PACKAGE_ROOT else ''}"
          f"{'' if cache else ' (no result cache)'}; ruff: {version_of(ruff_command) if ruff_command else '-'}")
    print(f"method: commands compared are run interleaved (A, B, A, B, ...) after one untimed round; "
          f"medians of {repeat} rounds; wall = time.perf_counter, cpu = user+sys from os.wait4 (children included)\n",
          flush=True)

    scans = []
    if "scan" in parts:
        print("(1) full scan against grep -rlE over the same tree")
        for size in sizes:
            directory = tree(args.trees, f"tree-{size}-seed{args.seed}", lambda size=size: plan_tree(size, args.seed))
            files, claimed, claimed_bytes = relevant_bytes(directory)
            total_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(directory) for f in fs)
            print(f" {files} files, {total_bytes / 1048576:.1f} MB; pgconf-fix parses {claimed} of them, "
                  f"{claimed_bytes / 1048576:.2f} MB", flush=True)
            ours, grep = interleaved([
                Command(f"pgconf-fix . ({size} files)", [*pgconf_fix, *cold, "--exit-zero", "."], directory),
                Command(f"grep -rlE <triggers> . ({size} files)", ["grep", "-rlE", TRIGGER_PATTERN, "."], directory),
            ], repeat)
            scans.append((size, files, claimed, claimed_bytes, total_bytes, ours, grep))
            ratio("pgconf-fix / grep", ours, grep, "at most 3x")

    terraform = []  # (files, ours, theirs or None)
    if "terraform" in parts:
        print("(2) Terraform-only trees against checkov with an equivalent PGF301 policy")
        executable = None if args.no_checkov else checkov()
        for terraform_files in terraform_sizes:
            directory = tree(args.trees, f"terraform-{terraform_files}-seed{args.seed}",
                             lambda n=terraform_files: plan_terraform(n, args.seed))
            ours_command = Command(f"pgconf-fix --select PGF301 . ({terraform_files} .tf)",
                                   [*pgconf_fix, *cold, "--select", "PGF301", "."], directory)
            theirs = None
            if executable is None:
                ours_tf = interleaved([ours_command], repeat)[0]
            else:
                with tempfile.TemporaryDirectory() as policies:
                    Path(policies, "pgf301.yaml").write_text(CHECKOV_POLICY)
                    command = [
                        str(executable), "-d", ".", "--framework", "terraform", "--external-checks-dir", policies,
                        "--check", "CKV2_PGF_301", "--compact", "--quiet", "--skip-download", "-o", "json",
                    ]
                    ours_count = count_findings(ours_command.argv, directory, ": PGF301 ")
                    their_count = checkov_failures(command, directory)
                    print(f"  findings: pgconf-fix {ours_count} PGF301, checkov {their_count} failed CKV2_PGF_301")
                    ours_tf, theirs = interleaved([
                        ours_command, Command(f"checkov (same policy, {terraform_files} .tf)", command, directory),
                    ], max(3, repeat // 2))
                print(f"  checkov / pgconf-fix: {theirs.wall / ours_tf.wall:.1f}x faster (target at least 20x)\n", flush=True)
            terraform.append((terraform_files, ours_tf, theirs))

    singles = []
    if "one-file" in parts:
        print("(3) one small file, as pre-commit calls it, against python -c 'import click'")
        with tempfile.TemporaryDirectory() as scratch:
            conf_tree = tree(args.trees, f"tree-1000-seed{args.seed}", lambda: plan_tree(1000, args.seed))
            shutil.copy(next(conf_tree.rglob("postgresql.conf")), Path(scratch) / "postgresql.conf")
            Path(scratch, "db.py").write_text(
                '"""Database engine."""\n\nfrom sqlalchemy import create_engine\n\n'
                'engine = create_engine("postgresql+psycopg://app@db.internal.example.com:5432/app")\n'
            )
            commands = [
                Command("pgconf-fix postgresql.conf", [*pgconf_fix, *cold, "postgresql.conf"], Path(scratch)),
                Command("pgconf-fix db.py (one create_engine)", [*pgconf_fix, *cold, "db.py"], Path(scratch)),
                Command("python -c 'import click'", [sys.executable, "-c", "import click"], Path(scratch)),
                Command("python -c pass (the interpreter alone)", [sys.executable, "-c", "pass"], Path(scratch)),
            ]
            if cache:  # a pre-commit hook's second call on a file it has seen: the cache answers
                commands += [
                    Command("pgconf-fix postgresql.conf (warm cache)", [*pgconf_fix, "postgresql.conf"], Path(scratch)),
                    Command("pgconf-fix db.py (warm cache)", [*pgconf_fix, "db.py"], Path(scratch)),
                ]
                # pre-commit's usual call: the cache in use, the file edited since the last run
                # (a comment line that changes every run), so its findings are computed again.
                for name in ("postgresql.conf", "db.py"):
                    edited = Path(scratch, "edited", name)
                    edited.parent.mkdir(exist_ok=True)
                    commands.append(Command(f"pgconf-fix {name} (cache on, file edited)", [*pgconf_fix, name],
                                            edited.parent, before=_edit_each_run(Path(scratch, name), edited)))
            timings = interleaved(commands, max(repeat, 10))
        conf, db, click, bare = timings[:4]
        singles = [conf, db, click]
        print(f"  ratio postgresql.conf / import click: {conf.wall / click.wall:.2f}x wall (target at most 2x)")
        print(f"  ratio db.py / import click: {db.wall / click.wall:.2f}x wall (target at most 2.5x); "
              f"the interpreter's own start-up is {bare.wall:.3f} s of every command here")
        for warm in timings[4:]:
            print(f"  ratio {warm.label} / import click: {warm.wall / click.wall:.2f}x wall")
        print(flush=True)

    heavy = []
    for part, name, plan, target, files in (
        ("python-heavy", "python-heavy", plan_python_realistic, "at most 5x", args.python_heavy_files),
        ("many-findings", "many-findings", plan_many_findings, "at most 10x", args.many_findings_files),
    ):
        if part not in parts:
            continue
        print(f"({part}) {files} files, {files * 2 // 5} of them .py, against ruff check --select E9 --no-cache")
        directory = tree(args.trees, f"{name}-{files}-seed{args.seed}", lambda files=files, plan=plan: plan(files, args.seed))
        commands = [Command(f"pgconf-fix . ({name}, {files} files)", [*pgconf_fix, *cold, "--exit-zero", "."], directory)]
        if ruff_command is not None:
            commands.append(Command(f"ruff check --select E9 --no-cache . ({files} files)",
                                    [*ruff_command, "check", "--select", "E9", "--no-cache", "--exit-zero", "."], directory))
        commands.append(Command(f"grep -rlE <triggers> . ({files} files)", ["grep", "-rlE", TRIGGER_PATTERN, "."], directory))
        timings = interleaved(commands, heavy_repeat)
        print(f"  pgconf-fix reported {commands[0].output.count(b': PGF')} findings on this tree", flush=True)
        heavy.append((part, timings))
        if ruff_command is not None:
            ratio("pgconf-fix / ruff", timings[0], timings[1], target)
        ratio("pgconf-fix / grep", timings[0], timings[-1], "none; for scale")

    if "write" in parts:
        files, fixable = args.write_files, args.fixable
        print(f"(write) --write on a {files}-file tree with {fixable} files to fix, against a plain check of it")
        pristine = tree(args.trees, f"write-{files}-{fixable}-seed{args.seed}", lambda: plan_write(files, args.seed, fixable))
        work = args.trees / f"write-{files}-{fixable}-seed{args.seed}.work"
        written = args.trees / f"write-{files}-{fixable}-seed{args.seed}.written"
        restore(pristine, written)()
        subprocess.run([*pgconf_fix, *cold, "--write", "--exit-zero", "."], cwd=written, env=_environment(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        print(f"  --write changes {changed_files(pristine, written)} files", flush=True)
        check_plain, write, write_again = interleaved([
            Command(f"pgconf-fix . ({files} files, plain check)", [*pgconf_fix, *cold, "--exit-zero", "."], pristine),
            Command(f"pgconf-fix --write . (fixes {fixable} files)", [*pgconf_fix, *cold, "--write", "--exit-zero", "."], work,
                    before=restore(pristine, work)),
            Command("pgconf-fix --write . again (nothing left)", [*pgconf_fix, *cold, "--write", "--exit-zero", "."], written),
        ], repeat)
        print(f"  the second --write changed {changed_files(pristine, written)} files in all (the same as the first)")
        ratio("--write / plain check", write, check_plain, "at most 2x")
        ratio("second --write / plain check", write_again, check_plain, "none; for scale")
        shutil.rmtree(work, ignore_errors=True)

    if "cached" in parts:
        files = args.cached_files
        print(f"(cached) a second run over an unchanged {files}-file tree, with the result cache, against grep -rlE")
        directory = tree(args.trees, f"tree-{files}-seed{args.seed}", lambda: plan_tree(files, args.seed))
        if not cache:
            print("  this pgconf-fix has no result cache (no --no-cache flag); skipped\n")
        else:
            drop_cache()
            grep_command = ["grep", "-rlE", TRIGGER_PATTERN, "."]
            same = [subprocess.run([*pgconf_fix, *flags, "--exit-zero", "."], cwd=directory, env=_environment(),
                                   capture_output=True, check=False).stdout for flags in (cold, [], [])]
            print(f"  reports cold, first cached and warm: {'identical' if same[0] == same[1] == same[2] else 'DIFFERENT'}")
            warm, uncached, grep = interleaved([
                Command(f"pgconf-fix . (warm cache, {files} files)", [*pgconf_fix, "--exit-zero", "."], directory),
                Command(f"pgconf-fix --no-cache . ({files} files)", [*pgconf_fix, *cold, "--exit-zero", "."], directory),
                Command(f"grep -rlE <triggers> . ({files} files)", grep_command, directory),
            ], repeat)
            drop_cache()
            ratio("warm cache / grep", warm, grep, "at most 2x")
            ratio("warm cache / no cache", warm, uncached, "none; for scale")

    if "jobs" in parts:
        jobs_part(args, pgconf_fix, cold, heavy_repeat)

    if not MEMORY:
        terraform, singles, heavy = [], [], []  # their lines are peak memory only
    if scans or terraform or singles or heavy:
        print("(4) growth and memory" if MEMORY else "(4) growth (--no-memory: no peak memory)")
    if scans:
        print(f"  {'files':>7} {'parsed':>7} {'parsed MB':>10} {'all MB':>8} {'wall s':>8} {'cpu s':>8} "
              f"{'ms/1k files':>12} {'s/parsed MB':>12} {'peak MB (sum)':>14} {'peak MB (largest)':>18} {'grep MB':>8}")
    for size, files, claimed, claimed_bytes, total_bytes, ours, grep in scans:
        print(f"  {files:>7} {claimed:>7} {claimed_bytes / 1048576:>10.2f} {total_bytes / 1048576:>8.1f} {ours.wall:>8.3f} "
              f"{ours.cpu:>8.3f} {ours.wall / files * 1e6:>12.1f} {ours.wall / (claimed_bytes / 1048576):>12.2f} "
              f"{ours.peak_total_mb:>14.1f} {ours.peak_process_mb:>18.1f} {grep.peak_total_mb:>8.1f}")
    for terraform_files, ours_tf, theirs in terraform:
        if theirs is not None:
            print(f"  Terraform tree of {terraform_files}: pgconf-fix {ours_tf.peak_total_mb:.1f} MB, "
                  f"checkov {theirs.peak_total_mb:.1f} MB")
    for part, timings in heavy:
        print(f"  {part}: " + ", ".join(f"{t.label.split(' (')[0]} {t.peak_total_mb:.1f} MB" for t in timings))
    if singles:
        print(f"  one file: postgresql.conf {singles[0].peak_total_mb:.1f} MB, db.py {singles[1].peak_total_mb:.1f} MB, "
              f"python -c 'import click' {singles[2].peak_total_mb:.1f} MB")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time pgconf-fix against grep, checkov and the interpreter's own start-up.

    python benchmarks/run.py            # 1k, 10k and 50k files, 5 timed runs each (about 10 minutes)
    python benchmarks/run.py --quick    # 1k and 10k files, 3 timed runs, smaller Terraform trees

Every command runs as a subprocess, once untimed (to warm the page cache) and then
``--repeat`` times; the figures are medians of wall-clock time (time.perf_counter around
the subprocess) and of CPU time (user + system, from os.wait4, children included).
Peak memory is measured on one more run: the largest resident set of any process of
the command (os.wait4's ru_maxrss) and the largest sum over all its processes at once
(/proc sampled every 10 ms; checkov starts several).

checkov is installed on first use into benchmarks/.venv-checkov (git-ignored), with a
custom YAML policy equivalent to PGF301; --no-checkov skips that comparison.
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import GENERATOR_VERSION, TRIGGER_PATTERN, plan_terraform, plan_tree, write_tree  # noqa: E402

CHECKOV_VENV = HERE / ".venv-checkov"
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


def measure(label: str, command: list[str], cwd: Path, repeat: int, memory: bool = True) -> Timing:
    env = {**os.environ, "PGCONF_FIX_NO_PROGRESS": "1", "BC_SKIP_MAPPING": "TRUE", "LC_ALL": "C"}
    # An installed package runs from bytecode; a sandbox's "write no bytecode" would time the compiler.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if PACKAGE_ROOT is not None:
        env["PYTHONPATH"] = str(PACKAGE_ROOT)
    _once(command, cwd, env)  # warm the page cache and the bytecode cache
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu, _ = _once(command, cwd, env)
        walls.append(wall)
        cpus.append(cpu)
    timing = Timing(label, statistics.median(walls), statistics.median(cpus), walls)
    if memory:
        timing.peak_process_mb, timing.peak_total_mb = _peak_memory(command, cwd, env)
    print(f"  {label:<44} {timing.wall:7.3f} s wall  {timing.cpu:7.3f} s cpu  "
          f"{timing.peak_total_mb:6.1f} MB peak  (runs: {', '.join(f'{w:.3f}' for w in walls)})", flush=True)
    return timing


def tree(root: Path, name: str, plan) -> Path:  # noqa: ANN001
    """Generate a tree once; a marker file names the generator version that wrote it."""
    directory = root / name
    marker = root / f"{name}.done"
    if marker.exists() and marker.read_text() == str(GENERATOR_VERSION) and directory.is_dir():
        return directory
    started = time.perf_counter()
    write_tree(plan(), directory)
    marker.write_text(str(GENERATOR_VERSION))
    print(f"  generated {name} in {time.perf_counter() - started:.1f} s", flush=True)
    return directory


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1k and 10k files, 3 runs, 200 and 1000 .tf files")
    parser.add_argument("--repeat", type=int, help="timed runs per command (default 5, or 3 with --quick)")
    parser.add_argument("--sizes", help="comma-separated tree sizes (default 1000,10000,50000)")
    parser.add_argument("--terraform-files", help="sizes of the Terraform-only trees (default 400,2000; 200,1000 with --quick)")
    parser.add_argument("--no-checkov", action="store_true", help="skip the checkov comparison")
    parser.add_argument("--trees", type=Path, default=HERE / ".trees", help="where generated trees are kept")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--package", type=Path, help="directory holding another pgconf_fix to time (PYTHONPATH)")
    args = parser.parse_args(argv)
    global PACKAGE_ROOT
    PACKAGE_ROOT = args.package.resolve() if args.package else None
    repeat = args.repeat or (3 if args.quick else 5)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else ([1000, 10000] if args.quick else [1000, 10000, 50000])
    terraform_sizes = [int(n) for n in (args.terraform_files or ("200,1000" if args.quick else "400,2000")).split(",")]
    args.trees.mkdir(parents=True, exist_ok=True)
    pgconf_fix = _pgconf_fix()

    print(f"machine: {machine()}")
    if PACKAGE_ROOT is not None:
        print(f"pgconf_fix from: {PACKAGE_ROOT}")
    print(f"method: median of {repeat} timed runs after one untimed run; wall = time.perf_counter, "
          "cpu = user+sys from os.wait4 (children included)\n", flush=True)

    print("(1) full scan against grep -rlE over the same tree")
    scans = []
    for size in sizes:
        directory = tree(args.trees, f"tree-{size}-seed{args.seed}", lambda size=size: plan_tree(size, args.seed))
        files, claimed, claimed_bytes = relevant_bytes(directory)
        total_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(directory) for f in fs)
        print(f" {files} files, {total_bytes / 1048576:.1f} MB; pgconf-fix parses {claimed} of them, "
              f"{claimed_bytes / 1048576:.2f} MB", flush=True)
        ours = measure(f"pgconf-fix . ({size} files)", [*pgconf_fix, "--exit-zero", "."], directory, repeat)
        grep = measure(f"grep -rlE <triggers> . ({size} files)", ["grep", "-rlE", TRIGGER_PATTERN, "."], directory, repeat)
        scans.append((size, files, claimed, claimed_bytes, total_bytes, ours, grep))
        print(f"  ratio pgconf-fix / grep: {ours.wall / grep.wall:.2f}x wall (target at most 3x), "
              f"{ours.cpu / grep.cpu:.2f}x cpu\n", flush=True)

    print("(2) Terraform-only trees against checkov with an equivalent PGF301 policy")
    executable = None if args.no_checkov else checkov()
    terraform = []  # (files, ours, theirs or None)
    for terraform_files in terraform_sizes:
        directory = tree(args.trees, f"terraform-{terraform_files}-seed{args.seed}",
                         lambda n=terraform_files: plan_terraform(n, args.seed))
        ours_tf = measure(f"pgconf-fix --select PGF301 . ({terraform_files} .tf)", [*pgconf_fix, "--select", "PGF301", "."],
                          directory, repeat)
        theirs = None
        if executable is not None:
            with tempfile.TemporaryDirectory() as policies:
                Path(policies, "pgf301.yaml").write_text(CHECKOV_POLICY)
                command = [
                    str(executable), "-d", ".", "--framework", "terraform", "--external-checks-dir", policies,
                    "--check", "CKV2_PGF_301", "--compact", "--quiet", "--skip-download", "-o", "json",
                ]
                ours_count = count_findings([*pgconf_fix, "--select", "PGF301", "."], directory, ": PGF301 ")
                their_count = checkov_failures(command, directory)
                print(f"  findings: pgconf-fix {ours_count} PGF301, checkov {their_count} failed CKV2_PGF_301")
                theirs = measure(f"checkov (same policy, {terraform_files} .tf)", command, directory, max(3, repeat // 2))
            print(f"  checkov / pgconf-fix: {theirs.wall / ours_tf.wall:.1f}x faster (target at least 30x)\n", flush=True)
        terraform.append((terraform_files, ours_tf, theirs))

    print("(3) one small file, as pre-commit calls it, against python -c 'import click'")
    with tempfile.TemporaryDirectory() as scratch:
        sample = next((args.trees / f"tree-{sizes[0]}-seed{args.seed}").rglob("postgresql.conf"))
        shutil.copy(sample, Path(scratch) / "postgresql.conf")
        single = measure("pgconf-fix postgresql.conf", [*pgconf_fix, "postgresql.conf"], Path(scratch), max(repeat, 10))
        click = measure("python -c 'import click'", [sys.executable, "-c", "import click"], Path(scratch), max(repeat, 10))
        bare = measure("python -c pass (the interpreter alone)", [sys.executable, "-c", "pass"], Path(scratch), max(repeat, 10))
    print(f"  ratio: {single.wall / click.wall:.2f}x wall (target at most 2.5x); "
          f"the interpreter's own start-up is {bare.wall:.3f} s of every command here\n", flush=True)

    print("(4) growth and memory")
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
    print(f"  one file: pgconf-fix {single.peak_total_mb:.1f} MB, python -c 'import click' {click.peak_total_mb:.1f} MB")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

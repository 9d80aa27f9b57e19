"""Interleaved A/B timing of two checkouts of pgconf-fix on one target (wall and CPU medians).

    python benchmarks/ab.py CHECKOUT_A CHECKOUT_B TARGET ROUNDS [pgconf-fix arguments...]

Each checkout is a directory holding ``pgconf_fix/`` (a git worktree of another commit, for
example); the command ``python -m pgconf_fix ARGS TARGET`` runs with that directory first on
``PYTHONPATH`` (``-P``: not behind the current directory), in the current directory. One untimed run of each, then ROUNDS rounds that
alternate which goes first; prints the medians of wall time and of CPU time (user + system,
from ``os.wait4``) and B/A. Default arguments: ``--exit-zero``. Each round's times and the
1-minute load average at its start go to standard error (the gain of work run beside this
process needs an idle core: say under what load it was measured).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time


def run(checkout: str, args: list[str], target: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``checkout``'s pgconf-fix."""
    env = dict(os.environ, PYTHONPATH=checkout)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package runs from bytecode
    start = time.perf_counter()
    process = subprocess.Popen(
        # -P: "python -m" puts the current directory first on sys.path, before PYTHONPATH; run from a
        # checkout (the worktree one works in), both sides ran that checkout's pgconf_fix (twelfth pass).
        [sys.executable, "-P", "-m", "pgconf_fix", *args, target], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    a, b, target, rounds = argv[0], argv[1], argv[2], int(argv[3])
    args = argv[4:] or ["--exit-zero"]
    run(a, args, target)
    run(b, args, target)
    times: dict[str, tuple[list[float], list[float]]] = {a: ([], []), b: ([], [])}
    loads = []
    for index in range(rounds):
        loads.append(os.getloadavg()[0])
        for checkout in (a, b) if index % 2 == 0 else (b, a):
            wall, cpu = run(checkout, args, target)
            times[checkout][0].append(wall)
            times[checkout][1].append(cpu)
        print(
            f"round {index + 1}: load {loads[-1]:.2f}  A wall {times[a][0][-1]:.3f} cpu {times[a][1][-1]:.3f}"
            f"  B wall {times[b][0][-1]:.3f} cpu {times[b][1][-1]:.3f}", file=sys.stderr,
        )
    for label, checkout in (("A", a), ("B", b)):
        walls, cpus = times[checkout]
        print(f"{label} {checkout}: wall {statistics.median(walls):.3f} s  cpu {statistics.median(cpus):.3f} s")
    ratio_wall = statistics.median(times[b][0]) / statistics.median(times[a][0])
    ratio_cpu = statistics.median(times[b][1]) / statistics.median(times[a][1])
    print(f"B/A wall {ratio_wall:.3f}  cpu {ratio_cpu:.3f}")
    print(f"load average (1 min) at the rounds' starts: {min(loads):.2f}-{max(loads):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Interleaved timing of any commands (wall and CPU medians, and ratios to the first command).

    python benchmarks/interleave.py ROUNDS 'COMMAND' 'COMMAND' ...

Each COMMAND is a shell command line (``sh -c 'exec COMMAND'``, so ``env PYTHONPATH=DIR ...``
works), run in the current directory with its output discarded. One untimed run of each, then
ROUNDS rounds that alternate the order (first to last, then last to first), so a change in the
machine's load falls on all of them alike. Prints, per command, the medians of CPU time (user
+ system, from ``os.wait4``, children included) and of wall time, each with its ratio to the
first command's, then the load average. ``benchmarks/ab.py`` compares two checkouts of
pgconf-fix this way; this compares anything (``python -c 'import click'`` against a run whose
entry point differs from the installed console script's, for example).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time


def once(command: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``command``."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: from bytecode
    started = time.perf_counter()
    process = subprocess.Popen(["/bin/sh", "-c", f"exec {command}"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    rounds, commands = int(argv[0]), argv[1:]
    for command in commands:
        once(command)
    walls: dict[str, list[float]] = {command: [] for command in commands}
    cpus: dict[str, list[float]] = {command: [] for command in commands}
    for index in range(rounds):
        for command in commands if index % 2 == 0 else commands[::-1]:
            wall, cpu = once(command)
            walls[command].append(wall)
            cpus[command].append(cpu)
    first_cpu, first_wall = statistics.median(cpus[commands[0]]), statistics.median(walls[commands[0]])
    for command in commands:
        cpu, wall = statistics.median(cpus[command]), statistics.median(walls[command])
        print(f"{cpu * 1000:7.1f} ms cpu ({cpu / first_cpu:4.2f}x)  {wall * 1000:7.1f} ms wall ({wall / first_wall:4.2f}x)  {command}")
    print("load average: " + " ".join(f"{value:.2f}" for value in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Interleaved timing of several checkouts of pgconf-fix on one tree (wall and CPU medians).

    python benchmarks/ab_many.py TREE ROUNDS LABEL=CHECKOUT[:notf][+NAME=VALUE] ... -- [pgconf-fix arguments]

As ``benchmarks/ab.py``, for any number of checkouts (detached worktrees of older commits,
never /work/main): each runs ``python -m pgconf_fix ARGS .`` in TREE with its directory on
``PYTHONPATH``, ``--no-cache`` added when that checkout has the option (older ones do not).
One untimed run of each, then ROUNDS rounds, the order reversed every other round; prints the
medians of wall time and of CPU time (user + system from ``os.wait4``, children such as
terraform included) and the CPU ratio to the first checkout, and the load average seen.
``:notf`` runs a checkout with ``/usr/local/bin`` (where terraform is) taken off ``PATH``;
``+NAME=VALUE`` sets one more environment variable for it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def command(spec: str, args: list[str]) -> tuple[str, list[str], dict[str, str]]:
    """(label, argv, environment) of one ``LABEL=CHECKOUT[:notf][+NAME=VALUE]`` argument."""
    label, _, checkout = spec.partition("=")
    checkout, _, extra = checkout.partition("+")
    without_terraform = checkout.endswith(":notf")
    checkout = checkout.removesuffix(":notf")
    has_cache = "no-cache" in (Path(checkout) / "pgconf_fix" / "cli.py").read_text()
    env = dict(os.environ, PYTHONPATH=checkout)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package runs from bytecode
    if without_terraform:
        env["PATH"] = ":".join(part for part in env["PATH"].split(":") if part != "/usr/local/bin")
    if extra:
        name, _, value = extra.partition("=")
        env[name] = value
    argv = [sys.executable, "-m", "pgconf_fix", *(["--no-cache"] if has_cache else []), *args, "."]
    return label, argv, env


def run(argv: list[str], env: dict[str, str], tree: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    tree, rounds, rest = argv[0], int(argv[1]), argv[2:]
    cut = rest.index("--") if "--" in rest else len(rest)
    commands = [command(spec, rest[cut + 1 :]) for spec in rest[:cut]]
    for _, each, env in commands:
        run(each, env, tree)
    times: dict[str, tuple[list[float], list[float]]] = {label: ([], []) for label, _, _ in commands}
    loads = []
    for index in range(rounds):
        for label, each, env in commands if index % 2 == 0 else commands[::-1]:
            wall, cpu = run(each, env, tree)
            times[label][0].append(wall)
            times[label][1].append(cpu)
        loads.append(os.getloadavg()[0])
    first = statistics.median(times[commands[0][0]][1])
    for label, _, _ in commands:
        walls, cpus = times[label]
        print(f"{label:28s} wall {statistics.median(walls):.3f} s  cpu {statistics.median(cpus):.3f} s  "
              f"cpu/first {statistics.median(cpus) / first:.2f}")
    print(f"load average during rounds: {min(loads):.1f}-{max(loads):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

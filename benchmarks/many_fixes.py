"""One file with many fixes, of each carrier, to find work that grows faster than the fixes.

    python benchmarks/many_fixes.py write py-connect 800 /tmp/conn800.py   # one file
    python benchmarks/many_fixes.py scale py-connect 200 4                  # CPU at 200 and 800, ratio
    python benchmarks/many_fixes.py scale all 100 4                         # every kind
    CHECKOUT=/work/main python benchmarks/many_fixes.py scale env 200 4      # another copy's pgconf_fix

Kinds: ``py-connect`` (a ``psycopg2.connect("postgresql://...")`` a line), ``py-dsn`` (a
key=value DSN a line), ``py-kwargs`` (``psycopg2.connect(host=..., ...)`` a line),
``py-engine`` (``create_engine(...)`` a line, three findings each), ``env`` (``.env`` with a
URL a line), ``yaml`` (a URL a key), ``json``, ``tf`` (``aws_lb`` resources), ``pgconf``
(a postgresql.conf of N unrelated lines and the keepalive GUCs at 0 at the end), ``sysctl``.
Each line of the Python, ``.env``, YAML and JSON kinds draws a client finding with a fix.

``scale`` runs ``pgconf-fix --exit-zero --no-cache FILE`` (the text report, which counts
"fixable" by applying the fixes in memory) on N and N×RATIO, best CPU time of two runs each
(a new process a run: its start, ~0.4 s, is in both), and prints the ratio: about RATIO when
the work is linear, RATIO² when quadratic. Extra arguments after the ratio replace the default pgconf-fix arguments. The
same file sizes serve ``benchmarks/ab.py`` (``write``, then time two checkouts on it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


def _py_connect(count: int) -> str:
    return "import psycopg2\n\n" + "".join(f'c{i} = psycopg2.connect("postgresql://u@h/db")\n' for i in range(count))


def _py_dsn(count: int) -> str:
    return "import psycopg2\n\n" + "".join(
        f'c{i} = psycopg2.connect("host=db{i}.example.com dbname=app user=app sslmode=require")\n' for i in range(count)
    )


def _py_kwargs(count: int) -> str:
    return "import psycopg2\n\n" + "".join(
        f'c{i} = psycopg2.connect(host="db{i}.example.com", dbname="app", sslmode="require")\n' for i in range(count)
    )


def _py_engine(count: int) -> str:
    return "from sqlalchemy import create_engine\n\n" + "".join(
        f'engine{i} = create_engine("postgresql+psycopg2://app@db{i}.example.com/app")\n' for i in range(count)
    )


def _env(count: int) -> str:
    return "".join(f"DATABASE_URL_{i}=postgresql+psycopg2://app@db{i}.example.com/app\n" for i in range(count))


def _yaml(count: int) -> str:
    return "databases:\n" + "".join(f"  db{i}: postgresql+psycopg2://app@db{i}.example.com/app\n" for i in range(count))


def _json(count: int) -> str:
    rows = ",\n".join(f'  "db{i}": "postgresql+psycopg2://app@db{i}.example.com/app"' for i in range(count))
    return "{\n" + rows + "\n}\n"


def _tf(count: int) -> str:
    return "".join(
        f'resource "aws_lb" "web{i}" {{\n  name               = "web{i}"\n  load_balancer_type = "application"\n}}\n\n'
        for i in range(count)
    )


def _pgconf(count: int) -> str:
    lines = "".join(f"#custom.setting_{i} = {i}\t\t# a comment\nwork_mem_{i % 7} = '{i}kB'\n" for i in range(count))
    return lines.replace("work_mem_", "custom.work_mem_") + (
        "tcp_keepalives_idle = 0\ntcp_keepalives_interval = 0\ntcp_keepalives_count = 0\n"
    )


def _sysctl(count: int) -> str:
    return "".join(f"# setting {i}\nvm.swappiness = {i % 100}\n" for i in range(count)) + "net.ipv4.tcp_keepalive_time = 7200\n"


KINDS: dict[str, tuple[str, Callable[[int], str]]] = {
    "py-connect": ("app.py", _py_connect),
    "py-dsn": ("app.py", _py_dsn),
    "py-kwargs": ("app.py", _py_kwargs),
    "py-engine": ("app.py", _py_engine),
    "env": (".env", _env),
    "yaml": ("settings.yaml", _yaml),
    "json": ("settings.json", _json),
    "tf": ("main.tf", _tf),
    "pgconf": ("postgresql.conf", _pgconf),
    "sysctl": ("sysctl.conf", _sysctl),
}


def write(kind: str, count: int, out: Path) -> None:
    """Write ``count`` of ``kind`` to ``out`` (its parent made)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(KINDS[kind][1](count))


def cpu_seconds(path: Path, args: list[str], checkout: str | None = None) -> float:
    """Best CPU time (s, user + system) of two runs of ``python -m pgconf_fix ARGS PATH`` in a
    new process each (in one process, the verifiers' memos would answer the second run), with
    ``checkout`` (a directory holding ``pgconf_fix/``) first on PYTHONPATH when given."""
    env = dict(os.environ)
    if checkout is not None:
        env["PYTHONPATH"] = checkout
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    best = float("inf")
    for _ in range(2):
        process = subprocess.Popen(
            [sys.executable, "-m", "pgconf_fix", *args, str(path)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _, _, usage = os.wait4(process.pid, 0)
        best = min(best, usage.ru_utime + usage.ru_stime)
    return best


def scale(kind: str, small: int, ratio: int, args: list[str]) -> float:
    """CPU ratio of ``small``×``ratio`` to ``small`` of ``kind``, printed with both times."""
    with tempfile.TemporaryDirectory() as scratch:
        times = []
        for count in (small, small * ratio):
            path = Path(scratch) / str(count) / KINDS[kind][0]
            write(kind, count, path)
            times.append(cpu_seconds(path, args, os.environ.get("CHECKOUT")))
    growth = times[1] / times[0]
    print(f"{kind:11} {small:>6} {times[0]:8.3f} s   {small * ratio:>6} {times[1]:8.3f} s   ×{growth:.1f}", flush=True)
    return growth


def main(argv: list[str]) -> int:
    if len(argv) >= 4 and argv[0] == "write":
        write(argv[1], int(argv[2]), Path(argv[3]))
        return 0
    if len(argv) >= 4 and argv[0] == "scale":
        kinds = list(KINDS) if argv[1] == "all" else argv[1].split(",")
        args = argv[4:] or ["--exit-zero", "--no-cache"]
        for kind in kinds:
            scale(kind, int(argv[2]), int(argv[3]), args)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The import floor under a one-file run: the modules it imports, imported and nothing else.

    python benchmarks/imports_of.py FILE            # print the modules a --no-cache run on FILE imports
    python benchmarks/imports_of.py --import LIST   # import those (comma-separated) and do nothing else

The first form runs ``pgconf_fix.cli.main([FILE, "--no-cache", "--exit-zero"])`` in this process
and prints, comma-separated, the ``pgconf_fix`` modules (and ``publicsuffixlist``) it loaded. The
second imports them in that order with the command's garbage-collector threshold
(``pgconf_fix.GC_THRESHOLD``, set first as ``pgconf_fix.__main__.entry`` sets it). Timed against
``python -c 'import click'`` and the run itself (``benchmarks/interleave.py``, or instructions
under ``valgrind --tool=callgrind``), it tells how much of a run is importing (issue 18).
"""

from __future__ import annotations

import gc
import importlib
import sys


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--import":
        from pgconf_fix import GC_THRESHOLD

        gc.set_threshold(*GC_THRESHOLD)
        for name in argv[1].split(","):
            importlib.import_module(name)
        return 0
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    before = set(sys.modules)
    from pgconf_fix.cli import main as command

    stdout = sys.stdout
    sys.stdout = sys.stderr  # the report is not what this prints
    try:
        command([argv[0], "--no-cache", "--exit-zero"])
    finally:
        sys.stdout = stdout
    loaded = [name for name in sys.modules if name not in before and name.split(".")[0] in ("pgconf_fix", "publicsuffixlist")]
    print(",".join(loaded))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

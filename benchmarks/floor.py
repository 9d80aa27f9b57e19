"""The CPU floor of a pgconf-fix run on a tree, part by part, in this process.

    python benchmarks/floor.py TREE [ROUNDS]

Times (``time.process_time``, median of ROUNDS, default 3): ``discovery.discover`` over the
tree with every reader; reading the Python files it claims; ``ast.parse`` of each; and
``ast.parse`` plus ``python_nodes.Tree`` (what the Python layer does before any view).
Start-up and imports are measured apart: ``python -c 'import pgconf_fix.cli'``.
"""

from __future__ import annotations

import ast
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pgconf_fix.discovery import discover  # noqa: E402
from pgconf_fix.documents.python_nodes import Tree, line_starts_of  # noqa: E402
from pgconf_fix.layers import layer_modules  # noqa: E402


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    tree = Path(argv[0])
    rounds = int(argv[1]) if len(argv) > 1 else 3
    rows: dict[str, list[float]] = {"discovery": [], "read the .py files": [], "ast.parse": [], "ast.parse + python_nodes": []}
    claimed = python = 0
    for _ in range(rounds):
        started = time.process_time()
        found = discover([str(tree)], layer_modules(), tree)
        rows["discovery"].append(time.process_time() - started)
        paths = [path for entries in found.files.values() for path, _ in entries if str(path).endswith(".py")]
        claimed, python = sum(len(entries) for entries in found.files.values()), len(paths)
        started = time.process_time()
        texts = [Path(path).read_text(encoding="utf-8", errors="replace") for path in paths]
        rows["read the .py files"].append(time.process_time() - started)
        started = time.process_time()
        for text in texts:
            ast.parse(text)
        rows["ast.parse"].append(time.process_time() - started)
        started = time.process_time()
        for text in texts:
            Tree(text, line_starts_of(text), ast.parse(text))
        rows["ast.parse + python_nodes"].append(time.process_time() - started)
    print(f"{tree}: {claimed} files claimed, {python} of them .py; CPU medians of {rounds}")
    for label, values in rows.items():
        print(f"  {label:22s} {statistics.median(values):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

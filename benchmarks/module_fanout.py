"""Write a Terraform tree whose local module calls fan out, for ``benchmarks/ab.py``.

    python benchmarks/module_fanout.py DIRECTORY [--width 3] [--depth 7]

``DIRECTORY/infra/main.tf`` calls ``./l1`` WIDTH times (idle = 200, 199, ...), each ``l<k>``
calls ``../l<k+1>`` WIDTH times passing ``idle = var.idle`` on, and ``l<DEPTH>`` holds an NLB
TCP listener whose ``tcp_idle_timeout_seconds`` is ``var.idle``; the root also holds an RDS
parameter group without keepalives (one PGF101 naming the budget). Terraform makes WIDTH **
DEPTH instances of the listener; they carry WIDTH distinct values.
"""

from __future__ import annotations

import argparse
from pathlib import Path

VARIABLE = 'variable "idle" {\n  type    = number\n  default = 350\n}\n'
LISTENER = 'resource "aws_lb_listener" "pg" {\n  protocol                 = "TCP"\n  tcp_idle_timeout_seconds = var.idle\n}\n'
PARAMETERS = 'resource "aws_db_parameter_group" "app" {\n  name   = "app"\n  family = "postgres16"\n}\n'


def generate(root: Path, width: int, depth: int) -> None:
    """The tree described in the module docstring, under ``root`` (created)."""
    infra = root / "infra"
    infra.mkdir(parents=True)
    for level in range(1, depth + 1):
        directory = infra / f"l{level}"
        directory.mkdir()
        if level < depth:
            calls = "".join(f'\nmodule "c{i}" {{\n  source = "../l{level + 1}"\n  idle   = var.idle\n}}\n' for i in range(width))
        else:
            calls = "\n" + LISTENER
        (directory / "main.tf").write_text(VARIABLE + calls)
    calls = "".join(f'module "c{i}" {{\n  source = "./l1"\n  idle   = {200 - i}\n}}\n\n' for i in range(width))
    (infra / "main.tf").write_text(calls + PARAMETERS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--width", type=int, default=3)
    parser.add_argument("--depth", type=int, default=7)
    args = parser.parse_args()
    generate(args.directory, args.width, args.depth)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Time pgconf-fix on a generated Terraform directory of 200 .tf files.

    python benchmarks/terraform_200.py [--files 200]

Each file holds a load balancer (alternating aws_lb, aws_alb with a variable,
aws_elb, a network aws_lb) and a variable block, so every value path is used.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHAPES = (
    'resource "aws_lb" "app_{n}" {{\n  name    = "app-{n}"\n  subnets = var.subnets_{n}\n}}\n',
    'resource "aws_alb" "web_{n}" {{\n  name         = "web-{n}"\n  idle_timeout = var.idle_{n}\n}}\n',
    'resource "aws_elb" "old_{n}" {{\n  name         = "old-{n}"\n  idle_timeout = 60 # classic\n}}\n',
    'resource "aws_lb" "nlb_{n}" {{\n  name               = "nlb-{n}"\n  load_balancer_type = "network"\n}}\n',
)


def generate(directory: Path, count: int) -> None:
    for n in range(count):
        body = SHAPES[n % len(SHAPES)].format(n=n)
        body += f'\nvariable "idle_{n}" {{\n  type    = number\n  default = 60\n}}\n'
        body += f'\nvariable "subnets_{n}" {{\n  type = list(string)\n}}\n'
        (directory / f"lb_{n:03d}.tf").write_text(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        generate(directory, args.files)
        command = [sys.executable, "-m", "pgconf_fix", "--exit-zero", "--select", "PGF001,PGF301,PGF302", "."]
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            done = subprocess.run(command, cwd=directory, capture_output=True, text=True, check=False)
            timings.append(time.perf_counter() - started)
        findings = sum(1 for line in done.stdout.splitlines() if ": PGF" in line)
        print(
            f"{args.files} .tf files: {findings} findings; wall time per run "
            f"min {min(timings):.2f} s, max {max(timings):.2f} s (3 runs, process start included)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

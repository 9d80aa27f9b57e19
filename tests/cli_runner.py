"""Run the real CLI in-process, with its own stdin/stdout/stderr and working directory."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from pgconf_fix.cli import main


@dataclass
class Outcome:
    code: int
    stdout_bytes: bytes
    stderr: str

    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8", "replace")


def run_cli(args: list[str], cwd: Path, stdin: bytes = b"") -> Outcome:
    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdin, sys.stdout, sys.stderr, os.getcwd()
    wrappers = (
        io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"),
        io.TextIOWrapper(out, encoding="utf-8", write_through=True),
        io.TextIOWrapper(err, encoding="utf-8", write_through=True),
    )
    sys.stdin, sys.stdout, sys.stderr = wrappers
    try:
        os.chdir(cwd)
        code = main(args)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved[:3]
        os.chdir(saved[3])
    result = Outcome(code, out.getvalue(), err.getvalue().decode("utf-8", "replace"))
    for wrapper in wrappers:
        wrapper.detach()  # keep the buffers open for the next reader
    return result


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root by relative path, with its exact bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }

"""Go's lib/pq as a program the tests run: Debian's golang-github-lib-pq-dev, built offline with
the go tool (GOPATH mode, no module download), from tests/sslmode_drivers/main.go, which
connects to the URL it is given and prints whether the session is encrypted
(``pg_stat_ssl.ssl``: ``true``/``false``) or ``error: <lib/pq's error>``."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

LIB_PQ_GOPATH = Path("/usr/share/gocode")  # golang-github-lib-pq-dev
PROGRAM = Path(__file__).parent / "sslmode_drivers" / "main.go"


def lib_pq_session(tmp_path: Path) -> Callable[[str], str]:
    """A function from a URL to what the built program prints for it (stripped). Skips the test,
    with the reason, where go or the lib/pq package is not installed; the build's failure fails it."""
    if shutil.which("go") is None or not (LIB_PQ_GOPATH / "src/github.com/lib/pq").is_dir():
        pytest.skip("go or Debian's golang-github-lib-pq-dev is not installed")
    program = tmp_path / "src" / "sslcheck"
    program.mkdir(parents=True)
    shutil.copy(PROGRAM, program / "main.go")
    environment = {**os.environ, "GO111MODULE": "off", "GOPATH": f"{tmp_path}:{LIB_PQ_GOPATH}", "GOCACHE": str(tmp_path / "cache"), "GOFLAGS": ""}
    built = subprocess.run(["go", "build", "-o", str(tmp_path / "sslcheck"), "sslcheck"], env=environment, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr

    def session(url: str) -> str:
        return subprocess.run([str(tmp_path / "sslcheck"), url], capture_output=True, text=True, timeout=60).stdout.strip()

    return session

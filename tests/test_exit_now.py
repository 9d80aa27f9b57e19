"""The command ends its process without the interpreter's teardown when nothing is left for
the teardown to do (``pgconf_fix.__main__.exit_now``, issue 18, tenth pass), and what it
prints and the status it exits with are those of the usual exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The command as the console script runs it, with os._exit watched. With ``usual``, an exit
# handler is registered, which sends the command through the usual exit.
PROBE = """
import atexit
import os
import sys

exit_at_once = os._exit


def watched(status):
    sys.stderr.write(f"os._exit({status})\\n")
    sys.stderr.flush()
    exit_at_once(status)


os._exit = watched
if sys.argv[1] == "usual":
    atexit.register(lambda: None)
sys.argv = ["pgconf-fix", *sys.argv[2:]]
from pgconf_fix.__main__ import entry

raise SystemExit(entry())
"""


def _command(way: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PGCONF_FIX_CACHE_DIR", None)
    return subprocess.run([sys.executable, "-c", PROBE, way, *args], capture_output=True, env=env, cwd=cwd, check=False)


def _tree(root: Path, files: int) -> None:
    for index in range(files):
        folder = root / f"db{index}"
        folder.mkdir()
        (folder / "postgresql.conf").write_text("tcp_keepalives_idle = 7200\n")


def test_the_command_skips_the_teardown_and_prints_what_the_usual_exit_prints(tmp_path: Path) -> None:
    _tree(tmp_path, 150)  # a JSON report of ~420 KB: many times a pipe's buffer
    for args in (["--no-cache", "--jobs", "1", "--format", "json", "."], ["--no-cache", "db0/postgresql.conf"],
                 ["--no-cache", "--exit-zero", "db0/postgresql.conf"], ["--no-cache", "--select", "", "."]):  # fmt: skip
        fast = _command("fast", *args, cwd=tmp_path)
        usual = _command("usual", *args, cwd=tmp_path)
        ended = f"os._exit({usual.returncode})\n".encode()
        assert fast.stderr.endswith(ended), args  # the process ended there, before the teardown
        assert b"os._exit" not in usual.stderr, args  # an exit handler: the usual exit
        assert fast.returncode == usual.returncode, args
        assert fast.stdout == usual.stdout, args
        assert fast.stderr == usual.stderr + ended, args
    assert [_command("fast", *args, cwd=tmp_path).returncode for args in (
        ["--no-cache", "."], ["--no-cache", "--exit-zero", "."], ["--no-cache", "--select", "", "."],
    )] == [1, 0, 2]  # fmt: skip
    assert len(_command("fast", "--no-cache", "--jobs", "1", "--format", "json", ".", cwd=tmp_path).stdout) > 400_000

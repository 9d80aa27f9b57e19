"""A relative ``%include`` is opened from PgBouncer's working directory, not from the including
file's: the real PgBouncer shows it, and a finding in a file read that way says where it is
read from."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.pgbouncer_server import RUN_AS, require_pgbouncer, running_pgbouncer

INI = "[databases]\n* = host=127.0.0.1\n[pgbouncer]\n%include extra.ini\n"
EXTRA = "tcp_keepidle = 7200\n"
NOTE = "when PgBouncer starts in its directory: a relative %include is opened from the working directory"


def test_pgbouncer_reads_a_relative_include_from_its_working_directory() -> None:
    binary = require_pgbouncer()
    with running_pgbouncer(INI, files={"extra.ini": EXTRA}) as bouncer:  # started in the ini's directory
        assert bouncer.show_config()["tcp_keepidle"] == "7200"
    directory = Path(tempfile.mkdtemp(prefix="pgconf-fix-relative-include-", dir="/tmp"))  # the server user reads it
    try:
        started_from_root(binary, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def started_from_root(binary: str, directory: Path) -> None:
    """PgBouncer started from ``/`` (as a systemd unit without WorkingDirectory= starts it)
    on an ini in ``directory`` whose ``%include extra.ini`` lies beside it: it stops."""
    (directory / "users.txt").write_text('"u" ""\n')
    (directory / "pgbouncer.ini").write_text(
        INI + f"listen_addr = 127.0.0.1\nlisten_port = 1\nauth_type = any\nauth_file = {directory}/users.txt\n"
    )
    (directory / "extra.ini").write_text(EXTRA)
    argv = [binary, str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        user = pwd.getpwnam(RUN_AS)
        for path in (directory, *directory.iterdir()):
            os.chown(path, user.pw_uid, user.pw_gid)
        argv = ["runuser", "-u", RUN_AS, "--", *argv]
    done = subprocess.run(argv, check=False, cwd="/", capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert 'could not load file "extra.ini"' in done.stdout + done.stderr


def messages(root: Path) -> list[str]:
    done = subprocess.run([sys.executable, "-m", "pgconf_fix", "--no-cache", "--exit-zero", "--select", "PGF602", "."],
                          cwd=root, capture_output=True, text=True, check=True)
    return [line for line in done.stdout.splitlines() if "PGF602" in line]


def test_a_finding_read_through_a_relative_include_says_so(tmp_path: Path) -> None:
    (tmp_path / "pgbouncer.ini").write_text(INI)
    (tmp_path / "extra.ini").write_text(EXTRA)
    (found,) = messages(tmp_path)
    assert found.startswith("extra.ini:1:1: PGF602") and NOTE in found


def test_a_finding_read_through_an_absolute_include_does_not(tmp_path: Path) -> None:
    (tmp_path / "pgbouncer.ini").write_text(INI.replace("extra.ini", str(tmp_path / "extra.ini")))
    (tmp_path / "extra.ini").write_text(EXTRA)
    (found,) = messages(tmp_path)
    assert "(as pgbouncer.ini reads it through %include)" in found and NOTE not in found


def test_a_relative_include_below_an_absolute_one_says_so(tmp_path: Path) -> None:
    (tmp_path / "pgbouncer.ini").write_text(INI.replace("extra.ini", str(tmp_path / "middle.ini")))
    (tmp_path / "middle.ini").write_text("%include extra.ini\n")
    (tmp_path / "extra.ini").write_text(EXTRA)
    (found,) = messages(tmp_path)
    assert NOTE in found

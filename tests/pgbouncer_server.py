"""Start the real PgBouncer (Debian's ``pgbouncer`` package) on a pgbouncer.ini, for tests.

:func:`running_pgbouncer` copies an ini into a directory under /tmp, points the
listener at a free 127.0.0.1 port (and nothing else: no Unix socket, a throw-away
auth file, ``auth_type = any`` so the admin console answers), starts
``pgbouncer`` in the foreground, and yields a :class:`Bouncer` once it logs
"process up", or raises :class:`BouncerRefused` with its log when it exits instead.
It is always stopped (SIGTERM to the process it started).

The rest of the file is kept as written: the lines that set the listener and
authentication keys are dropped and the replacements put right after the last
``[pgbouncer]`` header (a second header resets every setting to its default, so
they must follow the last one).

PgBouncer refuses to run as root; as root, it runs as the ``postgres`` user of the
PostgreSQL package (``runuser``), else as the current user.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

RUN_AS = "postgres"
OVERRIDDEN = ("listen_addr", "listen_port", "unix_socket_dir", "auth_file", "auth_type", "auth_hba_file",
              "logfile", "pidfile", "user", "admin_users", "stats_users", "auth_query", "auth_user")  # fmt: skip


class BouncerRefused(Exception):
    """PgBouncer exited instead of starting; the message is its log."""


@dataclass
class Bouncer:
    port: int
    log: Path

    def show_config(self) -> dict[str, str]:
        """``SHOW CONFIG`` from the admin console: key -> value as PgBouncer holds it."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, dbname="pgbouncer", user="admin",
                             autocommit=True, connect_timeout=10) as conn:  # fmt: skip
            result = conn.pgconn.exec_(b"SHOW CONFIG")  # the console speaks the simple protocol only
            rows = [
                [(result.get_value(row, col) or b"").decode() for col in range(result.nfields)]
                for row in range(result.ntuples)
            ]
        return {row[0]: row[1] for row in rows}


def find_pgbouncer() -> str | None:
    return shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if os.access("/usr/sbin/pgbouncer", os.X_OK) else None
    )


def require_pgbouncer() -> str:
    binary = find_pgbouncer()
    if binary is None:
        reason = "pgbouncer is not installed (apt-get install pgbouncer; .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
        pytest.skip(reason)
    return binary


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_HEADER = re.compile(r"^[ \t]*\[pgbouncer\][ \t]*\r?$", re.MULTILINE)


def without_overridden(text: str) -> str:
    """``text`` with the lines that set the listener and authentication keys blanked."""
    return re.sub(rf"^[ \t]*(?:{'|'.join(OVERRIDDEN)})[ \t]*=.*$", "", text, flags=re.MULTILINE)


def staged_ini(text: str, directory: Path, port: int) -> str:
    """``text`` with the listener and authentication of a test run (see the module docstring)."""
    kept = without_overridden(text)
    ours = (
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = any\nauth_file = {directory}/userlist.txt\nadmin_users = admin\n"
    )
    headers = list(_HEADER.finditer(kept))
    if not headers:
        return kept.rstrip("\n") + "\n[pgbouncer]\n" + ours
    at = headers[-1].end()
    return kept[:at] + "\n" + ours + kept[at:]


@contextmanager
def running_pgbouncer(
    ini_text: str, timeout: float = 15.0, files: dict[str, str] | None = None, settings_in: str | None = None
) -> Iterator[Bouncer]:
    """``files``: other files (name -> text) put beside the ini, such as its ``%include``
    targets; PgBouncer runs in that directory, where it opens relative names from. When the ini
    has no [pgbouncer] header of its own, the test run's keys go after the one of the file of
    ``files`` that has it (a header added to the ini would reset what the include set), or
    after the last header of ``settings_in`` (a file of ``files``) when given."""
    binary = require_pgbouncer()
    directory = Path(tempfile.mkdtemp(prefix="pgconf-fix-pgbouncer-", dir="/tmp"))
    (directory / "userlist.txt").write_text('"admin" ""\n')
    files = files or {}
    holder = settings_in
    if holder is None and not _HEADER.search(ini_text):
        holder = next((name for name, text in files.items() if _HEADER.search(text)), None)
    log = directory / "log"
    process = None
    try:
        # Another process (an xdist worker's server) may take the free port before PgBouncer
        # binds it: PgBouncer then logs "Address already in use" and stops; try a new port.
        for attempt in range(3):
            port = _free_port()
            process = _start(binary, directory, ini_text, files, holder, port, log)
            text = _wait_up(process, log, timeout)
            if text is None:
                break
            if "Address already in use" not in text or attempt == 2:
                raise BouncerRefused(text)
        yield Bouncer(port, log)
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(directory, ignore_errors=True)


def _start(binary: str, directory: Path, ini_text: str, files: dict[str, str], holder: str | None, port: int,
           log: Path) -> subprocess.Popen:
    """PgBouncer started on ``ini_text`` (and ``files``) staged for ``port`` in ``directory``."""
    for name, text in files.items():
        (directory / name).write_text(staged_ini(text, directory, port) if name == holder else without_overridden(text))
    ini = directory / "pgbouncer.ini"
    ini.write_text(staged_ini(ini_text, directory, port) if holder is None else without_overridden(ini_text))
    argv = [binary, str(ini)]
    if os.geteuid() == 0:
        user = pwd.getpwnam(RUN_AS)
        for path in (directory, *directory.iterdir()):
            os.chown(path, user.pw_uid, user.pw_gid)
        argv = ["runuser", "-u", RUN_AS, "--", *argv]
    with open(log, "wb") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=directory)


def _wait_up(process: subprocess.Popen, log: Path, timeout: float) -> str | None:
    """None once PgBouncer's log says it is up; its log (or its exit) when it stopped or the
    ``timeout`` (seconds) passed first."""
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_text(errors="replace")
        if "process up" in text:
            return None
        if process.poll() is not None or time.monotonic() > deadline:
            return text or f"pgbouncer exited with {process.returncode}"
        time.sleep(0.05)


def config_holding_what_was_read(view, keys: tuple[str, ...]) -> dict[str, str]:  # view: a PgBouncerConfig
    """SHOW CONFIG of a PgBouncer started on ``view``'s section (``view.host.text``), after
    asserting that it holds, for each of ``keys`` the view read a value of, that value."""
    assert not view.problems, view.problems
    with running_pgbouncer(view.host.text) as bouncer:
        shown = bouncer.show_config()
    for key in keys:
        current = view.effective(key)
        if current is not None:
            assert float(shown[key]) == float(current.value), (key, view.host.text)
    return shown

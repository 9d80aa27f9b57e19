"""Helpers for tests that ask the real PostgreSQL server installed on this machine.

- :func:`find_bindir` locates the server binaries (``pg_config --bindir``, then
  ``/usr/lib/postgresql/<major>/bin``, newest major first).
- :func:`require_server` returns a :class:`PgServer`, or skips the test with the
  reason when no usable server is installed -- and fails instead when the ``CI``
  environment variable is set, so a broken install in CI cannot hide behind a skip.
- :meth:`PgServer.config_value` validates a configuration directory the way the
  server does at start-up (``postgres -D DIR -C PARAM``): ``(0, value in the
  base unit)`` or ``(1, the server's errors)``.
- :meth:`PgServer.staged` copies a tree into a temporary directory under /tmp
  that the server's user can read (pytest's tmp_path is not traversable by it).
- :func:`temporary_cluster` runs a throw-away cluster on a Unix socket and on
  127.0.0.1 and always stops it.

The server refuses to run as root. When the tests run as root, every server
command runs as the ``postgres`` system user (``runuser -u postgres --``) and
the staged files are handed over to that user; otherwise the commands run as
the current user.

Import the fixtures into a test module to use them::

    from tests.pg_server import pg_server, server_config_value  # noqa: F401
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest

SERVER_USER = "postgres"
BINDIR_GLOB = "/usr/lib/postgresql/*/bin"
TEMP_PARENT = "/tmp"  # not pytest's tmp_path: its mode-700 parents keep the server's user out


def find_bindir() -> Path | None:
    """The directory holding the ``postgres`` server binary, or None when there is none."""
    candidates: list[Path] = []
    override = os.environ.get("PGCONF_FIX_PG_BINDIR")
    if override:
        candidates.append(Path(override))
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            out = None
        if out is not None and out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))

    def major(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))

    from glob import glob

    candidates.extend(sorted((Path(p) for p in glob(BINDIR_GLOB)), key=major, reverse=True))
    for candidate in candidates:
        if (candidate / "postgres").is_file() and os.access(candidate / "postgres", os.X_OK):
            return candidate
    return None


def unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI, where PostgreSQL is installed on purpose."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


class PgServer:
    """The installed server: runs its binaries as a user it accepts and reads staged trees."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self._owner: tuple[int, int] | None = None
        if self.as_root:
            entry = pwd.getpwnam(SERVER_USER)
            self._owner = (entry.pw_uid, entry.pw_gid)
        self._staged_roots: set[Path] = set()

    # -- running binaries ------------------------------------------------------

    def command(self, program: str, *args: str) -> list[str]:
        """argv that runs ``program`` from bindir as a user the server accepts."""
        argv = [str(self.bindir / program), *args]
        if self.as_root:
            return ["runuser", "-u", SERVER_USER, "--", *argv]
        return argv

    def run(self, program: str, *args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env["LC_ALL"] = "C"  # English messages, whatever the machine's locale
        return subprocess.run(
            self.command(program, *args),
            capture_output=True,
            text=True,
            errors="replace",
            cwd=cwd or TEMP_PARENT,  # root's home may be unreadable for the server's user
            env=env,
            timeout=timeout,
        )

    # -- staging files where the server's user can read them ------------------

    def hand_over(self, root: Path) -> None:
        """Give the server's user everything under root (no-op when not running as root)."""
        if self._owner is None:
            return
        uid, gid = self._owner
        os.chown(root, uid, gid, follow_symlinks=False)
        for directory, dirnames, filenames in os.walk(root):
            for name in (*dirnames, *filenames):
                os.chown(os.path.join(directory, name), uid, gid, follow_symlinks=False)

    @contextmanager
    def staged(self, source: Path | None = None) -> Iterator[Path]:
        """A temporary copy of ``source`` (or an empty directory) the server's user can read.

        Files written into it later are handed over by :meth:`config_value`.
        The directory is removed on exit.
        """
        base = Path(tempfile.mkdtemp(prefix="pgconf-fix-pg-", dir=TEMP_PARENT))
        root = base / "tree"
        try:
            if source is not None:
                shutil.copytree(source, root, symlinks=True)
            else:
                root.mkdir()
            self.hand_over(base)
            self._staged_roots.add(base)
            yield root
        finally:
            self._staged_roots.discard(base)
            shutil.rmtree(base, ignore_errors=True)

    def _staged_root_of(self, path: Path) -> Path | None:
        resolved = path.resolve()
        for root in self._staged_roots:
            if resolved == root or root in resolved.parents:
                return root
        return None

    # -- asking the server -----------------------------------------------------

    def config_value(self, conf_dir: Path, param: str) -> tuple[int, str]:
        """``postgres -D conf_dir -C param``: (0, the value in the base unit) or (1, the errors).

        conf_dir holds postgresql.conf (and is where postgresql.auto.conf is read).
        Inside a :meth:`staged` tree includes resolve as they would on a server;
        any other directory is copied alone into a staged one first.
        """
        root = self._staged_root_of(conf_dir)
        if root is None and self.as_root:
            with self.staged(conf_dir) as copy:
                return self.config_value(copy, param)
        if root is not None:
            self.hand_over(root)
        done = self.run("postgres", "-D", str(conf_dir), "-C", param, cwd=conf_dir)
        if done.returncode == 0:
            return 0, done.stdout.strip()
        return done.returncode, done.stderr.strip()

    def config_values(self, jobs: Iterable[tuple[Path, str]], workers: int | None = None) -> list[tuple[int, str]]:
        """:meth:`config_value` for many (conf_dir, param) pairs at once, in order."""
        jobs = list(jobs)
        for root in {self._staged_root_of(conf_dir) for conf_dir, _ in jobs} - {None}:
            self.hand_over(root)  # once, before the threads start
        workers = workers or min(16, (os.cpu_count() or 2) * 2)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda job: self.config_value(*job), jobs))


def require_server() -> PgServer:
    """The installed server, or a skip (a failure under CI) saying what is missing."""
    bindir = find_bindir()
    if bindir is None:
        unavailable(
            "PostgreSQL server binaries not found (no `postgres` in `pg_config --bindir` "
            f"or {BINDIR_GLOB}); install the PostgreSQL server package (Debian: postgresql)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            unavailable(f"running as root but there is no {SERVER_USER!r} system user to run the server as")
        if shutil.which("runuser") is None:
            unavailable("running as root but `runuser` (util-linux) is missing")
    server = PgServer(bindir)  # type: ignore[arg-type]
    probe = server.run("postgres", "--version")
    if probe.returncode != 0:
        unavailable(f"{bindir}/postgres --version failed: {probe.stderr.strip() or probe.stdout.strip()}")
    return server


@pytest.fixture(scope="session")
def pg_server() -> PgServer:
    return require_server()


@pytest.fixture
def server_config_value(pg_server: PgServer):  # noqa: ANN201 - a callable
    """``server_config_value(conf_dir, param) -> (returncode, value_or_stderr)``."""
    return pg_server.config_value


# -- a temporary running cluster --------------------------------------------------


class Cluster(NamedTuple):
    host: str  # the Unix-socket directory, usable as psql's -h
    port: int
    bindir: Path
    datadir: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def psql_path(bindir: Path) -> str | None:
    inside = bindir / "psql"
    if inside.is_file():
        return str(inside)
    return shutil.which("psql")


@contextmanager
def temporary_cluster(server: PgServer | None = None, settings: dict[str, str] | None = None) -> Iterator[Cluster]:
    """initdb a throw-away cluster, start it, yield (socket dir, port, bindir, datadir), always stop it.

    It listens on a Unix socket in its own temporary directory and on
    127.0.0.1 at a free port; authentication is ``trust`` for the ``postgres``
    role. ``settings`` are extra ``-c name=value`` options for the server.
    """
    server = server or require_server()
    base = Path(tempfile.mkdtemp(prefix="pgconf-fix-cluster-", dir=TEMP_PARENT))
    datadir, sockdir, log = base / "data", base / "sock", base / "server.log"
    started = False
    try:
        sockdir.mkdir()
        server.hand_over(base)
        init = server.run(
            "initdb", "-D", str(datadir), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
            cwd=base, timeout=180,
        )  # fmt: skip
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
        errors = []
        for _attempt in range(3):  # another process may take the free port in between
            port = free_port()
            options = {
                "listen_addresses": "127.0.0.1",
                "port": str(port),
                "unix_socket_directories": str(sockdir),
                **(settings or {}),
            }
            opts = " ".join(f"-c {shlex.quote(f'{name}={value}')}" for name, value in options.items())
            start = server.run(
                "pg_ctl", "-D", str(datadir), "-l", str(log), "-w", "-t", "60", "-o", opts, "start",
                cwd=base, timeout=120,
            )  # fmt: skip
            if start.returncode == 0:
                started = True
                break
            log_text = log.read_text(errors="replace") if log.exists() else ""
            errors.append(f"{start.stdout}\n{start.stderr}\n{log_text}")
            time.sleep(0.2)
        if not started:
            raise RuntimeError("pg_ctl start failed:\n" + "\n---\n".join(errors))
        yield Cluster(str(sockdir), port, server.bindir, datadir)
    finally:
        if started:
            stop = server.run("pg_ctl", "-D", str(datadir), "-m", "fast", "-w", "-t", "60", "stop", cwd=base)
            if stop.returncode != 0:
                server.run("pg_ctl", "-D", str(datadir), "-m", "immediate", "-w", "stop", cwd=base)
        shutil.rmtree(base, ignore_errors=True)

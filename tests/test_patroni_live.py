"""A Patroni fix reaches a running cluster: real Patroni, real etcd, real PostgreSQL.

Patroni copies ``bootstrap.dcs`` into the DCS only when it creates a new cluster, and its
local ``postgresql.parameters`` win over the dynamic configuration on a reload
(``pgconf_fix.views.kubernetes.PatroniParameters``). So the test starts a one-node cluster
from a ``patroni.yml`` whose ``tcp_keepalives_idle: 900`` is only in ``bootstrap.dcs``, lets
``pgconf-fix --write`` fix the file, asks Patroni to reload (``POST /reload``, what
``patronictl reload`` sends), and reads ``SHOW tcp_keepalives_idle`` over TCP: 60, and the
DCS still holds 900. A fix that edited ``bootstrap.dcs`` would leave the server at 900.

Needs ``etcd`` (Debian: etcd-server) and a ``patroni`` with etcd3 support runnable by the
server's user; ``.ci/run`` installs both (Patroni into its own venv from the system Python,
found here through ``PGCONF_FIX_PATRONI`` or that venv's default place). Without them the test
is skipped with the reason. Everything binds 127.0.0.1 on free ports under a directory in /tmp.

The same behaviour checked by hand, with the commands and what they printed (Patroni 4.1.5,
etcd 3.4.23, PostgreSQL 15.18), is in ``PatroniParameters``' docstring.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest

from tests.cli_runner import run_cli
from tests.pg_server import SERVER_USER, TEMP_PARENT, PgServer, free_port, pg_server  # noqa: F401

PASSWORD = "patroni-test-secret"
T = TypeVar("T")

PATRONI_YML = """\
scope: keepalive-test
name: node1

restapi:
  listen: 127.0.0.1:{rest}
  connect_address: 127.0.0.1:{rest}

etcd3:
  hosts: 127.0.0.1:{client}

bootstrap:
  dcs:
    ttl: 20
    loop_wait: 1
    retry_timeout: 5
    postgresql:
      parameters:
        tcp_keepalives_idle: 900
        tcp_keepalives_interval: 10
        tcp_keepalives_count: 6
  initdb:
    - encoding: UTF8

postgresql:
  listen: 127.0.0.1:{port}
  connect_address: 127.0.0.1:{port}
  data_dir: {base}/data
  bin_dir: {bindir}
  pgpass: {base}/pgpass
  authentication:
    superuser:
      username: postgres
      password: {password}
    replication:
      username: replicator
      password: {password}-replication
  pg_hba:
    - host all all 127.0.0.1/32 md5
    - host replication replicator 127.0.0.1/32 md5
    - local all all trust
  parameters:
    unix_socket_directories: '{base}'
"""


def patroni_program() -> Path | None:
    """``PGCONF_FIX_PATRONI``, else the venv ``.ci/run`` makes, else ``patroni`` on PATH."""
    override = os.environ.get("PGCONF_FIX_PATRONI")
    if override:
        return Path(override)
    if os.geteuid() == 0:
        cache = Path("/var/cache")
    else:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    default = cache / "pgconf-fix-ci" / "patroni" / "bin" / "patroni"
    if default.is_file():
        return default
    found = shutil.which("patroni")
    return Path(found) if found else None


def _get(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return json.load(answer)
    except (OSError, ValueError, urllib.error.URLError):
        return None


def _show(port: int, name: str) -> str | None:
    try:
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", password=PASSWORD, dbname="postgres",
                             connect_timeout=2) as conn:
            row = conn.execute(f"SHOW {name}").fetchone()
    except psycopg.Error:
        return None
    if row is None:
        return None
    return str(row[0])


def _wait(what: str, probe: Callable[[], T | None], deadline: float) -> T:
    """``probe()``'s first true answer before ``deadline`` (time.monotonic()), else a failure."""
    while time.monotonic() < deadline:
        answer = probe()
        if answer:
            return answer
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


@contextmanager
def _running(argv: list[str], log: Path, env: dict[str, str], user: str | None) -> Iterator[subprocess.Popen]:
    """A process (as ``user`` when given) in its own session, stopped on exit: SIGTERM, and
    SIGKILL to its group if it has not ended 30 s later."""
    as_user = {"user": user, "group": user, "extra_groups": []} if user else {}
    with log.open("ab") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=TEMP_PARENT,
                                   start_new_session=True, **as_user)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


class _PortTaken(Exception):
    """A port chosen free was taken by another process (an xdist worker's server) before etcd,
    Patroni or PostgreSQL bound it: the attempt is run again on new ports."""


def test_fixed_patroni_yml_changes_a_running_cluster(pg_server: PgServer) -> None:  # noqa: F811
    patroni = patroni_program()
    etcd = shutil.which("etcd")
    if patroni is None or not patroni.is_file():
        pytest.skip("no patroni (set PGCONF_FIX_PATRONI, or run .ci/run, which installs patroni[etcd3,psycopg3])")
    if etcd is None:
        pytest.skip("no etcd on PATH (Debian: apt-get install etcd-server)")
    for attempt in range(3):
        try:
            _attempt(pg_server, patroni, etcd, last=attempt == 2)
            return
        except _PortTaken:
            continue


def _attempt(pg_server: PgServer, patroni: Path, etcd: str, last: bool) -> None:  # noqa: F811
    """One run of the test on new free ports; _PortTaken (unless ``last``) when it failed because a
    log says one of them was taken."""
    base = Path(tempfile.mkdtemp(prefix="pgconf-fix-patroni-", dir=TEMP_PARENT))
    client, peer, rest, port = free_port(), free_port(), free_port(), free_port()
    config = base / "config"
    config.mkdir()
    (config / "patroni.yml").write_text(
        PATRONI_YML.format(rest=rest, client=client, port=port, base=base, bindir=pg_server.bindir, password=PASSWORD)
    )
    pg_server.hand_over(base)
    user = SERVER_USER if pg_server.as_root else None
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(base), "LC_ALL": "C"}
    etcd_argv = [
        etcd, "--name", "test", "--data-dir", str(base / "etcd"),
        "--listen-client-urls", f"http://127.0.0.1:{client}", "--advertise-client-urls", f"http://127.0.0.1:{client}",
        "--listen-peer-urls", f"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
        "--initial-cluster", f"test=http://127.0.0.1:{peer}",
    ]  # fmt: skip
    try:
        with _running(etcd_argv, base / "etcd.log", env, user):
            _wait("etcd", lambda: _get(f"http://127.0.0.1:{client}/version"), time.monotonic() + 20)
            with _running([str(patroni), str(config / "patroni.yml")], base / "patroni.log", env, user):
                deadline = time.monotonic() + 60
                _wait("the new cluster's dynamic configuration", lambda: _get(f"http://127.0.0.1:{rest}/config"), deadline)
                assert _wait("PostgreSQL", lambda: _show(port, "tcp_keepalives_idle"), deadline) == "900"

                fixed = run_cli(["--write", "--select", "PGF101", "patroni.yml"], config)
                assert fixed.code == 0, fixed.stdout + fixed.stderr
                pg_server.hand_over(base)
                request = urllib.request.Request(f"http://127.0.0.1:{rest}/reload", method="POST")
                with urllib.request.urlopen(request, timeout=5) as answer:
                    assert answer.status in (200, 202)

                _wait("tcp_keepalives_idle = 60", lambda: _show(port, "tcp_keepalives_idle") == "60",
                      time.monotonic() + 20)  # fmt: skip
                dynamic = _get(f"http://127.0.0.1:{rest}/config") or {}
                assert dynamic["postgresql"]["parameters"]["tcp_keepalives_idle"] == 900  # the DCS is untouched
    except BaseException:
        logs = {log: (base / log).read_text(errors="replace") for log in ("patroni.log", "etcd.log") if (base / log).exists()}
        if not last and any("address already in use" in text.lower() for text in logs.values()):
            raise _PortTaken from None
        for log, text in logs.items():
            print(f"--- {log} ---\n{text[-8000:]}")
        raise
    finally:
        postmaster = base / "data" / "postmaster.pid"
        if postmaster.exists():  # Patroni stops PostgreSQL when it exits; this is for a Patroni that died
            pg_server.run("pg_ctl", "-D", str(base / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)

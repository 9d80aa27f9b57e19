"""The incident, reproduced and cured for real.

A real PostgreSQL sits behind a TLS-terminating proxy that suspends the way a
serverless database does (tests/middlebox.py). The example application
(examples/app, Flask-SQLAlchemy with the incident's SQLALCHEMY_ENGINE_OPTIONS)
takes a pooled connection, the proxy ends the idle session, and the next query
fails with the report's error. After ``pgconf-fix --write`` on the application,
the same scenario succeeds.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.middlebox import SuspendingTlsProxy, make_certificate
from tests.pg_server import PgServer, require_server, temporary_cluster

ROOT = Path(__file__).resolve().parent.parent
INCIDENT_MESSAGE = "SSL connection has been closed unexpectedly"


@pytest.fixture(scope="module")
def proxy() -> Iterator[SuspendingTlsProxy]:
    certs = Path(tempfile.mkdtemp(prefix="pgconf-fix-certs-"))
    try:
        cert, key = make_certificate(certs)
        with temporary_cluster(require_server()) as cluster:
            middlebox = SuspendingTlsProxy(cluster.port, cert, key)
            yield middlebox
            middlebox.close()
    finally:
        shutil.rmtree(certs, ignore_errors=True)


def load_app(directory: Path, database_url: str):  # noqa: ANN201 - the module
    """Import examples/app/tributes.py from ``directory`` as a fresh module (a restarted worker).
    No bytecode is written: a ``__pycache__`` left in examples/ would be part of every tree
    copied from it (tests/golden.py's dumps of ``--write examples/``)."""
    os.environ["DATABASE_URL"] = database_url
    name = f"tributes_{abs(hash((str(directory), database_url, os.urandom(4))))}"
    spec = importlib.util.spec_from_file_location(name, directory / "tributes.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    before, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = before
    return module


def idle_then_query(module, proxy: SuspendingTlsProxy) -> int:  # noqa: ANN001
    """A request, an idle pause that the middlebox ends, and the next request."""
    with module.app.app_context():
        assert module.gallery_size() > 0
        module.db.session.remove()  # the connection goes back to the pool, idle
    proxy.suspend()
    try:
        with module.app.app_context():
            return module.gallery_size()
    finally:
        with module.app.app_context():
            module.db.engine.dispose()


DRIVERS = ["psycopg", "psycopg2"]


@pytest.mark.parametrize("driver", DRIVERS)
def test_incident_reproduced_then_cured_by_the_fix(driver: str, proxy: SuspendingTlsProxy, tmp_path: Path) -> None:
    pytest.importorskip("flask_sqlalchemy")
    pytest.importorskip(driver)
    from sqlalchemy.exc import OperationalError

    app_dir = tmp_path / "app"
    shutil.copytree(ROOT / "examples" / "app", app_dir)
    url = f"postgresql+{driver}://postgres@127.0.0.1:{proxy.port}/postgres?sslmode=require"

    with pytest.raises(OperationalError) as failure:
        idle_then_query(load_app(app_dir, url), proxy)
    assert INCIDENT_MESSAGE in str(failure.value)

    fixed = run_cli(["--write", "--select", "PGF5", str(app_dir)], tmp_path)
    assert fixed.code == 0, fixed.stdout + fixed.stderr
    assert '"pool_pre_ping": True' in (app_dir / "tributes.py").read_text()

    assert idle_then_query(load_app(app_dir, url), proxy) > 0


def test_unpatched_pool_fails_every_time(proxy: SuspendingTlsProxy, tmp_path: Path) -> None:
    """The failure is not a fluke of timing: three rounds, three failures."""
    pytest.importorskip("flask_sqlalchemy")
    from sqlalchemy.exc import OperationalError

    module = load_app(ROOT / "examples" / "app", f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/postgres")
    for _ in range(3):
        with pytest.raises(OperationalError, match=INCIDENT_MESSAGE):
            idle_then_query(module, proxy)


# -- the server side ------------------------------------------------------------------


def _start(server: PgServer, datadir: Path, port: int, log: Path) -> subprocess.CompletedProcess:
    return server.run("pg_ctl", "-D", str(datadir), "-l", str(log), "-w", "-t", "60", "-o",
                      f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={datadir.parent}",
                      "start", cwd=datadir.parent, timeout=120)  # fmt: skip


def _show(server: PgServer, port: int, name: str) -> str:
    result = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres",
                             "-Atc", f"SHOW {name}"], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_real_server_refuses_renegotiation_and_runs_the_patched_file() -> None:
    from tests.pg_server import free_port

    server = require_server()
    base = Path(tempfile.mkdtemp(prefix="pgconf-fix-server-", dir="/tmp"))
    datadir, log = base / "data", base / "server.log"
    started = False
    try:
        server.hand_over(base)
        init = server.run("initdb", "-D", str(datadir), "-U", "postgres", "--auth=trust", "--no-sync",
                          "--no-instructions", cwd=base, timeout=180)  # fmt: skip
        assert init.returncode == 0, init.stderr
        conf = datadir / "postgresql.conf"
        original = conf.read_text()
        conf.write_text(original + "\n# from the 2014 hardening guide\nssl_renegotiation_limit = 512\n")
        port = free_port()
        refused = _start(server, datadir, port, log)
        assert refused.returncode != 0
        assert "ssl_renegotiation_limit" in log.read_text()

        fixed = run_cli(["--write", "--select", "PGF1", str(conf)], base)
        assert fixed.code == 0, fixed.stdout + fixed.stderr
        patched = conf.read_text()
        assert "ssl_renegotiation_limit = 0\n" in patched
        assert "\ntcp_keepalives_idle = 60\t" in patched  # the sample line, uncommented

        started = _start(server, datadir, port, log).returncode == 0
        assert started, log.read_text()
        # Over TCP, SHOW reports what the socket uses (FACTS.md): the patched values.
        assert [_show(server, port, name) for name in ("tcp_keepalives_idle", "tcp_keepalives_interval",
                                                        "tcp_keepalives_count")] == ["60", "10", "6"]
    finally:
        if started:
            server.run("pg_ctl", "-D", str(datadir), "-m", "fast", "-w", "stop", cwd=base)
        shutil.rmtree(base, ignore_errors=True)

"""PGF404's words for Go's lib/pq and node-postgres, held to the drivers themselves.

A throw-away PostgreSQL 15 with ssl on (a self-signed certificate made here) is asked, through
each driver, whether a session opened with a given sslmode is encrypted (``pg_stat_ssl``):

- lib/pq (Debian's golang-github-lib-pq-dev, built with the go tool): no sslmode encrypts
  (its default is require), prefer and allow are refused ("unsupported sslmode"), disable is
  plain. pgconf-fix reports neither the unset sslmode nor says prefer falls back.
- node-postgres (pg 8 from npm, in the cache .ci/run fills): no sslmode is plain TCP; prefer
  and require verify the certificate (a self-signed one is refused), as verify-full does.

Each driver's part skips, with the reason, where the driver is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.lib_pq import lib_pq_session

HERE = Path(__file__).parent
CASE = HERE / "fixtures" / "client" / "sslmode-by-driver" / "before"
NODE_MODULES = Path(os.environ.get("PGCONF_FIX_NODE_MODULES", "/var/cache/pgconf-fix-ci/node/node_modules"))


def _findings() -> dict[str, str]:
    """What pgconf-fix says of each connection of the fixture, by its file and line."""
    outcome = run_cli(["--no-cache", "--select", "PGF404", "--format", "json", "."], CASE)
    return {f"{item['path']}:{item['line']}": item["message"] for item in json.loads(outcome.stdout)}


@pytest.fixture(scope="module")
def tls_cluster():  # noqa: ANN201 - yields a tests.pg_server.Cluster
    from tests.pg_server import require_server, temporary_cluster

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate for a TLS server")
    server = require_server()
    keys = Path(tempfile.mkdtemp(prefix="pgconf-fix-tls-", dir="/tmp"))
    try:
        made = subprocess.run(
            ["openssl", "req", "-new", "-x509", "-days", "2", "-nodes", "-subj", "/CN=localhost",
             "-keyout", str(keys / "server.key"), "-out", str(keys / "server.crt")],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        (keys / "server.key").chmod(0o600)
        server.hand_over(keys)
        settings = {"ssl": "on", "ssl_cert_file": str(keys / "server.crt"), "ssl_key_file": str(keys / "server.key")}
        with temporary_cluster(server, settings) as cluster:
            yield cluster
    finally:
        shutil.rmtree(keys, ignore_errors=True)


def _url(cluster, query: str) -> str:  # noqa: ANN001
    return f"postgres://postgres@127.0.0.1:{cluster.port}/postgres{query}"


def test_lib_pq_encrypts_by_default_and_refuses_prefer(tls_cluster, tmp_path: Path) -> None:  # noqa: ANN001
    run = lib_pq_session(tmp_path)

    def session(query: str) -> str:
        return run(_url(tls_cluster, query))

    assert session("") == "true"
    assert session("?sslmode=prefer").startswith('error: pq: unsupported sslmode "prefer"')
    assert session("?sslmode=allow").startswith('error: pq: unsupported sslmode "allow"')
    assert session("?sslmode=disable") == "false"
    said = _findings()
    assert "main.go:10" not in said  # no sslmode: lib/pq requires TLS
    assert "refuses to connect with sslmode=prefer" in said["main.go:11"]
    assert "travel unencrypted" in said["main.go:12"]


def test_node_postgres_is_plain_by_default_and_verifies_with_prefer(tls_cluster) -> None:  # noqa: ANN001
    if shutil.which("node") is None or not (NODE_MODULES / "pg").is_dir():
        pytest.skip(f"node or node-postgres (npm's pg in {NODE_MODULES}) is not installed")
    urls = [_url(tls_cluster, query) for query in ("", "?sslmode=prefer", "?sslmode=require", "?sslmode=disable")]
    done = subprocess.run(
        ["node", str(HERE / "sslmode_drivers" / "node_pg.js"), *urls],
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    plain, prefer, require, disable = (json.loads(line) for line in done.stdout.splitlines())
    assert plain is False and disable is False
    assert "self-signed certificate" in prefer and "self-signed certificate" in require
    said = _findings()
    assert "connects without TLS" in said["web/db.js:3"]
    assert "reads sslmode=prefer as verify-full" in said["web/db.js:4"]

"""``--live DSN`` against a real server started with a known bad configuration."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from pgconf_fix.redact import redact
from tests.cli_runner import run_cli
from tests.pg_server import free_port, psql_path, require_server, temporary_cluster

PASSWORD = "Corr3ct-horse"
VIEWER_PASSWORD = "v1ewer-Pass"


class BadServer(NamedTuple):
    port: int
    datadir: Path

    def dsn(self, user: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/postgres"


def _psql(cluster, sql: str) -> None:  # noqa: ANN001 - tests.pg_server.Cluster
    program = psql_path(cluster.bindir)
    assert program
    done = subprocess.run(
        [program, "-h", cluster.host, "-p", str(cluster.port), "-U", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1",
         "-c", sql],
        capture_output=True, text=True, cwd="/tmp", timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def bad_server() -> Iterator[BadServer]:
    server = require_server()
    with temporary_cluster(server) as cluster:
        datadir = Path(cluster.datadir)
        conf = datadir / "postgresql.conf"
        with conf.open("a") as handle:
            handle.write("\n# test: known bad settings\ntcp_keepalives_idle = 0\ninclude_dir 'conf.d'\n")
        (datadir / "conf.d").mkdir()
        (datadir / "conf.d" / "20-count.conf").write_text("# probes\ntcp_keepalives_count = 20\n")
        hba = datadir / "pg_hba.conf"
        hba.write_text(
            "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
        )
        server.hand_over(datadir)
        _psql(cluster, f"ALTER ROLE postgres PASSWORD '{PASSWORD}'")
        _psql(cluster, f"CREATE ROLE viewer LOGIN PASSWORD '{VIEWER_PASSWORD}'")
        _psql(cluster, "SELECT pg_reload_conf()")
        yield BadServer(cluster.port, datadir)


def _json(outcome) -> list[dict]:  # noqa: ANN001
    return json.loads(outcome.stdout)


def test_findings_point_at_the_servers_files_and_lines(bad_server: BadServer, tmp_path: Path) -> None:
    outcome = run_cli(["--live", bad_server.dsn(), "--format", "json"], tmp_path)
    assert outcome.code == 1, outcome.stderr
    found = {item["code"]: item for item in _json(outcome)}
    conf_lines = (bad_server.datadir / "postgresql.conf").read_text().splitlines()
    idle_line = next(i for i, line in enumerate(conf_lines, 1) if line.startswith("tcp_keepalives_idle = 0"))
    # No paths given: reported at the DSN, saying where the server read the value.
    assert found["PGF101"]["path"] == bad_server.dsn(password="***")
    assert found["PGF101"]["line"] == 1
    assert f"{bad_server.datadir}/postgresql.conf:{idle_line}" in found["PGF101"]["message"]
    assert f"{bad_server.datadir}/conf.d/20-count.conf:2" in found["PGF103"]["message"]
    assert found["PGF101"]["fix"] is None
    # tcp_keepalives_interval is the default 0 (unset): also a finding, from the server's default.
    assert "default" in found["PGF102"]["message"]
    assert PASSWORD not in outcome.stdout + outcome.stderr


def test_config_directory_given_gets_fixes(bad_server: BadServer, tmp_path: Path) -> None:
    mirror = tmp_path / "etc" / bad_server.datadir.name
    mirror.mkdir(parents=True)
    shutil.copy(bad_server.datadir / "postgresql.conf", mirror / "postgresql.conf")
    shutil.copytree(bad_server.datadir / "conf.d", mirror / "conf.d")
    outcome = run_cli(["--live", bad_server.dsn(), "etc"], tmp_path)
    assert outcome.code == 1, outcome.stderr
    conf_lines = (mirror / "postgresql.conf").read_text().splitlines()
    idle_line = next(i for i, line in enumerate(conf_lines, 1) if line.startswith("tcp_keepalives_idle = 0"))
    assert f"etc/data/postgresql.conf:{idle_line}:1: PGF101" in outcome.stdout
    assert "etc/data/conf.d/20-count.conf:2:1: PGF103" in outcome.stdout
    diff = run_cli(["--live", bad_server.dsn(), "--diff", "etc"], tmp_path)
    assert diff.code == 1, diff.stderr
    assert "+tcp_keepalives_idle = 60" in diff.stdout
    assert "+tcp_keepalives_count = 6" in diff.stdout
    assert "+tcp_keepalives_interval = 10" in diff.stdout  # the default, written into the server's own file
    patch = tmp_path / "fix.patch"
    patch.write_bytes(diff.stdout_bytes)
    subprocess.run(["git", "apply", "--check", str(patch)], cwd=tmp_path, check=True)
    assert PASSWORD not in diff.stdout + diff.stderr


def test_role_without_privilege_gets_a_note_not_an_error(bad_server: BadServer, tmp_path: Path) -> None:
    outcome = run_cli(["--live", bad_server.dsn("viewer", VIEWER_PASSWORD), "--format", "json"], tmp_path)
    assert outcome.code == 1, outcome.stderr
    assert outcome.stderr.count("pg_read_all_settings") == 1
    assert all(item["path"].startswith("postgresql://viewer:***@") for item in _json(outcome))
    assert VIEWER_PASSWORD not in outcome.stdout + outcome.stderr


def test_wrong_password_is_a_clear_error_without_the_password(bad_server: BadServer, tmp_path: Path) -> None:
    wrong = "Wr0ng-secret-xyz"
    for dsn in (
        bad_server.dsn(password=wrong),
        f"host=127.0.0.1 port={bad_server.port} user=postgres password={wrong} dbname=postgres",
    ):
        outcome = run_cli(["--live", dsn], tmp_path)
        assert outcome.code == 2
        assert "refused the password" in outcome.stderr
        assert "Traceback" not in outcome.stderr
        assert wrong not in outcome.stdout + outcome.stderr


def test_refused_port_exits_2(tmp_path: Path) -> None:
    outcome = run_cli(["--live", f"postgresql://postgres:{PASSWORD}@127.0.0.1:{free_port()}/postgres"], tmp_path)
    assert outcome.code == 2
    assert "connection refused" in outcome.stderr
    assert PASSWORD not in outcome.stderr


def test_silent_server_times_out(tmp_path: Path) -> None:
    with socket.socket() as listener:  # accepts TCP (the kernel does) but never speaks
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        outcome = run_cli(["--live", f"host=127.0.0.1 port={port} user=x", "--live-timeout", "2"], tmp_path)
    assert outcome.code == 2
    assert "no answer within 2 s" in outcome.stderr


def test_missing_psycopg_is_an_install_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now raises ImportError
    outcome = run_cli(["--live", "host=127.0.0.1 password=hunter2"], tmp_path)
    assert outcome.code == 2
    assert "pip install 'pgconf-fix[live]'" in outcome.stderr
    assert "hunter2" not in outcome.stderr


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://u:p%40ss@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("postgres://u@h/db?sslmode=require&password=x", "postgres://u@h/db?sslmode=require&password=***"),
        ("host=h user=u password='a b\\' c' dbname=d", "host=h user=u password=*** dbname=d"),
        ("host=h password = secret", "host=h password = ***"),
        ("postgresql://h/db", "postgresql://h/db"),
    ],
)
def test_redact(dsn: str, shown: str) -> None:
    assert redact(dsn) == shown


def test_local_file_that_differs_from_the_server_says_so(bad_server: BadServer, tmp_path: Path) -> None:
    mirror = tmp_path / bad_server.datadir.name
    mirror.mkdir()
    (mirror / "conf.d").mkdir()
    (mirror / "conf.d" / "20-count.conf").write_text("# probes\ntcp_keepalives_count = 12\n")
    outcome = run_cli(["--live", bad_server.dsn(), str(mirror / "conf.d")], tmp_path)
    assert "the server runs with 20; the file now says 12" in outcome.stdout


def test_timeout_must_be_positive(tmp_path: Path) -> None:
    outcome = run_cli(["--live", "host=127.0.0.1", "--live-timeout", "0"], tmp_path)
    assert outcome.code == 2 and "--live-timeout" in outcome.stderr

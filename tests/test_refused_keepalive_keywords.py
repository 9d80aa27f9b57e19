"""libpq's keepalive keywords in a URL a Go driver, asyncpg or node-postgres reads.

- lib/pq (Debian's golang-github-lib-pq-dev 1.10.7, built with the go tool against a throw-away
  server) sends every keyword it does not read to the server as a run-time setting, and the
  server refuses the connection: each of the four keepalive keywords alone is refused by name
  (``tcp_user_timeout`` is taken: the server has a parameter of that name). So pgconf-fix says PGF001 there (lib/pq and pgx, whose pgconn passes the same
  keywords on as RuntimeParams), and not PGF402: ``keepalives=0`` switches nothing off.
- asyncpg 0.32 sends them to the server from its own DSN (refused), and SQLAlchemy's asyncpg
  dialect hands them to connect() as keywords (TypeError): PGF001 in each reader's words.
- node-postgres ignores them (tests/test_image_readers.py runs it): no PGF402 either.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.lib_pq import lib_pq_session

GO_FILE = """package main

import (
\t"database/sql"

\t_ "{driver}"
)

func open() (*sql.DB, error) {{
\treturn sql.Open("postgres", "postgres://app@db.example.com:5432/app?sslmode=require{query}")
}}
"""


@pytest.fixture(scope="module")
def cluster():  # noqa: ANN201 - yields a tests.pg_server.Cluster
    from tests.pg_server import require_server, temporary_cluster

    with temporary_cluster(require_server()) as running:
        yield running


def _findings(tmp_path: Path, name: str, text: str) -> list[dict]:
    (tmp_path / name).write_text(text)
    outcome = run_cli(["--no-cache", "--format", "json", "."], tmp_path)
    assert outcome.code in (0, 1), outcome.stderr
    return json.loads(outcome.stdout)


def test_lib_pq_sends_each_tcp_keyword_to_the_server_which_refuses_it(cluster, tmp_path: Path) -> None:  # noqa: ANN001
    run = lib_pq_session(tmp_path)
    url = f"postgres://postgres@127.0.0.1:{cluster.port}/postgres?sslmode=disable&connect_timeout=10"

    def session(query: str) -> str:
        return run(url + query)

    assert session("") == "false"  # connects (plain TCP)
    for keyword in ("keepalives=0", "keepalives_idle=60", "keepalives_interval=10", "keepalives_count=6"):
        name = keyword.split("=")[0]
        assert session("&" + keyword) == f'error: pq: unrecognized configuration parameter "{name}"'
    # tcp_user_timeout is sent the same way, but the server has a parameter of that name (12+):
    # it connects, the server applying it to its own end. Not a refusal, so not judged as one.
    assert session("&tcp_user_timeout=10000") == "false"


@pytest.mark.parametrize(("driver", "consumer"), [("github.com/lib/pq", "lib/pq"), ("github.com/jackc/pgx/v5/stdlib", "pgx")])
def test_a_go_url_with_tcp_keywords_is_pgf001_not_pgf402(tmp_path: Path, driver: str, consumer: str) -> None:
    found = _findings(tmp_path, "db.go", GO_FILE.format(driver=driver, query="&keepalives=0"))
    assert [item["code"] for item in found] == ["PGF001"], found
    assert found[0]["message"].startswith(f"connection to db.example.com ({consumer}): keepalives: {consumer} does not read")
    assert 'unrecognized configuration parameter "keepalives"' in found[0]["message"]
    assert found[0]["fix"] is None


def test_several_keywords_are_one_finding_at_the_first(tmp_path: Path) -> None:
    text = GO_FILE.format(driver="github.com/lib/pq", query="&keepalives_idle=60&keepalives_count=6")
    found = _findings(tmp_path, "db.go", text)
    assert [(item["code"], item["column"]) for item in found] == [("PGF001", text.splitlines()[9].index("keepalives_idle") + 1)]
    assert "keepalives_idle, keepalives_count: lib/pq" in found[0]["message"]
    assert "naming one of them" in found[0]["message"]


def test_a_go_url_without_them_is_not_refused(tmp_path: Path) -> None:
    assert _findings(tmp_path, "db.go", GO_FILE.format(driver="github.com/lib/pq", query="&connect_timeout=10")) == []


def test_node_postgres_keepalives_0_is_no_pgf402(tmp_path: Path) -> None:
    text = 'const { Pool } = require("pg");\nconst pool = new Pool({ connectionString: "postgres://app@db.example.com/app?sslmode=require&keepalives=0" });\n'
    found = _findings(tmp_path, "index.js", text)
    assert [item["code"] for item in found] == ["PGF401"], found  # keepAlive off in node-postgres, as without the keyword


def test_libpq_keepalives_0_is_still_pgf402(tmp_path: Path) -> None:
    text = 'import psycopg\n\nconn = psycopg.connect("postgresql://app@db.example.com/app?sslmode=require&keepalives=0")\n'
    found = _findings(tmp_path, "db.py", text)
    assert "PGF402" in [item["code"] for item in found], found


def test_asyncpg_refuses_them_in_its_own_dsn_and_through_sqlalchemy(cluster) -> None:  # noqa: ANN001
    """asyncpg 0.32 sends a libpq keepalive keyword in its DSN to the server, which refuses the
    connection; SQLAlchemy's asyncpg dialect hands it to connect() as a keyword: TypeError.
    tcp_user_timeout connects (a server parameter)."""
    import asyncio

    import asyncpg
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    base = f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres?sslmode=disable"

    async def own(query: str) -> str:
        try:
            connection = await asyncpg.connect(base + query)
        except Exception as exc:  # noqa: BLE001 - the driver's answer is what is compared
            return f"{type(exc).__name__}: {exc}"
        await connection.close()
        return "connected"

    async def through_sqlalchemy(query: str) -> str:
        engine = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{cluster.port}/postgres?{query}")
        try:
            async with engine.connect() as connection:
                await connection.execute(text("select 1"))
        except Exception as exc:  # noqa: BLE001
            return f"{type(exc).__name__}: {exc}"
        finally:
            await engine.dispose()
        return "connected"

    assert asyncio.run(own("")) == "connected"
    assert asyncio.run(own("&keepalives_idle=60")) == 'UndefinedObjectError: unrecognized configuration parameter "keepalives_idle"'
    assert asyncio.run(own("&tcp_user_timeout=1000")) == "connected"
    assert asyncio.run(through_sqlalchemy("keepalives_idle=60")) == (
        "TypeError: connect() got an unexpected keyword argument 'keepalives_idle'"
    )


ASYNCPG_CALL = 'import asyncpg\n\n\nasync def main():\n    return await asyncpg.connect("postgresql://app@db.example.com/app?sslmode=require&keepalives_idle=60")\n'
SQLALCHEMY_ASYNCPG = (
    "from sqlalchemy.ext.asyncio import create_async_engine\n\n"
    'engine = create_async_engine("postgresql+asyncpg://app@db.example.com/app?ssl=require&keepalives_idle=60", '
    "pool_pre_ping=True, pool_recycle=240)\n"
)


def test_asyncpg_urls_with_them_are_pgf001_in_each_readers_words(tmp_path: Path) -> None:
    (tmp_path / "own").mkdir()
    own = [item for item in _findings(tmp_path / "own", "db.py", ASYNCPG_CALL) if item["code"] == "PGF001"]
    assert len(own) == 1 and "its connect() sends them to the server as startup parameters" in own[0]["message"], own
    (tmp_path / "sqla").mkdir()
    sqla = [item for item in _findings(tmp_path / "sqla", "db.py", SQLALCHEMY_ASYNCPG) if item["code"] == "PGF001"]
    assert len(sqla) == 1 and "TypeError: connect() got an unexpected keyword argument 'keepalives_idle'" in sqla[0]["message"], sqla

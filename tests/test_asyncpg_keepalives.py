"""asyncpg has no client keepalives: PGF401's (unsafe) fix sets the server side of each session
through connect_args server_settings. Checked on a real server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.pg_server import require_server, temporary_cluster

FIXTURE = Path(__file__).parent / "fixtures" / "python" / "asyncpg-server-settings-unsafe"


def test_patched_asyncpg_engines_set_keepalives_on_the_server() -> None:
    pytest.importorskip("asyncpg")
    pytest.importorskip("sqlalchemy.ext.asyncio")
    from sqlalchemy import text

    patched = (FIXTURE / "after" / "engines.py").read_text()
    assert "tcp_keepalives_idle" not in (FIXTURE / "before" / "engines.py").read_text()
    with temporary_cluster(require_server()) as cluster:
        # The fixture names a remote host; point the very same code at the test server.
        code = patched.replace("app@db.example.com/app", f"postgres@127.0.0.1:{cluster.port}/postgres")
        namespace: dict = {}
        exec(compile(code, "engines.py", "exec"), namespace)

        async def show(engine) -> list[str]:  # noqa: ANN001
            async with engine.connect() as conn:
                values = [
                    (await conn.execute(text(f"SHOW {name}"))).scalar_one()
                    for name in ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")
                ]
            await engine.dispose()
            return values

        for name in ("plain", "with_args", "partial"):
            assert asyncio.run(show(namespace[name])) == ["60", "10", "6"], name


CALLS = Path(__file__).parent / "fixtures" / "python" / "asyncpg-connect-server-settings-unsafe"


def test_asyncpg_calls_take_server_settings_and_refuse_libpq_keywords() -> None:
    """asyncpg.connect()/create_pool() read their DSN themselves: the libpq keepalive keywords a
    URL fix would add reach the server as startup parameters, which it refuses; the fixture's
    after/ sets the server side through server_settings instead."""
    asyncpg = pytest.importorskip("asyncpg")
    with temporary_cluster(require_server()) as cluster:
        here = f"postgres@127.0.0.1:{cluster.port}/postgres"
        code = (CALLS / "after" / "db.py").read_text().replace("app@db.example.com/app", here)
        namespace: dict = {}
        exec(compile(code, "db.py", "exec"), namespace)

        async def show(connection) -> list[str]:  # noqa: ANN001
            return [await connection.fetchval(f"SHOW {name}")
                    for name in ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")]

        async def run() -> dict[str, list[str]]:
            found = {}
            for name in ("connect", "tuned"):
                connection = await namespace[name]()
                found[name] = await show(connection)
                await connection.close()
            pool = await namespace["pool"]()
            async with pool.acquire() as connection:
                found["pool"] = await show(connection)
            await pool.close()
            return found

        assert asyncio.run(run()) == {name: ["60", "10", "6"] for name in ("connect", "tuned", "pool")}

        async def with_libpq_keywords() -> None:
            await asyncpg.connect(f"postgresql://{here}?keepalives=1&keepalives_idle=60")

        with pytest.raises(asyncpg.exceptions.UndefinedObjectError, match='unrecognized configuration parameter "keepalives"'):
            asyncio.run(with_libpq_keywords())

"""asyncpg has no client keepalives: PGF401's (unsafe) fix sets the server side of each session
through connect_args server_settings. Checked on a real server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
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


SHARED = Path(__file__).parent / "fixtures" / "python" / "asyncpg-dsn-module-constant-unsafe"


def test_a_module_dsn_shared_by_awaited_calls_gets_keepalives_in_each_and_sslmode_asyncpg_reads() -> None:
    """The fixture's DSN is the module's and its three calls are in functions: after/ adds
    server_settings to each (one had tcp_keepalives_interval already) and sslmode=require to
    the DSN, which asyncpg's own parser reads (a server without TLS is then refused); ssl=require,
    what PGF404 advised before for every asyncpg connection, is sent to the server, which refuses it."""
    asyncpg = pytest.importorskip("asyncpg")
    with temporary_cluster(require_server()) as cluster:
        here = f"postgres@127.0.0.1:{cluster.port}/postgres"
        patched = (SHARED / "after" / "db.py").read_text().replace("app@db.example.com/app", here)
        assert f"{here}?sslmode=require" in patched

        def load(code: str) -> dict:
            namespace: dict = {}
            exec(compile(code, "db.py", "exec"), namespace)
            return namespace

        async def show(connection: object) -> list[str]:
            return [await connection.fetchval(f"SHOW {name}")
                    for name in ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")]

        async def run(namespace: dict) -> dict[str, list[str]]:
            found = {}
            for name in ("connect", "tuned"):
                connection = await namespace[name]()
                found[name] = await show(connection)
                await connection.close()
            pool = await namespace["Store"]().open()
            async with pool.acquire() as connection:
                found["pool"] = await show(connection)
            await pool.close()
            return found

        with pytest.raises(ConnectionError, match="rejected SSL upgrade"):
            asyncio.run(load(patched)["connect"]())
        plain = load(patched.replace("?sslmode=require", "?sslmode=disable"))
        assert asyncio.run(run(plain)) == {name: ["60", "10", "6"] for name in ("connect", "tuned", "pool")}

        async def with_ssl_keyword() -> None:
            await asyncpg.connect(f"postgresql://{here}?ssl=require")

        with pytest.raises(asyncpg.exceptions.CantChangeRuntimeParamError, match='parameter "ssl" cannot be changed now'):
            asyncio.run(with_ssl_keyword())


MODULE_DSN = 'import asyncpg\n\nDSN = "postgresql://app@db.example.com/app"\n\n'


@pytest.mark.parametrize(
    "code",
    [
        "async def connect(DSN):\n    return await asyncpg.connect(DSN)\n",
        "def reset():\n    global DSN\n    DSN = 'postgresql://other@db.example.com/app'\n\n\nasync def connect():\n    return await asyncpg.connect(DSN)\n",
        "async def connect(env):\n    DSN = env.get('DATABASE_URL')\n    if not DSN:\n        DSN = env['PGURL']\n    return await asyncpg.connect(DSN)\n",
        "connect = lambda DSN: asyncpg.connect(DSN)\n",
    ],
    ids=["parameter", "global-statement", "local-assignment", "lambda"],
)
def test_a_name_the_function_may_bind_itself_is_not_the_module_dsn(code: str, tmp_path: Path) -> None:
    """Where the call's DSN is a parameter, a local, a lambda's argument, or a name some function
    rebinds with ``global``, the module's string is not what asyncpg gets: it is not judged as asyncpg's."""
    (tmp_path / "db.py").write_text(MODULE_DSN + code)
    outcome = run_cli(["--no-cache", "--select", "PGF401", "--format", "json", "."], tmp_path)
    described = {finding["message"].split(":")[0] for finding in json.loads(outcome.stdout)}
    assert described == {"connection to db.example.com"}  # no "(asyncpg)": the string is not known to be its DSN
    assert "server_settings" not in outcome.stdout


def test_a_method_sees_the_module_dsn_not_its_class_attribute(tmp_path: Path) -> None:
    """A class body is no enclosing scope of its methods: a bare DSN there is the module's."""
    code = "class Store:\n    DSN = 'postgresql://other@other.example.com/app'\n\n    async def open(self):\n        return await asyncpg.create_pool(DSN)\n"
    (tmp_path / "db.py").write_text(MODULE_DSN + code)
    outcome = run_cli(["--no-cache", "--select", "PGF401", "--format", "json", "."], tmp_path)
    by_host = {finding["message"].split(":")[0]: finding for finding in json.loads(outcome.stdout)}
    assert set(by_host) == {"connection to db.example.com (asyncpg)", "connection to other.example.com"}
    edits = by_host["connection to db.example.com (asyncpg)"]["fix"]["edits"]
    assert "server_settings=" in "".join(edit["content"] for edit in edits)


@pytest.mark.parametrize(
    ("dependencies", "reader"),
    [
        ('["asyncpg>=0.29"]', "asyncpg"),
        ('["sqlalchemy[postgresql-asyncpg]>=2"]', "asyncpg"),
        ('["asyncpg>=0.29", "psycopg[binary]>=3.1"]', None),
        ('["asyncpg", "pg8000"]', None),
        ('["fastapi"]', None),
    ],
)
def test_a_url_outside_the_code_is_asyncpg_s_where_the_manifest_names_no_other_driver(
    dependencies: str, reader: str | None, tmp_path: Path
) -> None:
    """A .env URL of a project whose pyproject names asyncpg and no libpq driver nor pg8000 is
    read by asyncpg (directly or through SQLAlchemy): no libpq keyword is offered for it (asyncpg
    sends them to the server, which refuses them: the tests above). With another driver named,
    or none, its reader is not known, as before."""
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://api@orders-db.example.com/orders\n")
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "orders"\nversion = "1"\ndependencies = {dependencies}\n')
    outcome = run_cli(["--no-cache", "--unsafe-fixes", "--format", "json", "."], tmp_path)
    findings = json.loads(outcome.stdout)
    assert [finding["code"] for finding in findings] == ["PGF401", "PGF404"]
    if reader == "asyncpg":
        assert all(finding["message"].startswith("connection to orders-db.example.com (asyncpg") for finding in findings)
        assert [finding["fix"] for finding in findings] == [None, None]
    else:
        assert "(asyncpg" not in outcome.stdout
        assert "keepalives=1&keepalives_idle=60" in findings[0]["fix"]["edits"][0]["content"]


def test_calls_sharing_a_dsn_are_judged_by_the_longest_idle(tmp_path: Path) -> None:
    """Two awaited calls on one module DSN, each with server_settings: the pool's 7200 is reported
    (and fixed where it is written) though the later connect's 60 would pass."""
    code = (
        "async def pool():\n    return await asyncpg.create_pool(DSN, server_settings={'tcp_keepalives_idle': '7200'})\n\n\n"
        "async def one():\n    return await asyncpg.connect(DSN, server_settings={'tcp_keepalives_idle': '60'})\n"
    )
    (tmp_path / "db.py").write_text(MODULE_DSN + code)
    found = json.loads(run_cli(["--no-cache", "--select", "PGF401", "--format", "json", "."], tmp_path).stdout)
    (idle,) = [finding for finding in found if "7200" in finding["message"]]
    assert idle["line"] == 6, idle
    swapped = code.replace("'7200'", "'X'").replace("'60'", "'7200'").replace("'X'", "'60'")
    (tmp_path / "db.py").write_text(MODULE_DSN + swapped)
    found = json.loads(run_cli(["--no-cache", "--select", "PGF401", "--format", "json", "."], tmp_path).stdout)
    (idle,) = [finding for finding in found if "7200" in finding["message"]]
    assert idle["line"] == 10, idle

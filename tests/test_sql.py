"""SQL files: the patched SQL of every fixture runs on a real server, which must end up
with the values the tool believes the file sets (and refuse what the tool calls PGF001/PGF104).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pgconf_fix.guc_values import parse_int
from pgconf_fix.documents.sql import DATABASE, ROLE, SESSION, SYSTEM
from pgconf_fix.layers import sql as sql_layer
from pgconf_fix.source import SourceFile
from pgconf_fix.guc_catalog import INTEGER_PARAMETERS
from pgconf_fix.views.sql import StatementTarget, build_sql_views
from pgconf_fix.workspace import Workspace
from tests.cli_runner import run_cli
from tests.pg_server import Cluster, psql_path, require_server, temporary_cluster

FIXTURES = Path(__file__).parent / "fixtures" / "sql"
# Named-query libraries (documents.sql): their application runs each statement after filling in
# its own placeholders, which psql would send as written; here, what the application puts there.
NAMED_QUERY_LIBRARIES = {"named-query-library": {"%order%": "name"}}
CASES = sorted(path.parent for path in FIXTURES.glob("*/before") if path.parent.name not in NAMED_QUERY_LIBRARIES)
KEYS = ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")


@pytest.fixture(scope="module")
def cluster():  # noqa: ANN201 - a generator fixture
    with temporary_cluster(require_server()) as running:
        yield running


def psql(cluster: Cluster, sql: str, *extra: str) -> subprocess.CompletedProcess:
    """Run SQL over TCP (keepalive settings show their value only there), stopping at the first error."""
    program = psql_path(cluster.bindir)
    assert program, "psql not found"
    argv = [program, "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-d", "postgres", "-X", "-q"]
    argv += ["-v", "ON_ERROR_STOP=1", "-At", "-F", "|", "-f", "-", *extra]
    return subprocess.run(argv, input=sql, capture_output=True, text=True, cwd="/tmp", timeout=60, env={"LC_ALL": "C"})


def query(cluster: Cluster, sql: str) -> list[list[str]]:
    done = psql(cluster, sql)
    assert done.returncode == 0, done.stderr
    return [line.split("|") for line in done.stdout.splitlines() if line]


def reset(cluster: Cluster) -> None:
    query(
        cluster,
        "ALTER SYSTEM RESET ALL;\n"
        "DROP DATABASE IF EXISTS appdb;\n"
        "DROP ROLE IF EXISTS app;\n"
        "ALTER ROLE postgres RESET ALL;\n"
        "ALTER DATABASE postgres RESET ALL;\n"
        "DROP SCHEMA public CASCADE;\n"
        "CREATE SCHEMA public;\n",
    )


def model(path: Path) -> tuple[dict[StatementTarget, dict[str, str | None]], bool]:
    """What the tool believes the file sets, per target, and whether it says the server refuses the file."""
    source = SourceFile.from_bytes(path, path.name, path.read_bytes())
    views = build_sql_views(Workspace(path.parent), [source], None)
    values: dict[StatementTarget, dict[str, str | None]] = {}
    for view in views:
        if view.target is None:
            continue
        values[view.target] = {
            key: (assignment.value if (assignment := view.effective(key)) else None) for key in KEYS
        }
    refused = any(  # PGF104: ALTER SYSTEM refuses this parameter on the server under test
        statement.target == SYSTEM and statement.name == "ssl_renegotiation_limit" and not statement.resets
        for statement in views[0].document.statements
    )
    return values, refused or any(view.problems for view in views)


def server_values(cluster: Cluster) -> dict[StatementTarget, dict[str, str | None]]:
    found: dict[StatementTarget, dict[str, str | None]] = {}
    for name, setting in query(
        cluster, "SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf'"
    ):
        found.setdefault(StatementTarget(SYSTEM), {})[name] = setting
    rows = query(
        cluster,
        "SELECT coalesce(d.datname, ''), coalesce(r.rolname, ''), unnest(s.setconfig) FROM pg_db_role_setting s "
        "LEFT JOIN pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_roles r ON r.oid = s.setrole",
    )
    for database, role, item in rows:
        name, _, value = item.partition("=")
        target = StatementTarget(ROLE, database or None, role) if role else StatementTarget(DATABASE, database)
        found.setdefault(target, {})[name] = value
    return found


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_patched_sql_runs_on_the_server(case: Path, cluster: Cluster) -> None:
    tree = case / "after" if (case / "after").exists() else case / "before"
    for path in sorted(tree.rglob("*.sql")):
        if sql_layer.for_another_database(path):
            continue  # MySQL's, CockroachDB's...: not read (test_scripts_of_other_databases_are_not_read)
        reset(cluster)
        believed, rejected = model(path)
        text = path.read_text("utf-8")
        session_keys = [key for key in KEYS if believed.get(StatementTarget(SESSION), {}).get(key) is not None]
        show = "".join(f"SELECT '{key}', setting FROM pg_settings WHERE name = '{key}';\n" for key in session_keys)
        done = psql(cluster, text + "\n" + show)
        if rejected:
            assert done.returncode != 0, f"{path}: the tool says the server refuses it, the server ran it:\n{done.stdout}"
            continue
        assert done.returncode == 0, f"{path}: {done.stderr}"
        sessions = dict(line.split("|", 1) for line in done.stdout.splitlines() if line.startswith("tcp_keepalives"))
        on_server = server_values(cluster)
        for target, values in believed.items():
            if target.kind == SESSION:
                for key in session_keys:
                    assert int(sessions[key]) == parse_int(values[key] or "", INTEGER_PARAMETERS[key]), key
                continue
            if target.kind not in (SYSTEM, DATABASE, ROLE):
                continue  # SET LOCAL outside a transaction block is gone when the statement ends
            for key in KEYS:
                assert on_server.get(target, {}).get(key) == values[key], f"{path}: {target.describe()} {key}"
    reset(cluster)


@pytest.mark.parametrize("name", sorted(NAMED_QUERY_LIBRARIES))
def test_named_query_library_runs_once_its_application_fills_it_in(name: str, cluster: Cluster) -> None:
    """As written the server refuses a statement of the library (which the tool does not call
    PGF001); filled in as its application fills it, every statement runs, and the fixed session
    setting is the one the tool writes."""
    case = FIXTURES / name
    table = "CREATE TABLE accounts (id int, name text);\n"
    show = "SELECT setting FROM pg_settings WHERE name = 'tcp_keepalives_idle';\n"
    for tree in ("before", "after"):
        for path in sorted((case / tree).rglob("*.sql")):
            text = path.read_text("utf-8")
            reset(cluster)
            assert psql(cluster, table + text).returncode != 0, f"{path}: the server runs it as written"
            for placeholder, value in NAMED_QUERY_LIBRARIES[name].items():
                text = text.replace(placeholder, value)
            reset(cluster)
            done = psql(cluster, table + text + "\n" + show)
            assert done.returncode == 0, f"{path}: {done.stderr}"
            assert done.stdout.split() == ["7200" if tree == "before" else "60"], done.stdout
    reset(cluster)


def test_alter_system_renegotiation_is_refused_and_the_fix_runs(cluster: Cluster) -> None:
    case = FIXTURES / "alter-system-ssl-renegotiation-15"
    reset(cluster)
    before = psql(cluster, (case / "before/docker-entrypoint-initdb.d/10-ssl.sql").read_text())
    assert before.returncode != 0
    assert 'parameter "ssl_renegotiation_limit" cannot be changed' in before.stderr
    reset(cluster)
    after = psql(cluster, (case / "after/docker-entrypoint-initdb.d/10-ssl.sql").read_text())
    assert after.returncode == 0, after.stderr
    assert server_values(cluster)[StatementTarget(SYSTEM)] == {"tcp_keepalives_idle": "60"}
    reset(cluster)


def test_session_set_of_nonzero_renegotiation_is_refused(cluster: Cluster) -> None:
    case = FIXTURES / "set-ssl-renegotiation-nonzero-15"
    reset(cluster)
    before = psql(cluster, (case / "before/migration.sql").read_text())
    assert before.returncode != 0 and "outside the valid range" in before.stderr
    reset(cluster)


def test_claim_needs_sql_suffix_and_the_word_set() -> None:
    assert sql_layer.claim(Path("m/001.sql"), lambda: b"alter system\n\tSET x = 1;")
    assert sql_layer.claim(Path("m/001.SQL"), lambda: b"update t set a = 1;")
    assert not sql_layer.claim(Path("m/001.sql"), lambda: b"CREATE TABLE settings (offset int);")
    assert not sql_layer.claim(Path("m/001.txt"), lambda: b"SET x = 1;")


def test_scripts_of_other_databases_are_not_read(cluster: Cluster) -> None:
    """pop runs ``<version>_<name>.<dialect>.up.sql`` only against that dialect (layers.sql):
    a MySQL or CockroachDB script is no PostgreSQL file, though it holds SET. The server does
    refuse them, which is why reading them gave PGF001; a PostgreSQL word keeps a name read."""
    case = FIXTURES / "other-database-scripts" / "before"
    others = [path for path in sorted(case.rglob("*.sql")) if sql_layer.for_another_database(path)]
    assert [path.relative_to(case).as_posix() for path in others] == [
        "migrations/20240301120000_sessions.cockroach.up.sql",
        "migrations/20240301120000_sessions.mysql.up.sql",
        "migrations/20240301120000_sessions.sqlite3.up.sql",
        "mysql/init.sql",
        "schemas/crdb_dump.sql",
    ]
    for path in others:
        assert b"SET" in path.read_bytes().upper()
        assert not sql_layer.claim(path, path.read_bytes)
        reset(cluster)
        assert psql(cluster, path.read_text()).returncode != 0, f"{path}: PostgreSQL runs it"
    for name in ("20240301120000_sessions.postgres.up.sql", "20240301120000_sessions.up.sql"):
        path = case / "migrations" / name
        assert sql_layer.claim(path, path.read_bytes)
    assert sql_layer.claim(case / "schemas/mysql_fdw_setup.sql", lambda: b"SET x = 1;")
    reset(cluster)


def test_offsets_after_multibyte_text_are_characters(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text("-- ☕☕☕ é\nSELECT 'ü€';  ALTER SYSTEM SET tcp_keepalives_idle = '0';\n", "utf-8")
    outcome = run_cli(["a.sql"], tmp_path)
    assert "a.sql:2:15: PGF101" in outcome.stdout
    run_cli(["--write", "a.sql"], tmp_path)
    assert (tmp_path / "a.sql").read_text("utf-8").endswith("tcp_keepalives_idle = '60';\n")


def test_pglast_is_imported_only_to_parse(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text("tcp_keepalives_idle = 60\n")
    code = "import sys; from pgconf_fix.cli import main; main(['.']); print('pglast' in sys.modules)"
    done = subprocess.run([shutil.which("python") or "python", "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.stdout.strip().endswith("False"), done.stdout + done.stderr


def test_any_mix_of_sql_fragments_parses_without_crashing() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from pgconf_fix.documents.sql import SqlDocument

    fragments = st.sampled_from(
        ["ALTER SYSTEM SET tcp_keepalives_idle = ", "SET ", "RESET ALL", "0", "'0'", "E'x\\'", "$$", "$a$", ";",
         "\n", "-- c\n", "/*", "*/", "é", "☕", "\\c db\n", "COPY t FROM stdin;\n", "\\.\n", "500ms", "-", " TO ",
         "DEFAULT", "ALTER ROLE r IN DATABASE d SET x = 1", '"q"', "\r\n", "\udcff"]
    )  # fmt: skip

    @settings(max_examples=300, deadline=None)
    @given(st.lists(fragments, max_size=12))
    def parse(parts: list[str]) -> None:
        text = "".join(parts)
        data = text.encode("utf-8", "surrogateescape")
        document = SqlDocument(SourceFile(Path("/x.sql"), "x.sql", data, text, utf8=False))
        for statement in document.statements:
            assert 0 <= statement.start <= statement.end <= statement.terminator_end <= len(text)
            if statement.value is not None:
                assert statement.start <= statement.value.start <= statement.value.end <= statement.end
        for error in document.errors:
            assert 0 <= error.offset <= len(text)

    parse()

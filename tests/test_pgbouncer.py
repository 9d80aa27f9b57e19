"""The PgBouncer layer, checked against the real PgBouncer (Debian's package).

- Every patched fixture (``--write``, and ``--write --unsafe-fixes``) starts a real
  ``pgbouncer``, and its admin console's ``SHOW CONFIG`` holds the values the fixes
  wrote; a fixture whose findings include PGF001 is refused by the real PgBouncer.
- For a set of lines, the tool reports PGF001 exactly when the real PgBouncer refuses
  to load the file.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.pgbouncer_server import BouncerRefused, running_pgbouncer

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(
    [*(FIXTURES / "pgbouncer").glob("*/before"), FIXTURES / "client" / "pgbouncer-databases" / "before"]
)
BUDGET = 300


def ini_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.ini"))


_INCLUDE = re.compile(r"^[ \t]*%include[ \t]+(\S.*?)[ \t]*\r?$", re.MULTILINE)


def included_names(ini: Path) -> list[str]:
    """The files beside ``ini`` that it ``%include``s (relative names: PgBouncer opens them from
    its working directory, the ini's own when it runs in tests)."""
    return [name for name in _INCLUDE.findall(ini.read_text()) if not name.startswith("/")]


def case_id(before: Path) -> str:
    return before.parent.name


def _findings(work: Path) -> list[str]:
    return [line for line in run_cli(["."], work).stdout.splitlines() if ": PGF" in line]


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("before", CASES, ids=case_id)
def test_patched_fixture_starts_a_real_pgbouncer(before: Path, unsafe: bool, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(before, work)
    found = _findings(work)
    refused = any(" PGF001 " in line for line in found)
    run_cli(["--write", *(["--unsafe-fixes"] if unsafe else []), "."], work)
    # An ini another one includes is read there, with the other's sections, not started alone.
    included = {ini.parent / name for ini in ini_files(work) for name in included_names(ini)}
    for ini in ini_files(work):
        if ini in included:
            continue
        text = ini.read_text()
        files = {name: (ini.parent / name).read_text() for name in included_names(ini)}
        if refused:
            with pytest.raises(BouncerRefused, match="unrecognized connection parameter"), running_pgbouncer(text, files=files):
                pass
            continue
        with running_pgbouncer(text, files=files) as bouncer:
            config = bouncer.show_config()
        left = [line for line in _findings(work) if line.startswith(ini.relative_to(work).as_posix() + ":")]
        if not any(code in line for line in left for code in (" PGF601 ", " PGF602 ")):
            assert config["tcp_keepalive"] == "1"
            assert 0 < int(config["tcp_keepidle"]) <= BUDGET
            # PGF602's fix for this ini (in it, or in a file it includes, naming it) set the whole
            # keepalive set where this PgBouncer reads it.
            name = ini.relative_to(work).as_posix()
            read = {name, *((ini.parent / other).relative_to(work).as_posix() for other in files)}
            mine = [
                line for line in found
                if " PGF602 " in line and line.split(":", 1)[0] in read and ("(as " not in line or f"(as {name} reads" in line)
            ]  # fmt: skip
            if any("tcp_keepintvl = 10, tcp_keepcnt = 6" in line for line in mine):
                assert (config["tcp_keepintvl"], config["tcp_keepcnt"]) == ("10", "6"), (name, config)
        if not any(" PGF603 " in line for line in left):
            assert config["server_check_query"].strip()
            assert float(config["server_check_delay"]) <= BUDGET
        name = ini.relative_to(work).as_posix() + ":"
        if unsafe and any(line.startswith(name) and " PGF404 " in line for line in found):
            assert config["server_tls_sslmode"] == "require"


@pytest.mark.parametrize(
    ("lines", "accepted"),
    [
        (["tcp_keepidle = 60 ; no trailing comments"], False),
        (["tcp_keepidle = 0x3c"], True),
        (["tcp_keepidle = 60s"], False),
        (["server_idle_timeout = 10min"], False),
        (["server_idle_timeout = 300.5", "server_lifetime = 0"], True),
        (["Tcp_keepidle = 60"], False),
        (["tcp_keepalive = yes"], False),
        (["a line without an equals sign"], False),
        (["[PgBouncer]"], False),
        (["%includetuning.ini"], False),
        (["[databases]", "app = host=db.example.com dbname=app keepalives=1"], False),
        (["[databases]", "app = host=db.example.com dbname=app connect_timeout=5"], False),
        (["[databases]", "app = host=db.example.com dbname=app application_name=app"], True),
        (["[databases]", "app = host='db.example.com' dbname=app client_encoding=UTF8"], True),
    ],
)
def test_parse_errors_match_the_real_pgbouncer(lines: list[str], accepted: bool, tmp_path: Path) -> None:
    text = "[pgbouncer]\nlisten_port = 6432\n" + "\n".join(lines) + "\n"
    (tmp_path / "pgbouncer.ini").write_text(text)
    reported = any(" PGF001 " in line for line in _findings(tmp_path))
    try:
        with running_pgbouncer(text):
            started = True
    except BouncerRefused:
        started = False
    assert started == accepted
    assert reported == (not accepted)


def test_a_key_lands_in_the_pgbouncer_section_not_at_the_end_of_databases(tmp_path: Path) -> None:
    (tmp_path / "pgbouncer.ini").write_text(
        "[pgbouncer]\nlisten_port = 6432\n; the pool\npool_mode = session\n\n[databases]\napp = host=10.1.2.3 dbname=app\n"
    )
    run_cli(["--write", "."], tmp_path)
    text = (tmp_path / "pgbouncer.ini").read_text()
    assert text == (
        "[pgbouncer]\nlisten_port = 6432\n; the pool\npool_mode = session\n"
        "tcp_keepidle = 60\ntcp_keepintvl = 10\ntcp_keepcnt = 6\n\n[databases]\napp = host=10.1.2.3 dbname=app\n"
    )


@pytest.mark.parametrize(("query", "sent"), [("", None), ("select 1", "select 1"), ("<empty>", "<empty>")])
def test_what_server_check_query_sends_to_a_real_server(query: str, sent: str | None) -> None:
    """The fact behind PGF603: an empty server_check_query sends no check at all (PgBouncer 1.18,
    a real PostgreSQL with log_statement = all); 1.18 sends ``<empty>`` as text.

    The check runs when PgBouncer hands a released server connection out again, so sessions
    go on until two of them were served by an earlier session's backend (on a loaded machine
    a session may come before the last one's connection is back in the pool)."""
    import time

    import psycopg

    from tests.pg_server import temporary_cluster

    asked = "select pg_backend_pid()"
    with temporary_cluster(settings={"log_statement": "all"}) as cluster:
        server_log = Path(cluster.datadir).parent / "server.log"
        ini = (
            f"[databases]\napp = host=127.0.0.1 port={cluster.port} dbname=postgres user=postgres\n"
            f"[pgbouncer]\npool_mode = session\nserver_check_delay = 0\nserver_check_query = {query}\n"
        )
        backends: list[int] = []
        with running_pgbouncer(ini) as bouncer:
            while len(backends) - len(set(backends)) < 2 and len(backends) < 30:
                with psycopg.connect(host="127.0.0.1", port=bouncer.port, dbname="app", user="admin",
                                     autocommit=True) as conn:  # fmt: skip
                    backends.append(conn.execute(asked).fetchone()[0])
                time.sleep(0.3)
        # "statement:" for what the server ran, "STATEMENT:" after the error of what it refused.
        statements = [
            re.split(r"statement: +", line, maxsplit=1, flags=re.IGNORECASE)[1]
            for line in server_log.read_text().splitlines()
            if re.search(r"(?i)statement: ", line)
        ]
    assert len(backends) - len(set(backends)) >= 2, f"no server connection was reused: {backends}"
    others = [statement for statement in statements if statement not in (asked, "DISCARD ALL")]
    assert statements.count(asked) == len(backends)
    if sent is None:
        assert others == []
    else:
        assert others and set(others) == {sent}


# -- %include: PgBouncer reads the file there, in the including line's section --------------

_MAIN = "[databases]\napp = host=10.1.2.3 dbname=app\n\n[pgbouncer]\nlisten_port = 6432\n%include tuning.ini\n"


def test_a_setting_in_an_included_file_counts(tmp_path: Path) -> None:
    """The real PgBouncer takes tcp_keepidle from the %include file (SHOW CONFIG), so the
    ini that includes it is not "tcp_keepidle is not set" (it was, before includes were read)."""
    tuning = "tcp_keepidle = 60\ntcp_keepintvl = 10\ntcp_keepcnt = 6\n"
    (tmp_path / "pgbouncer.ini").write_text(_MAIN)
    (tmp_path / "tuning.ini").write_text(tuning)
    with running_pgbouncer(_MAIN, files={"tuning.ini": tuning}) as bouncer:
        config = bouncer.show_config()
    assert (config["tcp_keepidle"], config["tcp_keepintvl"], config["tcp_keepcnt"]) == ("60", "10", "6")
    assert _findings(tmp_path) == []


def test_a_value_in_an_included_file_is_fixed_there(tmp_path: Path) -> None:
    (tmp_path / "pgbouncer.ini").write_text(_MAIN)
    (tmp_path / "tuning.ini").write_text("tcp_keepidle = 7200\ntcp_keepintvl = 10\ntcp_keepcnt = 6\n")
    found = _findings(tmp_path)
    assert any(line.startswith("tuning.ini:1:1: PGF602 tcp_keepidle = 7200 is above") for line in found), found
    assert run_cli(["--write", "."], tmp_path).code == 0
    assert (tmp_path / "pgbouncer.ini").read_text() == _MAIN
    tuning = (tmp_path / "tuning.ini").read_text()
    assert tuning == "tcp_keepidle = 60\ntcp_keepintvl = 10\ntcp_keepcnt = 6\n"
    with running_pgbouncer(_MAIN, files={"tuning.ini": tuning}) as bouncer:
        assert bouncer.show_config()["tcp_keepidle"] == "60"


def test_a_key_is_not_added_after_an_include_that_ends_in_another_section(tmp_path: Path) -> None:
    """An included file that opens [databases] leaves the including file there (PgBouncer read
    a tcp_keepcnt after such an include as a database entry and refused to start): a missing
    [pgbouncer] key goes before the include. Such a file is judged as part of its includer,
    not alone (where its first line is outside any section)."""
    main = "[pgbouncer]\nlisten_port = 6432\n%include pools.ini\n"
    pools = "tcp_keepalive = 1\n[databases]\napp = host=10.1.2.3 dbname=app\n"
    (tmp_path / "pgbouncer.ini").write_text(main)
    (tmp_path / "pools.ini").write_text(pools)
    found = _findings(tmp_path)
    assert [line.split(" ", 2)[:2] for line in found] == [["pgbouncer.ini:1:1:", "PGF602"], ["pgbouncer.ini:1:1:", "PGF604"]], found
    assert run_cli(["--write", "."], tmp_path).code == 0
    fixed = (tmp_path / "pgbouncer.ini").read_text()
    assert fixed == (
        "[pgbouncer]\nlisten_port = 6432\ntcp_keepidle = 60\ntcp_keepintvl = 10\ntcp_keepcnt = 6\n%include pools.ini\n"
    )
    assert (tmp_path / "pools.ini").read_text() == pools
    with running_pgbouncer(fixed, files={"pools.ini": pools}) as bouncer:
        assert bouncer.show_config()["tcp_keepidle"] == "60"
    # The place the fix went is the place that matters: after the include, it is refused.
    after = "[pgbouncer]\nlisten_port = 6432\n%include pools.ini\ntcp_keepidle = 60\n"
    with pytest.raises(BouncerRefused, match="tcp_keepidle"), running_pgbouncer(after, files={"pools.ini": pools}):
        pass


def test_an_include_outside_the_repository_is_named_where_a_key_is_missing(tmp_path: Path) -> None:
    (tmp_path / "pgbouncer.ini").write_text("[pgbouncer]\nlisten_port = 6432\n%include /etc/pgbouncer/tuning.ini\n")
    found = _findings(tmp_path)
    assert any(
        " PGF602 tcp_keepidle is not set: PgBouncer leaves it to the operating system (7200 s on Linux) "
        "(%include files not read: /etc/pgbouncer/tuning.ini);" in line
        for line in found
    ), found


def test_a_key_is_added_before_an_include_that_is_not_read(tmp_path: Path) -> None:
    """An include the tool cannot read may open another section (PgBouncer reads it from its
    working directory, here one the repository does not have): a key added after it would land
    there, and PgBouncer refuses a [pgbouncer] key read as a database. Before it, the key is
    in [pgbouncer] whatever the file holds."""
    main = "[pgbouncer]\nlisten_port = 6432\n%include pools.ini\n"
    (tmp_path / "pgbouncer.ini").write_text(main)
    run_cli(["--write", "."], tmp_path)
    fixed = (tmp_path / "pgbouncer.ini").read_text()
    assert fixed == (
        "[pgbouncer]\nlisten_port = 6432\ntcp_keepidle = 60\ntcp_keepintvl = 10\ntcp_keepcnt = 6\n%include pools.ini\n"
    )
    pools = "[databases]\napp = host=10.1.2.3 dbname=app\n"
    with running_pgbouncer(fixed, files={"pools.ini": pools}) as bouncer:
        assert bouncer.show_config()["tcp_keepidle"] == "60"


def test_a_missing_key_goes_after_the_header_that_counts_even_in_an_include(tmp_path: Path) -> None:
    """A [pgbouncer] header in an %include file read after the ini's own resets what the ini set
    before it (PgBouncer 1.18, SHOW CONFIG): the keys are added after that header, in that file."""
    main = "[databases]\napp = host=10.1.2.3 dbname=app\n\n[pgbouncer]\nlisten_port = 6432\ntcp_keepidle = 60\n%include late.ini\n"
    late = "[pgbouncer]\npool_mode = transaction\n"
    (tmp_path / "pgbouncer.ini").write_text(main)
    (tmp_path / "late.ini").write_text(late)
    with running_pgbouncer(main, files={"late.ini": late}, settings_in="late.ini") as bouncer:
        assert bouncer.show_config()["tcp_keepidle"] == "0"  # the ini's own line was reset
    found = _findings(tmp_path)
    assert [line.split(" ", 2)[:2] for line in found if " PGF602 " in line] == [["late.ini:1:1:", "PGF602"]], found
    run_cli(["--write", "."], tmp_path)
    assert (tmp_path / "pgbouncer.ini").read_text() == main
    fixed = (tmp_path / "late.ini").read_text()
    assert fixed == "[pgbouncer]\npool_mode = transaction\ntcp_keepidle = 60\ntcp_keepintvl = 10\ntcp_keepcnt = 6\n"
    with running_pgbouncer(main, files={"late.ini": fixed}, settings_in="late.ini") as bouncer:
        config = bouncer.show_config()
    assert (config["tcp_keepidle"], config["tcp_keepintvl"], config["tcp_keepcnt"]) == ("60", "10", "6")

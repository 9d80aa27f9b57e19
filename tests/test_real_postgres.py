"""Our claims about postgresql.conf, checked against the real PostgreSQL server on this machine.

No mocks: every verdict here comes from ``postgres -D DIR -C PARAM`` (see
tests/pg_server.py), which reads a configuration tree exactly as the server
does at start-up and either prints the value in the base unit (exit 0) or
rejects the tree (exit 1).

1. Every fixture tree pgconf-fix leaves without PGF001 starts, with the
   keepalive values pgconf-fix computes; after a fix, with the fixed targets.
2. Every fixture tree with a PGF001 finding is rejected.
3. PGF104's "the server refuses to start" is true before the fix, false after.
4. Differential: our value parser against the server's, value by value.
5. A file named postgresql.conf that pgconf-fix passes over as another program's (a fail2ban,
   logrotate or supervisord file) is refused by the server as its configuration, and has no
   finding.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from pgconf_fix.views.server import MAIN_NAME, ServerConfig, another_programs_file
from pgconf_fix.workspace import Workspace
from tests.cli_runner import run_cli
from tests.pg_majors import require_major
from tests.pg_server import PgServer, pg_server, psql_path, server_config_value, temporary_cluster  # noqa: F401

SERVER_FIXTURES = Path(__file__).parent / "fixtures" / "server"
CASES = sorted(path.parent for path in SERVER_FIXTURES.glob("*/before"))
KEEPALIVES = {"tcp_keepalives_idle": "s", "tcp_keepalives_interval": "s", "tcp_keepalives_count": None}
# What the fixes set (PGF101, PGF102, PGF103).
TARGETS = {"tcp_keepalives_idle": 60, "tcp_keepalives_interval": 10, "tcp_keepalives_count": 6}
FINDING = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>PGF\d+) (?P<message>.*)$")
REFUSES_TO_START = re.compile(r"refuses to start|stops the server from starting")
# A PGF001 warning for an unknown version: only the majors it names refuse the file.
NOT_ON_SOME_MAJORS = re.compile(r"is not on PostgreSQL")


# -- reading the fixtures ------------------------------------------------------


def findings(case: Path) -> list[re.Match[str]]:
    lines = (case / "findings.txt").read_text("utf-8").splitlines()
    return [match for line in lines if (match := FINDING.match(line))]


def view_of(root: Path, relative: str) -> ServerConfig:
    """Our parser's view of root/relative, read the way the CLI reads it."""
    workspace = Workspace(root)
    return ServerConfig(workspace, workspace.load(root / relative))


def members(root: Path, relative: str) -> set[str]:
    """The files of a postgresql.conf tree, relative to root (as findings.txt names them)."""
    return {os.path.normpath(os.path.relpath(source.path, root)) for source in view_of(root, relative).sources}


def final_tree(case: Path) -> Path:
    return case / "after" if (case / "after").exists() else case / "before"


def main_files(root: Path) -> list[str]:
    """The postgresql.conf files of a tree, but those that are another program's (test 5)."""
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob(MAIN_NAME)
        if not another_programs_file(path.read_text("utf-8", "surrogateescape"))
    )


def other_programs_files(root: Path) -> list[str]:
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob(MAIN_NAME)
        if another_programs_file(path.read_text("utf-8", "surrogateescape"))
    )


def tree_findings(case: Path, relative: str, code: str | None = None) -> list[re.Match[str]]:
    """The findings on files of the before/ tree whose main file is ``relative``.

    For PGF001, only the refusals: a warning that some majors lack a name is left out.
    """
    before = case / "before"
    files = members(before, relative) if (before / relative).is_file() else {relative}
    return [
        match
        for match in findings(case)
        if os.path.normpath(match["path"]) in files
        and (code is None or match["code"] == code)
        and not (match["code"] == "PGF001" and NOT_ON_SOME_MAJORS.search(match["message"]))
    ]


def server_of(case: Path, relative: str, installed: PgServer) -> PgServer:
    """The server of the tree's own major (PG_VERSION, path, image tag), else the installed one."""
    version = view_of(case / "before", relative).version if (case / "before" / relative).is_file() else None
    if version is None:
        return installed
    if version.major < 10:
        pytest.skip(f"{case.name}: no PostgreSQL {version} binaries to run")
    return require_major(version.major)


def ours(view: ServerConfig, key: str) -> int:
    assignment = view.effective(key)
    return 0 if assignment is None else view.numeric(assignment, KEEPALIVES[key])


FINAL_TREES = [(case, rel) for case in CASES for rel in main_files(final_tree(case))]
ACCEPTED = [(case, rel) for case, rel in FINAL_TREES if not tree_findings(case, rel, "PGF001")]
REJECTED = [
    (case, rel) for case in CASES for rel in main_files(case / "before") if tree_findings(case, rel, "PGF001")
]
REFUSING = [
    case
    for case in CASES
    if any(match["code"] == "PGF104" and REFUSES_TO_START.search(match["message"]) for match in findings(case))
]


def tree_id(item: tuple[Path, str]) -> str:
    case, rel = item
    return case.name if rel == MAIN_NAME else f"{case.name}:{rel}"


def describe(result: tuple[int, str]) -> str:
    code, text = result
    return f"exit {code}: {text}"


# -- 1. trees without PGF001 start, with our values --------------------------------


def test_the_fixtures_cover_both_verdicts() -> None:
    assert len(ACCEPTED) >= 15 and len(REJECTED) >= 6 and len(REFUSING) >= 3


@pytest.mark.parametrize("item", ACCEPTED, ids=tree_id)
def test_server_accepts_tree_and_agrees_on_values(item: tuple[Path, str], pg_server: PgServer) -> None:
    case, rel = item
    pg_server = server_of(case, rel, pg_server)
    root = final_tree(case)
    view = view_of(root, rel)
    expected = {key: ours(view, key) for key in KEEPALIVES}
    with pg_server.staged(root) as staged:
        conf_dir = (staged / rel).parent
        results = dict(zip(KEEPALIVES, pg_server.config_values((conf_dir, key) for key in KEEPALIVES)))
    for key, result in results.items():
        assert result[0] == 0, f"{case.name}: the server rejects {rel}, which pgconf-fix passes: {describe(result)}"
    server = {key: int(result[1]) for key, result in results.items()}
    assert server == expected, f"{case.name}/{rel}: server (left) and pgconf-fix (right) disagree"
    if (case / "after").exists() and (case / "before" / rel).is_file():
        before = view_of(case / "before", rel)
        fixed = {
            key
            for key in KEEPALIVES
            if _assigned(before, key) != _assigned(view, key)  # the fix wrote this setting
        }
        for key in fixed:
            assert server[key] == TARGETS[key], f"{case.name}: after the fix the server reads {key} = {server[key]}"


def _assigned(view: ServerConfig, key: str) -> tuple[str, str] | None:
    assignment = view.effective(key)
    if assignment is None:
        return None
    return os.path.basename(assignment.source.path), assignment.value


# -- 2. trees with PGF001 are rejected -----------------------------------------------


@pytest.mark.parametrize("item", REJECTED, ids=tree_id)
def test_server_rejects_tree_with_pgf001(item: tuple[Path, str], pg_server: PgServer) -> None:
    case, rel = item
    pg_server = server_of(case, rel, pg_server)
    with pg_server.staged(case / "before") as staged:
        result = pg_server.config_value((staged / rel).parent, "tcp_keepalives_idle")
    reported = [match.group(0) for match in tree_findings(case, rel, "PGF001")]
    assert result[0] == 1, f"{case.name}: pgconf-fix says {reported}, but the server accepts it: {describe(result)}"


# -- 3. PGF104 "refuses to start" ---------------------------------------------------


@pytest.mark.parametrize("case", REFUSING, ids=lambda case: case.name)
def test_pgf104_refusal_is_real_and_the_fix_cures_it(case: Path, pg_server: PgServer) -> None:
    assert (case / "after").exists(), "PGF104 fixes a value the server refuses"
    for rel in main_files(case / "before"):
        pg_server = server_of(case, rel, pg_server)
        with pg_server.staged(case / "before") as staged:
            before = pg_server.config_value((staged / rel).parent, "ssl_renegotiation_limit")
        with pg_server.staged(case / "after") as staged:
            after = pg_server.config_value((staged / rel).parent, "ssl_renegotiation_limit")
        assert before[0] == 1, f"{case.name}: PGF104 says the server refuses to start, but: {describe(before)}"
        assert "ssl_renegotiation_limit" in before[1]
        assert after == (0, "0"), f"{case.name}: the fixed tree: {describe(after)}"


# -- 4. differential: our value parser against the server's --------------------------

IDLE_VALUES = [
    # from the brief
    "60", "60s", "60S", "1min", "500ms", "1500ms", "2500ms", "499ms", "501ms", "'60 s'", "60 s",
    "1.5min", "'1.5min'", "010", "08", "0x10", "0X10", "'0x10'", "-1", "+5", "1e2", "'1e2'",
    "2147483647", "2147483648", "1d", "'  60'", '"60"', "1.5", "2.5", ".5", "10us", "1h30min",
    "abc", "60;", "''",
    # more corners of guc-file.l and parse_int
    "0", "'0'", "7200", "2h", "'2h'", "60min", "'60min'", "1000ms", "500000us", "1500000us",
    "'60s '", "'60  s'", "'1 min'", "'min'", "'1mins'", "60sec", "1MIN", "'1.5h'", "1.5h",
    "'1.25min'", "'0.1s'", "0.1s", "1.5e1", "'1.5e1'", "-0", "'.5'", "'-.5'", "24855d", "24856d",
    "60 # a comment", "'60\\t'", "'1_000'", "'0x'", "'inf'", "'nan'", "'1e400'", "'0x1.8'",
    # strtod corners: hexadecimal floats, underflow and overflow (glibc sets ERANGE)
    "0x1.8", "'0x1.8p1'", "'0x1.8 min'", "'0x1p-1070'", "'5.'", "'.5e1'", "'1e-310'", "'1e-307'",
    "'0e-999'", "'2e308'", "'1e308d'", "'9999999999999999999999'", "'0xffffffffffffffffff'",
]  # fmt: skip
COUNT_VALUES = [
    "6", "6s", "'6'", "6.5", "7.5", "0x7fffffff", "2147483648",
    "0", "-1", "''", "010", "'6 '", "1e1", "'1e1'", "6.4999", "'6min'", "'0x1.8'",
]  # fmt: skip
DIFFERENTIAL = [("tcp_keepalives_idle", raw) for raw in IDLE_VALUES] + [
    ("tcp_keepalives_count", raw) for raw in COUNT_VALUES
]


@pytest.fixture(scope="module")
def differential_trees(pg_server: PgServer):  # noqa: ANN201 - yields a mapping
    """One directory per (name, raw value), with the server's verdict on each; all at once."""
    with pg_server.staged() as root:
        dirs = {}
        for index, (name, raw) in enumerate(DIFFERENTIAL):
            directory = root / f"{index:03d}"
            directory.mkdir()
            (directory / MAIN_NAME).write_text(f"{name} = {raw}\n", "utf-8")
            dirs[name, raw] = directory
        verdicts = pg_server.config_values((directory, name) for (name, _), directory in dirs.items())
        yield {item: (dirs[item], verdict) for item, verdict in zip(dirs, verdicts)}


@pytest.mark.parametrize(("name", "raw"), DIFFERENTIAL, ids=[f"{n[4:]}={r}" for n, r in DIFFERENTIAL])
def test_value_parser_agrees_with_server(name: str, raw: str, differential_trees) -> None:  # noqa: ANN001
    directory, (code, server_says) = differential_trees[name, raw]
    outcome = run_cli(["--select", "PGF001", "."], directory)
    assert outcome.code in (0, 1), f"pgconf-fix crashed on {name} = {raw}: {outcome.stderr}"
    pgf001 = [line for line in outcome.stdout.splitlines() if " PGF001 " in line]
    server_rejects = code != 0
    assert bool(pgf001) == server_rejects, (
        f"{name} = {raw}: server {'rejects' if server_rejects else 'accepts'} ({server_says!r}); "
        f"pgconf-fix {'reports ' + repr(pgf001) if pgf001 else 'reports no PGF001'}"
    )
    if not server_rejects:
        view = view_of(directory, MAIN_NAME)
        assert ours(view, name) == int(server_says), f"{name} = {raw}: server {server_says}, pgconf-fix {ours(view, name)}"


# -- the temporary cluster helper ----------------------------------------------------


def test_temporary_cluster_answers_over_socket_and_tcp(pg_server: PgServer) -> None:
    with temporary_cluster(pg_server, {"tcp_keepalives_idle": "60"}) as cluster:
        host, port, bindir, datadir = cluster
        psql = psql_path(bindir)
        assert psql, "psql not found"
        assert (datadir / "PG_VERSION").is_file()
        via_socket = pg_server_psql(psql, host, port, "select 1")
        assert via_socket.returncode == 0 and via_socket.stdout.strip() == "1", via_socket.stderr
        # FACTS.md: keepalive settings do not apply to Unix sockets, where SHOW reports 0;
        # over TCP it reports the setting, or the kernel's value when the setting is 0.
        on_socket = pg_server_psql(psql, host, port, "show tcp_keepalives_idle")
        assert (on_socket.returncode, on_socket.stdout.strip()) == (0, "0"), on_socket.stderr
        via_tcp = pg_server_psql(psql, "127.0.0.1", port, "show tcp_keepalives_idle")
        assert (via_tcp.returncode, via_tcp.stdout.strip()) == (0, "60"), via_tcp.stderr
        kernel = Path("/proc/sys/net/ipv4/tcp_keepalive_time")
        if kernel.is_file():
            unset = pg_server_psql(psql, "127.0.0.1", port, "set tcp_keepalives_idle = 0; show tcp_keepalives_idle")
            assert (unset.returncode, unset.stdout.split()[-1:]) == (0, [kernel.read_text().strip()]), unset.stderr
    assert not datadir.exists()


def pg_server_psql(psql: str, host: str, port: int, sql: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    return subprocess.run(
        [psql, "-X", "-h", host, "-p", str(port), "-U", "postgres", "-d", "postgres", "-Atc", sql],
        capture_output=True, text=True, env=env, timeout=60, cwd="/tmp", check=False,
    )  # fmt: skip


# -- 5. another program's postgresql.conf ---------------------------------------------------

OTHER_PROGRAMS = [(case, rel) for case in CASES for rel in other_programs_files(case / "before")]


def test_the_fixtures_hold_other_programs_files() -> None:
    assert len(OTHER_PROGRAMS) >= 3


@pytest.mark.parametrize("item", OTHER_PROGRAMS, ids=tree_id)
def test_another_programs_postgresql_conf_is_no_server_configuration(
    item: tuple[Path, str], pg_server: PgServer  # noqa: F811
) -> None:
    case, rel = item
    with pg_server.staged(case / "before") as staged:
        code, shown = pg_server.config_value((staged / rel).parent, "port")
    assert code != 0, f"{case.name}: the server reads {rel} as its configuration: {shown}"
    outcome = run_cli(["--no-cache", "--select", "ALL", rel], case / "before")
    assert outcome.code == 0 and "PGF" not in outcome.stdout, outcome.stdout
    assert (case / "after" / rel).read_bytes() == (case / "before" / rel).read_bytes()

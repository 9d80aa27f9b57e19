"""PGF001 for a connection string libpq refuses, held to libpq itself.

Each case is a keyword value written into a psycopg2 connection string. pgconf-fix reports
PGF001 ("libpq refuses to connect") or not; libpq, asked to connect with the same string to a
closed port on 127.0.0.1, either refuses the settings before the socket connects ("invalid ..."
or "setsockopt(...) failed") or gets as far as "Connection refused". The two must agree, for
the libpq of psycopg2-binary and that of psycopg (two majors).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

BASE = "dbname=app sslmode=require keepalives_idle=60 keepalives_interval=10 keepalives_count=6"
CASES = [
    "keepalives_idle=abc", "keepalives_idle=６０", "keepalives_idle=0x3c", "keepalives_idle=1e2", "keepalives_idle=' 60 '",
    "keepalives_idle=+60", "keepalives_idle=-5", "keepalives_idle=0", "keepalives_idle=1", "keepalives_idle=32767",
    "keepalives_idle=32768", "keepalives_interval=0", "keepalives_interval=32768", "keepalives_count=127",
    "keepalives_count=128", "keepalives_count=-1", "keepalives=yes", "keepalives=0 keepalives_idle=abc",
    "keepalives=0 keepalives_count=0", "keepalives=2 keepalives_count=0", "keepalives=-1", "tcp_user_timeout=-1",
    "tcp_user_timeout=x", "tcp_user_timeout=2147483648", "connect_timeout=2147483647",
    "sslmode=require", "sslmode=REQUIRE", "sslmode=requir", "sslmode=verify-full", "sslmode=disable",
    "keepalives_idle=60 keepalives_idle=abc", "keepalives_idle=abc keepalives_idle=60",
    # strings PQconninfoParse itself refuses, before any value is read
    "port", "bogus=1", "Keepalives_idle=60", "password='unterminated", "application_name='a b'",
]  # fmt: skip


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _libpq_refuses(connect, conninfo: str) -> bool:  # noqa: ANN001 - psycopg2.connect or psycopg.connect
    try:
        connect(conninfo).close()
    except Exception as exc:  # noqa: BLE001 - each driver raises its own class; the words decide
        message = str(exc)
        if "Connection refused" in message:
            return False
        words = ("invalid", "setsockopt", "bad value", 'missing "="', "unterminated quoted string")
        assert any(word in message for word in words), message
        return True
    raise AssertionError(f"connected to a closed port: {conninfo}")


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[int, bool]:
    work = tmp_path_factory.mktemp("libpq-refusals")
    for number, case in enumerate(CASES):
        (work / f"db_{number:02}.py").write_text(
            f'import psycopg2\nconn = psycopg2.connect("host=db.example.com {BASE} {case}")\n', encoding="utf-8"
        )
    outcome = run_cli(["--no-cache", "--select", "PGF001", "."], work)
    assert outcome.code in (0, 1), outcome.stderr
    reported = {line.split(":")[0] for line in outcome.stdout.splitlines() if " PGF001 " in line}
    assert all("libpq refuses to connect" in line for line in outcome.stdout.splitlines() if " PGF001 " in line)
    return {number: f"db_{number:02}.py" in reported for number in range(len(CASES))}


@pytest.mark.parametrize("driver", ["psycopg2", "psycopg"])
def test_pgf001_says_what_libpq_does(driver: str, verdicts: dict[int, bool]) -> None:
    connect = pytest.importorskip(driver).connect
    port = _closed_port()
    disagree = []
    for number, case in enumerate(CASES):
        refused = _libpq_refuses(connect, f"host=127.0.0.1 port={port} connect_timeout=5 {BASE} {case}")
        if refused != verdicts[number]:
            disagree.append(f"{case!r}: libpq {'refuses' if refused else 'accepts'}, pgconf-fix {'reports' if verdicts[number] else 'says nothing'}")
    assert not disagree, disagree
    assert any(verdicts.values()) and not all(verdicts.values())  # the cases hold both answers


def test_only_a_known_libpq_reader_is_judged(tmp_path: Path) -> None:
    """A plain URL whose reader is not known, and pgjdbc's own URL, are not libpq's to refuse."""
    (tmp_path / ".env").write_text(
        "DATABASE_URL=postgresql://db.example.com/app?sslmode=requir&keepalives_idle=abc\n"
        "JDBC_URL=jdbc:postgresql://db.example.com/app?sslmode=requir\n"
    )
    outcome = run_cli(["--no-cache", "--select", "PGF001", "."], tmp_path)
    assert "PGF001" not in outcome.stdout, outcome.stdout


KWARGS = [
    {"keepalives": True}, {"keepalives": False}, {"keepalives": 1}, {"keepalives_idle": 60.0}, {"keepalives_idle": 60},
    {"keepalives_idle": "60"}, {"keepalives_count": 128}, {"sslmode": "Require"}, {"keepalives": 0, "keepalives_idle": "x"},
]  # fmt: skip


@pytest.mark.parametrize("driver", ["psycopg2", "psycopg"])
def test_keyword_arguments_are_judged_as_the_driver_writes_them(driver: str, tmp_path: Path) -> None:
    """psycopg2 and psycopg write each keyword argument into the connection string with str():
    True becomes "True" and 60.0 "60.0", both refused by libpq."""
    module = pytest.importorskip(driver)
    base = {"dbname": "app", "sslmode": "require", "keepalives_idle": 60, "keepalives_interval": 10, "keepalives_count": 6}
    for number, extra in enumerate(KWARGS):
        arguments = ", ".join(f"{key}={value!r}" for key, value in {**base, **extra}.items())
        (tmp_path / f"db_{number}.py").write_text(f'import {driver}\nconn = {driver}.connect(host="db.example.com", {arguments})\n')
    outcome = run_cli(["--no-cache", "--select", "PGF001", "."], tmp_path)
    reported = {line.split(":")[0] for line in outcome.stdout.splitlines() if " PGF001 " in line}
    port = _closed_port()
    for number, extra in enumerate(KWARGS):
        try:
            module.connect(host="127.0.0.1", port=port, connect_timeout=5, **{**base, **extra}).close()
        except Exception as exc:  # noqa: BLE001
            refused = "Connection refused" not in str(exc)
        else:
            raise AssertionError("connected to a closed port")
        assert refused == (f"db_{number}.py" in reported), (extra, str(refused), outcome.stdout)


def test_keepalives_idle_zero_is_not_called_the_kernel_default(tmp_path: Path) -> None:
    """For the server, tcp_keepalives_idle = 0 means the OS default; for libpq, keepalives_idle=0
    goes to setsockopt, which Linux refuses. PGF401 names PGF001 only where it is reported."""
    (tmp_path / "libpq.env").write_text("DATABASE_URL=postgresql+psycopg2://db.example.com/app?keepalives_idle=0&sslmode=require\n")
    (tmp_path / "unknown.env").write_text("DATABASE_URL=postgresql://db.example.com/app?keepalives_idle=0&sslmode=require\n")
    outcome = run_cli(["--no-cache", "--select", "PGF001,PGF401", "libpq.env", "unknown.env"], tmp_path)
    lines = outcome.stdout.splitlines()
    assert not any("kernel default" in line for line in lines), lines
    assert any(line.startswith("libpq.env:1:") and " PGF001 " in line and "setsockopt(TCP_KEEPIDLE)" in line for line in lines)
    assert any(line.startswith("libpq.env:1:") and " PGF401 " in line and "PGF001" in line for line in lines)
    unknown = [line for line in lines if line.startswith("unknown.env:")]
    assert len(unknown) == 1 and " PGF401 " in unknown[0] and "PGF001" not in unknown[0], unknown


@pytest.mark.parametrize("driver", ["psycopg2", "psycopg"])
def test_a_uri_or_string_libpq_cannot_parse_is_pgf001_without_its_secrets(driver: str, tmp_path: Path) -> None:
    """PQconninfoParse's own refusals of a literal handed whole to the driver (an unknown URI
    query parameter, bad percent-encoding, a password with an unquoted blank): PGF001 exactly
    where the driver refuses, and the token libpq quotes is shown only when it is a keyword."""
    connect = pytest.importorskip(driver).connect
    port = _closed_port()
    tail = "sslmode=require&keepalives_idle=60&keepalives_interval=10&keepalives_count=6"
    strings = {
        "query": f"postgresql://app@127.0.0.1:{port}/app?{tail}&bogus=1",
        "percent": f"postgresql://app:Pw%zzSecretQ@127.0.0.1:{port}/app?{tail}",
        "blank": f"host=127.0.0.1 port={port} dbname=app {tail.replace('&', ' ')} password=Open Sesame9",
        "fine": f"postgresql://app@127.0.0.1:{port}/app?{tail}&connect_timeout=5",
    }
    for name, conninfo in strings.items():
        shown = conninfo.replace("127.0.0.1", "db.example.com")
        (tmp_path / f"{name}.py").write_text(f"import {driver}\nconn = {driver}.connect({shown!r})\n")
    outcome = run_cli(["--no-cache", "--select", "PGF001", "."], tmp_path)
    reported = {line.split(".py")[0]: line for line in outcome.stdout.splitlines() if " PGF001 " in line}
    assert set(reported) == {name for name, conninfo in strings.items() if _libpq_refuses(connect, conninfo)}
    assert set(reported) == {"query", "percent", "blank"}
    assert 'invalid URI query parameter: "bogus"' in reported["query"]
    assert "SecretQ" not in outcome.stdout and "Sesame9" not in outcome.stdout

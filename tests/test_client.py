"""The client layer: connection strings, what libpq makes of the patched ones, secrets, a real server.

The fixture cases under tests/fixtures/client/ are run by test_fixtures.py; here
the patched strings are handed to libpq's own parser (psycopg's
conninfo_to_dict), every output format is searched for passwords, and a real
PostgreSQL shows that a patched string gives the socket the fixed keepalive
options.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path
from urllib.parse import unquote

import pytest

from pgconf_fix.cli import FORMATS
from pgconf_fix.documents.connstr import TEMPLATE, ConnectionString, find_connection_strings
from pgconf_fix.layers import client as client_layer
from pgconf_fix.redact import redact
from pgconf_fix.views.client import is_local_host, is_public_host
from tests.cli_runner import run_cli, tree

FIXTURES = Path(__file__).parent / "fixtures" / "client"
FIXED = {"keepalives": "1", "keepalives_idle": "60", "keepalives_interval": "10", "keepalives_count": "6"}
# Keys a fix may change; every other parameter must come through unchanged.
FIX_KEYS = {*FIXED, "sslmode"}


def _psycopg():  # noqa: ANN202 - the module
    try:
        import psycopg
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("psycopg is not installed (pip install -e '.[test]')", pytrace=False)
        pytest.skip("psycopg is not installed (pip install -e '.[test]')")
    return psycopg


# -- finding connection strings -------------------------------------------------------------


def _found(text: str) -> list[str]:
    return [text[item.start : item.end] for item in find_connection_strings(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("url = 'postgres://'", []),
        ('if url.startswith("postgresql://"):', []),
        ("  postgres://*) echo old ;;", []),
        ("usage: postgresql://user:password@host:port/dbname", []),
        ("see postgres://... for details", []),
        ("X=${DB:-postgres://a:b@db.example.com/app}", ["postgres://a:b@db.example.com/app"]),
        ("url: ${DB_URL:jdbc:postgresql://db:5432/app}", ["jdbc:postgresql://db:5432/app"]),
        ('"postgresql://u@[::1]:5432,h2:6543/app?x=1".', ["postgresql://u@[::1]:5432,h2:6543/app?x=1"]),
        ("u = f'postgresql://{user}@{host}/db'", ["postgresql://{user}@{host}/db"]),
        ("h: postgresql://u@{{ .Values.host }}:5432/db", ["postgresql://u@{{ .Values.host }}:5432/db"]),
        ("dsn = 'host=db dbname=app'", ["host=db dbname=app"]),
        ("dsn = 'host=db port=5432 user=app'", ["host=db port=5432 user=app"]),
        ("proxy host=db port=5432", []),  # two keywords without dbname: not confident
        ("x = 'host=db dbname=app foo=bar'", ["host=db dbname=app"]),
        ("http://example.com/?host=a&dbname=b&user=c", []),
        ("conn = connect(host=DB_HOST, dbname=DB_NAME, user=DB_USER)", []),  # keyword arguments
        ("dsn = 'host=h1,h2 dbname=app'", ["host=h1,h2 dbname=app"]),
    ],
)
def test_finds_connection_strings_and_not_prefixes(text: str, expected: list[str]) -> None:
    assert _found(text) == expected


def test_uri_authority_follows_libpq() -> None:
    text = "postgresql://app:p%40ss%3Aword@[2001:db8::1]:5432,db2.example.com/app?host=ignored.example.com"
    (string,) = find_connection_strings(text)
    # A host in the query overrides the authority, as in libpq.
    assert [host.name for host in string.hosts] == ["ignored.example.com"]
    (plain,) = find_connection_strings(text.split("?")[0])
    assert [(h.name, h.port) for h in plain.hosts] == [("2001:db8::1", "5432"), ("db2.example.com", "")]
    assert plain.has_password


@pytest.mark.parametrize(
    ("host", "local", "public"),
    [
        ("", True, False),
        ("/var/run/postgresql", True, False),
        ("localhost", True, False),
        ("127.0.0.2", True, False),
        ("::1", True, False),
        ("db", False, False),
        ("db.internal", False, False),
        ("db.svc.cluster.local", False, False),
        ("10.0.0.5", False, False),
        ("${PGHOST}", False, False),
        ("db.example.com", False, True),
        ("mydb.abc123.eu-west-1.rds.amazonaws.com", False, True),
        ("8.8.8.8", False, True),
        # Decided positively from the Public Suffix List (issue 13, 2.11).
        ("postgres.postgres", False, False),
        ("db.prod", False, False),
        ("pg.payments.svc", False, False),
        ("pg.payments", False, False),
        ("db.corp.example", False, False),
        ("co.uk", False, False),
        ("db.example.co.uk", False, True),
        ("mydb.io", False, True),
        ("ep-cool-1.us-east-2.aws.neon.tech", False, True),
        ("db.example.prod", False, True),
        ("192.168.1.10", False, False),
        ("100.64.0.1", False, False),
    ],
)
def test_local_and_public_hosts(host: str, local: bool, public: bool) -> None:
    assert is_local_host(host) is local
    assert is_public_host(host) is public


@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [
        ("postgresql.conf", b"primary_conninfo = 'host=db.example.com dbname=app user=r'\n", False),
        ("sysctl.conf", b"# postgresql://u@db.example.com/app\n", False),
        ("main.tf", b'url = "postgresql://u@db.example.com/app"\n', False),
        ("pgbouncer.ini", b"[databases]\napp = host=db.example.com dbname=app\n", False),
        ("bouncer.ini", b"[databases]\napp = host=db.example.com dbname=app\n", False),
        ("blob.bin", b"", False),  # discovery hands binary files over as empty heads
        ("app.js", b"const prefix = 'postgres://';\n", False),
        (".env", b"DATABASE_URL=postgresql://u:p@db.example.com/app\n", True),
        ("settings.ini", b"dsn = host=db.example.com dbname=app\n", True),
    ],
)
def test_claim(name: str, content: bytes, claimed: bool) -> None:
    assert client_layer.claim(Path("/repo") / name, lambda: content) is claimed


# -- patched strings as libpq reads them ------------------------------------------------------


def _libpq_form(string: ConnectionString, text: str) -> str | None:
    """The string as libpq would be handed it (SQLAlchemy's driver part dropped); None if not libpq's."""
    raw = text[string.start : string.end]
    if string.form == "dsn":
        return raw
    if string.form != "uri" or string.scheme.endswith(("+asyncpg", "+pg8000")):
        return None
    return "postgresql://" + raw.split("://", 1)[1]


def _pairs() -> list[tuple[str, str, str]]:
    """(where, before, after) for every connection string of every fixture case that has after/."""
    pairs = []
    for case in sorted(path.parent for path in FIXTURES.glob("*/after")):
        before, after = tree(case / "before"), tree(case / "after")
        for name, data in before.items():
            old_text, new_text = data.decode(), after[name].decode()
            old, new = find_connection_strings(old_text), find_connection_strings(new_text)
            assert len(old) == len(new), f"{case.name}/{name}: a fix created or destroyed a connection string"
            for old_string, new_string in zip(old, new):
                old_form, new_form = _libpq_form(old_string, old_text), _libpq_form(new_string, new_text)
                if old_form is None or TEMPLATE.search(new_form or ""):
                    continue  # JDBC, asyncpg, or a template libpq never sees as written
                pairs.append((f"{case.name}/{name}", old_form, new_form))
    return pairs


PAIRS = _pairs()


def test_fixtures_have_patched_uris_and_dsns() -> None:
    changed = [(before, after) for _, before, after in PAIRS if before != after]
    assert any("://" in after for _, after in changed) and any("://" not in after for _, after in changed)


@pytest.mark.parametrize(("where", "before", "after"), PAIRS, ids=[f"{w}:{i}" for i, (w, _, _) in enumerate(PAIRS)])
def test_patched_string_is_accepted_by_libpq_and_keeps_every_parameter(where: str, before: str, after: str) -> None:
    conninfo_to_dict = _psycopg().conninfo.conninfo_to_dict
    old, new = conninfo_to_dict(before), conninfo_to_dict(after)
    for key, value in old.items():
        assert key in new, f"{where}: {key} was lost"
        if key not in FIX_KEYS:
            assert new[key] == value, f"{where}: {key} changed"
    if before != after and "keepalives_idle" in new:
        assert int(new["keepalives_idle"]) <= 300
        assert new["keepalives"] == "1"


def test_patched_query_keeps_parameter_order() -> None:
    where, before, after = next(p for p in PAIRS if "target_session_attrs" in p[1] and p[1] != p[2])
    assert after.startswith(before), where  # appended after the existing query, nothing rewritten


# -- secrets --------------------------------------------------------------------------------


def test_redact_forms() -> None:
    assert redact("postgresql+psycopg2://app:s3cr%40t@db/app") == "postgresql+psycopg2://app:***@db/app"
    assert redact("jdbc:postgresql://h/db?user=a&password=p4ss&ssl=true") == (
        "jdbc:postgresql://h/db?user=a&password=***&ssl=true"
    )
    assert redact("host=h password='a b' dbname=x sslpassword=k") == "host=h password=*** dbname=x sslpassword=***"
    assert redact("postgres://user@host/db and http://example.com:8080/") == (
        "postgres://user@host/db and http://example.com:8080/"
    )


def _passwords(text: str) -> set[str]:
    found = set()
    for string in find_connection_strings(text):
        raw = text[string.start : string.end]
        if string.form in ("uri", "jdbc") and string.has_password:
            userinfo = raw.split("://", 1)[1].split("@", 1)[0]
            found.add(userinfo.split(":", 1)[1])
        found |= {param.value for param in string.params if param.key == "password"}
    found |= set(re.findall(r"password=(\S+)", text))
    secrets = {s for s in found if not TEMPLATE.search(s)}
    return {form for s in secrets for form in (s, unquote(s)) if len(form) >= 5}


def test_no_output_format_prints_a_password(tmp_path: Path) -> None:
    work = tmp_path / "secrets"
    for case in sorted(FIXTURES.iterdir()):
        shutil.copytree(case / "before", work / case.name, symlinks=True)
    passwords = set()
    for path in work.rglob("*"):
        if path.is_file():
            passwords |= _passwords(path.read_bytes().decode("utf-8", "replace"))
    assert {"s3cret-env", "json-dsn-pw", "jdbc-pw", "with space", "p@ss:w0rd"} <= passwords
    runs = [[fmt_flag, fmt, *extra, "."] for fmt_flag, fmt in (("--format", f) for f in FORMATS) for extra in (
        [], ["--show-fixes"], ["--unsafe-fixes", "--show-fixes"], ["--select", "PGF4", "--exit-zero"],
    )]  # fmt: skip
    outputs = [run_cli(args, work) for args in runs]
    written = tmp_path / "written"
    shutil.copytree(work, written)
    outputs.append(run_cli(["--write", "--unsafe-fixes", "--show-fixes", "."], written))
    outputs.append(run_cli(["--write", "--format", "json", "."], written))
    assert any("PGF401" in outcome.stdout for outcome in outputs)
    for args, outcome in zip([*runs, ["--write"], ["--write", "json"]], outputs):
        shown = outcome.stdout + outcome.stderr
        leaked = sorted(password for password in passwords if password in shown)
        assert not leaked, f"{args}: passwords in the output"


# -- a real server ----------------------------------------------------------------------------

KEEPALIVE_OPTIONS = ("TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT")


@pytest.fixture(scope="module")
def cluster():  # noqa: ANN201 - yields tests.pg_server.Cluster
    """One throw-away server for this module (skipped without PostgreSQL, failed under CI)."""
    if not all(hasattr(socket, option) for option in KEEPALIVE_OPTIONS):
        pytest.skip("this platform has no per-socket keepalive options")
    from tests.pg_server import temporary_cluster

    with temporary_cluster() as running:
        yield running


def _socket_options(conn) -> tuple[int, int, int, int]:  # noqa: ANN001 - a psycopg connection
    sock = socket.fromfd(conn.pgconn.socket, socket.AF_INET, socket.SOCK_STREAM)  # a duplicate descriptor
    try:
        keepalive = sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
        idle, interval, count = (sock.getsockopt(socket.IPPROTO_TCP, getattr(socket, name)) for name in KEEPALIVE_OPTIONS)
        return keepalive, idle, interval, count
    finally:
        sock.close()


def _fixture_string(case: str, name: str, variable: str, side: str) -> str:
    text = (FIXTURES / case / side / name).read_text()
    line = next(line for line in text.splitlines() if line.startswith(f"{variable}="))
    (string,) = find_connection_strings(line)
    return _libpq_form(string, line) or ""


@pytest.mark.parametrize(
    ("case", "name", "variable"),
    [
        ("env-file-quotes", ".env", "DATABASE_URL"),  # a safe fix to a postgresql+psycopg2:// URI
        ("unsafe-fixes-written", ".env", "PLAIN_URI"),  # ?...&sslmode opened by two fixes
        ("unsafe-fixes-written", ".env", "PLAIN_DSN"),  # key=value
        ("unsafe-fixes-written", ".env", "QUOTED_DSN"),  # keepalives=0 turned on, then completed
    ],
)
def test_patched_string_sets_keepalive_socket_options_on_a_real_server(
    case: str, name: str, variable: str, cluster  # noqa: ANN001 - tests.pg_server.Cluster
) -> None:
    psycopg = _psycopg()
    before = _fixture_string(case, name, variable, "before")
    after = _fixture_string(case, name, variable, "after")
    assert before and after and before != after
    fixed = (1, int(FIXED["keepalives_idle"]), int(FIXED["keepalives_interval"]), int(FIXED["keepalives_count"]))
    # Same string, aimed at the test server: keyword arguments override host, port, user and database.
    target = {"host": "127.0.0.1", "port": cluster.port, "user": "postgres", "dbname": "postgres"}
    target["sslmode"] = "disable"  # the test cluster has no certificate
    with psycopg.connect(after, **target) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
        assert conn.info.host == "127.0.0.1"
        assert _socket_options(conn) == fixed
    with psycopg.connect(before, **target) as conn:
        options = _socket_options(conn)
        assert options[1:] != fixed[1:], "the unpatched string already had the fixed timers"


# -- the view API other layers reuse ---------------------------------------------------------------


def _source(name: str, text: str):  # noqa: ANN202 - a SourceFile
    from pgconf_fix.source import SourceFile

    return SourceFile.from_bytes(Path("/repo") / name, name, text.encode())


@pytest.mark.parametrize(
    ("name", "text", "consumer"),
    [
        ("db.py", 'import psycopg\nconn = psycopg.connect("postgresql://u@db.example.com/app")\n', "libpq"),
        ("db.py", 'import psycopg2, asyncpg\nURL = "postgresql://u@db.example.com/app"\n', "unknown"),
        ("db.go", 'const URL = "postgresql://u@db.example.com/app" // psycopg\n', "unknown"),
        (".env", "URL=postgresql+psycopg://u@db.example.com/app\n", "libpq"),
        (".env", "URL=db+postgresql://u@db.example.com/app\n", "libpq"),
        (".env", "URL=postgresql+asyncpg://u@db.example.com/app\n", "asyncpg"),
        (".env", "URL=postgresql+pg8000://u@db.example.com/app\n", "pg8000"),
        (".env", "URL=jdbc:postgresql://db.example.com/app\n", "pgjdbc"),
    ],
)
def test_consumer(name: str, text: str, consumer: str) -> None:
    from pgconf_fix.views.client import connection_views

    (view,) = connection_views(_source(name, text))
    assert view.consumer == consumer


def test_a_placement_from_another_layer_receives_the_fix() -> None:
    """What the Python layer does for psycopg2.connect(...) keyword arguments."""
    from dataclasses import dataclass

    from pgconf_fix.findings import Edit, Location
    from pgconf_fix.source import SourceFile
    from pgconf_fix.views.base import Assignment
    from pgconf_fix.views.client import ClientConnection

    text = 'psycopg2.connect(host="db.example.com", keepalives_idle=7200)\n'
    source = _source("app.py", text)

    @dataclass(frozen=True)
    class Kwargs:
        source: SourceFile
        close: int

        def location(self) -> Location:
            return Location(self.source, 0, self.close + 1)

        def render(self, value: str) -> str:
            return value

        def insert(self, pairs):  # noqa: ANN001, ANN202
            return (Edit(self.source, self.close, self.close, "".join(f", {k}={v}" for k, v in pairs)),)

    placement = Kwargs(source, text.index(")"))
    view = ClientConnection("libpq", ["db.example.com"], "kwargs")
    view.add_placement(placement)
    start = text.index("7200")
    view.add_setting(Assignment("keepalives_idle", source, start - 16, start + 4, "7200", start, start + 4), placement)
    from pgconf_fix.edits import apply_edits

    edits = view.add_edits([("keepalives_idle", "60"), ("keepalives_count", "6")])
    assert apply_edits(text, edits)[0] == 'psycopg2.connect(host="db.example.com", keepalives_idle=60, keepalives_count=6)\n'
    refused = ClientConnection("asyncpg", ["db.example.com"], "kwargs")
    refused.add_placement(placement)
    assert refused.set_edits("keepalives_idle", "60") == ()


@pytest.mark.parametrize("variant", ["crlf", "no-markers", "two-sections"])
def test_a_list_whose_icann_section_is_not_plain_is_read_whole(variant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The list is cut to its ICANN section only when each marker is one whole line, once, and
    no line ends with a carriage return (issue 18); otherwise it is read whole, with universal
    newlines, as before, and decides as the library reading the same file does."""
    import publicsuffixlist
    from publicsuffixlist import PSLFILE, PublicSuffixList

    from pgconf_fix.views import client

    with open(PSLFILE, encoding="utf-8") as stream:
        text = stream.read()
    if variant == "crlf":  # the markers' lines end in a bare line feed, every other line in CR LF
        text = text.replace("\n", "\r\n").replace("===\r\n", "===\n")
        text = text.replace("\r\n// ===BEGIN ICANN", "\n// ===BEGIN ICANN").replace("\r\n// ===END ICANN", "\n// ===END ICANN")
    elif variant == "no-markers":
        text = text.replace("// ===BEGIN ICANN DOMAINS===", "// ICANN")
    else:
        text += "\n// ===BEGIN ICANN DOMAINS===\nexample\n// ===END ICANN DOMAINS===\n"
    changed = tmp_path / "public_suffix_list.dat"
    changed.write_bytes(text.encode("utf-8"))
    monkeypatch.setattr(publicsuffixlist, "PSLFILE", str(changed))
    client._public_suffix_text.cache_clear()
    client._public_suffixes.cache_clear()
    try:
        assert client._public_suffix_text() == text.replace("\r\n", "\n")
        with open(changed, encoding="utf-8") as stream:
            whole = PublicSuffixList(source=stream.read(), only_icann=True)
        for name in ("db.example.com", "x.herokuapp.com", "a.www.ck", "db.example", "a.city.kawasaki.jp"):
            tld = name.rpartition(".")[2]
            part = client._public_suffixes(tld)
            expected = (whole.publicsuffix(name, accept_unknown=False), whole.privatesuffix(name, accept_unknown=False))
            assert (part.publicsuffix(name, accept_unknown=False), part.privatesuffix(name, accept_unknown=False)) == expected, name
    finally:
        client._public_suffix_text.cache_clear()
        client._public_suffixes.cache_clear()


def test_one_top_level_domain_of_the_public_suffix_list_decides_as_the_whole_list() -> None:
    """is_public_host parses only the rules under the name's top-level domain (issue 18): for a
    name made of every rule of the list (and one more label), both give the same public and
    private suffix, IDN rules, wildcards (``*.ck``) and exceptions (``!www.ck``) included."""
    from publicsuffixlist import PSLFILE, PublicSuffixList

    from pgconf_fix.views.client import _public_suffixes

    whole = PublicSuffixList(only_icann=True)
    with open(PSLFILE, encoding="utf-8") as stream:
        rules = [line.lstrip("!*.") for line in stream.read().splitlines() if line and not line.startswith("//")]
    names = ["db.example.com", "www.ck", "a.www.ck", "foo.ck", "a.city.kawasaki.jp", "x.herokuapp.com"]
    for rule in rules:
        try:
            rule = rule.encode("idna").decode("ascii")
        except UnicodeError:
            continue
        names += [rule, f"db.{rule}"]
    # Each top-level domain is parsed once (a tenth of them, IDNs among them, and the largest).
    domains = sorted({name.rpartition(".")[2] for name in names})
    chosen = {*domains[::10], "com", "jp", "no", "it", "br", "ck", "uk", "xn--p1ai"}
    names = sorted((name for name in names if name.rpartition(".")[2] in chosen), key=lambda name: name.rpartition(".")[2])
    assert len(names) > 5_000
    for name in names:
        part = _public_suffixes(name.rpartition(".")[2])
        expected = (whole.publicsuffix(name, accept_unknown=False), whole.privatesuffix(name, accept_unknown=False))
        assert (part.publicsuffix(name, accept_unknown=False), part.privatesuffix(name, accept_unknown=False)) == expected, name

"""No password in anything pgconf-fix prints: findings in every format, fixes, errors, --live.

Passwords are planted in every carrier the tool reads (URI user information plain and
percent-encoded, key=value quoted and unquoted, JDBC ``password=``, ``PGPASSWORD=``,
Python ``password=``, Django ``PASSWORD``, ``URL.create(password=...)``, asyncpg keywords,
``primary_conninfo`` in postgresql.conf and SQL, Terraform) and in the shapes that
defeat a naive redactor (quotes, doubled quotes, backslashes, ``@``, ``%40``, spaces).
Each password starts with ``ZQK`` and ends with ``QKZ``: neither may appear in any output
but a ``--diff`` (which shows the files as they are, by design).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from pgconf_fix.redact import MASK, excerpt, redact, secrets
from tests.cli_runner import Outcome, run_cli

SPECIALS = ["'", '"', "''", "\\", "@", "%40", " ", "a b'c\"d\\e@f"]
PASSWORDS = [f"ZQK{n}x{special}yQKZ" for n, special in enumerate(SPECIALS)]


def _libpq_quoted(password: str) -> str:
    """A key=value value as libpq reads it: single quotes, backslash escapes."""
    return "'" + password.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _libpq_unquoted(password: str) -> str:
    return "".join("\\" + char if char in " '\\" else char for char in password)


def _conf_quoted(text: str) -> str:
    """A postgresql.conf or SQL string literal: quotes doubled."""
    return "'" + text.replace("'", "''") + "'"


def plant(root: Path) -> None:
    """One tree with every password in every carrier."""
    for n, password in enumerate(PASSWORDS):
        encoded = quote(password, safe="")
        host = f"db{n}.example.com"
        d = root / f"case{n}"
        d.mkdir()
        (d / ".env").write_text(
            f"DATABASE_URL=postgresql://u:{password}@{host}/app\n"
            f"ENCODED_URL=postgresql://u:{encoded}@{host}/app\n"
            f"DSN=host={host} user=u password={_libpq_quoted(password)} dbname=x\n"
            f"DSN2=host={host} user=u password={_libpq_unquoted(password)} dbname=x\n"
            f"JDBC_URL=jdbc:postgresql://{host}/app?user=u&password={encoded}\n"
            f"PGPASSWORD={_libpq_unquoted(password)}\n"
        )
        (d / "app.py").write_text(
            "import asyncpg\nimport psycopg2\nimport psycopg_pool\nimport sqlalchemy\n\n"
            f'engine = sqlalchemy.create_engine("postgresql+psycopg2://u:{encoded}@{host}/app")\n'
            f"conn = psycopg2.connect(host={host!r}, user='u', password={password!r}, dbname='x')\n"
            f"DATABASES = {{'default': {{'ENGINE': 'django.db.backends.postgresql', 'HOST': {host!r}, "
            f"'PASSWORD': {password!r}, 'CONN_MAX_AGE': 60}}}}\n"
            f"pool = psycopg_pool.ConnectionPool({('host=' + host + ' password=' + _libpq_quoted(password))!r})\n"
            f"url = sqlalchemy.engine.URL.create('postgresql+psycopg2', username='u', password={password!r}, host={host!r})\n"
            "engine2 = sqlalchemy.create_engine(url)\n\n\n"
            "async def main():\n"
            f"    return await asyncpg.connect(host={host!r}, user='u', password={password!r})\n"
        )
        conninfo = f"host={host} user=rep password={_libpq_quoted(password)}"
        (d / "postgresql.conf").write_text(
            f"primary_conninfo = {_conf_quoted(conninfo)}\ntcp_keepalives_idle = 0\n"
        )
        (d / "settings.sql").write_text(f"ALTER SYSTEM SET primary_conninfo = {_conf_quoted(conninfo)};\n")
        (d / "main.tf").write_text(
            f'resource "aws_db_instance" "db" {{\n  password = {json.dumps(password)}\n}}\n'
            f'resource "aws_lb" "x" {{\n  load_balancer_type = "application"\n  idle_timeout = 30\n}}\n'
        )
        # Broken files whose parse error (PGF001) sits on the password.
        broken = root / f"broken{n}"
        broken.mkdir()
        (broken / "main.tf").write_text(f'locals {{\n  x = postgresql://u:{encoded}@{host}/db\n}}\n')
        (broken / "postgresql.conf").write_text(
            f"primary_conninfo = 'x' {_conf_quoted('password=' + _libpq_quoted(password))}\n"
        )
        (broken / "bad.sql").write_text(f"ALTER SYSTEM SET primary_conninfo = {_conf_quoted(conninfo)[:-1]};\n")
        # An input error that quotes a URL: a dangling symlink whose target text holds one.
        (broken / "dangling").mkdir()
        (broken / "dangling" / "postgresql.conf").symlink_to(f"postgresql://u:{password}@{host}/db")


def leaks(text: str) -> list[str]:
    found = []
    for marker in ("ZQK", "QKZ"):
        at = text.find(marker)
        if at != -1:
            found.append(text[max(0, at - 60) : at + 60])
    return found


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("secrets")
    plant(root)
    return root


def _no_leak(outcome: Outcome, streams: tuple[str, ...] = ("stdout", "stderr")) -> None:
    assert "Traceback" not in outcome.stderr, outcome.stderr
    for name in streams:
        assert not leaks(getattr(outcome, name)), (name, leaks(getattr(outcome, name)))


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_no_password_in_any_format(planted: Path, fmt: str) -> None:
    outcome = run_cli(["--format", fmt, "--show-fixes", "--unsafe-fixes", "."], planted)
    assert outcome.code == 2, outcome.stderr  # the dangling symlinks
    assert "PGF401" in outcome.stdout and "PGF001" in outcome.stdout  # the planted files were judged
    _no_leak(outcome)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_fix_edits_redacted_and_marked(planted: Path, fmt: str) -> None:
    outcome = run_cli(["--format", fmt, "--unsafe-fixes", "."], planted)
    _no_leak(outcome)
    document = json.loads(outcome.stdout)
    if fmt == "json":
        edits = [edit for finding in document if finding["fix"] for edit in finding["fix"]["edits"]]
        marked = [edit for edit in edits if edit.get("redacted")]
    else:
        results = document["runs"][0]["results"]
        edits = [
            replacement
            for result in results
            for fix in result.get("fixes", [])
            for change in fix["artifactChanges"]
            for replacement in change["replacements"]
        ]
        marked = [edit for edit in edits if edit.get("properties", {}).get("redacted")]
    assert edits
    for edit in marked:
        content = edit["content"] if fmt == "json" else edit["insertedContent"]["text"]
        assert "***" in content


def test_diff_and_write_stay_exact(planted: Path, tmp_path: Path) -> None:
    import shutil

    work = tmp_path / "w"
    shutil.copytree(planted, work, symlinks=True)
    diff = run_cli(["--diff", "--unsafe-fixes", "."], work)
    _no_leak(diff, ("stderr",))
    assert "ZQK" in diff.stdout  # the diff shows the files as they are, passwords included
    write = run_cli(["--write", "--unsafe-fixes", "--show-fixes", "."], work)
    _no_leak(write)
    for n, password in enumerate(PASSWORDS):
        assert f"password={password!r}" in (work / f"case{n}" / "app.py").read_text()


def test_redact_before_truncating_on_the_decoded_token() -> None:
    line = "x = postgresql://u:ZQKxxxxxxxxxxxxxxxxxxxxxxxQKZ@h/db"
    start = line.index("://")
    assert "ZQK" not in excerpt(line, start, len(line), 20)
    conf = "primary_conninfo = 'host=h password=''ZQK''x''QKZ'' user=rep'"
    assert not leaks(redact(conf))
    assert "ZQK'x'QKZ" in secrets(conf)  # decoded: conf quoting, then libpq quoting
    assert redact("error: ZQK'x'QKZ", secrets(conf)) == "error: ***"


@pytest.mark.parametrize(
    "dsn",
    [
        "host=127.0.0.1 port={port} user=u sslpassword='ZQK1 x\\'yQKZ' password=ZQK2yQKZ connect_timeout=2",
        "postgresql://u:ZQK3%40x'QKZ@127.0.0.1:{port}/db?sslpassword=ZQK4QKZ",
        "host=127.0.0.1 port={port} password='ZQK5''QKZ",  # a malformed DSN: libpq's own error
    ],
)
def test_live_errors_mask_every_password(tmp_path: Path, dsn: str) -> None:
    from tests.pg_server import free_port

    pytest.importorskip("psycopg")
    outcome = run_cli(["--live", dsn.format(port=free_port())], tmp_path)
    assert outcome.code == 2
    _no_leak(outcome)


def test_live_report_masks_the_password(tmp_path: Path) -> None:
    from tests.pg_server import require_server, temporary_cluster

    pytest.importorskip("psycopg")
    server = require_server()
    password = "ZQK9 a'b\"c\\d@e%40fQKZ"
    with temporary_cluster(server) as cluster:
        import psycopg

        with psycopg.connect(host=cluster.host, port=cluster.port, user="postgres", dbname="postgres", autocommit=True) as conn:
            conn.execute(f"ALTER ROLE postgres PASSWORD {_conf_quoted(password)}")
        for dsn in (
            f"postgresql://postgres:{quote(password, safe='')}@127.0.0.1:{cluster.port}/postgres",
            f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres password={_libpq_quoted(password)}",
        ):
            for fmt in ("text", "json", "sarif", "github"):
                outcome = run_cli(["--live", dsn, "--format", fmt, "--show-fixes"], tmp_path)
                assert outcome.code in (0, 1), outcome.stderr
                _no_leak(outcome)


def test_an_edit_that_must_carry_a_password_is_masked_and_marked(tmp_path: Path) -> None:
    """JSON and SARIF mask it and say so; the text --write applies is the exact one."""
    from pgconf_fix.findings import Edit, Finding, Fix, Location
    from pgconf_fix.reporters import json as json_reporter
    from pgconf_fix.reporters import sarif
    from pgconf_fix.source import SourceFile

    text = "DSN=host=h password=ZQK1secretQKZ\n"
    source = SourceFile.from_bytes(tmp_path / ".env", ".env", text.encode())
    edit = Edit(source, 4, len(text) - 1, "host=h password=ZQK1secretQKZ keepalives=1")
    finding = Finding("PGF401", "client-keepalives", "warning", "m", Location(source, 4, 10), "u",
                      Fix("safe", "Set keepalives=1", (edit,)))  # fmt: skip
    shown = json.loads(json_reporter.render([finding]))[0]["fix"]["edits"][0]
    assert shown["redacted"] is True and not leaks(shown["content"]) and "keepalives=1" in shown["content"]
    replacement = json.loads(sarif.render([finding], []))["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0][
        "replacements"
    ][0]
    assert replacement["properties"] == {"redacted": True} and not leaks(replacement["insertedContent"]["text"])
    plain = Edit(source, 4, 4, "keepalives=1 ")
    unmarked = json.loads(json_reporter.render([Finding("PGF401", "n", "warning", "m", Location(source, 4, 10), "u",
                                                        Fix("safe", "x", (plain,)))]))[0]["fix"]["edits"][0]  # fmt: skip
    assert "redacted" not in unmarked


def test_password_keys_with_a_prefix() -> None:
    """Found by the fuzz: a password= glued to a word (dbpassword=, appassword=) was shown."""
    assert redact("DBPASSWORD=ZQK1QKZ dbpasswd=ZQK2QKZ x_password=ZQK3QKZ") == "DBPASSWORD=*** dbpasswd=*** x_password=***"
    assert redact("bypass=1 compass=north") == "bypass=1 compass=north"


def test_uri_user_information_without_a_clean_scheme(tmp_path: Path) -> None:
    """Found by the fuzz: a scheme glued to a number (``180postgresql://``) is no scheme, and a
    parse error's token may start at ``://``; the user information is a password all the same."""
    assert redact("unexpected '://u:ZQK1QKZ@h'") == "unexpected '://u:***@h'"
    assert "ZQK2QKZ" in secrets("default = 180postgresql://u:ZQK2QKZ@h/db0")
    (tmp_path / "main.tf").write_text('variable "x" {\n  default = 180postgresql://u:ZQK3QKZ@h/db0\n}\n')
    for fmt in ("text", "json"):
        outcome = run_cli(["--format", fmt, "main.tf"], tmp_path)
        assert outcome.code == 1 and "PGF001" in outcome.stdout, outcome.stdout
        assert not leaks(outcome.stdout + outcome.stderr), outcome.stdout


def test_a_parse_error_quoting_a_password_the_way_repr_does() -> None:
    """Found by the fuzz: python-hcl2's 'unexpected ...' shows the token as Python's repr,
    with its quotes and backslashes escaped, which no decoded form of the password matched."""
    text = 'resource "aws_db_instance" "db" {\n  password = "ZQK\'a\\"s s\\\\w@QKZ"\n} "ZQK\'a\\"s s\n'
    message = "invalid HCL: unexpected " + repr("\"ZQK'a\\\"s s")
    assert "ZQK" in message
    assert not leaks(redact(message, secrets(text), fragments=True))


def _corpus_texts() -> list[str]:
    """Every fixture file's text, and carriers whose case differs from the patterns' spelling
    (``re.IGNORECASE`` lets "s" match "ſ", U+017F, and "k" the Kelvin sign)."""
    texts = [
        path.read_text(encoding="utf-8", errors="surrogateescape")
        for path in sorted((Path(__file__).parent / "fixtures").rglob("*"))
        if path.is_file()
    ]
    texts += ["PGPASSWORD=hunter22x", "DB_PaSsWoRd='a b'", "paſſword=hunter22x", "x = {'PASSWD': 'abcdef'}",
              "postgresql://u:p%40ss@h/db", "://u:pw@h", "no carrier here", ""]
    return texts


def test_secret_spans_hint_changes_no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-look hint (redact._hinted) only skips texts none of the patterns matches: over
    the fixture corpus and odd spellings, the spans are those found with the hint off."""
    from pgconf_fix import redact as redact_module

    texts = _corpus_texts()
    hinted = [redact_module.secret_spans(text) for text in texts]
    assert any(hinted) and not all(hinted)
    monkeypatch.setattr(redact_module, "_hinted", lambda text: True)
    assert [redact_module.secret_spans(text) for text in texts] == hinted


def test_every_character_ignorecase_takes_for_p_a_s_casefolds_to_it() -> None:
    """What makes redact._hinted's casefolded look as wide as the patterns' IGNORECASE: each
    code point that ``re`` matches against p, a or s ignoring case casefolds to that letter."""
    import re

    letters = {letter: re.compile(letter, re.IGNORECASE) for letter in "pas"}
    taken = {
        letter: [chr(point) for point in range(0x110000) if pattern.fullmatch(chr(point))]
        for letter, pattern in letters.items()
    }
    assert "\u017f" in taken["s"] and "S" in taken["s"]  # the long s, as the patterns take it
    for letter, characters in taken.items():
        assert all(character.casefold() == letter for character in characters), (letter, characters)


def test_connection_string_prefilter_changes_no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """DSN_REQUIRES only spares texts without a confident DSN: the same strings are found over
    the fixture corpus, and over DSNs of every keyword pair, with the prefilter off."""
    from pgconf_fix.documents import connstr

    keywords = sorted(connstr.LIBPQ_KEYWORDS)
    texts = _corpus_texts() + [f"{a}=x {b}=y {c}=z" for a in keywords for b in ("host", "dbname", "port") for c in ("user", "dbname")]
    found = [connstr.find_connection_strings(text) for text in texts]
    assert any(found) and not all(found)
    monkeypatch.setattr(connstr, "DSN_REQUIRES", ("",))  # "" is in every text
    assert [connstr.find_connection_strings(text) for text in texts] == found


def test_names_of_the_tools_own_words_are_not_masked_inside() -> None:
    """Found by a newcomer with the usual compose password "postgres": "P***SQL 13" and
    "the ConfigMap's ***ql.conf" told readers which letters the password holds, in words printed
    whatever it is. A password as a whole word, longer than a name, or glued to it stays masked."""
    from pgconf_fix.redact import redact

    message = '"idle_session_timeout" is not a parameter of PostgreSQL 13; (not set in the ConfigMap\'s postgresql.conf)'
    assert redact(message, ["postgres"], fragments=True) == message
    assert redact(message, ["postgres"]) == message
    assert redact("PgBouncer stops loading here", ["BouncerPw9"], fragments=True) == "PgBouncer stops loading here"
    assert redact("compose service postgres", ["postgres"]) == "compose service ***"
    assert redact("near postgres, PostgreSQL", ["postgres"], fragments=True) == "near ***, PostgreSQL"
    assert "mypostgresql" not in redact("near mypostgresql.confpass here", ["mypostgresql.confpass"], fragments=True)
    assert redact("token PostgreSQLpw", ["PostgreSQLpw"]) == "token ***"
    assert redact("a PostgreSQL b", ["PostgreSQL"]) == "a *** b"  # the password is the whole name
    assert "ostgre" not in redact("near xPostgreSQL", ["postgres"], fragments=True)  # glued: not the name


def test_a_compose_file_with_the_usual_password_keeps_its_messages_readable(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  db:\n    image: postgres:13\n    command: postgres -c idle_session_timeout=60000\n"
        "    environment:\n      POSTGRES_PASSWORD: postgres\n"
    )
    outcome = run_cli(["--no-cache", "."], tmp_path)
    assert "is not a parameter of PostgreSQL 13" in outcome.stdout, outcome.stdout
    assert "***" not in outcome.stdout


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("host=db password='s3cr3tpw' sslmode=require", "host=db password=*** sslmode=require"),
        ("conn('host=db password=s3cr3tpw')", "conn('host=db password=***')"),
        ('dsn = "host=db password=\'s3cr3tpw\'"  # note', 'dsn = "host=db password=***"  # note'),
        ("primary_conninfo = 'host=x user=y password=''s3cr3tpw'''", "primary_conninfo = 'host=x user=y password=***'"),
        ("primary_conninfo = 'host=x password=''s3''''cr3t'' user=y'", "primary_conninfo = 'host=x password=*** user=y'"),
        ("ALTER SYSTEM SET primary_conninfo = 'host=x password=s3cr3tpw';", "ALTER SYSTEM SET primary_conninfo = 'host=x password=***';"),
        ('syntax error near token "\'host=x password=s3cr3tpw\'"', 'syntax error near token "\'host=x password=***\'"'),
        (
            "the server's SQL parser rejects this: syntax error at or near \"'host=x password=''s3cr3tpw'''\"",
            "the server's SQL parser rejects this: syntax error at or near \"'host=x password=***'\"",
        ),
        ('DATABASE_URL="postgresql://u@h/db?password=s3cr3tpw"', 'DATABASE_URL="postgresql://u@h/db?password=***"'),
        ("conn(r'host=db password=s3cr3tpw')", "conn(r'host=db password=***')"),
        # Not a closing quote: an apostrophe between letters opens no string, so the quote after
        # the password is the password's own (libpq reads an unquoted value to the blank).
        ("it's password=s3cr3tpw' here", "it's password=*** here"),
        # A backslash escapes a blank in libpq's unquoted value: the value goes on after it.
        ("DSN=host=h password=s3cr\\ t3pw dbname=x", "DSN=host=h password=*** dbname=x"),
    ],
)
def test_a_masked_password_leaves_the_quoting_around_it(text: str, shown: str) -> None:
    """The mask replaces the password as written (with its own libpq quotes) and nothing more:
    the quote that closes the string holding the connection string stays, so a message reads
    ``near token "'host=x password=***'"`` as the server wrote it."""
    assert redact(text) == shown


# Passwords that end in what a naive redactor takes for the closing quote of the string.
_QUOTE_ENDINGS = [*PASSWORDS, "ZQKa'", 'ZQKb"', "ZQKc''", "ZQKd\\", "ZQKe'\"", "ZQK f'"]


def _placed(password: str) -> list[tuple[str, str, str]]:
    """``(before, value as written, after)`` of a password in the places a message quotes: a
    postgresql.conf string (whose backslashes are escapes too: ``postgres -C`` reads ``\\\\`` as
    one), an SQL string (standard: backslashes are plain), the server's messages quoting
    either, and a Python literal (its escapes over libpq's)."""
    quoted, unquoted = _libpq_quoted(password), _libpq_unquoted(password)
    places = []
    for value in (quoted, unquoted):
        sql_value = value.replace("'", "''")
        conf_value = value.replace("\\", "\\\\").replace("'", "''")
        for tail in ("", " user=rep"):
            conf = ("primary_conninfo = 'host=h password=", conf_value, f"{tail}'")
            places += [
                conf,
                ("ALTER SYSTEM SET primary_conninfo = 'host=h password=", sql_value, f"{tail}';"),
                (f"syntax error near token \"{conf[0][19:]}", conf_value, f"{tail}'\""),
                (f"the server's SQL parser rejects this: at or near \"{conf[0][19:]}", sql_value, f"{tail}'\""),
            ]
            python = repr(f"host=h password={value}{tail}")
            cut = python.index("password=") + len("password=")
            end = python.rindex(tail) if tail else len(python) - 1
            places.append((f"psycopg2.connect({python[:cut]}", python[cut:end], f"{python[end:]})"))
    return places


@pytest.mark.parametrize("password", _QUOTE_ENDINGS)
def test_the_mask_covers_the_whole_password_and_the_quoting_survives(password: str) -> None:
    """Every character of the password as written is under the mask (a quote it ends with
    too), and what follows it is shown exactly. One exception: an SQL string whose unquoted
    password ends in a backslash before a blank reads, as a postgresql.conf string (its
    backslashes escape), as one password running on to the string's end; the redactor cannot
    tell the two apart, and masks the longer (postgres -C reads ``password=a\\\\ user=rep`` in
    postgresql.conf as the password "a user=rep")."""
    for before, value, after in _placed(password):
        shown = redact(before + value + after)
        if shown != before + MASK + after and "\\ " in value + after and ("ALTER SYSTEM" in before or "SQL parser" in before):
            assert shown == before + MASK + after[after.index("'") :], (before, value, after)
        else:
            assert shown == before + MASK + after, (before, value, after)


# The generated matrix: every class of password character, in every connection-string shape,
# in every carrier (each with its own escapes stacked on libpq's), through every output.
# Hex-only pieces are not looked for: SARIF's fingerprints are hex digests.
CHARACTER_CLASSES = {
    "blank": "ZQKa bQKZ",
    "tab": "ZQKa\tbQKZ",
    "quote": "ZQKa'bQKZ",
    "double-quote": 'ZQKa"bQKZ',
    "backslash": "ZQKa\\bQKZ",
    "backslash-blank": "ZQKa\\ bQKZ",
    "quote-then-delimiter": "ZQKa',bQKZ",
    "mixed": "ZQKa b'c\"d\\e@fQKZ",
    "u-escape": "ZQKa\\u0041bQKZ",
    "non-ascii": "ZQKaé€日bQKZ",
    "no-break-space": "ZQKa\u00a0bQKZ",  # libpq's isspace() is ASCII: part of an unquoted value
    "percent": "ZQKa%41bQKZ",
    "ampersand-semicolon": "ZQKa&b;cQKZ",  # part of a key=value value; ends a URL query's
}


def _shapes(password: str, host: str) -> dict[str, str]:
    """The connection strings that carry ``password``: key=value (libpq-quoted or escaped,
    first, middle, last), a URI's user information and query (percent-encoded)."""
    quoted, escaped = _libpq_quoted(password), _libpq_unquoted(password).replace("\t", "\\\t")
    encoded = quote(password, safe="")
    return {
        "kv-quoted": f"host={host} password={quoted} dbname=x",
        "kv-escaped": f"host={host} password={escaped} dbname=x",
        "kv-escaped-last": f"host={host} dbname=x password={escaped}",
        "kv-escaped-first": f"password={escaped} host={host} dbname=x",
        "uri": f"postgresql://u:{encoded}@{host}/app",
        "uri-query": f"postgresql://u@{host}/app?password={encoded}",
    }


def _backslashed(text: str, quote_char: str) -> str:
    """A double- or single-quoted string with backslash escapes (Python, JSON, HCL, TOML, .env)."""
    return quote_char + text.replace("\\", "\\\\").replace(quote_char, "\\" + quote_char).replace("\t", "\\t") + quote_char


def _every_character_escaped(text: str) -> str:
    """A JSON string writing everything but letters, digits and a few URL characters as \\uXXXX."""
    return '"' + "".join(c if (c.isascii() and c.isalnum()) or c in "=:/@. " else f"\\u{ord(c):04x}" for c in text) + '"'


def _properties(text: str) -> str:
    """A .properties value (java.util.Properties.load's escapes)."""
    return "".join("\\" + c if c in "\\ :=#!" else (f"\\u{ord(c):04x}" if not c.isascii() or c == "\t" else c) for c in text)


def _guc_quoted(text: str) -> str:
    """A postgresql.conf string: backslashes escape, quotes doubled."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _carriers(dsn: str, password: str) -> dict[str, str]:
    """File name -> text: ``dsn`` (and ``password`` alone) in each carrier, valid and broken."""
    hcl = _backslashed(dsn, '"').replace("${", "$${")
    return {
        "app.py": f"import psycopg2\n\nconn = psycopg2.connect({_backslashed(dsn, chr(39))})\n",
        "app2.py": f"import psycopg2\n\nconn = psycopg2.connect({_backslashed(dsn, chr(34))})\n",
        "kw.py": f"import psycopg2\n\nconn = psycopg2.connect(host='db.example.com', password={_backslashed(password, chr(39))})\n",
        "eng.py": f"import sqlalchemy\nengine = sqlalchemy.create_engine({_backslashed(dsn, chr(39))}, pool_recycle=9000)\n",
        "broken.py": f"import psycopg2\n\nconn = psycopg2.connect({_backslashed(dsn, chr(39))} +)\n",
        "config.json": '{\n  "dsn": ' + json.dumps(dsn, ensure_ascii=False) + "\n}\n",
        "ascii.json": '{\n  "dsn": ' + json.dumps(dsn) + "\n}\n",
        "escaped.json": '{\n  "dsn": ' + _every_character_escaped(dsn) + "\n}\n",
        "broken.json": '{\n  "dsn": ' + json.dumps(dsn) + ",\n}\n",
        "double.yaml": "db:\n  dsn: " + json.dumps(dsn) + "\n",
        "single.yaml": "db:\n  dsn: '" + dsn.replace("'", "''") + "'\n",
        "broken.yaml": "db:\n  dsn: " + json.dumps(dsn) + "\n x: [\n",
        "docker-compose.yml": "services:\n  db:\n    image: postgres:15\n    command: postgres -c "
        + json.dumps("primary_conninfo=" + dsn) + "\n",
        "application.properties": "db.dsn=" + _properties(dsn) + "\n",
        ".env": "DSN=" + _backslashed(dsn, '"') + "\n",
        "single.env": "DSN=" + _backslashed(dsn, "'") + "\n",
        "plain.env": "DSN=" + dsn + "\n",
        "config.toml": "[db]\ndsn = " + json.dumps(dsn) + "\n",
        "broken.toml": "[db]\ndsn = " + json.dumps(dsn) + " x\n",
        "main.tf": "locals {\n  dsn = " + hcl + "\n}\n",
        "broken.tf": "locals {\n  dsn = x " + hcl + "\n}\n",
        "broken2.tf": "locals {\n  dsn = " + hcl + " x\n}\n",
        "pgbouncer.ini": "[databases]\nx = " + dsn + "\n",
        "settings.sql": f"ALTER SYSTEM SET primary_conninfo = {_conf_quoted(dsn)};\n",
        "broken.sql": f"ALTER SYSTEM SET primary_conninfo = {_conf_quoted(dsn)} x;\n",
        "postgresql.conf": f"primary_conninfo = {_guc_quoted(dsn)}\n",
        "broken/postgresql.conf": f"primary_conninfo = 'x' {_guc_quoted(dsn)}\n",
    }


def _plant_matrix(root: Path) -> None:
    number = 0
    for name, password in CHARACTER_CLASSES.items():
        for shape, dsn in _shapes(password, f"db{number}.example.com").items():
            case = root / f"{name}--{shape}"
            for file_name, text in _carriers(dsn, password).items():
                (case / file_name).parent.mkdir(parents=True, exist_ok=True)
                (case / file_name).write_text(text, encoding="utf-8")
            number += 1
    # An input error (exit 2) whose message quotes a connection string: a dangling symlink.
    (root / "dangling").mkdir()
    (root / "dangling" / "postgresql.conf").symlink_to(f"host=h password={_libpq_unquoted(CHARACTER_CLASSES['mixed'])}")


def _pieces_shown(text: str) -> list[str]:
    """Each password of the matrix, or a piece of four characters or more of one, found in ``text``."""
    import re

    shown = []
    for password in CHARACTER_CLASSES.values():
        for size in range(4, len(password) + 1):
            for start in range(len(password) - size + 1):
                piece = password[start : start + size]
                if not re.fullmatch("[0-9a-f]+", piece) and piece in text:
                    at = text.index(piece)
                    shown.append(f"{piece!r} in {text[max(0, at - 100) : at + 40]!r}")
    return shown


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("matrix")
    _plant_matrix(root)
    return root


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_no_piece_of_a_password_in_any_carrier_any_format(matrix: Path, fmt: str) -> None:
    """Found here: a carrier's escapes stacked on libpq's (a Python '\\\\ ', postgresql.conf's
    doubled backslashes, an HCL string in a parse error) showed the part after the escape; a
    no-break space, '&' or ';' ended an unquoted value libpq reads on; a verifier's refusal
    quoted what libpq read where a fix landed inside a password."""
    outcome = run_cli(["--no-cache", "--format", fmt, "--show-fixes", "--unsafe-fixes", "."], matrix)
    assert outcome.code == 2, outcome.stderr  # the dangling symlink
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert "PGF401" in outcome.stdout and "PGF001" in outcome.stdout
    printed = outcome.stdout + outcome.stderr
    if fmt in ("json", "sarif"):  # also as decoded: JSON writes a quote as \", a tab as \t
        printed += "\n".join(_json_strings(json.loads(outcome.stdout)))
    assert not _pieces_shown(printed), _pieces_shown(printed)[:20]


def _json_strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _json_strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _json_strings(item)]
    return []


def test_no_piece_of_a_password_in_diff_or_write_messages(matrix: Path, tmp_path: Path) -> None:
    import shutil

    work = tmp_path / "w"
    shutil.copytree(matrix, work, symlinks=True)
    diff = run_cli(["--no-cache", "--diff", "--unsafe-fixes", "."], work)
    assert diff.code == 2 and "ZQK" in diff.stdout  # the diff shows the files as they are
    assert not _pieces_shown(diff.stderr), _pieces_shown(diff.stderr)[:20]
    write = run_cli(["--no-cache", "--write", "--unsafe-fixes", "--show-fixes", "."], work)
    assert "Traceback" not in write.stderr, write.stderr
    assert not _pieces_shown(write.stdout + write.stderr), _pieces_shown(write.stdout + write.stderr)[:20]


def _enclosing_as_first_written(text: str, at: int) -> str:
    """redact._enclosing as it was first written (a regex pass over the line up to ``at`` for
    each call), the oracle of its per-line form."""
    import re

    line = max(text.rfind("\n", 0, at), text.rfind("\r", 0, at)) + 1
    before = re.sub(r"\\.", "", text[line:at])
    prefix = re.compile(r"[rbuf]|rb|br|rf|fr", re.IGNORECASE)
    before = re.sub(r"(?<![^\W\d_])([^\W\d_]+)'(?=[^\W\d_])", lambda m: m.group(0) if prefix.fullmatch(m.group(1)) else m.group(1), before)
    opened = [quote for quote in "'\"" if before.count(quote) % 2]
    return "".join(sorted(opened, key=before.rfind, reverse=True))


def test_enclosing_reads_a_line_once_and_answers_as_before() -> None:
    """Every offset of the fixture corpus, of the planted carriers and of random lines of
    quotes, backslashes, letters and string prefixes: the same quotes, in the same order."""
    import random

    from pgconf_fix import redact as redact_module

    rng = random.Random(22)
    alphabet = ["'", '"', "\\", "a", "b", "r", "f", "é", "1", "_", " ", "=", "\n", "\r", "ab'c", "r'", "it's"]
    texts = _corpus_texts() + [text for dsn in _shapes("ZQKa b'c\"d\\eQKZ", "h").values() for text in _carriers(dsn, "p'w").values()]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40))) for _ in range(3000)]
    # The oracle's answer depends only on the line up to ``at``; the corpus repeats lines (a
    # fixture's before/ and after/), so each distinct line prefix is asked of it once.
    oracle: dict[str, str] = {}
    for text in texts:
        for at in range(len(text) + 1):
            prefix = text[max(text.rfind("\n", 0, at), text.rfind("\r", 0, at)) + 1 : at]
            if prefix not in oracle:
                oracle[prefix] = _enclosing_as_first_written(prefix, len(prefix))
            assert redact_module._enclosing(text, at) == oracle[prefix], (text, at)


@pytest.mark.parametrize("name", sorted(CHARACTER_CLASSES))
def test_a_configuration_error_quoting_a_password_masks_it_whole(name: str, tmp_path: Path) -> None:
    """Found by the matrix: a bad config value is quoted with repr, whose escapes stack on
    libpq's (main showed "not 'password=*** bQKZ'"); exit 2 in every format."""
    value = "password=" + _libpq_unquoted(CHARACTER_CLASSES[name]).replace("\t", "\\\t")
    (tmp_path / "pyproject.toml").write_text(f"[tool.pgconf-fix]\nidle-budget = {json.dumps(value)}\n")
    (tmp_path / "postgresql.conf").write_text("tcp_keepalives_idle = 0\n")
    for fmt in ("text", "json", "github", "sarif"):
        outcome = run_cli(["--no-cache", "--format", fmt, "."], tmp_path)
        assert outcome.code == 2 and "idle-budget" in outcome.stderr + outcome.stdout, outcome.stderr
        assert not _pieces_shown(outcome.stdout + outcome.stderr), _pieces_shown(outcome.stdout + outcome.stderr)


def _literal_end_as_first_written(text: str, open_at: int, stop: int, way: str) -> int | None:
    """redact._literal_end as it was first written (a loop over the characters), its oracle."""
    from pgconf_fix.redact import DOUBLED, KEEP

    quote = text[open_at]
    at = open_at + 1
    while at < stop:
        char = text[at]
        if (char == "\\" and way != DOUBLED) or (char == quote and way != KEEP and text[at + 1 : at + 2] == quote):
            at += 2
        elif char == quote:
            return at
        else:
            at += 1
    return None


def test_literal_end_answers_as_the_loop_it_replaced() -> None:
    """redact._literal_end (one possessive regex) against the character loop it replaced, at
    every quote of the fixture corpus and of random texts of quotes, backslashes and line
    breaks, for every way and every stop from the quote to the text's end."""
    import random

    from pgconf_fix import redact as redact_module

    rng = random.Random(18)
    texts = _corpus_texts() + ["".join(rng.choice("a'\"\\\n\r ") for _ in range(rng.randrange(1, 16))) for _ in range(2000)]
    asked = 0
    for text in texts:
        for open_at in (at for at, char in enumerate(text) if char in "'\""):
            # The corpus's long texts: stops near the quote and at line ends, not every offset.
            stops = range(open_at, len(text) + 1) if len(text) < 40 else {*range(open_at, min(open_at + 24, len(text) + 1)), len(text)}
            for stop in stops:
                for way in (redact_module.KEEP, redact_module.DROP, redact_module.DOUBLED):
                    expected = _literal_end_as_first_written(text, open_at, stop, way)
                    assert redact_module._literal_end(text, open_at, stop, way) == expected, (text, open_at, stop, way)
                    asked += 1
    assert asked > 50_000


def _decoded_as_first_written(raw: str) -> set[str]:
    """redact._decoded as it was first written (every form read again each round), its oracle."""
    import re
    from urllib.parse import unquote

    forms = {raw}
    for _ in range(3):
        for form in list(forms):
            inner = form
            if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                inner = inner[1:-1]
            elif inner[:1] in ("'", '"'):
                inner = inner[1:]
            forms |= {inner, inner.replace("''", "'"), re.sub(r"\\(.)", r"\1", inner), unquote(inner)}
    return forms


def test_secrets_decodes_each_password_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work, not time (issue 18, the cached rerun: a text report computes the passwords of
    every file it quotes): secrets() decodes each distinct value once (a span as written is
    most often also its own reading), and _decoded reads each form it finds once, not every
    form again each round (at most one percent-decoding a form it returns). The answers are
    the matrix tests'; here only the work is counted, over the fixture corpus."""
    from pgconf_fix import redact as redact_module

    decoded, unquote = redact_module._decoded, redact_module.unquote
    unquoted: list[str] = []
    calls: list[tuple[str, int, int]] = []  # (value, percent-decodings, forms returned)

    def counting_unquote(text: str) -> str:
        unquoted.append(text)
        return unquote(text)

    def counting_decoded(raw: str) -> set[str]:
        before = len(unquoted)
        forms = decoded(raw)
        calls.append((raw, len(unquoted) - before, len(forms)))
        return forms

    monkeypatch.setattr(redact_module, "unquote", counting_unquote)
    monkeypatch.setattr(redact_module, "_decoded", counting_decoded)
    texts = _corpus_texts()
    for text in texts:
        calls.clear()
        redact_module.secrets(text)
        values = [value for value, _, _ in calls]
        assert len(values) == len(set(values)), (text, values)
        for value, decodings, forms in calls:
            assert decodings <= forms, (value, decodings, forms)
            assert decoded(value) == _decoded_as_first_written(value), value
    assert unquoted  # the corpus holds passwords


def test_keyword_search_by_lines_finds_what_the_whole_text_search_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """redact._keyword_search looks for a keyword only in the lines that hold "pass": over the
    fixture corpus and random texts of keywords, quotes, line breaks and the long s, the spans
    are those of searching the whole text (the search it replaced, patched back in)."""
    import random

    from pgconf_fix import redact as redact_module

    rng = random.Random(18)
    pieces = ["pass", "PASS", "password", "passwd", "\u017f", "=", " ", "\t", ":", "'", '"', "\n", "\r", "\r\n",
              "a", "_", "PG", "ssl", "x=1", "db_", "://u:p@h", "\\", "''", "&", "?", ";", "\u00e9", "\u212a"]
    texts = _corpus_texts() + ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 14))) for _ in range(20000)]
    by_lines = [redact_module._written_spans(text) for text in texts]
    assert sum(map(bool, by_lines)) > 1000
    monkeypatch.setattr(redact_module, "_keyword_search", lambda keyword, text, pos, lines: keyword.search(text, pos))
    assert [redact_module._written_spans(text) for text in texts] == by_lines


@pytest.mark.parametrize("name", ["passwd", "etc/passwd", "../etc/passwd", "db_password", "secrets/PASSWORD"])
def test_a_file_named_like_a_password_key_is_named_and_a_password_beside_it_masked(name: str, tmp_path: Path) -> None:
    # "warning: etc/passwd: not checked" was printed "warning: etc/passwd: *** checked": the
    # line was masked whole, and a file name that is a keyword read as the key of what follows.
    work = tmp_path / "work"
    (work / Path(name).parent).mkdir(parents=True, exist_ok=True)
    (work / name).write_text("root:x:0:0:root:/root:/bin/bash\n")
    password = "ZQKsecret9QKZ"
    (work / ".env").write_text(f"DATABASE_URL=postgresql://app:{password}@db.example.com/app\n")
    missing = f"postgresql://app:{password}@db.example.com/app"  # a DSN given where a path goes
    outcome = run_cli(["--no-cache", name, ".env", missing], work)
    assert outcome.code == 2
    assert f"warning: {name}: not checked: no reader for this kind of file" in outcome.stderr
    assert f"error: postgresql://app:{MASK}@db.example.com/app: no such file or directory" in outcome.stderr
    assert "PGF401" in outcome.stdout
    assert "ZQK" not in outcome.stdout + outcome.stderr


def test_redact_around_masks_the_paths_own_password_and_the_rest() -> None:
    from pgconf_fix.redact import redact_around

    line = "warning: etc/passwd: a fix was dropped, because password=ZQKab'QKZ is refused"
    assert redact_around(line, ["etc/passwd"]) == f"warning: etc/passwd: a fix was dropped, because password={MASK} is refused"
    dsn = "postgresql://u:ZQKpwQKZ@h/db"
    assert redact_around(f"error: {dsn}: no such file", [dsn]) == f"error: postgresql://u:{MASK}@h/db: no such file"
    assert redact_around("passwd: x \ue000", ["passwd"]) == redact("passwd: x \ue000")  # no stand-in mistaken

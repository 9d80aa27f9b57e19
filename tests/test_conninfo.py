"""pgconf_fix.documents.connstr.parse_conninfo reads a string exactly as libpq does.

libpq itself is the judge: psycopg's ``conninfo_to_dict`` calls libpq's PQconninfoParse.
Both must agree on every string (the same dict, or both refuse with the same message) for
hand-picked edge cases, for every connection string in the fixture corpus (before and after),
and for generated strings.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import OperationalError, pq

from pgconf_fix.documents.connstr import (
    ConninfoError,
    find_connection_strings,
    parse_conninfo,
)
from pgconf_fix.verify.conninfo import (
    decoded_strings,
    libpq_reading,
    may_hold_connection_string,
)

FIXTURES = Path(__file__).parent / "fixtures"


def libpq(text: str) -> dict[str, str] | str:
    """What libpq's PQconninfoParse reads (psycopg's binding of it, as ``conninfo_to_dict``
    calls it), with values decoded as ours are: a percent-encoded byte that is not UTF-8
    (``postgresql://?host=%a0``, found by Hypothesis) is a surrogate escape, where
    ``conninfo_to_dict`` raises UnicodeDecodeError."""
    try:
        options = pq.Conninfo.parse(text.encode("utf-8", "surrogateescape"))
    except OperationalError as error:
        message = str(error).strip()
        # libpq appends the whole URI to some URI errors; ours stops before it.
        return message.split(': "postgres')[0] if "in URI" in message else message
    return {
        option.keyword.decode(): option.val.decode("utf-8", "surrogateescape")
        for option in options
        if option.val is not None
    }


def ours(text: str) -> dict[str, str] | str:
    try:
        return parse_conninfo(text)
    except ConninfoError as error:
        return str(error)


EDGE_CASES = [
    "postgresql://?host=%a0",  # a byte that is not UTF-8 (Hypothesis)
    "postgresql://h/db%a0%ff",
    "",
    " ",
    "postgresql://",
    "postgres://",
    "POSTGRESQL://h/db",
    "postgresql://h/db?",
    "postgresql://h/db?&",
    "postgresql://h/db?a",
    "postgresql://h/db?sslmode=require&",
    "postgresql://h/db?&&sslmode=require",
    "postgresql://h/db?sslmode=require#frag",
    "postgresql://h/db#x",
    "postgresql://h/db?sslmode=a=b",
    "postgresql://h/d?sslmode=require?keepalives=1",
    "postgres://u:p@h1:1,h2:2/db%20x?ssl=true",
    "postgresql://[::1]:5/d",
    "postgresql://[::1]x/d",
    "postgresql://[/d",
    "postgresql://[]/d",
    "postgresql:///db?host=/tmp",
    "postgresql://h/d?keepalives=%zz",
    "postgresql://h/d?%6beepalives=1",
    "postgresql://h/d?x=1",
    "postgresql://h/d?=1",
    "postgresql://h/d?sslmode=%00",
    "postgresql://u@h@x/d",
    "postgresql://u:@h/d",
    "postgresql://:p@h/d",
    "postgresql://u:a:b@h",
    "postgresql://h:abc/d",
    "postgresql://h:/d",
    "postgresql://h:5,k/d",
    "postgresql://h,/d",
    "postgresql://h/d/e",
    "postgresql://h?sslmode=require",
    "postgresql://h/",
    "postgresql://a%zz/d",
    "host=a port='5 4' x",
    "host=a\\ b dbname = 'c\\'d'",
    "host=a dbname=",
    "host=a  dbname=''",
    "host",
    "host='a",
    "host=a  =b",
    "host=a\tdbname=b\nport=3",
    "host=a keepalives_idle=60 keepalives_idle=30",
    "host=a bogus=1",
    "host=a\\",
    "host='a\\",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_read_as_libpq_reads_them(text: str) -> None:
    assert ours(text) == libpq(text)


def _corpus_strings() -> list[str]:
    found = set()
    for path in FIXTURES.rglob("*"):
        if not path.is_file() or path.stat().st_size > 200_000:
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        for string in find_connection_strings(text):
            if string.form != "jdbc":
                found.add(text[string.start : string.end])
    return sorted(found)


def test_every_fixture_string_reads_as_libpq_reads_it() -> None:
    strings = _corpus_strings()
    assert len(strings) > 50  # the corpus is really read
    for text in strings:
        plain = text
        for scheme in ("postgresql+psycopg2://", "postgresql+psycopg://", "postgresql+asyncpg://", "db+postgresql://"):
            plain = plain.replace(scheme, "postgresql://")
        assert ours(plain) == libpq(plain), text


def test_sqlalchemy_and_template_forms_are_read_after_normalising() -> None:
    text = "postgresql+psycopg2://u:${PW}@db.example.com/app?sslmode=require&keepalives_idle={IDLE}"
    (found,) = find_connection_strings(text)
    assert libpq_reading(text, found) == {
        "user": "u", "password": "T", "host": "db.example.com", "dbname": "app", "sslmode": "require",
        "keepalives_idle": "T",
    }  # fmt: skip


# -- generated strings --------------------------------------------------------------

KEYWORDS = st.sampled_from(
    ["host", "port", "dbname", "user", "sslmode", "keepalives", "keepalives_idle", "options", "application_name",
     "bogus", "ssl", "Host", ""]
)  # fmt: skip
PIECE = st.text(alphabet="ab01 '\\=&?#%/:@,[]\t", max_size=6)


@st.composite
def key_value_strings(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        key = draw(KEYWORDS)
        gap = draw(st.sampled_from(["", " ", "\t"]))
        value = draw(PIECE)
        if draw(st.booleans()):
            value = "'" + value + draw(st.sampled_from(["'", "", "\\'"]))
        parts.append(f"{key}{gap}={gap}{value}")
    return draw(st.sampled_from([" ", "  ", "\n"])).join(parts)


@st.composite
def uri_strings(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["postgresql://", "postgres://"]))
    userinfo = draw(st.sampled_from(["", "u@", "u:p@", "u%40x:p%3A@", ":@"]))
    hosts = draw(st.lists(st.sampled_from(["h", "db.example.com", "[::1]", "", "h:5432", "[::1]:5", "h%2Fx"]), max_size=3))
    path = draw(st.sampled_from(["", "/", "/app", "/a%20b", "/a#b"]))
    query = ""
    if draw(st.booleans()):
        pairs = [f"{draw(KEYWORDS)}={draw(PIECE)}" for _ in range(draw(st.integers(0, 3)))]
        query = "?" + "&".join(pairs) + draw(st.sampled_from(["", "&", "#x"]))
    return scheme + userinfo + ",".join(hosts) + path + query


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(key_value_strings(), uri_strings(), st.text(alphabet="abh=' \\postgrsql:/?&", max_size=30)))
def test_generated_strings_read_as_libpq_reads_them(text: str) -> None:
    assert ours(text) == libpq(text)


# -- the verifier's test before it imports connstr ------------------------------------------


def _fixture_texts() -> list[tuple[Path, str]]:
    texts = []
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and path.stat().st_size <= 200_000:
            texts.append((path, path.read_bytes().decode("utf-8", "surrogateescape")))
    return texts


def _never_misses(text: str) -> None:
    """``may_hold_connection_string`` may say True of a text that holds none, never False of
    one in which ``find_connection_strings`` (either reading) finds a string."""
    if not may_hold_connection_string(text):
        assert find_connection_strings(text) == [], text
        assert find_connection_strings(text, decoded=True) == [], text


def test_the_verifiers_prefilter_passes_every_fixture_text_that_holds_a_connection_string() -> None:
    said_no = held = 0
    for path, text in _fixture_texts():
        for value in {text, *decoded_strings(path, text)}:
            _never_misses(value)
            said_no += not may_hold_connection_string(value)
            held += bool(find_connection_strings(value))
    assert said_no > 100 and held > 50  # both answers are given on the corpus


PREFILTER_EDGES = [
    "dbname=a user=b port=5",  # a run of three with dbname, no host
    "hostaddr=10.0.0.1 dbname=a",
    "host\t=\ta dbname = b",
    "x = 1\nhost=a dbname=b\n",
    "postgresql://h/db",
    "POSTGRES://h/db",
    "db+postgresql://h/db",
    "jdbc:postgresql://h/db",
    "listen_addresses = 'localhost'\nport = 5432\n",  # the sample postgresql.conf's kind of text
    "HOST=a DBNAME=b",
    "ghost=a dbname=b user=c",
    "host.x=a dbname=b",
    "${host}=a dbname=b port=1",
]


@pytest.mark.parametrize("text", PREFILTER_EDGES)
def test_the_verifiers_prefilter_at_its_edges(text: str) -> None:
    _never_misses(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(key_value_strings(), uri_strings(),
                 st.lists(st.sampled_from(["host", "addr", "dbname", "=", " ", "\t", "\n", "://", "postgres", "ql",
                                           "x", ".", "-", "_", "'", "1", "user=u", "port=5"]), max_size=12).map("".join)))  # fmt: skip
def test_the_verifiers_prefilter_never_misses_a_generated_string(text: str) -> None:
    _never_misses(text)

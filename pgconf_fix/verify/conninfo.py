"""Verifier: every connection string an edit changed still reads, by libpq's rules, as intended.

The strings are read as the file's format decodes them (a JSON or YAML string value, a TOML
string, a Python string constant with an f-string's placeholders kept as ``{...}``), so an
escape the edit broke or a ``\\u0026`` the edit ignored shows. Formats without a parser here
are read as raw text. Each changed libpq string (key=value, or a URI of any
``postgres``/``postgresql`` scheme, SQLAlchemy's ``+driver`` and Celery's ``db+`` included) must

- parse with :func:`pgconf_fix.documents.connstr.parse_conninfo` (libpq's PQconninfoParse rules),
- read back every ``(keyword, value)`` the fix names in ``Fix.expect``,
- and keep every other keyword the string had with the value it had (an edit that turned
  ``sslmode=require`` into ``sslmode=require?keepalives=1`` is refused).

Template placeholders (``${VAR}``, ``{name}``, ``%(name)s``) read as one opaque word. JDBC URLs
are pgjdbc's, not libpq's, and are left to their own rule.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pgconf_fix.text_memo import TextMemo
from pgconf_fix.verify import Trial, verifier
from pgconf_fix.verify.formats import YAML_SUFFIXES

if TYPE_CHECKING:
    from pgconf_fix.documents.connstr import ConnectionString, ConninfoError

# pgconf_fix.documents.connstr (three dataclasses, four patterns: ~17 M instructions, 4 % of a
# run on one postgresql.conf) is imported where a text may hold a connection string
# (``may_hold_connection_string``); the sample postgresql.conf of every major holds none.


@cache
def _scheme() -> re.Pattern[str]:
    """A libpq URI's scheme with SQLAlchemy's driver or Celery's prefix, compiled when a changed
    URI is first read (an edit of a postgresql.conf changes none; issue 18)."""
    return re.compile(r"^(?:db\+)?postgres(?:ql)?(?:\+[A-Za-z0-9_]+)?://", re.IGNORECASE)


@cache
def _dsn_key() -> re.Pattern[str]:
    return re.compile(r"(?:host(?:addr)?|dbname)[ \t]*=")


def may_hold_connection_string(text: str) -> bool:
    """False when ``connstr.find_connection_strings(text)`` (either ``decoded``) finds nothing,
    decided without importing it: a URI it finds holds ``://`` (its scheme's pattern ends with
    it), and a key=value string it finds holds ``host``, ``hostaddr`` or ``dbname`` followed by
    blanks and ``=`` (a run is taken only with one of them, each pair read by ``_DSN_PAIR``).
    True is no promise: the text is then searched (tests/test_conninfo.py compares the two on
    the fixtures and on texts made to sit at the edge)."""
    return "://" in text or (("host" in text or "dbname" in text) and _dsn_key().search(text) is not None)


def _walk(value: object, seen: set[int] | None = None) -> Iterator[str]:
    """The strings of a decoded document, each list or dict walked once: YAML aliases make one
    object the value of many places (``&a [*b, *b, ...]`` nine deep is 9**9 strings reached
    from a file of a dozen lines), and an alias names text written once in the file."""
    if isinstance(value, str):
        yield value
        return
    if not isinstance(value, (dict, list, tuple)):
        return
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    for item in value.values() if isinstance(value, dict) else value:
        yield from _walk(item, seen)


def _python_strings(text: str) -> list[str]:
    """The module's string constants and f-strings (pgconf_fix.python_calls.module_facts, one
    parse a text); ValueError when ``ast`` cannot parse it."""
    from pgconf_fix.python_calls import module_facts

    facts = module_facts(text)
    if not facts.parsed:
        raise ValueError("not Python")
    return list(facts.strings)


def decoded_strings(path: Path, text: str) -> list[str]:
    """The string values of ``text`` as its format decodes them; ``[text]`` (the raw text, one
    item) when the format has no reader here or the file does not parse."""
    try:
        if path.suffix == ".json":
            return list(_walk(json.loads(text)))
        if path.suffix in YAML_SUFFIXES:
            import yaml

            return [item for document in yaml.safe_load_all(text) for item in _walk(document)]
        if path.suffix == ".toml":
            import tomllib  # here: a run that reads no .toml file never loads it

            return list(_walk(tomllib.loads(text)))
        if path.suffix == ".py":
            return _python_strings(text)
    except Exception:  # noqa: BLE001 - any parser's failure: the raw text is judged, its own verifier says why
        return [text]
    return [text]


def _strings(path: Path, text: str) -> tuple[tuple[str, ConnectionString], ...]:
    """The connection strings of ``text`` as its format decodes them, with what each reads as;
    remembered (``text_memo.TextMemo``), since each fix of a file is judged against the same
    original text."""
    return _remembered_strings(path, text)


def _read_strings(path: Path, text: str) -> tuple[tuple[str, ConnectionString], ...]:
    values = decoded_strings(path, text)
    decoded = values != [text]
    values = [value for value in values if may_hold_connection_string(value)]
    if not values:
        return ()
    # Remembered by value: the texts judged are edits of a few originals, which share most of
    # their values (issue 18).
    from pgconf_fix.documents.connstr import connection_strings

    return tuple(
        (value[found.start : found.end], found)
        for value in values
        for found in connection_strings(value, decoded)
    )


_remembered_strings = TextMemo(_read_strings)


def opaque_templates(text: str) -> str:
    """``text`` with each template placeholder replaced by one plain word (``T``)."""
    from pgconf_fix.documents.connstr import _template_end

    out = []
    pos = 0
    while pos < len(text):
        end = _template_end(text, pos, len(text)) if text[pos] in "${%" else None
        if end is not None:
            out.append("T")
            pos = end
        else:
            out.append(text[pos])
            pos += 1
    return "".join(out)


def libpq_reading(text: str, found: ConnectionString) -> dict[str, str] | None:
    """What libpq reads from one found string (None for JDBC); ConninfoError when it refuses it."""
    from pgconf_fix.documents.connstr import parse_conninfo

    if found.form == "jdbc":
        return None
    plain = opaque_templates(text)
    if found.form == "uri":
        plain = _scheme().sub("postgresql://", plain, count=1)
    return parse_conninfo(plain)


def _safe_message(error: ConninfoError) -> str:
    # libpq quotes the offending token, which may be a user name or a password: keep keywords only.
    message = str(error)
    if "percent-encoded" in message or "IPv6" in message or "unexpected character" in message:
        return message.split(":")[0]
    return message


@verifier("libpq would not read the edited connection string as intended", applies=lambda path: True)
def connection_strings_read_as_intended(trial: Trial) -> str | None:
    old = _strings(trial.path, trial.old)
    new = _strings(trial.path, trial.new)
    if not new:
        return None  # the edited text holds no connection string, so none was changed
    from pgconf_fix.documents.connstr import ConninfoError

    # The old strings as a multiset: an edited string is one no old string accounts for (a
    # list's scan here made a file of many connection strings quadratic; issue 18).
    remaining = Counter(text for text, _ in old)
    changed: list[tuple[int, str, ConnectionString]] = []
    for index, (text, found) in enumerate(new):
        if remaining[text] > 0:
            remaining[text] -= 1
        else:
            changed.append((index, text, found))
    expect = dict(trial.expect)
    for index, text, found in changed:
        try:
            reading = libpq_reading(text, found)
        except ConninfoError as error:
            counterpart = old[index] if len(old) == len(new) else None
            if counterpart is not None:
                try:
                    libpq_reading(*counterpart)
                except ConninfoError:
                    continue  # libpq refused it before the edit too
            return _safe_message(error)
        if reading is None:
            continue
        for key, value in expect.items() if trial.single else ():
            # What libpq read instead is not quoted: the edit landed inside another value, and
            # what it read may be a piece of the file the redactor cannot place (a password's).
            if key not in reading:
                return f"{key} reads unset, not {value!r}"
            if reading[key] != value:
                return f"{key} reads another value, not {value!r}"
        if len(old) == len(new):
            try:
                before = libpq_reading(*old[index])
            except ConninfoError:
                continue
            before = before or {}
            for key in before.keys() | reading.keys():
                if before.get(key) != reading.get(key) and (key not in expect or reading.get(key) != expect[key]):
                    return f"the edit changed {key}"  # its value unquoted, as above
    return None

"""Client connections: one settings view per PostgreSQL connection, whatever wrote it.

A :class:`ClientConnection` holds the settings of one connection under libpq's
keyword names (``keepalives``, ``keepalives_idle``, ``keepalives_interval``,
``keepalives_count``, ``sslmode``, ``host`` ...; pgjdbc's own names for JDBC
URLs), who reads them (``consumer``: libpq, asyncpg, pgjdbc, pg8000 or
unknown) and where it goes (``hosts``; ``local`` for loopback and Unix
sockets, which are never judged).

The settings of one connection can come from several places: a URL's query,
the keyword arguments of a call. Each place is a *placement*, a small object
that knows that place's syntax::

    class Placement(Protocol):
        source: SourceFile
        def location(self) -> Location: ...                 # where a missing setting is reported
        def render(self, value: str) -> str: ...            # a value as written in this place
        def insert(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]: ...  # add settings

A builder makes the view, calls ``add_placement`` for each place (the first one
receives new settings) and ``add_setting(assignment, placement)`` for each
setting found; ``set_edits(key, value)`` and ``add_edits(pairs)`` then replace
a value where it is written or insert the missing ones through the placement.
Nothing is written for a consumer that would not understand the keyword
(``writable``): asyncpg and pg8000 refuse libpq keywords.

``connection_views(source)`` builds the views of every connection string in
a file (:mod:`pgconf_fix.documents.connstr`); the Python layer can reuse it for
string literals and add its own placements for keyword arguments.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from pgconf_fix.documents.carriers import Carrier
from pgconf_fix.documents.connstr import (
    LIBPQ_KEYWORDS,
    TEMPLATE,
    ConnectionString,
    connection_strings,
)
from pgconf_fix.findings import SAFE, UNSAFE, Edit, Fix, Location, Problem
from pgconf_fix.setting import Refusal
from pgconf_fix.source import SourceFile
from pgconf_fix.views.base import Assignment, SettingsView

if TYPE_CHECKING:
    from pgconf_fix.views.image_readers import ReaderSpan

LIBPQ, ASYNCPG, PGJDBC, PG8000, UNKNOWN = "libpq", "asyncpg", "pgjdbc", "pg8000", "unknown"
# Go drivers (pgx, lib/pq), e.g. Atlas reading atlas.hcl: Go's net.Dialer turns on 15 s TCP
# keepalives by default (FACTS.md), and unknown URL keywords reach the server as settings.
GO = "go"
PGBOUNCER = "pgbouncer"  # a [databases] entry: PgBouncer's own connection to the server
# Clients that are not libpq, decided from the file's language and the repository's manifests
# (FACTS.md "Clients": Go's net.Dialer keeps alive every 15 s by default, pgx every 5 min;
# node-postgres ignores libpq keywords in a URL and leaves keepAlive off).
PGX, GO_PQ, NODE_PG, NPGSQL = "pgx", "lib/pq", "node-postgres", "Npgsql"
# Seconds between keepalive probes a Go driver sets when nothing else is configured.
GO_KEEPALIVE_DEFAULTS = {PGX: 300, GO_PQ: 15}
# libpq's keepalive keywords. The Go drivers read none of them and send every keyword they do not
# read to the server as a run-time setting, which the server refuses: lib/pq 1.10.7 conn.go
# (isDriverSetting, startup) and pgx pgconn/config.go at 01c2ccd (notRuntimeParams); checked with
# lib/pq: 'pq: unrecognized configuration parameter "keepalives"' (tests/test_refused_keepalive_keywords.py).
# (tcp_user_timeout is sent the same way, but it is a server parameter too (12+): the server takes
# it for its own end of the connection, so it is not in this list.) node-postgres and Npgsql
# ignore them in a URL (FACTS.md "Clients"). For these consumers the keywords switch nothing:
# PGF402 has nothing to say of keepalives=0 there.
LIBPQ_TCP_KEYWORDS = ("keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count")
SENT_TO_SERVER = (GO_PQ, PGX)
IGNORED_BY = (NODE_PG, NPGSQL)
# asyncpg refuses them too (asyncpg 0.32 against PostgreSQL 15: its own connect() sends them as
# startup parameters, 'unrecognized configuration parameter "keepalives_idle"'; SQLAlchemy's
# asyncpg dialect hands a URL's query to connect() as keywords: "TypeError: connect() got an
# unexpected keyword argument 'keepalives_idle'"; tests/test_refused_keepalive_keywords.py). Its
# keepalives are the server's side (server_settings): PGF401 asks for those.
REFUSED_BY = (*SENT_TO_SERVER, ASYNCPG)
PGJDBC_KEYS = frozenset({"tcpKeepAlive", "sslmode", "ssl"})
_LIBPQ_DRIVERS = ("psycopg2", "psycopg", "psycopg2cffi", "psycopg_async", "pygresql")
# Name suffixes that never resolve on the public internet.
PRIVATE_SUFFIXES = (
    ".local", ".localdomain", ".internal", ".lan", ".home.arpa", ".svc", ".cluster.local", ".corp",
    ".intranet", ".private", ".test", ".example", ".invalid", ".localhost", ".home", ".intra",
)  # fmt: skip
# libpq reads these keywords with parse_int_param (fe-connect.c): C white space,
# an optional sign, decimal digits, white space, within a C int; anything else refuses the
# connection with 'invalid integer value "..." for connection option "..."' (libpq 17 and 18,
# checked through psycopg2 and psycopg: tests/test_libpq_refusals.py). connect_timeout is left
# out: psycopg 3 reads it itself ("bad value for connect_timeout: 'abc'") and accepts
# 2147483648, which psycopg2's libpq refuses.
LIBPQ_INTEGER_KEYWORDS = ("keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout")
LIBPQ_SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")  # case counts
# With keepalives on, libpq hands these to setsockopt as they are (a negative one as 0), and
# Linux takes only 1..MAX_TCP_KEEPIDLE/KEEPINTVL (32767 s) and 1..MAX_TCP_KEEPCNT (127):
# else EINVAL, and the connection fails (checked with libpq 17 and 18 on Linux 6.18).
LINUX_KEEPALIVE_LIMITS = {
    "keepalives_idle": ("TCP_KEEPIDLE", 32767),
    "keepalives_interval": ("TCP_KEEPINTVL", 32767),
    "keepalives_count": ("TCP_KEEPCNT", 127),
}
_LIBPQ_INTEGER = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*")


def libpq_integer(key: str, text: str) -> int:
    """``text`` as libpq reads the integer keyword ``key`` (parse_int_param): ASCII digits only
    (``６０`` is refused), within a C int. Raises ValueError in libpq's words otherwise."""
    match = _LIBPQ_INTEGER.fullmatch(text)
    if match is not None and len(match.group(1).lstrip("+-").lstrip("0")) <= 10:
        value = int(match.group(1))
        if -(2**31) <= value < 2**31:
            return value
    shown = _shown(text.lstrip(" \t\n\v\f\r"))  # libpq skips leading white space before it quotes
    raise ValueError(f'invalid integer value "{shown}" for connection option "{key}"')


def _shown(value: str) -> str:
    """A value quoted in a message: cut to 40 characters."""
    return value if len(value) <= 40 else value[:37] + "..."


PGBOUNCER_INI = re.compile(r"^[ \t]*\[(?:pgbouncer|databases)\][ \t]*$", re.MULTILINE | re.IGNORECASE)
_PSYCOPG_IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]+psycopg", re.MULTILINE)
_OTHER_DRIVER = re.compile(r"\b(?:asyncpg|pg8000)\b")


class Placement(Protocol):
    source: SourceFile

    def location(self) -> Location: ...

    def render(self, value: str) -> str: ...

    def insert(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]: ...


@dataclass(frozen=True, eq=False)
class _StringPlacement:
    """A connection string inside a carrier (a decoded string value of the file): its offsets
    are the carrier's, and edits are written back in the carrier's own encoding."""

    source: SourceFile
    string: ConnectionString
    carrier: Carrier

    def location(self) -> Location:
        carrier = self.carrier
        return Location(self.source, carrier.to_file(self.string.start), carrier.to_file(self.string.end))

    def replace(self, assignment: Assignment, value: str) -> tuple[Edit, ...]:
        """``assignment``'s value (file offsets) set to ``value``; () when it cannot be written.
        A setting read from another file (Airflow's connect_args dict) is replaced there as written."""
        if assignment.source.path != self.carrier.source.path:
            return (Edit(assignment.source, assignment.value_start, assignment.value_end, self.render(value)),)
        carrier = self.carrier
        edit = carrier.edit(carrier.from_file(assignment.value_start), carrier.from_file(assignment.value_end), self.render(value))
        return (edit,) if edit is not None else ()

    def render(self, value: str) -> str:
        raise NotImplementedError

    def _edit(self, start: int, end: int, content: str, holds_from: int | None = None) -> tuple[Edit, ...]:
        edit = self.carrier.edit(start, end, content, holds_from)
        return (edit,) if edit is not None else ()


def open_tail(text: str, string: ConnectionString) -> bool:
    """The URI ends in a template placeholder outside any ``key=value`` (``.../{DB}{OPTS}``,
    ``://{rest}``, ``?{EXTRA}``): the placeholder may already hold a query, so nothing can be
    appended safely (issue 13, 2.1)."""
    end = string.end
    tail_start = string.query_start if string.query_start is not None else string.start
    tail = text[tail_start:end]
    if not tail or TEMPLATE.search(tail) is None:
        return False
    if string.query_start is None:
        path = tail.split("://", 1)[-1]
        last = path.rsplit("/", 1)[-1]
        return bool(TEMPLATE.search(last)) and _ends_with_template(last)
    last_item = tail.rsplit("&", 1)[-1]
    return "=" not in last_item.split("}")[-1] and "=" not in last_item


def broken_value(text: str, string: ConnectionString, decoded: bool) -> bool:
    """The URI is a whole string value (nothing but blanks before it) that goes on after a line
    break inside the value: an escaped ``\\r`` or ``\\n`` in a .properties or .env value, or a
    multi-line scalar. Its reader may take the rest as part of the URL's last parameter, so a
    parameter appended before the break would end that one early and take the rest as its own
    value (found by the fuzz: ``passwo\\rd=...`` became ``passwo&...&sslmode=require\\rd=...``,
    an sslmode pgjdbc refuses): nothing is appended."""
    return decoded and not text[: string.start].strip() and bool(text[string.end :].strip())


def _ends_with_template(text: str) -> bool:
    stripped = text.rstrip()
    return stripped.endswith(("}", ")")) or bool(re.search(r"%\([^)]*\)[a-z]$|%[sdv]$|\$[A-Za-z_]\w*$", stripped))


# Files whose lines a shell runs, by name; a Dockerfile's lines are a shell's too, but for the
# instructions whose values Docker reads itself (ENV, ARG, LABEL: & and ? are plain there).
_SHELL_SUFFIXES = (".sh", ".bash", ".zsh", ".ksh")
_DOCKER_VALUE_LINE = re.compile(r"[ \t]*(?:ENV|ARG|LABEL)[ \t]", re.IGNORECASE)


def _dockerfile(source: SourceFile) -> bool:
    name = source.path.name
    return name.startswith(("Dockerfile", "Containerfile")) or name.endswith((".Dockerfile", ".dockerfile"))


def _shell_file(source: SourceFile) -> bool:
    name = source.path.name
    return name.endswith(_SHELL_SUFFIXES) or name == ".envrc" or name.startswith("Procfile") or _dockerfile(source)


def _unquoted(text: str) -> bool:
    """Whether a shell (POSIX quoting) is outside quotes and outside a ``${...}`` at the end of
    ``text`` (a ``${NAME:-word}``'s word runs to its brace: ``&`` is plain there, bash checked)."""
    quote_char, braces, index = "", 0, 0
    while index < len(text):
        char = text[index]
        if char == "\\" and quote_char != "'":
            index += 2
            continue
        if quote_char:
            quote_char = "" if char == quote_char else quote_char
        elif char == "#" and not braces and (index == 0 or text[index - 1] in " \t\n"):
            index = text.find("\n", index)  # a comment, to the end of its line (a "don't" there opens nothing)
            if index < 0:
                break
            continue
        elif char in "'\"":
            quote_char = char
        elif text.startswith("${", index):
            braces += 1
            index += 1
        elif char == "}" and braces:
            braces -= 1
        index += 1
    return not quote_char and not braces


def bare_shell_word(carrier: Carrier, string: ConnectionString) -> bool:
    """The URI is an unquoted word of a command line: a line of a shell script or a Dockerfile's
    RUN (raw text), or a string value that holds a command (a workflow's ``run:``, a compose
    ``command:``, a ``sh -c`` argument: text with a blank before the URI, or ``NAME=URI`` with
    a command after it). A shell (and
    go-shellwords, compose's splitter) ends a command at an unquoted ``&`` and takes ``?`` for
    a glob, so no query is appended there."""
    text = carrier.value
    if carrier.decoded:
        before = text[: string.start]
        if not before.strip():
            return False  # the value is the URI (what follows it is broken_value's)
        if not re.search(r"\s", before.lstrip()) and not text[string.end :].strip():
            return False  # an assignment NAME=URI and nothing else (a compose environment item)
    else:
        if not _shell_file(carrier.source):
            return False
        before = text[: string.start]
        name = carrier.source.path.name
        script = name.endswith((*_SHELL_SUFFIXES, ".envrc")) or name.startswith("Procfile")
        if not script and _DOCKER_VALUE_LINE.match(text):
            return False  # a Dockerfile's ENV, ARG or LABEL
    return _unquoted(before)


@dataclass(frozen=True, eq=False)
class UriQuery(_StringPlacement):
    """The query of a URI: ``?k=v`` when there is none, ``&k=v`` after the last parameter.

    Merged as libpq reads a query (fe-connect.c ``conninfo_uri_parse_params``): parameters are
    split at ``&`` only, so a trailing ``?`` or ``&`` is followed directly, and a ``#`` is no
    fragment but part of the value it ends: new parameters go after it, at the very end, where
    libpq reads them as written and leaves the last value as it was.
    """

    def render(self, value: str) -> str:
        return quote(value, safe="")

    def insert(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]:
        added = "&".join(f"{quote(key, safe='')}={self.render(value)}" for key, value in pairs)
        text, end = self.carrier.value, self.string.end
        if open_tail(text, self.string) or broken_value(text, self.string, self.carrier.decoded):
            return ()
        if bare_shell_word(self.carrier, self.string):
            return ()
        if self.string.query_start is None:
            # Hold the character before the insertion point (without rewriting it): two fixes that
            # both open the query then overlap, and the second is re-done in the next pass with "&"
            # (never "??").
            return self._edit(end, end, f"?{added}", holds_from=end - 1)
        query = text[self.string.query_start : end]
        if not query or query.endswith("&"):
            # An open query ("?" or a trailing "&"): hold that character as above, so a second fix
            # in the same pass overlaps and is redone with "&" instead of running on.
            return self._edit(end, end, added, holds_from=end - 1)
        return self._edit(end, end, f"&{added}")


@dataclass(frozen=True, eq=False)
class DsnPairs(_StringPlacement):
    """A libpq key=value string: `` key=value`` after the last pair."""

    def render(self, value: str) -> str:
        if value and not re.search(r"[\s'\\]", value):
            return value
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def insert(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]:
        added = "".join(f" {key}={self.render(value)}" for key, value in pairs)
        return self._edit(self.string.end, self.string.end, added)


class ClientConnection(SettingsView):
    layer = "client"
    # What PGF404 says of a connection without sslmode.
    unset_sslmode = "sslmode is not set, and the default (prefer) silently falls back to an unencrypted connection"

    def __init__(self, consumer: str, hosts: Sequence[str], form: str, scheme: str = "") -> None:
        super().__init__()
        self.consumer = consumer
        self.hosts = tuple(hosts)
        self.form = form  # "uri", "jdbc", "dsn", or the Python layer's own ("kwargs", ...)
        self.scheme = scheme
        self.placements: list[Placement] = []
        self.assignments: list[tuple[Assignment, Placement]] = []
        # asyncpg has no keepalive keywords: where its server_settings (startup parameters the
        # server applies) can be written instead, when the Python layer found such a place.
        self.server_side: Placement | None = None
        # How that place is written, for messages: SQLAlchemy's engine hands connect_args to
        # asyncpg.connect(); asyncpg's own calls take server_settings= themselves.
        self.server_side_hint = 'connect_args={"server_settings": {"tcp_keepalives_idle": "60", ...}}'
        self.server_side_name = "connect_args server_settings"
        # asyncpg's own connect()/create_pool() read the DSN with asyncpg's parser, which takes
        # sslmode (disable ... verify-full) from its query; SQLAlchemy's asyncpg dialect hands
        # query keys to connect() as keywords, where sslmode is a TypeError and ssl= is read.
        self.asyncpg_own_dsn = False
        # Host names that reach a container beside the client with no box between them (a
        # GitHub Actions job's service containers, by their labels): local, as loopback is.
        self.local_names: frozenset[str] = frozenset()
        # The program that reads the string when it is not the repository's own code (an
        # image's, views.image_readers), for messages: "mattermost/...'s MM_SQLSETTINGS_DATASOURCE".
        self.reader = ""
        # Where the hosts come from when they are not written as they are (a compose file's
        # ${POSTGRES_HOST} filled in from .env), for messages; "" when they are.
        self.host_note = ""

    # -- building -----------------------------------------------------------------------

    def add_placement(self, placement: Placement) -> None:
        self.placements.append(placement)
        self.scope.add(placement.source.path)

    def add_setting(self, assignment: Assignment, placement: Placement) -> None:
        self.assignments.append((assignment, placement))
        self.scope.add(assignment.source.path)

    def add_underlying_settings(self, settings: Sequence[tuple[Assignment, Placement]]) -> None:
        """Settings the connection's own (those added so far) override: put before them, so that
        a key set in both is the connection's (``_effective`` takes the last)."""
        self.assignments[:0] = settings
        self.scope.update(assignment.source.path for assignment, _ in settings)

    # -- what libpq refuses --------------------------------------------------------------

    @property
    def problems(self) -> list[Problem]:  # type: ignore[override]
        """What the consumer refuses (PGF001): those a builder noted, ``libpq_refusals``, and
        ``driver_refusals``."""
        return [*self._problems, *self.libpq_refusals(), *self.driver_refusals()]

    @problems.setter
    def problems(self, value: list[Problem]) -> None:
        self._problems = list(value)

    def libpq_refusals(self) -> list[Problem]:
        """The settings libpq refuses to connect with, in its own words, where libpq is known to
        read them (``consumer``): an integer keyword it cannot read (``libpq_integer``), an
        sslmode it does not know, and, with keepalives on, a keepalive timer Linux's setsockopt
        refuses (LINUX_KEEPALIVE_LIMITS). Values from templates are not judged."""
        if self.consumer != LIBPQ:
            return []
        refused: list[tuple[Assignment, str]] = []
        numbers: dict[str, int | None] = {}  # None: a template
        for key in LIBPQ_INTEGER_KEYWORDS:
            current = self.effective(key)
            if current is None:
                continue
            if TEMPLATE.search(current.value):
                numbers[key] = None
                continue
            try:
                numbers[key] = libpq_integer(key, current.value)
            except ValueError as exc:
                refused.append((current, str(exc)))
        # libpq reads the timers only with keepalives on: absent, or a number other than 0. A
        # refused or templated keepalives is not known to be on (libpq stops at the first).
        on = self.effective("keepalives") is None or numbers.get("keepalives") not in (0, None)
        if not on:
            refused = [(current, message) for current, message in refused if current.key not in LINUX_KEEPALIVE_LIMITS]
        else:
            for key, (option, maximum) in LINUX_KEEPALIVE_LIMITS.items():
                value = numbers.get(key)  # a number only where the keyword is written
                if value is not None and not 1 <= value <= maximum:
                    refused.append((self.effective(key), f"{key} = {value}: setsockopt({option}) fails with Invalid argument on Linux, which takes 1 to {maximum}"))
        sslmode = self.effective("sslmode")
        if sslmode is not None and not TEMPLATE.search(sslmode.value) and sslmode.value not in LIBPQ_SSLMODES:
            refused.append((sslmode, f'invalid sslmode value: "{_shown(sslmode.value)}"'))
        return [Problem(current.location, f"{self.describe()}: {message}; libpq refuses to connect") for current, message in refused]

    def driver_refusals(self) -> list[Problem]:
        """libpq keepalive keywords in a string a driver that refuses them reads (``REFUSED_BY``):
        a Go driver or asyncpg's own connect() sends them to the server as run-time settings, and
        the server refuses the connection; SQLAlchemy's asyncpg dialect raises TypeError. One
        problem, at the first keyword written, naming every one."""
        if self.consumer not in REFUSED_BY:
            return []
        written = [found for key in LIBPQ_TCP_KEYWORDS if (found := self._effective(key, in_string=True)) is not None]
        if not written:
            return []
        first = min((assignment for assignment, _ in written), key=lambda assignment: assignment.start)
        names = ", ".join(assignment.key for assignment, _ in written)
        answer = f'"{first.key}"' if len(written) == 1 else "naming one of them"
        refused = f"which refuses the connection (unrecognized configuration parameter {answer})"
        if self.consumer in SENT_TO_SERVER:
            why = (f"{self.consumer} does not read libpq's keepalive keywords and sends them to the server as run-time "
                   f"settings, {refused}; remove them: {self.consumer} dials with Go's net.Dialer, which keeps the "
                   "connection alive itself")
        elif self.asyncpg_own_dsn:
            why = (f"asyncpg does not read libpq's keepalive keywords: its connect() sends them to the server as startup "
                   f"parameters, {refused}; remove them and set the server's side instead (server_settings, PGF401)")
        elif "+asyncpg" in self.scheme:
            why = (f"SQLAlchemy's asyncpg dialect hands them to asyncpg.connect() as keywords, which it does not take "
                   f"(TypeError: connect() got an unexpected keyword argument '{first.key}'); remove them and set the "
                   "server's side instead (server_settings, PGF401)")
        else:
            why = (f"asyncpg does not read libpq's keepalive keywords: its own connect() sends them to the server as "
                   f"startup parameters, {refused}, and SQLAlchemy's asyncpg dialect raises TypeError; remove them and "
                   "set the server's side instead (server_settings, PGF401)")
        return [Problem(first.location, f"{self.describe()}: {names}: {why}")]

    # -- what the rules ask -------------------------------------------------------------

    @property
    def local(self) -> bool:
        """Loopback or Unix socket for every host (or a name in ``local_names``); no host at all
        means the default socket."""
        return all(is_local_host(host) or host.strip().lower() in self.local_names for host in self.hosts)

    @property
    def public(self) -> bool:
        """Some host is reachable over the internet: a public IP or a dotted public name."""
        return any(is_public_host(host) for host in self.hosts)

    @property
    def applicability(self) -> str:
        """Known consumers get safe fixes; a string whose reader we cannot see gets unsafe ones."""
        return SAFE if self.consumer in (LIBPQ, PGJDBC) else UNSAFE

    @property
    def fix_applicability(self) -> str:  # type: ignore[override]
        return self.applicability

    def writable(self, key: str) -> bool:
        if self.consumer == PGJDBC:
            return key in PGJDBC_KEYS
        if self.consumer in (PGX, GO_PQ, NODE_PG):
            return key == "sslmode"  # they read sslmode from a URL, and no libpq keepalive keyword
        if self.consumer in (LIBPQ, UNKNOWN):
            return key in LIBPQ_KEYWORDS
        if self.consumer == ASYNCPG and self.asyncpg_own_dsn:
            return key == "sslmode"  # its DSN parser reads sslmode, and sends other keys to the server
        return False  # asyncpg and pg8000 send or reject unknown keywords: never add libpq ones

    def describe(self, *notes: str) -> str:
        """The connection for messages, by host only: never the user information."""
        # A host holding "@" comes from a password with an unencoded "@": show what follows it.
        shown = ",".join(host.rpartition("@")[2] or "(default socket)" for host in self.hosts) or "the default socket"
        if len(shown) > 60:
            shown = shown[:57] + "..."
        kind = {"dsn": "key=value connection", "jdbc": "JDBC connection"}.get(self.form, "connection")
        notes = (self.consumer, *notes) if self.consumer not in (UNKNOWN, PGJDBC) else notes
        if self.reader:
            notes = (*notes[:1], f"read by {self.reader}", *notes[1:])
        if self.host_note:
            notes = (*notes, self.host_note)
        return f"{kind} to {shown}" + (f" ({', '.join(notes)})" if notes else "")

    def sslmode_advice(self, target: str) -> str:
        """What PGF404 tells the user to write."""
        return f"set sslmode={target}"

    def effective(self, key: str) -> Assignment | None:
        """The assignment of ``key`` that the consumer reads (the last one written), leaving out a
        libpq keepalive keyword written in a connection string whose reader reads none
        (``REFUSED_BY``, ``IGNORED_BY``; asyncpg's server_settings, which the Python layer reads
        under these names, are its own and stay)."""
        unread = key in LIBPQ_TCP_KEYWORDS and self.consumer in (*REFUSED_BY, *IGNORED_BY)
        found = self._effective(key, in_string=False) if unread else self._effective(key)
        return found[0] if found else None

    def _effective(self, key: str, in_string: bool | None = None) -> tuple[Assignment, Placement] | None:
        """The last assignment of ``key`` with its place: anywhere (``in_string`` None), only
        one written in a connection string (True), or only one that is not (False: a keyword
        argument, asyncpg's server_settings)."""
        for assignment, placement in reversed(self.assignments):
            if assignment.key == key and (in_string is None or isinstance(placement, _StringPlacement) == in_string):
                return assignment, placement
        return None

    def numeric(self, assignment: Assignment, unit: str | None) -> int:
        text = assignment.value.strip()
        if TEMPLATE.search(text):
            raise ValueError(f"{assignment.key} comes from a template")
        if self.consumer == LIBPQ and assignment.key in LIBPQ_INTEGER_KEYWORDS:
            return libpq_integer(assignment.key, assignment.value)
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError(f"{assignment.key} is not an integer")
        if len(text.lstrip("+-").lstrip("0")) > 20:
            raise ValueError(f"{assignment.key} is out of range")
        return int(text)

    def missing_location(self, key: str) -> Location:
        return self.placements[0].location()

    def no_fix_note(self) -> str:
        """Why a missing setting gets no fix here, for messages ("" when nothing stands in the way)."""
        for placement in self.placements:
            if isinstance(placement, UriQuery) and open_tail(placement.carrier.value, placement.string):
                return (
                    " (no fix: the URL ends in a template placeholder, which may already hold a query;"
                    " add the settings where the placeholder is filled)"
                )
            if isinstance(placement, UriQuery) and broken_value(placement.carrier.value, placement.string, placement.carrier.decoded):
                return " (no fix: the value goes on after a line break inside it, which its reader may take as part of the URL)"
            if isinstance(placement, UriQuery) and bare_shell_word(placement.carrier, placement.string):
                return (
                    " (no fix: the URL is an unquoted word of a command, where a shell ends the command at"
                    " the & between parameters; quote the URL, and the fix is written inside the quotes)"
                )
        carriers = [placement.carrier for placement in self.placements if hasattr(placement, "carrier")]
        if carriers and all(carrier.encode is None and not any(part[2] for part in carrier.parts) for carrier in carriers):
            return " (no fix: this value is read but not written here: a heredoc's text, or a value written in a form pgconf-fix does not rewrite)"
        return ""

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        return self.add_edits([(key, value)])

    def fix_all(self, pairs: Sequence[tuple[str, str]]) -> Fix | Refusal:
        """Several settings in one fix ("Set k=v, k2=v2"), replaced where written, else inserted
        through the first placement that takes them; a Refusal when the consumer would not read
        them or no place can take them. The fix expects every pair read back (pgconf_fix.verify)."""
        edits = self.add_edits(pairs)
        if not edits:
            return Refusal(f"{self.consumer} does not read {', '.join(key for key, _ in pairs)} here")
        return Fix(self.applicability, f"Set {', '.join(f'{k}={v}' for k, v in pairs)}", edits, tuple(pairs))

    def fix_server_side(self, pairs: Sequence[tuple[str, str]]) -> Fix | Refusal:
        """libpq keepalive keywords written as the server-side settings they stand for, in
        asyncpg's ``server_settings`` (unsafe: a pooler may refuse startup parameters)."""
        if self.server_side is None:
            return Refusal("no server_settings to write to")
        # A key already in server_settings gets its value replaced (a second one would be refused).
        present = [(key, value) for key, value in pairs if self.effective(key) is not None]
        edits = tuple(self.server_side.insert([pair for pair in pairs if pair not in present]))
        edits += tuple(_replace_quoted(self.effective(key), value) for key, value in present)  # type: ignore[arg-type]
        if not edits:
            return Refusal("no server_settings to write to")
        return Fix(UNSAFE, f"Set tcp_keepalives_* in {self.server_side_name}", edits)

    def add_edits(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]:
        """Replace each value where it is written, insert the others in one go; () if refused."""
        if not self.placements or not all(self.writable(key) for key, _ in pairs):
            return ()
        edits: list[Edit] = []
        missing = []
        for key, value in pairs:
            current = self._effective(key)
            if current is None:
                missing.append((key, value))
            elif current[0].value != value:
                assignment, placement = current
                replace = getattr(placement, "replace", None)
                if replace is None:
                    edits.append(Edit(assignment.source, assignment.value_start, assignment.value_end, placement.render(value)))
                else:
                    done = replace(assignment, value)
                    if not done:
                        return ()  # the value cannot be written in its place's encoding
                    edits.extend(done)
        if missing:
            # The first place that can take them (a URL whose tail is a placeholder cannot).
            inserted: tuple[Edit, ...] = ()
            for placement in self.placements:
                inserted = placement.insert(missing)
                if inserted:
                    break
            if not inserted:
                return ()
            edits.extend(inserted)
        return tuple(edits)


def _replace_quoted(assignment: Assignment, value: str) -> Edit:
    """An edit that writes ``value`` over a server_settings entry's value, as the string asyncpg
    requires (in the quote the entry used)."""
    text = assignment.source.text
    quote = text[assignment.value_start] if text[assignment.value_start] in "'\"" else '"'
    return Edit(assignment.source, assignment.value_start, assignment.value_end, f"{quote}{value}{quote}")


def is_local_host(host: str) -> bool:
    if TEMPLATE.search(host):
        return False  # a host from a variable or a template may be anywhere
    name = host.strip().lower()
    if not name or name.startswith(("/", "@")):
        return True  # Unix-domain socket (a directory, or Linux's abstract namespace)
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


# Top-level domains of RFC 1591 (plus the two-letter country codes): a two-label name ends in
# one of these when it is a registered domain, not a Kubernetes <service>.<namespace>.
_CLASSIC_TLDS = frozenset({"com", "net", "org", "edu", "gov", "mil", "int"})


# The markers of the list's ICANN section: ``only_icann`` reads the rules between them and no other.
_ICANN_BEGIN = "// ===BEGIN ICANN DOMAINS==="
_ICANN_END = "// ===END ICANN DOMAINS==="


@functools.lru_cache(maxsize=1)
def _public_suffix_text() -> str:
    """The ICANN section of the list bundled with the ``publicsuffixlist`` package (no network),
    from its first marker line to its last: ``only_icann`` skips every other line, so the
    private section (two fifths of the file; all but one of the ~1,200 rules under ``com``)
    need not be decoded, scanned or parsed (issue 18). The whole text, read with universal
    newlines, when the file has a carriage return or each marker is not one whole line, once."""
    from publicsuffixlist import PSLFILE

    with open(PSLFILE, "rb") as stream:
        data = stream.read()
    begin = data.find(f"\n{_ICANN_BEGIN}\n".encode())
    end = data.find(f"\n{_ICANN_END}\n".encode())
    once = data.count(_ICANN_BEGIN.encode()) == 1 and data.count(_ICANN_END.encode()) == 1
    if begin == -1 or end < begin or not once or b"\r" in data:
        with open(PSLFILE, encoding="utf-8") as stream:
            return stream.read()
    return data[begin + 1 : end + 1 + len(_ICANN_END)].decode("utf-8")


@functools.lru_cache(maxsize=64)
def _public_suffixes(tld: str):  # noqa: ANN202 - publicsuffixlist is imported here, lazily
    """The list's ICANN rules for names under ``tld`` (a name's last label) and the section's
    markers, parsed by ``publicsuffixlist``. A rule matches a name only when its labels are the
    name's last ones, so these rules decide every name under ``tld`` as the whole list does
    (tests/test_client.py compares both on every rule of the list); parsing the whole list
    (~10,000 rules, their IDNs encoded) took ~80 ms a run, one top-level domain's ~10 ms; its
    lines are found by the literal ``tld`` at a line's end (issue 18).
    An IDN top-level domain (``xn--``) keeps every non-ASCII rule, which the library encodes;
    rules that are all ASCII are not encoded (IDNA leaves an ASCII label as it is), so the
    ``idna`` codec is not loaded for them."""
    from publicsuffixlist import PublicSuffixList

    text = _public_suffix_text()
    rule = rf"(?:[!*]|[^\s/]*\.)?{re.escape(tld)}"
    if tld.startswith("xn--") or not text.startswith(_ICANN_BEGIN):
        if tld.startswith("xn--"):
            rule += r"|[^/\n]*[^\x00-\x7f].*"
        kept = re.findall(rf"^(?://\s*===.*|{rule})$", text, re.MULTILINE)
    else:
        # re finds a literal at once; a pattern anchored at each line's start tries every line.
        whole_line = re.compile(rule)
        kept = [_ICANN_BEGIN]
        for match in re.finditer(rf"{re.escape(tld)}$", text, re.MULTILINE):
            line = text[text.rfind("\n", 0, match.start()) + 1 : match.end()]
            if whole_line.fullmatch(line):
                kept.append(line)
        kept.append(_ICANN_END)
    return PublicSuffixList(source="\n".join(kept), only_icann=True, accept_encoded_idn=not all(map(str.isascii, kept)))


def is_public_host(host: str) -> bool:
    """A host reachable over the internet, decided positively: a global IP address, or a name
    under a registered public suffix (the ICANN section of the Public Suffix List, as bundled by
    the ``publicsuffixlist`` package; https://publicsuffix.org/) with a label of its own.

    Not public: templates, loopback and sockets, private and reserved addresses, single labels,
    names under a suffix the list does not know (``.internal``, ``.local``, ``.svc``,
    ``postgres.postgres``), and two-label names whose top-level domain is not one of RFC 1591's
    or a country code: inside Kubernetes (search domains, ``ndots:5``) ``db.prod`` is the
    service ``db`` of the namespace ``prod`` before it is anything under the ``.prod`` TLD.
    """
    if TEMPLATE.search(host) or is_local_host(host):
        return False
    name = host.strip().lower().rstrip(".")
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_global
    except ValueError:
        pass
    if "." not in name or not re.fullmatch(r"[a-z0-9.\-_]+", name) or name.endswith(PRIVATE_SUFFIXES):
        return False  # a single label (a compose service, a search-domain name) is private
    suffixes = _public_suffixes(name.rpartition(".")[2])
    suffix = suffixes.publicsuffix(name, accept_unknown=False)
    if suffix is None or suffixes.privatesuffix(name, accept_unknown=False) is None:
        return False  # no registered suffix, or the name is a public suffix itself
    labels = name.split(".")
    if len(labels) == 2 and suffix not in _CLASSIC_TLDS and len(suffix) != 2:
        return False  # <service>.<namespace>
    return True


_GO_SUFFIXES = (".go",)
_NODE_SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts")
_MANIFESTS = ("go.mod", "package.json", "Gemfile", "pom.xml", "build.gradle", "build.gradle.kts")
_PYTHON_MANIFESTS = ("pyproject.toml", "requirements.txt", "setup.py", "setup.cfg", "Pipfile")


def _go_driver(text: str) -> str:
    if "github.com/jackc/pgx" in text:
        return PGX
    if "github.com/lib/pq" in text:
        return GO_PQ
    return UNKNOWN


def _manifest_consumer(source: SourceFile) -> str:
    """The client library the nearest project manifest above ``source`` names, or UNKNOWN.

    The first directory upwards with any manifest decides; two languages there (a Go module
    beside a Python project) decide nothing."""
    folder = source.path.parent
    for _ in range(12):
        names = _manifest_names(folder)
        if names:
            found = set()
            if "go.mod" in names:
                found.add(_go_driver(_read(folder / "go.mod")))
            if "package.json" in names:
                found.add(NODE_PG if '"pg"' in _read(folder / "package.json") else UNKNOWN)
            if "Gemfile" in names:
                # ruby-pg is a binding of libpq itself.
                found.add(LIBPQ if re.search(r"""gem\s+["']pg["']""", _read(folder / "Gemfile")) else UNKNOWN)
            if any(name.endswith(".csproj") for name in names):
                found.add(NPGSQL)
            if names & {"pom.xml", "build.gradle", "build.gradle.kts"}:
                found.add(UNKNOWN)
            if names & set(_PYTHON_MANIFESTS):
                found.add(_python_driver("\n".join(_read(folder / name) for name in sorted(names & set(_PYTHON_MANIFESTS)))))
            return found.pop() if len(found) == 1 else UNKNOWN
        if (folder / ".git").exists() or folder.parent == folder:
            break
        folder = folder.parent
    return UNKNOWN


def _python_driver(text: str) -> str:
    """The driver a Python project's manifests (requirements, pyproject, setup, Pipfile) make its
    URLs' reader: ASYNCPG where they name asyncpg and no libpq driver (psycopg, psycopg2) nor
    pg8000, so that the project's code can hand a URL to nothing but asyncpg, which sends a
    libpq keyword in it to the server as a setting (FACTS.md "Clients"); else UNKNOWN."""
    lowered = text.lower()
    if "asyncpg" in lowered and "psycopg" not in lowered and "pg8000" not in lowered:
        return ASYNCPG
    return UNKNOWN


@functools.lru_cache(maxsize=256)
def _manifest_names(folder: Path) -> frozenset[str]:
    try:
        entries = set(os.listdir(folder))
    except OSError:
        return frozenset()
    wanted = {name for name in entries if name in _MANIFESTS or name in _PYTHON_MANIFESTS or name.endswith(".csproj")}
    return frozenset(wanted)


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8", "replace")[:200_000]
    except OSError:
        return ""


def consumer_of(scheme: str, source: SourceFile) -> str:
    """Who reads a connection string: the scheme names the driver; else the file's language
    (a psycopg import in Python, pgx or lib/pq in Go, node-postgres in JavaScript), else the
    repository's manifest (``go.mod``, ``package.json``, ``Gemfile``, ``*.csproj``).
    ``atlas.hcl`` is Atlas's project file, read by its Go driver (lib/pq)."""
    if source.path.name == "atlas.hcl":
        return GO_PQ
    if scheme.startswith("jdbc:"):
        return PGJDBC
    if scheme.startswith("db+"):
        return LIBPQ  # Celery's database backend hands the rest to SQLAlchemy with psycopg2
    if "+" in scheme:
        driver = scheme.split("+", 1)[1]
        if driver in _LIBPQ_DRIVERS:
            return LIBPQ
        return {"asyncpg": ASYNCPG, "pg8000": PG8000}.get(driver, UNKNOWN)
    driver = _language_consumer(source.path.suffix, source.text)
    return driver if driver is not None else _manifest_consumer(source)


@functools.lru_cache(maxsize=64)
def _language_consumer(suffix: str, text: str) -> str | None:
    """The driver a file's own language names (``consumer_of``), or None to ask the manifest.
    Remembered by text: a file's every connection string asks, and the searches read the
    whole file (once a string, a module with 800 strings was quadratic; issue 18)."""
    if suffix == ".py":
        if _PSYCOPG_IMPORT.search(text) and not _OTHER_DRIVER.search(text):
            return LIBPQ
        return UNKNOWN
    if suffix in _GO_SUFFIXES:
        driver = _go_driver(text)
        return driver if driver != UNKNOWN else None
    if suffix in _NODE_SUFFIXES:
        return NODE_PG if re.search(r"""(?:require\(|from\s+)["']pg["']""", text) else None
    return None


def connection_views(source: SourceFile) -> list[ClientConnection]:
    """A view for every connection string in a file (local ones included; callers drop them).

    Strings are found in the file's string values as its format decodes them
    (:func:`pgconf_fix.documents.carriers.carriers_of`): comment lines are not read, and a
    JSON ``\u0026`` or a Python ``\'`` is the character it stands for."""
    from pgconf_fix.documents.carriers import YAML_SUFFIXES, carriers_of

    # The containers a compose, Kubernetes, ECS or Terraform file runs, walked once for both
    # readers below and only when the file names an image either knows.
    entrypoint_urls: list[tuple[int, int]] = []
    readers = []
    if source.path.suffix in YAML_SUFFIXES or source.path.suffix in (".json", ".tf"):
        from pgconf_fix.views.image_readers import names_a_reader, reader_spans

        edoburu, known = "edoburu/pgbouncer" in source.text, names_a_reader(source.text)
        if edoburu or known:
            from pgconf_fix.views.container_environments import containers

            found = containers(source)
            if edoburu:
                from pgconf_fix.views.pgbouncer_env import entrypoint_url_spans

                entrypoint_urls = entrypoint_url_spans(found)
            if known:
                readers = reader_spans(found)  # values a known image's program reads with its own driver
    build_steps: list[tuple[int, int]] = []
    if _dockerfile(source) and "RUN" in source.text.upper():
        from pgconf_fix.documents.dockerfile import run_spans

        build_steps = run_spans(source.text)
    # Strings no libpq reads, by file span: edoburu/pgbouncer's DATABASE_URL (its entrypoint
    # parses it; one value of a Terraform heredoc's JSON among others), a Dockerfile RUN's
    # connection (a command of the build, ended before any idle time), a JSON Schema's examples.
    skipped = entrypoint_urls + build_steps + _schema_example_spans(source)
    views = []
    services = workflow_services(source)
    for carrier in carriers_of(source):
        if PGBOUNCER_INI.search(carrier.value):
            continue  # a pgbouncer.ini in a ConfigMap: its [databases] strings are PgBouncer's, not libpq's
        strings = connection_strings(carrier.value, carrier.decoded)  # remembered: re-checks build it again
        at = carrier.to_file
        if skipped:
            strings = [string for string in strings if not any(start <= at(string.start) < end for start, end in skipped)]
        for string in strings:
            read_by = next((span for span in readers if span.start <= at(string.start) < span.end), None)
            views.append(_string_view(source, carrier, string, read_by))
    if services:
        for view in views:
            view.local_names = services
    return views


def _schema_example_spans(source: SourceFile) -> list[tuple[int, int]]:
    """The file spans of a JSON Schema's ``examples`` arrays in a ``.json`` file (one that names
    ``$schema``): values that illustrate a property for its readers, which no program connects
    with (JSON Schema Validation, "examples": not used for validation). ory/kratos'
    ``embedx/config.schema.json`` shows its ``dsn`` so. Empty for any other file."""
    text = source.text
    if source.path.suffix != ".json" or '"$schema"' not in text or '"examples"' not in text:
        return []
    from yaml.nodes import MappingNode, SequenceNode

    from pgconf_fix.documents import yaml_nodes as Y  # JSON read as YAML, for the nodes' offsets

    try:
        documents = Y.compose_documents(text.replace("\t", " "))
    except Y.YamlError:
        return []
    spans = []
    for root in documents:
        if not isinstance(root, MappingNode) or Y.get(root, "$schema") is None:
            continue
        for node in Y.walk(root):
            examples = Y.get(node, "examples") if isinstance(node, MappingNode) else None
            if isinstance(examples, SequenceNode):
                spans.append(Y.span(examples))
    return spans


def workflow_services(source: SourceFile) -> frozenset[str]:
    """The labels of the service containers a GitHub Actions workflow's jobs start
    (``jobs.<id>.services.<label>``), lower-cased; empty for any other file. A job's steps reach
    its services by label when the job runs in a container, and through localhost when it runs
    on the runner; either way the service runs on the same machine for the job's length, with
    no middlebox between (https://docs.github.com/en/actions/using-containerized-services/about-service-containers)."""
    path = source.path.as_posix()
    if "/.github/workflows/" not in f"/{path}" or source.path.suffix not in (".yml", ".yaml") or "services" not in source.text:
        return frozenset()
    from pgconf_fix.documents import yaml_nodes as Y

    try:
        roots = Y.compose_documents(source.text)
    except Y.YamlError:
        return frozenset()
    labels = set()
    for root in roots:
        for _, job in Y.items(Y.get(root, "jobs")):
            labels.update(key.value.lower() for key, _ in Y.items(Y.get(job, "services")))
    return frozenset(labels)


def _string_view(source: SourceFile, carrier: Carrier, string: ConnectionString, read_by: ReaderSpan | None = None) -> ClientConnection:
    """The view of one string; ``read_by``: the image whose program reads it, whose driver is
    then its consumer whatever the scheme or the repository's manifests say."""
    hosts = [host.name for host in string.hosts]
    consumer = read_by.driver if read_by is not None else consumer_of(string.scheme, source)
    view = ClientConnection(consumer, hosts, string.form, string.scheme)
    if read_by is not None:
        view.reader = read_by.reader
    if view.consumer == ASYNCPG and "+asyncpg" not in string.scheme:
        # An asyncpg project's URL outside its code: handed to asyncpg itself, or to SQLAlchemy.
        view.server_side_hint = (
            'server_settings={"tcp_keepalives_idle": "60", ...} where the URL is handed to asyncpg '
            '(through SQLAlchemy: connect_args={"server_settings": {...}})'
        )
    placement: Placement = (
        DsnPairs(source, string, carrier) if string.form == "dsn" else UriQuery(source, string, carrier)
    )
    view.add_placement(placement)
    at = carrier.to_file
    for param in string.params:
        if param.key == "password":
            continue  # never a setting: nothing may echo it
        view.add_setting(
            Assignment(
                key=param.key,
                source=source,
                start=at(param.start),
                end=at(param.end),
                value=param.value,
                value_start=at(param.value_start),
                value_end=at(param.value_end),
                quoted=param.quoted,
            ),
            placement,
        )
    return view


def build_client_views(workspace: object, sources: list[SourceFile], options: object) -> list[ClientConnection]:
    """Non-local connections only: loopback and Unix-socket connections are never judged. A YAML
    file of expected test output (views.test_expectations: a chainsaw or kuttl assert file, a
    helm-unittest suite) holds no connection: it is compared with a rendering, never used."""
    views: list[ClientConnection] = []
    for source in sources:
        if source.path.suffix in (".yaml", ".yml"):  # PyYAML is imported for YAML files only
            from pgconf_fix.views.test_expectations import expected_state

            if expected_state(workspace, source):  # type: ignore[arg-type]
                continue
        views.extend(view for view in connection_views(source) if not view.local)
    _add_airflow_connect_args(workspace, views)
    return views


def _add_airflow_connect_args(workspace: object, views: list[ClientConnection]) -> None:
    """Airflow's sql_alchemy_conn gets the settings of the dict sql_alchemy_connect_args names."""
    from pgconf_fix.views import airflow

    cache: dict[object, list[Assignment]] = {}
    for view in views:
        placement = view.placements[0] if view.placements else None
        if placement is None or not airflow.applies_to(placement.source, placement.location().start):
            continue
        source = placement.source
        if source.path not in cache:
            cache[source.path] = airflow.connect_args_settings(workspace, source)
        for assignment in cache[source.path]:
            if view.effective(assignment.key) is None:
                view.add_setting(assignment, placement)

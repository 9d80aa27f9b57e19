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

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from pgconf_fix.documents.connstr import (
    LIBPQ_KEYWORDS,
    TEMPLATE,
    ConnectionString,
    find_connection_strings,
)
from pgconf_fix.findings import SAFE, UNSAFE, Edit, Fix, Location
from pgconf_fix.setting import Refusal
from pgconf_fix.source import SourceFile
from pgconf_fix.views.base import Assignment, SettingsView

LIBPQ, ASYNCPG, PGJDBC, PG8000, UNKNOWN = "libpq", "asyncpg", "pgjdbc", "pg8000", "unknown"
PGBOUNCER = "pgbouncer"  # a [databases] entry: PgBouncer's own connection to the server
PGJDBC_KEYS = frozenset({"tcpKeepAlive", "sslmode", "ssl"})
_LIBPQ_DRIVERS = ("psycopg2", "psycopg", "psycopg2cffi", "psycopg_async", "pygresql")
# Name suffixes that never resolve on the public internet.
PRIVATE_SUFFIXES = (
    ".local", ".localdomain", ".internal", ".lan", ".home.arpa", ".svc", ".cluster.local", ".corp",
    ".intranet", ".private", ".test", ".example", ".invalid", ".localhost", ".home", ".intra",
)  # fmt: skip
_PSYCOPG_IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]+psycopg", re.MULTILINE)
_OTHER_DRIVER = re.compile(r"\b(?:asyncpg|pg8000)\b")


class Placement(Protocol):
    source: SourceFile

    def location(self) -> Location: ...

    def render(self, value: str) -> str: ...

    def insert(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]: ...


@dataclass(frozen=True)
class _InString:
    """A placement inside one connection string: missing settings are reported on the string."""

    source: SourceFile
    string: ConnectionString

    def location(self) -> Location:
        return Location(self.source, self.string.start, self.string.end)


class UriQuery(_InString):
    """The query of a URI: ``?k=v`` when there is none, ``&k=v`` after the last parameter."""

    def render(self, value: str) -> str:
        return quote(value, safe="")

    def insert(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]:
        added = "&".join(f"{quote(key, safe='')}={self.render(value)}" for key, value in pairs)
        text, end = self.source.text, self.string.end
        if self.string.query_start is None:
            # Rewrite the character before the insertion point too: two fixes that both open the
            # query then overlap, and the second is re-done in the next pass with "&" (never "??").
            return (Edit(self.source, end - 1, end, f"{text[end - 1]}?{added}"),)
        query = text[self.string.query_start : end]
        separator = "" if not query or query.endswith("&") else "&"
        return (Edit(self.source, end, end, f"{separator}{added}"),)


class DsnPairs(_InString):
    """A libpq key=value string: `` key=value`` after the last pair."""

    def render(self, value: str) -> str:
        if value and not re.search(r"[\s'\\]", value):
            return value
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def insert(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]:
        added = "".join(f" {key}={self.render(value)}" for key, value in pairs)
        return (Edit(self.source, self.string.end, self.string.end, added),)


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

    # -- building -----------------------------------------------------------------------

    def add_placement(self, placement: Placement) -> None:
        self.placements.append(placement)
        self.scope.add(placement.source.path)

    def add_setting(self, assignment: Assignment, placement: Placement) -> None:
        self.assignments.append((assignment, placement))
        self.scope.add(assignment.source.path)

    # -- what the rules ask -------------------------------------------------------------

    @property
    def local(self) -> bool:
        """Loopback or Unix socket for every host; no host at all means the default socket."""
        return all(is_local_host(host) for host in self.hosts)

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
        if self.consumer in (LIBPQ, UNKNOWN):
            return key in LIBPQ_KEYWORDS
        return False  # asyncpg and pg8000 send or reject unknown keywords: never add libpq ones

    def describe(self, *notes: str) -> str:
        """The connection for messages, by host only: never the user information."""
        # A host holding "@" comes from a password with an unencoded "@": show what follows it.
        shown = ",".join(host.rpartition("@")[2] or "(default socket)" for host in self.hosts) or "the default socket"
        if len(shown) > 60:
            shown = shown[:57] + "..."
        kind = {"dsn": "key=value connection", "jdbc": "JDBC connection"}.get(self.form, "connection")
        notes = (self.consumer, *notes) if self.consumer not in (UNKNOWN, PGJDBC) else notes
        return f"{kind} to {shown}" + (f" ({', '.join(notes)})" if notes else "")

    def sslmode_advice(self, target: str) -> str:
        """What PGF404 tells the user to write."""
        return f"set sslmode={target}"

    def effective(self, key: str) -> Assignment | None:
        found = self._effective(key)
        return found[0] if found else None

    def _effective(self, key: str) -> tuple[Assignment, Placement] | None:
        for assignment, placement in reversed(self.assignments):
            if assignment.key == key:
                return assignment, placement
        return None

    def numeric(self, assignment: Assignment, unit: str | None) -> int:
        text = assignment.value.strip()
        if TEMPLATE.search(text):
            raise ValueError(f"{assignment.key} comes from a template")
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError(f"{assignment.key} is not an integer")
        return int(text)

    def missing_location(self, key: str) -> Location:
        return self.placements[0].location()

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        return self.add_edits([(key, value)])

    def fix_all(self, pairs: Sequence[tuple[str, str]]) -> Fix | Refusal:
        """Several settings in one fix ("Set k=v, k2=v2"), replaced where written, else inserted
        through the first placement; a Refusal when the consumer would not read them."""
        edits = self.add_edits(pairs)
        if not edits:
            return Refusal(f"{self.consumer} does not read {', '.join(key for key, _ in pairs)} here")
        return Fix(self.applicability, f"Set {', '.join(f'{k}={v}' for k, v in pairs)}", edits)

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
        return Fix(UNSAFE, "Set tcp_keepalives_* in connect_args server_settings", edits)

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
                edits.append(Edit(assignment.source, assignment.value_start, assignment.value_end, placement.render(value)))
        if missing:
            edits.extend(self.placements[0].insert(missing))
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


def is_public_host(host: str) -> bool:
    if TEMPLATE.search(host) or is_local_host(host):
        return False
    name = host.strip().lower().rstrip(".")
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_global
    except ValueError:
        pass
    if "." not in name or not re.fullmatch(r"[a-z0-9.\-_]+", name):
        return False  # a single label (a compose service, a search-domain name) is private
    return not name.endswith(PRIVATE_SUFFIXES) and not name.replace(".", "").isdigit()


def consumer_of(scheme: str, source: SourceFile) -> str:
    """Who reads a connection string: the scheme names the driver, or a psycopg import in the file."""
    if scheme.startswith("jdbc:"):
        return PGJDBC
    if scheme.startswith("db+"):
        return LIBPQ  # Celery's database backend hands the rest to SQLAlchemy with psycopg2
    if "+" in scheme:
        driver = scheme.split("+", 1)[1]
        if driver in _LIBPQ_DRIVERS:
            return LIBPQ
        return {"asyncpg": ASYNCPG, "pg8000": PG8000}.get(driver, UNKNOWN)
    if source.path.suffix == ".py" and _PSYCOPG_IMPORT.search(source.text) and not _OTHER_DRIVER.search(source.text):
        return LIBPQ
    return UNKNOWN


def connection_views(source: SourceFile) -> list[ClientConnection]:
    """A view for every connection string in a file (local ones included; callers drop them)."""
    views = []
    for string in find_connection_strings(source.text):
        hosts = [host.name for host in string.hosts]
        view = ClientConnection(consumer_of(string.scheme, source), hosts, string.form, string.scheme)
        placement: Placement = DsnPairs(source, string) if string.form == "dsn" else UriQuery(source, string)
        view.add_placement(placement)
        for param in string.params:
            if param.key == "password":
                continue  # never a setting: nothing may echo it
            view.add_setting(Assignment.spanning(param.key, source, param, param.quoted), placement)
        views.append(view)
    return views


def build_client_views(workspace: object, sources: list[SourceFile], options: object) -> list[ClientConnection]:
    """Non-local connections only: loopback and Unix-socket connections are never judged."""
    views = [view for source in sources for view in connection_views(source) if not view.local]
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

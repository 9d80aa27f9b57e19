"""libpq connections written in Python, as the client layer's ClientConnection views.

A connection's settings may sit in a string literal (a URI or key=value DSN), in the keyword
arguments of ``psycopg.connect()`` / ``psycopg2.connect()``, in SQLAlchemy's
``connect_args={...}`` or in a Django ``OPTIONS`` dict. Each place becomes a placement of one
view, so PGF401/PGF404 judge them together and fix them in that place's own syntax. For asyncpg,
``connect_args={"server_settings": {"tcp_keepalives_idle": "60"}}`` is the server-side keepalive
of that session and stands for ``keepalives_idle`` here.
"""

from __future__ import annotations

import copy
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pgconf_fix.documents import python_nodes as syntax
from pgconf_fix.documents.connstr import (
    LIBPQ_KEYWORDS,
    TEMPLATE,
    ConninfoError,
    connection_strings,
    parse_conninfo,
    refusal_wording,
)
from pgconf_fix.documents.python import (
    UNKNOWN,
    Entry,
    PythonDocument,
    Settings,
    literal,
)
from pgconf_fix.documents.python_layout import LINE_LENGTH
from pgconf_fix.findings import Edit, Location, Problem
from pgconf_fix.source import SourceFile
from pgconf_fix.views.base import Assignment, Built, ParsedFile
from pgconf_fix.views.client import (
    ASYNCPG,
    LIBPQ,
    ClientConnection,
    connection_views,
    consumer_of,
)
from pgconf_fix.views.pool import build_views
from pgconf_fix.views.pool_base import MISSING, PoolView, url_is_postgres
from pgconf_fix.views.pool_django import DjangoDatabaseView
from pgconf_fix.views.pool_flask import ENGINE_OPTIONS
from pgconf_fix.views.pool_psycopg import PsycopgPoolView
from pgconf_fix.views.pool_sqlalchemy import (
    ENGINE_FACTORIES,
    ENGINE_MODULES,
    EngineView,
)
from pgconf_fix.views.sqlalchemy_url import built_url, query_settings
from pgconf_fix.workspace import Workspace

LIBPQ_CONNECT = ("psycopg.connect", "psycopg2.connect", "psycopg.Connection.connect", "psycopg.AsyncConnection.connect")
# asyncpg's own calls, ``dsn`` first: its URL parser sends a query keyword it does not know (a
# libpq keepalive keyword) to the server as a startup parameter, which the server refuses
# (asyncpg 0.32, PostgreSQL 15: 'unrecognized configuration parameter "keepalives"').
ASYNCPG_CONNECT = ("asyncpg.connect", "asyncpg.create_pool", "asyncpg.pool.create_pool", "asyncpg.connection.connect")
CONNINFO_KEYWORDS = ("conninfo", "dsn")
# psycopg2's pools: (minconn, maxconn, *args, **kwargs), each connection psycopg2.connect(*args, **kwargs).
PSYCOPG2_POOLS = tuple(
    f"psycopg2.pool.{name}" for name in ("SimpleConnectionPool", "ThreadedConnectionPool", "PersistentConnectionPool")
)
# What a value the code computes looks like to the client view: a template, so never judged.
COMPUTED = "{python}"
# asyncpg's server_settings keys and the libpq keyword each one stands for.
SERVER_SETTINGS = {
    "tcp_keepalives_idle": "keepalives_idle",
    "tcp_keepalives_interval": "keepalives_interval",
    "tcp_keepalives_count": "keepalives_count",
}


def _text(value: object) -> str:
    """A keyword argument's value as the driver writes it into the connection string: ``str()``.
    psycopg2 and psycopg both do, so ``keepalives=True`` reaches libpq as "True", which it
    refuses (invalid integer value; checked with both: tests/test_libpq_refusals.py), and
    ``keepalives_idle=60.0`` as "60.0"."""
    if value is UNKNOWN or value is None:
        return COMPUTED
    return str(value)


@dataclass(frozen=True, eq=False)
class _PythonPlacement:
    """What every placement in Python code shares: its file, and how a value is written there.
    Subclasses add the fields they need and end with ``anchor``, the node findings point at."""

    source: SourceFile
    document: PythonDocument

    def location(self) -> Location:
        start, end = self.document.span(self.anchor)  # type: ignore[attr-defined]
        return Location(self.source, start, end)

    def render(self, value: str) -> str:
        return _render(self.document, value)

    def _deeper(self, indent: str) -> str:
        """``indent`` and one level more, in the file's own indentation characters."""
        return indent + self.document.indent_step(indent)


@dataclass(frozen=True, eq=False)
class PythonSettingsPlacement(_PythonPlacement):
    """Keyword arguments of a call, or a dict's keys: ``keepalives_idle=60`` / ``"keepalives_idle": 60``."""

    settings: Settings
    anchor: syntax.Node

    def insert(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]:
        if not self.settings.fully_known:
            return ()  # a key beside an unreadable splat could collide with it
        return self.settings.insert_many([(key, self.render(value)) for key, value in pairs])


@dataclass(frozen=True, eq=False)
class NewOptionsPlacement(_PythonPlacement):
    """A settings dict that does not exist yet: ``"OPTIONS": {...}`` added to a Django entry,
    ``connect_args={...}`` to a SQLAlchemy engine."""

    container: Settings
    key: str
    anchor: syntax.Node

    def insert(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]:
        if not self.container.fully_known:
            return ()
        quote = self.document.key_quote(self.container.node if isinstance(self.container.node, syntax.Dict) else None)
        entries = [f"{quote}{key}{quote}: {self.render(value)}" for key, value in pairs]
        value = "{" + ", ".join(entries) + "}"
        written = f"{self.key}={value}," if self.container.home().is_call else f"{quote}{self.key}{quote}: {value},"
        home = self.container.home().node
        indent = self.container.item_indent() or self._deeper(self.document.indentation(self.document.span(home)[0]))
        if len(indent + written) > LINE_LENGTH:
            newline = self.source.universal_newline
            step = self.document.indent_step(indent)
            inner = "".join(f"{newline}{indent}{step}{entry}," for entry in entries)
            value = "{" + inner + newline + indent + "}"
        return self.container.insert(self.key, value)


def _string_value(document: PythonDocument, value: str) -> str:
    """A value written as a Python string in the file's quotes (``URL.create``'s ``query`` takes only strings)."""
    quote = document.key_quote()
    return f"{quote}{value}{quote}"


@dataclass(frozen=True, eq=False)
class UrlQueryPlacement(PythonSettingsPlacement):
    """``URL.create(..., query={"keepalives_idle": "60"})``: values are strings (pgconf_fix.views.sqlalchemy_url)."""

    def render(self, value: str) -> str:
        return _string_value(self.document, value)


@dataclass(frozen=True, eq=False)
class NewUrlQueryPlacement(NewOptionsPlacement):
    """``query={...}`` added to a ``URL.create(...)`` (or its last ``.set(...)``), values as strings."""

    def render(self, value: str) -> str:
        return _string_value(self.document, value)


# The libpq keyword each asyncpg server_settings key answers for, the other way round.
SERVER_SETTING_FOR = {libpq: server for server, libpq in SERVER_SETTINGS.items()}


@dataclass(frozen=True, eq=False)
class ServerSettingsPlacement(_PythonPlacement):
    """asyncpg's keepalives: ``connect_args={"server_settings": {"tcp_keepalives_idle": "60"}}``.

    ``missing`` names the dicts still to be created around the keys, outermost first:
    ``("connect_args", "server_settings")``, ``("server_settings",)`` or ``()``.
    asyncpg sends these as startup parameters, and takes only strings.
    """

    container: Settings
    missing: tuple[str, ...]
    anchor: syntax.Node

    def insert(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]:
        if not self.container.fully_known:
            return ()
        quote = self.document.key_quote()
        settings = [
            (SERVER_SETTING_FOR[key], f"{quote}{value}{quote}") for key, value in pairs if key in SERVER_SETTING_FOR
        ]
        if not settings:
            return ()
        if not self.missing:
            return self.container.insert_many(settings)
        code = "{" + ", ".join(f"{quote}{key}{quote}: {value}" for key, value in settings) + "}"
        for key in reversed(self.missing[1:]):
            code = "{" + f"{quote}{key}{quote}: {code}" + "}"
        home = self.container.home()
        indent = home.item_indent() or self._deeper(self.document.indentation(self.document.span(home.node)[0]))
        lead = f"{self.missing[0]}=" if home.is_call else f"{quote}{self.missing[0]}{quote}: "
        if len(indent + lead + code) + 1 > LINE_LENGTH:
            code = self._exploded(settings, indent, quote)
        return self.container.insert(self.missing[0], code)

    def _exploded(self, settings: list[tuple[str, str]], indent: str, quote: str) -> str:
        """The nested dicts one item a line, with trailing commas, as ruff format lays them out."""
        newline = self.source.universal_newline
        depth = len(self.missing)
        step = self.document.indent_step(indent)
        lines = [f"{indent}{step * depth}{quote}{key}{quote}: {value}," for key, value in settings]
        for level in range(depth - 1, 0, -1):
            key = self.missing[level]
            lines = [f"{indent}{step * level}{quote}{key}{quote}: {{", *lines, f"{indent}{step * level}}},"]
        return "{" + newline + newline.join(lines) + newline + indent + "}"


@dataclass(frozen=True, eq=False)
class EachCallServerSettings:
    """The ``server_settings`` of several asyncpg calls that share one DSN and lack
    ``tcp_keepalives_idle``: a fix writes the keepalives into each of them, every call's own
    keys left as they are (a key written twice in one dict is taken once, its last value).

    ``places``: each call's :class:`ServerSettingsPlacement`, in source order; ``present``: the
    libpq names of the keepalive keys each call already sets, in the same order."""

    places: tuple[ServerSettingsPlacement, ...]
    present: tuple[frozenset[str], ...]

    def insert(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]:
        edits: list[Edit] = []
        for place, present in zip(self.places, self.present):
            edits.extend(place.insert([(key, value) for key, value in pairs if key not in present]))
        return tuple(edits)

    def location(self) -> Location:
        return self.places[0].location()


def _idle_seconds(view: ClientConnection) -> float:
    """A call's tcp_keepalives_idle as a number of seconds for ordering (an unreadable value
    first: sorted stably, such calls keep their source order before the readable ones)."""
    current = view.effective("keepalives_idle")
    try:
        return float(current.value) if current is not None else float("-inf")
    except ValueError:
        return float("-inf")


def python_client_views(document: PythonDocument, pool_views: Sequence[PoolView]) -> list[ClientConnection]:
    return list(_Connections(document, pool_views).views())


def build_python_views(workspace: Workspace, sources: list[SourceFile], options: object) -> Built:
    """Pool views and client connections of each Python file; a file Python rejects is judged
    as a whole, for its parse error (PGF001) and its suppression comments."""
    built = Built()
    for source in sources:
        document = PythonDocument(source)
        if document.error is not None:
            built.files.append(ParsedFile(source, tuple(document.problems)))
        elif document.unread is not None:
            line, why = document.unread
            start, end = source.line_span(min(line, len(source.line_starts)))
            built.files.append(ParsedFile(source, unread=Problem(Location(source, start, end), why)))
        if document.module is not None:
            pools = build_views(document, _module_loader(workspace))
            built.views.extend(pools)
            built.views.extend(python_client_views(document, pools))
    return built


def _module_loader(workspace: Workspace):  # noqa: ANN202 - Callable[[Path], SourceFile | None]
    """Another module of the project, read through the workspace (so a cached run knows it was
    read); None when it cannot be read."""
    from pgconf_fix.source import InputError

    def load(path):  # noqa: ANN001, ANN202
        try:
            return workspace.load(path)
        except InputError:
            return None

    return load


class _SpanIndex:
    """Whether an offset lies in any of a list of (start, end) spans, in O(log n) a question.

    Spans may nest (an f-string's inner strings); sorted by start, the largest end among the
    spans starting at or before the offset tells whether one of them still covers it.
    """

    def __init__(self, spans: Sequence[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self.starts = [low for low, _high in ordered]
        self.reach: list[int] = []
        furthest = -1
        for _low, high in ordered:
            furthest = max(furthest, high)
            self.reach.append(furthest)

    def __call__(self, offset: int) -> bool:
        last = bisect_right(self.starts, offset) - 1
        return last >= 0 and self.reach[last] > offset


class _Connections:
    def __init__(self, document: PythonDocument, pool_views: Sequence[PoolView]) -> None:
        self.document = document
        self.source = document.source
        self.pool_views = pool_views
        self.by_string: dict[int, ClientConnection] = {}
        self._string_starts: list[int] = []
        self._string_rank: dict[int, int] = {}
        self.used: list[ClientConnection] = []
        self.unknown: set[int] = set()  # views whose settings partly live where we cannot read
        # Each string's view as the string alone wrote it (before a call added its keywords),
        # and the strings a libpq call (psycopg's connect, a pool) already judges.
        self._as_written: dict[int, ClientConnection] = {}
        self._called: set[int] = set()

    def views(self) -> Iterator[ClientConnection]:
        inside_code_string = _SpanIndex(self._code_strings())
        for view in connection_views(self.source):
            start = view.placements[0].location().start
            if inside_code_string(start):
                self.by_string[start] = view
        self._string_starts = sorted(self.by_string)
        self._string_rank = {start: rank for rank, start in enumerate(self.by_string)}
        asyncpg_calls = []
        for call, name in list(self.document.calls()):
            module, _, function = name.rpartition(".")
            if name in LIBPQ_CONNECT:
                self._driver_call(call)
            elif name in PSYCOPG2_POOLS:
                self._driver_call(call, conninfo_index=2)
            elif name in ASYNCPG_CONNECT:
                asyncpg_calls.append(call)
            elif function in ENGINE_FACTORIES and module.split(".")[0] in ENGINE_MODULES:
                self._engine(call)
        self._asyncpg_calls(asyncpg_calls)
        for pool_view in self.pool_views:
            if isinstance(pool_view, DjangoDatabaseView):
                self._django(pool_view)
                self._dj_database_url_ssl(pool_view)
                self._dj_database_url_options(pool_view)
                self._inherited_options(pool_view)
            elif isinstance(pool_view, EngineView):
                self._flask(pool_view)
            elif isinstance(pool_view, PsycopgPoolView):
                self._pool(pool_view)
        seen = set()
        for view in [*self.by_string.values(), *self.used]:
            if id(view) not in seen and id(view) not in self.unknown and not view.local:
                seen.add(id(view))
                yield view

    def _code_strings(self) -> list[tuple[int, int]]:
        """Spans of string literals that are code: a bare string statement (a docstring, an
        attribute docstring, a commented-out block) is documentation; comments are never strings."""
        document = self.document
        documentation = {id(node.value) for node in document.nodes(syntax.Expr)}  # type: ignore[attr-defined]
        strings = document.nodes(syntax.SimpleString, syntax.FormattedString, syntax.ConcatenatedString)
        return [document.span(node) for node in strings if id(node) not in documentation]

    def _string_view(
        self, node: syntax.BaseExpression | None, near: syntax.Node, module_names: bool = False
    ) -> ClientConnection | None:
        """The view of the connection string ``node`` is or names (in the scope of ``near``; with
        ``module_names``, also a module-level name a function uses: ``resolve_global``)."""
        node = (self.document.resolve_global if module_names else self.document.resolve)(node, near)
        if node is None or not isinstance(node, (syntax.SimpleString, syntax.FormattedString, syntax.ConcatenatedString)):
            return None
        low, high = self.document.span(node)
        starts = self._string_starts
        inside = starts[bisect_left(starts, low) : bisect_left(starts, high)]
        if inside:  # the first one found, as the file's views were listed
            view = self.by_string[min(inside, key=self._string_rank.__getitem__)]
            if id(view) not in self._as_written:
                self._as_written[id(view)] = _copy_view(view)
            return view
        return None

    def _call_view(self, view: ClientConnection) -> ClientConnection:
        """The view a libpq call of the connection string ``view`` adds its keywords to: the
        string's own for the first such call, a view of its own (the string as written, and
        then this call's keywords) for each later one. libpq gets the string with each call's
        keywords over it (psycopg.conninfo.make_conninfo, which psycopg.connect and psycopg_pool
        use), so one call's keepalives_idle is not another's; findings the calls share (the
        string's own) are reported once (engine.duplicate_key)."""
        if id(view) not in self._called:
            self._called.add(id(view))
            return view
        own = _copy_view(self._as_written[id(view)])
        self.used.append(own)
        return own

    def _add(self, view: ClientConnection, settings: Settings, key_map: dict[str, str] | None = None) -> bool:
        """Add the libpq settings of a call or dict to ``view``; True when it had any."""
        found = False
        for key, entry in settings.entries.items():
            name = key_map.get(key) if key_map is not None else (key if key in LIBPQ_KEYWORDS else None)
            if name is None or name == "password":
                continue
            found = True
            view.add_setting(self._assignment(name, entry), _placement(self.document, settings, entry.value))
        return found

    def _assignment(self, key: str, entry: Entry) -> Assignment:
        value = literal(self.document.resolve(entry.value, entry.value))
        return Assignment(
            key=key,
            source=self.source,
            start=entry.start,
            end=entry.end,
            value=_text(value),
            value_start=entry.value_start,
            value_end=entry.value_end,
        )

    def _host(self, node: syntax.BaseExpression) -> str:
        """A host name, or the code that computes it in braces (a template: never local)."""
        value = literal(self.document.resolve(node, node))
        return value if isinstance(value, str) else "{" + self.document.code(node) + "}"

    # -- psycopg / psycopg2 connect() ------------------------------------------------

    def _driver_call(self, call: syntax.Call, conninfo_index: int = 0) -> None:
        document = self.document
        settings = document.call_settings(call)
        if not settings.fully_known:
            return  # the splat may hold any keyword
        conninfo = document.positional(call, conninfo_index)
        for keyword in CONNINFO_KEYWORDS:
            entry = settings.find(keyword)
            if entry is not None:
                conninfo = entry.value
        view = self._string_view(conninfo, call)
        placement = _placement(document, settings, call)
        if view is None:
            text = literal(document.resolve(conninfo, call)) if conninfo is not None else ""
            if text != "":
                return  # a conninfo the code computes may hold any setting
            host = settings.find("host")
            hosts = [self._host(host.value)] if host is not None else []
            view = ClientConnection(LIBPQ, hosts, "kwargs")
            view.add_placement(placement)
        else:
            view = self._call_view(view)
            _note_refused_conninfo(view, literal(document.resolve(conninfo, call)))
            if any(key in LIBPQ_KEYWORDS for key in settings.entries):
                view.placements.insert(0, placement)  # the call already speaks in keywords: add there
        view.consumer = LIBPQ
        self._add(view, settings)
        self.used.append(view)

    def _asyncpg_calls(self, calls: Sequence[syntax.Call]) -> None:
        """``asyncpg.connect(dsn, ..., server_settings={...})`` and ``asyncpg.create_pool(...)``:
        the DSN is asyncpg's, not libpq's, and its keepalives are the server's, set through
        ``server_settings`` (startup parameters: tcp_keepalives_idle and the rest).

        Calls that share one DSN (a module's constant, used by a pool and a one-off connect) are
        one view, judged by the weakest of them: while any lacks tcp_keepalives_idle the view has
        no keepalives and its fix writes them into every call that lacks them
        (:class:`EachCallServerSettings`); else every call's keys are read, the call with the
        longest tcp_keepalives_idle last (its values are the view's)."""
        document = self.document
        groups: dict[int, tuple[ClientConnection, list[syntax.Call]]] = {}
        for call in calls:
            # asyncpg's calls are awaited, so they sit in functions; the DSN is often the module's.
            view = self._string_view(document.positional(call, 0, "dsn"), call, module_names=True)
            if view is not None:  # else no literal DSN, or one the code computes
                groups.setdefault(id(view), (view, []))[1].append(call)
        for view, group in groups.values():
            view.consumer = ASYNCPG
            view.asyncpg_own_dsn = True
            view.server_side_hint = 'server_settings={"tcp_keepalives_idle": "60", ...}'
            view.server_side_name = "server_settings"
            if len(group) == 1:
                if not self._server_settings(view, document.call_settings(group[0]), group[0], group[0]):
                    self.unknown.add(id(view))  # keywords we cannot read may hold server_settings
                    continue
                self.used.append(view)
                continue
            each = []
            for call in group:
                scratch = ClientConnection(ASYNCPG, view.hosts, view.form, view.scheme)
                if not self._server_settings(scratch, document.call_settings(call), call, call):
                    self.unknown.add(id(view))
                    break
                each.append(scratch)
            else:
                lacking = [scratch for scratch in each if scratch.effective("keepalives_idle") is None]
                if lacking:
                    view.server_side = EachCallServerSettings(
                        tuple(scratch.server_side for scratch in lacking),  # type: ignore[misc]
                        tuple(frozenset(assignment.key for assignment, _ in scratch.assignments) for scratch in lacking),
                    )
                else:
                    # The call idling longest before its first probe is read last, so that its
                    # values are the view's: the weakest is judged, and fixed where it is written.
                    each.sort(key=_idle_seconds)
                    for scratch in each:
                        for assignment, placement in scratch.assignments:
                            view.add_setting(assignment, placement)
                    view.server_side = each[-1].server_side
                self.used.append(view)

    def _server_settings(self, view: ClientConnection, container: Settings, anchor: syntax.Node, near: syntax.Node) -> bool:
        """asyncpg's ``server_settings`` in ``container`` (a call's keywords, SQLAlchemy's
        ``connect_args``): its keepalive keys read into ``view`` and the dict made the place they
        are written, or, when it is absent, the place to add it (at ``anchor``; an insert into
        keywords the code computes writes nothing). False when the dict is there but cannot be
        read (``near``: where its names are resolved)."""
        entry = container.find("server_settings")
        if entry is None:
            view.server_side = ServerSettingsPlacement(self.source, self.document, container, ("server_settings",), anchor)
            return True
        inner = self.document.settings(entry.value, near)
        if inner is None:
            return False
        self._add(view, inner, SERVER_SETTINGS)
        view.server_side = ServerSettingsPlacement(self.source, self.document, inner, (), entry.value)
        return True

    # -- SQLAlchemy engines ------------------------------------------------------------

    def _engine(self, call: syntax.Call) -> None:
        self._engine_options(self.document.positional(call, 0, "url"), self.document.call_settings(call), call)

    def _engine_options(self, url: syntax.BaseExpression | None, options: Settings | None, anchor: syntax.Node) -> None:
        """The URL of an engine joined with its ``connect_args`` (a call's keywords, or a Flask
        SQLALCHEMY_ENGINE_OPTIONS dict)."""
        document = self.document
        view = self._string_view(url, anchor) or self._built_url(url, anchor)
        if view is None:
            return  # a URL the code computes: its query may already say everything
        if view.scheme in ("postgresql", "postgres"):
            view.consumer = LIBPQ  # SQLAlchemy's default PostgreSQL driver is psycopg2
        if options is None:
            self.unknown.add(id(view))  # engine options we cannot read may hold connect_args
            return
        entry = options.find("connect_args")
        if entry is None:
            if view.consumer == ASYNCPG and options.fully_known:
                view.server_side = ServerSettingsPlacement(
                    self.source, document, options, ("connect_args", "server_settings"), anchor
                )
            if view.consumer == LIBPQ and options.fully_known:
                # New settings go in a connect_args of their own, not at the end of a long URL.
                view.placements.insert(0, NewOptionsPlacement(self.source, document, options, "connect_args", anchor))
            return
        connect_args = document.settings(entry.value, anchor)
        if connect_args is None:
            self.unknown.add(id(view))  # connect_args we cannot read may hold the settings
            return
        if view.consumer == ASYNCPG:
            self._server_settings(view, connect_args, entry.value, anchor)
            return
        if self._add(view, connect_args):
            view.placements.insert(0, _placement(document, connect_args, entry.value))

    def _built_url(self, url: syntax.BaseExpression | None, anchor: syntax.Node) -> ClientConnection | None:
        """The connection of an engine whose URL is ``URL.create(...)`` (pgconf_fix.views.sqlalchemy_url):
        its host, and the libpq keywords of its ``query`` dict; None when it is not PostgreSQL's or
        cannot be read wholly."""
        built = built_url(self.document, url, anchor)
        if built is None or url_is_postgres(f"{built.drivername}://") is not True:
            return None
        hosts = [self._host(built.host)] if built.host is not None else []
        view = ClientConnection(consumer_of(built.drivername, self.source), hosts, "kwargs", built.drivername)
        if built.query is None:
            container = self.document.call_settings(built.call)
            view.add_placement(NewUrlQueryPlacement(self.source, self.document, container, "query", built.call))
        else:
            query = query_settings(self.document, built)
            if query is None:
                return None  # a query the code computes may hold any setting
            placement = UrlQueryPlacement(self.source, self.document, query, built.query)
            view.add_placement(placement)
            for key, entry in query.entries.items():
                if key in LIBPQ_KEYWORDS and key != "password":
                    view.add_setting(self._assignment(key, entry), placement)
        self.used.append(view)
        return view

    def _flask(self, engine: EngineView) -> None:
        if engine.flask is None or engine.url is None:
            return
        options = engine.settings
        if options is None and engine.flask.items.get(ENGINE_OPTIONS) is None:
            view = self._string_view(engine.url, engine.anchor)
            if view is not None and view.scheme in ("postgresql", "postgres"):
                view.consumer = LIBPQ
            return  # no engine options: the URL's query is the only place
        self._engine_options(engine.url, options, engine.anchor)

    # -- psycopg_pool: conninfo and kwargs= ----------------------------------------------

    def _pool(self, pool: PsycopgPoolView) -> None:
        document = self.document
        if not pool.settings.fully_known:
            return
        conninfo = document.positional(pool.call, 0, "conninfo")
        view = self._string_view(conninfo, pool.call)
        if view is None:
            return  # a conninfo the code computes
        view = self._call_view(view)
        view.consumer = LIBPQ
        _note_refused_conninfo(view, literal(document.resolve(conninfo, pool.call)))
        entry = pool.settings.find("kwargs")
        if entry is None:
            return
        kwargs = document.settings(entry.value, pool.call)
        if kwargs is None:
            self.unknown.add(id(view))
            return
        if self._add(view, kwargs):
            view.placements.insert(0, _placement(document, kwargs, entry.value))

    # -- Django OPTIONS ----------------------------------------------------------------

    def _django(self, database: DjangoDatabaseView) -> None:
        document = self.document
        base = database.base
        if base is None or base.is_call or database.is_postgres() is not True:
            return
        host_entry, host = database.read_entry("HOST")
        if host_entry is None or host == "":
            return  # Django's default: the local socket
        hosts = [host if isinstance(host, str) else self._host(host_entry.value)]
        view = ClientConnection(LIBPQ, hosts, "django")
        options_entry, _ = database.read_entry("OPTIONS")
        if options_entry is not None:
            options = document.settings(options_entry.value, options_entry.value)
            if options is None:
                return  # OPTIONS built by code: unknown
            view.add_placement(_placement(document, options, options_entry.value))
            self._add(view, options)
        else:
            anchor = host_entry.value
            view.add_placement(NewOptionsPlacement(self.source, document, base, "OPTIONS", anchor))
        self.used.append(view)


    # -- dj_database_url's ssl_require -------------------------------------------------

    def _dj_database_url_ssl(self, database: DjangoDatabaseView) -> None:
        """``dj_database_url.parse(url, ssl_require=True)`` (or ``config(default=url, ...)``) puts
        ``sslmode=require`` into the entry's OPTIONS after the URL's own query, so it wins over an
        ``sslmode`` there (dj-database-url 3.1 ``_convert_to_settings`` and ``parse``:
        ``OPTIONS.update``). The URL's connection gets that sslmode, written at the keyword; a
        value the code computes (or a ``**`` splat that may hold it) is a template: not judged."""
        document = self.document
        base = database.base
        if base is None or not base.is_call or not database.from_dj_database_url():
            return
        call = base.node
        assert isinstance(call, syntax.Call)
        is_parse = document.code(call.func).endswith("parse")
        url = document.positional(call, 0 if is_parse else 99, "url" if is_parse else "default")
        view = self._string_view(url, call)
        if view is None:
            return
        entry = base.find("ssl_require")
        if entry is None:
            if base.fully_known:
                return  # dj_database_url's default: False, no sslmode added
            start, end = document.span(call)
            value, value_start, value_end = COMPUTED, start, end
        else:
            required = literal(document.resolve(entry.value, entry.value))
            if required is not UNKNOWN and not required:
                return
            value = "require" if required is not UNKNOWN else "{" + document.code(entry.value) + "}"
            start, end, value_start, value_end = entry.start, entry.end, entry.value_start, entry.value_end
        assignment = Assignment("sslmode", self.source, start, end, value, value_start, value_end)
        view.add_setting(assignment, _KeywordStandIn(self.source, Location(self.source, start, end)))


    def _dj_database_url_options(self, database: DjangoDatabaseView) -> None:
        """``DATABASES["alias"]["OPTIONS"] = {...}`` after a dj_database_url entry replaces the
        OPTIONS dict it made from the URL's query (and ssl_require): libpq gets the new dict's
        keywords, not the query's. The URL's connection is judged by that dict instead."""
        if not database.from_dj_database_url() or "OPTIONS" not in database.overrides:
            return
        document = self.document
        base = database.base
        assert base is not None and isinstance(base.node, syntax.Call)
        call = base.node
        is_parse = document.code(call.func).endswith("parse")
        url = document.positional(call, 0 if is_parse else 99, "url" if is_parse else "default")
        view = self._string_view(url, call)
        if view is None:
            return
        self.unknown.add(id(view))  # its query no longer reaches libpq
        entry = database.overrides["OPTIONS"][0]
        options = document.settings(entry.value, entry.value)
        if options is None:
            return  # OPTIONS built by code: unknown
        replaced = ClientConnection(LIBPQ, view.hosts, "django")
        replaced.add_placement(_placement(document, options, entry.value))
        self._add(replaced, options)
        self.used.append(replaced)

    def _inherited_options(self, database: DjangoDatabaseView) -> None:
        """``DATABASES["alias"]["OPTIONS"] = {...}`` in a settings module that takes the entry from
        another (``from .base import *``, cookiecutter-django's production.py): Django hands libpq
        this dict, not the OPTIONS the other module wrote nor those dj_database_url made from its
        URL's query (checked with Django 5.2 and dj-database-url 3.1.2: tests/test_python_layer.py).
        The connection is judged here, by this dict, with the host the entry names
        (:func:`_entry_hosts`); a host the code or the environment computes is not guessed."""
        if database.inherited is None or database.opaque or "OPTIONS" not in database.overrides:
            return
        if database.is_postgres() is not True:
            return
        hosts = _entry_hosts(database)
        if hosts is None:
            return
        entry = database.overrides["OPTIONS"][0]
        options = self.document.settings(entry.value, entry.value)
        if options is None:
            return  # OPTIONS built by code: unknown
        view = ClientConnection(LIBPQ, hosts, "django")
        view.add_placement(_placement(self.document, options, entry.value))
        self._add(view, options)
        self.used.append(view)


def _entry_hosts(database: DjangoDatabaseView) -> list[str] | None:
    """The hosts a Django DATABASES entry connects to, as written: its HOST (set where the entry is
    written, or overridden in a module that takes it from another), else the host of its
    dj_database_url URL. ``[]`` for Django's default, the local socket (no HOST, or an empty
    one); None when the host is not a literal (the code, django-environ or the environment
    computes it)."""
    view: DjangoDatabaseView | None = database
    while view is not None and "HOST" not in view.overrides and view.base is None:
        view = view.inherited
    if view is None:
        return None
    if "HOST" not in view.overrides and view.from_url:
        if not view.from_dj_database_url():
            return None
        document = view.document
        call = view.base.node  # type: ignore[union-attr]
        assert isinstance(call, syntax.Call)
        is_parse = document.code(call.func).endswith("parse")
        url = literal(document.resolve(document.positional(call, 0 if is_parse else 99, "url" if is_parse else "default"), call))
        found = connection_strings(url, decoded=True) if isinstance(url, str) else ()
        return [host.name for host in found[0].hosts] if len(found) == 1 else None
    _, host = view.read_entry("HOST")
    if host is MISSING or host == "":
        return []
    return [host] if isinstance(host, str) else None


@dataclass(frozen=True, eq=False)
class _KeywordStandIn:
    """A setting a library derives from one of its own keywords (dj_database_url's
    ``ssl_require=True`` for ``sslmode=require``): read here, never rewritten here."""

    source: SourceFile
    at: Location

    def location(self) -> Location:
        return self.at

    def render(self, value: str) -> str:
        return value

    def replace(self, assignment: Assignment, value: str) -> tuple[Edit, ...]:
        return ()

    def insert(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]:
        return ()


def _copy_view(view: ClientConnection) -> ClientConnection:
    """A view with ``view``'s attributes and its own lists of placements and assignments, so that
    settings added to one are not added to the other."""
    twin = copy.copy(view)
    twin.placements = list(view.placements)
    twin.assignments = list(view.assignments)
    twin.scope = set(view.scope)
    return twin


def _note_refused_conninfo(view: ClientConnection, conninfo: object) -> None:
    """PGF001 for a literal conninfo handed whole to psycopg or psycopg2 that libpq cannot parse
    (an unknown keyword, a word without ``=``, an unterminated quote, bad percent-encoding):
    both drivers parse it with libpq's PQconninfoParse before connecting and raise
    ProgrammingError / OperationalError, so the program never connects (checked with psycopg
    3.3 and psycopg2 2.9: tests/test_libpq_refusals.py). A string holding a template
    placeholder is left alone."""
    if not isinstance(conninfo, str) or not conninfo or TEMPLATE.search(conninfo):
        return
    try:
        parse_conninfo(conninfo)
    except ConninfoError as error:
        message = f"{view.describe()}: {refusal_wording(error)}; libpq refuses to connect"
        view.problems = [*view._problems, Problem(view.placements[-1].location(), message)]


def _render(document: PythonDocument, value: str) -> str:
    """A libpq value as Python code: numbers as numbers, the rest as strings in the file's quotes."""
    if value.isdigit():
        return value
    quote = document.key_quote()
    return f"{quote}{value}{quote}"


def _placement(document: PythonDocument, settings: Settings, anchor: syntax.Node) -> PythonSettingsPlacement:
    return PythonSettingsPlacement(document.source, document, settings, anchor)

"""A SQLAlchemy URL built in code: ``URL.create(drivername, host=..., query={...})``, as an engine's URL.

``sqlalchemy.URL.create`` (also ``sqlalchemy.engine.URL.create`` and
``sqlalchemy.engine.url.URL.create``) takes ``drivername``, ``username``, ``password``, ``host``,
``port``, ``database`` and ``query``; ``.set(...)`` gives a copy with the keywords it names
replaced (``query=`` replaces the whole query). The dialect hands the query to the driver as
keyword arguments, so for psycopg2 and psycopg its keys are libpq keywords, as in a URL string's
query; and ``URL.create`` takes only strings (or sequences of strings) as query values: an int
is a TypeError ("Query dictionary values must be strings or sequences of strings"). Checked
with SQLAlchemy 2.1.9, psycopg2 2.9.13 and psycopg 3.3.9 (libpq 18) against PostgreSQL 15: the
client socket's TCP_KEEPIDLE is 60 with ``query={"keepalives_idle": "60"}``, with
``.set(query=...)``, and with ``create_engine(URL.create(...), connect_args={"keepalives_idle": 60})``
(tests/test_python_layer.py runs the fixed code the same way).
"""

from __future__ import annotations

from dataclasses import dataclass

from pgconf_fix.documents import python_nodes as syntax
from pgconf_fix.documents.python import PythonDocument, Settings, literal

URL_CREATE = frozenset({"sqlalchemy.URL.create", "sqlalchemy.engine.URL.create", "sqlalchemy.engine.url.URL.create"})
_FIELDS = ("drivername", "username", "password", "host", "port", "database", "query")


@dataclass(frozen=True, eq=False)
class BuiltUrl:
    """What an engine's URL expression says: ``drivername`` (``postgresql+psycopg2``), the
    expressions of ``host`` and ``query`` (None when not given), and ``call``, the outermost
    ``URL.create(...)`` or ``.set(...)`` call."""

    drivername: str
    host: syntax.BaseExpression | None
    query: syntax.BaseExpression | None
    call: syntax.Call


def built_url(document: PythonDocument, node: syntax.BaseExpression | None, near: syntax.Node) -> BuiltUrl | None:
    """``node`` (a name is followed to its one value) read as ``URL.create(...)``, optionally
    followed by ``.set(...)`` calls; None when it is something else or cannot be read wholly
    (a computed drivername, a ``**`` splat, another method)."""
    node = document.resolve(node, near)
    if not isinstance(node, syntax.Call):
        return None
    fields = _fields(document, node, near)
    if fields is None:
        return None
    drivername = literal(fields.get("drivername"))
    if not isinstance(drivername, str):
        return None
    return BuiltUrl(drivername, fields.get("host"), fields.get("query"), node)


def _fields(document: PythonDocument, call: syntax.Call, near: syntax.Node, depth: int = 0) -> dict[str, syntax.BaseExpression] | None:
    """The URL's fields as expressions, the last word of a ``.set`` chain winning; None when unreadable."""
    func = call.func
    settings = document.call_settings(call)
    if not settings.fully_known or any(arg.star for arg in call.args):
        return None
    if document.qualified(func) in URL_CREATE:  # type: ignore[arg-type]
        positional = [arg.value for arg in call.args if arg.keyword is None]
        fields = dict(zip(_FIELDS, positional))
    elif isinstance(func, syntax.Attribute) and func.attr.value == "set" and depth < 5:
        if any(arg.keyword is None for arg in call.args):
            return None
        inner = document.resolve(func.value, near)
        fields = _fields(document, inner, near, depth + 1) if isinstance(inner, syntax.Call) else None
        if fields is None:
            return None
    else:
        return None
    fields.update((key, entry.value) for key, entry in settings.entries.items() if key in _FIELDS)
    return fields


def query_settings(document: PythonDocument, url: BuiltUrl) -> Settings | None:
    """The ``query`` dict literal of the URL, or None when it is not one."""
    return document.settings(url.query, url.call) if url.query is not None else None

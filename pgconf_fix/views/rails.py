"""Rails' ``config/database.yml``: each environment's PostgreSQL connection, as libpq gets it.

ActiveRecord's PostgreSQL adapter hands libpq every key of an environment's configuration that
is a libpq connection keyword, under that name (``username`` as ``user``, ``database`` as
``dbname``): ``postgresql_connection`` keeps the keys of ``PG::Connection.conndefaults_hash``
(activerecord 6.1.7 ``connection_adapters/postgresql_adapter.rb``, read; checked with Debian's
ruby-activerecord 6.1.7 and ruby-pg 1.4.5 against a real server: ``keepalives_idle: 60`` in
database.yml is the connection's ``conninfo_hash[:keepalives_idle]``,
tests/test_rails_database_yml.py). Rails reads the file as ERB, then YAML with aliases, so an
environment merging ``<<: *default`` has the default's keys under its own.

So an environment whose adapter is ``postgresql`` (or ``postgis``) and whose ``host`` is set is
a libpq client connection (:class:`pgconf_fix.views.client.ClientConnection`): its keepalive
keywords and ``sslmode`` are judged by the client rules, and a fix sets them in that
environment's own mapping (a value merged from an anchor is overridden there, not edited in the
anchor, which other environments share). No host means the local socket (the adapter's
default): not judged. An ERB value (``<%= ENV["DB_HOST"] %>``) is computed when Rails starts:
unknown here.

An environment with ``url`` gets the keys of its mapping under the URL's: ActiveRecord's
``UrlConfig`` merges the URL's keys over the mapping's, so a keyword only the mapping sets still
reaches libpq, and one both set is the URL's (checked with ActiveRecord 6.1.7:
``{url: "postgresql://db/app?keepalives_idle=30", keepalives_idle: 60, port: 5432}`` gives
``keepalives_idle: "30"``, the URL's port, and a mapping-only ``keepalives_idle: 60`` is kept).
The URL itself is read where every connection string is (views.client);
:func:`keywords_under_urls` adds the mapping's keywords beneath it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.documents.connstr import LIBPQ_KEYWORDS
from pgconf_fix.findings import Edit, Location
from pgconf_fix.source import SourceFile
from pgconf_fix.views.base import Assignment
from pgconf_fix.views.client import LIBPQ, UNKNOWN, ClientConnection

RAILS_FILE = "database.yml"
POSTGRES_ADAPTERS = ("postgresql", "postgis")
# ActiveRecord's names for two libpq keywords (postgresql_connection).
RENAMED = {"username": "user", "database": "dbname"}
# The name rails new gives the mapping its environments merge (see _databases).
SHARED_DEFAULT = "default"


def _written(node: ScalarNode) -> str:
    """A value as libpq would get it; ERB (rendered when Rails starts) as a computed value,
    braced so that the client rules take it for a template."""
    return "{" + node.value + "}" if "<%" in node.value else node.value


@dataclass(frozen=True, eq=False)
class EnvironmentEntries:
    """An environment's mapping in database.yml, as the place a connection's keywords are
    written: a value set in the mapping is replaced in place; a missing one, or one merged from
    an anchor, is added to the mapping as ``key: value``."""

    source: SourceFile
    mapping: MappingNode
    name: ScalarNode

    def location(self) -> Location:
        return Location(self.source, self.name.start_mark.index, self.name.end_mark.index)

    def render(self, value: str) -> str:
        return Y.render_scalar(value, style=None, string=False)

    def insert(self, pairs: Sequence[tuple[str, str]]) -> tuple[Edit, ...]:
        return Y.insert_entries(self.source, self.mapping, [(key, self.render(value)) for key, value in pairs])

    def replace(self, assignment: Assignment, value: str) -> tuple[Edit, ...]:
        own = Y.entry(self.mapping, assignment.key)
        if own is None or own[1].start_mark.index != assignment.value_start:
            return self.insert([(assignment.key, value)])  # merged from an anchor: overridden here
        node = own[1]
        if not isinstance(node, ScalarNode) or "<%" in node.value:
            return ()
        return (Y.replace_scalar(self.source, node, value),)


def rails_database_views(source: SourceFile, root: Node) -> list[ClientConnection]:
    """The libpq connection of each environment of a database.yml (see the module), and of each
    database of an environment that names several (Rails 6's multiple databases:
    ``production: {primary: {...}, replica: {...}}``, each read as an environment is)."""
    views: list[ClientConnection] = []
    for mapping, name, label in _databases(root):
        views += _connections(source, mapping, name, label)
    return views


def _databases(root: Node, shared_too: bool = False) -> Iterator[tuple[MappingNode, ScalarNode, str]]:
    """Each database configuration of a database.yml: its mapping, the key naming it, and its
    label for messages (``production``, or ``production.replica`` for one of an environment's
    several databases, recognised by having no ``adapter`` of its own). The shared ``default``
    mapping that other configurations merge (``default: &default``, as ``rails new`` writes the
    file) is no connection of its own: its keys are judged, and fixed, in each configuration
    that merges it (ActiveRecord would use it only under ``RAILS_ENV=default``), unless
    ``shared_too``: a ``url`` written there is still the string the merging ones get."""
    shared = set() if shared_too else _merged_mappings(root)
    for name, mapping in Y.items(root):
        if not isinstance(mapping, MappingNode) or name.tag == Y.MERGE_TAG:
            continue
        if name.value == SHARED_DEFAULT and id(mapping) in shared:
            continue
        if Y.merged_get(mapping, "adapter") is None and Y.merged_get(mapping, "url") is None:
            for database, nested in Y.items(mapping):
                if isinstance(nested, MappingNode) and database.tag != Y.MERGE_TAG:
                    yield nested, database, f"{name.value}.{database.value}"
            continue
        yield mapping, name, name.value


def _merged_mappings(root: Node) -> set[int]:
    """The ids of the mappings some ``<<`` of the file merges (an alias is the anchored node)."""
    merged: set[int] = set()
    for node in Y.walk(root):
        for key, value in Y.items(node) if isinstance(node, MappingNode) else ():
            if key.tag == Y.MERGE_TAG:
                merged.update(id(item) for item in (value.value if isinstance(value, SequenceNode) else [value]))
    return merged


def keywords_under_urls(source: SourceFile, root: Node, connections: Sequence[object]) -> None:
    """Give each connection read from a database configuration's ``url`` the libpq keywords its
    mapping sets, beneath the URL's own (see the module): ``connections`` are the file's
    connection-string views (views.client), changed in place. A keyword the mapping alone sets
    is judged and fixed there; a missing one is still added to the URL (which wins)."""
    for mapping, name, label in _databases(root, shared_too=True):
        url = Y.get(mapping, "url")
        if not isinstance(url, ScalarNode):
            continue
        start, end = url.start_mark.index, url.end_mark.index
        for view in connections:
            if not isinstance(view, ClientConnection) or view.consumer not in (LIBPQ, UNKNOWN) or not view.placements:
                continue
            if not start <= view.placements[0].location().start < end:
                continue
            view.consumer = LIBPQ  # the pg adapter's (ruby-pg is libpq's binding)
            place = EnvironmentEntries(source, mapping, name)
            view.add_placement(place)
            view.add_underlying_settings([(assignment, place) for assignment in _keywords(source, mapping)])
            view.reader = view.reader or f"ActiveRecord's {label} configuration"


def _keywords(source: SourceFile, mapping: MappingNode) -> Iterator[Assignment]:
    """The libpq keywords a database configuration's mapping (anchors merged) sets, under
    libpq's names, but the host and the credentials."""
    for key in sorted({*LIBPQ_KEYWORDS, *RENAMED} - {"host", "password", "user", "dbname"}):
        found = Y.merged_entry(mapping, key)
        if found is None or not isinstance(found[1], ScalarNode):
            continue
        key_node, value = found
        start, end = Y.span(value)
        yield Assignment(RENAMED.get(key, key), source, key_node.start_mark.index, Y.content_end(source.text, value),
                         _written(value), start, end)  # fmt: skip


def _connections(source: SourceFile, mapping: MappingNode, name: ScalarNode, label: str) -> list[ClientConnection]:
    """The libpq connection of one database's configuration (``label`` names it in messages), or
    none (see the module)."""
    adapter = Y.merged_get(mapping, "adapter")
    host = Y.merged_entry(mapping, "host")
    if not isinstance(adapter, ScalarNode) or adapter.value not in POSTGRES_ADAPTERS:
        return []
    if host is None or not isinstance(host[1], ScalarNode) or not host[1].value:
        return []  # the adapter's default: the local socket
    if Y.merged_get(mapping, "url") is not None:
        return []  # merged under a URL: keywords_under_urls
    view = ClientConnection(LIBPQ, [_written(host[1])], "rails")
    view.reader = f"ActiveRecord's {label} configuration"
    place = EnvironmentEntries(source, mapping, name)
    view.add_placement(place)
    for assignment in _keywords(source, mapping):
        view.add_setting(assignment, place)
    return [view]

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
unknown here. An environment with ``url`` (Rails merges it with the other keys) is left to the
URL's own reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.documents.connstr import LIBPQ_KEYWORDS
from pgconf_fix.findings import Edit, Location
from pgconf_fix.source import SourceFile
from pgconf_fix.views.base import Assignment
from pgconf_fix.views.client import LIBPQ, ClientConnection

RAILS_FILE = "database.yml"
POSTGRES_ADAPTERS = ("postgresql", "postgis")
# ActiveRecord's names for two libpq keywords (postgresql_connection).
RENAMED = {"username": "user", "database": "dbname"}


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
    for name, mapping in Y.items(root):
        if not isinstance(mapping, MappingNode) or name.tag == Y.MERGE_TAG:
            continue
        if Y.merged_get(mapping, "adapter") is None:
            for database, nested in Y.items(mapping):
                if isinstance(nested, MappingNode) and database.tag != Y.MERGE_TAG:
                    views += _connections(source, nested, database, f"{name.value}.{database.value}")
            continue
        views += _connections(source, mapping, name, name.value)
    return views


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
        return []  # merged with a URL: the URL's own reading judges it
    view = ClientConnection(LIBPQ, [_written(host[1])], "rails")
    view.reader = f"ActiveRecord's {label} configuration"
    place = EnvironmentEntries(source, mapping, name)
    view.add_placement(place)
    for key in sorted({*LIBPQ_KEYWORDS, *RENAMED} - {"host", "password", "user", "dbname"}):
        found = Y.merged_entry(mapping, key)
        if found is None or not isinstance(found[1], ScalarNode):
            continue
        key_node, value = found
        start, end = Y.span(value)
        assignment = Assignment(RENAMED.get(key, key), source, key_node.start_mark.index, Y.content_end(source.text, value),
                                _written(value), start, end)  # fmt: skip
        view.add_setting(assignment, place)
    return [view]

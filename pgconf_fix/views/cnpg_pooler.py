"""A CloudNativePG ``Pooler`` (``postgresql.cnpg.io``): the PgBouncer the operator runs in front
of a cluster, configured by the manifest's ``spec.pgbouncer.parameters``, judged by PGF601-PGF604
as the ``pgbouncer.ini`` the operator writes from it.

What the operator writes (cloudnative-pg ``pkg/management/pgbouncer/config``, read at
``a95a534``): a ``[pgbouncer]`` section holding each parameter as ``key = value`` in the order of
the sorted keys, its own defaults for keys the manifest leaves out (``log_stats``, ``auth_type``,
the TLS modes, ``ignore_startup_parameters``; none of them a keepalive or pool timer) and a few
keys it forces (the listener, the TLS files). Line breaks are dropped from a value first. Its
admission webhook refuses a Pooler whose parameters name a key outside its allowed list, which
holds ``tcp_keepalive``, ``tcp_keepidle``, ``tcp_keepintvl``, ``tcp_keepcnt``,
``tcp_user_timeout``, ``server_idle_timeout``, ``server_lifetime``, ``server_check_delay`` and
``server_check_query``; the map is a ``map[string]string``, so a value is written as a string.
A fix sets the value in place, or adds the key to the map (created when missing).

Not read (no view): a value holding a line break or that is not a scalar.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

from yaml.nodes import MappingNode, ScalarNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.findings import Edit, Location
from pgconf_fix.source import SourceFile
from pgconf_fix.views.pgbouncer import PgBouncerConfig
from pgconf_fix.views.pgbouncer_env import EnvironmentHost, _Line, _written_at

PARAMETERS = ("spec", "pgbouncer", "parameters")


def is_pooler(root: MappingNode) -> bool:
    """Whether a Kubernetes document is a CloudNativePG Pooler."""
    api = Y.scalar_value(Y.get(root, "apiVersion")) or ""
    return api.startswith("postgresql.cnpg.io/") and Y.scalar_value(Y.get(root, "kind")) == "Pooler"


@dataclass
class PoolerHost(EnvironmentHost):
    """The ``[pgbouncer]`` section the operator writes from ``spec.pgbouncer.parameters``, as a
    host of a pgbouncer.ini (pgconf_fix.views.pgbouncer.Host): offsets map back to the manifest,
    a new ``key = value`` line becomes a new entry of the map (``insert``), a changed value the
    entry's value, written as a string."""

    insert: Callable[[str, str], tuple[Edit, ...]] | None = None

    def add(self, key: ScalarNode, value: ScalarNode) -> None:
        self.lines.append(_Line(len(self.text) + len(key.value) + 3, value.value, value,
                                _written_at(self.source, value, 0), key.start_mark.index, key.value))
        self.text += f"{key.value} = {value.value}\n"

    def edit(self, start: int, end: int, content: str) -> Edit:
        """A change inside a value as an edit of the manifest; ValueError for any other (a new
        key is added by ``insert``, :meth:`PoolerPgBouncer.set_edits`)."""
        for line in self.lines:
            if line.ini_value <= start <= end <= line.ini_value + len(line.value):
                local = start - line.ini_value
                value = line.value[:local] + content + line.value[end - line.ini_value :]
                return Y.replace_scalar(self.source, line.node, value, string=True)
        raise ValueError("no parameter holds this part of the section")


class PoolerPgBouncer(PgBouncerConfig):
    """A Pooler's PgBouncer, read from its ``spec.pgbouncer.parameters``."""

    def __init__(self, host: PoolerHost, name: str) -> None:
        self.name = name
        super().__init__(host)

    def reader_note(self, location: Location) -> str:
        return f" (CloudNativePG writes it into the pgbouncer.ini of Pooler {self.name} from spec.pgbouncer.parameters)"

    def missing_note(self, key: str) -> str:
        return " (not in spec.pgbouncer.parameters)"

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        """A value in place, as a pgbouncer.ini's; a key not set, a new entry of the map (the
        map and the keys above it created when missing)."""
        if self.effective(key) is None:
            assert self.host.insert is not None  # type: ignore[attr-defined]
            return self.host.insert(key, value)  # type: ignore[attr-defined]
        return super().set_edits(key, value)


def pooler_view(source: SourceFile, root: MappingNode) -> PoolerPgBouncer | None:
    """The PgBouncer view of a Pooler manifest, or None when its parameters are not read (the
    module's docstring)."""
    node = Y.get(root, *PARAMETERS)
    if node is not None and not isinstance(node, MappingNode) and not Y.is_null(node):
        return None
    items = sorted(Y.items(node) if isinstance(node, MappingNode) else [], key=lambda pair: pair[0].value)
    for _, value in items:
        if not isinstance(value, ScalarNode) or any(char in value.value for char in "\r\n\v\f\x85\u2028\u2029"):
            return None
    # Where a missing key is said to be missing: the map's key, else the nearest key above it.
    home, parent = root.start_mark.index, root
    for name in PARAMETERS:
        pair = Y.entry(parent, name)
        if pair is None:
            break
        home, parent = pair[0].start_mark.index, pair[1]
    style = Y.quote_style([value for _, value in items]) if items else '"'

    def insert(key: str, value: str) -> tuple[Edit, ...]:
        return Y.insert_path(source, root, list(PARAMETERS), [(key, Y.render_scalar(value, style=style, string=True))])

    host = PoolerHost(source, node if node is not None else root, home, insert=insert)
    for key, value in items:
        host.add(key, value)
    name = Y.scalar_value(Y.get(root, "metadata", "name")) or "?"
    return PoolerPgBouncer(host, name)

"""PgBouncer run by a Kubernetes operator from a map of settings in its custom resource, judged by
PGF601-PGF604 as the ``[pgbouncer]`` section the operator writes from that map.

- CloudNativePG ``Pooler`` (``postgresql.cnpg.io``): ``spec.pgbouncer.parameters``. The operator
  (cloudnative-pg ``pkg/management/pgbouncer/config``, read at ``a95a534``) writes each
  parameter as ``key = value`` in the order of the sorted keys, after dropping line breaks from
  the value, with its own defaults for keys the map leaves out (``log_stats``, ``auth_type``, the
  TLS modes, ``ignore_startup_parameters``) and a few keys it forces (the listener, the TLS
  files); none of them is a keepalive or a pool timer. Its admission webhook refuses a key
  outside its allowed list, which holds every key these rules add (``tcp_keepalive``,
  ``tcp_keepidle``, ``tcp_keepintvl``, ``tcp_keepcnt``, ``server_idle_timeout``,
  ``server_check_delay``, ``server_check_query``).
- The CloudNativePG ``cluster`` Helm chart's values: each item of ``poolers`` becomes a Pooler
  whose ``spec.pgbouncer.parameters`` is the item's ``parameters`` (charts/cluster
  ``templates/pooler.yaml``, cloudnative-pg/charts ``b21ad2d``: ``toYaml`` of the map).
- Crunchy PGO ``PostgresCluster`` (and Percona's ``PerconaPGCluster``, built on PGO v5) with
  ``spec.proxy.pgBouncer``: ``config.global``. The
  operator (postgres-operator ``internal/pgbouncer/config.go`` ``clusterINI``, read at
  ``0fbac30``) writes its defaults overridden by the map, the keys sorted, ``key = value`` (an
  empty value as ``key =``), in the last ``[pgbouncer]`` section of the file. A cluster with
  ``config.files`` (files of its own projected beside pgbouncer.ini) is not read.

Both maps are ``map[string]string``: a value is written as a string. A fix sets the value in
place, or adds the key to the map (created, with the keys above it, when missing). Not read (no
view): a map value that is not a scalar, or holds a line break.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from yaml.nodes import MappingNode, ScalarNode

from pgconf_fix.documents import yaml_nodes as Y
from pgconf_fix.findings import Edit, Location
from pgconf_fix.source import SourceFile
from pgconf_fix.views.pgbouncer import PgBouncerConfig
from pgconf_fix.views.pgbouncer_env import EnvironmentHost, _Line, _written_at

CNPG_PARAMETERS = ("spec", "pgbouncer", "parameters")
PGO_GLOBAL = ("spec", "proxy", "pgBouncer", "config", "global")
_LINE_BREAKS = "\r\n\v\f\x85\u2028\u2029"


@dataclass
class MapHost(EnvironmentHost):
    """The ``[pgbouncer]`` section an operator writes from a map, as a host of a pgbouncer.ini
    (pgconf_fix.views.pgbouncer.Host): offsets map back to the manifest, a changed value is the
    entry's value, written as a string; ``insert`` adds a new entry. ``bare_empty``: an empty
    value is written ``key =`` (PGO), not ``key = `` (CloudNativePG)."""

    insert: Callable[[str, str], tuple[Edit, ...]] | None = None
    bare_empty: bool = False

    def add(self, key: ScalarNode, value: ScalarNode) -> None:
        """Write the line of one map entry."""
        if self.bare_empty and not value.value:
            self.lines.append(_Line(len(self.text) + len(key.value) + 2, "", value, None, key.start_mark.index, key.value))
            self.text += f"{key.value} =\n"
            return
        self.lines.append(_Line(len(self.text) + len(key.value) + 3, value.value, value,
                                _written_at(self.source, value, 0), key.start_mark.index, key.value))
        self.text += f"{key.value} = {value.value}\n"

    def edit(self, start: int, end: int, content: str) -> Edit:
        """A change inside a value as an edit of the manifest; ValueError for any other (a new
        key is added by ``insert``, :meth:`OperatorPgBouncer.set_edits`)."""
        for line in self.lines:
            line_start = self.text.rfind("\n", 0, line.ini_value) + 1
            line_end = self.text.index("\n", line.ini_value)
            if line_start + len(line.name) <= start <= end <= line_end:
                written = self.text[line_start:start] + content + self.text[end:line_end]
                value = written.split("=", 1)[1].strip(" \t")  # PgBouncer drops the blanks around a value
                return Y.replace_scalar(self.source, line.node, value, string=True)
        raise ValueError("no entry of the map holds this part of the section")


class OperatorPgBouncer(PgBouncerConfig):
    """An operator's PgBouncer, read from a map of its custom resource."""

    def __init__(self, host: MapHost, writer: str, where: str) -> None:
        self.writer = writer  # "CloudNativePG writes it into the pgbouncer.ini of Pooler p"
        self.where = where  # "spec.pgbouncer.parameters"
        super().__init__(host)

    def reader_note(self, location: Location) -> str:
        return f" ({self.writer} from {self.where})"

    def missing_note(self, key: str) -> str:
        return f" (not in {self.where})"

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        """A value in place, as a pgbouncer.ini's; a key not set, a new entry of the map."""
        if self.effective(key) is None:
            assert self.host.insert is not None  # type: ignore[attr-defined]
            return self.host.insert(key, value)  # type: ignore[attr-defined]
        return super().set_edits(key, value)


def map_pgbouncer_view(
    source: SourceFile, root: MappingNode, path: Sequence[str], writer: str, *, bare_empty: bool = False,
    where: str | None = None,
) -> OperatorPgBouncer | None:
    """The PgBouncer view of the map at ``path`` of a custom resource (``writer`` says who writes
    the file from it, ``where`` how messages name the map: ``path`` joined by default), or None
    when the map is not read (the module's docstring)."""
    node = Y.get(root, *path)
    if node is not None and not isinstance(node, MappingNode) and not Y.is_null(node):
        return None
    items = sorted(Y.items(node) if isinstance(node, MappingNode) else [], key=lambda pair: pair[0].value)
    for _, value in items:
        if not isinstance(value, ScalarNode) or any(char in value.value for char in _LINE_BREAKS):
            return None
    # Where a missing key is said to be missing: the map's key, else the nearest key above it.
    home, parent = root.start_mark.index, root
    for name in path:
        pair = Y.entry(parent, name)
        if pair is None:
            break
        home, parent = pair[0].start_mark.index, pair[1]
    style = Y.quote_style([value for _, value in items]) if items else '"'

    def insert(key: str, value: str) -> tuple[Edit, ...]:
        return Y.insert_path(source, root, list(path), [(key, Y.render_scalar(value, style=style, string=True))])

    host = MapHost(source, node if node is not None else root, home, insert=insert, bare_empty=bare_empty)
    for key, value in items:
        host.add(key, value)
    return OperatorPgBouncer(host, writer, where or ".".join(path))


def pooler_view(source: SourceFile, root: MappingNode) -> OperatorPgBouncer | None:
    """A CloudNativePG Pooler's PgBouncer."""
    name = Y.scalar_value(Y.get(root, "metadata", "name")) or "?"
    return map_pgbouncer_view(source, root, CNPG_PARAMETERS,
                              f"CloudNativePG writes it into the pgbouncer.ini of Pooler {name}")


def pgo_proxy_view(source: SourceFile, root: MappingNode, operator: str = "PGO") -> OperatorPgBouncer | None:
    """The PgBouncer of a Crunchy PGO PostgresCluster's (or a Percona PerconaPGCluster's: its
    operator is built on PGO v5, ``internal/pgbouncer/config.go`` ``clusterINI`` the same at
    percona-postgresql-operator ``adafb34``) ``spec.proxy.pgBouncer``; None without one, or with
    ``config.files``. ``operator`` names who writes the file, for messages."""
    proxy = Y.get(root, "spec", "proxy", "pgBouncer")
    if not isinstance(proxy, MappingNode) or Y.get(proxy, "config", "files") is not None:
        return None
    name = Y.scalar_value(Y.get(root, "metadata", "name")) or "?"
    kind = Y.scalar_value(Y.get(root, "kind")) or "PostgresCluster"
    return map_pgbouncer_view(source, root, PGO_GLOBAL,
                              f"{operator} writes it into the pgbouncer.ini of {kind} {name}'s proxy", bare_empty=True)

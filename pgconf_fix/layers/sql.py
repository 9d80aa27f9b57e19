"""SQL layer: ``.sql`` files whose statements set server parameters (views of layer "server")."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgconf_fix.options import Options
    from pgconf_fix.source import SourceFile
    from pgconf_fix.views.base import Built
    from pgconf_fix.workspace import Workspace

NAME = "sql"
LAYERS = ("server",)  # the rule layers of the views it builds


@cache
def _sniff() -> re.Pattern[bytes]:
    """The word SET, which every statement this layer reads contains (ALTER ... SET, SET; RESET
    does not need reading alone): a file without it is never parsed. Compiled when first needed."""
    return re.compile(rb"(?i)(?<![a-z0-9_])set(?![a-z0-9_])")


# Other databases, as the names of their scripts spell them: gobuffalo/pop's dialects and their
# synonyms (mysql, cockroach/cockroachdb/crdb, sqlite3/sqlite, ydb), and other servers' usual names.
OTHER_DATABASES = frozenset({
    "mysql", "mariadb", "cockroach", "cockroachdb", "crdb", "sqlite", "sqlite3", "ydb",
    "mssql", "sqlserver", "tsql", "oracle", "clickhouse",
})
# Words that make such a name PostgreSQL's after all: mysql_fdw's setup runs on PostgreSQL.
POSTGRES_WORDS = frozenset({"postgres", "postgresql", "pg", "pgsql", "fdw"})


def for_another_database(path: Path) -> bool:
    """Whether a ``.sql`` file is, by its name, another database's script, which no PostgreSQL
    server runs: gobuffalo/pop (and ory/popx, ory/pop) runs a migration named
    ``<version>_<name>.<dialect>.up.sql`` only against that dialect (``mrx`` in pop's
    migrator.go; the dialect through ``CanonicalDialect``'s synonyms), so ory/kratos' and
    ory/hydra's ``*.mysql.up.sql`` and ``*.cockroach.down.sql`` are MySQL's and CockroachDB's;
    the same goes for a dump or script named for another server (``cockroach_dump.sql``) or kept
    in a folder named for one (``mysql/init.sql``). A name with a PostgreSQL word as well
    (``mysql_fdw_setup.sql``, ``mysql_to_postgres.sql``) is read."""
    words = set(re.split(r"[._\-\s]+", path.name.lower())[:-1])
    if words & POSTGRES_WORDS:
        return False
    return bool(words & OTHER_DATABASES) or path.parent.name.lower() in OTHER_DATABASES


def claim(path: Path, head: Callable[[], bytes]) -> bool:
    if path.suffix.lower() != ".sql" or for_another_database(path):
        return False
    return _sniff().search(head()) is not None


def group_key(path: Path) -> Path:
    """Each file's views are its own (pgconf_fix.layers: what the file reads joins others)."""
    return path


def build_views(workspace: Workspace, sources: list[SourceFile], options: Options) -> Built:
    # The checks judging the views built here register themselves (pgconf_fix.checks).
    from pgconf_fix.checks import server_checks  # noqa: F401
    from pgconf_fix.views.base import Built
    from pgconf_fix.views.sql import build_sql_views

    return Built(list(build_sql_views(workspace, sources, options)))

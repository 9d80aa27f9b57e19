"""One entry of Django's ``DATABASES`` (a dict literal, ``dj_database_url`` or django-environ),
with the ``DATABASES["alias"]["KEY"] = ...`` assignments after it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from pgconf_fix.documents import python_nodes as syntax
from pgconf_fix.documents.python import (
    UNKNOWN,
    Entry,
    PythonDocument,
    Settings,
    literal,
    string_prefix,
)
from pgconf_fix.findings import Edit
from pgconf_fix.setting import Setting
from pgconf_fix.views.pool_base import MISSING, PoolView, url_is_postgres

if TYPE_CHECKING:
    from pgconf_fix.views.environment_default import EnvironmentDefault

DJ_DATABASE_URL = ("dj_database_url.config", "dj_database_url.parse")
# django-environ: ``env.db("DATABASE_URL")`` / ``env.db_url(...)`` on an ``environ.Env()``.
ENVIRON_DB_METHODS = ("db", "db_url")
DJANGO_POSTGRES = ("postgresql", "postgis", "psycopg")


class DjangoDatabaseView(PoolView):
    """One entry of Django's DATABASES, as a dict literal or a dj_database_url call, plus later
    ``DATABASES["alias"]["KEY"] = ...`` assignments."""

    kind = "django"
    CALL_KEYWORDS = {"CONN_MAX_AGE": "conn_max_age", "CONN_HEALTH_CHECKS": "conn_health_checks"}

    def __init__(self, document: PythonDocument, anchor: syntax.Node, alias: str, base: Settings | None) -> None:
        super().__init__(document, anchor, f'DATABASES["{alias}"]')
        self.alias = alias
        self.base = base
        self.overrides: dict[str, tuple[Entry, syntax.SimpleStatementLine, str]] = {}
        self.opaque = False  # changed by code we cannot read (``.update(...)``)
        # The same entry as the module this one imports DATABASES from defines it (``base`` is
        # None then): keys not overridden here are read there.
        self.inherited: DjangoDatabaseView | None = None

    @property
    def from_url(self) -> bool:
        return self.base is not None and self.base.is_call

    def from_dj_database_url(self) -> bool:
        """Whether the entry is a ``dj_database_url.config()`` / ``parse()`` call."""
        if not self.from_url:
            return False
        assert self.base is not None and isinstance(self.base.node, syntax.Call)
        called = self.document.code(self.base.node.func)
        return called.endswith(("config", "parse")) and "dj_database_url" in called

    def adds_dj_database_url_keyword(self, key: str) -> bool:
        """Whether ``fix(key, ...)`` would add a keyword argument to a ``dj_database_url``
        call (``conn_health_checks=``), which older releases refuse (library_versions)."""
        if not self.from_url or key in self.overrides or "CONN_MAX_AGE" in self.overrides:
            return False
        assert self.base is not None and isinstance(self.base.node, syntax.Call)
        called = self.document.code(self.base.node.func)
        return called.endswith(("config", "parse")) and "dj_database_url" in called and self.read_entry(key)[0] is None

    def _noqa(self, statement: syntax.SimpleStatementLine) -> str:
        """A DATABASES taken from ``from .base import *`` makes linters flag every line that uses
        it (ruff/flake8 F405): a line added beside one that silences them with ``# noqa...``
        carries the same comment."""
        if self.inherited is None:
            return ""
        start, end = self.document.span(statement)
        line = self.document.text[start : self.document.line_end(max(start, end - 1))]
        comment = re.search(r"#\s*noqa\b[^\r\n#]*$", line, re.IGNORECASE)
        return f"  {comment.group(0).rstrip()}" if comment is not None else ""

    def _base_key(self, key: str) -> str:
        return self.CALL_KEYWORDS.get(key, key.lower()) if self.from_url else key

    def read_entry(self, key: str) -> tuple[Entry | None, object]:
        if key in self.overrides:
            entry = self.overrides[key][0]
            return entry, self._value(entry.value)
        if self.inherited is not None and not self.opaque:
            return None, self.inherited.read_entry(key)[1]  # written in the other module
        if self.base is None or self.opaque:
            return None, UNKNOWN
        entry = self.base.find(self._base_key(key))
        if entry is not None:
            return entry, self._value(self.document.resolve(entry.value, entry.value))
        return None, MISSING if self.base.fully_known else UNKNOWN

    def environment_default(self, key: str) -> EnvironmentDefault | None:
        """The environment read ``key``'s value comes from, with its default, if it does."""
        if self.inherited is not None and key not in self.overrides and not self.opaque:
            return self.inherited.environment_default(key)
        return super().environment_default(key)

    def pool_option(self) -> tuple[Entry, bool | None] | None:
        """The entry's ``OPTIONS["pool"]`` (Django 5.1+: a psycopg_pool pool, ``True`` or a dict
        of the pool's arguments) and whether it is on: True, False, or None when the code
        computes it. None when OPTIONS has no such key, or OPTIONS cannot be read."""
        entry, _ = self.read_entry("OPTIONS")
        if entry is None:
            return None
        options = self.document.settings(entry.value, entry.value)
        if options is None:
            return None
        pool = options.find("pool")
        if pool is None:
            return None
        node = self.document.resolve(pool.value, pool.value)
        if isinstance(node, syntax.Dict):
            return pool, bool(node.elements)  # Django tests the dict itself: {} is no pool
        value = literal(node)
        return pool, (None if value is UNKNOWN else bool(value))

    def get(self, key: str, unit: str | None = None, number: bool = False) -> Setting:
        """As PoolView's; a key the imported module sets is read there and reported here, at this
        module's first override of the entry (where a fix adds a line)."""
        if self.inherited is None or key in self.overrides or self.opaque:
            return super().get(key, unit, number)
        return replace(self.inherited.get(key, unit, number), at=self.location_of(self.anchor))

    def describe(self) -> str:
        if self.inherited is None:
            return super().describe()
        return f"{self.label} (with {self.inherited.source.display}'s entry)"

    def is_postgres(self) -> bool | None:
        if self.inherited is not None and "ENGINE" not in self.overrides:
            return self.inherited.is_postgres()
        if self.from_url:
            assert self.base is not None
            call = self.base.node
            assert isinstance(call, syntax.Call)
            engine = self.base.find("engine")
            if engine is not None:
                value = literal(engine.value)
                return any(word in value for word in DJANGO_POSTGRES) if isinstance(value, str) else None
            # parse(url, ...) takes the URL first; config() reads the environment, else default=.
            is_parse = self.document.code(call.func).endswith("parse")
            url = self.document.positional(call, 0 if is_parse else 99, "url" if is_parse else "default")
            return url_is_postgres(string_prefix(self.document.resolve(url, call)))
        _, engine = self.read_entry("ENGINE")
        if not isinstance(engine, str):
            return None
        return any(word in engine.rsplit(".", 1)[-1] for word in DJANGO_POSTGRES)

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        entry, _ = self.read_entry(key)
        default = self.environment_default(key) if entry is not None else None
        if default is not None and default.written_in(self.document, entry.value):  # type: ignore[union-attr]
            return (default.edit(self.document, value),)  # the environment still overrides it
        if entry is not None:
            return (Edit(self.source, entry.value_start, entry.value_end, value),)
        max_age = self.overrides.get("CONN_MAX_AGE")
        if max_age is not None:
            _, statement, prefix = max_age
            quote = self.document.key_quote()
            return self.document.add_line_after(statement, f"{prefix}[{quote}{key}{quote}] = {value}{self._noqa(statement)}")
        if self.base is None or not self.base.fully_known:
            return ()
        return self.base.insert(self._base_key(key), value)

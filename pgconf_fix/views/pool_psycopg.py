"""A psycopg_pool ``ConnectionPool`` / ``AsyncConnectionPool`` call and its keyword arguments.
"""

from __future__ import annotations

from pgconf_fix.documents import python_nodes as syntax
from pgconf_fix.documents.python import UNKNOWN, Entry, PythonDocument, literal
from pgconf_fix.findings import Edit
from pgconf_fix.views.pool_base import MISSING, PoolView

PSYCOPG_POOLS = {"ConnectionPool", "AsyncConnectionPool"}


class PsycopgPoolView(PoolView):
    kind = "psycopg-pool"

    def __init__(self, document: PythonDocument, call: syntax.Call, class_name: str) -> None:
        super().__init__(document, call, f"{class_name}()")
        self.call = call
        self.class_code = document.code(call.func)
        self.settings = document.call_settings(call)

    def read_entry(self, key: str) -> tuple[Entry | None, object]:
        entry = self.settings.find(key)
        if entry is not None:
            return entry, literal(entry.value)
        return None, MISSING if self.settings.fully_known else UNKNOWN

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        entry, _ = self.read_entry(key)
        if entry is not None:
            return self.settings.replace(key, value)
        if not self.settings.fully_known:
            return ()
        return self.settings.insert(key, value)

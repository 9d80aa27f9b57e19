"""What every pool view shares: a view of one pool's settings read from one Python file, whose
values are Python literals, MISSING, or UNKNOWN (a variable, a call, a ``**splat`` we cannot
see into: rules judge the first two and leave UNKNOWN alone). A file that is not Python reports
its parse error itself (``PythonDocument.problems``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pgconf_fix.documents import python_nodes as syntax
from pgconf_fix.documents.python import UNKNOWN, Entry, PythonDocument, literal
from pgconf_fix.findings import Location
from pgconf_fix.setting import Setting, State
from pgconf_fix.views.base import Assignment, SettingsView

if TYPE_CHECKING:
    from pgconf_fix.views.environment_default import EnvironmentDefault

MISSING = State.MISSING
POSTGRES_SCHEMES = ("postgresql", "postgres", "pgsql")


def url_is_postgres(url: str | None) -> bool | None:
    """True for a PostgreSQL URL, False for another database, None when it cannot be told."""
    if not url or "://" not in url and ":" not in url:
        return None
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if not scheme or not scheme.replace("_", "").isalnum():
        return None
    return scheme in POSTGRES_SCHEMES


class PoolView(SettingsView):
    """Settings of one pool, read from one Python file."""

    layer = "pool"
    kind = ""

    def __init__(self, document: PythonDocument, anchor: syntax.Node, label: str) -> None:
        super().__init__()
        self.document = document
        self.source = document.source
        self.scope = {document.source.path}
        self.anchor = anchor
        self.label = label

    def read_entry(self, key: str) -> tuple[Entry | None, object]:
        """The entry that sets ``key`` (None if none) and its Python value, MISSING or UNKNOWN:
        for builders that need the syntax node; rules ask ``get``."""
        raise NotImplementedError

    def get(self, key: str, unit: str | None = None, number: bool = False) -> Setting:
        """``key`` as the pool receives it: ``value`` is the Python literal (``True``, ``300``,
        ``None``); UNKNOWN when the code computes it or a ``**splat`` may supply it. ``raw`` is
        the expression's code."""
        entry, value = self.read_entry(key)
        if entry is None:
            state = State.UNKNOWN if value is UNKNOWN else State.MISSING
            return Setting(key, state, locate=lambda: self.missing_location(key), judged=self.judges(key))
        code = self.document.code(entry.value)
        state = State.UNKNOWN if value is UNKNOWN else State.SET
        reason = "the code computes it" if value is UNKNOWN else ""
        if state is State.SET:
            default = self._default_of(entry)
            reason = default.note() if default is not None else ""
        return Setting(
            key,
            state,
            at=self.entry_location(entry),
            value=None if value is UNKNOWN else value,
            text=code,
            raw=code,
            reason=reason,
        )

    def _value(self, node: syntax.BaseExpression | None) -> object:
        """A literal's value; for a read of the environment with a default
        (views.environment_default), the default as the code gets it; else UNKNOWN."""
        if isinstance(node, syntax.Call):  # imported only for a call: most values are literals
            from pgconf_fix.views.environment_default import environment_default

            found = environment_default(self.document, node)
            if found is not None:
                return found.value
        return literal(node)

    def environment_default(self, key: str) -> EnvironmentDefault | None:
        """The environment read ``key``'s value comes from, with its default, if it does."""
        entry, _ = self.read_entry(key)
        return self._default_of(entry) if entry is not None else None

    def _default_of(self, entry: Entry) -> EnvironmentDefault | None:
        node = self.document.resolve(entry.value, entry.value)
        if not isinstance(node, syntax.Call):
            return None
        from pgconf_fix.views.environment_default import environment_default

        return environment_default(self.document, node)

    def location_of(self, node: syntax.Node) -> Location:
        start, end = self.document.span(node)
        return Location(self.source, start, end)

    def entry_location(self, entry: Entry) -> Location:
        return Location(self.source, entry.start, entry.end)

    def effective(self, key: str) -> Assignment | None:
        entry, _ = self.read_entry(key)
        if entry is None:
            return None
        return Assignment(
            key=key,
            source=self.source,
            start=entry.start,
            end=entry.end,
            value=self.document.text[entry.value_start : entry.value_end],
            value_start=entry.value_start,
            value_end=entry.value_end,
        )

    def missing_location(self, key: str) -> Location:
        return self.location_of(self.anchor)

    def describe(self) -> str:
        return self.label

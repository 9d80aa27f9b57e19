"""A SQLAlchemy engine: a factory call (``create_engine``, ``engine_from_config`` ...), or a
Flask-SQLAlchemy config's engine options, read as the pinned Flask-SQLAlchemy reads them.
"""

from __future__ import annotations

from pgconf_fix.documents import python_nodes as syntax
from pgconf_fix.documents.python import (
    UNKNOWN,
    Entry,
    PythonDocument,
    Settings,
    literal,
    string_prefix,
)
from pgconf_fix.findings import SAFE, UNSAFE, Edit
from pgconf_fix.library_versions import FlaskSQLAlchemyVersion, flask_sqlalchemy_version
from pgconf_fix.views.pool_base import MISSING, PoolView, url_is_postgres
from pgconf_fix.views.pool_flask import (
    DATABASE_URI,
    ENGINE_OPTIONS,
    LEGACY_KEYS,
    ConfigItem,
    FlaskConfig,
)
from pgconf_fix.views.sqlalchemy_url import built_url

ENGINE_FACTORIES = {"create_engine", "create_async_engine", "engine_from_config", "async_engine_from_config"}
ENGINE_MODULES = ("sqlalchemy", "sqlmodel")
POOLLESS = {"NullPool", "StaticPool"}
# Keys two rules may add to one engine in the same run.
COMPANIONS = {"pool_pre_ping": ("pool_recycle", "300"), "pool_recycle": ("pool_pre_ping", "True")}


class EngineView(PoolView):
    """A SQLAlchemy engine: a factory call, or Flask-SQLAlchemy engine options."""

    kind = "engine"

    def __init__(
        self,
        document: PythonDocument,
        anchor: syntax.Node,
        label: str,
        settings: Settings | None,
        url: syntax.BaseExpression | None,
        prefix: str = "",
    ) -> None:
        super().__init__(document, anchor, label)
        self.settings = settings
        self.url = url
        self.prefix = prefix  # engine_from_config: keys of the configuration dict
        self.config_settings: Settings | None = None
        self.flask: FlaskConfig | None = None
        # Flask config whose project passes SQLAlchemy(engine_options=...): Flask-SQLAlchemy
        # merges those defaults under the config's options (3.1.1 init_app), so a key the
        # config leaves out may come from them: not known here.
        self.extension_defaults = False
        # Those defaults when they are read here (the module's one SQLAlchemy(engine_options=...),
        # wholly readable): a key the config leaves out is looked up in them.
        self.extension_settings: Settings | None = None

    def read_entry(self, key: str) -> tuple[Entry | None, object]:
        ignored = self.flask is not None and self.flask_version().reads_engine_options is False
        for settings, name in ((self.settings, key), (self.config_settings, f"{self.prefix}{key}")):
            if settings is None or ignored and settings is self.settings:
                continue  # before Flask-SQLAlchemy 2.4, SQLALCHEMY_ENGINE_OPTIONS is not read
            entry = settings.find(name)
            if entry is not None:
                value = self._value(self.document.resolve(entry.value, entry.value))
                return entry, _from_ini(value) if settings is self.config_settings else value
        if self.flask is not None and self.flask_version().reads_legacy_keys:
            item = self.flask.legacy_item(key)
            if item is not None and item.statement is not None:
                return self._legacy_entry(item), literal(self.document.resolve(item.value, item.value))
        if self.flask is not None and self.extension_settings is not None and not ignored:
            entry = self.extension_settings.find(key)
            if entry is not None:
                return entry, self._value(self.document.resolve(entry.value, entry.value))
        elif self.flask is not None and self.extension_defaults:
            return None, UNKNOWN  # the extension's engine_options= may set it
        if (self.settings is None or ignored) and self.flask is not None and self.config_settings is None:
            return None, MISSING  # a Flask config without SQLALCHEMY_ENGINE_OPTIONS
        if self.settings is None or not self.settings.fully_known:
            return None, UNKNOWN
        if self.config_settings is not None and not self.config_settings.fully_known:
            return None, UNKNOWN
        return None, MISSING

    def flask_version(self) -> FlaskSQLAlchemyVersion:
        """The Flask-SQLAlchemy the project pins (only asked of Flask configs)."""
        return flask_sqlalchemy_version(self.source.path)

    def _legacy_entry(self, item: ConfigItem) -> Entry:
        assert item.statement is not None
        start, end = self.document.span(item.statement.body[0])
        value_start, value_end = self.document.span(item.value)
        return Entry(item.key, item.value, start, end, value_start, value_end)

    def describe(self) -> str:
        assumption = self.flask.assumption if self.flask is not None else ""
        if not assumption:
            return self.label
        if self.label.endswith(")"):
            return f"{self.label[:-1]}; {assumption})"
        return f"{self.label} ({assumption})"

    def is_postgres(self) -> bool | None:
        node = self.document.resolve(self.url, self.anchor) if self.url is not None else None
        if isinstance(node, syntax.Call):  # URL.create("postgresql+psycopg2", ...)
            built = built_url(self.document, node, self.anchor)
            return url_is_postgres(f"{built.drivername}://") if built is not None else None
        return url_is_postgres(string_prefix(node))

    def keeps_pool(self) -> bool | None:
        """False for NullPool/StaticPool engines and SQLite URLs, None when poolclass is unknown."""
        entry, _ = self.read_entry("poolclass")
        if entry is not None:
            name = self.document.qualified(entry.value) or ""
            if name.rsplit(".", 1)[-1] in POOLLESS:
                return False
            if not name.startswith(ENGINE_MODULES):
                return None
        return self.is_postgres() is not False

    def judged(self) -> bool:
        return self.keeps_pool() is True

    def _reserve(self, key: str) -> int:
        """Room for the other key PGF501/PGF502 may add to the same line in the same run."""
        other, value = COMPANIONS.get(key, ("", ""))
        if not other or self.read_entry(other)[0] is not None:
            return 0
        return len(f", {other}={value}") + (2 if self.settings is not None and not self.settings.home().is_call else 0)

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        entry, _ = self.read_entry(key)
        default = self.environment_default(key) if entry is not None else None
        if default is not None and default.written_in(self.document, entry.value):  # type: ignore[union-attr]
            return (default.edit(self.document, value),)  # the environment still overrides it
        if entry is not None and self.settings is not None and self.settings.find(key) is entry:
            return self.settings.replace(key, value)  # laid out as ruff would lay out the call
        if entry is not None:
            return (Edit(self.source, entry.value_start, entry.value_end, value),)
        flask = self.flask
        if flask is not None and self.flask_version().reads_engine_options is False:
            # Flask-SQLAlchemy before 2.4: only the legacy keys reach the engine; pre-ping cannot.
            uri = flask.items.get(DATABASE_URI)
            legacy = next((name for name, option in LEGACY_KEYS.items() if option == key), None)
            if legacy is None or key == "pool_pre_ping" or uri is None or uri.statement is None:
                return ()
            return self.document.add_line_after(uri.statement, flask.statement_code(legacy, value))
        if self.settings is not None:
            if not self.settings.fully_known:
                return ()  # a key added beside an unreadable splat could collide with it
            return self.settings.insert(key, value, self._reserve(key))
        if flask is None:
            return ()
        if any(config.legacy for config in flask.chain()) or key != "pool_pre_ping":
            # One new options dict at a time (PGF505 moves the legacy keys into one); the next
            # pass adds to the dict this config resolves to, never a new one that shadows a base's.
            return ()
        uri = flask.items.get(DATABASE_URI)
        quote = self.document.key_quote()
        options = f"{{{quote}{key}{quote}: {value}}}"
        if uri is not None and uri.statement is not None:
            return self.document.add_line_after(uri.statement, flask.statement_code(ENGINE_OPTIONS, options))
        if uri is not None and uri.container is not None:
            return uri.container.insert(ENGINE_OPTIONS, options)
        return ()


def _from_ini(value: object) -> object:
    """engine_from_config turns integer strings into ints; other strings stay strings
    (so ``"false"`` for pool_pre_ping is a true value, as SQLAlchemy itself reads it)."""
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:  # not an integer, or past Python's int-conversion limit
            return value
    return value


def bind_label(name: str) -> str:
    """How a bind's engine is named in messages, with why SQLALCHEMY_ENGINE_OPTIONS does not count."""
    return f'SQLALCHEMY_BINDS["{name}"] (Flask-SQLAlchemy 3 gives a bind none of {ENGINE_OPTIONS})'


class BindUrlView(EngineView):
    """A bind written as a URL alone (``SQLALCHEMY_BINDS = {"users": "postgresql://..."}``): on
    Flask-SQLAlchemy 3 its engine has no option but those of ``SQLAlchemy(engine_options=...)``
    (checked with 3.1.1: ``db.engines["users"].pool._pre_ping`` is False beside a
    SQLALCHEMY_ENGINE_OPTIONS with pool_pre_ping). A fix writes the bind in 3's dict form,
    ``{"url": "...", "pool_pre_ping": True}``, as two insertions around the string (the URL's
    text, which may hold a password, is not part of the edit). Before 3.0 a bind took
    SQLALCHEMY_ENGINE_OPTIONS and knew no dict form: with such a pin it is not judged, and
    without a pin the fix is unsafe."""

    def __init__(self, document: PythonDocument, node: syntax.BaseExpression, label: str, config: FlaskConfig) -> None:
        super().__init__(document, node, label, None, node)
        self.bind_config = config  # not ``flask``: the legacy-key rules are the main engine's

    def read_entry(self, key: str) -> tuple[Entry | None, object]:
        return None, MISSING

    def _before_3(self) -> bool | None:
        return flask_sqlalchemy_version(self.source.path).reads_legacy_keys

    def judged(self) -> bool:
        return self._before_3() is not True and super().judged()

    @property
    def fix_applicability(self) -> str:  # type: ignore[override]
        return SAFE if self._before_3() is False else UNSAFE

    def describe(self) -> str:
        if self._before_3() is None:
            version = flask_sqlalchemy_version(self.source.path).describe()
            return f"{self.label[:-1]}; before 3.0 it took them: {version})"
        return self.label

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        start, end = self.document.span(self.anchor)
        quote = self.document.key_quote()
        # Both insertions hold the string's character beside them: a second fix wrapping the same
        # URL in the same round (PGF501 and PGF502) shares the identical opening but its closing
        # overlaps this one, so it waits a round and then adds its key to the dict this one made.
        opening = Edit(self.source, start, start, f"{{{quote}url{quote}: ", holds=(start, start + 1))
        closing = Edit(self.source, end, end, f", {quote}{key}{quote}: {value}}}", holds=(end - 1, end))
        return (opening, closing)


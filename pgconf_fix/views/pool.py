"""Connection pools configured in Python: one view per SQLAlchemy engine, Flask-SQLAlchemy
config, Django DATABASES entry and psycopg pool.

A setting read from code has three states: a literal value, missing, or UNKNOWN (a variable,
a call, a ``**splat`` we cannot see into). Rules judge the first two and leave UNKNOWN alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from pgconf_fix.dependencies import project_of
from pgconf_fix.documents.python import UNKNOWN, Entry, PythonDocument, Settings, literal, string_prefix
from pgconf_fix.findings import Edit, Location
from pgconf_fix.library_versions import FlaskSQLAlchemyVersion, flask_sqlalchemy_version
from pgconf_fix.setting import Setting, State
from pgconf_fix.source import SourceFile
from pgconf_fix.views.base import Assignment, Problem, SettingsView

MISSING = State.MISSING

ENGINE_FACTORIES = {"create_engine", "create_async_engine", "engine_from_config", "async_engine_from_config"}
ENGINE_MODULES = ("sqlalchemy", "sqlmodel")
FLASK_EXTENSION = ("flask_sqlalchemy.SQLAlchemy", "flask_sqlalchemy.extension.SQLAlchemy")
POOLLESS = {"NullPool", "StaticPool"}
PSYCOPG_POOLS = {"ConnectionPool", "AsyncConnectionPool"}
DJ_DATABASE_URL = ("dj_database_url.config", "dj_database_url.parse")
# django-environ: ``env.db("DATABASE_URL")`` / ``env.db_url(...)`` on an ``environ.Env()``.
ENVIRON_DB_METHODS = ("db", "db_url")
# Settings classes that are models, not Flask config objects: their fields are not config keys.
SETTINGS_MODELS = ("pydantic", "pydantic_settings")
# What shows, somewhere in a project, that Flask-SQLAlchemy reads a settings module.
FLASK_EVIDENCE = (b"flask_sqlalchemy", b".from_object(", b".from_pyfile(")
POSTGRES_SCHEMES = ("postgresql", "postgres", "pgsql")
DJANGO_POSTGRES = ("postgresql", "postgis", "psycopg")
# Keys two rules may add to one engine in the same run.
COMPANIONS = {"pool_pre_ping": ("pool_recycle", "300"), "pool_recycle": ("pool_pre_ping", "True")}
ENGINE_OPTIONS = "SQLALCHEMY_ENGINE_OPTIONS"
DATABASE_URI = "SQLALCHEMY_DATABASE_URI"
# Flask-SQLAlchemy 2 keys that version 3 ignores, and the engine option each one meant.
LEGACY_KEYS = {
    "SQLALCHEMY_POOL_RECYCLE": "pool_recycle",
    "SQLALCHEMY_POOL_SIZE": "pool_size",
    "SQLALCHEMY_POOL_TIMEOUT": "pool_timeout",
    "SQLALCHEMY_POOL_PRE_PING": "pool_pre_ping",
    "SQLALCHEMY_MAX_OVERFLOW": "max_overflow",
}
# Looks like a legacy key, but no Flask-SQLAlchemy version reads it (checked on 2.3.2 and 2.4.4).
NEVER_READ = {"SQLALCHEMY_POOL_PRE_PING"}


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

    def __init__(self, document: PythonDocument, anchor: cst.CSTNode, label: str) -> None:
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
        return Setting(
            key,
            state,
            at=self.entry_location(entry),
            value=None if value is UNKNOWN else value,
            text=code,
            raw=code,
            reason="the code computes it" if value is UNKNOWN else "",
        )

    def location_of(self, node: cst.CSTNode) -> Location:
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


@dataclass
class ConfigItem:
    """One Flask config key: a statement (``KEY = v``, ``app.config["KEY"] = v``) or a keyword/dict entry."""

    key: str
    value: cst.BaseExpression
    statement: cst.SimpleStatementLine | None
    entry: Entry | None = None
    container: Settings | None = None


@dataclass
class FlaskConfig:
    """Keys given together: a settings module, a config class, or one ``app.config`` object."""

    kind: str  # "module", "class" or "object"
    owner: str
    node: cst.CSTNode | None
    items: dict[str, ConfigItem] = field(default_factory=dict)
    legacy: list[ConfigItem] = field(default_factory=list)
    quote: str = '"'
    # Config classes of the same file this class inherits from, nearest first (Python's MRO).
    bases: list[FlaskConfig] = field(default_factory=list)
    # Said when the file is judged without evidence that Flask-SQLAlchemy reads it.
    assumption: str = ""

    def chain(self) -> list[FlaskConfig]:
        """This config and the classes it inherits from, in the order Python looks a key up."""
        return [self, *self.bases]

    def lookup(self, key: str) -> tuple[FlaskConfig, ConfigItem] | None:
        """Where ``key`` comes from for this config: itself or the nearest base that sets it."""
        for config in self.chain():
            if key in config.items:
                return config, config.items[key]
        return None

    def legacy_item(self, option: str) -> ConfigItem | None:
        """The Flask-SQLAlchemy 2 key that sets engine ``option`` for this config, if any."""
        for name, meant in LEGACY_KEYS.items():
            found = self.lookup(name) if name not in NEVER_READ else None
            if meant == option and found is not None:
                return found[1]
        return None

    def statement_code(self, key: str, value: str) -> str:
        if self.kind == "object":
            return f"{self.owner}[{self.quote}{key}{self.quote}] = {value}"
        return f"{key} = {value}"


class EngineView(PoolView):
    """A SQLAlchemy engine: a factory call, or Flask-SQLAlchemy engine options."""

    kind = "engine"

    def __init__(
        self,
        document: PythonDocument,
        anchor: cst.CSTNode,
        label: str,
        settings: Settings | None,
        url: cst.BaseExpression | None,
        prefix: str = "",
    ) -> None:
        super().__init__(document, anchor, label)
        self.settings = settings
        self.url = url
        self.prefix = prefix  # engine_from_config: keys of the configuration dict
        self.config_settings: Settings | None = None
        self.flask: FlaskConfig | None = None

    def read_entry(self, key: str) -> tuple[Entry | None, object]:
        ignored = self.flask is not None and self.flask_version().reads_engine_options is False
        for settings, name in ((self.settings, key), (self.config_settings, f"{self.prefix}{key}")):
            if settings is None or ignored and settings is self.settings:
                continue  # before Flask-SQLAlchemy 2.4, SQLALCHEMY_ENGINE_OPTIONS is not read
            entry = settings.find(name)
            if entry is not None:
                value = literal(self.document.resolve(entry.value, entry.value))
                return entry, _from_ini(value) if settings is self.config_settings else value
        if self.flask is not None and self.flask_version().reads_legacy_keys:
            item = self.flask.legacy_item(key)
            if item is not None and item.statement is not None:
                return self._legacy_entry(item), literal(self.document.resolve(item.value, item.value))
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


class DjangoDatabaseView(PoolView):
    """One entry of Django's DATABASES, as a dict literal or a dj_database_url call, plus later
    ``DATABASES["alias"]["KEY"] = ...`` assignments."""

    kind = "django"
    CALL_KEYWORDS = {"CONN_MAX_AGE": "conn_max_age", "CONN_HEALTH_CHECKS": "conn_health_checks"}

    def __init__(self, document: PythonDocument, anchor: cst.CSTNode, alias: str, base: Settings | None) -> None:
        super().__init__(document, anchor, f'DATABASES["{alias}"]')
        self.alias = alias
        self.base = base
        self.overrides: dict[str, tuple[Entry, cst.SimpleStatementLine, str]] = {}
        self.opaque = False  # changed by code we cannot read (``.update(...)``)

    @property
    def from_url(self) -> bool:
        return self.base is not None and self.base.is_call

    def _base_key(self, key: str) -> str:
        return self.CALL_KEYWORDS.get(key, key.lower()) if self.from_url else key

    def read_entry(self, key: str) -> tuple[Entry | None, object]:
        if key in self.overrides:
            entry = self.overrides[key][0]
            return entry, literal(entry.value)
        if self.base is None or self.opaque:
            return None, UNKNOWN
        entry = self.base.find(self._base_key(key))
        if entry is not None:
            return entry, literal(self.document.resolve(entry.value, entry.value))
        return None, MISSING if self.base.fully_known else UNKNOWN

    def is_postgres(self) -> bool | None:
        if self.from_url:
            assert self.base is not None
            call = self.base.node
            assert isinstance(call, cst.Call)
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
        if entry is not None:
            return (Edit(self.source, entry.value_start, entry.value_end, value),)
        max_age = self.overrides.get("CONN_MAX_AGE")
        if max_age is not None:
            _, statement, prefix = max_age
            quote = self.document.key_quote()
            return self.document.add_line_after(statement, f"{prefix}[{quote}{key}{quote}] = {value}")
        if self.base is None or not self.base.fully_known:
            return ()
        return self.base.insert(self._base_key(key), value)


class PsycopgPoolView(PoolView):
    kind = "psycopg-pool"

    def __init__(self, document: PythonDocument, call: cst.Call, class_name: str) -> None:
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
            return (Edit(self.source, entry.value_start, entry.value_end, value),)
        if not self.settings.fully_known:
            return ()
        return self.settings.insert(key, value)


class FlaskConfigView(PoolView):
    """A Flask config's keys themselves, for the legacy pool keys Flask-SQLAlchemy 3 ignores."""

    kind = "flask-config"

    def __init__(self, document: PythonDocument, config: FlaskConfig, anchor: cst.CSTNode) -> None:
        super().__init__(document, anchor, config.owner)
        self.config = config

    def read_entry(self, key: str) -> tuple[Entry | None, object]:
        return None, UNKNOWN

    def item_location(self, item: ConfigItem) -> Location:
        if item.entry is not None:
            return self.entry_location(item.entry)
        assert item.statement is not None
        return self.location_of(item.statement.body[0])

    def move_legacy_edits(self) -> tuple[Edit, ...]:
        """Every legacy key moved into SQLALCHEMY_ENGINE_OPTIONS, as one set of edits."""
        config = self.config
        if any(item.statement is None for item in config.legacy):
            return ()
        document = self.document
        options_item = config.items.get(ENGINE_OPTIONS)
        options = document.settings(options_item.value, options_item.value) if options_item else None
        if options_item is not None and (options is None or not options.fully_known):
            return ()
        edits: list[Edit] = []
        pieces: list[tuple[str, str]] = []
        for item in config.legacy:
            option = LEGACY_KEYS[item.key]
            if options is not None and options.find(option) is not None:
                pass  # the engine options already say it; the dead key just goes
            elif option not in (name for name, _ in pieces):
                pieces.append((option, document.code(item.value)))
        statements = [item.statement for item in config.legacy if item.statement is not None]
        for statement in statements:
            removal = document.remove_statement(statement)
            if not removal:
                return ()
            edits.extend(removal)
        if options is not None:
            for index, (option, value) in enumerate(pieces):
                others = sum(len(f", '{name}': {code}") for name, code in pieces[index + 1 :])
                edits.extend(options.insert(option, value, others))
        elif pieces:
            quote = document.key_quote()
            body = ", ".join(f"{quote}{name}{quote}: {value}" for name, value in pieces)
            inherited = config.lookup(ENGINE_OPTIONS) if config.kind == "class" else None
            if inherited is not None:
                # A new dict here would hide the base's options: start from them.
                body = f"**{inherited[0].owner}.{ENGINE_OPTIONS}, {body}"
            first = edits[0]
            indent = document.indentation(document.span(statements[0])[0])
            line = f"{indent}{config.statement_code(ENGINE_OPTIONS, '{' + body + '}')}{self.source.universal_newline}"
            edits[0] = Edit(first.source, first.start, first.end, line)
        return tuple(edits)


def build_views(document: PythonDocument) -> list[PoolView]:
    return list(_Builder(document).views())


class _Builder:
    def __init__(self, document: PythonDocument) -> None:
        self.document = document
        self._evidence: tuple[bool, str] | None = None

    def views(self) -> Iterator[PoolView]:
        document = self.document
        configured_by_extension = False
        for call, name in list(document.calls()):
            module, _, function = name.rpartition(".")
            if function in ENGINE_FACTORIES and module.split(".")[0] in ENGINE_MODULES:
                yield self.engine(call, function)
            elif name in FLASK_EXTENSION:
                options = document.positional(call, 99, "engine_options")
                if options is not None:
                    configured_by_extension = True
                    settings = document.settings(options, call)
                    yield EngineView(document, call, "SQLAlchemy(engine_options=...)", settings, None)
            elif module.split(".")[0] == "psycopg_pool" and function in PSYCOPG_POOLS:
                yield PsycopgPoolView(document, call, function)
        for config in self.flask_configs():
            yield from self.flask_views(config, configured_by_extension)
        yield from self.django_views()

    # --- SQLAlchemy ------------------------------------------------------------

    def engine(self, call: cst.Call, function: str) -> EngineView:
        document = self.document
        label = f"{function}()"
        if function.endswith("engine_from_config"):
            view = EngineView(document, call, label, document.call_settings(call), None, "")
            configuration = document.positional(call, 0, "configuration")
            prefix = literal(document.positional(call, 1, "prefix"))
            view.prefix = prefix if isinstance(prefix, str) else "sqlalchemy."
            view.config_settings = document.settings(configuration, call)
            if view.config_settings is None:
                view.settings = None  # keys may hide in a configuration we cannot read
            else:
                url = view.config_settings.find(f"{view.prefix}url")
                view.url = url.value if url is not None else None
            return view
        url = document.positional(call, 0, "url")
        return EngineView(document, call, label, document.call_settings(call), url)

    # --- Flask-SQLAlchemy ------------------------------------------------------

    def flask_configs(self) -> list[FlaskConfig]:
        document = self.document
        assert document.module is not None
        configs: dict[str, FlaskConfig] = {}
        quote = document.key_quote()

        def config(kind: str, owner: str, node: cst.CSTNode | None) -> FlaskConfig:
            key = f"{kind}:{owner}:{id(node)}"
            if key not in configs:
                configs[key] = FlaskConfig(kind, owner, node, quote=quote)
            return configs[key]

        def add(target: FlaskConfig, item: ConfigItem) -> None:
            if item.key in LEGACY_KEYS:
                target.legacy.append(item)
            target.items[item.key] = item

        for node in document.nodes(cst.SimpleStatementLine, cst.Call):
            if isinstance(node, cst.SimpleStatementLine):
                for small in node.body:
                    if not isinstance(small, (cst.Assign, cst.AnnAssign)) or small.value is None:
                        continue
                    targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                    for target in targets:
                        self._flask_assignment(node, target, small.value, config, add)
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                owner = node.func.value
                if node.func.attr.value in ("update", "from_mapping") and _is_config_object(owner):
                    holder = config("object", document.code(owner), document.scope_of(node))
                    containers = [document.call_settings(node)]
                    for arg in node.args:
                        if arg.keyword is None and not arg.star:
                            settings = document.settings(arg.value, node)
                            if settings is not None:
                                containers.append(settings)
                    for settings in containers:
                        for key, entry in settings.entries.items():
                            if key.startswith("SQLALCHEMY_"):
                                add(holder, ConfigItem(key, entry.value, None, entry, settings))
        found = list(configs.values())
        classes = {config.owner: config for config in found if config.kind == "class"}
        for config in found:
            if config.kind == "class":
                config.bases = [classes[name] for name in self._ancestors(config.node) if name in classes]
        return found

    def _class_index(self) -> dict[str, cst.ClassDef]:
        return {node.name.value: node for node in self.document.nodes(cst.ClassDef)}  # type: ignore[attr-defined]

    def _ancestors(self, node: cst.CSTNode | None) -> list[str]:
        """Names of the classes of this file ``node`` inherits from, in method resolution order
        (depth first, left to right: exact for the single inheritance config classes use)."""
        classes = self._class_index()
        order: list[str] = []
        pending = [base.value for base in node.bases] if isinstance(node, cst.ClassDef) else []
        while pending:
            base = pending.pop(0)
            if isinstance(base, cst.Name) and base.value in classes and base.value not in order:
                order.append(base.value)
                pending[:0] = [b.value for b in classes[base.value].bases]
        return order

    def _is_settings_model(self, node: cst.ClassDef) -> bool:
        """A pydantic model (BaseSettings, BaseModel): its annotated fields are not Flask config
        keys, even when named like them, and what it hands Flask-SQLAlchemy is computed."""
        classes = self._class_index()
        pending = [node]
        seen: set[str] = set()
        while pending:
            current = pending.pop()
            for base in current.bases:
                name = self.document.qualified(base.value) or ""
                if name.split(".")[0] in SETTINGS_MODELS:
                    return True
                if isinstance(base.value, cst.Name) and base.value.value in classes and base.value.value not in seen:
                    seen.add(base.value.value)
                    pending.append(classes[base.value.value])
        return False

    def _computes_engine_options(self, node: cst.CSTNode | None) -> bool:
        """A class whose SQLALCHEMY_ENGINE_OPTIONS is a method or property: the options are code."""
        if not isinstance(node, cst.ClassDef):
            return False
        return any(
            isinstance(statement, cst.FunctionDef) and statement.name.value == ENGINE_OPTIONS
            for statement in node.body.body
        )

    def flask_evidence(self) -> tuple[bool, str]:
        """Whether a settings module or class is read by Flask-SQLAlchemy, and what to say when
        that is assumed: an import in this file, a pin, a mention in the project's code (an
        import, ``app.config.from_object``), or nothing around the file to say otherwise."""
        if self._evidence is not None:
            return self._evidence
        document = self.document
        if any(name.split(".")[0] in ("flask", "flask_sqlalchemy") for name in document.imports.values()):
            self._evidence = (True, "")
            return self._evidence
        project = project_of(self.document.source.path)
        if project.pin("flask-sqlalchemy") is not None or project.pin("flask") is not None:
            self._evidence = (True, "")
        elif project.code_mentions(FLASK_EVIDENCE) is not False:
            self._evidence = (True, "")  # found, or too large a tree to tell: as before
        elif project.is_project:
            self._evidence = (False, "")
        else:
            self._evidence = (True, "assumed to be read by Flask-SQLAlchemy: nothing around the file shows which library reads it")
        return self._evidence

    def _flask_assignment(self, statement, target, value, config, add) -> None:  # noqa: ANN001
        document = self.document
        if isinstance(target, cst.Name) and target.value.startswith("SQLALCHEMY_"):
            scope = document.scope_of(statement)
            if isinstance(scope, cst.ClassDef):
                if self._is_settings_model(scope):
                    return
                holder = config("class", scope.name.value, scope)
            elif isinstance(scope, cst.Module):
                holder = config("module", "module", scope)
            else:
                return
            add(holder, ConfigItem(target.value, value, statement))
        elif isinstance(target, cst.Subscript) and _is_config_object(target.value) and len(target.slice) == 1:
            index = target.slice[0].slice
            key = literal(index.value) if isinstance(index, cst.Index) else None
            if isinstance(key, str) and key.startswith("SQLALCHEMY_"):
                holder = config("object", document.code(target.value), document.scope_of(statement))
                if isinstance(index.value, cst.SimpleString):
                    holder.quote = index.value.quote[-1]
                add(holder, ConfigItem(key, value, statement))

    def flask_views(self, config: FlaskConfig, configured_by_extension: bool) -> Iterator[PoolView]:
        document = self.document
        classes = self._class_index()
        if any(self._computes_engine_options(node) for node in [config.node, *(classes[name] for name in self._ancestors(config.node))]):
            return  # the options are computed from the other keys: nothing here is ignored or missing
        if config.kind != "object":
            judged, config.assumption = self.flask_evidence()
            if not judged:
                return  # no sign that Flask-SQLAlchemy reads these names
        if config.legacy:
            first = config.legacy[0]
            anchor = first.statement or first.value
            yield FlaskConfigView(document, config, anchor)
        options = config.items.get(ENGINE_OPTIONS)
        uri = config.items.get(DATABASE_URI)
        if options is None and uri is None:
            return
        if options is not None:
            anchor = options.statement.body[0] if options.statement is not None else options.value
            view = EngineView(document, anchor, ENGINE_OPTIONS, document.settings(options.value, options.value), None)
        else:
            assert uri is not None
            anchor = uri.statement.body[0] if uri.statement is not None else uri.value
            owner = {"module": "this settings module", "class": config.owner}.get(config.kind, config.owner)
            label = f"the Flask-SQLAlchemy engine of {owner} (no {ENGINE_OPTIONS})"
            view = EngineView(document, anchor, label, None, None)
            view.judges_missing = not configured_by_extension and self._inherits_nothing(config)
        view.flask = config
        view.url = uri.value if uri is not None else None
        yield view

    def _inherits_nothing(self, config: FlaskConfig) -> bool:
        """A config class may get its engine options from a base class (or one we cannot see)."""
        if config.kind != "class":
            return True
        node = config.node
        assert isinstance(node, cst.ClassDef)
        classes = {n.name.value: n for n in self.document.nodes(cst.ClassDef)}  # type: ignore[attr-defined]
        pending = [base.value for base in node.bases]
        seen: set[str] = set()
        while pending:
            base = pending.pop()
            if isinstance(base, cst.Name) and base.value == "object":
                continue
            if not isinstance(base, cst.Name) or base.value not in classes or base.value in seen:
                return False
            seen.add(base.value)
            parent = classes[base.value]
            for statement in parent.body.body:
                if isinstance(statement, cst.SimpleStatementLine):
                    for small in statement.body:
                        # Options from the base, or a base with its own URI that is judged (and fixed) itself.
                        if isinstance(small, cst.Assign) and any(
                            isinstance(t.target, cst.Name) and t.target.value in (ENGINE_OPTIONS, DATABASE_URI)
                            for t in small.targets
                        ):
                            return False
            pending.extend(b.value for b in parent.bases)
        return True

    # --- Django ----------------------------------------------------------------

    def django_views(self) -> Iterator[PoolView]:
        document = self.document
        views: dict[str, DjangoDatabaseView] = {}
        for node in document.nodes(cst.SimpleStatementLine):
            for small in node.body:  # type: ignore[attr-defined]
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        self._django_assignment(node, target.target, small.value, views)
                elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                    func = small.value.func
                    if isinstance(func, cst.Attribute) and func.attr.value in ("update", "setdefault"):
                        alias = _databases_alias(func.value)
                        if alias is not None and alias in views:
                            views[alias].opaque = True
        yield from views.values()

    def _django_assignment(self, statement, target, value, views) -> None:  # noqa: ANN001
        document = self.document
        if isinstance(target, cst.Name) and target.value == "DATABASES":
            databases = document.resolve(value, statement)
            if not isinstance(databases, cst.Dict):
                return
            for element in databases.elements:
                if isinstance(element, cst.DictElement):
                    alias = literal(element.key)
                    if isinstance(alias, str):
                        views[alias] = self._django_entry(element, alias, element.value)
            return
        alias = _databases_alias(target)
        if alias is not None:
            views[alias] = self._django_entry(statement.body[0], alias, value)
            return
        if isinstance(target, cst.Subscript) and len(target.slice) == 1:
            alias = _databases_alias(target.value)
            index = target.slice[0].slice
            key = literal(index.value) if isinstance(index, cst.Index) else None
            if alias is None or alias not in views or not isinstance(key, str):
                return
            start, end = document.span(statement.body[0])
            value_start, value_end = document.span(value)
            entry = Entry(key, value, start, end, value_start, value_end)
            views[alias].overrides[key] = (entry, statement, document.code(target.value))

    def _django_entry(self, anchor: cst.CSTNode, alias: str, value: cst.BaseExpression) -> DjangoDatabaseView:
        document = self.document
        resolved = document.resolve(value, anchor)
        base: Settings | None = None
        if isinstance(resolved, cst.Call) and (
            document.qualified(resolved.func) in DJ_DATABASE_URL or self._is_environ_db(resolved)
        ):
            base = document.call_settings(resolved)
        else:
            base = document.settings(resolved, anchor)
        return DjangoDatabaseView(document, anchor, alias, base)


    def _is_environ_db(self, call: cst.Call) -> bool:
        """django-environ's ``env.db("DATABASE_URL")`` (or ``db_url``), ``env`` an ``environ.Env()``:
        a dict parsed from a URL, as dj_database_url returns, whose keywords are its only settings."""
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in ENVIRON_DB_METHODS:
            return False
        owner = self.document.resolve(func.value, call)
        if isinstance(owner, cst.Call):
            return (self.document.qualified(owner.func) or "").split(".")[0] == "environ"
        return (self.document.qualified(func.value) or "").split(".")[0] == "environ"


def _is_config_object(node: cst.BaseExpression) -> bool:
    """``app.config``, ``self.app.config``, ``config`` names a Flask config mapping."""
    if isinstance(node, cst.Attribute):
        return node.attr.value == "config"
    return False


def _databases_alias(node: cst.BaseExpression) -> str | None:
    """``DATABASES["default"]`` -> ``default``."""
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name) and node.value.value == "DATABASES":
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            alias = literal(node.slice[0].slice.value)
            return alias if isinstance(alias, str) else None
    return None


class UnreadablePython(PoolView):
    """A file that is not Python: it only carries its parse error (PGF001)."""

    kind = "unreadable"

    def __init__(self, source: SourceFile, line: int, column: int, message: str) -> None:
        SettingsView.__init__(self)
        self.source = source
        self.scope = {source.path}
        self.judges_missing = False
        lines = source.line_starts
        number = max(1, min(line, len(lines)))
        start, end = source.line_span(number)
        self.problems.append(Problem(Location(source, start, end), message))

    def read_entry(self, key: str) -> tuple[Entry | None, object]:
        return None, UNKNOWN

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        return ()

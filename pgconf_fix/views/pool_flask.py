"""Flask-SQLAlchemy configuration: the keys of a settings module, a config class or an
``app.config`` object (with the classes it inherits from), and the view PGF505 judges: the
Flask-SQLAlchemy 2 pool keys that version 3 ignores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pgconf_fix.documents import python_nodes as syntax
from pgconf_fix.documents.python import UNKNOWN, Entry, PythonDocument, Settings
from pgconf_fix.findings import Edit, Location
from pgconf_fix.views.pool_base import PoolView

FLASK_EXTENSION = ("flask_sqlalchemy.SQLAlchemy", "flask_sqlalchemy.extension.SQLAlchemy")
# Settings classes that are models, not Flask config objects: their fields are not config keys.
SETTINGS_MODELS = ("pydantic", "pydantic_settings")
# What shows, somewhere in a project, that Flask-SQLAlchemy reads a settings module.
FLASK_EVIDENCE = (b"flask_sqlalchemy", b".from_object(", b".from_pyfile(")
ENGINE_OPTIONS = "SQLALCHEMY_ENGINE_OPTIONS"
DATABASE_URI = "SQLALCHEMY_DATABASE_URI"
BINDS = "SQLALCHEMY_BINDS"
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


@dataclass(eq=False)
class ConfigItem:
    """One Flask config key: a statement (``KEY = v``, ``app.config["KEY"] = v``) or a keyword/dict entry."""

    key: str
    value: syntax.BaseExpression
    statement: syntax.SimpleStatementLine | None
    entry: Entry | None = None
    container: Settings | None = None


@dataclass(eq=False)
class FlaskConfig:
    """Keys given together: a settings module, a config class, or one ``app.config`` object."""

    kind: str  # "module", "class" or "object"
    owner: str
    node: syntax.Node | None
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


class FlaskConfigView(PoolView):
    """A Flask config's keys themselves, for the legacy pool keys Flask-SQLAlchemy 3 ignores."""

    kind = "flask-config"

    def __init__(self, document: PythonDocument, config: FlaskConfig, anchor: syntax.Node) -> None:
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

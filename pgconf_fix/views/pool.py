"""Connection pools configured in Python, found in one pass over a module: one view per
SQLAlchemy engine (``pool_sqlalchemy``), Flask-SQLAlchemy config (``pool_flask``), Django
DATABASES entry (``pool_django``) and psycopg pool (``pool_psycopg``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from pgconf_fix.documents import python_nodes as syntax
from pgconf_fix.documents.python import Entry, PythonDocument, Settings, literal
from pgconf_fix.source import SourceFile
from pgconf_fix.workspace import is_file
from pgconf_fix.views.pool_base import PoolView
from pgconf_fix.views.pool_django import (
    DJ_DATABASE_URL,
    ENVIRON_DB_METHODS,
    DjangoDatabaseView,
)
from pgconf_fix.views.pool_flask import (
    BINDS,
    DATABASE_URI,
    ENGINE_OPTIONS,
    FLASK_EVIDENCE,
    FLASK_EXTENSION,
    LEGACY_KEYS,
    SETTINGS_MODELS,
    ConfigItem,
    FlaskConfig,
    FlaskConfigView,
)
from pgconf_fix.views.pool_psycopg import PSYCOPG_POOLS, PsycopgPoolView
from pgconf_fix.views.pool_sqlalchemy import (
    ENGINE_FACTORIES,
    ENGINE_MODULES,
    BindUrlView,
    EngineView,
    bind_label,
)


# How many settings modules deep ``from .base import *`` is followed (production -> base -> ...).
IMPORT_DEPTH = 5
# How many directories above a settings module an absolute ``from mysite.settings.base import *`` is looked for.
PACKAGE_DEPTH = 6
# The keys whose override in a module that imports DATABASES makes that entry judged there.
HELD_ELSEWHERE = frozenset({"CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "OPTIONS"})
# What shows that some module passes Flask-SQLAlchemy defaults for every engine, binds included.
EXTENSION_OPTIONS = (b"engine_options=",)


def build_views(document: PythonDocument, load: Callable[[Path], SourceFile | None] | None = None) -> list[PoolView]:
    """The pool views of one module. ``load`` reads another module of the project (None when it
    cannot be read): with it, ``DATABASES["alias"]["KEY"] = ...`` on a DATABASES this module
    imports from a sibling settings module is judged with that module's entry."""
    return list(_Builder(document, load).views())


class _Builder:
    def __init__(
        self, document: PythonDocument, load: Callable[[Path], SourceFile | None] | None = None, seen: tuple[Path, ...] = ()
    ) -> None:
        self.document = document
        self.load = load
        self.seen = (*seen, document.source.path)  # the modules on the way here, for cycles
        self._evidence: tuple[bool, str] | None = None

    def views(self) -> Iterator[PoolView]:
        document = self.document
        extensions: list[EngineView] = []
        for call, name in list(document.calls()):
            module, _, function = name.rpartition(".")
            if function in ENGINE_FACTORIES and module.split(".")[0] in ENGINE_MODULES:
                yield self.engine(call, function)
            elif name in FLASK_EXTENSION:
                options = document.positional(call, 99, "engine_options")
                if options is not None:
                    settings = document.settings(options, call)
                    extensions.append(EngineView(document, call, "SQLAlchemy(engine_options=...)", settings, None))
            elif module.split(".")[0] == "psycopg_pool" and function in PSYCOPG_POOLS:
                yield PsycopgPoolView(document, call, function)
        configs = self.flask_configs()
        # Flask-SQLAlchemy 3 lays SQLALCHEMY_ENGINE_OPTIONS over the extension's engine_options=
        # key by key (init_app: the extension's dict copied, the config's update-d onto it;
        # checked with 3.1.1): where the project sets the config's dict, the extension's alone is
        # not the engine's, and the config's view judges the two together.
        if extensions and not self._config_sets_engine_options(configs):
            yield from extensions
        # The extension's dict of this module, read under each config's: a key the config leaves out.
        defaults = extensions[0].settings if len(extensions) == 1 else None
        for config in configs:
            yield from self.flask_views(config, bool(extensions), defaults)
        yield from self.django_views()

    def _config_sets_engine_options(self, configs: list[FlaskConfig]) -> bool:
        """Whether a Flask config of this module, or a Python module the project can import it
        from (``code_mentions_under``, as ``_extension_options_elsewhere``), sets
        SQLALCHEMY_ENGINE_OPTIONS."""
        if any(ENGINE_OPTIONS in config.items for config in configs):
            return True
        from pgconf_fix.dependencies import code_mentions_under

        directory = self.document.source.path.resolve().parent
        while is_file(directory / "__init__.py") and directory.parent != directory:
            directory = directory.parent
        return code_mentions_under(directory, (ENGINE_OPTIONS.encode(),)) is True

    # --- SQLAlchemy ------------------------------------------------------------

    def engine(self, call: syntax.Call, function: str) -> EngineView:
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

        def config(kind: str, owner: str, node: syntax.Node | None) -> FlaskConfig:
            key = f"{kind}:{owner}:{id(node)}"
            if key not in configs:
                configs[key] = FlaskConfig(kind, owner, node, quote=quote)
            return configs[key]

        def add(target: FlaskConfig, item: ConfigItem) -> None:
            if item.key in LEGACY_KEYS:
                target.legacy.append(item)
            target.items[item.key] = item

        for node in document.nodes(syntax.SimpleStatementLine, syntax.Call):
            if isinstance(node, syntax.SimpleStatementLine):
                for small in node.body:
                    if not isinstance(small, (syntax.Assign, syntax.AnnAssign)) or small.value is None:
                        continue
                    targets = [t.target for t in small.targets] if isinstance(small, syntax.Assign) else [small.target]
                    for target in targets:
                        self._flask_assignment(node, target, small.value, config, add)
            elif isinstance(node, syntax.Call) and isinstance(node.func, syntax.Attribute):
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

    def _class_index(self) -> dict[str, syntax.ClassDef]:
        return {node.name.value: node for node in self.document.nodes(syntax.ClassDef)}  # type: ignore[attr-defined]

    def _ancestors(self, node: syntax.Node | None) -> list[str]:
        """Names of the classes of this file ``node`` inherits from, in method resolution order
        (depth first, left to right: exact for the single inheritance config classes use)."""
        classes = self._class_index()
        order: list[str] = []
        pending = [base.value for base in node.bases] if isinstance(node, syntax.ClassDef) else []
        while pending:
            base = pending.pop(0)
            if isinstance(base, syntax.Name) and base.value in classes and base.value not in order:
                order.append(base.value)
                pending[:0] = [b.value for b in classes[base.value].bases]
        return order

    def _is_settings_model(self, node: syntax.ClassDef) -> bool:
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
                if isinstance(base.value, syntax.Name) and base.value.value in classes and base.value.value not in seen:
                    seen.add(base.value.value)
                    pending.append(classes[base.value.value])
        return False

    def _computes_engine_options(self, node: syntax.Node | None) -> bool:
        """A class whose SQLALCHEMY_ENGINE_OPTIONS is a method or property: the options are code."""
        if not isinstance(node, syntax.ClassDef):
            return False
        return any(
            isinstance(statement, syntax.FunctionDef) and statement.name.value == ENGINE_OPTIONS
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
        from pgconf_fix.dependencies import project_of

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
        if isinstance(target, syntax.Name) and target.value.startswith("SQLALCHEMY_"):
            scope = document.scope_of(statement)
            if isinstance(scope, syntax.ClassDef):
                if self._is_settings_model(scope):
                    return
                holder = config("class", scope.name.value, scope)
            elif isinstance(scope, syntax.Module):
                holder = config("module", "module", scope)
            else:
                return
            add(holder, ConfigItem(target.value, value, statement))
        elif isinstance(target, syntax.Subscript) and _is_config_object(target.value) and len(target.slice) == 1:
            index = target.slice[0].slice
            key = literal(index.value) if isinstance(index, syntax.Index) else None
            if isinstance(key, str) and key.startswith("SQLALCHEMY_"):
                holder = config("object", document.code(target.value), document.scope_of(statement))
                if isinstance(index.value, syntax.SimpleString):
                    holder.quote = index.value.quote[-1]
                add(holder, ConfigItem(key, value, statement))

    def flask_views(
        self, config: FlaskConfig, configured_by_extension: bool, extension: Settings | None = None
    ) -> Iterator[PoolView]:
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
        # SQLAlchemy(engine_options=...) here or in another module: defaults under every engine.
        defaults = configured_by_extension or self._extension_options_elsewhere()
        if not defaults:
            yield from self.flask_binds(config)
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
            view.judges_missing = not defaults and self._inherits_nothing(config)
        view.flask = config
        view.extension_defaults = defaults
        if configured_by_extension and extension is not None and extension.fully_known:
            view.extension_settings = extension
        view.url = uri.value if uri is not None else None
        yield view

    def _extension_options_elsewhere(self) -> bool:
        """Whether a Python module the config's own code can import mentions ``engine_options=``
        in its head (where ``db = SQLAlchemy(...)`` sits), or there are too many to tell. The
        modules looked at are those under the directory the config module is imported from: its
        own directory, or, when that is a package (``__init__.py``), the directory above the
        outermost package. Another application in the same repository (a service beside it, the
        repository's tests) gives this one's extension nothing."""
        from pgconf_fix.dependencies import code_mentions_under

        directory = self.document.source.path.resolve().parent
        while is_file(directory / "__init__.py") and directory.parent != directory:
            directory = directory.parent
        return code_mentions_under(directory, EXTENSION_OPTIONS) is not False

    def flask_binds(self, config: FlaskConfig) -> Iterator[PoolView]:
        """The engines of ``SQLALCHEMY_BINDS``. Flask-SQLAlchemy 3 builds each from the extension's
        ``engine_options=`` and the bind's own dict, never from SQLALCHEMY_ENGINE_OPTIONS
        (``SQLAlchemy.init_app``; checked with 3.1.1): a bind is an engine of its own. Not
        judged where the project gives the extension engine_options= (its defaults reach the
        binds: checked with 3.1.1), in this module or in the head of another, or the binds cannot
        be read."""
        item = config.items.get(BINDS)
        binds = self.document.settings(item.value, item.value) if item is not None else None
        if binds is None:
            return
        for name, entry in binds.entries.items():
            value = self.document.resolve(entry.value, entry.value)
            if isinstance(value, syntax.Dict):  # {"url": ..., options}: Flask-SQLAlchemy 3's form
                options = self.document.dict_settings(value)
                url = options.find("url")
                yield EngineView(self.document, value, bind_label(name), options, url.value if url is not None else None)
            elif isinstance(value, (syntax.SimpleString, syntax.ConcatenatedString)) and entry.value is value:
                yield BindUrlView(self.document, value, bind_label(name), config)

    def _inherits_nothing(self, config: FlaskConfig) -> bool:
        """A config class may get its engine options from a base class (or one we cannot see)."""
        if config.kind != "class":
            return True
        node = config.node
        assert isinstance(node, syntax.ClassDef)
        classes = {n.name.value: n for n in self.document.nodes(syntax.ClassDef)}  # type: ignore[attr-defined]
        pending = [base.value for base in node.bases]
        seen: set[str] = set()
        while pending:
            base = pending.pop()
            if isinstance(base, syntax.Name) and base.value == "object":
                continue
            if not isinstance(base, syntax.Name) or base.value not in classes or base.value in seen:
                return False
            seen.add(base.value)
            parent = classes[base.value]
            for statement in parent.body.body:
                if isinstance(statement, syntax.SimpleStatementLine):
                    for small in statement.body:
                        # Options from the base, or a base with its own URI that is judged (and fixed) itself.
                        if isinstance(small, syntax.Assign) and any(
                            isinstance(t.target, syntax.Name) and t.target.value in (ENGINE_OPTIONS, DATABASE_URI)
                            for t in small.targets
                        ):
                            return False
            pending.extend(b.value for b in parent.bases)
        return True

    # --- Django ----------------------------------------------------------------

    def django_views(self) -> Iterator[PoolView]:
        document = self.document
        views: dict[str, DjangoDatabaseView] = {}
        elsewhere: dict[str, DjangoDatabaseView] = {}  # entries of a DATABASES another module defines
        # An entry that a later DATABASES = {...} replaces only in some runs (in the other branch
        # of an if: if "DATABASE_URL" in os.environ: ... else: sqlite; or under a condition that
        # does not hold it) is a configuration the module may run with: it is judged too.
        alternatives: list[DjangoDatabaseView] = []
        written_at: dict[str, syntax.Node] = {}
        for node in document.nodes(syntax.SimpleStatementLine):
            for small in node.body:  # type: ignore[attr-defined]
                if isinstance(small, syntax.Assign):
                    for target in small.targets:
                        rebinds = isinstance(target.target, syntax.Name) and target.target.value == "DATABASES"
                        before = dict(views) if rebinds else views
                        self._django_assignment(node, target.target, small.value, views)
                        for alias, view in views.items() if rebinds else ():
                            earlier = before.get(alias)
                            if earlier is not None and earlier is not view and self._may_survive(written_at[alias], node):
                                alternatives.append(earlier)
                            written_at[alias] = node
                        if not self._defines_databases():
                            self._django_import_override(node, target.target, small.value, elsewhere)
                elif isinstance(small, syntax.Expr) and isinstance(small.value, syntax.Call):
                    func = small.value.func
                    if isinstance(func, syntax.Attribute) and func.attr.value in ("update", "setdefault"):
                        alias = _databases_alias(func.value)
                        if alias is not None and alias in views:
                            views[alias].opaque = True
                        if alias is not None and alias in elsewhere:
                            elsewhere[alias].opaque = True
        yield from alternatives
        yield from views.values()
        for view in elsewhere.values():
            if HELD_ELSEWHERE & set(view.overrides) and self._inherit(view):
                yield view

    def _may_survive(self, earlier: syntax.Node, later: syntax.Node) -> bool:
        """Whether a run of the module can execute ``earlier`` and not ``later``: ``later`` lies in
        a block (an ``if`` or ``else`` branch, a loop's or ``try``'s body, a handler) that does not
        hold ``earlier``. Read from the module's ast, parsed again here: asked only when
        DATABASES is bound twice."""
        import ast

        document = self.document
        first, second = (document.line_column(document.span(node)[0])[0] for node in (earlier, later))
        innermost: tuple[int, int] | None = None
        for node in ast.walk(ast.parse(document.text)):
            for field in ("body", "orelse", "finalbody"):
                block = getattr(node, field, None)
                if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
                    continue
                span = (block[0].lineno, block[-1].end_lineno or block[-1].lineno)
                if span[0] <= second <= span[1] and (innermost is None or span[1] - span[0] < innermost[1] - innermost[0]):
                    innermost = span
        return innermost is not None and not innermost[0] <= first <= innermost[1]

    def _defines_databases(self) -> bool:
        """Whether this module binds DATABASES itself (then its entries are read here)."""
        if not hasattr(self, "_binds_databases"):
            self._binds_databases = any(
                isinstance(target.target, syntax.Name) and target.target.value == "DATABASES"
                for small in self.document.nodes(syntax.Assign)
                for target in small.targets  # type: ignore[attr-defined]
            )
        return self._binds_databases

    def _django_import_override(self, statement, target, value, elsewhere) -> None:  # noqa: ANN001
        """``DATABASES["alias"]["KEY"] = value`` on a DATABASES this module does not define (a
        settings module that starts ``from .base import *``): an override of that entry."""
        if not (isinstance(target, syntax.Subscript) and len(target.slice) == 1):
            return
        alias = _databases_alias(target.value)
        index = target.slice[0].slice
        key = literal(index.value) if isinstance(index, syntax.Index) else None
        if alias is None or not isinstance(key, str):
            return
        document = self.document
        if alias not in elsewhere:
            elsewhere[alias] = DjangoDatabaseView(document, statement.body[0], alias, None)
        start, end = document.span(statement.body[0])
        value_start, value_end = document.span(value)
        entry = Entry(key, value, start, end, value_start, value_end)
        elsewhere[alias].overrides[key] = (entry, statement, document.code(target.value))

    def _inherit(self, view: DjangoDatabaseView) -> bool:
        """Give ``view`` the entry of the module this one takes DATABASES from (the last
        ``from M import *`` or ``from M import DATABASES`` before the view's first statement);
        False when there is none or it cannot be read."""
        if self.load is None or len(self.seen) > IMPORT_DEPTH:
            return False
        first = min(self.document.span(statement)[0] for _, statement, _ in view.overrides.values())
        path = None
        for node in self.document.nodes(syntax.ImportFrom):
            if self.document.span(node)[0] > first:
                break
            names = node.names  # type: ignore[attr-defined]
            if isinstance(names, syntax.ImportStar) or any(
                alias.name.value == "DATABASES" and alias.asname is None for alias in names
            ):
                path = _module_path(self.document.source.path, node)  # type: ignore[arg-type]
        if path is None or path in self.seen:
            return False
        source = self.load(path)
        if source is None:
            return False
        document = PythonDocument(source)
        if document.module is None:
            return False
        for base in _Builder(document, self.load, self.seen).django_views():
            if isinstance(base, DjangoDatabaseView) and base.alias == view.alias:
                view.inherited = base
                view.scope |= base.scope
                return True
        return False

    def _django_assignment(self, statement, target, value, views) -> None:  # noqa: ANN001
        document = self.document
        if isinstance(target, syntax.Name) and target.value == "DATABASES":
            databases = document.resolve(value, statement)
            if not isinstance(databases, syntax.Dict):
                return
            for element in databases.elements:
                if isinstance(element, syntax.DictElement):
                    alias = literal(element.key)
                    if isinstance(alias, str):
                        views[alias] = self._django_entry(element, alias, element.value)
            return
        alias = _databases_alias(target)
        if alias is not None:
            views[alias] = self._django_entry(statement.body[0], alias, value)
            return
        if isinstance(target, syntax.Subscript) and len(target.slice) == 1:
            alias = _databases_alias(target.value)
            index = target.slice[0].slice
            key = literal(index.value) if isinstance(index, syntax.Index) else None
            if alias is None or alias not in views or not isinstance(key, str):
                return
            start, end = document.span(statement.body[0])
            value_start, value_end = document.span(value)
            entry = Entry(key, value, start, end, value_start, value_end)
            views[alias].overrides[key] = (entry, statement, document.code(target.value))

    def _django_entry(self, anchor: syntax.Node, alias: str, value: syntax.BaseExpression) -> DjangoDatabaseView:
        document = self.document
        resolved = document.resolve(value, anchor)
        base: Settings | None = None
        if isinstance(resolved, syntax.Call) and (
            document.qualified(resolved.func) in DJ_DATABASE_URL or self._is_environ_db(resolved)
        ):
            base = document.call_settings(resolved)
        else:
            base = document.settings(resolved, anchor)
        return DjangoDatabaseView(document, anchor, alias, base)


    def _is_environ_db(self, call: syntax.Call) -> bool:
        """django-environ's ``env.db("DATABASE_URL")`` (or ``db_url``), ``env`` an ``environ.Env()``:
        a dict parsed from a URL, as dj_database_url returns, whose keywords are its only settings."""
        func = call.func
        if not isinstance(func, syntax.Attribute) or func.attr.value not in ENVIRON_DB_METHODS:
            return False
        owner = self.document.resolve(func.value, call)
        if isinstance(owner, syntax.Call):
            return (self.document.qualified(owner.func) or "").split(".")[0] == "environ"
        return (self.document.qualified(func.value) or "").split(".")[0] == "environ"


def _is_config_object(node: syntax.BaseExpression) -> bool:
    """``app.config``, ``self.app.config``, ``config`` names a Flask config mapping."""
    if isinstance(node, syntax.Attribute):
        return node.attr.value == "config"
    return False


def _module_path(here: Path, node: syntax.ImportFrom) -> Path | None:
    """The file of the module ``from ... import`` names, looked for as Python would find it
    from this file's package: relative to this file's directory for ``from .base``, and for an
    absolute name in this directory or one above it (the project's root is not recorded)."""
    parts = node.module.value.split(".") if node.module is not None else []
    if node.relative:
        folder = here.parent
        for _ in range(node.relative - 1):
            folder = folder.parent
        roots = [folder]
    else:
        roots = [here.parent, *list(here.parent.parents)[:PACKAGE_DEPTH]]
    if not parts:
        return None
    for root in roots:
        for candidate in (root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts, "__init__.py")):
            if is_file(candidate):
                return candidate
    return None


def _databases_alias(node: syntax.BaseExpression) -> str | None:
    """``DATABASES["default"]`` -> ``default``."""
    if isinstance(node, syntax.Subscript) and isinstance(node.value, syntax.Name) and node.value.value == "DATABASES":
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, syntax.Index):
            alias = literal(node.slice[0].slice.value)
            return alias if isinstance(alias, str) else None
    return None

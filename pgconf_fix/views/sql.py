"""Server settings written as SQL: ``ALTER SYSTEM``, ``ALTER DATABASE``, ``ALTER ROLE`` and ``SET``.

One view per SQL file and per *target* the statements in it write to:

- ``ALTER SYSTEM SET``: the server (it lands in postgresql.auto.conf);
- ``ALTER DATABASE x SET``: sessions in database x;
- ``ALTER ROLE r [IN DATABASE x] SET`` (and ``ALTER ROLE ALL``): sessions of that role;
- ``SET``: the session that runs the file; ``SET LOCAL``: its current transaction.

Targets are separate because they are separate settings on the server: a
``tcp_keepalives_idle = 0`` for one role is not undone by ``60`` for the system,
and within a target the last statement of the file wins (``RESET`` or ``TO DEFAULT``
forgets the value). Files are not merged: the order migrations run in is the
migration tool's business, and every statement is judged where it is written.

A session ``SET`` counts. It lasts only as long as the session running the file,
but that session is the one crossing the load balancer: a long migration or an
init script whose ``SET tcp_keepalives_idle = 0`` is the one that dies idle. And a
``SET`` that the server refuses (``ssl_renegotiation_limit = 512`` from 9.5 on)
stops the script all the same.

Nothing is "missing" here: a migration that does not mention keepalives is not
about them, so :meth:`SqlSettings.judges` is False for every key.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pgconf_fix import guc_catalog
from pgconf_fix.documents.sql import (
    DATABASE,
    ROLE,
    SESSION,
    SYSTEM,
    SettingStatement,
    SqlDocument,
    SqlError,
)
from pgconf_fix.findings import SAFE, Edit, Fix, Location, Problem
from pgconf_fix.guc_catalog import INTEGER_PARAMETERS, RENEGOTIATION_BEFORE_9_5
from pgconf_fix.guc_values import GucInt, GucValueError, parse_int
from pgconf_fix.setting import Refusal, Setting
from pgconf_fix.source import SourceFile
from pgconf_fix.versions import PgVersion
from pgconf_fix.views.base import Assignment, SettingsView, replace_value
from pgconf_fix.workspace import Workspace

TRANSACTION = "transaction"


@dataclass(frozen=True)
class StatementTarget:
    """What a statement writes to: the system, a database, a role (in a database), a session."""

    kind: str
    database: str | None = None
    role: str | None = None

    @classmethod
    def of(cls, statement: SettingStatement) -> StatementTarget:
        if statement.target == SESSION and statement.local:
            return cls(TRANSACTION)
        return cls(statement.target, statement.database, statement.role)

    def describe(self) -> str:
        if self.kind == SYSTEM:
            return "ALTER SYSTEM"
        if self.kind == DATABASE:
            return f"ALTER DATABASE {self.database}"
        if self.kind == ROLE:
            role = f"ROLE {self.role}" if self.role else "ROLE ALL"
            return f"ALTER {role}" + (f" IN DATABASE {self.database}" if self.database else "")
        if self.kind == TRANSACTION:
            return "SET LOCAL (this transaction)"
        return "SET (this session)"


@dataclass(frozen=True)
class SqlAssignment(Assignment):
    statement: SettingStatement | None = None


class SqlSettings(SettingsView):
    """The settings one SQL file writes to one target."""

    layer = "server"

    def __init__(
        self,
        document: SqlDocument,
        target: StatementTarget | None,
        version: PgVersion | None = None,
        version_origin: str | None = None,
    ) -> None:
        super().__init__()
        self.document = document
        self.source = document.source
        self.target = target
        self.version = version
        self.version_origin = version_origin
        self.judges_missing = False
        self.scope = {document.source.path}
        self.statements = [s for s in document.statements if target is not None and StatementTarget.of(s) == target]

    def judges(self, key: str) -> bool:
        return False

    def effective(self, key: str) -> SqlAssignment | None:
        current: SqlAssignment | None = None
        for statement in self.statements:
            if statement.name == "all" and statement.resets:
                current = None
            elif statement.name == key:
                current = None if statement.resets or statement.value is None else _assignment(self.source, statement)
        return current

    def numeric(self, assignment: Assignment, unit: str | None) -> int:
        if assignment.key == "ssl_renegotiation_limit" and unit == "kB":
            return parse_int(assignment.value, RENEGOTIATION_BEFORE_9_5)
        return parse_int(assignment.value, INTEGER_PARAMETERS.get(assignment.key, GucInt(unit)))

    def missing_location(self, key: str) -> Location:
        start, end = self.source.line_span(1)
        return Location(self.source, start, end)

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        current = self.effective(key)
        if current is None or current.statement is None or current.statement.value is None:
            return ()
        return replace_value(current, render_sql(value, current.statement.value.style, current.raw_value))

    def get(self, key: str, unit: str | None = None, number: bool = False) -> Setting:
        """As for every view; ``how`` is the statement's target ("system", "database", "role",
        "session") of the statement that sets ``key``."""
        setting = super().get(key, unit, number)
        current = self.effective(key) if not setting.is_missing else None
        if current is not None and current.statement is not None:
            return replace(setting, how=current.statement.target)
        return setting

    def remove(self, key: str) -> Fix | Refusal:
        """Delete the statement that sets ``key`` ("Remove the <target> statement")."""
        current = self.effective(key)
        edits = self.remove_edits(current) if current is not None else ()
        if not edits or current is None or current.statement is None:
            return Refusal(f"no statement sets {key}")
        return Fix(SAFE, f"Remove the {StatementTarget.of(current.statement).describe()} statement", edits)

    def remove_edits(self, assignment: SqlAssignment) -> tuple[Edit, ...]:
        """Delete the statement (and its line, when it is alone there)."""
        statement = assignment.statement
        if statement is None:
            return ()
        text = self.source.text
        start, end = statement.start, statement.terminator_end
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end == -1 else line_end + 1
        if not text[line_start:start].strip() and not text[end:line_end].strip():
            start, end = line_start, line_end
        return (Edit(self.source, start, end, ""),)

    def describe_missing(self) -> str:
        return ""


def render_sql(value: str, style: str, raw: str) -> str:
    """``value`` written the way the old value was: 60, '60', E'60', $$60$$ or "60"."""
    if style == "string":
        if raw.startswith("$"):
            tag = raw[: raw.index("$", 1) + 1]
            return f"{tag}{value}{tag}"
        prefix = raw[: raw.index("'")] if "'" in raw else ""
        return f"{prefix}'{value}'"
    if style == "identifier" and raw.startswith('"'):
        return f'"{value}"'
    return value


def _assignment(source: SourceFile, statement: SettingStatement) -> SqlAssignment:
    value = statement.value
    assert value is not None
    return SqlAssignment(
        key=statement.name,
        source=source,
        start=statement.start,
        end=statement.end,
        value=value.text,
        value_start=value.start,
        value_end=value.end,
        quoted=value.style == "string",
        statement=statement,
    )


def _problems(document: SqlDocument) -> list[Problem]:
    """What the server refuses: syntax errors, bad values, misspelt names; each statement runs."""
    source = document.source
    problems = []
    for error in document.errors:
        line_end = source.line_span(source.position(error.offset)[0])[1]
        problems.append(Problem(Location(source, error.offset, max(error.offset, line_end)), _syntax(error)))
    for statement in document.statements:
        if statement.resets or statement.value is None:
            continue
        where = Location(source, statement.start, statement.end)
        name = statement.name
        meta = INTEGER_PARAMETERS.get(name)
        if meta is not None:
            if statement.value.style == "list":
                problems.append(Problem(where, f"SET {name} takes only one argument"))
                continue
            try:
                parse_int(statement.value.text, meta)
            except GucValueError as exc:
                problems.append(Problem(where, f'invalid value for parameter "{name}": {exc}'))
        elif "." not in name and not guc_catalog.known_anywhere(name):
            close = guc_catalog.did_you_mean(name)
            if close:
                problems.append(
                    Problem(where, f'unrecognized configuration parameter "{name}" (did you mean "{close}"?)')
                )
    return problems


def _syntax(error: SqlError) -> str:
    rest = "; the rest of the file was not read" if error.stops_reading else ""
    return f"the server's SQL parser rejects this: {error.message}{rest}"


def build_sql_views(workspace: Workspace, sources: list[SourceFile], options: object) -> list[SqlSettings]:
    version: PgVersion | None = getattr(options, "pg_version", None)
    origin = "the configuration" if version else None
    views: list[SqlSettings] = []
    for source in sources:
        document = SqlDocument(source)
        targets: list[StatementTarget] = []
        for statement in document.statements:
            target = StatementTarget.of(statement)
            if target not in targets:
                targets.append(target)
        file_views = [SqlSettings(document, target, version, origin) for target in targets]
        if not file_views:
            file_views = [SqlSettings(document, None, version, origin)]
        file_views[0].problems.extend(_problems(document))  # once a file, not once a target
        views.extend(file_views)
    return views


__all__ = ["SESSION", "SqlAssignment", "SqlSettings", "StatementTarget", "build_sql_views", "render_sql"]

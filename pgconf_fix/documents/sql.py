"""SQL files (migrations, docker-entrypoint-initdb.d scripts): the statements that set parameters.

pglast (the server's own parser) splits and parses the file. It reports byte offsets
into the UTF-8 text; everything here is converted to character offsets of
``SourceFile.text`` so edits and positions work like every other document's.

psql meta-commands (``\\connect db``, ``\\set``) are not SQL: their lines are blanked
before parsing (same length, so offsets hold), as is the data of ``COPY ... FROM stdin``
up to its ``\\.`` line, as pg_dump writes it.

Only top-level statements are read: a ``SET`` inside a function body or a ``DO`` block,
and ``set_config()`` calls, are code, not configuration. psql variables are not expanded:
a statement the server's parser refuses as written that holds a psql variable reference
(``:name``, ``:'name'``, ``:"name"``, ``:{?name}``, outside literals and comments) is neither
read nor reported, because psql replaces the reference with the variable's value (set by
``\\set`` or ``psql -v``) before the server sees the statement (psql's documentation,
"SQL Interpolation"), and what it then sends is not known here.

A named-query library is no script either: a file whose statements are headed by
``-- name: <query>`` comments (yesql and its ports, goyesql and aiosql; sqlc and pggen) is
loaded by an application that runs each statement by its name, often after filling in its own
placeholders (listmonk's ``%order%``, aiosql's ``:name``). Its statements that parse are read;
one the server's parser refuses as written is not reported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import pairwise

from pgconf_fix.source import SourceFile

SYSTEM, DATABASE, ROLE, SESSION = "system", "database", "role", "session"
_META_LINE = re.compile(r"^[ \t]*\\")
# A named-query library's statement header (see the module).
_NAMED_QUERY = re.compile(r"^[ \t]*--[ \t]*name:[ \t]*\S", re.MULTILINE | re.IGNORECASE)
# psql meta-commands that send the query buffer, ending the statement (psql's documentation).
_SENDS_BUFFER = re.compile(r"\\(?:g|gx|gset|gexec|gdesc|crosstabview|watch)(?![A-Za-z])")
_INLINE_BACKSLASH = re.compile(r"^[ \t]*[^ \t\r\n\\][^\r\n]*\\", re.MULTILINE)
_COPY_FROM_STDIN = re.compile(r"(?is)\bcopy\b.*\bfrom\s+stdin\b.*;[ \t\r]*$")
_NUMBER_TOKENS = ("ICONST", "FCONST")
_SETTING_NODES = ("VariableSetStmt", "AlterSystemStmt", "AlterDatabaseSetStmt", "AlterRoleSetStmt")


@dataclass(frozen=True)
class SqlValue:
    """A value as the server receives it, and where it is written."""

    text: str
    start: int
    end: int
    style: str  # "number", "string" ('...', E'...', $$...$$), "identifier" (on, "60"), "list", "other"


@dataclass(frozen=True)
class SettingStatement:
    """``ALTER SYSTEM|DATABASE|ROLE ... SET|RESET`` or ``SET|RESET`` of one parameter (or RESET ALL)."""

    target: str  # SYSTEM, DATABASE, ROLE or SESSION
    database: str | None
    role: str | None
    name: str  # lower case; "all" for RESET ALL
    resets: bool  # RESET, SET ... TO DEFAULT, SET ... FROM CURRENT: the value is no longer ours to know
    value: SqlValue | None
    start: int
    end: int  # end of the statement text, before its semicolon
    terminator_end: int  # after the semicolon when there is one, else == end
    local: bool = False


@dataclass(frozen=True)
class SqlError:
    """A statement the server's parser rejects."""

    start: int
    end: int
    offset: int
    message: str
    stops_reading: bool = False  # the scanner failed: statements after it could not be split


class SqlDocument:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.statements: list[SettingStatement] = []
        self.errors: list[SqlError] = []
        self._text = masked_sql(source.text)
        self._named_queries = _NAMED_QUERY.search(source.text) is not None
        self._chars = _CharIndex(self._text)
        self._parse()

    def _parse(self) -> None:
        from pglast import parser

        try:
            tree = json.loads(parser.parse_sql_json(self._text))
        except parser.ParseError:
            self._parse_piecewise()
            return
        self._take(tree["stmts"], 0, len(self._text), self._chars)

    def _parse_piecewise(self) -> None:
        """One statement at a time (split by the scanner), so one bad statement hides no other."""
        from pglast import parser

        end = len(self._text)
        try:
            pieces = parser.split(self._text, with_parser=False, only_slices=True)
        except parser.ParseError as exc:  # the scanner failed (bad literal, unterminated quote or comment)
            offset = _error_offset(exc, end)
            self.errors.append(SqlError(offset, end, offset, _error_message(exc), stops_reading=True))
            # What comes before the failing statement can still be read; what follows cannot be split.
            pieces = self._split_before(offset)
        for piece in pieces:
            text = self._text[piece.start : piece.stop]
            try:
                tree = json.loads(parser.parse_sql_json(text))
            except parser.ParseError as exc:
                if self._named_queries or _psql_variable_in(text):
                    continue  # the application or psql fills it in first: what the server gets is unknown
                start = piece.start + len(text) - len(text.lstrip())
                if "end of input" in _error_message(exc):
                    offset = piece.start + len(text.rstrip())
                else:
                    offset = piece.start + _error_offset(exc, len(text))
                self.errors.append(SqlError(start, piece.stop, offset, _error_message(exc)))
                continue
            self._take(tree["stmts"], piece.start, piece.stop, _CharIndex(text))

    def _split_before(self, offset: int) -> tuple[slice, ...]:
        """The statements that end before ``offset``, found by trying earlier semicolons (a few)."""
        from pglast import parser

        end = offset
        for _attempt in range(20):
            end = self._text.rfind(";", 0, end) + 1
            if end <= 0:
                break
            try:
                return parser.split(self._text[:end], with_parser=False, only_slices=True)
            except parser.ParseError:
                end -= 1  # that semicolon was inside the broken token; try the one before
        return ()

    def _take(self, raw_statements: list[dict], base: int, limit: int, chars: _CharIndex) -> None:
        """Record the setting statements of a parse of ``self._text[base:limit]``."""
        from pglast import parser

        for raw in raw_statements:
            node_type, node = next(iter(raw["stmt"].items()))
            if node_type not in _SETTING_NODES:
                continue
            begin = chars(raw.get("stmt_location", 0))
            length = raw.get("stmt_len", 0)
            stop = chars(raw.get("stmt_location", 0) + length) if length else None
            start = base + begin
            end = base + stop if stop is not None else limit
            # stmt_location may sit before leading comments and blanks: start at the first token.
            tokens = [t for t in parser.scan(self._text[start:end]) if t.name not in ("SQL_COMMENT", "C_COMMENT")]
            if tokens:
                start, end = start + tokens[0].start, start + tokens[-1].end + 1
            statement = self._statement(node_type, node, start, end, chars, base)
            if statement is not None:
                self.statements.append(statement)

    def _statement(
        self, node_type: str, node: dict, start: int, end: int, chars: _CharIndex, base: int
    ) -> SettingStatement | None:
        database = role = None
        if node_type == "VariableSetStmt":
            target, setstmt = SESSION, node
        elif node_type == "AlterSystemStmt":
            target, setstmt = SYSTEM, node.get("setstmt", {})
        elif node_type == "AlterDatabaseSetStmt":
            target, setstmt, database = DATABASE, node.get("setstmt", {}), node.get("dbname")
        elif node_type == "AlterRoleSetStmt":
            target, setstmt, database = ROLE, node.get("setstmt", {}), node.get("database")
            role = _role_name(node.get("role"))
        else:
            return None
        kind = setstmt.get("kind", "VAR_SET_VALUE")
        if kind == "VAR_SET_MULTI":  # SET TRANSACTION ..., SET SESSION CHARACTERISTICS: not parameters
            return None
        name = (setstmt.get("name") or "all").lower()
        value = None
        if kind == "VAR_SET_VALUE":
            value = self._value(setstmt.get("args", []), chars, base, end)
        terminator_end = end
        rest = self._text[end:]
        stripped = rest.lstrip()
        if stripped.startswith(";"):
            terminator_end = end + (len(rest) - len(stripped)) + 1
        return SettingStatement(
            target=target,
            database=database,
            role=role,
            name=name,
            resets=kind != "VAR_SET_VALUE",
            value=value,
            start=start,
            end=end,
            terminator_end=terminator_end,
            local=bool(setstmt.get("is_local")),
        )

    def _value(self, args: list[dict], chars: _CharIndex, base: int, limit: int) -> SqlValue | None:
        parts: list[tuple[str, int, int, str]] = []
        for arg in args:
            const = arg.get("A_Const")
            if const is None or "location" not in const:
                return None
            start = base + chars(const["location"])
            end, style = self._token_end(start, limit)
            parts.append((_const_text(const), start, end, style))
        if not parts:
            return None
        if len(parts) == 1:
            text, start, end, style = parts[0]
            return SqlValue(text, start, end, style)
        return SqlValue(", ".join(part[0] for part in parts), parts[0][1], parts[-1][2], "list")

    def _token_end(self, start: int, limit: int) -> tuple[int, str]:
        """Where the constant starting at ``start`` (inside a statement ending at ``limit``) ends."""
        from pglast import parser

        tokens = parser.scan(self._text[start:limit])
        if not tokens:
            return start, "other"
        first = tokens[0]
        if first.name in ("ASCII_45", "ASCII_43") and len(tokens) > 1:  # a sign, then the number
            first = tokens[1]
        end = start + first.end + 1
        if first.name in _NUMBER_TOKENS:
            return end, "number"
        if first.name in ("SCONST", "USCONST"):
            return end, "string"
        if first.name == "IDENT" or first.kind != "NO_KEYWORD":
            return end, "identifier"
        return end, "other"


def masked_sql(text: str) -> str:
    """The text pglast should see: psql meta-commands and COPY data blanked, offsets unchanged.

    A meta-command runs from its backslash (outside literals and comments, at a line's start or
    after SQL) to the line's end. One that sends the query buffer to the server (``\\g``,
    ``\\gset``, ``\\gx``, ``\\gexec``, ``\\gdesc``, ``\\crosstabview``, ``\\watch``) ends the
    statement as a semicolon would, so its backslash becomes ``;``; ``\\;`` and ``\\:`` put a
    plain ``;`` or ``:`` in the buffer (psql's documentation of its meta-commands)."""
    out: list[str] = []
    in_copy = False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if in_copy:
            if body == "\\.":
                in_copy = False
            out.append(_blank(line))
        elif _META_LINE.match(body):
            out.append(_meta_blank(line, len(line) - len(line.lstrip(" \t"))))
        else:
            out.append(line)
            if _COPY_FROM_STDIN.search(body):
                in_copy = True
    masked = "".join(out)
    # Undecodable bytes (kept as surrogates) cannot be handed to the parser; '?' keeps the length.
    if not _encodable(text):
        masked = masked.encode("utf-8", "replace").decode("utf-8")
    return _inline_meta_commands(masked)


def _meta_blank(line: str, backslash: int) -> str:
    """``line`` with the meta-command starting at ``backslash`` blanked (see masked_sql)."""
    body = line.rstrip("\r\n")
    end = ";" if _SENDS_BUFFER.match(body, backslash) else " "
    return line[:backslash] + end + " " * (len(body) - backslash - 1) + line[len(body) :]


def _inline_meta_commands(text: str) -> str:
    """``text`` with each meta-command that follows SQL on its line blanked (see masked_sql);
    unchanged when the scanner cannot read it (an unterminated literal: reported elsewhere)."""
    from pglast import parser

    if not _INLINE_BACKSLASH.search(text):
        return text
    try:
        tokens = parser.scan(text)  # offsets in characters
    except parser.ParseError:
        return text
    for token in tokens:
        if token.name != "ASCII_92":
            continue
        at = token.start
        if text[at + 1 : at + 2] in (";", ":"):
            text = text[:at] + " " + text[at + 1 :]
            continue
        start = text.rfind("\n", 0, at) + 1
        stop = text.find("\n", at)
        stop = len(text) if stop < 0 else stop + 1
        text = text[:start] + text[start:at] + _meta_blank(text[at:stop], 0) + text[stop:]
    return text


def _psql_variable_in(text: str) -> bool:
    """Whether ``text`` (one statement) holds a psql variable reference: a ``:`` token followed,
    with nothing between, by a name, a quoted string or identifier (``:'name'``, ``:"name"``) or
    ``{?`` (the scanner puts literals and comments in tokens of their own, and ``::`` is a cast)."""
    from pglast import parser

    tokens = parser.scan(text)  # offsets in characters
    for colon, after in pairwise(tokens):
        if colon.name != "ASCII_58" or after.start != colon.end + 1:
            continue
        first = text[after.start]
        if first in "'\"_{" or first.isalpha() or not first.isascii():
            return True  # not a digit: [1:2] is an array slice
    return False


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _blank(line: str) -> str:
    body = line.rstrip("\r\n")
    return " " * len(body) + line[len(body) :]


class _CharIndex:
    """Byte offsets of the UTF-8 encoding of a text, as character offsets."""

    def __init__(self, text: str) -> None:
        data = text.encode("utf-8")
        self._table: list[int] | None = None
        if len(data) != len(text):
            table = []
            for index, char in enumerate(text):
                table.extend([index] * len(char.encode("utf-8")))
            table.append(len(text))
            self._table = table

    def __call__(self, byte_offset: int) -> int:
        if self._table is None:
            return byte_offset
        return self._table[min(byte_offset, len(self._table) - 1)]


def _const_text(const: dict) -> str:
    """The string the server is handed for an ``A_Const`` (pglast leaves zero values out)."""
    if "ival" in const:
        return str(const["ival"].get("ival", 0))
    if "fval" in const:
        return str(const["fval"].get("fval", "0"))
    if "sval" in const:
        return str(const["sval"].get("sval", ""))
    if "boolval" in const:
        return "true" if const["boolval"].get("boolval") else "false"
    if "bsval" in const:
        return str(const["bsval"].get("bsval", ""))
    return ""


def _role_name(spec: dict | None) -> str | None:
    """The role of ALTER ROLE; None for ALTER ROLE ALL."""
    if not spec:
        return None
    inner = spec.get("RoleSpec", spec)
    if inner.get("rolename"):
        return str(inner["rolename"])
    kind = str(inner.get("roletype", ""))
    return {
        "ROLESPEC_CURRENT_ROLE": "CURRENT_ROLE",
        "ROLESPEC_CURRENT_USER": "CURRENT_USER",
        "ROLESPEC_SESSION_USER": "SESSION_USER",
        "ROLESPEC_PUBLIC": "PUBLIC",
    }.get(kind, kind or None)


def _error_offset(exc: Exception, length: int) -> int:
    """pglast's ParseError carries a 0-based character index of the failure."""
    args = getattr(exc, "args", ())
    if len(args) > 1 and isinstance(args[1], int):
        return max(0, min(args[1], length))
    return 0


def _error_message(exc: Exception) -> str:
    args = getattr(exc, "args", ())
    return str(args[0]) if args else str(exc)

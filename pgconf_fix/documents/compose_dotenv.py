"""The project's ``.env`` file as compose reads it for interpolation.

compose fills in a compose file's ``$VAR`` / ``${VAR:-default}``
(pgconf_fix.documents.compose_interpolation) from the shell's environment and, for the
variables the shell does not set, from the ``.env`` file of the project directory: the
directory of the (first) compose file, unless ``--project-directory``, ``--env-file`` or
``COMPOSE_DISABLE_ENV_FILE`` say otherwise (compose-spec/compose-go ``cli/options.go``:
``WithOsEnv`` first, then ``WithEnvFiles`` and ``WithDotEnv``, whose ``Mapping.Merge`` keeps
what is already set; docker/compose ``cmd/compose/compose.go`` ``toProjectOptions`` applies
them in that order, once for the working directory and again once the compose file is found).
A service's ``env_file:`` is the container's environment and plays no part here.

The rules, read from compose-go's ``dotenv`` package (``parser.go``, ``godotenv.go``,
``env.go`` ``GetEnvFromFile``) and held to it by a differential test
(tests/test_compose_dotenv.py). python-dotenv reads the same files by other rules (a ``:``
separator, inline comments, escapes), so it cannot stand for compose here.

- A UTF-8 byte order mark at the start is skipped. Blank space (Unicode White_Space) between
  statements is skipped; a statement starting with ``#`` is a comment to the end of its line.
- ``export`` followed by blank space before a name is dropped.
- A name runs to the first ``=``, ``:`` or newline; it may hold letters, digits (any script),
  ``_ . - [ ]`` and blanks other than newlines; anything else refuses the file. Trailing
  blanks are dropped; a name still holding a space refuses the file. A name ended by a newline
  (``NAME`` alone) takes its value from the shell's environment (or an earlier line), if any.
- After the separator, blanks (not newlines) are skipped. A value starting with ``'`` or ``"``
  runs to the matching quote not preceded by a backslash (newlines included; a backslash
  before the quote is dropped, any other backslash kept); text after the closing quote on the
  same line starts the next statement. Inside double quotes the escapes ``\\a \\b \\f \\n \\r
  \\t \\v \\\\ \\"`` and ``\\0`` followed by three octal digits (value at most 255) are decoded,
  ``\\$`` is a literal ``$``, and the result is interpolated; single-quoted values are taken
  as written. A quote never closed refuses the file.
- An unquoted value runs to the end of the line, is cut at the first `` #`` (a space, then
  ``#``), loses trailing blank space, and is interpolated.
- Interpolation is compose's template (``$$``, ``$NAME``, ``${NAME:-default}`` ...), reading
  the shell's environment first, then the lines before; where it fails the file is refused.

What the shell sets is not known here. :func:`project_environment` reads the file as compose
does where the shell sets none of the names involved, and says which values that holds for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from pgconf_fix.documents.compose_interpolation import (
    InvalidInterpolation,
    MissingRequired,
    interpolate,
    substitute,
)
from pgconf_fix.documents.k8s_expansion import MAX_ARG_STRLEN, SECRET_NAME

# Go's unicode.IsSpace (Unicode White_Space): what compose-go trims and skips between statements.
WHITE_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                        "\u200a\u2028\u2029\u202f\u205f\u3000")
# compose-go parser.go isSpace: the blanks inside a statement (no newline).
_INLINE_SPACE = frozenset("\t\v\f\r \x85\xa0")
_EXPORT = re.compile(r"export[\t\n\f\r ]+")  # Go RE2's \s: no \v
_ESCAPE = re.compile(r'\\(?:[abcfnrtv$"\\]|0[0-9]{0,3})')
# Defaults nested deeper than this (``${A:-${B:-...}}``) are not followed: the value is unknown
# here (each level is a Python call; 5,000 levels in a .env raised RecursionError out of the run).
MAX_NESTING = 100
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}


class DotenvError(ValueError):
    """A ``.env`` compose refuses (``failed to read .env: line N: ...``): ``line`` (1-based)
    where, the message in our words; it never quotes the file's text (a .env holds secrets)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


@dataclass(frozen=True)
class Statement:
    """One assignment: ``name``; ``template`` the text compose interpolates (quotes and double
    quotes' escapes already undone), or ``literal`` (single quotes: taken as written);
    ``inherited``: a name alone, whose value comes from the shell; ``line`` (1-based) where the
    name is."""

    name: str
    line: int
    template: str | None = None
    literal: str | None = None
    inherited: bool = False


def statements(text: str) -> Iterator[Statement]:
    """The statements of a ``.env`` text in order; raises DotenvError where compose-go's parser
    refuses the text (interpolation errors come later, from the caller's evaluation)."""
    position = 1 if text.startswith("\ufeff") else 0
    while True:
        position = _statement_start(text, position)
        if position >= len(text):
            return
        line = text.count("\n", 0, position) + 1
        name, position, inherited = _name(text, position, line)
        if " " in name:
            raise DotenvError(line, "a variable name holds a space")
        if inherited:
            yield Statement(name, line, inherited=True)
            continue
        template, literal, position = _value(text, position, line)
        yield Statement(name, line, template, literal)


def _statement_start(text: str, position: int) -> int:
    """The offset of the next statement (compose-go getStatementStart), len(text) at the end."""
    while True:
        while position < len(text) and text[position] in WHITE_SPACE:
            position += 1
        if position >= len(text) or text[position] != "#":
            return position
        newline = text.find("\n", position)
        if newline < 0:
            return len(text)
        position = newline


def _name(text: str, position: int, line: int) -> tuple[str, int, bool]:
    """(name, offset after its separator and the blanks after it, inherited) at ``position``
    (compose-go locateKeyName)."""
    export = _EXPORT.match(text, position)
    if export is not None:
        position += len("export")
        while position < len(text) and text[position] in _INLINE_SPACE:
            position += 1
    start = position
    name, after, inherited = "", start, False
    for index in range(start, len(text)):
        char = text[index]
        if char in _INLINE_SPACE:
            continue
        if char in "=:\n":
            name, after, inherited = text[start:index], index + 1, char == "\n"
            break
        if char in "_.-[]" or unicodedata.category(char)[0] in "LN":
            continue
        raise DotenvError(text.count("\n", 0, index) + 1, "a variable name holds a character other than letters, "
                          "digits, _ . - [ ]")
    if start >= len(text):
        raise DotenvError(line, "'export' is not followed by a variable name")
    name = name.rstrip("".join(WHITE_SPACE))
    while after < len(text) and text[after] in _INLINE_SPACE:
        after += 1
    return name, after, inherited


def _value(text: str, position: int, line: int) -> tuple[str | None, str | None, int]:
    """(template, literal, offset after the value) at ``position`` (compose-go extractVarValue)."""
    quote = text[position] if position < len(text) and text[position] in "'\"" else ""
    if not quote:
        newline = text.find("\n", position)
        end = len(text) if newline < 0 else newline
        value = text[position:end].split(" #", 1)[0].rstrip("".join(WHITE_SPACE))
        return value, None, min(end + 1, len(text))
    chars: list[str] = []
    escaped = False
    for index in range(position + 1, len(text)):
        char = text[index]
        if char != quote:
            if not escaped and char == "\\":
                escaped = True
                continue
            if escaped:
                escaped = False
                chars.append("\\")
            chars.append(char)
            continue
        if escaped:
            escaped = False
            chars.append(char)
            continue
        value = "".join(chars)
        if quote == '"':
            return _ESCAPE.sub(_unescape, value), None, index + 1
        return None, value, index + 1
    raise DotenvError(line, f"a value opened with {quote} is never closed")


def _unescape(match: re.Match[str]) -> str:
    """One escape of a double-quoted value, as compose-go's expandEscapes (strconv.UnquoteChar)
    decodes it; one it cannot decode stays (``\\0`` having lost its ``0``)."""
    escape = match.group()
    if escape == "\\$":
        return "$$"  # compose's template reads it as a literal "$"
    if escape.startswith("\\0"):
        digits = escape[2:]
        if len(digits) == 3 and all(d in "01234567" for d in digits) and int(digits, 8) <= 255:
            return chr(int(digits, 8))
        return "\\" + digits
    return _SIMPLE_ESCAPES.get(escape[1], escape)


def read_dotenv(text: str, shell: Mapping[str, str]) -> dict[str, str]:
    """The variables a ``.env`` text gives compose with ``shell`` as the shell's environment
    (compose-go dotenv.GetEnvFromFile: interpolation reads the shell first, then the lines
    before). Raises DotenvError, InvalidInterpolation or MissingRequired where compose refuses
    the file. (The exact reading the static one below follows; the tests hold it to compose-go.)"""
    found: dict[str, str] = {}
    for statement in statements(text):
        if statement.inherited:
            value = shell.get(statement.name, found.get(statement.name))
            if value is not None:
                found[statement.name] = value
        elif statement.literal is not None:
            found[statement.name] = statement.literal
        else:
            assert statement.template is not None
            found[statement.name] = substitute(statement.template, {**found, **shell})
    return found


@dataclass(frozen=True)
class DotenvValue:
    """What ``.env`` gives a variable where the shell sets none of the names involved:
    ``value`` (None: not known here: from the shell, from a variable this file does not set,
    or a secret's, which is never read), and ``line`` (1-based) of its statement."""

    name: str
    value: str | None
    line: int


def project_environment(text: str) -> dict[str, DotenvValue]:
    """The variables of a ``.env`` text, read as compose reads them while the shell sets none of
    them (:class:`DotenvValue`). A variable whose name says it holds a secret (``DB_PASSWORD``,
    ``API_KEY``: k8s_expansion.SECRET_NAME) has no known value, nor does any value built from
    one. Raises DotenvError where compose refuses the file (its interpolation errors included,
    where they do not depend on the shell)."""
    found: dict[str, DotenvValue] = {}
    for statement in statements(text):
        if statement.inherited:
            found[statement.name] = DotenvValue(statement.name, None, statement.line)
            continue
        if statement.literal is not None:
            value: str | None = statement.literal
        else:
            assert statement.template is not None
            try:
                value = resolve(statement.template, lambda name: found.get(name))
            except InvalidInterpolation:
                raise DotenvError(statement.line, f"compose cannot interpolate the value of {statement.name}: a ${{ "
                                  "there is not followed by a name and a closing brace it can read") from None
        if SECRET_NAME.search(statement.name) or value is not None and len(value) >= MAX_ARG_STRLEN:
            value = None
        found[statement.name] = DotenvValue(statement.name, value, statement.line)
    return found


def resolve(raw: str, lookup: Callable[[str], DotenvValue | None], depth: int = 0) -> str | None:
    """``raw`` interpolated where the shell sets none of its variables: each variable's value
    from ``lookup`` (a ``.env`` value), else its default (``${NAME:-x}``, ``${NAME-x}``); None
    when any value used is not known (a plain ``$NAME`` that ``.env`` does not set is taken as
    set by the shell), or when the defaults used nest more than ``MAX_NESTING`` deep (``depth``:
    how deep ``raw`` is). Raises InvalidInterpolation where compose refuses the text."""
    if depth > MAX_NESTING:
        return None
    reading = interpolate(raw)
    values = []
    for variable in reading.variables:
        if SECRET_NAME.search(variable.name):
            return None  # a secret's value, or its default, never reaches a message
        entry = lookup(variable.name)
        if entry is not None and entry.value is None:
            return None
        value = entry.value if entry is not None else None
        operator = variable.operator
        present = value is not None and (value != "" or not operator.startswith(":"))
        if operator in (":-", "-"):
            got = value if present else _nested(variable.argument, lookup, depth)
        elif operator in (":+", "+"):
            got = _nested(variable.argument, lookup, depth) if present else value
        elif operator in (":?", "?"):
            got = value if present else None  # compose refuses it unless the shell sets it
        else:
            got = value
        if got is None:
            return None
        values.append(got)
        if sum(map(len, values)) >= MAX_ARG_STRLEN:
            return None
    return reading.filled(values)


def _nested(raw: str, lookup: Callable[[str], DotenvValue | None], depth: int) -> str | None:
    """A default or replacement (of a variable ``depth`` deep), resolved; None where compose
    would refuse it (whether it reads it at all depends on what the shell sets)."""
    try:
        return resolve(raw, lookup, depth + 1)
    except InvalidInterpolation:
        return None


__all__ = ["DotenvError", "DotenvValue", "MissingRequired", "Statement", "project_environment", "read_dotenv",
           "resolve", "statements"]

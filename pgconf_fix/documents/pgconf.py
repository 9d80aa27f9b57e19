"""postgresql.conf, lexed the way the server's guc-file.l does it.

Every line keeps its offsets in the original text, so edits touch only the
bytes they must. The tokens and their precedence follow guc-file.l: flex
takes the longest match and, on a tie, the rule listed first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pgconf_fix.documents.config_line import ConfigLine
from pgconf_fix.redact import excerpt
from pgconf_fix.source import SourceFile

# guc-file.l's letters are ASCII letters, "_" and every byte from \200 on: here every character
# outside ASCII. Written as negated ASCII classes, which compile far faster than \x80-\U0010ffff.
_LETTER = r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f]"
_LETTER_OR_DIGIT = r"[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"
_UNQUOTED_TAIL = r"[^\x00-\x2c\x3b-\x40\x5b-\x5e\x60\x7b-\x7f]"  # LETTER_OR_DIGIT and - . : /
_ID = rf"{_LETTER}{_LETTER_OR_DIGIT}*"

# (token kind, pattern) in guc-file.l's rule order; the order breaks ties.
_TOKEN_PATTERNS = [
    ("ID", re.compile(_ID)),
    ("QUALIFIED_ID", re.compile(rf"{_ID}\.{_ID}")),
    ("STRING", re.compile(r"'(?:[^'\\\n]|\\[^\n]|'')*'")),
    ("UNQUOTED_STRING", re.compile(rf"{_LETTER}{_UNQUOTED_TAIL}*")),
    ("INTEGER", re.compile(r"[-+]?[0-9]+[a-zA-Z]*")),
    ("INTEGER", re.compile(r"[-+]?0x[0-9a-fA-F]+[a-zA-Z]*")),
    ("REAL", re.compile(r"[-+]?[0-9]*\.[0-9]*(?:[Ee][-+]?[0-9]+)?")),
    ("EQUALS", re.compile(r"=")),
]
_VALUE_TOKENS = {"ID", "STRING", "INTEGER", "REAL", "UNQUOTED_STRING"}
_BLANKS = " \t\r"
INCLUDE_DIRECTIVES = ("include", "include_if_exists", "include_dir")


# Token and ConfLine are built for every token and line of every file: plain slotted dataclasses,
# since a frozen one costs about three times as much to build (a third of this module's time).
@dataclass(slots=True, eq=False)
class Token:
    """One token of a line, as guc-file.l names its kinds, at offsets ``start``-``end``."""

    kind: str
    start: int
    end: int
    text: str


@dataclass(slots=True)
class ConfLine(ConfigLine):
    """One line of a postgresql.conf: a setting, an include, a comment, a blank, or an error.
    ``name`` is the parameter as written, ``value`` its value unquoted and unescaped, and
    ``value_kind`` the token it was written as (STRING, INTEGER, ...)."""

    name: str | None = None
    value: str | None = None
    value_kind: str | None = None

    @property
    def key(self) -> str | None:
        return self.name.lower() if self.name is not None else None

    @property
    def is_setting(self) -> bool:
        return self.name is not None and self.error is None

    @property
    def is_include(self) -> bool:
        return self.is_setting and self.key in INCLUDE_DIRECTIVES


@dataclass(frozen=True)
class CommentedSetting:
    """A comment line that holds a setting, as the sample file's ``#name = default  # note``."""

    line: ConfLine
    hash_offset: int
    inner: ConfLine


def _next_token(text: str, pos: int, end: int) -> Token:
    best: Token | None = None
    for kind, pattern in _TOKEN_PATTERNS:
        match = pattern.match(text, pos, end)
        if match and match.end() > pos and (best is None or match.end() > best.end):
            best = Token(kind, pos, match.end(), match.group())
    if best is None:
        return Token("ERROR", pos, pos + 1, text[pos])
    return best


def tokenize_line(text: str, start: int, end: int) -> tuple[list[Token], int | None]:
    """Tokens of text[start:end] (one line, no newline) and the offset of a comment, if any."""
    tokens: list[Token] = []
    pos = start
    while pos < end:
        char = text[pos]
        if char in _BLANKS:
            pos += 1
            continue
        if char == "#":
            return tokens, pos
        token = _next_token(text, pos, end)
        tokens.append(token)
        pos = token.end
    return tokens, None


def deescape(quoted: str) -> str:
    """The value of a quoted token, as DeescapeQuotedString computes it."""
    body = quoted[1:-1]
    out: list[str] = []
    i = 0
    simple = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
            elif nxt in "01234567":
                digits = re.match(r"[0-7]{1,3}", body[i + 1 :]).group()  # type: ignore[union-attr]
                out.append(chr(int(digits, 8) & 0xFF))
                i += 1 + len(digits)
            else:
                out.append(nxt)
                i += 2
        elif char == "'" and i + 1 < len(body) and body[i + 1] == "'":
            out.append("'")
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def parse_line(text: str, number: int, start: int, end: int) -> ConfLine:
    tokens, comment = tokenize_line(text, start, end)
    if not tokens:
        return ConfLine(number, start, end, comment_start=comment)

    def error(near: Token | None) -> ConfLine:
        # Passwords masked on the whole line (a primary_conninfo token holds one), then the token shown.
        where = f'near token "{excerpt(text[start:end], near.start - start, near.end - start, 200)}"' if near else "near end of line"
        return ConfLine(number, start, end, comment_start=comment, error=f"syntax error {where}")

    name = tokens[0]
    if name.kind not in ("ID", "QUALIFIED_ID"):
        return error(name)
    index = 1
    if index < len(tokens) and tokens[index].kind == "EQUALS":
        index += 1
    if index >= len(tokens):
        return error(None)
    value = tokens[index]
    if value.kind not in _VALUE_TOKENS:
        return error(value)
    if index + 1 < len(tokens):
        return error(tokens[index + 1])
    plain = deescape(value.text) if value.kind == "STRING" else value.text
    return ConfLine(
        number,
        start,
        end,
        name=name.text,
        name_start=name.start,
        name_end=name.end,
        value=plain,
        value_start=value.start,
        value_end=value.end,
        value_kind=value.kind,
        comment_start=comment,
    )


# The lines of the last texts lexed, by text and whether a lone CR ends a line in it: a one-file
# run lexes the file for its views and again for the fixes' verifier (its errors before the
# edit), then the edited text for the verifier and again for the fixable count's re-check
# (issue 18, tenth pass: 4.0 M instructions a lexing of a 27 KB file). The lines are not
# changed once made; each document holds its own list of them.
_LEXED: dict[tuple[str, bool], tuple[ConfLine, ...]] = {}
_LEXED_TEXTS = 8


def _lexed(source: SourceFile) -> tuple[ConfLine, ...]:
    key = (source.text, source.lone_cr_ends_lines)
    lines = _LEXED.get(key)
    if lines is None:
        text = source.text
        lines = tuple(parse_line(text, number, *span) for number, span in enumerate(source.line_spans(), 1))
        if len(_LEXED) >= _LEXED_TEXTS:
            del _LEXED[next(iter(_LEXED))]  # the oldest
        _LEXED[key] = lines
    return lines


class PgConfDocument:
    """A parsed postgresql.conf (or an included file, or postgresql.auto.conf)."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self._commented_named: dict[str, list[CommentedSetting]] = {}
        self.lines: list[ConfLine] = list(_lexed(source))

    @property
    def settings(self) -> list[ConfLine]:
        return [line for line in self.lines if line.is_setting]

    @property
    def errors(self) -> list[ConfLine]:
        return [line for line in self.lines if line.error]

    def commented_settings_named(self, key: str) -> list[CommentedSetting]:
        """``commented_settings()`` of one parameter (lower-case ``key``), lexing only the
        comment lines that mention it (a sample postgresql.conf has ~170 others); cached."""
        found = self._commented_named.get(key)
        if found is None:
            source = self.source
            numbers = {source.position(match.start())[0] for match in re.finditer(re.escape(key), source.text, re.IGNORECASE)}
            lines = [self.lines[number - 1] for number in sorted(numbers) if number <= len(self.lines)]
            found = self._commented_named[key] = [
                commented for commented in self.commented_settings(lines) if commented.inner.key == key
            ]
        return found

    def commented_settings(self, lines: list[ConfLine] | None = None) -> list[CommentedSetting]:
        """Comment-only lines (of ``lines``, else all) whose text after ``#`` is itself a
        valid setting line."""
        found: list[CommentedSetting] = []
        text = self.source.text
        for line in self.lines if lines is None else lines:
            if line.name is not None or line.error or line.comment_start is None:
                continue
            inner = parse_line(text, line.number, line.comment_start + 1, line.end)
            if inner.is_setting and not inner.is_include:
                found.append(CommentedSetting(line, line.comment_start, inner))
        return found

"""Python string literals as Python decodes them, as carriers (pgconf_fix.documents.carriers).

Found with the standard library's ``tokenize`` (no parse tree needed, so the client layer's
Python files and the Python layer's read alike). Adjacent literals in one expression
(implicit concatenation, ``"a" "b"`` over lines inside brackets) are one value, as the
compiler joins them. An f-string's replacement fields stay in the value as their source text
(``{HOST}``), which the finders read as template placeholders; ``{{`` and ``}}`` are braces.
Byte strings are read as ASCII text (``b'postgres://...'`` is still a URL), without the
``\\u``, ``\\U`` and ``\\N`` escapes, which bytes do not have.

Escapes follow the language reference ("String and Bytes literals"): ``\\\\``, ``\\'``,
``\\"``, ``\\a \\b \\f \\n \\r \\t \\v``, octal ``\\ooo``, ``\\xhh``, ``\\N{name}``,
``\\uXXXX``, ``\\UXXXXXXXX``, a backslash-newline that continues the line; any other
backslash stays as written. Raw strings keep every backslash. Text written back into a
literal is escaped for that literal's quote and prefix; a raw literal takes no quote and no
backslash (then nothing is written).
"""

from __future__ import annotations

import io
import re
import token
import tokenize
import unicodedata

from pgconf_fix.documents.carrier import Carrier, Encoder
from pgconf_fix.source import SourceFile

_PREFIX = re.compile(r"[A-Za-z]*")
_SIMPLE_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}  # fmt: skip
_JOINERS = {tokenize.NL, tokenize.COMMENT, token.INDENT, token.DEDENT}


def python_carriers(source: SourceFile) -> list[Carrier] | None:
    """Every text literal of a module (adjacent ones joined); None when it does not tokenize."""
    try:
        spans = _literal_groups(source.text)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    carriers = []
    for group in spans:
        pieces = [_decode(source, start, end) for start, end in group]
        if any(piece is None for piece in pieces):
            continue  # bytes, or a literal this reader does not follow
        carriers.append(_join(source, pieces))  # type: ignore[arg-type]
    return carriers


def _literal_groups(text: str) -> list[list[tuple[int, int]]]:
    """File spans of string literals, grouped when only blanks, line breaks and comments part
    them: from the module's ``ast`` (shared with the Python layer), or, for a module Python
    does not parse, from its tokens."""
    from pgconf_fix.documents import python_nodes

    try:
        tree = python_nodes.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _tokenized_groups(text)
    return python_nodes.string_groups(text, tree)


def _tokenized_groups(text: str) -> list[list[tuple[int, int]]]:
    """File spans of string literals, grouped when only blanks, line breaks and comments part them."""
    line_starts = [0]
    for match in re.finditer("\n", text):
        line_starts.append(match.end())

    def offset(position: tuple[int, int]) -> int:
        return line_starts[position[0] - 1] + position[1]

    groups: list[list[tuple[int, int]]] = []
    joinable = False
    depth = 0  # nesting of f-string tokens (Python 3.12 splits an f-string into several)
    fstring_start = 0
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        kind = tok.type
        if kind == getattr(token, "FSTRING_START", -1):
            if depth == 0:
                fstring_start = offset(tok.start)
            depth += 1
            continue
        if kind == getattr(token, "FSTRING_END", -1):
            depth -= 1
            if depth == 0:
                span = (fstring_start, offset(tok.end))
                (groups[-1].append(span) if joinable else groups.append([span]))
                joinable = True
            continue
        if depth:
            continue
        if kind == token.STRING:
            span = (offset(tok.start), offset(tok.end))
            (groups[-1].append(span) if joinable else groups.append([span]))
            joinable = True
        elif kind not in _JOINERS:
            joinable = False
    return groups


def _decode(source: SourceFile, start: int, end: int) -> tuple[str, list[int], Encoder | None] | None:
    """(value, file offset of each character plus the closing one, encoder) of one literal."""
    text = source.text
    prefix = _PREFIX.match(text, start).group().lower()  # type: ignore[union-attr]
    binary = "b" in prefix
    raw = "r" in prefix
    fstring = "f" in prefix
    body = start + len(prefix)
    quote = text[body : body + 3] if text[body : body + 3] in ("'''", '"""') else text[body]
    pos, stop = body + len(quote), end - len(quote)
    encoder = _encoder(quote, raw, fstring, binary)
    escaped = not raw and text.find("\\", pos, stop) != -1
    fields = fstring and (text.find("{", pos, stop) != -1 or text.find("}", pos, stop) != -1)
    if not escaped and not fields:
        # Nothing to decode (no escape, no replacement field or doubled brace): the value is the
        # literal's body, each character at its own offset, as the walk below would give it
        # character by character (issue 18: most literals, docstrings first, are plain).
        return text[pos:stop], list(range(pos, stop + 1)), encoder
    return _walked(text, pos, stop, raw, fstring, binary, encoder)


def _walked(
    text: str, pos: int, stop: int, raw: bool, fstring: bool, binary: bool, encoder: Encoder
) -> tuple[str, list[int], Encoder] | None:
    """``_decode`` of the literal body ``text[pos:stop]``, character by character."""
    value: list[str] = []
    offsets: list[int] = []
    while pos < stop:
        char = text[pos]
        if fstring and char in "{}":
            if text[pos + 1 : pos + 2] == char:
                offsets.append(pos)
                value.append(char)
                pos += 2
                continue
            if char == "{":
                close = _field_end(text, pos, stop)
                for index in range(pos, close):
                    offsets.append(index)
                    value.append(text[index])
                pos = close
                continue
        if char == "\\" and not raw:
            decoded, width = _escape(text, pos, stop, binary)
            if decoded is None:
                return None
            for piece in decoded:
                offsets.append(pos)
                value.append(piece)
            pos += width
            continue
        offsets.append(pos)
        value.append(char)
        pos += 1
    offsets.append(stop)
    return "".join(value), offsets, encoder


def _field_end(text: str, pos: int, stop: int) -> int:
    """End of the replacement field opening at ``pos`` (nested braces and strings followed)."""
    depth = 0
    quote = ""
    index = pos
    while index < stop:
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return stop


def _escape(text: str, pos: int, stop: int, binary: bool = False) -> tuple[str | None, int]:
    """The text one backslash escape at ``pos`` stands for, and how many characters it spans."""
    code = text[pos + 1] if pos + 1 < stop else ""
    if binary and code in ("u", "U", "N"):
        return "\\", 1
    if code == "\n":
        return "", 2
    if code == "\r":
        return "", 3 if text[pos + 2 : pos + 3] == "\n" else 2
    if code in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[code], 2
    if code in "01234567" and code:
        digits = re.match(r"[0-7]{1,3}", text[pos + 1 : stop]).group()  # type: ignore[union-attr]
        return chr(int(digits, 8)), 1 + len(digits)
    widths = {"x": 2, "u": 4, "U": 8}
    if code in widths:
        digits = text[pos + 2 : pos + 2 + widths[code]]
        if not re.fullmatch(r"[0-9a-fA-F]+", digits) or len(digits) != widths[code]:
            return None, 0
        return chr(int(digits, 16)), 2 + widths[code]
    if code == "N" and text[pos + 2 : pos + 3] == "{":
        close = text.find("}", pos + 3, stop)
        if close == -1:
            return None, 0
        try:
            return unicodedata.lookup(text[pos + 3 : close]), close + 1 - pos
        except KeyError:
            return None, 0
    return "\\", 1  # an unknown escape keeps its backslash; the next character reads as itself


def _encoder(quote: str, raw: bool, fstring: bool, binary: bool = False) -> Encoder:
    def encode(value: str) -> str | None:
        if binary and not value.isascii():
            return None
        if raw:
            if "\\" in value or quote[0] in value or "\n" in value and len(quote) == 1:
                return None
            out = value
        else:
            out = value.replace("\\", "\\\\").replace(quote[0], "\\" + quote[0])
            if len(quote) == 1:
                out = out.replace("\n", "\\n").replace("\r", "\\r")
        if fstring:
            out = out.replace("{", "{{").replace("}", "}}")
        return out

    return encode


def _join(source: SourceFile, pieces: list[tuple[str, list[int], Encoder | None]]) -> Carrier:
    """Adjacent literals as one value; each keeps its own offsets and encoder (Carrier.parts)."""
    if len(pieces) == 1:
        value, offsets, encoder = pieces[0]
        return Carrier(source, value, tuple(offsets), encoder)
    joined: list[int] = []
    parts = []
    total = 0
    for value, offsets, encoder in pieces:
        joined.extend(offsets[:-1])
        total += len(value)
        parts.append((total, tuple(offsets), encoder))
    joined.append(pieces[-1][1][-1])
    return Carrier(source, "".join(piece[0] for piece in pieces), tuple(joined), pieces[-1][2], tuple(parts))

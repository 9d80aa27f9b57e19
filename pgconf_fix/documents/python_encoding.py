"""How Python decodes a module's bytes into its text (PEP 263), and its refusal when it cannot.

A module is UTF-8 unless line 1 or 2 declares another encoding in a comment
(``# -*- coding: latin-1 -*-``, ``# vim: set fileencoding=cp1252 :``); a UTF-8 byte order
mark allows no other declaration. The declaration is read with the standard library's
``tokenize.detect_encoding`` (the rule of https://peps.python.org/pep-0263/), and the module's
refusal (an unknown codec, bytes the codec cannot decode, a byte order mark with another
declaration, non-UTF-8 bytes with none) is the interpreter's own: ``compile`` of the bytes, as
``import`` reads them, says why.

Only a module whose first two lines mention ``coding`` is looked at further: every other one
is UTF-8, read as every other file is (``pgconf_fix.source``).
"""

from __future__ import annotations

import re
import warnings

UTF8 = "utf-8"
_BOM = b"\xef\xbb\xbf"
# The start of a declaration (tokenize's cookie pattern, on bytes), to name its line.
_COOKIE_LINE = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.MULTILINE)


def _first_lines(data: bytes) -> bytes:
    """Lines 1 and 2 as Python's tokenizer splits them when it looks for a declaration (at LF)."""
    end = data.find(b"\n")
    if end != -1:
        end = data.find(b"\n", end + 1)
    return data if end == -1 else data[: end + 1]


def may_declare(data: bytes) -> bool:
    """Whether line 1 or 2 may declare an encoding: ``coding`` in them (cheap, bytes only)."""
    return b"coding" in _first_lines(data)


def declared_codec(data: bytes) -> str | None:
    """The codec Python decodes ``data`` (a module's bytes) with, when the module declares one
    and Python decodes the whole of it with that codec: the name ``tokenize.detect_encoding``
    gives (``iso-8859-1`` for ``latin-1``, ``utf-8`` for every UTF-8 spelling, ``utf-8-sig``
    after a byte order mark). ``"utf-8"`` when nothing is declared; None when the module
    cannot be decoded as declared (``refusal`` says why). Raises nothing."""
    if not may_declare(data):
        return UTF8
    import io
    import tokenize

    try:
        codec, _lines = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # an unknown codec, a mark with another declaration, or no UTF-8 line
        return None
    if codec in (UTF8, "utf-8-sig"):
        return UTF8
    try:
        data.decode(codec)
    except (UnicodeDecodeError, LookupError):  # bytes it cannot decode; a bytes-to-bytes codec (hex)
        return None
    return codec


def refusal(data: bytes) -> tuple[int, str] | None:
    """Python's refusal of ``data`` as a module's source text: (line, message), the message in
    the interpreter's own words (``compile`` of the bytes, as ``import`` compiles them), the
    line where the problem is (the declaration, or the first byte that cannot be decoded) when
    the interpreter names none. None when Python reads the module after all. This compiles the
    whole module: it is asked only of modules ``declared_codec`` could not decode."""
    try:
        with warnings.catch_warnings(action="ignore"):
            compile(data, "<module>", "exec", dont_inherit=True)
    except SyntaxError as error:
        return (error.lineno or _problem_line(data), error.msg or str(error))
    except (ValueError, RecursionError, MemoryError):
        return None  # decoded, and refused for another reason: the parse of the text says which
    return None


def _problem_line(data: bytes) -> int:
    """The 1-based line of the first byte the declared codec (or UTF-8) cannot decode, else the
    line of the declaration, else 1."""
    import io
    import tokenize

    codec = UTF8
    try:
        codec, _lines = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return _declaration_line(data)
    try:
        data.decode(codec)
    except UnicodeDecodeError as error:
        return _line_of(data, error.start)
    except LookupError:
        pass
    return _declaration_line(data)


def _declaration_line(data: bytes) -> int:
    found = _COOKIE_LINE.search(_first_lines(data.removeprefix(_BOM)))
    return _line_of(data, found.start()) if found else 1


def _line_of(data: bytes, offset: int) -> int:
    """The 1-based line of byte ``offset``, lines ended as Python ends them (CRLF, CR or LF)."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def encoding_problem(text: str, codec: str, original: str, data: bytes) -> str | None:
    """Why ``text``, an edit of ``original`` (the text of ``data``, decoded with ``codec``),
    cannot be written in the module's own encoding with the bytes outside the edit unchanged,
    else None.

    A character the codec has no bytes for cannot be written at all. In a stateless codec each
    character has its own bytes, so the characters an edit leaves keep theirs when ``original``
    encodes back to ``data`` (not so where two byte sequences decode to one character, as in
    cp932). A stateful codec (ISO-2022, UTF-7, HZ) writes shift sequences that depend on the
    text before them: its edit is kept only when each line's bytes are that line's alone, in
    both texts (so a line the edit leaves keeps its bytes), and the bytes before the first and
    after the last changed character are the original's."""
    try:
        new = text.encode(codec)
    except UnicodeEncodeError as error:
        return f"{text[error.start : error.end]!r} cannot be written in the file's encoding ({codec})"
    if original.encode(codec) != data:
        return f"its bytes do not come back from its text in {codec}: writing would change bytes the edit does not touch"
    if not _codec_name(codec).startswith(_STATEFUL):
        return None
    same = _common_prefix(text, original)
    tail = _common_prefix(text[same:][::-1], original[same:][::-1])
    head_bytes = original[:same].encode(codec)
    tail_bytes = original[len(original) - tail :].encode(codec) if tail else b""
    kept = (
        _by_line(original, codec) == data and _by_line(text, codec) == new
        and data.startswith(head_bytes) and new.startswith(head_bytes)
        and data.endswith(tail_bytes) and new.endswith(tail_bytes)
    )  # fmt: skip
    if not kept:
        return f"its encoding ({codec}) shifts state across the edit: writing would change bytes the edit does not touch"
    return None


# Codecs whose bytes for a character depend on the characters before it (shift states), and
# those that encode a text as a whole: an edit can change the bytes of text it does not touch.
_STATEFUL = ("iso2022", "utf-7", "hz", "idna", "punycode", "utf-16", "utf-32")


def _codec_name(codec: str) -> str:
    import codecs

    try:
        return codecs.lookup(codec).name
    except LookupError:
        return codec


def _by_line(text: str, codec: str) -> bytes:
    """``text`` encoded one line at a time: the text's bytes when no shift state crosses a line."""
    return b"".join(line.encode(codec) for line in text.splitlines(keepends=True))


def _common_prefix(one: str, other: str) -> int:
    """The length of the longest common prefix of two texts, found by halving (each comparison
    runs in C: a character loop in Python would cost a module's length for every edit)."""
    low, high = 0, min(len(one), len(other))
    while low < high:
        middle = (low + high + 1) // 2
        if one[low:middle] == other[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low

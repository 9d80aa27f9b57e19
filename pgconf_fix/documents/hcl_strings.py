"""The string values of a Terraform ``.tf`` file (HCL native syntax) as carriers of connection
strings: a Lambda's or an ECS task's ``DATABASE_URL``, a ``jsonencode`` of a container's
environment, an output.

A quoted template ``"..."`` is decoded as HCL does (the HCL native syntax specification,
https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md, "Template Expressions"; checked
with Terraform 1.11.4's ``terraform output -json`` of outputs-only modules, tests/test_hcl_strings.py): the escapes ``\\n``
``\\r`` ``\\t`` ``\\"`` ``\\\\`` ``\\uNNNN`` ``\\UNNNNNNNN``, ``$${`` for a literal ``${`` and
``%%{`` for a literal ``%{``. An interpolation ``${ ... }`` or a directive ``%{ ... }`` is kept
in the value as written (a template the connection-string finder knows as one) and is a
read-only part of the carrier: no edit is written inside an expression. A heredoc's body is a
read-only carrier of its raw text (its indentation and its consumer's own escapes, JSON in an
ECS task definition say, are not modelled). Comments (``#``, ``//``, ``/* */``) carry nothing.

``hcl_carriers`` returns None where the file is outside what this reader follows (an escape
HCL refuses, an unterminated string or heredoc): the caller then reads the file as raw text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from itertools import takewhile

from pgconf_fix.documents.carrier import Carrier, Encoder
from pgconf_fix.redact import excerpt
from pgconf_fix.source import SourceFile

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_WRITTEN = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}
# "<<" or "<<-", then the rest of the line: Terraform takes it as a heredoc only when that rest
# is an identifier (is_heredoc_marker) and the line ends there.
_HEREDOC = re.compile(r"<<-?([^\r\n]*)\r?\n")
_SEQUENCE = re.compile(r"(\$\$|%%)\{|[$%]\{")  # a template sequence, or (group 1) its escape


@cache
def _trimmed() -> str:
    """What Terraform trims off a heredoc's line before comparing it with the marker: Go's
    unicode.IsSpace (bytes.TrimSpace in hclsyntax's scanner), compose_dotenv's WHITE_SPACE.
    Loaded with the first heredoc: compose's .env reader and interpolation are ~26 M
    instructions of a Terraform run that reads none (issue 18)."""
    from pgconf_fix.documents.compose_dotenv import WHITE_SPACE

    return "".join(WHITE_SPACE)


class _Outside(Exception):
    """The text is outside what this reader follows: at ``offset``, for ``reason`` (a sentence
    for the user) when it is an escape Terraform refuses."""

    def __init__(self, offset: int = 0, reason: str | None = None) -> None:
        super().__init__(reason)
        self.offset, self.reason = offset, reason


def hcl_carriers(source: SourceFile) -> list[Carrier] | None:
    """Every quoted string and heredoc body of a ``.tf`` file outside comments, in file order
    (a string nested in an interpolation is part of its enclosing string's read-only part);
    None when the file is outside what this reader follows."""
    try:
        return list(_Scanner(source).top())
    except _Outside:
        return None


def refused_escape(source: SourceFile) -> tuple[int, str] | None:
    """The offset and description of the first escape sequence Terraform refuses in a quoted
    template of ``source`` ("Invalid escape sequence": ``\\q``, a short or out-of-range
    ``\\u``), or of the first ``<<`` that opens no heredoc for Terraform (``<<E.OF``: a marker
    that is not an identifier), or None. python-hcl2 takes any backslash pair and a marker with
    dots, so this is what tells such a file from one Terraform reads (tests/test_hcl_strings.py
    asks the real terraform)."""
    if "\\" not in source.text and "<<" not in source.text:
        return None  # no escape and no heredoc; what else Terraform refuses, the parsers refuse too
    try:
        for _ in _Scanner(source).top():
            pass
    except _Outside as outside:
        if outside.reason is not None:
            return outside.offset, outside.reason
    return None


def heredoc_markers(text: str) -> list[tuple[int, int, int, int]] | None:
    """Every heredoc of a ``.tf`` text as Terraform reads it: the span of its marker on the
    opening line and the span of its closing line (without the line break), in the order they
    close (a heredoc inside another one's template sequence included); None when the text is outside
    what this reader follows (an unterminated string or heredoc, a refused escape or marker)."""
    scanner = _Scanner(None, text)
    try:
        for _ in scanner.top():
            pass
    except _Outside:
        return None
    return scanner.heredocs


def is_heredoc_marker(marker: str) -> bool:
    """Whether Terraform takes ``marker`` (the rest of a ``<<`` line) as a heredoc's marker: an
    HCL identifier, ``(ID_Start | '_') (ID_Continue | '-')*`` (hclsyntax scan_tokens.rl), so
    ``ÉOF`` and ``_EOF`` are markers and ``E.OF``, ``9EOF`` or ``EOF `` are not (terraform 1.11.4
    plan, tests/test_hcl_strings.py). Python's identifiers are the XID_ forms of the same
    Unicode properties, which differ from them in a handful of compatibility characters."""
    return marker[:1] != "-" and marker.replace("-", "_").isidentifier()


def encode_literal(text: str) -> str:
    """``text`` as a quoted template's literal part writes it: HCL's escapes for the quote, the
    backslash and control characters, and ``$${``/``%%{`` where a ``${``/``%{`` would open a
    template sequence."""
    out = []
    for index, char in enumerate(text):
        if char in _WRITTEN:
            out.append(_WRITTEN[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        elif char in "$%" and text[index + 1 : index + 2] == "{":
            out.append(char + char)
        else:
            out.append(char)
    return "".join(out)


class _Scanner:
    def __init__(self, source: SourceFile | None, text: str | None = None) -> None:
        """``source``: the file carriers are made of (None: only the text is walked, as
        ``heredoc_markers`` does). ``text``: its text, when there is no ``source``."""
        self.source = source
        self.text = source.text if source is not None else text or ""
        self.heredocs: list[tuple[int, int, int, int]] = []

    def top(self) -> Iterator[Carrier]:
        """Carriers of the file's top level: strings and heredocs, comments skipped."""
        i = 0
        while i < len(self.text):
            found = self._token(i)
            if found is None:
                i += 1
                continue
            carrier, i = found
            if carrier is not None:
                yield carrier

    def _token(self, i: int) -> tuple[Carrier | None, int] | None:
        """What starts at ``i`` when it is a comment (no carrier), a quoted string or a heredoc,
        and the offset after it; None for any other character."""
        text, char = self.text, self.text[i]
        if char == "#" or text.startswith("//", i):
            return None, self._line_end(i)
        if text.startswith("/*", i):
            return None, self._comment_end(i)
        if char == '"':
            return self._quoted(i)
        if char == "<" and text.startswith("<<", i):
            heredoc = _HEREDOC.match(text, i)
            if heredoc is None or not is_heredoc_marker(heredoc.group(1)):
                # "<" is no operator that can take "<" after it: Terraform stops here.
                line_end = self._line_end(i)
                shown = excerpt(text[i:line_end], 0, line_end - i, 20)
                reason = f"invalid HCL: unexpected {shown!r} (a heredoc's marker is an identifier alone on its line: letters, digits, _ and -)"
                raise _Outside(i, reason)
            return self._heredoc(heredoc)
        return None

    def _line_end(self, i: int) -> int:
        newline = self.text.find("\n", i)
        return len(self.text) if newline == -1 else newline

    def _comment_end(self, i: int) -> int:
        close = self.text.find("*/", i + 2)
        if close == -1:
            raise _Outside
        return close + 2

    def _heredoc(self, match: re.Match[str]) -> tuple[Carrier, int]:
        """The body of the heredoc ``match`` opens (its lines up to the one holding only the
        marker, blanks around it allowed, and a line break after it), read-only, and the offset
        after the marker."""
        marker, text = match.group(1), self.text
        start = line = match.end()
        while line < len(text):
            end = self._line_end(line)
            if end < len(text) and text[line:end].strip(_trimmed()) == marker:
                self.heredocs.append((match.start(1), match.end(1), line, end))
                return Carrier(self.source, text[start:line], tuple(range(start, line + 1)), None), end  # type: ignore[arg-type]
            # A template sequence may run on over lines: none of them closes the heredoc.
            at = line
            while (sequence := _SEQUENCE.search(text, at, end)) is not None:
                at = sequence.end()
                if not sequence.group(1):  # $${ and %%{ open nothing
                    at = self._sequence_end(at)
                    end = max(end, self._line_end(at))
            line = end + 1
        raise _Outside

    def _quoted(self, start: int) -> tuple[Carrier, int]:
        """The quoted template opening at ``start``, and the offset after its closing quote.
        Literal runs are written with ``encode_literal``; template sequences are read-only."""
        text = self.text
        value: list[str] = []
        parts: list[tuple[int, tuple[int, ...], Encoder | None]] = []
        offsets: list[int] = []
        literal = True
        i = start + 1

        def close_part(at: int) -> None:
            nonlocal offsets
            if offsets:
                parts.append((len(value), (*offsets, at), encode_literal if literal else None))
                offsets = []

        while True:
            if i >= len(text) or text[i] == "\n":
                raise _Outside  # unterminated (a newline outside a template sequence ends nothing)
            char = text[i]
            if char == '"':
                break
            if char == "\\":
                decoded, after = self._escape(i)
                offsets.append(i)
                value.append(decoded)
                i = after
                continue
            if char in "$%" and text.startswith(char + "{", i + 1):  # $${ and %%{: the literal text
                offsets += [i, i + 2]
                value += [char, "{"]
                i += 3
                continue
            if char in "$%" and text.startswith("{", i + 1):
                close_part(i)
                literal = False
                end = self._sequence_end(i + 2)
                offsets = list(range(i, end))
                value += text[i:end]
                close_part(end)
                literal = True
                i = end
                continue
            offsets.append(i)
            value.append(char)
            i += 1
        close_part(i)
        joined = "".join(value)
        if len(parts) <= 1:
            encoder = parts[0][2] if parts else encode_literal
            spots = parts[0][1] if parts else (i,)
            return Carrier(self.source, joined, spots, encoder), i + 1
        return Carrier(self.source, joined, tuple(o for _, part, _ in parts for o in part[:-1]) + (i,), None, tuple(parts)), i + 1

    def _escape(self, i: int) -> tuple[str, int]:
        text = self.text
        code = text[i + 1 : i + 2]
        if code in _ESCAPES:
            return _ESCAPES[code], i + 2
        width = {"u": 4, "U": 8}.get(code)
        digits = text[i + 2 : i + 2 + width] if width else ""
        if width and len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
            point = int(digits, 16)
            if point <= 0x10FFFF and not 0xD800 <= point < 0xE000:
                return chr(point), i + 2 + width
        shown = "\\" + (code if code.isprintable() else "") + "".join(takewhile(str.isalnum, digits))
        raise _Outside(i, f"invalid HCL: invalid escape sequence {shown} in a string (Terraform reads \\n \\r \\t \\\" \\\\ \\uNNNN and \\UNNNNNNNN only)")

    def _sequence_end(self, i: int) -> int:
        """The offset after the ``}`` that closes a template sequence whose body starts at
        ``i``: braces nest, and strings, heredocs and comments inside are skipped whole."""
        text, depth = self.text, 1
        while i < len(text):
            char = text[i]
            if char == "}":
                depth -= 1
                if depth == 0:
                    return i + 1
                i += 1
            elif char == "{":
                depth += 1
                i += 1
            else:
                found = self._token(i)
                i = i + 1 if found is None else found[1]
        raise _Outside

"""String values as their file's format decodes them, with the way back to the file's bytes.

A connection string sits in a *carrier*: a JSON string, a YAML scalar, a TOML string, a ``.env``
value, a ``.properties`` value, a Terraform string (pgconf_fix.documents.hcl_strings), a Python string literal (implicit concatenations joined, an f-string's
placeholders kept as ``{...}`` text), or, in formats without a reader here, a stretch of raw
text. A :class:`Carrier` holds the decoded value, the file offset of each decoded character
(``offsets``), and how text is written back at that place (``encode``: the literal's own
quoting and escapes). Finders run on ``value``; an edit is made on decoded offsets and
written back encoded, so a fix never lands between a backslash and its quote, and a
``\\u0026`` in JSON reads as the ``&`` it is.

``carriers_of(source)`` picks the reader by file name. Comment lines are no carriers: a
connection string in ``# DATABASE_URL=...`` or ``#spring.datasource.url=...`` is not live.
A value whose encoding has no reader here (a multi-line plain YAML scalar, say) is carried
with ``encode`` None: it is read, and nothing is written into it.
"""

from __future__ import annotations

import re

from pgconf_fix.documents.carrier import Carrier, Encoder, identity
from pgconf_fix.source import SourceFile

# -- which reader ------------------------------------------------------------------------

ENV_NAMES = re.compile(r"(?:^|\.)env(?:\.[\w.-]+)?$|\.env$")
YAML_SUFFIXES = (".yaml", ".yml")
# HCL native syntax: Terraform modules and variable files, Terragrunt and Atlas configuration.
HCL_SUFFIXES = (".tf", ".tfvars", ".hcl")
# Lines that are comments in the line-oriented formats read as raw text (shell, Dockerfile,
# INI, TOML, conf, properties-like): a connection string there is not live.
_COMMENT_LINE = re.compile(r"[ \t]*(?:#|;|//|!)")
# Source code whose block comments are /* ... */ (a line that starts inside one is a comment line).
C_FAMILY_SUFFIXES = frozenset(
    (".go", ".js", ".mjs", ".cjs", ".ts", ".java", ".kt", ".scala", ".groovy", ".php", ".cs", ".rs")
)
_C_FAMILY_TOKEN = re.compile(r'/\*|//|"""|["\'`]')


def is_env_file(name: str) -> bool:
    return bool(ENV_NAMES.search(name)) and not name.endswith((".py", ".sh", ".yml", ".yaml", ".json"))


def carriers_of(source: SourceFile) -> list[Carrier]:
    """Every string value of ``source`` a connection string may sit in, in file order."""
    name = source.path.name
    suffix = source.path.suffix
    if suffix == ".py":
        from pgconf_fix.documents.python_strings import python_carriers

        found = python_carriers(source)
        if found is not None:
            return found
    elif suffix == ".json":
        found = json_carriers(source)
        if found is not None:
            return found
    elif suffix in YAML_SUFFIXES:
        found = yaml_carriers(source)
        if found is not None:
            return found
    elif suffix == ".properties":
        return properties_carriers(source)
    elif suffix in HCL_SUFFIXES:
        from pgconf_fix.documents.hcl_strings import hcl_carriers

        found = hcl_carriers(source)
        if found is not None:
            return found
        # Terraform refuses the file: read as raw text, and written nowhere (raw text cannot
        # tell a heredoc's body or a string's escapes from the bytes around them).
        return [Carrier(source, c.value, c.offsets, None, decoded=False) for c in raw_carriers(source)]
    elif suffix == ".toml":
        found = toml_carriers(source)
        if found is not None:
            return found
    elif is_env_file(name):
        return env_carriers(source)
    return raw_carriers(source)


def raw_carriers(source: SourceFile) -> list[Carrier]:
    """Each line that is not a comment line, as raw text (in C-family source code, the lines of
    ``/* ... */`` blocks that start with ``/*`` or ``*`` are comment lines too)."""
    carriers = []
    text = source.text
    blocks = _block_comments(text) if source.path.suffix in C_FAMILY_SUFFIXES and "/*" in text else []
    block = 0
    for start, end in source.line_spans():
        if _COMMENT_LINE.match(text, start, end):
            continue
        if blocks:
            first = start + len(text[start:end]) - len(text[start:end].lstrip())
            while block < len(blocks) and blocks[block][1] <= first:
                block += 1
            if block < len(blocks) and blocks[block][0] <= first < blocks[block][1]:
                continue  # the line starts inside a /* ... */ comment
        carriers.append(identity(source, start, end))
    return carriers


def _block_comments(text: str) -> list[tuple[int, int]]:
    """The spans of the ``/* ... */`` comments of C-family source code, in order, found outside
    ``//`` comments and string literals: ``"..."`` and ``'...'`` (which end at their line's end
    at the latest), JavaScript's and Go's ``` `...` ``` and Java's, Kotlin's and Scala's
    ``\"\"\"...\"\"\"`` (which may span lines). An unclosed comment runs to the end."""
    spans = []
    position = 0
    while (found := _C_FAMILY_TOKEN.search(text, position)) is not None:
        token, at = found.group(), found.start()
        if token == "/*":
            close = text.find("*/", at + 2)
            stop = len(text) if close < 0 else close + 2
            spans.append((at, stop))
            position = stop
        elif token == "//":
            newline = text.find("\n", at)
            position = len(text) if newline < 0 else newline
        elif token in ('"""', "`"):
            close = text.find(token, at + len(token))
            position = len(text) if close < 0 else close + len(token)
        else:  # a one-line string: to its closing quote (a backslash escapes) or the line's end
            position = at + 1
            while position < len(text) and text[position] not in (token, "\n"):
                position += 2 if text[position] == "\\" else 1
            position += 1
    return spans


# -- JSON ------------------------------------------------------------------------------------

_JSON_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _backslash(text: str, i: int, escapes: dict[str, str]) -> tuple[str, int]:
    """The character the backslash escape at ``text[i]`` stands for, and the offset after it:
    ``\\uXXXX`` (JSON and java.util.Properties alike), a letter of ``escapes``, or any other
    character standing for itself."""
    code = text[i + 1]
    if code == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6]):
        return chr(int(text[i + 2 : i + 6], 16)), i + 6
    return escapes.get(code, code), i + 2


def escaped_by_convention(char: str) -> bool:
    """Whether JSON and YAML writers escape ``char`` as one of a class when they escape it at
    all: a character that is not printable ASCII (Python's ``ensure_ascii``, PyYAML's
    non-printable ones) or HTML-safe output's ``< > & '`` (Go's encoding/json, Rails). A string
    that writes such a character as ``\\uXXXX`` gets inserted ones written so too (issue 13:
    the same encoding); any other character a string escapes (a hand-written ``\\u0070``) is
    no rule of its writer, and inserted text writes it plainly."""
    return not (char.isascii() and char.isprintable()) or char in "<>&'"


def json_carriers(source: SourceFile) -> list[Carrier] | None:
    """Every JSON string (keys too), decoded by RFC 8259's escapes; None when one is unterminated."""
    text = source.text
    carriers = []
    pos = text.find('"')
    while pos != -1:
        decoded: list[str] = []
        offsets: list[int] = []
        escaped: set[str] = set()
        i = pos + 1
        while True:
            if i >= len(text) or text[i] == "\n":
                return None
            char = text[i]
            if char == '"':
                break
            offsets.append(i)
            if char == "\\" and i + 1 < len(text):
                value, after = _backslash(text, i, _JSON_ESCAPES)
                if after == i + 6 and escaped_by_convention(value):
                    escaped.add(value)  # a \uXXXX its writer uses for a class: written so back
                decoded.append(value)
                i = after
                continue
            decoded.append(char)
            i += 1
        offsets.append(i)
        carriers.append(Carrier(source, "".join(decoded), tuple(offsets), _json_encoder(frozenset(escaped))))
        pos = text.find('"', i + 1)
    return carriers


def _json_encoder(escaped: frozenset[str]) -> Encoder:
    """JSON's own escapes (quote, backslash, control characters: what must be), and ``\\uXXXX``
    for the characters this string writes so by its writer's convention (a ``\\u0026`` string
    gets its new ``&`` as ``\\u0026`` too; see escaped_by_convention)."""

    def encode(text: str) -> str:
        out = []
        for char in text:
            if char in escaped:
                out.append(f"\\u{ord(char):04x}")
            elif char in '"\\':
                out.append("\\" + char)
            elif ord(char) < 0x20:
                out.append(f"\\u{ord(char):04x}")
            else:
                out.append(char)
        return "".join(out)

    return encode


# -- TOML --------------------------------------------------------------------------------------

_TOML_ESCAPES = {'"': '"', "\\": "\\", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_TOML_WRITTEN = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}
_TOML_UNICODE = re.compile(r"u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}")


def toml_carriers(source: SourceFile) -> list[Carrier] | None:
    """Every TOML string (keys too) as TOML 1.0 decodes it: basic ``"..."`` with its escapes,
    literal ``'...'`` as written, and their multi-line forms (the newline right after the
    opening quotes trimmed); ``#`` outside strings starts a comment. A multi-line basic string
    with a line-ending backslash (which trims the next line's indentation) is read, never
    written. None when a string is unterminated or an escape is not TOML's (tomllib refuses the
    file; it is read as raw text)."""
    text = source.text
    carriers: list[Carrier] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "#":
            newline = text.find("\n", pos)
            pos = len(text) if newline == -1 else newline
            continue
        if char not in "'\"":
            pos += 1
            continue
        quote = text[pos : pos + 3] if text[pos : pos + 3] in ('"""', "'''") else char
        carrier, pos = _toml_string(source, pos, quote)
        if carrier is None:
            return None
        carriers.append(carrier)
    return carriers


def _toml_string(source: SourceFile, start: int, quote: str) -> tuple[Carrier | None, int]:
    """The string opened by ``quote`` at ``start``, and the offset after its closing quote."""
    text = source.text
    multiline, basic = len(quote) == 3, quote[0] == '"'
    i = start + len(quote)
    if multiline and text.startswith("\r\n", i):
        i += 2
    elif multiline and text.startswith("\n", i):
        i += 1
    decoded: list[str] = []
    offsets: list[int] = []
    escaped: set[str] = set()
    while True:
        if i >= len(text) or (not multiline and text[i] == "\n"):
            return None, len(text)
        if text.startswith(quote, i):
            # A multi-line string may end with one or two quotes of its own before the closing three.
            extra = 0
            while multiline and extra < 2 and text.startswith(quote[0], i + 3 + extra):
                extra += 1
            for _ in range(extra):
                offsets.append(i)
                decoded.append(quote[0])
                i += 1
            break
        offsets.append(i)
        if basic and text[i] == "\\":
            code = text[i + 1 : i + 2]
            if multiline and code in (" ", "\t", "\r", "\n"):
                return _toml_read_only(source, start, quote)  # a line-ending backslash
            unicode = _TOML_UNICODE.match(text, i + 1)
            if unicode is not None:
                point = int(unicode.group(0)[1:], 16)
                if point > 0x10FFFF or 0xD800 <= point < 0xE000:  # not a Unicode scalar value: tomllib refuses it
                    return None, len(text)
                value = chr(point)
                if escaped_by_convention(value):
                    escaped.add(value)
                decoded.append(value)
                i = unicode.end()
                continue
            if code not in _TOML_ESCAPES:
                return None, len(text)
            decoded.append(_TOML_ESCAPES[code])
            i += 2
            continue
        decoded.append(text[i])
        i += 1
    offsets.append(i)
    end = i + len(quote)
    encoder = _toml_basic_encoder(frozenset(escaped), multiline) if basic else _toml_literal_encoder(multiline)
    return Carrier(source, "".join(decoded), tuple(offsets), encoder), end


def _toml_read_only(source: SourceFile, start: int, quote: str) -> tuple[Carrier | None, int]:
    """A multi-line basic string with a line-ending backslash, as tomllib decodes it, read-only."""
    import tomllib

    close = source.text.find(quote, start + len(quote))
    if close == -1:
        return None, len(source.text)
    try:
        value = tomllib.loads("v = " + source.text[start : close + len(quote)])["v"]
    except tomllib.TOMLDecodeError:
        return None, len(source.text)
    return Carrier(source, value, tuple([start] * len(value) + [close]), None), close + len(quote)


def _toml_basic_encoder(escaped: frozenset[str], multiline: bool) -> Encoder:
    """A basic string's escapes: what TOML requires (quote, backslash, control characters; a
    multi-line string keeps its newlines), and ``\\\\uXXXX`` where the string writes a
    character so by its writer's convention (escaped_by_convention)."""

    def encode(value: str) -> str:
        out = []
        for char in value:
            if char in escaped:
                out.append(f"\\u{ord(char):04x}")
            elif multiline and char in "\n\t":
                out.append(char)
            elif char in _TOML_WRITTEN:
                out.append(_TOML_WRITTEN[char])
            elif ord(char) < 0x20 or ord(char) == 0x7F:
                out.append(f"\\u{ord(char):04x}")
            else:
                out.append(char)
        return "".join(out)

    return encode


def _toml_literal_encoder(multiline: bool) -> Encoder:
    """A literal string takes no escape: text holding its quote (or, on one line, a newline) or
    a control character cannot be written there."""

    allowed = "\t\n" if multiline else "\t"

    def encode(value: str) -> str | None:
        if "'" in value or any((ord(char) < 0x20 and char not in allowed) or ord(char) == 0x7F for char in value):
            return None
        return value

    return encode


# -- YAML ------------------------------------------------------------------------------------


def yaml_carriers(source: SourceFile) -> list[Carrier] | None:
    """Every string scalar of every document (comments are not scalars); None when the file is
    not YAML a parser accepts."""
    from yaml.nodes import ScalarNode

    from pgconf_fix.documents import yaml_nodes

    try:
        roots = yaml_nodes.compose_documents(source.text)
    except yaml_nodes.YamlError:
        return None
    carriers = []
    for root in roots:
        for node in yaml_nodes.walk(root):
            if isinstance(node, ScalarNode) and node.tag == yaml_nodes.STR_TAG:
                carrier = _yaml_scalar(source, node)
                if carrier is not None:
                    carriers.append(carrier)
    return carriers


def _yaml_scalar(source: SourceFile, node) -> Carrier | None:
    from pgconf_fix.documents import yaml_nodes

    text = source.text
    start, end = node.start_mark.index, node.end_mark.index
    style = node.style
    if style in ("|", ">"):
        block = yaml_nodes.BlockText.of(source, node)
        if block is None:  # a folded block: read, never written
            return Carrier(source, node.value, tuple([start] * len(node.value) + [end]), None)
        offsets = tuple(block.to_file(i) for i in range(len(block.text) + 1))
        # A literal block writes its text as it is, one line at a time; a new line is not ours to add.
        encoder: Encoder | None = (lambda value: None if "\n" in value else value) if style == "|" else None
        return Carrier(source, block.text, offsets, encoder)
    if not style:  # plain (libyaml's composer says "", PyYAML's None)
        raw = text[start:end]
        if raw != node.value:
            return Carrier(source, node.value, tuple([start] * len(node.value) + [end]), None)  # folded lines
        return identity(source, start, end, _plain_yaml_encoder)
    if style == "'":
        decoded, offsets = [], []
        i = start + 1
        while i < end - 1:
            offsets.append(i)
            if text[i] == "'" and text[i + 1 : i + 2] == "'":
                decoded.append("'")
                i += 2
                continue
            if text[i] == "\n":
                return Carrier(source, node.value, tuple([start] * len(node.value) + [end]), None)
            decoded.append(text[i])
            i += 1
        offsets.append(end - 1)
        if "".join(decoded) != node.value:
            return None
        return Carrier(source, node.value, tuple(offsets), lambda value: value.replace("'", "''"))
    if style == '"':
        return _yaml_double(source, node, start, end)
    return None


def _plain_yaml_encoder(text: str) -> str | None:
    # Characters that would end or change a plain scalar: leave such an edit to a quoted form.
    if " #" in text or ": " in text or "\n" in text:
        return None
    return text


_YAML_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
    "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028",
    "P": "\u2029",
}  # fmt: skip
_YAML_HEX = {"x": 2, "u": 4, "U": 8}


def _yaml_double(source: SourceFile, node, start: int, end: int) -> Carrier | None:
    text = source.text
    decoded: list[str] = []
    offsets: list[int] = []
    escaped: set[str] = set()
    i = start + 1
    while i < end - 1:
        char = text[i]
        if char == "\n":
            return Carrier(source, node.value, tuple([start] * len(node.value) + [end]), None)
        offsets.append(i)
        if char == "\\":
            code = text[i + 1]
            if code in _YAML_HEX:
                width = _YAML_HEX[code]
                value = chr(int(text[i + 2 : i + 2 + width], 16))
                if escaped_by_convention(value):
                    escaped.add(value)
                decoded.append(value)
                i += 2 + width
                continue
            if code not in _YAML_ESCAPES:
                return None
            decoded.append(_YAML_ESCAPES[code])
            i += 2
            continue
        decoded.append(char)
        i += 1
    offsets.append(end - 1)
    if "".join(decoded) != node.value:
        return None
    frozen = frozenset(escaped)

    def encode(value: str) -> str:
        out = []
        for char in value:
            if char in frozen:
                out.append(f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
            elif char in '"\\':
                out.append("\\" + char)
            elif char == "\n":
                out.append("\\n")
            else:
                out.append(char)
        return "".join(out)

    return Carrier(source, node.value, tuple(offsets), encode)


# -- .env --------------------------------------------------------------------------------------

_ENV_LINE = re.compile(r"[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.]*[ \t]*=[ \t]*")
_ENV_DOUBLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$", "'": "'"}


def env_carriers(source: SourceFile) -> list[Carrier]:
    """``KEY=value`` values as docker compose and python-dotenv read them: ``#`` lines are
    comments; a single-quoted value is literal; a double-quoted one takes backslash escapes;
    an unquoted one ends at blanks followed by ``#``."""
    text = source.text
    carriers = []
    for start, end in source.line_spans():
        # compose-go skips a leading byte-order mark (as documents.compose_dotenv reads it).
        match = _ENV_LINE.match(text, start + 1 if start == 0 and text.startswith("\ufeff") else start, end)
        if match is None:
            continue
        pos = match.end()
        quote = text[pos] if pos < end else ""
        if quote == "'":
            close = text.find("'", pos + 1, end)
            if close != -1:
                carriers.append(identity(source, pos + 1, close, lambda value: None if "'" in value else value))
            continue
        if quote == '"':
            carrier = _env_double(source, pos, end)
            if carrier is not None:
                carriers.append(carrier)
            continue
        comment = re.search(r"[ \t]+#", text[pos:end])
        stop = pos + comment.start() if comment else end
        while stop > pos and text[stop - 1] in " \t":
            stop -= 1
        carriers.append(identity(source, pos, stop, lambda value: None if re.search(r"[\s#'\"]", value) else value))
    return carriers


def _env_double(source: SourceFile, pos: int, end: int) -> Carrier | None:
    text = source.text
    decoded: list[str] = []
    offsets: list[int] = []
    i = pos + 1
    while i < end:
        char = text[i]
        if char == '"':
            offsets.append(i)
            return Carrier(source, "".join(decoded), tuple(offsets), _env_double_encode)
        offsets.append(i)
        if char == "\\" and i + 1 < end and text[i + 1] in _ENV_DOUBLE_ESCAPES:
            decoded.append(_ENV_DOUBLE_ESCAPES[text[i + 1]])
            i += 2
            continue
        decoded.append(char)
        i += 1
    return None  # a value running over lines: read by nobody here


def _env_double_encode(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("$", "\\$")


# -- .properties -------------------------------------------------------------------------------

_PROPERTIES_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def properties_carriers(source: SourceFile) -> list[Carrier]:
    """Values of a Java ``.properties`` file as ``java.util.Properties.load`` reads them: ``#``
    and ``!`` lines are comments; ``key=value``, ``key: value`` or ``key value``; backslash
    escapes (``\\uXXXX`` too). A value continued over lines (a trailing backslash) is read-only."""
    text = source.text
    carriers = []
    for start, end in source.line_spans():
        pos = start
        while pos < end and text[pos] in " \t\f":
            pos += 1
        if pos >= end or text[pos] in "#!":
            continue
        while pos < end and text[pos] not in "=: \t\f":
            pos += 2 if text[pos] == "\\" else 1
        while pos < end and text[pos] in " \t\f":
            pos += 1
        if pos < end and text[pos] in "=:":
            pos += 1
            while pos < end and text[pos] in " \t\f":
                pos += 1
        carrier = _properties_value(source, pos, end)
        if carrier is not None:
            carriers.append(carrier)
    return carriers


def _properties_value(source: SourceFile, pos: int, end: int) -> Carrier | None:
    text = source.text
    decoded: list[str] = []
    offsets: list[int] = []
    i = pos
    while i < end:
        offsets.append(i)
        char = text[i]
        if char == "\\":
            if i + 1 >= end:
                return None  # continued on the next line
            value, i = _backslash(text, i, _PROPERTIES_ESCAPES)
            decoded.append(value)
            continue
        decoded.append(char)
        i += 1
    offsets.append(end)
    return Carrier(source, "".join(decoded), tuple(offsets), _properties_encode)


def _properties_encode(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")

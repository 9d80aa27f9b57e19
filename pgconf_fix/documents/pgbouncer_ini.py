"""pgbouncer.ini, read the way PgBouncer's INI parser (libusual ``parse_ini_file``) reads it.

- Leading blanks are skipped; a line whose first non-blank character is ``;`` or ``#``
  is a comment. There are no trailing comments: ``tcp_keepidle = 60 ; note`` has the
  value ``60 ; note``, which PgBouncer refuses (checked on PgBouncer 1.18).
- ``[name]`` opens a section; PgBouncer knows ``databases``, ``users``, ``pgbouncer``
  and (1.19+) ``peers``, case-sensitively: ``[PgBouncer]`` is "invalid section".
- ``key = value``: the key is letters, digits and ``_ . - *``, the ``=`` is required,
  the value runs to the end of the line with trailing blanks removed. A line that
  is none of these is a syntax error and PgBouncer stops loading.
- ``%include file`` reads another file there (a missing one is fatal), in the section the
  including line is in; a section header in it goes on for the rest of the including file.
  The document notes it; the view (pgconf_fix.views.pgbouncer) follows it.

The parser works on any text: a file's, or a block scalar's value in a ConfigMap
(:class:`pgconf_fix.documents.yaml_nodes.BlockText`); offsets are into that text.
Facts: PgBouncer's doc/config.md, and FACTS.md (PgBouncer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SECTIONS = ("databases", "users", "pgbouncer", "peers")
_KEY_CHARS = re.compile(r"[A-Za-z0-9_.\-*]*")
_SAMPLE = re.compile(r"[;#][ \t]*(?P<key>[a-z_]+)[ \t]*=[ \t]*(?P<value>[^\r\n]*?)[ \t\r]*$")


@dataclass(slots=True)
class IniLine:
    """One line: ``kind`` is blank, comment, section, setting, include or error."""

    number: int
    start: int
    end: int
    kind: str
    section: str | None  # the section this line is in (after a header: the header's own name)
    key: str = ""
    key_start: int = 0
    value: str = ""
    value_start: int = 0
    value_end: int = 0
    error: str | None = None


@dataclass(frozen=True)
class CommentedSetting:
    """``;tcp_keepidle = 0`` in a comment: a sample line a fix may uncomment."""

    line: IniLine
    key: str
    marker: int  # offset of the ; or #
    key_start: int
    value_start: int
    value_end: int


def parse_ini(text: str, section: str | None = None) -> list[IniLine]:
    """Every line of ``text``, with the section each one belongs to; ``section`` is the one
    the text starts in (an ``%include``d file continues its includer's section)."""
    lines: list[IniLine] = []
    offset = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        start, end = offset, offset + len(raw)
        offset = end + 1
        if raw.endswith("\r"):
            end -= 1
        body = text[start:end]
        stripped = body.lstrip(" \t\f\v")
        lead = start + len(body) - len(stripped)
        if not stripped.strip():
            lines.append(IniLine(number, start, end, "blank", section))
        elif stripped[0] in ";#":
            lines.append(IniLine(number, start, end, "comment", section))
        elif stripped[0] == "[":
            close = stripped.find("]")
            if close == -1:
                lines.append(IniLine(number, start, end, "error", section, error="a section header without ]"))
                continue
            section = stripped[1:close]
            rest = stripped[close + 1 :].strip()
            error = None
            if rest and rest[0] not in ";#":
                error = f"text after the section header [{section}]"
            elif section not in SECTIONS:
                error = f'invalid section "{section}": PgBouncer knows [databases], [users], [pgbouncer] and [peers]'
            lines.append(IniLine(number, start, end, "error" if error else "section", section, key=section, error=error))
        elif stripped.startswith("%include") and stripped[8:9] in (" ", "\t"):
            # libusual wants a blank after the word: "%includefile" is a syntax error (PgBouncer 1.18).
            lines.append(IniLine(number, start, end, "include", section, value=stripped[8:].strip()))
        else:
            lines.append(_setting(text, number, start, end, lead, section))
    if lines and lines[-1].kind == "blank" and lines[-1].start == len(text):
        lines.pop()
    return lines


def _setting(text: str, number: int, start: int, end: int, lead: int, section: str | None) -> IniLine:
    match = _KEY_CHARS.match(text, lead, end)
    key_end = match.end() if match else lead
    pos = key_end
    while pos < end and text[pos] in " \t":
        pos += 1
    if pos >= end or text[pos] != "=" or key_end == lead:
        return IniLine(number, start, end, "error", section, error="syntax error: expected key = value; PgBouncer stops loading here")
    pos += 1
    while pos < end and text[pos] in " \t":
        pos += 1
    value_end = end
    while value_end > pos and text[value_end - 1] in " \t\f\v\r":
        value_end -= 1
    line = IniLine(number, start, end, "setting", section, key=text[lead:key_end], key_start=lead)
    line.value, line.value_start, line.value_end = text[pos:value_end], pos, value_end
    if section is None:
        line.kind, line.error = "error", f"{line.key} is outside any section"
    return line


def commented_setting(text: str, line: IniLine) -> CommentedSetting | None:
    """The ``key = value`` inside a comment line, if it holds exactly one (``;;`` prose has spaces)."""
    if line.kind != "comment":
        return None
    body = text[line.start : line.end]
    marker = line.start + len(body) - len(body.lstrip(" \t"))
    match = _SAMPLE.match(text, marker, line.end)
    if match is None or text[marker + 1 : marker + 2] in (";", "#"):
        return None
    return CommentedSetting(
        line, match.group("key"), marker, match.start("key"), match.start("value"), match.end("value")
    )


# -- [databases] connection strings ------------------------------------------------------


@dataclass(frozen=True)
class ConnParam:
    key: str
    value: str
    start: int
    end: int


def parse_connstr(text: str, start: int, end: int) -> list[ConnParam] | str:
    """PgBouncer's ``key=value`` list of a [databases] entry; a string is the reason it cannot be read.

    Values may be single-quoted (``''`` embeds a quote, as in PgBouncer's parser).
    """
    params: list[ConnParam] = []
    pos = start
    while True:
        while pos < end and text[pos] in " \t":
            pos += 1
        if pos >= end:
            return params
        key_start = pos
        while pos < end and (text[pos].isalnum() or text[pos] == "_"):
            pos += 1
        key = text[key_start:pos]
        while pos < end and text[pos] in " \t":
            pos += 1
        if not key or pos >= end or text[pos] != "=":
            return f"cannot read the connection string near {text[key_start:key_start + 20]!r}"
        pos += 1
        while pos < end and text[pos] in " \t":
            pos += 1
        if pos < end and text[pos] == "'":
            value_chars = []
            pos += 1
            while True:
                if pos >= end:
                    return "an unterminated quote in the connection string"
                if text[pos] == "'":
                    if pos + 1 < end and text[pos + 1] == "'":
                        value_chars.append("'")
                        pos += 2
                        continue
                    pos += 1
                    break
                value_chars.append(text[pos])
                pos += 1
            value = "".join(value_chars)
        else:
            value_start = pos
            while pos < end and text[pos] not in " \t":
                pos += 1
            value = text[value_start:pos]
        params.append(ConnParam(key, value, key_start, pos))

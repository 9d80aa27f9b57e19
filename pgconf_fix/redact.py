"""Passwords out of anything printed: the one redactor of the program.

Every message, fix description, edit shown in JSON/SARIF, stderr ``error:`` line and
``--live`` error passes through here. It recognises a password by its carrier:

- URI user information, ``scheme://user:PASSWORD@host`` (libpq ends the user
  information at the first ``@`` or ``/``: libpq's ``conninfo_uri_parse_options``; the
  mask runs to the last ``@``, for passwords that hold an unencoded one);
- ``password=``, ``sslpassword=``, ``PGPASSWORD=``, ``DB_PASSWORD=``, ``dbpassword=``... in key=value
  strings, URL and JDBC queries, environment files and Python keyword arguments,
  quoted (with backslash escapes or the doubled quotes of postgresql.conf and SQL)
  or not;
- a quoted dictionary key ``"PASSWORD": "..."`` (Django ``DATABASES``).

A carrier's own escapes may sit on top of libpq's: in a Python literal ``'password=ab`` two
backslashes, a blank, ``cd'`` is libpq's ``ab``, one backslash, a blank, ``cd``: one value.
So each line that may hold a password, and each string literal on it, is also decoded the
ways carriers decode (backslash escapes with Python's unknown ones kept, or with their
backslash dropped as JSON, YAML, HCL, TOML, postgresql.conf and .properties do; SQL's doubled
quotes), the patterns run on the decoded text, and what they find is mapped back to the bytes
it came from (_carrier_spans). A password is the union of every reading.

Quoted values run to a closing quote followed by a delimiter, or to the end of the line:
a password holding quotes, ``''``, backslashes, ``@`` or spaces is masked whole, at the
cost of masking a little more than needed when the text is malformed. The quote that closes
a string holding the connection string (``'host=h password=***'``, a message's
``near token "'...password=***'"``) is not the password's and stays (see _value_pattern).

``secrets(text)`` lists the passwords of a whole file, raw and decoded (quotes removed,
escapes undone, percent-decoded), so that a message quoting a piece of the file (a parse
error's token, cut short) is masked even where the carrier is out of sight. Files are
never touched: ``--diff`` and ``--write`` show and write them as they are.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

MASK = "***"
PARSE_ERROR = "PGF001"  # its messages quote the file's own text: pieces of passwords are masked too
# Known secrets shorter than this are masked only where a carrier shows them: masking
# every "ab" of a message would make it unreadable and protect little.
MIN_KNOWN_LENGTH = 4
FRAGMENT = 6  # the shortest piece of a known password that is masked on its own

# Names pgconf-fix's own messages use that a password may overlap: "postgres" is in
# "postgresql.conf" and "PostgreSQL", "Bouncer" in "PgBouncer". Such a name is printed
# whatever the password is, so masking a piece of it ("P***SQL") would only tell a reader
# which letters the password holds. A known password, or a piece of one, that lies wholly
# inside one of them written as a whole word, and is shorter than it, is left as it is;
# anything else (the whole name, more than it, or a name glued to other letters) is masked.
# "postgres" alone is no such name: it is a common password, and as a whole word it is masked.
OWN_WORDS = (
    "PostgreSQL", "PgBouncer", "pgbouncer.ini", "pgbouncer", "postgresql.conf", "postgresql.auto.conf",
    "pg_hba.conf", "SQLAlchemy", "psycopg2", "psycopg", "libpq",
)  # fmt: skip


# The patterns below are compiled when first used (functools.cache): most runs on one file
# mask nothing, and compiling them was ~3 % of a postgresql.conf run's instructions (issue 18).
@functools.cache
def _own_word() -> re.Pattern[str]:
    return re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(word) for word in sorted(OWN_WORDS, key=len, reverse=True)) + r")(?![\w])")


# libpq ends an unquoted value at isspace(): ASCII blanks only (a no-break space is part of it).
_BLANKS = " \t\n\r\f\v"
_DELIMITER = r"(?:[ \t\n\r\f\v,;&)}\]]|$)"
# scheme://user:password@ -- libpq ends it at the first "@" or "/"; masked to the last "@"
# before the host, so that an unencoded "@" in a password does not leave its tail shown.
# The scheme is not required: a parse error's token may start at "://", or the scheme
# may be glued to text before it ("180postgresql://u:pw@h", found by the fuzz).
@functools.cache
def _uri_password() -> re.Pattern[str]:
    return re.compile(r"://[^\s/@:]*:(?P<secret>[^/?#\r\n]+)(?=@)")


@functools.cache
def _keywords() -> tuple[tuple[re.Pattern[str], str], ...]:
    """The keywords whose value is a password, each with the template of its unquoted value
    (the value itself is read by _value_pattern)."""
    return (
        # password=..., sslpassword=..., PGPASSWORD=..., DB_PASSWORD=..., pass=..., passwd=...
        (
            re.compile(
                r"(?:(?<![A-Za-z0-9])(?:PG)?(?:ssl)?pass(?:word|wd)?|[A-Za-z0-9_]+pass(?:word|wd))[ \t]*=[ \t]*",
                re.IGNORECASE,
            ),
            r"(?:{escape}|{pair}{stop}[^{ends}])+",
        ),
        # "PASSWORD": "..." (a Python or JSON dictionary), password: ... (YAML)
        (
            re.compile(r"(?<![A-Za-z0-9])(?P<k>['\"]?)(?:[A-Za-z0-9_]*_)?(?:ssl)?pass(?:word|wd)?(?P=k)[ \t]*:[ \t]*", re.IGNORECASE),
            r"(?:{pair}{stop}[^{ends},}#])+",
        ),
    )


@functools.lru_cache(maxsize=None)
def _value_pattern(unquoted: str, enclosing: str, ends: str = _BLANKS) -> re.Pattern[str]:
    """A password value after its keyword: quoted, running to a closing quote followed by a
    delimiter (or to the end of the line), or unquoted (``unquoted``, a template whose
    ``{stop}`` is where it must end early).

    ``enclosing``: the quotes of strings still open before the keyword on its line, innermost
    first (a DSN in a postgresql.conf, SQL or Python string; in a message's ``"'...'"``).
    The innermost one, or it and the next (``'"``), followed by a delimiter, closes those
    strings: libpq never reads them, so the value ends before and the quotes stay readable.
    The same quote doubled (postgresql.conf and SQL's escape) or after a backslash closes
    nothing and stays in the value, and a value quoted with the doubled quote (libpq's
    ``'abc'`` written in a conf string as ``''abc''``) ends with it doubled. Anything the
    patterns cannot place is masked to the end of its line, never shown.

    ``ends``: what ends an unquoted value. libpq's key=value reading runs to a blank (``&``
    and ``;`` are part of the value); after a URL query's ``?`` or ``&`` (or a ``;``-separated
    string's ``;``) they end it too.
    """
    end, stop, doubled_value, pair, escape = _DELIMITER, "", "", "", r"\\."
    if enclosing:
        run = "(?:" + "|".join(re.escape(enclosing[:n]) for n in range(len(enclosing), 0, -1)) + ")"
        end = f"(?:{run}?{_DELIMITER})"
        stop = f"(?!{run}{_DELIMITER})"
        pairs = "|".join(quote * 2 for quote in enclosing)
        pair = f"{pairs}|"
        escape = f"\\\\(?:{pairs}|.)"
        doubled_value = (
            f"(?P<d>[{re.escape(enclosing)}])(?P=d)(?:{escape}|(?!(?P=d){{2}}{end}).)*(?:(?P=d){{2}}|$)|"
        )
    quoted = f"(?P<q>['\"])(?:{escape}|(?!(?P=q){end}).)*(?:(?P=q)|$)"
    value = unquoted.replace("{escape}", escape).replace("{pair}", pair).replace("{stop}", stop)
    value = value.replace("{ends}", "".join(re.escape(char) if char in "&;" else char for char in ends))
    return re.compile(doubled_value + quoted + "|" + value, re.MULTILINE)


@functools.cache
def _letter() -> re.Pattern[str]:
    return re.compile(r"[^\W\d_]")


@functools.cache
def _string_prefix() -> re.Pattern[str]:
    return re.compile(r"[rbuf]|rb|br|rf|fr", re.IGNORECASE)  # Python's r'...', f'...'


@dataclass(frozen=True, eq=False)
class _LineQuotes:
    """The quotes of one line for _enclosing: each quote's offset, and per quote kind the
    count and last offset of those before each one. An apostrophe between letters counts as
    no quote once the letter after it is before the asked offset (``after``)."""

    offsets: list[int]
    after: list[int]  # the offset of the letter after an apostrophe, else -1
    counts: dict[str, list[int]]  # quotes of the kind among the first n, apostrophes left out
    last: dict[str, list[int]]  # the offset of the last of them (-1: none)


@functools.lru_cache(maxsize=8)
def _line_quotes(text: str, line: int) -> _LineQuotes:
    """The quotes of the line of ``text`` that starts at offset ``line``."""
    end = len(text)
    for stop in ("\n", "\r"):
        found = text.find(stop, line)
        end = found if found != -1 and found < end else end
    letter = _letter()
    kept: list[tuple[int, str]] = []  # characters left once backslash escapes are removed
    at = line
    while at < end:
        if text[at] == "\\" and at + 1 < end:
            at += 2
            continue
        kept.append((at, text[at]))
        at += 1
    offsets: list[int] = []
    after: list[int] = []
    counts: dict[str, list[int]] = {"'": [0], '"': [0]}
    last: dict[str, list[int]] = {"'": [-1], '"': [-1]}
    for index, (offset, char) in enumerate(kept):
        if char not in "'\"":
            continue
        letter_after = -1
        if char == "'" and index + 1 < len(kept) and letter.match(kept[index + 1][1]):
            run = index
            while run > 0 and letter.match(kept[run - 1][1]):
                run -= 1
            if run < index and not _string_prefix().fullmatch("".join(c for _, c in kept[run:index])):
                letter_after = kept[index + 1][0]
        offsets.append(offset)
        after.append(letter_after)
        for kind in "'\"":
            counted = kind == char and letter_after == -1
            counts[kind].append(counts[kind][-1] + counted)
            last[kind].append(offset if counted else last[kind][-1])
    return _LineQuotes(offsets, after, counts, last)


def _enclosing(text: str, at: int) -> str:
    """The quotes opened an odd number of times on ``at``'s line before it, the one opened
    last first; backslash-escaped ones and an apostrophe between letters (``server's``; a
    Python string prefix ``r'`` excepted) are no quotes here. (The line's quotes are read
    once, _line_quotes: a long line with many passwords is not read again for each.)"""
    line = max(text.rfind("\n", 0, at), text.rfind("\r", 0, at)) + 1
    quotes = _line_quotes(text, line)
    n = bisect.bisect_left(quotes.offsets, at)
    count = {kind: quotes.counts[kind][n] for kind in "'\""}
    last = {kind: quotes.last[kind][n] for kind in "'\""}
    if n and quotes.after[n - 1] >= at:  # an apostrophe whose letter is not before ``at``: a quote here
        count["'"] += 1
        last["'"] = quotes.offsets[n - 1]
    opened = [kind for kind in "'\"" if count[kind] % 2]
    return "".join(sorted(opened, key=last.__getitem__, reverse=True))


@functools.cache
def _reference() -> re.Pattern[str]:
    return re.compile(r"^['\"]?(?:\$\{|\{\{|\{|%\(|\$[A-Za-z_])|environ|getenv|\bsettings\.|\bconfig\.")


def _hinted(text: str) -> bool:
    """Whether ``text`` holds what every match of the patterns holds: "://" (_uri_password) or
    "pass" (_keywords) in any case the patterns' IGNORECASE accepts. Every character ``re`` takes
    for p, a or s when ignoring case casefolds to it (``ſ`` U+017F to s included;
    tests/test_secrets.py checks every code point), so a casefolded copy holds "pass" wherever
    a pattern could match. One look spares most files the three patterns (12x on Python
    files); an IGNORECASE search for the same was ten times slower than this look, and a
    third of a cached run's report (336 files, 16 ms)."""
    return "://" in text or "pass" in text.casefold()


def _keyword_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of the lines of ``text`` (split at CR and LF) that hold "pass" as _hinted
    looks for it: a match of _keywords() holds it and no line break, so it lies in one of these."""
    return [line.span() for line in re.finditer(r"[^\r\n]+", text) if "pass" in line.group().casefold()]


def _keyword_search(keyword: re.Pattern[str], text: str, pos: int, lines: list[tuple[int, int]]) -> re.Match[str] | None:
    """``keyword.search(text, pos)``, looking only in ``lines`` (``_keyword_lines(text)``): the
    first match there is the first anywhere. Within a line the search ends at the line's end,
    where the pattern could not go on either; its lookbehind still reads before the start.
    Searching the whole module was a tenth of the Python layer's check of a module with a
    ``pass`` statement (the second pattern backtracks in every word)."""
    first = max(bisect.bisect_right(lines, (pos, len(text) + 1)) - 1, 0)  # the last line starting at or before pos
    for start, end in lines[first:]:
        if end <= pos:
            continue
        found = keyword.search(text, max(start, pos), end)
        if found is not None:
            return found
    return None


def _written_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every password the patterns read in ``text`` as it is written."""
    spans = []
    for match in _uri_password().finditer(text):
        spans.append(match.span("secret"))
    lines = _keyword_lines(text)
    for keyword, unquoted in _keywords():
        pos = 0
        while (found := _keyword_search(keyword, text, pos, lines)) is not None:
            ends = _BLANKS + "&;" if text[found.start() - 1 : found.start()] in ("?", "&", ";") else _BLANKS
            value = _value_pattern(unquoted, _enclosing(text, found.start()), ends).match(text, found.end())
            if value is None or value.end() == found.end():
                pos = found.start() + 1
                continue
            spans.append(value.span())
            pos = value.end()
    return spans


# Backslash escapes as carriers decode them (Python, JSON, YAML, HCL, TOML, postgresql.conf,
# .properties); \x, \u and \U take hex digits, and a \u surrogate pair is one character.
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "a": "\a", "e": "\x1b", "0": "\0", " ": " "}
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}


@functools.cache
def _hex() -> re.Pattern[str]:
    return re.compile(r"[0-9a-fA-F]+")


# The ways a carrier decodes a string: an unknown backslash escape kept whole (Python, .env's
# double quotes) or its backslash dropped (JSON, YAML, HCL, TOML, postgresql.conf,
# .properties); or no backslash escapes, a doubled quote being one (SQL, YAML's single quotes).
KEEP, DROP, DOUBLED = "keep", "drop", "doubled"


def _hex_at(text: str, at: int, width: int) -> int | None:
    digits = text[at : at + width]
    return int(digits, 16) if len(digits) == width and _hex().fullmatch(digits) else None


def _decode(text: str, start: int, end: int, way: str, quote: str = "") -> tuple[str, list[int]]:
    """``text[start:end]`` as a carrier decodes it (``way``: KEEP, DROP or DOUBLED; ``quote``
    doubled is one quote, except with KEEP; no ``quote``: a whole line), and where each decoded
    character came from: one offset in ``text`` a character, then ``end``."""
    out: list[str] = []
    origin: list[int] = []
    at = start
    while at < end:
        char = text[at]
        origin.append(at)
        if quote and way != KEEP and char == quote and at + 1 < end and text[at + 1] == quote:
            out.append(quote)
            at += 2
            continue
        if char != "\\" or way == DOUBLED or at + 1 >= end:
            out.append(char)
            at += 1
            continue
        code = text[at + 1]
        width = _HEX_DIGITS.get(code, 0)
        point = _hex_at(text, at + 2, width) if width else None
        if point is not None:
            at += 2 + width
            low = _hex_at(text, at + 2, 4) if 0xD800 <= point < 0xDC00 and text[at : at + 2] == "\\u" else None
            if low is not None and 0xDC00 <= low < 0xE000:
                point = 0x10000 + ((point - 0xD800) << 10) + (low - 0xDC00)
                at += 6
            out.append(chr(point) if point <= 0x10FFFF else "\ufffd")
        elif code in "\r\n":  # a line continuation
            origin.pop()
            at += 2
        elif code in "01234567" and (octal := re.match(r"[0-7]{1,3}", text[at + 1 : end])):
            out.append(chr(int(octal.group(0), 8)))
            at += 1 + len(octal.group(0))
        elif code in _ESCAPES and not (code == " " and way == KEEP):
            out.append(_ESCAPES[code])
            at += 2
        elif (way == KEEP and code not in "\\'\"") or (not quote and code in "'\""):
            # Python keeps an unknown escape; a line decoded whole keeps its quotes escaped, so
            # that they stay out of the quoting around the password (_enclosing).
            out.append("\\")
            origin.append(at + 1)
            out.append(code)
            at += 2
        else:
            out.append(code)
            at += 2
    origin.append(end)
    return "".join(out), origin


def _literal_end(text: str, open_at: int, stop: int, way: str) -> int | None:
    """Where the string opened by the quote at ``open_at`` closes (its closing quote's offset),
    read ``way``; None when it does not close before ``stop``. A backslash escape, or with
    DROP and DOUBLED a doubled quote, is skipped whole, its second character even at ``stop``."""
    found = _literal_body(text[open_at], way).match(text, open_at + 1, stop + 1)
    return found.end() - 1 if found is not None and found.end() - 1 < stop else None


@functools.cache
def _literal_body(quote: str, way: str) -> re.Pattern[str]:
    """A string's body read ``way`` up to its closing ``quote`` (possessive: an escape or a
    doubled quote is never taken apart to close the string early)."""
    q = re.escape(quote)
    steps = {KEEP: rf"\\[\s\S]|[^\\{q}]", DROP: rf"\\[\s\S]|{q}{q}|[^\\{q}]", DOUBLED: rf"{q}{q}|[^{q}]"}[way]
    return re.compile(rf"(?:{steps})*+{q}")


@functools.cache
def _quote() -> re.Pattern[str]:
    return re.compile("['\"]")


def _carrier_spans(text: str, start: int, end: int, depth: int) -> tuple[list[tuple[int, int, str]], set[int]]:
    """Passwords in the line ``text[start:end]`` read through carrier decodings: each string
    literal on it decoded each way that closes it on the line (every quote is tried as an
    opening one: a wrong guess only adds a reading), and, at the top level, the line decoded
    whole for values outside any string (a .properties value). ``(start, end, as decoded)``
    in ``text``'s offsets, and the starts of the values read inside a string literal."""
    regions = [(start, end, DROP, "")] if depth == 0 else []
    for opening in _quote().finditer(text, start, end):
        open_at = opening.start()
        for way in (KEEP, DROP, DOUBLED):
            # A string that does not close on its line is not one this way reads.
            if (close := _literal_end(text, open_at, end, way)) is not None:
                regions.append((open_at + 1, close, way, text[open_at]))
    found = []
    inside: set[int] = set()
    for first, last, way, quote in regions:
        region = text[first:last]
        if "\\" not in region and not (quote and quote * 2 in region):
            continue  # decodes to itself: read as written already
        decoded, origin = _decode(text, first, last, way, quote)
        for inner_start, inner_end, read in _found(decoded, depth + 1):
            # The line decoded whole reads a value outside any string on it; one inside a string
            # is the literals' to read, as their carrier decodes them.
            if not quote and _enclosing(text, origin[inner_start]):
                continue
            # A value that runs to the end of the decoded text having swallowed the quote closing a
            # string around it, or as a quoted value that never closes, is a way this text is
            # not decoded (or a string libpq refuses): what is written is masked as written.
            if inner_end == len(decoded) and (_enclosing(decoded, inner_start) or _unclosed(read)):
                continue
            found.append((origin[inner_start], origin[inner_end], read))
            if quote:
                inside.add(origin[inner_start])
    return found, inside


def _unclosed(value: str) -> bool:
    """Whether ``value`` opens with a quote and does not end with the same quote unescaped."""
    if value[:1] not in ("'", '"'):
        return False
    body = value[1:-1] if len(value) >= 2 and value[-1] == value[0] else None
    return body is None or (len(body) - len(body.rstrip("\\"))) % 2 == 1


# One carrier's escapes over libpq's are undone; a second (a conf line in a YAML string) is not.
_CARRIER_DEPTH = 1


def _found(text: str, depth: int = 0) -> list[tuple[int, int, str]]:
    """``(start, end, as read)`` of every password in ``text``: as written, and through the
    carrier decodings of each line that may hold one and has something to decode (escapes
    within escapes down to _CARRIER_DEPTH). A value inside a string literal is read through
    the literal's decodings only, the carriers that string can be (read as written, a Python
    ``'password=\\'a"b\\''`` ran past its closing quote)."""
    written = [(start, end, text[start:end]) for start, end in _written_spans(text)]
    if depth >= _CARRIER_DEPTH or not ("\\" in text or "''" in text or '""' in text):
        return written
    decoded: list[tuple[int, int, str]] = []
    inside: set[int] = set()
    for line in re.finditer(r"[^\r\n]+", text):
        if _hinted(line.group(0)):
            spans, starts = _carrier_spans(text, line.start(), line.end(), depth)
            decoded += spans
            inside |= starts
    return [span for span in written if span[0] not in inside] + decoded


def secret_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of every password the patterns recognise in ``text``, as written or
    through a carrier's decoding (_found), merged."""
    return _merged(_found(text)) if _hinted(text) else []


def _merged(found: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    spans = sorted((start, end) for start, end, _ in found)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@functools.cache
def _escaped() -> re.Pattern[str]:
    return re.compile(r"\\(.)")


def _decoded(raw: str) -> set[str]:
    """A password as written and as each consumer reads it: unquoted, unescaped, percent-decoded.

    Three rounds (conf or SQL quoting around libpq quoting around the password), each reading
    only the forms the round before found: a form read once gives the same forms again."""
    escaped = _escaped()
    forms = {raw}
    new = [raw]
    for _ in range(3):
        found = []
        for inner in new:
            if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                inner = inner[1:-1]
            elif inner[:1] in ("'", '"'):
                inner = inner[1:]
            for form in (inner, inner.replace("''", "'"), escaped.sub(r"\1", inner), unquote(inner)):
                if form not in forms:
                    forms.add(form)
                    found.append(form)
        new = found
    return forms


def secrets(text: str) -> frozenset[str]:
    """Every password in ``text`` in each form it may be printed in (see ``_decoded``).

    A value that is a reference, not a password (``${DB_PASSWORD}``, ``{{ vault }}``,
    ``os.environ['PGPASSWORD']``, ``%(password)s``), is left out: its pieces are code that
    messages quote for other reasons.
    """
    found: set[str] = set()
    readings = _found(text) if _hinted(text) else []
    # Each password as written (the merged spans) and as each carrier decoding read it (a JSON
    # "\u00e9", a Python "\\ " are printed decoded); a reading as written is most often the
    # span itself, and a string is read once.
    values = dict.fromkeys(text[start:end] for start, end in _merged(readings))
    values.update(dict.fromkeys(read for _, _, read in readings))
    for value in values:
        if not _reference().search(value):
            found |= _decoded(value)
    # As a parser's message quotes a token: Python's repr (the HCL parser's "unexpected '...'"
    # escapes quotes and backslashes; found by the fuzz) and JSON's escapes.
    found |= {repr(form)[1:-1] for form in found} | {json.dumps(form)[1:-1] for form in found}
    return frozenset(form for form in found if len(form.strip("'\" ")) >= MIN_KNOWN_LENGTH)


def redact(text: str, known: Iterable[str] = (), fragments: bool = False) -> str:
    """``text`` with every password it carries, and every ``known`` one, replaced by ``***``.

    With ``fragments``, a piece of a known password (FRAGMENT characters or more) is masked
    too: a parse error quotes the file where a password was cut or pasted twice, out of its
    carrier. Other messages are written by us and quote names, not stray file text.
    """
    known = sorted((secret for secret in known if len(secret) >= MIN_KNOWN_LENGTH), key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = _mask_known(text, secret)
    if known and fragments:
        text = _mask_fragments(text, known)
    pieces = []
    cursor = 0
    for start, end in secret_spans(text):
        pieces.append(text[cursor:start])
        pieces.append(MASK)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


# Stands for a path while the text around it is redacted (redact_around); a text that holds
# either character is redacted whole instead.
_HELD_OPEN, _HELD_CLOSE = "\ue000", "\ue001"


def redact_around(text: str, paths: Iterable[str]) -> str:
    """``redact(text)`` for a line that quotes the file names ``paths`` (``warning: PATH: not
    checked: ...``): each name is redacted on its own, so a password it holds is masked, and
    the rest without them, so a name that is a password keyword (``passwd``, ``db_password``)
    is not read as the key of the words after it (``passwd: not checked`` was
    ``passwd: *** checked``)."""
    names = sorted({path for path in paths if path}, key=len, reverse=True)
    if not names or _HELD_OPEN in text or _HELD_CLOSE in text:
        return redact(text)
    held: list[str] = []

    def hold(found: re.Match[str]) -> str:
        held.append(redact(found.group()))
        return f"{_HELD_OPEN}{len(held) - 1}{_HELD_CLOSE}"

    masked = redact(re.sub("|".join(map(re.escape, names)), hold, text))
    return re.sub(f"{_HELD_OPEN}(\\d+){_HELD_CLOSE}", lambda found: held[int(found.group(1))], masked)


def _own_words(text: str) -> list[tuple[int, int]]:
    """(start, end) of each OWN_WORDS name written as a whole word in ``text``."""
    return [match.span() for match in _own_word().finditer(text)]  # only asked where a known password is


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``start:end`` lies inside one of ``spans`` and is shorter than it (a password that
    is a whole own word is masked like any other)."""
    return any(first <= start and end <= last and end - start < last - first for first, last in spans)


def _mask_known(text: str, secret: str) -> str:
    """``text`` with each occurrence of ``secret`` masked, except one wholly inside an own word."""
    words = _own_words(text)
    if not words:
        return text.replace(secret, MASK)
    pieces = []
    cursor = 0
    at = text.find(secret)
    while at != -1:
        if not _inside(words, at, at + len(secret)):
            pieces.append(text[cursor:at])
            pieces.append(MASK)
            cursor = at + len(secret)
        at = text.find(secret, at + len(secret) if cursor > at else at + 1)
    pieces.append(text[cursor:])
    return "".join(pieces)


def _mask_fragments(text: str, known: list[str]) -> str:
    hidden = [False] * len(text)
    words = _own_words(text)
    for start in range(len(text) - FRAGMENT + 1):
        window = text[start : start + FRAGMENT]
        if MASK in window or (words and _inside(words, start, start + FRAGMENT)):
            continue
        if any(window in secret for secret in known):
            hidden[start : start + FRAGMENT] = [True] * FRAGMENT
    if not any(hidden):
        return text
    pieces = []
    for index, char in enumerate(text):
        if not hidden[index]:
            pieces.append(char)
        elif index == 0 or not hidden[index - 1]:
            pieces.append(MASK)
    return "".join(pieces)


def excerpt(text: str, start: int, end: int, limit: int) -> str:
    """``text[start:end]`` for a message, passwords masked first (seen in the whole ``text``,
    so a token that holds only part of a carrier is still masked), then cut to ``limit``."""
    pieces = []
    cursor = start
    for secret_start, secret_end in secret_spans(text):
        if secret_end <= start or secret_start >= end:
            continue
        pieces.append(text[cursor : max(cursor, secret_start)])
        pieces.append(MASK)
        cursor = max(cursor, min(secret_end, end))
    pieces.append(text[cursor:end])
    shown = redact("".join(pieces), secrets(text), fragments=True)
    return shown[:limit]

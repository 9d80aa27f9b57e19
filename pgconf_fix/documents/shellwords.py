"""A command string as compose splits it into arguments: go-shellwords v1.0.12's ``Parse``.

compose-go turns a string ``command:`` into its argument list with ``shellwords.Parse(v)``
(compose-spec/compose-go ``types/command.go``, ``ShellCommand.DecodeMapstructure``; its
``go.mod`` pins mattn/go-shellwords v1.0.12). ``Parse`` uses ``NewParser()``, whose
``ParseEnv`` and ``ParseBacktick`` are the package defaults, both false. Read from
go-shellwords v1.0.12's ``shellwords.go`` (``Parser.Parse``) and checked against it: the
table test in tests/test_shellwords.py cites its cases, and the same file runs the real
go-shellwords v1.0.12 (tests/goshellwords) on them and on generated strings when Go and the
module can be had. What that parser does, character by character:

- Blanks are space, tab, CR and LF; outside quotes they end a word.
- A backslash outside single quotes takes the next character as it is, whatever it is, inside
  double quotes too: ``"a\\nb"`` is ``anb``, ``"\\x"`` is ``x`` (a POSIX shell keeps
  ``\\x`` there). Inside single quotes a backslash is itself. A backslash that ends the
  string is an error.
- ``'...'`` and ``"..."`` quote; ``""`` and ``''`` are an empty argument. A quote left open
  is an error.
- ``$VAR`` and ``${VAR}`` stay as written (no ``ParseEnv``); compose's own interpolation of
  the file comes before and is not this module's business.
- A backtick outside single and double quotes opens or closes a backtick region; the backticks
  stay in the word, blanks and ``; & | < > ( )`` inside are kept, but ``"`` and ``'`` still
  quote (and vanish). One left open is an error.
- ``$(`` (a ``(`` right after a word that so far ends in ``$``) opens a region that a ``)``
  closes: all of it is kept as written, blanks included; quotes are plain characters in it and
  a ``(`` in it is an error. Any other ``(`` outside quotes is an error. A ``)`` outside quotes
  and with no ``$(`` open does not fail at once: v1.0.12 toggles the same region, so it is kept
  as a character and opens a region that the next ``)`` closes; left open it is an error
  (``a)b)`` is one argument, ``a)`` an error; go-shellwords v1.0.13 refuses every bare ``)``).
- ``; & | < >`` outside quotes and regions stop the parse: ``Parse`` returns the words before
  them with no error, and compose runs those and drops the rest of the string. Before ``>``,
  a word being read whose first character is a digit (``2>``, ``12x>``) is dropped too.
- Every error is go-shellwords' ``invalid command line string``.

Offsets here are indexes into the Python string (code points), as go-shellwords counts runes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BLANKS = " \t\r\n"
STOPS = ";&|<>"
# go-shellwords' one message for every string it refuses.
GO_SHELLWORDS_ERROR = "invalid command line string"


class UnsplittableCommand(ValueError):
    """A command string go-shellwords refuses (``invalid command line string``), so compose
    refuses the file.

    ``offset`` is where the trouble starts in the string (the quote or region never closed, the
    backslash that ends it, the ``(`` it cannot take); the message says what it is."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(reason)
        self.offset = offset


@dataclass(frozen=True)
class ShellWord:
    """One argument: ``value``, and ``start``-``end``, the part of the string that makes it
    (quotes and escapes included). ``plain``: that part is the value itself, character for
    character. ``places``: the offset in the string of each character of ``value`` (an escaped
    one's, not its backslash's)."""

    value: str
    start: int
    end: int
    plain: bool
    places: tuple[int, ...] = field(default=(), compare=False)  # where each value character is in the string


@dataclass(frozen=True)
class Stop:
    """Where go-shellwords stopped reading: ``offset`` of the ``; & | < >`` (``char``) it
    stopped at; ``dropped``: the part of the string before it that was being read as a word and
    is dropped (a word starting with a digit before ``>``, as in ``2>``), or ""."""

    offset: int
    char: str
    dropped: str = ""

    @property
    def position(self) -> int:
        """go-shellwords' ``Parser.Position`` for this stop (one less when a word was dropped)."""
        return self.offset - 1 if self.dropped else self.offset


@dataclass(frozen=True)
class Split:
    """What go-shellwords makes of a string: ``words`` (the arguments compose passes) and
    ``stop`` (None when it read the whole string)."""

    words: tuple[ShellWord, ...]
    stop: Stop | None

    @property
    def values(self) -> list[str]:
        return [word.value for word in self.words]


_NO, _SINGLE, _QUOTED = 0, 1, 2  # no word being read; one read as written; one with quotes


def split_command(text: str) -> Split:
    """Split ``text`` as go-shellwords v1.0.12's ``Parse`` does with compose's defaults.

    Returns the words and where the parse stopped; raises UnsplittableCommand where ``Parse``
    returns its error (the reasons and the rules: the module's docstring)."""
    words: list[ShellWord] = []
    chars: list[str] = []
    places: list[int] = []  # the offset in ``text`` of each of ``chars``
    got = _NO
    start = -1  # where the word being read begins
    escaped = single = double = back = dollar = False
    opened = {"'": -1, '"': -1, "`": -1, "$(": -1}  # where each open quote or region began
    escape_at = -1
    stop: Stop | None = None

    def finish(end: int) -> None:
        value = "".join(chars)
        words.append(ShellWord(value, start, end, text[start:end] == value, tuple(places)))

    for index, char in enumerate(text):
        if escaped:
            chars.append(char)
            places.append(index)
            escaped = False
            got = _SINGLE
            continue
        if start < 0 and not (single or double or back or dollar) and char not in BLANKS:
            start = index
        if char == "\\":
            if single:
                chars.append(char)
                places.append(index)
            else:
                escaped, escape_at = True, index
            continue
        if char in BLANKS:
            if single or double or back or dollar:
                chars.append(char)
                places.append(index)
            elif got != _NO:
                finish(index)
                chars, places, got, start = [], [], _NO, -1
            else:
                start = -1
            continue
        if char == "`" and not (single or double or dollar):
            back = not back
            opened["`"] = index if back else -1
        elif char == ")" and not (single or double or back):
            dollar = not dollar  # v1.0.12: a bare ")" opens the region a later ")" closes
            opened["$("] = index if dollar else -1
        elif char == "(" and not (single or double or back):
            if not dollar and chars and chars[-1] == "$":
                dollar = True
                opened["$("] = index
                chars.append(char)
                places.append(index)
                continue
            if dollar:
                raise UnsplittableCommand(index, "a ( inside $( ... ) is not taken")
            raise UnsplittableCommand(index, "a ( outside quotes that does not follow a $ is not taken")
        elif char == '"' and not (single or dollar):
            if double:
                got = _QUOTED
            double = not double
            opened['"'] = index if double else -1
            continue
        elif char == "'" and not (double or dollar):
            if single:
                got = _QUOTED
            single = not single
            opened["'"] = index if single else -1
            continue
        elif char in STOPS and not (single or double or back or dollar):
            dropped = ""
            # go-shellwords looks at the first byte of the word read so far: an ASCII digit.
            if char == ">" and chars and chars[0] in "0123456789":
                got = _NO
                dropped = text[start:index]
            stop = Stop(index, char, dropped)
            break
        got = _SINGLE
        chars.append(char)
        places.append(index)

    end = stop.offset if stop is not None else len(text)
    if got != _NO:
        finish(end)
    if stop is None:
        _refuse_open(text, escaped, escape_at, opened)
    return Split(tuple(words), stop)


def _refuse_open(text: str, escaped: bool, escape_at: int, opened: dict[str, int]) -> None:
    """Raise UnsplittableCommand for what the string leaves open at its end, if anything."""
    if escaped:
        raise UnsplittableCommand(escape_at, "the backslash that ends the command escapes nothing")
    still = sorted((at, what) for what, at in opened.items() if at >= 0)
    if not still:
        return
    at, what = still[0]
    if what == "$(":
        if text[at] == ")":
            raise UnsplittableCommand(
                at, "the ) here, outside quotes and with no $( before it, opens a $( ... ) that is never closed"
            )
        raise UnsplittableCommand(at, "the $( ... opened by this ( is never closed")
    raise UnsplittableCommand(at, f"the {what} opened here is never closed")


_PLAIN = re.compile(r"[A-Za-z0-9_.,:/=+@%-]+")


def quote_word(word: str) -> str:
    """``word`` written so that go-shellwords reads it back as one argument, itself: as it is
    when it has only characters no rule above touches, else in single quotes, where only ``'``
    is special (it is written ``'\\''``: close, an escaped quote, open again)."""
    if _PLAIN.fullmatch(word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"

"""A compose file's string value as compose interpolates it, read statically.

Compose fills in ``$VAR`` and ``${...}`` in every string of the file before it reads it as a
service definition (compose-spec/compose-go ``loader/loader.go`` ``loadYamlFile`` calls
``interpolation.Interpolate`` on the whole YAML map; ``types/command.go`` splits a string
``command:`` or ``entrypoint:`` with go-shellwords only afterwards). The rules, read from
compose-go's ``template/template.go`` (``DefaultPattern``, ``DefaultReplacementAppliedFunc``,
``getFirstBraceClosingIndex``):

- ``$$`` is a literal ``$``.
- ``$NAME`` and ``${NAME}``: a name is ``[_a-zA-Z][_a-zA-Z0-9]*`` (the pattern is
  case-insensitive); unset gives "" (with a warning).
- ``${NAME:-default}`` (unset or empty) and ``${NAME-default}`` (unset) give the default;
  ``${NAME:?message}`` / ``${NAME?message}`` make compose refuse the file when NAME is unset
  (or empty); ``${NAME:+other}`` / ``${NAME+other}`` give ``other`` when NAME is set (and not
  empty). The text after the operator runs to the first ``}`` that closes the ``${`` (nested
  ``${...}`` counted), and is itself interpolated when used. The closing brace must be on the
  same line (the pattern's ``.*`` stops at a newline).
- ``${`` followed by anything else (``${}``, ``${1}``, ``${A B}``, a ``${`` never closed) makes
  compose refuse the file: "invalid interpolation format ... You may need to escape any $ with
  another $".
- Any other ``$`` (``$(``, ``$1``, a ``$`` before a blank or at the end) stays as written.

What a variable holds comes from the shell environment, which this tool does not know, and the
project's ``.env`` (read by pgconf_fix.documents.compose_dotenv; the views look a variable up
there): each variable stands in :attr:`Interpolated.text` as :data:`PLACEHOLDER`, a character
no splitter or parser here treats specially, so whatever it touches is known to be unknown.
Its default (:meth:`Variable.default`) is what compose uses when the variable is unset.
"""

from __future__ import annotations

import bisect
import functools
import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

# Stands for one variable's unknown value in an interpolated text (a private-use code point).
PLACEHOLDER = "\ue000"
# compose-go's own words for a "${" it cannot read (interpolation.newPathError).
INVALID_INTERPOLATION = "invalid interpolation format"
_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
_OPERATOR = re.compile(r":?[-+?]")


class InvalidInterpolation(ValueError):
    """A ``${`` compose cannot read, so it refuses the file; ``offset`` is where it starts."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(reason)
        self.offset = offset


@dataclass(frozen=True)
class Variable:
    """One ``$NAME`` or ``${NAME<operator><argument>}``: ``start``-``end`` its span in the raw
    string, ``argument_start`` where its argument begins (the default, message or replacement;
    ``end - 1`` is the closing brace), ``written`` its text."""

    name: str
    operator: str  # "", ":-", "-", ":?", "?", ":+", "+"
    argument: str
    start: int
    end: int
    argument_start: int
    written: str

    def default(self) -> str | None:
        """What compose puts here while the variable is unset: the argument of ``:-`` or ``-``
        when it holds no variable of its own (``$$`` read as ``$``), else None (unknown, or the
        file is refused)."""
        if self.operator not in (":-", "-"):
            return None
        try:
            inner = interpolate(self.argument)
        except InvalidInterpolation:
            return None
        return None if inner.variables else inner.text

    def when_default(self) -> str:
        """When compose uses the default, in words."""
        empty = " or empty" if self.operator == ":-" else ""
        return f"while {self.name} is unset{empty} in the environment and .env"


@dataclass(frozen=True)
class Interpolated:
    """The text compose goes on with: ``text`` (each variable as :data:`PLACEHOLDER`), and for
    each of its characters the raw span it comes from (``starts[i]``-``ends[i]``: one character,
    the two of a ``$$``, or a whole variable); ``variables`` in order, one a placeholder.

    ``marks`` are the characters that are not one raw character each (a placeholder, the ``$``
    of a ``$$``): three arrays of their offsets in ``text``, raw starts and raw ends, in order;
    every other character is the raw one after the mark before it. ``starts`` and ``ends`` are worked out from them
    on access: a list of two numbers a character made a 10 MB value in a project's ``.env``
    take 1.1 GB."""

    text: str
    variables: tuple[Variable, ...] = ()
    marks: tuple[array, array, array] = (array("q"), array("q"), array("q"))

    @property
    def starts(self) -> RawOffsets:
        return RawOffsets(self, False)

    @property
    def ends(self) -> RawOffsets:
        return RawOffsets(self, True)

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The raw span of the interpolated characters ``start``-``end`` (``end`` > ``start``)."""
        return self.starts[start], self.ends[end - 1]

    def one_to_one(self, start: int, end: int) -> bool:
        """Whether characters ``start``-``end`` are written in the raw string as they are."""
        offsets = self.marks[0]
        at = bisect.bisect_left(offsets, start)
        inside = at < len(offsets) and offsets[at] < end
        return not inside and PLACEHOLDER not in self.text[start:end]

    def variables_in(self, start: int, end: int) -> tuple[Variable, ...]:
        """The variables whose placeholders are among characters ``start``-``end``."""
        places = self.placeholders
        return self.variables[bisect.bisect_left(places, start) : bisect.bisect_left(places, end)]

    @functools.cached_property
    def placeholders(self) -> tuple[int, ...]:
        """Where each variable's placeholder is in ``text``, in order (a PLACEHOLDER character
        written in the raw string is not one: it is a character like any other)."""
        return tuple(at for at in self.marks[0] if self.text[at] == PLACEHOLDER)

    def filled(self, values: Sequence[str]) -> str:
        """``text`` with each variable's placeholder replaced by its value, in order."""
        pieces, last = [], 0
        for at, value in zip(self.placeholders, values, strict=True):
            pieces += (self.text[last:at], value)
            last = at + 1
        return "".join(pieces) + self.text[last:]


class RawOffsets(Sequence[int]):
    """``Interpolated.starts`` (or ``ends``): the raw offset where each character of the text
    begins (or ends), worked out from the marks (bisect: O(log marks) a character)."""

    def __init__(self, reading: Interpolated, end: bool) -> None:
        self.reading = reading
        self.end = end

    def __len__(self) -> int:
        return len(self.reading.text)

    def __getitem__(self, index):  # Sequence's int and slice forms
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        offsets, starts, ends = self.reading.marks
        at = bisect.bisect_right(offsets, index) - 1
        if at >= 0 and offsets[at] == index:
            return ends[at] if self.end else starts[at]
        raw = index if at < 0 else ends[at] + index - offsets[at] - 1
        return raw + 1 if self.end else raw


def interpolate(raw: str) -> Interpolated:
    """``raw`` as compose interpolates it, variables left as placeholders; raises
    InvalidInterpolation where compose refuses the string."""
    pieces: list[str] = []
    marks = (array("q"), array("q"), array("q"))
    variables: list[Variable] = []
    length = 0  # of the text made so far
    index = 0
    while index < len(raw):
        dollar = raw.find("$", index)
        if dollar < 0 or dollar + 1 >= len(raw):
            pieces.append(raw[index:])
            break
        if dollar > index:
            pieces.append(raw[index:dollar])
            length += dollar - index
        index = dollar
        after = raw[index + 1]
        if after == "$":
            pieces.append("$")
            _mark(marks, length, index, index + 2)
            length += 1
            index += 2
            continue
        if after == "{":
            variable = _braced(raw, index)
        else:
            name = _NAME.match(raw, index + 1)
            if name is None:
                pieces.append("$")
                length += 1
                index += 1
                continue
            variable = Variable(name.group(), "", "", index, name.end(), name.end(), raw[index : name.end()])
        variables.append(variable)
        pieces.append(PLACEHOLDER)
        _mark(marks, length, variable.start, variable.end)
        length += 1
        index = variable.end
    return Interpolated("".join(pieces), tuple(variables), marks)


def _mark(marks: tuple[array, array, array], offset: int, start: int, end: int) -> None:
    marks[0].append(offset)
    marks[1].append(start)
    marks[2].append(end)


def _braced(raw: str, start: int) -> Variable:
    """The ``${...}`` at ``start``, as compose-go's pattern and first-closing-brace rule read it."""
    name = _NAME.match(raw, start + 2)
    if name is None:
        raise InvalidInterpolation(start, "the ${ here is not followed by a variable name")
    after = name.end()
    if raw.startswith("}", after):
        return Variable(name.group(), "", "", start, after + 1, after, raw[start : after + 1])
    operator = _OPERATOR.match(raw, after)
    line_end = raw.find("\n", after)
    last = raw.rfind("}", after, len(raw) if line_end < 0 else line_end)
    if operator is None:
        raise InvalidInterpolation(start, f"${{{name.group()} is followed by neither }} nor one of :- - :? ? :+ +")
    if last < operator.end():
        raise InvalidInterpolation(start, f"the ${{{name.group()}{operator.group()} is not closed by a }} on its line")
    close = _first_closing(raw, start, last + 1)
    end = (close if close >= 0 else last) + 1
    return Variable(name.group(), operator.group(), raw[operator.end() : end - 1], start, end, operator.end(),
                    raw[start:end])


def _first_closing(raw: str, start: int, end: int) -> int:
    """compose-go's getFirstBraceClosingIndex over ``raw[start:end]``: the ``}`` that brings the
    count of open braces back to zero (a ``{`` also skips the character after it), or -1."""
    depth = 0
    index = start
    while index < end:
        if raw[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        if raw[index] == "{":
            depth += 1
            index += 1
        index += 1
    return -1


class MissingRequired(ValueError):
    """``${NAME:?message}`` or ``${NAME?message}`` with NAME unset (or empty): compose refuses the file."""


def substitute(raw: str, environment: dict[str, str]) -> str:
    """``raw`` interpolated with ``environment`` as compose-go's ``template.Substitute`` does
    (the definition the static reading above follows; tests hold it against compose-go's own code).
    Raises InvalidInterpolation, or MissingRequired for a required variable without a value."""
    found = interpolate(raw)
    values = iter(found.variables)
    return "".join(_value(next(values), environment) if char == PLACEHOLDER else char for char in found.text)


def _value(variable: Variable, environment: dict[str, str]) -> str:
    value = environment.get(variable.name)
    operator = variable.operator
    present = value is not None and (value != "" or not operator.startswith(":"))
    if operator in (":-", "-"):
        return value if present else substitute(variable.argument, environment)  # type: ignore[return-value]
    if operator in (":+", "+"):
        return substitute(variable.argument, environment) if present else (value or "")
    if operator in (":?", "?") and not present:
        raise MissingRequired(f"required variable {variable.name} is missing a value: {variable.argument}")
    return value or ""


def escape_dollars(text: str) -> str:
    """``text`` written so that compose's interpolation gives it back: every ``$`` doubled."""
    return text.replace("$", "$$")

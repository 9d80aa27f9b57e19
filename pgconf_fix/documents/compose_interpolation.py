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

import re
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
    the two of a ``$$``, or a whole variable); ``variables`` in order, one a placeholder."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    variables: tuple[Variable, ...]

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The raw span of the interpolated characters ``start``-``end`` (``end`` > ``start``)."""
        return self.starts[start], self.ends[end - 1]

    def one_to_one(self, start: int, end: int) -> bool:
        """Whether characters ``start``-``end`` are written in the raw string as they are."""
        return all(self.ends[i] - self.starts[i] == 1 and self.text[i] != PLACEHOLDER for i in range(start, end))

    def variables_in(self, start: int, end: int) -> tuple[Variable, ...]:
        """The variables whose placeholders are among characters ``start``-``end``."""
        before = self.text.count(PLACEHOLDER, 0, start)
        return self.variables[before : before + self.text.count(PLACEHOLDER, start, end)]


def interpolate(raw: str) -> Interpolated:
    """``raw`` as compose interpolates it, variables left as placeholders; raises
    InvalidInterpolation where compose refuses the string."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    variables: list[Variable] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char != "$" or index + 1 >= len(raw):
            chars.append(char), starts.append(index), ends.append(index + 1)
            index += 1
            continue
        after = raw[index + 1]
        if after == "$":
            chars.append("$"), starts.append(index), ends.append(index + 2)
            index += 2
            continue
        if after == "{":
            variable = _braced(raw, index)
        else:
            name = _NAME.match(raw, index + 1)
            if name is None:
                chars.append(char), starts.append(index), ends.append(index + 1)
                index += 1
                continue
            variable = Variable(name.group(), "", "", index, name.end(), name.end(), raw[index : name.end()])
        variables.append(variable)
        chars.append(PLACEHOLDER), starts.append(variable.start), ends.append(variable.end)
        index = variable.end
    return Interpolated("".join(chars), tuple(starts), tuple(ends), tuple(variables))


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

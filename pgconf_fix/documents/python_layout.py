"""Edits to Python code laid out like the code around them: an argument or dict item added
the way the call already lists them (one a line, or on one line until ruff's line length),
a statement added after another at its indentation, or removed with its line.

``LayoutEdits`` is a mixin of :class:`pgconf_fix.documents.python.PythonDocument`: it
needs the document's ``source``, ``text``, ``span``, ``line_start``, ``line_end`` and
``indentation``. Every edit is an insertion or a replacement of the gaps between items,
never of an item (an edit must not carry text it does not change, such as a password).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING

from pgconf_fix.documents import python_nodes as syntax
from pgconf_fix.findings import Edit

if TYPE_CHECKING:
    from pgconf_fix.source import SourceFile

LINE_LENGTH = 88  # ruff's and black's default
INDENT = "    "  # one level, where the code gives no other (ruff's and black's)
_LINE_BREAK = re.compile(r"[\r\n]")
# A comment after a closing bracket, to the end of the line, that is a flake8/ruff ``noqa``.
_NOQA_AFTER = re.compile(r"[ \t]*(#[ \t]*(?i:noqa)\b[^\r\n]*)$")
_CREATES = re.compile(r"""\s*(?:\w+=|['"]\w+['"]:\s*)\{""")  # a keyword or key whose value is a new dict


# A string literal's opening quote, after an optional prefix (the language reference's r, u, b,
# f and their pairs, any case), not after a word character or another quote.
_OPENING = r"(?<![\w'\"])(?i:rb|br|rf|fr|[rubf])?{quote}[A-Za-z_{{]"
_OPENING_SINGLE = re.compile(_OPENING.format(quote="'"))
_OPENING_DOUBLE = re.compile(_OPENING.format(quote='"'))
# Where such an opening can end: its quote and the character after it. Searching for these
# first is what makes counting cheap (_OPENING tried at every offset of the module was 3-4 %
# of a check of the many-findings benchmark tree).
_QUOTE_AND_BODY = {quote: re.compile(re.escape(quote) + "[A-Za-z_{]") for quote in "'\""}


def _openings(text: str, quote: str, opening: re.Pattern[str]) -> int:
    """``len(opening.findall(text))`` for _OPENING_SINGLE or _OPENING_DOUBLE (``quote``'s): an
    opening ends two characters after its quote and starts at most two (a prefix) before it,
    and two openings cannot overlap (the character after a quote is not a quote), so each
    quote followed by a body character counts when an opening matches from there to it."""
    count = 0
    for found in _QUOTE_AND_BODY[quote].finditer(text):
        at = found.start()
        for start in (at - 2, at - 1, at):
            if start >= 0:
                match = opening.match(text, start)  # its lookbehind reads before ``start``
                if match is not None and match.end() == at + 2:
                    count += 1
                    break
    return count


def _line_starts_with(text: str, character: str) -> int:
    """How many lines of ``text`` start with ``character``, lines ending at LF, CR or CRLF."""
    return text.startswith(character) + text.count("\n" + character) + text.count("\r" + character)


class LayoutEdits:
    """Layout-following edits of a parsed Python document (see the module's docstring)."""

    source: SourceFile
    text: str

    def key_quote(self, node: syntax.Dict | None = None) -> str:
        """The quote of the dict's own string keys, else the one the file uses most."""
        if node is not None:
            for element in node.elements:
                if isinstance(element, syntax.DictElement) and isinstance(element.key, syntax.SimpleString):
                    return element.key.quote[-1]
        return self._file_quote

    def indent_step(self, indent: str) -> str:
        """One level of indentation to add after ``indent``, in the characters the code uses:
        a tab after an indentation that ends with one, INDENT after one that ends with a
        space; at the left edge, a tab when the module's indented lines start with tabs more
        often than with spaces. (Inside brackets Python ignores indentation, so either
        compiles; this is for the reader, and for editors that refuse mixed indentation.)"""
        if indent:
            return "\t" if indent.endswith("\t") else INDENT
        return "\t" if self._indents_with_tabs else INDENT

    @cached_property
    def _indents_with_tabs(self) -> bool:
        """Whether more lines start with a tab than with a space (a line starts the text, or
        follows a LF or a CR). Counted with ``str.count``: the two patterns it replaces
        (``(?:^|(?<=\r))\t`` and the same with a space, multi-line) tried each offset of the
        module, 1.6 % of a check's instructions on the many-findings tree (issue 18,
        fourteenth pass)."""
        return _line_starts_with(self.text, "\t") > _line_starts_with(self.text, " ")

    @cached_property
    def _file_quote(self) -> str:
        """The string quote the module uses most (counted once: every fix asks for it). A
        literal opens with the quote after an optional prefix (``f'``, ``rb'``: a module of
        f-strings writes its quotes too), followed by a letter, ``_`` or an f-string's ``{``."""
        singles = _openings(self.text, "'", _OPENING_SINGLE)
        doubles = _openings(self.text, '"', _OPENING_DOUBLE)
        return "'" if singles > doubles else '"'

    def _brackets(self, node: syntax.Call | syntax.Dict) -> tuple[list, int, int]:
        """A call's arguments or a dict's elements, and the offsets of its opening and closing
        bracket (a call's ``(`` comes after its callee, which may hold brackets of its own)."""
        items = list(node.args) if isinstance(node, syntax.Call) else list(node.elements)
        start, end = self.span(node)
        opening = self.text.index("(", self.span(node.func)[1]) if isinstance(node, syntax.Call) else start
        return items, opening, end - 1

    def append_item(self, node: syntax.Call | syntax.Dict, piece: str, reserve: int = 0) -> tuple[Edit, ...]:
        """Add ``piece`` as the last argument or element, laid out like the others."""
        return self.append_items(node, [piece], reserve)

    def append_items(self, node: syntax.Call | syntax.Dict, pieces: list[str], reserve: int = 0) -> tuple[Edit, ...]:
        """Add ``pieces`` after the last argument or element, laid out like the others.

        A call written one argument a line gets one line a piece (with the trailing comma);
        a call on one line gets ``, piece`` unless the line would pass the line length, and
        is then laid out one argument a line, as ruff would.
        """
        items, opening, close = self._brackets(node)
        newline = self.source.universal_newline
        if not items:
            return (self._claiming(Edit(self.source, opening + 1, close, ", ".join(pieces)), pieces),)
        last = items[-1]
        last_start, last_end = self.span(last)
        first_start = self.span(items[0])[0]
        comma = last.comma if isinstance(last.comma, syntax.Comma) else None
        line_end = self.line_end(last_end)
        # One item a line: a newline after the bracket, and a trailing comma or items on several
        # lines. Items together on one indented line ("hugging") are extended on that line.
        several_lines = self.line_start(first_start) != self.line_start(last_start)
        exploded = _LINE_BREAK.search(self.text, opening + 1, first_start) is not None and (comma is not None or several_lines)
        if exploded and line_end < close:
            indent = self.indentation(last_start)
            lines = "".join(f"{newline}{indent}{piece}," for piece in pieces)
            if comma is not None:
                at = self.line_end(self.span(comma)[1])
                return (self._claiming(Edit(self.source, at, at, lines), pieces),)
            return (
                Edit(self.source, last_end, last_end, ","),
                self._claiming(Edit(self.source, line_end, line_end, lines), pieces),
            )
        edit = Edit(self.source, last_end, last_end, "".join(f", {piece}" for piece in pieces))
        line_start = self.line_start(last_end)
        if line_end - line_start + len(edit.content) + reserve <= LINE_LENGTH:
            return (self._claiming(edit, pieces),)
        return self._explode(items, opening, close, pieces) or (self._claiming(edit, pieces),)

    def replace_value(self, node: syntax.Call | syntax.Dict, start: int, end: int, content: str) -> tuple[Edit, ...]:
        """``text[start:end]`` (a value among ``node``'s items) replaced by ``content``; and when
        the items sit "hugged" on one indented line between the brackets (``f(\n    a, b\n)``,
        no trailing comma) and the whole call now fits on one line, the two gaps closed as
        ruff would close them (a shorter value can make a call fit where it did not)."""
        edit = Edit(self.source, start, end, content)
        items, opening, close = self._brackets(node)
        if not items or isinstance(items[-1].comma, syntax.Comma):
            return (edit,)  # nothing to lay out, or a magic trailing comma keeps one item a line
        first_start, last_end = self.span(items[0])[0], self.span(items[-1])[1]
        head, tail = self.text[opening + 1 : first_start], self.text[last_end:close]
        if head.strip() or tail.strip() or not _LINE_BREAK.search(head) or not _LINE_BREAK.search(tail):
            return (edit,)  # not the hugged layout (or comments in the gaps: left to the user)
        if self.line_start(first_start) != self.line_start(last_end):
            return (edit,)  # items over several lines
        growth = len(content) - (end - start)
        width = (opening + 1 - self.line_start(opening)) + (last_end - first_start + growth) + (self.line_end(close) - close)
        if width > LINE_LENGTH:
            return (edit,)
        return (Edit(self.source, opening + 1, first_start, ""), edit, Edit(self.source, last_end, close, ""))

    def _claiming(self, edit: Edit, pieces: list[str]) -> Edit:
        """An insertion that creates a container (``connect_args={...}``) holds the next
        character (:attr:`Edit.holds`, without rewriting it), so that two fixes creating the
        same one in one round overlap (the second waits a round and then adds to it) instead
        of repeating the keyword, which Python refuses ("keyword argument repeated"). Plain
        keywords stay insertions."""
        if edit.start != edit.end or edit.end >= len(self.text) or not any(_CREATES.match(piece) for piece in pieces):
            return edit
        return Edit(edit.source, edit.start, edit.end, edit.content, holds=(edit.start, edit.end + 1))

    def _explode(self, items: list, opening: int, close: int, pieces: list[str]) -> tuple[Edit, ...]:
        """One item a line with a trailing comma, as ruff lays out a call that no longer fits.

        Only the gaps between items are rewritten, never an item: an edit must not carry
        text it does not change (a URL or ``password=`` argument would show in JSON/SARIF).
        """
        gaps = list(_gaps(self, items, opening, close))
        if any("#" in self.text[a:b] for a, b in gaps):
            return ()  # comments between items: leave the layout to the user
        for item in items:
            item_start, item_end = self.span(item)
            if "\n" in self.text[item_start:item_end] or "\r" in self.text[item_start:item_end]:
                return ()
        base = self.indentation(opening)
        newline = self.source.universal_newline
        lead = f"{newline}{base}{self.indent_step(base)}"
        # A ``# noqa`` after the closing bracket of a one-line call or dict silences what ruff and
        # flake8 report on that line (F405 at a star-imported DATABASES): it stays on the first
        # line, after the opening bracket. Other comments go down with the bracket, as formatters
        # leave them (pgconf-fix's own suppressions cover a finding's last line).
        end = close + 1
        trailing = ""
        if self.line_start(opening) == self.line_start(close):
            comment = _NOQA_AFTER.match(self.text, end, self.line_end(close))
            if comment is not None:
                trailing, end = f"  {comment.group(1).rstrip()}", self.line_end(close)
        edits = [Edit(self.source, *gaps[0], trailing + lead)]
        edits += [Edit(self.source, a, b, f",{lead}") for a, b in gaps[1:-1]]
        tail = "".join(f",{lead}{piece}" for piece in pieces)
        # The closing bracket is rewritten too, so that two fixes laying out the same call
        # overlap (one waits for the next round) instead of both adding their closing lines.
        edits.append(Edit(self.source, gaps[-1][0], end, f"{tail},{newline}{base}{self.text[close]}"))
        return tuple(edits)


    def add_line_after(self, statement: syntax.SimpleStatementLine, code: str) -> tuple[Edit, ...]:
        """A new statement on the line after ``statement``, at its indentation."""
        start, end = self.span(statement)
        at = self.line_end(max(start, end - 1))
        return (Edit(self.source, at, at, f"{self.source.universal_newline}{self.indentation(start)}{code}"),)

    def remove_statement(self, statement: syntax.SimpleStatementLine) -> tuple[Edit, ...]:
        """Remove a statement that is alone on its line(s), with its line ending."""
        start, end = self.span(statement)
        first = self.line_start(start)
        last = self.line_end(max(start, end - 1))
        if self.text[first:start].strip() or len(statement.body) != 1:
            return ()
        stop = last + (2 if self.text.startswith("\r\n", last) else 1 if self.text.startswith("\n", last) else 0)
        return (Edit(self.source, first, stop, ""),)


def _gaps(document: LayoutEdits, items: list, opening: int, close: int) -> Iterator[tuple[int, int]]:
    cursor = opening + 1
    for item in items:
        item_start, item_end = document.span(item)
        yield cursor, item_start
        cursor = item_end
    yield cursor, close

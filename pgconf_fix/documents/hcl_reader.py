"""A fast reader for the plain shape most .tf files have; python-hcl2 judges everything else.

It reads blocks, attributes and the expressions PGF301/PGF302 look at (literals,
strings with ``${...}``, references, calls, tuples, objects, parentheses) and gives
the same ``HclBlock`` tree, offset for offset, that ``HclDocument`` builds from
python-hcl2's parse tree. It accepts a subset of what python-hcl2 accepts: on
anything else (operators, conditionals, ``for``, splats, heredocs, template
directives, an item not followed by a newline, a syntax error) it returns ``None``
and the caller parses the file with python-hcl2, whose verdict then stands.
tests/test_hcl_reader.py holds the two readers to the same answers.
"""

from __future__ import annotations

import re

from pgconf_fix.documents.hcl_model import BOOL, NULL, NUMBER, OTHER, REFERENCE, STRING
from pgconf_fix.documents.hcl_model import Expression, HclAttribute, HclBlock, hcl_number

# One token after optional blanks. Newlines and comments merge into one "nl" token: the
# grammar allows either in the same places. Anything not listed (an operator, "?", "-",
# even before a digit, a non-ASCII letter) matches nothing and sends the file to python-hcl2.
_TOKEN = re.compile(
    r"""[ \t\r]*(?:
      (?P<nl>(?:(?:\n|\#[^\n]*|//[^\n]*|/\*.*?\*/)[ \t\r]*)+)
    | (?P<str>"(?:[^"\\$%\n]++|\\[^\n]|\$(?!\{)|%(?!\{))*+")
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    | (?P<num>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
    | (?P<op>==|=>|!=|<=|>=|&&|\|\||\.\.\.|::|\.\*|\[\*\]|<<)
    | (?P<punct>[{}\[\](),.=:"])
    | (?P<end>\Z)
    )""",
    re.VERBOSE | re.DOTALL,
)
# "str" is a string without "${" or "%{"; a template string starts with a '"' token instead.
# Its plain characters are taken as runs, possessively (Python 3.11): no part of it matches a
# '"', so giving characters back never ends the string elsewhere, and the engine no longer
# tries an alternation a character (issue 18: matching the tokens of the 1,000-file Terraform
# tree took 405 M instructions, 338 M so).
# Characters of a quoted string up to its end, an escape python-hcl2 reads otherwise, "${" or "%{".
_STRING_RUN = re.compile(r'(?:[^"\\$%\n]|\\[^\n]|\$(?!\{)|%(?!\{))*')
# Words python-hcl2's lexer may take for keywords where a name is expected.
_KEYWORDS = frozenset({"for", "in", "if", "for_each", "else", "endif", "endfor"})
_LITERALS = {"true": (BOOL, True), "false": (BOOL, False), "null": (NULL, None)}


class _Unsupported(Exception):
    """Outside what this reader knows: python-hcl2 decides."""


def read_blocks(text: str) -> list[HclBlock] | None:
    """The top-level blocks of a .tf file, or None when python-hcl2 must read it."""
    body = read_body(text)
    return None if body is None else body[1]


def read_body(text: str) -> tuple[list[HclAttribute], list[HclBlock]] | None:
    """The top-level attributes (a .tfvars file's values) and blocks, or None when
    python-hcl2 must read the file."""
    if "$${" in text or "%%{" in text:
        return None  # escaped template sequences: python-hcl2 lexes them as their own parts
    tokens = _tokens(text)
    reader = _Reader(text) if tokens is None else _TokenList(text, tokens)
    try:
        return reader.body(closing=False)
    except (_Unsupported, RecursionError):
        return None


def bracket_depth(text: str) -> int | None:
    """How deep ``[``, ``{`` and ``(`` nest in a text of plain tokens (``_tokens``); None for a
    text with template strings, which is not tokenized in one pass."""
    tokens = _tokens(text)
    if tokens is None:
        return None
    depth = deepest = 0
    for kind, _, _ in tokens:
        if kind in ("[", "{", "("):
            depth += 1
            deepest = max(deepest, depth)
        elif kind in ("]", "}", ")"):
            depth -= 1
    return deepest


def _tokens(text: str) -> list[tuple[str, int, int]] | None:
    """Every token of a file without template strings, in one pass; None if it has one (or a
    character no token starts with): those are read token by token, as the parse needs them."""
    tokens: list[tuple[str, int, int]] = []
    append = tokens.append
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() != position:
            return None
        # _token's work, written out: this loop runs for every token of every file.
        kind = match.lastgroup
        start, position = match.span(kind)  # every kind's group ends where the match does
        if kind == "punct" or kind == "op":
            kind = text[start:position]
            if kind == '"':
                return None
        append((kind, start, position))  # type: ignore[arg-type]
        if kind == "end":
            return tokens
    return None


def _token(match: re.Match[str]) -> tuple[str, int, int]:
    """(kind, start, end) of a _TOKEN match; punctuation and operators are their own kind."""
    kind = match.lastgroup
    start = match.start(kind)
    if kind == "punct" or kind == "op":
        kind = match.group(kind)
    return kind, start, match.end()  # type: ignore[return-value]


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.token: tuple[str, int, int] | None = None

    # --- tokens --------------------------------------------------------------------------

    def peek(self) -> tuple[str, int, int]:
        """(kind, start, end) of the next token."""
        if self.token is None:
            match = _TOKEN.match(self.text, self.pos)
            if match is None:
                raise _Unsupported
            self.token = _token(match)
        return self.token

    def take(self) -> tuple[str, int, int]:
        token = self.peek()
        self.pos = token[2]
        self.token = None
        return token

    def expect(self, kind: str) -> tuple[str, int, int]:
        if self.peek()[0] != kind:
            raise _Unsupported
        return self.take()

    def skip_newlines(self) -> bool:
        if self.peek()[0] == "nl":
            self.take()
            return True
        return False

    # --- bodies --------------------------------------------------------------------------

    def body(self, closing: bool) -> tuple[list[HclAttribute], list[HclBlock]]:
        attributes: list[HclAttribute] = []
        blocks: list[HclBlock] = []
        self.skip_newlines()
        while True:
            kind = self.peek()[0]
            if kind == ("}" if closing else "end"):
                return attributes, blocks
            if kind != "name":
                raise _Unsupported
            item = self.item()
            if isinstance(item, HclBlock):
                blocks.append(item)
            else:
                attributes.append(item)
            # One item a line; python-hcl2 also takes "a = 1 b = 2", which it may then judge.
            if not self.skip_newlines() and self.peek()[0] not in ("}", "end"):
                raise _Unsupported

    def item(self) -> HclAttribute | HclBlock:
        text = self.text
        _, start, name_end = self.take()
        if self.peek()[0] == "=":
            _, equals, _ = self.take()
            _, value_end, value = self.expression()
            return HclAttribute(text[start:name_end], start, name_end, equals, value_end, value)
        labels = []
        while True:
            kind, label_start, label_end = self.peek()
            if kind == "name":
                self.take()
                labels.append(text[label_start:label_end])
            elif kind == "str":
                self.take()
                labels.append(text[label_start + 1 : label_end - 1])
            elif kind == '"':
                string_start, string_end, _ = self.string()
                labels.append(text[string_start + 1 : string_end - 1])
            elif kind == "{":
                break
            else:
                raise _Unsupported  # python-hcl2 also allows a newline before "{"; Terraform does not
        _, open_brace, _ = self.take()
        attributes, blocks = self.body(closing=True)
        _, close_brace, _ = self.take()
        return HclBlock(text[start:name_end], tuple(labels), start, open_brace, close_brace, attributes, blocks)

    # --- expressions ---------------------------------------------------------------------

    def expression(self) -> tuple[int, int, Expression]:
        """(start, end) of the whole expression as written, and what it is once parentheses
        around it are taken off, as ``documents.hcl.expression`` describes it."""
        text = self.text
        kind, start, end = self.peek()
        if kind == "num":
            self.take()
            written = text[start:end]
            number = hcl_number(written)
            return self._literal(start, end, Expression(NUMBER, start, end, number))
        if kind == "str":
            self.take()
            return self._literal(start, end, Expression(STRING, start, end, text[start + 1 : end - 1], quoted=True))
        if kind == '"':
            start, end, value = self.string()
            return self._literal(start, end, value)
        if kind == "name":
            word = text[start:end]
            if word in _KEYWORDS:
                raise _Unsupported
            self.take()
            if word in _LITERALS:
                literal_kind, literal_value = _LITERALS[word]
                return self._literal(start, end, Expression(literal_kind, start, end, literal_value))
            if self.peek()[0] == "(":
                end = self.call()
                return self._postfix(start, end, Expression(OTHER, start, end))
            return self._traversal(start, end, word)
        if kind == "[":
            end = self.tuple()
        elif kind == "{":
            end = self.object()
        elif kind == "(":
            self.take()
            spread = self.skip_newlines()
            _, _, inner = self.expression()
            spread = self.skip_newlines() or spread
            _, _, end = self.expect(")")
            if self.peek()[0] in (".", "["):
                return self._postfix(start, end, Expression(OTHER, start, end))
            # "(x)" is x itself; python-hcl2 keeps parentheses spread over lines as a term.
            return start, end, Expression(OTHER, start, end) if spread else inner
        else:
            raise _Unsupported
        return self._postfix(start, end, Expression(OTHER, start, end))

    def _literal(self, start: int, end: int, value: Expression) -> tuple[int, int, Expression]:
        if self.peek()[0] in (".", "["):
            raise _Unsupported  # an index on a literal: rare enough to leave to python-hcl2
        return start, end, value

    def _traversal(self, start: int, end: int, root: str) -> tuple[int, int, Expression]:
        """A name and what follows it: ``var.x`` and ``local.x`` are references, longer ones are not."""
        end, steps, first = self._steps(end)
        if steps == 1 and first is not None and root in ("var", "local"):
            return start, end, Expression(REFERENCE, start, end, (root, first))
        return start, end, Expression(OTHER, start, end)

    def _postfix(self, start: int, end: int, value: Expression) -> tuple[int, int, Expression]:
        """Attribute and index steps after a call, tuple, object or parentheses."""
        end, steps, _ = self._steps(end)
        return (start, end, Expression(OTHER, start, end)) if steps else (start, end, value)

    def _steps(self, end: int) -> tuple[int, int, str | None]:
        """``.name`` and ``[index]`` steps: where they end, how many, and the first step's name
        (None when the first is an index)."""
        steps = 0
        first = None
        while True:
            kind = self.peek()[0]
            if kind == ".":
                self.take()
                name_kind, name_start, name_end = self.peek()
                if name_kind != "name" or self.text[name_start:name_end] in _KEYWORDS:
                    raise _Unsupported  # ".0" (a short index) or a keyword: python-hcl2 decides
                self.take()
                if steps == 0:
                    first = self.text[name_start:name_end]
                end = name_end
            elif kind == "[":
                end = self.index()
            else:
                return end, steps, first
            steps += 1

    def index(self) -> int:
        self.take()  # "["
        self.skip_newlines()
        self.expression()
        self.skip_newlines()
        return self.expect("]")[2]

    def call(self) -> int:
        return self.sequence(")")

    def tuple(self) -> int:
        return self.sequence("]")

    def sequence(self, close: str) -> int:
        """Arguments or tuple items, from the opening bracket to ``close``; a comma may trail."""
        self.take()  # "(" or "["
        self.skip_newlines()
        if self.peek()[0] == close:
            return self.take()[2]
        while True:
            self.expression()
            self.skip_newlines()
            kind = self.peek()[0]
            if kind == ",":
                self.take()
                self.skip_newlines()
                if self.peek()[0] == close:
                    return self.take()[2]
            elif kind == close:
                return self.take()[2]
            else:
                raise _Unsupported

    def object(self) -> int:
        text = self.text
        self.take()  # "{"
        self.skip_newlines()
        while True:
            kind, start, end = self.peek()
            if kind == "}":
                return self.take()[2]
            if kind == "name":
                if text[start:end] in _KEYWORDS:
                    raise _Unsupported  # "{ for ..." is a for expression
                self.take()
            elif kind == "str":
                self.take()
            elif kind == '"':
                self.string()
            elif kind == "(":
                self.expression()
            else:
                raise _Unsupported
            if self.peek()[0] not in ("=", ":"):
                raise _Unsupported
            self.take()
            self.expression()
            separated = self.skip_newlines()
            if self.peek()[0] == ",":
                self.take()
                separated = True
                self.skip_newlines()
            if not separated and self.peek()[0] != "}":
                raise _Unsupported  # python-hcl2 also takes "{ a = 1 b = 2 }"

    def string(self) -> tuple[int, int, Expression]:
        """A quoted string, with its ``${...}`` parts read as expressions."""
        text = self.text
        _, start, position = self.expect('"')
        parts: list[Expression | None] = []  # None: plain characters
        while True:
            run_end = _STRING_RUN.match(text, position).end()  # type: ignore[union-attr]
            if run_end > position:
                parts.append(None)
                position = run_end
            if text.startswith('"', position):
                end = position + 1
                break
            if not text.startswith("${", position):
                raise _Unsupported  # "%{", a newline, a backslash at a line's end, the file's end
            self.pos = position + 2
            self.token = None
            _, _, inner = self.expression()
            position = self.expect("}")[2]
            parts.append(inner)
        self.pos = end
        self.token = None
        if all(part is None for part in parts):
            return start, end, Expression(STRING, start, end, text[start + 1 : end - 1], quoted=True)
        only = parts[0] if len(parts) == 1 else None
        if only is not None and only.kind != OTHER:
            # Terraform 0.11 "${var.x}": the same value as var.x.
            return start, end, Expression(only.kind, only.start, only.end, only.value, only.quoted, legacy=True)
        return start, end, Expression(OTHER, start, end)


class _TokenList(_Reader):
    """The same reader over tokens found beforehand: the common case, and about twice as fast."""

    def __init__(self, text: str, tokens: list[tuple[str, int, int]]) -> None:
        super().__init__(text)
        self.tokens = tokens
        self.cursor = 0

    def peek(self) -> tuple[str, int, int]:
        return self.tokens[self.cursor]

    def take(self) -> tuple[str, int, int]:
        token = self.tokens[self.cursor]
        self.cursor += 1
        return token

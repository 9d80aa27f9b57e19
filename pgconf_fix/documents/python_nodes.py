"""A Python module's syntax tree as the Python layer reads it: the standard library's ``ast``
(the running interpreter's own parser), seen through the few node shapes the views ask about,
each with its span in the text.

The shapes are libcst's, which this layer was first written on, and which spans keep
following (``tests/test_python_nodes.py`` compares both, node for node, on the fixtures and
on the standard library's own modules):

- a call lists ``Arg`` items in source order (positional, ``*``, keyword and ``**`` together),
  a dict ``DictElement`` and ``StarredDictElement`` items; an item's span covers the
  parentheses written around its value, and ``comma`` is the comma after it, if any;
- an expression's span leaves out the parentheses written around it (``ast`` keeps a
  parenthesised tuple's and a generator expression's own);
- small statements written on one line (``a = 1; b = 2``) are grouped in a
  ``SimpleStatementLine``; those after a compound statement's colon (``if x: a = 1``) are not;
- adjacent string literals are a right-nested ``ConcatenatedString`` of ``SimpleString`` and
  ``FormattedString`` parts; ``True``, ``False`` and ``None`` are ``Name`` nodes.

Only what the views use is built: other statements pass their children to the nearest node
that is built. A span is ``(start, end)`` in characters (``ast`` counts UTF-8 bytes within a
line), end exclusive. Every walk here is iterative: ``ast.parse`` builds trees thousands of
levels deep (``not not ... x``, ``a + b + ...``) that Python's own recursion limit would stop.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import token
import tokenize
import warnings
from collections.abc import Callable

from pgconf_fix.text_memo import TextMemo

Span = tuple[int, int]


class Node:
    """A node of the tree. ``children``: the built nodes below it, in source order."""

    children: list[Node]
    tree: ast.AST | None = None  # the ast node it stands for, where there is one


class BaseExpression(Node):
    """An expression; ``tree`` is its ast node (``literal`` evaluates it)."""


class Name(BaseExpression):
    def __init__(self, value: str) -> None:
        self.value = value
        self.children = []


class Attribute(BaseExpression):
    def __init__(self, value: BaseExpression, attr: str) -> None:
        self.value = value
        self.attr = Name(attr)
        self.children = [value]


class Comma(Node):
    def __init__(self) -> None:
        self.children = []


class Arg(Node):
    """A call's argument: ``star`` is "", "*" or "**"; ``keyword`` a Name for ``key=value``."""

    def __init__(self, value: BaseExpression, keyword: Name | None, star: str) -> None:
        self.value = value
        self.keyword = keyword
        self.star = star
        self.comma: Comma | None = None
        self.children = [value]


class Call(BaseExpression):
    def __init__(self, func: BaseExpression, args: list[Arg]) -> None:
        self.func = func
        self.args = args
        self.children = [func, *args]


class DictElement(Node):
    def __init__(self, key: BaseExpression, value: BaseExpression) -> None:
        self.key = key
        self.value = value
        self.comma: Comma | None = None
        self.children = [key, value]


class StarredDictElement(Node):
    def __init__(self, value: BaseExpression) -> None:
        self.value = value
        self.comma: Comma | None = None
        self.children = [value]


class Dict(BaseExpression):
    def __init__(self, elements: list[DictElement | StarredDictElement]) -> None:
        self.elements = elements
        self.children = list(elements)


class SimpleString(BaseExpression):
    """One string literal; ``value`` is its source text, prefix and quotes included."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.children = []

    @property
    def quote(self) -> str:
        body = self.value.lstrip("bBrRuUfF")
        return body[:3] if body[:3] in ("'''", '"""') else body[:1]


class FormattedStringText(Node):
    """The literal text of an f-string before its first replacement field, as written."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.children = []


class FormattedStringExpression(Node):
    def __init__(self) -> None:
        self.children = []


class FormattedString(BaseExpression):
    """One f-string literal. ``parts`` holds its text up to the first replacement field
    (``{{`` and ``}}`` as written) and, when there is one, a FormattedStringExpression."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.children = []

    @property
    def parts(self) -> list[Node]:
        body = self.value.lstrip("bBrRuUfF")
        quote = body[:3] if body[:3] in ("'''", '"""') else body[:1]
        inner = body[len(quote) : len(body) - len(quote)]
        found = re.search(r"(?<!\{)(?:\{\{)*\{(?!\{)", inner)
        parts: list[Node] = []
        head = inner if found is None else inner[: found.end() - 1]
        if head:
            parts.append(FormattedStringText(head))
        if found is not None:
            parts.append(FormattedStringExpression())
        return parts


class ConcatenatedString(BaseExpression):
    def __init__(self, left: BaseExpression, right: BaseExpression) -> None:
        self.left = left
        self.right = right
        self.children = [left, right]


class Index(Node):
    def __init__(self, value: BaseExpression) -> None:
        self.value = value
        self.children = [value]


class Slice(Node):
    def __init__(self, children: list[Node]) -> None:
        self.children = children


class SubscriptElement(Node):
    def __init__(self, slice: Index | Slice) -> None:
        self.slice = slice
        self.children = [slice]


class Subscript(BaseExpression):
    def __init__(self, value: BaseExpression, slice: list[SubscriptElement]) -> None:
        self.value = value
        self.slice = slice
        self.children = [value, *slice]


class Element(Node):
    def __init__(self, value: BaseExpression) -> None:
        self.value = value
        self.children = [value]


class Tuple(BaseExpression):
    def __init__(self, elements: list[Element]) -> None:
        self.elements = elements
        self.children = list(elements)


class List(Tuple):
    pass


class Lambda(BaseExpression):
    def __init__(self, children: list[Node]) -> None:
        self.children = children


class NamedExpr(BaseExpression):
    def __init__(self, target: BaseExpression, value: BaseExpression) -> None:
        self.target = target
        self.value = value
        self.children = [target, value]


class Expression(BaseExpression):
    """Any other expression (a number, an operation, a comprehension, ...)."""

    def __init__(self, children: list[Node]) -> None:
        self.children = children


class AssignTarget(Node):
    def __init__(self, target: BaseExpression) -> None:
        self.target = target
        self.children = [target]


class Assign(Node):
    def __init__(self, targets: list[AssignTarget], value: BaseExpression) -> None:
        self.targets = targets
        self.value = value
        self.children = [*targets, value]


class AnnAssign(Node):
    def __init__(self, target: BaseExpression, value: BaseExpression | None, children: list[Node]) -> None:
        self.target = target
        self.value = value
        self.children = children


class AugAssign(Node):
    def __init__(self, target: BaseExpression, children: list[Node]) -> None:
        self.target = target
        self.children = children


class Expr(Node):
    def __init__(self, value: BaseExpression) -> None:
        self.value = value
        self.children = [value]


class Del(Node):
    def __init__(self, targets: list[BaseExpression]) -> None:
        self.targets = targets
        self.children = list(targets)


class AsName(Node):
    def __init__(self, name: BaseExpression) -> None:
        self.name = name
        self.children = [name]


class ImportAlias(Node):
    """``name`` is a Name holding the dotted name (``os.path``)."""

    def __init__(self, name: str, asname: str | None) -> None:
        self.name = Name(name)
        self.asname = AsName(Name(asname)) if asname is not None else None
        self.children = []


class ImportStar(Node):
    def __init__(self) -> None:
        self.children = []


class Import(Node):
    def __init__(self, names: list[ImportAlias]) -> None:
        self.names = names
        self.children = []


class ImportFrom(Node):
    """``relative``: the number of leading dots; ``module``: a Name of the dotted name, or None."""

    def __init__(self, module: str | None, names: list[ImportAlias] | ImportStar, relative: int) -> None:
        self.module = Name(module) if module is not None else None
        self.names = names
        self.relative = relative
        self.children = []


class WithItem(Node):
    def __init__(self, asname: AsName | None) -> None:
        self.asname = asname
        self.children = []


class With(Node):
    def __init__(self, items: list[WithItem], children: list[Node]) -> None:
        self.items = items
        self.children = children


class For(Node):
    def __init__(self, target: BaseExpression, children: list[Node]) -> None:
        self.target = target
        self.children = children


class IndentedBlock:
    """A compound statement's body: ``body`` lists its statements that are built nodes
    (SimpleStatementLine, FunctionDef, ClassDef); [] for a body on the header's line."""

    def __init__(self, body: list[Node]) -> None:
        self.body = body


class FunctionDef(Node):
    """``params``: the names its parameters bind (``*args`` and ``**kwargs`` included)."""

    def __init__(self, name: Name, body: IndentedBlock, children: list[Node], params: frozenset[str] = frozenset()) -> None:
        self.name = name
        self.body = body
        self.children = children
        self.params = params


class ClassDef(Node):
    """``bases``: Arg items of the positional bases (keywords such as ``metaclass=`` left out)."""

    def __init__(self, name: Name, bases: list[Arg], body: IndentedBlock, children: list[Node]) -> None:
        self.name = name
        self.bases = bases
        self.body = body
        self.children = children


class SmallStatement(Node):
    """Any other small statement (``pass``, ``return x``, ``assert x``, ...)."""

    def __init__(self, children: list[Node]) -> None:
        self.children = children


class SimpleStatementLine(Node):
    def __init__(self, body: list[Node]) -> None:
        self.body = body
        self.children = list(body)


class Module(Node):
    def __init__(self, body: list[Node], children: list[Node]) -> None:
        self.body = body
        self.children = children


SMALL_STATEMENTS = (
    ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Pass, ast.Break, ast.Continue, ast.Return,
    ast.Raise, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom, ast.Delete, ast.Assert,
    *((ast.TypeAlias,) if hasattr(ast, "TypeAlias") else ()),
)  # fmt: skip
# Fields that hold no node the layer reads: contexts, operators, comments of type; and those
# ``ast.parse`` fills with names, numbers or flags, never with nodes (Python's
# ``Parser/Python.asdl``: its identifier, int, string and constant fields).
_NOT_READ = frozenset({"ctx", "op", "ops", "type_comment"})
_SCALAR = frozenset({"id", "attr", "arg", "name", "module", "level", "asname", "kind", "conversion", "is_async", "simple", "tag"})
# A constant's value is a constant (a str, a number, a tuple of them...), never a node.
_FIELDS: dict[type, tuple[str, ...]] = {ast.Constant: (), ast.MatchSingleton: ()}


def node_fields(kind: type) -> tuple[str, ...]:
    """The fields of an ast class that may hold nodes the layer reads, in source order
    (``_fields`` without contexts, operators, type comments and the fields that hold a
    name, a number or a flag: a name's ``id``, an attribute's ``attr``, a constant's
    ``value``...; the walks read ~40 % fewer fields of a model module, issue 18,
    fourteenth pass)."""
    found = _FIELDS.get(kind)
    if found is None:
        found = _FIELDS[kind] = tuple(name for name in kind._fields if name not in _NOT_READ and name not in _SCALAR)  # type: ignore[attr-defined]
    return found


_BLANK = re.compile(r"(?:[ \t\f\r\n]+|#[^\r\n]*|\\(?:\r\n|\r|\n))*")
_INLINE = re.compile(r"(?:[ \t\f]+|\\(?:\r\n|\r|\n))*")  # blanks and continuations, within a line
_PREFIX = re.compile(r"[A-Za-z]*")
_DEFINED_NAME = re.compile(r"(?:async[ \t\f\\\r\n]+)?(?:def|class)[ \t\f]+(\w+)")  # a definition's name, from its start
_LINE_ENDS = ("\n", "\r")
# The UTF-8 byte order mark a file may start with, as its text keeps it (U+FEFF).
BOM = "\ufeff"


class Positions:
    """Character offsets of ast's positions in ``text``: ``line_starts`` are the offsets where
    lines start as Python counts them (CRLF, CR and LF each end one); ast's columns count
    UTF-8 bytes, converted once a line that is not ASCII."""

    def __init__(self, text: str, line_starts: list[int]) -> None:
        self.text = text
        # ``parse`` leaves a byte order mark out, so the first line's columns start after it.
        self.line_starts = [1, *line_starts[1:]] if text.startswith(BOM) else line_starts
        self._wide: dict[int, bytes] = {}
        # In an ASCII text a byte column is a character column (``span``'s short way).
        self._ascii = text.isascii()

    def offset(self, line: int, column: int) -> int:
        """The character offset of (line, UTF-8 byte column)."""
        start = self.line_starts[line - 1] if line <= len(self.line_starts) else len(self.text)
        if not column:
            return start
        encoded = self._wide.get(line)
        if encoded is None:
            end = self.line_starts[line] if line < len(self.line_starts) else len(self.text)
            piece = self.text[start:end]
            if piece.isascii():
                self._wide[line] = b""
                return start + column
            encoded = self._wide[line] = piece.encode("utf-8", "surrogatepass")
        elif not encoded:
            return start + column
        return start + len(encoded[:column].decode("utf-8", "replace"))

    def span(self, node: ast.AST) -> Span:
        if self._ascii:
            starts = self.line_starts
            lines = len(starts)
            line, end_line = node.lineno, node.end_lineno  # type: ignore[attr-defined]
            return (
                (starts[line - 1] if line <= lines else len(self.text)) + node.col_offset,  # type: ignore[attr-defined]
                (starts[end_line - 1] if end_line <= lines else len(self.text)) + node.end_col_offset,  # type: ignore[attr-defined]
            )
        return (
            self.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
            self.offset(node.end_lineno, node.end_col_offset),  # type: ignore[attr-defined]
        )


def line_start(text: str, offset: int) -> int:
    """Where the line holding ``offset`` starts, as Python counts lines (CR, LF and CRLF)."""
    return max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1


def line_starts_of(text: str) -> list[int]:
    """Where ``text``'s lines start, as Python counts lines."""
    return [0, *(found.end() for found in re.finditer(r"\r\n?|\n", text))]


RECENT_TREES = 16
HELD_CHARACTERS = 1 << 20  # the texts of the trees ``hold`` keeps, in all

# The trees of the last RECENT_TREES texts parsed, least recent first; and those ``hold``
# keeps for a build to come, oldest first, with the characters of their texts.
_recent: dict[str, ast.Module] = {}
_held: dict[str, ast.Module] = {}
_held_characters = [0]


def parse(text: str) -> ast.Module:
    """``ast.parse(text)``, remembered for the last 16 texts: a module is read by the views, its
    string literals by the client layer and its fixes' texts by the verifiers, and each would
    parse it again. A tree ``hold`` kept is given once more, to the first parse of its text
    after. A leading byte order mark is left out: Python runs a file that starts with
    one (it marks UTF-8), but ``ast.parse`` refuses U+FEFF in a str. The tree is shared: nothing may change it. Raises what ``ast.parse``
    raises (SyntaxError, ValueError for NUL bytes, RecursionError, MemoryError; none is
    remembered); warnings about the module's own escapes are not shown."""
    tree = _recent.pop(text, None)
    if tree is None:
        tree = _held.pop(text, None)
        if tree is not None:
            _held_characters[0] -= len(text)
        else:
            with warnings.catch_warnings(action="ignore"):
                tree = ast.parse(text[1:] if text.startswith(BOM) else text)
        if len(_recent) >= RECENT_TREES:
            del _recent[next(iter(_recent))]
    _recent[text] = tree
    return tree


def hold(text: str) -> None:
    """Keep the tree ``parse`` made of ``text`` (when it is one of the last it made) past the
    recent ones, for the next ``parse`` of the same text, which takes it: the fix loop's
    verifiers parse the text a round of fixes makes of a module, and the re-check that comes
    after the other files' trials builds that module from the same text (issue 18, twelfth
    pass: 372 of 1,234 parses on the 1k many-findings tree). The held texts are at most
    ``HELD_CHARACTERS`` in all (a tree is ~37 times its text, ``tracemalloc``); the oldest
    go first."""
    tree = _recent.get(text)
    if tree is None or text in _held or len(text) > HELD_CHARACTERS:
        return
    _held[text] = tree
    _held_characters[0] += len(text)
    while _held_characters[0] > HELD_CHARACTERS:
        oldest = next(iter(_held))
        del _held[oldest]
        _held_characters[0] -= len(oldest)


def _forget_trees() -> None:
    """Forget every remembered and held tree (tests count parses from a clean start)."""
    _recent.clear()
    _held.clear()
    _held_characters[0] = 0


parse.cache_clear = _forget_trees  # type: ignore[attr-defined]  # as functools.lru_cache names it


def _compiler_verdict(text: str) -> SyntaxError | ValueError | None:
    try:
        with warnings.catch_warnings(action="ignore"):
            compile(parse(text), "<module>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return error.with_traceback(None)  # remembered: no frames kept alive
    return None


_compiler_verdicts = TextMemo(_compiler_verdict)


def compiler_verdict(text: str) -> SyntaxError | ValueError | None:
    """What Python's compiler raises for the tree ``parse(text)`` gives (its checks past the
    grammar: ``return`` outside a function, a late ``from __future__`` import, ...), else None;
    for a text ``parse`` takes. Remembered by text (``text_memo.TextMemo``): the verifiers judge
    a fixed text and the re-check that builds it asks again. A RecursionError or MemoryError
    (a tree deeper than compiling validates within the recursion limit: it depends on the
    caller's depth) is raised, not remembered, for the caller to handle."""
    return _compiler_verdicts(text)


def string_groups(text: str, tree: ast.Module) -> list[list[Span]]:
    """The spans of every string literal of the module, adjacent ones (implicitly joined)
    grouped, in source order; the strings inside an f-string's replacement fields are part of
    it, not literals of their own (as ``tokenize`` sees them). ``tree`` is ``parse(text)``.

    When the last ``Tree`` built was built from ``tree`` (the Python layer builds a module,
    then the client layer reads its literals), the groups it found on its way are given
    (``Tree.string_groups``) instead of walking the tree again; the list is shared and must not
    be changed."""
    last = _LAST_GROUPS[0]
    if last is not None and last[0] is tree and last[1] == text:
        return last[2]
    return _walked_string_groups(text, tree)


# (tree, text, groups) of the last Tree built (``string_groups``); one entry.
_LAST_GROUPS: list[tuple[ast.Module, str, list[list[Span]]] | None] = [None]


def _walked_string_groups(text: str, tree: ast.Module) -> list[list[Span]]:
    """``string_groups`` from a walk of ``tree`` of its own."""
    positions = Positions(text, line_starts_of(text))
    found: list[list[Span]] = []
    stack: list[ast.AST] = [tree]
    fields_of = _FIELDS.get
    while stack:
        node = stack.pop()
        kind = node.__class__
        if kind is ast.JoinedStr or (kind is ast.Constant and isinstance(node.value, (str, bytes))):  # type: ignore[attr-defined]
            start, end = positions.span(node)
            found.append(literal_spans(text, start, end))
            continue
        fields = fields_of(kind)
        for name in node_fields(kind) if fields is None else fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        stack.append(item)
            elif isinstance(value, ast.AST):
                stack.append(value)
    found.sort()
    return found


def literal_spans(text: str, start: int, end: int) -> list[Span]:
    """The spans of the string literals between ``start`` and ``end`` (one string expression);
    one span when the first one reaches ``end`` (the usual case, told without tokenizing)."""
    if _literal_end(text, start) == end:
        return [(start, end)]
    try:
        return _tokenized_literals(text, start, end)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return [(start, end)]


_HANDLERS: dict[type, str] = {
    ast.Module: "_module", ast.Assign: "_assign", ast.AnnAssign: "_ann_assign", ast.AugAssign: "_aug_assign",
    ast.Expr: "_expr_statement", ast.Delete: "_delete", ast.Import: "_import", ast.ImportFrom: "_import_from",
    ast.FunctionDef: "_definition", ast.AsyncFunctionDef: "_definition", ast.ClassDef: "_definition",
    ast.For: "_for", ast.AsyncFor: "_for", ast.With: "_with", ast.AsyncWith: "_with",
}  # fmt: skip


def _handler_name(kind: type) -> str:
    """The ``Tree`` method that builds a node of ``kind``: its own (``_HANDLERS``), ``_expr``
    for an expression, ``_small`` for another small statement, else ``_children`` (a node not
    built: its children go to the nearest built node)."""
    name = _HANDLERS.get(kind)
    if name is not None:
        return name
    if issubclass(kind, ast.expr):
        return "_expr"
    if issubclass(kind, SMALL_STATEMENTS):
        return "_small"
    return "_children"


def _start_of(item: tuple[int, int, list[Span]]) -> int:
    return item[0]


class Tree:
    """The built nodes of one module: ``module``, ``spans`` (every node's span, in the order
    libcst's PositionProvider lists nodes: children before their parent, siblings in source
    order) and ``parents``; ``depth`` is the deepest nesting of ast nodes met.

    ``text`` is the module's text, ``line_starts`` the offsets where its lines start as Python
    counts lines (CRLF, CR and LF each end one). Raises SyntaxError, ValueError (NUL bytes),
    RecursionError or MemoryError as ``ast.parse`` does.
    """

    def __init__(self, text: str, line_starts: list[int], tree: ast.Module) -> None:
        self.text = text
        self.line_starts = line_starts
        self.positions = Positions(text, line_starts)
        self.spans: dict[Node, Span] = {}
        self.parents: dict[Node, Node] = {}
        self.depth = 0
        self._depths: dict[Node, int] = {}
        self._built: dict[ast.AST, Node | list[Node]] = {}
        self._groups: dict[int, list[Node | list[Node]]] = {}
        self._entries: dict[ast.AST, list[ast.AST | list[ast.stmt]]] = {}
        # (start, end, literal spans) of every string expression built, in building order
        # (an f-string's inner strings before it): ``string_groups`` keeps the outermost ones.
        self._strings: list[tuple[int, int, list[Span]]] = []
        self.module = self._build(tree)
        _LAST_GROUPS[0] = (tree, text, self.string_groups())
        depth_of = self._depths.get
        # Sorted by (end, -start, -depth), ties in building order (the index; nodes are not compared).
        keyed = [(span[1], -span[0], -depth_of(node, 0), index, node, span) for index, (node, span) in enumerate(self.spans.items())]
        keyed.sort()
        self.spans = {item[4]: item[5] for item in keyed}

    def string_groups(self) -> list[list[Span]]:
        """What ``string_groups(text, tree)`` gives, from the strings this build met: each
        string expression's literal spans, in source order, without those inside another
        (the strings of an f-string's replacement fields). String expressions nest or do not
        meet, so sorted by start, a string is inside another exactly when it starts before the
        end of the last outer one."""
        groups: list[list[Span]] = []
        outer_end = -1
        for start, end, pieces in sorted(self._strings, key=_start_of):
            if start < outer_end:
                continue
            groups.append(pieces)
            outer_end = end
        return groups

    # --- positions -------------------------------------------------------------

    def ast_span(self, node: ast.AST) -> Span:
        return self.positions.span(node)

    def skip(self, position: int) -> int:
        """The first offset at or after ``position`` that is not a blank, a line break, a
        comment or a line continuation."""
        return _BLANK.match(self.text, position).end()  # type: ignore[union-attr]

    def widen(self, start: int, end: int, low: int) -> Span:
        """``(start, end)`` grown over the parentheses around it, where only blanks, comments
        and opening parentheses lie between ``low`` and ``start``."""
        text = self.text
        opens = []
        at = self.skip(low)
        while at < start and text[at] == "(":
            opens.append(at)
            at = self.skip(at + 1)
        if at != start or not opens:
            return start, end
        closes = []
        at = end
        while len(closes) < len(opens):
            at = self.skip(at)
            if at >= len(text) or text[at] != ")":
                break
            closes.append(at)
            at += 1
        if not closes:
            return start, end
        return opens[len(opens) - len(closes)], closes[-1] + 1

    def comma_after(self, end: int) -> Comma | None:
        at = self.skip(end)
        if at < len(self.text) and self.text[at] == ",":
            comma = Comma()
            self.spans[comma] = (at, at + 1)
            return comma
        return None

    # --- building ----------------------------------------------------------------

    def _build(self, root: ast.Module) -> Module:
        # Nodes in pre-order with their depth, then built in reverse: children first. Each
        # node's fields are read once, here (``ast.iter_child_nodes`` and ``ast.iter_fields``
        # are generators: reading them twice a node was half of a module's build).
        order: list[ast.AST] = []
        depths: list[int] = []  # of each node of ``order``
        stack: list[ast.AST] = [root]
        stack_depths: list[int] = [0]
        entries = self._entries
        fields_of = _FIELDS.get
        while stack:
            node = stack.pop()
            depth = stack_depths.pop()
            order.append(node)
            depths.append(depth)
            found: list[ast.AST | list[ast.stmt]] = []
            children: list[ast.AST] = []
            kind = node.__class__
            if kind is ast.JoinedStr:
                # Its literal pieces carry the whole f-string's position (before Python 3.12),
                # and so does a format spec: only the replacement fields' expressions are read.
                children = [value.value for value in node.values if isinstance(value, ast.FormattedValue)]  # type: ignore[attr-defined]
                found = list(children)
            else:
                fields = fields_of(kind)
                for name in node_fields(kind) if fields is None else fields:
                    value = getattr(node, name, None)
                    if value.__class__ is list:
                        if value and isinstance(value[0], ast.stmt):
                            found.append(value)
                            children.extend(value)
                        else:
                            for item in value:
                                if isinstance(item, ast.AST):
                                    found.append(item)
                                    children.append(item)
                    elif isinstance(value, ast.AST):
                        found.append(value)
                        children.append(value)
            entries[node] = found
            if children:
                children.reverse()
                stack.extend(children)
                stack_depths.extend([depth + 1] * len(children))
        self.depth = max(depths)
        built_nodes = self._built
        node_depths = self._depths
        spans = self.spans
        span_of = self.positions.span
        handlers: dict[type, Callable[[ast.AST], Node | list[Node] | None]] = {}
        name_kind, constant_kind, text_kinds = ast.Name, ast.Constant, (str, bytes)
        for index in range(len(order) - 1, -1, -1):
            node = order[index]
            kind = node.__class__
            # The leaves most nodes are (names, numbers, None, True, False) are built here, as
            # ``_expr`` builds them, without its calls (issue 18: a third of a module's nodes).
            if kind is name_kind:
                built: Node = Name(node.id)  # type: ignore[attr-defined]
            elif kind is constant_kind and not isinstance(node.value, text_kinds):  # type: ignore[attr-defined]
                value = node.value  # type: ignore[attr-defined]
                built = Name(str(value)) if value is None or value is True or value is False else Expression([])
            else:
                handler = handlers.get(kind)
                if handler is None:
                    handler = handlers[kind] = getattr(self, _handler_name(kind))
                made = built_nodes[node] = handler(node)
                if isinstance(made, Node):
                    node_depths[made] = depths[index]
                continue
            built.tree = node
            spans[built] = span_of(node)
            built_nodes[node] = built
            node_depths[built] = depths[index]
        module = self._built[root]
        assert isinstance(module, Module)
        return module

    def _children(self, node: ast.AST) -> list[Node]:
        """The built nodes below ``node``, statement lists grouped into lines."""
        found: list[Node] = []
        built_of = self._built.get
        for entry in self._entries[node]:
            if entry.__class__ is list:
                found.extend(self._statements(entry, flat=True))  # type: ignore[arg-type]
                continue
            built = built_of(entry)  # type: ignore[arg-type]
            if built is None:
                continue
            if isinstance(built, Node):
                found.append(built)
            else:
                found.extend(built)
        return found

    def _of(self, node: ast.AST) -> list[Node]:
        built = self._built.get(node)
        if built is None:
            return []
        return [built] if isinstance(built, Node) else built

    def _expression(self, node: ast.AST) -> BaseExpression:
        built = self._built[node]
        assert isinstance(built, BaseExpression)
        return built

    def _statements(self, statements: list[ast.stmt], flat: bool) -> list[Node]:
        """Statements as built nodes: runs of small statements on one line become one
        SimpleStatementLine (unless they follow a compound statement's colon). ``flat``
        keeps the children of statements that are not built (an ``if`` and its body)."""
        key = id(statements)
        grouped = self._groups.get(key)
        if grouped is None:
            grouped = self._groups[key] = self._group(statements)
        found: list[Node] = []
        for item in grouped:
            if isinstance(item, Node):
                found.append(item)
            elif flat:
                found.extend(item)
        return found

    def _group(self, statements: list[ast.stmt]) -> list[Node | list[Node]]:
        found: list[Node | list[Node]] = []
        group: list[ast.stmt] = []

        def close() -> None:
            if not group:
                return
            start = self.ast_span(group[0])[0]
            small = [node for statement in group for node in self._of(statement)]
            if not self._starts_line(start):  # after a colon: a suite, not a line
                found.append(small)
            else:
                line = SimpleStatementLine(small)
                for node in small:
                    self.parents[node] = line
                self.spans[line] = (start, self.ast_span(group[-1])[1])
                self._depths[line] = -1
                found.append(line)
            group.clear()

        for statement in statements:
            if isinstance(statement, SMALL_STATEMENTS):
                if group:
                    end = self.ast_span(group[-1])[1]
                    if self.text[end : end + 1] in _LINE_ENDS:
                        close()  # a line break right after it: no ';' follows on its line (most statements)
                    else:
                        at = _INLINE.match(self.text, end).end()  # type: ignore[union-attr]
                        after = _INLINE.match(self.text, at + 1).end()  # type: ignore[union-attr]
                        if self.text[at : at + 1] != ";" or self.ast_span(statement)[0] != after:
                            close()
                group.append(statement)
                continue
            close()
            built = self._built.get(statement)
            if built is not None:
                found.append(built)
        close()
        return found

    def _blocks(self, node: ast.AST) -> list[Node]:
        """The built statements directly in ``node``'s body (compound ones not flattened)."""
        body = getattr(node, "body", [])
        return [item for item in self._statements(body, flat=False) if isinstance(item, (SimpleStatementLine, FunctionDef, ClassDef))]

    def _adopt(self, parent: Node, span: Span | None = None) -> Node:
        for child in parent.children:
            self.parents.setdefault(child, parent)
        if span is not None:
            self.spans[parent] = span
        return parent

    # --- one node of each kind (``_handler_name`` picks the method) ---------------

    def _module(self, node: ast.AST) -> Node:
        children = self._children(node)
        module = Module(self._blocks(node), children)
        return self._adopt(module, (0, len(self.text)))

    def _assign(self, node: ast.AST) -> Node:
        targets = [AssignTarget(self._expression(target)) for target in node.targets]  # type: ignore[attr-defined]
        for target in targets:
            self._adopt(target, self.spans.get(target.target))
        return self._adopt(Assign(targets, self._expression(node.value)), self.ast_span(node))  # type: ignore[attr-defined]

    def _ann_assign(self, node: ast.AST) -> Node:
        value = self._expression(node.value) if node.value is not None else None  # type: ignore[attr-defined]
        built = AnnAssign(self._expression(node.target), value, self._children(node))  # type: ignore[attr-defined]
        return self._adopt(built, self.ast_span(node))

    def _aug_assign(self, node: ast.AST) -> Node:
        return self._adopt(AugAssign(self._expression(node.target), self._children(node)), self.ast_span(node))  # type: ignore[attr-defined]

    def _expr_statement(self, node: ast.AST) -> Node:
        return self._adopt(Expr(self._expression(node.value)), self.ast_span(node))  # type: ignore[attr-defined]

    def _delete(self, node: ast.AST) -> Node:
        return self._adopt(Del([self._expression(target) for target in node.targets]), self.ast_span(node))  # type: ignore[attr-defined]

    def _import(self, node: ast.AST) -> Node:
        names = [ImportAlias(alias.name, alias.asname) for alias in node.names]  # type: ignore[attr-defined]
        return self._adopt(Import(names), self.ast_span(node))

    def _import_from(self, node: ast.AST) -> Node:
        if any(alias.name == "*" for alias in node.names):  # type: ignore[attr-defined]
            names: list[ImportAlias] | ImportStar = ImportStar()
        else:
            names = [ImportAlias(alias.name, alias.asname) for alias in node.names]  # type: ignore[attr-defined]
        return self._adopt(ImportFrom(node.module, names, node.level or 0), self.ast_span(node))  # type: ignore[attr-defined]

    def _for(self, node: ast.AST) -> Node:
        return self._adopt(For(self._expression(node.target), self._children(node)), self.ast_span(node))  # type: ignore[attr-defined]

    def _with(self, node: ast.AST) -> Node:
        items = []
        for item in node.items:  # type: ignore[attr-defined]
            asname = AsName(self._expression(item.optional_vars)) if item.optional_vars is not None else None
            items.append(WithItem(asname))
        return self._adopt(With(items, self._children(node)), self.ast_span(node))

    def _small(self, node: ast.AST) -> Node:
        return self._adopt(SmallStatement(self._children(node)), self.ast_span(node))

    def _definition(self, node: ast.AST) -> Node:
        start, end = self.ast_span(node)
        found = _DEFINED_NAME.match(self.text, start)
        name = Name(node.name)  # type: ignore[attr-defined]
        if found is not None:
            self.spans[name] = found.span(1)
        children = [name, *self._children(node)]
        body = IndentedBlock(self._blocks(node) if self._indented(node) else [])
        if isinstance(node, ast.ClassDef):
            bases = []
            for base in node.bases:
                value = self._expression(base)
                arg = Arg(value, None, "")
                value_start, value_end = self.spans[value]
                self.spans[arg] = self.widen(value_start, value_end, start)
                self.parents[value] = arg
                bases.append(arg)
            built: Node = ClassDef(name, bases, body, children)
            for arg in bases:
                self.parents[arg] = built
        else:
            arguments = node.args  # type: ignore[attr-defined]
            named = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
            built = FunctionDef(name, body, children, frozenset(arg.arg for arg in named if arg is not None))
        return self._adopt(built, (start, end))

    def _indented(self, node: ast.AST) -> bool:
        body = getattr(node, "body", [])
        if not body:
            return False
        return self._starts_line(self.ast_span(body[0])[0])

    def _starts_line(self, offset: int) -> bool:
        """Whether only indentation (or a leading byte order mark) comes before ``offset`` on its line."""
        return not self.text[line_start(self.text, offset) : offset].strip(" \t\f" + BOM)

    def _expr(self, node: ast.expr) -> BaseExpression:
        kind = type(node)
        span = self.ast_span(node)
        built: BaseExpression
        if kind is ast.Name:
            built = Name(node.id)  # type: ignore[attr-defined]
        elif kind is ast.Constant and (node.value is None or node.value is True or node.value is False):  # type: ignore[attr-defined]
            built = Name(str(node.value))  # type: ignore[attr-defined]
        elif kind is ast.Attribute:
            built = Attribute(self._expression(node.value), node.attr)  # type: ignore[attr-defined]
        elif kind is ast.Call:
            built = self._call(node, span)  # type: ignore[arg-type]
        elif kind is ast.Dict:
            built = self._dict(node, span)  # type: ignore[arg-type]
        elif (kind is ast.Constant and isinstance(node.value, (str, bytes))) or kind is ast.JoinedStr:  # type: ignore[attr-defined]
            built = self._string(span)
        elif kind is ast.Subscript:
            built = self._subscript(node)  # type: ignore[arg-type]
        elif kind in (ast.Tuple, ast.List):
            elements = []
            for element in node.elts:  # type: ignore[attr-defined]
                value = self._expression(element)
                elements.append(self._adopt(Element(value), self.spans.get(value)))
            built = Tuple(elements) if kind is ast.Tuple else List(elements)
            if kind is ast.Tuple and self._parenthesized(node, span):
                span = (self.skip(span[0] + 1), span[1] - 1)
        elif kind is ast.GeneratorExp:
            built = Expression(self._children(node))
            if self.text[span[0] : span[0] + 1] == "(":
                span = (self.skip(span[0] + 1), self._clause_end(node, span[1] - 1))  # type: ignore[arg-type]
        elif kind is ast.Lambda:
            built = Lambda(self._children(node))
        elif kind is ast.NamedExpr:
            built = NamedExpr(self._expression(node.target), self._expression(node.value))  # type: ignore[attr-defined]
        else:
            built = Expression(self._children(node))
        built.tree = node
        return self._adopt(built, span)  # type: ignore[return-value]

    def _clause_end(self, node: ast.GeneratorExp, close: int) -> int:
        """Where a generator expression's last clause ends (its own closing parentheses
        included), before the blanks and comments ahead of the parenthesis at ``close``."""
        last = node.generators[-1]
        end = max(self.ast_span(part)[1] for part in (last.iter, *last.ifs))
        while True:
            at = self.skip(end)
            if at >= close or self.text[at] != ")":
                return end
            end = at + 1

    def _parenthesized(self, node: ast.Tuple, span: Span) -> bool:
        if self.text[span[0] : span[0] + 1] != "(":
            return False
        if not node.elts:
            return True
        first = self.ast_span(node.elts[0])
        return self.widen(*first, span[0])[0] != span[0]

    def _call(self, node: ast.Call, span: Span) -> Call:
        func = self._expression(node.func)
        pieces: list[tuple[int, Arg]] = []
        for value in node.args:
            if isinstance(value, ast.Starred):
                arg = Arg(self._expression(value.value), None, "*")
                pieces.append((self.ast_span(value)[0], arg))
                self.spans[arg] = self.ast_span(value)
            else:
                arg = Arg(self._expression(value), None, "")
                pieces.append((self.ast_span(value)[0], arg))
        for keyword in node.keywords:
            name = Name(keyword.arg) if keyword.arg is not None else None
            arg = Arg(self._expression(keyword.value), name, "" if keyword.arg is not None else "**")
            where = self.ast_span(keyword)
            pieces.append((where[0], arg))
            self.spans[arg] = where
        pieces.sort(key=lambda piece: piece[0])
        args = [arg for _start, arg in pieces]
        low = self.text.index("(", self.spans[func][1]) + 1
        for arg in args:
            if arg not in self.spans:
                self.spans[arg] = self.widen(*self.spans[arg.value], low)
            arg.comma = self.comma_after(self.spans[arg][1])
            low = self.spans[arg.comma][1] if arg.comma is not None else self.spans[arg][1]
            self.parents[arg.value] = arg
        return Call(func, args)

    def _dict(self, node: ast.Dict, span: Span) -> Dict:
        elements: list[DictElement | StarredDictElement] = []
        low = span[0] + 1
        for key, value in zip(node.keys, node.values):
            built_value = self._expression(value)
            element: DictElement | StarredDictElement
            if key is None:
                stars = self.skip(low)
                element = StarredDictElement(built_value)
                end = self.widen(*self.spans[built_value], stars + 2)[1]
                self.spans[element] = (stars, end)
            else:
                built_key = self._expression(key)
                key_start, key_end = self.widen(*self.spans[built_key], low)
                colon = self.skip(key_end)
                end = self.widen(*self.spans[built_value], colon + 1)[1]
                element = DictElement(built_key, built_value)
                self.spans[element] = (key_start, end)
            element.comma = self.comma_after(self.spans[element][1])
            low = self.spans[element.comma][1] if element.comma is not None else self.spans[element][1]
            elements.append(self._adopt(element))  # type: ignore[arg-type]
        return Dict(elements)

    def _subscript(self, node: ast.Subscript) -> Subscript:
        value = self._expression(node.value)
        index = node.slice
        pieces: list[ast.expr]
        if isinstance(index, ast.Tuple) and not self._parenthesized(index, self.ast_span(index)) and index.elts:
            pieces = list(index.elts)
        else:
            pieces = [index]
        elements = []
        for piece in pieces:
            built = self._expression(piece)
            inner: Index | Slice = Slice(built.children) if isinstance(piece, ast.Slice) else Index(built)
            elements.append(SubscriptElement(self._adopt(inner)))  # type: ignore[arg-type]
            self._adopt(elements[-1])
        return Subscript(value, elements)

    def _string(self, span: Span) -> BaseExpression:
        """One literal, or adjacent ones as a right-nested ConcatenatedString."""
        start, end = span
        pieces = literal_spans(self.text, start, end)
        self._strings.append((start, end, pieces))
        built: list[BaseExpression] = []
        for piece_start, piece_end in pieces:
            value = self.text[piece_start:piece_end]
            prefix = _PREFIX.match(value).group().lower()  # type: ignore[union-attr]
            part: BaseExpression = FormattedString(value) if "f" in prefix else SimpleString(value)
            if len(pieces) > 1:
                self.spans[part] = (piece_start, piece_end)
            built.append(part)
        if len(built) == 1:
            return built[0]
        result = built[-1]
        for part, (piece_start, _piece_end) in zip(reversed(built[:-1]), reversed(pieces[:-1])):
            result = ConcatenatedString(part, result)
            self._adopt(result, (piece_start, end))
        return result

@functools.cache
def _body_pattern(quote: str, fstring: bool) -> re.Pattern[str]:
    """A literal's body after its opening ``quote``, up to and with its closing one: any
    character but a backslash or the quote's, a backslash and the character after it, and
    (in an f-string) ``{{``, never a replacement field's ``{``."""
    stop = re.escape(quote[0]) + ("{" if fstring else "")
    parts = [f"[^{stop}\\\\]", "\\\\.", *(["\\{\\{"] if fstring else [])]
    if len(quote) == 3:
        parts.append(re.escape(quote[0]) + f"(?!{re.escape(quote[1:])})")  # a lone quote inside
    return re.compile(f"(?:{'|'.join(parts)})*+{re.escape(quote)}", re.DOTALL)


def _literal_end(text: str, start: int) -> int:
    """Where the string literal starting at ``start`` ends, read without tokenizing: prefix,
    quote, then the first unescaped closing quote. An f-string's replacement fields may hold
    quotes of their own (Python 3.12), so a literal with fields is not trusted (-1)."""
    prefix = _PREFIX.match(text, start).group()  # type: ignore[union-attr]
    body = start + len(prefix)
    quote = text[body : body + 3] if text[body : body + 3] in ("'''", '"""') else text[body : body + 1]
    if quote not in ("'", '"', "'''", '"""'):
        return -1
    found = _body_pattern(quote, "f" in prefix.lower()).match(text, body + len(quote))
    return found.end() if found is not None else -1


def _tokenized_literals(text: str, start: int, end: int) -> list[Span]:
    """String literal spans in ``text[start:end]``, found by ``tokenize`` (an f-string split
    into several tokens by Python 3.12 is put back together)."""
    piece = "(" + text[start:end] + ")"
    starts = [0]
    for found in re.finditer(r"\r\n|\r|\n", piece):
        starts.append(found.end())

    def offset(position: tuple[int, int]) -> int:
        return start - 1 + starts[position[0] - 1] + position[1]

    spans: list[Span] = []
    depth = 0
    opened = 0
    for tok in tokenize.generate_tokens(io.StringIO(piece).readline):
        if tok.type == getattr(token, "FSTRING_START", -1):
            if depth == 0:
                opened = offset(tok.start)
            depth += 1
        elif tok.type == getattr(token, "FSTRING_END", -1):
            depth -= 1
            if depth == 0:
                spans.append((opened, offset(tok.end)))
        elif tok.type == token.STRING and depth == 0:
            spans.append((offset(tok.start), offset(tok.end)))
    return spans or [(start, end)]

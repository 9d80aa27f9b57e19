"""Python source read with libcst: import-aware names (``python_scopes``), settings written
as keywords or dict keys, and text edits that follow the layout of the code around them
(``python_layout``); node spans come from ``python_metadata``.

Nothing here re-serialises the module: every offset is a character offset into the original
text, and every edit is an insertion or replacement of a small piece of that text.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from pgconf_fix.documents.python_layout import LayoutEdits
from pgconf_fix.documents.python_metadata import (
    MAX_NESTING,
    NestingTooDeep,
    line_column,
    spans_and_parents,
)
from pgconf_fix.documents.python_scopes import SCOPE_NODES, ScopeIndex, collect_imports
from pgconf_fix.findings import Edit, Location, Problem
from pgconf_fix.setting import State
from pgconf_fix.source import SourceFile

_LINE_BREAK = re.compile(r"[\r\n]")
# Shorter files cannot nest deep enough to crash libcst's parser: at one character a level,
# 1,000 levels of every kind tried (brackets, calls, unary and binary operators, lambdas,
# attributes) parse; the crashes start between that and 100,000.
DEEP_CHECK_SIZE = 1000
# CPython keeps ``a and b and ...``, a dotted import name and implicit string concatenation
# flat, so compile() takes any length of them; libcst nests them, one level a term, and its
# native parser overflows the machine stack near 7,000 (SIGSEGV). Longer chains than this
# are refused before libcst sees them (shorter ones deeper than MAX_NESTING, by
# python_metadata's position pass).
CHAIN_LIMIT = 2000


# A value the code computes at run time (a variable, a call): neither set nor missing.
UNKNOWN = State.UNKNOWN


def literal(node: cst.BaseExpression | None) -> object:
    """The Python value of a literal expression, else UNKNOWN."""
    if node is None:
        return UNKNOWN
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    code = cst.Module([]).code_for_node(node)
    try:
        with warnings.catch_warnings(action="ignore"):  # an invalid escape ("\\d") is the module's business, not our stderr's
            return ast.literal_eval(code.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return UNKNOWN


def string_prefix(node: cst.BaseExpression | None) -> str | None:
    """A string literal's value, or the literal text an f-string starts with."""
    value = literal(node)
    if isinstance(value, str):
        return value
    if isinstance(node, cst.FormattedString):
        head = ""
        for part in node.parts:
            if not isinstance(part, cst.FormattedStringText):
                break
            head += part.value
        return head or None
    return None


@dataclass
class Entry:
    """One setting: ``key=value`` in a call, or ``"key": value`` in a dict."""

    key: str
    value: cst.BaseExpression
    start: int
    end: int
    value_start: int
    value_end: int


@dataclass
class Settings:
    """A call's keywords or a dict's constant keys, with what could not be read.

    ``complete`` is False when a ``**splat`` or a computed key may hold any key:
    a key not found is then unknown rather than missing.
    """

    document: PythonDocument
    node: cst.Call | cst.Dict
    entries: dict[str, Entry] = field(default_factory=dict)
    spread: list[Settings] = field(default_factory=list)
    complete: bool = True

    @property
    def is_call(self) -> bool:
        return isinstance(self.node, cst.Call)

    def add_spread(self, spread: Settings | None) -> None:
        """A ``**splat`` read as settings, or None when it cannot be: then any key may be there."""
        if spread is None:
            self.complete = False
        else:
            self.spread.append(spread)

    def find(self, key: str) -> Entry | None:
        found = None
        for spread in self.spread:
            found = spread.find(key) or found
        return self.entries.get(key) or found

    def owner(self, key: str) -> Settings | None:
        """The container ``find(key)`` reads the key from: this one, else the last spread that has it."""
        found = None
        for spread in self.spread:
            found = spread.owner(key) or found
        return self if key in self.entries else found

    def replace(self, key: str, value_code: str) -> tuple[Edit, ...]:
        """``key``'s value set to ``value_code`` where it is written, laid out as ruff would lay
        out the result (``LayoutEdits.replace_value``); () when the key is not written here."""
        owner = self.owner(key)
        if owner is None:
            return ()
        entry = owner.entries[key]
        return owner.document.replace_value(owner.node, entry.value_start, entry.value_end, value_code)

    def keys(self) -> set[str]:
        keys = set(self.entries)
        for spread in self.spread:
            keys |= spread.keys()
        return keys

    @property
    def fully_known(self) -> bool:
        return self.complete and all(spread.fully_known for spread in self.spread)

    def home(self) -> Settings:
        """Where a new key goes: the dict the user spread into this call, if there is one."""
        if not self.entries and len(self.spread) == 1:
            return self.spread[0].home()
        return self

    def insert(self, key: str, value_code: str, reserve: int = 0) -> tuple[Edit, ...]:
        """Edits adding ``key`` (rendered in this container's syntax) after the last item.

        ``reserve`` is room other fixes of the same run may take on the line: a layout
        decision made for one insertion must still hold when the others land beside it.
        """
        return self.insert_many([(key, value_code)], reserve)

    def insert_many(self, pairs: list[tuple[str, str]], reserve: int = 0) -> tuple[Edit, ...]:
        home = self.home()
        if home.is_call:
            pieces = [f"{key}={code}" for key, code in pairs]
        else:
            quote = home.document.key_quote(home.node)  # type: ignore[arg-type]
            pieces = [f"{quote}{key}{quote}: {code}" for key, code in pairs]
        return home.document.append_items(home.node, pieces, reserve)

    def item_indent(self) -> str | None:
        """The indentation of items written one a line, else None."""
        home = self.home()
        items = list(home.node.args) if isinstance(home.node, cst.Call) else list(home.node.elements)
        if not items:
            return None
        first = home.document.span(items[0])[0]
        before = home.document.text[home.document.line_start(first) : first]
        return before if not before.strip() else None


class PythonDocument(LayoutEdits):
    """A parsed Python file, or the syntax error that stopped the parse."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.text = source.text
        self.error: tuple[int, int, str] | None = None
        self.unreadable = False  # valid Python this libcst cannot parse: skipped, not an error
        self.module: cst.Module | None = None
        self.imports: dict[str, str] = {}
        self._scopes: dict[int, ScopeIndex] = {}
        self._cr_starts: list[int] | None = None
        deep = _too_deep(self.text)
        if deep is not None:
            self.error = deep
            return
        try:
            module = cst.parse_module(self.text)
        except cst.ParserSyntaxError as exc:
            self.error = _python_error(self.text, exc)
            if self.error is None:  # Python accepts it: a run of strings libcst gives up on, or syntax it lacks
                self.error = _long_string_run(self.text)
            self.unreadable = self.error is None
            return
        except (UnicodeError, ValueError, RecursionError) as exc:
            self.error = (1, 0, f"cannot parse as Python: {exc}")
            return
        try:
            self.spans, self.parents = spans_and_parents(module, self._line_starts, len(self.text))
        except NestingTooDeep as deep:
            self.error = (deep.line, deep.column, deep.message)
            return
        self.module = module
        self._by_class: dict[type, list[tuple[int, cst.CSTNode]]] | None = None
        self.imports = collect_imports(module, self.nodes(cst.Import, cst.ImportFrom))
        self.error = self._repeated_keyword()

    @property
    def problems(self) -> list[Problem]:
        """What Python rejects in this file (PGF001): the line of ``error``, kept within the file."""
        if self.error is None:
            return []
        line, _column, message = self.error
        start, end = self.source.line_span(max(1, min(line, len(self.source.line_starts))))
        return [Problem(Location(self.source, start, end), message)]

    def _repeated_keyword(self) -> tuple[int, int, str] | None:
        """Python's compiler refuses a call that repeats a keyword argument; libcst parses it.
        Checked here so that a fix that would write one is refused by the re-check."""
        for call in self.nodes(cst.Call):
            seen: set[str] = set()
            for arg in call.args:
                if arg.keyword is None:
                    continue
                if arg.keyword.value in seen:
                    line, column = self.line_column(self.spans[arg][0])
                    return (line, column, f"not valid Python: keyword argument repeated: {arg.keyword.value}")
                seen.add(arg.keyword.value)
        return None

    # --- nodes -----------------------------------------------------------------

    def nodes(self, *classes: type) -> list[cst.CSTNode]:
        """Every node of exactly these libcst classes (leaf classes: none has subclasses), in
        the order of ``spans`` (PositionProvider's order). One pass sorts all nodes by class: scanning every node
        with ``isinstance`` goes through ABCMeta each time, a third of this layer's time."""
        if self._by_class is None:
            self._by_class = {}
            for order, node in enumerate(self.spans):
                self._by_class.setdefault(type(node), []).append((order, node))
        if len(classes) == 1:
            return [node for _, node in self._by_class.get(classes[0], ())]
        merged = sorted(entry for kind in classes for entry in self._by_class.get(kind, ()))
        return [node for _, node in merged]

    # --- positions -------------------------------------------------------------

    def offset(self, line: int, column: int) -> int:
        starts = self._line_starts
        return starts[min(line, len(starts)) - 1] + column

    @property
    def _line_starts(self) -> list[int]:
        """Line starts as libcst (and Python) count lines: a lone CR ends one too."""
        if self._cr_starts is None:
            if "\r" in self.text and re.search(r"\r(?!\n)", self.text):
                self._cr_starts = [0, *(match.end() for match in re.finditer(r"\r\n?|\n", self.text))]
            else:
                self._cr_starts = self.source.line_starts
        return self._cr_starts

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based line and 0-based column (characters) of ``offset``, as Python counts lines."""
        return line_column(self._line_starts, offset)

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        """``node``'s start and end offsets in the text (PositionProvider's range)."""
        return self.spans[node]

    def code(self, node: cst.CSTNode) -> str:
        start, end = self.span(node)
        return self.text[start:end]

    def line_start(self, offset: int) -> int:
        return max(self.text.rfind("\n", 0, offset), self.text.rfind("\r", 0, offset)) + 1

    def line_end(self, offset: int) -> int:
        found = _LINE_BREAK.search(self.text, offset)
        return found.start() if found else len(self.text)

    def indentation(self, offset: int) -> str:
        start = self.line_start(offset)
        line = self.text[start:offset]
        return line[: len(line) - len(line.lstrip(" \t"))]

    # --- names -----------------------------------------------------------------

    def qualified(self, node: cst.BaseExpression) -> str | None:
        """``sa.create_engine`` -> ``sqlalchemy.create_engine`` when ``sa`` was imported; else None."""
        if isinstance(node, cst.Name):
            return self.imports.get(node.value)
        if isinstance(node, cst.Attribute):
            base = self.qualified(node.value)
            return f"{base}.{node.attr.value}" if base else None
        return None

    def calls(self) -> Iterator[tuple[cst.Call, str]]:
        """Every call whose callee resolves through an import, with its qualified name."""
        if self.module is None:
            return
        for node in self.nodes(cst.Call):
            name = self.qualified(node.func)  # type: ignore[attr-defined]
            if name:
                yield node, name  # type: ignore[misc]

    def scope_of(self, node: cst.CSTNode) -> cst.CSTNode:
        current = self.parents.get(node)
        while current is not None and not isinstance(current, (*SCOPE_NODES, cst.Module)):
            current = self.parents.get(current)
        return current if current is not None else self.module  # type: ignore[return-value]

    def _index(self, scope: cst.CSTNode) -> ScopeIndex:
        key = id(scope)
        if key not in self._scopes:
            self._scopes[key] = ScopeIndex(scope)
        return self._scopes[key]

    def binding(self, name: str, near: cst.CSTNode) -> cst.BaseExpression | None:
        """The one value ``name`` is given in the scope of ``near``, if it is given exactly once
        and never changed in place afterwards."""
        index = self._index(self.scope_of(near))
        values = index.assigned.get(name, [])
        if len(values) != 1 or name in index.mutated:
            return None
        return values[0]

    def resolve(self, node: cst.BaseExpression | None, near: cst.CSTNode) -> cst.BaseExpression | None:
        """Follow a bare name to its single value in the same scope."""
        seen = 0
        while isinstance(node, cst.Name) and seen < 5 and node.value not in ("True", "False", "None"):
            value = self.binding(node.value, near)
            if value is None:
                return node
            node, seen = value, seen + 1
        return node

    # --- settings containers ---------------------------------------------------

    def settings(self, node: cst.BaseExpression | None, near: cst.CSTNode) -> Settings | None:
        """Settings written as a dict literal or a ``dict(...)`` call (after resolving a name)."""
        node = self.resolve(node, near)
        if isinstance(node, cst.Dict):
            return self.dict_settings(node)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
            if "dict" not in self.imports and all(arg.keyword is not None or arg.star == "**" for arg in node.args):
                return self.call_settings(node)
        return None

    def call_settings(self, call: cst.Call) -> Settings:
        result = Settings(self, call)
        for arg in call.args:
            if arg.keyword is not None:
                start, end = self.span(arg)
                value_start, value_end = self.span(arg.value)
                key = arg.keyword.value
                result.entries[key] = Entry(key, arg.value, start, end, value_start, value_end)
            elif arg.star == "**":
                result.add_spread(self.settings(arg.value, call))
        return result

    def dict_settings(self, node: cst.Dict) -> Settings:
        result = Settings(self, node)
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = literal(element.key)
                if not isinstance(key, str):
                    result.complete = False
                    continue
                start, end = self.span(element)
                value_start, value_end = self.span(element.value)
                result.entries[key] = Entry(key, element.value, start, end, value_start, value_end)
            else:
                result.add_spread(self.settings(element.value, node))
        return result

    def positional(self, call: cst.Call, index: int, keyword: str | None = None) -> cst.BaseExpression | None:
        """An argument given by position or by keyword."""
        plain = [arg for arg in call.args if arg.keyword is None and not arg.star]
        for arg in call.args:
            if keyword is not None and arg.keyword is not None and arg.keyword.value == keyword:
                return arg.value
        return plain[index].value if index < len(plain) else None

    def statement_of(self, node: cst.CSTNode) -> cst.SimpleStatementLine | None:
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(current, cst.SimpleStatementLine):
            current = self.parents.get(current)
        return current



def _too_deep(text: str) -> tuple[int, int, str] | None:
    """Python's refusal of nesting too deep for it, or a chain too long for libcst; else None.

    libcst's native parser recurses on the machine stack: some thousands of nested brackets,
    unary operators or lambdas crash the whole process (SIGSEGV, exit 139). Python's own
    parser and compiler refuse nesting far shallower than that (200 brackets, about 3,000
    operators) with a SyntaxError, RecursionError or MemoryError, so a file long enough to
    hold a crashing depth is shown to Python first. What Python accepts at any length but
    libcst nests (CHAIN_LIMIT) is looked for next. Any other complaint of Python's is left
    to the usual path: the file may be valid for the Python version it is written for.
    """
    if len(text) < DEEP_CHECK_SIZE:
        return None
    try:
        with warnings.catch_warnings(action="ignore"):  # SyntaxWarnings (invalid escapes) are not ours to print
            compile(text, "<checked>", "exec", dont_inherit=True)
    except (RecursionError, MemoryError):
        return (_busiest_line(text), 0, "not valid Python: nested too deeply for Python's parser")
    except SyntaxError as error:
        if "too many nested" in error.msg or "too complex" in error.msg or "nested too deeply" in error.msg:
            return (error.lineno or 1, error.offset or 0, f"not valid Python: {error.msg}")
    except ValueError:  # NUL bytes: the usual path reports them
        pass
    else:
        return _long_chain(text)
    return None


_BOOLEAN_WORD = re.compile(r"\b(?:and|or)\b")
# Name parts joined by dots (blanks and line continuations allowed around them), each run
# matched whole and once (possessive: no backtracking), so the search stays linear.
_DOTTED_RUN = re.compile(r"(?:\.(?:[ \t\f]|\\\r?\n)*+\w++(?:[ \t\f]|\\\r?\n)*+)++")


def _long_chain(text: str) -> tuple[int, int, str] | None:
    """Where ``text`` (which Python compiles) holds an ``and``/``or`` chain or a dotted name
    of more than CHAIN_LIMIT terms, as (line, column, message); else None. Cheap counts
    first: a file with fewer ``and``/``or`` words or dots than that holds no such chain."""
    message = f"nesting too deep for pgconf-fix's Python parser (libcst): a chain of more than {CHAIN_LIMIT} terms; this file is not checked"
    if text.count(".") >= CHAIN_LIMIT:
        for found in _DOTTED_RUN.finditer(text):
            if found.end() - found.start() > 2 * CHAIN_LIMIT and found.group().count(".") > CHAIN_LIMIT:
                line = text.count("\n", 0, found.start()) + 1
                return (line, found.start() - text.rfind("\n", 0, found.start()) - 1, message)
    if len(_BOOLEAN_WORD.findall(text)) >= CHAIN_LIMIT:
        try:
            with warnings.catch_warnings(action="ignore"):
                tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        for node in ast.walk(tree):
            if isinstance(node, ast.BoolOp) and len(node.values) > CHAIN_LIMIT:
                return (node.lineno, node.col_offset, message)
    return None


def _busiest_line(text: str) -> int:
    """The line Python's compiler most likely gave up on: the start of the logical line with
    the most tokens, or of the ``if`` whose ``elif`` chain is longer (each ``elif`` nests
    one level in the syntax tree). 1 when the text cannot be tokenized."""
    import io
    import tokenize

    best_line, best = 1, 0
    line_start, count, first = 1, 0, True
    chains: dict[int, tuple[int, int]] = {}  # indentation column -> (line of the if, elifs)
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                if count > best:
                    best_line, best = line_start, count
                count, first = 0, True
                continue
            if token.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                continue
            if first:
                line_start, first = token.start[0], False
                column = token.start[1]
                if token.string == "if":
                    chains[column] = (line_start, 0)
                elif token.string == "elif" and column in chains:
                    line, elifs = chains[column]
                    chains[column] = (line, elifs + 1)
                    if 2 * (elifs + 1) > best:
                        best_line, best = line, 2 * (elifs + 1)
            count += 1
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    return best_line


def _long_string_run(text: str) -> tuple[int, int, str] | None:
    """Where ``text`` (which Python accepts and libcst refused) joins more than MAX_NESTING
    adjacent string literals (libcst nests each one and gives up on long runs), else None."""
    import io
    import tokenize

    run, start = 0, (1, 0)
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NL, tokenize.COMMENT):
                continue
            if token.type == tokenize.STRING:
                if run == 0:
                    start = token.start
                run += 1
                if run > MAX_NESTING:
                    message = (
                        f"nesting too deep for pgconf-fix's Python parser (libcst): more than {MAX_NESTING} "
                        "adjacent strings joined here; this file is not checked"
                    )
                    return (start[0], start[1], message)
            else:
                run = 0
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    return None


def _python_error(text: str, exc: cst.ParserSyntaxError) -> tuple[int, int, str] | None:
    """Where and why Python itself refuses the file (its words are clearer than the parser's).

    None when Python accepts what libcst could not parse: the file is fine, only unread.
    """
    try:
        with warnings.catch_warnings(action="ignore"):
            ast.parse(text)
    except SyntaxError as error:
        return (error.lineno or 1, error.offset or 0, f"not valid Python: {error.msg}")
    except (ValueError, RecursionError, MemoryError):
        pass
    else:
        return None
    found = re.search(r"error at (\d+):(\d+): (.*)", exc.message)
    if found:
        return (int(found.group(1)), int(found.group(2)), f"not valid Python: {found.group(3)}")
    return (exc.raw_line, exc.raw_column, f"not valid Python: {exc.message}")



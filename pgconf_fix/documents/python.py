"""Python source read with the standard library's ``ast`` (``python_nodes`` builds the node
shapes and spans the views read): import-aware names (``python_scopes``), settings written as
keywords or dict keys, and text edits that follow the layout of the code around them
(``python_layout``).

Nothing here re-serialises the module: every offset is a character offset into the original
text, and every edit is an insertion or replacement of a small piece of that text. The
running interpreter parses the module, as it parses the re-check of every fix
(``pgconf_fix.python_calls``).
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

from pgconf_fix.documents import python_nodes as syntax
from pgconf_fix.documents.python_layout import LayoutEdits
from pgconf_fix.documents.python_scopes import _MUTATORS, SCOPE_NODES, ScopeIndex, collect_imports
from pgconf_fix.findings import Edit, Location, Problem
from pgconf_fix.setting import State
from pgconf_fix.source import SourceFile

_LINE_BREAK = re.compile(r"[\r\n]")
# Python's complaints about nesting: such a module is not shown to libcst (its native parser
# crashes on a few thousand levels).
_NESTING = re.compile(r"nested|too complex")
# Python's complaints about a literal (an escape that decodes to nothing, a non-ASCII byte
# string): every version refuses these, where libcst's grammar takes them, so they are never
# newer syntax.
_LITERAL = re.compile(r"^\((?:unicode|value) error\)|^bytes can only contain ASCII")
# Rules of the grammar every version keeps that libcst's does not check (3.11, 3.12 and 3.13
# refuse ``[*a for a in b]``, ``{**a for a in b}`` and ``f'{*a}'``; libcst 1.9 takes them).
_EVERY_VERSION = re.compile(r"unpacking cannot be used in (?:dict )?comprehension|cannot use starred expression")
# A Jinja statement or comment tag at the start of a line (see _jinja_tag).
_JINJA_TAG = re.compile(r"^[ \t]*\{[%#]", re.MULTILINE)


# A value the code computes at run time (a variable, a call): neither set nor missing.
UNKNOWN = State.UNKNOWN


def literal(node: syntax.Node | None) -> object:
    """The Python value of a literal expression (``ast.literal_eval``), else UNKNOWN."""
    if node is None:
        return UNKNOWN
    if isinstance(node, syntax.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if node.tree is None:
        return UNKNOWN
    try:
        with warnings.catch_warnings(action="ignore"):
            return ast.literal_eval(node.tree)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return UNKNOWN


def string_prefix(node: syntax.BaseExpression | None) -> str | None:
    """A string literal's value, or the literal text an f-string starts with."""
    value = literal(node)
    if isinstance(value, str):
        return value
    if isinstance(node, syntax.FormattedString):
        head = ""
        for part in node.parts:
            if not isinstance(part, syntax.FormattedStringText):
                break
            head += part.value
        return head or None
    return None


@dataclass
class Entry:
    """One setting: ``key=value`` in a call, or ``"key": value`` in a dict."""

    key: str
    value: syntax.BaseExpression
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
    node: syntax.Call | syntax.Dict
    entries: dict[str, Entry] = field(default_factory=dict)
    spread: list[Settings] = field(default_factory=list)
    complete: bool = True
    # A dict read through a class attribute (``**Config.SQLALCHEMY_ENGINE_OPTIONS``): other
    # classes read it too, so no key is added or changed there for this one. Its code, for messages.
    shared: str = ""

    @property
    def is_call(self) -> bool:
        return isinstance(self.node, syntax.Call)

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
        if self.through_shared(key) is not None:
            # A key after the spread wins over it: this dict gets its own, the class's stays.
            return self.insert(key, value_code)
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
        """Where a new key goes: the dict the user spread into this call, if there is one (not
        a class's dict, which its other readers would get too)."""
        if not self.entries and len(self.spread) == 1 and not self.spread[0].shared:
            return self.spread[0].home()
        return self

    def through_shared(self, key: str) -> Settings | None:
        """The shared dict (``shared``) ``find(key)`` reads the key through, if it does."""
        if key in self.entries:
            return None
        found = None
        for spread in self.spread:
            if spread.find(key) is not None:
                found = spread if spread.shared else spread.through_shared(key)
        return found

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
        items = list(home.node.args) if isinstance(home.node, syntax.Call) else list(home.node.elements)
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
        self.module: syntax.Module | None = None
        # Valid Python of a newer version than the one running (``type X = ...`` read by 3.11),
        # or bytes import decodes where the tokenizer does not: not an error, but not checked:
        # (line, why) for PGF004.
        self.unread: tuple[int, str] | None = None
        self.imports: dict[str, str] = {}
        self._scopes: dict[int, ScopeIndex] = {}
        self._reading: set[int] = set()  # class-attribute dicts being read (settings)
        self._cr_starts: list[int] | None = None
        self.spans: dict[syntax.Node, tuple[int, int]] = {}
        self.parents: dict[syntax.Node, syntax.Node] = {}
        self._by_class: dict[type, list[tuple[int, syntax.Node]]] | None = None
        if source.encoding is None:
            self._undecodable()
            return
        try:
            tree = syntax.parse(self.text)
            built = syntax.Tree(self.text, self._line_starts, tree)
        except SyntaxError as error:
            message = error.msg or ""
            newer = not any(pattern.search(message) for pattern in (_NESTING, _LITERAL, _EVERY_VERSION))
            template = _jinja_tag(self.text)
            if template is not None:
                self.unread = (template, (
                    "not checked: a Jinja template (a {% ... %} tag), which its engine (cookiecutter, copier) "
                    "renders before Python reads it"))
            elif newer and _newer_python(self.text):
                running = ".".join(str(part) for part in sys.version_info[:2])
                self.unread = (error.lineno or 1, (
                    f"not checked: valid Python of a newer version than {running}, which runs pgconf-fix and "
                    f"refuses it here ({message}); run pgconf-fix with the Python the project uses"))
            else:
                self.error = (error.lineno or 1, error.offset or 0, f"not valid Python: {error.msg}")
            return
        except (RecursionError, MemoryError):
            self.error = (_busiest_line(self.text), 0, "not valid Python: nested too deeply for Python's parser")
            return
        except ValueError as error:  # NUL bytes
            self.error = (1, 0, f"not valid Python: {error}")
            return
        self.error = _compiler_refusal(self.text)
        if self.error is not None:
            return
        self.spans, self.parents = built.spans, built.parents
        self.module = built.module
        self.imports = collect_imports(self.module, self.nodes(syntax.Import, syntax.ImportFrom))

    def _undecodable(self) -> None:
        """A module Python cannot decode (pgconf_fix.documents.python_encoding): PGF001 in the
        interpreter's words; unread, and not judged, when the interpreter decodes it after all
        (a declaration ``tokenize`` does not find where the interpreter does)."""
        from pgconf_fix.documents.python_encoding import refusal

        refused = refusal(self.source.data)
        if refused is None:
            why = ("not checked: Python imports this module, but its bytes do not decode as UTF-8 or as an encoding "
                   "it declares where the standard library's tokenizer looks, so pgconf-fix cannot read it")
            self.unread = (1, why)
        else:
            line, message = refused
            self.error = (line, 0, f"not valid Python: {message}")

    @property
    def unreadable(self) -> bool:
        """Whether the module is valid for its interpreter but not read here (``unread``)."""
        return self.unread is not None

    @property
    def problems(self) -> list[Problem]:
        """What Python rejects in this file (PGF001): the line of ``error``, kept within the file."""
        if self.error is None:
            return []
        line, _column, message = self.error
        start, end = self.source.line_span(max(1, min(line, len(self.source.line_starts))))
        return [Problem(Location(self.source, start, end), message)]

    # --- nodes -----------------------------------------------------------------

    def nodes(self, *classes: type) -> list[syntax.Node]:
        """Every node of exactly these ``python_nodes`` classes (no subclasses counted), in
        the order of ``spans`` (children before their parent, siblings in source order). One pass sorts all nodes by class: scanning every node
        with ``isinstance`` goes through ABCMeta each time, a third of this layer's time."""
        if self._by_class is None:
            by_class: dict[type, list[tuple[int, syntax.Node]]] = {}
            for order, node in enumerate(self.spans):
                entries = by_class.get(node.__class__)
                if entries is None:  # not setdefault(kind, []): a list made for each node
                    entries = by_class[node.__class__] = []
                entries.append((order, node))
            self._by_class = by_class
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
        """Line starts as Python counts lines: a lone CR ends one too."""
        if self._cr_starts is None:
            if "\r" in self.text and re.search(r"\r(?!\n)", self.text):
                self._cr_starts = syntax.line_starts_of(self.text)
            else:
                self._cr_starts = self.source.line_starts
        return self._cr_starts

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based line and 0-based column (characters) of ``offset``, as Python counts lines."""
        starts = self._line_starts
        index = bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index]

    def span(self, node: syntax.Node) -> tuple[int, int]:
        """``node``'s start and end offsets in the text (PositionProvider's range)."""
        return self.spans[node]

    def code(self, node: syntax.Node) -> str:
        start, end = self.span(node)
        return self.text[start:end]

    def line_start(self, offset: int) -> int:
        return syntax.line_start(self.text, offset)

    def line_end(self, offset: int) -> int:
        found = _LINE_BREAK.search(self.text, offset)
        return found.start() if found else len(self.text)

    def indentation(self, offset: int) -> str:
        start = self.line_start(offset)
        line = self.text[start:offset]
        return line[: len(line) - len(line.lstrip(" \t"))]

    # --- names -----------------------------------------------------------------

    def qualified(self, node: syntax.BaseExpression) -> str | None:
        """``sa.create_engine`` -> ``sqlalchemy.create_engine`` when ``sa`` was imported; else None."""
        if isinstance(node, syntax.Name):
            return self.imports.get(node.value)
        if isinstance(node, syntax.Attribute):
            base = self.qualified(node.value)
            return f"{base}.{node.attr.value}" if base else None
        return None

    def calls(self) -> Iterator[tuple[syntax.Call, str]]:
        """Every call whose callee resolves through an import, with its qualified name."""
        if self.module is None:
            return
        for node in self.nodes(syntax.Call):
            name = self.qualified(node.func)  # type: ignore[attr-defined]
            if name:
                yield node, name  # type: ignore[misc]

    def scope_of(self, node: syntax.Node) -> syntax.Node:
        current = self.parents.get(node)
        while current is not None and not isinstance(current, (*SCOPE_NODES, syntax.Module)):
            current = self.parents.get(current)
        return current if current is not None else self.module  # type: ignore[return-value]

    def _index(self, scope: syntax.Node) -> ScopeIndex:
        key = id(scope)
        if key not in self._scopes:
            self._scopes[key] = ScopeIndex(scope)
        return self._scopes[key]

    def binding(self, name: str, near: syntax.Node) -> syntax.BaseExpression | None:
        """The one value ``name`` is given in the scope of ``near``, if it is given exactly once
        and never changed in place afterwards."""
        index = self._index(self.scope_of(near))
        values = index.assigned.get(name, [])
        if len(values) != 1 or name in index.mutated:
            return None
        return values[0]

    def resolve(self, node: syntax.BaseExpression | None, near: syntax.Node) -> syntax.BaseExpression | None:
        """Follow a bare name to its single value in the same scope."""
        seen = 0
        while isinstance(node, syntax.Name) and seen < 5 and node.value not in ("True", "False", "None"):
            value = self.binding(node.value, near)
            if value is None:
                return node
            node, seen = value, seen + 1
        return node

    def resolve_global(self, node: syntax.BaseExpression | None, near: syntax.Node) -> syntax.BaseExpression | None:
        """Follow a bare name as :meth:`resolve` does, and, where the scope of ``near`` is a
        function that binds no such name, to the one value the module gives it: Python looks a
        name up in the enclosing functions, then the module (the LEGB rule; a class body is not
        an enclosing scope of its methods). A name also bound by a parameter, a ``lambda``, an
        import anywhere in the file, or declared ``global``/``nonlocal`` somewhere, is not followed.
        Returns the node reached, or ``node`` itself when it cannot be followed."""
        resolved = self.resolve(node, near)
        if not isinstance(resolved, syntax.Name) or resolved is not node or self.module is None:
            return resolved
        name = node.value
        scope = self.scope_of(near)
        if scope is self.module or name in self.imports:
            return node
        innermost = True
        while scope is not self.module:
            if isinstance(scope, syntax.Lambda):
                return node  # its parameters are not kept
            if innermost or isinstance(scope, syntax.FunctionDef):
                index = self._index(scope)
                if name in index.assigned or name in index.mutated:
                    return node  # bound here: resolve() has already said what it could
                if isinstance(scope, syntax.FunctionDef) and name in scope.params:
                    return node
            innermost = False
            scope = self.scope_of(scope)
        if re.search(rf"\b(?:global|nonlocal)\b[^\n#]*\b{re.escape(name)}\b", self.text):
            return node  # a function may rebind the module's name
        return self.resolve(node, self.module)

    # --- settings containers ---------------------------------------------------

    def settings(self, node: syntax.BaseExpression | None, near: syntax.Node) -> Settings | None:
        """Settings written as a dict literal or a ``dict(...)`` call (after resolving a name,
        or a class attribute of this module: :meth:`class_attribute`, then ``shared``)."""
        node = self.resolve(node, near)
        if isinstance(node, syntax.Attribute):
            found = self.class_attribute(node)
            value = self.resolve(found[0], found[1]) if found is not None else None
            if isinstance(value, syntax.Dict) and id(value) not in self._reading:
                self._reading.add(id(value))  # a dict that spreads itself is not read forever
                try:
                    settings = self.dict_settings(value)
                finally:
                    self._reading.discard(id(value))
                settings.shared = self.code(node)
                return settings
            return None
        if isinstance(node, syntax.Dict):
            return self.dict_settings(node)
        if isinstance(node, syntax.Call) and isinstance(node.func, syntax.Name) and node.func.value == "dict":
            if "dict" not in self.imports and all(arg.keyword is not None or arg.star == "**" for arg in node.args):
                return self.call_settings(node)
        return None

    def class_attribute(self, node: syntax.Attribute) -> tuple[syntax.BaseExpression, syntax.Node] | None:
        """``Class.NAME``, where ``Class`` is a class this module defines once at its top level:
        the value ``NAME = value`` gives it in the class's body, or in the nearest base class of
        this module that sets it (Python's lookup, for the single inheritance of config classes),
        with the statement it is in. None when the value may be another: the name is bound
        twice, by a method or property too, a base is not of this module, or the module changes
        the attribute anywhere (``X.NAME = ...``, ``X.NAME[k] = v``, ``X.NAME.update(...)``,
        ``NAME |= ...``)."""
        if self.module is None or not isinstance(node.value, syntax.Name):
            return None
        name = node.attr.value
        index = self._index(self.module)
        if len(index.assigned.get(node.value.value, [])) != 1:
            return None
        changed = rf"\b{re.escape(name)}\s*(?:\[[^\]\n]*\]\s*(?:[-+*/|&]?=(?!=))|\.\s*(?:{'|'.join(_MUTATORS)})\s*\(|[-+|&]=)"
        rebound = rf"\.\s*{re.escape(name)}\s*=(?!=)"
        if re.search(changed, self.text) or re.search(rebound, self.text):
            return None
        classes = {c.name.value: c for c in self.nodes(syntax.ClassDef) if self.scope_of(c) is self.module}  # type: ignore[attr-defined]
        current = classes.get(node.value.value)
        seen: set[str] = set()
        while current is not None and current.name.value not in seen:
            seen.add(current.name.value)
            bound = self._index(current).assigned.get(name, [])  # every way the body binds it
            if len(bound) > 1:
                return None
            if bound:
                for statement in current.body.body:
                    if isinstance(statement, syntax.SimpleStatementLine):
                        for small in statement.body:
                            if isinstance(small, (syntax.Assign, syntax.AnnAssign)) and small.value is bound[0]:
                                return bound[0], statement
                return None  # bound by a def, a loop, a with...: not a plain value
            bases = [base.value for base in current.bases]
            if len(bases) != 1 or not isinstance(bases[0], syntax.Name) or bases[0].value not in classes:
                return None
            current = classes[bases[0].value]
        return None

    def call_settings(self, call: syntax.Call) -> Settings:
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

    def dict_settings(self, node: syntax.Dict) -> Settings:
        result = Settings(self, node)
        for element in node.elements:
            if isinstance(element, syntax.DictElement):
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

    def positional(self, call: syntax.Call, index: int, keyword: str | None = None) -> syntax.BaseExpression | None:
        """An argument given by position or by keyword."""
        plain = [arg for arg in call.args if arg.keyword is None and not arg.star]
        for arg in call.args:
            if keyword is not None and arg.keyword is not None and arg.keyword.value == keyword:
                return arg.value
        return plain[index].value if index < len(plain) else None

    def statement_of(self, node: syntax.Node) -> syntax.SimpleStatementLine | None:
        current: syntax.Node | None = node
        while current is not None and not isinstance(current, syntax.SimpleStatementLine):
            current = self.parents.get(current)
        return current



def _jinja_tag(text: str) -> int | None:
    """The line of the first Jinja statement or comment tag standing at the start of a line
    (``{% if cookiecutter.use_celery == 'y' %}``, ``{%- endif %}``, ``{# ... #}``) in a module
    Python refuses, or None. Such a module is a template: cookiecutter and copier render every
    file of a project template with Jinja (cookiecutter-django's ``config/settings/*.py``), and
    Python sees only the rendered text. Python never takes ``{%`` there (a set display cannot
    hold ``%`` first), so a valid module is never taken for one."""
    found = _JINJA_TAG.search(text)
    return None if found is None else text.count("\n", 0, found.start()) + 1


def _newer_python(text: str) -> bool:
    """Whether a module the running Python refuses is valid for a newer one: libcst's parser
    knows the grammar of later versions (3.12's ``type`` statements and type parameters on
    3.11). Imported only here, for a module with a syntax error; False without libcst."""
    try:
        import libcst
    except ImportError:
        return False
    try:
        libcst.parse_module(text)
    except Exception:  # noqa: BLE001 - any refusal, a crash of its native parser included
        return False
    return True


def _compiler_refusal(text: str) -> tuple[int, int, str] | None:
    """What Python's compiler refuses in a module ``ast.parse`` took, as (line, 0-based column,
    message), else None: ``return``, ``yield`` or ``await`` outside a function, ``break`` or
    ``continue`` outside a loop, an argument or keyword argument named twice, a late
    ``from __future__`` import, ``nonlocal`` at module level, nesting too deep for the compiler.
    Compiled from the tree already parsed (its symbol table and code are built, the text is not
    parsed again), once a text for this and the verifiers (``python_nodes.compiler_verdict``);
    a tree deeper than the recursion limit that compiling it validates in is compiled from the
    text."""
    try:
        error = syntax.compiler_verdict(text)
    except (RecursionError, MemoryError):
        return _text_compiler_refusal(text)
    if isinstance(error, SyntaxError):
        return (error.lineno or 1, max(0, (error.offset or 1) - 1), f"not valid Python: {error.msg}")
    return None  # a tree the compiler finds malformed (ValueError): not one ast.parse builds


def _text_compiler_refusal(text: str) -> tuple[int, int, str] | None:
    """``_compiler_refusal`` from the text (a byte order mark left out, as Python reads past
    it), for a tree too deep to compile; nesting past Python's own limits is named as such."""
    try:
        with warnings.catch_warnings(action="ignore"):
            compile(text[1:] if text.startswith(syntax.BOM) else text, "<module>", "exec", dont_inherit=True)
    except (RecursionError, MemoryError):
        return (_busiest_line(text), 0, "not valid Python: nested too deeply for Python's parser")
    except SyntaxError as error:
        return (error.lineno or 1, max(0, (error.offset or 1) - 1), f"not valid Python: {error.msg}")
    except ValueError:
        pass
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

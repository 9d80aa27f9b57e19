"""Proof that an edit of a Python module kept every call one call, with no keyword or key twice.

Compiling proves the module is Python; it does not prove the edit did what it meant. An edit that
closes a call early can still compile (``f(a)`` becoming ``f(a)(b=1)``), and a key written twice
in a dict compiles and silently keeps the last value (``{"sslmode": "disable", "sslmode":
"require"}``). So a fix to Python is also held to this, judged on the module before and after:

- the same calls, in the same order, with the same callee: no call added, lost or split;
- each call keeps its positional arguments and every keyword it had, and repeats none
  (a repeated keyword is a SyntaxError; a key repeated through a ``**{...}`` literal is a
  TypeError only when the call runs);
- no dict literal repeats a constant key that it did not already repeat.

The module's own parser is the judge: ``ast`` of the running Python.
"""

from __future__ import annotations

import ast
import warnings
from collections import Counter
from dataclasses import dataclass, field

from pgconf_fix.text_memo import TextMemo


@dataclass(frozen=True, eq=False)
class _Call:
    """One call of a module: the callee as written (dotted), its line and column, how many
    positional arguments it passes, and its keywords (with the constant keys of a ``**{...}``
    dict) in order."""

    callee: str
    line: int
    column: int
    positional: int
    keywords: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class ModuleFacts:
    """What the verifiers read from one module text, from one ``ast`` parse and one walk.

    ``parsed``: whether ``ast.parse`` took the text. ``calls`` in source order; ``repeated``:
    constant keys written more than once in one dict literal, counted over the module;
    ``compile_error``: why ``ast.parse`` refused the text (its message and line), else None
    (what the compiler says of a parsed text is ``compile_problem``);
    ``strings``: every string constant, and each f-string with its placeholders written
    ``{python}``, in ``ast.walk`` order (pgconf_fix.verify.conninfo reads connection strings
    from them)."""

    parsed: bool
    compile_error: str | None = None
    calls: tuple[_Call, ...] = ()
    repeated: Counter = field(default_factory=Counter)
    strings: tuple[str, ...] = ()


def _quiet_facts(text: str) -> ModuleFacts:
    with warnings.catch_warnings(action="ignore"):
        # An invalid escape in the module is its own business, not a line on our stderr
        # (a DeprecationWarning in 3.11, a SyntaxWarning shown by default from 3.12).
        return _module_facts(text)


_remembered_facts = TextMemo(_quiet_facts)


def module_facts(text: str) -> ModuleFacts:
    """The facts of ``text``, remembered (``text_memo.TextMemo``): a file's fixes are tried
    against the same original (and the patcher tries the same edited text again), so each text
    is parsed and walked once. A text ``ast`` cannot parse (a SyntaxError, a NUL byte, nesting
    past the parser's limits) gives ``ModuleFacts(parsed=False)``."""
    return _remembered_facts(text)


def _module_facts(text: str) -> ModuleFacts:
    from pgconf_fix.documents.python_nodes import parse

    try:
        tree = parse(text)  # shared with the Python layer, which read the same texts
    except (SyntaxError, ValueError) as exc:
        return ModuleFacts(parsed=False, compile_error=_compile_message(exc))
    except (RecursionError, MemoryError):
        return ModuleFacts(parsed=False, compile_error=_compile_error(text))
    calls = []
    repeated: Counter = Counter()
    strings = []
    inside_fstring: set[int] = set()
    call_kind, dict_kind, fstring_kind, constant_kind = ast.Call, ast.Dict, ast.JoinedStr, ast.Constant
    for node in _walk(tree):
        kind = node.__class__
        if kind is constant_kind:  # the most frequent of the four
            value = node.value  # type: ignore[attr-defined]
            if isinstance(value, str) and id(node) not in inside_fstring:
                strings.append(value)
        elif kind is call_kind:
            calls.append(_call(node))  # type: ignore[arg-type]
        elif kind is dict_kind:
            keys = Counter(repr(key.value) for key in node.keys if isinstance(key, constant_kind))  # type: ignore[attr-defined]
            for key, count in keys.items():
                if count > 1:
                    repeated[key] += count - 1
        elif kind is fstring_kind:
            pieces = []
            for part in node.values:  # type: ignore[attr-defined]
                inside_fstring.add(id(part))
                pieces.append(part.value if isinstance(part, constant_kind) else "{python}")
            strings.append("".join(str(piece) for piece in pieces))
    calls.sort(key=lambda call: (call.line, call.column))  # source order: edits never move code
    return ModuleFacts(True, None, tuple(calls), repeated, tuple(strings))


def _compile_problem(text: str) -> str | None:
    facts = module_facts(text)
    if not facts.parsed:
        return facts.compile_error
    from pgconf_fix.documents.python_nodes import compiler_verdict

    try:
        # The compiler's own checks past the grammar ('return' outside a function, ...), from
        # the tree already parsed: compiling the text would parse it again. The Python layer's
        # build of the same text (a re-check of a fixed module) asks the same memo.
        error = compiler_verdict(text)
        if error is not None:
            return _compile_message(error)
    except (RecursionError, MemoryError):
        # Compiling a tree validates it recursively, in Python's recursion limit; the text of
        # a module ast.parse took deeper than that (``not not ... x``) may still compile.
        try:
            return _compile_error(text)
        except (RecursionError, MemoryError):
            return "nested too deeply for Python's compiler"
    return None


_remembered_problems = TextMemo(_compile_problem)


def compile_problem(text: str) -> str | None:
    """Why ``compile`` refuses ``text`` (its message and line), else None; remembered like
    ``module_facts``, and asked only of texts whose verdict matters (an edit's result, and its
    original when that fails)."""
    return _remembered_problems(text)


def _compile_message(exc: Exception) -> str:
    where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
    return f"{getattr(exc, 'msg', exc)}{where}"


def _compile_error(text: str) -> str | None:
    """``compile``'s complaint about ``text``, or None; RecursionError and MemoryError pass on."""
    from pgconf_fix.documents.python_nodes import BOM

    try:
        compile(text[1:] if text.startswith(BOM) else text, "<module>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        return _compile_message(exc)
    return None


def edited_calls_problem(old: str, new: str) -> str | None:
    """None when ``new`` keeps the calls and keys of ``old`` as described above, else the reason.

    A module that does not parse before or after is not judged here: the compile check says that.
    """
    before = module_facts(old)
    after = module_facts(new)
    if not (before.parsed and after.parsed):
        return None
    old_calls = before.calls
    new_calls = after.calls
    if [call.callee for call in old_calls] != [call.callee for call in new_calls]:
        return _which_call_changed(old_calls, new_calls)
    for was, now in zip(old_calls, new_calls):
        if now.positional != was.positional:
            return f"the call to {now.callee} on line {now.line} would get {now.positional} positional arguments, not {was.positional}"
        repeated = [name for name, count in Counter(now.keywords).items() if count > 1]
        if repeated and not [name for name, count in Counter(was.keywords).items() if count > 1]:
            return f"the call to {now.callee} on line {now.line} would repeat the keyword {repeated[0]!r}"
        lost = set(was.keywords) - set(now.keywords)
        if lost:
            return f"the call to {now.callee} on line {now.line} would lose the keyword {min(lost)!r}"
    for key, count in after.repeated.items():
        if count > before.repeated.get(key, 0):
            return f"a dict would repeat the key {key}"
    return None


def _call(node: ast.Call) -> _Call:
    keywords = [keyword.arg for keyword in node.keywords if keyword.arg is not None]
    for keyword in node.keywords:
        if keyword.arg is None and isinstance(keyword.value, ast.Dict):
            keywords += [key.value for key in keyword.value.keys if isinstance(key, ast.Constant) and isinstance(key.value, str)]
    callee = _callee_name(node.func)
    if callee is None:
        try:
            callee = ast.unparse(node.func)  # layout-free, and linear (get_source_segment splits the text each time)
        except RecursionError:
            callee = "(a callee nested too deeply to name)"  # unparse recurses; the calls are still counted
    positional = sum(1 for arg in node.args if not isinstance(arg, ast.Starred))
    return _Call(callee, node.lineno, node.col_offset, positional, tuple(keywords))


def _walk(tree: ast.AST) -> list[ast.AST]:
    """The nodes of ``tree`` in ``ast.walk``'s order (breadth first), without the contexts and
    operators it also yields: ``ast.walk`` reads every node's fields through two generators,
    most of this module's time on large modules. A list, read as the queue it is built in.
    Fields that hold no node (a name's ``id``, a constant's ``value``) are not read
    (``python_nodes.node_fields``)."""
    from pgconf_fix.documents.python_nodes import _FIELDS, node_fields

    order = [tree]
    fields_of = _FIELDS.get
    AST = ast.AST
    for node in order:  # grows as it is read: each node's children join the end
        kind = node.__class__
        fields = fields_of(kind)
        if fields is None:
            fields = node_fields(kind)
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        order.append(item)
            elif isinstance(value, AST):
                order.append(value)
    return order


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a name or a chain of attributes on one (what ``ast.unparse`` writes for
    them, without its recursion), else None."""
    parts = []
    while node.__class__ is ast.Attribute:
        parts.append(node.attr)  # type: ignore[attr-defined]
        node = node.value  # type: ignore[attr-defined]
    if node.__class__ is not ast.Name:
        return None
    parts.append(node.id)  # type: ignore[attr-defined]
    return ".".join(reversed(parts))


def _callee_name(node: ast.expr, depth: int = 0) -> str | None:
    """What ``ast.unparse(node)`` writes for a callee made of names, attributes and calls whose
    arguments are again such expressions or ints, True, False or None (``session.execute(select(
    Model).limit(limit)).scalars``: three of a SQLAlchemy model module's calls), else None for
    ``ast.unparse`` to name. Written as ``ast.unparse`` writes these nodes (CPython's
    ``Lib/ast.py``, ``_Unparser.visit_Call``, ``visit_Attribute``, ``visit_Name``,
    ``visit_keyword``, ``_write_constant``): a call's arguments joined by ``", "``, a keyword
    as ``name=value``, no blanks elsewhere. ``ast.unparse`` was 2,532 calls, ~2 % of a check
    of the 1k many-findings tree (issue 18, twelfth pass). Past 64 levels it gives None, so
    ``ast.unparse`` keeps saying when a callee is too deeply nested to name."""
    dotted = _dotted(node)
    if dotted is not None or depth > 64:
        return dotted
    kind = node.__class__
    if kind is ast.Attribute:
        value = node.value  # type: ignore[attr-defined]
        if value.__class__ is ast.Constant:  # ``3 .real``: ast.unparse adds a blank
            return None
        base = _callee_name(value, depth + 1)
        return None if base is None else f"{base}.{node.attr}"  # type: ignore[attr-defined]
    if kind is not ast.Call:
        return None
    func = _callee_name(node.func, depth + 1)  # type: ignore[attr-defined]
    if func is None:
        return None
    parts = []
    for arg in node.args:  # type: ignore[attr-defined]
        written = _argument_name(arg, depth + 1)
        if written is None:
            return None
        parts.append(written)
    for keyword in node.keywords:  # type: ignore[attr-defined]
        if keyword.arg is None:
            return None
        written = _argument_name(keyword.value, depth + 1)
        if written is None:
            return None
        parts.append(f"{keyword.arg}={written}")
    return f"{func}({', '.join(parts)})"


def _argument_name(node: ast.expr, depth: int) -> str | None:
    """``_callee_name`` of an argument, or a constant ``ast.unparse`` writes as its ``repr``
    (an int, True, False, None; not a negative number, which is a unary minus)."""
    if node.__class__ is ast.Constant:
        value = node.value  # type: ignore[attr-defined]
        if value is None or value is True or value is False or value.__class__ is int:
            return repr(value)
        return None
    return _callee_name(node, depth)


def _which_call_changed(old_calls: tuple[_Call, ...], new_calls: tuple[_Call, ...]) -> str:
    old_count = Counter(call.callee for call in old_calls)
    new_count = Counter(call.callee for call in new_calls)
    for callee, count in new_count.items():
        if count > old_count.get(callee, 0):
            return f"the edit would add a call to {callee}"
    for callee, count in old_count.items():
        if count > new_count.get(callee, 0):
            return f"the edit would remove or split the call to {callee}"
    return "the edit would reorder the module's calls"


def python_edit_problem(path: str, old: str, new: str) -> str | None:
    """Why an edited Python module must not be kept (it does not compile, or a call or dict
    changed shape), or None. A module that did not compile before is not held against the edit.
    ``path`` is not read (the texts are given); it names the module in nothing shown."""
    problem = compile_problem(new)
    if problem is not None:
        if compile_problem(old) is not None:
            return None
        return f"the module would not compile: {problem}"
    return edited_calls_problem(old, new)

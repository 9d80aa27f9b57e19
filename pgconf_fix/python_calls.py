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
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class _Call:
    callee: str
    line: int
    column: int
    positional: int
    keywords: tuple[str, ...]


def edited_calls_problem(old: str, new: str) -> str | None:
    """None when ``new`` keeps the calls and keys of ``old`` as described above, else the reason.

    A module that does not parse before or after is not judged here: the compile check says that.
    """
    try:
        before = ast.parse(old)
        after = ast.parse(new)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    old_calls = _calls(before, old)
    new_calls = _calls(after, new)
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
            return f"the call to {now.callee} on line {now.line} would lose the keyword {sorted(lost)[0]!r}"
    old_repeats = _repeated_keys(before)
    for key, count in _repeated_keys(after).items():
        if count > old_repeats.get(key, 0):
            return f"a dict would repeat the key {key}"
    return None


def _calls(tree: ast.AST, text: str) -> list[_Call]:
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            keywords = [keyword.arg for keyword in node.keywords if keyword.arg is not None]
            for keyword in node.keywords:
                if keyword.arg is None and isinstance(keyword.value, ast.Dict):
                    keywords += [key.value for key in keyword.value.keys if isinstance(key, ast.Constant) and isinstance(key.value, str)]
            callee = ast.unparse(node.func)  # layout-free, and linear (get_source_segment splits the text each time)
            positional = sum(1 for arg in node.args if not isinstance(arg, ast.Starred))
            calls.append(_Call(callee, node.lineno, node.col_offset, positional, tuple(keywords)))
    calls.sort(key=lambda call: (call.line, call.column))  # source order: edits never move code
    return calls


def _which_call_changed(old_calls: list[_Call], new_calls: list[_Call]) -> str:
    old_count = Counter(call.callee for call in old_calls)
    new_count = Counter(call.callee for call in new_calls)
    for callee, count in new_count.items():
        if count > old_count.get(callee, 0):
            return f"the edit would add a call to {callee}"
    for callee, count in old_count.items():
        if count > new_count.get(callee, 0):
            return f"the edit would remove or split the call to {callee}"
    return "the edit would reorder the module's calls"


def _repeated_keys(tree: ast.AST) -> Counter:
    """Constant keys written more than once in one dict literal, counted over the module."""
    repeats: Counter = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = Counter(
                repr(key.value) for key in node.keys if isinstance(key, ast.Constant)
            )
            for key, count in keys.items():
                if count > 1:
                    repeats[key] += count - 1
    return repeats


def python_edit_problem(path: str, old: str, new: str) -> str | None:
    """Why an edited Python module must not be kept (it does not compile, or a call or dict
    changed shape), or None. A module that did not compile before is not held against the edit."""
    try:
        compile(new, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        try:
            compile(old, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return None
        where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        return f"the module would not compile: {getattr(exc, 'msg', exc)}{where}"
    return edited_calls_problem(old, new)

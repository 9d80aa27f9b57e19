"""Names in a Python module as the interpreter binds them: imports (local name -> qualified
name) and, per scope, the values plainly assigned to a name and the names changed in place
(``d.update(...)``, ``d[k] = v``), which make a literal's contents unknowable.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

# Statements that open a new scope for names: what is bound inside is not seen outside.
SCOPE_NODES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_MUTATORS = ("update", "setdefault", "pop", "popitem", "clear", "__setitem__")


class ScopeIndex:
    """Names bound by plain assignment in one scope, and names changed in place there."""

    def __init__(self, scope: cst.CSTNode) -> None:
        self.assigned: dict[str, list[cst.BaseExpression]] = {}
        self.mutated: set[str] = set()
        for child in scope.children:
            self._walk(child)

    def _walk(self, node: cst.CSTNode) -> None:
        if isinstance(node, SCOPE_NODES):
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                self.assigned.setdefault(node.name.value, []).append(node.name)  # rebinding: not a dict
            return
        if isinstance(node, cst.Assign):
            for target in node.targets:
                self._bind(target.target, node.value)
        elif isinstance(node, cst.AnnAssign) and node.value is not None:
            self._bind(node.target, node.value)
        elif isinstance(node, cst.AugAssign):
            self._bind(node.target, None)
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if isinstance(node.func.value, cst.Name) and node.func.attr.value in _MUTATORS:
                self.mutated.add(node.func.value.value)
        elif isinstance(node, (cst.For, cst.With, cst.NamedExpr, cst.Del)):
            for target in _targets(node):
                self._bind(target, None)
        for child in node.children:
            self._walk(child)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            self.assigned.setdefault(target.value, []).append(value if value is not None else target)
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            self.mutated.add(target.value.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value, None)


def _targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    if isinstance(node, cst.For):
        return [node.target]
    if isinstance(node, cst.With):
        return [item.asname.name for item in node.items if item.asname is not None]  # type: ignore[misc]
    if isinstance(node, cst.NamedExpr):
        return [node.target]
    if isinstance(node, cst.Del):
        return [node.target]
    return []


def dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{node.attr.value}"
    return ""


def collect_imports(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[str, str]:
    """Local name -> qualified name, for every import in the file (``nodes``: its import
    statements, in source order).

    A module-level ``def`` or ``class`` after an import of the same name hides it: a
    function called ``create_async_engine`` that the file defines is not SQLAlchemy's.
    """
    names: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    names[alias.asname.name.value] = full
                else:
                    head = full.split(".")[0]
                    names[head] = head
        elif isinstance(node, cst.ImportFrom):
            if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
                continue
            base = dotted(node.module)
            for alias in node.names:
                local = alias.asname.name.value if alias.asname is not None else dotted(alias.name)  # type: ignore[union-attr]
                names[local] = f"{base}.{dotted(alias.name)}"
    for statement in module.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            names.pop(statement.name.value, None)
    return names

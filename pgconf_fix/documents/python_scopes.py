"""Names in a Python module as the interpreter binds them: imports (local name -> qualified
name) and, per scope, the values plainly assigned to a name and the names changed in place
(``d.update(...)``, ``d[k] = v``), which make a literal's contents unknowable.
"""

from __future__ import annotations

from collections.abc import Iterable

from pgconf_fix.documents import python_nodes as syntax

# Statements that open a new scope for names: what is bound inside is not seen outside.
SCOPE_NODES = (syntax.FunctionDef, syntax.ClassDef, syntax.Lambda)
_MUTATORS = ("update", "setdefault", "pop", "popitem", "clear", "__setitem__")


class ScopeIndex:
    """Names bound by plain assignment in one scope, and names changed in place there."""

    def __init__(self, scope: syntax.Node) -> None:
        self.assigned: dict[str, list[syntax.BaseExpression]] = {}
        self.mutated: set[str] = set()
        pending = list(reversed(scope.children))
        while pending:  # depth first, in source order; without recursion (trees can be deep)
            node = pending.pop()
            if self._visit(node):
                pending.extend(reversed(node.children))

    def _visit(self, node: syntax.Node) -> bool:
        """Note what ``node`` binds or changes; False for a nested scope (not looked into)."""
        if isinstance(node, SCOPE_NODES):
            if isinstance(node, (syntax.FunctionDef, syntax.ClassDef)):
                self.assigned.setdefault(node.name.value, []).append(node.name)  # rebinding: not a dict
            return False
        if isinstance(node, syntax.Assign):
            for target in node.targets:
                self._bind(target.target, node.value)
        elif isinstance(node, syntax.AnnAssign) and node.value is not None:
            self._bind(node.target, node.value)
        elif isinstance(node, syntax.AugAssign):
            self._bind(node.target, None)
        elif isinstance(node, syntax.Call) and isinstance(node.func, syntax.Attribute):
            if isinstance(node.func.value, syntax.Name) and node.func.attr.value in _MUTATORS:
                self.mutated.add(node.func.value.value)
        elif isinstance(node, (syntax.For, syntax.With, syntax.NamedExpr, syntax.Del)):
            for target in _targets(node):
                self._bind(target, None)
        return True

    def _bind(self, target: syntax.BaseExpression, value: syntax.BaseExpression | None) -> None:
        if isinstance(target, syntax.Name):
            self.assigned.setdefault(target.value, []).append(value if value is not None else target)
        elif isinstance(target, syntax.Subscript) and isinstance(target.value, syntax.Name):
            self.mutated.add(target.value.value)
        elif isinstance(target, (syntax.Tuple, syntax.List)):
            for element in target.elements:
                self._bind(element.value, None)


def _targets(node: syntax.Node) -> list[syntax.BaseExpression]:
    if isinstance(node, syntax.For):
        return [node.target]
    if isinstance(node, syntax.With):
        return [item.asname.name for item in node.items if item.asname is not None]  # type: ignore[misc]
    if isinstance(node, syntax.NamedExpr):
        return [node.target]
    if isinstance(node, syntax.Del):
        return list(node.targets)
    return []


def dotted(node: syntax.BaseExpression) -> str:
    if isinstance(node, syntax.Name):
        return node.value
    if isinstance(node, syntax.Attribute):
        return f"{dotted(node.value)}.{node.attr.value}"
    return ""


def collect_imports(module: syntax.Module, nodes: Iterable[syntax.Node]) -> dict[str, str]:
    """Local name -> qualified name, for every import in the file (``nodes``: its import
    statements, in source order).

    A module-level ``def`` or ``class`` after an import of the same name hides it: a
    function called ``create_async_engine`` that the file defines is not SQLAlchemy's.
    """
    names: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, syntax.Import):
            for alias in node.names:
                full = dotted(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, syntax.Name):
                    names[alias.asname.name.value] = full
                else:
                    head = full.split(".")[0]
                    names[head] = head
        elif isinstance(node, syntax.ImportFrom):
            if node.relative or node.module is None or isinstance(node.names, syntax.ImportStar):
                continue
            base = dotted(node.module)
            for alias in node.names:
                local = alias.asname.name.value if alias.asname is not None else dotted(alias.name)  # type: ignore[union-attr]
                names[local] = f"{base}.{dotted(alias.name)}"
    for statement in module.body:
        if isinstance(statement, (syntax.FunctionDef, syntax.ClassDef)):
            names.pop(statement.name.value, None)
    return names

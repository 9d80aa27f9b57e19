"""Imports run one way: cli -> run/patcher/reporters -> engine/readers -> checks -> views ->
documents -> the shared records; and no two modules import each other, even lazily.

Every ``import`` in the package is read with ``ast`` (module level, inside functions and
under ``TYPE_CHECKING`` alike: a type is a dependency too).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pgconf_fix"

# A module of the first group may not import any module of the second.
FORBIDDEN = [
    ("documents", ("views", "checks", "engine", "layers", "run", "patcher", "reporters", "cli", "live", "docs")),
    ("views", ("checks", "engine", "layers", "run", "patcher", "reporters", "cli", "live", "docs")),
    ("checks", ("engine", "layers", "run", "patcher", "reporters", "cli", "live", "docs")),
    ("engine", ("layers", "run", "patcher", "reporters", "cli", "live", "docs")),
    ("reporters", ("documents", "views", "checks", "engine", "layers", "run", "patcher", "cli", "live")),
    ("layers", ("engine", "run", "patcher", "reporters", "cli", "live")),
    ("run", ("cli", "reporters", "patcher", "live")),
    ("live", ("cli", "click")),
]


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    modules = {_name(path): path for path in PACKAGE.rglob("*.py")}
    found: dict[str, set[str]] = {}
    for module, path in modules.items():
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                base = node.module
                names.add(base)
                names.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules)
        found[module] = names
    return found


def _group(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_imports_run_one_way() -> None:
    wrong = []
    for module, names in sorted(_imports().items()):
        for group, banned in FORBIDDEN:
            if _group(module) != group:
                continue
            for name in sorted(names):
                target = _group(name) if name.startswith("pgconf_fix") else name.split(".")[0]
                if target in banned:
                    wrong.append(f"{module} imports {name}")
    assert wrong == []


def test_no_two_modules_import_each_other() -> None:
    every = _imports()
    imports = {module: {name for name in names if name in every} for module, names in every.items()}
    pairs = sorted(
        f"{a} <-> {b}"
        for a, names in imports.items()
        for b in names
        if a < b and a in imports.get(b, set()) and a != b and not b.startswith(a + ".") and not a.startswith(b + ".")
    )
    assert pairs == []

"""Airflow's metadata database connection: ``sql_alchemy_conn`` and the dict that
``sql_alchemy_connect_args`` names.

Airflow builds its engine with ``create_engine(sql_alchemy_conn, connect_args=...)``, where the
``[database] sql_alchemy_connect_args`` option (``AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS``;
``[core]`` before Airflow 2.3) is the import path of a dict, such as
``airflow_local_settings.keepalive_kwargs``
(https://airflow.apache.org/docs/apache-airflow/stable/configurations-ref.html#sql-alchemy-connect-args).
The libpq keywords of that dict are settings of the connection, as ``connect_args`` is for any
SQLAlchemy engine: keepalives set there are not missing from the URL.

The module is looked for where Airflow imports it from: beside the file that names it, in a
``config/`` directory there (``$AIRFLOW_HOME/config`` is on Airflow's path), and in the
directories above, up to the repository root.
"""

from __future__ import annotations

import ast
import os
import re
import warnings
from pathlib import Path

from pgconf_fix.documents.connstr import LIBPQ_KEYWORDS
from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.views.base import Assignment
from pgconf_fix.workspace import is_file

# The option naming the dict, in airflow.cfg, an environment file, or a compose/Helm env list.
CONNECT_ARGS = re.compile(
    r"(?im)^[ \t-]*(?:export[ \t]+)?[\"']?(?:AIRFLOW__(?:DATABASE|CORE)__SQL_ALCHEMY_CONNECT_ARGS|sql_alchemy_connect_args)"
    r"[\"']?[ \t]*[=:][ \t]*[\"']?([A-Za-z_][\w.]*\.[A-Za-z_]\w*)"
)
CONNECTION = re.compile(r"(?i)sql_alchemy_conn\b(?!ect)")
MAX_LEVELS = 6  # directories above the naming file searched for the module


def connect_args_settings(workspace: object, source: SourceFile) -> list[Assignment]:
    """The libpq settings of the dict ``source``'s sql_alchemy_connect_args names, as assignments
    in the Python module that holds it (so a fix edits that dict); [] when there is none."""
    match = CONNECT_ARGS.search(source.text)
    if match is None:
        return []
    module_name, _, attribute = match.group(1).rpartition(".")
    module = _find_module(Path(os.path.abspath(source.path)).parent, module_name)
    if module is None:
        return []
    try:
        python = workspace.load(module)  # type: ignore[attr-defined]
    except InputError:
        return []
    return _dict_settings(python, attribute)


def applies_to(source: SourceFile, start: int) -> bool:
    """Whether the connection string at ``start`` is Airflow's sql_alchemy_conn (its line names it)."""
    line_start = source.text.rfind("\n", 0, start) + 1
    return CONNECTION.search(source.text, line_start, start) is not None


def _find_module(directory: Path, module_name: str) -> Path | None:
    relative = Path(*module_name.split("."))
    for level, base in enumerate([directory, *directory.parents]):
        if level > MAX_LEVELS:
            break
        for candidate in (base / relative.with_suffix(".py"), base / "config" / relative.with_suffix(".py"), base / relative / "__init__.py"):
            if is_file(candidate):
                return candidate
        if (base / ".git").exists():
            break
    return None


def _dict_settings(python: SourceFile, attribute: str) -> list[Assignment]:
    try:
        with warnings.catch_warnings(action="ignore"):  # SyntaxWarnings (invalid escapes) are the module's, not ours to print
            tree = ast.parse(python.text)
    except (SyntaxError, ValueError):
        return []
    found: list[Assignment] = []
    for statement in tree.body:
        targets = statement.targets if isinstance(statement, ast.Assign) else []
        if isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        if not any(isinstance(target, ast.Name) and target.id == attribute for target in targets):
            continue
        value = statement.value
        found = []  # the last assignment is the one Airflow imports
        if not isinstance(value, ast.Dict):
            continue
        for key, item in zip(value.keys, value.values):
            if not (isinstance(key, ast.Constant) and key.value in LIBPQ_KEYWORDS) or key.value == "password":
                continue
            try:
                literal = ast.literal_eval(item)
            except ValueError:
                literal = None
            start, end = _offset(python, key), _end_offset(python, item)
            value_start = _offset(python, item)
            shown = "{python}" if literal is None else str(int(literal) if isinstance(literal, bool) else literal)
            found.append(Assignment(str(key.value), python, start, end, shown, value_start, end))
    return found


def _offset(python: SourceFile, node: ast.expr) -> int:
    return _char_offset(python, node.lineno, node.col_offset)


def _end_offset(python: SourceFile, node: ast.expr) -> int:
    return _char_offset(python, node.end_lineno or node.lineno, node.end_col_offset or 0)


def _char_offset(python: SourceFile, line: int, byte_column: int) -> int:
    """ast columns count UTF-8 bytes; offsets here count characters."""
    start = python.line_starts[line - 1]
    text = python.text[start : start + byte_column + 1]
    return start + len(text.encode("utf-8")[:byte_column].decode("utf-8", "ignore"))

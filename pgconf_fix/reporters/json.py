"""One JSON array; each finding as DESIGN.md describes it, positions 1-based.

Input errors (a missing path, an unreadable or binary file) are in the same array, as
objects of the same shape with code PGF000 (``input-error``), severity ``error`` and
``fix`` null, at line 1 column 1 unless the error has a line: a consumer that reads the
array as findings keeps working (the top level stays an array, every field keeps its
type), and one that wants the errors filters on the code. This is how ruff reports an
unreadable file (E902) in its JSON.
"""

from __future__ import annotations

import json
from typing import Any

from pgconf_fix.catalog import DOCS_URL
from pgconf_fix.findings import Edit, Finding
from pgconf_fix.redact import PARSE_ERROR, redact
from pgconf_fix.source import InputError

INPUT_ERROR = ("PGF000", "input-error")


def _edit(edit: Edit) -> dict[str, Any]:
    line, column = edit.source.position(edit.start)
    end_line, end_column = edit.source.position(edit.end)
    content = redact(edit.content, edit.source.secrets)
    shown: dict[str, Any] = {
        "path": edit.source.display,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "content": content,
    }
    if content != edit.content:
        # The edit rewrites text that holds a password: shown masked; --diff/--write are exact.
        shown["redacted"] = True
    return shown


def as_dict(finding: Finding) -> dict[str, Any]:
    line, column, end_line, end_column = finding.span()
    fix = None
    if finding.fix is not None:
        fix = {
            "applicability": finding.fix.applicability,
            "message": redact(finding.fix.message, finding.source.secrets),
            "edits": [_edit(edit) for edit in finding.fix.edits],
        }
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity,
        "message": redact(finding.message, finding.source.secrets, fragments=finding.code == PARSE_ERROR),
        "path": finding.path,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "url": finding.url,
        "fix": fix,
    }


def error_dict(error: InputError) -> dict[str, Any]:
    """An input error in the findings' shape (code PGF000)."""
    line = error.line or 1
    code, name = INPUT_ERROR
    return {
        "code": code,
        "name": name,
        "severity": "error",
        "message": redact(error.message),
        "path": error.display,
        "line": line,
        "column": 1,
        "end_line": line,
        "end_column": 1,
        "url": f"{DOCS_URL}#{code.lower()}-{name}",
        "fix": None,
    }


def render(findings: list[Finding], errors: list[InputError] | tuple[InputError, ...] = ()) -> str:
    items = [as_dict(finding) for finding in findings] + [error_dict(error) for error in errors]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"

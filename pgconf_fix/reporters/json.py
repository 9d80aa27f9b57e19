"""One JSON array; each finding as DESIGN.md describes it, positions 1-based."""

from __future__ import annotations

import json
from typing import Any

from pgconf_fix.findings import Edit, Finding
from pgconf_fix.redact import redact


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
        "message": redact(finding.message, finding.source.secrets),
        "path": finding.path,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "url": finding.url,
        "fix": fix,
    }


def render(findings: list[Finding]) -> str:
    return json.dumps([as_dict(finding) for finding in findings], indent=2, ensure_ascii=False) + "\n"

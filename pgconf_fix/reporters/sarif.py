"""SARIF 2.1.0 for GitHub code scanning: one rule entry per code, results with regions and fixes."""

from __future__ import annotations

import json
from typing import Any

from pgconf_fix import __version__
from pgconf_fix.catalog import Rule
from pgconf_fix.findings import Edit, Finding
from pgconf_fix.redact import redact

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
INFORMATION_URI = "https://github.com/pgconf-fix/pgconf-fix"


def _uri(path: str) -> str:
    return path.replace("\\", "/")


def _region(source_edit: Edit) -> dict[str, int]:
    line, column = source_edit.source.position(source_edit.start)
    end_line, end_column = source_edit.source.position(source_edit.end)
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def _rule_entry(rule: Rule) -> dict[str, Any]:
    from pgconf_fix.docs import explain

    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": " ".join(rule.why.split())},
        "help": {"text": explain(rule)},
        "helpUri": rule.url,
        "defaultConfiguration": {"level": LEVELS.get(rule.severity, "warning")},
        "properties": {"layer": rule.layer, "fixSafety": " ".join(rule.fix_safety.split())},
    }


def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    line, column, end_line, end_column = finding.span()
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": redact(finding.message, finding.source.secrets)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(finding.path)},
                    "region": {
                        "startLine": line,
                        "startColumn": column,
                        "endLine": end_line,
                        "endColumn": end_column,
                    },
                }
            }
        ],
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    if finding.fix is not None:
        changes: dict[str, list[dict[str, Any]]] = {}
        for edit in finding.fix.edits:
            content = redact(edit.content, edit.source.secrets)
            replacement: dict[str, Any] = {"deletedRegion": _region(edit), "insertedContent": {"text": content}}
            if content != edit.content:
                # SARIF objects take extra fields only in their property bag.
                replacement["properties"] = {"redacted": True}
            changes.setdefault(edit.source.display, []).append(replacement)
        result["fixes"] = [
            {
                "description": {"text": f"{redact(finding.fix.message, finding.source.secrets)} ({finding.fix.applicability})"},
                "artifactChanges": [
                    {"artifactLocation": {"uri": _uri(path)}, "replacements": replacements}
                    for path, replacements in changes.items()
                ],
            }
        ]
    return result


def render(findings: list[Finding], rules: list[Rule]) -> str:
    index = {rule.code: position for position, rule in enumerate(rules)}
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pgconf-fix",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule_entry(rule) for rule in rules],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(finding, index) for finding in findings],
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

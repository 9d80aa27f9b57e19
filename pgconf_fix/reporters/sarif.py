"""SARIF 2.1.0 for GitHub code scanning: one rule entry per code, results with regions and fixes.

Paths are URIs relative to ``%SRCROOT%`` (the repository root, or the working directory
outside a repository), percent-encoded (RFC 3986); each result has a
``partialFingerprints`` entry from rule, file and the normalised setting, so an alert
survives lines moving above it; input errors are ``toolExecutionNotifications`` of the
run's invocation. Validated against the SARIF 2.1.0 JSON schema in tests/schemas/.
https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html,
https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pgconf_fix import __version__
from pgconf_fix.catalog import Rule
from pgconf_fix.findings import Edit, Finding
from pgconf_fix.redact import PARSE_ERROR, redact
from pgconf_fix.source import InputError

SRCROOT = "%SRCROOT%"
FINGERPRINT = "pgconfFixSetting/v1"

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
INFORMATION_URI = "https://github.com/pgconf-fix/pgconf-fix"


class Artifacts:
    """Artifact locations relative to ``root`` (%SRCROOT%); absolute ``file:`` URIs outside it."""

    def __init__(self, root: Path | None) -> None:
        self.root = Path(os.path.abspath(root or Path.cwd()))

    def base(self) -> dict[str, Any]:
        return {SRCROOT: {"uri": self.root.as_uri() + ("" if str(self.root).endswith("/") else "/")}}

    def location(self, path: Path) -> dict[str, str]:
        absolute = Path(os.path.abspath(path))
        if absolute == self.root or self.root in absolute.parents:
            relative = absolute.relative_to(self.root).as_posix()
            return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}
        return {"uri": absolute.as_uri()}


def _setting(finding: Finding) -> str:
    """What a finding is about, without its position or number values: the settings it names,
    else the text it points at, else its message (secrets redacted, digits folded)."""
    if finding.subject:
        text = ",".join(finding.subject)
    else:
        text = finding.source.text[finding.location.start : finding.location.end] or finding.message
    text = " ".join(redact(text, finding.source.secrets).split())[:300]
    return re.sub(r"\d+", "0", text)


def fingerprints(findings: list[Finding], artifacts: Artifacts) -> list[str]:
    """One stable fingerprint per finding: rule + file + normalised setting, and an ordinal
    among findings of the same key in the file (in file order)."""
    seen: dict[str, int] = {}
    result = []
    for finding in findings:
        key = "\0".join((finding.code, artifacts.location(finding.source.path)["uri"], _setting(finding)))
        seen[key] = seen.get(key, 0) + 1
        digest = hashlib.sha256(f"{key}\0{seen[key]}".encode("utf-8", "surrogateescape")).hexdigest()
        result.append(digest)
    return result


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


def _result(finding: Finding, index: dict[str, int], artifacts: Artifacts, fingerprint: str) -> dict[str, Any]:
    line, column, end_line, end_column = finding.span()
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": redact(finding.message, finding.source.secrets, fragments=finding.code == PARSE_ERROR)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifacts.location(finding.source.path),
                    "region": {
                        "startLine": line,
                        "startColumn": column,
                        "endLine": end_line,
                        "endColumn": end_column,
                    },
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT: fingerprint},
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    if finding.fix is not None:
        changes: dict[Path, list[dict[str, Any]]] = {}
        for edit in finding.fix.edits:
            content = redact(edit.content, edit.source.secrets)
            replacement: dict[str, Any] = {"deletedRegion": _region(edit), "insertedContent": {"text": content}}
            if content != edit.content:
                # SARIF objects take extra fields only in their property bag.
                replacement["properties"] = {"redacted": True}
            changes.setdefault(edit.source.path, []).append(replacement)
        result["fixes"] = [
            {
                "description": {"text": f"{redact(finding.fix.message, finding.source.secrets)} ({finding.fix.applicability})"},
                "artifactChanges": [
                    {"artifactLocation": artifacts.location(path), "replacements": replacements}
                    for path, replacements in changes.items()
                ],
            }
        ]
    return result


def _notification(error: InputError, artifacts: Artifacts, cwd: Path) -> dict[str, Any]:
    """An input error as a tool execution notification, at the path it names."""
    notification: dict[str, Any] = {
        "level": "error",
        "message": {"text": redact(f"{error.display}: {error.message}")},
        "descriptor": {"id": "PGF000"},
    }
    physical: dict[str, Any] = {"artifactLocation": artifacts.location(cwd / error.display)}
    if error.line:
        physical["region"] = {"startLine": error.line}
    notification["locations"] = [{"physicalLocation": physical}]
    return notification


def render(
    findings: list[Finding],
    rules: list[Rule],
    errors: list[InputError] | tuple[InputError, ...] = (),
    root: Path | None = None,
    cwd: Path | None = None,
) -> str:
    """The SARIF log. ``root`` is %SRCROOT% (default: the working directory); ``cwd`` is
    where the input errors' paths are relative to."""
    artifacts = Artifacts(root)
    index = {rule.code: position for position, rule in enumerate(rules)}
    prints = fingerprints(findings, artifacts)
    here = Path(os.path.abspath(cwd or Path.cwd()))
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
                "invocations": [
                    {
                        # The run completed; files it could not read are notifications (and exit status 2).
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [_notification(error, artifacts, here) for error in errors],
                    }
                ],
                "originalUriBaseIds": artifacts.base(),
                "columnKind": "unicodeCodePoints",
                "results": [
                    _result(finding, index, artifacts, fingerprint) for finding, fingerprint in zip(findings, prints)
                ],
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

"""GitHub Actions workflow commands, escaped as the Actions toolkit escapes them.

GitHub shows at most 10 annotations of a kind per step, so the plain text report
follows them, fenced by ``::stop-commands::`` so that nothing echoed from a
user's file (a path, a value) can start a workflow command.
"""

from __future__ import annotations

import re
import secrets

from pgconf_fix.findings import Finding, Fixable
from pgconf_fix.redact import PARSE_ERROR, redact
from pgconf_fix.source import InputError
from pgconf_fix.reporters import text as text_reporter

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


# The controls a terminal or the Actions log viewer acts on (ESC starts a colour or cursor
# sequence there), but the line breaks, which the workflow-command escaping below carries, and
# the tab: text.one_line's set, less CR and LF.
_UNESCAPED_CONTROLS = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{text_reporter.INVISIBLE_CONTROLS}]")


def _shown(value: str) -> str:
    """``value`` with each control character but CR, LF and tab as ``\\xHH``, and each
    bidirectional control or line separator as ``\\uHHHH`` (as the text format shows them):
    the runner decodes no escape of its own for them."""
    return _UNESCAPED_CONTROLS.sub(lambda found: text_reporter.shown_as_escape(found.group()), value)


def escape_data(value: str) -> str:
    """A workflow command's message, escaped as the Actions toolkit's ``escapeData`` does
    (actions/toolkit packages/core/src/command.ts: ``%``, CR, LF; the runner's ActionCommand
    decodes them), other control characters shown as ``\\xHH`` first."""
    return _shown(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A property value (``file=``, ``title=``): ``escape_data`` and, as the toolkit's
    ``escapeProperty``, ``:`` and ``,``, which end a property."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    line, column, end_line, end_column = finding.span()
    properties = {
        "file": finding.path,
        "line": str(line),
        "col": str(column),
        "endLine": str(end_line),
        "endColumn": str(end_column),
        "title": f"pgconf-fix ({finding.code})",
    }
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{LEVELS.get(finding.severity, 'warning')} {rendered}::{escape_data(redact(finding.message, finding.source.secrets, fragments=finding.code == PARSE_ERROR))}"


def error_annotation(error: InputError) -> str:
    """An input error as an ``::error`` annotation on the path it names."""
    properties = {"file": error.display, "title": "pgconf-fix (PGF000 input-error)"}
    if error.line:
        properties["line"] = str(error.line)
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::error {rendered}::{escape_data(redact(error.message))}"


def render(
    findings: list[Finding],
    unsafe_fixes: bool = False,
    token: str | None = None,
    fixable: Fixable | None = None,
    errors: int | list[InputError] = 0,
) -> str:
    """Annotations (input errors as ``::error`` ones on their path), then the text report
    fenced by ``::stop-commands::``. ``errors``: the input errors, or just their number."""
    token = token or secrets.token_hex(16)
    lines = [annotation(finding) for finding in findings]
    if isinstance(errors, list):
        lines += [error_annotation(error) for error in errors]
        errors = len(errors)
    lines.append(f"::stop-commands::{token}")
    report = text_reporter.render(findings, unsafe_fixes, fixable=fixable, errors=errors)
    lines.append(report.rstrip("\n"))
    lines.append(f"::{token}::")
    return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    """Markdown table cell: no markup, no HTML, no line breaks from user content."""
    for char in "\\`*_[]<>|":
        value = value.replace(char, "\\" + char)
    return value.replace("\r", " ").replace("\n", " ")


def step_summary(findings: list[Finding], fixable: Fixable | None = None, errors: int = 0) -> str:
    if not findings and not errors:
        return "### pgconf-fix\n\nAll checks passed.\n"
    rows = ["### pgconf-fix", "", text_reporter.summary(findings, False, fixable, errors).replace("\n", "  \n"), ""]
    if not findings:
        return "\n".join(rows) + "\n"
    rows += ["| location | code | message |", "|---|---|---|"]
    for finding in findings:
        line, column, _, _ = finding.span()
        rows.append(f"| {_cell(finding.path)}:{line}:{column} | [{finding.code}]({finding.url}) | {_cell(redact(finding.message, finding.source.secrets, fragments=finding.code == PARSE_ERROR))} |")
    return "\n".join(rows) + "\n"

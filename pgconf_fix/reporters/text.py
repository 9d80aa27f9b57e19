"""``path:line:col: CODE message`` lines and a summary, as ruff prints them."""

from __future__ import annotations

from pgconf_fix.findings import SAFE, Finding
from pgconf_fix.redact import redact


BOLD, RED, YELLOW, CYAN, RESET = "\033[1m", "\033[31m", "\033[33m", "\033[36m", "\033[0m"


def render(
    findings: list[Finding], unsafe_fixes: bool = False, show_fixes: bool = False, colour: bool = False
) -> str:
    lines = []
    for finding in findings:
        line, column, _, _ = finding.span()
        path, code = one_line(finding.path), finding.code
        if colour:
            path = f"{BOLD}{path}{RESET}"
            code = f"{RED if finding.severity == 'error' else YELLOW}{code}{RESET}"
        lines.append(f"{path}:{line}:{column}: {code} {one_line(redact(finding.message, finding.source.secrets))}")
        if show_fixes and finding.fix is not None:
            marker = f"{CYAN}fix{RESET}" if colour else "fix"
            lines.append(f"    {marker} ({finding.fix.applicability}): {one_line(redact(finding.fix.message, finding.source.secrets))}")
    lines.append(summary(findings, unsafe_fixes))
    return "\n".join(lines) + "\n"


def one_line(text: str) -> str:
    """A path or message on one line: echoed file content must not start a line of its own."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def summary(findings: list[Finding], unsafe_fixes: bool = False) -> str:
    if not findings:
        return "All checks passed!"
    safe = sum(1 for f in findings if f.fix is not None and f.fix.applicability == SAFE)
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.applicability != SAFE)
    noun = "finding" if len(findings) == 1 else "findings"
    text = f"Found {len(findings)} {noun}."
    if unsafe_fixes and safe + unsafe:
        text += f"\n[*] {safe + unsafe} fixable with --write --unsafe-fixes."
    elif safe:
        text += f"\n[*] {safe} fixable with --write."
    if unsafe and not unsafe_fixes:
        text += f" ({unsafe} more with --unsafe-fixes.)"
    return text

"""``path:line:col: CODE message`` lines and a summary, as ruff prints them."""

from __future__ import annotations

from pgconf_fix.findings import SAFE, Finding


def render(findings: list[Finding], unsafe_fixes: bool = False, show_fixes: bool = False) -> str:
    lines = []
    for finding in findings:
        line, column, _, _ = finding.span()
        lines.append(f"{finding.path}:{line}:{column}: {finding.code} {finding.message}")
        if show_fixes and finding.fix is not None:
            lines.append(f"    fix ({finding.fix.applicability}): {finding.fix.message}")
    lines.append(summary(findings, unsafe_fixes))
    return "\n".join(lines) + "\n"


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

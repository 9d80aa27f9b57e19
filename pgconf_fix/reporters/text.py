"""``path:line:col: CODE message`` lines and a summary, as ruff prints them."""

from __future__ import annotations

import re

from pgconf_fix.findings import SAFE, Finding, Fixable
from pgconf_fix.redact import PARSE_ERROR, redact


BOLD, RED, YELLOW, CYAN, RESET = "\033[1m", "\033[31m", "\033[33m", "\033[36m", "\033[0m"


def render(
    findings: list[Finding],
    unsafe_fixes: bool = False,
    show_fixes: bool = False,
    colour: bool = False,
    fixable: Fixable | None = None,
    errors: int = 0,
) -> str:
    """Finding lines and the summary. With ``fixable`` (the patcher's real outcome), only
    fixes the patcher applies are shown and counted; ``errors`` is the number of input
    errors already reported, which rules out a success line."""
    lines = []
    for finding in findings:
        line, column, _, _ = finding.span()
        path, code = one_line(finding.path), finding.code
        if colour:
            path = f"{BOLD}{path}{RESET}"
            code = f"{RED if finding.severity == 'error' else YELLOW}{code}{RESET}"
        lines.append(f"{path}:{line}:{column}: {code} {one_line(redact(finding.message, finding.source.secrets, fragments=finding.code == PARSE_ERROR))}")
        if show_fixes and finding.fix is not None:
            applicability = finding.fix.applicability
            if fixable is not None:
                only_unsafe = fixable.shows(finding)
                if only_unsafe is None:
                    continue  # the patcher would not apply it: announce nothing
                applicability = "unsafe" if only_unsafe else applicability
            marker = f"{CYAN}fix{RESET}" if colour else "fix"
            lines.append(f"    {marker} ({applicability}): {one_line(redact(finding.fix.message, finding.source.secrets))}")
    if show_fixes and fixable is not None and fixable.follow_on:
        lines.append("Fixes that follow once those above are applied:")
        for finding in fixable.follow_on:
            assert finding.fix is not None
            marker = f"{CYAN}fix{RESET}" if colour else "fix"
            lines.append(
                f"    {marker} ({finding.fix.applicability}): {one_line(finding.path)}: {finding.code} "
                f"{one_line(redact(finding.fix.message, finding.source.secrets))}"
            )
    lines.append(summary(findings, unsafe_fixes, fixable, errors))
    return "\n".join(lines) + "\n"


# What a terminal acts on: the C0 controls but the tab, DEL, and the C1 controls (U+009B is
# an 8-bit CSI). ESC in a file name or value, echoed raw, starts a sequence ("ESC [2J" clears
# the screen, "ESC ]0;... BEL" sets the window title); a line break starts a line of its own.
_CONTROLS = "\x00-\x08\x0a-\x1f\x7f-\x9f"
# What reorders or breaks the line around it where the text is shown (Unicode's bidirectional
# controls, the "Trojan Source" characters: a name with U+202E shows its end reversed; the line
# and paragraph separators), shown as ``\\uHHHH``.
INVISIBLE_CONTROLS = "\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_SHOWN = re.compile(f"[{_CONTROLS}{INVISIBLE_CONTROLS}]")
_NAMED = {"\r": "\\r", "\n": "\\n"}


def shown_as_escape(char: str) -> str:
    """``\\xHH`` for a control character of Latin-1, ``\\uHHHH`` for the others."""
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def one_line(text: str) -> str:
    """A path or message (which may echo a file's name or content) as one line a terminal only
    prints: a line break is ``\\n`` or ``\\r``, any other control character ``\\xHH``, a
    bidirectional control or line separator ``\\uHHHH``; the tab and everything printable are kept."""
    return _SHOWN.sub(lambda found: _NAMED.get(found.group()) or shown_as_escape(found.group()), text)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary(findings: list[Finding], unsafe_fixes: bool = False, fixable: Fixable | None = None, errors: int = 0) -> str:
    """"All checks passed!" only when there is nothing to report and no input error."""
    if not findings:
        if errors:
            return f"No findings in the files that could be read; {_plural(errors, 'input error')} (see above)."
        return "All checks passed!"
    if fixable is None:  # no patcher run: what the findings' fixes promise
        safe = sum(1 for f in findings if f.fix is not None and f.fix.applicability == SAFE)
        unsafe = sum(1 for f in findings if f.fix is not None and f.fix.applicability != SAFE)
        fixable = Fixable(count=safe + unsafe if unsafe_fixes else safe, more=0 if unsafe_fixes else unsafe)
    text = f"Found {_plural(len(findings), 'finding')}."
    if errors:
        text += f" {_plural(errors, 'input error')} (see above)."
    if unsafe_fixes and fixable.count:
        text += f"\n[*] {fixable.count} fixable with --write --unsafe-fixes."
    elif fixable.count:
        text += f"\n[*] {fixable.count} fixable with --write."
    if fixable.more and not unsafe_fixes:
        text += f" ({fixable.more} more with --unsafe-fixes.)" if fixable.count else f"\n[*] {fixable.more} fixable with --write --unsafe-fixes."
    return text

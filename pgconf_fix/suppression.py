"""Inline suppressions: ``pgconf-fix: ignore[PGF101] reason`` on the line or the line before
(or, for a finding that spans lines, on its last line, where formatters put trailing comments),
``pgconf-fix: ignore-file[PGF101,PGF102]`` in a comment near the top of a file.

Comments are recognised by their introducer — ``#``, ``;``, ``//``, ``/*`` or ``--`` —
so one scanner serves every format that has comments. A suppression that
suppresses nothing is reported as PGF002.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pgconf_fix.findings import Finding, Location
from pgconf_fix.source import SourceFile

_MARKER = re.compile(
    r"(?:#|;|//|/\*|--)[ \t]*pgconf-fix:[ \t]*(?P<kind>ignore-file|ignore)\[(?P<codes>[A-Za-z0-9_, \t-]*)\]"
)
# An ignore-file comment counts in this many first lines.
FILE_HEADER_LINES = 20


@dataclass
class Suppression:
    source: SourceFile
    line: int
    start: int
    end: int
    codes: tuple[str, ...]
    whole_file: bool
    used: set[str] = field(default_factory=set)

    def covers(self, finding: Finding) -> bool:
        if finding.code not in self.codes:
            return False
        if self.whole_file:
            return True
        line = finding.source.position(finding.location.start)[0]
        last = finding.source.position(finding.location.end)[0]
        return line in (self.line, self.line + 1) or (last > line and last == self.line)


def scan(source: SourceFile) -> list[Suppression]:
    text = source.text
    if "pgconf-fix:" not in text:
        return []
    found = []
    for match in _MARKER.finditer(text):
        line = source.position(match.start())[0]
        whole_file = match.group("kind") == "ignore-file"
        if whole_file and line > FILE_HEADER_LINES:
            continue
        codes = tuple(code.strip().upper() for code in match.group("codes").split(",") if code.strip())
        found.append(Suppression(source, line, match.start(), match.end(), codes, whole_file))
    return found


def matches_per_file(path_shown: str, patterns: dict[str, tuple[str, ...]]) -> set[str]:
    """Codes that ``per-file-ignores`` switches off for a path."""
    codes: set[str] = set()
    posix = Path(path_shown).as_posix()
    for pattern, ignored in patterns.items():
        if fnmatch.fnmatch(posix, pattern) or fnmatch.fnmatch(Path(posix).name, pattern):
            codes.update(ignored)
    return codes


def apply(
    findings: list[Finding],
    sources: Iterable[SourceFile],
    enabled_codes: set[str],
    unused_finding,  # noqa: ANN001 - (Suppression, code) -> Finding | None
    per_file_ignores: dict[str, tuple[str, ...]] | None = None,
) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (kept, suppressed); add a PGF002 finding for each suppression that did nothing."""
    by_path: dict[Path, list[Suppression]] = {}
    for source in sources:
        by_path.setdefault(source.path, scan(source))
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        if per_file_ignores and finding.code in _per_file_codes(finding, per_file_ignores):
            suppressed.append(finding)
            continue
        suppressions = by_path.get(finding.source.path)
        if suppressions is None:
            suppressions = by_path[finding.source.path] = scan(finding.source)
        covering = [s for s in suppressions if s.covers(finding)]
        if covering:
            for suppression in covering:
                suppression.used.add(finding.code)
            suppressed.append(finding)
            continue
        kept.append(finding)
    for suppressions in by_path.values():
        for suppression in suppressions:
            for code in suppression.codes:
                if code in suppression.used or code not in enabled_codes:
                    continue
                extra = unused_finding(suppression, code)
                if extra is not None:
                    kept.append(extra)
    return kept, suppressed


def _per_file_codes(finding: Finding, patterns: dict[str, tuple[str, ...]]) -> set[str]:
    return matches_per_file(finding.path, patterns)


def location(suppression: Suppression) -> Location:
    return Location(suppression.source, suppression.start, suppression.end)

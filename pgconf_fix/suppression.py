"""Inline suppressions: ``pgconf-fix: ignore[PGF101] reason`` on the line or the line before
(or, for a finding that spans lines, on its last line, where formatters put trailing comments),
``pgconf-fix: ignore-file[PGF101,PGF102]`` in a comment near the top of a file.

Comments are recognised by their introducer — ``#``, ``;``, ``//``, ``/*`` or ``--`` —
so one scanner serves every format that has comments. A suppression that
suppresses nothing is reported as PGF002.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pathspec import GitIgnoreSpec

from pgconf_fix.findings import Finding, Location
from pgconf_fix.ignore import relative_to, spec
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


def matches_per_file(path: Path, patterns: dict[str, tuple[str, ...]], base: Path | None = None) -> set[str]:
    """Codes that ``per-file-ignores`` switches off for the file at ``path`` (absolute).

    The patterns are gitignore-style and relative to ``base``, the directory of the config
    that defines them (default: the working directory), as ruff reads them: ``db/*.conf``
    is that directory's ``db``, ``*.conf`` any depth below it. A file outside ``base`` is
    matched by its name alone.
    """
    root = os.path.abspath(base or Path.cwd())
    absolute = os.path.abspath(path)
    relative = relative_to(absolute, root) or os.path.basename(absolute)
    codes: set[str] = set()
    for pattern, ignored in patterns.items():
        compiled = _compiled(pattern)
        if compiled is not None and compiled.match_file(relative):
            codes.update(ignored)
    return codes


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> GitIgnoreSpec | None:
    return spec([pattern])


def apply(
    findings: list[Finding],
    sources: Iterable[SourceFile],
    enabled_codes: set[str],
    unused_finding,  # noqa: ANN001 - (Suppression, code) -> Finding | None
    per_file_ignores: dict[str, tuple[str, ...]] | None = None,
    per_file_base: Path | None = None,
) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (kept, suppressed); add a PGF002 finding for each suppression that did nothing."""
    by_path: dict[Path, list[Suppression]] = {}
    for source in sources:
        by_path.setdefault(source.path, scan(source))
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        if per_file_ignores and finding.code in matches_per_file(finding.source.path, per_file_ignores, per_file_base):
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


def location(suppression: Suppression) -> Location:
    return Location(suppression.source, suppression.start, suppression.end)

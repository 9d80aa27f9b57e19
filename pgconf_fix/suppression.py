"""Inline suppressions: ``pgconf-fix: ignore[PGF101] reason``, ``pgconf-fix:
ignore-file[PGF101,PGF102]`` in a comment near the top of a file.

As ruff's ``noqa``, a comment that trails code covers its own line only (or, for a
finding that spans lines, its last line, where formatters put trailing comments); a
comment alone on its line covers the next line. Codes are case-insensitive and must be
whole codes of known rules: an unknown code, a prefix (``PGF5``) or a malformed
suppression (``ignore PGF501``) is reported as PGF003, and a suppression that
suppresses nothing as PGF002.

Comments are recognised by their introducer — ``#``, ``;``, ``//``, ``/*`` or ``--`` —
so one scanner serves every format that has comments.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pgconf_fix.findings import Finding, Location
from pgconf_fix.ignore import relative_to, spec
from pgconf_fix.source import SourceFile

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

# Any pgconf-fix comment; what follows the marker is parsed by _form().
_MARKER = re.compile(r"(?:#|;|//|/\*|--)[ \t]*pgconf-fix:[ \t]*(?P<rest>[^\r\n]*)", re.IGNORECASE)


@functools.cache
def _form() -> re.Pattern[str]:
    """A suppression comment's form, compiled when the first marker is found (most files have
    none; issue 18)."""
    return re.compile(r"(?P<kind>ignore-file|ignore)\[(?P<codes>[^\]\r\n]*)\]", re.IGNORECASE)


# An ignore-file comment counts in this many first lines.
FILE_HEADER_LINES = 20


@dataclass(eq=False)
class Suppression:
    """One suppression comment: the codes it names (upper case), where, and what it covered.

    ``trailing``: the comment follows code on its line (covers that line only); otherwise
    it stands alone (covers the next line). ``problem``: why a malformed comment is not a
    suppression (it then has no codes).
    """

    source: SourceFile
    line: int
    start: int
    end: int
    codes: tuple[str, ...]
    whole_file: bool
    used: set[str] = field(default_factory=set)
    trailing: bool = False
    problem: str | None = None

    def covers(self, finding: Finding) -> bool:
        if finding.code not in self.codes:
            return False
        if self.whole_file:
            return True
        line = finding.source.position(finding.location.start)[0]
        last = finding.source.position(finding.location.end)[0]
        if self.trailing:
            return line == self.line or (last > line and last == self.line)
        return line in (self.line, self.line + 1)

    def reach(self) -> str:
        """What the comment covers, in words, for messages."""
        if self.whole_file:
            return "in this file"
        return "on this line" if self.trailing else "on the next line"


def scan(source: SourceFile) -> list[Suppression]:
    """Every suppression comment of a file, malformed ones included (with a ``problem``)."""
    text = source.text
    if "pgconf-fix:" not in text.lower():
        return []
    found = []
    for match in _MARKER.finditer(text):
        line = source.position(match.start())[0]
        line_start = source.line_starts[line - 1]  # a lone CR ends a line where the consumer says so
        trailing = bool(text[line_start : match.start()].strip().lstrip("\ufeff"))  # a file's byte-order mark is no code
        rest = match.group("rest")
        form = _form().match(rest)
        if form is None:
            if rest.lower().startswith("ignore"):
                problem = "a suppression is written pgconf-fix: ignore[CODE,...] or ignore-file[CODE,...]"
                end = match.end()
                found.append(Suppression(source, line, match.start(), end, (), False, trailing=trailing, problem=problem))
            continue  # some other remark after "pgconf-fix:"
        whole_file = form.group("kind").lower() == "ignore-file"
        if whole_file and line > FILE_HEADER_LINES:
            continue
        end = match.start("rest") + form.end()
        codes = tuple(code.strip().upper() for code in form.group("codes").split(",") if code.strip())
        problem = None if codes else "the suppression names no code"
        found.append(Suppression(source, line, match.start(), end, codes, whole_file, trailing=trailing, problem=problem))
    return found


def invalid_codes(suppression: Suppression, known: Iterable[str]) -> list[str]:
    """Messages for what is wrong with a suppression: malformed, or codes that name no rule."""
    if suppression.problem is not None:
        return [suppression.problem]
    known = set(known)
    messages = []
    for code in suppression.codes:
        if code in known:
            continue
        if any(rule.startswith(code) for rule in known):
            messages.append(f"{code} is a prefix, not a rule code: a suppression names whole codes, such as "
                            f"{min(rule for rule in known if rule.startswith(code))}")
        else:
            messages.append(f"{code} is not a rule code (see pgconf-fix --list-rules)")
    return messages


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
    known_codes: Iterable[str] | None = None,
    invalid_finding: Callable[[Suppression, str], Finding | None] | None = None,
) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (kept, suppressed); add a PGF002 finding for each suppression that
    did nothing, and (given ``known_codes`` and ``invalid_finding``) a PGF003 finding for each
    malformed suppression or code that names no rule."""
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
            if known_codes is not None and invalid_finding is not None:
                for message in invalid_codes(suppression, known_codes):
                    extra = invalid_finding(suppression, message)
                    if extra is not None:
                        kept.append(extra)
            for code in suppression.codes:
                if code in suppression.used or code not in enabled_codes:
                    continue
                extra = unused_finding(suppression, code)
                if extra is not None:
                    kept.append(extra)
    return kept, suppressed


def location(suppression: Suppression) -> Location:
    return Location(suppression.source, suppression.start, suppression.end)


# --add-suppressions: the line-comment introducer of a file, by name; None where a file has
# no line comments (JSON) or where a comment line could land inside a value.
_SLASH_COMMENTS = (".go", ".js", ".mjs", ".cjs", ".ts", ".java", ".kt", ".scala", ".groovy", ".cs", ".rs", ".php")
_NO_COMMENTS = (".json", ".xml")
# Codes about suppressions and input themselves: a suppression of them would hide nothing useful.
NOT_SUPPRESSIBLE = ("PGF000", "PGF002", "PGF003")


def comment_introducer(path: Path) -> str | None:
    """How a whole-line comment starts in this file, or None when none can be added safely."""
    suffix = path.suffix.lower()
    if suffix in _NO_COMMENTS:
        return None
    if suffix == ".sql":
        return "--"
    if suffix in _SLASH_COMMENTS:
        return "//"
    return "#"


def _inside_yaml_block(lines: list[str], index: int) -> bool:
    """Whether line ``index`` of a YAML file may belong to a block scalar (``key: |``), where a
    comment line would become part of the value."""
    indent = len(lines[index]) - len(lines[index].lstrip(" "))
    for previous in reversed(lines[:index]):
        stripped = previous.rstrip("\r\n")
        if not stripped.strip():
            continue
        if re.search(r"[|>][-+0-9]*[ \t]*(#.*)?$", stripped):
            return True
        if len(stripped) - len(stripped.lstrip(" ")) < indent:
            return False
    return False


def _python_comment_at(text: str, line: int) -> bool:
    """Whether Python's tokenizer reads line ``line`` (1-based) of ``text`` as a comment."""
    import io
    import tokenize

    try:
        # The tokenizer drops a byte-order mark only from bytes: from text it is an error token.
        for token in tokenize.generate_tokens(io.StringIO(text.removeprefix("\ufeff")).readline):
            if token.start[0] == line:
                return token.type == tokenize.COMMENT
            if token.start[0] > line:
                return False
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return False
    return False


def _standalone_suppression(line: str) -> tuple[int, int, list[str]] | None:
    """For a line that is only an ``ignore[...]`` comment: the span of its codes and the codes."""
    match = _MARKER.search(line)
    if match is None or line[: match.start()].strip().lstrip("\ufeff"):
        return None
    form = _form().match(match.group("rest"))
    if form is None or form.group("kind").lower() != "ignore":
        return None
    offset = match.start("rest")
    codes = [code.strip().upper() for code in form.group("codes").split(",") if code.strip()]
    return offset + form.start("codes"), offset + form.end("codes"), codes


def with_suppressions(
    source: SourceFile, codes_by_line: dict[int, set[str]], reason: str
) -> tuple[str | None, list[int]]:
    """``source``'s text with a comment line ``pgconf-fix: ignore[CODES] REASON`` before each
    given line (1-based), indented as that line, and the lines that cannot take one without
    changing a value (inside a Python string, a YAML block scalar; any line of JSON). The text
    is None when no line can. Line endings follow the file's."""
    introducer = comment_introducer(source.path)
    if introducer is None:
        return None, sorted(codes_by_line)
    usable = {line: codes for line, codes in codes_by_line.items() if _comment_fits(source, line, introducer)}
    skipped = sorted(set(codes_by_line) - set(usable))
    if not usable:
        return None, skipped
    return _insert(source, usable, introducer, reason), skipped


def _comment_fits(source: SourceFile, line: int, introducer: str) -> bool:
    """Whether a comment line before ``line`` is read as a comment by this kind of file."""
    lines = source.text.splitlines(keepends=True)
    if 1 < line <= len(lines) and _standalone_suppression(lines[line - 2]) is not None:
        return True  # the codes join the suppression comment already above it
    if source.path.suffix.lower() in (".yml", ".yaml") and line - 1 < len(lines):
        return not _inside_yaml_block(lines, line - 1)
    if source.path.suffix == ".py":
        return _python_comment_at(_insert(source, {line: {"PGF000"}}, introducer, "probe"), line)
    return True


def _insert(source: SourceFile, codes_by_line: dict[int, set[str]], introducer: str, reason: str) -> str:
    reason = " ".join(reason.split())
    lines = source.text.splitlines(keepends=True)
    newline = "\r\n" if "\r\n" in source.text else "\n"
    for line in sorted(codes_by_line, reverse=True):
        index = line - 1
        if index >= len(lines):
            lines.append("")
        current = lines[index]
        above = _standalone_suppression(lines[index - 1]) if index > 0 else None
        if above is not None:  # the comment alone above already covers this line: add the codes to it
            start, end, present = above
            codes = ",".join(sorted(set(present) | codes_by_line[line]))
            lines[index - 1] = lines[index - 1][:start] + codes + lines[index - 1][end:]
            continue
        mark = ""
        if index == 0 and current.startswith("\ufeff"):
            # A byte-order mark stays the file's first character: after a comment line it
            # would begin a line of its own, which postgres reads as part of a name and Python refuses.
            mark, current = "\ufeff", current[1:]
            lines[0] = current
        indent = current[: len(current) - len(current.lstrip(" \t"))]
        codes = ",".join(sorted(codes_by_line[line]))
        lines.insert(index, f"{mark}{indent}{introducer} pgconf-fix: ignore[{codes}] {reason}".rstrip() + newline)
    return "".join(lines)

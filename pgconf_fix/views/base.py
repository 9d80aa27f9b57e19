"""What every settings view offers the rules, and the edits line-oriented configs share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pgconf_fix.findings import Edit, Location
from pgconf_fix.source import SourceFile
from pgconf_fix.versions import PgVersion


@dataclass(frozen=True)
class Assignment:
    """One place a setting is given a value."""

    key: str
    source: SourceFile
    start: int
    end: int
    value: str
    value_start: int
    value_end: int
    quoted: bool = False

    @property
    def location(self) -> Location:
        return Location(self.source, self.start, self.end)

    @property
    def raw_value(self) -> str:
        return self.source.text[self.value_start : self.value_end]


@dataclass(frozen=True)
class Problem:
    """A place the real consumer of the file would reject (PGF001).

    ``severity`` overrides the rule's (error) for what only some consumers reject, such as a
    parameter that some PostgreSQL majors lack when the version is unknown.
    """

    location: Location
    message: str
    severity: str | None = None


@dataclass(frozen=True)
class CommentedSample:
    """``#name = value`` in a comment: the place a fix may uncomment."""

    key: str
    source: SourceFile
    hash_offset: int
    name_start: int
    value_start: int
    value_end: int
    line_start: int
    line_end: int


class SettingsView:
    """A set of settings judged together: a server's config tree, a kernel's sysctl files."""

    layer: str = ""
    version: PgVersion | None = None
    version_origin: str | None = None

    def __init__(self) -> None:
        # Every assignment in the order the consumer reads them: the last one of a key wins.
        self.assignments: list[Assignment] = []
        self.problems: list[Problem] = []
        self.scope: set[Path] = set()
        # False when the files are fragments about something else: missing settings are not judged.
        self.judges_missing = True

    def in_scope(self, source: SourceFile) -> bool:
        return source.path in self.scope

    def judges(self, key: str) -> bool:
        """Whether a missing ``key`` is a finding here (fragments about other things are not nagged)."""
        return self.judges_missing

    def effective(self, key: str) -> Assignment | None:
        for assignment in reversed(self.assignments):
            if assignment.key == key:
                return assignment
        return None

    def numeric(self, assignment: Assignment, unit: str | None) -> int:
        """The value as the consumer reads it; ValueError with a reason when it cannot."""
        raise NotImplementedError

    def platform_default(self, key: str):  # noqa: ANN201 - a views.cloud_server.PlatformDefault or None
        """For a managed server: the value it uses for an unset ``key``, and whose default that is."""
        return None

    def missing_location(self, key: str) -> Location:
        raise NotImplementedError

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        raise NotImplementedError

    def describe_missing(self) -> str:
        """Where a missing setting was looked for, for messages."""
        return ""


def replace_value(assignment: Assignment, rendered: str) -> tuple[Edit, ...]:
    return (Edit(assignment.source, assignment.value_start, assignment.value_end, rendered),)


def uncomment(sample: CommentedSample, rendered: str) -> tuple[Edit, ...]:
    """Drop the ``#`` (and the blanks after it) before the name, and set the value.

    An empty value at the very end of the file (``#name = `` without a final newline) is
    set by an edit that spans the line, not by an insertion at the end: an insertion there
    would be ordered among the appended lines of other fixes and land after them.
    """
    if sample.value_start == sample.value_end == len(sample.source.text):
        text = sample.source.text
        return (Edit(sample.source, sample.hash_offset, sample.value_end, text[sample.name_start : sample.value_start] + rendered),)
    return (
        Edit(sample.source, sample.hash_offset, sample.name_start, ""),
        Edit(sample.source, sample.value_start, sample.value_end, rendered),
    )


def append_lines(source: SourceFile, header: str, line: str) -> tuple[Edit, ...]:
    """Append ``line`` under a shared ``header`` comment at the end of the file.

    Every fix that appends to one file carries the same header edit; identical
    edits collapse, so the header is written once.
    """
    newline = source.newline
    text = source.text
    end = len(text)
    lead = "" if not text or text.endswith("\n") else newline
    separator = newline if text.strip() else ""
    return (
        Edit(source, end, end, f"{lead}{separator}# {header}{newline}"),
        Edit(source, end, end, f"{line}{newline}"),
    )

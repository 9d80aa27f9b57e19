"""What a run reports: findings, and the fixes they carry as text edits."""

from __future__ import annotations

from dataclasses import dataclass, field

from pgconf_fix.source import SourceFile

SAFE = "safe"
UNSAFE = "unsafe"


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` of ``source`` with ``content`` (an insertion when start == end)."""

    source: SourceFile
    start: int
    end: int
    content: str

    def key(self) -> tuple[str, int, int, str]:
        return (str(self.source.path), self.start, self.end, self.content)


@dataclass(frozen=True)
class Fix:
    applicability: str
    message: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Location:
    source: SourceFile
    start: int
    end: int


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: str
    message: str
    location: Location
    url: str
    fix: Fix | None = None
    # Settings this finding is about, for de-duplication across views.
    subject: tuple[str, ...] = field(default=(), compare=False)

    @property
    def source(self) -> SourceFile:
        return self.location.source

    @property
    def path(self) -> str:
        return self.location.source.display

    def span(self) -> tuple[int, int, int, int]:
        line, column = self.source.position(self.location.start)
        end_line, end_column = self.source.position(self.location.end)
        return line, column, end_line, end_column

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.location.start, self.location.end, self.code)

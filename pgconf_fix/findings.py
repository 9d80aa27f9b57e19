"""What a run reports: findings, and the fixes they carry as text edits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pgconf_fix.source import SourceFile

if TYPE_CHECKING:
    from pgconf_fix.catalog import Rule

SAFE = "safe"
UNSAFE = "unsafe"


@dataclass(frozen=True, eq=False)
class Edit:
    """Replace ``text[start:end]`` of ``source`` with ``content`` (an insertion when start == end).

    ``holds``: file offsets ``(start, end)`` this edit keeps other edits of the same round away
    from, when wider than what it rewrites. An insertion that opens something (a URL's ``?``, a
    call's ``connect_args={``) holds the character beside it, so that a second fix opening the
    same thing in the same round overlaps it and waits a round, while the bytes it does not
    change stay out of its span (and out of JSON's ``fix.edits``).

    ``rank``: where insertions at one offset go, lowest first (then in the order given). A
    YAML entry appended to a block mapping that ends where an enclosing one ends is ranked by
    the negated column of the mapping it joins, so that the deeper mapping's entries come
    first and the enclosing mapping's new key after them (documents.yaml_nodes).
    """

    source: SourceFile
    start: int
    end: int
    content: str
    holds: tuple[int, int] | None = None
    rank: int = 0

    def __post_init__(self) -> None:
        if self.holds is not None and not self.holds[0] <= self.start <= self.end <= self.holds[1]:
            raise ValueError(f"an edit of {self.start}-{self.end} cannot hold only {self.holds}")

    def held(self) -> tuple[int, int]:
        """The span other edits must not overlap: ``holds``, or what the edit rewrites."""
        return self.holds if self.holds is not None else (self.start, self.end)

    def key(self) -> tuple[str, int, int, str, tuple[int, int] | None]:
        return (str(self.source.path), self.start, self.end, self.content, self.holds)


@dataclass(frozen=True, eq=False)
class Fix:
    """Edits that address a finding. ``expect`` names the libpq ``(keyword, value)`` pairs a
    connection string the fix edits must read back (pgconf_fix.verify checks them)."""

    applicability: str
    message: str
    edits: tuple[Edit, ...]
    expect: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, eq=False)
class Location:
    """Character offsets ``start``-``end`` into ``source``'s text."""

    source: SourceFile
    start: int
    end: int


@dataclass(frozen=True, eq=False)
class Problem:
    """A place the real consumer of the file would reject (PGF001): a syntax error a document
    reports about itself, or a value a view finds its consumer refuses.

    ``severity`` overrides the rule's (error) for what only some consumers reject, such as a
    parameter that some PostgreSQL majors lack when the version is unknown.
    """

    location: Location
    message: str
    severity: str | None = None


@dataclass(frozen=True, eq=False)
class Finding:
    """What a rule reports: its code, name and severity, the message, where, the rule's
    documentation URL, and the fix when there is one."""

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



def finding_key(finding: Finding) -> tuple[str, str, str]:
    """What stays of a finding when a fix elsewhere in its file moves it: rule, file, message."""
    return (finding.code, str(finding.source.path), finding.message)


@dataclass(frozen=True, eq=False)
class Fixable:
    """What the patcher really applies to a set of reported findings (not what their fixes promise).

    ``count``: findings fixed by ``--write`` with this run's flags (``--diff``'s "Would fix"
    and ``--write``'s "Fixed" come from the same patcher run); ``more``: findings that
    ``--unsafe-fixes`` would fix in addition (0 when it was given); ``applied``: for each
    reported finding (by ``id``) whose fix is applied, whether only ``--unsafe-fixes`` applies it;
    ``follow_on``: findings that appear only once other fixes are in (``keepalives=1`` makes a
    connection string judged for ``keepalives_idle``), whose fixes the patcher applies too and
    counts in ``count``.
    """

    count: int = 0
    more: int = 0
    applied: dict[int, bool] = field(default_factory=dict)
    follow_on: tuple[Finding, ...] = ()

    def shows(self, finding: Finding) -> bool | None:
        """None when the patcher does not apply this finding's fix, else whether only unsafely."""
        return self.applied.get(id(finding))


def make_finding(rule: Rule, location: Location, message: str, fix: Fix | None = None) -> Finding:
    """A finding of ``rule`` at ``location``, with the rule's code, name, severity and docs URL."""
    return Finding(
        code=rule.code,
        name=rule.name,
        severity=rule.severity,
        message=message,
        location=location,
        url=rule.url,
        fix=fix,
    )


def duplicate_key(finding: Finding) -> tuple:
    """Two findings with this key are one: the first one found (views come layer by layer) is kept."""
    return (finding.code, str(finding.source.path), finding.location.start, finding.message)

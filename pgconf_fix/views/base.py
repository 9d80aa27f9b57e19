"""What every settings view offers the rules, and the edits line-oriented configs share."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from pgconf_fix.findings import SAFE, Edit, Fix, Location, Problem
from pgconf_fix.setting import Refusal, Setting, State
from pgconf_fix.source import SourceFile
from pgconf_fix.versions import Major, PgVersion


class Spanned(Protocol):
    """A parsed line or parameter: where it is, its value and where the value is."""

    start: int
    end: int
    value: str | None
    value_start: int
    value_end: int


@dataclass(frozen=True, eq=False)
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

    @classmethod
    def spanning(cls, key: str, source: SourceFile, written: Spanned, quoted: bool = False) -> Assignment:
        """The assignment a parsed line or parameter describes (its span, value and value span)."""
        assert written.value is not None
        return cls(key, source, written.start, written.end, written.value, written.value_start, written.value_end, quoted)

    @property
    def location(self) -> Location:
        return Location(self.source, self.start, self.end)

    @property
    def raw_value(self) -> str:
        return self.source.text[self.value_start : self.value_end]


@dataclass(frozen=True, eq=False)
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


@dataclass(frozen=True, eq=False)
class ParsedFile:
    """A file a reader judges as a whole, beside the views built from it: ``problems`` are what
    its document reported its parser rejects (PGF001), and its suppression comments are judged
    (PGF002) whether or not a view judges a setting in it. ``unread``: why the reader could not
    read a file its consumer accepts (a module of a newer Python than the one running), where
    (PGF004); nothing in it was checked."""

    source: SourceFile
    problems: tuple[Problem, ...] = ()
    unread: Problem | None = None


@dataclass(eq=False)
class Built:
    """What a reader made of its files (``build_views``): the views the rules judge, and the
    files it judges as a whole (their parse errors and suppression comments), in reading order."""

    views: list[SettingsView] = field(default_factory=list)
    files: list[ParsedFile] = field(default_factory=list)


class SettingsView:
    """A set of settings judged together: a server's config tree, a kernel's sysctl files.

    Rules ask a view two things: ``get(key) -> Setting`` and ``fix(key, value) -> Fix | Refusal``
    (:mod:`pgconf_fix.setting`). A view type implements them through four hooks: ``effective``
    (the assignment that wins), ``numeric`` (a value as its consumer reads it), ``missing_location``
    and ``set_edits``; a view whose settings are not assignments (code, Terraform expressions)
    overrides ``get`` itself.
    """

    layer: str = ""
    version: PgVersion | None = None
    version_origin: str | None = None
    fix_applicability: str = SAFE
    # What the server does with a value it refuses written here (server-layer views; a
    # -c flag in a compose file or a pod spec says it its own way).
    refusal: str = "the server refuses to start with this file"

    def __init__(self, *, judges_missing: bool = True, major: Major | None = None) -> None:
        """``judges_missing``: False when the files are fragments about something else (missing
        settings are then not judged); ``major``: the PostgreSQL major the view is judged by
        (``take_major``), None when unknown."""
        # Every assignment in the order the consumer reads them: the last one of a key wins.
        self.assignments: list[Assignment] = []
        self.problems: list[Problem] = []
        self.scope: set[Path] = set()
        self.judges_missing = judges_missing
        self.take_major(major)

    def take_major(self, major: Major | None) -> None:
        """Judge by ``major``'s catalog (``version``, shown with ``version_origin``); None: unknown."""
        self.version = major.version if major is not None else None
        self.version_origin = major.origin if major is not None else None

    def in_scope(self, source: SourceFile) -> bool:
        return source.path in self.scope

    def judges(self, key: str) -> bool:
        """Whether a missing ``key`` is a finding here (fragments about other things are not nagged)."""
        return self.judges_missing

    def templated(self, key: str) -> bool:
        """Whether ``key``'s value is filled in before its consumer reads it (a variable, template
        markup) and so is not known here; views that read such markup say so."""
        return False

    def get(self, key: str, unit: str | None = None, number: bool = False) -> Setting:
        """``key`` as the consumer sees it. With ``number``, ``value`` is an ``int`` read the way
        the consumer reads it (in ``unit`` where the setting has none of its own), and a value it
        cannot read is UNKNOWN with the reason."""
        current = self.effective(key)
        if current is None:
            return Setting(
                key,
                State.MISSING,
                locate=lambda: self.missing_location(key),
                reason=self.describe_missing(),
                judged=self.judges(key),
                default=self.platform_default(key),
            )
        setting = Setting(
            key, State.SET, at=current.location, value=current.value, text=current.value, raw=current.raw_value
        )
        if not number:
            return setting
        try:
            return replace(setting, value=self.numeric(current, unit), unit=unit)
        except ValueError as error:
            return replace(setting, state=State.UNKNOWN, value=None, reason=str(error))

    def fix(self, key: str, value: str) -> Fix | Refusal:
        """Set ``key`` to ``value`` where it is written, else where it belongs ("Set key = value")."""
        edits = self.set_edits(key, value)
        if not edits:
            return Refusal(f"no place in this {self.layer} view to write {key}")
        return Fix(self.fix_applicability, f"Set {key} = {value}", edits, expect=((key, value),))

    def remove(self, key: str) -> Fix | Refusal:
        """Delete what sets ``key`` (a statement that can only fail); most views refuse."""
        return Refusal(f"{key} cannot be removed from this {self.layer} view")

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


class CommentedDefaultsView(SettingsView):
    """A view of line-oriented files (postgresql.conf, sysctl.conf) whose samples show the
    defaults in comments: a fix replaces the value where it is set, else uncomments the
    sample, else appends the line under ``fix_header`` to the key's home file."""

    fix_header = ""

    def samples(self, key: str) -> list[CommentedSample]:
        """``#key = value`` lines, the preferred one first."""
        raise NotImplementedError

    def home(self, key: str) -> SourceFile | None:
        """The file a missing key is appended to (None: nowhere)."""
        raise NotImplementedError

    def render(self, value: str, quoted: bool) -> str:
        """``value`` as written where the old value was (quoted or not)."""
        return value

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        current = self.effective(key)
        if current is not None:
            return replace_value(current, self.render(value, current.quoted))
        samples = self.samples(key)
        if samples:
            sample = samples[0]
            return uncomment(sample, self.render(value, sample.source.text[sample.value_start] == "'"))
        home = self.home(key)
        if home is None:
            return ()
        return append_lines(home, self.fix_header, f"{key} = {value}")


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

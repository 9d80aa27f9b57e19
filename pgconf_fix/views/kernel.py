"""A Linux host's kernel settings: sysctl.conf and sysctl.d/*.conf judged as one set."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, replace
from pathlib import Path

from pgconf_fix.documents.sysctl import SysctlDocument, SysctlLine, is_glob, kernel_integer
from pgconf_fix.findings import Edit, Location, Problem
from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.views.base import (
    Assignment,
    CommentedSample,
    SettingsView,
    append_lines,
    replace_value,
    uncomment,
)
from pgconf_fix.workspace import Workspace, is_dir, is_file

MAIN_NAME = "sysctl.conf"
INTEGER_KEYS = ("net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes")
# What the kernel accepts for each (measured, FACTS.md): the times are C ints, negative ones
# included; probes is an unsigned byte (255 is accepted, 256 and -1 are not).
KEY_RANGES = {
    "net.ipv4.tcp_keepalive_time": (-(2**31), 2**31 - 1),
    "net.ipv4.tcp_keepalive_intvl": (-(2**31), 2**31 - 1),
    "net.ipv4.tcp_keepalive_probes": (0, 255),
}
FRAGMENT_DIR = "sysctl.d"


@dataclass(frozen=True)
class KernelAssignment(Assignment):
    """An assignment of one key; ``pattern`` is the glob it came from (None when written out)."""

    pattern: str | None = None


def group_root(path: Path) -> Path:
    """The directory that holds a host's sysctl.conf and sysctl.d/."""
    if path.parent.name == FRAGMENT_DIR:
        return path.parent.parent
    return path.parent


def family(key: str) -> str:
    """Keys that belong together: net.ipv4.tcp_keepalive_time -> net.ipv4.tcp_keepalive."""
    return key.rsplit("_", 1)[0]


class KernelConfig(SettingsView):
    layer = "kernel"

    def __init__(self, workspace: Workspace, root: Path, given: list[SourceFile]) -> None:
        super().__init__()
        self.root = root
        self.scope = {source.path for source in given}
        self.documents: list[SysctlDocument] = []
        for source in self._ordered(workspace, root, given):
            self.documents.append(SysctlDocument(source))
        for document in self.documents:
            for line in document.lines:
                if line.error:
                    self.problems.append(Problem(Location(document.source, line.start, line.end), line.error))
                elif line.key is not None:
                    self._assign(document.source, line)
        self._validate()
        self.main = next((d.source for d in self.documents if d.source.path.name == MAIN_NAME), None)

    def _assign(self, source: SourceFile, line: SysctlLine) -> None:
        assert line.key is not None
        keys: tuple[str, ...] = (line.key,)
        pattern = None
        if is_glob(line.key):
            # systemd-sysctl and procps 4 expand a glob over the keys that exist; of those, we judge ours.
            pattern = line.key
            keys = tuple(key for key in INTEGER_KEYS if fnmatch.fnmatchcase(key, pattern))
        for key in keys:
            self.assignments.append(replace(KernelAssignment.spanning(key, source, line), pattern=pattern))

    def effective(self, key: str) -> Assignment | None:
        """The last assignment written out for ``key``, else the last glob matching it: a key written
        out beats a glob whatever their order (measured with sysctl -p and systemd-sysctl)."""
        from_glob = None
        for assignment in reversed(self.assignments):
            if assignment.key != key:
                continue
            if getattr(assignment, "pattern", None) is None:
                return assignment
            from_glob = from_glob or assignment
        return from_glob

    def _validate(self) -> None:
        """The lines whose value the kernel ends up with: rejected writes, and ignored trailing text."""
        seen: set[tuple[Path, int]] = set()
        for key in INTEGER_KEYS:
            current = self.effective(key)
            if current is None or (current.source.path, current.start) in seen:
                continue
            seen.add((current.source.path, current.start))
            written = getattr(current, "pattern", None) or key
            try:
                read = kernel_integer(current.value, *KEY_RANGES[key])
            except ValueError as exc:
                hint = " (sysctl files have no trailing comments)" if "#" in current.value or ";" in current.value else ""
                self.problems.append(Problem(current.location, f"{written}: {exc}{hint}; the kernel rejects the write"))
                continue
            if read.ignored:
                self.problems.append(
                    Problem(
                        current.location,
                        f'{written} = {current.value}: the kernel sets {read.value} and ignores "{read.ignored}" '
                        "(sysctl files have no trailing comments)",
                        severity="warning",
                    )
                )

    @staticmethod
    def _ordered(workspace: Workspace, root: Path, given: list[SourceFile]) -> list[SourceFile]:
        """Fragments by file name, then sysctl.conf last: the order the kernel applies them."""
        by_path: dict[Path, SourceFile] = {source.path: source for source in given}
        like = given[0].display if given else None
        candidates = [root / MAIN_NAME]
        fragments = root / FRAGMENT_DIR
        if is_dir(fragments):
            candidates += [fragments / name for name in os.listdir(fragments) if name.endswith(".conf")]
        for path in candidates:
            if path not in by_path and is_file(path):
                try:
                    by_path[path] = workspace.load(path, workspace.display_for(path, like))
                except InputError:
                    continue  # a sibling we were not asked about; its own run reports it
        # By the path listed: a link to another fragment is read at its own place in the order.
        order = sorted(by_path, key=lambda path: (path.name == MAIN_NAME, path.name, str(path)))
        return [by_path[path] for path in order]

    def judges(self, key: str) -> bool:
        """Judge a missing key when this is a host's main file, or a fragment about the same topic."""
        if self.main is not None:
            return True
        return any(family(a.key) == family(key) for a in self.assignments)

    def numeric(self, assignment: Assignment, unit: str | None) -> int:
        """The integer the kernel stores for the assignment (:func:`kernel_integer`); ValueError when it
        rejects the write."""
        low, high = KEY_RANGES.get(assignment.key, (-(2**63), 2**63 - 1))
        return kernel_integer(assignment.value.strip(), low, high).value

    def _home(self, key: str) -> SourceFile | None:
        """The file where a missing key belongs: beside its family, else the main file."""
        related = [a for a in self.assignments if family(a.key) == family(key) and a.source.path in self.scope]
        if related:
            return related[-1].source
        if self.main is not None and self.main.path in self.scope:
            return self.main
        return None

    def samples(self, key: str) -> list[CommentedSample]:
        found = []
        for document in self.documents:
            if document.source.path not in self.scope:
                continue
            for line, inner in document.commented_assignments():
                if inner.key == key:
                    found.append(
                        CommentedSample(
                            key=key,
                            source=document.source,
                            hash_offset=line.comment_start or line.start,
                            name_start=inner.name_start,
                            value_start=inner.value_start,
                            value_end=inner.value_end,
                            line_start=line.start,
                            line_end=line.end,
                        )
                    )
        return found

    def missing_location(self, key: str) -> Location:
        samples = self.samples(key)
        if samples:
            return Location(samples[0].source, samples[0].line_start, samples[0].line_end)
        related = [a for a in self.assignments if family(a.key) == family(key)]
        if related:
            return related[-1].location
        home = self._home(key) or self.documents[-1].source
        start, end = home.line_span(1)
        return Location(home, start, end)

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        current = self.effective(key)
        if current is not None and getattr(current, "pattern", None) is not None:
            # Changing the glob's value would change the other keys it sets: write this key out
            # below it, which wins over the glob.
            return (Edit(current.source, current.end, current.end, f"{current.source.newline}{key} = {value}"),)
        if current is not None:
            try:
                read = kernel_integer(current.value, *KEY_RANGES.get(key, (-(2**63), 2**63 - 1)))
            except ValueError:
                return replace_value(current, value)
            # Replace the number only: text after it that the kernel ignores (a comment) stays.
            return (Edit(current.source, current.value_start, current.value_start + read.length, value),)
        samples = self.samples(key)
        if samples:
            return uncomment(samples[0], value)
        home = self._home(key)
        if home is None:
            return ()
        return append_lines(home, "Added by pgconf-fix: TCP keepalives for database connections", f"{key} = {value}")


def build_kernel_views(workspace: Workspace, sources: list[SourceFile], options: object) -> list[KernelConfig]:
    groups: dict[Path, list[SourceFile]] = {}
    for source in sources:
        groups.setdefault(group_root(source.path), []).append(source)
    return [KernelConfig(workspace, root, given) for root, given in groups.items()]

"""A Linux host's kernel settings: sysctl.conf and sysctl.d/*.conf judged as one set.

Two layouts. A loose one (a ``sysctl.conf`` and the ``sysctl.d/`` beside it, anywhere) is
read as one directory. An OS image tree (``etc/sysctl.conf``, ``etc/sysctl.d``,
``run/sysctl.d``, ``usr/local/lib/sysctl.d``, ``usr/lib/sysctl.d``, ``lib/sysctl.d`` under one
root, the root being ``/`` on a live host) is read the way systemd-sysctl and procps
``sysctl --system`` read a root (measured with systemd 252 and procps-ng 4.0.2 chrooted into
test roots inside ``unshare -n -m``; tests/test_kernel_sysctl.py repeats it):

- the ``*.conf`` names of those directories (case-sensitive suffix) are one list, applied in
  byte order of the file name, whatever directory each comes from (``10-a`` before ``9-b``,
  ``Z`` before ``a``);
- a name is read from the first directory of ``SYSTEM_DIRS`` that has it: that entry hides
  the same name in the others, also when it reads as nothing (a link to ``/dev/null``, an
  empty file, a dangling link, a directory);
- ``etc/sysctl.conf`` comes last (procps; systemd-sysctl reads it only through a link such
  as Debian's ``etc/sysctl.d/99-sysctl.conf``, at that name's place);
- an absolute symlink means a path inside the root.

procps also reads ``.``-names (``.x.conf``), which systemd-sysctl skips; we read them, as procps.
"""

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
# Where systemd-sysctl and procps ``sysctl --system`` look, relative to a root: a file name in an
# earlier directory hides the same name in the later ones (measured, module docstring).
SYSTEM_DIRS = (("etc",), ("run",), ("usr", "local", "lib"), ("usr", "lib"), ("lib",))
_LINK_HOPS = 40  # the kernel's limit on symlinks followed in one lookup (ELOOP)


@dataclass(frozen=True)
class KernelAssignment(Assignment):
    """An assignment of one key; ``pattern`` is the glob it came from (None when written out)."""

    pattern: str | None = None


@dataclass(frozen=True)
class HostRoot:
    """Where one host's sysctl files are: ``path`` is an OS image root (``image``: the
    directories of ``SYSTEM_DIRS`` and ``etc/sysctl.conf`` under it), or the directory holding a
    loose sysctl.conf and the sysctl.d/ beside it."""

    path: Path
    image: bool


def host_root(path: Path) -> HostRoot:
    """The host a sysctl file belongs to: ``root/etc/sysctl.conf`` and
    ``root/<one of SYSTEM_DIRS>/sysctl.d/x.conf`` belong to the image ``root``; any other file
    to the loose set of its directory (or of the directory above its sysctl.d)."""
    if path.parent.name == FRAGMENT_DIR:
        holder = path.parent.parent
        for parts in sorted(SYSTEM_DIRS, key=len, reverse=True):
            if holder.parts[-len(parts) :] == parts and len(holder.parts) > len(parts):
                return HostRoot(holder.parents[len(parts) - 1], True)
        return HostRoot(holder, False)
    if path.name == MAIN_NAME and path.parent.name == "etc" and len(path.parent.parts) > 1:
        return HostRoot(path.parent.parent, True)
    return HostRoot(path.parent, False)


def family(key: str) -> str:
    """Keys that belong together: net.ipv4.tcp_keepalive_time -> net.ipv4.tcp_keepalive."""
    return key.rsplit("_", 1)[0]


class KernelConfig(SettingsView):
    layer = "kernel"

    def __init__(self, workspace: Workspace, root: Path, given: list[SourceFile], image: bool = False) -> None:
        """The files of one host, judged as one set: ``root`` and ``image`` as in :class:`HostRoot`;
        ``given`` the files asked about (the others of the set are read, not judged or fixed)."""
        super().__init__()
        self.root = root
        self.image = image
        self.scope = {source.path for source in given}
        self.documents: list[SysctlDocument] = []
        ordered = self._image_ordered(workspace, root, given) if image else self._ordered(workspace, root, given)
        for source in ordered:
            self.documents.append(SysctlDocument(source))
        for document in self.documents:
            for line in document.lines:
                if line.error:
                    self.problems.append(Problem(Location(document.source, line.start, line.end), line.error))
                elif line.key is not None:
                    self._assign(document.source, line)
        self._validate()
        if image:
            main_path = root / "etc" / MAIN_NAME
            self.main = next((d.source for d in self.documents if d.source.path == main_path), None)
        else:
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

    @staticmethod
    def _image_ordered(workspace: Workspace, root: Path, given: list[SourceFile]) -> list[SourceFile]:
        """The files of the image ``root`` in the order systemd-sysctl and ``sysctl --system``
        apply them (module docstring): each name from the first directory that has it, by name,
        then etc/sysctl.conf. A name whose entry reads as nothing is left out, and hides the rest."""
        by_path: dict[Path, SourceFile] = {source.path: source for source in given}
        like = given[0].display if given else None
        # A file given that is not on disk (standard input named by --stdin-filename) is listed
        # where it would be: it was left out, and the image judged without it.
        unwritten = {path for path in by_path if not os.path.lexists(path)}
        chosen: dict[str, Path] = {}
        for parts in SYSTEM_DIRS:
            directory = root.joinpath(*parts, FRAGMENT_DIR)
            names = [path.name for path in unwritten if path.parent == directory]
            if is_dir(directory):
                names += os.listdir(directory)
            for name in names:
                if name.endswith(".conf"):
                    chosen.setdefault(name, directory / name)
        listed = [chosen[name] for name in sorted(chosen, key=lambda name: name.encode("utf-8", "surrogateescape"))]
        ordered = []
        for path in [*listed, root / "etc" / MAIN_NAME]:
            if path in unwritten:
                ordered.append(by_path[path])
                continue
            target = _inside(root, path)
            if target is None or not is_file(target):
                continue  # masked (/dev/null, empty target), dangling, or a directory
            if target not in by_path:
                try:
                    by_path[target] = workspace.load(target, workspace.display_for(target, like))
                except InputError:
                    continue  # a file we were not asked about; its own run reports it
            ordered.append(by_path[target])
        return ordered

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

    def _owned(self, source: SourceFile) -> bool:
        """Whether the host's administrator keeps ``source``: in an image, what is under etc/
        (run/ is made at boot, usr/ and lib/ belong to packages); every file of a loose set."""
        return not self.image or source.path.is_relative_to(self.root / "etc")

    def _home(self, key: str) -> SourceFile | None:
        """The file where a missing key belongs: beside its family, else the main file; in an
        image, a file under etc/ first, else one beside its family elsewhere."""
        related = [a.source for a in self.assignments if family(a.key) == family(key) and a.source.path in self.scope]
        owned = [source for source in related if self._owned(source)]
        if owned:
            return owned[-1]
        if self.main is not None and self.main.path in self.scope:
            return self.main
        if related:
            return related[-1]
        return None

    def samples(self, key: str) -> list[CommentedSample]:
        """``#key = value`` lines in the files asked about, those under etc/ of an image first."""
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
        return sorted(found, key=lambda sample: not self._owned(sample.source))

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


def _inside(root: Path, path: Path) -> Path | None:
    """``path`` of the image ``root`` with its symlinks followed as they read on that host: an
    absolute target is under ``root`` (a link to /dev/null then names no regular file, and
    masks). None for a loop."""
    for _ in range(_LINK_HOPS):
        if not path.is_symlink():
            return path
        target = os.readlink(path)
        if os.path.isabs(target):
            path = root / os.path.normpath(target).lstrip(os.sep)
        else:
            path = Path(os.path.normpath(path.parent / target))
    return None


def build_kernel_views(workspace: Workspace, sources: list[SourceFile], options: object) -> list[KernelConfig]:
    """One view a host (:func:`host_root`) of the sysctl files ``sources``."""
    groups: dict[HostRoot, list[SourceFile]] = {}
    for source in sources:
        groups.setdefault(host_root(source.path), []).append(source)
    return [KernelConfig(workspace, host.path, given, image=host.image) for host, given in groups.items()]

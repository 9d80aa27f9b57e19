"""Files of one run: read once, shown by the path the user gave."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pgconf_fix.source import DEFAULT_MAX_FILE_SIZE, InputError, SourceFile, read_source


def absolute(path: Path) -> Path:
    """``Path(os.path.abspath(path))``: ``path`` itself when it is a Path and already absolute
    and normal (``abspath`` gives its own text back). A check keys its sets and dicts by these
    paths; a Path keeps its hash once computed, so handing back the same object spares making
    one (~8 us) and hashing it afresh (issue 18: ~2.5 % of the instructions of a Terraform run
    of 1,000 files, where each file's path was made absolute anew three times a check)."""
    text = os.fspath(path)
    made = os.path.abspath(text)
    return path if made == text and isinstance(path, Path) else Path(made)


@lru_cache(maxsize=65536)
def parent_of(path: Path) -> Path:
    """``path.parent``, the same Path object each time for equal paths: pathlib makes a new one
    a call, which a set or dict keyed by directories then hashes afresh (a Terraform check asks
    it four times of every file: its group, the module hook, the budget, the network view;
    issue 18: 3,286.5 -> 3,198.7 M instructions on the 1,000-file tree)."""
    return path.parent


def looked_for(path: Path, directory: bool = False) -> None:
    """Note ``path`` as an input of the check, before a reader looks at it with ``stat``. A
    reader that only looks for a file (``stat`` raises no audit event) and does not find it
    reads nothing the result cache (pgconf_fix.cache) would see; this audit event
    ("pgconf_fix.is_file", or "pgconf_fix.is_dir" with ``directory``) makes the path an input:
    a file's bytes or a directory's listing, "absent" while there is none. An entry made while
    it was absent is then not used once it exists (a postgresql.auto.conf, the postgresql.conf
    above a fragment, an ``include_if_exists`` target), nor the other way round."""
    sys.audit("pgconf_fix.is_dir" if directory else "pgconf_fix.is_file", path)


def is_file(path: Path) -> bool:
    """``path.is_file()``, noted as an input of the check (``looked_for``). A path the system
    cannot even look up (a name too long: ENAMETOOLONG, which pathlib raises) is no file."""
    looked_for(path)
    try:
        return path.is_file()
    except OSError:
        return False


def is_dir(path: Path) -> bool:
    """``path.is_dir()``, noted as an input of the check (``looked_for``): its listing, absent
    while it is not a directory (a sysctl.d that appears next to a sysctl.conf). False for a
    path that cannot be looked up, as :func:`is_file`."""
    looked_for(path, directory=True)
    try:
        return path.is_dir()
    except OSError:
        return False


@dataclass(eq=False)
class Workspace:
    """The files one check reads, each read once (a SourceFile, or the InputError it gave),
    relative to ``cwd``."""

    cwd: Path
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    _cache: dict[Path, SourceFile | InputError] = field(default_factory=dict)
    # Absolute paths asked for while ``tracking`` (pgconf_fix.run: what a reader's group read).
    _reads: set[Path] | None = field(default=None, repr=False)
    # Each path asked for, made absolute (os.path.abspath) once: a check asks for the same
    # paths many times (readers, the idle budget, the re-check after a fix).
    _absolute: dict[Path, Path] = field(default_factory=dict, repr=False)
    # The path each file (SourceFile.identity) was first read by: another path to the same
    # file (a symlink, a hard link) gives that path's SourceFile (``load``).
    _first_path: dict[tuple[int, int], Path] = field(default_factory=dict, repr=False)
    # Files a look ahead read and ``forget_since`` held back (absolute path -> file): ``load``
    # takes one back instead of reading the file again.
    _held: dict[Path, SourceFile] = field(default_factory=dict, repr=False)

    def display_for(self, path: Path, like: str | None = None) -> str:
        """A path as the user would write it: relative when the input that led here was."""
        if like is not None and os.path.isabs(like):
            return os.path.normpath(str(path.absolute()))
        try:
            return os.path.relpath(path.absolute(), self.cwd)
        except ValueError:
            return str(path)

    def load(self, path: Path, display: str | None = None) -> SourceFile:
        """Read a file once; raise InputError (cached too) when it cannot be read.

        A file read before by another path (a symlink to it or to a directory above it, a hard
        link: the same ``SourceFile.identity``) is that path's SourceFile, with its path and
        display: one file is one text, judged and fixed once (an include that names through a
        link a file discovery found under its own path). Both paths count as asked for."""
        key = self._absolute.get(path)  # key_of, without a call: asked for every file, many times
        if key is None:
            key = self._absolute[path] = absolute(path)
        if self._reads is not None:
            self._reads.add(key)
        if key not in self._cache:
            shown = display if display is not None else self.display_for(key)
            held = self._held.pop(key, None) if self._held else None
            if held is not None and held.display == shown:
                self._cache[key] = self._one_per_file(key, held)
            else:
                try:
                    self._cache[key] = self._one_per_file(key, read_source(key, shown, self.max_file_size))
                except InputError as exc:
                    self._cache[key] = exc
        cached = self._cache[key]
        if isinstance(cached, InputError):
            raise cached
        if self._reads is not None and cached.path != key:
            self._reads.add(cached.path)
        return cached

    def key_of(self, path: Path) -> Path:
        """``absolute(path)``, made once a path (the key ``load`` files a path under)."""
        key = self._absolute.get(path)
        if key is None:
            key = self._absolute[path] = absolute(path)
        return key

    def _one_per_file(self, key: Path, source: SourceFile) -> SourceFile:
        """``source``, read at ``key``, or the SourceFile of the same file read by another path."""
        if source.identity is None:
            return source
        first = self._first_path.get(source.identity)
        if first is not None and first != key:
            held = self._cache.get(first)
            if isinstance(held, SourceFile) and held.identity == source.identity:
                return held
        self._first_path[source.identity] = key
        return source

    def entry(self, key: Path) -> SourceFile | InputError | None:
        """What was read at the absolute path ``key`` (the file or the error), None if nothing."""
        return self._cache.get(key)

    def sources(self) -> list[SourceFile]:
        """Every file read so far (once, however many paths read it)."""
        unique = {id(entry): entry for entry in self._cache.values() if isinstance(entry, SourceFile)}
        return list(unique.values())

    def mark(self) -> int:
        """A point in the reading order, for ``forget_since``."""
        return len(self._cache)

    def forget_since(self, mark: int, hold: Iterable[Path] = ()) -> None:
        """Drop what was read after ``mark``: a look ahead (learning the idle budget) leaves
        the reading order, and so the order of errors and written files, to the readers.

        ``hold``: paths, as given to ``load``, whose files are held back instead: a later
        ``load`` of one under the same display puts that SourceFile back, at its place in the
        order then, without opening the file again (the budget read every ``.tf`` of a
        Terraform tree and its reader read them all again: issue 18). Only a file read at its
        own path is held (not one another path to it gave), not an error (read again, as
        before), and each once: the first ``load`` takes it. The result cache notes a file
        when it is opened (``pgconf_fix.cache``: the ``open`` audit event); its record runs
        from the start of the invocation, so a held file, opened by the look ahead, is in it
        already."""
        if mark >= len(self._cache):
            return  # nothing was read since (a re-check's workspace holds every file already)
        entries = list(self._cache.items())
        keys = {self._absolute.get(path) for path in hold}
        for key, entry in entries[mark:]:
            if key in keys and isinstance(entry, SourceFile) and entry.path == key:
                self._held[key] = entry
        self._cache = dict(entries[:mark])

    def loaded(self) -> list[tuple[Path, SourceFile | InputError]]:
        """Every file read so far, with the error of those that could not be, in reading order."""
        return list(self._cache.items())

    def adopt(self, source: SourceFile) -> None:
        """Register a source read elsewhere (standard input, a fixed text): the file's other
        paths read it too."""
        key = self.key_of(source.path)
        self._cache[key] = source
        if source.identity is not None:
            self._first_path[source.identity] = key

    def tracking(self, reads: set[Path] | None) -> set[Path] | None:
        """Note every path ``load`` is asked for into ``reads`` (absolute paths; None: stop
        noting); returns the set noted into before."""
        before, self._reads = self._reads, reads
        return before

    @property
    def listings(self) -> dict[Path, list[Path]]:
        """Directory listings (the configuration files a Terraform module directory lists), made
        once for the checks of a run: the budget's look ahead, the reader's groups, the
        re-checks (``share_lookups``). The result cache's entries note everything read since
        the run began (pgconf_fix.cache), so a group that takes a listing made before it
        still has it among its inputs. Not a field: a dataclass field costs every run's
        start its generated code."""
        held = self.__dict__.get("_listings")
        if held is None:
            held = self.__dict__["_listings"] = {}
        return held

    def share_lookups(self, other: Workspace) -> None:
        """Take (and share from now on) what ``other`` looked up that a re-check of the same
        run looks up again, in the same process and working directory, with the files on disk
        unchanged or changed in place (``pgconf_fix.cli.Run``): the absolute path of each path
        asked for (made anew, ``absolute`` ran 3,203 times on the 1,000-file Terraform tree's
        re-check) and directory listings (``listings``). Issue 18, thirteenth pass."""
        self._absolute = other._absolute
        self.__dict__["_listings"] = other.listings

    def seed(self, entries: list[tuple[Path, SourceFile | InputError]]) -> None:
        """Take files (and errors) another workspace read, keyed by absolute path, as if read
        here, after what is here already: a re-check reuses what did not change."""
        for key, entry in entries:
            if key in self._cache:
                continue
            if isinstance(entry, SourceFile) and entry.identity is not None:
                # Another path to a file held here (a fixed text, or the parent's copy of a
                # worker's file) reads what is held.
                entry = self._one_per_file(key, entry)
            self._cache[key] = entry

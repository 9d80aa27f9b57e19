"""postgresql.conf's ``include``, ``include_if_exists`` and ``include_dir`` followed as the
server follows them (guc-file.l, ParseConfigFp/ParseConfigDirectory): relative to the
including file, at most ``MAX_DEPTH`` levels, ``include_dir`` reading ``*.conf`` names not
starting with a dot in byte order, loops and unreadable targets reported in the server's
words. An absolute server path is looked for beside the including file when the repository
mirrors the server's layout.

``IncludeFollowing`` is a mixin of :class:`pgconf_fix.views.server.ServerConfig`: it needs
its ``workspace``, ``unresolved`` (targets outside the repository), ``_problem(source, line,
message)`` and ``_read(source, depth, stack)``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from pgconf_fix.documents.pgconf import ConfLine
from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.workspace import looked_for

if TYPE_CHECKING:
    from pgconf_fix.workspace import Workspace

MAX_DEPTH = 10  # CONF_FILE_MAX_DEPTH in the server


class IncludeFollowing:
    """The include directives of a postgresql.conf tree (see the module's docstring)."""

    workspace: Workspace
    unresolved: list[str]
    listed_directories: set[Path]  # include_dir targets listed, symlinks resolved

    def _problem(self, source: SourceFile, line: ConfLine, message: str) -> None:
        raise NotImplementedError

    def _read(self, source: SourceFile, depth: int, stack: tuple[Path, ...]) -> None:
        raise NotImplementedError

    def _include(self, source: SourceFile, line: ConfLine, depth: int, stack: tuple[Path, ...]) -> None:
        directive = line.key
        target = line.value or ""
        if not target:
            kind = "directory" if directive == "include_dir" else "file"
            self._problem(source, line, f'empty configuration {kind} name in "{directive}"')
            return
        path = self._resolve(source, target)
        if path is None:
            self.unresolved.append(target)
            return
        if depth + 1 > MAX_DEPTH:
            self._problem(source, line, f'could not open "{target}": maximum nesting depth ({MAX_DEPTH}) exceeded')
            return
        if directive == "include_dir":
            self._include_dir(source, line, path, target, depth, stack)
            return
        if real_path(path) in stack:
            chain = " -> ".join(p.name for p in (*stack, real_path(path)))
            self._problem(source, line, f"include loop: {chain}")
            return
        status, why = _stat(path)
        if status is None:
            # include_if_exists skips a file it cannot open for any reason (postgres -C of
            # PostgreSQL 15 accepts a name too long and a symlink loop there, as a missing file).
            if directive == "include":
                self._problem(source, line, f'could not open configuration file "{target}": {why}')
            return
        if stat.S_ISDIR(status.st_mode):
            self._problem(source, line, f'"{target}" is a directory; use include_dir for directories')
            return
        self._read_included(source, line, path, target, depth, stack)

    def _include_dir(
        self, source: SourceFile, line: ConfLine, path: Path, target: str, depth: int, stack: tuple[Path, ...]
    ) -> None:
        status, why = _stat(path, directory=True)
        if status is not None and not stat.S_ISDIR(status.st_mode):
            why = "not a directory"
        elif why == NO_SUCH_FILE:
            why = "no such directory"
        names: list[str] = []
        if why is None:
            try:
                names = sorted(
                    (name for name in os.listdir(path) if name.endswith(".conf") and not name.startswith(".")),
                    key=os.fsencode,  # the server compares bytes
                )
            except OSError as exc:
                why = exc.strerror or str(exc)
        if why is not None:
            self._problem(source, line, f'could not open configuration directory "{target}": {why}')
            return
        self.listed_directories.add(real_path(path))
        for name in names:
            child = path / name
            child_status, child_why = _stat(child)
            if child_status is None and child_why != NO_SUCH_FILE:
                self._problem(source, line, f'could not open configuration file "{target}/{name}": {child_why}')
                continue
            if child_status is None or not stat.S_ISREG(child_status.st_mode):
                continue
            if real_path(child) in stack:
                chain = " -> ".join(p.name for p in (*stack, real_path(child)))
                self._problem(source, line, f"include loop: {chain}")
                continue
            self._read_included(source, line, child, f"{target}/{name}", depth, stack)

    def _read_included(
        self, source: SourceFile, line: ConfLine, path: Path, target: str, depth: int, stack: tuple[Path, ...]
    ) -> None:
        try:
            child = self.workspace.load(path, self.workspace.display_for(path, source.display))
        except InputError as exc:
            self._problem(source, line, f'could not read included file "{target}": {exc.message}')
            return
        self._read(child, depth + 1, stack)

    def _resolve(self, source: SourceFile, target: str) -> Path | None:
        """Where an include points, inside the repository; None when it points outside it."""
        if not os.path.isabs(target):
            return source.path.parent / target
        return find_absolute(source, target)


def find_absolute(source: SourceFile, target: str) -> Path | None:
    """An absolute path a file of ``source`` names (an include's target): itself when it
    exists here, else its copy in the repository when the repository mirrors the server's
    layout around ``source`` (/etc/postgresql/15/main/conf.d named from
    .../etc/postgresql/15/main/postgresql.conf); None when it is outside the repository."""
    path = Path(target)
    looked_for(path, directory=True)  # an include_dir's target: its listing is an input too
    if _stat(path)[0] is not None:
        return path
    parts = path.parts[1:]
    here = real_path(source.path).parent.parts
    for cut in range(len(parts) - 1, 0, -1):
        prefix = parts[:cut]
        if len(here) >= len(prefix) and tuple(here[len(here) - len(prefix) :]) == tuple(prefix):
            return source.path.parent.joinpath(*parts[cut:])
    return None


NO_SUCH_FILE = "no such file"


def _stat(path: Path, directory: bool = False) -> tuple[os.stat_result | None, str | None]:
    """The include target's status, or why it cannot be had in the server's words
    ("File name too long", "Too many levels of symbolic links", "Permission denied"). The
    path is an input of the check (``workspace.looked_for``; ``directory``: an include_dir's),
    so that a missing target appearing later makes a cached result stale."""
    looked_for(path, directory)
    try:
        return os.stat(path), None
    except FileNotFoundError:
        return None, NO_SUCH_FILE
    except OSError as exc:
        return None, exc.strerror or str(exc)
    except ValueError as exc:  # a NUL byte in the name
        return None, str(exc)


def real_path(path: Path) -> Path:
    """``path`` with symlinks resolved as far as they go: a symlink loop is not an exception here."""
    return Path(os.path.realpath(path))

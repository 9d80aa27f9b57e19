"""Walk the given paths and hand each file to the layer that claims it.

A file is claimed by its name first; only when the name is not enough does a
layer look at the file's first bytes. Nothing is parsed here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from pgconf_fix.ignore import IgnoreRules, parse_pattern, read_ignore_file
from pgconf_fix.source import InputError, looks_binary

DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", ".terraform",
    "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", ".direnv",
)
HEAD_BYTES = 64 * 1024


@dataclass
class Discovered:
    files: dict[str, list[tuple[Path, str]]] = field(default_factory=dict)  # layer -> (path, display)
    errors: list[InputError] = field(default_factory=list)


class _Head:
    """The first bytes of a file, read at most once and only if a layer asks."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: bytes | None = None

    def __call__(self) -> bytes:
        if self.data is None:
            try:
                with open(self.path, "rb") as handle:
                    self.data = handle.read(HEAD_BYTES)
            except OSError:
                self.data = b""
            if looks_binary(self.data):
                self.data = b""
        return self.data


def _claim(layers: list[ModuleType], path: Path) -> str | None:
    head = _Head(path)
    for layer in layers:
        if layer.claim(path, head):
            return layer.NAME
    return None


def discover(paths: list[str], layers: list[ModuleType], cwd: Path, exclude: tuple[str, ...] = ()) -> Discovered:
    found = Discovered()
    base_rules = IgnoreRules([p for p in (parse_pattern(x, cwd) for x in exclude) if p is not None])
    seen: set[Path] = set()

    def add(path: Path, display: str) -> None:
        absolute = Path(os.path.abspath(path))
        if absolute in seen:
            return
        seen.add(absolute)
        layer = _claim(layers, absolute)
        if layer is not None:
            found.files.setdefault(layer, []).append((absolute, display))

    for given in paths:
        path = Path(given)
        if not os.path.lexists(path):
            found.errors.append(InputError(given, "no such file or directory"))
        elif path.is_dir():
            _walk(Path(os.path.abspath(path)), given, base_rules, add, found)
        elif path.is_file():
            add(path, given)
        elif os.path.islink(path) and not os.path.exists(path):
            found.errors.append(InputError(given, f"dangling symlink: its target {os.readlink(path)!r} does not exist"))
        else:
            found.errors.append(InputError(given, "not a regular file or directory"))
    return found


def _walk(root: Path, display_root: str, rules: IgnoreRules, add, found: Discovered) -> None:  # noqa: ANN001
    root_rules = rules.extended(read_ignore_file(root / ".gitignore"))
    stack: list[tuple[Path, str, IgnoreRules]] = [(root, display_root, root_rules)]
    while stack:
        directory, shown, active = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as exc:
            found.errors.append(InputError(shown, f"cannot list directory: {exc.strerror}"))
            continue
        subdirectories = []
        for entry in entries:
            path = Path(entry.path)
            child_shown = os.path.join(shown, entry.name) if shown != "." else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file()
            except OSError:
                continue
            if is_dir:
                if entry.name in DEFAULT_EXCLUDES or active.ignored(path, True):
                    continue
                subdirectories.append((path, child_shown))
            elif (is_file or _dangling(entry)) and not active.ignored(path, False):
                # A dangling symlink is handed on too: a layer that claims its name reports it.
                add(path, child_shown)
        for path, child_shown in reversed(subdirectories):
            stack.append((path, child_shown, active.extended(read_ignore_file(path / ".gitignore"))))


def _dangling(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink() and not os.path.exists(entry.path)
    except OSError:
        return False

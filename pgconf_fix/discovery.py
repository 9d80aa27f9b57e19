"""Walk the given paths and hand each file to the layer that claims it.

A file is claimed by its name first; only when the name is not enough does a
layer look at the file's first bytes. Nothing is parsed here. A large tree is
walked once and its files claimed in chunks by one process per core.
"""

from __future__ import annotations

import importlib
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
# Below this many files per core, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 2000


@dataclass
class Discovered:
    files: dict[str, list[tuple[Path, str]]] = field(default_factory=dict)  # layer -> (path, display)
    errors: list[InputError] = field(default_factory=list)


class _Head:
    """The first bytes of a file, read at most once and only if a layer asks."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.data: bytes | None = None

    def __call__(self) -> bytes:
        if self.data is None:
            self.data = _read_head(self.path)
            if looks_binary(self.data):
                self.data = b""
        return self.data


def _read_head(path: str) -> bytes:
    # os.read spares the buffered file object that open() builds for one read of every file.
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return b""
    try:
        chunks = []
        wanted = HEAD_BYTES
        while wanted > 0:
            chunk = os.read(descriptor, wanted)
            if not chunk:
                break
            chunks.append(chunk)
            wanted -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return b""
    finally:
        os.close(descriptor)


def _claim(layers: list[ModuleType], path: str) -> str | None:
    head = _Head(path)
    as_path = Path(path)
    for layer in layers:
        if layer.claim(as_path, head):
            return layer.NAME
    return None


def _claim_chunk(job: tuple[tuple[str, ...], list[str]]) -> list[str | None]:
    names, paths = job
    layers = [importlib.import_module(name) for name in names]
    return [_claim(layers, path) for path in paths]


def _claim_all(layers: list[ModuleType], paths: list[str]) -> list[str | None]:
    """The claiming layer of each path, in order; large trees are shared between the cores."""
    workers = min(os.cpu_count() or 1, len(paths) // PARALLEL_MIN_FILES)
    if workers < 2:
        return [_claim(layers, path) for path in paths]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    names = tuple(layer.__name__ for layer in layers)
    size = max(1, PARALLEL_MIN_FILES // 4, len(paths) // (workers * 8))
    jobs = [(names, paths[i : i + size]) for i in range(0, len(paths), size)]
    # fork: the workers start with the layers already imported and nothing to re-read.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return [layer for chunk in pool.map(_claim_chunk, jobs) for layer in chunk]


def discover(paths: list[str], layers: list[ModuleType], cwd: Path, exclude: tuple[str, ...] = ()) -> Discovered:
    found = Discovered()
    base_rules = IgnoreRules([p for p in (parse_pattern(x, cwd) for x in exclude) if p is not None])
    seen: set[str] = set()
    candidates: list[tuple[str, str]] = []  # (absolute path, display), in walk order

    def add(path: str, display: str) -> None:
        absolute = os.path.abspath(path)
        if absolute in seen:
            return
        seen.add(absolute)
        candidates.append((absolute, display))

    for given in paths:
        if not os.path.lexists(given):
            found.errors.append(InputError(given, "no such file or directory"))
        elif os.path.isdir(given):
            _walk(os.path.abspath(given), given, base_rules, add, found)
        elif os.path.isfile(given):
            add(given, given)
        elif os.path.islink(given) and not os.path.exists(given):
            found.errors.append(InputError(given, f"dangling symlink: its target {os.readlink(given)!r} does not exist"))
        else:
            found.errors.append(InputError(given, "not a regular file or directory"))
    claimed = _claim_all(layers, [absolute for absolute, _ in candidates])
    for (absolute, display), layer in zip(candidates, claimed):
        if layer is not None:
            found.files.setdefault(layer, []).append((Path(absolute), display))
    return found



def _walk(root: str, display_root: str, rules: IgnoreRules, add, found: Discovered) -> None:  # noqa: ANN001
    stack: list[tuple[str, str, IgnoreRules]] = [(root, display_root, rules)]
    while stack:
        directory, shown, active = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as exc:
            found.errors.append(InputError(shown, f"cannot list directory: {exc.strerror}"))
            continue
        # Most directories have no .gitignore: look in the listing before trying to open one.
        if any(entry.name == ".gitignore" for entry in entries):
            active = active.extended(read_ignore_file(Path(directory) / ".gitignore"))
        subdirectories = []
        for entry in entries:
            child_shown = os.path.join(shown, entry.name) if shown != "." else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file()
            except OSError:
                continue
            if is_dir:
                if entry.name in DEFAULT_EXCLUDES or (active.patterns and active.ignored(Path(entry.path), True)):
                    continue
                subdirectories.append((entry.path, child_shown))
            elif (is_file or _dangling(entry)) and not (active.patterns and active.ignored(Path(entry.path), False)):
                # A dangling symlink is handed on too: a layer that claims its name reports it.
                add(entry.path, child_shown)
        for path, child_shown in reversed(subdirectories):
            stack.append((path, child_shown, active))


def _dangling(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink() and not os.path.exists(entry.path)
    except OSError:
        return False

"""Which paths a run leaves out: ``.gitignore`` files, ``.git/info/exclude`` and the config's
``exclude`` list, with git's own semantics from ``pathspec`` (``GitIgnoreSpec``).

Each source of patterns is relative to its own directory, as in git and ruff: a
``.gitignore`` to the directory it sits in, ``.git/info/exclude`` to the repository's
root, ``exclude``/``per-file-ignores`` to the directory of the config file that defines
them (https://git-scm.com/docs/gitignore, https://docs.astral.sh/ruff/settings/#exclude).
Later (deeper) sources win over earlier ones, and within one source the last matching
pattern wins, so ``!keep.conf`` re-includes a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec


def spec(lines: Iterable[str]) -> GitIgnoreSpec | None:
    """A compiled pattern list, or None when it has no pattern (only blanks and comments).

    pathspec keeps a comment or a blank line as a pattern that matches nothing (``include``
    None): ``git init`` writes a ``.git/info/exclude`` of comments only, and a walk would
    match every path of every repository against it."""
    lines = [line for line in lines if line.strip() and not line.startswith("#")]
    if not lines:
        return None  # pathspec is imported (~15 ms) only where some pattern is in force
    from pathspec import GitIgnoreSpec

    compiled = GitIgnoreSpec.from_lines(lines)
    return compiled if any(pattern.include is not None for pattern in compiled.patterns) else None


def relative_to(path: str, base: str) -> str | None:
    """``path`` relative to ``base`` with ``/`` separators (both absolute and normalised),
    or None when it is not under ``base``."""
    if path == base:
        return ""
    prefix = base if base.endswith(os.sep) else base + os.sep
    if not path.startswith(prefix):
        return None
    rest = path[len(prefix) :]
    return rest if os.sep == "/" else rest.replace(os.sep, "/")


class IgnoreRules:
    """Pattern sources in force for a directory of a walk, outermost first."""

    __slots__ = ("sources",)

    def __init__(self, sources: tuple[tuple[str, GitIgnoreSpec], ...] = ()) -> None:
        self.sources = sources

    @property
    def patterns(self) -> bool:
        """Whether any pattern is in force (most walks have none: nothing to match)."""
        return bool(self.sources)

    def extended(self, base: str | Path, lines: Iterable[str]) -> IgnoreRules:
        """These rules and the patterns of ``lines``, relative to directory ``base``."""
        compiled = spec(lines)
        if compiled is None:
            return self
        return IgnoreRules((*self.sources, (os.path.abspath(base), compiled)))

    def ignored(self, path: str | Path, is_dir: bool) -> bool:
        """Whether the absolute ``path`` is left out: the last source with a matching pattern decides."""
        path = os.path.abspath(path)
        result = False
        for base, compiled in self.sources:
            relative = relative_to(path, base)
            if not relative:
                continue
            verdict = compiled.check_file(relative + "/" if is_dir else relative).include
            if verdict is not None:
                result = verdict
        return result

    def ignored_with_parents(self, path: str | Path, is_dir: bool) -> bool:
        """Like ``ignored``, for a path named directly rather than reached by a walk: a path
        inside an ignored directory is ignored too (git cannot re-include it)."""
        path = os.path.abspath(path)
        parent = os.path.dirname(path)
        while parent and parent != os.path.dirname(parent):
            if any(relative_to(parent, base) for base, _ in self.sources) and self.ignored(parent, True):
                return True
            parent = os.path.dirname(parent)
        return self.ignored(path, is_dir)


def read_lines(path: Path) -> list[str]:
    """The lines of an ignore file; an unreadable one counts as empty, as it does for git."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def repository_root(directory: Path) -> Path | None:
    """The nearest directory at or above ``directory`` that holds a ``.git`` (a directory, or a
    file as in worktrees and submodules)."""
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def rules_above(directory: Path, rules: IgnoreRules) -> IgnoreRules:
    """``rules`` and what git applies to ``directory`` from above it: the repository's
    ``.git/info/exclude``, then every ``.gitignore`` from the repository root down to, not
    including, ``directory`` (its own is read by the walk)."""
    directory = Path(os.path.abspath(directory))
    root = repository_root(directory)
    if root is None:
        return rules
    git = root / ".git"
    if git.is_dir():
        rules = rules.extended(root, read_lines(git / "info" / "exclude"))
    chain = [directory, *directory.parents]
    for ancestor in reversed(chain[1 : chain.index(root) + 1]):
        rules = rules.extended(ancestor, read_lines(ancestor / ".gitignore"))
    return rules

"""Proof that an edited file still reads as its consumer reads it, before a fix is kept.

Every fix is tried on its file alone (when findings are reported, so a fix that would break
the file is never counted as fixable) and every file's combined edits are tried again when the
patcher applies them. A *verifier* is a function registered for the files it knows::

    @verifier("python compiles", applies=lambda path: path.suffix == ".py")
    def compiles(trial: Trial) -> str | None: ...   # None: accepted; else the reason, for the user

``refusal(trial)`` runs every verifier that applies and returns the first reason. Verifiers
marked ``costly`` (they start a program, such as ``terraform fmt``) run only when the patcher
writes or diffs, not for every reported fix. A verifier judges the edited text against the
original: a file its consumer already rejected is not held against the fix.

The verifiers themselves live in the modules of this package, one per format, imported below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from pgconf_fix.edits import apply_edits
from pgconf_fix.findings import Finding, Fix
from pgconf_fix.source import SourceFile


@dataclass(frozen=True)
class Trial:
    """An edited text of ``source`` (``new``), and the libpq ``(keyword, value)`` pairs the
    fixes that made it intend (``Fix.expect`` of each). ``single``: one fix made it, so every
    pair must read back; else the pairs of several fixes (on several strings) are pooled, and an
    edited string may only change a keyword to the value some fix intends."""

    source: SourceFile
    new: str
    expect: tuple[tuple[str, str], ...] = ()
    single: bool = False

    @property
    def old(self) -> str:
        return self.source.text

    @property
    def path(self) -> Path:
        return self.source.path


Verifier = Callable[[Trial], "str | None"]


@dataclass(frozen=True)
class _Registered:
    """A verifier as ``verifier`` registered it."""

    name: str
    applies: Callable[[Path], bool]
    check: Verifier
    costly: bool
    prepare: Callable[[list[Trial]], None] | None = None


_VERIFIERS: list[_Registered] = []
_CACHE: dict[tuple, str | None] = {}


def verifier(
    name: str,
    applies: Callable[[Path], bool],
    costly: bool = False,
    prepare: Callable[[list[Trial]], None] | None = None,
) -> Callable[[Verifier], Verifier]:
    """Register ``check`` for the files ``applies`` accepts; ``name`` prefixes its reasons.

    ``prepare``, given every trial ``check`` is about to judge (see ``prepare_trials``), may do
    their common work at once (one ``terraform fmt`` for many files instead of two a file) and
    keep it for ``check``; it changes no verdict."""

    def register(check: Verifier) -> Verifier:
        _VERIFIERS.append(_Registered(name, applies, check, costly, prepare))
        return check

    return register


def prepare_trials(trials: list[Trial], costly: bool = True) -> None:
    """Let each verifier that has a ``prepare`` step see the ``trials`` it applies to before
    they are judged one by one (the patcher calls this with the files of a round)."""
    for registered in _VERIFIERS:
        if registered.prepare is None or registered.costly and not costly:
            continue
        mine = [trial for trial in trials if trial.new != trial.old and registered.applies(trial.path)]
        if mine:
            registered.prepare(mine)


def refusal(trial: Trial, costly: bool = True) -> str | None:
    """The first reason a verifier gives to refuse ``trial``, or None when all accept it."""
    if trial.new == trial.old:
        return None
    key = (str(trial.path), hash(trial.old), trial.new, trial.expect, trial.single, costly)
    if key in _CACHE:
        return _CACHE[key]
    reason = None
    for registered in _VERIFIERS:
        if registered.costly and not costly or not registered.applies(trial.path):
            continue
        reason = registered.check(trial)
        if reason is not None:
            reason = f"{registered.name}: {reason}"
            break
    if len(_CACHE) > 4096:
        _CACHE.clear()
    _CACHE[key] = reason
    return reason


def verdicts_mark() -> int:
    """A point in the memo of verdicts ``refusal`` keeps, for ``verdicts_since``."""
    return len(_CACHE)


def verdicts_since(mark: int) -> list[tuple[tuple, str | None]]:
    """The verdicts ``refusal`` noted after ``mark`` (all it holds, if it was emptied since):
    a --jobs worker returns them, so the parent does not try the same texts again."""
    entries = list(_CACHE.items())
    return entries[mark:] if len(entries) >= mark else entries


def note_verdicts(entries: list[tuple[tuple, str | None]]) -> None:
    """Take verdicts ``verdicts_since`` gave in a forked worker (its keys hash texts as this
    process does: a fork keeps the hash seed)."""
    for key, reason in entries:
        if len(_CACHE) > 4096:
            _CACHE.clear()
        _CACHE[key] = reason


def fix_refusal(fix: Fix, costly: bool = False) -> str | None:
    """Try one fix on each file it edits, alone; the first reason it is refused, or None."""
    by_file: dict[Path, list] = {}
    sources: dict[Path, SourceFile] = {}
    for edit in fix.edits:
        by_file.setdefault(edit.source.path, []).append(edit)
        sources[edit.source.path] = edit.source
    for path, edits in by_file.items():
        text, _ = apply_edits(sources[path].text, edits)
        # A fix over several files (a URL here, its connect_args dict there) says in each only part.
        reason = refusal(Trial(sources[path], text, fix.expect, single=len(by_file) == 1), costly=costly)
        if reason is not None:
            return reason
    return None


def vet_fixes(findings: list[Finding]) -> list[Finding]:
    """The findings with every fix a verifier refuses taken away, and the reason in the message:
    a fix that would break its file is neither offered nor counted as fixable.

    A file's fixes are tried together first (one parse a file, so the cost stays linear in the
    file); only when that is refused, or for a fix whose edits overlapped another's, is each
    fix tried alone."""
    alone: set[int] = set()
    by_file: dict[Path, list[int]] = {}
    for index, finding in enumerate(findings):
        if finding.fix is None or not finding.fix.edits:
            continue
        paths = {edit.source.path for edit in finding.fix.edits}
        if len(paths) != 1:
            alone.add(index)
        else:
            by_file.setdefault(paths.pop(), []).append(index)
    for indices in by_file.values():
        alone.update(_together(findings, indices))
    vetted = list(findings)
    for index in sorted(alone):
        finding = findings[index]
        reason = fix_refusal(finding.fix)  # type: ignore[arg-type]
        if reason is not None:
            vetted[index] = replace(finding, fix=None, message=f"{finding.message} (no fix: {reason})")
    return vetted


def _together(findings: list[Finding], indices: list[int]) -> list[int]:
    """The fixes of one file that still need a trial of their own (all, when together they fail)."""
    edits = [edit for index in indices for edit in findings[index].fix.edits]  # type: ignore[union-attr]
    source = edits[0].source
    text, dropped = apply_edits(source.text, edits)
    lost = {edit.key() for edit in dropped}
    overlapped = [i for i in indices if any(e.key() in lost for e in findings[i].fix.edits)]  # type: ignore[union-attr]
    pairs: dict[str, str] = {}
    for index in indices:
        pairs.update(findings[index].fix.expect)  # type: ignore[union-attr]
    if lost:
        # A trial of the others, without any part of the overlapping fixes.
        kept = [e for i in indices if i not in overlapped for e in findings[i].fix.edits]  # type: ignore[union-attr]
        text, _ = apply_edits(source.text, kept)
    if refusal(Trial(source, text, tuple(sorted(pairs.items()))), costly=False) is not None:
        return indices
    return overlapped


def _compose_commands(trial: Trial) -> str | None:
    """compose's command verifier (``verify/compose.py``), imported the first time an edit of a
    YAML file is tried: a run on other files does not load it, compose's interpolation and
    go-shellwords (three modules, five dataclasses, their regular expressions; issue 18)."""
    from pgconf_fix.verify.compose import compose_commands_split

    return compose_commands_split(trial)


# The verifiers, one module per format; importing them registers them. The order of
# registration is the order ``refusal`` asks them in: the formats' parsers, compose, libpq.
from pgconf_fix.verify import formats as _formats

verifier("the edited compose command does not read as intended",
         applies=lambda path: path.suffix in _formats.YAML_SUFFIXES)(_compose_commands)
from pgconf_fix.verify import conninfo as _conninfo  # noqa: F401

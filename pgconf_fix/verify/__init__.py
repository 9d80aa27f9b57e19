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

import bisect
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from pgconf_fix.edits import apply_edits, edited
from pgconf_fix.findings import Finding, Fix
from pgconf_fix.source import SourceFile


@dataclass(frozen=True, eq=False)
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


class _Registered:
    """A verifier as ``verifier`` registered it. A plain class: a dataclass's generated
    methods are compiled (``exec``) by every run that imports this module. Its attributes are
    its constructor's keywords (tests rebuild one from ``vars``)."""

    def __init__(
        self, name: str, applies: Callable[[Path], bool], check: Verifier, costly: bool,
        prepare: Callable[[list[Trial]], None] | None = None,
    ) -> None:
        self.name, self.applies, self.check, self.costly, self.prepare = name, applies, check, costly, prepare


_VERIFIERS: list[_Registered] = []
# The ``begin`` steps (with the files their verifier applies to) and ``end`` steps registered
# (kept apart from _Registered: a field more costs every run that imports this its generated code).
_BEGINS: list[tuple[Callable[[Path], bool], Callable[[list[Trial]], bool]]] = []
_ENDS: list[Callable[[], None]] = []
_CACHE: dict[tuple, str | None] = {}


def verifier(
    name: str,
    applies: Callable[[Path], bool],
    costly: bool = False,
    prepare: Callable[[list[Trial]], None] | None = None,
    begin: Callable[[list[Trial]], bool] | None = None,
    end: Callable[[], None] | None = None,
) -> Callable[[Verifier], Verifier]:
    """Register ``check`` for the files ``applies`` accepts; ``name`` prefixes its reasons.

    ``prepare``, given every trial ``check`` is about to judge (see ``prepare_trials``), may do
    their common work at once (one ``terraform fmt`` for many files instead of two a file) and
    keep it for ``check``; it changes no verdict. ``begin``, given trials likely to be judged
    soon (see ``begin_trials``), may start that work in another process without waiting for
    it, and returns whether such work on them is under way; ``prepare`` and ``check`` then
    wait for it. It changes no verdict either. ``end`` stops the work ``begin`` started that
    nothing waited for (see ``end_trials``)."""

    def register(check: Verifier) -> Verifier:
        _VERIFIERS.append(_Registered(name, applies, check, costly, prepare))
        if begin is not None:
            _BEGINS.append((applies, begin))
        if end is not None:
            _ENDS.append(end)
        return check

    return register


def begin_trials(trials: list[Trial]) -> bool:
    """Start the costly verifiers' common work on ``trials`` (texts a patcher round is likely
    to try) in other processes, without waiting for it: ``terraform fmt`` then runs while
    this process goes on (vetting the fixes, re-checking the likely texts). True when work on
    some of them is under way (started now or before, not yet waited for). Verdicts are those
    ``prepare_trials`` and ``refusal`` give without it: a verifier asked about a text waits
    for the work that holds it, and a text no work began on is prepared as before (issue 18)."""
    running = False
    for applies, begin in _BEGINS:
        mine = [trial for trial in trials if trial.new != trial.old and applies(trial.path)]
        if mine and begin(mine):
            running = True
    return running


def end_trials() -> None:
    """The command ends: stop the work ``begin_trials`` started that no verifier waited for (a
    fix the vetting refused is not tried, so terraform's verdict on it is never asked) and
    remove what it wrote. The CLI calls it as it returns, rather than an exit handler: with
    one registered, the process ends through the interpreter's teardown (``__main__.exit_now``;
    CPython's ``atexit.unregister`` leaves the count ``exit_now`` reads as it was)."""
    for end in _ENDS:
        end()


_ORIGINAL_READERS: list[tuple[Callable[[Path], bool], Callable[[SourceFile], None]]] = []


def original_reader(applies: Callable[[Path], bool]) -> Callable[[Callable[[SourceFile], None]], Callable[[SourceFile], None]]:
    """Register ``read(source)``, which reads what a verifier of the files ``applies`` accepts
    needs of an original (and remembers it), for ``note_originals``; it changes no verdict."""

    def register(read: Callable[[SourceFile], None]) -> Callable[[SourceFile], None]:
        _ORIGINAL_READERS.append((applies, read))
        return read

    return register


def note_originals(sources: list[SourceFile]) -> None:
    """The check built ``sources`` and found fixes to them: each verifier that judges edits
    against an original reads it now, while what the build read of it is still at hand (a
    Python module's parse tree: the vetting, after every file is built, parsed each module
    again). Each source once."""
    seen: set[int] = set()
    for source in sources:
        if id(source) in seen:
            continue
        seen.add(id(source))
        for applies, read in _ORIGINAL_READERS:
            if applies(source.path):
                read(source)


_BUILD_KEEPERS: list[tuple[Callable[[Path], bool], Callable[[str], None]]] = []


def build_keeper(applies: Callable[[Path], bool]) -> Callable[[Callable[[str], None]], Callable[[str], None]]:
    """Register ``keep(text)``, which keeps what a verifier of the files ``applies`` accepts
    has just read of an edited text, for the check that builds that text (``keep_for_build``);
    it changes no verdict."""

    def register(keep: Callable[[str], None]) -> Callable[[str], None]:
        _BUILD_KEEPERS.append((applies, keep))
        return keep

    return register


def keep_for_build(path: Path, text: str) -> None:
    """``text`` (of the file at ``path``) was just judged and the fix loop may check it next:
    the file's combined fixes that the vetting accepted, or a patcher round's result. Each
    keeper that applies keeps what it read of it (a Python module's parse tree: the re-check
    built the text from a parse of its own; issue 18, twelfth pass)."""
    for applies, keep in _BUILD_KEEPERS:
        if applies(path):
            keep(text)


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
    # Where no costly verifier applies (every file but a .tf), both kinds of trial run the same
    # verifiers: one verdict for both, so the patcher's trial of a text the vetting judged is
    # recalled (issue 18: 135 of 639 verdicts on the Python-heavy tree were asked again).
    costly = costly and any(registered.costly and registered.applies(trial.path) for registered in _VERIFIERS)
    key = (str(trial.path), hash(trial.old), trial.new, trial.expect, trial.single, costly)
    if key in _CACHE:
        return _CACHE[key]
    # The same trial without the costly verifiers accepted (the vetting's trial of a file's
    # fixes is the patcher's of the same edits): each of those verifiers accepted this very
    # trial, so only the costly ones are asked (issue 18: 401 .tf texts parsed and searched
    # for connection strings a second time on the 1,000-file tree).
    cheap_accepted = costly and _CACHE.get((*key[:-1], False), "") is None
    reason = None
    for registered in _VERIFIERS:
        if registered.costly and not costly or not registered.applies(trial.path):
            continue
        if cheap_accepted and not registered.costly:
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


def vet_fixes(findings: list[Finding], keep: bool = False) -> list[Finding]:
    """The findings with every fix a verifier refuses taken away, and the reason in the message:
    a fix that would break its file is neither offered nor counted as fixable. ``keep``: the
    fix loop follows, so each file's accepted combined fixes are kept for its build
    (``keep_for_build``).

    A file's fixes are tried together first (one parse a file, so the cost stays linear in the
    file). Fixes whose edits overlapped another's (two fixes opening one URL's query) are then
    tried in layers of fixes that overlap nothing else in the layer and mean the same pairs,
    each layer together; only when that is refused, or for a fix no layer could take, is each
    fix tried alone (see ``_layered`` for why a layer's verdict is each of its fixes')."""
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
        overlapped, everything_refused = _together(findings, indices, keep)
        alone.update(indices if everything_refused else _layered(findings, overlapped))
    vetted = list(findings)
    for index in sorted(alone):
        finding = findings[index]
        reason = fix_refusal(finding.fix)  # type: ignore[arg-type]
        if reason is not None:
            vetted[index] = replace(finding, fix=None, message=f"{finding.message} (no fix: {reason})")
    return vetted


def _together(findings: list[Finding], indices: list[int], keep: bool = False) -> tuple[list[int], bool]:
    """The fixes of one file whose edits overlapped another's, and whether the others, tried
    together, were refused (then every fix of the file needs a trial of its own). ``keep``:
    the text they make, when accepted, is kept for its build (``keep_for_build``)."""
    edits = [edit for index in indices for edit in findings[index].fix.edits]  # type: ignore[union-attr]
    source = edits[0].source
    text, dropped = edited(source, edits)
    lost = {edit.key() for edit in dropped}
    overlapped = [i for i in indices if any(e.key() in lost for e in findings[i].fix.edits)]  # type: ignore[union-attr]
    pairs: dict[str, str] = {}
    for index in indices:
        pairs.update(findings[index].fix.expect)  # type: ignore[union-attr]
    if lost:
        # A trial of the others, without any part of the overlapping fixes.
        kept = [e for i in indices if i not in overlapped for e in findings[i].fix.edits]  # type: ignore[union-attr]
        text, _ = apply_edits(source.text, kept)
    refused = refusal(Trial(source, text, tuple(sorted(pairs.items()))), costly=False) is not None
    if keep and not refused:
        keep_for_build(source.path, text)  # the patcher's next round applies these fixes
    return overlapped, refused


def _layered(findings: list[Finding], overlapped: list[int]) -> list[int]:
    """The fixes among ``overlapped`` (one file's) that still need a trial of their own
    (``fix_refusal``) after trials of layers.

    A layer holds fixes, in finding order, whose edits overlap no other edit of the layer and
    whose ``expect`` pairs are the same. Its fixes' combined text is tried once, held to what
    a single fix's text is held to (``single``: every edited connection string must read back
    every pair, and no other keyword may change). Refused, or of one fix, each fix of the
    layer is tried alone, as before. Accepted, each fix of the layer is taken as accepted
    alone, on the premise the file-wide trial of ``_together`` rests on: edits that do not
    overlap do not interact in their consumer's reading. Under it, what a verifier reads at a
    fix's edits is the same in the fix's own text and in the layer's; a string the fix edits
    is one the layer edits, held there to the same pairs; everything else the verifiers judge
    (the calls and dict keys of a Python module, the other strings, the file's parse) is
    the original's in the fix's own text. The premise fails only for a fix that leaves a
    construct open (a quote, bracket or call) which another fix of its layer closes; each fix
    is built to edit one string, call or setting and to close what it opens.
    """
    layers: list[tuple[tuple, list[int], list[tuple[int, int]], set[tuple]]] = []
    for index in overlapped:
        fix = findings[index].fix
        assert fix is not None
        for expect, members, spans, keys in layers:
            if expect == fix.expect and not any(
                edit.key() not in keys and _overlaps(spans, edit.held()) for edit in fix.edits
            ):
                break
        else:
            expect, members, spans, keys = fix.expect, [], [], set()
            layers.append((expect, members, spans, keys))
        members.append(index)
        for edit in fix.edits:
            if edit.key() not in keys:
                keys.add(edit.key())
                bisect.insort(spans, edit.held())
    alone: list[int] = []
    for expect, members, _, _ in layers:
        if len(members) == 1:
            alone += members
            continue
        edits = [edit for index in members for edit in findings[index].fix.edits]  # type: ignore[union-attr]
        source = edits[0].source
        text, dropped = apply_edits(source.text, edits)
        if dropped or refusal(Trial(source, text, expect, single=True), costly=False) is not None:
            alone += members
    return sorted(alone)


def _overlaps(spans: list[tuple[int, int]], held: tuple[int, int]) -> bool:
    """Whether ``held`` overlaps one of ``spans`` (sorted, pairwise not overlapping; half
    open, so insertions at one offset do not overlap, as ``apply_edits`` judges them). Sorted
    so, the spans' ends do not decrease: the last span starting before ``held`` ends has the
    furthest end of those that could overlap it."""
    start, end = held
    position = bisect.bisect_left(spans, (end, -1))
    if position == 0:
        return False
    before = spans[position - 1]
    return before[0] < end and start < before[1]


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

"""Turn fixes into new file contents, unified diffs, and atomic writes."""

from __future__ import annotations

import errno
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pgconf_fix.edits import apply_edits, edited, forget_edited
from pgconf_fix.findings import SAFE, Edit, Finding
from pgconf_fix.source import SourceFile
from pgconf_fix.verify import Trial, begin_trials, keep_for_build, prepare_trials, refusal

MAX_PASSES = 4


@dataclass(eq=False)
class FixOutcome:
    """New texts by path, the originals, and the findings whose fixes are in those texts.

    ``applied`` is the one source of truth for "fixable", "Would fix" and "Fixed": a fix
    dropped for overlap, or with a file whose result was rejected, is not in it.
    """

    originals: dict[Path, SourceFile] = field(default_factory=dict)
    texts: dict[Path, str] = field(default_factory=dict)
    applied: list[Finding] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    # Why a file's fixes were put back: (display path, reason), in order.
    refusals: list[tuple[str, str]] = field(default_factory=list)
    not_written: list[str] = field(default_factory=list)  # display paths --write could not write

    @property
    def fixed(self) -> int:
        """How many findings the fixes in ``texts`` address."""
        return len(self.applied)


class Checked(Protocol):
    """What a re-check returns: the findings left, and those a suppression silenced."""

    findings: list[Finding]
    suppressed: list[Finding]


# A suppressed finding, by rule, file and offset; followed through each round's edits.
Anchor = tuple[str, Path, int]


def wanted(finding: Finding, unsafe: bool) -> bool:
    return finding.fix is not None and (unsafe or finding.fix.applicability == SAFE)


def apply_round(
    findings: list[Finding], unsafe: bool
) -> tuple[dict[Path, tuple[SourceFile, str]], list[Finding], dict[Path, list[Edit]]]:
    """Apply every wanted fix once, whole or not at all: a fix with an edit dropped for overlap,
    or deferred because the file would be refused with it, is left out of the round entirely
    (the next pass re-reads the file and redoes it), so no fix is ever half applied.

    Returns the new texts, the findings whose fixes were applied, and the edits kept in each file.
    """
    chosen = [finding for finding in findings if wanted(finding, unsafe)]
    while True:
        results, applied, dropped_keys = _apply_fixes(chosen, unsafe)
        # One pass: a finding equal to a loser has the loser's edits, so it loses too (asking
        # ``f not in losers`` compared whole findings, quadratic in a round's fixes).
        winners = [f for f in chosen if not any(e.key() in dropped_keys for e in f.fix.edits)]  # type: ignore[union-attr]
        if len(winners) == len(chosen):
            return results, chosen, applied
        chosen = winners  # the winners stay: this ends


def _apply_fixes(
    chosen: list[Finding], unsafe: bool
) -> tuple[dict[Path, tuple[SourceFile, str]], dict[Path, list[Edit]], set[tuple]]:
    by_file: dict[Path, list[Edit]] = {}
    by_finding: dict[Path, list[Finding]] = {}
    sources: dict[Path, SourceFile] = {}
    for finding in chosen:
        assert finding.fix is not None
        for edit in finding.fix.edits:
            by_file.setdefault(edit.source.path, []).append(edit)
            sources[edit.source.path] = edit.source
        for path in dict.fromkeys(edit.source.path for edit in finding.fix.edits):
            by_finding.setdefault(path, []).append(finding)
    results: dict[Path, tuple[SourceFile, str]] = {}
    applied: dict[Path, list[Edit]] = {}
    dropped_keys: set[tuple] = set()
    texts = {path: edited(sources[path], edits) for path, edits in by_file.items()}
    prepare_trials([Trial(sources[path], text) for path, (text, _) in texts.items()])
    intended = _intended_by_path(chosen, unsafe)
    for path, edits in by_file.items():
        text, dropped = texts[path]
        if _refused(sources[path], text, chosen, unsafe, intended):
            # Fixes that are fine alone may clash together (two fixes each adding connect_args=
            # to one call): keep them one by one while the file stays good; the rest wait for
            # the next pass, where they are found again on the text with the others in it.
            edits, deferred = _compatible(path, sources[path], by_finding[path], unsafe)
            text, dropped = apply_edits(sources[path].text, edits)
            dropped = [*dropped, *deferred]
        lost = {edit.key() for edit in dropped}
        dropped_keys |= lost
        applied[path] = sorted({e.key(): e for e in edits if e.key() not in lost}.values(), key=lambda e: e.start)
        if text != sources[path].text:
            results[path] = (sources[path], text)
            keep_for_build(path, text)  # the re-check builds this text next
    return results, applied, dropped_keys


def _refused(
    source: SourceFile, new: str, chosen: list[Finding], unsafe: bool, intended: dict[Path, dict[str, str]] | None = None
) -> bool:
    """Whether the file's consumer would refuse the combined edits: every verifier of
    pgconf_fix.verify (Python compiles and keeps its calls; JSON, YAML, TOML, INI,
    postgresql.conf and Terraform parse; libpq strings read back as the fixes intend).
    ``intended``: ``_intended_by_path(chosen, unsafe)`` when the caller has it."""
    if new == source.text:
        return False
    pairs = _intended_by_path(chosen, unsafe) if intended is None else intended
    return refusal(Trial(source, new, tuple(sorted(pairs.get(source.path, {}).items()))), costly=True) is not None


def _compatible(path: Path, source: SourceFile, chosen: list[Finding], unsafe: bool) -> tuple[list[Edit], list[Edit]]:
    """The fixes' edits in ``path`` taken fix by fix, in finding order, each kept only when the
    text with it and those kept before is accepted; returns (kept edits, deferred edits).

    ``chosen``: the wanted findings with an edit in ``path`` (others are skipped). The libpq
    pairs the kept fixes intend grow with them, as ``_intended_by_path`` of the kept findings
    and the one tried would give, without reading the kept ones again for every trial."""
    text = source.text
    kept: list[Edit] = []
    deferred: list[Edit] = []
    pairs: dict[str, str] = {}
    for finding in chosen:
        assert finding.fix is not None
        mine = [edit for edit in finding.fix.edits if edit.source.path == path]
        if not mine:
            continue
        trial, overlapping = apply_edits(text, [*kept, *mine])
        trying = {**pairs, **dict(finding.fix.expect)} if wanted(finding, unsafe) else pairs
        if overlapping or _refused(source, trial, [finding], unsafe, {path: trying}):
            deferred.extend(mine)
        else:
            kept.extend(mine)
            pairs = trying
    return kept, deferred


def _intended_by_path(findings: list[Finding], unsafe: bool) -> dict[Path, dict[str, str]]:
    """For each path, the libpq pairs the wanted fixes that edit it mean to write (Fix.expect
    of each, in finding order, a later fix's value for a keyword winning). One pass over the
    findings for all files: asked file by file, it was quadratic in a round's fixes."""
    by_path: dict[Path, dict[str, str]] = {}
    for finding in findings:
        if not wanted(finding, unsafe):
            continue
        for path in dict.fromkeys(edit.source.path for edit in finding.fix.edits):  # type: ignore[union-attr]
            by_path.setdefault(path, {}).update(finding.fix.expect)  # type: ignore[union-attr]
    return by_path


def follow(offset: int, edits: Iterable[Edit]) -> int:
    """Where ``offset`` of the old text lies in the text the (sorted, disjoint) edits produce."""
    shift = 0
    for edit in edits:
        if edit.end <= offset and edit.start != offset or edit.start == edit.end == offset:
            shift += len(edit.content) - (edit.end - edit.start)
        elif edit.start <= offset < edit.end:
            return edit.start + shift
        else:
            break
    return offset + shift


def _anchors(findings: Iterable[Finding]) -> set[Anchor]:
    return {(finding.code, finding.source.path, finding.location.start) for finding in findings}


def fix_until_stable(
    findings: list[Finding],
    unsafe: bool,
    recheck: Callable[[dict[Path, str]], Checked],
    suppressed: Iterable[Finding] = (),
) -> FixOutcome:
    """Apply fixes, re-check the result in memory, and repeat while fixes keep coming.

    A file whose fixed text has more PGF001 findings than before is left as it was:
    a fix must never make a file its consumer would reject. A finding suppressed in the
    original stays suppressed, even when a fix moved its comment away from it.
    """
    outcome = FixOutcome()
    current = findings
    anchors = _anchors(suppressed)
    for _ in range(MAX_PASSES):
        # While a costly verifier works on the round's likely texts in another process
        # (terraform fmt, begin_round), this one re-checks those texts; that re-check stands
        # for the round only when the round's texts are those (a fix refused makes others).
        likely = begin_round(current, unsafe, outcome.texts)
        early = recheck(likely) if likely is not None else None
        changes, done, applied = apply_round(current, unsafe)
        if not changes:
            break
        trial = dict(outcome.texts)
        for path, (source, text) in changes.items():
            outcome.originals.setdefault(path, source)
            trial[path] = text
        first = early if early is not None and trial == likely else recheck(trial)
        after = first.findings
        checked_texts = dict(trial)
        before_errors, after_errors = _parse_errors(current), _parse_errors(after)
        for path in changes:
            if after_errors[path] > before_errors[path]:
                outcome.rejected.append(outcome.originals[path].display)
                outcome.refusals.append((outcome.originals[path].display, "the result would not parse"))
                trial.pop(path, None)
                if path in outcome.texts:
                    trial[path] = outcome.texts[path]
        if trial == outcome.texts:
            break
        kept = {path for path in changes if trial.get(path) == changes[path][1]}
        anchors = {(code, path, follow(offset, applied[path]) if path in kept else offset) for code, path, offset in anchors}
        outcome.texts = trial
        # A fix counts only when every file it edits kept this round's text.
        outcome.applied += [
            finding for finding in done if all(edit.source.path in kept for edit in finding.fix.edits)  # type: ignore[union-attr]
        ]
        # The trial's check is the check of these texts unless a file was put back.
        checked = first if trial == checked_texts else recheck(outcome.texts)
        anchors |= _anchors(checked.suppressed)
        current = [finding for finding in checked.findings if _anchors([finding]) - anchors]
    outcome.texts = {path: text for path, text in outcome.texts.items() if text != outcome.originals[path].text}
    forget_edited()
    _BEGUN.clear()
    return outcome


def begin_round(findings: list[Finding], unsafe: bool, texts: dict[Path, str] | None = None) -> dict[Path, str] | None:
    """Start the costly verifiers' work (``verify.begin_trials``: ``terraform fmt`` in a process
    of its own) on the texts a round of ``findings``' wanted fixes gives when every one is
    kept, without waiting for it; return ``texts`` (the texts earlier rounds left, path ->
    text) with each edited file's new text, or None when no such work is under way (no file
    a costly verifier judges, or its verdicts on these texts are known already). Verdicts are
    unchanged: ``apply_round`` still judges every text, waiting for the work first.

    Why: on the 1,000-file Terraform tree, terraform's 401 texts took 0.25-0.3 s of wall
    time during which this process waited (issue 18, twelfth pass); begun when the findings
    are known, it runs beside the vetting and the round's re-check on a second core."""
    given: list[Edit] = []
    for finding in findings:
        fix = finding.fix
        if fix is not None and (unsafe or fix.applicability == SAFE):
            given += fix.edits
    if _BEGUN and _BEGUN[0] == given:  # the same objects: list equality asks identity first
        # The same edits as the last call (the check's hook, then the first round): the work
        # on their texts is under way or done; the early re-check stands as before.
        made = _BEGUN[1]
    else:
        # By file (its SourceFile: the round groups by path, and a check reads a path once).
        by_source: dict[SourceFile, list[Edit]] = {}
        for edit in given:
            by_source.setdefault(edit.source, []).append(edit)
        made = {}
        trials = []
        for source, edits in by_source.items():
            text = edited(source, edits, keep=True)[0]
            if text != source.text:
                made[source.path] = text
                trials.append(Trial(source, text))
        if made and not begin_trials(trials):
            made = {}
        _BEGUN[:] = [given, made]  # the edits held: their ids are not reused while compared
    return {**(texts or {}), **made} if made else None


# begin_round's last call: the edits it was given, in order, and what it returned.
_BEGUN: list = []


def _parse_errors(findings: list[Finding]) -> Counter[Path]:
    """PGF001 findings by path, counted in one pass (asked path by path, a round that changed
    many files was quadratic: files times findings)."""
    return Counter(finding.source.path for finding in findings if finding.code == "PGF001")


def diff_base(paths: Iterable[Path], cwd: Path) -> Path:
    """The directory a diff's paths are relative to: the working directory when every file
    is under it; else the root of the git repository holding the working directory, when
    every file is in it; else the filesystem root. Never a path with ``..``, which neither
    ``git apply`` nor ``patch -p1`` accepts."""
    files = [Path(os.path.abspath(path)) for path in paths]
    here = Path(os.path.abspath(cwd))
    if all(here == file or here in file.parents for file in files):
        return here
    from pgconf_fix.ignore import repository_root

    root = repository_root(here)
    if root is not None and all(root in file.parents for file in files):
        return root
    return Path(here.anchor)


# How git writes a path byte in a quoted name (quote_c_style in git's quote.c).
_C_ESCAPES = {0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0B: "\\v", 0x0C: "\\f", 0x0D: "\\r",
              0x22: '\\"', 0x5C: "\\\\"}


def header_name(name: str) -> str:
    """A ``---``/``+++`` file name as git writes it, so that ``git apply`` and ``patch -p1``
    read back the same path: C-style quoted (octal for control and non-ASCII bytes) when it
    has a quote, backslash, control or non-ASCII byte; followed by a tab when it has a space
    (git's terminator for such names). Checked with git 2.39 and GNU patch 2.7.6."""
    raw = os.fsencode(name)
    if not any(byte < 0x20 or byte >= 0x7F or byte in (0x22, 0x5C) for byte in raw):
        return name + "\t" if " " in name else name
    quoted = "".join(
        _C_ESCAPES.get(byte) or (f"\\{byte:03o}" if byte < 0x20 or byte >= 0x7F else chr(byte)) for byte in raw
    )
    return f'"{quoted}"'


def unified_diff(source: SourceFile, new_text: str, cwd: Path, base: Path | None = None) -> bytes:
    """A diff whose paths are relative to ``base`` (default ``cwd``; see ``diff_base``), so
    that ``git apply`` and ``patch -p1`` accept it there."""
    try:
        name = os.path.relpath(os.path.abspath(source.path), base or cwd)
    except ValueError:
        name = str(source.path)
    name = name.replace(os.sep, "/")
    from pgconf_fix import linediff  # difflib: only a --diff needs it

    old_lines = _lines(source.text)
    new_lines = _lines(new_text)
    out: list[str] = []
    in_header = True  # the ---/+++ pair comes before the first hunk; later "---" lines are content
    for line in linediff.unified_diff(old_lines, new_lines, "a", "b", n=3):
        if in_header and line.startswith("---"):
            out.append(f"--- {header_name('a/' + name)}\n")
            continue
        if in_header and line.startswith("+++"):
            out.append(f"+++ {header_name('b/' + name)}\n")
            continue
        in_header = in_header and not line.startswith("@@")
        if line.startswith("@@"):
            out.append(line)
            continue
        if not line.endswith("\n"):
            out.append(line + "\n\\ No newline at end of file\n")
        else:
            out.append(line)
    return source.encode("".join(out))


def _lines(text: str) -> list[str]:
    """Lines split at LF only: a form feed or a lone CR is content, as it is for patch."""
    lines = text.split("\n")
    result = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        result.append(lines[-1])
    return result


class WriteError(Exception):
    """A fixed file that was not written: ``display`` is its path as shown, ``reason`` why."""

    def __init__(self, display: str, reason: str) -> None:
        super().__init__(f"{display}: {reason}")
        self.display = display
        self.reason = reason


def _unchanged(source: SourceFile, status: os.stat_result, current: bytes) -> bool:
    """The file is as it was read: same size and mtime_ns (when known), same content hash."""
    if source.read_stat is not None and (status.st_size, status.st_mtime_ns) != source.read_stat:
        return False
    import hashlib  # here: only a --write compares; it loads OpenSSL

    return hashlib.sha256(current).digest() == hashlib.sha256(source.data).digest()


def _read_back(target: Path) -> tuple[os.stat_result, bytes]:
    with open(target, "rb") as handle:
        status = os.fstat(handle.fileno())
        return status, handle.read()


def write_fixed(source: SourceFile, text: str) -> None:
    """Write a fixed file, keeping everything about it but its content, or raise WriteError.

    - A text that cannot be written in the file's encoding (a Python module's declared one)
      with the bytes it does not change kept is not written.
    - A file that changed since it was read (size, mtime_ns or SHA-256 differ) is left alone:
      replacing it would lose that change.
    - A file without any write permission bit is left alone: its owner made it read-only.
    - A file with more than one hard link is rewritten in place, so every name sees the fix.
    - Otherwise the new content goes to a temporary file beside it, which gets the original's
      owner and group, extended attributes (user.*, and POSIX ACLs, which are the
      system.posix_acl_* attributes) and mode bits (setuid/setgid/sticky too), in that order
      (chown clears setuid; an ACL sets the group bits), and then replaces the file in one
      rename. When any of that cannot be copied, nothing is written.

    Symlinks are followed: the file they point to is written, the link stays.
    """
    target = Path(os.path.realpath(source.path))
    problem = source.encoding_problem(text)
    if problem is not None:
        raise WriteError(source.display, f"{problem}; not written")
    data = source.encode(text)
    try:
        status, current = _read_back(target)
    except OSError as exc:
        raise WriteError(source.display, f"cannot read it back before writing: {exc.strerror or exc}") from None
    if not _unchanged(source, status, current):
        raise WriteError(source.display, "changed since it was read; not written (run again to fix the new content)")
    if not status.st_mode & 0o222:
        raise WriteError(source.display, "is read-only (no write permission bit); not written")
    if status.st_nlink > 1:
        _write_in_place(source, target, data)
        return
    import tempfile  # only a --write needs it

    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".pgconf-fix")
    except OSError as exc:
        raise WriteError(source.display, f"cannot create a file beside it: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        _copy_metadata(source.display, target, temporary, status)
        status_now, current = _read_back(target)
        if not _unchanged(source, status_now, current):
            raise WriteError(source.display, "changed while it was being fixed; not written")
        os.replace(temporary, target)
    except WriteError:
        _discard(temporary)
        raise
    except OSError as exc:
        _discard(temporary)
        raise WriteError(source.display, f"not written: {exc.strerror or exc}") from None
    except BaseException:
        _discard(temporary)
        raise


def _discard(temporary: str) -> None:
    try:
        os.unlink(temporary)
    except OSError:
        pass


def _copy_metadata(display: str, target: Path, temporary: str, status: os.stat_result) -> None:
    """Owner, group, extended attributes and mode of ``target`` onto ``temporary``."""
    mine = os.stat(temporary)
    if (mine.st_uid, mine.st_gid) != (status.st_uid, status.st_gid):
        try:
            os.chown(temporary, status.st_uid, status.st_gid)
        except OSError as exc:
            raise WriteError(
                display, f"cannot keep its owner and group ({status.st_uid}:{status.st_gid}): {exc.strerror}; not written"
            ) from None
    for name in _xattr_names(target):
        try:
            os.setxattr(temporary, name, os.getxattr(target, name, follow_symlinks=False))
        except OSError as exc:
            raise WriteError(display, f"cannot keep its extended attribute {name}: {exc.strerror}; not written") from None
    os.chmod(temporary, stat.S_IMODE(status.st_mode))


def _xattr_names(target: Path) -> list[str]:
    if not hasattr(os, "listxattr"):
        return []
    try:
        return os.listxattr(target)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return []  # a filesystem without extended attributes: nothing to keep
        raise


def _write_in_place(source: SourceFile, target: Path, data: bytes) -> None:
    """Overwrite a hard-linked file's content through its own inode (not atomic: there is no
    way to replace the content of every link at once)."""
    try:
        with open(target, "r+b") as stream:
            current = stream.read()
            if not _unchanged(source, os.fstat(stream.fileno()), current):
                raise WriteError(source.display, "changed while it was being fixed; not written")
            if len(data) > len(current) and hasattr(os, "posix_fallocate"):
                try:  # claim the space first: a full disk then fails before a byte is changed
                    os.posix_fallocate(stream.fileno(), 0, len(data))
                except OSError as exc:
                    if exc.errno not in (errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL):
                        raise
            try:
                stream.seek(0)
                stream.write(data)
                stream.truncate()
                stream.flush()
                os.fsync(stream.fileno())
            except OSError:
                stream.seek(0)  # put the original back, as far as the disk lets us
                stream.write(current)
                stream.truncate()
                stream.flush()
                raise
    except OSError as exc:
        raise WriteError(source.display, f"not written: {exc.strerror or exc}") from None


def write_atomically(source: SourceFile, text: str) -> None:
    """``write_fixed`` under its older name."""
    write_fixed(source, text)

"""A result cache, as ruff keeps one: a second run over unchanged files reuses the findings.

Where: the user's cache directory (``platformdirs.user_cache_dir("pgconf-fix")``:
``~/.cache/pgconf-fix`` on Linux, or ``$XDG_CACHE_HOME/pgconf-fix``), one subdirectory per
project root (the directory of the config file in use, else the working directory);
``PGCONF_FIX_CACHE_DIR`` names another directory (as ``RUFF_CACHE_DIR`` does for ruff), for
example ``.pgconf-fix_cache`` in the project for CI to keep between jobs. Not the project
root by default, as ruff does: pgconf-fix writes into the tree it checks only the fixes
asked for, so a ``--write`` run changes nothing else there, read-only checkouts work, and
tools and tests that compare a tree after a run see no extra directory; the keys hold
absolute paths anyway, so a cache is never shared between checkouts. The directory holds a
``.gitignore`` of ``*`` and a ``CACHEDIR.TAG`` (backup tools skip it), as ruff's does, so it
may also live inside a repository. ``--no-cache`` neither reads nor writes it.

The ``pgconf-fix`` command (``cli.entry``, also ``python -m pgconf_fix``) uses the cache;
``cli.main``, which tests and other programs call in their own process (where rules or
verifiers may be patched), uses it only when asked (``main(argv, cache=True)``) or when
``PGCONF_FIX_CACHE_DIR`` is set.

What is cached, and under which key:

- **A reader group**: the findings that one reader's views gave (``run.check`` builds views
  reader by reader), with the files they judge. The key is the digest of the pgconf-fix
  code (version and the size and time of every module, so an edited checkout never reuses
  stale entries), the rule catalog (built-in and ``--rules-dir`` rules, parameters
  included), the effective options (the config, the flags and the idle budget in force,
  given or learned from the tree by ``pgconf_fix.budget``), whether ``terraform`` is on
  PATH (a fix's verifier runs ``terraform fmt``), the working directory (messages name the
  files a finding draws on, a lock file or a ``.tfvars``, by their path from it, even when
  the file checked is named by its absolute path), the reader, and the path, display and
  bytes of every file the reader was given.
- **A whole check** (``run.check``'s first check of a run, without standard input): its
  findings and suppressed findings, and every file its workspace read, in order (replayed on
  a hit, so that the report, ``--diff`` and the fixable count see the same files). The key
  is the code, catalog and options as above, with the reader, path, display and bytes (or
  reading error) of every file of the target; the other inputs are checked as a group's
  are. An unchanged tree's rerun then reads its files and this one entry: the idle budget
  is not learned again and no group entry is read (a 10k-file tree: ~450 of them). A
  re-check after such a hit (the fix loop of ``--write``) first checks by groups, served
  from their entries, as it needs each group's findings.
- **Every other input**: while a group is computed, every file the process opens for
  reading and every directory it lists is noted (``sys.addaudithook``: the events ``open``,
  ``os.listdir`` and ``os.scandir``), whether through the Workspace or not: includes and
  ``include_dir`` listings, Terraform module siblings and ``.tfvars``, ``sysctl.d`` sets,
  the manifests the pool rules read library versions from, ``PG_VERSION`` markers, the
  files the idle budget was learned from. An entry stores the digest of each (the bytes of
  a file, "absent" for one that could not be opened, the sorted names of a directory) and
  is used only when every one is unchanged, and when the inputs that are one file (a
  symlink or a hard link to another input, which the Workspace reads as one text) are the
  same groups of paths as when it was stored (kept as paths, not inode numbers, which a
  copy or a checkout with the same bytes changes). Entries note *everything* read since the run
  began, not only what their group read: helpers memoise their reads (``functools.lru_cache``)
  and a group served from a memo reads nothing, so only the whole record is safe. A hit adds
  its entry's inputs to the record, as if they had been read. The inputs are stored once, as
  a chain: each entry names the last of a run's *chunks*, and each chunk holds the inputs
  noted since the chunk before it, which it names. (Format 1 gave each entry the whole
  list: a 10k-file tree wrote ~45 MB of entries a run, each read back on the next.) Not watched: listings of the
  directories above the git repository (above the project root outside one), which the
  project search lists only to look for ``.git`` and manifests, and which change all the
  time (``/tmp``, a home directory); and ``stat`` calls (no audit event), except where a
  reader looks for a file or directory whose absence changes its findings: it does so
  through ``workspace.is_file``/``is_dir``, which raise an audit event of their own, so the
  path is an input ("absent" until it appears: a postgresql.auto.conf, the postgresql.conf
  above a fragment, a sysctl.d next to a sysctl.conf).
- **The verdict of the fix verifiers** (``verify.vet_fixes``) on a run's findings: keyed by
  the findings themselves (fixes, edits and the bytes of the files they edit), which is all
  it depends on besides the code and ``terraform`` on PATH; and **what ``--write`` would
  fix** (the "[*] N fixable" count, from the patcher's in-memory re-checks): keyed the same
  way and checked against the record of inputs, since the re-checks read files. Its
  follow-on findings (shown by ``--show-fixes``) point into texts the patcher made; those
  texts are stored with them.

Fixes are cached faithfully rather than only report runs: a finding is stored with its
``Fix`` and ``Edit`` objects (paths, offsets, replacement text, libpq pairs to read back)
and rebuilt against the ``SourceFile`` the run has just read and digested, so ``--diff``,
``--write`` and the fixable counts come out the same from a cached run. (Only report runs
would have left the default text report, which counts fixable findings by running the
patcher, uncached.) The edits' replacement text can hold what the file held, a password in
a URL included: entries are written with mode 0600 in a directory of mode 0700.

A corrupt, unreadable or foreign entry is a miss; a cache that cannot be written is
skipped with one warning; neither changes the report or the exit status. The cache trusts
its directory: run with ``--no-cache`` where the checkout itself is untrusted (a fork's
pull request could commit a crafted ``.pgconf-fix_cache/``). Entries are never pruned;
deleting the directory is always safe.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pgconf_fix import CACHE_ENVIRONMENT_VARIABLE, __version__
from pgconf_fix.findings import Edit, Finding, Fix, Location
from pgconf_fix.source import InputError, SourceFile

if TYPE_CHECKING:
    from collections.abc import Container, Iterable

    from pgconf_fix.options import Options
    from pgconf_fix.workspace import Workspace

DIRECTORY_NAME = ".pgconf-fix_cache"
ENVIRONMENT_VARIABLE = CACHE_ENVIRONMENT_VARIABLE
# Bump when the layout of an entry changes (2: inputs as a chain of chunks; 3: the files
# among them that are one file, "aliases"; 4: an edit's "holds" span; 5: its "rank").
FORMAT = 5
ABSENT = "-"
_PACKAGE = Path(__file__).resolve().parent
_IGNORED_PREFIXES = tuple(
    {os.path.join(os.path.realpath(p), "") for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, str(_PACKAGE))}
    | {os.path.join(os.path.abspath(p), "") for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, str(_PACKAGE))}
)


class CacheMiss(Exception):
    """An entry that cannot be used: absent, corrupt, or from other inputs."""


# ---------------------------------------------------------------------------------------------
# The record of what the process read.


@dataclass
class Record:
    """Files opened for reading and directories listed while recording, in first-seen order
    (absolute paths)."""

    files: dict[str, None] = field(default_factory=dict)
    directories: dict[str, None] = field(default_factory=dict)
    paused: int = 0
    # The project's boundary (``Cache._boundary``): listings of the directories above it are
    # not inputs.
    boundary: str = ""


_RECORD: Record | None = None
_HOOKED = False


def _noted(path: object) -> str | None:
    if isinstance(path, int) or path is None:
        return None
    try:
        text = os.fsdecode(path)  # type: ignore[arg-type]
    except TypeError:
        return None
    absolute = os.path.abspath(text)
    if absolute.startswith(_IGNORED_PREFIXES) or absolute.endswith(".pyc"):
        return None  # the interpreter's and pgconf-fix's own modules: the code digest covers them
    return absolute


def _audit(event: str, args: tuple) -> None:
    record = _RECORD
    if record is None or record.paused:
        return
    if event == "open":
        path, mode, flags = args
        if mode is None:  # os.open: flags only
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                return
        elif any(letter in mode for letter in "wax+"):
            return
        noted = _noted(path)
        if noted is not None:
            record.files.setdefault(noted, None)
    elif event in ("os.listdir", "os.scandir"):
        noted = _noted(args[0] if args and args[0] is not None else ".")
        if noted is not None:
            record.directories.setdefault(noted, None)
    elif event == "pgconf_fix.is_file":  # a file looked for (workspace.is_file): absent is an input too
        noted = _noted(args[0])
        if noted is not None and not _listed(record, os.path.dirname(noted)):
            record.files.setdefault(noted, None)
    elif event == "pgconf_fix.is_dir":  # a directory looked for (workspace.is_dir)
        noted = _noted(args[0])
        if noted is not None:
            record.directories.setdefault(noted, None)


def _listed(record: Record, directory: str) -> bool:
    """Whether the listing of ``directory`` is an input already, so that a file looked for in
    it need not be one (it appearing or going changes the listing; when it is there, what
    reads it opens it). Listings of the directories above the boundary are not inputs."""
    if directory not in record.directories:
        return False
    inside = os.path.join(directory, "")
    return not (record.boundary.startswith(inside) and inside != record.boundary)


def start_recording(boundary: str = "") -> Record:
    """Begin a fresh record of what this process reads (one per command invocation);
    ``boundary``: ``Cache._boundary``."""
    global _RECORD, _HOOKED
    if not _HOOKED:
        sys.addaudithook(_audit)
        _HOOKED = True
    _forget_memos()
    _RECORD = Record(boundary=boundary)
    return _RECORD


def stop_recording() -> None:
    global _RECORD
    _RECORD = None


def _forget_memos() -> None:
    """Empty pgconf-fix's memoised readers, so a read they made for an earlier invocation in
    this process is made, and so recorded, again."""
    for name, module in list(sys.modules.items()):
        if not (name == "pgconf_fix" or name.startswith("pgconf_fix.")) or module is None:
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and isinstance(value, functools._lru_cache_wrapper):  # type: ignore[attr-defined]
                clear()


# ---------------------------------------------------------------------------------------------
# Digests.


# hashlib is imported where a digest is taken: it loads OpenSSL (~4 ms), which a run without
# the cache never needs (issue 18).


def _hash(*parts: object) -> str:
    import hashlib

    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part if isinstance(part, bytes) else repr(part).encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def _bytes_digest(data: bytes) -> str:
    import hashlib

    return hashlib.blake2b(data, digest_size=20).hexdigest()


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """pgconf-fix's version and the size and modification time of each of its modules and data files."""
    entries = []
    for directory, subdirectories, files in os.walk(_PACKAGE):
        subdirectories[:] = sorted(name for name in subdirectories if name != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(directory, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            entries.append((os.path.relpath(path, _PACKAGE), stat.st_size, stat.st_mtime_ns))
    return _hash(__version__, FORMAT, sys.version_info[:2], entries)


# ---------------------------------------------------------------------------------------------
# Findings to JSON and back.


class _Paths:
    """Interning of paths in one entry."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.index: dict[str, int] = {}

    def __call__(self, source: SourceFile) -> int:
        key = str(source.path)
        if key not in self.index:
            self.index[key] = len(self.paths)
            self.paths.append(key)
        return self.index[key]


def _finding_json(finding: Finding, paths: _Paths) -> list:
    fix = None
    if finding.fix is not None:
        fix = [
            finding.fix.applicability,
            finding.fix.message,
            [[paths(edit.source), edit.start, edit.end, edit.content, edit.holds, edit.rank] for edit in finding.fix.edits],
            [list(pair) for pair in finding.fix.expect],
        ]
    location = finding.location
    return [
        finding.code, finding.name, finding.severity, finding.message,
        [paths(location.source), location.start, location.end], finding.url, fix, list(finding.subject),
    ]


def _finding_from_json(data: list, sources: list[SourceFile]) -> Finding:
    code, name, severity, message, (where, start, end), url, fix_data, subject = data
    fix = None
    if fix_data is not None:
        applicability, fix_message, edits, expect = fix_data
        fix = Fix(
            applicability=applicability,
            message=fix_message,
            edits=tuple(
                Edit(sources[i], s, e, content, None if holds is None else (holds[0], holds[1]), rank)
                for i, s, e, content, holds, rank in edits
            ),
            expect=tuple((key, value) for key, value in expect),
        )
    return Finding(
        code=code, name=name, severity=severity, message=message, location=Location(sources[where], start, end),
        url=url, fix=fix, subject=tuple(subject),
    )


def findings_json(findings: Iterable[Finding]) -> tuple[list, list[str]]:
    """(findings as JSON lists, the paths they refer to by index)."""
    paths = _Paths()
    return [_finding_json(finding, paths) for finding in findings], paths.paths


def follow_on_json(findings: Iterable[Finding]) -> dict[str, list]:
    """Findings whose files are texts the patcher made (not files on disk, so not in any
    workspace): the findings, and each text with its path and display."""
    listed, paths = findings_json(findings)
    sources: dict[str, SourceFile] = {}
    for finding in findings:
        for source in (finding.source, *(edit.source for edit in (finding.fix.edits if finding.fix else ()))):
            sources.setdefault(str(source.path), source)
    return {
        "findings": listed,
        "sources": [[p, sources[p].display, sources[p].text, sources[p].mode, sources[p].encoding] for p in paths],
    }


def follow_on_from_json(data: dict[str, list]) -> list[Finding]:
    """``follow_on_json`` read back (TypeError, KeyError, ValueError or IndexError when malformed)."""
    sources = [
        # The text in its file's encoding (a Python module's declared one), read back as the file is.
        SourceFile.from_bytes(Path(path), display, text.encode(encoding or "utf-8", "surrogateescape"), mode=mode)
        for path, display, text, mode, encoding in data["sources"]
    ]
    return [_finding_from_json(item, sources) for item in data["findings"]]


def findings_digest(findings: Iterable[Finding]) -> str:
    """A digest of findings, their fixes and the bytes of every file they refer to."""
    paths = _Paths()
    listed = [_finding_json(finding, paths) for finding in findings]
    sources: dict[str, SourceFile] = {}
    for finding in findings:
        sources.setdefault(str(finding.source.path), finding.source)
        if finding.fix is not None:
            for edit in finding.fix.edits:
                sources.setdefault(str(edit.source.path), edit.source)
    return _hash(listed, [(p, sources[p].display, _bytes_digest(sources[p].data)) for p in paths.paths])


# ---------------------------------------------------------------------------------------------
# The cache.


@dataclass
class Statistics:
    hits: int = 0
    misses: int = 0
    stores: int = 0


class Cache:
    """One invocation's view of the cache directory (see the module's docstring)."""

    def __init__(self, directory: Path, root: Path, top: Path | None = None, cwd: Path | None = None) -> None:
        from pgconf_fix.ignore import repository_root

        self.directory = directory
        self.top = top or directory  # where the .gitignore and CACHEDIR.TAG go
        # Listings of the directories above the repository (or, outside one, above the project
        # root) are not inputs: the project search reads them only to look for a .git or a
        # manifest, and /tmp or a home directory change all the time.
        absolute = Path(os.path.abspath(root))
        self._boundary = os.path.join(str(repository_root(absolute) or absolute), "")
        self.record = start_recording(self._boundary)
        self.writable = True
        self.warning: str | None = None  # set once when the cache could not be written
        self.statistics = Statistics()
        # Digests taken in this check, by kind ("f" a file, "d" a directory listing) and path.
        self._digests: dict[str, dict[str, str]] = {"f": {}, "d": {}}
        self._files = _SameFiles()  # which of the files digested in this check are one file
        # Chunks of inputs (see the module's docstring) by key: (the chunk before, its items).
        self._chunks: dict[str, tuple[str | None, list]] = {}
        self._verified: set[str] = set()  # chunks whose every input has its digest in this check
        self._head: str | None = None  # the last chunk this check wrote
        self._chunked = (0, 0)  # how many of the record's files and directories the chain covers
        self._given: set[str] = set()
        # In every key: messages name other files by their path from the working directory.
        here = os.path.abspath(cwd if cwd is not None else os.getcwd())
        import shutil  # here: a run without the cache does not need it

        self._environment = _hash(code_digest(), shutil.which("terraform") is not None, here)

    @classmethod
    def open(cls, root: Path, cwd: Path | None = None) -> Cache:
        """The cache of the project at ``root``: a subdirectory of ``PGCONF_FIX_CACHE_DIR`` if
        set, else of the user's cache directory, named by a digest of ``root``'s absolute path.
        ``cwd``: the run's working directory (default: the process's)."""
        directory, top = project_directory(root)
        global LAST
        LAST = cls(directory, root, top, cwd)
        return LAST

    def close(self) -> None:
        stop_recording()

    def new_check(self, given: list[tuple[Path, SourceFile | InputError]] = ()) -> None:
        """Files may have changed (``--write`` wrote them): digests are taken afresh. ``given``:
        texts the workspace holds instead of the files (the patcher's re-checks); they are in
        the keys (``base``), so the files on disk under them are not inputs of this check."""
        self._digests = {"f": {}, "d": {}}
        self._files = _SameFiles()
        self._verified, self._head, self._chunked = set(), None, (0, 0)
        self._given = {str(path) for path, _ in given}

    # -- keys ---------------------------------------------------------------------------------

    def base(self, options: Options, rules: list, given: list[tuple[Path, SourceFile | InputError]]) -> str:
        """The part of every key that a run's code, catalog (``rules``: ``catalog.Rule`` objects,
        taken by their ``repr``; not imported here, since the catalog keeps its parse in the
        cache directory with this module's ``write_json``) and options make, with the texts
        the workspace holds before the check reads anything: standard input, and the fixed
        texts the patcher re-checks in memory (a group reads them instead of the files)."""
        texts = [(str(path), _bytes_digest(entry.data) if isinstance(entry, SourceFile) else str(entry))
                 for path, entry in given]
        return _hash(self._environment, options, rules, texts)

    def group_key(self, base: str, reader: str, sources: list[SourceFile]) -> str:
        return _hash(base, "group", reader, [(str(s.path), s.display, _bytes_digest(s.data)) for s in sources])

    # -- the record of inputs -----------------------------------------------------------------

    def _digest(self, kind: str, path: str) -> str:
        known = self._digests[kind].get(path)
        if known is None:
            self.record.paused += 1
            try:
                if kind == "f":
                    with open(path, "rb") as handle:
                        known = _bytes_digest(handle.read())
                        status = os.fstat(handle.fileno())
                    self._files.note(path, (status.st_dev, status.st_ino))
                else:
                    names = sorted(name for name in os.listdir(path) if name != DIRECTORY_NAME)
                    known = _hash(names)
            except (OSError, ValueError):
                known = ABSENT
            finally:
                self.record.paused -= 1
            self._digests[kind][path] = known
        return known

    def _inputs(self) -> str | None:
        """The key of the chain of chunks that holds every input noted so far in this check
        (None when there is none): the chain this check wrote, with one chunk more for the
        inputs noted since its last one. The record only grows within a check, so those are
        the tail of each of its two lists."""
        own = os.path.join(os.path.abspath(self.top), "")
        files, directories = self._chunked
        fresh = [["f", p, self._digest("f", p)] for p in itertools.islice(self.record.files, files, None)
                 if not p.startswith(own) and p not in self._given]
        fresh += [
            ["d", p, self._digest("d", p)] for p in itertools.islice(self.record.directories, directories, None)
            if not (p + os.sep).startswith(own) and not (self._boundary.startswith(os.path.join(p, "")) and
                                                         os.path.join(p, "") != self._boundary)
        ]
        self._chunked = (len(self.record.files), len(self.record.directories))
        if fresh:
            key = _hash("inputs", self._head, fresh)
            self._write(key, {"parent": self._head, "items": fresh})
            self._chunks[key] = (self._head, fresh)
            self._verified.add(key)
            self._head = key
        return self._head

    def _compacted(self) -> str | None:
        """``_inputs``, as one chunk that holds every input noted so far in this check (no
        parent), made the head of this check's chain: a whole check's entry is then checked
        with one chunk rather than the one each of its groups added (a cold 10k-file run adds
        ~300), and so are the entries stored after it (the verifiers' verdict, the fixable
        count), which name this chunk as their chain's beginning."""
        self._head, self._chunked = None, (0, 0)
        return self._inputs()

    def _check_inputs(self, head: str | None, aliases: list | None = None) -> None:
        """Raise CacheMiss unless every input in the chain ending at chunk ``head`` has its
        digest now (CacheMiss, KeyError, TypeError or ValueError for a missing or malformed
        chunk), and the files among them that are one file (``_SameFiles.groups``) are those of
        ``aliases``; then note them all as read. A chunk checked once in this check is not
        checked again: entries of one run share the beginning of their chain."""
        pending: list[str] = []
        seen: set[str] = set()
        key = head
        while key is not None and key not in self._verified:
            chunk = self._chunks.get(key)
            if chunk is None:
                entry = self._read(key)
                chunk = (entry["parent"], entry["items"])
                if not isinstance(chunk[1], list) or (chunk[0] is not None and not isinstance(chunk[0], str)):
                    raise CacheMiss(key)
                self._chunks[key] = chunk
            if key in seen:
                raise CacheMiss(key)  # a loop: only a damaged cache has one
            seen.add(key)
            pending.append(key)
            key = chunk[0]
        digests, given = self._digests, self._given
        files: list[str] = []
        directories: list[str] = []
        for key in reversed(pending):
            for kind, path, digest in self._chunks[key][1]:
                if digests[kind].get(path) != digest and path not in given and self._digest(kind, path) != digest:
                    raise CacheMiss(path)
                (files if kind == "f" else directories).append(path)
        if aliases or self._files.shared:
            # Rare (a symlink or a hard link among the inputs): the chain's files, all of them.
            chain: set[str] = set()
            key = head
            while key is not None:
                parent, items = self._chunks[key]
                chain.update(path for kind, path, _ in items if kind == "f")
                key = parent
            if self._files.groups(chain) != aliases:
                raise CacheMiss(head)
        # As if read: later entries depend on them too.
        self.record.files.update(dict.fromkeys(files))
        self.record.directories.update(dict.fromkeys(directories))
        self._verified.update(pending)

    # -- entries ------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def _read(self, key: str) -> dict[str, Any]:
        self.record.paused += 1
        try:
            with open(self._path(key), "rb") as handle:
                entry = json.loads(handle.read())
        except (OSError, ValueError) as exc:
            raise CacheMiss(key) from exc
        finally:
            self.record.paused -= 1
        if not isinstance(entry, dict) or entry.get("key") != key or entry.get("format") != FORMAT:
            raise CacheMiss(key)
        return entry

    def _write(self, key: str, entry: dict[str, Any]) -> None:
        if not self.writable:
            return
        entry = {"format": FORMAT, "key": key, **entry}
        self.record.paused += 1
        try:
            self._prepare()
            write_json(self._path(key), entry)
            self.statistics.stores += 1
        except (OSError, ValueError, TypeError) as exc:
            self.writable = False
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.warning = f"cannot write the cache in {self.directory} ({reason}); running without it"
        finally:
            self.record.paused -= 1

    def _prepare(self) -> None:
        prepare(self.directory, self.top)

    # -- reader groups ------------------------------------------------------------------------

    def has(self, key: str) -> bool:
        """Whether an entry is stored under ``key`` (usable or not: it is not read)."""
        return self._path(key).is_file()

    def load_group(self, key: str, workspace: Workspace) -> tuple[list[Finding], set[Path], set[Path]] | None:
        """A group's findings, judged files and the paths it asked the workspace for, with the
        group's other reads replayed into ``workspace`` in their order; None on a miss (the
        workspace is left as it was)."""
        mark = workspace.mark()
        try:
            entry = self._read(key)
            self._check_inputs(entry["inputs"], entry["aliases"])
            _replay(entry["loads"], workspace)
            sources = _sources(entry["paths"], workspace)
            findings = [_finding_from_json(item, sources) for item in entry["findings"]]
            scope = {Path(path) for path in entry["scope"]}
            reads = {Path(path) for path in entry["reads"]}
        except (CacheMiss, KeyError, TypeError, ValueError, IndexError):
            workspace.forget_since(mark)
            self.statistics.misses += 1
            return None
        self.statistics.hits += 1
        return findings, scope, reads

    def store_group(
        self, key: str, workspace: Workspace, mark: int, findings: list[Finding], scope: set[Path], reads: set[Path]
    ) -> None:
        """Note a computed group: the workspace's reads after ``mark`` (after the group's own
        files) are replayed on a hit. A group whose findings point into a text that is not the
        workspace's file of that path (a document made from part of a file) is not stored:
        it could not be rebuilt."""
        if not _rebuildable(findings, workspace):
            return
        listed, paths = findings_json(findings)
        self._write(key, {
            "inputs": self._inputs(),
            "aliases": self._files.groups(self.record.files),
            "loads": _loads_json(workspace.loaded()[mark:]),
            "paths": paths,
            "findings": listed,
            "scope": sorted(str(path) for path in scope),
            "reads": sorted(str(path) for path in reads),
        })

    # -- whole checks -------------------------------------------------------------------------

    def known_file(self, path: str, data: bytes, identity: tuple[int, int] | None = None) -> str:
        """Note that the file at the absolute ``path`` holds ``data`` now (it was just read;
        ``identity``: its ``SourceFile.identity``): the check of inputs takes this digest
        instead of reading the file again. Returns the digest."""
        digest = self._digests["f"][path] = _bytes_digest(data)
        if identity is not None:
            self._files.note(path, identity)
        return digest

    def load_check(
        self, key: str, workspace: Workspace, read: Workspace
    ) -> tuple[list[Finding], list[Finding]] | None:
        """A whole check's (findings, suppressed findings) stored by ``store_check``, with every
        read of that check replayed into ``workspace`` in its order (taking the file or error
        that ``read``, a workspace that read the target's files to key the check, holds for a
        path, when it read it under the same display); None on a miss (``workspace`` left as
        it was). Counted as one hit or miss."""
        mark = workspace.mark()
        try:
            entry = self._read(key)
            self._check_inputs(entry["inputs"], entry["aliases"])
            _replay(entry["loads"], workspace, read)
            sources = _sources(entry["paths"], workspace)
            findings = [_finding_from_json(item, sources) for item in entry["findings"]]
            suppressed = [_finding_from_json(item, sources) for item in entry["suppressed"]]
        except (CacheMiss, KeyError, TypeError, ValueError, IndexError):
            workspace.forget_since(mark)
            self.statistics.misses += 1
            return None
        self.statistics.hits += 1
        return findings, suppressed

    def store_check(self, key: str, workspace: Workspace, findings: list[Finding], suppressed: list[Finding]) -> None:
        """Note a whole check: its findings and suppressed findings, every read of its
        workspace (replayed on a hit) and the inputs noted so far. Not stored when a finding
        points into a text that is not the workspace's file of that path."""
        every = [*findings, *suppressed]
        if not _rebuildable(every, workspace):
            return
        listed, paths = findings_json(every)
        self._write(key, {
            "inputs": self._compacted(),
            "aliases": self._files.groups(self.record.files),
            "loads": _loads_json(workspace.loaded()),
            "paths": paths,
            "findings": listed[: len(findings)],
            "suppressed": listed[len(findings) :],
        })

    # -- other results ------------------------------------------------------------------------

    def recall(self, key: str) -> Any:
        """A value ``remember``ed under ``key`` whose recorded inputs are unchanged; CacheMiss otherwise."""
        try:
            entry = self._read(key)
            self._check_inputs(entry["inputs"], entry["aliases"])
            value = entry["value"]
        except (CacheMiss, KeyError, TypeError, ValueError):
            self.statistics.misses += 1
            raise CacheMiss(key) from None
        self.statistics.hits += 1
        return value

    def remember(self, key: str, value: Any, pure: bool = False) -> None:
        """Store a JSON value under ``key``, with the inputs read so far; ``pure``: the key
        holds everything the value depends on (no inputs are noted, so the entry serves a
        re-check of fixed texts in memory and the check of the same texts once written)."""
        inputs = None if pure else self._inputs()
        aliases = [] if pure else self._files.groups(self.record.files)
        self._write(key, {"inputs": inputs, "aliases": aliases, "value": value})

    def key(self, *parts: object) -> str:
        return _hash(self._environment, *parts)


class _SameFiles:
    """The files digested in one check by their identity (st_dev, st_ino, symlinks followed),
    to tell which paths are one file: the Workspace reads such paths as one text (a symlink
    to a file, or to a directory above it; a hard link), so an entry is used only while the
    same paths are one file. Kept as path groups, not as inode numbers, which change when a
    file is copied or checked out again with the same bytes."""

    def __init__(self) -> None:
        self.paths: dict[tuple[int, int], list[str]] = {}
        self.noted: set[str] = set()
        self.shared: set[tuple[int, int]] = set()  # identities of more than one path

    def note(self, path: str, identity: tuple[int, int]) -> None:
        if path in self.noted:
            return
        self.noted.add(path)
        paths = self.paths.setdefault(identity, [])
        paths.append(path)
        if len(paths) > 1:
            self.shared.add(identity)

    def groups(self, among: Container[str] | None = None) -> list[list[str]]:
        """The sorted groups of two or more paths (of ``among``, if given) that are one file."""
        found = []
        for identity in self.shared:
            paths = sorted(path for path in self.paths[identity] if among is None or path in among)
            if len(paths) > 1:
                found.append(paths)
        return sorted(found)


def _rebuildable(findings: list[Finding], workspace: Workspace) -> bool:
    """Whether every file the findings and their edits point into is the workspace's file of
    that path (so that an entry can rebuild them against a later run's workspace)."""
    for finding in findings:
        sources = [finding.source, *(edit.source for edit in (finding.fix.edits if finding.fix else ()))]
        if any(workspace.entry(source.path) is not source for source in sources):
            return False
    return True


def _loads_json(loads: list[tuple[Path, SourceFile | InputError]]) -> list[list]:
    return [[str(path), entry.display, str(entry) if isinstance(entry, InputError) else None] for path, entry in loads]


def _replay(loads: list, workspace: Workspace, read: Workspace | None = None) -> None:
    """Read ``loads`` (``_loads_json``) into ``workspace`` in their order; CacheMiss when a
    file is now readable that was not, or the other way round, or fails otherwise. A file
    ``read`` holds under the same display is taken from it rather than read again."""
    for path, display, error in loads:
        key = Path(path)
        found = read.entry(key) if read is not None else None
        if found is not None and found.display == display and workspace.entry(key) is None:
            workspace.seed([(key, found)])
        else:
            try:
                found = workspace.load(key, display)
            except InputError as exc:
                found = exc
        if error != (str(found) if isinstance(found, InputError) else None):
            raise CacheMiss(path)


def _sources(paths: list[str], workspace: Workspace) -> list[SourceFile]:
    """The workspace's file at each of ``paths``; CacheMiss for one it does not hold."""
    sources = []
    for path in paths:
        source = workspace.entry(Path(path))
        if not isinstance(source, SourceFile):
            raise CacheMiss(path)
        sources.append(source)
    return sources


_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pgconf-fix.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
_IGNORE_ALL = "# Automatically created by pgconf-fix.\n*\n"


def prepare(directory: Path, top: Path) -> None:
    """Make a project's cache ``directory`` (mode 0700) under ``top``, and mark it as a cache
    that git, pgconf-fix's own walk and backups leave alone (a ``.gitignore`` of ``*``, a
    CACHEDIR.TAG, https://bford.info/cachedir/). ``top`` is marked too when it is the
    cache's own: made here, empty, or marked before. A ``top`` that holds anything else (a
    ``PGCONF_FIX_CACHE_DIR`` pointing into a project) is left as it is: its ``.gitignore``
    is the project's. Existing files are never overwritten. Raises OSError when the
    directory cannot be made."""
    marker = directory / ".gitignore"
    if marker.exists() and directory.is_dir():
        return
    ours = not top.exists() or (top / "CACHEDIR.TAG").is_file() or not any(top.iterdir())
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for place in (top, directory) if ours else (directory,):
        for name, text in (("CACHEDIR.TAG", _TAG), (".gitignore", _IGNORE_ALL)):
            if not (place / name).exists():
                (place / name).write_text(text)


def write_json(target: Path, value: Any) -> None:
    """Replace ``target`` with ``value`` as compact JSON, atomically (a temporary file in its
    directory, made with mode 0700 if missing, then ``os.replace``): a reader sees the old
    file or the new one, never half. Raises OSError, or ValueError/TypeError for a value JSON
    cannot hold."""
    import tempfile

    target.parent.mkdir(mode=0o700, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(json.dumps(value, separators=(",", ":")).encode("utf-8", "surrogatepass"))
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def cache_top() -> Path:
    """The directory that holds every project's cache: ``PGCONF_FIX_CACHE_DIR`` if set, else
    the user's cache directory."""
    given = os.environ.get(ENVIRONMENT_VARIABLE)
    if given:
        return Path(given)
    import platformdirs

    return Path(platformdirs.user_cache_dir("pgconf-fix", appauthor=False))


def project_directory(root: Path) -> tuple[Path, Path]:
    """(the cache directory of the project at ``root``, the directory above it that holds
    every project's, ``cache_top``)."""
    top = cache_top()
    absolute = os.path.abspath(root)
    return top / f"{os.path.basename(absolute) or 'root'}-{_hash(absolute)[:16]}", top


class ClaimMemo:
    """Which reader claimed each file of a walk (or none), remembered by the file's status, so
    that an unchanged tree's walk does not open ~8,000 of 10,000 files again to look at their
    first bytes (issue 18: "a second run on an unchanged tree costs about the walk").

    One JSON file a project, pgconf-fix code, set of wanted readers and identity of the
    process (effective user and groups: whether a file can be read depends on them, and a
    file that cannot be read is claimed by its name alone), mapping each absolute path to
    ``[st_size, st_mtime_ns, st_ctime_ns, st_ino, reader or null]``. A claim is
    recalled only when all four are what they were; ``st_ctime_ns`` changes on any write and
    cannot be set back by a tool that restores modification times. A file changed in the two
    seconds before the walk began is not remembered: a second change within the clock's
    resolution would leave its status unchanged (git's "racily clean" entries). Nor is the
    claim of a file this process could not read (``discovery._claim_noting``).
    """

    RACY_NS = 2_000_000_000

    def __init__(self, directory: Path, top: Path, wanted: frozenset[str] | None) -> None:
        self.directory, self.top = directory, top
        identity = [getattr(os, name)() for name in ("geteuid", "getegid") if hasattr(os, name)]
        if hasattr(os, "getgroups"):
            identity.append(sorted(os.getgroups()))
        key = _hash(code_digest(), sorted(wanted) if wanted is not None else None, identity)
        self.path = directory / "claims" / f"{key}.json"
        self.began = time.time_ns()
        self.changed = False
        self.known: dict[str, list] = {}
        self.recalled = 0  # claims ``recall`` knew: each path of a walk is asked once
        try:
            with open(self.path, "rb") as handle:
                stored = json.loads(handle.read())
            if isinstance(stored, dict) and stored.get("format") == FORMAT and isinstance(stored.get("files"), dict):
                self.known = stored["files"]
        except (OSError, ValueError):
            pass

    @staticmethod
    def status(stat: os.stat_result) -> list[int]:
        return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]

    def recall(self, path: str, stat: os.stat_result) -> tuple[bool, str | None]:
        """(whether the claim of ``path`` is known for a file of this ``stat``, the reader)."""
        entry = self.known.get(path)
        # ``status`` compared field by field: this runs for every file of a walk.
        if (
            type(entry) is list and len(entry) == 5 and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns
            and entry[2] == stat.st_ctime_ns and entry[3] == stat.st_ino and (entry[4] is None or type(entry[4]) is str)
        ):
            self.recalled += 1
            return True, entry[4]
        return False, None

    def note(self, path: str, stat: os.stat_result, reader: str | None) -> None:
        if max(stat.st_mtime_ns, stat.st_ctime_ns) > self.began - self.RACY_NS:
            return
        entry = [*self.status(stat), reader]
        if self.known.get(path) != entry:
            self.known[path] = entry
            self.changed = True

    def forget_gone(self, walked: list[str], seen: set[str]) -> None:
        """Drop the claims of files under the directories ``walked`` (absolute) that this walk
        did not meet (deleted, renamed, now ignored): the file would otherwise keep every
        path a project ever had. Claims outside those directories are kept."""
        prefixes = tuple(os.path.join(directory, "") for directory in walked)
        if not prefixes or self.recalled == len(self.known):
            return  # nothing walked, or every claim known was met again (an unchanged tree)
        kept = {path: entry for path, entry in self.known.items() if path in seen or not path.startswith(prefixes)}
        if len(kept) != len(self.known):
            self.known = kept
            self.changed = True

    def save(self) -> None:
        """Write the file (atomically) when a claim was added, changed or dropped; a cache that
        cannot be written is left alone (the result cache warns about it)."""
        if not self.changed:
            return
        try:
            prepare(self.directory, self.top)
            write_json(self.path, {"format": FORMAT, "files": self.known})
        except (OSError, ValueError, TypeError):
            pass
        self.changed = False


# The cache the last invocation opened (its statistics say what it served), for tests.
LAST: Cache | None = None

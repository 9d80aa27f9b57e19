"""Walk the given paths and hand each file to the layer that claims it.

A file is claimed by its name first; only when the name is not enough does a
layer look at the file's first bytes. Nothing is parsed here. A large tree is
walked once and its files claimed in chunks by one process per core.
"""

from __future__ import annotations

import fnmatch
import importlib
import itertools
import operator
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from pgconf_fix.ignore import IgnoreRules, read_lines, relative_to, rules_above
from pgconf_fix.progress import Progress
from pgconf_fix.source import DEFAULT_MAX_FILE_SIZE, InputError, link_problem, looks_binary

if TYPE_CHECKING:
    from pgconf_fix.cache import ClaimMemo

DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", ".terraform",
    "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", ".direnv",
)
# The file names each layer may claim (shell-style patterns on the name alone, case-sensitive):
# discovery hands a layer no other file, and the pre-commit hooks' ``files:`` pattern is
# generated from this table (``pre_commit_files``), so the hook passes exactly these.
# Connection strings live in configuration and in source code of any language, so the client
# layer's list is long; prose (.md, .rst) and data files are not read.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "server": ("*.conf",),
    "kernel": ("*.conf",),
    "network": ("*.tf", "*.tf.json"),
    "pgbouncer": ("*.ini",),
    "yaml": ("*.yml", "*.yaml", "*.YML", "*.YAML", "*.json"),
    "sql": ("*.sql", "*.SQL"),
    "dockerfile": ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile", "Containerfile.*"),
    "python": ("*.py",),
    "client": (
        "*.conf", "*.py", "*.env", ".env", ".env.*", ".envrc", "env.sample", "env.example", "*.sample", "*.example",
        "*.yml", "*.yaml", "*.json", "*.toml", "*.ini", "*.cfg", "*.properties", "*.xml",
        "*.sh", "*.bash", "*.zsh", "Procfile", "Procfile.*", "Dockerfile", "Dockerfile.*", "*.Dockerfile",
        "Containerfile", "Containerfile.*",
        "*.go", "*.js", "*.mjs", "*.cjs", "*.ts", "*.java", "*.kt", "*.scala", "*.groovy", "*.rb", "*.php",
        "*.cs", "*.rs", "*.ex", "*.exs", "*.tfvars", "*.hcl",
    ),
}


def _plain(glob: str) -> bool:
    """Whether ``glob`` has none of fnmatch's special characters: it matches only itself."""
    return not any(char in glob for char in "*?[")


class _NameTest:
    """Whether a file name matches one of shell-style ``globs`` (as ``fnmatch.fnmatchcase``): the
    shapes CANDIDATES uses (``*.conf``, ``.env``, ``.env.*``) are string tests, any other glob
    one regular expression, compiled when first needed (compiling the eight tables' expressions
    was ~3 ms of a one-file run: issue 18)."""

    def __init__(self, globs: tuple[str, ...]) -> None:
        exact, suffixes, prefixes, others = set(), [], [], []
        for glob in globs:
            if _plain(glob):
                exact.add(glob)
            elif glob.startswith("*") and _plain(glob[1:]):
                suffixes.append(glob[1:])
            elif glob.endswith("*") and _plain(glob[:-1]):
                prefixes.append(glob[:-1])
            else:
                others.append(glob)
        self.exact, self.suffixes, self.prefixes, self.others = frozenset(exact), tuple(suffixes), tuple(prefixes), tuple(others)
        self._pattern: re.Pattern[str] | None = None

    def __call__(self, name: str) -> bool:
        if name in self.exact or name.endswith(self.suffixes) or name.startswith(self.prefixes):
            return True
        if not self.others:
            return False
        if self._pattern is None:
            self._pattern = re.compile("|".join(fnmatch.translate(glob) for glob in self.others))
        return self._pattern.match(name) is not None


_CANDIDATE_NAMES = {layer: _NameTest(globs) for layer, globs in CANDIDATES.items()}
# Every name a glob of CANDIDATES names whole, and every prefix one starts with: the names whose
# layers depend on more than their dotted ending (``candidates_of``).
_WHOLE_NAMES = frozenset(name for test in _CANDIDATE_NAMES.values() for name in test.exact)
_PREFIXES = tuple(prefix for test in _CANDIDATE_NAMES.values() for prefix in test.prefixes)
# Every suffix starts with a dot, and no glob is of another shape: then a name's layers are
# those of its ending from its first dot, remembered by that ending (``candidates_of``).
_BY_ENDING = all(suffix.startswith(".") for test in _CANDIDATE_NAMES.values() for suffix in test.suffixes) and not any(
    test.others for test in _CANDIDATE_NAMES.values()
)
_ENDINGS: dict[str, frozenset[str]] = {}


def candidate(layer: str, name: str) -> bool:
    """Whether discovery offers a file of this name to ``layer`` (a layer not in CANDIDATES: any)."""
    test = _CANDIDATE_NAMES.get(layer)
    return test is None or test(name)


def candidates_of(name: str) -> frozenset[str]:
    """The layers of CANDIDATES that discovery offers a file of this name (``candidate`` of each
    layer listed there, asked once a name, not once a layer: 9 tests a file were ~5 % of a
    Python-heavy tree's run, issue 18).

    A name that no glob names whole and that starts with no glob's prefix is matched by the
    suffix globs alone, each a dot and what follows: whether it ends with one is decided by its
    ending from its first dot, so the answer is remembered by that ending (``db.py``, ``a.b.py``
    and ``c.py`` ask the tests once between them when their endings are ``.py``; ``a.b.py``'s
    is ``.b.py``)."""
    if not _BY_ENDING or name in _WHOLE_NAMES or name.startswith(_PREFIXES):
        return frozenset(layer for layer, test in _CANDIDATE_NAMES.items() if test(name))
    dot = name.find(".")
    ending = name[dot:] if dot >= 0 else ""
    found = _ENDINGS.get(ending)
    if found is None:
        if len(_ENDINGS) >= 4096:
            _ENDINGS.clear()  # a tree of unusual names: the memo stays small
        found = _ENDINGS[ending] = frozenset(
            layer for layer, test in _CANDIDATE_NAMES.items() if test.suffixes and ending.endswith(test.suffixes)
        )
    return found


def pre_commit_files() -> str:
    """The ``files:`` regular expression of the pre-commit hooks: a path (with ``/``) whose
    last component some layer of CANDIDATES may claim."""
    globs = sorted({glob for globs in CANDIDATES.values() for glob in globs})
    names = "|".join(re.escape(glob).replace(r"\*", "[^/]*") for glob in globs)
    return f"(^|/)({names})$"


HEAD_BYTES = 64 * 1024
# Below this many files per core, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 2000
CHUNK_FILES = 1000  # paths a worker claims at a time


@dataclass(eq=False)
class Discovered:
    """What discovery found: each reader's files, the errors met, and named files no reader reads."""

    files: dict[str, list[tuple[Path, str]]] = field(default_factory=dict)  # layer -> (path, display)
    errors: list[InputError] = field(default_factory=list)
    # Files named on the command line that no layer reads: (display, why), said as a warning.
    unread: list[tuple[str, str]] = field(default_factory=list)


TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".template", ".erb", ".mustache")


def unread_reason(name: str) -> str:
    """Why a file named on the command line was not checked, for the warning line."""
    if name.endswith(TEMPLATE_SUFFIXES):
        return "a template: pgconf-fix reads the rendered file, not the template"
    return "no reader for this kind of file (no setting or connection string pgconf-fix knows was recognised)"


class _Head:
    """The first bytes of a file, read at most once and only if a layer asks."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.data: bytes | None = None
        self.hidden = False  # the content could not be seen: unreadable, or binary
        # The file could not be opened or read by this process: a matter of who reads it
        # (user, groups, capabilities) and of the moment (EMFILE), not only of the file.
        self.unreadable = False

    def __call__(self) -> bytes:
        if self.data is None:
            data = _read_head(self.path)
            self.unreadable = data is None
            self.hidden = data is None or looks_binary(data)
            self.data = b"" if self.hidden else data
        return self.data


class _WholeFile(_Head):
    """A file's whole content, for the claims when its head (read by a claim, and full) said
    nothing: read once, up to the default size limit. A larger file is claimed by nobody, as
    before (not by its name either: its head was text)."""

    def __call__(self) -> bytes:
        if self.data is None:
            data = _read_head(self.path, DEFAULT_MAX_FILE_SIZE + 1)
            self.unreadable = data is None
            self.hidden = data is None or len(data) > DEFAULT_MAX_FILE_SIZE
            self.data = b"" if self.hidden else data
        return self.data


# When a file's content cannot be seen (unreadable, binary, UTF-16), its name decides: the
# layer that reads such names takes it, and its reader says why it cannot (exit 2) instead
# of the file being skipped without a word.
_BY_SUFFIX = {".py": "python", ".sql": "sql", ".conf": "server", ".tf": "terraform"}


def _named_layer(name: FileName) -> str | None:
    if name.name == ".env" or name.name.startswith(".env.") or name.suffix == ".env":
        return "client"
    return _BY_SUFFIX.get(name.suffix.lower())


def _read_head(path: str, size: int = HEAD_BYTES) -> bytes | None:
    # os.read spares the buffered file object that open() builds for one read of every file.
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks = []
        wanted = size
        while wanted > 0:
            chunk = os.read(descriptor, wanted)
            if not chunk:
                break
            chunks.append(chunk)
            wanted -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(descriptor)


class FileName:
    """What a claim reads of a path (``name``, ``suffix``, ``parent.name``), as pathlib.Path
    spells them, without building one: pathlib was a third of discovery's time."""

    __slots__ = ("path", "name", "suffix", "_parent")

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = name = path[path.rfind(os.sep) + 1 :]
        dot = name.rfind(".")
        self.suffix = name[dot:] if 0 < dot < len(name) - 1 else ""
        self._parent: FileName | None = None

    @property
    def parent(self) -> FileName:
        if self._parent is None:
            self._parent = FileName(self.path[: self.path.rfind(os.sep)] or os.sep)
        return self._parent


def _claim(
    layers: list[ModuleType], path: str, wanted: frozenset[str] | None = None, head: _Head | None = None
) -> str | None:
    """The layer that claims ``path``: the first whose claim takes it. With ``wanted``, only
    those readers' claims count: another reader is asked only when a wanted reader after it
    could take the file (its claim then keeps the file from that one, as without ``wanted``),
    so no file is sniffed for a reader no selected rule needs. ``head``: the file's first
    bytes as read for the caller (which may then ask whether they could be read)."""
    head = head if head is not None else _Head(path)
    name = FileName(path)
    offered = candidates_of(name.name)
    for index, layer in enumerate(layers):
        if layer.NAME not in offered and layer.NAME in CANDIDATES:
            continue
        if wanted is not None and layer.NAME not in wanted:
            later = layers[index + 1 :]
            if not any(other.NAME in wanted and (other.NAME in offered or other.NAME not in CANDIDATES) for other in later):
                continue
            if layer.claim(name, head):
                return None
            continue
        if layer.claim(name, head):
            return layer.NAME
    if not isinstance(head, _WholeFile) and head.data is not None and len(head.data) >= HEAD_BYTES:
        # The marker a reader looks for may lie past the head (a rendered Helm chart whose
        # postgres StatefulSet comes last, a long module): the claims see the whole file.
        return _claim(layers, path, wanted, _WholeFile(path))
    if head.hidden and not isinstance(head, _WholeFile):
        named = _named_layer(name)
        if named is not None and candidate(named, name.name) and any(layer.NAME == named for layer in layers):
            return named if wanted is None or named in wanted else None
    return None


def _claim_noting(layers: list[ModuleType], path: str, wanted: frozenset[str] | None) -> tuple[str | None, bool]:
    """(``_claim``, whether the claim may be remembered by the file's status): not when the
    file could not be read, since whether it can depends on who reads it (a user's run, then
    the same tree under sudo) and not only on the file (pgconf_fix.cache.ClaimMemo)."""
    head = _Head(path)
    return _claim(layers, path, wanted, head), not head.unreadable


def _claim_chunk(job: tuple[tuple[str, ...], frozenset[str] | None, list[str]]) -> list[tuple[str | None, bool]]:
    names, wanted, paths = job
    layers = [importlib.import_module(name) for name in names]
    return [_claim_noting(layers, path, wanted) for path in paths]


class _Claims:
    """Claims paths as the walk finds them: on a large tree, chunks go to one worker per core
    while the walk goes on; on a small one, everything is claimed here, in one process. With a
    ``memo`` (pgconf_fix.cache.ClaimMemo), a file whose status is unchanged since a run noted
    its claim is not claimed again."""

    def __init__(
        self, layers: list[ModuleType], wanted: frozenset[str] | None = None, jobs: int | None = None, memo: ClaimMemo | None = None
    ) -> None:
        from pgconf_fix.jobs import default_jobs

        self.layers = layers
        self.jobs = default_jobs(jobs)
        self.wanted = wanted
        self.memo = memo
        self.names = frozenset(layer.NAME for layer in layers)
        self.paths: list[str] = []
        self.stats: list[os.stat_result | None] = []
        self.recalled: dict[int, str | None] = {}
        self.pending: list[int] = []  # indices of the paths to claim
        self.sent = 0
        self.pool = None
        self.futures: list = []
        self.parallel = self.jobs >= 2

    def add(self, path: str, stat: os.stat_result | None = None) -> None:
        index = len(self.paths)
        self.paths.append(path)
        self.stats.append(stat)
        if self.memo is not None and stat is not None:
            known, layer = self.memo.recall(path, stat)
            if known and (layer is None or layer in self.names):  # a damaged memo's reader: claimed afresh
                self.recalled[index] = layer
                return
        self.pending.append(index)
        if self.parallel and len(self.pending) >= 2 * PARALLEL_MIN_FILES and len(self.pending) - self.sent >= CHUNK_FILES:
            self._send(len(self.pending))

    def _send(self, end: int) -> None:
        if self.pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # fork: the workers start with the layers already imported.
            self.pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("fork"))
        names = tuple(layer.__name__ for layer in self.layers)
        chunk = [self.paths[index] for index in self.pending[self.sent : end]]
        self.futures.append(self.pool.submit(_claim_chunk, (names, self.wanted, chunk)))
        self.sent = end

    def results(self) -> list[str | None]:
        """The claiming layer of each path, in the order they were added."""
        if self.pool is None:
            claimed = [_claim_noting(self.layers, self.paths[index], self.wanted) for index in self.pending]
        else:
            if self.sent < len(self.pending):
                self._send(len(self.pending))
            with self.pool:
                claimed = [pair for future in self.futures for pair in future.result()]
        layers: list[str | None] = [None] * len(self.paths)
        for index, layer in self.recalled.items():
            layers[index] = layer
        for index, (layer, rememberable) in zip(self.pending, claimed):
            layers[index] = layer
            stat = self.stats[index]
            if self.memo is not None and stat is not None and rememberable:
                self.memo.note(self.paths[index], stat, layer)
        if self.memo is not None:
            self.memo.save()
        return layers


def discover(
    paths: list[str],
    layers: list[ModuleType],
    cwd: Path,
    exclude: tuple[str, ...] = (),
    exclude_base: Path | None = None,
    force_exclude: bool = False,
    wanted: frozenset[str] | None = None,
    jobs: int | None = None,
    memo: ClaimMemo | None = None,
) -> Discovered:
    """Walk ``paths`` and claim each file for a layer.

    ``exclude`` holds gitignore-style patterns relative to ``exclude_base`` (the directory
    of the config that defines them; default ``cwd``). Walks also follow ``.gitignore``
    files, the repository's ``.git/info/exclude`` and DEFAULT_EXCLUDES. A file named
    directly is taken as it is unless ``force_exclude`` (as ruff's ``--force-exclude``, for
    pre-commit, which names files one by one).

    ``wanted``: the readers whose files are wanted (None: all); a walk sniffs no file for the
    others (``_claim``). A file named directly is claimed by every reader as without it, so it
    is not said to be unread when the reader it is for was not wanted.

    ``jobs``: processes the claims may use on a large tree (None: ``jobs.affinity_cpus()``).
    ``memo``: the claims of an earlier run, recalled for files whose status is unchanged, and
    saved with this walk's (``pgconf_fix.cache.ClaimMemo``; None: every file is claimed).
    """
    found = Discovered()
    base = Path(os.path.abspath(exclude_base or cwd))
    base_rules = IgnoreRules().extended(base, exclude)
    seen: set[str] = set()
    displays: list[str] = []
    named: set[str] = set()  # files given by name, not found by a walk
    named_links: dict[str, InputError] = {}  # dangling symlinks given by name (absolute path: the error said)
    walked: list[str] = []  # the directories walked (absolute)
    claims = _Claims(layers, wanted, jobs, memo)
    progress = Progress(0, label="discovering")

    def add(path: str, display: str, absolute: str | None = None, entry: os.DirEntry | None = None) -> None:
        absolute = absolute or os.path.abspath(path)
        if absolute in seen:
            return
        seen.add(absolute)
        displays.append(display)
        stat = None
        if memo is not None:
            try:
                stat = entry.stat() if entry is not None else os.stat(absolute)
            except OSError:
                stat = None  # a dangling link, or gone: claimed afresh
        claims.add(absolute, stat)
        progress.advance()

    rules_by_directory: dict[Path, IgnoreRules] = {}

    def excluded(given: str) -> bool:
        absolute = os.path.abspath(given)
        inside = relative_to(absolute, str(base)) or relative_to(absolute, os.path.abspath(cwd)) or ""
        parts = inside.split("/") if os.path.isdir(absolute) else inside.split("/")[:-1]
        if any(part in DEFAULT_EXCLUDES for part in parts):
            return True
        parent = Path(absolute).parent
        if parent not in rules_by_directory:  # pre-commit names many files of few directories
            rules_by_directory[parent] = rules_above(parent, base_rules).extended(
                parent, read_lines(parent / ".gitignore")
            )
        return rules_by_directory[parent].ignored_with_parents(absolute, os.path.isdir(absolute))

    for given in paths:
        if not os.path.lexists(given):
            found.errors.append(InputError(given, "no such file or directory"))
        elif force_exclude and excluded(given):
            continue  # named on the command line, and excluded all the same
        elif os.path.isdir(given):
            root = os.path.abspath(given)
            _walk(root, given, rules_above(Path(root), base_rules), add, found)
            walked.append(root)
        elif os.path.isfile(given):
            named.add(os.path.abspath(given))
            add(given, given)
        elif os.path.islink(given) and not os.path.exists(given):
            absolute = os.path.abspath(given)
            if absolute in named_links:
                continue  # named twice
            named_links[absolute] = InputError(given, link_problem(given))
            found.errors.append(named_links[absolute])
            seen.add(absolute)  # a walk after this does not hand it on again
        else:
            found.errors.append(InputError(given, "not a regular file or directory"))
    if memo is not None:
        memo.forget_gone(walked, seen)
    results = claims.results()
    progress.close()
    for index, (absolute, layer) in enumerate(zip(claims.paths, results) if named or named_links else ()):
        if absolute in named and wanted is not None:
            results[index] = _claim(layers, absolute)
        elif absolute in named_links and layer is not None:
            # A dangling link named after a walk handed it on: its reader says what is wrong.
            found.errors.remove(named_links[absolute])
    for index in _one_path_a_file(claims, displays, results, named):
        absolute, display, layer = claims.paths[index], displays[index], results[index]
        if layer is not None:
            found.files.setdefault(layer, []).append((Path(absolute), display))
        elif absolute in named:
            found.unread.append((display, unread_reason(os.path.basename(absolute))))
    return found


def _one_path_a_file(claims: _Claims, displays: list[str], layers: list[str | None], named: set[str]) -> list[int]:
    """The indices (into ``claims.paths``, ascending) of the paths found that are kept: one
    for each file (device and inode, following symlinks as the readers do), so that a file
    reached by two paths (a symlink to it or to a directory above it, a hard link) is read,
    reported and written once.

    The path kept is one a layer claimed, if any did; then one that goes through no symlink
    (its bytes live there: ``git diff`` shows the change there, and ``git apply`` refuses a
    patch beyond a symbolic link); then the first found (the command line's order, each
    directory walked in sorted order). A path no layer claimed and not named on the command
    line is never kept. A path that leads to no file (a dangling link) is its own file."""
    first: dict[object, int] = {}
    groups: dict[int, list[int]] = {}
    if named:
        candidates = [index for index, (absolute, layer) in enumerate(zip(claims.paths, layers))
                      if layer is not None or absolute in named]
    else:  # a walk's paths: those claimed (a reader's name is never empty)
        candidates = list(itertools.compress(range(len(layers)), layers))
    for index in candidates:
        absolute = claims.paths[index]
        stat = claims.stats[index]
        if stat is None:
            try:
                stat = os.stat(absolute)
            except OSError:
                stat = None
        identity: object = (stat.st_dev, stat.st_ino) if stat is not None else absolute
        groups.setdefault(first.setdefault(identity, index), []).append(index)
    kept = []
    for members in groups.values():
        if len(members) == 1:
            kept.append(members[0])
            continue
        kept.append(min(members, key=lambda index: (layers[index] is None, _through_link(displays[index]), index)))
    return sorted(kept)


def _through_link(path: str) -> bool:
    """Whether ``path``, as given (relative to the working directory, or absolute), or a
    directory on its way is a symlink."""
    parts = os.path.normpath(path).split(os.sep)
    prefix = os.sep if os.path.isabs(path) else ""
    for part in parts:
        if not part:
            continue
        prefix = os.path.join(prefix, part) if prefix else part
        if part != ".." and os.path.islink(prefix):
            return True
    return False


def walk_files(root: Path, cwd: Path, exclude: tuple[str, ...] = ()) -> Iterator[Path]:
    """Every file under the directory ``root`` that a check would look at, in walk order:
    ``.gitignore`` files, ``exclude`` patterns and the default excludes are respected.
    Directories that cannot be listed are skipped."""
    rules = IgnoreRules().extended(Path(os.path.abspath(cwd)), exclude)
    found: list[str] = []
    _walk(os.path.abspath(root), str(root), rules, lambda path, shown, absolute=None, entry=None: found.append(path), Discovered())
    return (Path(path) for path in found)


_NAME = operator.attrgetter("name")


def _walk(root: str, display_root: str, rules: IgnoreRules, add, found: Discovered) -> None:  # noqa: ANN001
    stack: list[tuple[str, str, IgnoreRules]] = [(root, display_root, rules)]
    while stack:
        directory, shown, active = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=_NAME)
        except OSError as exc:
            found.errors.append(InputError(shown, f"cannot list directory: {exc.strerror}"))
            continue
        # Most directories have no .gitignore: look in the listing before trying to open one.
        if ".gitignore" in map(_NAME, entries):
            active = active.extended(directory, read_lines(Path(directory) / ".gitignore"))
        subdirectories = []
        # os.path.join(shown, name), made once a directory: a name holds no "/".
        prefix = "" if shown in (".", "") else shown if shown.endswith("/") else shown + "/"
        for entry in entries:
            child_shown = prefix + entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file()
            except OSError:  # a symlink loop (ELOOP): handed on like a dangling link, reported by its reader
                is_dir, is_file = False, entry.is_symlink()
            if is_dir:
                if entry.name in DEFAULT_EXCLUDES or (active.patterns and active.ignored(entry.path, True)):
                    continue
                subdirectories.append((entry.path, child_shown))
            elif (is_file or _dangling(entry)) and not (active.patterns and active.ignored(entry.path, False)):
                # A dangling symlink is handed on too: a layer that claims its name reports it.
                add(entry.path, child_shown, entry.path, entry)  # the walk's root is absolute and normalised
        for path, child_shown in reversed(subdirectories):
            stack.append((path, child_shown, active))


def _dangling(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink() and not os.path.exists(entry.path)
    except OSError:
        return False

"""One check of a set of paths: discover, parse, build views, run the rules."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from pgconf_fix import jobs as jobs_module
from pgconf_fix import suppression as suppression_module
from pgconf_fix.budget import learn
from pgconf_fix.catalog import Rule
from pgconf_fix.discovery import discover, unread_reason
from pgconf_fix.findings import Finding, duplicate_key, make_finding
from pgconf_fix.layers import layer_modules
from pgconf_fix.options import Options
from pgconf_fix.progress import Progress
from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.workspace import Workspace, absolute

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable

    from pgconf_fix.cache import Cache
    from pgconf_fix.views.base import SettingsView


@dataclass(eq=False)
class CheckResult:
    """What a check found: the findings, the files it could not read (``errors``) and the
    findings a suppression silenced. (A docstring also spares dataclasses writing one from the
    signature, with inspect, when the class is made: issue 18.)"""

    findings: list[Finding]
    errors: list[InputError] = field(default_factory=list)
    # Findings an inline comment or per-file-ignores silenced: fixes must leave them alone.
    suppressed: list[Finding] = field(default_factory=list)


@dataclass(eq=False)
class Target:
    """What one run looks at, decided once and re-checked after fixes."""

    files: dict[str, list[tuple[Path, str]]]
    errors: list[InputError]
    # Files named on the command line that no layer reads: (display, why).
    unread: list[tuple[str, str]] = field(default_factory=list)
    # The readers whose files are parsed (None: all); the others' files are here only for
    # learning the idle budget (readers_needed).
    parsed: frozenset[str] | None = None


def readers_needed(options: Options, rules: list[Rule] | None = None) -> tuple[frozenset[str], frozenset[str]]:
    """(readers whose files discovery claims, readers whose files are parsed) for the rules
    ``options`` select (after --select, --ignore, --extend-select and the config).

    A reader is parsed when a selected rule judges a layer its views have (``LAYERS``; the
    python reader builds pool- and client-layer views, the YAML reader server, kernel, client
    and PgBouncer ones); every reader when PGF001 (parse errors) or a suppression rule (PGF002,
    PGF003) is selected, as they judge every file. Discovery also claims the files of
    ``budget.READERS`` while the idle budget is learned (no --idle-budget / idle-budget) for a
    selected rule, without parsing them for that. Unreadable files of readers that are not
    parsed are not reported: they are not read.
    """
    from pgconf_fix.budget import READERS
    from pgconf_fix.catalog import load_catalog

    catalog = rules if rules is not None else list(load_catalog(options.rules_dirs).values())
    active = [rule for rule in catalog if options.enabled(rule)]
    modules = layer_modules()
    if any(rule.layer == "any" and rule.kind != "input-error" for rule in active):
        parsed = {module.NAME for module in modules}
    else:
        judged = {rule.layer for rule in active}
        parsed = {module.NAME for module in modules if judged & set(module.LAYERS)}
    claimed = set(parsed)
    if parsed and options.budget is None:
        claimed |= set(READERS)
    return frozenset(claimed), frozenset(parsed)


def find_targets(
    paths: list[str],
    options: Options,
    cwd: Path,
    stdin: SourceFile | None = None,
    jobs: int | None = None,
    cache_at: tuple[Path, Path] | None = None,
) -> Target:
    """What a run checks: the files discovery claims under ``paths`` for the readers the
    selected rules need (``readers_needed``), standard input's document, the errors and the
    named files no reader reads. ``jobs``: processes discovery may use (None: the CPUs of
    this process's affinity, ``jobs.affinity_cpus``). ``cache_at``: the project's cache
    directory and the one above it (``cache.project_directory``), where the claims of the
    walk are remembered (``cache.ClaimMemo``) when a directory is walked; None: no cache."""
    layers = layer_modules()
    claimed, parsed = readers_needed(options)
    everything = frozenset(layer.NAME for layer in layers)
    wanted = None if claimed == everything else claimed
    given = [p for p in paths if p != "-"]
    memo = None
    if cache_at is not None and any(os.path.isdir(path) for path in given):
        # Only a walk: loading every claim of the project costs more than a few named files.
        from pgconf_fix.cache import ClaimMemo

        memo = ClaimMemo(*cache_at, wanted)
    found = discover(
        given, layers, cwd, options.exclude, options.config_dir, options.force_exclude, wanted=wanted, jobs=jobs, memo=memo
    )
    if wanted is not None and not any(found.files.values()):
        # Nothing for the selected rules: whether any reader reads a file here decides the
        # "no file ... pgconf-fix reads" warning, as without the selection (files of readers
        # not needed are still not parsed).
        found = discover(given, layers, cwd, options.exclude, options.config_dir, options.force_exclude, jobs=jobs)
    if stdin is not None:
        for layer in layers:
            if layer.claim(stdin.path, lambda: stdin.data[:65536]):
                found.files.setdefault(layer.NAME, []).append((stdin.path, stdin.display))
                break
        else:
            found.unread.append((stdin.display, unread_reason(stdin.path.name)))
    return Target(
        files=found.files, errors=list(found.errors), unread=list(found.unread),
        parsed=None if parsed == everything else parsed,
    )


@dataclass(eq=False)
class ReaderGroup:
    """Files of one reader whose views are built together, and what building them gave.

    ``sources``: absolute paths, in the target's order. ``reads``: every absolute path the
    build, the rules and the scope asked the workspace for (the sources included): a change to
    any of them makes the group's findings stale. Two groups that read a common file are one
    group (their views may decide together: a fragment two postgresql.conf trees include, a
    Terraform module, a sysctl.d set).
    """

    sources: list[Path]
    reads: set[Path] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    scope: set[Path] = field(default_factory=set)
    built: bool = False


@dataclass(eq=False)
class CheckMemo:
    """What a check leaves for the next check of the same target with other texts (the fix
    loop's re-checks): the idle budget it learned and each reader's groups with their findings.
    ``parsed`` counts the files handed to readers to parse, over all checks (tests count work)."""

    learned: object = None
    groups: dict[str, list[ReaderGroup]] = field(default_factory=dict)
    parsed: int = 0
    # Every group built so far, by reader and the texts of its files: (findings, scope, the
    # text of every file the build read, None for one it could not). The fix loop checks the
    # same texts more than once (the safe fixes' run, then the run with unsafe fixes, starts
    # from the same files; a file with no unsafe fix comes out the same).
    built: dict[tuple, tuple[list[Finding], set[Path], dict[Path, str | None]]] = field(default_factory=dict)
    # The result cache gave the check whole (``check``): no group was built or recalled, so
    # a re-check has none to reuse (pgconf_fix.cli.Run checks by groups first).
    whole: bool = False


def check(
    target: Target,
    rules: list[Rule],
    options: Options,
    workspace: Workspace,
    memo: CheckMemo | None = None,
    changed: frozenset[Path] | set[Path] = frozenset(),
    cache: Cache | None = None,
    jobs: int = 1,
    whole: bool = True,
    begin: Callable[[list[Finding]], object] | None = None,
) -> CheckResult:
    """Read each reader's files, build its views and run the rules over them, reader by reader
    (the order of ``pgconf_fix.layers.LAYER_MODULES``), against the idle budget given or
    learned from the target's files.

    A reader's files are built in groups (its ``group_key``, joined while groups read a common
    file); given the ``memo`` of an earlier check of this target and the absolute paths whose
    text ``changed`` since, only the groups that read a changed file are built again, the others
    keep their findings (all are built again when the learned idle budget changed). The
    workspace must then hold the earlier check's unchanged files (``Workspace.seed``).

    With a ``cache`` (pgconf_fix.cache), a group whose files and other inputs are unchanged
    since a stored run gives that run's findings without building views, and the verifiers'
    verdict on the fixes is recalled the same way. With ``whole`` (and a fresh ``memo``, no
    texts held in place of files), the check as a whole is looked up first, keyed by the
    bytes of every file of the target: an unchanged tree's check then reads its files and
    one entry, and neither learns the idle budget nor loads a group (issue 18: a second run
    costs about the walk). ``memo.whole`` says so; such a memo has no groups to reuse.

    ``jobs``: processes the check may use (``--jobs``). A reader's groups to build, and the
    files whose fixes are vetted, go to a forked process pool (``pgconf_fix.jobs``) only when
    ``jobs`` > 1 and their work is above the measured threshold; the results are merged in the
    target's order, so the findings are the same as in one process. Raises jobs.JobsError
    when a worker process dies or fails.

    ``begin``, when given, is called with the findings (suppressed ones taken out) before their
    fixes are vetted, when some has a fix: the caller's patcher will try those fixes, and may
    start work for it that runs beside the vetting (``patcher.begin_round``).
    """
    memo = memo if memo is not None else CheckMemo()
    given = workspace.loaded()  # standard input, and texts held in place of files
    if cache is not None:
        cache.new_check(given)
    key = ""
    if cache is not None and whole and not given and not memo.groups and not memo.built and not changed:
        key, read, unreadable = _whole_key(cache, target, rules, options, workspace)
        served = cache.load_check(key, workspace, read)
        if served is not None:
            memo.whole = True
            errors = [*target.errors, *_load_errors(unreadable, workspace)]
            return CheckResult(findings=served[0], errors=errors, suppressed=served[1])
        del read  # the check reads the files again, in its own order
    options = with_learned_budget(options, target, workspace)
    base = cache.base(options, rules, given) if cache is not None else ""
    if options.learned_budgets != memo.learned:
        memo.groups = {}
        memo.built = {}
        memo.learned = options.learned_budgets
    progress = Progress(
        sum(len(entries) for name, entries in target.files.items() if target.parsed is None or name in target.parsed)
    )
    errors = list(target.errors)
    first: dict[tuple, Finding] = {}
    scope: set[Path] = set()
    for layer in layer_modules():
        files = target.files.get(layer.NAME, [])
        if not files or target.parsed is not None and layer.NAME not in target.parsed:
            continue
        sources = []
        for path, display in files:
            try:
                sources.append(workspace.load(path, display))
            except InputError as exc:
                errors.append(exc)
            progress.advance(layer=layer.NAME)
        here = [_key(source.path) for source in sources]  # once: a Path made is ~8 us (1,000 .tf: 3 a file)
        groups = _groups(layer, here, memo.groups.get(layer.NAME), set(changed))
        reader = ReaderBuild(layer, dict(zip(here, sources)), rules, options, workspace, cache, base, jobs)
        groups = _settle(groups, reader, memo)
        memo.groups[layer.NAME] = groups
        for group in groups:
            for finding in group.findings:
                first.setdefault(duplicate_key(finding), finding)
            scope |= group.scope
    progress.close()
    findings = sorted(first.values(), key=Finding.sort_key)
    checked = [source for source in workspace.sources() if source.path in scope]
    findings, suppressed = _suppress(findings, checked, rules, options)
    if any(finding.fix is not None for finding in findings):
        if begin is not None:
            begin(findings)

        def vetted(found: list[Finding]) -> list[Finding]:
            # The consumers' parsers: loaded when a fix is offered and its verdict not recalled.
            from pgconf_fix.verify import vet_fixes

            if _FIX_LOOP_FOLLOWS[0]:
                return _vet(found, lambda each: vet_fixes(each, keep=True), jobs)
            return _vet(found, vet_fixes, jobs)

        findings = _vetted(findings, cache, vetted)  # a fix its file's consumer would refuse is not offered
    if key:
        cache.store_check(key, workspace, findings, suppressed)
    return CheckResult(findings=findings, errors=errors, suppressed=suppressed)


# Whether the fix loop (pgconf_fix.patcher.fix_until_stable) follows the checks of this run.
_FIX_LOOP_FOLLOWS = [False]


def fix_loop_follows(follows: bool) -> None:
    """Say whether the fix loop follows this run's checks (``--diff``, ``--write``, a report
    that counts fixable findings): the vetting then keeps what the verifiers read of each
    file's combined fixes for the re-check that builds them (``verify.vet_fixes``' ``keep``).
    Without a fix loop nothing would take it: a Python module's tree held for nothing costs
    the collector more passes (issue 18, twelfth pass: 1 -> 4 with ``--format json`` on the 1k
    many-findings tree)."""
    _FIX_LOOP_FOLLOWS[0] = follows


def _parsed_files(target: Target) -> list[tuple[str, Path, str]]:
    """(reader, path, display) of each file the check hands to a reader, in its order."""
    return [
        (layer.NAME, path, display)
        for layer in layer_modules()
        if target.parsed is None or layer.NAME in target.parsed
        for path, display in target.files.get(layer.NAME, [])
    ]


def _whole_key(
    cache: Cache, target: Target, rules: list[Rule], options: Options, workspace: Workspace
) -> tuple[str, Workspace, list[str]]:
    """The key of a whole check (``check``): the options and rules, and the reader, path,
    display and bytes (or reading error) of every file of the target, budget sources
    included; with the workspace that read them (not the check's own: the check reads in
    its own order) and the absolute paths, in order, of the files of parsed readers that
    could not be read. The inputs the check reads besides are checked when the entry is."""
    read = Workspace(workspace.cwd, workspace.max_file_size)
    listed = []
    unreadable = []
    parsed = _parsed_files(target)
    for number, (reader, path, display) in enumerate((*parsed, *_budget_files(target))):
        absolute = os.path.abspath(path)
        try:
            source = read.load(path, display)
        except InputError as exc:
            listed.append((reader, absolute, display, str(exc)))
            if number < len(parsed):
                unreadable.append(absolute)
        else:
            listed.append((reader, absolute, display, cache.known_file(absolute, source.data, source.identity)))
    return cache.key("check", options, rules, listed), read, unreadable


def _budget_files(target: Target) -> list[tuple[str, Path, str]]:
    """Files claimed only to learn the idle budget from (readers not parsed)."""
    if target.parsed is None:
        return []
    return [(name, path, display) for name, files in target.files.items() if name not in target.parsed for path, display in files]


def _load_errors(unreadable: list[str], workspace: Workspace) -> list[InputError]:
    """The errors ``check`` lists for the files of parsed readers at the absolute paths
    ``unreadable`` (in the target's order), as ``workspace`` holds them."""
    errors = []
    for path in unreadable:
        entry = workspace.entry(Path(path))
        if isinstance(entry, InputError):
            errors.append(entry)
    return errors


def _key(path: Path) -> Path:
    return absolute(path)  # a file the workspace read: its own path (workspace.absolute)


def _groups(layer: ModuleType, here: list[Path], earlier: list[ReaderGroup] | None, changed: set[Path]) -> list[ReaderGroup]:
    """The reader's groups for its files at the absolute paths ``here`` (``_key`` of each
    source's path, in order): the earlier check's (those that read a changed file, or whose
    files are not all here now, to be built again), new files in groups of the reader's
    ``group_key`` (default: one group for all)."""
    present = set(here)
    groups: list[ReaderGroup] = []
    placed: set[Path] = set()
    for group in earlier or ():
        members = [path for path in group.sources if path in present]
        placed.update(members)
        if not members:
            continue
        if members != group.sources or group.reads & changed:
            groups.append(ReaderGroup(members))
        else:
            groups.append(group)
    group_key = getattr(layer, "group_key", lambda path: None)
    by_key: dict[object, ReaderGroup] = {}
    for path in here:
        if path in placed:
            continue
        key = group_key(path)
        if key not in by_key:
            by_key[key] = ReaderGroup([])
            groups.append(by_key[key])
        by_key[key].sources.append(path)
    return groups


@dataclass(eq=False)
class ReaderBuild:
    """What building any group of one reader's files needs: the reader (a ``pgconf_fix.layers``
    module), its files by absolute path (in the target's order), the rules and options, the
    workspace, the result cache with the key of this check's other inputs (``Cache.base``), and
    how many processes may build (``--jobs``)."""

    layer: ModuleType
    sources: dict[Path, SourceFile]
    rules: list[Rule]
    options: Options
    workspace: Workspace
    cache: Cache | None = None
    base: str = ""
    jobs: int = 1

    def members(self, group: ReaderGroup) -> list[SourceFile]:
        """The group's files, as the workspace holds them."""
        return [self.sources[path] for path in group.sources]


def _settle(groups: list[ReaderGroup], reader: ReaderBuild, memo: CheckMemo) -> list[ReaderGroup]:
    """Build the groups not built yet; join groups that read a common file and build the joined
    group again, until no two groups share a read. Returns them in the target's order."""
    order = {path: index for index, path in enumerate(reader.sources)}
    layer, workspace = reader.layer, reader.workspace
    groups = _join_linked(groups, reader, order)
    while True:
        unbuilt = []
        for group in groups:
            if not group.built and not _recalled(group, layer, reader.members(group), workspace, memo):
                unbuilt.append(group)
        _build_groups(unbuilt, reader)
        memo.parsed += sum(len(group.sources) for group in unbuilt)
        for group in unbuilt:
            _remember(group, layer, reader.members(group), workspace, memo)
        groups, joined = _components(groups, list(range(len(groups))), _reads, order)
        if not joined:
            return sorted(groups, key=lambda group: order[group.sources[0]])


def _join_linked(groups: list[ReaderGroup], reader: ReaderBuild, order: dict[Path, int]) -> list[ReaderGroup]:
    """The groups not built yet joined where the reader's ``linked`` hook (optional) says their
    builds read a common place (a Terraform directory and the local modules it calls), before
    any is built: the reads would join them after their first build, and each was built on its
    own first (a chain of module calls n deep: n builds of 1 to n modules, then the joined one).
    Built groups are left as they are; joins the hook does not foresee still come from reads."""
    linked = getattr(reader.layer, "linked", None)
    unbuilt = [index for index, group in enumerate(groups) if not group.built]
    if linked is None or len(unbuilt) < 2:
        return groups

    def places(group: ReaderGroup) -> list[Hashable]:
        return [place for source in reader.members(group) for place in linked(source)]

    components, _ = _components(groups, unbuilt, places, order)
    return [group for group in groups if group.built] + components


def _reads(group: ReaderGroup) -> Iterable[Hashable]:
    return group.reads


def _components(
    groups: list[ReaderGroup],
    indices: list[int],
    places: Callable[[ReaderGroup], Iterable[Hashable]],
    order: dict[Path, int],
) -> tuple[list[ReaderGroup], bool]:
    """The groups at ``indices`` (positions in ``groups``) joined where two share a place
    (``places(group)``: the files it read, or where the reader's ``linked`` hook says it
    reaches), each component in the order of its first member, a joined group's sources in the
    target's ``order``; and whether any two were joined."""
    parent = {index: index for index in indices}

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    owner: dict[Hashable, int] = {}
    joined = False
    for index in indices:
        for place in places(groups[index]):
            other = root(owner.setdefault(place, index))
            if other != root(index):
                parent[root(index)] = other
                joined = True
    components: dict[int, list[ReaderGroup]] = {}
    for index in indices:
        components.setdefault(root(index), []).append(groups[index])
    return [
        members[0]
        if len(members) == 1
        else ReaderGroup(sorted((path for member in members for path in member.sources), key=order.__getitem__))
        for members in components.values()
    ], joined


def _built_key(layer: ModuleType, sources: list[SourceFile]) -> tuple:
    return (layer.NAME, tuple((str(source.path), source.display, source.text) for source in sources))


def _text_or_none(workspace: Workspace, path: Path) -> str | None:
    try:
        return workspace.load(path).text
    except InputError:
        return None


def _recalled(group: ReaderGroup, layer: ModuleType, sources: list[SourceFile], workspace: Workspace, memo: CheckMemo) -> bool:
    """Give ``group`` what an earlier build of the same texts gave (CheckMemo.built), when
    every file that build read still has the text it had; False when there is none."""
    if not sources:
        return False
    entry = memo.built.get(_built_key(layer, sources))
    if entry is None:
        return False
    findings, scope, texts = entry
    if any(_text_or_none(workspace, path) != text for path, text in texts.items()):
        return False
    group.findings, group.scope, group.reads, group.built = list(findings), set(scope), set(texts), True
    return True


def _remember(group: ReaderGroup, layer: ModuleType, sources: list[SourceFile], workspace: Workspace, memo: CheckMemo) -> None:
    if sources:
        texts = {path: _text_or_none(workspace, path) for path in group.reads}
        memo.built[_built_key(layer, sources)] = (list(group.findings), set(group.scope), texts)


def _build(group: ReaderGroup, reader: ReaderBuild) -> None:
    """Build the group's views, run the rules, note what it read (or recall all three from the
    reader's ``cache``, when its inputs are unchanged)."""
    layer, workspace, cache, base = reader.layer, reader.workspace, reader.cache, reader.base
    sources = reader.members(group)
    reads: set[Path] = set(group.sources)  # the members' absolute paths: reader.sources is keyed by them
    key = cache.group_key(base, layer.NAME, sources) if cache is not None and sources else ""
    if key:
        cached = cache.load_group(key, workspace)
        if cached is not None:
            group.findings, group.scope, recalled = cached
            group.reads = reads | recalled
            group.built = True
            return
    # The rule engine and the views are loaded when a group is built: a run the cache answers
    # needs neither (issue 18: a second run costs about the walk).
    from pgconf_fix.engine import run_rules
    from pgconf_fix.views.base import Built

    mark = workspace.mark()
    before = workspace.tracking(reads)
    try:
        built = layer.build_views(workspace, sources, reader.options) if sources else Built()
        group.findings = run_rules(built.views, reader.rules, reader.options, built.files)
        group.scope = _scope(built.views, workspace) | {parsed.source.path for parsed in built.files}
    finally:
        workspace.tracking(before)
    group.reads = reads
    group.built = True
    if key:
        cache.store_group(key, workspace, mark, group.findings, group.scope, reads)
    if any(finding.fix is not None for finding in group.findings):
        # The verifiers will judge these fixes against their files as read: let them read the
        # files now, while what the build parsed of them is at hand (pgconf_fix.verify).
        from pgconf_fix.verify import note_originals

        note_originals([edit.source for finding in group.findings if finding.fix is not None for edit in finding.fix.edits])


def _build_groups(groups: list[ReaderGroup], reader: ReaderBuild) -> None:
    """``_build`` each group, in order: in this process, or, when ``jobs`` allow and the work
    pays (``jobs.processes``), in forked workers, each building a run of consecutive groups
    as ``_build`` would here, with the results merged here in order (``_merge_part``).

    The work is the bytes of the groups' files, plus ``jobs.UNIT_BYTES`` a group; with a
    cache, a group that has an entry is not counted (it is most likely a hit)."""
    layer, cache = reader.layer, reader.cache
    weights = []
    for group in groups:
        members = reader.members(group)
        if cache is not None and members and cache.has(cache.group_key(reader.base, layer.NAME, members)):
            weights.append(0)
        else:
            weights.append(jobs_module.UNIT_BYTES + sum(len(source.data) for source in members))
    count = jobs_module.processes(
        reader.jobs, sum(1 for weight in weights if weight), sum(weights), jobs_module.BUILD_THRESHOLD, f"{layer.NAME} groups"
    )
    if count == 1:
        for group in groups:
            _build(group, reader)
        return
    parts = jobs_module.chunks([weight or 1 for weight in weights], count * jobs_module.CHUNKS_PER_PROCESS)
    results = jobs_module.map_forked(_build_part, parts, count, (groups, reader), f"checking {layer.NAME} files")
    for part, result in zip(parts, results):
        _merge_part(result, [groups[index] for index in part], reader.workspace, cache)


@lru_cache(maxsize=1)
def _pickling() -> tuple[type, type]:
    """(pickler, unpickler) of a forked build's results, made when one first needs them: a run in
    one process never imports pickle (3-4 ms of a one-file run, issue 18).

    The pickler writes each file the workspace holds as a reference to it (its absolute path),
    so that the parent's findings point at the parent's own SourceFile, as they would in one
    process; other texts (a document made from part of a file) go whole. The unpickler takes
    such a reference back to the parent's SourceFile (UnpicklingError for a file it has not
    read)."""
    import pickle

    class Pickler(pickle.Pickler):
        def __init__(self, stream: io.BytesIO, workspace: Workspace) -> None:
            super().__init__(stream, protocol=pickle.HIGHEST_PROTOCOL)
            self.workspace = workspace

        def persistent_id(self, obj: object) -> str | None:
            if type(obj) is SourceFile:
                key = _key(obj.path)
                if self.workspace.entry(key) is obj:
                    return str(key)
            return None

    class Unpickler(pickle.Unpickler):
        def __init__(self, stream: io.BytesIO, workspace: Workspace) -> None:
            super().__init__(stream)
            self.workspace = workspace

        def persistent_load(self, pid: str) -> SourceFile:
            entry = self.workspace.entry(Path(pid))
            if not isinstance(entry, SourceFile):
                raise pickle.UnpicklingError(f"a worker's finding points at {pid}, which this process has not read")
            return entry

    return Pickler, Unpickler


def _build_part(part: list[int]) -> tuple[bytes, bytes]:
    """In a worker: ``_build`` the groups at ``part`` (indices) of the forked state; returns
    (the workspace entries read meanwhile, pickled; the groups' findings, scope and reads and
    what the cache noted, pickled with ``_pickling``'s pickler)."""
    import pickle

    groups, reader = jobs_module.context()
    workspace, cache = reader.workspace, reader.cache
    mark = workspace.mark()
    if cache is not None:
        noted = (len(cache.record.files), len(cache.record.directories))
        counted = (cache.statistics.hits, cache.statistics.misses, cache.statistics.stores)
    built = []
    for index in part:
        group = groups[index]
        _build(group, reader)
        built.append((group.findings, group.scope, group.reads))
    noted_since = None
    if cache is not None:
        statistics = cache.statistics
        noted_since = (
            list(cache.record.files)[noted[0]:], list(cache.record.directories)[noted[1]:],
            (statistics.hits - counted[0], statistics.misses - counted[1], statistics.stores - counted[2]),
            cache.writable, cache.warning,
        )
    stream = io.BytesIO()
    _pickling()[0](stream, workspace).dump((built, noted_since))
    return pickle.dumps(workspace.loaded()[mark:], protocol=pickle.HIGHEST_PROTOCOL), stream.getvalue()


def _merge_part(result: tuple[bytes, bytes], groups: list[ReaderGroup], workspace: Workspace, cache: Cache | None) -> None:
    """Take a worker's ``_build_part`` result as if the groups had been built here: the files it
    read join the workspace in its reading order, each group gets its findings, scope and
    reads, the cache's record and counts what the worker's cache noted."""
    import pickle

    loads, rest = result
    workspace.seed(pickle.loads(loads))
    built, noted = _pickling()[1](io.BytesIO(rest), workspace).load()
    for group, (findings, scope, reads) in zip(groups, built):
        group.findings, group.scope, group.reads, group.built = findings, scope, reads, True
    if cache is not None and noted is not None:
        files, directories, (hits, misses, stores), writable, warning = noted
        for path in files:
            cache.record.files.setdefault(path, None)
        for path in directories:
            cache.record.directories.setdefault(path, None)
        cache.statistics.hits += hits
        cache.statistics.misses += misses
        cache.statistics.stores += stores
        if not writable:
            cache.writable = False
            cache.warning = cache.warning or warning


def _vet(findings: list[Finding], vet_fixes, jobs: int) -> list[Finding]:  # noqa: ANN001
    """``vet_fixes(findings)``: in this process, or, when ``jobs`` allow and the work pays
    (``jobs.processes``: the bytes of the files with fixes, plus ``jobs.UNIT_BYTES`` a file),
    in forked workers, each vetting the fixes of a run of files (all of a file's fixes
    together, as ``vet_fixes`` tries them), merged in the findings' order."""
    by_file: dict[Path, list[int]] = {}
    for index, finding in enumerate(findings):
        if finding.fix is not None and finding.fix.edits:
            by_file.setdefault(finding.fix.edits[0].source.path, []).append(index)
    units = list(by_file.values())
    weights = [jobs_module.UNIT_BYTES + len(findings[unit[0]].fix.edits[0].source.data) for unit in units]  # type: ignore[union-attr]
    count = jobs_module.processes(jobs, len(units), sum(weights), jobs_module.VET_THRESHOLD, "files with fixes to vet")
    if count == 1:
        return vet_fixes(findings)
    parts = [
        sorted(index for unit in part for index in units[unit])
        for part in jobs_module.chunks(weights, count * jobs_module.CHUNKS_PER_PROCESS)
    ]
    from pgconf_fix.verify import note_verdicts

    results = jobs_module.map_forked(_vet_part, parts, count, (findings, vet_fixes), "vetting fixes")
    vetted = list(findings)
    for refused, verdicts in results:
        note_verdicts(verdicts)  # the next check's vetting (a re-check) recalls them, as in one process
        for index, message in refused:
            vetted[index] = replace(findings[index], fix=None, message=message)
    return vetted


def _vet_part(indices: list[int]) -> tuple[list[tuple[int, str]], list]:
    """In a worker: ``vet_fixes`` of the findings at ``indices``; returns (index, message) of
    each finding whose fix was refused, and the verifiers' verdicts noted meanwhile."""
    from pgconf_fix.verify import verdicts_mark, verdicts_since

    findings, vet_fixes = jobs_module.context()
    chosen = [findings[index] for index in indices]
    mark = verdicts_mark()
    refused = [
        (index, after.message) for index, before, after in zip(indices, chosen, vet_fixes(chosen)) if after is not before
    ]
    return refused, verdicts_since(mark)


def _vetted(findings: list[Finding], cache: Cache | None, vet_fixes) -> list[Finding]:  # noqa: ANN001
    """``vet_fixes(findings)``, recalled from the cache when the same findings (fixes and the
    bytes of their files included) were vetted before."""
    if cache is None:
        return vet_fixes(findings)
    from pgconf_fix.cache import CacheMiss, findings_digest  # a run without the cache never loads it

    key = cache.key("vet", findings_digest(findings))
    try:
        refused = cache.recall(key)
        return _refuse(findings, refused)
    except (CacheMiss, TypeError, ValueError, IndexError):
        pass
    vetted = vet_fixes(findings)
    refused = [[index, after.message] for index, (before, after) in enumerate(zip(findings, vetted)) if after is not before]
    cache.remember(key, refused, pure=True)  # a function of the findings and their files' bytes
    return vetted


def _refuse(findings: list[Finding], refused: list) -> list[Finding]:
    vetted = list(findings)
    for index, message in refused:
        if not isinstance(message, str):
            raise TypeError(message)
        vetted[index] = replace(findings[index], fix=None, message=message)
    return vetted


def with_learned_budget(options: Options, target: Target, workspace: Workspace) -> Options:
    """``options`` with the idle budgets learned from the target's files (pgconf_fix.budget),
    unless one was given; the files the sources read are forgotten again, so each reader
    still reads (and reports) its own in order. Those the check's readers parse are held
    back (``Workspace.forget_since``): a reader takes them without reading them again."""
    if options.budget is not None:
        return options
    mark = workspace.mark()
    learned = learn(workspace, target.files)
    workspace.forget_since(mark, hold=(path for _, path, _ in _parsed_files(target)))
    return replace(options, learned_budgets=learned)


def _scope(views: list[SettingsView], workspace: Workspace) -> set[Path]:
    """Paths of the files some view judges (their suppressions are checked for use; so are
    those of the files a reader judged as a whole, ``Built.files``)."""
    from pgconf_fix.views.base import SettingsView

    # A view that keeps the base in_scope judges exactly its scope set: no need to ask it file by file.
    paths: set[Path] = set()
    asked = []
    for view in views:
        if type(view).in_scope is SettingsView.in_scope:
            paths.update(view.scope)
        else:
            asked.append(view)
    if asked:
        paths.update(
            entry.path
            for _, entry in workspace.loaded()
            if isinstance(entry, SourceFile) and any(view.in_scope(entry) for view in asked)
        )
    return paths


def _suppress(
    findings: list[Finding], checked: list[SourceFile], rules: list[Rule], options: Options
) -> tuple[list[Finding], list[Finding]]:
    enabled = {rule.code for rule in rules if options.enabled(rule)}
    unused_rule = next((rule for rule in rules if rule.code == "PGF002"), None)

    def unused(suppression: suppression_module.Suppression, code: str) -> Finding | None:
        if unused_rule is None or "PGF002" not in enabled:
            return None
        message = f"the suppression of {code} suppresses nothing: {code} has no finding {suppression.reach()}"
        return make_finding(unused_rule, suppression_module.location(suppression), message)

    invalid_rule = next((rule for rule in rules if rule.code == "PGF003"), None)

    def invalid(suppression: suppression_module.Suppression, message: str) -> Finding | None:
        if invalid_rule is None or "PGF003" not in enabled:
            return None
        return make_finding(invalid_rule, suppression_module.location(suppression), message)

    kept, suppressed = suppression_module.apply(
        findings, checked, enabled, unused, options.per_file_ignores, options.config_dir,
        known_codes={rule.code for rule in rules}, invalid_finding=invalid,
    )
    return sorted(kept, key=Finding.sort_key), suppressed

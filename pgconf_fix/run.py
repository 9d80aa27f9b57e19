"""One check of a set of paths: discover, parse, build views, run the rules."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType

from pgconf_fix import suppression as suppression_module
from pgconf_fix.budget import learn
from pgconf_fix.cache import Cache, CacheMiss, findings_digest
from pgconf_fix.catalog import Rule
from pgconf_fix.discovery import discover, unread_reason
from pgconf_fix.engine import duplicate_key, run_rules
from pgconf_fix.findings import Finding, make_finding
from pgconf_fix.layers import layer_modules
from pgconf_fix.options import Options
from pgconf_fix.progress import Progress
from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.views.base import Built, SettingsView
from pgconf_fix.workspace import Workspace


@dataclass
class CheckResult:
    findings: list[Finding]
    errors: list[InputError] = field(default_factory=list)
    # Findings an inline comment or per-file-ignores silenced: fixes must leave them alone.
    suppressed: list[Finding] = field(default_factory=list)


@dataclass
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


def find_targets(paths: list[str], options: Options, cwd: Path, stdin: SourceFile | None = None) -> Target:
    layers = layer_modules()
    claimed, parsed = readers_needed(options)
    everything = frozenset(layer.NAME for layer in layers)
    wanted = None if claimed == everything else claimed
    given = [p for p in paths if p != "-"]
    found = discover(given, layers, cwd, options.exclude, options.config_dir, options.force_exclude, wanted=wanted)
    if wanted is not None and not any(found.files.values()):
        # Nothing for the selected rules: whether any reader reads a file here decides the
        # "no file ... pgconf-fix reads" warning, as without the selection (files of readers
        # not needed are still not parsed).
        found = discover(given, layers, cwd, options.exclude, options.config_dir, options.force_exclude)
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


@dataclass
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


@dataclass
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


def check(
    target: Target,
    rules: list[Rule],
    options: Options,
    workspace: Workspace,
    memo: CheckMemo | None = None,
    changed: frozenset[Path] | set[Path] = frozenset(),
    cache: Cache | None = None,
) -> CheckResult:
    """Read each reader's files, build its views and run the rules over them, reader by reader
    (the order of ``pgconf_fix.layers.LAYER_MODULES``), in this process, against the idle
    budget given or learned from the target's files.

    A reader's files are built in groups (its ``group_key``, joined while groups read a common
    file); given the ``memo`` of an earlier check of this target and the absolute paths whose
    text ``changed`` since, only the groups that read a changed file are built again, the others
    keep their findings (all are built again when the learned idle budget changed). The
    workspace must then hold the earlier check's unchanged files (``Workspace.seed``).

    With a ``cache`` (pgconf_fix.cache), a group whose files and other inputs are unchanged
    since a stored run gives that run's findings without building views, and the verifiers'
    verdict on the fixes is recalled the same way.

    One process: on the 2-core machines this runs on, splitting the readers between processes
    measured no faster in wall time (benchmarks/README.md, "Parallel checking").
    """
    memo = memo if memo is not None else CheckMemo()
    given = workspace.loaded()  # standard input, and texts held in place of files
    if cache is not None:
        cache.new_check(given)
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
        groups = _groups(layer, sources, memo.groups.get(layer.NAME), set(changed))
        groups = _settle(
            groups, layer, {_key(source.path): source for source in sources}, rules, options, workspace, memo, cache, base
        )
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
        from pgconf_fix.verify import vet_fixes  # the consumers' parsers, loaded only when a fix is offered

        findings = _vetted(findings, cache, vet_fixes)  # a fix its file's consumer would refuse is not offered
    return CheckResult(findings=findings, errors=errors, suppressed=suppressed)


def _key(path: Path) -> Path:
    return Path(os.path.abspath(path))


def _groups(layer: ModuleType, sources: list[SourceFile], earlier: list[ReaderGroup] | None, changed: set[Path]) -> list[ReaderGroup]:
    """The reader's groups for ``sources``: the earlier check's (those that read a changed file,
    or whose files are not all here now, to be built again), new files in groups of the
    reader's ``group_key`` (default: one group for all)."""
    here = [_key(source.path) for source in sources]
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


def _settle(
    groups: list[ReaderGroup],
    layer: ModuleType,
    sources: dict[Path, SourceFile],
    rules: list[Rule],
    options: Options,
    workspace: Workspace,
    memo: CheckMemo,
    cache: Cache | None = None,
    base: str = "",
) -> list[ReaderGroup]:
    """Build the groups not built yet; join groups that read a common file and build the joined
    group again, until no two groups share a read. Returns them in the target's order."""
    order = {path: index for index, path in enumerate(sources)}
    while True:
        for group in groups:
            if not group.built:
                members = [sources[path] for path in group.sources]
                if not _recalled(group, layer, members, workspace, memo):
                    _build(group, layer, members, rules, options, workspace, cache, base)
                    memo.parsed += len(group.sources)
                    _remember(group, layer, members, workspace, memo)
        parent = list(range(len(groups)))

        def root(index: int) -> int:
            while parent[index] != index:
                parent[index] = parent[parent[index]]
                index = parent[index]
            return index

        owner: dict[Path, int] = {}
        joined = False
        for index, group in enumerate(groups):
            for path in group.reads:
                other = owner.setdefault(path, index)
                if root(other) != root(index):
                    parent[root(index)] = root(other)
                    joined = True
        if not joined:
            return sorted(groups, key=lambda group: order[group.sources[0]])
        components: dict[int, list[ReaderGroup]] = {}
        for index, group in enumerate(groups):
            components.setdefault(root(index), []).append(group)
        groups = [
            members[0]
            if len(members) == 1
            else ReaderGroup(sorted((path for member in members for path in member.sources), key=order.__getitem__))
            for members in components.values()
        ]


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


def _build(
    group: ReaderGroup,
    layer: ModuleType,
    sources: list[SourceFile],
    rules: list[Rule],
    options: Options,
    workspace: Workspace,
    cache: Cache | None = None,
    base: str = "",
) -> None:
    """Build the group's views, run the rules, note what it read (or recall all three from the
    ``cache``, when its inputs are unchanged)."""
    reads: set[Path] = {_key(source.path) for source in sources}
    key = cache.group_key(base, layer.NAME, sources) if cache is not None and sources else ""
    if key:
        cached = cache.load_group(key, workspace)
        if cached is not None:
            group.findings, group.scope, recalled = cached
            group.reads = reads | recalled
            group.built = True
            return
    mark = workspace.mark()
    before = workspace.tracking(reads)
    try:
        built = layer.build_views(workspace, sources, options) if sources else Built()
        group.findings = run_rules(built.views, rules, options, built.files)
        group.scope = _scope(built.views, workspace) | {parsed.source.path for parsed in built.files}
    finally:
        workspace.tracking(before)
    group.reads = reads
    group.built = True
    if key:
        cache.store_group(key, workspace, mark, group.findings, group.scope, reads)


def _vetted(findings: list[Finding], cache: Cache | None, vet_fixes) -> list[Finding]:  # noqa: ANN001
    """``vet_fixes(findings)``, recalled from the cache when the same findings (fixes and the
    bytes of their files included) were vetted before."""
    if cache is None:
        return vet_fixes(findings)
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
    still reads (and reports) its own in order."""
    if options.budget is not None:
        return options
    mark = workspace.mark()
    learned = learn(workspace, target.files)
    workspace.forget_since(mark)
    return replace(options, learned_budgets=learned)


def _scope(views: list[SettingsView], workspace: Workspace) -> set[Path]:
    """Paths of the files some view judges (their suppressions are checked for use; so are
    those of the files a reader judged as a whole, ``Built.files``)."""
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

"""One check of a set of paths: discover, parse, build views, run the rules."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from pgconf_fix.catalog import Rule
from pgconf_fix.discovery import discover, unread_reason
from pgconf_fix import suppression as suppression_module
from pgconf_fix.engine import make_finding, run_rules
from pgconf_fix.findings import Finding
from pgconf_fix.layers import layer_modules
from pgconf_fix.options import Options
from pgconf_fix.progress import Progress
from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.views.base import SettingsView
from pgconf_fix.workspace import Workspace

# A large check is split into shares (a layer's files, or part of them) and the shares into
# two halves of about equal estimated cost: one checked here, one in a forked child. The
# estimates (milliseconds: per file, and once per process for the layer's parser import)
# come from profiling the benchmark trees; they only balance the halves, never change a result.
# Layers whose files depend on each other (include trees, sysctl.d order) stay in one share;
# Terraform splits between directories (a directory is one module), the others between files.
SHARE_COSTS: dict[str, tuple[float, float]] = {
    "server": (1.0, 15.0),
    "kernel": (0.2, 2.0),
    "python": (2.2, 350.0),
    "sql": (0.2, 60.0),
    "network": (0.4, 10.0),
    "client": (0.4, 5.0),
}
UNKNOWN_COST = (1.0, 10.0)  # a layer not profiled yet
SPLIT_BY = {"python": "file", "sql": "file", "client": "file", "network": "directory"}
# Fork only when the child's half is estimated at this many milliseconds: below, the fork,
# the pickled results and a second parser import cost more than they save.
FORK_MIN_MS = 50.0
PIECES = 4  # parts a splittable layer is cut into, for the halves to come out even


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


def find_targets(paths: list[str], options: Options, cwd: Path, stdin: SourceFile | None = None) -> Target:
    layers = layer_modules()
    found = discover(
        [p for p in paths if p != "-"], layers, cwd, options.exclude, options.config_dir, options.force_exclude
    )
    if stdin is not None:
        for layer in layers:
            if layer.claim(stdin.path, lambda: stdin.data[:65536]):
                found.files.setdefault(layer.NAME, []).append((stdin.path, stdin.display))
                break
        else:
            found.unread.append((stdin.display, unread_reason(stdin.path.name)))
    return Target(files=found.files, errors=list(found.errors), unread=list(found.unread))


def check(target: Target, rules: list[Rule], options: Options, workspace: Workspace) -> CheckResult:
    layers = layer_modules()
    options = with_learned_budget(options, target, workspace)
    before_layers = workspace.mark()
    progress = Progress(sum(len(entries) for entries in target.files.values()))
    shares = plan_shares(layers, target)
    mine, theirs = halves(shares)
    forked = _fork(theirs, shares, rules, options, workspace) if theirs else None
    results: dict[int, _LayerResult] = {}
    for index in (mine if forked is not None else range(len(shares))):
        results[index] = _check_share(shares[index], rules, options, workspace, progress)
    if forked is not None:
        done = forked.collect()
        if done is None:  # the worker failed: do its share here, where an error shows as it would
            done = {index: _check_share(shares[index], rules, options, workspace, progress) for index in theirs}
        else:
            progress.advance(sum(len(shares[index].files) for index in theirs))
        results.update(done)
    progress.close()
    ordered = [results[index] for index in range(len(shares))]
    # The same files, findings and errors, in the order one process checking layer by layer gives.
    workspace.restore(before_layers, [entry for result in ordered for entry in result.loaded])
    errors = list(target.errors) + [error for result in ordered for error in result.errors]
    first: dict[tuple, Finding] = {}
    for result in ordered:
        for finding in result.findings:
            first.setdefault(_finding_key(finding), finding)
    findings = sorted(first.values(), key=Finding.sort_key)
    scope = set().union(*(result.scope for result in ordered))
    checked = [source for source in workspace.sources() if source.path in scope]
    findings, suppressed = _suppress(findings, checked, rules, options)
    from pgconf_fix.verify import vet_fixes

    findings = vet_fixes(findings)  # a fix its file's consumer would refuse is not offered
    return CheckResult(findings=findings, errors=errors, suppressed=suppressed)


def with_learned_budget(options: Options, target: Target, workspace: Workspace) -> Options:
    """``options`` with the idle budgets learned from the target's files (pgconf_fix.budget),
    unless one was given; the files the sources read are forgotten again, so each layer
    still reads (and reports) its own in order."""
    if options.budget is not None:
        return options
    from dataclasses import replace

    from pgconf_fix.budget import learn

    mark = workspace.mark()
    learned = learn(workspace, target.files)
    workspace.restore(mark, [])
    return replace(options, learned_budgets=learned)


@dataclass
class Share:
    """Files of one layer checked together: all of the layer's, or a part that depends on no other."""

    layer: ModuleType
    files: list[tuple[Path, str]]

    @property
    def cost(self) -> float:
        return SHARE_COSTS.get(self.layer.NAME, UNKNOWN_COST)[0] * len(self.files)

    @property
    def import_cost(self) -> float:
        return SHARE_COSTS.get(self.layer.NAME, UNKNOWN_COST)[1]


def plan_shares(layers: list[ModuleType], target: Target) -> list[Share]:
    """Every layer's files as shares, in layer order and, within a layer, in file order."""
    shares = []
    for layer in layers:
        files = target.files.get(layer.NAME, [])
        if not files:
            continue
        how = SPLIT_BY.get(layer.NAME)
        pieces = PIECES if how is not None and len(files) >= 2 * PIECES else 1
        size = -(-len(files) // pieces)
        # A cut may fall before file i only if no directory has files on both sides of it
        # (a directory's .tf files are one module); for other layers every cut is fine.
        reach = _directory_reach(files) if how == "directory" else None
        start = 0
        while start < len(files):
            end = min(start + size, len(files))
            while reach is not None and end < len(files) and reach[end - 1] >= end:
                end += 1
            shares.append(Share(layer, files[start:end]))
            start = end
    return shares


def _directory_reach(files: list[tuple[Path, str]]) -> list[int]:
    """For each file, the last index any directory seen up to it still has a file at."""
    parents = [path.parent for path, _ in files]
    last = {parent: index for index, parent in enumerate(parents)}
    reach = []
    furthest = -1
    for parent in parents:
        furthest = max(furthest, last[parent])
        reach.append(furthest)
    return reach


def halves(shares: list[Share]) -> tuple[list[int], list[int]]:
    """Share indices for this process and for a forked child (empty: no child), the child's
    half worth at least FORK_MIN_MS. A layer's parser import counts once in each process
    that checks some of its files, so the best split may keep a layer whole: every way of
    giving whole layers to one side or the other is tried, and a greedy split of the shares
    (largest first), and the one that finishes first wins."""
    everything = list(range(len(shares)))
    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2 or len(shares) < 2:
        return everything, []
    names = list(dict.fromkeys(share.layer.NAME for share in shares))
    candidates = [_greedy_sides(shares)]
    for mask in range(1, 2 ** len(names) - 1):
        candidates.append([(mask >> names.index(share.layer.NAME)) & 1 for share in shares])
    loads, sides = min((_loads(shares, sides), sides) for sides in candidates)
    mine = [index for index in everything if sides[index] == 0]
    theirs = [index for index in everything if sides[index] == 1]
    if not theirs or not mine or min(loads[1], loads[2]) < FORK_MIN_MS:
        return everything, []
    return mine, theirs


class _Side:
    """One process's estimated load: its shares, plus each layer's import once."""

    def __init__(self) -> None:
        self.load = 0.0
        self.imported: set[str] = set()

    def after(self, share: Share) -> float:
        return self.load + share.cost + (0.0 if share.layer.NAME in self.imported else share.import_cost)

    def add(self, share: Share) -> None:
        self.load = self.after(share)
        self.imported.add(share.layer.NAME)


def _loads(shares: list[Share], sides: list[int]) -> tuple[float, float, float]:
    """(the longer side, this side, the child's side) in estimated milliseconds."""
    both = (_Side(), _Side())
    for share, side in zip(shares, sides):
        both[side].add(share)
    return max(both[0].load, both[1].load), both[0].load, both[1].load


def _greedy_sides(shares: list[Share]) -> list[int]:
    """Largest share first, each to the side it leaves the lighter."""
    sides = [0] * len(shares)
    both = (_Side(), _Side())
    for index in sorted(range(len(shares)), key=lambda i: shares[i].cost + shares[i].import_cost, reverse=True):
        side = 0 if both[0].after(shares[index]) <= both[1].after(shares[index]) else 1
        both[side].add(shares[index])
        sides[index] = side
    return sides


@dataclass
class _LayerResult:
    findings: list[Finding]
    errors: list[InputError]
    loaded: list[tuple[Path, SourceFile | InputError]]  # what this layer read, in reading order
    scope: set[Path]  # paths some view of this layer judges


def _finding_key(finding: Finding) -> tuple:
    # run_rules keeps the first finding of a key across views; views come layer by layer.
    return (finding.code, str(finding.source.path), finding.location.start, finding.message)


def _check_share(
    share: Share, rules: list[Rule], options: Options, workspace: Workspace, progress: Progress | None
) -> _LayerResult:
    mark = workspace.mark()
    errors = []
    sources = []
    for path, display in share.files:
        try:
            sources.append(workspace.load(path, display))
        except InputError as exc:
            errors.append(exc)
        if progress is not None:
            progress.advance(layer=share.layer.NAME)
    views = share.layer.build_views(workspace, sources, options) if sources else []
    findings = run_rules(views, rules, options)
    loaded = workspace.loaded_since(mark)
    return _LayerResult(findings=findings, errors=errors, loaded=loaded, scope=_scope(views, workspace))


def _scope(views: list[SettingsView], workspace: Workspace) -> set[Path]:
    """Paths of the files some view judges (their suppressions are checked for use)."""
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


class _ForkedShares:
    """Shares checked in a forked child while this process checks the others."""

    def __init__(self, pid: int, reader: int) -> None:
        self.pid = pid
        self.reader = reader

    def collect(self) -> dict[int, _LayerResult] | None:
        import pickle

        with os.fdopen(self.reader, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        if status != 0 or not data:
            return None
        return pickle.loads(data)


def _fork(
    indices: list[int], shares: list[Share], rules: list[Rule], options: Options, workspace: Workspace
) -> _ForkedShares | None:
    import pickle

    reader, writer = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: check its shares, send the results, leave without cleanup handlers
        os.close(reader)
        code = 1
        try:
            results = {index: _check_share(shares[index], rules, options, workspace, None) for index in indices}
            payload = pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(payload)
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    return _ForkedShares(pid, reader)


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

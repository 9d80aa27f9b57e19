"""One check of a set of paths: discover, parse, build views, run the rules."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from pgconf_fix import suppression as suppression_module
from pgconf_fix.budget import learn
from pgconf_fix.catalog import Rule
from pgconf_fix.discovery import discover, unread_reason
from pgconf_fix.engine import duplicate_key, run_rules
from pgconf_fix.findings import Finding, make_finding
from pgconf_fix.layers import layer_modules
from pgconf_fix.options import Options
from pgconf_fix.progress import Progress
from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.views.base import SettingsView
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
    """Read each reader's files, build its views and run the rules over them, reader by reader
    (the order of ``pgconf_fix.layers.LAYER_MODULES``), in this process, against the idle
    budget given or learned from the target's files.

    One process: on the 2-core machines this runs on, splitting the readers between processes
    measured no faster in wall time (benchmarks/README.md, "Parallel checking").
    """
    options = with_learned_budget(options, target, workspace)
    progress = Progress(sum(len(entries) for entries in target.files.values()))
    errors = list(target.errors)
    first: dict[tuple, Finding] = {}
    scope: set[Path] = set()
    for layer in layer_modules():
        files = target.files.get(layer.NAME, [])
        if not files:
            continue
        sources = []
        for path, display in files:
            try:
                sources.append(workspace.load(path, display))
            except InputError as exc:
                errors.append(exc)
            progress.advance(layer=layer.NAME)
        views = layer.build_views(workspace, sources, options) if sources else []
        for finding in run_rules(views, rules, options):
            first.setdefault(duplicate_key(finding), finding)
        scope |= _scope(views, workspace)
    progress.close()
    findings = sorted(first.values(), key=Finding.sort_key)
    checked = [source for source in workspace.sources() if source.path in scope]
    findings, suppressed = _suppress(findings, checked, rules, options)
    if any(finding.fix is not None for finding in findings):
        from pgconf_fix.verify import vet_fixes  # the consumers' parsers, loaded only when a fix is offered

        findings = vet_fixes(findings)  # a fix its file's consumer would refuse is not offered
    return CheckResult(findings=findings, errors=errors, suppressed=suppressed)


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

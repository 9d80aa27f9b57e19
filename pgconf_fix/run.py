"""One check of a set of paths: discover, parse, build views, run the rules."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pgconf_fix.catalog import Rule
from pgconf_fix.discovery import discover
from pgconf_fix import suppression as suppression_module
from pgconf_fix.engine import make_finding, run_rules
from pgconf_fix.findings import Finding
from pgconf_fix.layers import layer_modules
from pgconf_fix.options import Options
from pgconf_fix.progress import Progress
from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.views.base import SettingsView
from pgconf_fix.workspace import Workspace

# Layers checked in a forked child while this process checks the others: libcst (Python) and
# pglast (SQL) cost the most to import and per file, and their files include no others. The
# split balances the generated benchmark trees (server trees and Terraform here, Python there).
# Fork once both shares have this many files; a pre-commit run on a few files stays in one process.
FORKED_LAYERS = ("python", "sql")
FORK_MIN_FILES = 10


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


def find_targets(paths: list[str], options: Options, cwd: Path, stdin: SourceFile | None = None) -> Target:
    layers = layer_modules()
    found = discover([p for p in paths if p != "-"], layers, cwd, options.exclude)
    if stdin is not None:
        for layer in layers:
            if layer.claim(stdin.path, lambda: stdin.data[:65536]):
                found.files.setdefault(layer.NAME, []).append((stdin.path, stdin.display))
                break
    return Target(files=found.files, errors=list(found.errors))


def check(target: Target, rules: list[Rule], options: Options, workspace: Workspace) -> CheckResult:
    layers = layer_modules()
    before_layers = workspace.mark()
    progress = Progress(sum(len(entries) for entries in target.files.values()))
    forked = _fork_layers(layers, target, rules, options, workspace)
    results: dict[str, _LayerResult] = {}
    for layer in layers:
        if forked is None or layer.NAME not in forked.names:
            results[layer.NAME] = _check_layer(layer, target, rules, options, workspace, progress)
    if forked is not None:
        done = forked.collect()
        if done is None:  # the worker failed: do its share here, where an error shows as it would
            done = {
                layer.NAME: _check_layer(layer, target, rules, options, workspace, progress)
                for layer in layers
                if layer.NAME in forked.names
            }
        else:
            progress.advance(sum(len(target.files.get(name, [])) for name in forked.names))
        results.update(done)
    progress.close()
    ordered = [results[layer.NAME] for layer in layers]
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
    return CheckResult(findings=findings, errors=errors, suppressed=suppressed)


@dataclass
class _LayerResult:
    findings: list[Finding]
    errors: list[InputError]
    loaded: list[tuple[Path, SourceFile | InputError]]  # what this layer read, in reading order
    scope: set[Path]  # paths some view of this layer judges


def _finding_key(finding: Finding) -> tuple:
    # run_rules keeps the first finding of a key across views; views come layer by layer.
    return (finding.code, str(finding.source.path), finding.location.start, finding.message)


def _check_layer(
    layer, target: Target, rules: list[Rule], options: Options, workspace: Workspace, progress: Progress | None  # noqa: ANN001
) -> _LayerResult:
    mark = workspace.mark()
    errors = []
    sources = []
    for path, display in target.files.get(layer.NAME, []):
        try:
            sources.append(workspace.load(path, display))
        except InputError as exc:
            errors.append(exc)
        if progress is not None:
            progress.advance()
    views = layer.build_views(workspace, sources, options) if sources else []
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


class _ForkedLayers:
    """Layers checked in a forked child while this process checks the others."""

    def __init__(self, names: set[str], pid: int, reader: int) -> None:
        self.names = names
        self.pid = pid
        self.reader = reader

    def collect(self) -> dict[str, _LayerResult] | None:
        import pickle

        with os.fdopen(self.reader, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        if status != 0 or not data:
            return None
        return pickle.loads(data)


def _fork_layers(
    layers: list, target: Target, rules: list[Rule], options: Options, workspace: Workspace  # noqa: ANN001
) -> _ForkedLayers | None:
    """Fork a child for FORKED_LAYERS when both it and this process have enough files to check."""
    names = {layer.NAME for layer in layers if layer.NAME in FORKED_LAYERS and target.files.get(layer.NAME)}
    heavy = sum(len(target.files.get(name, [])) for name in names)
    light = sum(len(entries) for name, entries in target.files.items() if name not in names)
    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2 or min(heavy, light) < FORK_MIN_FILES:
        return None
    import pickle

    reader, writer = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: check its layers, send the results, leave without cleanup handlers
        os.close(reader)
        code = 1
        try:
            results = {
                layer.NAME: _check_layer(layer, target, rules, options, workspace, None) for layer in layers if layer.NAME in names
            }
            payload = pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(payload)
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    return _ForkedLayers(names, pid, reader)


def _suppress(
    findings: list[Finding], checked: list[SourceFile], rules: list[Rule], options: Options
) -> tuple[list[Finding], list[Finding]]:
    enabled = {rule.code for rule in rules if options.enabled(rule)}
    unused_rule = next((rule for rule in rules if rule.code == "PGF002"), None)

    def unused(suppression: suppression_module.Suppression, code: str) -> Finding | None:
        if unused_rule is None or "PGF002" not in enabled:
            return None
        where = "in this file" if suppression.whole_file else "on this line or the next"
        message = f"the suppression of {code} suppresses nothing: {code} has no finding {where}"
        return make_finding(unused_rule, suppression_module.location(suppression), message)

    kept, suppressed = suppression_module.apply(findings, checked, enabled, unused, options.per_file_ignores)
    return sorted(kept, key=Finding.sort_key), suppressed

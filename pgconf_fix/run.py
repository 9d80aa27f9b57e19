"""One check of a set of paths: discover, parse, build views, run the rules."""

from __future__ import annotations

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
from pgconf_fix.workspace import Workspace


@dataclass
class CheckResult:
    findings: list[Finding]
    errors: list[InputError] = field(default_factory=list)


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
    errors = list(target.errors)
    views = []
    progress = Progress(sum(len(entries) for entries in target.files.values()))
    for layer in layer_modules():
        entries = target.files.get(layer.NAME, [])
        sources = []
        for path, display in entries:
            try:
                sources.append(workspace.load(path, display))
            except InputError as exc:
                errors.append(exc)
            progress.advance()
        if sources:
            views.extend(layer.build_views(workspace, sources, options))
    progress.close()
    findings = run_rules(views, rules, options)
    checked = [source for source in workspace.sources() if any(view.in_scope(source) for view in views)]
    findings = _suppress(findings, checked, rules, options)
    return CheckResult(findings=findings, errors=errors)


def _suppress(findings: list[Finding], checked: list[SourceFile], rules: list[Rule], options: Options) -> list[Finding]:
    enabled = {rule.code for rule in rules if options.enabled(rule)}
    unused_rule = next((rule for rule in rules if rule.code == "PGF002"), None)

    def unused(suppression: suppression_module.Suppression, code: str) -> Finding | None:
        if unused_rule is None or "PGF002" not in enabled:
            return None
        where = "in this file" if suppression.whole_file else "on this line or the next"
        message = f"the suppression of {code} suppresses nothing: {code} has no finding {where}"
        return make_finding(unused_rule, suppression_module.location(suppression), message)

    kept = suppression_module.apply(findings, checked, enabled, unused, options.per_file_ignores)
    return sorted(kept, key=Finding.sort_key)

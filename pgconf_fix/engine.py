"""Rules meet views: the data kinds are evaluated here, Python checks are looked up by name."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import replace

from pgconf_fix import guc_catalog
from pgconf_fix.catalog import Rule
from pgconf_fix.findings import SAFE, Finding, Fix, Location
from pgconf_fix.options import Options
from pgconf_fix.versions import PgVersion
from pgconf_fix.views.base import Assignment, SettingsView


def make_finding(rule: Rule, location: Location, message: str, fix: Fix | None = None) -> Finding:
    return Finding(
        code=rule.code,
        name=rule.name,
        severity=rule.severity,
        message=message,
        location=location,
        url=rule.url,
        fix=fix,
    )


def set_fix(view: SettingsView, setting: str, value: str, applicability: str = SAFE) -> Fix | None:
    edits = view.set_edits(setting, value)
    if not edits:
        return None
    return Fix(applicability=applicability, message=f"Set {setting} = {value}", edits=edits, expect=((setting, value),))


def _version_applies(rule: Rule, version: PgVersion | None) -> bool:
    """Whether a rule speaks to this version: ``min_version``/``max_version`` bounds, and
    ``requires_parameter`` (a parameter the version's catalog must have: tcp_user_timeout from
    12, idle_session_timeout from 14; with an unknown version the rule applies)."""
    needed = rule.check.get("requires_parameter")
    if needed is not None and guc_catalog.has_parameter(str(needed), version) is False:
        return False
    low = rule.check.get("min_version")
    high = rule.check.get("max_version")
    if low is None and high is None:
        return True
    if version is None:
        return False
    if low is not None and version < PgVersion.parse(str(low)):  # type: ignore[operator]
        return False
    if high is not None and version >= PgVersion.parse(str(high)):  # type: ignore[operator]
        return False
    return True


def _quantity(value: int, unit: str | None) -> str:
    return f"{value} {unit}" if unit else str(value)


def evaluate_threshold(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    check = rule.check
    setting = check["setting"]
    unit = check.get("unit")
    fix_value = (
        str(options.fix_target(rule, check["fix"], check.get("maximum"), check.get("minimum")))
        if "fix" in check
        else None
    )
    maximum = options.resolve(rule, check["maximum"]) if "maximum" in check else None
    minimum = options.resolve(rule, check["minimum"]) if "minimum" in check else None
    limit_name = check.get("maximum_name", "the maximum")
    limit_shown = None
    if check.get("maximum") == "idle_budget":
        budget = options.budget_for(keepalives=True)
        maximum = budget.seconds
        limit_name = "the idle budget"
        limit_shown = budget.describe()
        if fix_value is not None and fix_value.isdigit() and int(fix_value) > budget.seconds:
            fix_value = str(budget.seconds)  # the fix's own value must fit a short box too
    applicability = check.get("fix_applicability", SAFE)
    advice = f"; set it to {fix_value}" if fix_value is not None else ""

    def fixed() -> Fix | None:
        return set_fix(view, setting, fix_value, applicability) if fix_value is not None else None

    current = view.effective(setting)
    platform = view.platform_default(setting) if current is None else None
    if platform is not None:
        if view.judges(setting):
            yield from _judge_platform_default(rule, view, setting, platform, maximum, limit_name, limit_shown, advice, fixed)
        return
    if current is None:
        if not check.get("report_unset", True) or not view.judges(setting):
            return
        message = f"{setting} is not set: {check.get('unset_means', 'no value')}{view.describe_missing()}{advice}"
        yield make_finding(rule, view.missing_location(setting), message, fixed())
        return
    try:
        value = view.numeric(current, unit)
    except ValueError:
        return  # an unreadable value is PGF001's to report
    shown = f"{setting} = {current.raw_value}"
    # The value read, unless the text shows it (a unit, or a variable that holds it).
    plain = current.value.strip() == str(value) and current.value.strip() in current.raw_value
    exact = "" if plain else f" ({_quantity(value, unit)})"
    if value < 0 and "negative_means" in check:
        yield make_finding(rule, current.location, f"{shown} means {check['negative_means']}{advice}", fixed())
    elif value == 0 and "zero_means" in check:
        rounded = current.value.strip() not in ("0", "'0'") and _looks_nonzero(current.value)
        how = f"rounds to 0, which means {check['zero_means']}" if rounded else f"means {check['zero_means']}"
        yield make_finding(rule, current.location, f"{shown} {how}{advice}", fixed())
    elif maximum is not None and value > maximum:
        yield make_finding(
            rule,
            current.location,
            f"{shown}{exact} is above {limit_name} ({limit_shown or _quantity(maximum, unit)}){advice}",
            fixed(),
        )
    elif minimum is not None and value < minimum:
        yield make_finding(
            rule,
            current.location,
            f"{shown}{exact} is below the minimum ({_quantity(minimum, unit)}){advice}",
            fixed(),
        )


def _judge_platform_default(rule, view, setting, platform, maximum, limit_name, limit_shown, advice, fixed):  # noqa: ANN001, ANN202
    """An unset setting on a managed server: the platform's default applies, judged like a value."""
    value = int(platform.value)
    if maximum is not None and value > maximum:
        message = (
            f"{setting} is not set: {platform.who} of {platform.value} applies{view.describe_missing()}, "
            f"above {limit_name} ({limit_shown or maximum}){advice}"
        )
        yield make_finding(rule, view.missing_location(setting), message, fixed())


def _looks_nonzero(raw: str) -> bool:
    return any(char in "123456789" for char in raw)


def evaluate_presence(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    check = rule.check
    setting = check["setting"]
    current = view.effective(setting)
    kind = rule.kind
    fix_value = str(options.resolve(rule, check["fix"])) if "fix" in check else None
    fix = (
        set_fix(view, setting, fix_value, check.get("fix_applicability", SAFE)) if fix_value is not None else None
    )
    message = check.get("message", rule.summary)
    if kind == "required" and current is None and view.judges(setting):
        yield make_finding(rule, view.missing_location(setting), f"{setting} is not set: {message}", fix)
    elif kind == "absent" and current is not None:
        yield make_finding(rule, current.location, f"{setting} is set: {message}", None)
    elif kind == "forbidden" and current is not None:
        forbidden = [str(value) for value in check.get("values", ())]
        if current.value.strip() in forbidden:
            yield make_finding(rule, current.location, f"{setting} = {current.raw_value}: {message}", fix)


def evaluate_parse_errors(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    for problem in view.problems:
        finding = make_finding(rule, problem.location, problem.message)
        if problem.severity is not None:
            finding = replace(finding, severity=problem.severity)
        yield finding


_EVALUATORS = {
    "threshold": evaluate_threshold,
    "forbidden": evaluate_presence,
    "required": evaluate_presence,
    "absent": evaluate_presence,
    "parse-error": evaluate_parse_errors,
}


def _python_check(rule: Rule):  # noqa: ANN202 - a check function
    name = rule.check.get("function", "")
    module = importlib.import_module(f"pgconf_fix.checks.{name}")
    return module.check


def run_rules(views: Iterable[SettingsView], rules: Iterable[Rule], options: Options) -> list[Finding]:
    active = [rule for rule in rules if options.enabled(rule)]
    findings: dict[tuple, Finding] = {}
    for view in views:
        for rule in active:
            if rule.layer not in ("any", view.layer):
                continue
            if not _version_applies(rule, view.version):
                continue
            if rule.kind in ("suppression", "input-error"):
                continue  # applied over all findings afterwards (pgconf_fix.suppression); errors are not judged
            evaluator = _python_check(rule) if rule.kind == "python" else _EVALUATORS[rule.kind]
            for finding in evaluator(rule, view, options):
                if not view.in_scope(finding.source):
                    continue
                key = (finding.code, str(finding.source.path), finding.location.start, finding.message)
                findings.setdefault(key, finding)
    return sorted(findings.values(), key=Finding.sort_key)


__all__ = ["Assignment", "make_finding", "run_rules", "set_fix"]

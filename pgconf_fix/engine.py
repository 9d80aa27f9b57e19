"""Rules meet views: the data kinds are evaluated here, Python checks come from their registry."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import registered
from pgconf_fix.findings import SAFE, Finding, Fix, Problem, duplicate_key, make_finding
from pgconf_fix.options import BUDGET_NAME, Options
from pgconf_fix.setting import Setting, fix_or_none
from pgconf_fix.versions import PgVersion
from pgconf_fix.views.base import ParsedFile, SettingsView


def _version_applies(rule: Rule, version: PgVersion | None) -> bool:
    """Whether a rule speaks to this version: ``min_version``/``max_version`` bounds, and
    ``requires_parameter`` (a parameter the version's catalog must have: tcp_user_timeout from
    12, idle_session_timeout from 14; with an unknown version the rule applies)."""
    needed = rule.check.get("requires_parameter")
    if needed is not None and version is not None:
        from pgconf_fix import guc_catalog  # the parameter catalogs (~12 ms): only for a known version

        if guc_catalog.has_parameter(str(needed), version) is False:
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
    maximum, limit_name = (
        options.limit(rule, check["maximum"], check.get("maximum_name", "the maximum")) if "maximum" in check else (None, "")
    )
    minimum = options.resolve(rule, check["minimum"]) if "minimum" in check else None
    limit_shown = None
    if check.get("maximum") == BUDGET_NAME:
        budget = options.budget_for(keepalives=True)
        limit_shown = budget.describe()
        if fix_value is not None and fix_value.isdigit() and int(fix_value) > budget.seconds:
            fix_value = str(budget.seconds)  # the fix's own value must fit a short box too
    applicability = check.get("fix_applicability", SAFE)
    advice = f"; set it to {fix_value}" if fix_value is not None else ""

    def fixed() -> Fix | None:
        return fix_or_none(view.fix(setting, fix_value), applicability=applicability) if fix_value is not None else None

    current = view.get(setting, unit, number=True)
    if current.is_missing and current.default is not None:
        if current.judged:
            yield from _judge_platform_default(rule, current, maximum, limit_name, limit_shown, advice, fixed)
        return
    if current.is_missing:
        if not check.get("report_unset", True) or not current.judged:
            return
        message = f"{setting} is not set: {check.get('unset_means', 'no value')}{current.reason}{advice}"
        yield make_finding(rule, current.location, message, fixed())
        return
    if current.is_unknown:
        return  # an unreadable value is PGF001's to report
    if advice:
        advice += current.set_where
    value = current.value
    shown = f"{setting} = {current.raw}"
    # The value read, unless the text shows it (a unit, or a variable that holds it).
    plain = current.text.strip() == str(value) and current.text.strip() in current.raw
    exact = "" if plain else f" ({_quantity(value, unit)})"
    if value < 0 and "negative_means" in check:
        yield make_finding(rule, current.location, f"{shown} means {check['negative_means']}{advice}", fixed())
    elif value == 0 and "zero_means" in check:
        rounded = current.text.strip() not in ("0", "'0'") and _looks_nonzero(current.text)
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


def _judge_platform_default(
    rule: Rule,
    current: Setting,
    maximum: int | None,
    limit_name: str,
    limit_shown: str | None,
    advice: str,
    fixed: Callable[[], Fix | None],
) -> Iterator[Finding]:
    """An unset setting on a managed server: the platform's default applies, judged like a value."""
    platform = current.default
    value = int(platform.value)
    if maximum is not None and value > maximum:
        message = (
            f"{current.key} is not set: {platform.who} of {platform.value} applies{current.reason}, "
            f"above {limit_name} ({limit_shown or maximum}){advice}"
        )
        yield make_finding(rule, current.location, message, fixed())


def _looks_nonzero(raw: str) -> bool:
    return any(char in "123456789" for char in raw)


def evaluate_presence(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    """The kinds ``required`` (missing is a finding), ``absent`` (set is one) and ``forbidden``
    (set to one of ``values``)."""
    check = rule.check
    setting = check["setting"]
    current = view.get(setting)
    kind = rule.kind
    fix_value = str(options.resolve(rule, check["fix"])) if "fix" in check else None

    def fixed() -> Fix | None:
        if fix_value is None:
            return None
        return fix_or_none(view.fix(setting, fix_value), applicability=check.get("fix_applicability", SAFE))

    message = check.get("message", rule.summary)
    if kind == "required" and current.is_missing and current.judged:
        yield make_finding(rule, current.location, f"{setting} is not set: {message}", fixed())
    elif kind == "absent" and not current.is_missing:
        yield make_finding(rule, current.location, f"{setting} is set: {message}", None)
    elif kind == "forbidden" and not current.is_missing:
        forbidden = [str(value) for value in check.get("values", ())]
        if current.text.strip() in forbidden:
            yield make_finding(rule, current.location, f"{setting} = {current.raw}: {message}", fixed())


def _problem_findings(rule: Rule, problems: Iterable[Problem]) -> Iterator[Finding]:
    for problem in problems:
        finding = make_finding(rule, problem.location, problem.message)
        if problem.severity is not None:
            finding = replace(finding, severity=problem.severity)
        yield finding


def evaluate_parse_errors(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    """What a view's consumer refuses in the values it reads (its documents' own syntax errors
    come from the reader as ``ParsedFile``s)."""
    return _problem_findings(rule, view.problems)


def evaluate_python(rule: Rule, view: SettingsView, options: Options) -> Iterable[Finding]:
    """The registered check of ``rule`` over ``view``, when the view is of the type it judges.

    The reader that built ``view`` imported the checks judging it (``pgconf_fix.layers``); a
    Python rule of the view's layer with no registered check is a programming error (LookupError).
    """
    found = registered(rule.code)
    if found is None:
        raise LookupError(f"{rule.code}: kind = \"python\" but no @check registered (layer {view.layer})")
    if not isinstance(view, found.judges):
        return ()
    return found.function(rule, view, options)


_EVALUATORS = {
    "threshold": evaluate_threshold,
    "forbidden": evaluate_presence,
    "required": evaluate_presence,
    "absent": evaluate_presence,
    "parse-error": evaluate_parse_errors,
    "python": evaluate_python,
}


def run_rules(
    views: Iterable[SettingsView], rules: Iterable[Rule], options: Options, files: Iterable[ParsedFile] = ()
) -> list[Finding]:
    """The findings of the enabled rules over ``views``, and of the parse-error rules of every
    layer ("any", PGF001) over the problems of the ``files`` a reader judged as a whole (and of
    the not-checked rule, PGF004, over the files it could not read);
    de-duplicated (``duplicate_key``) and sorted."""
    active = [rule for rule in rules if options.enabled(rule)]
    findings: dict[tuple, Finding] = {}
    for rule in active:
        if rule.kind == "not-checked":
            unread = [parsed.unread for parsed in files if parsed.unread is not None]
            for finding in _problem_findings(rule, unread):
                findings.setdefault(duplicate_key(finding), finding)
            continue
        if rule.kind != "parse-error" or rule.layer != "any" or not _version_applies(rule, None):
            continue
        for parsed in files:
            for finding in _problem_findings(rule, parsed.problems):
                findings.setdefault(duplicate_key(finding), finding)
    for view in views:
        for rule in active:
            if rule.layer not in ("any", view.layer):
                continue
            if not _version_applies(rule, view.version):
                continue
            if rule.kind in ("suppression", "input-error", "not-checked"):
                continue  # applied over all findings afterwards (pgconf_fix.suppression); errors are not judged
            for finding in _EVALUATORS[rule.kind](rule, view, options):
                if not view.in_scope(finding.source):
                    continue
                findings.setdefault(duplicate_key(finding), finding)
    return sorted(findings.values(), key=Finding.sort_key)



"""PGF502: pool_recycle above the idle budget, or no recycling while pre-ping is off too.

An engine that pre-pings is never flagged: the ping on checkout replaces a connection that
died while idle, whatever its age (SQLAlchemy's "pessimistic" disconnect handling), so a
recycle interval above the budget is the team's choice, not a defect.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule, load_catalog
from pgconf_fix.checks import check
from pgconf_fix.findings import Finding, Fix, make_finding
from pgconf_fix.library_versions import LEGACY_KEYS_IGNORED_SINCE
from pgconf_fix.options import Options
from pgconf_fix.setting import Setting, fix_or_none
from pgconf_fix.views.pool_sqlalchemy import EngineView

SETTING = "pool_recycle"
PRE_PING_RULE = "PGF501"
LEGACY_RECYCLE = "SQLALCHEMY_POOL_RECYCLE"


@check("PGF502", judges=EngineView)
def pool_recycle(rule: Rule, view: EngineView, options: Options) -> Iterator[Finding]:
    if not view.judged():
        return
    budget = options.budget_for(keepalives=False)
    # The fix must pass this rule: never above the budget it is judged against.
    target = str(options.fix_target(rule, "target", maximum=budget.seconds))
    recycle = view.get(SETTING)
    if recycle.is_unknown:
        return
    pre_ping = view.get("pool_pre_ping")
    if pre_ping.is_unknown or (pre_ping.is_set and bool(pre_ping.value)):
        return  # pre-ping catches a dead connection at checkout, or the code decides it
    value = recycle.value
    number = value if recycle.is_set and isinstance(value, (int, float)) and not isinstance(value, bool) else None
    above = number is not None and number > budget.seconds
    if recycle.is_set and not above and (number is None or number >= 0):
        return  # a recycle interval within the budget (or a value only the code knows)
    if recycle.is_missing and not recycle.judged:
        return
    name, note = SETTING, ""
    if view.flask is not None:
        version = view.flask_version()
        legacy = view.flask.legacy_item(SETTING)
        if version.reads_engine_options is False:
            name = LEGACY_RECYCLE  # before Flask-SQLAlchemy 2.4 the only recycle the config has
        elif legacy is not None and version.reads_legacy_keys is None:
            note = (
                f" ({LEGACY_RECYCLE} = {view.document.code(legacy.value)} is read only before Flask-SQLAlchemy "
                f"{LEGACY_KEYS_IGNORED_SINCE}; {version.describe()})"
            )
    fix: Fix | None = None
    if recycle.is_set and _pre_ping_fixable(view, options):
        # The team chose this interval: turning pre-ping on (PGF501's fix) makes it safe as it is.
        advice = f"turn pool_pre_ping on (PGF501's fix), which makes any interval safe, or set it to {target}"
    else:
        fix = fix_or_none(view.fix(SETTING, target), f"Set {SETTING}={target}")
        advice = f"set it to {target}" if recycle.is_set else f"add {SETTING}={target}"
        if name != SETTING:
            advice = f"set {name} = {target}"
    if above:
        message = (
            f"{view.describe()} sets {name}={recycle.raw}{_condition(recycle)}, above the idle budget "
            f"({budget.describe()}), and no pool_pre_ping: connections idle longer than that are already dead when "
            f"reused; {advice}"
        )
        yield make_finding(rule, recycle.location, message, fix)
        return
    how = f"sets {name}={recycle.raw} (never{_condition(recycle, ': ')})" if recycle.is_set else f"has no {name}"
    message = (
        f"{view.describe()} {how} and no pool_pre_ping{note}: nothing replaces a connection "
        f"that a middlebox or the server dropped while it sat idle; {advice}"
    )
    yield make_finding(rule, recycle.location, message, fix)


def _pre_ping_fixable(view: EngineView, options: Options) -> bool:
    """Whether PGF501 runs here and can turn pre-ping on in this engine's own place."""
    pre_ping_rule = load_catalog().get(PRE_PING_RULE)
    if pre_ping_rule is None or not options.enabled(pre_ping_rule):
        return False
    if not view.get("pool_pre_ping").written and not view.judges_missing:
        return False
    return isinstance(view.fix("pool_pre_ping", "True"), Fix)


def _condition(setting: Setting, joiner: str = "") -> str:
    """" (os.getenv's default, unless DB_POOL_RECYCLE is set in the environment)" for a value
    read from the environment with a default (views.environment_default), else ""."""
    if not setting.reason:
        return ""
    return f"{joiner}{setting.reason}" if joiner else f" ({setting.reason})"

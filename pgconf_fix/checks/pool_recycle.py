"""PGF502: pool_recycle above the idle budget, or no recycling while pre-ping is off too.

An engine that pre-pings is never flagged: the ping on checkout replaces a connection that
died while idle, whatever its age (SQLAlchemy's "pessimistic" disconnect handling), so a
recycle interval above the budget is the team's choice, not a defect.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule, load_catalog
from pgconf_fix.engine import make_finding
from pgconf_fix.findings import SAFE, Finding, Fix
from pgconf_fix.library_versions import LEGACY_KEYS_IGNORED_SINCE
from pgconf_fix.options import Options
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.pool import MISSING, UNKNOWN, EngineView

SETTING = "pool_recycle"
PRE_PING_RULE = "PGF501"
LEGACY_RECYCLE = "SQLALCHEMY_POOL_RECYCLE"


def check(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    if not isinstance(view, EngineView) or not view.judged():
        return
    budget = options.budget_for(keepalives=False)
    # The fix must pass this rule: never above the budget it is judged against.
    target = str(options.fix_target(rule, "target", maximum=budget.seconds))
    entry, recycle = view.read(SETTING)
    if recycle is UNKNOWN:
        return
    _, pre_ping = view.read("pool_pre_ping")
    if pre_ping is UNKNOWN or (pre_ping is not MISSING and bool(pre_ping)):
        return  # pre-ping catches a dead connection at checkout, or the code decides it
    number = recycle if isinstance(recycle, (int, float)) and not isinstance(recycle, bool) else None
    above = entry is not None and number is not None and number > budget.seconds
    if entry is not None and not above and (number is None or number >= 0):
        return  # a recycle interval within the budget (or a value only the code knows)
    if entry is None and not view.judges_missing:
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
    if entry is not None and _pre_ping_fixable(view, options):
        # The team chose this interval: turning pre-ping on (PGF501's fix) makes it safe as it is.
        advice = f"turn pool_pre_ping on (PGF501's fix), which makes any interval safe, or set it to {target}"
    else:
        edits = view.set_edits(SETTING, target)
        fix = Fix(SAFE, f"Set {SETTING}={target}", edits) if edits else None
        advice = f"set it to {target}" if entry is not None else f"add {SETTING}={target}"
        if name != SETTING:
            advice = f"set {name} = {target}"
    if above:
        assert entry is not None
        message = (
            f"{view.describe()} sets {name}={view.document.code(entry.value)}, above the idle budget "
            f"({budget.describe()}), and no pool_pre_ping: connections idle longer than that are already dead when "
            f"reused; {advice}"
        )
        yield make_finding(rule, view.entry_location(entry), message, fix)
        return
    how = f"sets {name}={view.document.code(entry.value)} (never)" if entry is not None else f"has no {name}"
    message = (
        f"{view.describe()} {how} and no pool_pre_ping{note}: nothing replaces a connection "
        f"that a middlebox or the server dropped while it sat idle; {advice}"
    )
    location = view.entry_location(entry) if entry is not None else view.missing_location(SETTING)
    yield make_finding(rule, location, message, fix)


def _pre_ping_fixable(view: EngineView, options: Options) -> bool:
    """Whether PGF501 runs here and can turn pre-ping on in this engine's own place."""
    pre_ping_rule = load_catalog().get(PRE_PING_RULE)
    if pre_ping_rule is None or not options.enabled(pre_ping_rule):
        return False
    if view.read("pool_pre_ping")[0] is None and not view.judges_missing:
        return False
    return bool(view.set_edits("pool_pre_ping", "True"))

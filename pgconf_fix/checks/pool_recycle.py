"""PGF502: pool_recycle above the idle budget, or no recycling while pre-ping is off too."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.engine import make_finding
from pgconf_fix.findings import SAFE, Finding, Fix
from pgconf_fix.options import Options
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.pool import MISSING, UNKNOWN, EngineView

SETTING = "pool_recycle"


def check(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    if not isinstance(view, EngineView) or not view.judged():
        return
    budget = int(options.parameter(rule, "idle_budget"))
    # The fix must pass this rule: never above the budget it is judged against.
    target = str(options.fix_target(rule, "target", maximum=budget))
    entry, recycle = view.read(SETTING)
    if recycle is UNKNOWN:
        return
    edits = view.set_edits(SETTING, target)
    fix = Fix(SAFE, f"Set {SETTING}={target}", edits) if edits else None
    number = recycle if isinstance(recycle, (int, float)) and not isinstance(recycle, bool) else None
    if entry is not None and number is not None and number > budget:
        message = (
            f"{view.describe()} sets {SETTING}={view.document.code(entry.value)}, above the idle budget "
            f"({budget} s): connections idle longer than that are already dead when reused; set it to {target}"
        )
        yield make_finding(rule, view.entry_location(entry), message, fix)
        return
    if entry is not None and (number is None or number >= 0):
        return  # a recycle interval within the budget (or a value only the code knows)
    _, pre_ping = view.read("pool_pre_ping")
    if pre_ping is UNKNOWN or (pre_ping is not MISSING and bool(pre_ping)):
        return
    if entry is None and not view.judges_missing:
        return
    how = f"sets {SETTING}={view.document.code(entry.value)} (never)" if entry is not None else f"has no {SETTING}"
    message = (
        f"{view.describe()} {how} and no pool_pre_ping: nothing replaces a connection "
        f"that a middlebox or the server dropped while it sat idle; add {SETTING}={target}"
    )
    location = view.entry_location(entry) if entry is not None else view.missing_location(SETTING)
    yield make_finding(rule, location, message, fix)

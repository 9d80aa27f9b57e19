"""PGF501: a pooled SQLAlchemy engine that hands out connections without testing them."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.engine import make_finding
from pgconf_fix.findings import SAFE, Finding, Fix
from pgconf_fix.options import Options
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.pool import MISSING, UNKNOWN, EngineView

SETTING = "pool_pre_ping"
CONSEQUENCE = (
    "a pooled connection that died while idle is handed to the next request, which fails with "
    "'SSL connection has been closed unexpectedly'"
)


def check(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    if not isinstance(view, EngineView) or not view.judged():
        return
    entry, value = view.read(SETTING)
    if value is MISSING:
        if not view.judges_missing:
            return
        edits = view.set_edits(SETTING, "True")
        fix = Fix(SAFE, "Add pool_pre_ping=True", edits) if edits else None
        message = f"{view.describe()} has no {SETTING}: {CONSEQUENCE}; add {SETTING}=True"
        yield make_finding(rule, view.missing_location(SETTING), message, fix)
    elif entry is not None and value is not UNKNOWN and not value:
        edits = view.set_edits(SETTING, "True")
        fix = Fix(SAFE, "Set pool_pre_ping=True", edits) if edits else None
        message = f"{view.describe()} sets {SETTING} off: {CONSEQUENCE}; set it to True"
        yield make_finding(rule, view.entry_location(entry), message, fix)

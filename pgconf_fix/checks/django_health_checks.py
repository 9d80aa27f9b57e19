"""PGF503: Django keeps connections (CONN_MAX_AGE) without checking them (CONN_HEALTH_CHECKS)."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.engine import make_finding
from pgconf_fix.findings import SAFE, Finding, Fix
from pgconf_fix.options import Options
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.pool import MISSING, UNKNOWN, DjangoDatabaseView

SETTING = "CONN_HEALTH_CHECKS"


def check(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    if not isinstance(view, DjangoDatabaseView) or view.is_postgres() is False:
        return
    entry, max_age = view.read("CONN_MAX_AGE")
    if entry is None or max_age is UNKNOWN or isinstance(max_age, (bool, str)):
        return
    if max_age is not None and not (isinstance(max_age, (int, float)) and max_age > 0):
        return
    checks_entry, checks = view.read(SETTING)
    if checks is UNKNOWN or (checks is not MISSING and checks):
        return
    kept = "for ever" if max_age is None else f"for {max_age} s"
    state = f"{SETTING} is off" if checks_entry is not None else f"{SETTING} is not set"
    message = (
        f"{view.describe()} keeps connections {kept} but {state}: a connection that died while idle "
        f"reaches the next request as 'SSL connection has been closed unexpectedly'; set {SETTING} to True"
    )
    edits = view.set_edits(SETTING, "True")
    fix = Fix(SAFE, f"Set {SETTING} = True", edits) if edits else None
    location = view.entry_location(checks_entry) if checks_entry is not None else view.entry_location(entry)
    yield make_finding(rule, location, message, fix)

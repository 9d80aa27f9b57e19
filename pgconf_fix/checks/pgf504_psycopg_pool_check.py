"""PGF504: a psycopg_pool pool that hands out connections without checking them."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import SAFE, Finding, Fix, make_finding
from pgconf_fix.options import Options
from pgconf_fix.views.pool import MISSING, PsycopgPoolView

SETTING = "check"


@check("PGF504", judges=PsycopgPoolView)
def psycopg_pool_check(rule: Rule, view: PsycopgPoolView, options: Options) -> Iterator[Finding]:
    entry, value = view.read(SETTING)
    if value is not MISSING and value is not None:
        return  # a check function, or one only the code knows
    function = f"{view.class_code}.check_connection"
    edits = view.set_edits(SETTING, function)
    fix = Fix(SAFE, f"Set check={function}", edits) if edits else None
    how = "check=None" if entry is not None else "no check"
    message = (
        f"{view.describe()} has {how}: a connection that died while idle in the pool is handed out "
        f"and fails on first use; pass check={function}"
    )
    location = view.entry_location(entry) if entry is not None else view.missing_location(SETTING)
    yield make_finding(rule, location, message, fix)

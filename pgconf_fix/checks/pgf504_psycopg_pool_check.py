"""PGF504: a psycopg_pool pool that hands out connections without checking them."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import Finding, make_finding
from pgconf_fix.options import Options
from pgconf_fix.setting import fix_or_none
from pgconf_fix.views.pool_psycopg import PsycopgPoolView

SETTING = "check"


@check("PGF504", judges=PsycopgPoolView)
def psycopg_pool_check(rule: Rule, view: PsycopgPoolView, options: Options) -> Iterator[Finding]:
    current = view.get(SETTING)
    if current.is_unknown or (current.is_set and current.value is not None):
        return  # a check function, or one only the code knows
    function = f"{view.class_code}.check_connection"
    fix = fix_or_none(view.fix(SETTING, function), f"Set check={function}")
    how = "check=None" if current.is_set else "no check"
    message = (
        f"{view.describe()} has {how}: a connection that died while idle in the pool is handed out "
        f"and fails on first use; pass check={function}"
    )
    yield make_finding(rule, current.location, message, fix)

"""PGF604: PgBouncer keeps idle server connections longer than the idle budget while no
TCP keepalive is tuned (server_idle_timeout, or server_lifetime when the former is 0)."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.engine import make_finding, set_fix
from pgconf_fix.findings import UNSAFE, Finding
from pgconf_fix.options import Options
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.pgbouncer import PgBouncerConfig

SETTING = "server_idle_timeout"


def check(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    if not isinstance(view, PgBouncerConfig) or not view.judges(SETTING):
        return
    idle_budget = options.budget_for(keepalives=True)
    budget = idle_budget.seconds
    if view.keepalive_tuned(budget):
        return
    try:
        idle, idle_at = view.value(SETTING)
        lifetime, lifetime_at = view.value("server_lifetime")
    except ValueError:
        return  # PGF001's
    if idle > 0:
        key, keep, where = SETTING, idle, idle_at
    elif lifetime > 0:
        key, keep, where = "server_lifetime", lifetime, lifetime_at
    else:
        key, keep, where = SETTING, float("inf"), idle_at
    if keep <= budget:
        return
    if where is None:
        shown = f"{key} is not set (PgBouncer's default: {keep:g} s){view.reset_note(key)}"
        location = view.missing_location(key)
    else:
        shown = f"{key} = {where.raw_value}"
        location = where.location
    kept = "forever (server_idle_timeout and server_lifetime are 0)" if keep == float("inf") else f"{keep:g} s"
    target = str(min(int(options.parameter(rule, "target")), budget))
    message = (
        f"{shown}: idle server connections stay in the pool for up to {kept}, above the idle budget "
        f"({idle_budget.describe()}), and no TCP keepalive keeps them alive (tcp_keepidle is not at or below the budget); "
        f"set tcp_keepidle (PGF602), or {SETTING} = {target}"
    )
    yield make_finding(rule, location, message, set_fix(view, SETTING, target, UNSAFE))

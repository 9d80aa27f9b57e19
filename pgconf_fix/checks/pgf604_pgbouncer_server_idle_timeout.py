"""PGF604: PgBouncer keeps idle server connections longer than the idle budget while no
TCP keepalive is tuned (server_idle_timeout, or server_lifetime when the former is 0)."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import UNSAFE, Finding, make_finding
from pgconf_fix.options import Options
from pgconf_fix.setting import fix_or_none
from pgconf_fix.views.pgbouncer import PgBouncerConfig

SETTING = "server_idle_timeout"


@check("PGF604", judges=PgBouncerConfig)
def pgbouncer_server_idle_timeout(rule: Rule, view: PgBouncerConfig, options: Options) -> Iterator[Finding]:
    if not view.judges(SETTING):
        return
    idle_budget = options.budget_for(keepalives=True)
    budget = idle_budget.seconds
    if view.keepalive_tuned(budget):
        return
    idle = view.get(SETTING, number=True)
    lifetime = view.get("server_lifetime", number=True)
    if idle.is_unknown or lifetime.is_unknown:
        return  # PGF001's
    if idle.value > 0:
        key, keep, where = SETTING, idle.value, idle
    elif lifetime.value > 0:
        key, keep, where = "server_lifetime", lifetime.value, lifetime
    else:
        key, keep, where = SETTING, float("inf"), idle
    if keep <= budget:
        return
    if where.is_missing:
        shown = f"{key} is not set (PgBouncer's default: {keep:g} s){view.missing_note(key)}"
    else:
        shown = f"{key} = {where.raw}"
    kept = "forever (server_idle_timeout and server_lifetime are 0)" if keep == float("inf") else f"{keep:g} s"
    target = str(min(int(options.parameter(rule, "target")), budget))
    message = (
        f"{shown}: idle server connections stay in the pool for up to {kept}, above the idle budget "
        f"({idle_budget.describe()}), and no TCP keepalive keeps them alive (tcp_keepidle is not at or below the budget); "
        f"set tcp_keepidle (PGF602), or {SETTING} = {target}"
    )
    yield make_finding(rule, where.location, message, fix_or_none(view.fix(SETTING, target), applicability=UNSAFE))

"""PGF603: PgBouncer's server connection check turned off (empty server_check_query), or
skipped for connections idle longer than the idle budget (server_check_delay above it)."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.engine import make_finding, set_fix
from pgconf_fix.findings import Finding
from pgconf_fix.options import Options
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.pgbouncer import PgBouncerConfig


def check(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    if not isinstance(view, PgBouncerConfig):
        return
    idle_budget = options.budget_for(keepalives=False)
    budget = idle_budget.seconds
    query = view.effective("server_check_query")
    if query is not None and not query.value.strip():
        target = str(options.parameter(rule, "query"))
        message = (
            "server_check_query is empty, which turns PgBouncer's server connection check off: a server "
            "connection that died while idle in the pool is handed to the next client, which gets "
            f"\"server closed the connection unexpectedly\"; set it to {target}"
        )
        yield make_finding(rule, query.location, message, set_fix(view, "server_check_query", target))
    try:
        delay, current = view.value("server_check_delay")
    except ValueError:
        return  # PGF001's
    if current is not None and delay > budget:
        target = str(options.fix_target(rule, "delay", maximum=budget))  # the fix passes this rule
        message = (
            f"server_check_delay = {current.raw_value} hands out server connections idle for up to "
            f"{delay:g} s without checking them, above the idle budget ({idle_budget.describe()}): one a middlebox "
            f"dropped in between reaches a client unchecked; set it to {target}"
        )
        yield make_finding(rule, current.location, message, set_fix(view, "server_check_delay", target))

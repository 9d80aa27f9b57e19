"""PGF603: PgBouncer's server connection check turned off (empty server_check_query), or
skipped for connections idle longer than the idle budget (server_check_delay above it)."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import Finding, make_finding
from pgconf_fix.options import Options
from pgconf_fix.setting import fix_or_none
from pgconf_fix.views.pgbouncer import PgBouncerConfig


@check("PGF603", judges=PgBouncerConfig)
def pgbouncer_server_check(rule: Rule, view: PgBouncerConfig, options: Options) -> Iterator[Finding]:
    idle_budget = options.budget_for(keepalives=False)
    budget = idle_budget.seconds
    query = view.get("server_check_query")
    if query.is_set and not query.text.strip():
        target = str(options.parameter(rule, "query"))
        message = (
            "server_check_query is empty, which turns PgBouncer's server connection check off: a server "
            "connection that died while idle in the pool is handed to the next client, which gets "
            f"\"server closed the connection unexpectedly\"; set it to {target}"
        )
        yield make_finding(rule, query.location, message, fix_or_none(view.fix("server_check_query", target)))
    delay = view.get("server_check_delay", number=True)
    if delay.is_set and delay.value > budget:
        target = str(options.fix_target(rule, "delay", maximum=budget))  # the fix passes this rule
        message = (
            f"server_check_delay = {delay.raw} hands out server connections idle for up to "
            f"{delay.value:g} s without checking them, above the idle budget ({idle_budget.describe()}): one a middlebox "
            f"dropped in between reaches a client unchecked; set it to {target}"
        )
        yield make_finding(rule, delay.location, message, fix_or_none(view.fix("server_check_delay", target)))

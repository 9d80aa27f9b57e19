"""PGF601: tcp_keepalive = 0 in [pgbouncer], which turns TCP keepalives off on every PgBouncer socket."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import Finding, make_finding
from pgconf_fix.options import Options
from pgconf_fix.setting import fix_or_none
from pgconf_fix.views.pgbouncer import PgBouncerConfig

SETTING = "tcp_keepalive"


@check("PGF601", judges=PgBouncerConfig)
def pgbouncer_tcp_keepalive_off(rule: Rule, view: PgBouncerConfig, options: Options) -> Iterator[Finding]:
    current = view.get(SETTING, number=True)
    if not current.is_set or current.value != 0:
        return  # the default is 1; a value PgBouncer refuses is PGF001's
    message = (
        f"{SETTING} = {current.raw} turns TCP keepalives off on PgBouncer's client and server "
        "connections: an idle server connection that a load balancer or NAT forgot stays in the pool "
        "until a client is handed it; set it to 1"
    )
    yield make_finding(rule, current.location, message, fix_or_none(view.fix(SETTING, "1")))

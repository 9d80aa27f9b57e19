"""PGF601: tcp_keepalive = 0 in [pgbouncer], which turns TCP keepalives off on every PgBouncer socket."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.engine import make_finding, set_fix
from pgconf_fix.findings import Finding
from pgconf_fix.options import Options
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.pgbouncer import PgBouncerConfig, strtol

SETTING = "tcp_keepalive"


def check(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    if not isinstance(view, PgBouncerConfig):
        return
    current = view.effective(SETTING)
    if current is None:
        return  # the default is 1
    try:
        value = strtol(current.value)
    except ValueError:
        return  # PGF001's
    if value != 0:
        return
    message = (
        f"{SETTING} = {current.raw_value} turns TCP keepalives off on PgBouncer's client and server "
        "connections: an idle server connection that a load balancer or NAT forgot stays in the pool "
        "until a client is handed it; set it to 1"
    )
    yield make_finding(rule, current.location, message, set_fix(view, SETTING, "1"))

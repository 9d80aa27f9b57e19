"""PGF401: a non-local libpq connection whose keepalives_idle is unset or above the idle budget."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import Finding, make_finding
from pgconf_fix.options import Options
from pgconf_fix.setting import fix_or_none
from pgconf_fix.views.client import ASYNCPG, PG8000, PGBOUNCER, PGJDBC, ClientConnection

KEYS = ("keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count")
NO_KNOB = {
    ASYNCPG: (
        "asyncpg has no client keepalive settings and sends unknown URL keywords to the server, which refuses "
        'them; set the server side instead: connect_args={"server_settings": {"tcp_keepalives_idle": "60", ...}}'
    ),
    PG8000: (
        "pg8000 turns SO_KEEPALIVE on but has no idle, interval or count setting (a libpq keyword in the URL "
        "raises TypeError), so the kernel's net.ipv4.tcp_keepalive_time applies; lower it (PGF201) or set "
        "tcp_keepalives_idle on the server (PGF101)"
    ),
}


@check("PGF401", judges=ClientConnection)
def client_keepalives(rule: Rule, view: ClientConnection, options: Options) -> Iterator[Finding]:
    if view.consumer in (PGJDBC, PGBOUNCER):
        return  # pgjdbc has only tcpKeepAlive: PGF403; PgBouncer's tcp_keep* settings are PGF601/PGF602's
    budget = options.idle_budget.seconds
    switch = view.get("keepalives", "s", number=True)
    if switch.is_set and switch.value == 0:
        return  # keepalives turned off is PGF402's finding
    current = view.get("keepalives_idle", "s", number=True)
    if current.is_missing:
        problem = "keepalives_idle is not set, so the kernel default (7200 s on Linux) applies"
    elif current.is_unknown:
        return  # a template or an unreadable value: nothing true to say
    elif current.value == 0:
        problem = "keepalives_idle = 0 means the kernel default (7200 s on Linux)"
    elif current.value > budget:
        problem = f"keepalives_idle = {current.value} is above the idle budget ({budget} s)"
    else:
        return
    # keepalives_idle is judged against the budget, so its fix never exceeds it.
    targets = [
        (key, str(options.fix_target(rule, key, maximum=budget if key == "keepalives_idle" else None)))
        for key in KEYS
    ]
    wanted = [(key, value) for key, value in targets if key == "keepalives_idle" or view.get(key).is_missing]
    advice = NO_KNOB.get(view.consumer)
    fix = None
    if view.consumer == ASYNCPG and view.server_side is not None:
        # Unsafe: the startup parameters reach the server, and a pooler such as PgBouncer may refuse them.
        fix = fix_or_none(view.fix_server_side(wanted))
    elif advice is None:
        advice = "set " + " ".join(f"{key}={value}" for key, value in wanted)
        fix = fix_or_none(view.fix_all(wanted))
    yield make_finding(rule, current.location, f"{view.describe()}: {problem}; {advice}", fix)

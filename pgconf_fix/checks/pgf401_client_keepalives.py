"""PGF401: a non-local libpq connection whose keepalives_idle is unset or above the idle budget."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import Finding, make_finding
from pgconf_fix.options import Options
from pgconf_fix.setting import Refusal, fix_or_none
from pgconf_fix.views.client import (
    ASYNCPG,
    GO,
    GO_KEEPALIVE_DEFAULTS,
    LIBPQ,
    NODE_PG,
    NPGSQL,
    PG8000,
    PGBOUNCER,
    PGJDBC,
    UNKNOWN,
    ClientConnection,
)

KEYS = ("keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count")
NO_KNOB = {
    ASYNCPG: (
        "asyncpg has no client keepalive settings and sends unknown URL keywords to the server, which refuses "
        "them; set the server side instead: "  # + the view's server_side_hint
    ),
    PG8000: (
        "pg8000 turns SO_KEEPALIVE on but has no idle, interval or count setting (a libpq keyword in the URL "
        "raises TypeError), so the kernel's net.ipv4.tcp_keepalive_time applies; lower it (PGF201) or set "
        "tcp_keepalives_idle on the server (PGF101)"
    ),
    NODE_PG: (
        "node-postgres ignores libpq keywords in a URL and leaves TCP keepalive off; set keepAlive: true and "
        "keepAliveInitialDelayMillis: 60000 in the Pool (or Client) options"
    ),
    NPGSQL: (
        "Npgsql reads its own keywords, not libpq's; set Keepalive=60 (seconds) or Tcp Keepalive=true with "
        "Tcp Keepalive Time=60000 (ms) in its connection string"
    ),
}
# Why node-postgres and Npgsql are judged by the kernel default even with libpq keywords set.
IGNORES_LIBPQ = (NODE_PG, NPGSQL)
# An image's program (views.image_readers) opens its connections in code the user does not edit:
# what is left is the server's side, whose probes cross the same boxes (PGF101).
IMAGE_NO_KNOB = (
    "the image's program sets its {driver} connections' keepalive in its own code, and no keyword in this URL "
    "changes it; set tcp_keepalives_idle on the server (PGF101), whose probes keep the path's idle timers alive"
)


@check("PGF401", judges=ClientConnection)
def client_keepalives(rule: Rule, view: ClientConnection, options: Options) -> Iterator[Finding]:
    if view.consumer in (PGJDBC, PGBOUNCER, GO):
        return  # pgjdbc has only tcpKeepAlive: PGF403; PgBouncer's tcp_keep* settings are PGF601/PGF602's;
        # atlas.hcl's Go driver: its dialer's keepalives apply
    budget = options.budget_for(keepalives=True)
    if view.consumer in GO_KEEPALIVE_DEFAULTS:
        yield from _go(rule, view, budget.seconds)
        return
    if view.consumer in IGNORES_LIBPQ:
        # Off means no SO_KEEPALIVE on the socket, so the kernel's tcp_keepalive_time does not
        # apply either: node-postgres 8.23.1 runs no keepalive timer without keepAlive: true
        # (/proc/net/tcp, tests/test_image_readers.py); Npgsql's Keepalive and Tcp Keepalive
        # default to off (its connection string documentation).
        problem = "TCP keepalive is off unless the client turns it on, so the idle connection is never probed"
        advice = IMAGE_NO_KNOB.format(driver=view.consumer) if view.reader else NO_KNOB[view.consumer]
        yield make_finding(rule, view.missing_location("keepalives_idle"), f"{view.describe()}: {problem}; {advice}")
        return
    switch = view.get("keepalives", "s", number=True)
    if switch.is_set and switch.value == 0:
        return  # keepalives turned off is PGF402's finding
    current = view.get("keepalives_idle", "s", number=True)
    if current.is_missing:
        problem = "keepalives_idle is not set, so the kernel default (7200 s on Linux) applies"
    elif current.is_unknown:
        return  # a template or an unreadable value: nothing true to say
    elif current.value <= 0 and view.consumer in (LIBPQ, UNKNOWN):
        # libpq passes it to setsockopt (a negative one as 0), which Linux refuses below 1: the
        # connection fails (PGF001 says so; views.client.LINUX_KEEPALIVE_LIMITS).
        why = "PGF001" if view.consumer == LIBPQ else "if libpq reads it, the connection fails"
        problem = f"keepalives_idle = {current.value} is no idle time libpq can set (Linux's setsockopt refuses it: {why})"
    elif current.value == 0:
        problem = "keepalives_idle = 0 means the kernel default (7200 s on Linux)"
    elif current.value > budget.seconds:
        problem = f"keepalives_idle = {current.value} is above the idle budget ({budget.describe()})"
    else:
        return
    # keepalives_idle is judged against the budget, so its fix never exceeds it.
    targets = [
        (key, str(options.fix_target(rule, key, maximum=budget.seconds if key == "keepalives_idle" else None)))
        for key in KEYS
    ]
    wanted = [(key, value) for key, value in targets if key == "keepalives_idle" or view.get(key).is_missing]
    advice = NO_KNOB.get(view.consumer)
    if view.consumer == ASYNCPG:
        advice = f"{advice}{view.server_side_hint}"
    fix = None
    if view.consumer == ASYNCPG and view.server_side is not None:
        # Unsafe: the startup parameters reach the server, and a pooler such as PgBouncer may refuse them.
        fix = fix_or_none(view.fix_server_side(wanted))
    elif advice is None:
        advice = "set " + " ".join(f"{key}={value}" for key, value in wanted)
        result = view.fix_all(wanted)
        if isinstance(result, Refusal):
            advice += view.no_fix_note()
        fix = fix_or_none(result)
    yield make_finding(rule, current.location, f"{view.describe()}: {problem}; {advice}", fix)


def _go(rule: Rule, view: ClientConnection, budget: int) -> Iterator[Finding]:
    """Go's drivers dial with net.Dialer, which sends keepalives on its own (FACTS.md "Clients"):
    a finding only when that default period is above the idle budget, and never a libpq fix."""
    period = GO_KEEPALIVE_DEFAULTS[view.consumer]
    if period <= budget:
        return
    problem = (
        f"{view.consumer} dials with Go's net.Dialer, which probes an idle connection every {period} s by default, "
        f"above the idle budget ({budget} s)"
    )
    advice = "set a shorter KeepAlive on the net.Dialer the driver dials with (libpq keywords in the URL do nothing here)"
    if view.reader:
        advice = IMAGE_NO_KNOB.format(driver=view.consumer)
    yield make_finding(rule, view.missing_location("keepalives_idle"), f"{view.describe()}: {problem}; {advice}")

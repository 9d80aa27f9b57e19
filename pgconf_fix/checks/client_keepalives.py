"""PGF401: a non-local libpq connection whose keepalives_idle is unset or above the idle budget."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.engine import make_finding
from pgconf_fix.findings import UNSAFE, Edit, Finding, Fix
from pgconf_fix.options import Options
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.client import (
    ASYNCPG,
    GO,
    GO_KEEPALIVE_DEFAULTS,
    NODE_PG,
    NPGSQL,
    PG8000,
    PGBOUNCER,
    PGJDBC,
    ClientConnection,
)

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


def check(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    if not isinstance(view, ClientConnection) or view.consumer in (PGJDBC, PGBOUNCER, GO):
        return  # pgjdbc has only tcpKeepAlive: PGF403; PgBouncer's tcp_keep* settings are PGF601/PGF602's;
        # atlas.hcl's Go driver: its dialer's keepalives apply
    budget_info = options.budget_for(keepalives=True)
    budget = budget_info.seconds
    if view.consumer in GO_KEEPALIVE_DEFAULTS:
        yield from _go(rule, view, budget)
        return
    if view.consumer in IGNORES_LIBPQ:
        problem = "TCP keepalive is off unless the client turns it on, so the kernel default (7200 s on Linux) applies"
        yield make_finding(rule, view.missing_location("keepalives_idle"), f"{view.describe()}: {problem}; {NO_KNOB[view.consumer]}")
        return
    switch = view.effective("keepalives")
    if switch is not None and _number(view, switch) == 0:
        return  # keepalives turned off is PGF402's finding
    current = view.effective("keepalives_idle")
    if current is None:
        problem = "keepalives_idle is not set, so the kernel default (7200 s on Linux) applies"
        where = view.missing_location("keepalives_idle")
    else:
        idle = _number(view, current)
        if idle is None:
            return  # a template or an unreadable value: nothing true to say
        if idle == 0:
            problem = "keepalives_idle = 0 means the kernel default (7200 s on Linux)"
        elif idle > budget:
            problem = f"keepalives_idle = {idle} is above the idle budget ({budget_info.describe()})"
        else:
            return
        where = current.location
    # keepalives_idle is judged against the budget, so its fix never exceeds it.
    targets = [
        (key, str(options.fix_target(rule, key, maximum=budget if key == "keepalives_idle" else None)))
        for key in KEYS
    ]
    wanted = [(key, value) for key, value in targets if key == "keepalives_idle" or view.effective(key) is None]
    advice = NO_KNOB.get(view.consumer)
    fix = None
    server_side = getattr(view, "server_side", None)
    if view.consumer == ASYNCPG and server_side is not None:
        # Unsafe: the startup parameters reach the server, and a pooler such as PgBouncer may refuse them.
        # A key already in server_settings gets its value replaced (a second one would be refused).
        present = [(key, value) for key, value in wanted if view.effective(key) is not None]
        edits = server_side.insert([pair for pair in wanted if pair not in present])
        edits = tuple(edits) + tuple(_replace_server_setting(view.effective(key), value) for key, value in present)
        if edits:
            fix = Fix(UNSAFE, "Set tcp_keepalives_* in connect_args server_settings", edits)
    elif advice is None:
        advice = "set " + " ".join(f"{key}={value}" for key, value in wanted)
        edits = view.add_edits(wanted)
        if edits:
            fix = Fix(view.applicability, f"Set {', '.join(f'{k}={v}' for k, v in wanted)}", edits, tuple(wanted))
        else:
            advice += view.no_fix_note()
    yield make_finding(rule, where, f"{view.describe()}: {problem}; {advice}", fix)


def _replace_server_setting(assignment, value: str) -> Edit:  # noqa: ANN001 - an Assignment
    """An edit that writes ``value`` over a server_settings entry's value, as the string asyncpg
    requires (in the quote the entry used)."""
    text = assignment.source.text
    quote = text[assignment.value_start] if text[assignment.value_start] in "'\"" else '"'
    return Edit(assignment.source, assignment.value_start, assignment.value_end, f"{quote}{value}{quote}")


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
    yield make_finding(rule, view.missing_location("keepalives_idle"), f"{view.describe()}: {problem}; {advice}")


def _number(view: ClientConnection, assignment) -> int | None:  # noqa: ANN001 - an Assignment
    try:
        return view.numeric(assignment, "s")
    except ValueError:
        return None

"""PGF404: a connection to a public host that may travel unencrypted (sslmode unset, disable, allow, prefer).

What an unset or weak sslmode means depends on the driver that reads it (lib/pq and
node-postgres checked against PostgreSQL 15 with ssl on, pg_stat_ssl asked in the session:
tests/test_sslmode_drivers.py; pg8000 1.31.6 read and run once the same way):

- libpq, pgx, asyncpg, pgjdbc, Npgsql and pg8000: prefer is the default, and prefer and allow
  fall back to plain TCP.
- Go's lib/pq (1.10): require is the default (``ssl.go``: ``case "", "require"``), so an
  unset sslmode encrypts and is not reported; it knows no prefer or allow and refuses to
  connect with them ("unsupported sslmode").
- node-postgres (pg 8, pg-connection-string 2): no TLS unless asked for; prefer, allow and
  require verify the certificate as verify-full does (libpq's meaning only with
  ``uselibpqcompat=true``, and from pg 9 on).

pg8000 with no ``ssl_context`` asks for TLS without verifying the certificate and goes on in
plain TCP when the server declines, as prefer does: libpq's words hold for it.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import UNSAFE, Finding, make_finding
from pgconf_fix.options import Options
from pgconf_fix.setting import fix_or_none
from pgconf_fix.views.client import ASYNCPG, GO_PQ, NODE_PG, PG8000, PGJDBC, ClientConnection

WEAK = ("disable", "allow", "prefer")
# What an unset sslmode means where it is not libpq's prefer.
UNSET_BY_DRIVER = {
    NODE_PG: "sslmode is not set, and node-postgres then connects without TLS (it never tries unless asked)",
}
# What prefer or allow does where it is not libpq's fallback ({mode}: the value written).
WEAK_BY_DRIVER = {
    GO_PQ: (
        "lib/pq refuses to connect with sslmode={mode} ('unsupported sslmode': it takes require, its default, "
        "verify-ca, verify-full and disable)"
    ),
    NODE_PG: (
        "node-postgres 8 reads sslmode={mode} as verify-full, but with uselibpqcompat=true and from pg 9 on it has "
        "libpq's meaning, which lets the connection travel unencrypted"
    ),
}
STRONG_JDBC_SSL = ("true",)


@check("PGF404", judges=ClientConnection)
def client_sslmode(rule: Rule, view: ClientConnection, options: Options) -> Iterator[Finding]:
    if not view.public:
        return
    target = str(options.parameter(rule, "sslmode"))
    current = view.get("sslmode")
    if view.consumer in (ASYNCPG, PGJDBC) and current.is_missing and not view.asyncpg_own_dsn:
        ssl = view.get("ssl")
        if ssl.is_set and ssl.text.strip().lower() not in ("false", "disable", "allow", "prefer", "0"):
            return  # asyncpg's ssl=require and pgjdbc's ssl=true both encrypt
    if current.is_missing:
        if view.consumer == GO_PQ:
            return  # lib/pq's default is require
        problem = UNSET_BY_DRIVER.get(view.consumer, view.unset_sslmode)
    else:
        mode = current.text.strip().lower()
        if mode not in WEAK:
            return  # require, verify-ca, verify-full, or a template
        plain = "sslmode={mode} lets the connection travel unencrypted"
        problem = (plain if mode == "disable" else WEAK_BY_DRIVER.get(view.consumer, plain)).format(mode=mode)
    if view.consumer == ASYNCPG and view.asyncpg_own_dsn:
        # asyncpg 0.32: connect("...?sslmode=require") asks for TLS, "?ssl=require" is sent to
        # the server as a setting, which refuses it ('parameter "ssl" cannot be changed now').
        advice = (f"asyncpg's own connect() reads sslmode from the DSN (not ssl, which it sends to the server as a "
                  f"setting the server refuses); set sslmode={target}")
    elif view.consumer == ASYNCPG and "+asyncpg" in view.scheme:
        advice = "asyncpg through SQLAlchemy takes ssl=require in the URL (not sslmode); set it"
    elif view.consumer == ASYNCPG:
        # A URL of an asyncpg project (its manifests): who hands it to asyncpg is not seen here.
        advice = (f"asyncpg.connect() reads sslmode={target} from its DSN (ssl=require there is sent to the server, "
                  "which refuses it), SQLAlchemy's asyncpg dialect ssl=require (sslmode there is a TypeError); set "
                  "the one its reader takes")
    elif view.consumer == PG8000:
        advice = ("pg8000 insists on TLS only when connect_args holds an ssl_context (True: TLS without checking the "
                  "certificate; an ssl.SSLContext that verifies it); pass one")
    else:
        advice = view.sslmode_advice(target)
        if view.consumer == NODE_PG and target in ("require", "prefer", "allow"):
            advice += (" (node-postgres 8 then verifies the server's certificate as verify-full does: give it the "
                       "server's CA in the ssl option, or the connection is refused)")
    fix = None
    if view.consumer not in (ASYNCPG, PG8000) or view.asyncpg_own_dsn:
        result = view.fix("sslmode", target)
        fix = fix_or_none(result, f"Set sslmode={target}", UNSAFE)
        if fix is None and current.is_missing:
            advice += view.no_fix_note()
    yield make_finding(rule, current.location, f"{view.describe('public host')}: {problem}; {advice}", fix)

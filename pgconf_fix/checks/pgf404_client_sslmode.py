"""PGF404: a connection to a public host that may travel unencrypted (sslmode unset, disable, allow, prefer)."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import UNSAFE, Finding, make_finding
from pgconf_fix.options import Options
from pgconf_fix.setting import fix_or_none
from pgconf_fix.views.client import ASYNCPG, PG8000, PGJDBC, ClientConnection

WEAK = ("disable", "allow", "prefer")
STRONG_JDBC_SSL = ("true",)


@check("PGF404", judges=ClientConnection)
def client_sslmode(rule: Rule, view: ClientConnection, options: Options) -> Iterator[Finding]:
    if not view.public:
        return
    target = str(options.parameter(rule, "sslmode"))
    current = view.get("sslmode")
    if view.consumer in (ASYNCPG, PGJDBC) and current.is_missing:
        ssl = view.get("ssl")
        if ssl.is_set and ssl.text.strip().lower() not in ("false", "disable", "allow", "prefer", "0"):
            return  # asyncpg's ssl=require and pgjdbc's ssl=true both encrypt
    if current.is_missing:
        problem = view.unset_sslmode
    else:
        mode = current.text.strip().lower()
        if mode not in WEAK:
            return  # require, verify-ca, verify-full, or a template
        problem = f"sslmode={mode} lets the connection travel unencrypted"
    if view.consumer == ASYNCPG:
        advice = "asyncpg through SQLAlchemy takes ssl=require in the URL (not sslmode); set it"
    elif view.consumer == PG8000:
        advice = "pg8000 encrypts only with an ssl_context in connect_args; pass one"
    else:
        advice = view.sslmode_advice(target)
    fix = None
    if view.consumer not in (ASYNCPG, PG8000):
        result = view.fix("sslmode", target)
        fix = fix_or_none(result, f"Set sslmode={target}", UNSAFE)
        if fix is None and current.is_missing:
            advice += view.no_fix_note()
    yield make_finding(rule, current.location, f"{view.describe('public host')}: {problem}; {advice}", fix)

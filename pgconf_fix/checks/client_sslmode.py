"""PGF404: a connection to a public host that may travel unencrypted (sslmode unset, disable, allow, prefer)."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.engine import make_finding
from pgconf_fix.findings import UNSAFE, Finding, Fix
from pgconf_fix.options import Options
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.client import ASYNCPG, PG8000, PGJDBC, ClientConnection

WEAK = ("disable", "allow", "prefer")
STRONG_JDBC_SSL = ("true",)


def check(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    if not isinstance(view, ClientConnection) or not view.public:
        return
    target = str(options.parameter(rule, "sslmode"))
    current = view.effective("sslmode")
    if view.consumer in (ASYNCPG, PGJDBC) and current is None:
        ssl = view.effective("ssl")
        if ssl is not None and ssl.value.strip().lower() not in ("false", "disable", "allow", "prefer", "0"):
            return  # asyncpg's ssl=require and pgjdbc's ssl=true both encrypt
    if current is None:
        problem = view.unset_sslmode
        where = view.missing_location("sslmode")
    else:
        mode = current.value.strip().lower()
        if mode not in WEAK:
            return  # require, verify-ca, verify-full, or a template
        problem = f"sslmode={mode} lets the connection travel unencrypted"
        where = current.location
    if view.consumer == ASYNCPG:
        advice = "asyncpg through SQLAlchemy takes ssl=require in the URL (not sslmode); set it"
    elif view.consumer == PG8000:
        advice = "pg8000 encrypts only with an ssl_context in connect_args; pass one"
    else:
        advice = view.sslmode_advice(target)
    edits = () if view.consumer in (ASYNCPG, PG8000) else view.set_edits("sslmode", target)
    fix = Fix(UNSAFE, f"Set sslmode={target}", edits, (("sslmode", target),)) if edits else None
    if fix is None and current is None and view.consumer not in (ASYNCPG, PG8000):
        advice += view.no_fix_note()
    yield make_finding(rule, where, f"{view.describe('public host')}: {problem}; {advice}", fix)

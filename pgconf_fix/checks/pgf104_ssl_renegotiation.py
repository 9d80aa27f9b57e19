"""PGF104: ssl_renegotiation_limit, whose meaning changed with PostgreSQL 9.5."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from pgconf_fix import guc_catalog
from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import Finding, make_finding
from pgconf_fix.options import Options
from pgconf_fix.setting import Setting, fix_or_none
from pgconf_fix.versions import PgVersion
from pgconf_fix.views.base import SettingsView

SETTING = "ssl_renegotiation_limit"


@cache
def only_zero_since() -> PgVersion:
    """The first major whose catalog gives the parameter the range 0..0 (9.5, from guc.c;
    FACTS.md). Asked only of a view whose version is known: reading every major's catalog
    costs more than the rest of a one-file run."""
    return guc_catalog.first_version_where(SETTING, lambda guc: guc.maximum == 0) or PgVersion(9, 5)


@check("PGF104", judges=SettingsView)
def ssl_renegotiation(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    version = view.version
    current = view.get(SETTING)
    if current.is_missing:
        if version is not None and version < only_zero_since() and current.judged:
            message = (
                f"{SETTING} is not set: on PostgreSQL {version}, releases before the late-2015 minor "
                "updates default to 512MB, renegotiating SSL on long-lived connections; set it to 0"
            )
            yield make_finding(rule, current.location, message, fix_or_none(view.fix(SETTING, "0")))
        return
    if current.how:  # written as SQL, where the server answers with an ERROR, not a failed start
        yield from _check_sql(rule, view, current)
        return
    if view.templated(SETTING):
        return  # a variable or template fills it in: 0 or not, it is not known here
    why = _why(view, view.refusal, "stops the server from starting")
    if why is not None:
        yield make_finding(rule, current.location, f"{SETTING} = {current.raw}: {why}; set it to 0{current.set_where}",
                           fix_or_none(view.fix(SETTING, "0")))  # fmt: skip


def _why(view: SettingsView, refused: str, refused_later: str) -> str | None:
    """What the view's value means on its version, or None when it is fine.

    ``refused`` says what happens to a non-zero value from 9.5 on (a server that will not start,
    a statement that fails); ``refused_later`` is the same, said after "any value but 0".
    """
    version = view.version
    kilobytes = view.get(SETTING, "kB", number=True).value  # the meaning before 9.5
    plain = view.get(SETTING, None, number=True).value  # from 9.5 on: a plain integer, and only 0
    if version is not None and version < only_zero_since():
        if not kilobytes:
            return None  # 0, or a value this server cannot read (PGF001's business)
        return (
            f"PostgreSQL {version} renegotiates SSL after every {kilobytes} kB of traffic, which breaks "
            "long-lived connections with 'SSL connection has been closed unexpectedly'"
        )
    if plain == 0:
        return None
    if version is not None:
        return f"PostgreSQL {version} accepts only a plain 0 here, so {refused}"
    if kilobytes == 0:
        return f"from PostgreSQL 9.5 on only a plain 0 (no unit) is accepted, and otherwise {refused}"
    return (
        "before PostgreSQL 9.5 the server renegotiates SSL after that much traffic, which breaks "
        f"long-lived connections; from 9.5 on any value but 0 {refused_later}"
    )


def _check_sql(rule: Rule, view: SettingsView, current: Setting) -> Iterator[Finding]:
    """ALTER SYSTEM refuses the parameter from 9.5 on, whatever the value; elsewhere only 0 is accepted.

    Removing the ALTER SYSTEM statement is offered only when the version is known to be 9.5 or
    later: there the statement can only fail, so removing it changes nothing but the error. On
    9.4 the same statement works and keeps renegotiation off, and with no version known we cannot
    tell which of the two we are looking at, so there is no fix.
    """
    version = view.version
    shown = f"{SETTING} = {current.raw}"
    old = version is not None and version < only_zero_since()
    if current.how == "system" and not old:
        why = (
            f"ALTER SYSTEM SET {SETTING} fails on PostgreSQL 9.5 and later, even for 0 "
            f'(ERROR: parameter "{SETTING}" cannot be changed), which stops a script run with '
            "ON_ERROR_STOP or in a transaction; the parameter accepts only 0 there, so the statement "
            "achieves nothing"
        )
        if version is not None:
            yield make_finding(rule, current.location, f"{why}; remove it", fix_or_none(view.remove(SETTING)))
        else:
            yield make_finding(rule, current.location, f"{why}; remove it (on 9.4 it works: keep it there)")
        return
    why = _why(view, "this statement fails with an ERROR", "makes this statement fail with an ERROR")
    if why is not None:
        yield make_finding(rule, current.location, f"{shown}: {why}; set it to 0", fix_or_none(view.fix(SETTING, "0")))

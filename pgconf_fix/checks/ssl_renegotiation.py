"""PGF104: ssl_renegotiation_limit, whose meaning changed with PostgreSQL 9.5."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.engine import make_finding, set_fix
from pgconf_fix.findings import Finding
from pgconf_fix.options import Options
from pgconf_fix.versions import PgVersion
from pgconf_fix.views.base import Assignment, SettingsView

SETTING = "ssl_renegotiation_limit"
ONLY_ZERO_SINCE = PgVersion(9, 5)


def check(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    version = view.version
    current = view.effective(SETTING)
    if current is None:
        if version is not None and version < ONLY_ZERO_SINCE and view.judges(SETTING):
            message = (
                f"{SETTING} is not set: on PostgreSQL {version}, releases before the late-2015 minor "
                "updates default to 512MB, renegotiating SSL on long-lived connections; set it to 0"
            )
            yield make_finding(rule, view.missing_location(SETTING), message, set_fix(view, SETTING, "0"))
        return
    kilobytes = _read(view, current, "kB")  # the meaning before 9.5
    plain = _read(view, current, None)  # from 9.5 on: a plain integer, and only 0
    shown = f"{SETTING} = {current.raw_value}"
    if version is not None and version < ONLY_ZERO_SINCE:
        if not kilobytes:
            return  # 0, or a value this server cannot read (PGF001's business)
        why = (
            f"PostgreSQL {version} renegotiates SSL after every {kilobytes} kB of traffic, which breaks "
            "long-lived connections with 'SSL connection has been closed unexpectedly'"
        )
    elif plain == 0:
        return
    elif version is not None:
        why = f"PostgreSQL {version} accepts only a plain 0 here, so the server refuses to start with this file"
    elif kilobytes == 0:
        why = "from PostgreSQL 9.5 on only a plain 0 (no unit) is accepted; the server refuses to start otherwise"
    else:
        why = (
            "before PostgreSQL 9.5 the server renegotiates SSL after that much traffic, which breaks "
            "long-lived connections; from 9.5 on any value but 0 stops the server from starting"
        )
    yield make_finding(rule, current.location, f"{shown}: {why}; set it to 0", set_fix(view, SETTING, "0"))


def _read(view: SettingsView, current: Assignment, unit: str | None) -> int | None:
    try:
        return view.numeric(current, unit)
    except ValueError:
        return None

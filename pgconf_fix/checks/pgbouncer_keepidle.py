"""PGF602: [pgbouncer] tcp_keepidle unset, 0 or above the idle budget, with keepalives on."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.engine import make_finding
from pgconf_fix.findings import SAFE, Finding, Fix
from pgconf_fix.options import Options
from pgconf_fix.views.base import SettingsView
from pgconf_fix.views.pgbouncer import PgBouncerConfig

COMPANIONS = (("tcp_keepintvl", "interval"), ("tcp_keepcnt", "count"))


def check(rule: Rule, view: SettingsView, options: Options) -> Iterator[Finding]:
    if not isinstance(view, PgBouncerConfig):
        return
    idle_budget = options.budget_for(keepalives=True)
    budget = idle_budget.seconds
    try:
        switch, _ = view.value("tcp_keepalive")
        idle, current = view.value("tcp_keepidle")
    except ValueError:
        return  # PGF001's
    if switch == 0:
        return  # PGF601's
    if current is None:
        if not view.judges("tcp_keepidle"):
            return
        problem = (
            "tcp_keepidle is not set: PgBouncer leaves it to the operating system (7200 s on Linux)"
            + view.reset_note("tcp_keepidle")
        )
        where = view.missing_location("tcp_keepidle")
    elif idle == 0:
        problem = f"tcp_keepidle = {current.raw_value} means the operating system's default (7200 s on Linux)"
        where = current.location
    elif idle > budget:
        problem = f"tcp_keepidle = {current.raw_value} is above the idle budget ({idle_budget.describe()})"
        where = current.location
    else:
        return
    # The fix passes this rule: never above the budget it is judged against.
    wanted = [("tcp_keepidle", str(options.fix_target(rule, "target", maximum=budget)))]
    for key, parameter in COMPANIONS:
        if view.effective(key) is None:
            wanted.append((key, str(options.parameter(rule, parameter))))
    edits = tuple(edit for key, value in wanted for edit in view.set_edits(key, value))
    shown = ", ".join(f"{key} = {value}" for key, value in wanted)
    fix = Fix(SAFE, f"Set {shown}", edits) if edits else None
    yield make_finding(rule, where, f"{problem}; set {shown}", fix)

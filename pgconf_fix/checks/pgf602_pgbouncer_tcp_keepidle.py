"""PGF602: [pgbouncer] tcp_keepidle unset, 0 or above the idle budget, with keepalives on."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import SAFE, Finding, Fix, make_finding
from pgconf_fix.options import Options
from pgconf_fix.views.pgbouncer import PgBouncerConfig

COMPANIONS = (("tcp_keepintvl", "interval"), ("tcp_keepcnt", "count"))


@check("PGF602", judges=PgBouncerConfig)
def pgbouncer_tcp_keepidle(rule: Rule, view: PgBouncerConfig, options: Options) -> Iterator[Finding]:
    idle_budget = options.budget_for(keepalives=True)
    budget = idle_budget.seconds
    switch = view.get("tcp_keepalive", number=True)
    idle = view.get("tcp_keepidle", number=True)
    if switch.is_unknown or idle.is_unknown:
        return  # PGF001's
    if switch.value == 0:
        return  # PGF601's
    if idle.is_missing:
        if not idle.judged:
            return
        problem = (
            "tcp_keepidle is not set: PgBouncer leaves it to the operating system (7200 s on Linux)"
            + view.missing_note("tcp_keepidle")
        )
    elif idle.value == 0:
        problem = f"tcp_keepidle = {idle.raw} means the operating system's default (7200 s on Linux)"
    elif idle.value > budget:
        problem = f"tcp_keepidle = {idle.raw} is above the idle budget ({idle_budget.describe()})"
    else:
        return
    # The fix passes this rule: never above the budget it is judged against.
    wanted = [("tcp_keepidle", str(options.fix_target(rule, "target", maximum=budget)))]
    for key, parameter in COMPANIONS:
        if view.get(key).is_missing:
            wanted.append((key, str(options.parameter(rule, parameter))))
    fixes = [view.fix(key, value) for key, value in wanted]
    edits = tuple(edit for fixed in fixes if isinstance(fixed, Fix) for edit in fixed.edits)
    shown = ", ".join(f"{key} = {value}" for key, value in wanted)
    fix = Fix(SAFE, f"Set {shown}", edits) if edits else None
    location = idle.location
    yield make_finding(rule, location, f"{problem}{view.reader_note(location)}; set {shown}", fix)

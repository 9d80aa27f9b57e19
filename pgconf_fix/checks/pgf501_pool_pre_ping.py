"""PGF501: a pooled SQLAlchemy engine that hands out connections without testing them."""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import Finding, make_finding
from pgconf_fix.library_versions import ENGINE_OPTIONS_SINCE
from pgconf_fix.options import Options
from pgconf_fix.setting import fix_or_none
from pgconf_fix.views.pool_flask import ENGINE_OPTIONS
from pgconf_fix.views.pool_sqlalchemy import EngineView

SETTING = "pool_pre_ping"
CONSEQUENCE = (
    "a pooled connection that died while idle is handed to the next request, which fails with "
    "'SSL connection has been closed unexpectedly'"
)


@check("PGF501", judges=EngineView)
def pool_pre_ping(rule: Rule, view: EngineView, options: Options) -> Iterator[Finding]:
    if not view.judged():
        return
    if view.flask is not None and view.flask_version().reads_engine_options is False:
        yield from _before_engine_options(rule, view)
        return
    current = view.get(SETTING)
    if current.is_missing:
        if not current.judged:
            return
        fix = fix_or_none(view.fix(SETTING, "True"), "Add pool_pre_ping=True")
        message = f"{view.describe()} has no {SETTING}: {CONSEQUENCE}; add {SETTING}=True"
        yield make_finding(rule, current.location, message, fix)
    elif current.is_set and not current.value:
        fix = fix_or_none(view.fix(SETTING, "True"), "Set pool_pre_ping=True")
        condition = f" ({current.reason})" if current.reason else ""  # a default the environment can replace
        message = f"{view.describe()} sets {SETTING} off{condition}: {CONSEQUENCE}; set it to True"
        yield make_finding(rule, current.location, message, fix)


def _before_engine_options(rule: Rule, view: EngineView) -> Iterator[Finding]:
    """Flask-SQLAlchemy before 2.4 reads no engine options from the config: pre-ping cannot be
    turned on there, and a SQLALCHEMY_ENGINE_OPTIONS dict is ignored. The advice is an upgrade."""
    if view.settings is None and not view.judges_missing:
        return
    version = view.flask_version().describe()
    where = f"{ENGINE_OPTIONS} is ignored" if view.settings is not None else f"there is no {ENGINE_OPTIONS}"
    message = (
        f"{view.describe()} never pre-pings: before Flask-SQLAlchemy {ENGINE_OPTIONS_SINCE} ({version}) "
        f"{where} and {SETTING} cannot be set from the config, so {CONSEQUENCE}; upgrade Flask-SQLAlchemy "
        f"to {ENGINE_OPTIONS_SINCE} or later and set {ENGINE_OPTIONS} = {{\"{SETTING}\": True}}"
    )
    yield make_finding(rule, view.missing_location(SETTING), message, None)

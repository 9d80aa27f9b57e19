"""PGF503: Django keeps connections (CONN_MAX_AGE) without checking them (CONN_HEALTH_CHECKS).

CONN_HEALTH_CHECKS exists from Django 4.1 on (FACTS.md): where the project pins an older Django
the key is ignored, so the advice is an upgrade and no fix is offered; where no pin says which
Django runs, the message says what holds for each. A ``dj_database_url.config()`` /
``parse()`` call takes ``conn_health_checks=`` from dj-database-url 1.2 on and raises
TypeError before (pgconf_fix.library_versions): with an older pin no keyword is added, and
without a pin the fix is unsafe.
"""

from __future__ import annotations

from collections.abc import Iterator

from pgconf_fix.catalog import Rule
from pgconf_fix.checks import check
from pgconf_fix.findings import UNSAFE, Finding, make_finding
from pgconf_fix.library_versions import (
    CALL_HEALTH_CHECKS_SINCE,
    HEALTH_CHECKS_SINCE,
    dj_database_url_version,
    django_version,
)
from pgconf_fix.options import Options
from pgconf_fix.setting import fix_or_none
from pgconf_fix.views.pool_django import DjangoDatabaseView

SETTING = "CONN_HEALTH_CHECKS"
CONSEQUENCE = "a connection that died while idle reaches the next request as 'SSL connection has been closed unexpectedly'"


@check("PGF503", judges=DjangoDatabaseView)
def django_health_checks(rule: Rule, view: DjangoDatabaseView, options: Options) -> Iterator[Finding]:
    if view.is_postgres() is False:
        return
    conn_max_age = view.get("CONN_MAX_AGE")
    max_age = conn_max_age.value
    if not conn_max_age.is_set or isinstance(max_age, (bool, str)):
        yield from _unchecked_pool(rule, view)
        return
    if max_age is not None and not (isinstance(max_age, (int, float)) and max_age > 0):
        yield from _unchecked_pool(rule, view)
        return
    kept = "for ever" if max_age is None else f"for {max_age} s"
    if conn_max_age.reason:  # a default the environment can replace
        kept += f" ({conn_max_age.reason})"
    checks = view.get(SETTING)
    version = django_version(view.source.path)
    location = checks.location if checks.written else conn_max_age.location
    if version.has_health_checks is False:
        if checks.is_unknown:
            return
        state = f"its {SETTING} is ignored" if checks.written else f"there is no {SETTING}"
        message = (
            f"{view.describe()} keeps connections {kept}, and {state}: Django before {HEALTH_CHECKS_SINCE} "
            f"({version.describe()}) never checks a kept connection, so {CONSEQUENCE}; upgrade Django to "
            f"{HEALTH_CHECKS_SINCE} or later and set {SETTING} to True, or set CONN_MAX_AGE to 0"
        )
        yield make_finding(rule, location, message, None)
        return
    if checks.is_unknown or (checks.is_set and checks.value):
        return
    state = f"{SETTING} is off" if checks.written else f"{SETTING} is not set"
    if checks.written and checks.reason:
        state += f" ({checks.reason})"
    unknown = (
        f" (Django {HEALTH_CHECKS_SINCE} or later; an older Django ignores it, and there only "
        f"CONN_MAX_AGE = 0 helps: {version.describe()})"
        if version.has_health_checks is None
        else ""
    )
    fix = fix_or_none(view.fix(SETTING, "True"))
    if view.adds_dj_database_url_keyword(SETTING):
        library = dj_database_url_version(view.source.path)
        needs = f"dj-database-url {CALL_HEALTH_CHECKS_SINCE} or later"
        if library.takes_health_checks is False:
            fix = None
            unknown += (f"; the call's conn_health_checks=True needs {needs}, and an older one raises "
                        f"TypeError ({library.describe()}): upgrade it first")
        elif library.takes_health_checks is None:
            fix = fix_or_none(view.fix(SETTING, "True"), applicability=UNSAFE)
            unknown += f"; the call's conn_health_checks=True needs {needs} ({library.describe()})"
    message = f"{view.describe()} keeps connections {kept} but {state}: {CONSEQUENCE}; set {SETTING} to True{unknown}"
    yield make_finding(rule, location, message, fix)


def _unchecked_pool(rule: Rule, view: DjangoDatabaseView) -> Iterator[Finding]:
    """Django 5.1+'s own pool (``OPTIONS["pool"]``, with CONN_MAX_AGE 0, which it requires):
    Django creates the psycopg_pool ``ConnectionPool`` with ``check=ConnectionPool.check_connection``
    only when CONN_HEALTH_CHECKS is True and ``check=None`` otherwise (Django 5.2
    ``DatabaseWrapper.pool``; a ``check`` in the pool's dict is a second ``check=`` and raises
    TypeError), so without it a pooled connection that died while idle is handed out. Checked
    with Django 5.2, psycopg_pool 3.3 and PostgreSQL 15 (tests/test_python_layer.py)."""
    pool = view.pool_option()
    if pool is None or pool[1] is not True:
        return
    entry, _ = pool
    checks = view.get(SETTING)
    if checks.is_unknown or (checks.is_set and checks.value):
        return
    if django_version(view.source.path).has_health_checks is False:
        return  # a Django before 4.1 has no pool either: OPTIONS["pool"] goes to libpq, which refuses it
    state = f"{SETTING} is off" if checks.written else f"{SETTING} is not set"
    message = (
        f'{view.describe()} keeps connections in Django\'s psycopg pool (OPTIONS "pool") but {state}, so Django '
        f"creates the pool with check=None: {CONSEQUENCE}; set {SETTING} to True"
    )
    location = checks.location if checks.written else view.entry_location(entry)
    yield make_finding(rule, location, message, fix_or_none(view.fix(SETTING, "True")))

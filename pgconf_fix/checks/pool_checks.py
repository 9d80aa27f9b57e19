"""The checks judging pools configured in Python: a reader that builds such views imports this module."""

from __future__ import annotations

from pgconf_fix.checks import (  # noqa: F401 - imported to register
    pgf501_pool_pre_ping,
    pgf502_pool_recycle,
    pgf503_django_health_checks,
    pgf504_psycopg_pool_check,
    pgf505_flask_legacy_pool_keys,
)

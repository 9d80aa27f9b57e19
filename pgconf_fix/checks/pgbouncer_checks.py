"""The checks judging PgBouncer's [pgbouncer] section: a reader that builds such views imports this module."""

from __future__ import annotations

from pgconf_fix.checks import (  # noqa: F401 - imported to register
    pgf601_pgbouncer_tcp_keepalive_off,
    pgf602_pgbouncer_tcp_keepidle,
    pgf603_pgbouncer_server_check,
    pgf604_pgbouncer_server_idle_timeout,
)

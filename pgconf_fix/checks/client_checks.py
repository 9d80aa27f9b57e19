"""The checks judging client connections: a reader that builds such views imports this module."""

from __future__ import annotations

from pgconf_fix.checks import (  # noqa: F401 - imported to register
    pgf401_client_keepalives,
    pgf403_jdbc_tcp_keepalive,
    pgf404_client_sslmode,
)

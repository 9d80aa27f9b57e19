"""The checks judging server-layer views (postgresql.conf trees, SQL files, settings placed in YAML): a reader that builds such views imports this module."""

from __future__ import annotations

from pgconf_fix.checks import (  # noqa: F401 - imported to register
    pgf104_ssl_renegotiation,
)

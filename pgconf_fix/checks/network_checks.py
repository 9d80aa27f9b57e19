"""The checks judging load balancers: a reader that builds such views imports this module."""

from __future__ import annotations

from pgconf_fix.checks import (  # noqa: F401 - imported to register
    pgf301_alb_idle_timeout,
    pgf302_elb_idle_timeout,
)

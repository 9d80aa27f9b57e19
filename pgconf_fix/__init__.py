"""pgconf-fix: find and patch the settings behind dropped PostgreSQL connections."""

from __future__ import annotations

__version__ = "0.1.0"
# The environment variable that names the result cache's directory (pgconf_fix.cache): here, so
# the command can tell whether a run uses the cache without importing it (issue 18).
CACHE_ENVIRONMENT_VARIABLE = "PGCONF_FIX_CACHE_DIR"
# The garbage collector's threshold for one run of the command (pgconf_fix.cli.entry, set before
# the command's modules are imported by pgconf_fix.__main__.entry): few passes, cycles still freed.
GC_THRESHOLD = (50_000, 20, 100)

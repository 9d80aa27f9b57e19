from __future__ import annotations

from pgconf_fix.cli import entry

raise SystemExit(entry())

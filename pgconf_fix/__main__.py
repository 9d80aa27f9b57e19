from __future__ import annotations

from pgconf_fix.cli import main

raise SystemExit(main())

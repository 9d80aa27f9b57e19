"""pgconf-fix: find and patch the settings behind dropped PostgreSQL connections."""

from __future__ import annotations

__version__ = "0.1.0"

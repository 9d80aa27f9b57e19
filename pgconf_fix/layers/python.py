"""Python layer: pools and connections configured in application code (SQLAlchemy,
Flask-SQLAlchemy, Django settings, psycopg pools)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgconf_fix.options import Options
    from pgconf_fix.source import SourceFile
    from pgconf_fix.views.base import SettingsView
    from pgconf_fix.workspace import Workspace

from pgconf_fix.layers import LAYER_MODULES

NAME = "python"
CLIENT_LAYER = "pgconf_fix.layers.client"
HEAD = 64 * 1024
# A file that mentions none of these configures no pool or connection we know of.
# Plain words, so a substring search does it, many times faster than a regex alternation.
_MARKERS = (
    b"create_engine", b"create_async_engine", b"engine_from_config", b"SQLALCHEMY_", b"DATABASES",
    b"ConnectionPool", b"psycopg", b"dj_database_url", b"engine_options",
)


def claim(path: Path, head: Callable[[], bytes]) -> bool:
    if path.suffix != ".py":
        return False
    data = head()
    return any(marker in data for marker in _MARKERS)


def build_views(workspace: Workspace, sources: list[SourceFile], options: Options) -> list[SettingsView]:
    from pgconf_fix.views.pool import build_pool_views

    views = build_pool_views(workspace, sources, options)
    # A file goes to one layer; connection strings in the files taken here are still the client layer's.
    if CLIENT_LAYER in LAYER_MODULES:
        client = importlib.import_module(CLIENT_LAYER)
        theirs = [source for source in sources if client.claim(source.path, lambda source=source: source.data[:HEAD])]
        if theirs:
            views.extend(client.build_views(workspace, theirs, options))
    return views

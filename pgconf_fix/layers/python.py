"""Python layer: pools and connections configured in application code (SQLAlchemy,
Flask-SQLAlchemy, Django settings, psycopg and psycopg_pool). Connection strings in the
files taken here are judged as the client layer judges them, with the call around them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgconf_fix.options import Options
    from pgconf_fix.source import SourceFile
    from pgconf_fix.views.base import Built
    from pgconf_fix.workspace import Workspace

NAME = "python"
LAYERS = ("pool", "client")  # the rule layers of the views it builds
# A file that mentions none of these configures no pool or connection we know of.
# Plain words, so a substring search does it, many times faster than a regex alternation.
_MARKERS = (
    b"create_engine", b"create_async_engine", b"engine_from_config", b"SQLALCHEMY_", b"DATABASES",
    b"ConnectionPool", b"psycopg", b"dj_database_url", b"engine_options", b"asyncpg",
)
# Four of them hold "engine": one search for it stands for their four in the many modules
# without it (the Python-heavy tree's 8,000 heads were searched nine times each; six now).
_ENGINE_MARKERS = tuple(marker for marker in _MARKERS if b"engine" in marker)
_OTHER_MARKERS = tuple(marker for marker in _MARKERS if b"engine" not in marker)


def claim(path: Path, head: Callable[[], bytes]) -> bool:
    if path.suffix != ".py":
        return False
    data = head()
    if any(marker in data for marker in _OTHER_MARKERS):
        return True
    return b"engine" in data and any(marker in data for marker in _ENGINE_MARKERS)


def group_key(path: Path) -> Path:
    """Each file's views are its own (pgconf_fix.layers: what the file reads joins others)."""
    return path


def build_views(workspace: Workspace, sources: list[SourceFile], options: Options) -> Built:
    # The checks judging the views built here register themselves (pgconf_fix.checks).
    from pgconf_fix.checks import client_checks, pool_checks  # noqa: F401
    from pgconf_fix.views.python_client import build_python_views

    return build_python_views(workspace, sources, options)

"""Dockerfile reader: a Dockerfile that builds a PostgreSQL image with a command of its own, whose
``-c`` flags are server settings (pgconf_fix.views.dockerfile); its connection strings are judged
as the client reader judges them. Any other Dockerfile stays the client reader's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgconf_fix.options import Options
    from pgconf_fix.source import SourceFile
    from pgconf_fix.views.base import Built
    from pgconf_fix.workspace import Workspace

NAME = "dockerfile"
LAYERS = ("server", "client")  # the rule layers of the views it builds


@cache
def _postgres_from() -> re.Pattern[bytes]:
    # The words of every image views.compose.is_postgres_image takes (postgres, postgis,
    # crunchy-postgres, timescaledb, pgvector, spilo).
    return re.compile(rb"^(?:\xef\xbb\xbf)?[ \t]*FROM[ \t][^\n]*(?:postg|timescaledb|pgvector|spilo)",
                      re.MULTILINE | re.IGNORECASE)


def claim(path: Path, head: Callable[[], bytes]) -> bool:
    """A Dockerfile (by name) with a ``FROM`` line naming a postgres-like image and a ``CMD`` or
    ``ENTRYPOINT``: a cheap look; the view decides what it can read."""
    name = path.name
    if not (name.startswith(("Dockerfile", "Containerfile")) or name.endswith((".Dockerfile", ".dockerfile"))):
        return False
    data = head()
    upper = data.upper()
    return (b"CMD" in upper or b"ENTRYPOINT" in upper) and _postgres_from().search(data) is not None


def group_key(path: Path) -> Path:
    """Each file's views are its own."""
    return path


def build_views(workspace: Workspace, sources: list[SourceFile], options: Options) -> Built:
    # The checks judging the views built here register themselves (pgconf_fix.checks).
    from pgconf_fix.checks import client_checks, server_checks  # noqa: F401
    from pgconf_fix.views.base import Built
    from pgconf_fix.views.client import build_client_views
    from pgconf_fix.views.dockerfile import dockerfile_server_views

    built = Built([view for source in sources for view in dockerfile_server_views(source)])
    built.views.extend(build_client_views(workspace, sources, options))
    return built

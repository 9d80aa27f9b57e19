"""Server layer: postgresql.conf trees (and conf.d fragments)."""

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

NAME = "server"
LAYERS = ("server",)  # the rule layers of the views it builds
MAIN_NAMES = ("postgresql.conf", "postgresql.auto.conf")


@cache
def _sniff() -> re.Pattern[bytes]:
    """A line that sets (or comments out) a parameter people put in conf.d fragments; compiled
    when first needed (a postgresql.conf is claimed by its name)."""
    return re.compile(
        rb"^[ \t]*(?:tcp_keepalives_|ssl_renegotiation_limit|listen_addresses|max_connections|shared_buffers"
        rb"|work_mem|log_|statement_timeout|idle_|wal_|ssl[ \t=_]|port[ \t=]|include(?:_dir|_if_exists)?[ \t=])",
        re.MULTILINE,
    )


def claim(path: Path, head: Callable[[], bytes]) -> bool:
    if path.name in MAIN_NAMES:
        return True
    if path.suffix != ".conf":
        return False
    data = head()
    if not _sniff().search(data):
        return False
    from pgconf_fix.views.server import looks_like_pgconf

    return looks_like_pgconf(data)


def group_key(path: Path) -> Path:
    """The directory of the postgresql.conf a file is, or lies up to three levels below (where
    views.server looks for the tree a fragment joins), else the file itself: a tree and its
    fragments are built together from the start. Groups that turn out to read each other's
    files (an include elsewhere) are joined by pgconf_fix.run."""
    if path.name in MAIN_NAMES:
        return path.parent
    directory = path.parent
    for _ in range(3):
        if (directory / MAIN_NAMES[0]).is_file():
            return directory
        directory = directory.parent
    return path

def build_views(workspace: Workspace, sources: list[SourceFile], options: Options) -> Built:
    # The checks judging the views built here register themselves (pgconf_fix.checks).
    from pgconf_fix.checks import server_checks  # noqa: F401
    from pgconf_fix.views.base import Built
    from pgconf_fix.views.server import build_server_views

    return Built(build_server_views(workspace, sources, options))

"""SQL layer: ``.sql`` files whose statements set server parameters (views of layer "server")."""

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

NAME = "sql"
LAYERS = ("server",)  # the rule layers of the views it builds


@cache
def _sniff() -> re.Pattern[bytes]:
    """The word SET, which every statement this layer reads contains (ALTER ... SET, SET; RESET
    does not need reading alone): a file without it is never parsed. Compiled when first needed."""
    return re.compile(rb"(?i)(?<![a-z0-9_])set(?![a-z0-9_])")


def claim(path: Path, head: Callable[[], bytes]) -> bool:
    if path.suffix.lower() != ".sql":
        return False
    return _sniff().search(head()) is not None


def group_key(path: Path) -> Path:
    """Each file's views are its own (pgconf_fix.layers: what the file reads joins others)."""
    return path


def build_views(workspace: Workspace, sources: list[SourceFile], options: Options) -> Built:
    # The checks judging the views built here register themselves (pgconf_fix.checks).
    from pgconf_fix.checks import server_checks  # noqa: F401
    from pgconf_fix.views.base import Built
    from pgconf_fix.views.sql import build_sql_views

    return Built(list(build_sql_views(workspace, sources, options)))

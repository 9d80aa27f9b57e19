"""PgBouncer layer: pgbouncer.ini files (and other .ini files with a [pgbouncer] or [databases] section).

The same INI inside a Kubernetes ConfigMap is read by the YAML layer, through the same view.
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

NAME = "pgbouncer"
LAYERS = ("pgbouncer", "client")  # the rule layers of the views it builds


@cache
def _section() -> re.Pattern[bytes]:
    """The section header only a PgBouncer .ini has, compiled when first needed."""
    return re.compile(rb"^[ \t]*\[(?:pgbouncer|databases)\][ \t]*\r?$", re.MULTILINE)


def claim(path: Path, head: Callable[[], bytes]) -> bool:
    if path.name == "pgbouncer.ini":
        return True
    if path.suffix != ".ini":
        return False
    return _section().search(head()) is not None


def group_key(path: Path) -> Path:
    """Each file's views are its own (pgconf_fix.layers: what the file reads joins others)."""
    return path


def build_views(workspace: Workspace, sources: list[SourceFile], options: Options) -> Built:
    # The checks judging the views built here register themselves (pgconf_fix.checks).
    from pgconf_fix.checks import client_checks, pgbouncer_checks  # noqa: F401
    from pgconf_fix.views.base import Built
    from pgconf_fix.views.pgbouncer import WholeFile, build_pgbouncer_views

    built = [(source, build_pgbouncer_views(WholeFile(source), workspace)) for source in sources]
    # A file another one %includes is judged as part of it (pgconf_fix.run joins the groups
    # that read a common file), not again on its own, where its lines have no section.
    included = {path for source, views in built for path in views[0].scope if path != source.path}
    kept = [(source, views) for source, views in built if source.path not in included] or built
    return Built([view for _, views in kept for view in views])

"""The readers: discovery's units, one module a kind of file (a rule's ``layer`` is something
else: a place on the connection's path, which a view's ``layer`` names; the sql reader builds
server-layer views, the python reader pool- and client-layer ones). Each module here is cheap
to import: it decides from a file's name (and, when the name is not enough, its first bytes)
whether the file is its own, and imports its parser only in ``build_views``.

A reader module provides:
    NAME: str
    LAYERS: tuple[str, ...]
        the rule layers of the views it builds (a rule of another layer never judges them;
        tests/test_readers_selected.py holds every fixture's views to it)
    claim(path: Path | FileName, head: Callable[[], bytes]) -> bool
        (discovery passes a ``discovery.FileName``: only ``name``, ``suffix`` and
        ``parent.name`` of the path may be read)
    build_views(workspace, sources, options) -> views.base.Built
        the views the rules judge, and the files judged as a whole (``ParsedFile``: the parse
        errors their documents report, PGF001; their suppression comments are judged even
        where no view is built); imports, statically, the pgconf_fix.checks modules judging
        the views it builds
    group_key(path: Path) -> Hashable   (optional)
        files with one key are built together; files with different keys apart, unless their
        builds read a common file (pgconf_fix.run joins them then). Without it, all the
        reader's files are one group. Only where a reader's views of a file depend on no other
        of its files but those they read through the workspace, or those with the same key.
    linked(source: SourceFile) -> Iterable[Hashable]   (optional)
        places (directories) a build of the file reads: groups whose files name a common
        place are joined before they are built (pgconf_fix.run), where their reads would join
        them only after each was built once. A cheap foresight, never needed for correctness.
"""

from __future__ import annotations

import importlib
from types import ModuleType

LAYER_MODULES = (
    "pgconf_fix.layers.server",
    "pgconf_fix.layers.kernel",
    "pgconf_fix.layers.python",
    "pgconf_fix.layers.sql",
    "pgconf_fix.layers.terraform",
    "pgconf_fix.layers.pgbouncer",
    "pgconf_fix.layers.yaml_config",
    "pgconf_fix.layers.dockerfile",
    "pgconf_fix.layers.client",
)


def layer_modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in LAYER_MODULES]

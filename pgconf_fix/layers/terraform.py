"""Network layer: load balancers declared in Terraform (.tf files).

``.tf.json`` files are not read yet: their positions would need a JSON parser's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgconf_fix.options import Options
    from pgconf_fix.source import SourceFile
    from pgconf_fix.views.base import SettingsView
    from pgconf_fix.workspace import Workspace

NAME = "network"


def claim(path: Path, head: Callable[[], bytes]) -> bool:
    return path.suffix == ".tf"


def build_views(workspace: Workspace, sources: list[SourceFile], options: Options) -> list[SettingsView]:
    # The checks judging the views built here register themselves (pgconf_fix.checks).
    from pgconf_fix.checks import network_checks  # noqa: F401
    from pgconf_fix.views.network import build_network_views

    return build_network_views(workspace, sources, options)

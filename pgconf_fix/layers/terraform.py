"""Network layer: Terraform configuration (``*.tf`` and ``*.tf.json``): load balancers and
the other boxes on a connection's path, and server settings kept in cloud resources.
``terraform.tfvars`` / ``*.auto.tfvars`` are read as the values of a directory's variables.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgconf_fix.options import Options
    from pgconf_fix.source import SourceFile
    from pgconf_fix.views.base import Built
    from pgconf_fix.workspace import Workspace

NAME = "network"
LAYERS = ("network", "server")  # the rule layers of the views it builds


def claim(path: Path, head: Callable[[], bytes]) -> bool:
    return path.suffix == ".tf" or path.name.endswith(".tf.json")


def group_key(path: Path) -> Path:
    """The directory: Terraform reads a directory's files as one module."""
    return path.parent


def build_views(workspace: Workspace, sources: list[SourceFile], options: Options) -> Built:
    # The checks judging the views built here register themselves (pgconf_fix.checks).
    # Parameter groups, Cloud SQL flags and Azure configurations are server views.
    from pgconf_fix.checks import network_checks, server_checks  # noqa: F401
    from pgconf_fix.views.network import build_network_views

    return build_network_views(workspace, sources, options)

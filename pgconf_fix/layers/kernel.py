"""Kernel layer: sysctl.conf and sysctl.d/*.conf (also an OS image tree's etc/, run/, usr/lib/ ...)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgconf_fix.options import Options
    from pgconf_fix.source import SourceFile
    from pgconf_fix.views.base import Built
    from pgconf_fix.workspace import Workspace

NAME = "kernel"
LAYERS = ("kernel",)  # the rule layers of the views it builds


def claim(path: Path, head: Callable[[], bytes]) -> bool:
    named = path.name == "sysctl.conf" or (path.suffix == ".conf" and path.parent.name == "sysctl.d")
    if not named and path.suffix != ".conf":
        return False
    data = head()
    if not named and b"net." not in data and b"vm." not in data and b"kernel." not in data:
        return False
    from pgconf_fix.documents.sysctl import has_bsd_keys, looks_like_linux_sysctl

    text = data.decode("utf-8", "surrogateescape")
    if named:
        # A named file is Linux's unless it holds another system's keys (BSD net.inet.*, kern.*).
        return not has_bsd_keys(text)
    return looks_like_linux_sysctl(text)


def group_key(path: Path) -> Hashable:
    """The host a sysctl file belongs to (views.kernel.host_root: an OS image root, or the
    directory of a loose sysctl.conf and sysctl.d/): the kernel applies its files as one set."""
    from pgconf_fix.views.kernel import host_root

    return host_root(path)


def build_views(workspace: Workspace, sources: list[SourceFile], options: Options) -> Built:
    from pgconf_fix.views.base import Built
    from pgconf_fix.views.kernel import build_kernel_views

    return Built(build_kernel_views(workspace, sources, options))

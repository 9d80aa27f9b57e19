"""Kernel layer: sysctl.conf and sysctl.d/*.conf."""

from __future__ import annotations

from collections.abc import Callable
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


def group_key(path: Path) -> Path:
    """The directory holding a host's sysctl.conf and sysctl.d/ (views.kernel.group_root):
    the kernel applies them as one set."""
    return path.parent.parent if path.parent.name == "sysctl.d" else path.parent


def build_views(workspace: Workspace, sources: list[SourceFile], options: Options) -> Built:
    from pgconf_fix.views.base import Built
    from pgconf_fix.views.kernel import build_kernel_views

    return Built(build_kernel_views(workspace, sources, options))

"""The idle budget: the shortest idle timeout a connection meets on its path.

No keepalive idle time and no pool recycle interval may exceed it (DESIGN.md, "Views").
It is, in order of precedence:

1. given: ``--idle-budget`` or the ``idle-budget`` config key;
2. learned: the shortest idle timer of the boxes found in the checked tree (an NLB
   listener, a NAT gateway, an RDS Proxy, an Azure load balancer rule or NAT gateway,
   Cloud NAT, a Neon host name, ...);
3. the default, 300 s.

Two budgets are learned, because keepalives do not help everywhere: a NAT or a load
balancer forgets a flow only when no packet crosses it, so TCP keepalives reset its timer
(the *keepalive* budget); RDS Proxy's ``idle_client_timeout`` and Neon's suspend count
queries, not packets (FACTS.md), so only a pool recycle or pre-ping shorter than them helps
(the *recycle* budget, which also takes every box of the first kind).

Sources register with ``@budget_source``; a module that provides some is listed in
``SOURCE_MODULES`` and imported only when a budget is learned. A source receives the
run's workspace and the discovered files by layer, and yields ``IdleTimer`` records.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgconf_fix.source import SourceFile
    from pgconf_fix.workspace import Workspace

DEFAULT_SECONDS = 300
# Modules whose import registers budget sources, and the discovered layers each reads: a
# module is imported only when the tree has files of one of them (a postgresql.conf alone
# imports neither the HCL nor the YAML reader).
SOURCE_MODULES: dict[str, tuple[str, ...]] = {
    "pgconf_fix.views.middleboxes": ("network",),
    "pgconf_fix.budget_neon": ("client", "python", "network", "yaml"),
    "pgconf_fix.budget_swarm": ("yaml",),
}


@dataclass(frozen=True)
class Budget:
    """An idle budget in seconds and where it came from.

    ``origin`` is shown after the value in messages: "" for the built-in default,
    "--idle-budget", "idle-budget in pyproject.toml", or a box with its file:line.
    """

    seconds: int
    origin: str = ""
    learned: bool = False

    def describe(self) -> str:
        """``300 s`` (the default) or ``120 s: NLB listener aws_lb_listener.pg at infra/nlb.tf:12``."""
        return f"{self.seconds} s: {self.origin}" if self.origin else f"{self.seconds} s"


@dataclass(frozen=True)
class IdleTimer:
    """One box on a connection's path that forgets an idle connection after ``seconds``.

    ``keepalives_reset``: whether TCP keepalive probes restart its timer (a NAT or load
    balancer: yes; RDS Proxy or Neon, which count queries: no).
    """

    seconds: int
    box: str  # "NLB listener aws_lb_listener.pg"
    where: str  # "infra/nlb.tf:12"
    keepalives_reset: bool = True
    detail: str = ""  # where the value itself comes from: "var.idle = 150 in terraform.tfvars:1"
    # Why the box may not exist: "its count is not known without a plan" ("": it exists).
    condition: str = ""

    def origin(self) -> str:
        shown = f"{self.box} at {self.where}" if self.where else self.box
        shown = f"{shown}, {self.detail}" if self.detail else shown
        return f"{shown}, if created: {self.condition}" if self.condition else shown


@dataclass(frozen=True)
class PathBudgets:
    """The budget keepalive rules judge against, and the one recycle rules judge against."""

    keepalive: Budget
    recycle: Budget
    timers: tuple[IdleTimer, ...] = ()


# The readers whose discovered files some source reads: discovery keeps them while a budget
# is to be learned (run.readers_needed).
READERS = tuple(sorted({layer for layers in SOURCE_MODULES.values() for layer in layers}))
Files = dict[str, list[tuple[Path, str]]]  # discovered files by layer name: (path, display)
BudgetSource = Callable[["Workspace", Files], Iterable[IdleTimer]]
_SOURCES: dict[str, BudgetSource] = {}


def budget_source(name: str) -> Callable[[BudgetSource], BudgetSource]:
    """Register a function ``(workspace, files) -> Iterable[IdleTimer]`` under ``name``."""

    def register(function: BudgetSource) -> BudgetSource:
        _SOURCES[name] = function
        return function

    return register


def sources(layers: Iterable[str] | None = None) -> dict[str, BudgetSource]:
    """The registered sources by name: those of ``SOURCE_MODULES`` that read any of ``layers``
    (None: all), imported on demand, in ``SOURCE_MODULES`` order; then every source registered
    elsewhere (a plug-in, a test), in the order it was registered."""
    wanted = None if layers is None else set(layers)
    chosen: dict[str, BudgetSource] = {}
    for module, reads in SOURCE_MODULES.items():
        if wanted is not None and not wanted.intersection(reads):
            continue
        importlib.import_module(module)
        chosen.update((name, function) for name, function in _SOURCES.items() if function.__module__ == module)
    chosen.update((name, function) for name, function in _SOURCES.items() if function.__module__ not in SOURCE_MODULES)
    return chosen


def sources_containing(workspace: Workspace, files: Files, layers: Iterable[str], needle: str) -> Iterator[SourceFile]:
    """The discovered files of ``layers`` (in order) whose text contains ``needle``: what a
    budget source reads. A file that cannot be read is skipped: the layer that owns it
    reports it."""
    from pgconf_fix.source import InputError

    for layer in layers:
        for path, display in files.get(layer, []):
            try:
                source = workspace.load(path, display)
            except InputError:
                continue
            if needle in source.text:
                yield source


def shortest(timers: Iterable[IdleTimer], fallback: Budget) -> Budget:
    """The budget a set of timers gives: the shortest (first found wins a tie), else ``fallback``."""
    best: IdleTimer | None = None
    for timer in timers:
        if best is None or timer.seconds < best.seconds:
            best = timer
    if best is None:
        return fallback
    return Budget(best.seconds, best.origin(), learned=True)


def learn(workspace: Workspace, files: Files) -> PathBudgets:
    """Ask every source for the idle timers in the discovered files; a source that fails on
    a file it cannot read skips it (the layer that owns the file reports the error)."""
    timers: list[IdleTimer] = []
    for source in sources(layer for layer, found in files.items() if found).values():
        timers.extend(source(workspace, files))
    default = Budget(DEFAULT_SECONDS)
    keepalive = shortest((t for t in timers if t.keepalives_reset), default)
    recycle = shortest(timers, default)
    return PathBudgets(keepalive=keepalive, recycle=recycle, timers=tuple(timers))


EXPLAIN = """\
The idle budget is the shortest idle timeout a connection meets on its path. It is,
first found wins: --idle-budget; the idle-budget key of the config file; else it is
learned from the checked files: the shortest idle timer of an NLB TCP listener
(tcp_idle_timeout_seconds, 350 s by default), an AWS NAT gateway (350 s, fixed), an
Azure load balancer rule or NAT gateway (idle_timeout_in_minutes, 4 min by default), a
Cloud NAT (tcp_established_idle_timeout_sec, 1200 s by default) and, for pool recycling
only (keepalives do not keep them open), an RDS Proxy (idle_client_timeout, 1800 s by
default) and a Neon host name (suspends after 300 s without queries); else 300 s. The
message names the box and its file:line."""

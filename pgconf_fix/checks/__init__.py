"""Rules whose logic cannot be data: one module a rule, named after it (``pgf501_pool_pre_ping``).

A check registers itself by code with the view type it judges::

    @check("PGF501", judges=EngineView)
    def pool_pre_ping(rule: Rule, view: EngineView, options: Options) -> Iterator[Finding]: ...

The engine calls it for every view of that type (``isinstance``) whose layer is the rule's,
and never imports a check by name. Each check is listed in the group of the views it judges
(``server_checks``, ``network_checks``, ``client_checks``, ``pool_checks``,
``pgbouncer_checks``); a reader (``pgconf_fix.layers``) imports the groups of the views it
builds, so a run pays for a check's imports only when it has such views.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pgconf_fix.catalog import Rule
    from pgconf_fix.findings import Finding
    from pgconf_fix.options import Options
    from pgconf_fix.views.base import SettingsView

CheckFunction = Callable[["Rule", Any, "Options"], Iterable["Finding"]]


@dataclass(frozen=True, eq=False)
class Check:
    """A registered check: the rule code, the view type it judges, and the function."""

    code: str
    judges: type[SettingsView]
    function: CheckFunction


REGISTRY: dict[str, Check] = {}


def check(code: str, judges: type[SettingsView]) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function(rule, view, options) -> findings`` as rule ``code``'s check of ``judges`` views.

    Raises ValueError when another function already holds the code.
    """

    def register(function: CheckFunction) -> CheckFunction:
        known = REGISTRY.get(code)
        if known is not None and known.function is not function:
            raise ValueError(f"{code}: a check is already registered ({known.function.__module__})")
        REGISTRY[code] = Check(code, judges, function)
        return function

    return register


def registered(code: str) -> Check | None:
    """The check registered for ``code``, if the module holding it was imported."""
    return REGISTRY.get(code)

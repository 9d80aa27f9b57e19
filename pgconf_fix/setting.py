"""What every settings view answers: ``get(key) -> Setting`` and ``fix(key, value) -> Fix | Refusal``.

A :class:`Setting` is one key as its consumer would see it: a state (:class:`State`), the
canonical value, the text as written, and where it is (a span in a file) and how it was
found (the references followed to reach it, the statement that wrote it). A fix is a
:class:`~pgconf_fix.findings.Fix`, or a :class:`Refusal` whose reason says why none is offered.

This module sits below documents and views: both speak of :data:`State.UNKNOWN`, the one
"cannot be known without running something" of the project.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pgconf_fix.findings import UNSAFE

if TYPE_CHECKING:
    from pgconf_fix.findings import Fix, Location


class State(Enum):
    """A setting is written with a value we can read, not written at all, or not knowable here
    (a variable, a template, a ``**splat``, a value its consumer cannot parse)."""

    SET = "set"
    MISSING = "missing"
    UNKNOWN = "unknown"

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, eq=False)
class Trail:
    """How a value written elsewhere was reached: the references followed (``var.idle_timeout``),
    and the text and ``file:line`` of the expression they end at."""

    via: tuple[str, ...] = ()
    text: str | None = None
    where: str | None = None


@dataclass(frozen=True, eq=False)
class Setting:
    """One key of a view.

    - ``state``: :class:`State`.
    - ``value``: canonical value: an ``int`` in ``unit`` for numeric reads (``get(key, "s")``),
      the Python literal for settings written in code, else the text (unquoted).
    - ``text``: the value as the consumer reads the string (quotes removed); ``raw``: the bytes
      as written, quotes included ("" when missing).
    - ``location``: where it is written; for a missing key, where a finding about it belongs
      (views pass ``locate`` instead of ``at`` when finding that place costs a search).
    - ``trail``: how it was resolved when written through other names; ``how``: the form that
      wrote it when a view has several (``"system"`` for ``ALTER SYSTEM``, ...), else "".
    - ``reason``: for UNKNOWN, why (shown in messages that must say something); for MISSING,
      where the key was looked for (" in postgresql.conf and its includes"), or ""; for SET, the
      condition the value holds under when the code reads it from the environment with a
      default ("env.int's default, unless CONN_MAX_AGE is set in the environment"), or "".
    - ``judged``: for MISSING, whether a missing key is a finding here (a fragment about
      something else, or a file that is not the whole configuration, is not nagged).
    - ``default``: for MISSING on a managed server, the value the platform uses instead
      (``views.cloud_server.PlatformDefault``: ``value``, ``who``), else None.
    - ``set_where``: for SET, what advice to change the value ("; set it to 60") must add when the
      place to change it is not where it is written (Patroni's ``bootstrap.dcs``, read only when a
      cluster is created), else "".
    """

    key: str
    state: State
    at: Location | None = None
    value: Any = None
    unit: str | None = None
    text: str = ""
    raw: str = ""
    trail: Trail = Trail()
    how: str = ""
    reason: str = ""
    judged: bool = True
    default: Any = None
    set_where: str = ""
    locate: Callable[[], Location] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def location(self) -> Location:
        if self.at is not None:
            return self.at
        assert self.locate is not None, f"{self.key}: a Setting needs at= or locate="
        return self.locate()

    @property
    def is_set(self) -> bool:
        return self.state is State.SET

    @property
    def is_missing(self) -> bool:
        return self.state is State.MISSING

    @property
    def is_unknown(self) -> bool:
        return self.state is State.UNKNOWN

    @property
    def written(self) -> bool:
        """Some text for the key is present (set, unknown-but-written, or an explicit null)."""
        return bool(self.raw)


@dataclass(frozen=True, eq=False)
class Refusal:
    """No fix: ``reason`` says why (no place to write the key, a consumer that would not read it,
    a value only the code knows)."""

    reason: str

    def __bool__(self) -> bool:
        return False


def fix_or_none(result: Fix | Refusal, message: str | None = None, applicability: str | None = None) -> Fix | None:
    """The fix (with another message or applicability when given), or None for a refusal:
    a finding then carries no fix. A fix its view made unsafe stays unsafe: the rule's
    applicability is the least caution, not a promise over the view's reasons."""
    if isinstance(result, Refusal):
        return None
    if message is not None:
        result = replace(result, message=message)
    if applicability is not None and result.applicability != UNSAFE:
        result = replace(result, applicability=applicability)
    return result

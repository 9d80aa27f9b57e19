"""Which pool settings the project's Flask-SQLAlchemy and Django read, from their pins.

Facts (FACTS.md, "Verified on real software"; checked on Flask-SQLAlchemy 2.3.2, 2.4.4, 3.1 and
Django 4.0, 5.2):

- Flask-SQLAlchemy before 2.4 has no ``SQLALCHEMY_ENGINE_OPTIONS`` (and no ``engine_options=``):
  pool settings come from ``SQLALCHEMY_POOL_SIZE`` / ``_RECYCLE`` / ``_TIMEOUT`` and
  ``SQLALCHEMY_MAX_OVERFLOW``, and pre-ping cannot be set from the config at all.
- 2.4 reads both (the old keys deprecated); 3.0 reads ``SQLALCHEMY_ENGINE_OPTIONS`` only.
- Django has ``CONN_HEALTH_CHECKS`` from 4.1 on; before, the key is ignored.

Each answer is True, False, or None when the project pins no version that decides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from pathlib import Path

from pgconf_fix.dependencies import Pin, project_of

ENGINE_OPTIONS_SINCE = "2.4"
LEGACY_KEYS_IGNORED_SINCE = "3.0"
HEALTH_CHECKS_SINCE = "4.1"
FLASK_SQLALCHEMY = "flask-sqlalchemy"
DJANGO = "django"


@dataclass(frozen=True)
class _Pinned:
    """The versions of a library a project pins (``pin`` None: it pins none)."""

    pin: Pin | None
    library: ClassVar[str] = ""

    def below(self, version: str) -> bool | None:
        """Every allowed version is below ``version``: True, none is: False, unknown: None."""
        return self.pin.below(version) if self.pin is not None else None

    def from_(self, version: str) -> bool | None:
        """Every allowed version is ``version`` or later (the negation of ``below``)."""
        below = self.below(version)
        return None if below is None else not below

    def describe(self) -> str:
        """Where the version came from, for messages."""
        return self.pin.describe() if self.pin is not None else f"no pin of {self.library} found"


@dataclass(frozen=True)
class FlaskSQLAlchemyVersion(_Pinned):
    """What the pinned Flask-SQLAlchemy reads."""

    library: ClassVar[str] = FLASK_SQLALCHEMY

    @property
    def reads_engine_options(self) -> bool | None:
        """``SQLALCHEMY_ENGINE_OPTIONS`` exists (2.4+)."""
        return self.from_(ENGINE_OPTIONS_SINCE)

    @property
    def reads_legacy_keys(self) -> bool | None:
        """``SQLALCHEMY_POOL_*`` are honoured (before 3.0)."""
        return self.below(LEGACY_KEYS_IGNORED_SINCE)


@dataclass(frozen=True)
class DjangoVersion(_Pinned):
    """What the pinned Django has."""

    library: ClassVar[str] = DJANGO

    @property
    def has_health_checks(self) -> bool | None:
        """``CONN_HEALTH_CHECKS`` exists (4.1+)."""
        return self.from_(HEALTH_CHECKS_SINCE)


def flask_sqlalchemy_version(path: Path) -> FlaskSQLAlchemyVersion:
    """The Flask-SQLAlchemy the project around ``path`` pins."""
    return FlaskSQLAlchemyVersion(project_of(path).pin(FLASK_SQLALCHEMY))


def django_version(path: Path) -> DjangoVersion:
    """The Django the project around ``path`` pins."""
    return DjangoVersion(project_of(path).pin(DJANGO))

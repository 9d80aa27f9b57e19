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
from pathlib import Path

from pgconf_fix.dependencies import Pin, project_of

ENGINE_OPTIONS_SINCE = "2.4"
LEGACY_KEYS_IGNORED_SINCE = "3.0"
HEALTH_CHECKS_SINCE = "4.1"
FLASK_SQLALCHEMY = "flask-sqlalchemy"
DJANGO = "django"


def _not(value: bool | None) -> bool | None:
    return None if value is None else not value


@dataclass(frozen=True)
class FlaskSQLAlchemyVersion:
    """What the pinned Flask-SQLAlchemy reads (``pin`` None: the project pins none)."""

    pin: Pin | None

    @property
    def reads_engine_options(self) -> bool | None:
        """``SQLALCHEMY_ENGINE_OPTIONS`` exists (2.4+)."""
        return _not(self.pin.below(ENGINE_OPTIONS_SINCE)) if self.pin is not None else None

    @property
    def reads_legacy_keys(self) -> bool | None:
        """``SQLALCHEMY_POOL_*`` are honoured (before 3.0)."""
        return self.pin.below(LEGACY_KEYS_IGNORED_SINCE) if self.pin is not None else None

    def describe(self) -> str:
        """Where the version came from, for messages."""
        return self.pin.describe() if self.pin is not None else "no pin of flask-sqlalchemy found"


@dataclass(frozen=True)
class DjangoVersion:
    pin: Pin | None

    @property
    def has_health_checks(self) -> bool | None:
        return _not(self.pin.below(HEALTH_CHECKS_SINCE)) if self.pin is not None else None

    def describe(self) -> str:
        return self.pin.describe() if self.pin is not None else "no pin of django found"


def flask_sqlalchemy_version(path: Path) -> FlaskSQLAlchemyVersion:
    """The Flask-SQLAlchemy the project around ``path`` pins."""
    return FlaskSQLAlchemyVersion(project_of(path).pin(FLASK_SQLALCHEMY))


def django_version(path: Path) -> DjangoVersion:
    """The Django the project around ``path`` pins."""
    return DjangoVersion(project_of(path).pin(DJANGO))

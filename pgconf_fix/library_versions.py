"""Which pool settings the project's Flask-SQLAlchemy and Django read, from their pins.

Facts (FACTS.md, "Verified on real software"; checked on Flask-SQLAlchemy 2.3.2, 2.4.4, 3.1 and
Django 4.0, 5.2):

- Flask-SQLAlchemy before 2.4 has no ``SQLALCHEMY_ENGINE_OPTIONS`` (and no ``engine_options=``):
  pool settings come from ``SQLALCHEMY_POOL_SIZE`` / ``_RECYCLE`` / ``_TIMEOUT`` and
  ``SQLALCHEMY_MAX_OVERFLOW``, and pre-ping cannot be set from the config at all.
- 2.4 reads both (the old keys deprecated); 3.0 reads ``SQLALCHEMY_ENGINE_OPTIONS`` only.
- Django has ``CONN_HEALTH_CHECKS`` from 4.1 on; before, the key is ignored.
- dj-database-url's ``config()`` and ``parse()`` take ``conn_health_checks=`` from 1.2.0 on;
  0.5.0, 1.0.0 and 1.1.0 raise ``TypeError: config() got an unexpected keyword argument
  'conn_health_checks'`` (checked by calling each release from PyPI), so settings.py fails
  to import.

Each answer is True, False, or None when the project pins no version that decides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from pathlib import Path

    from pgconf_fix.dependencies import Pin

# pgconf_fix.dependencies (two dataclasses and the manifests' patterns: 4.8 M instructions) is
# imported where a project's pins are read: a module with one create_engine reads none (issue 18).

ENGINE_OPTIONS_SINCE = "2.4"
LEGACY_KEYS_IGNORED_SINCE = "3.0"
HEALTH_CHECKS_SINCE = "4.1"
FLASK_SQLALCHEMY = "flask-sqlalchemy"
DJANGO = "django"
DJ_DATABASE_URL = "dj-database-url"
CALL_HEALTH_CHECKS_SINCE = "1.2"  # dj-database-url's conn_health_checks keyword


@dataclass(frozen=True, eq=False)
class _Pinned:
    """The versions of a library a project pins (``pin`` None: it pins none)."""

    pin: Pin | None
    library: ClassVar[str] = ""

    def below(self, version: str) -> bool | None:
        """Every allowed version is below ``version``: True, none is: False, unknown: None."""
        return self.pin.below(version) if self.pin is not None else None

    def describe(self) -> str:
        """Where the version came from, for messages."""
        return self.pin.describe() if self.pin is not None else f"no pin of {self.library} found"


class Since:
    """A fact about a pinned library that a version decides, read as a property of a ``_Pinned``:
    True when every version the project allows has it, False when none does, None when the pins
    do not decide. It holds from ``version`` on, or (``before=True``) only below ``version``."""

    def __init__(self, version: str, *, before: bool = False) -> None:
        self.version = version
        self.before = before

    def __get__(self, pinned: _Pinned | None, owner: type) -> bool | None | Since:
        if pinned is None:
            return self  # asked of the class, as help() does
        below = pinned.below(self.version)
        return None if below is None else below == self.before


class FlaskSQLAlchemyVersion(_Pinned):
    """What the pinned Flask-SQLAlchemy reads: ``SQLALCHEMY_ENGINE_OPTIONS`` from 2.4, the
    ``SQLALCHEMY_POOL_*`` keys before 3.0."""

    library = FLASK_SQLALCHEMY
    reads_engine_options = Since(ENGINE_OPTIONS_SINCE)
    reads_legacy_keys = Since(LEGACY_KEYS_IGNORED_SINCE, before=True)


class DjangoVersion(_Pinned):
    """What the pinned Django has: ``CONN_HEALTH_CHECKS`` from 4.1."""

    library = DJANGO
    has_health_checks = Since(HEALTH_CHECKS_SINCE)


class DjDatabaseUrlVersion(_Pinned):
    """What the pinned dj-database-url takes: ``conn_health_checks=`` from 1.2."""

    library = DJ_DATABASE_URL
    takes_health_checks = Since(CALL_HEALTH_CHECKS_SINCE)


def flask_sqlalchemy_version(path: Path) -> FlaskSQLAlchemyVersion:
    """The Flask-SQLAlchemy the project around ``path`` pins."""
    from pgconf_fix.dependencies import project_of

    return FlaskSQLAlchemyVersion(project_of(path).pin(FLASK_SQLALCHEMY))


def django_version(path: Path) -> DjangoVersion:
    """The Django the project around ``path`` pins."""
    from pgconf_fix.dependencies import project_of

    return DjangoVersion(project_of(path).pin(DJANGO))


def dj_database_url_version(path: Path) -> DjDatabaseUrlVersion:
    """The dj-database-url the project around ``path`` pins."""
    from pgconf_fix.dependencies import project_of

    return DjDatabaseUrlVersion(project_of(path).pin(DJ_DATABASE_URL))

"""Pins read from a project's own files decide which Flask-SQLAlchemy / Django facts hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgconf_fix import dependencies
from pgconf_fix.dependencies import project_of
from pgconf_fix.library_versions import django_version, flask_sqlalchemy_version


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    dependencies._project_of_directory.cache_clear()
    dependencies._code_mentions.cache_clear()


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir(exist_ok=True)
    return tmp_path / "app" / "settings.py"


@pytest.mark.parametrize(
    ("files", "engine_options", "legacy_keys"),
    [
        ({"requirements.txt": "Flask-SQLAlchemy==2.3.2 ; python_version >= '3'  # old\n"}, False, True),
        ({"requirements/base.txt": "flask_sqlalchemy>=2.1,<2.4\n"}, False, True),
        ({"requirements-prod.txt": "-r base.txt\nflask-sqlalchemy~=2.4.1\n"}, True, True),
        ({"pyproject.toml": '[project]\nname="x"\nversion="1"\ndependencies=["Flask-SQLAlchemy>=3.1"]\n'}, True, False),
        ({"pyproject.toml": '[tool.poetry.dependencies]\npython="^3.9"\nflask-sqlalchemy="^2.5"\n'}, True, True),
        ({"pyproject.toml": '[tool.poetry.dependencies]\nflask-sqlalchemy={version="2.3.*"}\n'}, False, True),
        ({"poetry.lock": '[[package]]\nname = "flask-sqlalchemy"\nversion = "2.4.4"\n'}, True, True),
        ({"uv.lock": 'version = 1\n[[package]]\nname = "Flask-SQLAlchemy"\nversion = "3.0.5"\n'}, True, False),
        ({"Pipfile.lock": '{"default": {"flask-sqlalchemy": {"version": "==2.3.2"}}, "develop": {}}'}, False, True),
        ({"requirements.txt": "flask-sqlalchemy\n"}, None, None),
        ({"requirements.txt": "flask-sqlalchemy>=2.0\n"}, None, None),
        ({"requirements.txt": "django==4.2\n"}, None, None),
    ],
)
def test_flask_sqlalchemy_facts_follow_the_pin(
    tmp_path: Path, files: dict[str, str], engine_options: bool | None, legacy_keys: bool | None
) -> None:
    version = flask_sqlalchemy_version(_project(tmp_path, files))
    assert version.reads_engine_options is engine_options
    assert version.reads_legacy_keys is legacy_keys


def test_a_lock_wins_over_a_range_and_a_nearer_file_over_a_further_one(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        {
            "requirements.txt": "django>=3.2\n",
            "uv.lock": '[[package]]\nname = "django"\nversion = "4.0.10"\n',
            "app/requirements.txt": "django==5.2\n",
        },
    )
    version = django_version(path)
    assert version.has_health_checks is False  # the lock says 4.0.10
    assert "uv.lock" in version.describe()


def test_pins_stop_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("django==3.2\n")
    inner = tmp_path / "repo"
    inner.mkdir()
    settings = _project(inner, {})
    assert django_version(settings).pin is None
    assert project_of(settings).is_project


def test_unreadable_manifests_are_unknown_versions(tmp_path: Path) -> None:
    path = _project(
        tmp_path,
        {"pyproject.toml": "[project\n", "Pipfile.lock": "{not json", "requirements.txt": "flask-sqlalchemy==\n"},
    )
    assert flask_sqlalchemy_version(path).pin is None

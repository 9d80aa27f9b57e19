"""A config class that builds its SQLALCHEMY_ENGINE_OPTIONS from its base's,
``{**Config.SQLALCHEMY_ENGINE_OPTIONS, "pool_recycle": 300}``, is judged with the base's keys
(it was not judged at all: the spread was unreadable); a fix goes into the class's own dict,
never into the base's, which other classes read too. Each result is loaded by the real
Flask-SQLAlchemy 3.1.1 in a fresh interpreter and its engine's pool looked at.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli_runner import run_cli

POOL = """
import json, sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, ".")
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
import config
found = {}
for name in sys.argv[1:]:
    app = Flask(name)
    app.config.from_object(getattr(config, name))
    db = SQLAlchemy(app)
    with app.app_context():
        found[name] = {"size": db.engine.pool.size(), "recycle": db.engine.pool._recycle, "pre_ping": db.engine.pool._pre_ping}
print(json.dumps(found))
"""
CONFIG = '''class Config:
    SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://app@db.example.com/app"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 10}


class ProductionConfig(Config):
    SQLALCHEMY_ENGINE_OPTIONS = {**Config.SQLALCHEMY_ENGINE_OPTIONS, "pool_recycle": 300}


class ReportsConfig(Config):
    SQLALCHEMY_ENGINE_OPTIONS = {**Config.SQLALCHEMY_ENGINE_OPTIONS, "pool_recycle": 3000}
'''


def _pools(work: Path, *names: str) -> dict:
    done = subprocess.run([sys.executable, "-c", POOL, *names], cwd=work, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _findings(work: Path, *args: str) -> list[tuple[str, int]]:
    found = json.loads(run_cli(["--no-cache", "--select", "PGF5", "--format", "json", *args, "."], work).stdout)
    return [(finding["code"], finding["line"]) for finding in found]


def _project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "requirements.txt").write_text("flask-sqlalchemy==3.1.1\n")
    (tmp_path / "config.py").write_text(config)
    return tmp_path


def test_a_subclass_spreading_its_bases_options_is_judged_with_them(tmp_path: Path) -> None:
    work = _project(tmp_path, CONFIG)
    before = _pools(work, "ProductionConfig", "ReportsConfig")
    assert before["ProductionConfig"] == {"size": 10, "recycle": 300, "pre_ping": False}
    assert before["ReportsConfig"] == {"size": 10, "recycle": 3000, "pre_ping": False}
    # Every engine lacks pre-ping; ReportsConfig's 3000 s recycle is above the budget too. Only
    # the base's dict was judged: the subclasses' keys were unknown behind the spread.
    assert _findings(work) == [("PGF501", 3), ("PGF502", 3), ("PGF501", 7), ("PGF501", 11), ("PGF502", 11)]
    outcome = run_cli(["--no-cache", "--select", "PGF5", "--write", "."], work)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    text = (work / "config.py").read_text()
    after = _pools(work, "Config", "ProductionConfig", "ReportsConfig")
    assert after == {
        "Config": {"size": 10, "recycle": -1, "pre_ping": True},
        "ProductionConfig": {"size": 10, "recycle": 300, "pre_ping": True},
        "ReportsConfig": {"size": 10, "recycle": 3000, "pre_ping": True},  # pre-ping makes its interval safe
    }
    again = run_cli(["--no-cache", "--select", "PGF5", "--write", "."], work)
    assert again.code == 0 and (work / "config.py").read_text() == text


def test_a_key_only_the_base_gives_is_set_in_the_subclass(tmp_path: Path) -> None:
    # The base (SQLite, not judged) gives pool_recycle=3600 to the PostgreSQL subclass: the
    # subclass gets a key of its own after the spread; the base's dict, which the base's own
    # engine reads, is left as it is.
    config = (
        "class Config:\n"
        '    SQLALCHEMY_DATABASE_URI = "sqlite:///dev.db"\n'
        '    SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 3600}\n'
        "\n\n"
        "class ProductionConfig(Config):\n"
        '    SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://app@db.example.com/app"\n'
        '    SQLALCHEMY_ENGINE_OPTIONS = {**Config.SQLALCHEMY_ENGINE_OPTIONS, "pool_size": 3}\n'
    )
    work = _project(tmp_path, config)
    assert _findings(work, "--ignore", "PGF501") == [("PGF502", 3)]
    outcome = run_cli(["--no-cache", "--select", "PGF502", "--write", "."], work)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    text = (work / "config.py").read_text()
    assert text.splitlines()[:7] == config.splitlines()[:7]
    assert text.splitlines()[7:] == [  # laid out as ruff would: the line is too long for one
        "    SQLALCHEMY_ENGINE_OPTIONS = {",
        "        **Config.SQLALCHEMY_ENGINE_OPTIONS,",
        '        "pool_size": 3,',
        '        "pool_recycle": 300,',
        "    }",
    ]
    assert _pools(work, "ProductionConfig")["ProductionConfig"] == {"size": 3, "recycle": 300, "pre_ping": False}


def test_a_base_dict_changed_anywhere_is_not_read(tmp_path: Path) -> None:
    # The module changes the base's dict after the class: what the subclass spreads is not the literal.
    work = _project(tmp_path, CONFIG + 'Config.SQLALCHEMY_ENGINE_OPTIONS["pool_pre_ping"] = False\n')
    assert ("PGF501", 7) not in _findings(work) and ("PGF501", 10) not in _findings(work)

"""PGF505 says what the engine really runs with in place of a Flask-SQLAlchemy 2 pool key, as the
real Flask-SQLAlchemy 3.1.1 and SQLAlchemy 2.1 build it: the value SQLALCHEMY_ENGINE_OPTIONS (the
config's own or a base class's) gives the option, else SQLAlchemy's default. Each config is
loaded by the real extension in a fresh interpreter and its engine's pool looked at.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

URI = 'SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://app@db.example.com/app"'
POOL = """
import json, sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, ".")
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
import config
app = Flask(__name__)
app.config.from_object(getattr(config, sys.argv[1]))
db = SQLAlchemy(app)
with app.app_context():
    pool = db.engine.pool
    print(json.dumps({"pool_size": pool.size(), "max_overflow": pool._max_overflow,
                      "pool_timeout": pool.timeout(), "pool_recycle": pool._recycle, "pool_pre_ping": pool._pre_ping}))
"""


def _pool(work: Path, name: str) -> dict:
    done = subprocess.run([sys.executable, "-c", POOL, name], cwd=work, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _messages(work: Path) -> dict[int, str]:
    found = json.loads(run_cli(["--no-cache", "--select", "PGF505", "--format", "json", "."], work).stdout)
    return {finding["line"]: finding["message"] for finding in found}


def _project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "requirements.txt").write_text("flask-sqlalchemy==3.1.1\n")
    (tmp_path / "config.py").write_text(config)
    return tmp_path


def test_a_key_the_engine_options_set_is_said_to_come_from_them(tmp_path: Path) -> None:
    # It said "so the pool runs with SQLAlchemy's defaults", where the engine runs with the
    # options' pool_recycle and pre-pings.
    work = _project(tmp_path, (
        "class Config:\n"
        f"    {URI}\n"
        '    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_recycle": 280}\n'
        "    SQLALCHEMY_POOL_RECYCLE = 3600\n"
        "    SQLALCHEMY_POOL_PRE_PING = True\n"
        "\n\n"
        "class ReportsConfig(Config):\n"
        "    SQLALCHEMY_POOL_RECYCLE = 120\n"
        "    SQLALCHEMY_POOL_SIZE = 20\n"
    ))
    assert _pool(work, "Config")["pool_recycle"] == 280 and _pool(work, "Config")["pool_pre_ping"] is True
    reports = _pool(work, "ReportsConfig")
    assert (reports["pool_recycle"], reports["pool_size"]) == (280, 5)
    messages = _messages(work)
    assert "SQLALCHEMY_ENGINE_OPTIONS sets 'pool_recycle' at line 3, and that value applies; remove SQLALCHEMY_POOL_RECYCLE" in messages[4]
    assert "SQLALCHEMY_ENGINE_OPTIONS sets 'pool_pre_ping' at line 3, and that value applies" in messages[5]
    assert "never pre-pings" not in messages[5]
    assert ("Config.SQLALCHEMY_ENGINE_OPTIONS sets 'pool_recycle' at line 3, and that value applies; move it into "
            "SQLALCHEMY_ENGINE_OPTIONS as 'pool_recycle' to override it") in messages[9]
    assert "so pool_size stays at SQLAlchemy's default (5)" in messages[10]
    assert not any("SQLAlchemy's defaults" in message for message in messages.values())


def test_the_defaults_named_are_the_engines(tmp_path: Path) -> None:
    work = _project(tmp_path, (
        "class Config:\n"
        f"    {URI}\n"
        "    SQLALCHEMY_POOL_SIZE = 20\n"
        "    SQLALCHEMY_MAX_OVERFLOW = 3\n"
        "    SQLALCHEMY_POOL_TIMEOUT = 7\n"
        "    SQLALCHEMY_POOL_RECYCLE = 280\n"
    ))
    pool = _pool(work, "Config")
    messages = _messages(work)
    for line, option in ((3, "pool_size"), (4, "max_overflow"), (5, "pool_timeout"), (6, "pool_recycle")):
        found = re.search(rf"so {option} stays at SQLAlchemy's default \((-?\d+)[ :)]", messages[line])
        assert found is not None, messages[line]
        assert float(found.group(1)) == pool[option], (option, pool)


@pytest.mark.parametrize("pin", ["flask-sqlalchemy==2.4.4\n", "flask-sqlalchemy\n"])
def test_before_3_the_messages_keep_their_shape(pin: str, tmp_path: Path) -> None:
    work = _project(tmp_path, f"class Config:\n    {URI}\n    SQLALCHEMY_POOL_RECYCLE = 280\n")
    (tmp_path / "requirements.txt").write_text(pin)
    message = _messages(work)[3]
    assert "SQLAlchemy's defaults" not in message and "move it into SQLALCHEMY_ENGINE_OPTIONS as 'pool_recycle'" in message

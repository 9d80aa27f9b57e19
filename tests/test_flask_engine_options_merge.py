"""Flask-SQLAlchemy 3 lays SQLALCHEMY_ENGINE_OPTIONS over ``SQLAlchemy(engine_options=...)`` key by
key (``SQLAlchemy.init_app``: the extension's dict copied, the
config's dict ``update``-d onto it; checked with Flask-SQLAlchemy 3.1.1). The engine gets the
union, the config winning. Each case is run with the real extension: the engine's pool is looked
at in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli_runner import run_cli

HEAD = (
    "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\n"
    "app = Flask(__name__)\n"
    'app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://app@db.internal/app"\n'
)
POOL = """
import json, sys
sys.path.insert(0, ".")
import app
with app.app.app_context():
    pool = app.db.engine.pool
    print(json.dumps({"pre_ping": pool._pre_ping, "recycle": pool._recycle}))
"""


def _pool(tmp_path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", POOL], cwd=tmp_path, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _codes(tmp_path: Path) -> list[tuple[str, int]]:
    found = json.loads(run_cli(["--no-cache", "--select", "PGF5", "--format", "json", "."], tmp_path).stdout)
    return [(finding["code"], finding["line"]) for finding in found]


def test_the_configs_options_over_the_extensions_pass(tmp_path: Path) -> None:
    """The config's pool_pre_ping and pool_recycle are the engine's: the extension's
    pool_recycle=7200 and its lack of pool_pre_ping are not the engine's (PGF501 and PGF502 were
    reported on the extension's call)."""
    (tmp_path / "app.py").write_text(
        HEAD + 'app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "pool_recycle": 3600}\n'
        'db = SQLAlchemy(app, engine_options={"pool_recycle": 7200})\n'
    )
    assert _pool(tmp_path) == {"pre_ping": True, "recycle": 3600}
    assert _codes(tmp_path) == []


def test_what_neither_sets_is_reported_on_the_config_and_fixed_there(tmp_path: Path) -> None:
    """Neither dict sets pool_pre_ping: PGF501 on the config's dict (the one that wins), PGF502 at
    the extension's pool_recycle=7200, which the config leaves to it; the fix reaches the engine."""
    (tmp_path / "app.py").write_text(
        HEAD + 'app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 5}\n'
        'db = SQLAlchemy(app, engine_options={"pool_recycle": 7200})\n'
    )
    assert _pool(tmp_path) == {"pre_ping": False, "recycle": 7200}
    assert _codes(tmp_path) == [("PGF501", 6), ("PGF502", 7)]
    outcome = run_cli(["--no-cache", "--write", "--select", "PGF5", "."], tmp_path)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert _pool(tmp_path)["pre_ping"] is True

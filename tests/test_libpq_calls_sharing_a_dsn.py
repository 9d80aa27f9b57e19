"""libpq calls that share one connection string (a module's DSN) are each their own connection.

psycopg.connect(DSN, **keywords) and psycopg_pool's ConnectionPool(DSN, kwargs={...}) hand libpq
the DSN with each call's own keywords over it (psycopg.conninfo.make_conninfo, the function both
use), so a keyword one call sets says nothing of another call's connection. The Python client
view read every call's keywords into the DSN's one view, the last one winning: a call with
keepalives_idle=900 passed when a later call (or a pool's kwargs) set 60, and a call with no
keywords passed when another call set them.
"""

from __future__ import annotations

import json
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.cli_runner import run_cli

DSN = "host=pg.example.net dbname=orders sslmode=verify-full keepalives_interval=5 keepalives_count=3"
HEAD = f'import psycopg\nimport psycopg_pool\n\nDSN = "{DSN}"\n'
CHECK = "check=psycopg_pool.ConnectionPool.check_connection"


def _idle_findings(tmp_path: Path, body: str) -> list[tuple[int, str]]:
    (tmp_path / "db.py").write_text(HEAD + body)
    found = json.loads(run_cli(["--no-cache", "--select", "PGF401", "--format", "json", "."], tmp_path).stdout)
    return [(finding["line"], finding["message"].split(": ", 1)[1]) for finding in found]


def test_each_call_keeps_its_own_keywords_over_the_dsn() -> None:
    """What libpq is handed, by psycopg's own function: the call's keyword, not another call's."""
    assert conninfo_to_dict(make_conninfo(DSN, keepalives_idle=900))["keepalives_idle"] == "900"
    assert "keepalives_idle" not in conninfo_to_dict(make_conninfo(DSN))


def test_a_long_idle_is_reported_whichever_call_comes_last(tmp_path: Path) -> None:
    for body in (
        "a = psycopg.connect(DSN, keepalives_idle=900)\nb = psycopg.connect(DSN, keepalives_idle=60)\n",
        (
            f'pool = psycopg_pool.ConnectionPool(DSN, kwargs={{"keepalives_idle": 60}}, {CHECK})\n'
            "a = psycopg.connect(DSN, keepalives_idle=900)\n"
        ),
    ):
        found = _idle_findings(tmp_path, body)
        line = 5 + body.splitlines().index(next(text for text in body.splitlines() if "900" in text))
        assert found == [(line, "keepalives_idle = 900 is above the idle budget (300 s); set keepalives=1 keepalives_idle=60")], (body, found)


def test_a_call_without_keywords_is_judged_by_the_dsn(tmp_path: Path) -> None:
    body = "a = psycopg.connect(DSN, keepalives_idle=60)\nb = psycopg.connect(DSN)\n"
    assert _idle_findings(tmp_path, body) == [
        (4, "keepalives_idle is not set, so the kernel default (7200 s on Linux) applies; set keepalives=1 keepalives_idle=60")
    ]
    outcome = run_cli(["--no-cache", "--write", "."], tmp_path)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    written = (tmp_path / "db.py").read_text()
    assert written == HEAD.replace("keepalives_count=3", "keepalives_count=3 keepalives=1 keepalives_idle=60") + body
    assert run_cli(["--no-cache", "--write", "."], tmp_path).stdout == "Fixed 0 findings in 0 files.\nAll checks passed!\n"
    assert (tmp_path / "db.py").read_text() == written


def test_calls_that_agree_are_reported_once(tmp_path: Path) -> None:
    body = "a = psycopg.connect(DSN)\nb = psycopg.connect(DSN)\n"
    assert [line for line, _ in _idle_findings(tmp_path, body)] == [4]

"""A rule added as data only (a TOML in --rules-dir) works end to end without touching Python:
findings in every format, --explain, a fix that --write applies, that the real server reads,
and that a second run finds clean. The setting (statement_timeout) is one no built-in rule knows."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_runner import run_cli
from tests.pg_server import PgServer, pg_server, server_config_value  # noqa: F401

RULE = '''
code = "ACME201"
name = "statement-timeout-bound"
layer = "server"
severity = "warning"
summary = "A runaway query may hold a connection longer than the idle budget allows."
why = "A statement that runs for hours keeps its connection busy past any idle timer."
fix_safety = "Unsafe: long reports would be cancelled."
options = "`limit` (ms, default 60000), `target` (ms, default 30000)."

[parameters]
limit = 60000
target = 30000

[check]
kind = "threshold"
setting = "statement_timeout"
unit = "ms"
unset_means = "statements may run for ever"
zero_means = "no timeout at all"
maximum = "limit"
fix = "target"
fix_applicability = "unsafe"

[example]
before = "statement_timeout = '5min'\\n"
after = "statement_timeout = '30000'\\n"
'''


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "ACME201.toml").write_text(RULE)
    for name, text in {
        "high/postgresql.conf": "# limits\nstatement_timeout = '5min'\t# per statement\n",
        "zero/postgresql.conf": "statement_timeout = 0\n",
        "unset/postgresql.conf": "max_connections = 100\n",
        "fine/postgresql.conf": "statement_timeout = '45s'\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_a_data_only_rule_finds_fixes_and_explains(tmp_path: Path, pg_server: PgServer) -> None:  # noqa: F811
    repo = _repo(tmp_path)
    args = ["--rules-dir", "policies", "--select", "ACME"]
    text = run_cli([*args, "."], repo)
    assert text.code == 1
    assert text.stdout.splitlines()[:3] == [
        "high/postgresql.conf:2:1: ACME201 statement_timeout = '5min' (300000 ms) is above the maximum (60000 ms); "
        "set it to 30000",
        "unset/postgresql.conf:1:1: ACME201 statement_timeout is not set: statements may run for ever; set it to 30000",
        "zero/postgresql.conf:1:1: ACME201 statement_timeout = 0 means no timeout at all; set it to 30000",
    ]
    found = json.loads(run_cli([*args, "--format", "json", "."], repo).stdout)
    assert {item["code"] for item in found} == {"ACME201"} and len(found) == 3
    assert all(item["fix"]["applicability"] == "unsafe" for item in found)
    sarif = json.loads(run_cli([*args, "--format", "sarif", "."], repo).stdout)
    assert [rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]] == ["ACME201"]
    explained = run_cli(["--rules-dir", "policies", "--explain", "ACME201"], repo)
    assert explained.code == 0 and "statement-timeout-bound" in explained.stdout

    assert run_cli([*args, "--write", "."], repo).code == 1  # unsafe: not applied without the flag
    run_cli([*args, "--write", "--unsafe-fixes", "."], repo)
    assert (repo / "high/postgresql.conf").read_text() == "# limits\nstatement_timeout = '30000'\t# per statement\n"  # quoting kept
    assert run_cli([*args, "."], repo).code == 0

    with pg_server.staged(repo / "high") as staged:
        code, value = pg_server.config_value(staged, "statement_timeout")
    assert (code, value) == (0, "30000")  # postgres -C prints the base unit, ms


# The same rule's words, judging the pool layer: an engine must not set echo.
POOL_RULE = RULE.split("[parameters]")[0].replace('"ACME201"', '"ACME501"').replace('"server"', '"pool"') + """
[check]
kind = "absent"
setting = "echo"
message = "every statement goes to the log"
"""


def test_a_data_rule_of_the_pool_layer_over_a_file_python_rejects(tmp_path: Path) -> None:
    """A file that is not Python builds no pool view, so a pool rule has nothing to judge
    there: only its PGF001 is reported (a view that only carried the parse error answered
    get() as UNKNOWN, and the absent kind then asked it for a location it did not have)."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "ACME501.toml").write_text(POOL_RULE)
    (tmp_path / "broken.py").write_text(
        'from sqlalchemy import create_engine\n\nengine = create_engine("postgresql://db.internal/app", echo=True\n'
    )
    (tmp_path / "fine.py").write_text(
        'from sqlalchemy import create_engine\n\nengine = create_engine("postgresql://db.internal/app", echo=True)\n'
    )
    outcome = run_cli(["--rules-dir", "policies", "--select", "ACME501,PGF001", "."], tmp_path)
    assert outcome.stdout.splitlines()[:2] == [
        "broken.py:3:1: PGF001 not valid Python: '(' was never closed",
        "fine.py:3:56: ACME501 echo is set: every statement goes to the log",
    ], outcome.stderr
    assert outcome.code == 1

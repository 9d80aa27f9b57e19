"""A URI quoted inside a string value (a shell command in a workflow's ``run:``, a JSON
``cmd``, code in a Python string) ends at its closing quote, as the shell or the code that
reads the value ends it; a fix is written before that quote."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

WORKFLOW = (
    "on: push\n"
    "jobs:\n"
    "  migrate:\n"
    "    runs-on: ubuntu-latest\n"
    "    steps:\n"
    '      - run: psql "postgresql://ci@db.example.com/app" -c "select 1"\n'
    "      - run: |\n"
    "          psql 'postgresql://ci@db.example.com/app?sslmode=require' -f schema.sql\n"
)


def _arguments(command: str) -> list[str]:
    """The words bash makes of ``command`` (its first word replaced by printf)."""
    script = "printf '%s\\n' " + command.split(" ", 1)[1]
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_a_quoted_uri_in_a_run_step_is_fixed_inside_its_quotes(tmp_path: Path) -> None:
    workflow = tmp_path / ".github/workflows/ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(WORKFLOW)
    outcome = run_cli(["--no-cache", "--format", "json", "."], tmp_path)
    findings = json.loads(outcome.stdout)
    assert {(f["code"], f["line"]) for f in findings} == {("PGF401", 6), ("PGF404", 6), ("PGF401", 8)}
    run_cli(["--no-cache", "--write", "--unsafe-fixes", "."], tmp_path)
    lines = workflow.read_text().splitlines()
    first = _arguments(lines[5].split("run: ", 1)[1])
    second = _arguments(lines[7].strip())
    keepalives = "keepalives=1&keepalives_idle=60&keepalives_interval=10&keepalives_count=6"
    assert first == [f"postgresql://ci@db.example.com/app?{keepalives}&sslmode=require", "-c", "select 1"]
    assert second == [f"postgresql://ci@db.example.com/app?sslmode=require&{keepalives}", "-f", "schema.sql"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("cfg.json", '{"cmd": "psql \\"postgresql://ci@db.example.com/app\\" -c \'select 1\'"}\n'),
        ("code.py", "import psycopg2\nX = 'create_engine(\"postgresql+psycopg2://u@db.example.com/app\")'\n"),
    ],
)
def test_a_quoted_uri_in_a_string_ends_at_its_quote(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    run_cli(["--no-cache", "--write", "--unsafe-fixes", "."], tmp_path)
    written = (tmp_path / name).read_text()
    assert "/app?keepalives=1&" in written
    assert "sslmode=require\\\"" in written or 'sslmode=require")' in written, written

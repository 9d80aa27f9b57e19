"""A URI written as an unquoted word of a command (a shell script's line, a Dockerfile's RUN, a
workflow's ``run:``) gets no query appended: the shell ends the command at each ``&`` (running
what comes before in the background) and reads ``?`` as a glob. Quoted, or inside a
``${NAME:-word}``, it is fixed in place. Each script is run by the real bash, before and after
``--write --unsafe-fixes``: every command receives the words it received before, the URI's
with the new parameters."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli_runner import run_cli

HOST = "postgresql://app@db.example.com/app"
SCRIPT = (
    "#!/bin/bash\n"
    f'psql {HOST} -c "select 1"\n'  # unquoted word: no fix
    f"export DATABASE_URL={HOST}\n"  # unquoted assignment after export: no fix
    f'psql "{HOST}" -c "select 1"\n'  # quoted: fixed inside the quotes
    f"FALLBACK=${{FALLBACK_URL:-{HOST}}}\n"  # inside ${...:-word}: & is plain there
)
# Runs the script with psql replaced by a function that prints its arguments, then prints the two variables.
HARNESS = 'psql() { printf "arg:%s\\n" "$@"; }\n. ./run.sh\nwait\nprintf "url:%s\\nfallback:%s\\n" "$DATABASE_URL" "$FALLBACK"\n'
KEEPALIVES = "keepalives=1&keepalives_idle=60&keepalives_interval=10&keepalives_count=6"


def _bash(directory: Path) -> list[str]:
    (directory / "harness.sh").write_text(HARNESS)
    done = subprocess.run(["bash", "harness.sh"], cwd=directory, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_an_unquoted_uri_in_a_shell_line_is_not_given_a_query(tmp_path: Path) -> None:
    (tmp_path / "run.sh").write_text(SCRIPT)
    before = _bash(tmp_path)
    outcome = run_cli(["--no-cache", "--format", "json", "run.sh"], tmp_path)
    findings = json.loads(outcome.stdout)
    fixed = {f["line"] for f in findings if f["fix"] is not None}
    assert fixed == {4, 5}
    assert all("unquoted word of a command" in f["message"] for f in findings if f["line"] in (2, 3))
    run_cli(["--no-cache", "--write", "--unsafe-fixes", "run.sh"], tmp_path)
    after = _bash(tmp_path)
    with_query = f"{HOST}?{KEEPALIVES}&sslmode=require"
    expected = [line.replace(f"fallback:{HOST}", f"fallback:{with_query}") for line in before]
    expected[expected.index(f"arg:{HOST}", 3)] = f"arg:{with_query}"  # the quoted one
    assert after == expected


def test_a_run_step_and_a_dockerfile_run_are_command_lines(tmp_path: Path) -> None:
    workflow = tmp_path / ".github/workflows/ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        f"on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: psql {HOST} -c 'select 1'\n"
        f"      - run: DATABASE_URL={HOST} ./migrate\n"  # an assignment before a command
        f"      - run: |\n          # don't skip the check\n          psql {HOST} -c 'select 1'\n"  # a comment's quote opens nothing
        f"    env:\n      - DATABASE_URL={HOST}\n"  # NAME=URI alone: a value, read to its end
    )
    (tmp_path / "Dockerfile").write_text(f"FROM python:3.12\nRUN psql {HOST} -c 'select 1'\nENV DATABASE_URL={HOST}\n")
    findings = json.loads(run_cli(["--no-cache", "--format", "json", "--unsafe-fixes", "."], tmp_path).stdout)
    fixed = {(f["path"], f["line"]) for f in findings if f["fix"] is not None}
    assert fixed == {("Dockerfile", 3), (".github/workflows/ci.yml", 12)}  # ENV: Docker reads the value itself
    # The Dockerfile's RUN is a build step's command, not judged (b4f1314); its ENV and the workflow's
    # four strings are, two findings each.
    assert len(findings) == 10
    assert ("Dockerfile", 2) not in {(f["path"], f["line"]) for f in findings}

"""One source of truth for "fixable": the fixes the patcher really applies.

"[*] N fixable", ``--diff``'s "Would fix N", ``--write``'s "Fixed N" and the fixes
``--show-fixes`` announces agree on every fixture case, with and without --unsafe-fixes;
an input error rules out "All checks passed!".
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.test_fixtures import CASES, case_id, extra_args


def _fixable(summary: str, unsafe: bool) -> int:
    wanted = "--write --unsafe-fixes" if unsafe else "--write"
    match = re.search(rf"\[\*\] (\d+) fixable with {re.escape(wanted)}\.", summary)
    return int(match.group(1)) if match else 0


def _would_fix(stderr: str) -> int:
    if "No fixes available." in stderr:
        return 0
    match = re.search(r"Would fix (\d+) findings?\.", stderr)
    assert match, stderr
    return int(match.group(1))


def _fixed(output: str) -> int:
    match = re.search(r"Fixed (\d+) findings? in \d+ files?\.", output)
    assert match, output
    return int(match.group(1))


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_counts_agree(case: Path, unsafe: bool, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(case / "before", work, symlinks=True)
    args = [*(["--unsafe-fixes"] if unsafe else []), *[a for a in extra_args(case) if a != "--unsafe-fixes"]]
    report = run_cli(["--show-fixes", *args], work)
    claimed = _fixable(report.stdout, unsafe)
    diff = run_cli(["--diff", *args], work)
    written = run_cli(["--write", *args], work)
    assert claimed == _would_fix(diff.stderr) == _fixed(written.stdout + written.stderr)
    # Every fix the patcher applies is announced; without --unsafe-fixes the ones it needs
    # are announced as unsafe and counted as "more".
    announced = re.findall(r"^    fix \((safe|unsafe)\): ", report.stdout, re.MULTILINE)
    if unsafe:
        assert len(announced) == claimed
    else:
        assert announced.count("safe") == claimed
    assert bool(diff.stdout_bytes) == (claimed > 0)


PGF502_ENGINE = (
    "from sqlalchemy import create_engine\n"
    'engine = create_engine("postgresql+psycopg2://u@localhost/app", pool_recycle=3600)\n'
)


def test_pgf502_under_a_tight_budget_is_fixable_and_fixed(tmp_path: Path) -> None:
    """The report from the issue: idle-budget = 240 gave "[*] 1 fixable" and "No fixes available."."""
    (tmp_path / "app.py").write_text(PGF502_ENGINE)
    (tmp_path / ".pgconf-fix.toml").write_text("idle-budget = 240\nselect = ['PGF502']\n")
    report = run_cli(["--show-fixes", "."], tmp_path)
    assert "[*] 1 fixable with --write." in report.stdout
    assert "fix (safe): Set pool_recycle=240" in report.stdout
    diff = run_cli(["--diff", "."], tmp_path)
    assert "Would fix 1 finding." in diff.stderr and "+    pool_recycle=240" not in diff.stdout
    assert "pool_recycle=240)" in diff.stdout
    written = run_cli(["--write", "."], tmp_path)
    assert written.code == 0 and "Fixed 1 finding in 1 file." in written.stdout
    assert "All checks passed!" in written.stdout
    assert run_cli(["."], tmp_path).code == 0


@pytest.mark.parametrize("mode", [[], ["--diff"], ["--write"]])
def test_input_error_means_no_success_line(mode: list[str], tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text(
        "tcp_keepalives_idle = 60\ntcp_keepalives_interval = 10\ntcp_keepalives_count = 6\n"
    )
    outcome = run_cli([*mode, "postgresql.conf", "missing.conf"], tmp_path)
    assert outcome.code == 2
    assert "missing.conf: no such file or directory" in outcome.stderr
    assert "All checks passed!" not in outcome.stdout + outcome.stderr
    if not mode:
        assert "1 input error" in outcome.stdout

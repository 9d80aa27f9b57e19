"""Standard input, paths as ruff resolves them, diff headers, and the new flags (issue 17)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli_runner import run_cli, tree

MAIN_CONF = "include_dir = 'conf.d'\n#tcp_keepalives_idle = 0\ntcp_keepalives_count = 6\n"
FRAGMENT = "tcp_keepalives_interval = 75\n"


def _server_tree(root: Path) -> Path:
    (root / "db" / "conf.d").mkdir(parents=True)
    (root / "db" / "postgresql.conf").write_text(MAIN_CONF)
    (root / "db" / "conf.d" / "x.conf").write_text(FRAGMENT)
    return root


def test_stdin_write_fixes_only_the_stdin_document(tmp_path: Path) -> None:
    _server_tree(tmp_path)
    before = tree(tmp_path)
    args = ["--write", "--stdin-filename", "db/postgresql.conf", "-"]
    outcome = run_cli(args, tmp_path, stdin=MAIN_CONF.encode())
    assert outcome.code == 1, outcome.stderr
    # Standard output is the fixed document, and only it.
    assert outcome.stdout == "include_dir = 'conf.d'\ntcp_keepalives_idle = 60\ntcp_keepalives_count = 6\n"
    assert tree(tmp_path) == before, "nothing is written with standard input"
    # The fragment's finding is reported (on stderr), not claimed fixed.
    assert "Fixed 1 finding in standard input." in outcome.stderr
    assert "db/conf.d/x.conf:1:1: PGF102" in outcome.stderr
    assert "Found 1 finding." in outcome.stderr and "fixable" not in outcome.stderr


def test_stdin_check_and_diff_claim_no_fix_elsewhere(tmp_path: Path) -> None:
    _server_tree(tmp_path)
    stdin = MAIN_CONF.encode()
    report = run_cli(["--show-fixes", "--stdin-filename", "db/postgresql.conf", "-"], tmp_path, stdin=stdin)
    assert "[*] 1 fixable with --write." in report.stdout
    found = json.loads(run_cli(["--format", "json", "--stdin-filename", "db/postgresql.conf", "-"], tmp_path,
                               stdin=stdin).stdout)
    assert {(item["path"], item["code"], item["fix"] is not None) for item in found} == {
        ("db/postgresql.conf", "PGF101", True), ("db/conf.d/x.conf", "PGF102", False)}
    diff = run_cli(["--diff", "--stdin-filename", "db/postgresql.conf", "-"], tmp_path, stdin=stdin)
    assert "Would fix 1 finding." in diff.stderr
    assert "x.conf" not in diff.stdout and "+tcp_keepalives_idle = 60\n" in diff.stdout


def test_stdin_filename_without_dash_is_a_usage_error(tmp_path: Path) -> None:
    _server_tree(tmp_path)
    outcome = run_cli(["--stdin-filename", "db/postgresql.conf"], tmp_path, stdin=MAIN_CONF.encode())
    assert outcome.code == 2
    assert "--stdin-filename" in outcome.stderr and "'-'" in outcome.stderr
    assert "PGF" not in outcome.stdout

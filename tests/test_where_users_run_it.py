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


# -- paths as ruff resolves them -------------------------------------------------------

BAD = "#tcp_keepalives_idle = 0\ntcp_keepalives_interval = 75\ntcp_keepalives_count = 6\n"


def _project(root: Path) -> Path:
    for where in ("legacy", "db", "sub"):
        (root / where).mkdir(parents=True)
        (root / where / "postgresql.conf").write_text(BAD)
    (root / ".pgconf-fix.toml").write_text(
        'exclude = ["/legacy/"]\nselect = ["PGF1"]\n[per-file-ignores]\n"db/*.conf" = ["PGF102"]\n'
    )
    return root


def _found(stdout: str) -> set[tuple[str, str]]:
    pairs = set()
    for line in stdout.splitlines():
        if ": PGF" in line:
            location, rest = line.split(": ", 1)
            pairs.add((os.path.normpath(location.rsplit(":", 2)[0]), rest.split(" ")[0]))
    return pairs


@pytest.mark.parametrize("where", ["root", "sub", "outside"])
def test_exclude_and_per_file_ignores_are_relative_to_the_config(tmp_path: Path, where: str) -> None:
    root = _project(tmp_path / "project")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    cwd, path = {"root": (root, "."), "sub": (root / "sub", ".."), "outside": (outside, str(root))}[where]
    outcome = run_cli([path], cwd)
    assert outcome.code == 1, outcome.stderr
    shown = {(os.path.relpath(os.path.join(cwd, file), root), code) for file, code in _found(outcome.stdout)}
    assert shown == {
        ("db/postgresql.conf", "PGF101"),
        ("sub/postgresql.conf", "PGF101"),
        ("sub/postgresql.conf", "PGF102"),
    }


def test_config_is_found_from_the_target_path_upwards(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    other = tmp_path / "other"
    other.mkdir()
    (other / "postgresql.conf").write_text(BAD)
    # Two paths under two configs (one of them none): each is judged by its own.
    (tmp_path / "other" / ".pgconf-fix.toml").write_text('select = ["PGF102"]\n')
    outcome = run_cli([str(root / "sub"), str(other)], tmp_path)
    found = {(os.path.relpath(file, tmp_path), code) for file, code in _found(outcome.stdout)}
    assert found == {
        ("project/sub/postgresql.conf", "PGF101"),
        ("project/sub/postgresql.conf", "PGF102"),
        ("other/postgresql.conf", "PGF102"),
    }


def test_force_exclude_applies_excludes_to_named_files(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    named = run_cli(["legacy/postgresql.conf"], root)
    assert ("legacy/postgresql.conf", "PGF101") in _found(named.stdout)
    forced = run_cli(["--force-exclude", "legacy/postgresql.conf", "db/postgresql.conf"], root)
    assert _found(forced.stdout) == {("db/postgresql.conf", "PGF101")}
    written = run_cli(["--force-exclude", "--write", "legacy/postgresql.conf"], root)
    assert written.code == 0 and (root / "legacy" / "postgresql.conf").read_text() == BAD
    # Also from a subdirectory, with the path as pre-commit passes it (relative to the root).
    assert _found(run_cli(["--force-exclude", "../legacy/postgresql.conf"], root / "sub").stdout) == set()


def test_gitignore_semantics_from_pathspec(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    for where in ("build", "deploy/a", "deploy/b", "vendor", "db"):
        (root / where).mkdir(parents=True)
        (root / where / "postgresql.conf").write_text(BAD)
    (root / "db" / "keep.conf").write_text("tcp_keepalives_idle = 0\n")
    (root / "db" / "scratch.conf").write_text("tcp_keepalives_idle = 0\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("build/\ndeploy/**/postgresql.conf\n!deploy/b/postgresql.conf\n")
    (root / "db" / ".gitignore").write_text("*.conf\n!keep.conf\n")
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("/vendor\n")
    expected = {"deploy/b/postgresql.conf", "db/keep.conf"}
    assert {file for file, _ in _found(run_cli(["--select", "PGF101", "."], root).stdout)} == expected
    # Walking a subdirectory still obeys the .gitignore files above it and .git/info/exclude.
    assert {file for file, _ in _found(run_cli(["--select", "PGF101", "deploy"], root).stdout)} == {
        "deploy/b/postgresql.conf"}
    inside = run_cli(["--select", "PGF101", "."], root / "vendor")
    assert _found(inside.stdout) == set() and inside.code == 0

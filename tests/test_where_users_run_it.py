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


# -- diff headers ----------------------------------------------------------------------

STRANGE_NAMES = ["with space", "new\nline", 'quo"te', "tab\there", "back\\slash", "ünï"]


def _apply_both_ways(patch: bytes, pristine: Path, tmp_path: Path, expected: dict[str, bytes]) -> None:
    """Apply with ``git apply`` and with ``patch -p1`` in copies of ``pristine``."""
    patch_file = tmp_path / "fix.patch"
    patch_file.write_bytes(patch)
    for tool in (["git", "apply"], ["patch", "-p1", "-s", "-i"]):
        copy = tmp_path / f"apply-{tool[0]}"
        shutil.copytree(pristine, copy, symlinks=True)
        subprocess.run([*tool, str(patch_file)], cwd=copy, check=True, capture_output=True)
        assert {k: v for k, v in tree(copy).items() if not k.startswith(".git/")} == expected
        shutil.rmtree(copy)


@pytest.mark.parametrize("where", ["root", "sub"])
def test_diff_headers_never_climb_and_apply_from_the_repository_root(tmp_path: Path, where: str) -> None:
    repo = tmp_path / "repo"
    (repo / "db").mkdir(parents=True)
    (repo / "sub").mkdir()
    (repo / "db" / "postgresql.conf").write_text(BAD)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    cwd, path = (repo, "db") if where == "root" else (repo / "sub", "../db")
    pristine = tmp_path / "pristine"
    shutil.copytree(repo, pristine, symlinks=True)
    outcome = run_cli(["--diff", path], cwd)
    assert outcome.code == 1, outcome.stderr
    headers = [line for line in outcome.stdout.splitlines() if line.startswith(("---", "+++"))]
    assert headers == ["--- a/db/postgresql.conf", "+++ b/db/postgresql.conf"]
    assert ("relative to" in outcome.stderr) == (where == "sub")
    written = tmp_path / "written"
    shutil.copytree(repo, written, symlinks=True)
    assert run_cli(["--write", "db"], written).code == 0
    expected = {k: v for k, v in tree(written).items() if not k.startswith(".git/")}
    _apply_both_ways(outcome.stdout_bytes, pristine, tmp_path, expected)


def test_diff_headers_quote_names_as_git_does(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    for name in STRANGE_NAMES:
        (work / name).mkdir()
        (work / name / "postgresql.conf").write_text(BAD)
    pristine = tmp_path / "pristine"
    shutil.copytree(work, pristine)
    outcome = run_cli(["--diff", "."], work)
    assert outcome.code == 1, outcome.stderr
    assert '--- "a/new\\nline/postgresql.conf"\n' in outcome.stdout
    assert '--- "a/quo\\"te/postgresql.conf"\n' in outcome.stdout
    assert '--- "a/tab\\there/postgresql.conf"\n' in outcome.stdout
    assert "--- a/with space/postgresql.conf\t\n" in outcome.stdout
    assert '--- "a/\\303\\274n\\303\\257/postgresql.conf"\n' in outcome.stdout
    # The same quoting as git's own diff of the same change.
    subprocess.run(["git", "init", "-q", str(pristine)], check=True)
    expected_tree = tmp_path / "expected"
    shutil.copytree(work, expected_tree)
    assert run_cli(["--write", "."], expected_tree).code == 0
    expected = tree(expected_tree)
    _apply_both_ways(outcome.stdout_bytes, pristine, tmp_path, expected)


# -- suppressions and codes ------------------------------------------------------------


def test_codes_are_case_insensitive_everywhere(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text(BAD)
    both = {("postgresql.conf", "PGF101"), ("postgresql.conf", "PGF102")}
    assert _found(run_cli(["--select", "pgf10", "."], tmp_path).stdout) == both
    assert _found(run_cli(["--select", "pgf10", "--ignore", "pgf101", "."], tmp_path).stdout) == {
        ("postgresql.conf", "PGF102")}
    # The ignore as specific as the select wins the tie (a less specific Pgf1 would lose to PGF10, as in ruff).
    assert _found(run_cli(["--select", "PGF10", "--extend-select", "all", "--ignore", "Pgf10", "."],
                          tmp_path).stdout) == set()
    (tmp_path / ".pgconf-fix.toml").write_text(
        'select = ["pgf1"]\nignore = ["pgf102"]\n[rule.pgf101]\ntarget = 30\n[per-file-ignores]\n"x.conf" = ["pgf1"]\n'
    )
    outcome = run_cli(["--show-fixes", "."], tmp_path)
    assert _found(outcome.stdout) == {("postgresql.conf", "PGF101")}
    assert "tcp_keepalives_idle = 30" in outcome.stdout
    assert run_cli(["--explain", "pgf502"], tmp_path).code == 0


def test_a_trailing_suppression_covers_its_own_line_only(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "A=postgresql://u@db.example.com/a?sslmode=require  # pgconf-fix: ignore[PGF401] keepalives from the sidecar\n"
        "B=postgresql://u@db.example.com/b?sslmode=require\n"
        "# pgconf-fix: ignore[PGF401] a comment alone covers the next line\n"
        "C=postgresql://u@db.example.com/c?sslmode=require\n"
    )
    lines = [line for line in run_cli(["--select", "PGF0,PGF401", "."], tmp_path).stdout.splitlines() if ": PGF" in line]
    assert [line.split(": ")[0] + " " + line.split(": ")[1].split(" ")[0] for line in lines] == [".env:2:3 PGF401"]


# -- new flags -------------------------------------------------------------------------


def test_statistics_counts_per_code(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "postgresql.conf").write_text(BAD)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "postgresql.conf").write_text(BAD.replace("#tcp_keepalives_idle = 0", "tcp_keepalives_idle = 60"))
    outcome = run_cli(["--statistics", "."], tmp_path)
    assert outcome.code == 1
    assert outcome.stdout.splitlines() == ["2\tPGF102\t[*] server-keepalives-interval",
                                           "1\tPGF101\t[*] server-keepalives-idle"]
    rows = json.loads(run_cli(["--statistics", "--format", "json", "."], tmp_path).stdout)
    assert rows == [{"code": "PGF102", "name": "server-keepalives-interval", "count": 2, "fixable": True, "fixable_count": 2},
                    {"code": "PGF101", "name": "server-keepalives-idle", "count": 1, "fixable": True, "fixable_count": 1}]


def test_output_file_gets_the_report(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text(BAD)
    outcome = run_cli(["--format", "json", "--output-file", "report.json", "postgresql.conf"], tmp_path)
    assert outcome.code == 1 and outcome.stdout == ""
    assert {item["code"] for item in json.loads((tmp_path / "report.json").read_text())} == {"PGF101", "PGF102"}
    text = run_cli(["-o", "report.txt", "postgresql.conf"], tmp_path)
    assert text.stdout == "" and "Found 2 findings." in (tmp_path / "report.txt").read_text()
    assert "\033[" not in (tmp_path / "report.txt").read_text()


@pytest.mark.parametrize(
    ("flag", "env", "coloured"),
    [
        ([], {}, False),  # not a terminal
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
    ],
)
def test_color_flag_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: list[str],
                                    env: dict[str, str], coloured: bool) -> None:
    (tmp_path / "postgresql.conf").write_text(BAD)
    for name in ("FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    outcome = run_cli([*flag, "postgresql.conf"], tmp_path)
    assert ("\033[" in outcome.stdout) == coloured


def test_add_suppressions_silences_each_finding_and_keeps_files_valid(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text(BAD)
    (tmp_path / "app.py").write_text(
        "from sqlalchemy import create_engine\n\n"
        "# pgconf-fix: ignore[PGF502] one short job\n"
        'engine = create_engine("postgresql+psycopg://u@db.internal/app")\n'
        'doc = """\nDATABASE_URL=postgresql://u@db.example.com/app\n"""\n'
    )
    (tmp_path / "config.json").write_text('{"url": "postgresql://u@db.example.com/app?sslmode=require"}\n')
    outcome = run_cli(["--add-suppressions", "accepted in review 42", "."], tmp_path)
    assert outcome.code == 1  # some findings could not be suppressed
    # The summary was on standard output, where --format json consumers read; ruff says it on stderr.
    assert outcome.stdout == "" and "Added 3 suppressions to 2 files.\n" in outcome.stderr
    assert "config.json:1: no suppression comment can be added here safely" in outcome.stderr
    assert "app.py:6: no suppression comment can be added here safely" in outcome.stderr  # inside a string
    conf = (tmp_path / "postgresql.conf").read_text()
    assert conf.startswith("# pgconf-fix: ignore[PGF101] accepted in review 42\n#tcp_keepalives_idle = 0\n")
    left = _found(run_cli(["."], tmp_path).stdout)
    assert {file for file, _ in left} == {"config.json", "app.py"} and {code for _, code in left} == {"PGF401", "PGF404"}
    compile((tmp_path / "app.py").read_text(), "app.py", "exec")
    assert "# pgconf-fix: ignore[PGF401,PGF501,PGF502] one short job\n" in (tmp_path / "app.py").read_text()


@pytest.mark.parametrize("mode", ["--diff", "--write"])
def test_add_suppressions_with_diff_or_write_is_a_usage_error_and_writes_nothing(mode: str, tmp_path: Path) -> None:
    # --diff promises to write nothing, --write to apply fixes: --add-suppressions did neither
    # (it wrote its comments and ignored the mode); ruff's --add-noqa is run alone too.
    (tmp_path / "postgresql.conf").write_text(BAD)
    outcome = run_cli([mode, "--add-suppressions", "accepted in review 42", "."], tmp_path)
    assert outcome.code == 2
    assert f"error: --add-suppressions and {mode} cannot be used together" in outcome.stderr
    assert (tmp_path / "postgresql.conf").read_text() == BAD


def test_progress_shows_discovery_then_layers_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    import io
    import sys

    from pgconf_fix import progress
    from pgconf_fix.discovery import discover
    from pgconf_fix.layers import layer_modules

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for index in range(3):
        (tmp_path / f"d{index}").mkdir()
        (tmp_path / f"d{index}" / "postgresql.conf").write_text(BAD)
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "REFRESH", 0.0)
    monkeypatch.delenv("PGCONF_FIX_NO_PROGRESS", raising=False)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    discover([str(tmp_path)], layer_modules(), tmp_path)
    assert "discovering: 3 files found" in terminal.getvalue()
    outcome = run_cli(["."], tmp_path)  # run_cli's stderr is not a terminal
    assert "discovering" not in outcome.stderr and "checking" not in outcome.stderr


def test_a_removed_line_that_starts_with_dashes_is_content_not_a_header(tmp_path: Path) -> None:
    from pgconf_fix.patcher import unified_diff
    from pgconf_fix.source import SourceFile

    path = tmp_path / "001.sql"
    source = SourceFile.from_bytes(path, "001.sql", b"-- old comment\nSET x = 1;\n")
    diff = unified_diff(source, "SET x = 1;\n", tmp_path).decode()
    assert diff.splitlines()[:2] == ["--- a/001.sql", "+++ b/001.sql"]
    assert "--- old comment\n" in diff  # the removed line, kept as it is

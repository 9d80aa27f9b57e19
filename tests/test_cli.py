"""The command line: flags, exit status, JSON shape, configuration and the rule catalog."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pgconf_fix import catalog, docs
from pgconf_fix.catalog import load_catalog
from tests.cli_runner import run_cli, tree

ROOT = Path(__file__).resolve().parent.parent
BAD_CONF = "#tcp_keepalives_idle = 0\t# TCP_KEEPIDLE\ntcp_keepalives_interval = 75\nssl_renegotiation_limit = 512MB\n"
FOUNDATION_CODES = ["PGF001", "PGF101", "PGF102", "PGF103", "PGF104", "PGF201", "PGF202", "PGF203"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "postgresql.conf").write_text(BAD_CONF)
    return tmp_path


def codes(stdout: str) -> list[str]:
    return [line.split(": ", 1)[1].split(" ")[0] for line in stdout.splitlines() if ": PGF" in line]


# -- the catalog ---------------------------------------------------------------


def test_every_foundation_rule_has_complete_toml() -> None:
    catalog = load_catalog()
    for code in FOUNDATION_CODES:
        rule = catalog[code]
        data = tomllib.loads(rule.path.read_text())
        for key in ("code", "name", "layer", "severity", "enabled", "summary", "why", "fix_safety", "references"):
            assert key in data, f"{code} lacks {key}"
        assert rule.example_before.strip() and rule.example_after.strip(), code
        assert rule.path.name == f"{code}.toml"
        if rule.kind == "threshold":
            assert "fix" in rule.check and rule.options, code


def test_readme_table_and_rules_doc_are_generated_from_rules() -> None:
    rules = list(load_catalog().values())
    readme = (ROOT / "README.md").read_text()
    assert docs.readme_with_table(readme, rules) == readme, "run: python -m pgconf_fix.docs"
    assert (ROOT / "docs" / "rules.md").read_text() == docs.rules_markdown(rules), "run: python -m pgconf_fix.docs"
    parsed = ROOT / "rules" / catalog.PARSED_NAME
    assert parsed.read_text(encoding="utf-8") == catalog.parsed_rules(ROOT / "rules"), "run: python -m pgconf_fix.docs"


def test_list_rules_and_explain(tmp_path: Path) -> None:
    listed = run_cli(["--list-rules"], tmp_path)
    assert listed.code == 0
    assert codes_in(listed.stdout) >= set(FOUNDATION_CODES)
    page = run_cli(["--explain", "PGF104"], tmp_path)
    assert page.code == 0
    for section in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References"):
        assert section in page.stdout
    assert "PostgreSQL 14 removed" in page.stdout  # it says the guides are wrong about that
    assert run_cli(["--explain", "server-keepalives-idle"], tmp_path).stdout.startswith("PGF101")
    unknown = run_cli(["--explain", "PGF999"], tmp_path)
    assert unknown.code == 2 and "PGF999" in unknown.stderr
    # A prefix (a selector, not a rule) was "no rule 'PGF1'": it names the rules it stands for.
    prefix = run_cli(["--explain", "pgf10"], tmp_path)
    assert prefix.code == 2 and prefix.stdout == ""
    assert "'pgf10' is a prefix of PGF101, PGF102, PGF103, PGF104: --explain takes one rule's code or name" in prefix.stderr


def codes_in(text: str) -> set[str]:
    return {word for word in text.split() if word.startswith("PGF")}


# -- exit status and flags -----------------------------------------------------


def test_exit_status_and_summary(repo: Path) -> None:
    found = run_cli(["."], repo)
    assert found.code == 1
    # Sorted by place: the missing count is reported at line 1, beside the idle sample.
    assert codes(found.stdout) == ["PGF101", "PGF103", "PGF102", "PGF104"]
    assert "Found 4 findings." in found.stdout
    assert run_cli(["--exit-zero", "."], repo).code == 0
    clean = repo / "clean"
    clean.mkdir()
    (clean / "postgresql.conf").write_text("tcp_keepalives_idle = 60\ntcp_keepalives_interval = 10\ntcp_keepalives_count = 6\n")
    ok = run_cli(["clean"], repo)
    assert ok.code == 0 and "All checks passed!" in ok.stdout


def test_select_ignore_and_bad_selectors(repo: Path) -> None:
    assert codes(run_cli(["--select", "PGF104", "."], repo).stdout) == ["PGF104"]
    assert codes(run_cli(["--ignore", "PGF10", "."], repo).stdout) == []
    assert codes(run_cli(["--select", "PGF1", "--ignore", "PGF102,PGF103", "."], repo).stdout) == ["PGF101", "PGF104"]
    bad = run_cli(["--select", "XYZ1", "."], repo)
    assert bad.code == 2 and "XYZ1" in bad.stderr


def test_pg_version_changes_the_message(repo: Path) -> None:
    old = run_cli(["--select", "PGF104", "--pg-version", "9.4", "."], repo).stdout
    new = run_cli(["--select", "PGF104", "--pg-version", "15", "."], repo).stdout
    assert "renegotiates SSL after every 524288 kB" in old
    assert "PostgreSQL 15 accepts only a plain 0" in new
    bad = run_cli(["--pg-version", "banana", "."], repo)
    assert bad.code == 2 and "--pg-version" in bad.stderr
    for unknown in ("99", "19", "8.4", "9.7"):  # no catalog: it was taken and judged as if known
        bad = run_cli(["--pg-version", unknown, "."], repo)
        assert bad.code == 2, bad.stderr
        assert f"--pg-version: '{unknown}' is not a major pgconf-fix knows; give one of PostgreSQL 9.0\u201318" in bad.stderr
        assert bad.stdout == ""


def test_diff_and_write_are_exclusive(repo: Path) -> None:
    outcome = run_cli(["--diff", "--write", "."], repo)
    assert outcome.code == 2 and "cannot be used together" in outcome.stderr


def test_write_reports_what_is_left_and_exit_status(repo: Path) -> None:
    outcome = run_cli(["--write", "."], repo)
    assert outcome.code == 0, outcome.stdout
    assert "Fixed 4 findings in 1 file." in outcome.stdout
    text = (repo / "db" / "postgresql.conf").read_text()
    assert text.startswith("tcp_keepalives_idle = 60\t# TCP_KEEPIDLE\ntcp_keepalives_interval = 10\n")
    assert "ssl_renegotiation_limit = 0\n" in text and "tcp_keepalives_count = 6\n" in text
    (repo / "db" / "postgresql.conf").write_text("tcp_keepalives_idle = 1.5min\n")
    left = run_cli(["--write", "."], repo)
    assert left.code == 1 and "PGF001" in left.stdout
    # Paths stay as given, also for what is left after fixing.
    (repo / "db" / "postgresql.conf").write_text("tcp_keepalives_idle = 1.5min\ntcp_keepalives_count = 0\n")
    absolute = run_cli(["--write", str(repo / "db")], repo)
    assert f"{repo / 'db' / 'postgresql.conf'}:1:1: PGF001" in absolute.stdout
    assert "Fixed 2 findings in 1 file." in absolute.stdout


def test_json_shape(repo: Path) -> None:
    outcome = run_cli(["--format", "json", "db"], repo)
    assert outcome.code == 1
    items = json.loads(outcome.stdout)
    first = items[0]
    assert set(first) >= {"code", "name", "severity", "message", "path", "line", "column", "end_line",
                          "end_column", "url", "fix"}
    assert first["path"] == "db/postgresql.conf"
    assert (first["line"], first["column"]) == (1, 1)
    assert first["url"].endswith("#pgf101-server-keepalives-idle")
    assert first["fix"]["applicability"] == "safe"
    edit = first["fix"]["edits"][-1]
    assert set(edit) == {"path", "line", "column", "end_line", "end_column", "content"}
    assert edit["content"] == "60"
    # Positions are in the original file: the value "0" sits after "#tcp_keepalives_idle = ".
    assert (edit["line"], edit["column"], edit["end_column"]) == (1, 24, 25)
    absolute = json.loads(run_cli(["--format", "json", str(repo / "db")], repo).stdout)
    assert absolute[0]["path"] == str(repo / "db" / "postgresql.conf")


def test_stdin_with_filename(tmp_path: Path) -> None:
    outcome = run_cli(["-", "--stdin-filename", "postgresql.conf"], tmp_path, stdin=BAD_CONF.encode())
    assert codes(outcome.stdout) == ["PGF101", "PGF103", "PGF102", "PGF104"]
    assert outcome.stdout.startswith("postgresql.conf:1:1: PGF101")
    fixed = run_cli(["--write", "-", "--stdin-filename", "postgresql.conf"], tmp_path, stdin=BAD_CONF.encode())
    assert fixed.stdout.startswith("tcp_keepalives_idle = 60\t# TCP_KEEPIDLE\n")
    assert not (tmp_path / "postgresql.conf").exists()
    missing = run_cli(["-"], tmp_path, stdin=b"")
    assert missing.code == 2 and "--stdin-filename" in missing.stderr


def test_python_dash_m(repo: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pgconf_fix", "--select", "PGF104", "."], cwd=repo,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "PGF104" in result.stdout


# -- configuration -------------------------------------------------------------


def test_pyproject_config_and_rule_parameters(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.pgconf-fix]\nignore = ["PGF104"]\nidle-budget = 60\n'
        "[tool.pgconf-fix.rule.PGF101]\ntarget = 45\n"
    )
    outcome = run_cli(["--format", "json", "."], repo)
    items = json.loads(outcome.stdout)
    assert sorted(item["code"] for item in items) == ["PGF101", "PGF102", "PGF103"]
    assert items[0]["fix"]["edits"][-1]["content"] == "45"
    (repo / "db" / "postgresql.conf").write_text("tcp_keepalives_idle = 90\ntcp_keepalives_interval = 10\ntcp_keepalives_count = 6\n")
    tight = run_cli(["."], repo)
    assert "is above the idle budget (60 s: idle-budget in pyproject.toml); set it to 45" in tight.stdout


def test_nearest_config_wins_and_config_flag_overrides(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[tool.pgconf-fix]\nselect = ["PGF104"]\n')
    (repo / "db" / ".pgconf-fix.toml").write_text('select = ["PGF101"]\n')
    assert codes(run_cli(["."], repo).stdout) == ["PGF104"]
    assert codes(run_cli(["."], repo / "db").stdout) == ["PGF101"]
    other = repo / "other.toml"
    other.write_text('select = ["PGF102"]\n')
    assert codes(run_cli(["--config", str(other), "."], repo / "db").stdout) == ["PGF102"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('[tool.pgconf-fix]\nselekt = ["PGF1"]\n', "selekt"),
        ('[tool.pgconf-fix]\nselect = "PGF1\n', "invalid TOML"),
        ("[tool.pgconf-fix]\nidle-budget = -5\n", "idle-budget"),
        ('[tool.pgconf-fix]\npg-version = "thirteen"\n', "pg-version"),
        ("[tool.pgconf-fix.rule.PGF101]\ntarget = \"x\"\n", "target"),
        ("[tool.pgconf-fix.rule.PGF101]\nfoo = 1\n", "foo"),
        ("[tool.pgconf-fix.rule.PGF999]\ntarget = 1\n", "PGF999"),
        ('[tool.pgconf-fix]\nignore = ["NOPE"]\n', "NOPE"),
        # --select "" is a usage error; an empty list in the config selected nothing and passed.
        ("[tool.pgconf-fix]\nselect = []\n", "'select = []' selects no rule"),
        # An empty selector is a prefix of every code: it selected, or ignored, every rule.
        ('[tool.pgconf-fix]\nselect = [""]\n', "'select': empty rule selector"),
        ('[tool.pgconf-fix]\nignore = ["PGF102", ""]\n', "'ignore': empty rule selector"),
        ('[tool.pgconf-fix]\nextend-select = [" "]\n', "'extend-select': empty rule selector"),
        ('[tool.pgconf-fix.per-file-ignores]\n"db/*" = [""]\n', "'per-file-ignores': empty rule selector"),
        # A major without a parameter catalog was taken and judged as if known.
        ("[tool.pgconf-fix]\npg-version = 99\n", "'pg-version' = 99 is not a major pgconf-fix knows; give one of PostgreSQL 9.0\u201318"),
        ('[tool.pgconf-fix]\npg-version = "8.4"\n', "'pg-version' = \"8.4\" is not a major pgconf-fix knows"),
        # The error named the directory only, not the config and key that gave it.
        ('[tool.pgconf-fix]\nrules-dir = ["policies-typo"]\n', ": 'rules-dir': "),
    ],
)
def test_invalid_config_is_exit_2(repo: Path, content: str, needle: str) -> None:
    (repo / "pyproject.toml").write_text(content)
    outcome = run_cli(["."], repo)
    assert outcome.code == 2
    assert "pyproject.toml" in outcome.stderr and needle in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_excludes_gitignore_and_default_skips(repo: Path) -> None:
    for place in (".venv/lib", "node_modules/pkg", "legacy", "build/tmp"):
        (repo / place).mkdir(parents=True)
        (repo / place / "postgresql.conf").write_text(BAD_CONF)
    (repo / ".gitignore").write_text("build/\n")
    (repo / "pyproject.toml").write_text('[tool.pgconf-fix]\nexclude = ["legacy/"]\n')
    paths = {line.split(":")[0] for line in run_cli(["."], repo).stdout.splitlines() if ": PGF" in line}
    assert paths == {"db/postgresql.conf"}
    explicit = run_cli(["legacy/postgresql.conf"], repo)
    assert "legacy/postgresql.conf:1:1: PGF101" in explicit.stdout


def test_user_rules_dir(repo: Path) -> None:
    rules = repo / "policies"
    rules.mkdir()
    (rules / "ACME001.toml").write_text(
        'code = "ACME001"\nname = "statement-timeout-set"\nlayer = "server"\nseverity = "warning"\n'
        'summary = "Every server sets a statement_timeout."\nwhy = "Runaway queries hold connections."\n'
        'fix_safety = "No fix."\n[check]\nkind = "required"\nsetting = "statement_timeout"\n'
    )
    outcome = run_cli(["--rules-dir", "policies", "--select", "ACME", "."], repo)
    assert outcome.stdout.startswith("db/postgresql.conf:1:1: ACME001 statement_timeout is not set")
    (rules / "BAD.toml").write_text('code = "BAD1"\n')
    broken = run_cli(["--rules-dir", "policies", "."], repo)
    assert broken.code == 2 and "BAD.toml" in broken.stderr


USER_RULE = (
    'code = "ACME001"\nname = "statement-timeout-set"\nlayer = "server"\nseverity = "warning"\n'
    'summary = "Every server sets a statement_timeout."\nwhy = "Runaway queries hold connections."\n'
    'fix_safety = "No fix."\n[check]\nkind = "required"\nsetting = "statement_timeout"\n'
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # Tracebacks: 'int' object has no attribute 'strip'; decoding to str: need a bytes-like object.
        (('summary = "Every server sets a statement_timeout."', "summary = 5"), "ACME001.toml:5: summary must be a string, not 5"),
        (('fix_safety = "No fix."', "fix_safety = true"), "ACME001.toml:7: fix_safety must be a string, not true"),
        (('setting = "statement_timeout"', "setting = 5"), "ACME001.toml:10: [check] setting must be a string, not 5"),
        # Taken, and then no selector could name the rule (selectors are upper-cased) or ALL was a code.
        (('code = "ACME001"', 'code = "acme001"'), 'ACME001.toml:1: code "acme001" must be capital letters then digits'),
        (('code = "ACME001"', 'code = "ALL"'), 'ACME001.toml:1: code "ALL" must be capital letters then digits'),
        (('name = "statement-timeout-set"', 'name = "Statement, Timeout"'),
         'ACME001.toml:2: name "Statement, Timeout" must be lower case words'),
    ],
)
def test_a_user_rule_of_the_wrong_type_is_named_with_its_line(repo: Path, change: tuple[str, str], message: str) -> None:
    (repo / "policies").mkdir()
    (repo / "policies" / "ACME001.toml").write_text(USER_RULE.replace(*change))
    outcome = run_cli(["--rules-dir", "policies", "."], repo)
    assert outcome.code == 2 and outcome.stdout == "", outcome.stderr
    assert message in outcome.stderr and "Traceback" not in outcome.stderr


def test_config_and_pins_files_named_are_not_said_to_be_unchecked(tmp_path: Path) -> None:
    # pre-commit names pyproject.toml on every commit that changes it: "warning: pyproject.toml:
    # not checked" and "no file under the given paths is one pgconf-fix reads", though it is
    # read as the config and as the project's pins (and checked for connection strings).
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\ndependencies = ["flask-sqlalchemy>=3"]\n'
                                             '[tool.pgconf-fix]\nselect = ["ALL"]\n')
    (tmp_path / ".pgconf-fix.toml").write_text('select = ["ALL"]\n')
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("flask\n")
    (tmp_path / "haproxy.cfg").write_text("defaults\n    timeout client 1h\n")
    named = ["pyproject.toml", ".pgconf-fix.toml", "requirements/base.txt"]
    outcome = run_cli(named, tmp_path)
    assert (outcome.code, outcome.stdout, outcome.stderr) == (0, "All checks passed!\n", "")
    other = run_cli([*named, "haproxy.cfg"], tmp_path)
    assert other.stderr.splitlines() == ["warning: haproxy.cfg: not checked: no reader for this kind of file "
                                         "(no setting or connection string pgconf-fix knows was recognised)"]
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nenv = ["DATABASE_URL=postgresql://u@db.example.com/a?sslmode=require"]\n'
    )
    assert codes(run_cli(["pyproject.toml"], tmp_path).stdout) == ["PGF401"]


def test_check_does_not_write(repo: Path) -> None:
    before = tree(repo)
    run_cli(["."], repo)
    run_cli(["--diff", "."], repo)
    assert tree(repo) == before


def test_named_files_no_reader_takes_are_said_not_checked(tmp_path: Path) -> None:
    (tmp_path / "haproxy.cfg").write_text("defaults\n    timeout client 1h\n")
    (tmp_path / "postgresql.conf.j2").write_text("tcp_keepalives_idle = {{ idle }}\n")
    (tmp_path / "patroni.yml").write_text("scope: main\nttl: 30\n")
    (tmp_path / "postgresql.conf").write_text("tcp_keepalives_idle = 60\ntcp_keepalives_interval = 10\ntcp_keepalives_count = 6\n")
    alone = run_cli(["haproxy.cfg", "postgresql.conf.j2", "patroni.yml"], tmp_path)
    assert alone.code == 0, alone.stderr
    lines = alone.stderr.splitlines()
    assert any(line.startswith("warning: haproxy.cfg: not checked: no reader") for line in lines)
    assert any(line.startswith("warning: postgresql.conf.j2: not checked: a template") for line in lines)
    assert any(line.startswith("warning: patroni.yml: not checked: no reader") for line in lines)
    assert "warning: no file under the given paths is one pgconf-fix reads" in lines
    # With a file that is checked, only the unread one is named, and the findings decide the exit.
    mixed = run_cli(["postgresql.conf", "patroni.yml", "--select", "PGF10"], tmp_path)
    assert [line for line in mixed.stderr.splitlines() if line.startswith("warning:")] == [
        "warning: patroni.yml: not checked: no reader for this kind of file "
        "(no setting or connection string pgconf-fix knows was recognised)"
    ]
    # A directory walk says nothing of the files it passes over.
    walked = run_cli([".", "--select", "PGF10"], tmp_path)
    assert "not checked" not in walked.stderr


def test_many_named_files_no_reader_takes_are_one_warning(tmp_path: Path) -> None:
    """pre-commit names every file its pattern matches (each .py of a commit): past five of one
    reason they are counted in one line, not a line each burying the findings."""
    names = [f"app/module_{number:02}.py" for number in range(12)]
    (tmp_path / "app").mkdir()
    for name in names:
        (tmp_path / name).write_text("def handler(event):\n    return event\n")
    (tmp_path / "postgresql.conf").write_text("tcp_keepalives_idle = 7200\n")
    outcome = run_cli(["--select", "PGF101", "postgresql.conf", *names], tmp_path)
    assert outcome.code == 1, outcome.stderr
    assert [line for line in outcome.stderr.splitlines() if line.startswith("warning:")] == [
        (
            "warning: 12 named files not checked: no reader for this kind of file (no setting or connection string "
            "pgconf-fix knows was recognised): app/module_00.py, app/module_01.py, app/module_02.py and 9 more"
        )
    ]
    assert "postgresql.conf:1:1: PGF101" in outcome.stdout


def test_help_says_what_the_command_does_and_its_exit_status(tmp_path: Path) -> None:
    shown = run_cli(["--help"], tmp_path)
    assert shown.code == 0
    text = " ".join(shown.stdout.split())
    assert text.startswith("Usage: pgconf-fix [OPTIONS] [PATHS]... Find where an idle PostgreSQL connection")
    assert "Exit status: 0 nothing found" in text and "1 findings left" in text and "2 a usage, configuration" in text
    assert "'pgconf-fix serve'" in text


def test_ruffs_fix_flag_points_to_write(tmp_path: Path) -> None:
    """A ruff user's --fix was answered "Did you mean '--config'?" (click's nearest spelling)."""
    for flag in ("--fix", "--fix-only"):
        outcome = run_cli([flag, "."], tmp_path)
        assert outcome.code == 2
        assert outcome.stderr == (
            f"error: No such option '{flag}'. Fixes are applied with --write (ruff's --fix) and shown with --diff.\n"
        )
    assert "Did you mean '--write'?" in run_cli(["--wrte", "."], tmp_path).stderr


# -- edges a ruff user meets ----------------------------------------------------


@pytest.mark.parametrize("fmt", ["sarif", "github"])
def test_statistics_has_no_sarif_or_github_shape(repo: Path, fmt: str) -> None:
    # It printed the text table where a SARIF file or workflow commands were asked for, exit 1;
    # ruff refuses ("Unsupported serialization format for statistics").
    outcome = run_cli(["--statistics", "--format", fmt, "."], repo)
    assert outcome.code == 2 and outcome.stdout == ""
    assert f"--statistics prints text or JSON (--format text or json), not --format {fmt}" in outcome.stderr
    assert run_cli(["--statistics", "--format", "json", "."], repo).code == 1


def test_output_file_makes_the_folders_on_its_way(repo: Path) -> None:
    # "Could not open file 'reports/ci/pgconf.json': No such file or directory", exit 2, after
    # the whole check (and after --write had written); ruff makes the folders.
    outcome = run_cli(["--format", "json", "--output-file", "reports/ci/pgconf.json", "."], repo)
    assert outcome.code == 1, outcome.stderr
    assert [item["code"] for item in json.loads((repo / "reports" / "ci" / "pgconf.json").read_text())][:1] == ["PGF101"]
    (repo / "taken").write_text("")
    blocked = run_cli(["--output-file", "taken/report.txt", "."], repo)
    assert blocked.code == 2 and "taken" in blocked.stderr and "Traceback" not in blocked.stderr
    # It was found unwritable after the check, and after --write had written the fixes; its
    # reason was makedirs' "File exists". Now, as ruff opens it first, nothing is written.
    written = run_cli(["--write", "--output-file", "taken/report.txt", "."], repo)
    assert written.code == 2 and written.stdout == ""
    assert f"Could not open file 'taken/report.txt': {repo / 'taken'} is not a directory" in written.stderr
    assert (repo / "db" / "postgresql.conf").read_text() == BAD_CONF


def test_diff_with_output_file_writes_the_diff_there(repo: Path) -> None:
    # The diff went to standard output and the file was never written: a CI job's patch artifact was missing.
    outcome = run_cli(["--diff", "--output-file", "out/fixes.patch", "."], repo)
    assert outcome.code == 1 and outcome.stdout == "", outcome.stderr
    patch = (repo / "out" / "fixes.patch").read_bytes()
    assert patch == run_cli(["--diff", "."], repo).stdout_bytes and b"+tcp_keepalives_idle = 60" in patch
    assert "Would fix 4 findings." in outcome.stderr
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "apply", "out/fixes.patch"], cwd=repo, check=True)
    assert run_cli(["."], repo).code == 0


def test_exit_non_zero_on_fix_as_in_ruff(repo: Path) -> None:
    # ruff's flag was "No such option": a CI job could not fail on what --write changed.
    assert run_cli(["--exit-non-zero-on-fix", "."], repo).code == 1  # a check: findings, as without it
    fixed = run_cli(["--write", "--exit-non-zero-on-fix", "."], repo)
    assert fixed.code == 1 and "Fixed 4 findings in 1 file." in fixed.stderr + fixed.stdout
    again = run_cli(["--write", "--exit-non-zero-on-fix", "."], repo)
    assert again.code == 0  # nothing left to fix
    both = run_cli(["--write", "--exit-zero", "--exit-non-zero-on-fix", "."], repo)
    assert both.code == 2 and "--exit-zero and --exit-non-zero-on-fix cannot be used together" in both.stderr
    (repo / "db" / "postgresql.conf").write_text(BAD_CONF)
    piped = run_cli(["--write", "--exit-non-zero-on-fix", "--stdin-filename", "db/postgresql.conf", "-"], repo,
                    stdin=BAD_CONF.encode())
    assert piped.code == 1 and b"tcp_keepalives_idle = 60" in piped.stdout_bytes


def test_readme_use_names_every_flag_and_no_other() -> None:
    # The flags block of README's "Use" is the command line's contract (DESIGN.md): a flag
    # added to the command and not there, or named there and gone, fails here.
    import re

    from pgconf_fix.cli import cli

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("## Use"):readme.index("`python -m pgconf_fix` is the same command.")]
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", block))
    flags = {flag for param in cli.params for flag in param.opts if flag.startswith("--")} - {"--version", "--help"}
    assert named == flags


def test_live_timeout_without_live_is_a_usage_error(repo: Path) -> None:
    # It was taken without a word and the files were checked as if it were not there.
    outcome = run_cli(["--live-timeout", "3", "."], repo)
    assert outcome.code == 2 and outcome.stdout == ""
    assert "--live-timeout applies to --live DSN only" in outcome.stderr


@pytest.mark.parametrize("code", ["", " "])
def test_explain_of_no_code_is_an_error(repo: Path, code: str) -> None:
    # --explain "" (an empty variable) ran the whole check instead and exited 1.
    outcome = run_cli(["--explain", code], repo)
    assert outcome.code == 2 and outcome.stdout == ""
    assert f"no rule {code!r} (see --list-rules)" in outcome.stderr


def test_command_line_selectors_combine_with_the_configs_as_ruff_does(repo: Path) -> None:
    # --ignore replaced the config's ignore (adding --ignore PGF103 brought the config's
    # ignored PGF102 back); ruff adds it. A --select starts afresh, without the config's ignore.
    (repo / "pyproject.toml").write_text('[tool.pgconf-fix]\nignore = ["PGF102"]\nextend-select = []\n')
    assert sorted(codes(run_cli(["."], repo).stdout)) == ["PGF101", "PGF103", "PGF104"]
    assert sorted(codes(run_cli(["--ignore", "PGF103", "."], repo).stdout)) == ["PGF101", "PGF104"]
    assert sorted(codes(run_cli(["--ignore", "", "."], repo).stdout)) == ["PGF101", "PGF103", "PGF104"]
    assert sorted(codes(run_cli(["--select", "PGF10", "."], repo).stdout)) == ["PGF101", "PGF102", "PGF103", "PGF104"]
    assert sorted(codes(run_cli(["--select", "PGF10", "--ignore", "PGF104", "."], repo).stdout)) == ["PGF101", "PGF102", "PGF103"]
    (repo / "pyproject.toml").write_text('[tool.pgconf-fix]\nselect = ["PGF101"]\nextend-select = ["PGF102"]\n')
    assert sorted(codes(run_cli(["--extend-select", "PGF103", "."], repo).stdout)) == ["PGF101", "PGF102", "PGF103"]


@pytest.mark.parametrize(
    ("config", "flags", "expected"),
    [
        # The more specific selector wins, whichever list it is in (ignore won every time).
        ("", ["--ignore", "ALL", "--select", "PGF104"], ["PGF104"]),
        ("", ["--ignore", "PGF1", "--select", "PGF10", "--extend-select", "PGF104"], ["PGF101", "PGF102", "PGF103", "PGF104"]),
        ("", ["--select", "PGF1", "--ignore", "PGF10", "--extend-select", "PGF102"], ["PGF102"]),
        ("", ["--ignore", "PGF10", "--extend-select", "ssl-renegotiation"], ["PGF104"]),  # a name is a full code
        ("", ["--select", "PGF104", "--ignore", "PGF104"], []),  # a tie: ignore wins, as in ruff
        ('ignore = ["PGF1"]\nextend-select = ["PGF104"]\n', [], ["PGF104"]),
        ('select = ["ALL"]\nignore = ["PGF10"]\nextend-select = ["PGF101", "PGF103"]\n', [], ["PGF101", "PGF103"]),
        # The flags' selection comes after the config's: its extend-select beats the config's
        # ignore, and its less specific ignore still removes what the config extend-selected
        # (ruff: extend-select = ["E703"] in ruff.toml, then --ignore E7, reports no E703).
        ('ignore = ["PGF102"]\n', ["--extend-select", "PGF102"], ["PGF101", "PGF102", "PGF103", "PGF104"]),
        ('ignore = ["PGF1"]\nextend-select = ["PGF102"]\n', [], ["PGF102"]),
        ('ignore = ["PGF1"]\nextend-select = ["PGF102"]\n', ["--ignore", "PGF10"], []),
        ('select = ["PGF101"]\n', ["--ignore", "ALL", "--extend-select", "PGF103"], ["PGF103"]),
    ],
)
def test_the_more_specific_selector_wins_as_in_ruff(repo: Path, config: str, flags: list[str], expected: list[str]) -> None:
    (repo / ".pgconf-fix.toml").write_text(config)
    outcome = run_cli([*flags, "."], repo)
    assert sorted(codes(outcome.stdout)) == expected, outcome.stderr


def test_per_file_ignores_take_rule_names(repo: Path) -> None:
    # A name was accepted there (check_selectors) and ignored nothing: only codes were expanded.
    (repo / ".pgconf-fix.toml").write_text('[per-file-ignores]\n"db/*" = ["ssl-renegotiation"]\n')
    assert sorted(codes(run_cli(["--select", "PGF104,PGF101", "."], repo).stdout)) == ["PGF101"]


def test_statistics_count_input_errors_as_ruff_counts_io_errors(repo: Path) -> None:
    # With a missing path the JSON rows had no trace of it (the findings' JSON has a PGF000
    # item); ruff's statistics count E902 io-error.
    outcome = run_cli(["--statistics", "--format", "json", "missing.conf"], repo)
    assert outcome.code == 2
    assert json.loads(outcome.stdout) == [
        {"code": "PGF000", "name": "input-error", "count": 1, "fixable": False, "fixable_count": 0}
    ]
    text = run_cli(["--statistics", "missing.conf", "db"], repo)
    assert text.code == 2 and "1\tPGF000\t[ ] input-error" in text.stdout.splitlines()


def test_statistics_json_has_ruffs_shape(tmp_path: Path) -> None:
    # ruff 0.17.6's rows: code, name, count, fixable (every one fixed: true) and fixable_count;
    # ours had "fixable" as the count, and the table marked a rule [*] when --write fixed only
    # some of its findings (ruff marks those [-]).
    (tmp_path / ".env").write_text(
        "A=postgresql+psycopg://u@db.example.com/a?sslmode=require\n"  # libpq reads it: a safe fix
        "B=postgresql://u@db.example.com/b?sslmode=require\n"  # a reader not known: unsafe
    )
    rows = json.loads(run_cli(["--statistics", "--format", "json", "."], tmp_path).stdout)
    assert rows == [{"code": "PGF401", "name": "client-keepalives", "count": 2, "fixable": False, "fixable_count": 1}]
    assert run_cli(["--statistics", "."], tmp_path).stdout == "2\tPGF401\t[-] client-keepalives\n"
    unsafe = json.loads(run_cli(["--statistics", "--format", "json", "--unsafe-fixes", "."], tmp_path).stdout)
    assert unsafe == [{"code": "PGF401", "name": "client-keepalives", "count": 2, "fixable": True, "fixable_count": 2}]
    assert run_cli(["--statistics", "--unsafe-fixes", "."], tmp_path).stdout == "2\tPGF401\t[*] client-keepalives\n"


@pytest.mark.parametrize("word", ["check", "format"])
def test_a_ruff_subcommand_is_a_usage_error_with_the_right_form(repo: Path, word: str) -> None:
    # "error: check: no such file or directory" beside a full check of the other paths, exit 2.
    outcome = run_cli([word, "db"], repo)
    assert outcome.code == 2 and outcome.stdout == ""
    assert f"pgconf-fix takes paths, not a '{word}' subcommand (ruff's form): run pgconf-fix db" in outcome.stderr
    (repo / word).mkdir()  # a directory of that name is a path like any other
    assert run_cli([word, "db"], repo).code == 1


@pytest.mark.parametrize(
    ("content", "located"),
    [
        # The same key in another tool's table above is not the one named.
        ('[tool.ruff]\nselect = ["E"]\n\n[tool.pgconf-fix]\nignore = ["PGF102"]\nselect = []\n', "pyproject.toml:6: 'select = []'"),
        ('[tool.pgconf-fix]\n\npg-version = 99\n', "pyproject.toml:3: 'pg-version' = 99"),
        ("[tool.pgconf-fix]\nidle-budget = -5\n", "pyproject.toml:2: 'idle-budget' must be a positive integer"),
        ('[tool.pgconf-fix]\nextend-select = ["NOPE"]\n', "pyproject.toml:2: 'extend-select': unknown rule selector 'NOPE'"),
        ('[tool.pgconf-fix]\n"rules-dir" = ["nowhere"]\n', "pyproject.toml:2: 'rules-dir': "),
        # tomllib names no line for an error at the end ("(at end of document)"): it is the text's end.
        ('[tool.pgconf-fix]\nselect = ["PGF1"', "pyproject.toml:2:17: invalid TOML: Unclosed array at the end of the file"),
        ('[tool.pgconf-fix]\nselect = ["PGF1"]\nignore =', "pyproject.toml:3:9: invalid TOML: Invalid value at the end of the file"),
        ('[tool.pgconf-fix]\nselect = "PGF1\n', "pyproject.toml:2:15: invalid TOML: Illegal character '\\n'\n"),
        # Values as TOML writes them (Python's True, 'abc', ['a', 1] and datetime.date(...) were
        # printed), and the line of a key in a sub-table ([rule.X], per-file-ignores) or unknown.
        ("[tool.pgconf-fix]\nidle-budget = true\n", "pyproject.toml:2: 'idle-budget' must be a positive integer, not true\n"),
        ('[tool.pgconf-fix]\nexclude = ["a", 1]\n', "pyproject.toml:2: 'exclude' must be an array of strings, not [\"a\", 1]\n"),
        ('[tool.pgconf-fix]\npg-version = "abc"\n', "pyproject.toml:2: 'pg-version' must look like 13 or 9.4, not \"abc\"\n"),
        ('[tool.pgconf-fix]\nforce-exclude = "yes"\n', "pyproject.toml:2: 'force-exclude' must be true or false, not \"yes\"\n"),
        ("[tool.pgconf-fix]\npg-version = 2024-01-01\n", "pyproject.toml:2: 'pg-version' must look like 13 or 9.4, not 2024-01-01\n"),
        ("[tool.pgconf-fix]\nidle-budget = { a = 1 }\n", "pyproject.toml:2: 'idle-budget' must be a positive integer, not { a = 1 }\n"),
        ('[tool]\npgconf-fix = ["x"]\n', 'pyproject.toml: [tool.pgconf-fix] must be a table, not ["x"]\n'),
        ('tool = "x"\n', "pyproject.toml: 'tool' must be a table, not a string\n"),
        ("[tool.pgconf-fix.rule.PGF101]\n\ntarget = true\n", "pyproject.toml:3: [rule.PGF101]: 'target' must be an integer, not true\n"),
        ('[tool.pgconf-fix.rule."PGF101"]\ntarget = "60"\n', "pyproject.toml:2: [rule.PGF101]: 'target' must be an integer, not \"60\"\n"),
        ("[tool.pgconf-fix]\n[tool.pgconf-fix.rule.PGF999]\na = 1\n", "pyproject.toml:2: [rule.PGF999]: no such rule\n"),
        ('[tool.pgconf-fix.per-file-ignores]\n"db/*" = [1]\n', "pyproject.toml:2: 'per-file-ignores.\"db/*\"' must be an array of strings, not [1]\n"),
        ('[tool.pgconf-fix]\nper-file-ignores = { "db/*" = ["NOPE"] }\n', "pyproject.toml:2: 'per-file-ignores': unknown rule selector 'NOPE'"),
        ("[tool.pgconf-fix]\nselect = [\"PGF1\"]\ncolour = 1\n", "pyproject.toml:3: unknown key(s) colour "),
    ],
)
def test_a_config_mistake_names_its_line(repo: Path, content: str, located: str) -> None:
    # The message named the file and the key, not the line (bad input: path and line).
    (repo / "pyproject.toml").write_text(content)
    outcome = run_cli(["."], repo)
    assert outcome.code == 2 and located in outcome.stderr, outcome.stderr

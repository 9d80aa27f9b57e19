"""The project's .env as compose reads it: pgconf_fix.documents.compose_dotenv.

The expected values in ``READ`` are what compose-go's own ``dotenv`` package returned for each
text (compose-spec/compose-go at e70e961, ``dotenv/parser.go``, ``godotenv.go`` and the
``template`` package they call, built with Go 1.19 as a small program outside the repository,
the template's logging call removed; the text handed to ``parseWithLookup`` with the lookup
``GetEnvFromFile`` uses: the shell's environment ``SHELL``, then the lines before). None: the
parser refused the text (its error is in the comment). The same program and ``read_dotenv``
agreed on 300,000 random texts (two runs of 150,000, seeds 7 and 10: statements built of
names, ``export``, separators, quotes, escapes, variables and comments, and strings of those
characters at random; refused or not, and every variable's value); that oracle is not in the
repository (it is compose-go's code), only its answers are.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pgconf_fix.documents.compose_dotenv import (
    DotenvError,
    project_environment,
    read_dotenv,
    resolve,
    statements,
)
from pgconf_fix.documents.compose_interpolation import (
    InvalidInterpolation,
    MissingRequired,
)
from tests.cli_runner import run_cli

SHELL = {"SHELL_SET": "fromshell", "SHELL_EMPTY": "", "IDLE": "shellidle"}

READ = [
    ('IDLE=7200\n', {'IDLE': '7200'}),
    ('export IDLE=7200\n', {'IDLE': '7200'}),
    ('export\tIDLE=7200\n', {'IDLE': '7200'}),
    ('exportIDLE=7200\n', {'exportIDLE': '7200'}),
    ('IDLE = 7200\n', {'IDLE': '7200'}),
    ('IDLE: 7200\n', {'IDLE': '7200'}),
    ('IDLE=7200 # from the VM\n', {'IDLE': '7200'}),
    ('IDLE=7200# not a comment\n', {'IDLE': '7200# not a comment'}),
    ('IDLE=7200\t# a tab is no comment start\n', {'IDLE': '7200\t# a tab is no comment start'}),
    ('IDLE= #7200\n', {'IDLE': '#7200'}),
    ('IDLE=7200   \r\n', {'IDLE': '7200'}),
    ('# comment\n\n  IDLE=7200\n', {'IDLE': '7200'}),
    ("IDLE='7200'\n", {'IDLE': '7200'}),
    ('IDLE="7200"\n', {'IDLE': '7200'}),
    ('IDLE="7200" # comment\n', {'IDLE': '7200'}),
    ("IDLE='72'00\n", {'IDLE': '72'}),
    ('A="x" B=2\n', {'A': 'x', 'B': '2'}),
    ("A='it\\'s'\n", {'A': "it's"}),
    ("A='a\\nb'\n", {'A': 'a\\nb'}),
    ('A="a\\nb\\tc"\n', {'A': 'a\nb\tc'}),
    ('A="a\\"b"\n', {'A': 'a"b'}),
    ('A="a\\\\b"\n', {'A': 'a\\b'}),
    ('A="\\$HOME $$HOME"\n', {'A': '$HOME $HOME'}),
    ('A="\\0101\\0377\\0400\\08\\0"\n', {'A': 'Aÿ\\400\\8\\'}),
    ('A="\\c\\x41"\n', {'A': '\\c\\x41'}),
    ('A="multi\nline"\n', {'A': 'multi\nline'}),
    ('A=1\nB=${A}0\n', {'A': '1', 'B': '10'}),
    ("A=1\nB='${A}0'\n", {'A': '1', 'B': '${A}0'}),
    ('A=1\nB="${A}0"\n', {'A': '1', 'B': '10'}),
    ('B=${A:-60}\nA=1\n', {'A': '1', 'B': '60'}),
    ('B=${SHELL_SET}\n', {'B': 'fromshell'}),
    ('IDLE=1\nB=${IDLE}\n', {'B': 'shellidle', 'IDLE': '1'}),
    ('SHELL_SET=mine\nB=${SHELL_SET}\n', {'B': 'fromshell', 'SHELL_SET': 'mine'}),
    ('SHELL_SET\n', {'SHELL_SET': 'fromshell'}),
    ('UNSET_NAME\nB=${UNSET_NAME-d}\n', {'B': 'd'}),
    ('A=1\nA\n', {'A': '1'}),
    ('A=${B:?need B}\n', None),  # required variable B is missing a value: need B
    ('A=${\n', None),  # Invalid template: "${"
    ('A B=1\n', None),  # line 1: key cannot contain a space
    ('A\tB=1\n', {'A\tB': '1'}),
    ('A$=1\n', None),  # line 1: unexpected character "$" in variable name "A$=1"
    ('X.Y-Z[0]=1\n', {'X.Y-Z[0]': '1'}),
    ('1A=1\n', {'1A': '1'}),
    ('Ü=1\n', {'Ü': '1'}),
    ('A="open\n', None),  # line 2: unterminated quoted value "open
    ('export \n', {}),
    ('\ufeffA=1\n', {'A': '1'}),
    ('=1\n', {'': '1'}),
    ('A=1\\\n', {'A': '1\\'}),
    ('A=\n', {'A': ''}),
    ('A=   \nB=2\n', {'A': '', 'B': '2'}),
    ('A=a b  c  \n', {'A': 'a b  c'}),
]


@pytest.mark.parametrize(("text", "expected"), READ)
def test_read_as_compose_go(text: str, expected: dict[str, str] | None) -> None:
    if expected is None:
        with pytest.raises((DotenvError, InvalidInterpolation, MissingRequired)):
            read_dotenv(text, SHELL)
    else:
        assert read_dotenv(text, SHELL) == expected


def test_statements_know_their_lines() -> None:
    text = "# tuning\n\nexport IDLE=\"7200\" # from the VM\nPASS='x'\nINHERITED\n"
    found = list(statements(text))
    assert [(s.name, s.line, s.template, s.literal, s.inherited) for s in found] == [
        ("IDLE", 3, "7200", None, False),
        ("PASS", 4, None, "x", False),
        ("INHERITED", 5, None, None, True),
    ]


def test_refusals_name_the_line_and_never_quote_the_file() -> None:
    with pytest.raises(DotenvError) as caught:
        project_environment("A=1\nDB_PASSWORD=\"hunter2\nB=2\n")
    assert caught.value.line == 2
    assert "hunter2" not in str(caught.value)
    with pytest.raises(DotenvError) as caught:
        project_environment("A=1\nhunter2$=x\n")
    assert caught.value.line == 2 and "hunter2" not in str(caught.value)


def test_the_static_reading_knows_only_what_the_file_says() -> None:
    text = (
        "IDLE=7200\n"
        "QUICK=${IDLE}0\n"  # built from a line before
        "FROM_SHELL=${HOME}\n"  # the shell's: not known here
        "DEFAULTED=${NOT_HERE:-60}\n"  # the default, while the shell does not set NOT_HERE
        "INHERITED\n"  # the shell's
        "DB_PASSWORD=hunter2\n"  # a secret's value is never read
        "LEAK=${DB_PASSWORD}\n"  # nor anything built from it
        "LEAK_DEFAULT=${API_TOKEN:-abc}\n"
        "SINGLE='${IDLE}'\n"
        "EMPTY=\n"
    )
    found = {name: entry.value for name, entry in project_environment(text).items()}
    assert found == {
        "IDLE": "7200", "QUICK": "72000", "FROM_SHELL": None, "DEFAULTED": "60", "INHERITED": None,
        "DB_PASSWORD": None, "LEAK": None, "LEAK_DEFAULT": None, "SINGLE": "${IDLE}", "EMPTY": "",
    }
    assert project_environment(text)["QUICK"].line == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("${IDLE}", "7200"), ("${IDLE:-60}", "7200"), ("${EMPTY:-60}", "60"), ("${EMPTY-60}", ""),
     ("${IDLE:+on}", "on"), ("${MISSING}", None), ("${MISSING-60}", "60"), ("${MISSING:?x}", None),
     ("${SECRET_KEY:-60}", None), ("${OPEN}", None)],
)
def test_resolve_a_compose_value_from_the_project_environment(raw: str, expected: str | None) -> None:
    environment = project_environment("IDLE=7200\nEMPTY=\nOPEN\n")
    assert resolve(raw, environment.get) == expected


@pytest.mark.parametrize("name", ["DB_CREDS", "CREDENTIALS", "AWS_CRED"])
def test_a_credentials_name_is_a_secret(name: str) -> None:
    """``DB_CREDS`` names credentials as surely as ``DB_CREDENTIAL`` does: its value was shown
    in messages (``CREDS = cr3dcr3d at .env:1``) when a flag took it."""
    found = project_environment(f"{name}=cr3dcr3d\nBUILT=${{{name}}}\n")
    assert found[name].value is None and found["BUILT"].value is None


def test_a_value_doubled_past_what_a_process_takes_is_not_known() -> None:
    lines = ["A0=" + "x" * 64] + [f"A{n}=${{A{n - 1}}}${{A{n - 1}}}" for n in range(1, 30)]
    found = project_environment("\n".join(lines) + "\n")
    assert found["A5"].value == "x" * 64 * 32
    assert found["A29"].value is None


def test_a_value_compose_cannot_interpolate_is_named_by_its_line_not_quoted() -> None:
    with pytest.raises(DotenvError) as caught:
        project_environment("OK=1\nDB_PASSWORD=${hunter2\n")
    assert caught.value.line == 2 and "hunter2" not in str(caught.value)


# -- the project's .env through the command line ----------------------------------------------

COMPOSE_FIXTURES = Path(__file__).parent / "fixtures" / "compose"
SECRETS = ("hunter2", "s3cr3t")


@pytest.mark.parametrize(
    "mode", [["--show-fixes"], ["--format", "json"], ["--format", "sarif"], ["--format", "github"], ["--diff"],
             ["--unsafe-fixes", "--diff"]], ids=" ".join
)
def test_values_from_dotenv_are_shown_and_its_secrets_never_are(mode: list[str], tmp_path: Path) -> None:
    work = shutil.copytree(COMPOSE_FIXTURES / "interpolation-dotenv" / "before", tmp_path / "work")
    outcome = run_cli([*mode, "."], work)
    printed = outcome.stdout + outcome.stderr
    assert not any(secret in printed for secret in SECRETS), printed
    if "--diff" not in mode:
        assert "IDLE = 7200 at .env:3" in printed
    else:
        assert "+++ b/docker-compose.yml" in printed
        assert "+++ b/.env" not in printed  # no fix edits .env


def test_a_dotenv_compose_refuses_is_pgf001_named_by_its_line_never_quoted(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  db:\n    image: postgres:16\n    command: postgres -c tcp_keepalives_idle=${IDLE}\n"
    )
    (tmp_path / ".env").write_text('IDLE=60\nDB_PASSWORD="hunter2\nOTHER=1\n')
    outcome = run_cli(["--format", "json", "."], tmp_path)
    assert outcome.code == 1, outcome.stderr
    found = json.loads(outcome.stdout)
    refused = [item for item in found if item["code"] == "PGF001"]
    assert len(refused) == 1
    assert refused[0]["message"].startswith("compose cannot read the project's .env (.env:2: a value opened with \" "
                                            "is never closed)")
    assert "hunter2" not in outcome.stdout + outcome.stderr


def test_env_file_is_the_containers_environment_not_composes(tmp_path: Path) -> None:
    # compose interpolates from the shell and the project's .env only; env_file: feeds the container.
    (tmp_path / "compose.yaml").write_text(
        "services:\n  db:\n    image: postgres:16\n    env_file: db.env\n"
        "    command: postgres -c tcp_keepalives_idle=${IDLE} -c tcp_keepalives_interval=10 -c tcp_keepalives_count=6\n"
    )
    (tmp_path / "db.env").write_text("IDLE=7200\n")
    assert run_cli(["."], tmp_path).code == 0
    (tmp_path / ".env").write_text("IDLE=7200\n")
    assert "IDLE = 7200 at .env:1" in run_cli(["."], tmp_path).stdout


def test_the_dotenv_read_is_the_compose_files_own_directorys(tmp_path: Path) -> None:
    project = tmp_path / "deploy"
    project.mkdir()
    (project / "docker-compose.yml").write_text(
        "services:\n  db:\n    image: postgres:16\n"
        "    command: postgres -c tcp_keepalives_idle=${IDLE:-60} -c tcp_keepalives_interval=10 -c tcp_keepalives_count=6\n"
    )
    (tmp_path / ".env").write_text("IDLE=7200\n")  # the directory pgconf-fix runs in: not the project's
    assert run_cli(["deploy/"], tmp_path).code == 0
    (project / ".env").write_text("# tuned\nIDLE=7200\n")
    assert "from IDLE = 7200 at deploy/.env:2, the place to change it" in run_cli(["deploy/"], tmp_path).stdout


def test_values_from_dotenv_and_defaults_together_say_where_each_comes_from(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  db:\n    image: postgres:16\n    command: postgres -c tcp_keepalives_idle=${TENS}${UNITS:-0}"
        " -c tcp_keepalives_interval=${FAST:+45} -c tcp_keepalives_count=6\n"
    )
    (tmp_path / ".env").write_text("TENS=72\nFAST=yes\n")
    out = run_cli(["."], tmp_path).stdout
    assert ("(720 s) is above the idle budget (300 s); set it to 60 (compose takes ${TENS} from TENS = 72 at .env:1 "
            "and ${UNITS:-0} as its default 0 (UNITS is not set in .env), the place to change it; where the shell's "
            "environment sets TENS and UNITS, those values apply instead, and they are not known here)") in out
    # ${FAST:+45}: FAST is set, so compose gives 45.
    assert "= ${FAST:+45} is above the maximum (30 s); set it to 10 (compose takes ${FAST:+45} as 45 from FAST = yes at .env:2" in out


@pytest.mark.parametrize(
    ("image", "dotenv", "major"),
    [
        ("postgres:${PG_MAJOR}", "PG_MAJOR=11\n", 11),  # from .env
        ("postgres:${PG_MAJOR:-11}-alpine", None, 11),  # its default
        ("postgres:${PG_MAJOR:-11}", "PG_MAJOR=16\n", None),  # .env wins over the default: 16 has it
        ("postgres:$PG_MAJOR", None, None),  # only the shell may set it: not known
    ],
)
def test_an_image_tag_from_a_variable_is_read_as_compose_reads_it(
    tmp_path: Path, image: str, dotenv: str | None, major: int | None
) -> None:
    """compose interpolates ``image:`` too: the major its tag names judges the command's flags
    (tcp_user_timeout came in PostgreSQL 12; the real server of that major refuses it), and the
    message says where the tag came from."""
    (tmp_path / "compose.yaml").write_text(
        f"services:\n  db:\n    image: {image}\n    command: postgres -c tcp_user_timeout=10000\n"
    )
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv)
    found = json.loads(run_cli(["--format", "json", "."], tmp_path).stdout)
    refused = [item["message"] for item in found if item["code"] == "PGF001"]
    if major is None:
        assert refused == []
        return
    (message,) = refused
    assert message.startswith(f'"tcp_user_timeout" is not a parameter of PostgreSQL {major} (the image postgres:{major}')
    assert f"compose's reading of {image}" in message
    from tests.pg_majors import require_major

    server = require_major(major)
    with server.staged() as root:
        (root / "postgresql.conf").write_text("")
        done = server.run("postgres", "-D", str(root), "-C", "tcp_user_timeout", "-c", "tcp_user_timeout=10000", cwd=root)
    assert done.returncode != 0 and "unrecognized configuration parameter" in done.stderr, done.stderr

"""Hostile input and hostile machines: a clear message, the right exit, the run going on,
and nothing lost on disk.

Each test keeps the minimal input of a family the fuzzing and the machine trials found.
Permission cases run as ``nobody`` (root reads everything); the full disk is a 64 KiB
tmpfs; an immutable file is ``chattr +i``. Where the machine cannot do one of these, the
test is skipped and says why.
"""

from __future__ import annotations

import os
import pickle  # noqa: F401 - imported here for the child that runs as nobody (root's stdlib is private)
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgconf_fix.patcher import WriteError, write_fixed
from pgconf_fix.source import read_source
from tests.cli_runner import Outcome, run_cli
from tests.test_bad_input import _run_as_nobody

ROOT = Path(__file__).resolve().parent.parent
GOOD = "good/postgresql.conf:1:1: PGF101"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "postgresql.conf").write_text("tcp_keepalives_idle = 0\n")
    return tmp_path


@pytest.fixture
def public_work() -> Iterator[Path]:
    """A tree under /tmp that ``nobody`` can walk (pytest's tmp_path is root's alone)."""
    root = Path(tempfile.mkdtemp(dir="/tmp", prefix="pgconf-fix-hostile-"))
    os.chmod(root, 0o755)
    (root / "good").mkdir()
    (root / "good" / "postgresql.conf").write_text("tcp_keepalives_idle = 0\n")
    try:
        yield root
    finally:
        subprocess.run(["chattr", "-R", "-i", str(root)], capture_output=True)
        for path in [root, *root.rglob("*")]:
            if not path.is_symlink():
                os.chmod(path, 0o777 if path.is_dir() else 0o666)
        shutil.rmtree(root)


def clean(outcome: Outcome | dict) -> None:
    streams = (outcome.stdout, outcome.stderr) if isinstance(outcome, Outcome) else (outcome["stdout"], outcome["stderr"])
    for stream in streams:
        assert "Traceback" not in stream, stream
        assert 'File "' not in stream, stream


def as_nobody(args: list[str], cwd: Path) -> dict:
    if os.geteuid() != 0:
        outcome = run_cli(args, cwd)
        return {"code": outcome.code, "stdout": outcome.stdout, "stderr": outcome.stderr}
    return _run_as_nobody(args, cwd)


# -- one Python file must not take the run down -------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["x = " + "[" * 100_000 + "]" * 100_000, "x = " + "-" * 100_000 + "1", "x = " + "not " * 100_000 + "1"],
    ids=["brackets", "unary-minus", "not"],
)
def test_deeply_nested_python_is_pgf001_and_the_run_goes_on(work: Path, body: str) -> None:
    (work / "app.py").write_text(f'import sqlalchemy\ne = sqlalchemy.create_engine("postgresql://h/db")\n{body}\n')
    # A separate process: before the fix this crashed the interpreter with SIGSEGV.
    done = subprocess.run(
        [sys.executable, "-m", "pgconf_fix", "app.py", "good"],
        cwd=work, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "app.py:" in done.stdout and "PGF001 not valid Python" in done.stdout
    assert GOOD in done.stdout
    assert "Traceback" not in done.stderr


# Nesting Python's compiler accepts (up to ~3,000 levels; chains it keeps flat at any
# length) but libcst cannot read: its position pass raised RecursionError past ~490 levels,
# and its native parser crashed (SIGSEGV) on `and`/`or` chains and dotted imports of some
# thousands of terms. Each is PGF001 at the line where it happens, and the run goes on.
ACCEPTED_DEEP = {
    "not.py": "x = " + "not " * 1500 + "y",
    "plus.py": "x = " + "+".join(["x"] * 1000),
    "attributes.py": "x = y" + ".a" * 2500,
    "subscripts.py": "x = y" + "[0]" * 500,  # libcst parses trailer chains in quadratic time or worse
    "methods.py": "x = y" + ".a()" * 500,
    "lambdas.py": "x = " + "lambda: " * 1000 + "y",
    "ternary.py": "x = " + "a if b else " * 1000 + "c",
    "fstring.py": 'x = f"{' + "not " * 1500 + 'y}"',
    "and.py": "x = " + " and ".join(["x"] * 10_000),
    "or.py": "x = " + " or ".join(["x"] * 10_000),
    "import.py": "import a" + ".a" * 10_000,
    "strings.py": "x = " + " ".join(['"a"'] * 1000),
    "many_strings.py": "x = (" + "\n".join(['"a"'] * 10_000) + ")",
    "elif.py": "if a:\n    pass\n" + "".join(f"elif a{i}:\n    pass\n" for i in range(1000)),
}


def test_nesting_python_accepts_is_read(work: Path) -> None:
    """Chains and nesting Python compiles are read like any module (libcst, which this layer
    was written on, crashed or gave up on each of them): the connection after them is judged."""
    for name, body in ACCEPTED_DEEP.items():
        text = f'import sqlalchemy\n{body}\nengine = sqlalchemy.create_engine("postgresql://db.example.com/app")\n'
        compile(text, name, "exec", dont_inherit=True)  # Python itself accepts every one
        (work / name).write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "pgconf_fix", "--select", "PGF001,PGF501", *ACCEPTED_DEEP, "good"],
        cwd=work, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr + done.stdout
    assert "PGF001" not in done.stdout, done.stdout[-3000:]
    for name, body in ACCEPTED_DEEP.items():
        line = body.count("\n") + 3
        found = [row for row in done.stdout.splitlines() if row.startswith(f"{name}:")]
        assert found and all(row.startswith(f"{name}:{line}:") and "PGF501" in row for row in found), (name, found)


def test_nesting_python_refuses_is_reported_at_its_line(work: Path) -> None:
    """10,000 terms of ``x+x+...`` or ``if/elif``: Python's compiler gives up (RecursionError,
    no line of its own); the statement is found by its tokens."""
    bodies = {
        "plus.py": "x = " + "+".join(["x"] * 10_000),
        "elif.py": "if a:\n    pass\n" + "".join(f"elif a{i}:\n    pass\n" for i in range(10_000)),
    }
    for name, body in bodies.items():
        (work / name).write_text(f'import psycopg\nimport os\n\n{body}\npsycopg.connect("host=db.example.com")\n')
    outcome = run_cli([*bodies, "good"], work)
    clean(outcome)
    assert outcome.code == 1
    for name in bodies:
        assert f"{name}:4:1: PGF001 not valid Python: nested too deeply" in outcome.stdout, outcome.stdout
    assert GOOD in outcome.stdout


def test_python_with_cr_only_line_endings_is_fixed_with_cr(work: Path) -> None:
    text = (
        'import sqlalchemy\rengine = sqlalchemy.create_engine("postgresql+psycopg2://u@db.example.com/app", '
        "pool_size=5, max_overflow=10, echo=True)\r"
    )
    (work / "app.py").write_bytes(text.encode())
    diff = run_cli(["--diff", "app.py"], work)
    clean(diff)
    assert diff.code == 1, diff.stderr
    first = run_cli(["--write", "app.py"], work)
    clean(first)
    fixed = (work / "app.py").read_bytes()
    assert b"\n" not in fixed and b"pool_pre_ping=True,\r" in fixed
    compile(fixed, "app.py", "exec")
    second = run_cli(["--write", "app.py"], work)
    assert (work / "app.py").read_bytes() == fixed, second.stderr


def _lines(outcome: Outcome, name: str, code: str) -> list[int]:
    prefix = f"{name}:"
    return [int(row.split(":")[1]) for row in outcome.stdout.splitlines() if row.startswith(prefix) and f" {code} " in row]


def test_lone_cr_lines_are_counted_as_python_yaml_and_java_count_them(work: Path) -> None:
    """Python's tokenizer, YAML and java.util.Properties.load end a line at a lone CR: a
    finding's line is the line they name (it was line 1 for every finding of a CR-only file)."""
    import ast

    import yaml

    python = 'import sqlalchemy\r\r# a note\re = sqlalchemy.create_engine("postgresql+psycopg2://u@db.example.com/app")\r'
    (work / "app.py").write_bytes(python.encode())
    call = next(node for node in ast.walk(ast.parse(python)) if isinstance(node, ast.Call))
    compose = 'services:\r  app:\r    environment:\r      DATABASE_URL: "postgresql://u@db.example.com/app"\r'
    (work / "docker-compose.yml").write_bytes(compose.encode())
    url = yaml.compose(compose).value[0][1].value[0][1].value[0][1].value[0][1]
    properties = "# the app\ra=1\rdb.url=jdbc:postgresql://db.example.com:5432/app\r"
    (work / "application.properties").write_bytes(properties.encode())
    outcome = run_cli(["app.py", "docker-compose.yml", "application.properties"], work)
    clean(outcome)
    assert _lines(outcome, "app.py", "PGF501") == [call.lineno] == [4], outcome.stdout
    assert _lines(outcome, "docker-compose.yml", "PGF401") == [url.start_mark.line + 1] == [4], outcome.stdout
    assert _lines(outcome, "application.properties", "PGF403") == [3], outcome.stdout
    if shutil.which("java") is not None:  # Java reads the URL alone on its line, as our decoder does
        from tests.test_carrier_properties import _java_properties

        assert _java_properties([properties]) == ["jdbc:postgresql://db.example.com:5432/app"]
    # A suppression on the line before, as Python counts lines, applies.
    (work / "app.py").write_bytes(python.replace("# a note", "# pgconf-fix: ignore[PGF501] checked elsewhere").encode())
    suppressed = run_cli(["app.py"], work)
    assert not _lines(suppressed, "app.py", "PGF501") and not _lines(suppressed, "app.py", "PGF002"), suppressed.stdout


def test_lone_cr_in_postgresql_conf_is_a_blank_as_postgres_reads_it(work: Path) -> None:
    """postgres's guc-file.l takes a lone CR for a blank: a CR-only postgresql.conf is one
    line, and its errors name the line counted by LF. Checked on the real ``postgres -C``."""
    import re

    from tests.pg_server import require_server

    server = require_server()
    (work / "bad").mkdir()
    text = "max_connections = 50\ntcp_keepalives_idle = 60\rtcp_keepalives_interval = 10\r\n"
    (work / "bad" / "postgresql.conf").write_bytes(text.encode())
    code, errors = server.config_value(work / "bad", "tcp_keepalives_idle")
    assert code != 0
    theirs = int(re.search(r'line (\d+), near token "tcp_keepalives_interval"', errors).group(1))
    outcome = run_cli(["bad"], work)
    clean(outcome)
    assert f'bad/postgresql.conf:{theirs}:1: PGF001 syntax error near token "tcp_keepalives_interval"' in outcome.stdout
    assert theirs == 2


# -- includes the OS refuses -----------------------------------------------------------------


def test_include_name_too_long(work: Path) -> None:
    (work / "bad").mkdir()
    (work / "bad" / "postgresql.conf").write_text(f"include '{'a' * 300}.conf'\ninclude_dir '{'b' * 300}'\n")
    outcome = run_cli(["bad", "good"], work)
    clean(outcome)
    assert outcome.stdout.count("File name too long") == 2, outcome.stdout
    assert GOOD in outcome.stdout


def test_include_symlink_loops(work: Path) -> None:
    bad = work / "bad"
    bad.mkdir()
    (bad / "postgresql.conf").write_text("include 'loop.conf'\ninclude_dir 'loopdir'\n")
    (bad / "loop.conf").symlink_to("loop.conf")
    (bad / "loopdir").symlink_to("loopdir")
    outcome = run_cli(["bad", "good"], work)
    clean(outcome)
    assert 'bad/postgresql.conf:1:1: PGF001 could not open configuration file "loop.conf": Too many levels' in outcome.stdout
    assert 'bad/postgresql.conf:2:1: PGF001 could not open configuration directory "loopdir": Too many levels' in outcome.stdout
    assert GOOD in outcome.stdout


def test_include_dir_that_cannot_be_listed(public_work: Path) -> None:
    bad = public_work / "bad"
    (bad / "conf.d").mkdir(parents=True)
    (bad / "postgresql.conf").write_text("include_dir 'conf.d'\n")
    (bad / "conf.d" / "a.conf").write_text("tcp_keepalives_idle = 5\n")
    os.chmod(bad, 0o755)
    os.chmod(bad / "postgresql.conf", 0o644)
    os.chmod(bad / "conf.d", 0o300)  # enter, not list
    result = as_nobody(["bad", "good"], public_work)
    clean(result)
    assert 'could not open configuration directory "conf.d": Permission denied' in result["stdout"], result
    assert GOOD in result["stdout"]


# -- configuration, rules and flags -----------------------------------------------------------


def test_pyproject_tool_entry_that_is_not_a_table(work: Path) -> None:
    (work / "pyproject.toml").write_text("[tool]\npgconf-fix = 5\n")
    outcome = run_cli(["good"], work)
    clean(outcome)
    assert outcome.code == 2
    assert "pyproject.toml: [tool.pgconf-fix] must be a table, not 5" in outcome.stderr


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('maximum = "maximum"', 'maximum = "lots"', "[check] maximum = \"lots\" names no parameter"),
        ("maximum = 30", 'maximum = "lots"', "[parameters] maximum, used as [check] maximum, must be an integer"),
    ],
)
def test_user_rule_with_a_bound_that_is_not_a_number(work: Path, old: str, new: str, words: str) -> None:
    (work / "rules").mkdir()
    text = next((ROOT / "rules").glob("PGF102*.toml")).read_text()
    assert old in text
    text = text.replace("PGF102", "PGF902").replace("server-keepalives-interval", "my-interval").replace(old, new)
    (work / "rules" / "PGF902.toml").write_text(text)
    outcome = run_cli(["--rules-dir", "rules", "good"], work)
    clean(outcome)
    assert outcome.code == 2
    assert words in outcome.stderr


def test_pg_version_with_thousands_of_digits(work: Path) -> None:
    outcome = run_cli(["--pg-version", "1" * 5000, "good"], work)
    clean(outcome)
    assert outcome.code == 2
    assert "is not a PostgreSQL version" in outcome.stderr


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("postgresql.conf", "tcp_keepalives_idle = {n}\n", 'invalid value for parameter "tcp_keepalives_idle"'),
        ("a.sql", "ALTER SYSTEM SET tcp_keepalives_idle = {n};\n", 'invalid value for parameter "tcp_keepalives_idle"'),
        ("sysctl.conf", "net.ipv4.tcp_keepalive_time = {n}\n", "out of range"),
        ("main.tf", 'resource "aws_lb" "x" {{\n  load_balancer_type = "application"\n  idle_timeout = {n}\n}}\n', None),
    ],
)
def test_values_past_pythons_int_conversion_limit(work: Path, name: str, text: str, words: str | None) -> None:
    (work / "bad").mkdir()
    (work / "bad" / name).write_text(text.format(n="9" * 5000))
    outcome = run_cli(["bad", "good"], work)
    clean(outcome)
    assert outcome.code == 1, outcome.stderr
    assert GOOD in outcome.stdout
    if words:
        assert "PGF001" in outcome.stdout and words in outcome.stdout
    assert "set_int_max_str_digits" not in outcome.stdout


@pytest.mark.parametrize(
    "case",
    [
        "server/version-from-compose-image", "server/version-from-dockerfile-postgis", "terraform/rds-modules-parameters",
        "terraform/string-number", "terraform/terraform-0-11-interpolation", "terraform/tf-json",
        "compose/swarm-stack-behind-nat",
    ],
)  # fmt: skip
def test_fixture_numbers_past_pythons_int_conversion_limit(tmp_path: Path, case: str) -> None:
    """Found by writing 5,000 digits for every number of every fixture: image tags, Terraform
    numbers (HCL, JSON, strings of digits, module parameters) and PgBouncer integers reached
    int() unguarded (a traceback, or Python's own message as PGF001)."""
    import re

    shutil.copytree(ROOT / "tests" / "fixtures" / case / "before", tmp_path / "t", symlinks=True)
    for path in (tmp_path / "t").rglob("*"):
        if path.is_file() and not path.is_symlink():
            text = path.read_text()
            path.write_text(re.sub(r"(?<![\w.])\d{2,}(?![\w.])", "9" * 5000, text))
    for args in (["."], ["--write", "--unsafe-fixes", "."]):
        outcome = run_cli(args, tmp_path / "t")
        clean(outcome)
        assert outcome.code in (0, 1), outcome.stderr
        assert "set_int_max_str_digits" not in outcome.stdout + outcome.stderr


def test_an_image_tag_with_thousands_of_digits_is_no_version(work: Path) -> None:
    (work / "docker-compose.yml").write_text(
        f"services:\n  db:\n    image: postgis/postgis:9.{'9' * 5000}\n"
        '    command: ["postgres", "-c", "tcp_keepalives_idle=7200"]\n'
    )
    outcome = run_cli(["docker-compose.yml"], work)
    clean(outcome)
    assert outcome.code == 1 and "PGF101" in outcome.stdout


def test_terraform_digits_that_are_not_ascii_are_no_number(work: Path) -> None:
    """``"²".isdigit()`` is true and ``int("²")`` raises; ``"６０"`` read as 60."""
    (work / "main.tf").write_text(
        'resource "aws_lb" "nlb" {\n  load_balancer_type = "network"\n}\n'
        'resource "aws_lb" "alb" {\n  load_balancer_type = "application"\n  idle_timeout = "²"\n}\n'
        'resource "aws_lb" "alb2" {\n  load_balancer_type = "application"\n  idle_timeout = "６０"\n}\n'
    )
    outcome = run_cli(["main.tf"], work)
    clean(outcome)
    assert outcome.code in (0, 1)


# -- silent skips and wrong exits ----------------------------------------------------------------


def test_unreadable_files_of_every_reader(public_work: Path) -> None:
    bad = public_work / "bad"
    (bad / "conf.d").mkdir(parents=True)
    files = {
        ".env": "DATABASE_URL=postgresql://u@db.example.com/x\n",
        "app.py": 'import sqlalchemy\ne = sqlalchemy.create_engine("postgresql://db.example.com/x")\n',
        "a.sql": "ALTER SYSTEM SET tcp_keepalives_idle = 0;\n",
        "conf.d/x.conf": "tcp_keepalives_idle = 0\n",
    }
    for name, text in files.items():
        (bad / name).write_text(text)
        os.chmod(bad / name, 0)
    os.chmod(bad, 0o755)
    os.chmod(bad / "conf.d", 0o755)
    run_cli(["bad", "good"], public_work)  # as root: every module the child will need is imported
    for args in (["bad", "good"], [*(f"bad/{name}" for name in files), "good"]):
        result = as_nobody(args, public_work)
        clean(result)
        assert result["code"] == 2, result
        for name in files:
            assert f"error: bad/{name}: cannot read: Permission denied" in result["stderr"], (name, result)
        assert GOOD in result["stdout"]


@pytest.mark.parametrize("encoding", ["binary", "utf-16"])
def test_binary_and_utf16_files_of_every_reader(work: Path, encoding: str) -> None:
    bad = work / "bad"
    bad.mkdir()
    texts = {
        ".env": "DATABASE_URL=postgresql://u@db.example.com/x\n",
        "app.py": 'import sqlalchemy\ne = sqlalchemy.create_engine("postgresql://db.example.com/x")\n',
        "a.sql": "ALTER SYSTEM SET tcp_keepalives_idle = 0;\n",
    }
    for name, text in texts.items():
        data = text.encode("utf-16") if encoding == "utf-16" else text.encode() + b"\x00\x01"
        (bad / name).write_bytes(data)
    outcome = run_cli(["bad", "good"], work)
    clean(outcome)
    assert outcome.code == 2
    word = "UTF-16" if encoding == "utf-16" else "binary file"
    for name in texts:
        assert f"error: bad/{name}: {word}" in outcome.stderr, (name, outcome.stderr)
    assert GOOD in outcome.stdout


def test_self_looping_symlink_is_reported_the_same_walked_or_named(work: Path) -> None:
    (work / "bad").mkdir()
    (work / "bad" / "self.py").symlink_to("self.py")
    for args in (["bad", "good"], ["bad/self.py", "good"]):
        outcome = run_cli(args, work)
        clean(outcome)
        assert outcome.code == 2
        assert "error: bad/self.py: symlink loop" in outcome.stderr, outcome.stderr
        assert GOOD in outcome.stdout


def test_empty_select_is_a_usage_error(work: Path) -> None:
    outcome = run_cli(["--select", "", "good"], work)
    assert outcome.code == 2
    assert "--select" in outcome.stderr and "selects no rule" in outcome.stderr


def test_stdin_gets_the_binary_check_and_the_size_limit(work: Path) -> None:
    binary = run_cli(["--stdin-filename", "postgresql.conf", "-"], work, stdin=b"tcp_keepalives_idle = 0\n\x00")
    assert binary.code == 2 and "binary file" in binary.stderr
    (work / ".pgconf-fix.toml").write_text("max-file-size = 1000\n")
    big = run_cli(["--stdin-filename", "postgresql.conf", "-"], work, stdin=b"# padding\n" * 200)
    assert big.code == 2 and "error: -: standard input is above the 1000 bytes limit; not checked" in big.stderr


def test_a_file_above_the_size_limit_is_named_with_both_sizes(work: Path) -> None:
    """Sizes in the message read as written: bytes below 0.1 MB (a limit of 1,000 bytes once
    read "0.0 MB, above the 0 MB limit"), whole MB for a whole-MB limit such as the default."""
    (work / "small" / "postgresql.conf").parent.mkdir()
    (work / "small" / "postgresql.conf").write_text("# padding\n" * 200)
    (work / ".pgconf-fix.toml").write_text("max-file-size = 1000\n")
    small = run_cli(["small/postgresql.conf"], work)
    assert small.code == 2
    assert "error: small/postgresql.conf: file is 2000 bytes, above the 1000 bytes limit; not checked" in small.stderr
    (work / ".pgconf-fix.toml").unlink()
    (work / "small" / "postgresql.conf").write_bytes(b"# padding\n" * 1_100_000)  # 11,000,000 bytes
    large = run_cli(["small/postgresql.conf"], work)
    assert large.code == 2
    assert "error: small/postgresql.conf: file is 10.5 MB, above the 10 MB limit; not checked" in large.stderr


# -- --write on a hostile machine ----------------------------------------------------------------


def _three_fixable(root: Path) -> list[Path]:
    paths = []
    for name in ("a", "b", "c"):
        (root / name).mkdir()
        path = root / name / "postgresql.conf"
        path.write_text("tcp_keepalives_idle = 0\n")
        paths.append(path)
    return paths


def test_write_into_a_read_only_directory_tries_every_file(public_work: Path) -> None:
    paths = _three_fixable(public_work)
    for path in paths:
        os.chown(path, 65534, 65534)
        os.chmod(path.parent, 0o777)
        os.chmod(path, 0o666)
    os.chmod(paths[1].parent, 0o555)  # nobody may not create the temporary file beside b's
    result = as_nobody(["--write", "a", "b", "c"], public_work)
    clean(result)
    assert result["code"] == 2, result
    assert "error: b/postgresql.conf: cannot create a file beside it: Permission denied" in result["stderr"]
    assert "Wrote 2 of 3 fixed files; 1 not written (b/postgresql.conf)" in result["stderr"] + result["stdout"]
    assert "tcp_keepalives_idle = 60" in paths[0].read_text() and "tcp_keepalives_idle = 60" in paths[2].read_text()
    assert paths[1].read_text() == "tcp_keepalives_idle = 0\n"


def test_write_on_a_full_disk(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a 64 KiB tmpfs here: {done.stderr.strip()}")
    try:
        paths = _three_fixable(mount)
        try:
            with open(mount / "filler", "wb") as filler:
                while True:
                    filler.write(b"\0" * 4096)
                    filler.flush()
        except OSError:
            pass  # full
        outcome = run_cli(["--write", "a", "b", "c"], mount)
        clean(outcome)
        assert outcome.code == 2
        for name in ("a", "b", "c"):
            assert f"error: {name}/postgresql.conf: not written: No space left on device" in outcome.stderr, outcome.stderr
        assert "Wrote 0 of 3 fixed files" in outcome.stderr + outcome.stdout
        for path in paths:
            assert path.read_text() == "tcp_keepalives_idle = 0\n"
        assert sorted(p.name for p in mount.rglob(".*pgconf-fix")) == []  # no temporary file left
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_write_on_an_immutable_file(work: Path) -> None:
    paths = _three_fixable(work)
    done = subprocess.run(["chattr", "+i", str(paths[0])], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not possible here: {done.stderr.strip()}")
    try:
        outcome = run_cli(["--write", "a", "b", "c"], work)
        clean(outcome)
        assert outcome.code == 2
        assert "error: a/postgresql.conf: not written: Operation not permitted" in outcome.stderr
        assert "Wrote 2 of 3 fixed files" in outcome.stderr + outcome.stdout
        assert paths[0].read_text() == "tcp_keepalives_idle = 0\n"
        assert "tcp_keepalives_idle = 60" in paths[2].read_text()
    finally:
        subprocess.run(["chattr", "-i", str(paths[0])], capture_output=True)


# -- data and metadata --------------------------------------------------------------------------


def test_a_file_changed_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "postgresql.conf"
    path.write_text("tcp_keepalives_idle = 0\n")
    source = read_source(path, "postgresql.conf")
    path.write_text("tcp_keepalives_idle = 0\n# the editor's save\n")
    with pytest.raises(WriteError, match="changed since it was read"):
        write_fixed(source, "tcp_keepalives_idle = 60\n")
    assert "the editor's save" in path.read_text()
    # Same size and content, another mtime: still a change someone made.
    path.write_text("tcp_keepalives_idle = 0\n")
    source = read_source(path, "postgresql.conf")
    os.utime(path, ns=(source.read_stat[1] + 10**9, source.read_stat[1] + 10**9))
    with pytest.raises(WriteError):
        write_fixed(source, "tcp_keepalives_idle = 60\n")


def test_write_keeps_hard_links_setuid_and_owner(work: Path) -> None:
    paths = _three_fixable(work)
    other = work / "other-name.conf"
    os.link(paths[0], other)
    os.chmod(paths[1], 0o4755)
    os.chown(paths[2], 65534, 65534)
    outcome = run_cli(["--write", "a", "b", "c"], work)
    clean(outcome)
    assert outcome.code == 0, outcome.stderr
    assert other.read_text() == paths[0].read_text() and "tcp_keepalives_idle = 60" in other.read_text()
    assert os.stat(other).st_ino == os.stat(paths[0]).st_ino
    assert os.stat(paths[1]).st_mode & 0o7777 == 0o4755
    assert (os.stat(paths[2]).st_uid, os.stat(paths[2]).st_gid) == (65534, 65534)


def test_write_keeps_xattrs_and_acls(work: Path) -> None:
    path = _three_fixable(work)[0]
    try:
        os.setxattr(path, "user.pgconf-fix-test", b"kept")
    except OSError as exc:
        pytest.skip(f"the filesystem under {work} has no user extended attributes: {exc.strerror}")
    if shutil.which("setfacl") is None or shutil.which("getfacl") is None:
        pytest.skip("setfacl/getfacl are not installed (apt-get install acl)")
    subprocess.run(["setfacl", "-m", "u:nobody:rw", str(path)], check=True)
    before = subprocess.run(["getfacl", "-cp", str(path)], capture_output=True, text=True, check=True).stdout
    outcome = run_cli(["--write", "a"], work)
    assert outcome.code == 0, outcome.stderr
    assert "tcp_keepalives_idle = 60" in path.read_text()
    assert os.getxattr(path, "user.pgconf-fix-test") == b"kept"
    after = subprocess.run(["getfacl", "-cp", str(path)], capture_output=True, text=True, check=True).stdout
    assert "user:nobody:rw-" in after and after == before


def test_read_only_file_is_not_rewritten(work: Path) -> None:
    paths = _three_fixable(work)
    os.chmod(paths[0], 0o444)
    outcome = run_cli(["--write", "a", "b"], work)
    clean(outcome)
    assert outcome.code == 2
    assert "error: a/postgresql.conf: is read-only (no write permission bit); not written" in outcome.stderr
    assert paths[0].read_text() == "tcp_keepalives_idle = 0\n"
    assert "tcp_keepalives_idle = 60" in paths[1].read_text()


def test_root_owned_file_in_a_users_directory_keeps_its_owner(public_work: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to make a root-owned file in another user's directory")
    home = public_work / "home"
    home.mkdir()
    os.chown(home, 65534, 65534)
    path = home / "postgresql.conf"
    path.write_text("tcp_keepalives_idle = 0\n")
    os.chmod(path, 0o666)
    result = as_nobody(["--write", "home"], public_work)
    clean(result)
    assert result["code"] == 2, result
    assert "cannot keep its owner and group (0:0)" in result["stderr"], result
    assert os.stat(path).st_uid == 0 and path.read_text() == "tcp_keepalives_idle = 0\n"


def test_two_fixes_creating_connect_args_do_not_repeat_the_keyword(work: Path) -> None:
    """Found by the fuzz: PGF401 and PGF404 each added connect_args= to a call laid out one
    argument a line, and Python refused the result ("keyword argument repeated")."""
    (work / "app.py").write_text(
        'import sqlalchemy as sa\nexploded = sa.create_engine(\n    "postgresql://db.example.com/app",\n    pool_size=5,\n)\n'
    )
    outcome = run_cli(["--write", "--unsafe-fixes", "app.py"], work)
    clean(outcome)
    text = (work / "app.py").read_text()
    compile(text, "app.py", "exec")
    assert text.count("connect_args=") == 1 and '"sslmode": "require"' in text and '"keepalives": 1' in text
    again = run_cli(["--write", "--unsafe-fixes", "app.py"], work)
    assert (work / "app.py").read_text() == text, again.stderr


def test_a_fix_creating_connect_args_is_an_insertion(work: Path) -> None:
    """The fixes above meet because each holds the character after its insertion point, not
    because they rewrite it: every edit JSON shows is a pure insertion (the line break after
    ``pool_size=5,`` used to be replaced by itself)."""
    import json

    text = 'import sqlalchemy as sa\nexploded = sa.create_engine(\n    "postgresql://db.example.com/app",\n    pool_size=5,\n)\n'
    (work / "app.py").write_text(text)
    findings = json.loads(run_cli(["--format", "json", "--unsafe-fixes", "app.py"], work).stdout)
    edits = [edit for finding in findings if finding["fix"] for edit in finding["fix"]["edits"]]
    assert any("connect_args=" in edit["content"] for edit in edits)
    for edit in edits:
        assert (edit["line"], edit["column"]) == (edit["end_line"], edit["end_column"]), edit
        assert edit["content"].startswith("\n") and not edit["content"].endswith("\n"), edit


def test_a_repeated_keyword_is_pgf001(work: Path) -> None:
    (work / "app.py").write_text('import sqlalchemy\ne = sqlalchemy.create_engine("postgresql://h/db", echo=1, echo=2)\n')
    outcome = run_cli(["app.py"], work)
    assert "PGF001 not valid Python: keyword argument repeated: echo" in outcome.stdout


# -- found by the long fuzz (python -m tests.fuzz) ---------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "jdbc:postgresql://db.example.com:5432/app?us[er=u&password=x",  # an unclosed [ is content
        "jdbc:postgresql://db.example.com:5432/app?user=u&password}=x",  # a } no template opened
        "jdbc:postgresql://db.example.com:5432/app?user=u&painclude 'x.conf'ssword=x",  # a blank
    ],
    ids=["bracket", "brace", "blank"],
)
def test_a_url_that_is_a_whole_value_gets_its_parameters_at_its_end(work: Path, value: str) -> None:
    """A .properties value is the URL to its end of line (java.util.Properties.load): a fix
    appended where a bracket, brace or blank seemed to end it glued the rest of the value onto
    its own last parameter (``sslmode=require[er=u``, which pgjdbc refuses)."""
    (work / "application.properties").write_text(f"db.url={value}\n")
    outcome = run_cli(["--write", "--unsafe-fixes", "application.properties"], work)
    clean(outcome)
    written = (work / "application.properties").read_text()
    assert written == f"db.url={value}&tcpKeepAlive=true&sslmode=require\n", written
    if shutil.which("java") is not None:
        from tests.test_carrier_properties import _java_properties

        assert _java_properties([written]) == [f"{value}&tcpKeepAlive=true&sslmode=require"]


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("application.properties", "db.url=jdbc:postgresql://db.example.com:5432/app?user=u&passwo\\rd=x\n"),
        ("application.properties", "db.url=jdbc:postgresql://db.example.com:5432/app?user=u&pass\\nword=x\n"),
        ("docker-compose.yml", 'x-url: "postgresql://db.example.com/app?user=u&passwo\\rd=x"\n'),
    ],
    ids=["properties-cr", "properties-lf", "yaml-cr"],
)
def test_a_url_value_that_goes_on_after_a_line_break_gets_no_parameters(work: Path, name: str, line: str) -> None:
    """Found by the fuzz: an escaped CR inside a .properties URL value ended the URL for us but
    not for its reader, and the fix appended there made the rest (``\\rd=...``) the value of
    the appended sslmode, which pgjdbc refuses. Such a value is reported without a fix."""
    (work / name).write_text(line)
    outcome = run_cli(["--write", "--unsafe-fixes", name], work)
    clean(outcome)
    assert (work / name).read_text() == line
    assert "no fix: the value goes on after a line break inside it" in outcome.stdout, outcome.stdout


def test_a_template_default_still_ends_at_its_brace(work: Path) -> None:
    (work / "application.properties").write_text("db.url=${DB_URL:jdbc:postgresql://db.example.com:5432/app}\n")
    outcome = run_cli(["--write", "--unsafe-fixes", "application.properties"], work)
    clean(outcome)
    assert (work / "application.properties").read_text() == (
        "db.url=${DB_URL:jdbc:postgresql://db.example.com:5432/app?tcpKeepAlive=true&sslmode=require}\n"
    )


def test_parsers_nested_too_deeply_are_refusals_not_tracebacks(work: Path) -> None:
    """PyYAML (pure Python), json and tomllib recurse a level a nested collection: deep in the
    run's stack, some hundreds of ``[`` raised RecursionError out of the fix re-check."""
    from pgconf_fix.verify.formats import json_error, toml_error, yaml_error

    def deep() -> object:
        return (yaml_error("x: " + "[" * 3000), json_error("[" * 100_000), toml_error("x = " + "[" * 3000))

    assert all(deep())
    # A config file Python's TOML parser cannot read is a configuration error (exit 2).
    (work / "pyproject.toml").write_text("[tool.other]\nx = " + "[" * 3000 + "]" * 3000 + "\n")
    outcome = run_cli(["good"], work)
    clean(outcome)
    assert outcome.code == 2
    assert "pyproject.toml: invalid TOML: nested too deeply for Python's TOML parser" in outcome.stderr


def test_yaml_nested_past_the_recursion_limit_is_pgf001(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML's pure-Python composer (used where libyaml is not installed) recurses a level a
    collection: its RecursionError is a YamlError (PGF001) at the deepest line."""
    import yaml

    from pgconf_fix.documents import yaml_nodes

    monkeypatch.setattr(yaml_nodes, "Loader", yaml.SafeLoader)
    text = "services:\n  db:\n    image: postgres:16\nx: " + "[" * 2000 + "]" * 2000 + "\n"
    with pytest.raises(yaml_nodes.YamlError) as raised:
        yaml_nodes.compose_documents(text)
    assert raised.value.line == 4 and "nesting too deep" in raised.value.message


def test_pgbouncer_numbers_past_every_range_are_pgf001(work: Path) -> None:
    """Found by the fuzz: 400 digits in tcp_keepidle overflowed float() (OverflowError out of
    PGF602), and in server_idle_timeout int() of infinity; both are values PgBouncer cannot use."""
    (work / "bad").mkdir()
    (work / "bad" / "pgbouncer.ini").write_text(
        f"[databases]\napp = host=db.example.com dbname=app\n[pgbouncer]\ntcp_keepidle = {'9' * 400}\n"
        f"server_idle_timeout = {'9' * 400}\n"
    )
    outcome = run_cli(["bad", "good"], work)
    clean(outcome)
    assert outcome.code == 1
    assert "bad/pgbouncer.ini:4:1: PGF001 tcp_keepidle:" in outcome.stdout and "out of range" in outcome.stdout
    assert "bad/pgbouncer.ini:5:1: PGF001 server_idle_timeout:" in outcome.stdout
    assert GOOD in outcome.stdout
    # past Python's 4,300-digit int() limit: the same finding, in PgBouncer's terms
    (work / "bad" / "pgbouncer.ini").write_text(
        f"[databases]\napp = host=db.example.com dbname=app\n[pgbouncer]\ntcp_keepidle = {'9' * 5000}\n"
    )
    outcome = run_cli(["bad", "good"], work)
    clean(outcome)
    assert "bad/pgbouncer.ini:4:1: PGF001 tcp_keepidle:" in outcome.stdout and "out of range" in outcome.stdout
    assert "set_int_max_str_digits" not in outcome.stdout


@pytest.mark.parametrize(
    "case", ["terraform/rds-parameter-groups", "terraform/cloud-sql-database-flags", "terraform/azure-flexible-server-configuration"]
)
def test_terraform_alone_in_a_fresh_process_has_its_server_checks(case: str) -> None:
    """Found by the long fuzz (a worker checking only .tf files): Terraform builds server views
    (parameter groups, Cloud SQL flags, Azure configurations) but imported only the network
    checks, so PGF104's lookup raised LookupError unless another layer had run first."""
    done = subprocess.run(
        [sys.executable, "-m", "pgconf_fix", "."],
        cwd=ROOT / "tests" / "fixtures" / case / "before", capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 1, (done.returncode, done.stdout[-2000:])


# -- values a parser's grammar takes and Python cannot convert -------------------------------


def test_yaml_scalars_pyyaml_cannot_construct_do_not_stop_a_fix(work: Path) -> None:
    """Found by the fuzz: a compose file holding a 5,000-digit integer, or a date the calendar
    lacks, made the YAML verifier's ``safe_load_all`` raise ValueError out of the run. The file
    is fixed, and the verifier still refuses an edit that breaks the YAML grammar."""
    from pgconf_fix.verify.formats import yaml_error

    (work / "c").mkdir()
    compose = (
        'services:\n  db:\n    image: postgres:16\n    command: ["postgres", "-c", "tcp_keepalives_idle=7200"]\n'
        "    labels:\n      when: 2024-02-30\n      size: " + "9" * 5000 + "\n"
    )
    for text in (compose, compose.replace("2024-02-30", "2024-02-29")):
        (work / "c" / "docker-compose.yml").write_text(text)
        outcome = run_cli(["--write", "c"], work)
        clean(outcome)
        assert outcome.code == 0 and "Fixed 3 findings in 1 file" in outcome.stdout, outcome.stdout + outcome.stderr
        written = (work / "c" / "docker-compose.yml").read_text()
        assert '"tcp_keepalives_idle=60", "-c", "tcp_keepalives_interval=10"' in written
        assert written.replace("tcp_keepalives_idle=60", "tcp_keepalives_idle=7200").startswith(text.split("]")[0])
        assert yaml_error(written) is None
        assert yaml_error(written + "  broken: [\n") is not None  # the grammar is still held to


def test_toml_integers_past_pythons_conversion_limit(work: Path) -> None:
    """tomllib raises ValueError, not TOMLDecodeError, for an integer past 4,300 digits: a
    pyproject.toml holding one was a traceback (exit 1); a lock file holding one, or JSON nested
    past the recursion limit in Pipfile.lock, stopped the dependency reading."""
    from pgconf_fix.verify.formats import toml_error

    big = "9" * 5000
    assert toml_error(f"x = {big}\n") == "an integer has more digits than TOML's 64-bit integers allow (at line 1)"
    (work / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n[tool.other]\nx = {big}\n")
    outcome = run_cli(["good"], work)
    clean(outcome)
    assert outcome.code == 2
    assert "pyproject.toml: invalid TOML: an integer has more digits than TOML's 64-bit integers allow (at line 5)" in outcome.stderr
    assert "set_int_max_str_digits" not in outcome.stderr
    (work / "pyproject.toml").unlink()
    app = work / "app"
    app.mkdir()
    # A Flask-SQLAlchemy setting without a Flask import: the project's pins are read for evidence.
    (app / "config.py").write_text('SQLALCHEMY_DATABASE_URI = "postgresql://db.internal/app"\n')
    for name, text in (
        ("poetry.lock", f'[[package]]\nname = "sqlalchemy"\nversion = "2.0.30"\nsize = {big}\n'),
        ("uv.lock", "x = " + "[" * 3000 + "]" * 3000 + "\n"),
        ("Pipfile.lock", "[" * 100_000 + "]" * 100_000),
    ):
        (app / name).write_text(text)
        outcome = run_cli(["app"], work)
        clean(outcome)
        assert outcome.code == 1 and "app/config.py:1:" in outcome.stdout, (name, outcome.stdout, outcome.stderr)
        (app / name).unlink()


def test_json_nested_past_the_recursion_limit_is_no_traceback(work: Path) -> None:
    """A task definition or CloudFormation template nested 100,000 deep (PyYAML refuses it, and
    then Python's json raised RecursionError out of the run), and a Dockerfile whose exec form
    holds such an array (a traceback from the exec-form reader). The JSON files are PGF004, not
    checked; the Dockerfile's CMD is no exec form (BuildKit's parseMaybeJSON takes an array that
    is not all strings as a shell form), and the run goes on."""
    deep = "[" * 100_000 + "]" * 100_000
    (work / "bad").mkdir()
    (work / "bad" / "task-definition.json").write_text(
        '{"containerDefinitions": [{"image": "edoburu/pgbouncer", "environment": [], "x": ' + deep + "}]}"
    )
    (work / "bad" / "template.json").write_text(
        '{"Resources": {"P": {"Type": "AWS::RDS::DBParameterGroup", "Properties": {"Family": "postgres15",'
        ' "Parameters": {"tcp_keepalives_idle": "7200"}}}}, "X": ' + deep + "}"
    )
    (work / "bad" / "Dockerfile").write_text('FROM postgres:16\nCMD ["postgres", "-c", "tcp_keepalives_idle=60", ' + deep + "]\n")
    outcome = run_cli(["bad", "good"], work)
    clean(outcome)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    for name in ("task-definition.json", "template.json"):
        assert f"bad/{name}:1:1: PGF004 not checked: nested too deeply for Python's JSON parser" in outcome.stdout
    assert "bad/Dockerfile" not in outcome.stdout
    assert GOOD in outcome.stdout


def test_control_characters_of_names_and_contents_do_not_reach_the_terminal(work: Path) -> None:
    """A repository's file names and file contents are the attacker's: an ESC in them, echoed
    raw, starts a terminal sequence (``ESC [2J`` clears the screen, ``ESC ]0;...BEL`` sets the
    title), and a newline in a name on standard error started a line of its own. The text
    report and the ``error:``/``warning:`` lines show them escaped; JSON keeps the name as it is."""
    (work / "bad").mkdir()
    shown = "bad/t\\x1b]0;T\\x07\\x1b[2J.env"
    (work / "bad" / "t\x1b]0;T\x07\x1b[2J.env").write_text("DATABASE_URL=postgresql://db.example.com/x\n")
    (work / "bad" / "postgresql.conf").write_text("tcp_keepalives_idle = '\x1b[2J\x9b60'\n")
    (work / "bad" / "n\x1b[31m\nerror: forged.env").write_bytes(b"A=1\x00")
    (work / "bad" / "w\x1b[31m.yaml").write_text("a: 1\n")
    outcome = run_cli(["bad", "bad/w\x1b[31m.yaml", "good"], work)
    clean(outcome)
    assert outcome.code == 2
    for stream in (outcome.stdout, outcome.stderr):
        assert not any(character in stream for character in "\x1b\x07\x9b"), stream
    assert f"{shown}:1:14: PGF401 " in outcome.stdout
    assert 'bad/postgresql.conf:1:1: PGF001 invalid value for parameter "tcp_keepalives_idle": "\\x1b[2J\\x9b60"' in outcome.stdout
    assert "error: bad/n\\x1b[31m\\nerror: forged.env: binary file" in outcome.stderr
    assert "warning: bad/w\\x1b[31m.yaml: not checked: " in outcome.stderr
    assert all(line.startswith(("error: ", "warning: ")) for line in outcome.stderr.splitlines()), outcome.stderr
    assert GOOD in outcome.stdout
    import json

    found = json.loads(run_cli(["--format", "json", "bad"], work).stdout)
    assert "bad/t\x1b]0;T\x07\x1b[2J.env" in {finding["path"] for finding in found}


def _laughs(fan: int, depth: int) -> str:
    """A compose file whose ``x:`` holds lists of ``fan`` aliases of the list before, ``depth`` deep."""
    lines = ["services:", "  db:", "    image: postgres:16", '    command: ["postgres", "-c", "tcp_keepalives_idle=7200"]', "x:"]
    lines.append('  a0: &a0 ["v"]')
    lines += [f"  a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * fan) + "]" for level in range(1, depth + 1)]
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_in_compose_is_the_refusal_compose_gives(work: Path) -> None:
    """Nine aliases of nine, nine deep: go.yaml.in/yaml/v4 (compose's decoder) refuses it with
    "document contains excessive aliasing", and the run hung, walking 9**9 strings to vet the
    fix of the service's command. Four deep it is refused, three deep read, as by that decoder
    (v4.0.0-rc.4 decoding into an interface{}, run on these texts in a Go program)."""
    for depth, refused in ((9, True), (4, True), (3, False)):
        (work / "c").mkdir(exist_ok=True)
        (work / "c" / "compose.yaml").write_text(_laughs(9, depth))
        outcome = run_cli(["--write", "c"], work)
        clean(outcome)
        if refused:
            assert outcome.code == 1 and "c/compose.yaml:1:1: PGF001 compose refuses this file" in outcome.stdout, outcome.stdout
            assert "document contains excessive aliasing" in outcome.stdout
            assert (work / "c" / "compose.yaml").read_text() == _laughs(9, depth)
        else:
            assert outcome.code == 0 and "Fixed 3 findings in 1 file" in outcome.stdout, outcome.stdout


def test_the_connection_string_verifier_reads_an_aliased_value_once() -> None:
    """The verifier of a YAML fix walked the loaded document, every alias expanded again: nine
    aliases of nine five deep were 59,049 strings, nine deep 387 million (the run hung)."""
    from pgconf_fix.verify.conninfo import decoded_strings

    text = "url: postgresql://db.example.com/x\nx:\n" + _laughs(9, 5).split("x:\n", 1)[1]
    strings = decoded_strings(Path("k.yaml"), text)
    assert "postgresql://db.example.com/x" in strings and len(strings) < 20, len(strings)

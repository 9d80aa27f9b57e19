"""A Dockerfile's postgres flags as pgconf_fix.views.dockerfile reads them.

The flags of every command the view reads in the fixture, before and after the fixes, are
given to the real server (``postgres -C name -c flag ...``, Debian's PostgreSQL 15): what it
keeps for each keepalive parameter is the value pgconf-fix judges. Docker itself is not run
here (no daemon): how an instruction is read (exec form as JSON, lines joined at a trailing
backslash, comment lines inside dropped) follows the Dockerfile reference, and anything
outside that subset is left unread (tested below). How lines are split and joined was checked
on BuildKit's own parser (moby/buildkit ``frontend/dockerfile/parser`` at ``73ed682``, built with
Go as a throwaway and not kept): its answers for the hard cases are the table below, and 23,000
random texts of those pieces gave the same instructions here as there.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pgconf_fix.source import SourceFile
from pgconf_fix.documents.dockerfile import expand_from, instructions, meta_arguments
from pgconf_fix.views.dockerfile import dockerfile_server_views
from tests.cli_runner import run_cli
from tests.pg_server import PgServer, pg_server  # noqa: F401 - pg_server is a fixture

FIXTURE = Path(__file__).parent / "fixtures/client/dockerfile-postgres-flags"
GUCS = ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")


def _source(text: str, name: str = "Dockerfile") -> SourceFile:
    return SourceFile.from_bytes(Path("/nowhere") / name, name, text.encode())


def _views(path: Path) -> list:
    return dockerfile_server_views(SourceFile.from_bytes(path, path.name, path.read_bytes()))


@pytest.mark.parametrize("tree", ["before", "after"])
def test_the_server_keeps_the_flags_we_read(pg_server: PgServer, tree: str) -> None:  # noqa: F811
    read = 0
    for path in sorted((FIXTURE / tree / "db").iterdir()):
        views = _views(path)
        if path.name == "Dockerfile.unread":
            assert views == []
            continue
        if not views:
            continue
        (view,) = views
        flags = [f"{a.key}={a.value}" for a in view.assignments]
        with pg_server.staged() as conf_dir:
            (conf_dir / "postgresql.conf").write_text("")
            for key in GUCS:
                argv = [arg for flag in flags for arg in ("-c", flag)]
                done = pg_server.run("postgres", "-D", str(conf_dir), "-C", key, *argv, cwd=conf_dir)
                assert done.returncode == 0, done.stderr
                current = view.effective(key)
                if current is not None:
                    assert done.stdout.strip() == current.value, f"{path}: {key}"
                    read += 1
                if tree == "after":
                    assert done.stdout.strip() == {"tcp_keepalives_idle": "60", "tcp_keepalives_interval": "10",
                                                   "tcp_keepalives_count": "6"}[key], f"{path}: {key}"
    assert read >= 5


def test_instructions_join_continued_lines_and_drop_comments() -> None:
    text = 'FROM postgres:16\nCMD ["postgres", \\\n# inside\n  "-c", "a=1"]\n\n# after\nUSER postgres\n'
    found = instructions(text)
    assert found is not None
    assert [i.keyword for i in found] == ["FROM", "CMD", "USER"]
    joined, offsets = found[1].joined(text)
    assert joined == '["postgres",   "-c", "a=1"]'
    assert text[offsets[joined.index("a=1")] :].startswith("a=1")


# BuildKit's answers: (keyword, its arguments as joined, the line the instruction starts on).
BUILDKIT = [
    # A blank line inside a continued instruction is skipped (BuildKit warns), not its end.
    ("FROM postgres:16\nCMD postgres -c tcp_keepalives_idle=60 \\\n\n    -c tcp_keepalives_interval=10\n",
     [("FROM", "postgres:16", 1), ("CMD", "postgres -c tcp_keepalives_idle=60     -c tcp_keepalives_interval=10", 2)]),
    ("FROM postgres:16\nCMD postgres \\\n   \t \n  # a comment\n    -c tcp_keepalives_idle=60\n",
     [("FROM", "postgres:16", 1), ("CMD", "postgres     -c tcp_keepalives_idle=60", 2)]),
    ('FROM postgres:16\r\nCMD ["postgres", \\\r\n  "-c", "tcp_keepalives_idle=60"]\r\n',
     [("FROM", "postgres:16", 1), ("CMD", '["postgres",   "-c", "tcp_keepalives_idle=60"]', 2)]),
    # A backslash after a backslash continues nothing.
    ("FROM postgres:16\nCMD postgres -c tcp_keepalives_idle=60 \\\\\nRUN true\n",
     [("FROM", "postgres:16", 1), ("CMD", "postgres -c tcp_keepalives_idle=60 \\\\", 2), ("RUN", "true", 3)]),
    # Lines end at LF alone: a lone CR, a form feed, a line separator are text.
    ("FROM postgres:16\nCMD postgres -c a=1\r-c b=2\n", [("FROM", "postgres:16", 1), ("CMD", "postgres -c a=1\r-c b=2", 2)]),
    ("FROM postgres:16\nCMD postgres -c a=1\x0c-c b=2\n", [("FROM", "postgres:16", 1), ("CMD", "postgres -c a=1\x0c-c b=2", 2)]),
    ("FROM postgres:16\nCMD postgres -c a=1\u2028-c b=2\n", [("FROM", "postgres:16", 1), ("CMD", "postgres -c a=1\u2028-c b=2", 2)]),
    # Blanks after the backslash; a backslash on the last line.
    ("FROM postgres:16\nCMD postgres \\  \t\n  -c a=1\n", [("FROM", "postgres:16", 1), ("CMD", "postgres   -c a=1", 2)]),
    ("FROM postgres:16\nCMD postgres \\\n", [("FROM", "postgres:16", 1), ("CMD", "postgres", 2)]),
]


@pytest.mark.parametrize(("text", "expected"), BUILDKIT)
def test_lines_are_split_and_joined_as_buildkit_does(text: str, expected: list) -> None:
    source = _source(text)
    found = instructions(text)
    assert found is not None
    got = [(i.keyword, i.joined(text)[0].strip(" \t"), source.position(i.args_start)[0]) for i in found]
    assert got == expected


def test_flags_after_a_blank_continuation_line_are_read() -> None:
    # USER: a shell-form CMD run as root is refused (tests/test_root_refusal.py), not read
    text = BUILDKIT[0][0].replace("FROM postgres:16\n", "FROM postgres:16\nUSER postgres\n")
    (view,) = dockerfile_server_views(_source(text))
    assert view.effective("tcp_keepalives_idle").value == "60"
    assert view.effective("tcp_keepalives_interval").value == "10"


@pytest.mark.parametrize(
    "text",
    [
        '# escape=`\nFROM postgres:16\nCMD ["postgres", "-c", "tcp_keepalives_idle=7200"]\n',  # another escape character
        'FROM postgres:16\nRUN <<EOF\nCMD ["postgres", "-c", "tcp_keepalives_idle=7200"]\nEOF\n',  # a heredoc
        'FROM postgres:16\nCMD postgres -c "tcp_keepalives_idle=7200"\n',  # a quoted shell word
        'FROM postgres:16\nCMD postgres -c tcp_keepalives_idle=$IDLE\n',  # a variable sh expands
        'FROM postgres:16\nUSER postgres\nENTRYPOINT postgres -c "tcp_keepalives_idle=7200"\n',  # a quoted shell word
        'FROM postgres:16\nUSER postgres\nENTRYPOINT exec\n',  # sh's exec alone runs nothing
        'FROM postgres:16 AS db\nCMD ["postgres", "-c", "tcp_keepalives_idle=7200"]\nFROM python:3.12\nCMD ["app"]\n',
        'FROM python:3.12\nCMD ["postgres", "-c", "tcp_keepalives_idle=7200"]\n',  # not a PostgreSQL image
    ],
)
def test_what_is_not_read_for_certain_is_not_judged(text: str) -> None:
    assert dockerfile_server_views(_source(text)) == []


SHELL_ENTRYPOINTS = {
    # Dockerfile -> the flags read ({name: value}); the CMD after a shell-form ENTRYPOINT is not passed
    'FROM postgres:16\nUSER postgres\nENTRYPOINT postgres -c tcp_keepalives_idle=7200\nCMD ["-c", "tcp_keepalives_count=0"]\n':
        {"tcp_keepalives_idle": "7200"},
    "FROM postgres:16\nUSER 999\nENTRYPOINT exec /usr/lib/postgresql/16/bin/postgres -c tcp_keepalives_interval=75\n":
        {"tcp_keepalives_interval": "75"},
    "FROM postgres:16\nENTRYPOINT docker-entrypoint.sh postgres --tcp-keepalives-idle=7200\nCMD postgres -c a=1\n":
        {"tcp_keepalives_idle": "7200"},
}


@pytest.mark.parametrize("text", list(SHELL_ENTRYPOINTS))
def test_a_shell_form_entrypoint_is_read_without_the_cmd(text: str) -> None:
    """Docker runs a shell-form ENTRYPOINT as /bin/sh -c "..." (BuildKit dockerfile2llb
    dispatchEntrypoint: withShell), and a CMD only lands in sh's $0, $1...: the text's words alone
    reach postgres (held to sh and postgres in the next test)."""
    (view,) = dockerfile_server_views(_source(text))
    assert {key: view.effective(key).value for key in SHELL_ENTRYPOINTS[text]} == SHELL_ENTRYPOINTS[text]
    assert view.effective("tcp_keepalives_count") is None and view.effective("a") is None
    assert view.what.startswith("the ENTRYPOINT of ")


def test_a_missing_setting_is_added_to_a_shell_form_entrypoint(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        'FROM postgres:16\nUSER postgres\nENTRYPOINT exec postgres -c tcp_keepalives_idle=7200\nCMD ["-c", "x=1"]\n'
    )
    run_cli(["--no-cache", "--write", "."], tmp_path)
    assert (tmp_path / "Dockerfile").read_text() == (
        "FROM postgres:16\nUSER postgres\nENTRYPOINT exec postgres -c tcp_keepalives_idle=60 -c tcp_keepalives_interval=10"
        ' -c tcp_keepalives_count=6\nCMD ["-c", "x=1"]\n'
    )


def test_sh_passes_a_shell_entrypoint_s_words_and_not_the_cmd(pg_server: PgServer) -> None:  # noqa: F811
    """What Docker runs for ENTRYPOINT exec postgres -c tcp_keepalives_idle=7200 with CMD
    ["-c", "tcp_keepalives_idle=60"]: /bin/sh -c "<text>" -c tcp_keepalives_idle=60."""
    with pg_server.staged() as conf_dir:
        (conf_dir / "postgresql.conf").write_text("")
        text = f"exec {pg_server.bindir}/postgres -c tcp_keepalives_idle=7200 -D {conf_dir} -C tcp_keepalives_idle"
        argv = pg_server.command("postgres")
        argv[argv.index(str(pg_server.bindir / "postgres")):] = ["/bin/sh", "-c", text, "-c", "tcp_keepalives_idle=60"]
        done = subprocess.run(argv, capture_output=True, text=True, cwd=conf_dir, check=False,
                              env={"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    assert done.returncode == 0 and done.stdout.strip() == "7200", (done.stdout, done.stderr)


def test_a_stage_from_a_stage_inherits_its_command() -> None:
    text = 'FROM postgres:16 AS base\nCMD ["postgres", "-c", "tcp_keepalives_idle=7200"]\nFROM base\nENV A=1\n'
    (view,) = dockerfile_server_views(_source(text))
    assert view.effective("tcp_keepalives_idle").value == "7200"
    assert view.version is not None and view.version.major == 16 and view.version_origin == "the image postgres:16"


def test_a_flag_name_written_with_dashes_is_the_setting(pg_server: PgServer) -> None:  # noqa: F811
    # postgres reads -c and -- flags alike (ParseLongOption turns every '-' of the name into '_').
    text = 'FROM postgres:15\nCMD ["postgres", "-c", "tcp-keepalives-idle=7200", "--tcp-keepalives-count=7"]\n'
    (view,) = dockerfile_server_views(_source(text))
    with pg_server.staged() as conf_dir:
        (conf_dir / "postgresql.conf").write_text("")
        for key in ("tcp_keepalives_idle", "tcp_keepalives_count"):
            done = pg_server.run("postgres", "-D", str(conf_dir), "-C", key, "-c", "tcp-keepalives-idle=7200",
                                 "--tcp-keepalives-count=7", cwd=conf_dir)
            assert done.returncode == 0, done.stderr
            assert view.effective(key) is not None and view.effective(key).value == done.stdout.strip()


def test_an_entrypoint_drops_the_cmd_of_the_stage_it_builds_on() -> None:
    # BuildKit's dispatchEntrypoint clears Cmd unless a CMD came earlier in the same stage; a stage
    # made FROM another starts with cmdSet false. So the server gets no -c flag here.
    text = (
        'FROM postgres:15 AS base\nCMD ["postgres", "-c", "tcp_keepalives_idle=60"]\n'
        'FROM base\nENTRYPOINT ["docker-entrypoint.sh", "postgres"]\n'
    )
    (view,) = dockerfile_server_views(_source(text))
    assert view.effective("tcp_keepalives_idle") is None
    same_stage = 'FROM postgres:15\nCMD ["postgres", "-c", "tcp_keepalives_idle=60"]\nENTRYPOINT ["docker-entrypoint.sh"]\n'
    (view,) = dockerfile_server_views(_source(same_stage))
    assert view.effective("tcp_keepalives_idle").value == "60"


def test_a_byte_order_mark_before_the_first_instruction_is_dropped(tmp_path: Path) -> None:
    # BuildKit's parser strips a UTF-8 byte order mark from the first line (parser.Parse).
    from tests.cli_runner import run_cli

    (tmp_path / "Dockerfile").write_bytes(b'\xef\xbb\xbfFROM postgres:15\nCMD ["postgres", "-c", "tcp_keepalives_idle=7200"]\n')
    (view,) = _views(tmp_path / "Dockerfile")
    assert view.effective("tcp_keepalives_idle").value == "7200"
    run_cli(["--no-cache", "--write", "."], tmp_path)
    assert (tmp_path / "Dockerfile").read_bytes().startswith(b'\xef\xbb\xbfFROM postgres:15\nCMD ["postgres", "-c", "tcp_keepalives_idle=60", ')


# BuildKit's answers (its parser and shell lexer at 73ed682, built as a throwaway, with no
# --build-arg): the last FROM's image. None: read here as not known (left as written).
FROM_ARGS = [
    ("ARG PG_MAJOR=16\nFROM postgres:${PG_MAJOR}\n", "postgres:16"),
    ('ARG PG="15" X\nFROM postgres:${PG:-14}-alpine AS a\n', "postgres:15-alpine"),
    ("ARG A=1\nARG A\nFROM postgres:1$A\n", "postgres:11"),  # declared again without a default: kept
    ("ARG A=\nFROM postgres:${A:-13}\n", "postgres:13"),
    ("ARG A=\nFROM postgres:${A-13}\n", "postgres:"),  # set, though empty
    ("FROM postgres:${NOPE:-12}\n", "postgres:12"),  # never declared: unset
    ("ARG B=16\nFROM postgres:$B\nARG B=11\nFROM postgres:$B\n", "postgres:16"),  # only ARGs before the first FROM
    ("ARG A='9.6' B\nFROM postgres:${B-$A}\n", None),  # BuildKit: postgres:9.6 (a variable in a default)
    ("ARG A=1 B=${A}2\nFROM postgres:$B\n", None),  # BuildKit: postgres:12 (a variable in an ARG)
    ("FROM postgres:${TARGETARCH}\n", None),  # the builder's platform decides
]


@pytest.mark.parametrize(("text", "expected"), FROM_ARGS)
def test_a_from_image_is_read_with_the_args_before_it_as_buildkit_does(text: str, expected: str | None) -> None:
    found = instructions(text)
    assert found is not None
    meta = meta_arguments(text, found)
    image = text.rsplit("FROM ", 1)[1].split()[0]
    assert (expand_from(image, meta) if meta is not None else None) == expected


def test_the_major_of_a_from_image_with_args_decides_what_postgres_refuses(tmp_path: Path) -> None:
    command = 'CMD ["postgres", "-c", "tcp_user_timeout=10000"]\n'
    (tmp_path / "Dockerfile").write_text("ARG PG_MAJOR=11\nFROM postgres:${PG_MAJOR}\n" + command)
    found = json.loads(run_cli(["--no-cache", "--format", "json", "--select", "PGF001", "."], tmp_path).stdout)
    assert [item["line"] for item in found] == [3], found
    assert "not a parameter of PostgreSQL 11 (FROM postgres:${PG_MAJOR} with the defaults" in found[0]["message"]
    assert "--build-arg" in found[0]["message"]
    (tmp_path / "Dockerfile").write_text("ARG PG_MAJOR=16\nFROM postgres:${PG_MAJOR}\n" + command)
    assert json.loads(run_cli(["--no-cache", "--format", "json", "--select", "PGF001", "."], tmp_path).stdout) == []


TEMPLATE = Path(__file__).parent / "fixtures" / "client" / "dockerfile-template-run-build-step" / "before"


@pytest.mark.parametrize("use_celery", ["y", "n"])
def test_a_template_s_build_step_is_judged_as_in_its_renderings(use_celery: str, tmp_path: Path) -> None:
    """A project template's Dockerfile (``{% if %}`` lines, as cookiecutter-django's): its
    ``RUN`` is a build step in what Jinja renders, so its URL is not judged there, nor in the
    template; the ``ENV`` URL, the image's runtime connection, is judged in both."""
    jinja2 = pytest.importorskip("jinja2")
    template = (TEMPLATE / "Dockerfile").read_text()
    assert instructions(template) is None  # BuildKit refuses the template itself
    context = {"cookiecutter": {"use_celery": use_celery, "project_slug": "shop"}}
    rendered = jinja2.Template(template, keep_trailing_newline=True).render(**context)
    assert [found.keyword for found in instructions(rendered) or ()] == (
        ["FROM", *(["ENV"] if use_celery == "y" else []), "ENV", "RUN", "CMD"])

    def hosts(tree: Path) -> list[str]:
        found = json.loads(run_cli(["--format", "json", "--no-cache", "--select", "PGF401", "."], tree).stdout)
        return [item["message"].split("connection to ")[1].split(":")[0] for item in found]

    (tmp_path / "Dockerfile").write_text(rendered)
    assert hosts(tmp_path) == hosts(TEMPLATE) == ["db.internal"]

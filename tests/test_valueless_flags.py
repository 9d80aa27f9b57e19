"""A ``-c`` flag without a value, in every place a postgres command line is read (a compose
command, a Kubernetes container's args, a Dockerfile's CMD): PGF001, as the real server refuses
to start with it (Debian's PostgreSQL 15, ``postgres -C``), and its name not judged missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from tests.pg_server import PgServer, pg_server  # noqa: F401 - pg_server is a fixture

ARGS = ["-c", "tcp_keepalives_idle", "-ctcp_keepalives_interval", "-c", "tcp_keepalives_count=6", "-c"]
# The words of ARGS that are refused, by index: the name after -c, the glued one, the last -c.
REFUSED = {1: "-c tcp_keepalives_idle", 2: "-c tcp_keepalives_interval", 5: '"-c" is its last word'}

FILES = {
    "compose.yaml": "services:\n  db:\n    image: postgres:16\n    command: [\"postgres\", {args}]\n",
    "pod.yaml": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\nspec:\n  containers:\n    - name: db\n"
        "      image: postgres:16\n      args: [{args}]\n"
    ),
    "Dockerfile": "FROM postgres:16\nCMD [\"postgres\", {args}]\n",
}


def test_the_server_refuses_each_valueless_flag(pg_server: PgServer) -> None:  # noqa: F811
    refused = [["-c", "tcp_keepalives_idle"], ["-ctcp_keepalives_interval"], ["-c"],  # REFUSED's three
               ["--tcp-user-timeout"], ["--version"]]  # LONG's refused ones, after postgres' first argument
    with pg_server.staged() as conf_dir:
        (conf_dir / "postgresql.conf").write_text("")
        for argv in [*refused, ["-c", "tcp_keepalives_count=6"]]:
            done = pg_server.run("postgres", "-D", str(conf_dir), "-C", "tcp_keepalives_count", *argv, cwd=conf_dir)
            if argv in refused:
                assert done.returncode != 0, argv
                assert "requires a value" in done.stderr or "option requires an argument -- 'c'" in done.stderr, done.stderr
            else:
                assert (done.returncode, done.stdout.strip()) == (0, "6"), done.stderr


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_valueless_flag_is_pgf001_and_its_name_not_missing(tmp_path: Path, name: str) -> None:
    args = ", ".join(json.dumps(arg) for arg in ARGS)
    (tmp_path / name).write_text(FILES[name].format(args=args))
    found = json.loads(run_cli(["--no-cache", "--format", "json", "."], tmp_path).stdout)
    refused = sorted(item["message"] for item in found if item["code"] == "PGF001")
    assert len(refused) == len(REFUSED), found
    for text in REFUSED.values():
        assert any(text in message and "postgres refuses to start" in message for message in refused), (text, refused)
    missing = {item["code"] for item in found if item["code"] in ("PGF101", "PGF102", "PGF103")}
    assert missing == set(), found  # idle and interval are written (without a value), count is set


def test_a_flag_whose_value_comes_from_a_variable_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  db:\n    image: postgres:16\n    command: postgres -c ${IDLE_FLAG:-tcp_keepalives_idle=60}\n"
    )
    found = json.loads(run_cli(["--no-cache", "--format", "json", "."], tmp_path).stdout)
    assert not any("has no value" in item["message"] for item in found), found


def test_a_c_takes_the_next_word_whatever_it_is(tmp_path: Path) -> None:
    """getopt gives ``-c -c`` its second ``-c`` as the value (postgres 15: "FATAL:  -c -c
    requires a value"): one refusal, no second one for a trailing ``-c``."""
    (tmp_path / "compose.yaml").write_text('services:\n  db:\n    image: postgres:16\n    command: ["postgres", "-c", "-c"]\n')
    found = json.loads(run_cli(["--no-cache", "--format", "json", "."], tmp_path).stdout)
    refused = [item["message"] for item in found if item["code"] == "PGF001"]
    assert len(refused) == 1 and '"-c -c" has no value' in refused[0], refused


LONG = {
    # command words -> the refused flags' texts (postgres 15, checked in the test below)
    '"postgres", "--tcp-user-timeout", "--tcp_keepalives_idle=60"': ['"--tcp-user-timeout" has no value'],
    '"postgres", "-c", "tcp_keepalives_idle=60", "--version"': ['"--version" has no value'],
    '"--tcp_keepalives_count", "-c", "tcp_keepalives_idle=60"': ['"--tcp_keepalives_count" has no value'],
    '"postgres", "--version"': [],  # main() reads it before getopt: postgres prints its version
    '"docker-entrypoint.sh", "postgres", "--describe-config"': [],
    '"postgres", "--", "-c", "tcp_keepalives_idle=60"': [],  # "--" alone is getopt's end of options
}


@pytest.mark.parametrize("command", sorted(LONG))
def test_a_long_flag_without_a_value_is_pgf001(tmp_path: Path, command: str) -> None:
    """``--name`` is getopt's option ``-`` holding ``name``; postgres refuses it without ``=``
    ("--name requires a value") except for the few long options main() reads as the first
    argument."""
    (tmp_path / "compose.yaml").write_text(f"services:\n  db:\n    image: postgres:16\n    command: [{command}]\n")
    found = json.loads(run_cli(["--no-cache", "--format", "json", "."], tmp_path).stdout)
    refused = [item["message"] for item in found if item["code"] == "PGF001"]
    assert len(refused) == len(LONG[command]), refused
    for text, message in zip(LONG[command], refused):
        assert text in message and "postgres refuses to start" in message, (text, message)


def test_the_server_takes_its_first_only_options_first(pg_server: PgServer) -> None:  # noqa: F811
    done = pg_server.run("postgres", "--version")
    assert done.returncode == 0 and "PostgreSQL" in done.stdout, done.stderr

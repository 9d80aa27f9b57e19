"""A ``.conf`` file in a directory a postgresql.conf lists with ``include_dir``, under a name
the server passes by (starting with a dot), is not a configuration of its own: postgres never
reads it, so pgconf-fix judges nothing in it. The real server says so first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.pg_server import PgServer, pg_server, server_config_value  # noqa: F401

HIDDEN = "tcp_keepalives_idle = 7200\n"
MAIN = "include_dir = 'conf.d'\ntcp_keepalives_idle = 60\ntcp_keepalives_interval = 10\ntcp_keepalives_count = 6\n"


def tree(root: Path, main: str = MAIN) -> Path:
    (root / "conf.d").mkdir(parents=True)
    (root / "postgresql.conf").write_text(main)
    (root / "conf.d" / ".hidden.conf").write_text(HIDDEN)
    (root / "conf.d" / "seen.conf").write_text("tcp_user_timeout = 0\n")
    return root


def findings(root: Path) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-m", "pgconf_fix", "--no-cache", "--exit-zero", "--format", "json", "."],
        cwd=root, capture_output=True, text=True, check=True,
    )
    return json.loads(done.stdout)


def paths(found: list[dict]) -> set[str]:
    return {Path(item["path"]).name for item in found}


def test_the_server_passes_the_hidden_file_by(tmp_path: Path, server_config_value) -> None:  # noqa: F811
    root = tree(tmp_path / "data")
    (root / "conf.d" / ".hidden.conf").write_text("tcp_keepalives_idle = bogus\n")  # refused if it were read
    assert server_config_value(root, "tcp_keepalives_idle") == (0, "60")


def test_a_hidden_file_in_a_listed_directory_is_not_judged(tmp_path: Path) -> None:
    found = findings(tree(tmp_path))
    assert ".hidden.conf" not in paths(found)


def test_the_same_file_is_judged_where_no_include_dir_lists_its_directory(tmp_path: Path) -> None:
    root = tree(tmp_path, MAIN.replace("include_dir = 'conf.d'\n", ""))
    found = findings(root)
    assert [item["code"] for item in found if Path(item["path"]).name == ".hidden.conf"] == ["PGF101"]


def test_an_include_naming_the_hidden_file_reads_it(tmp_path: Path) -> None:
    root = tree(tmp_path, MAIN + "include 'conf.d/.hidden.conf'\n")
    found = findings(root)
    assert [item["code"] for item in found if Path(item["path"]).name == ".hidden.conf"] == ["PGF101"]


def test_a_listed_directory_reached_through_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real.d").mkdir()
    (tmp_path / "real.d" / ".hidden.conf").write_text(HIDDEN)
    (tmp_path / "postgresql.conf").write_text(MAIN)
    (tmp_path / "conf.d").symlink_to(tmp_path / "real.d")
    found = findings(tmp_path)
    assert ".hidden.conf" not in paths(found), found

"""A postgresql.conf of unknown major that writes names some majors lack: only the names that
narrow the majors the most are reported; the ones they imply are not (views.server
ServerConfig._report_narrowing). The real servers of 12 and 13 show which name binds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pg_majors import require_major

# unix_socket_directories: 9.1-18; max_wal_size: 9.5-18; log_min_duration_sample: 13-18.
IMPLIED = "unix_socket_directories = '/tmp'\nmax_wal_size = 1GB\n"
BINDING = "log_min_duration_sample = -1\n"
KEEPALIVES = "tcp_keepalives_idle = 60\ntcp_keepalives_interval = 10\ntcp_keepalives_count = 6\n"


def warned(root: Path) -> list[tuple[str, int]]:
    done = subprocess.run([sys.executable, "-m", "pgconf_fix", "--no-cache", "--exit-zero", "--format", "json", "."],
                          cwd=root, capture_output=True, text=True, check=True)
    return [(item["code"], item["line"]) for item in json.loads(done.stdout)]


def test_only_the_narrowest_name_is_reported(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text(KEEPALIVES + IMPLIED + BINDING)
    assert warned(tmp_path) == [("PGF001", 6)]


def test_without_the_narrowest_name_the_next_one_is_reported(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text(KEEPALIVES + IMPLIED)
    assert warned(tmp_path) == [("PGF001", 5)]  # max_wal_size (9.5-18) implies unix_socket_directories


def test_names_that_narrow_differently_are_all_reported(tmp_path: Path) -> None:
    # promote_trigger_file: 12-15 (removed in 16); log_min_duration_sample: 13-18. Neither implies the other.
    (tmp_path / "postgresql.conf").write_text(KEEPALIVES + "promote_trigger_file = '/tmp/x'\n" + BINDING)
    assert warned(tmp_path) == [("PGF001", 4), ("PGF001", 5)]


def test_a_tree_no_major_takes_reports_every_name(tmp_path: Path) -> None:
    # vacuum_cleanup_index_scale_factor: 11-13; vacuum_buffer_usage_limit: 16-18; and a name of 9.1-18.
    (tmp_path / "postgresql.conf").write_text(
        KEEPALIVES + "vacuum_cleanup_index_scale_factor = 0.1\nvacuum_buffer_usage_limit = 256kB\n" + IMPLIED
    )
    assert warned(tmp_path) == [("PGF001", 4), ("PGF001", 5), ("PGF001", 6), ("PGF001", 7)]


def test_an_included_file_narrows_the_tree(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text(KEEPALIVES + IMPLIED + "include 'recent.conf'\n")
    (tmp_path / "recent.conf").write_text(BINDING)
    found = subprocess.run([sys.executable, "-m", "pgconf_fix", "--no-cache", "--exit-zero", "."], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert "recent.conf:1:1: PGF001" in found and "postgresql.conf:4:1" not in found and "postgresql.conf:5:1" not in found


@pytest.mark.parametrize(("major", "starts"), [(12, False), (13, True)])
def test_the_reported_name_is_the_one_that_binds(major: int, starts: bool, tmp_path: Path) -> None:
    """postgres -C of 12 refuses the tree for log_min_duration_sample; 13 takes all of it."""
    server = require_major(major)
    conf = tmp_path / "data"
    conf.mkdir()
    (conf / "postgresql.conf").write_text(KEEPALIVES + IMPLIED + BINDING)
    status, said = server.config_value(conf, "max_wal_size")
    assert (status == 0) is starts, said
    if not starts:
        assert "log_min_duration_sample" in said

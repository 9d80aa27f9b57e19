"""One file reached by two paths (a symlink to it or to a directory above it, a hard link, the
same name given twice, a directory and a file in it) is checked, reported and written once,
under one path: the one that goes through no symlink, else the first found
(pgconf_fix.discovery._one_path_a_file). A dangling symlink both named and walked is one
error. The cached run prints what the run without the cache prints while links come and go.
Real files and links in tmp_path, the real CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pgconf_fix import cache as cache_module
from tests import golden
from tests.cli_runner import run_cli, tree

# No keepalive set: PGF101, PGF102 and PGF103 on line 1, all three fixable.
MAIN = "listen_addresses = '*'\nport = 5432\n"
# A fragment the server layer claims by its content, with one value PGF101 flags.
FRAGMENT = "tcp_keepalives_idle = 0\ntcp_keepalives_interval = 10\ntcp_keepalives_count = 6\n"


@pytest.fixture(autouse=True)
def _plain_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture
def linked_dir(tmp_path: Path) -> Path:
    """db/postgresql.conf, and db2 a symlink to db."""
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "postgresql.conf").write_text(MAIN)
    os.symlink("db", tmp_path / "db2")
    return tmp_path


def _finding_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if ": PGF" in line]


@pytest.mark.parametrize("order", [["db", "db2"], ["db2", "db"]])
def test_a_directory_and_a_symlink_to_it_are_checked_once(linked_dir: Path, order: list[str]) -> None:
    outcome = run_cli(["--no-cache", *order], linked_dir)
    assert outcome.code == 1, outcome.stderr
    lines = _finding_lines(outcome.stdout)
    assert [line.split()[1] for line in lines] == ["PGF101", "PGF102", "PGF103"]
    assert all(line.startswith("db/postgresql.conf:1:1: ") for line in lines), lines
    assert "Found 3 findings." in outcome.stdout
    assert "3 fixable" in outcome.stdout


def test_json_and_diff_name_the_file_once(linked_dir: Path) -> None:
    listed = json.loads(run_cli(["--no-cache", "--format", "json", "db2", "db"], linked_dir).stdout)
    assert sorted(finding["code"] for finding in listed) == ["PGF101", "PGF102", "PGF103"]
    assert {finding["path"] for finding in listed} == {"db/postgresql.conf"}
    diff = run_cli(["--no-cache", "--diff", "db", "db2"], linked_dir)
    assert diff.code == 1
    assert diff.stdout.count("+++ ") == 1 and "+++ b/db/postgresql.conf" in diff.stdout
    assert diff.stdout.count("+tcp_keepalives_idle = 60") == 1
    assert "Would fix 3 findings." in diff.stderr


def test_write_through_both_paths_writes_once_and_settles(linked_dir: Path) -> None:
    first = run_cli(["--no-cache", "--write", "db", "db2"], linked_dir)
    assert first.code == 0, (first.stdout, first.stderr)
    assert "Fixed 3 findings in 1 file." in first.stderr + first.stdout
    assert "not written" not in first.stderr and "changed since" not in first.stderr
    written = (linked_dir / "db" / "postgresql.conf").read_text()
    assert written.startswith(MAIN)
    assert written.count("tcp_keepalives_idle = 60") == 1
    assert os.path.islink(linked_dir / "db2")
    before = tree(linked_dir / "db")
    second = run_cli(["--no-cache", "--write", "db2", "db"], linked_dir)
    assert second.code == 0, (second.stdout, second.stderr)
    assert "Fixed 0 findings in 0 files." in second.stderr + second.stdout
    assert tree(linked_dir / "db") == before


def test_a_symlinked_file_in_a_walk_is_reported_under_the_real_path(tmp_path: Path) -> None:
    # a.conf sorts first but is the link: the finding is shown where the bytes are, b.conf.
    (tmp_path / "b.conf").write_text(FRAGMENT)
    os.symlink("b.conf", tmp_path / "a.conf")
    for args in (["."], ["a.conf", "b.conf"], ["b.conf", "a.conf"], [".", "a.conf"]):
        outcome = run_cli(["--no-cache", *args], tmp_path)
        assert _finding_lines(outcome.stdout) == [
            "b.conf:1:1: PGF101 tcp_keepalives_idle = 0 means the operating system's default (7200 s on Linux); set it to 60"
        ], (args, outcome.stdout)
    # Named alone, the link is the only path to the file: shown as named.
    alone = run_cli(["--no-cache", "a.conf"], tmp_path)
    assert [line.split(":")[0] for line in _finding_lines(alone.stdout)] == ["a.conf"]
    written = run_cli(["--no-cache", "--write", "."], tmp_path)
    assert written.code == 0, (written.stdout, written.stderr)
    assert "Fixed 1 finding in 1 file." in written.stderr + written.stdout
    assert (tmp_path / "b.conf").read_text() == FRAGMENT.replace("= 0", "= 60")
    assert os.readlink(tmp_path / "a.conf") == "b.conf"


def test_hard_links_are_one_file(tmp_path: Path) -> None:
    (tmp_path / "x.conf").write_text(FRAGMENT)
    os.link(tmp_path / "x.conf", tmp_path / "y.conf")
    outcome = run_cli(["--no-cache", "."], tmp_path)
    assert [line.split(":")[0] for line in _finding_lines(outcome.stdout)] == ["x.conf"]
    written = run_cli(["--no-cache", "--write", "y.conf", "x.conf"], tmp_path)
    assert written.code == 0, (written.stdout, written.stderr)
    assert "Fixed 1 finding in 1 file." in written.stderr + written.stdout
    assert (tmp_path / "x.conf").read_text() == (tmp_path / "y.conf").read_text() == FRAGMENT.replace("= 0", "= 60")


@pytest.mark.parametrize(
    "args", [[".", "dead.conf"], ["dead.conf", "."], ["dead.conf", "./dead.conf"], [".", "dead.txt"], ["dead.txt", "."]]
)
def test_a_dangling_symlink_named_and_walked_is_one_error(tmp_path: Path, args: list[str]) -> None:
    # dead.conf is a name the server layer claims, so its reader reports it when walked;
    # dead.txt is claimed by none, so only naming it reports it.
    name = os.path.basename(next(arg for arg in args if arg != "."))
    target = "nowhere" + os.path.splitext(name)[1]
    os.symlink(target, tmp_path / name)
    (tmp_path / "postgresql.conf").write_text(MAIN)  # a file the run does check
    outcome = run_cli(["--no-cache", *args], tmp_path)
    assert outcome.code == 2
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: {name}: dangling symlink: its target {target!r} does not exist"], outcome.stderr
    assert ("Found 3 findings. 1 input error" if "." in args else "1 input error") in outcome.stdout


# -- the result cache ---------------------------------------------------------------------


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(cache_module.ENVIRONMENT_VARIABLE, str(directory))
    return directory


def _both(args: list[str], root: Path) -> tuple[bytes, bytes]:
    """(the cached run's outcome, the uncached run's), as tests/golden.py records them."""
    outcomes = []
    for flags in ([], ["--no-cache"]):
        code, out, err = golden.run_cli([*flags, *args], root)
        outcomes.append(golden._outcome(code, out, err, root))
    return outcomes[0], outcomes[1]


def test_cached_runs_follow_links_coming_and_going(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / "tree"
    (root / "db").mkdir(parents=True)
    (root / "db" / "postgresql.conf").write_text(MAIN)
    (root / "db" / "b.conf").write_text(FRAGMENT)
    seen = []

    def same(args: list[str]) -> bytes:
        cached, uncached = _both(args, root)
        assert cached == uncached, (args, cached, uncached)
        again, _ = _both(args, root)
        assert again == cached
        return cached

    for args in (["."], ["db", "db2"]):
        seen.append(same(args))
    os.symlink("b.conf", root / "db" / "a.conf")  # a link to a file the walk finds anyway
    os.symlink("db", root / "db2")  # and one to the directory
    assert same(["."]) == seen[0]
    linked = same(["db", "db2"])
    assert linked != seen[1] and b"db2/" not in linked
    (root / "db" / "a.conf").unlink()
    (root / "db" / "a.conf").write_text(FRAGMENT)  # the same bytes, now a file of its own
    copied = same(["."])
    assert copied != seen[0] and b"db/a.conf:1:1: PGF101" in copied
    (root / "db" / "a.conf").unlink()
    os.link(root / "db" / "b.conf", root / "db" / "a.conf")  # a hard link: no path is a link, the first is shown
    assert same(["."]) == seen[0].replace(b"db/b.conf", b"db/a.conf")
    (root / "db" / "a.conf").unlink()
    (root / "db2").unlink()
    assert same(["."]) == seen[0]
    assert same(["db", "db2"]) == seen[1]
    assert cache_module.LAST is not None


# -- a file of the check read again by another path: an include, a sysctl.d sibling --------


def _include_tree(root: Path) -> Path:
    """db/postgresql.conf includes extra.conf, a symlink to shared/base.conf (a fragment with
    one value PGF101 flags)."""
    (root / "db").mkdir(parents=True)
    (root / "shared").mkdir()
    (root / "db" / "postgresql.conf").write_text("listen_addresses = '*'\ninclude 'extra.conf'\n")
    (root / "shared" / "base.conf").write_text(FRAGMENT)
    os.symlink("../shared/base.conf", root / "db" / "extra.conf")
    return root


@pytest.mark.parametrize("args", [["."], ["db/postgresql.conf", "shared/base.conf"], ["shared", "db"]])
def test_an_include_through_a_link_to_a_checked_file_is_that_file(tmp_path: Path, args: list[str]) -> None:
    root = _include_tree(tmp_path)
    outcome = run_cli(["--no-cache", *args], root)
    assert _finding_lines(outcome.stdout) == [
        "shared/base.conf:1:1: PGF101 tcp_keepalives_idle = 0 means the operating system's default (7200 s on Linux); set it to 60"
    ], outcome.stdout
    written = run_cli(["--no-cache", "--write", *args], root)
    assert written.code == 0, (written.stdout, written.stderr)
    assert "Fixed 1 finding in 1 file." in written.stderr + written.stdout
    assert (root / "shared" / "base.conf").read_text() == FRAGMENT.replace("= 0", "= 60")
    assert os.readlink(root / "db" / "extra.conf") == "../shared/base.conf"
    again = run_cli(["--no-cache", "--write", *args], root)
    assert again.code == 0 and "Fixed 0 findings in 0 files." in again.stderr + again.stdout


def test_a_sysctl_d_link_is_applied_at_its_own_place_in_the_order(tmp_path: Path) -> None:
    # systemd-sysctl applies sysctl.d files by name: 90-again.conf (a link to 10-base.conf)
    # comes last, so its 60 s wins over 50-slow.conf's 7200 s.
    fragments = tmp_path / "etc" / "sysctl.d"
    fragments.mkdir(parents=True)
    (fragments / "10-base.conf").write_text(
        "net.ipv4.tcp_keepalive_time = 60\nnet.ipv4.tcp_keepalive_intvl = 10\nnet.ipv4.tcp_keepalive_probes = 6\n"
    )
    (fragments / "50-slow.conf").write_text("net.ipv4.tcp_keepalive_time = 7200\n")
    os.symlink("10-base.conf", fragments / "90-again.conf")
    outcome = run_cli(["--no-cache", "."], tmp_path)
    assert outcome.code == 0, (outcome.stdout, outcome.stderr)
    (fragments / "90-again.conf").unlink()
    assert "PGF201" in run_cli(["--no-cache", "."], tmp_path).stdout  # without the link, 7200 s is in force


def test_cached_runs_follow_an_include_link_coming_and_going(tmp_path: Path, cache_dir: Path) -> None:
    """Only postgresql.conf and base.conf are named: extra.conf is read through the include,
    and whether it is base.conf (a symlink, a hard link) or a copy with the same bytes
    changes the report; a cached run must see that."""
    root = _include_tree(tmp_path / "tree")
    args = ["db/postgresql.conf", "shared/base.conf"]
    extra = root / "db" / "extra.conf"

    def same() -> bytes:
        cached, uncached = _both(args, root)
        assert cached == uncached, (cached, uncached)
        assert _both(args, root)[0] == cached
        return cached

    linked = same()
    assert linked.count(b"PGF101") == 1
    extra.unlink()
    extra.write_text(FRAGMENT)
    copied = same()
    assert copied.count(b"PGF101") == 2
    extra.unlink()
    os.link(root / "shared" / "base.conf", extra)
    assert same() == linked
    extra.unlink()
    extra.write_text(FRAGMENT)
    assert same() == copied
    extra.unlink()
    os.symlink("../shared/base.conf", extra)
    assert same() == linked

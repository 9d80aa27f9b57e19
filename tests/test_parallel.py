"""A check split between this process and a forked child gives, byte for byte, what one
process gives: the same findings, errors, diffs and written files, in the same order."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pgconf_fix import run
from pgconf_fix.layers import layer_modules
from pgconf_fix.options import Options
from tests.cli_runner import run_cli, tree

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="module")
def mixed_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fixture's "before" tree and the examples, side by side, plus files that cannot be read."""
    root = tmp_path_factory.mktemp("mixed")
    for before in sorted(FIXTURES.glob("*/*/before")):
        shutil.copytree(before, root / before.parent.parent.name / before.parent.name, symlinks=True)
    shutil.copytree(ROOT / "examples", root / "examples")
    (root / "broken").mkdir()
    (root / "broken" / "postgresql.conf").write_bytes(b"port = \x00\x01")
    (root / "broken" / "engine.py").write_bytes(b"from sqlalchemy import create_engine\ncreate_engine(\n")
    (root / "broken" / "lb.tf").write_bytes(b'resource "aws_lb" "x" {\n  idle_timeout = \n')
    # Files that cannot be read, in several layers and directories: their errors must come in order.
    for name in ("dangling/a/main.tf", "dangling/b/main.tf", "dangling/c/main.tf", "dangling/sysctl.conf", "dangling/d/postgresql.conf"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(root / "nowhere" / name)
    return root


def _alternate(shares: list[run.Share]) -> tuple[list[int], list[int]]:
    """Every other share to the child: layers cut between the two processes."""
    return [i for i in range(len(shares)) if i % 2 == 0], [i for i in range(len(shares)) if i % 2 == 1]


SPLITS = ["planned", "alternate"]


def _split(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    monkeypatch.setattr(run, "FORK_MIN_MS", 0.0)
    monkeypatch.setattr(run, "PIECES", 3)
    if how == "alternate":
        monkeypatch.setattr(run, "halves", _alternate)


def _target(root: Path) -> run.Target:
    os.chdir(root)
    try:
        return run.find_targets(["."], Options(), root)
    finally:
        os.chdir(ROOT)


def test_the_mixed_tree_is_really_split(mixed_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _split(monkeypatch, "planned")
    shares = run.plan_shares(layer_modules(), _target(mixed_tree))
    mine, theirs = run.halves(shares)
    assert mine and theirs
    mine, theirs = _alternate(shares)
    cut = {shares[i].layer.NAME for i in mine} & {shares[i].layer.NAME for i in theirs}
    assert {"python", "client", "network"} <= cut, "the alternate split cuts layers between the processes"
    # Terraform is cut only between directories: a directory is one module.
    network = [share for share in shares if share.layer.NAME == "network"]
    assert len(network) > 1
    for share in network:
        mine_dirs = {path.parent for path, _ in share.files}
        assert not any(mine_dirs & {path.parent for path, _ in other.files} for other in network if other is not share)


def test_halves_weigh_parser_imports() -> None:
    # Many cheap Python files and as many server files: splitting the Python files would import
    # libcst twice, so the Python layer stays whole on one side.
    layers = {layer.NAME: layer for layer in layer_modules()}
    target = run.Target(
        files={
            "server": [(Path(f"/r/s{i}/postgresql.conf"), "") for i in range(400)],
            "python": [(Path(f"/r/p{i}.py"), "") for i in range(200)],
        },
        errors=[],
    )
    shares = run.plan_shares([layers["server"], layers["python"]], target)
    mine, theirs = run.halves(shares)
    sides = [{shares[i].layer.NAME for i in side} for side in (mine, theirs)]
    assert sorted(map(sorted, sides)) == [["python"], ["server"]]
    # A handful of files: no child at all.
    small = run.Target(files={"python": [(Path("/r/a.py"), "")], "server": [(Path("/r/postgresql.conf"), "")]}, errors=[])
    assert run.halves(run.plan_shares([layers["server"], layers["python"]], small))[1] == []


@pytest.mark.parametrize(
    "args",
    [
        ["--exit-zero", "."],
        ["--format", "json", "."],
        ["--format", "sarif", "."],
        ["--diff", "."],
        ["--diff", "--unsafe-fixes", "."],
        ["--show-fixes", "--select", "PGF1,PGF3,PGF5", "."],
    ],
    ids=lambda args: " ".join(args),
)
@pytest.mark.parametrize("how", SPLITS)
def test_split_check_reports_what_one_process_reports(
    mixed_tree: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], how: str
) -> None:
    monkeypatch.setattr(run, "FORK_MIN_MS", float("inf"))
    alone = run_cli(args, mixed_tree)
    _split(monkeypatch, how)
    split = run_cli(args, mixed_tree)
    assert alone.stdout_bytes, "the tree should give something to compare"
    assert alone.stderr.count("dangling symlink") == 5
    assert (split.code, split.stdout_bytes, split.stderr) == (alone.code, alone.stdout_bytes, alone.stderr)


@pytest.mark.parametrize("how", SPLITS)
def test_split_write_writes_what_one_process_writes(
    mixed_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(mixed_tree, one, symlinks=True)
    shutil.copytree(mixed_tree, two, symlinks=True)
    monkeypatch.setattr(run, "FORK_MIN_MS", float("inf"))
    alone = run_cli(["--write", "--unsafe-fixes", "."], one)
    _split(monkeypatch, how)
    split = run_cli(["--write", "--unsafe-fixes", "."], two)
    assert (split.code, split.stdout_bytes, split.stderr) == (alone.code, alone.stdout_bytes, alone.stderr)
    assert tree(two) == tree(one)
    assert tree(one) != tree(mixed_tree)

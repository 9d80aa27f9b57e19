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
    return root


def _split_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "FORK_MIN_MS", 0.0)
    monkeypatch.setattr(run, "PIECES", 3)


def test_the_mixed_tree_is_really_split(mixed_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _split_everything(monkeypatch)
    os.chdir(mixed_tree)
    try:
        target = run.find_targets(["."], Options(), mixed_tree)
    finally:
        os.chdir(ROOT)
    shares = run.plan_shares(layer_modules(), target)
    mine, theirs = run.halves(shares)
    assert mine and theirs
    split_layers = {shares[i].layer.NAME for i in mine} & {shares[i].layer.NAME for i in theirs}
    assert split_layers, "some layer's files should be checked partly here and partly in the child"
    # Terraform is cut only between directories: a directory is one module.
    for share in shares:
        if share.layer.NAME == "network":
            others = [s for s in shares if s.layer.NAME == "network" and s is not share]
            mine_dirs = {path.parent for path, _ in share.files}
            assert not any(mine_dirs & {path.parent for path, _ in other.files} for other in others)


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
def test_split_check_reports_what_one_process_reports(
    mixed_tree: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.setattr(run, "FORK_MIN_MS", float("inf"))
    alone = run_cli(args, mixed_tree)
    _split_everything(monkeypatch)
    split = run_cli(args, mixed_tree)
    assert alone.stdout_bytes, "the tree should give something to compare"
    assert (split.code, split.stdout_bytes, split.stderr) == (alone.code, alone.stdout_bytes, alone.stderr)


def test_split_write_writes_what_one_process_writes(
    mixed_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(mixed_tree, one, symlinks=True)
    shutil.copytree(mixed_tree, two, symlinks=True)
    monkeypatch.setattr(run, "FORK_MIN_MS", float("inf"))
    alone = run_cli(["--write", "--unsafe-fixes", "."], one)
    _split_everything(monkeypatch)
    split = run_cli(["--write", "--unsafe-fixes", "."], two)
    assert (split.code, split.stdout_bytes, split.stderr) == (alone.code, alone.stdout_bytes, alone.stderr)
    assert tree(two) == tree(one)
    assert tree(one) != tree(mixed_tree)

"""Fixture cases: tests/fixtures/<layer>/<case>/{before/, after/, findings.txt, args}.

- ``findings.txt``: the exact finding lines ``pgconf-fix .`` prints in a copy of before/.
- ``after/``: the tree after ``pgconf-fix --write .`` (absent: the tree must not change).
- ``args``: the paths and options to pass, whitespace-separated (default: ``.``).

Each case also checks that --write is idempotent, that --diff applies with
``git apply`` and ``patch -p1`` and gives after/, and that what is left after
--write is exactly the findings that had no safe fix.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli_runner import run_cli, tree

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(path.parent for path in FIXTURES.glob("*/*/before"))


def case_id(case: Path) -> str:
    return f"{case.parent.name}/{case.name}"


def extra_args(case: Path) -> list[str]:
    args = case / "args"
    return args.read_text().split() if args.exists() else ["."]


def expected_findings(case: Path) -> list[str]:
    return [line for line in (case / "findings.txt").read_text().splitlines() if line.strip()]


def copy_before(case: Path, tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(case / "before", work, symlinks=True)
    return work


def expected_after(case: Path) -> dict[str, bytes]:
    return tree(case / "after") if (case / "after").exists() else tree(case / "before")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_findings(case: Path, tmp_path: Path) -> None:
    work = copy_before(case, tmp_path)
    outcome = run_cli([*extra_args(case)], work)
    assert outcome.code in (0, 1), outcome.stderr
    assert _findings(outcome.stdout) == expected_findings(case)
    assert outcome.code == (1 if expected_findings(case) else 0)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_write_and_idempotence(case: Path, tmp_path: Path) -> None:
    work = copy_before(case, tmp_path)
    first = run_cli(["--write", *extra_args(case)], work)
    assert first.code in (0, 1), first.stderr
    assert tree(work) == expected_after(case)
    second = run_cli(["--write", *extra_args(case)], work)
    assert tree(work) == expected_after(case)
    assert "Fixed 0 findings" in second.stderr + second.stdout
    # What is left is exactly what had no safe fix.
    left = _findings(run_cli([*extra_args(case)], work).stdout)
    json_before = _json(case, tmp_path)
    unfixable = {(item["code"], item["path"]) for item in json_before if not _safe(item)}
    assert {(line.split(" ")[1], line.split(":")[0]) for line in left} <= unfixable


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_diff_applies(case: Path, tmp_path: Path) -> None:
    work = copy_before(case, tmp_path)
    outcome = run_cli(["--diff", *extra_args(case)], work)
    changed = expected_after(case) != tree(case / "before")
    assert outcome.code == (1 if changed else 0), outcome.stderr
    assert tree(work) == tree(case / "before"), "--diff must not write"
    if not changed:
        assert outcome.stdout_bytes == b""
        return
    patch_file = tmp_path / "fix.patch"
    patch_file.write_bytes(outcome.stdout_bytes)
    subprocess.run(["git", "apply", "--check", str(patch_file)], cwd=work, check=True)
    subprocess.run(["git", "apply", str(patch_file)], cwd=work, check=True)
    assert tree(work) == expected_after(case)
    other = tmp_path / "other"
    shutil.copytree(case / "before", other, symlinks=True)
    subprocess.run(["patch", "-p1", "-s", "-i", str(patch_file)], cwd=other, check=True)
    assert tree(other) == expected_after(case)


def _findings(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if _is_finding(line)]


def _is_finding(line: str) -> bool:
    parts = line.split(": ", 1)
    return len(parts) == 2 and parts[1][:3] == "PGF" and parts[0].count(":") >= 2


def _json(case: Path, tmp_path: Path) -> list[dict]:
    import json

    work = tmp_path / "json"
    shutil.copytree(case / "before", work, symlinks=True)
    return json.loads(run_cli(["--format", "json", *extra_args(case)], work).stdout)


def _safe(item: dict) -> bool:
    return item["fix"] is not None and item["fix"]["applicability"] == "safe"

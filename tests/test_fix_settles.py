"""A fix's value comes from the parameters its rule judges with, so a fixed file passes that rule.

Every fixture case with fixes is written with ``--write --unsafe-fixes`` under configs whose
idle budget and rule parameters pull the rules' bounds below (or above) their default fix
values; then, for every rule whose findings in a file all carried a fix, that file must have
no finding of the rule left, and no finding left may carry a fix (the fixes settled).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pgconf_fix.catalog import load_catalog
from tests.cli_runner import run_cli
from tests.test_fixtures import CASES, case_id, extra_args

FIXED_CASES = [case for case in CASES if (case / "after").exists()]

# Budgets and parameters that put the default fix values (60, 300, 10, 6, 4000) out of bounds.
CONFIGS = {
    "budget-30": """
idle-budget = 30
[rule.PGF102]
maximum = 5
[rule.PGF103]
maximum = 3
[rule.PGF202]
maximum = 5
[rule.PGF203]
maximum = 3
[rule.PGF301]
minimum = 600
target = 450
[rule.PGF302]
target = 100
""",
    "budget-240": """
idle-budget = 240
[rule.PGF101]
target = 900
[rule.PGF201]
target = 900
[rule.PGF401]
keepalives_idle = 1200
[rule.PGF502]
target = 3600
[rule.PGF301]
target = 9000
""",
    "budget-59": "idle-budget = 59\n",
    "budget-20": "idle-budget = 20\n",
}


def _json(args: list[str], cwd: Path) -> list[dict]:
    outcome = run_cli(["--format", "json", *args], cwd)
    assert outcome.code in (0, 1), outcome.stderr
    return json.loads(outcome.stdout)


def _fully_fixable(findings: list[dict]) -> set[tuple[str, str]]:
    """(code, path) pairs where every finding of the rule in the file has a fix."""
    pairs: dict[tuple[str, str], bool] = {}
    for item in findings:
        key = (item["code"], item["path"])
        pairs[key] = pairs.get(key, True) and item["fix"] is not None
    return {key for key, fixable in pairs.items() if fixable}


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("case", FIXED_CASES, ids=case_id)
def test_a_fixed_file_passes_the_rule_that_fixed_it(case: Path, config: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(case / "before", work, symlinks=True)
    config_file = tmp_path / "pgconf-fix.toml"
    config_file.write_text(CONFIGS[config])
    args = ["--config", str(config_file), *extra_args(case)]
    before = _json(args, work)
    written = run_cli(["--write", "--unsafe-fixes", *args], work)
    assert written.code in (0, 1), written.stderr
    after = _json(args, work)
    left = {(item["code"], item["path"]) for item in after}
    assert not (_fully_fixable(before) & left), [item["message"] for item in after]
    assert [item for item in after if item["fix"] is not None] == []


def test_the_cases_fix_every_rule_that_has_a_fix(tmp_path: Path) -> None:
    """The test above covers every rule with a fix: each such rule is fixed in some case."""
    with_fix = {
        rule.code for rule in load_catalog(()).values() if not rule.fix_safety.strip().startswith("No fix")
    }
    seen: set[str] = set()
    for index, case in enumerate(FIXED_CASES):
        work = tmp_path / str(index)
        shutil.copytree(case / "before", work, symlinks=True)
        seen |= {item["code"] for item in _json(["--unsafe-fixes", *extra_args(case)], work) if item["fix"]}
    assert with_fix - seen == set()

"""CloudFormation RDS parameter groups (pgconf_fix.views.cloudformation): what is read, what is
left alone, and the fixtures' templates, before and after --write, held to cfn-lint (AWS's
linter of templates against the resource schemas; CloudFormation itself does not run here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

FIXTURES = Path(__file__).parent / "fixtures/yaml"
CASES = ["cloudformation-rds-parameter-group", "cloudformation-rds-parameter-group-insert"]


@pytest.mark.parametrize("tree", ["before", "after"])
@pytest.mark.parametrize("case", CASES)
def test_cfn_lint_accepts_the_templates(case: str, tree: str) -> None:
    pytest.importorskip("cfnlint")
    (template,) = (FIXTURES / case / tree).glob("*.yaml")
    lint = "import sys; from cfnlint.runner import main; sys.exit(main())"  # the cfn-lint command
    done = subprocess.run([sys.executable, "-c", lint, str(template)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _found(tmp_path: Path, group: str, *args: str) -> list[dict]:
    (tmp_path / "template.yaml").write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\nParameters:\n  Idle:\n    Type: String\nResources:\n'
        f"  Group:\n    Type: AWS::RDS::DBParameterGroup\n    Properties:\n      Description: x\n{group}"
    )
    return json.loads(run_cli(["--no-cache", "--format", "json", *args, "."], tmp_path).stdout)


def test_a_value_from_an_intrinsic_function_is_not_judged(tmp_path: Path) -> None:
    found = _found(tmp_path, "      Family: postgres16\n      Parameters:\n        tcp_keepalives_idle: !Ref Idle\n",
                   "--idle-budget", "240")
    assert found == []  # not "above the budget", nor "not set" with RDS's default


def test_an_aurora_groups_missing_settings_are_not_judged(tmp_path: Path) -> None:
    found = _found(tmp_path, "      Family: aurora-postgresql16\n      Parameters:\n        log_connections: '1'\n",
                   "--idle-budget", "60")
    assert found == []


def test_another_engines_group_is_not_read(tmp_path: Path) -> None:
    found = _found(tmp_path, "      Family: mysql8.0\n      Parameters:\n        tcp_keepalives_idle: '7200'\n")
    assert found == []


def test_the_family_gives_the_major(tmp_path: Path) -> None:
    found = _found(tmp_path, "      Family: postgres11\n      Parameters:\n        tcp_user_timeout: '10000'\n")
    assert [(item["code"], item["line"]) for item in found] == [("PGF001", 12)], found
    assert "is not a parameter of PostgreSQL 11" in found[0]["message"]

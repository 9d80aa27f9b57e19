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
CASES = ["cloudformation-rds-parameter-group", "cloudformation-rds-parameter-group-insert", "cloudformation-json-template"]


@pytest.mark.parametrize("tree", ["before", "after"])
@pytest.mark.parametrize("case", CASES)
def test_cfn_lint_accepts_the_templates(case: str, tree: str) -> None:
    pytest.importorskip("cfnlint")
    templates = sorted((FIXTURES / case / tree).glob("*.yaml")) + sorted((FIXTURES / case / tree).glob("*.json"))
    assert templates
    lint = "import sys; from cfnlint.runner import main; sys.exit(main())"  # the cfn-lint command
    for template in templates:
        done = subprocess.run([sys.executable, "-c", lint, str(template)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        if template.suffix == ".json":
            json.loads(template.read_text())  # and JSON's own parser, as CloudFormation reads a JSON template


def test_cfn_lint_reads_the_parameters_the_json_view_reads() -> None:
    """cfn-lint's own decoder (YAML first, then JSON: how it reads a tab-indented template) gives
    the values the view reads in the JSON fixture's templates."""
    pytest.importorskip("cfnlint")
    from cfnlint.decode import decode

    from pgconf_fix.views.yaml_config import yaml_views
    from pgconf_fix.workspace import Workspace

    before = FIXTURES / "cloudformation-json-template" / "before"
    workspace = Workspace(before)
    for template in sorted(before.glob("*.json")):
        decoded, matches = decode(str(template))
        assert not matches
        views, parsed = yaml_views(workspace, workspace.load(template))
        assert not parsed.problems
        read = {view.what: view.effective("tcp_keepalives_idle") for view in views if hasattr(view, "what")}
        for name, resource in decoded["Resources"].items():
            written = resource["Properties"].get("Parameters", {}).get("tcp_keepalives_idle")
            (label,) = [label for label in read if f" {name}'s " in label]
            seen = read[label]
            assert (seen.value if seen is not None else None) == (None if written is None else str(written)), name


def test_a_json_template_neither_json_nor_yaml_is_pgf001(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text('{\n  "Resources": {\n    "G": {"Type": "AWS::RDS::DBParameterGroup",,\n  }\n}\n')
    found = json.loads(run_cli(["--no-cache", "--format", "json", "."], tmp_path).stdout)
    assert [(item["code"], item["line"]) for item in found] == [("PGF001", 3)]
    assert found[0]["message"].startswith("not valid JSON: ")


def test_a_json_file_without_a_template_is_not_judged(tmp_path: Path) -> None:
    """A policy naming the resource type is JSON of another kind: nothing to judge, nothing refused."""
    (tmp_path / "policy.json").write_text(
        '{"Statement": [{"Effect": "Allow", "Action": "rds:ModifyDBParameterGroup",'
        ' "Condition": {"StringEquals": {"aws:ResourceTag/kind": "AWS::RDS::DBParameterGroup"}}}]}\n'
    )
    assert json.loads(run_cli(["--no-cache", "--format", "json", "."], tmp_path).stdout) == []


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

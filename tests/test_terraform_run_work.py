"""Work a Terraform run no longer does (issue 18, twelfth pass): the check groups of layers no
selected rule is of are not imported, terraform is looked up once a PATH, and a text without
references is not searched for them. Each test counts work (modules imported, look-ups),
never a clock, and checks what the user sees."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pgconf_fix import verify as verify_module
from pgconf_fix.verify import formats
from tests.cli_runner import run_cli

TERRAFORM = shutil.which("terraform")


def _tree(root: Path, files: int = 5) -> None:
    """Files holding an ALB without idle_timeout (PGF301, a safe fix each), fmt-clean."""
    for index in range(files):
        path = root / f"m{index % 2}" / f"lb{index}.tf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'resource "aws_lb" "lb{index}" {{\n  name = "lb-{index}"\n}}\n')


def _forget() -> None:
    formats._FORMATTED.clear()
    verify_module._CACHE.clear()


_IMPORTED = """
import sys
from pgconf_fix.cli import main
code = main(sys.argv[1:])
groups = sorted(name.rsplit(".", 1)[1] for name in sys.modules if name.endswith("_checks"))
print("checks:", " ".join(groups))
"""


@pytest.mark.parametrize(
    ("case", "select", "groups", "found"),
    [
        ("rds-parameter-groups", "PGF301", "network_checks", None),
        ("rds-parameter-groups", "PGF104", "server_checks", "PGF104"),
        ("connection-strings-in-strings", "PGF401", "client_checks", "PGF401"),
        ("connection-strings-in-strings", "PGF3,PGF401", "client_checks network_checks", "PGF401"),
    ],
)
def test_a_terraform_run_registers_the_checks_of_the_selected_rules_only(
    tmp_path: Path, case: str, select: str, groups: str, found: str | None
) -> None:
    # The Terraform reader imports the check groups of the layers a selected rule is of (a run
    # of PGF301 alone no longer imports the client and server checks); a selected server or
    # client rule of the views it builds (a parameter group, a connection string in a string)
    # still has its check, and finds what it found. In a process of its own: this one has
    # imported every group already.
    import os
    import subprocess
    import sys

    repository = Path(__file__).resolve().parent.parent
    shutil.copytree(repository / "tests" / "fixtures" / "terraform" / case / "before", tmp_path / "tree")
    environment = dict(os.environ, PYTHONPATH=str(repository))
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTED, "--no-cache", "--exit-zero", "--select", select, "."],
        cwd=tmp_path / "tree", env=environment, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"checks: {groups}", done.stdout
    if found is not None:
        assert f" {found} " in done.stdout, done.stdout


def test_terraform_is_looked_up_once_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without terraform on PATH nothing remembers an fmt verdict, so every text the patcher
    # judged searched the PATH again: once a PATH now, and a new PATH is searched anew.
    import os
    import shutil as shutil_module

    _tree(tmp_path)
    asked: list[str | None] = []
    which = shutil_module.which

    def counted(name: str, mode: int = os.F_OK | os.X_OK, path: str | None = None) -> str | None:
        if name == "terraform":
            asked.append(path)
        return which(name, mode, path)

    monkeypatch.setattr(shutil_module, "which", counted)
    without = os.pathsep.join(part for part in os.environ["PATH"].split(os.pathsep)
                              if not (Path(part) / "terraform").exists())
    monkeypatch.setenv("PATH", without)
    formats._terraform.cache_clear()
    _forget()
    outcome = run_cli(["--no-cache", "--select", "PGF301", "."], tmp_path)
    assert "5 fixable" in outcome.stdout, outcome.stdout
    assert asked == [without]
    if TERRAFORM is not None:
        monkeypatch.setenv("PATH", f"{Path(TERRAFORM).parent}{os.pathsep}{without}")
        _forget()
        assert "5 fixable" in run_cli(["--no-cache", "--select", "PGF301", "."], tmp_path).stdout
        assert len(asked) == 2
    formats._terraform.cache_clear()
    _forget()


@pytest.mark.parametrize("reference", ["local.lb_idle", "var.lb_idle"])
def test_a_value_read_again_in_a_file_with_one_kind_of_reference_makes_the_fix_unsafe(
    tmp_path: Path, reference: str
) -> None:
    # A module's references are counted in the texts holding "var." or "local." only; a file
    # holding just the one kind still counts: the value an ALB's fix would write is read again
    # there (a target group), so the fix is unsafe and says so.
    root = reference.split(".")[0]
    declared = 'locals {\n  lb_idle = 60\n}\n' if root == "local" else 'variable "lb_idle" {\n  default = 60\n}\n'
    (tmp_path / "main.tf").write_text(
        f'{declared}\nresource "aws_lb" "a" {{\n  name         = "a"\n  idle_timeout = {reference}\n}}\n'
    )
    (tmp_path / "group.tf").write_text(
        f'resource "aws_lb_target_group" "t" {{\n  deregistration_delay = {reference}\n}}\n'
    )
    (tmp_path / "bucket.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n')
    outcome = run_cli(["--no-cache", "--format", "json", "--select", "PGF301", "."], tmp_path)
    import json

    fixes = [finding["fix"] for finding in json.loads(outcome.stdout)]
    assert len(fixes) == 1 and fixes[0]["applicability"] == "unsafe", fixes
    assert fixes[0]["message"].endswith(f"(at {reference}, which the module reads 2 times)"), fixes

"""The boxes on a database connection's path (PGF303-PGF308) and the idle budget they teach.

Fixture cases live in tests/fixtures/path/ (budget learned across files) and
tests/fixtures/terraform/middlebox-values/. Here: what the fixture harness cannot say:
edits are ``terraform fmt``-stable (the real terraform, where installed), the budget
registry takes new sources, and ``--explain`` tells how the budget was found.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgconf_fix import budget
from pgconf_fix.budget import Budget, IdleTimer, budget_source, learn
from pgconf_fix.workspace import Workspace
from tests.cli_runner import run_cli

FIXTURES = Path(__file__).parent / "fixtures"
TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(
    TERRAFORM is None, reason="terraform is not installed (.ci/run installs it where it can)"
)


def terraform_fmt_check(directory: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``terraform fmt -check -recursive`` on a directory, without the user's CLI config."""
    config = tmp_path / "terraformrc"
    config.write_text("")
    return subprocess.run(
        [TERRAFORM or "terraform", "fmt", "-check", "-recursive", "-diff", str(directory)],
        capture_output=True,
        text=True,
        env={"TF_CLI_CONFIG_FILE": str(config), "PATH": "/usr/bin:/bin"},
    )


def patched_trees() -> Iterator[Path]:
    """after/ trees with .tf files outside tests/fixtures/terraform (whose own test covers it)."""
    for case in sorted(FIXTURES.glob("*/*")):
        if case.parent.name != "terraform" and any((case / "after").rglob("*.tf")):
            yield case / "after"


@needs_terraform
@pytest.mark.parametrize("tree", list(patched_trees()), ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_patched_terraform_is_fmt_clean(tree: Path, tmp_path: Path) -> None:
    before = tree.parent / "before"
    assert terraform_fmt_check(before, tmp_path).returncode == 0, "fixture inputs are fmt-clean"
    result = terraform_fmt_check(tree, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_terraform
def test_unsafe_box_fixes_are_fmt_stable_and_parse(tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(FIXTURES / "terraform" / "middlebox-values" / "before", work)
    assert terraform_fmt_check(work, tmp_path).returncode == 0
    first = run_cli(["--write", "--unsafe-fixes", "."], work)
    assert "Fixed 5 findings" in first.stderr + first.stdout
    text = (work / "main.tf").read_text()
    assert "  floating_ip_enabled = false\n  tcp_reset_enabled   = true\n" in text
    assert "  enable_tcp_reset        = true\n" in text
    assert "default = 6000" in text and "idle_client_timeout = 1\n" in text
    result = terraform_fmt_check(work, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    left = run_cli(["."], work).stdout
    # What the cloud would refuse is gone; the TLS listener and Cloud NAT have no fix.
    assert [line.split(" ")[1] for line in left.splitlines() if ": PGF" in line] == ["PGF303", "PGF308"]


def test_a_new_budget_source_plugs_in(tmp_path: Path) -> None:
    """A source registered with @budget_source (how compose/Swarm's IPVS joins) is asked,
    and the shortest timer of the kind keepalives reset sets the keepalive budget."""

    @budget_source("test-ipvs")
    def ipvs(workspace: Workspace, files: budget.Files) -> Iterator[IdleTimer]:
        yield IdleTimer(900, "Swarm IPVS", "stack.yml:3")
        yield IdleTimer(100, "a proxy that counts queries", "proxy.yml:1", keepalives_reset=False)

    try:
        learned = learn(Workspace(tmp_path), {})
    finally:
        del budget._SOURCES["test-ipvs"]
    assert learned.keepalive == Budget(900, "Swarm IPVS at stack.yml:3", learned=True)
    assert learned.recycle == Budget(100, "a proxy that counts queries at proxy.yml:1", learned=True)
    assert learn(Workspace(tmp_path), {}).keepalive == Budget(300)


def test_explain_says_how_the_budget_was_found(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "path" / "nlb-listener-budget-cross-file" / "before", tmp_path / "work")
    outcome = run_cli(["--explain", "PGF101", "."], tmp_path / "work")
    assert outcome.code == 0
    assert "Idle budget" in outcome.stdout
    assert "keepalive budget: 120 s: NLB listener aws_lb_listener.pg at infra/nlb.tf:8" in outcome.stdout
    given = run_cli(["--explain", "PGF502", "--idle-budget", "45", "."], tmp_path / "work")
    assert "recycle budget:   45 s: --idle-budget" in given.stdout
    plain = run_cli(["--explain", "PGF104"], tmp_path / "work")
    assert "Idle budget" not in plain.stdout


def test_config_budget_is_named_in_messages(tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(FIXTURES / "path" / "nlb-listener-budget-cross-file" / "before", work)
    (work / ".pgconf-fix.toml").write_text("idle-budget = 250\n")
    out = run_cli(["."], work).stdout
    assert "tcp_keepalives_idle = 300 is above the idle budget (250 s: idle-budget in .pgconf-fix.toml)" in out
    assert "PGF401" not in out  # 200 fits the given 250: the listener's 120 s is overridden

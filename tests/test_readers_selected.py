"""No work for readers none of whose rules is selected (issue 18, item 4).

Readers and rule layers are not one to one (docs/ARCHITECTURE.md, "Words"): each reader says
which layers its views have (``LAYERS``); these tests hold every fixture's views to that, count
the claims (sniffs) and view builds each reader is asked for under --select, and compare the
findings with and without the pruning on every fixture case at once.
"""

from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from pgconf_fix import layers, run
from pgconf_fix.budget import READERS
from tests.cli_runner import run_cli

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent / "examples"


def _merged(into: Path) -> Path:
    root = into / "merged"
    for before in sorted(FIXTURES.glob("*/*/before")):
        shutil.copytree(before, root / f"{before.parent.parent.name}-{before.parent.name}", symlinks=True)
    shutil.copytree(EXAMPLES, root / "examples", symlinks=True)
    return root


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _merged(tmp_path_factory.mktemp("readers"))


def _record(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, object]]:
    """Per reader: the names it was asked to claim and the files it was asked to build views of,
    and the layers of the views it built."""
    seen: dict[str, dict[str, object]] = {}
    for module in layers.layer_modules():
        mine = seen.setdefault(module.NAME, {"claimed": [], "built": [], "layers": set()})
        claim, build = module.claim, module.build_views

        def claimed(path, head, claim=claim, mine=mine):  # noqa: ANN001, ANN202
            mine["claimed"].append(path.name)
            return claim(path, head)

        def built(workspace, sources, options, build=build, mine=mine):  # noqa: ANN001, ANN202
            built = build(workspace, sources, options)
            mine["built"].extend(source.path.name for source in sources)
            mine["layers"].update(view.layer for view in built.views)
            return built

        monkeypatch.setattr(module, "claim", claimed)
        monkeypatch.setattr(module, "build_views", built)
    return seen


def test_every_view_has_a_layer_its_reader_names(merged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _record(monkeypatch)
    run_cli(["--exit-zero", "--format", "json", "."], merged)
    for module in layers.layer_modules():
        built = seen[module.NAME]["layers"]
        assert built, f"no fixture has a view of the {module.NAME} reader"
        assert built <= set(module.LAYERS), (module.NAME, built, module.LAYERS)


def _tree(root: Path) -> Path:
    root.mkdir()
    (root / "postgresql.conf").write_text("tcp_keepalives_idle = 0\n")
    (root / "sysctl.conf").write_text("net.ipv4.tcp_keepalive_time = 7200\n")
    (root / "db.py").write_text('from sqlalchemy import create_engine\nengine = create_engine("postgresql://db.internal/app")\n')
    (root / "app.env").write_text("DATABASE_URL=postgresql://db.internal/app\n")
    (root / "lb.tf").write_text('resource "aws_lb" "db" {\n  load_balancer_type = "application"\n}\n')
    return root


def test_a_reader_of_no_selected_rule_is_neither_sniffed_nor_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path / "tree")
    seen = _record(monkeypatch)
    outcome = run_cli(["--select", "PGF301", "--idle-budget", "300", "--format", "json", "."], root)
    assert {finding["code"] for finding in json.loads(outcome.stdout)} == {"PGF301"}
    assert seen["network"]["built"] == ["lb.tf"]
    for name in ("server", "kernel", "python", "sql", "pgbouncer", "yaml", "dockerfile", "client"):
        assert seen[name]["claimed"] == [] and seen[name]["built"] == [], (name, seen[name])


def test_the_idle_budget_keeps_its_readers_sniffed_but_not_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--select PGF101 (server) with the budget learned: the budget's readers' files are found,
    none of them is parsed but Terraform's (it builds server-layer views of parameter groups); the kernel is asked about sysctl.conf only to keep it from the client
    reader, which comes after it and would otherwise take it."""
    root = _tree(tmp_path / "tree")
    seen = _record(monkeypatch)
    run_cli(["--select", "PGF101", "--format", "json", "."], root)
    assert seen["server"]["built"] == ["postgresql.conf"]
    assert "db.py" in seen["python"]["claimed"] and seen["python"]["built"] == []
    assert seen["kernel"]["claimed"] == ["sysctl.conf"] and seen["kernel"]["built"] == []
    for name in ("sql", "pgbouncer", "yaml", "dockerfile"):
        assert seen[name]["claimed"] == [] and seen[name]["built"] == [], (name, seen[name])
    assert seen["client"]["built"] == [], seen["client"]
    assert seen["network"]["built"] == ["lb.tf"]  # server settings live in cloud resources too
    assert set(READERS) == {"network", "client", "python", "yaml"}


def _json(root: Path, args: list[str]) -> tuple[int, bytes, str]:
    outcome = run_cli([*args, "--format", "json", "."], root)
    return outcome.code, outcome.stdout_bytes, outcome.stderr


@pytest.mark.parametrize("selection", [["--select", "PGF301"], ["--select", "PGF5"], ["--select", "PGF401,PGF602"],
                                       ["--select", "PGF2", "--idle-budget", "120"]])
def test_pruned_readers_change_no_finding(merged: Path, monkeypatch: pytest.MonkeyPatch, selection: list[str]) -> None:
    pruned = _json(merged, selection)
    everything = frozenset(module.NAME for module in layers.layer_modules())
    monkeypatch.setattr(run, "readers_needed", lambda options, rules=None: (everything, everything))
    whole = _json(merged, selection)
    assert json.loads(pruned[1]), "the selection finds nothing in the fixtures: a weak comparison"
    assert pruned == whole

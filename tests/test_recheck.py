"""--write re-checks only what its fixes changed (issue 18, item 2).

Two things are asserted, neither by timing:

- **the same answers**: every fixture case's ``before/`` tree, merged into one tree (so
  postgresql.conf trees with includes, Terraform modules whose boxes set the idle budget,
  sysctl.d sets, Airflow's connect_args modules and Python files share one run), gives the
  same report, the same written bytes and the same second run whether each re-check reuses
  the last check's untouched reader groups or checks everything again from disk, as before;
- **less work**: the files handed to the readers to parse, counted through the readers'
  ``build_views``: the first check parses every file once; a re-check parses only the groups
  holding a file whose text changed; the check of what ``--write`` wrote parses nothing when
  the last in-memory re-check saw the same texts; a plain check parses each file once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pgconf_fix import cli, layers
from tests.cli_runner import run_cli, tree

FIXTURES = Path(__file__).parent / "fixtures"


def _merged(into: Path) -> Path:
    """Every fixture case's before/ tree under one root, as <layer>-<case>/."""
    root = into / "merged"
    for before in sorted(FIXTURES.glob("*/*/before")):
        shutil.copytree(before, root / f"{before.parent.parent.name}-{before.parent.name}", symlinks=True)
    return root


def _from_scratch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every check as before: nothing kept from the last one, written files read from disk."""
    original = cli.Run.check

    def check(self, overrides=None):  # noqa: ANN001, ANN202
        self._memo = None
        return original(self, overrides)

    monkeypatch.setattr(cli.Run, "check", check)
    monkeypatch.setattr(cli.Run, "wrote", lambda self, texts: None)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Per check, the paths of the files handed to the readers (``build_views``)."""
    checks: list[list[str]] = []
    original_check = cli.Run.check

    def check(self, overrides=None):  # noqa: ANN001, ANN202
        checks.append([])
        return original_check(self, overrides)

    monkeypatch.setattr(cli.Run, "check", check)
    for module in layers.layer_modules():
        build = module.build_views

        def counted(workspace, sources, options, build=build):  # noqa: ANN001, ANN202
            checks[-1].extend(str(source.path) for source in sources)
            return build(workspace, sources, options)

        monkeypatch.setattr(module, "build_views", counted)
    return checks


def test_reused_groups_give_the_answers_of_a_whole_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Text: the report counts what --unsafe-fixes would fix, re-checking the written tree again.
    flags = ["--write", "--unsafe-fixes"]
    results = {}
    for mode in ("reused", "from scratch"):
        root = _merged(tmp_path / mode.replace(" ", "-"))
        with monkeypatch.context() as patch:
            if mode == "from scratch":
                _from_scratch(patch)
            first = run_cli(flags, root)
            second = run_cli(flags, root)
        results[mode] = (first.code, first.stdout, first.stderr, tree(root), second.code, second.stdout, second.stderr)
    reused, scratch = results["reused"], results["from scratch"]
    assert "Fixed" in reused[1] + reused[2] and reused[3]  # the merged tree has fixes to write
    assert reused[:3] == scratch[:3]
    assert reused[3] == scratch[3]
    assert reused[4:] == scratch[4:]


def _python_tree(root: Path, fixable: int, clean: int) -> list[str]:
    """``fixable`` modules whose engine lacks pool_pre_ping (a safe fix), ``clean`` ones with it."""
    root.mkdir()
    names = []
    for index in range(fixable):
        name = f"broken_{index}.py"
        (root / name).write_text(
            f'from sqlalchemy import create_engine\n\nengine = create_engine("postgresql://db-{index}.internal/app")\n'
        )
        names.append(name)
    for index in range(clean):
        (root / f"fine_{index}.py").write_text(
            "from sqlalchemy import create_engine\n\n"
            f'engine = create_engine("postgresql://db-{index}.internal/app?keepalives=1&keepalives_idle=60'
            '&keepalives_interval=10&keepalives_count=6", pool_pre_ping=True, pool_recycle=240)\n'
        )
    return names


def test_write_parses_only_the_changed_files_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "app"
    broken = _python_tree(root, fixable=3, clean=30)
    checks = _counting(monkeypatch)
    outcome = run_cli(["--write", "--format", "json", "."], root)
    assert "Fixed" in outcome.stderr, outcome.stderr
    written = {str(Path(name)) for name in broken}
    assert {Path(path).name for path in checks[0]} == {p.name for p in root.iterdir()}  # first check: everything
    assert len(checks[0]) == 33
    later = checks[1:]
    assert later, "no re-check after the fixes"
    for paths in later:
        assert {Path(path).name for path in paths} <= written, paths  # only what a fix changed
    assert later[-1] == [], "the check of what was written parsed files again"
    assert sum(len(paths) for paths in later) <= 2 * len(written)


def test_a_plain_check_parses_each_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "app"
    _python_tree(root, fixable=3, clean=5)
    checks = _counting(monkeypatch)
    run_cli(["--format", "json", "."], root)
    assert len(checks) == 1 and sorted(checks[0]) == sorted({*checks[0]}) and len(checks[0]) == 8


def test_a_fix_in_an_included_fragment_rechecks_its_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fragment a postgresql.conf includes is re-checked with the tree that includes it (its
    findings depend on the main file), and no other tree is."""
    root = tmp_path / "servers"
    for name in ("a", "b"):
        conf_d = root / name / "conf.d"
        conf_d.mkdir(parents=True)
        (root / name / "postgresql.conf").write_text("include_dir = 'conf.d'\nmax_connections = 100\n")
        (conf_d / "10-keepalives.conf").write_text("tcp_keepalives_idle = 0\n")
    (root / "a" / "conf.d" / "10-keepalives.conf").write_text("tcp_keepalives_idle = 60\ntcp_keepalives_interval = 10\ntcp_keepalives_count = 6\n")
    checks = _counting(monkeypatch)
    outcome = run_cli(["--write", "--unsafe-fixes", "--format", "json", "."], root)
    assert "Fixed" in outcome.stderr, outcome.stderr
    assert len(checks[0]) == 4
    for paths in checks[1:]:
        assert all(Path(path).relative_to(root).parts[0] == "b" for path in paths), paths
    assert any(paths for paths in checks[1:]), "the fixed tree was not re-checked"


def test_counting_fixable_parses_no_text_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The text report counts "[*] N fixable" with the patcher twice: safe fixes, then with the
    # unsafe ones too, both from the same files. A module whose fixes are all safe comes out of
    # both with the same text; its re-check is recalled, not parsed again (run.CheckMemo.built).
    root = tmp_path / "app"
    _python_tree(root, fixable=3, clean=2)
    (root / "tls.py").write_text(  # PGF404's sslmode fix is unsafe: this one differs between the runs
        'from sqlalchemy import create_engine\n\nengine = create_engine("postgresql://db.example.com/app", '
        "pool_pre_ping=True, pool_recycle=240)\n"
    )
    seen: list[tuple[str, str]] = []
    for module in layers.layer_modules():
        build = module.build_views

        def counted(workspace, sources, options, build=build):  # noqa: ANN001, ANN202
            seen.extend((str(source.path), source.text) for source in sources)
            return build(workspace, sources, options)

        monkeypatch.setattr(module, "build_views", counted)
    outcome = run_cli(["."], root)
    assert "fixable with --write" in outcome.stdout and "more with --unsafe-fixes" in outcome.stdout, outcome.stdout
    assert len(seen) == len(set(seen)), sorted(path for path, _ in seen)
    for index in range(3):  # re-checked after its fixes, each text once for both runs
        assert sum(1 for path, _ in seen if path.endswith(f"broken_{index}.py")) >= 2

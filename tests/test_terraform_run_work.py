"""Work a Terraform run no longer does, or does beside terraform (issue 18, twelfth pass).

terraform fmt begun early: the patcher's proof of a round's .tf fixes starts when the first
check's findings are known, in terraform's own process, while this one vets the fixes and
re-checks the round's likely texts. What is shown must not change: the same report, terraform
started once, and a round whose texts are not the likely ones (a fix terraform fmt refuses)
re-checked with its own texts; a file's edits are applied once for the begin, the vetting and
the round (thirteenth pass); no exit handler or directory is left, and a batch nobody waited
for is stopped as the command ends. The check groups of unselected layers are not imported,
terraform is looked up once a PATH, and a text without references is not searched for them.
Each test counts work (batches started, re-checks asked, look-ups, modules imported), never a
clock, and checks what the user sees."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pgconf_fix import patcher
from pgconf_fix import verify as verify_module
from pgconf_fix.findings import SAFE, Edit, Finding, Fix, Location
from pgconf_fix.source import SourceFile
from pgconf_fix.verify import formats
from tests.cli_runner import run_cli

TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH")


def _tree(root: Path, files: int = 5) -> None:
    """Files holding an ALB without idle_timeout (PGF301, a safe fix each), fmt-clean."""
    for index in range(files):
        path = root / f"m{index % 2}" / f"lb{index}.tf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'resource "aws_lb" "lb{index}" {{\n  name = "lb-{index}"\n}}\n')


def _forget() -> None:
    formats._FORMATTED.clear()
    verify_module._CACHE.clear()


@needs_terraform
@pytest.mark.parametrize("args", [[], ["--diff"], ["--format", "json"]])
def test_terraform_starts_once_before_the_vetting_and_the_report_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    # A text report (it counts fixable findings) and --diff begin terraform on the round's texts
    # before the fixes are vetted, once; the JSON report (no patcher) starts none. Whatever the
    # order, the output is what it is without beginning early.
    _tree(tmp_path)
    command = ["--no-cache", "--select", "PGF301", *args, "."]
    _forget()
    monkeypatch.setattr(patcher, "begin_trials", lambda trials: False)
    plain = run_cli(command, tmp_path)
    monkeypatch.undo()
    events: list[str] = []
    started = formats._Batch.__init__

    def batch(self: formats._Batch, program: str, texts: list[str]) -> None:
        events.append(f"terraform {len(texts)}")
        started(self, program, texts)

    vet = verify_module.vet_fixes

    def vetting(findings: list[Finding], **options: object) -> list[Finding]:
        events.append("vet")
        return vet(findings, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(formats._Batch, "__init__", batch)
    monkeypatch.setattr(verify_module, "vet_fixes", vetting)
    _forget()
    early = run_cli(command, tmp_path)
    assert (early.code, early.stdout, early.stderr) == (plain.code, plain.stdout, plain.stderr)
    if args == ["--format", "json"]:
        assert events == ["vet"]
    else:
        assert events == ["terraform 5", "vet"]
        assert "5 fixable" in early.stdout or "Would fix 5 findings" in early.stderr
    _forget()


@dataclass
class _Checked:
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)


def _finding(path: Path, old: str, new: str) -> Finding:
    """A PGF301-like finding whose safe fix turns ``old`` (the file's text) into ``new``."""
    source = SourceFile.from_bytes(path, path.name, old.encode())
    edit = Edit(source, 0, len(old), new)
    return Finding("PGF301", "alb-idle-timeout", "error", "idle_timeout is not set", Location(source, 0, 1), "",
                   Fix(SAFE, "Set idle_timeout = 4000", (edit,)))


@needs_terraform
@pytest.mark.parametrize("refused", [False, True])
def test_the_early_recheck_stands_only_for_the_round_it_checked(tmp_path: Path, refused: bool) -> None:
    # The round re-checks the texts it will have when every fix is kept while terraform works on
    # them; when terraform fmt refuses a fix (its edit is not laid out as fmt lays it out, the
    # original was), the round's texts are others, and they are re-checked themselves.
    old = 'resource "aws_lb" "a" {\n  name = "a"\n}\n'
    clean = 'resource "aws_lb" "a" {\n  name         = "a"\n  idle_timeout = 4000\n}\n'
    misaligned = 'resource "aws_lb" "a" {\n  name = "a"\n  idle_timeout = 4000\n}\n'
    findings = [
        _finding(tmp_path / "a.tf", old, clean),
        _finding(tmp_path / "b.tf", old.replace('"a"', '"b"'), clean.replace('"a"', '"b"')),
        _finding(tmp_path / "c.tf", old.replace('"a"', '"c"'), (misaligned if refused else clean).replace('"a"', '"c"')),
    ]
    asked: list[dict[Path, str]] = []

    def recheck(texts: dict[Path, str]) -> _Checked:
        asked.append(dict(texts))
        return _Checked()

    _forget()
    outcome = patcher.fix_until_stable(findings, False, recheck)
    kept = {path.name for path in outcome.texts}
    assert kept == ({"a.tf", "b.tf"} if refused else {"a.tf", "b.tf", "c.tf"})
    assert [finding.location.source.path.name for finding in outcome.applied] == sorted(kept)
    likely = {finding.fix.edits[0].source.path: finding.fix.edits[0].content for finding in findings}  # type: ignore[union-attr]
    # The likely texts first; a second re-check, of the round's own texts, only when they differ.
    assert asked == ([likely, outcome.texts] if refused else [likely])
    _forget()


@needs_terraform
@pytest.mark.parametrize("args", [[], ["--diff"]])
def test_a_files_fixes_are_applied_once_for_the_begin_the_vetting_and_the_round(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    # The texts begin_round makes when the findings are known are the vetting's (a file's
    # fixes together) and the first round's: each file's edits are applied once, not three
    # times, and what is shown is the same.
    from pgconf_fix import edits as edits_module

    _tree(tmp_path)
    command = ["--no-cache", "--select", "PGF301", *args, "."]
    _forget()
    plain = run_cli(command, tmp_path)
    applied: list[str] = []
    apply = edits_module.apply_edits

    def counted(text: str, edits: list[Edit]) -> tuple[str, list[Edit]]:
        applied.append(text)
        return apply(text, edits)

    monkeypatch.setattr(edits_module, "apply_edits", counted)
    _forget()
    again = run_cli(command, tmp_path)
    assert (again.code, again.stdout, again.stderr) == (plain.code, plain.stdout, plain.stderr)
    assert len(applied) == 5
    assert len(set(applied)) == 5
    _forget()


_EXIT = """
import atexit, sys
from pgconf_fix.cli import main
code = main(sys.argv[1:])
print("exit handlers:", atexit._ncallbacks())
"""


@needs_terraform
@pytest.mark.skipif(not hasattr(__import__("atexit"), "_ncallbacks"), reason="CPython's atexit count")
@pytest.mark.parametrize("args", [[], ["--diff"], ["--write"]])
def test_a_terraform_run_leaves_no_exit_handler_and_no_directory(tmp_path: Path, args: list[str]) -> None:
    # terraform fmt's batches (begun early, or started when the patcher asks) write their texts
    # to a directory of their own and remove it themselves: no exit handler is left (with one,
    # the command cannot end without the interpreter's teardown, __main__.exit_now), and no
    # directory. In a process of its own, which registers nothing else; TMPDIR is where the
    # directories go (TMPDIR set: not /dev/shm).
    import os
    import subprocess
    import sys

    _tree(tmp_path / "tree")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    repository = Path(__file__).resolve().parent.parent
    environment = dict(os.environ, PYTHONPATH=str(repository), TMPDIR=str(scratch))
    done = subprocess.run(
        [sys.executable, "-c", _EXIT, "--no-cache", "--exit-zero", "--select", "PGF301", *args, "."],
        cwd=tmp_path / "tree", env=environment, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "5 fixable" in done.stdout or "fix 5 findings" in done.stderr or "Fixed 5 findings" in done.stdout
    assert done.stdout.splitlines()[-1] == "exit handlers: 0", done.stdout
    assert list(scratch.iterdir()) == []


@needs_terraform
def test_a_batch_nobody_waited_for_is_stopped_when_the_command_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A batch begun for the patcher that no verifier waits for (here the patcher fails before
    # it asks) is stopped and its directory removed as the command returns, not left running.
    _tree(tmp_path / "tree")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    batches: list[formats._Batch] = []
    started = formats._Batch.__init__

    def batch(self: formats._Batch, program: str, texts: list[str]) -> None:
        started(self, program, texts)
        batches.append(self)

    def fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the patcher failed")

    monkeypatch.setattr(formats._Batch, "__init__", batch)
    monkeypatch.setattr(patcher, "fix_until_stable", fails)
    _forget()
    with pytest.raises(RuntimeError, match="the patcher failed"):
        run_cli(["--no-cache", "--select", "PGF301", "--diff", "."], tmp_path / "tree")
    assert len(batches) == 1
    assert batches[0].process.returncode is not None  # waited for: not left running
    assert formats._RUNNING == []
    assert list(scratch.iterdir()) == []
    _forget()


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


def _two_directories(root: Path) -> tuple[Path, Path]:
    """Two module directories of six files each: two ALBs without idle_timeout (PGF301, a safe
    fix each) among variables, fmt-clean."""
    directories = (root / "a", root / "b")
    for directory in directories:
        directory.mkdir(parents=True)
        for index in range(6):
            body = f'variable "v{index}" {{\n  default = {index}\n}}\n'
            if index < 2:
                body = f'resource "aws_lb" "{directory.name}{index}" {{\n  name = "{directory.name}-{index}"\n}}\n'
            (directory / f"f{index}.tf").write_text(body)
    return directories


def test_a_recheck_lists_no_directory_and_makes_no_path_absolute_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The checks of one run (the budget's look ahead, the reader's groups, the re-checks after
    # the patcher's rounds) list each module directory once and make each path absolute once;
    # what is shown is the same.
    import os

    from pgconf_fix import workspace as workspace_module

    directories = _two_directories(tmp_path)
    command = ["--no-cache", "--select", "PGF301", "--diff", "."]
    _forget()
    plain = run_cli(command, tmp_path)
    listed: list[str] = []
    made: list[str] = []
    listdir, absolute = os.listdir, workspace_module.absolute

    def counted_listdir(path: object = ".") -> list[str]:
        listed.append(os.fspath(path))  # type: ignore[arg-type]
        return listdir(path)  # type: ignore[arg-type]

    def counted_absolute(path: Path) -> Path:
        made.append(os.fspath(path))
        return absolute(path)

    monkeypatch.setattr(os, "listdir", counted_listdir)
    monkeypatch.setattr(workspace_module, "absolute", counted_absolute)
    _forget()
    again = run_cli(command, tmp_path)
    monkeypatch.undo()
    assert (again.code, again.stdout, again.stderr) == (plain.code, plain.stdout, plain.stderr)
    assert "Would fix 4 findings" in again.stderr
    assert sorted(path for path in listed if Path(path) in directories) == sorted(map(str, directories))
    # Each of the 12 files made absolute once (the fixed ones' paths are absolute already).
    assert len(made) == len(set(made)) <= 12, made
    _forget()


def test_a_module_directorys_listing_lasts_one_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A listing made once a run is not kept beyond it: a sibling added before the next run (an
    # .auto.tfvars, which Terraform reads with the directory's .tf files and the reader takes
    # from the listing) is read, with the result cache (whose entries note every listing the
    # run made) and without.
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(
        'variable "idle" {\n  default = 60\n}\n\nresource "aws_lb" "a" {\n  name         = "a"\n  idle_timeout = var.idle\n}\n'
    )
    monkeypatch.setenv("PGCONF_FIX_CACHE_DIR", str(tmp_path / "cache"))
    for cached in ([], ["--no-cache"]):
        _forget()
        first = run_cli([*cached, "--select", "PGF301", "--exit-zero", "."], tree)
        assert "Found 1 finding" in first.stdout, first.stdout
        late = tree / "late.auto.tfvars"
        late.write_text("idle = 4000\n")
        second = run_cli([*cached, "--select", "PGF301", "--exit-zero", "."], tree)
        assert "All checks passed" in second.stdout, second.stdout
        late.unlink()
    _forget()


def test_a_rules_selection_is_decided_once_an_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Options.enabled is asked of every rule by each reader group's run of the rules: its
    # verdict is made once for each rule and Options (the run's, then the one with the learned
    # budget), and stays what the selection says.
    from pgconf_fix.options import Options

    _two_directories(tmp_path)
    decided: list[tuple[int, str]] = []
    chosen = Options._chosen

    def counted(self: Options, rule: object) -> bool:
        decided.append((id(self), rule.code))  # type: ignore[attr-defined]
        return chosen(self, rule)  # type: ignore[arg-type]

    monkeypatch.setattr(Options, "_chosen", counted)
    _forget()
    done = run_cli(["--no-cache", "--select", "PGF3", "--ignore", "PGF302", "."], tmp_path)
    assert "PGF301" in done.stdout and "Found 4 findings" in done.stdout
    assert decided and len(decided) == len(set(decided))
    options = Options(select=("PGF3",), ignore=("PGF302",))
    from pgconf_fix.catalog import load_catalog

    for rule in load_catalog(()).values():
        assert options.enabled(rule) == options.enabled(rule) == (rule.code.startswith("PGF3") and rule.code != "PGF302")
    _forget()

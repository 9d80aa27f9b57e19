"""Work a Terraform run did twice, done once (issue 18, Terraform against checkov): the files
the idle budget read are not read again by their reader, the patcher's trial of a text the
vetting accepted asks only the costly verifier, and terraform fmt's untouched files are not
read back. Each test counts the work (files opened, verifiers asked), never a clock, and checks
that what the user sees is unchanged."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pgconf_fix import verify as verify_module
from pgconf_fix.source import SourceFile
from pgconf_fix.verify import Trial, refusal
from pgconf_fix.workspace import Workspace
from tests.cli_runner import run_cli

_OPENED: list[str] | None = None


def _note_open(event: str, args: tuple) -> None:
    """Note a file opened for reading (the builtin ``open``'s audit event: path, mode, flags)."""
    if _OPENED is None or event != "open" or not isinstance(args[0], str | bytes | os.PathLike):
        return
    mode, flags = args[1], args[2]
    writes = any(letter in mode for letter in "wax+") if mode is not None else flags & (os.O_WRONLY | os.O_RDWR)
    if not writes:
        _OPENED.append(os.path.abspath(os.fsdecode(args[0])))


sys.addaudithook(_note_open)  # a hook cannot be removed: it notes nothing while _OPENED is None


def _opened_during(call: Callable[[], object]) -> tuple[object, list[str]]:
    """``call()``'s result and the absolute paths of the files it opened for reading, in order."""
    global _OPENED
    _OPENED = []
    try:
        result = call()
        return result, _OPENED
    finally:
        _OPENED = None


def _tree(root: Path, directories: int = 3, files: int = 4) -> None:
    """A Terraform tree: in each directory, files holding an ALB without idle_timeout (PGF301)
    and, in the first, an NLB TCP listener (the idle budget's box), so that the budget reads
    every .tf file before the reader does; a .env whose keepalives_idle PGF401 judges against
    that budget (its message names it)."""
    (root / ".env").parent.mkdir(parents=True, exist_ok=True)
    (root / ".env").write_text("DATABASE_URL=postgresql://app@db.example.com/app?keepalives_idle=600\n")
    for d in range(directories):
        for f in range(files):
            path = root / f"m{d}" / f"f{f}.tf"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f'resource "aws_lb" "alb_{d}_{f}" {{\n  name = "alb-{d}-{f}"\n}}\n')
    (root / "m0" / "nlb.tf").write_text(
        'resource "aws_lb" "nlb" {\n  load_balancer_type = "network"\n}\n\n'
        'resource "aws_lb_listener" "pg" {\n  load_balancer_arn = aws_lb.nlb.arn\n  protocol          = "TCP"\n'
        "  port              = 5432\n  tcp_idle_timeout_seconds = 200\n}\n"
    )


def test_a_file_the_idle_budget_read_is_not_read_again_by_its_reader(tmp_path: Path) -> None:
    # Before: the budget's look ahead read every .tf and Workspace.forget_since dropped them,
    # so the Terraform reader opened each a second time. The report is the same either way.
    _tree(tmp_path)
    files = sorted(str(path) for path in tmp_path.rglob("*.tf"))
    outcome, opened = _opened_during(lambda: run_cli(["--no-cache", "--format", "json", "."], tmp_path))
    assert outcome.code == 1, outcome.stderr
    assert '"PGF301"' in outcome.stdout and "idle budget (200 s: NLB listener" in outcome.stdout  # learned
    counts = {path: opened.count(path) for path in files}
    assert counts == dict.fromkeys(files, 1), counts


def test_a_file_held_back_is_given_back_once_in_the_readers_order(tmp_path: Path) -> None:
    # Workspace.forget_since(mark, hold=...): the look ahead's files leave the reading order
    # (loaded() is the readers' order, as before), a held file comes back as the same SourceFile
    # without being opened, a file not held, or asked for under another display, is read again.
    for name in ("a.tf", "b.tf", "c.tf"):
        (tmp_path / name).write_text(f"# {name}\n")
    a, b, c = (tmp_path / name for name in ("a.tf", "b.tf", "c.tf"))
    workspace = Workspace(tmp_path)
    workspace.load(c, "c.tf")
    mark = workspace.mark()
    first = {path: workspace.load(path, path.name) for path in (a, b)}
    workspace.forget_since(mark, hold=[a, b])
    assert [key for key, _ in workspace.loaded()] == [c]
    again, opened = _opened_during(lambda: (workspace.load(b, "b.tf"), workspace.load(a, "a.tf")))
    assert again == (first[b], first[a]) and opened == []
    assert [key for key, _ in workspace.loaded()] == [c, b, a]
    workspace.forget_since(0, hold=[a])
    shown_otherwise, opened = _opened_during(lambda: workspace.load(a, "./a.tf"))
    assert shown_otherwise is not first[a] and shown_otherwise.display == "./a.tf" and opened == [str(a)]
    _, opened = _opened_during(lambda: workspace.load(b, "b.tf"))
    assert opened == [str(b)]  # not held: read again


def test_with_the_cache_a_changed_file_the_budget_read_is_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The result cache notes a file when it is opened; a held file was opened by the budget's
    # look ahead, in the same record. A change to it between two cached runs is seen.
    monkeypatch.setenv("PGCONF_FIX_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "tree"
    _tree(root)
    first = run_cli(["--format", "json", "."], root)
    assert first.code == 1 and "200 s" in first.stdout, first.stderr
    listener = root / "m0" / "nlb.tf"
    listener.write_text(listener.read_text().replace("= 200", "= 150"))
    alb = root / "m1" / "f0.tf"
    alb.write_text(alb.read_text().replace("}\n", "  idle_timeout = 4000\n}\n"))
    second = run_cli(["--format", "json", "."], root)
    assert "150 s" in second.stdout and "200 s" not in second.stdout, second.stdout
    assert "alb_1_0" not in second.stdout and "alb_1_1" in second.stdout
    assert second.stdout == run_cli(["--no-cache", "--format", "json", "."], root).stdout


def _source(name: str, text: str) -> SourceFile:
    return SourceFile(Path(name), name, text.encode(), text, True)


def test_the_costly_trial_of_a_text_the_cheap_trial_accepted_asks_only_the_costly_verifiers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The vetting tries a file's edits without the costly verifiers, the patcher with them: the
    # verifiers both ask are asked once for a text the first accepted; a refused text gets the
    # verdict it got before (the first reason, in the verifiers' order).
    asked: list[str] = []
    verdicts = {"ok": (None, None), "cheap-refuses": ("no", None), "costly-refuses": (None, "fmt")}

    def cheap(trial: Trial) -> str | None:
        asked.append("cheap")
        return verdicts[trial.new.strip()][0]

    def costly(trial: Trial) -> str | None:
        asked.append("costly")
        return verdicts[trial.new.strip()][1]

    registered = [
        verify_module._Registered("cheap says", lambda path: path.suffix == ".spy", cheap, False),
        verify_module._Registered("costly says", lambda path: path.suffix == ".spy", costly, True),
    ]
    monkeypatch.setattr(verify_module, "_VERIFIERS", registered)
    monkeypatch.setattr(verify_module, "_CACHE", {})
    for new, expected in (("ok", None), ("cheap-refuses", "cheap says: no"), ("costly-refuses", "costly says: fmt")):
        trial = Trial(_source(f"{new}.spy", "old\n"), f"{new}\n")
        asked.clear()
        assert refusal(trial, costly=False) == (None if new == "costly-refuses" else expected)
        assert asked == ["cheap"]
        asked.clear()
        assert refusal(trial, costly=True) == expected
        assert asked == (["costly"] if new != "cheap-refuses" else ["cheap"]), (new, asked)
    asked.clear()
    fresh = Trial(_source("fresh.spy", "old\n"), "costly-refuses\n")
    assert refusal(fresh, costly=True) == "costly says: fmt" and asked == ["cheap", "costly"]


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")
def test_terraform_fmt_of_many_reads_back_only_the_files_terraform_rewrote() -> None:
    # terraform writes (and lists) only a file it reformats: the others hold the text as
    # written, so only the rewritten ones, and a text with a CR (text mode turns it), are read
    # back. The results are those of terraform fmt of each text alone.
    from pgconf_fix.verify import formats

    clean = [f'resource "aws_lb" "c{index}" {{\n  name         = "c{index}"\n  idle_timeout = 4000\n}}\n'
             for index in range(4)]
    rewritten = 'resource "aws_lb" "r" {\n  name = "r"\n  idle_timeout = 4000\n}\n'
    crlf = 'resource "aws_lb" "d" {\r\n  name = "d"\r\n}\r\n'
    texts = [*clean, rewritten, crlf]
    formats._FORMATTED.clear()
    _, opened = _opened_during(lambda: formats.terraform_fmt_many(texts))
    read_back = [path for path in opened if os.path.basename(path).startswith("t") and path.endswith(".tf")]
    assert sorted(os.path.basename(path) for path in read_back) == ["t4.tf", "t5.tf"], read_back
    batch = {text: formats._FORMATTED.get(text) for text in texts}
    alone = {}
    for text in texts:
        formats._FORMATTED.clear()
        alone[text] = formats.terraform_fmt(text)
    formats._FORMATTED.clear()
    assert batch == alone
    assert alone[clean[0]] == clean[0] and alone[rewritten] != rewritten


def test_a_path_already_absolute_is_its_own_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # workspace.absolute hands back the same Path (its hash kept) when it is absolute and normal;
    # anything else becomes what Path(os.path.abspath(path)) is.
    from pgconf_fix.workspace import absolute

    monkeypatch.chdir(tmp_path)
    given = tmp_path / "m0" / "main.tf"
    assert absolute(given) is given
    for other in (Path("m0/main.tf"), tmp_path / "m1" / ".." / "m0" / "main.tf", str(given), Path("//x/../y")):
        made = absolute(other)  # type: ignore[arg-type]
        assert made == Path(os.path.abspath(other)) and made is not other and isinstance(made, Path), other


@pytest.mark.parametrize("count", ["0", "1"])
def test_a_module_call_terraform_never_creates_has_no_parameters_to_judge(tmp_path: Path, count: str) -> None:
    # cloud_server_views asks how many instances a block makes only of the blocks that would give
    # a server view (issue 18: it asked of every block): a call of the RDS module with count = 0
    # has no parameters to judge; with count = 1 its tcp_keepalives_idle is judged (PGF101).
    (tmp_path / "main.tf").write_text(
        f'module "db" {{\n  source = "terraform-aws-modules/rds/aws"\n  count  = {count}\n\n'
        '  family = "postgres16"\n  parameters = [\n    {\n      name  = "tcp_keepalives_idle"\n'
        '      value = "1800"\n    }\n  ]\n}\n'
    )
    outcome = run_cli(["--no-cache", "--select", "PGF101", "."], tmp_path)
    assert ("PGF101" in outcome.stdout) == (count == "1"), outcome.stdout


def test_the_directory_of_a_path_is_one_object_for_equal_paths(tmp_path: Path) -> None:
    # workspace.parent_of is path.parent, made once for equal paths (pathlib makes a new Path a
    # call, hashed afresh by each set and dict of directories a Terraform check keys).
    from pgconf_fix.workspace import parent_of

    one, other = tmp_path / "m0" / "a.tf", Path(str(tmp_path / "m0" / "a.tf"))
    assert parent_of(one) == one.parent == tmp_path / "m0"
    assert parent_of(one) is parent_of(other)
    assert parent_of(tmp_path / "m1" / "a.tf") == tmp_path / "m1"


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")
@pytest.mark.parametrize("given", [None, "2"])
def test_terraform_fmt_runs_on_one_thread_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str | None
) -> None:
    # terraform fmt is started with GOMAXPROCS=1 (its collector no longer burns the other core);
    # a GOMAXPROCS the user set is kept. Both the batch and the one-text path; same results.
    from pgconf_fix.verify import formats

    log = tmp_path / "calls"
    wrapper = tmp_path / "bin" / "terraform"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "${{GOMAXPROCS:-unset}}" >> "{log}"\nexec "{shutil.which("terraform")}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}:{os.environ['PATH']}")
    if given is None:
        monkeypatch.delenv("GOMAXPROCS", raising=False)
    else:
        monkeypatch.setenv("GOMAXPROCS", given)
    texts = ['resource "aws_lb" "a" {\n  name = "a"\n}\n', 'resource "aws_lb" "b" {\n  name         = "b"\n  idle_timeout = 4000\n}\n']
    formats._FORMATTED.clear()
    formats.terraform_fmt_many(texts)
    batch = {text: formats._FORMATTED.get(text) for text in texts}
    formats._FORMATTED.clear()
    assert formats.terraform_fmt(texts[0]) == batch[texts[0]] == texts[0]
    formats._FORMATTED.clear()
    assert log.read_text().split() == [given or "1"] * 2

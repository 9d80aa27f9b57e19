"""The patcher's proof step (pgconf_fix.verify): a fix its consumer would refuse is dropped,
reported with the reason, and never counted as fixable, on this run or the next."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pgconf_fix import verify as verify_module
from pgconf_fix.source import SourceFile
from pgconf_fix.verify import Trial, refusal, verifier
from tests.cli_runner import run_cli


def source(path: str, text: str) -> SourceFile:
    return SourceFile.from_bytes(Path(path), path, text.encode())


def test_json_edit_that_breaks_the_document_is_refused() -> None:
    old = source("config.json", '{"url": "postgresql://db.example.com/app"}\n')
    assert refusal(Trial(old, '{"url": "postgresql://db.example.com/app?x"y"}\n')).startswith("the edited JSON")
    assert refusal(Trial(old, '{"url": "postgresql://db.example.com/app?keepalives=1"}\n', (("keepalives", "1"),))) is None


def test_yaml_toml_ini_pgconf_python_each_refuse_a_broken_edit() -> None:
    cases = {
        "a.yaml": ("url: postgresql://db.example.com/app\n", "url: 'postgresql://db.example.com/app\n"),
        "a.toml": ('url = "postgresql://db.example.com/app"\n', 'url = "postgresql://db.example.com/app\n'),
        "alembic.ini": ("[alembic]\nurl = x\n", "[alembic\nurl = x\n"),
        "postgresql.conf": ("tcp_keepalives_idle = 60\n", "tcp_keepalives_idle = 60 s\n"),
        "app.py": ("DSN = 'host=a'\n", "DSN = 'host=a\\' keepalives=1'\n'\n"),
    }
    for name, (before, after) in cases.items():
        assert refusal(Trial(source(name, before), after)) is not None, name
        assert refusal(Trial(source(name, before), before + "\n")) is None, name


def test_a_file_already_unreadable_is_not_held_against_the_fix() -> None:
    old = source("config.json", '{"url": "postgresql://db.example.com/app",}\n')
    assert refusal(Trial(old, '{"url": "postgresql://db.example.com/app?keepalives=1",}\n', (("keepalives", "1"),))) is None


def test_connection_string_edits_must_read_back_as_intended() -> None:
    old = source(".env", "DATABASE_URL=postgresql://db.example.com/app?sslmode=require\n")
    broken = "DATABASE_URL=postgresql://db.example.com/app?sslmode=require?keepalives=1\n"
    assert "extra key/value separator" in (refusal(Trial(old, broken, (("keepalives", "1"),), single=True)) or "")
    # sslmode=require stays; keepalives reads 1: accepted.
    good = "DATABASE_URL=postgresql://db.example.com/app?sslmode=require&keepalives=1\n"
    assert refusal(Trial(old, good, (("keepalives", "1"),), single=True)) is None
    # The fix says keepalives_idle=60 but the string reads otherwise.
    assert "keepalives_idle reads" in (refusal(Trial(old, good, (("keepalives_idle", "60"),), single=True)) or "")
    # An edit that changes a keyword no fix names is refused.
    other = "DATABASE_URL=postgresql://db.example.com/app?sslmode=disable&keepalives=1\n"
    assert "changed sslmode" in (refusal(Trial(old, other, (("keepalives", "1"),))) or "")


def test_decoded_json_string_is_what_is_judged() -> None:
    old = source("db.json", '{"url": "postgresql://db.example.com/app?sslmode=require\\u0026keepalives=1"}\n')
    # Raw text shows no "&", but JSON decodes \u0026 to "&": appending with "?" breaks sslmode.
    bad = '{"url": "postgresql://db.example.com/app?sslmode=require\\u0026keepalives=1?keepalives_idle=60"}\n'
    assert refusal(Trial(old, bad, (("keepalives_idle", "60"),), single=True)) is not None


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH: fmt stability not checked (no package registry ships terraform)")
def test_terraform_fmt_stability_is_checked_with_real_terraform() -> None:
    old = source("main.tf", 'resource "aws_lb" "a" {\n  name = "a"\n}\n')
    misaligned = 'resource "aws_lb" "a" {\n  name = "a"\n  idle_timeout = 4000\n}\n'
    aligned = 'resource "aws_lb" "a" {\n  name         = "a"\n  idle_timeout = 4000\n}\n'
    assert "terraform fmt" in (refusal(Trial(old, misaligned)) or "")
    assert refusal(Trial(old, aligned)) is None
    assert refusal(Trial(old, misaligned), costly=False) is None  # fmt runs only when writing


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")
def _logged_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, note: str) -> Path:
    """A ``terraform`` first on PATH that appends what the shell lines ``note`` print to the
    returned log file, then runs the real terraform with the same arguments."""
    log = tmp_path / "calls"
    wrapper = tmp_path / "bin" / "terraform"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\n{note} >> "{log}"\nexec "{shutil.which("terraform")}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}:{os.environ['PATH']}")
    return log


def test_terraform_fmt_of_many_files_at_once_is_terraform_fmt_of_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The patcher formats a round's .tf files with one terraform run (formats.terraform_fmt_many);
    # each result must be what `terraform fmt -` gives for that text alone, an unparsable text
    # included (terraform then exits 2 and formats the others), and only one terraform starts.
    from pgconf_fix.verify import formats

    texts = [
        'resource "aws_lb" "a" {\n  name = "a"\n  idle_timeout = 4000\n}\n',  # rewritten (alignment)
        'resource "aws_lb" "b" {\n  name         = "b"\n  idle_timeout = 4000\n}\n',  # already clean
        'resource "aws_lb" "c" {\n  name = \n',  # does not parse
        'resource "aws_lb" "d" {\r\n  name = "d"\r\n}\r\n',  # CRLF, read back as the pipe reads it
        'variable "x" {\n  default = 60   # seconds\n}\n',
        'variable "y" {\n  default = 60\n}',  # no final newline: fmt of a file keeps it so, of stdin adds it
    ]
    alone = {}
    for text in texts:
        formats._FORMATTED.clear()
        alone[text] = formats.terraform_fmt(text)
    assert alone[texts[2]] is None and alone[texts[1]] == texts[1] and alone[texts[0]] != texts[0]
    log = _logged_terraform(tmp_path, monkeypatch, "echo x")
    formats._FORMATTED.clear()
    formats.terraform_fmt_many(texts)
    assert log.read_text().count("x") == 1
    assert {text: formats.terraform_fmt(text) for text in texts} == alone
    assert log.read_text().count("x") == 3  # asked again, alone: the unparsable text and the one without a final newline
    formats._FORMATTED.clear()


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")
def test_terraform_fmt_verdict_asks_about_the_original_only_when_the_edit_is_not_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The verdict is "refuse when the original was fmt-clean and the edit is not"; the patcher's
    # batch formats the edits, and an original only for an edit that is not clean. Every pair
    # of (clean, rewritten, unparsable) original and edit gives the verdict of that rule, and a
    # round of clean edits starts terraform once, without formatting any original.
    from pgconf_fix.verify import formats, prepare_trials

    texts = {
        "clean": 'resource "aws_lb" "a" {\n  name         = "a"\n  idle_timeout = 4000\n}\n',
        "rewritten": 'resource "aws_lb" "a" {\n  name = "a"\n  idle_timeout = 4000\n}\n',
        "unparsable": 'resource "aws_lb" "a" {\n  name = \n',
    }
    log = _logged_terraform(tmp_path, monkeypatch, "echo x")
    for before, old in texts.items():
        for after, new in texts.items():
            if old == new:
                continue
            verify_module._CACHE.clear()
            formats._FORMATTED.clear()
            trial = Trial(source(f"{before}-{after}.tf", old), new)
            prepare_trials([trial])
            reason = formats.terraform_fmt_stable(trial)
            expected = None if before != "clean" or after == "clean" else (
                "terraform fmt refuses the edited file" if after == "unparsable"
                else "the edited lines are not laid out as terraform fmt lays them out"
            )
            assert reason == expected, (before, after)
    log.unlink()
    formats._FORMATTED.clear()
    originals = [f'resource "aws_lb" "n{index}" {{\n  name = "n{index}"\n}}\n' for index in range(5)]
    trials = [Trial(source(f"m{index}.tf", old), old.replace("}\n", "  idle_timeout = 4000\n}\n").replace("name =", "name         ="))
              for index, old in enumerate(originals)]
    prepare_trials(trials)
    assert [formats.terraform_fmt_stable(trial) for trial in trials] == [None] * 5
    assert log.read_text().count("x") == 1
    assert not set(originals) & set(formats._FORMATTED)
    formats._FORMATTED.clear()
    verify_module._CACHE.clear()


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")
def test_a_batch_is_written_to_the_memory_file_system_unless_tmpdir_says_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where terraform fmt's batch is written: /dev/shm when it exists and TMPDIR is not set; the
    # directory TMPDIR names when it is; tempfile's default when /dev/shm cannot take the texts.
    # The verdicts are the same in each (the directory terraform was given is logged).
    from pgconf_fix.verify import formats

    texts = ['resource "aws_lb" "a" {\n  name = "a"\n  idle_timeout = 4000\n}\n', 'variable "x" {\n  default = 60\n}\n']
    log = _logged_terraform(tmp_path, monkeypatch, 'for last; do :; done\necho "$last"')
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    import tempfile

    results = []
    for tmpdir, scratch in ((None, None), (str(chosen), None), (None, str(tmp_path / "missing"))):
        monkeypatch.setattr(tempfile, "tempdir", None)  # tempfile reads TMPDIR once, then keeps it
        if tmpdir is None:
            monkeypatch.delenv("TMPDIR", raising=False)
        else:
            monkeypatch.setenv("TMPDIR", tmpdir)
        if scratch is not None:
            monkeypatch.setattr(formats, "_scratch", lambda scratch=scratch: scratch)
        formats._FORMATTED.clear()
        formats.terraform_fmt_many(texts)
        results.append({text: formats._FORMATTED.get(text) for text in texts})
    directories = [Path(line).parent for line in log.read_text().splitlines()]
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", None)
    expected_first = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    assert directories[0] == expected_first
    assert directories[1] == chosen
    assert directories[2] == Path(tempfile.gettempdir())  # /dev/shm refused: the default
    assert results[0] == results[1] == results[2] and results[0][texts[1]] == texts[1]
    assert not list(chosen.iterdir()), list(chosen.iterdir())  # removed after reading
    formats._FORMATTED.clear()


def test_a_registered_verifier_is_consulted() -> None:
    @verifier("test refuses marker", applies=lambda path: path.name == "marker.txt")
    def refuse_marker(trial: Trial) -> str | None:
        return "marker seen" if "MARK" in trial.new else None

    try:
        old = source("marker.txt", "a\n")
        assert refusal(Trial(old, "a MARK\n")) == "test refuses marker: marker seen"
        assert refusal(Trial(source("other.txt", "a\n"), "a MARK\n")) is None
    finally:
        verify_module._VERIFIERS[:] = [r for r in verify_module._VERIFIERS if r.check is not refuse_marker]
        verify_module._CACHE.clear()


def test_refused_fix_is_reported_with_reason_and_not_counted(tmp_path: Path) -> None:
    @verifier("test refuses every edit", applies=lambda path: path.name == "db.env")
    def refuse_all(trial: Trial) -> str | None:
        return "refused for the test"

    try:
        (tmp_path / "db.env").write_text("DATABASE_URL=postgresql+psycopg2://u@db.example.com/app\n")
        first = run_cli(["--unsafe-fixes", "."], tmp_path)
        assert "(no fix: test refuses every edit: refused for the test)" in first.stdout
        assert "fixable" not in first.stdout
        written = run_cli(["--write", "--unsafe-fixes", "."], tmp_path)
        assert written.code == 1
        assert "Fixed 0 findings" in written.stderr + written.stdout
        assert "fixable" not in written.stdout  # no loop on "N fixable"
    finally:
        verify_module._VERIFIERS[:] = [r for r in verify_module._VERIFIERS if r.check is not refuse_all]
        verify_module._CACHE.clear()


def test_patcher_drops_only_the_fix_refused_in_combination(tmp_path: Path) -> None:
    @verifier("test refuses two", applies=lambda path: path.name == ".env")
    def refuse_two(trial: Trial) -> str | None:
        # Each fix alone passes (so both are offered); together they are refused.
        return "not both" if trial.new.count("keepalives=1") > 1 else None

    try:
        (tmp_path / ".env").write_text(
            "A_URL=postgresql://u@a.example.com/app?sslmode=require\n"
            "B_URL=postgresql://u@b.example.com/app?sslmode=require\n"
        )
        outcome = run_cli(["--write", "--unsafe-fixes", "."], tmp_path)
        text = (tmp_path / ".env").read_text()
        assert text.count("keepalives_idle=60") == 1, text
        assert "Fixed 1 finding" in outcome.stderr + outcome.stdout
        left = [line for line in outcome.stdout.splitlines() if "PGF401" in line]
        assert len(left) == 1 and "(no fix: test refuses two: not both)" in left[0]
    finally:
        verify_module._VERIFIERS[:] = [r for r in verify_module._VERIFIERS if r.check is not refuse_two]
        verify_module._CACHE.clear()


def test_one_verdict_for_both_kinds_of_trial_where_no_costly_verifier_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    # The vetting tries a text without the costly verifiers, the patcher with them: for a file
    # none of them applies to (a .py here), the second trial recalls the first's verdict; for a
    # .tf (terraform fmt applies) the two are judged apart. Issue 18: the Python-heavy tree
    # asked 135 verdicts twice.
    runs: list[str] = []
    counted = [
        verify_module._Registered(entry.name, entry.applies,
                                  lambda trial, check=entry.check: runs.append(str(trial.path)) or check(trial),
                                  entry.costly, entry.prepare)
        for entry in verify_module._VERIFIERS
    ]
    monkeypatch.setattr(verify_module, "_VERIFIERS", counted)
    monkeypatch.setattr(verify_module, "_CACHE", {})
    module = source("db.py", "engine = create_engine('postgresql://db/app')\n")
    edited = "engine = create_engine('postgresql://db/app', pool_pre_ping=True)\n"
    assert refusal(Trial(module, edited), costly=False) is None
    judged = len(runs)
    assert judged > 0
    assert refusal(Trial(module, edited), costly=True) is None
    assert len(runs) == judged
    plan = source("lb.tf", 'resource "aws_lb" "a" {\n  name = "a"\n}\n')
    edited_plan = 'resource "aws_lb" "a" {\n  name = "a"\n  idle_timeout = 4000\n}\n'
    refusal(Trial(plan, edited_plan), costly=False)
    cheap = len(runs)
    refusal(Trial(plan, edited_plan), costly=True)
    assert len(runs) > cheap


def test_a_string_value_the_judged_texts_share_is_searched_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The libpq verifier reads every string value of the original and of each edit: values the
    # texts share (an unchanged URL) are searched for connection strings once.
    from pgconf_fix.documents import connstr
    from pgconf_fix.verify import conninfo

    searched: list[str] = []

    def counted(value: str, decoded: bool = False) -> list:
        searched.append(value)
        return real(value, decoded)

    real = connstr.find_connection_strings
    monkeypatch.setattr(connstr, "find_connection_strings", counted)
    connstr._remembered.cache_clear()
    conninfo._remembered_strings.cache_clear()
    monkeypatch.setattr(verify_module, "_CACHE", {})
    module = source("db.py", '"""The engines."""\nA = "postgresql://a.example.com/app"\nB = "postgresql://b.example.com/app"\n')
    first = module.text.replace("a.example.com/app", "a.example.com/app?keepalives=1")
    second = module.text.replace("b.example.com/app", "b.example.com/app?keepalives=1")
    for edited in (first, second):
        assert refusal(Trial(module, edited, (("keepalives", "1"),))) is None
    assert sorted(searched) == sorted(set(searched))
    assert len(searched) == 4  # the original's two URLs, and each edit's changed one
    # The views of a module built again (a re-check) search its values no more.
    from pgconf_fix.views.client import connection_views

    searched.clear()
    for _ in range(2):
        assert len(connection_views(source("db.py", first))) == 2
    assert searched == ["The engines."]  # once for two builds; the URLs were the verifier's already
    connstr._remembered.cache_clear()

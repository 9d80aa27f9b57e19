"""The patcher re-checks a round's likely texts while terraform formats them (issue 18).

When a costly verifier has begun on a round's edited ``.tf`` texts (``verify.begin_trials``:
``terraform fmt`` in a process of its own), ``fix_until_stable`` re-checks the texts the round
will have if every wanted fix is kept, and uses that re-check only when they are the round's
texts. The outcome must be the one of a patcher that starts nothing early. The findings are made
by hand; terraform, the verifiers and the patcher are the real ones; the re-check is a stand-in
that records what it is asked.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pgconf_fix import patcher
from pgconf_fix.findings import SAFE, Edit, Finding, Fix, Location
from pgconf_fix.source import SourceFile
from pgconf_fix.verify import _CACHE, formats

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")

ORIGINAL = 'resource "aws_lb" "{name}" {{\n  name = "{name}"\n}}\n'
CLEAN = '  name         = "{name}"\n  idle_timeout = 4000\n'  # what terraform fmt keeps
MISALIGNED = '  name = "{name}"\n  idle_timeout = 4000\n'  # terraform fmt would align the "="


@dataclass
class Checked:
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)


def _tf(directory: Path, name: str, body: str) -> tuple[SourceFile, Finding]:
    text = ORIGINAL.format(name=name)
    path = directory / f"{name}.tf"
    path.write_text(text)
    source = SourceFile.from_bytes(path, path.name, text.encode())
    start = text.index("  name")
    end = text.index("}\n")
    edit = Edit(source, start, end, body.format(name=name))
    finding = Finding(
        code="PGF301",
        name="alb-idle-timeout",
        severity="warning",
        message="made by hand",
        location=Location(source, 0, 1),
        url="https://example.invalid/PGF301",
        fix=Fix(SAFE, "set idle_timeout", (edit,)),
    )
    return source, finding


def _parse_error(source: SourceFile) -> Finding:
    return Finding(
        code="PGF001", name="invalid-syntax", severity="error", message="made by hand",
        location=Location(source, 0, 1), url="https://example.invalid/PGF001",
    )


def _run(findings: list[Finding], recheck, early: bool, monkeypatch: pytest.MonkeyPatch) -> patcher.FixOutcome:  # noqa: ANN001
    _CACHE.clear()
    formats._FORMATTED.clear()
    if not early:
        monkeypatch.setattr(patcher, "begin_trials", lambda trials: False)
    try:
        return patcher.fix_until_stable(findings, False, recheck)
    finally:
        monkeypatch.undo()


def test_the_early_recheck_stands_for_the_round_when_every_fix_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = [_tf(tmp_path, name, CLEAN) for name in ("a", "b", "c")]
    findings = [finding for _, finding in made]
    outcomes, asked = [], []
    for early in (False, True):
        calls: list[dict[Path, str]] = []

        def recheck(texts: dict[Path, str], calls: list = calls) -> Checked:
            calls.append(dict(texts))
            return Checked()

        outcomes.append(_run(findings, recheck, early, monkeypatch))
        asked.append(calls)
    without, with_early = outcomes
    assert with_early.texts == without.texts and len(with_early.texts) == 3
    assert with_early.applied == without.applied == findings
    assert asked[0] == asked[1]  # one re-check of the round's texts, made early or not


def test_a_round_that_puts_a_file_back_is_rechecked_with_its_own_texts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # b.tf's fix is not laid out as terraform fmt lays it out: the round puts b.tf back, so the
    # early re-check (which held b.tf's edit) must not stand for the round. The stand-in re-check
    # says a.tf does not parse whenever b.tf's edit is among its texts: were the early re-check
    # used, a.tf would be put back too.
    a_source, a_fix = _tf(tmp_path, "a", CLEAN)
    b_source, b_fix = _tf(tmp_path, "b", MISALIGNED)
    edited_b = b_fix.fix.edits[0].content

    def recheck(texts: dict[Path, str]) -> Checked:
        calls.append(dict(texts))
        if any(edited_b in text for text in texts.values()):
            return Checked([_parse_error(a_source)])
        return Checked()

    outcomes = []
    for early in (False, True):
        calls: list[dict[Path, str]] = []
        outcomes.append(_run([a_fix, b_fix], recheck, early, monkeypatch))
    without, with_early = outcomes
    assert set(without.texts) == {a_source.path}
    assert with_early.texts == without.texts and with_early.applied == without.applied == [a_fix]
    assert with_early.rejected == without.rejected == []
    assert len(calls) == 2 and b_source.path in calls[0] and b_source.path not in calls[1]  # early, then the round's

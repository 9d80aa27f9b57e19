"""Many fixes in one file (issue 18 item 1): the verifiers' work grows with the fixes, not
with their square, and trying overlapping fixes in layers (``verify._layered``) gives each
fix the verdict it gets alone.

Growth is work counted, not time: the characters of edited text the verifiers are asked to
judge, at two sizes of one generated file, in one run. Trying each fix alone judges the whole
file once a fix (a ratio of about SIZE_RATIO², 64); a few trials of the whole file give about
SIZE_RATIO (8). One CPU-time ratio of a whole run guards what is not a verifier (a module of
800 ``psycopg2.connect()`` lines measured 26× for 8× before: its driver was sniffed once a
string over the whole module; 6.5× after), as tests/test_scaling.py does; benchmarks/ has
the large sizes.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from pgconf_fix import verify
from pgconf_fix.cli import main

REPO = Path(__file__).resolve().parent.parent
SIZE_RATIO = 8
BOUND = 24  # linear ≈ 8, one whole-file trial a fix ≈ 64


def _generator():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("many_fixes", REPO / "benchmarks" / "many_fixes.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _run(args: list[str]) -> str:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with redirect_stdout(out), redirect_stderr(io.TextIOWrapper(io.BytesIO())):
        main(["--no-cache", "--exit-zero", "--jobs", "1", *args])
    out.flush()
    return out.buffer.getvalue().decode()  # type: ignore[attr-defined]


def _judged(monkeypatch: pytest.MonkeyPatch, path: Path) -> int:
    """Characters of edited text the verifiers judged in a check of ``path`` (its fixes
    counted "fixable" by the patcher in memory, as the text report does)."""
    judged = [0]
    registered = list(verify._VERIFIERS)

    def counting(check):  # noqa: ANN001, ANN202
        def counted(trial: verify.Trial) -> str | None:
            judged[0] += len(trial.new)
            return check(trial)

        return counted

    monkeypatch.setattr(verify, "_VERIFIERS", [item.__class__(**{**vars(item), "check": counting(item.check)}) for item in registered])
    monkeypatch.setattr(verify, "_CACHE", {})  # no verdict recalled from another test
    _run([str(path)])
    monkeypatch.setattr(verify, "_VERIFIERS", registered)
    return judged[0]


@pytest.mark.parametrize("kind", ["env", "yaml", "json", "py-connect", "py-engine"])
def test_verifier_work_grows_linearly_with_the_fixes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    generator = _generator()
    name = generator.KINDS[kind][0]
    counts = []
    for count in (25, 25 * SIZE_RATIO):
        path = tmp_path / str(count) / name
        generator.write(kind, count, path)
        counts.append(_judged(monkeypatch, path))
    assert counts[0] > 0, "the verifiers judged nothing: the generated file draws no fix"
    assert counts[1] / counts[0] < BOUND, f"{kind}: {counts[0]} → {counts[1]} characters judged for {SIZE_RATIO}× the fixes"


def test_a_module_of_many_connections_is_checked_in_linear_time(tmp_path: Path) -> None:
    """``pgconf-fix --exit-zero --no-cache app.py`` (text report, "fixable" counted in
    memory) on 100 and 800 ``psycopg2.connect("postgresql://u@h/db")`` lines: the CPU-time
    ratio of the best of two runs each."""
    generator = _generator()
    times = []
    for count in (100, 100 * SIZE_RATIO):
        path = tmp_path / str(count) / "app.py"
        generator.write("py-connect", count, path)
        best = float("inf")
        for _ in range(2):
            start = time.process_time()
            _run([str(path)])
            best = min(best, time.process_time() - start)
        times.append(best)
    assert times[1] / times[0] < BOUND, f"{times[0]:.3f} s → {times[1]:.3f} s for {SIZE_RATIO}× the connections"


def _cases() -> list[tuple[Path, list[str]]]:
    cases = []
    for before in sorted((REPO / "tests" / "fixtures").glob("*/*/before")):
        args_file = before.parent / "args"
        cases.append((before, args_file.read_text().split() if args_file.exists() else ["."]))
    return cases


def test_layers_give_every_fix_its_verdict_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On every fixture and on generated files with overlapping fixes (PGF401 and PGF404 both
    open a URL's query): the findings ``vet_fixes`` returns equal those it returns when every
    overlapped fix is tried alone (``_layered`` sending all of them back)."""
    real_vet, real_layered = verify.vet_fixes, verify._layered
    layered_fixes = [0]

    def counting_layered(findings, overlapped):  # noqa: ANN001, ANN202
        alone = real_layered(findings, overlapped)
        layered_fixes[0] += len(overlapped) - len(alone)
        return alone

    def compared(findings):  # noqa: ANN001, ANN202
        monkeypatch.setattr(verify, "_layered", counting_layered)
        with_layers = real_vet(findings)
        monkeypatch.setattr(verify, "_layered", lambda findings, overlapped: overlapped)
        each_alone = real_vet(findings)
        monkeypatch.setattr(verify, "_layered", real_layered)
        assert [(f.message, f.fix) for f in with_layers] == [(f.message, f.fix) for f in each_alone]
        return with_layers

    monkeypatch.setattr(verify, "vet_fixes", compared)
    # A layer that is refused: a verifier (of this test) refuses db7's sslmode fix, so the
    # layer of sslmode fixes of the .env file is refused and each of them is tried alone.
    monkeypatch.setattr(verify, "_VERIFIERS", list(verify._VERIFIERS))
    verify.verifier("test", applies=lambda path: path.name == ".env")(
        lambda trial: "db7 refused" if "db7.example.com/app?sslmode=require" in trial.new else None
    )
    generator = _generator()
    generated = tmp_path / "generated"
    for kind in ("env", "yaml", "json", "py-connect", "py-engine"):
        generator.write(kind, 12, generated / kind / generator.KINDS[kind][0])
    for before, args in [*_cases(), (generated, ["."])]:
        monkeypatch.chdir(before)
        report = json.loads(_run(["--format", "json", "--unsafe-fixes", *args]))
        assert isinstance(report, list)
    monkeypatch.chdir(os.getcwd())
    refused = [finding for finding in report if "db7 refused" in finding["message"]]
    assert [(finding["code"], finding["line"], finding["fix"]) for finding in refused] == [("PGF404", 8, None)]
    assert layered_fixes[0] >= 5 * 12, "no layer was accepted: the comparison proved nothing"

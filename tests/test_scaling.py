"""Work grows linearly with the file: two sizes of one generated file, compared in one run.

A ratio of CPU times, never an absolute time: a linear cost gives about the size ratio
(8), a quadratic one its square (64). The bound sits between the two, far enough from
both that a loaded machine does not tip it. Before the fixes these cases measured 52×
(a .tf of 2,400 load balancers: difflib over many identical lines) and 14× (a module of
1,200 engines: a scan of every string literal for every connection string) at 8× size.
The Python case here is kept small for the suite's time (25 → 200 engines), where that
scan's quadratic term is still too small to cross the bound: it guards against a gross
regression; benchmarks/ measures the large sizes.
"""

from __future__ import annotations

import io
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from pgconf_fix.cli import main
from pgconf_fix.linediff import line_opcodes, unified_diff

SIZE_RATIO = 8
BOUND = 24  # linear ≈ 8, quadratic ≈ 64


def _terraform(count: int) -> str:
    return "".join(
        f'resource "aws_lb" "web{i}" {{\n  name               = "web{i}"\n  load_balancer_type = "application"\n}}\n\n'
        for i in range(count)
    )


def _python(count: int) -> str:
    engines = "".join(
        f"label{i} = 'engine {i}'\nengine{i} = create_engine(\"postgresql+psycopg://app@db{i}.example.com/app\")\n"
        for i in range(count)
    )
    return "from sqlalchemy import create_engine\n\n" + engines


def _cpu_seconds(directory: Path) -> float:
    """CPU time of the best of two ``--diff --unsafe-fixes`` runs over ``directory``."""
    best = float("inf")
    for _ in range(2):
        start = time.process_time()
        with redirect_stdout(io.TextIOWrapper(io.BytesIO())), redirect_stderr(io.TextIOWrapper(io.BytesIO())):
            assert main(["--diff", "--unsafe-fixes", str(directory)]) == 1
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize(("name", "generate", "small"), [("main.tf", _terraform, 250), ("app.py", _python, 25)])
def test_fixing_grows_linearly(tmp_path: Path, name: str, generate, small: int) -> None:  # noqa: ANN001
    times = []
    for count in (small, small * SIZE_RATIO):
        directory = tmp_path / str(count)
        directory.mkdir()
        (directory / name).write_text(generate(count))
        times.append(_cpu_seconds(directory))
    assert times[1] / times[0] < BOUND, f"{name}: {times[0]:.3f} s → {times[1]:.3f} s for {SIZE_RATIO}× the size"


def test_unified_diff_applies_and_matches_difflib_on_plain_cases() -> None:
    import difflib

    before = [f"line {i}\n" for i in range(20)]
    after = before[:5] + ["inserted\n"] + before[5:12] + before[13:]
    assert list(unified_diff(before, after, "a/f", "b/f")) == list(difflib.unified_diff(before, after, "a/f", "b/f"))
    assert list(unified_diff(before, before, "a/f", "b/f")) == []


def test_line_opcodes_cover_both_texts_in_order() -> None:
    import random

    rng = random.Random(7)
    for _ in range(500):
        before = [rng.choice("ab}{ x") + "\n" for _ in range(rng.randint(0, 25))]
        after = list(before)
        for _ in range(rng.randint(0, 4)):
            if after and rng.random() < 0.5:
                del after[rng.randrange(len(after))]
            else:
                after.insert(rng.randint(0, len(after)), rng.choice("yz}") + "\n")
        position = (0, 0)
        for tag, i1, i2, j1, j2 in line_opcodes(before, after):
            assert (i1, j1) == position
            if tag == "equal":
                assert before[i1:i2] == after[j1:j2]
            position = (i2, j2)
        assert position == (len(before), len(after))

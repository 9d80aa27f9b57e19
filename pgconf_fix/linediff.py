"""Unified diffs of a file and its fixed text, in time that grows with the file, not its square.

``difflib.unified_diff`` looks for the longest matching block over the whole file, again
for every block it finds: on a file whose lines repeat (a Terraform file of many
resources: ``}``, blank lines, the same attribute again and again) with many fixes spread
through it, that is quadratic (a 6,000-line ``.tf`` with 1,200 fixes took 33 s). Lines that
occur exactly once in both texts pin the two texts together (the idea of patience diff);
``difflib`` then only matches the short stretches between two such anchors. The hunks
are grouped and printed the way ``difflib.unified_diff`` prints them.
"""

from __future__ import annotations

import difflib
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence

Opcode = tuple[str, int, int, int, int]  # difflib's (tag, a_start, a_end, b_start, b_end)


def _anchors(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """The longest run, in order in both texts, of lines that occur once in each."""
    count_a, count_b = Counter(a), Counter(b)
    where_in_b = {line: j for j, line in enumerate(b) if count_b[line] == 1}
    pairs = [(i, where_in_b[line]) for i, line in enumerate(a) if count_a[line] == 1 and line in where_in_b]
    # Longest increasing subsequence of the b positions (pairs are in a's order already).
    tails: list[int] = []  # tails[k]: the b position ending the best run of length k + 1
    tail_pair: list[int] = []  # the index in pairs of that ending
    previous: list[int] = [-1] * len(pairs)
    for index, (_i, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_pair.append(index)
        else:
            tails[k] = j
            tail_pair[k] = index
        previous[index] = tail_pair[k - 1] if k else -1
    run: list[tuple[int, int]] = []
    index = tail_pair[-1] if tail_pair else -1
    while index != -1:
        run.append(pairs[index])
        index = previous[index]
    return run[::-1]


def line_opcodes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """difflib-style opcodes turning ``a`` into ``b``, adjacent ``equal`` runs merged."""
    opcodes: list[Opcode] = []

    def add(tag: str, i1: int, i2: int, j1: int, j2: int) -> None:
        if opcodes and tag == "equal" and opcodes[-1][0] == "equal":
            opcodes[-1] = ("equal", opcodes[-1][1], i2, opcodes[-1][3], j2)
        else:
            opcodes.append((tag, i1, i2, j1, j2))

    start_a = start_b = 0
    for anchor_a, anchor_b in [*_anchors(a, b), (len(a), len(b))]:
        between = difflib.SequenceMatcher(None, a[start_a:anchor_a], b[start_b:anchor_b], autojunk=False)
        for tag, i1, i2, j1, j2 in between.get_opcodes():
            add(tag, i1 + start_a, i2 + start_a, j1 + start_b, j2 + start_b)
        if anchor_a < len(a):
            add("equal", anchor_a, anchor_a + 1, anchor_b, anchor_b + 1)
        start_a, start_b = anchor_a + 1, anchor_b + 1
    return opcodes or [("equal", 0, 0, 0, 0)]


class _Matched(difflib.SequenceMatcher):
    """A SequenceMatcher whose opcodes are given: difflib's hunk grouping reused as it is."""

    def __init__(self, a: Sequence[str], b: Sequence[str], opcodes: list[Opcode]) -> None:
        super().__init__(None, a, b, autojunk=False)
        self._given = opcodes

    def get_opcodes(self) -> list[Opcode]:  # type: ignore[override]
        return list(self._given)


def _range(start: int, end: int) -> str:
    """A hunk header's range, as unified diffs write it (1-based; an empty range names the line before)."""
    length = end - start
    first = start + 1 if length else start
    return str(first) if length == 1 else f"{first},{length}"


def unified_diff(a: Sequence[str], b: Sequence[str], fromfile: str, tofile: str, n: int = 3) -> Iterator[str]:
    """``difflib.unified_diff(a, b, fromfile, tofile, n=n)``'s lines, matched through anchors.

    ``a`` and ``b`` are lists of lines with their endings; yields nothing when they are equal.
    """
    if a == b:
        return
    groups = _Matched(a, b, line_opcodes(a, b)).get_grouped_opcodes(n)
    yield f"--- {fromfile}\n"
    yield f"+++ {tofile}\n"
    for group in groups:
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from ("-" + line for line in a[i1:i2])
            if tag in ("replace", "insert"):
                yield from ("+" + line for line in b[j1:j2])

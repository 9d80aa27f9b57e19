"""Apply text edits to the original text, back to front."""

from __future__ import annotations

from collections.abc import Iterable

from pgconf_fix.findings import Edit


def apply_edits(text: str, edits: Iterable[Edit]) -> tuple[str, list[Edit]]:
    """Return the edited text and the edits that were dropped because they overlapped.

    Identical edits collapse into one (fixes share a header comment this way).
    Insertions at the same offset go by :attr:`Edit.rank`, then keep the order in which they
    were given. Overlap is judged on what each edit holds (:meth:`Edit.held`), which contains
    what it rewrites, so the kept edits' own spans come out in order and disjoint.
    """
    unique: dict[tuple, Edit] = {}
    for edit in edits:
        unique.setdefault(edit.key(), edit)
    ordered = sorted(enumerate(unique.values()), key=lambda pair: (*pair[1].held(), pair[1].rank, pair[0]))
    kept: list[Edit] = []
    dropped: list[Edit] = []
    last_end = -1
    for _, edit in ordered:
        held_start, held_end = edit.held()
        if held_start < last_end:
            dropped.append(edit)
            continue
        kept.append(edit)
        last_end = max(last_end, held_end)
    pieces: list[str] = []
    cursor = 0
    for edit in kept:
        pieces.append(text[cursor : edit.start])
        pieces.append(edit.content)
        cursor = edit.end
    pieces.append(text[cursor:])
    return "".join(pieces), dropped

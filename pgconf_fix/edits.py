"""Apply text edits to the original text, back to front."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from pgconf_fix.findings import Edit

if TYPE_CHECKING:
    from pgconf_fix.source import SourceFile


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


def edited(source: SourceFile, edits: Sequence[Edit], keep: bool = False) -> tuple[str, list[Edit]]:
    """``apply_edits(source.text, edits)``: (the edited text, the edits dropped for overlap),
    recalled when equal edits in the same order (the same objects, as a rule) of the same
    ``source`` object were applied with ``keep`` since ``forget_edited``.

    Why: when the patcher will follow a check, ``patcher.begin_round`` makes each file's text
    with its wanted fixes as soon as the findings are known; the vetting (a file's fixes
    together) and the patcher's first round then apply the same edits again (401 files of
    the 1,000-file Terraform tree, twice more; issue 18, thirteenth pass)."""
    held = _KEPT.get(id(source))
    given = tuple(edits)
    # Equal tuples (identity is asked first) of equal edits of one text make the same text.
    if held is not None and held[0] is source and held[1] == given:
        return held[2]
    made = apply_edits(source.text, given)
    if keep:
        _KEPT[id(source)] = (source, given, made)  # the source held: its id is not reused while kept
    return made


def forget_edited() -> None:
    """Forget what ``edited`` kept (the patcher's fix loop ended)."""
    _KEPT.clear()


# What edited(keep=True) made, by the source's id: (source, its edits in order, apply_edits' result).
_KEPT: dict[int, tuple[SourceFile, tuple[Edit, ...], tuple[str, list[Edit]]]] = {}

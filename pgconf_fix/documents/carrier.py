"""A carrier: one string value of a file as its format decodes it, with the way back to the
file's bytes (the record :mod:`pgconf_fix.documents.carriers` and the Python literal reader
both build; see there for what reads which format).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

from pgconf_fix.findings import Edit
from pgconf_fix.source import SourceFile

Encoder = Callable[[str], "str | None"]


@dataclass(frozen=True, eq=False)
class Carrier:
    """One decoded string value of ``source``.

    ``offsets[i]`` is the file offset where decoded character ``i`` is written, and
    ``offsets[len(value)]`` the offset just after the last one (where text is appended).
    ``encode(text)`` is ``text`` as this place writes it, or None when it cannot be written
    here (a quote inside a raw Python string); ``encode`` None: read-only. ``parts``: a value
    joined from several literals (Python's implicit concatenation), as ``(end index in value,
    offsets, encoder)`` of each; an edit then stays inside one part and takes that part's
    escapes, and text inserted where two parts meet goes into the first.
    """

    source: SourceFile
    value: str
    offsets: tuple[int, ...]
    encode: Encoder | None
    parts: tuple[tuple[int, tuple[int, ...], Encoder | None], ...] = ()
    decoded: bool = True  # one whole string value (False: a stretch of raw text)

    def to_file(self, index: int) -> int:
        return self.offsets[index]

    def from_file(self, offset: int) -> int:
        """The decoded index whose character is written at (or first after) file ``offset``."""
        return bisect.bisect_left(self.offsets, offset)

    def edit(self, start: int, end: int, content: str, holds_from: int | None = None) -> Edit | None:
        """Replace decoded ``value[start:end]`` with ``content``; None when it cannot be written.
        ``holds_from``: a decoded index before ``start`` from which the edit also holds the
        value against other edits of its round (:attr:`Edit.holds`), without rewriting it."""
        offsets, encode, low = self.offsets, self.encode, 0
        if self.parts:
            bounds = [part[0] for part in self.parts]
            index = bisect.bisect_left(bounds, start) if start == end else bisect.bisect_right(bounds, start)
            if index >= len(self.parts) or end > bounds[index]:
                return None  # across two literals
            low = bounds[index - 1] if index else 0
            _, offsets, encode = self.parts[index]
        if encode is None:
            return None
        written = encode(content)
        if written is None:
            return None
        holds = None
        if holds_from is not None and holds_from < start:
            holds = (offsets[max(holds_from, low) - low], offsets[end - low])
        return Edit(self.source, offsets[start - low], offsets[end - low], written, holds)


def identity(source: SourceFile, start: int, end: int, encode: Encoder | None = None) -> Carrier:
    """Raw text ``source.text[start:end]``, written as it is."""
    return Carrier(source, source.text[start:end], tuple(range(start, end + 1)), encode or (lambda text: text), decoded=encode is not None)

"""A memo of a function of one text, sized for the verifiers (issue 18).

The verifiers ask about the same texts several times a run (a file's fixes are tried
against its original, the vetting and each patcher run try the same edited texts again):
~500 distinct texts on the Python-heavy benchmark tree, which a 128-entry memo parsed
1,030 times. ``TextMemo`` keeps 1,024 texts of up to ``LIMIT`` characters (at most 64 Mi
characters) and, apart, the last 16 longer ones: a long module's original is asked about once
for each of its fixes, and a thousand long texts would hold too much.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Generic, TypeVar

LIMIT = 65536  # characters
SHORT_TEXTS = 1024
LONG_TEXTS = 16

Result = TypeVar("Result")


class TextMemo(Generic[Result]):
    """``function(*args)`` remembered by its arguments, the last of which is the text (a
    ``str``) that decides which of the two memos holds the result. Arguments must be
    hashable; ``cache_clear`` empties both memos."""

    def __init__(self, function: Callable[..., Result]) -> None:
        self.function = function
        self._short = lru_cache(maxsize=SHORT_TEXTS)(function)
        self._long = lru_cache(maxsize=LONG_TEXTS)(function)

    def __call__(self, *args: object) -> Result:
        text = args[-1]
        assert isinstance(text, str)
        return (self._short if len(text) <= LIMIT else self._long)(*args)

    def cache_clear(self) -> None:
        self._short.cache_clear()
        self._long.cache_clear()

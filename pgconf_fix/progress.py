"""Progress on standard error for long runs, on terminals only: click's progress bar.

Two phases, each honest about what it knows: discovery counts the files it finds (no total
yet, so click shows a moving bar and a count), then the check counts files against the
total, labelled with the layer being checked. Nothing is shown when the stream is not a
terminal, when PGCONF_FIX_NO_PROGRESS is set, or for a phase that ends within DELAY.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from typing import TextIO

import click

# Show nothing for phases that finish within this many seconds.
DELAY = 0.5
REFRESH = 0.1


class Progress:
    """Counts work done; draws click's bar once the phase has run for DELAY seconds.

    ``total``: files to check, or 0 when unknown (discovery). ``advance(count, layer)``
    adds to the count and names the layer at work; ``close()`` erases the bar's line.
    """

    def __init__(self, total: int, label: str = "checking", stream: TextIO | None = None) -> None:
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.shown_at = 0.0
        self.done = 0
        self.layer: str | None = None
        self.visible = False
        self._bar = None
        self.enabled = (
            (total > 0 or label == "discovering")
            and _is_terminal(self.stream)
            and not os.environ.get("PGCONF_FIX_NO_PROGRESS")
        )

    def _title(self) -> str:
        if self.total == 0:
            return f"{self.label}: {self.done} files found"
        return f"{self.label} {self.layer} files" if self.layer else self.label

    def advance(self, count: int = 1, layer: str | None = None) -> None:
        self.done += count
        if layer is not None:
            self.layer = layer
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < DELAY or now - self.shown_at < REFRESH:
            return
        self.shown_at = now
        if self._bar is None:
            self._bar = click.progressbar(
                # No total yet: an iterable of unknown length makes click draw a moving bar.
                iterable=None if self.total else itertools.repeat(None),
                length=self.total or None,
                label=self._title(),
                file=self.stream,
                show_pos=self.total > 0,
                show_eta=False,
                width=30,
            )
            self._bar.update(self.done)
        else:
            self._bar.label = self._title()
            self._bar.update(self.done - self._bar.pos)
        self.visible = True

    def close(self) -> None:
        if self.visible:
            # Erase the bar's line instead of leaving it (the report follows on the same stream),
            # and show the cursor click hid.
            self.stream.write("\r\033[K\033[?25h")
            self.stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False

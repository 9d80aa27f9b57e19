"""A one-line progress bar on standard error, for large trees, on terminals only."""

from __future__ import annotations

import os
import sys
import time

# Show nothing for runs that finish within this many seconds.
DELAY = 0.5
REFRESH = 0.1


class Progress:
    def __init__(self, total: int, label: str = "checking", stream=None) -> None:  # noqa: ANN001
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.shown_at = 0.0
        self.done = 0
        self.visible = False
        self.enabled = total > 0 and _is_terminal(self.stream) and not os.environ.get("PGCONF_FIX_NO_PROGRESS")

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < DELAY or now - self.shown_at < REFRESH:
            return
        self.shown_at = now
        width = 30
        filled = width * self.done // self.total
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} files")
        self.stream.flush()
        self.visible = True

    def close(self) -> None:
        if self.visible:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _is_terminal(stream) -> bool:  # noqa: ANN001
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False

"""``python -m pgconf_fix``, and the ``pgconf-fix`` command's entry point (``entry``)."""

from __future__ import annotations

import gc
import os
import sys

from pgconf_fix import GC_THRESHOLD


def entry() -> int:
    """The ``pgconf-fix`` command (``pgconf_fix.cli.entry``), with the collector's threshold
    raised before the command's modules are imported: its passes over the classes, functions
    and compiled expressions that importing them creates, all kept for the whole run, were ~5 %
    of the CPU time of a one-file run (issue 18, eighth pass). Ends the process at once
    (``exit_now``) when nothing is left to do; else returns the exit status."""
    gc.set_threshold(*GC_THRESHOLD)
    from pgconf_fix.cli import entry as command

    status = command()
    exit_now(status)
    return status


def exit_now(status: int) -> None:
    """End the process with ``status`` (``os._exit``) once the standard streams are flushed,
    without the interpreter's teardown, which would free every object the run made, one by one,
    only for the process to end (2 % of a one-file run's instructions, 7 % of its CPU time at
    a load of 8.5: issue 18, tenth pass). Returns instead, and the interpreter exits as usual, when the
    teardown has work to do: an exit handler is registered (``atexit``: multiprocessing's, a
    temporary directory's finalizer, ...), a thread other than this one runs, or a stream
    cannot be flushed (a closed pipe: the usual exit reports it). Every file the command writes
    is closed by then (``with`` blocks)."""
    import atexit
    import threading

    pending = getattr(atexit, "_ncallbacks", None)  # CPython's; elsewhere, exit as usual
    if not isinstance(status, int) or pending is None or pending() or threading.active_count() > 1:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # AttributeError: no stream (None)
        return
    os._exit(status)


if __name__ == "__main__":
    raise SystemExit(entry())

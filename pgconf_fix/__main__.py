"""``python -m pgconf_fix``, and the ``pgconf-fix`` command's entry point (``entry``)."""

from __future__ import annotations

import gc

from pgconf_fix import GC_THRESHOLD


def entry() -> int:
    """The ``pgconf-fix`` command (``pgconf_fix.cli.entry``), with the collector's threshold
    raised before the command's modules are imported: its passes over the classes, functions
    and compiled expressions that importing them creates, all kept for the whole run, were ~5 %
    of the CPU time of a one-file run (issue 18, eighth pass). Returns the exit status."""
    gc.set_threshold(*GC_THRESHOLD)
    from pgconf_fix.cli import entry as command

    return command()


if __name__ == "__main__":
    raise SystemExit(entry())

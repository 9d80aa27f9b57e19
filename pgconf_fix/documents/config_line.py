"""What one line of a line-oriented config file is, whatever its format (postgresql.conf,
sysctl.conf): the base of ``pgconf.ConfLine`` and ``sysctl.SysctlLine``."""

from __future__ import annotations

from dataclasses import dataclass


# Built for every line of every file: a plain slotted dataclass, since a frozen one costs about
# three times as much to build.
@dataclass(slots=True, eq=False)
class ConfigLine:
    """One line: its 1-based ``number`` and offsets (``start``..``end``, without the line ending);
    for a setting, the offsets of its name and of its value as written (quotes included); where
    a comment starts (None: no comment); and why the file's consumer rejects the line (None: it
    does not). Offsets index the whole file's text; the spans are 0..0 on lines with no setting.
    """

    number: int
    start: int
    end: int
    name_start: int = 0
    name_end: int = 0
    value_start: int = 0
    value_end: int = 0
    comment_start: int | None = None
    error: str | None = None

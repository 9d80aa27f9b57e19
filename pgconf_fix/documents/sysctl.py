"""sysctl.conf and sysctl.d/*.conf, as procps sysctl and systemd-sysctl read them.

``#`` and ``;`` start comment lines only: there are no trailing comments, so
``key = 60 # note`` writes ``60 # note`` to the kernel, which reads 60 and ignores
the rest (:func:`kernel_integer`).

Measured inside ``unshare -n`` with procps-ng 4.0.2 ``sysctl -p`` and systemd 252's
``systemd-sysctl`` on Linux 6.18 (FACTS.md): a leading ``-`` makes a failed write
non-fatal; ``/`` may replace ``.``; a key with ``*``, ``?`` or ``[`` is a glob that
sets every matching key, and a key written out beats a glob whatever their order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pgconf_fix.documents.config_line import ConfigLine
from pgconf_fix.guc_values import c_integer
from pgconf_fix.source import SourceFile

_ASSIGNMENT = re.compile(r"[ \t]*(-?)([^=\s]+)[ \t]*=[ \t\r\f\v]*(.*?)[ \t\r\f\v]*$")
_LINUX_PREFIXES = ("net.", "kernel.", "vm.", "fs.", "dev.", "user.", "abi.", "debug.", "crypto.", "sunrpc.")
# Keys of the BSDs and macOS, which are not Linux kernel settings.
_BSD_PREFIXES = ("net.inet.", "net.inet6.", "net.link.", "kern.", "hw.", "vfs.", "security.", "machdep.", "compat.")


GLOB_CHARACTERS = "*?["
# The characters the kernel accepts right after a number (proc_wspace_sep); the rest is ignored.
_KERNEL_SEPARATORS = " \t\n"
_KERNEL_NUMBER = re.compile(r"(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")


def canonical_key(key: str) -> str:
    return key.replace("/", ".")


def is_glob(key: str) -> bool:
    """Whether a key is a pattern (``net.ipv4.tcp_keepalive_*``) rather than one key."""
    return any(char in key for char in GLOB_CHARACTERS)


@dataclass(frozen=True)
class KernelInteger:
    """What the kernel stores for a written value: ``value``, and the text after it it ignored."""

    value: int
    ignored: str
    length: int  # characters of the number itself, sign included


def kernel_integer(text: str, minimum: int, maximum: int) -> KernelInteger:
    """Read ``text`` as the kernel's integer sysctl handlers do (proc_dointvec and friends).

    An optional ``-``, then a C integer literal (``0x3c`` is 60, ``060`` is octal 48), then the
    end or a space, tab or newline, after which anything is ignored: ``600 # comment`` sets
    600, ``600abc``, ``+60``, ``08``, ``1.5`` and ``'60'`` are rejected (measured, FACTS.md).
    Raises ValueError with the reason when the kernel would reject the write, including a value
    outside ``minimum``..``maximum``.
    """
    match = _KERNEL_NUMBER.match(text)
    if not match:
        raise ValueError(f'"{text}" is not an integer')
    rest = text[match.end() :]
    digits = match.group(2)
    if rest and rest[0] not in _KERNEL_SEPARATORS:
        if digits.startswith("0") and digits[:2].lower() != "0x" and rest[0] in "89":
            raise ValueError(f'"{text}" is not an integer: a leading 0 makes it octal, where {rest[0]} is no digit')
        raise ValueError(f'"{text}" is not an integer: the kernel accepts only a space after the number')
    if len(digits.lstrip("0xX")) > 24:
        # Past 64 bits (and Python's int-conversion limit past 4,300 digits): the kernel says EINVAL.
        raise ValueError("the value is out of range")
    value = c_integer(digits)
    if match.group(1):
        value = -value
    if not minimum <= value <= maximum:
        raise ValueError(f"{value} is outside the range the kernel accepts ({minimum} .. {maximum})")
    return KernelInteger(value, rest.strip(_KERNEL_SEPARATORS), match.end())


@dataclass(slots=True)
class SysctlLine(ConfigLine):
    """One line of a sysctl.conf: ``key`` is the canonical key (``net.ipv4.tcp_keepalive_time``,
    whether written with dots or slashes), ``value`` its value as written."""

    key: str | None = None
    value: str = ""


def parse_line(text: str, number: int, start: int, end: int) -> SysctlLine:
    body = text[start:end]
    stripped = body.lstrip(" \t")
    if not stripped.strip():
        return SysctlLine(number, start, end)
    if stripped[0] in "#;":
        return SysctlLine(number, start, end, comment_start=start + len(body) - len(stripped))
    match = _ASSIGNMENT.match(body)
    if not match:
        return SysctlLine(number, start, end, error="not an assignment (expected key = value)")
    return SysctlLine(
        number,
        start,
        end,
        key=canonical_key(match.group(2)),
        name_start=start + match.start(2),
        name_end=start + match.end(2),
        value=match.group(3),
        value_start=start + match.start(3),
        value_end=start + match.end(3),
    )


class SysctlDocument:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        spans = source.line_spans()
        self.lines: list[SysctlLine] = [parse_line(source.text, number, *span) for number, span in enumerate(spans, 1)]

    @property
    def assignments(self) -> list[SysctlLine]:
        return [line for line in self.lines if line.key is not None]

    def commented_assignments(self) -> list[tuple[SysctlLine, SysctlLine]]:
        """(comment line, the assignment written inside it) pairs."""
        found = []
        for line in self.lines:
            if line.comment_start is None:
                continue
            inner = parse_line(self.source.text, line.number, line.comment_start + 1, line.end)
            if inner.key is not None and "." in inner.key and " " not in inner.key:
                found.append((line, inner))
        return found


def is_bsd_key(key: str) -> bool:
    return key.startswith(_BSD_PREFIXES)


def is_linux_key(key: str) -> bool:
    return key.startswith(_LINUX_PREFIXES) and not is_bsd_key(key)


def parse_text(text: str) -> list[SysctlLine]:
    """Every line of a text, for a look at content that is not (yet) a SourceFile."""
    lines = []
    offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        lines.append(parse_line(text, number, offset, offset + len(line)))
        offset += len(line) + 1
    return lines


def looks_like_linux_sysctl(text: str) -> bool:
    """True when every assignment is a dotted Linux key (and there is at least one)."""
    lines = parse_text(text)
    if any(line.error for line in lines):
        return False
    keys = [line.key for line in lines if line.key is not None]
    return bool(keys) and all(is_linux_key(key) for key in keys)


def has_bsd_keys(text: str) -> bool:
    return any(line.key is not None and is_bsd_key(line.key) for line in parse_text(text))

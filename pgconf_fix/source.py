"""A file as read from disk: its exact bytes, a lossless text view, and positions."""

from __future__ import annotations

import bisect
import errno
import os
import re
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

# Files above this size are not parsed; configuration files are kilobytes.
DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
# Files whose consumer ends a line at a lone CR too, as at LF and CRLF: Python's tokenizer,
# YAML (1.1 and 1.2 alike; PyYAML counts it), java.util.Properties.load. postgres's
# guc-file.l takes a lone CR for a blank (checked with postgres -C 15: a CR-only file is
# one line to it, its errors say "line 1"), and so line numbers of every other format
# count LF only: sysctl, PgBouncer (libusual splits at LF), HCL and TOML (LF or CRLF).
LONE_CR_SUFFIXES = (".py", ".pyi", ".yml", ".yaml", ".properties")
# Files Python's tokenizer reads: their text is decoded as Python decodes it (PEP 263).
PYTHON_SUFFIXES = (".py", ".pyi", ".pyw")
_LINE_BREAK = re.compile(r"\r\n?|\n")
_LONE_CR = re.compile(r"\r(?!\n)")


class UserError(Exception):
    """A mistake the user can fix (a connection refused, a bad option): the command prints
    ``error: <message>`` and exits 2, without a traceback."""


class InputError(Exception):
    """A file the run could not judge (unreadable, binary, too large...)."""

    def __init__(self, display: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.display = display
        self.message = message
        self.line = line

    def __str__(self) -> str:
        where = f"{self.display}:{self.line}" if self.line else self.display
        return f"{where}: {self.message}"

    def __reduce__(self) -> tuple:
        # Pickled whole (a --jobs worker returns the errors its workspace holds).
        return (type(self), (self.display, self.message, self.line))


@dataclass(eq=False)
class SourceFile:
    """One input file. ``text`` decodes ``data`` so that encoding it back gives the same bytes."""

    path: Path
    display: str
    data: bytes
    text: str
    utf8: bool
    mode: int | None = None
    # (size, mtime_ns) of the file when it was read: --write refuses to replace a file that
    # changed since (an editor's save in between would be lost). None: not read from disk.
    read_stat: tuple[int, int] | None = None
    # (st_dev, st_ino) of the file read (symlinks followed): two paths with the same are one
    # file (pgconf_fix.workspace). None: not read from disk.
    identity: tuple[int, int] | None = None
    # The codec ``text`` was decoded with and ``encode`` writes: UTF-8 (undecodable bytes kept
    # as surrogates), or the encoding a Python module declares (PEP 263,
    # pgconf_fix.documents.python_encoding). None: a Python module that Python cannot decode
    # (an unknown codec, bytes its codec or UTF-8 refuses); its text is then read as UTF-8.
    encoding: str | None = "utf-8"
    _line_starts: list[int] | None = field(default=None, repr=False)
    _secrets: frozenset[str] | None = field(default=None, repr=False)

    @classmethod
    def from_bytes(
        cls,
        path: Path,
        display: str,
        data: bytes,
        mode: int | None = None,
        read_stat: tuple[int, int] | None = None,
        identity: tuple[int, int] | None = None,
    ) -> SourceFile:
        encoding: str | None = "utf-8"
        python = path.suffix.lower() in PYTHON_SUFFIXES
        if python:
            from pgconf_fix.documents.python_encoding import declared_codec

            encoding = declared_codec(data)
        if encoding not in ("utf-8", None):
            return cls(
                path=path, display=display, data=data, text=data.decode(encoding), utf8=False, mode=mode,
                read_stat=read_stat, identity=identity, encoding=encoding,
            )  # fmt: skip
        try:
            text = data.decode("utf-8")
            utf8 = True
        except UnicodeDecodeError:
            # surrogateescape keeps undecodable bytes (Latin-1 files exist) and round-trips them.
            text = data.decode("utf-8", "surrogateescape")
            utf8 = False
            if python:
                encoding = None  # Python refuses a module that is not UTF-8 and says nothing else
        return cls(
            path=path, display=display, data=data, text=text, utf8=utf8, mode=mode, read_stat=read_stat, identity=identity,
            encoding=encoding,
        )

    @property
    def secrets(self) -> frozenset[str]:
        """The passwords this file holds, in every form a message could show them (redact.secrets)."""
        if self._secrets is None:
            from pgconf_fix.redact import secrets

            self._secrets = secrets(self.text)
        return self._secrets

    def encode(self, text: str) -> bytes:
        """``text`` in this file's encoding (``encoding``); raises UnicodeEncodeError when a
        character has no bytes there (``encoding_problem`` says so beforehand)."""
        if self.encoding in ("utf-8", None):
            return text.encode("utf-8", "surrogateescape")
        return text.encode(self.encoding)

    def encoding_problem(self, text: str) -> str | None:
        """Why ``text``, an edit of this file's text, cannot be written in the file's own
        encoding with the bytes outside the edit unchanged; None when it can (always for UTF-8)."""
        if self.encoding in ("utf-8", None) or text == self.text:
            return None
        from pgconf_fix.documents.python_encoding import encoding_problem

        return encoding_problem(text, self.encoding, self.text, self.data)

    @cached_property
    def newline(self) -> str:
        """The file's dominant line ending, used for inserted lines (counted once: a file's
        text never changes; a patched text is a new SourceFile)."""
        crlf = self.text.count("\r\n")
        lf = self.text.count("\n") - crlf
        return "\r\n" if crlf > lf else "\n"

    @cached_property
    def universal_newline(self) -> str:
        """``newline`` for a reader that ends a line at a lone CR too (Python does; the
        server's and the kernel's readers do not, so their documents use ``newline``);
        counted once, as ``newline`` is (a Python fix asks it for every inserted line)."""
        crlf = self.text.count("\r\n")
        cr = self.text.count("\r") - crlf
        if cr > self.text.count("\n") - crlf and cr > crlf:
            return "\r"
        return self.newline

    @cached_property
    def lone_cr_ends_lines(self) -> bool:
        """Whether this file's lines end at a lone CR too, as its consumer counts them
        (LONE_CR_SUFFIXES), and it has one: then lines, positions and line spans count it."""
        return self.path.suffix.lower() in LONE_CR_SUFFIXES and "\r" in self.text and _LONE_CR.search(self.text) is not None

    @property
    def line_starts(self) -> list[int]:
        """Offsets where each line starts: after each LF (and each lone CR where
        ``lone_cr_ends_lines``)."""
        if self._line_starts is None:
            text = self.text
            if self.lone_cr_ends_lines:
                self._line_starts = [0, *(found.end() for found in _LINE_BREAK.finditer(text))]
                return self._line_starts
            starts = [0]
            pos = text.find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = text.find("\n", pos + 1)
            self._line_starts = starts
        return self._line_starts

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        starts = self.line_starts
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    def line_span(self, line: int) -> tuple[int, int]:
        """Offsets of a 1-based line's content, without its line ending."""
        starts = self.line_starts
        end = starts[line] if line < len(starts) else len(self.text)
        return starts[line - 1], self._content_end(starts[line - 1], end)

    def line_spans(self) -> list[tuple[int, int]]:
        """``line_span`` of every line, first to last; the empty remainder after a final
        newline is not a line. One pass, for documents that read every line."""
        starts = self.line_starts
        ends = [*starts[1:], len(self.text)]
        spans = [(start, self._content_end(start, end)) for start, end in zip(starts, ends)]
        if spans[-1][0] == spans[-1][1]:
            spans.pop()
        return spans

    def _content_end(self, start: int, end: int) -> int:
        text = self.text
        if end > start and text[end - 1] == "\n":
            end -= 1
            if end > start and text[end - 1] == "\r":
                end -= 1
        elif end > start and text[end - 1] == "\r" and self.lone_cr_ends_lines:
            end -= 1
        return end


def looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192]


def binary_problem(data: bytes) -> str:
    """Why a file with NUL bytes is not checked, naming UTF-16 when its byte-order mark says so."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text (byte-order mark); save it as UTF-8 to have it checked"
    return "binary file (contains NUL bytes); not checked"


def link_problem(path: str | Path) -> str:
    """Why a symlink leads to no file: a loop, or a target that does not exist."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"symlink loop: {os.readlink(path)!r} leads back to itself, never to a file"
    return f"dangling symlink: its target {os.readlink(path)!r} does not exist"


_MB = 1048576  # the messages' MB: 2**20 bytes, as max-file-size's default (10 MB) counts them


def file_size(size: int) -> str:
    """A file's size (bytes) as messages print it: one decimal of MB from 0.1 MB, else bytes
    (a small max-file-size made "0.0 MB, above the 0 MB limit")."""
    return f"{size / _MB:.1f} MB" if size >= _MB // 10 else f"{size} bytes"


def size_limit(size: int) -> str:
    """max-file-size (bytes) as messages print it: whole MB when it is a whole number of
    them (the default: "10 MB"), else as ``file_size``."""
    return f"{size // _MB} MB" if size >= _MB and size % _MB == 0 else file_size(size)


def read_source(path: Path, display: str, max_size: int = DEFAULT_MAX_FILE_SIZE) -> SourceFile:
    """Read a file for parsing, or raise InputError with a message a user can act on."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise InputError(display, link_problem(path)) from None
        raise InputError(display, "no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(display, link_problem(path)) from None
        raise InputError(display, f"cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(display, "is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(display, "not a regular file")
    if st.st_size > max_size:
        raise InputError(display, f"file is {file_size(st.st_size)}, above the {size_limit(max_size)} limit; not checked")
    try:
        with open(path, "rb") as handle:
            # Ask for the size stat gave (a 10 MB request allocates 10 MB); a file that grew
            # since is read on, up to the limit.
            data = handle.read(st.st_size + 1)
            if len(data) > st.st_size:
                data += handle.read(max_size + 1 - len(data))
            after = os.fstat(handle.fileno())
    except OSError as exc:
        raise InputError(display, f"cannot read: {exc.strerror}") from None
    if looks_binary(data):
        raise InputError(display, binary_problem(data))
    return SourceFile.from_bytes(
        path, display, data, mode=stat.S_IMODE(st.st_mode), read_stat=(after.st_size, after.st_mtime_ns),
        identity=(after.st_dev, after.st_ino),
    )

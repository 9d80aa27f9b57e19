"""A Dockerfile's instructions as BuildKit's parser reads them, and the image a ``FROM`` line
names as ``docker build`` expands its variables.

Lines end at ``\\n`` alone (a ``\\r`` before it is dropped; a lone ``\\r``, a form feed or a Unicode
line separator is text), as BuildKit's Dockerfile parser splits them. An instruction continued
over lines (a line ending in a ``\\`` that does not follow another ``\\``, blanks after it allowed)
is read as BuildKit joins it: the backslash and the line break removed, comment lines and blank
lines inside it dropped (moby/buildkit ``frontend/dockerfile/parser/parser.go``, read at
``73ed682``; that parser's answers, built as a throwaway, are in tests/test_dockerfile.py). A
file with a parser directive that changes the escape character, or a heredoc, is not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pgconf_fix.documents.compose_dotenv import WHITE_SPACE

_DIRECTIVE = re.compile(r"#[ \t]*([A-Za-z]+)[ \t]*=")
_INSTRUCTION = re.compile(r"[ \t]*([A-Za-z]+)(?:[ \t]+|$)")
# Go's unicode.IsSpace, as str.strip's argument (Python's str.isspace adds the separators
# \x1c-\x1f, which Go does not count as space).
_GO_SPACE = "".join(WHITE_SPACE)
# A FROM line's arguments: flags (--platform=...), the image, and "AS name".
FROM = re.compile(r"(?:--[A-Za-z-]+=\S+[ \t]+)*(\S+)(?:[ \t]+[Aa][Ss][ \t]+(\S+))?[ \t]*")


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword (upper case), where its arguments' text begins and ends in
    the file, and the spans that text is joined from when it is continued over lines."""

    keyword: str
    args_start: int
    args_end: int
    # The file spans of the arguments' text, line by line, without the continuation backslashes.
    segments: tuple[tuple[int, int], ...]

    def joined(self, text: str) -> tuple[str, list[int]]:
        """The arguments as Docker reads them (lines joined), and the file offset of each of
        their characters followed by the offset after the last."""
        offsets = [offset for start, end in self.segments for offset in range(start, end)]
        offsets.append(self.segments[-1][1])  # an instruction has one segment at least
        return "".join(text[start:end] for start, end in self.segments), offsets


# What a FROM line's image and the ARGs before the first FROM are read in here: plain words,
# quoted plain values, and $NAME, ${NAME}, ${NAME:-word}, ${NAME-word} in the image. Anything else
# (a value holding $, a backslash, a space in quotes, ${NAME%...}) leaves the image unknown.
_META_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_META_PLAIN = r"[A-Za-z0-9._:/@+-]*"
_META_WORD = re.compile(rf"({_META_NAME})(?:=({_META_PLAIN}|\"{_META_PLAIN}\"|'{_META_PLAIN}'))?")
_FROM_PIECE = re.compile(
    rf"([A-Za-z0-9._:/@-]+)|\$({_META_NAME})|\$\{{({_META_NAME})(?:(:?-)([A-Za-z0-9._:/@-]*))?\}}"
)
# The arguments BuildKit defines for every build, which the builder's platform sets
# (dockerfile2llb defaultArgs, moby/buildkit 73ed682): not known here.
_PLATFORM_ARGS = frozenset({
    "BUILDPLATFORM", "BUILDOS", "BUILDOSVERSION", "BUILDARCH", "BUILDVARIANT", "TARGETPLATFORM", "TARGETOS",
    "TARGETOSVERSION", "TARGETARCH", "TARGETVARIANT", "TARGETSTAGE",
})


def meta_arguments(text: str, found: list[Instruction]) -> dict[str, str | None] | None:
    """The ``ARG``s before the first ``FROM`` (BuildKit's meta arguments, the only ones a
    ``FROM`` line can use): name -> default, None for one declared without a default; None when
    one is written outside what is read here (:data:`_META_WORD`). The defaults are what
    ``docker build`` uses where no ``--build-arg`` names them."""
    meta: dict[str, str | None] = {}
    for instruction in found:
        if instruction.keyword == "FROM":
            break
        if instruction.keyword != "ARG":
            continue
        for word in re.split(f"[{re.escape(_GO_SPACE)}]+", instruction.joined(text)[0]):
            match = _META_WORD.fullmatch(word)
            if match is None:
                if word:
                    return None
                continue
            name, value = match.group(1), match.group(2)
            if value is not None:
                meta[name] = value[1:-1] if value[:1] in ("\"", "'") else value
            else:
                meta.setdefault(name, None)  # a default given before stays (buildMetaArgs)
    return meta


def expand_from(reference: str, meta: dict[str, str | None]) -> str | None:
    """``reference`` (a ``FROM`` line's image) with its variables replaced as BuildKit replaces
    them where no ``--build-arg`` is given: a meta argument's default; a name not declared, or
    declared without a default, is unset (``""``, or the ``:-``/``-`` word); None when it is
    written outside :data:`_FROM_PIECE` or names one of the builder's platform arguments.
    Checked against BuildKit's own parser and shell lexer (73ed682, built as a throwaway; the
    cases are in tests/test_dockerfile.py)."""
    pieces: list[str] = []
    position = 0
    while position < len(reference):
        match = _FROM_PIECE.match(reference, position)
        if match is None:
            return None
        position = match.end()
        plain, bare, braced, operator, word = match.groups()
        if plain is not None:
            pieces.append(plain)
            continue
        name = bare or braced
        if name in _PLATFORM_ARGS and name not in meta:
            return None
        value = meta.get(name)
        if operator == ":-":
            value = value or word
        elif operator == "-":
            value = word if value is None else value
        pieces.append(value or "")
    return "".join(pieces)


def _lines(text: str) -> list[str]:
    """The file's lines as BuildKit splits them: at ``\\n`` alone, each with its ending."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _continued(body: str) -> bool:
    """Whether a line's text (blanks at its end removed) continues on the next line: it ends in a
    backslash that is not itself preceded by one (BuildKit's continuation pattern)."""
    return body.endswith("\\") and not body.endswith("\\\\")


def _skipped_inside(line: str) -> bool:
    """Whether a line inside a continued instruction is dropped: a comment, or only blanks (Go's
    ``unicode.IsSpace``: BuildKit warns of these "empty continuation lines" and skips them)."""
    rest = line.rstrip("\r\n").lstrip(_GO_SPACE)
    return not rest or rest.startswith("#")


def instructions(text: str, template: bool = False) -> list[Instruction] | None:
    """The file's instructions in order, or None when it is outside what is read here (an
    ``escape`` parser directive, a heredoc). With ``template``, a line that is a Jinja statement
    or comment tag (``{% if cookiecutter.use_celery == 'y' %}``), which the template's engine
    removes before BuildKit reads the file, is passed by as a comment is: the instructions of
    every branch are read (None otherwise: BuildKit refuses such a line)."""
    found: list[Instruction] = []
    directives = True
    offset, lines = 0, _lines(text)
    index = 0
    while index < len(lines):
        line = lines[index]
        start, offset = offset, offset + len(line)
        index += 1
        if start == 0 and line.startswith("\ufeff"):
            line, start = line[1:], 1  # BuildKit's parser drops a byte order mark from the first line
        stripped = line.strip(_GO_SPACE)
        if directives and (match := _DIRECTIVE.match(stripped)) is not None:
            if match.group(1).lower() == "escape":
                return None
            continue
        directives = False
        if not stripped or stripped.startswith("#") or (template and stripped.startswith(("{%", "{#"))):
            continue
        match = _INSTRUCTION.match(line)
        if match is None:
            return None
        keyword = match.group(1).upper()
        args_start = piece = start + match.end()
        end = start + len(line.rstrip("\r\n"))
        segments: list[tuple[int, int]] = []
        while _continued(body := text[piece:end].rstrip(" \t")):
            segments.append((piece, piece + len(body) - 1))
            while index < len(lines) and _skipped_inside(lines[index]):
                offset += len(lines[index])  # a comment or blank line inside an instruction: dropped
                index += 1
            if index >= len(lines):
                piece = end = offset
                break
            line = lines[index]
            piece, offset = offset, offset + len(line)
            index += 1
            end = piece + len(line.rstrip("\r\n"))
        segments.append((piece, end))
        if "<<" in text[args_start:end] and keyword in ("RUN", "COPY", "ADD"):
            return None
        found.append(Instruction(keyword, args_start, end, tuple(segments)))
    return found


def run_spans(text: str) -> list[tuple[int, int]]:
    """The file spans of the arguments of every ``RUN`` instruction: commands BuildKit runs
    while it builds the image, each to its end, never in the container the image starts. Empty
    when the file is outside what :func:`instructions` reads. A project template's Dockerfile
    (cookiecutter-django's ``compose/production/django/Dockerfile``, with ``{% if %}`` lines) is
    read as the template: each branch's ``RUN`` is a build step in every rendering that keeps it."""
    return [(found.args_start, found.args_end) for found in instructions(text, template=True) or () if found.keyword == "RUN"]
